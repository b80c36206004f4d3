// The layer plan is the one mapping: on every architecture of hw/archs.def and every layer of
// every thesis benchmark, the plan `sieve tile` prints (plan_workload) is the plan the simulation
// ran (the tiling and reuse each LayerStats records), and a tiled-driver architecture runs one
// event triple per sub-operation of it. A new architecture is exercised here without being
// named. `sieve tile` and `sieve simulate --emit plan` print the same bytes.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <iterator>
#include <ostream>
#include <string>
#include <vector>

#include "cli_util.h"
#include "sieve/compiler/plan.h"
#include "sieve/hw/core/arch.h"
#include "sieve/hw/core/params.h"
#include "sieve/hw/sim/inputs.h"
#include "sieve/hw/sim/run.h"
#include "sieve/hw/workloads/thesis.h"

namespace sieve::hw {
namespace {

struct Case {
  std::string arch;
  std::string benchmark;
};
void PrintTo(const Case& c, std::ostream* os) {
  *os << c.arch << " on thesis:" << c.benchmark;
}

std::vector<Case> cases() {
  std::vector<Case> out;
  for (const ArchInfo& a : archs())
    for (const std::string& b : thesis_benchmarks()) out.push_back({a.name, b});
  return out;
}

class PlanAgreement : public testing::TestWithParam<Case> {};

TEST_P(PlanAgreement, TileAndSimulateUseTheSamePlanOnEveryLayer) {
  const Case& c = GetParam();
  WorkloadRequest req;
  req.model = "thesis:" + c.benchmark;
  Result<Workload> w = make_workload(req);
  ASSERT_TRUE(w.ok()) << w.status().to_string();
  const ArchRun run{c.arch, {}, {}};
  Result<PlanReport> plans = plan_workload(*w, run);
  ASSERT_TRUE(plans.ok()) << plans.status().to_string();
  Result<SimReport> sim = run_sim(*w, run);
  ASSERT_TRUE(sim.ok()) << sim.status().to_string();
  // A layer the architecture cannot run is listed with its reason in the plans, and recorded
  // with the same reason (and no numbers) by the simulation.
  ASSERT_EQ(plans->layers.size() + plans->unsupported.size(), w->layers.size());
  ASSERT_EQ(sim->result.layers.size(), w->layers.size());
  const bool tiled_driver = c.arch != "sieve";  // Sieve runs its own cells (perf.h)
  size_t next_plan = 0, next_unsupported = 0;
  for (size_t i = 0; i < w->layers.size(); ++i) {
    const LayerStats& s = sim->result.layers[i];
    if (!s.unsupported.empty()) {
      ASSERT_LT(next_unsupported, plans->unsupported.size()) << s.name;
      EXPECT_EQ(plans->unsupported[next_unsupported].first, s.name);
      EXPECT_EQ(plans->unsupported[next_unsupported].second, s.unsupported);
      EXPECT_EQ(s.cycles, 0) << s.name;
      ++next_unsupported;
      continue;
    }
    ASSERT_LT(next_plan, plans->layers.size()) << s.name;
    const compiler::LayerPlan& p = plans->layers[next_plan++];
    SCOPED_TRACE(c.arch + " " + c.benchmark + " " + p.layer);
    EXPECT_EQ(p.layer, s.name);
    EXPECT_EQ(s.tiling, p.tiled ? p.choice.tiling.to_string() : "");
    EXPECT_EQ(s.reuse, p.tiled ? compiler::reuse_name(p.choice.reuse) : "");
    if (tiled_driver && p.tiled) {
      EXPECT_EQ(s.tiles, static_cast<int64_t>(p.sub_ops.size()) * p.lowered.repeat);
    }
    if (p.tiled) {
      // Every sub-op's segments fit the buffers the plan was made for.
      for (const compiler::BufferUse& u : p.placement)
        EXPECT_TRUE(u.fits()) << compiler::buffer_name(u.buffer) << " " << u.bytes << " > "
                              << u.capacity;
    }
  }
}

INSTANTIATE_TEST_SUITE_P(EveryArchEveryThesisBenchmark, PlanAgreement, testing::ValuesIn(cases()),
                         [](const testing::TestParamInfo<Case>& i) {
                           std::string n = i.param.arch + "_" + i.param.benchmark;
                           for (char& ch : n)
                             if (ch == '-') ch = '_';
                           return n;
                         });

TEST(PlanCli, TileAndSimulateEmitPlanPrintTheSameBytes) {
  for (const ArchInfo& a : archs()) {
    const std::string args = "--model thesis:lenet5 --arch " + a.name + " --json --sub-ops";
    const sieve_test::CliRun tile = sieve_test::run_sieve("tile " + args);
    const sieve_test::CliRun sim = sieve_test::run_sieve("simulate --emit plan " + args);
    ASSERT_EQ(tile.rc, 0) << tile.out;
    ASSERT_EQ(sim.rc, 0) << sim.out;
    EXPECT_EQ(tile.stdout_only, sim.stdout_only) << a.name;
    EXPECT_NE(tile.stdout_only.find("\"sub_ops\""), std::string::npos);
  }
}

TEST(PlanCli, BadEmitAndLayerAreRefused) {
  sieve_test::CliRun r = sieve_test::run_sieve("simulate --model thesis:lenet5 --emit plans");
  EXPECT_EQ(r.rc, 1);
  EXPECT_NE(r.stderr_only.find("--emit \"plans\": expected stats or plan"), std::string::npos)
      << r.out;
  r = sieve_test::run_sieve("simulate --model thesis:lenet5 --layer conv1");
  EXPECT_EQ(r.rc, 1);
  EXPECT_NE(r.stderr_only.find("--layer needs --emit plan"), std::string::npos) << r.out;
  r = sieve_test::run_sieve("tile --model thesis:lenet5 --layer nope");
  EXPECT_EQ(r.rc, 1);
  EXPECT_NE(r.stderr_only.find("has no layer \"nope\"; layers: conv1"), std::string::npos) << r.out;
  r = sieve_test::run_sieve("tile --model thesis:lenet5 --arch diannao --mode sparse");
  EXPECT_EQ(r.rc, 1);
  EXPECT_NE(r.stderr_only.find("unknown mode \"sparse\""), std::string::npos) << r.out;
}

class PresetCli : public sieve_test::ScratchDirTest {};

// A preset without `energy:` is refused with exit 1, naming the file; so is an unknown table.
TEST_F(PresetCli, APresetWithoutAnEnergyTableIsRefused) {
  const std::string src = config_dir() + "/archs/diannao-65nm.yaml";
  std::ifstream in(src);
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  const std::string key = "energy: diannao-65nm\n";
  ASSERT_NE(text.find(key), std::string::npos);
  const std::filesystem::path no_energy = dir_ / "no-energy.yaml";
  std::ofstream(no_energy) << std::string(text).erase(text.find(key), key.size());
  sieve_test::CliRun r =
      sieve_test::run_sieve("simulate --model thesis:lenet5 --arch " + no_energy.string());
  EXPECT_EQ(r.rc, 1);
  EXPECT_NE(r.stderr_only.find("no-energy.yaml: arch diannao has no \"energy\" key"),
            std::string::npos)
      << r.out;
  const std::filesystem::path unknown = dir_ / "unknown-energy.yaml";
  std::string t2 = text;
  t2.replace(t2.find(key), key.size(), "energy: no-such-table\n");
  std::ofstream(unknown) << t2;
  r = sieve_test::run_sieve("simulate --model thesis:lenet5 --arch " + unknown.string());
  EXPECT_EQ(r.rc, 1);
  EXPECT_NE(r.stderr_only.find("unknown-energy.yaml: energy: no-such-table"), std::string::npos)
      << r.out;
}

}  // namespace
}  // namespace sieve::hw
