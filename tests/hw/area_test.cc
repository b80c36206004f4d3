// The area and power model (hw/area): Table 5.1 at the default Sieve preset (within 1 %, a
// formula check by construction), monotone scaling with a buffer's size, the SRAM model's own
// trends, the valid range and the extrapolation warning, the energy prices following a changed
// configuration, bad configs and the CLI's exit codes.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <string>

#include "cli_util.h"
#include "sieve/hw/area/area.h"
#include "sieve/hw/area/expr.h"
#include "sieve/hw/area/sram.h"
#include "sieve/hw/core/arch.h"
#include "sieve/hw/energy/energy.h"
#include "sieve/hw/sim/run.h"
#include "sieve/hw/workloads/thesis.h"

namespace sieve::hw::area {
namespace {

Result<AreaReport> report(const std::string& arch, const std::vector<std::string>& ov = {}) {
  SIEVE_ASSIGN_OR_RETURN(std::unique_ptr<Accelerator> acc, make_accelerator(arch, ov));
  return area_report(acc->params());
}

TEST(AreaModel, TheDefaultSievePresetIsTable51) {
  Result<AreaReport> r = report("sieve");
  ASSERT_TRUE(r.ok()) << r.status().message();
  struct Row {
    const char* name;
    double area, power;
  };
  // thesis Table 5.1 (area mm², power mW).
  for (const Row& row : {Row{"NBin", 0.55, 93.32}, Row{"NBout", 0.55, 93.32}, Row{"SIB", 0.05, 6.89},
                         Row{"NIB", 0.05, 6.89}, Row{"CP", 0.16, 75.06}, Row{"NSM", 0.69, 121.46},
                         Row{"Encoder", 0.04, 15.75}, Row{"SB", 1.05, 151.91},
                         Row{"SSM", 0.25, 56.80}, Row{"WDM", 1.54, 16.25},
                         Row{"PEFU", 1.89, 183.54}}) {
    const ModuleArea* m = r->module(row.name);
    ASSERT_NE(m, nullptr) << row.name;
    EXPECT_NEAR(m->area_mm2, row.area, 0.01 * row.area) << row.name;
    EXPECT_NEAR(m->power_mw, row.power, 0.01 * row.power) << row.name;
  }
  EXPECT_NEAR(r->area_mm2, 6.82, 0.0682);
  EXPECT_NEAR(r->power_mw, 821.19, 8.2119);
  // §5.3.1: the sparse modules (NSM, SSM, WDM, Encoder) 2.52 mm², 210.26 mW; NSM + SSM
  // 0.94 mm², 178.26 mW.
  EXPECT_NEAR(r->area_of("sparse"), 2.52, 0.0252);
  EXPECT_NEAR(r->power_of("sparse"), 210.26, 2.1026);
  EXPECT_TRUE(r->warnings.empty());
}

TEST(AreaModel, ABiggerBufferIsBiggerAndCostsMorePerAccess) {
  double last_area = 0, last_power = 0;
  for (int64_t kb : {2, 4, 8, 16, 32, 64}) {
    Result<AreaReport> r = report("sieve", {"nbin_bytes=" + std::to_string(kb * 1024)});
    ASSERT_TRUE(r.ok()) << r.status().message();
    const ModuleArea* nbin = r->module("NBin");
    EXPECT_GT(nbin->area_mm2, last_area) << kb;
    EXPECT_GE(nbin->power_mw, last_power) << kb;
    last_area = nbin->area_mm2;
    last_power = nbin->power_mw;
    // Nothing else moves.
    EXPECT_DOUBLE_EQ(r->module("SB")->area_mm2, 1.05);
  }
  // Twice the PEs: the multipliers, the weight decoders and the per-PE selectors double.
  Result<AreaReport> r = report("sieve", {"tn=32"});
  ASSERT_TRUE(r.ok());
  EXPECT_NEAR(r->module("PEFU")->area_mm2, 3.78, 1e-9);
  EXPECT_NEAR(r->module("SSM")->area_mm2, 0.50, 1e-9);
  EXPECT_NEAR(r->module("NSM")->area_mm2, 0.69, 1e-9);  // shared: sized by its window
}

TEST(AreaSram, TheAnalyticalModelGrowsWithCapacityWidthAndPorts) {
  const SramTech t;
  auto est = [&t](int64_t bytes, int64_t width, int64_t banks = 1, int64_t ports = 1) {
    Result<SramEstimate> e = estimate_sram(t, {bytes, width, banks, ports}, "test");
    EXPECT_TRUE(e.ok()) << e.status().message();
    return e.ok() ? *e : SramEstimate{};
  };
  EXPECT_LT(est(4096, 256).area_mm2, est(8192, 256).area_mm2);
  EXPECT_LT(est(8192, 256).area_mm2, est(65536, 256).area_mm2);
  EXPECT_LT(est(8192, 128).access_pj, est(8192, 1024).access_pj);  // wider word, more energy
  EXPECT_LT(est(8192, 256).area_mm2, est(8192, 256, 1, 2).area_mm2);
  EXPECT_LT(est(8192, 256).access_pj, est(65536, 256).access_pj);  // longer wires
  // The chosen organisation respects the subarray limits.
  const SramEstimate big = est(1 << 20, 512);
  EXPECT_LE(big.rows, t.max_rows);
  EXPECT_LE(big.cols, t.max_cols);
}

TEST(AreaSram, OutOfRangeShapesAreRefusedWithTheRange) {
  const SramTech t;
  Result<SramEstimate> e = estimate_sram(t, {int64_t{1} << 30, 256, 1, 1}, "NBin");
  ASSERT_FALSE(e.ok());
  EXPECT_NE(e.status().message().find("NBin: capacity = 1073741824 bytes is outside the SRAM "
                                      "model's valid range [64, 16777216] bytes"),
            std::string::npos)
      << e.status().message();
  e = estimate_sram(t, {8192, 16384, 1, 1}, "SB");
  ASSERT_FALSE(e.ok());
  EXPECT_NE(e.status().message().find("width = 16384 bits"), std::string::npos);
  e = estimate_sram(t, {8192, 256, 1, 3}, "SB");
  ASSERT_FALSE(e.ok());
  EXPECT_NE(e.status().message().find("ports = 3"), std::string::npos);
}

TEST(AreaModel, LogicScaledFarFromItsReferenceWarns) {
  Result<AreaReport> r = report("sieve", {"tn=128"});
  ASSERT_TRUE(r.ok()) << r.status().message();
  bool pefu = false;
  for (const std::string& w : r->warnings) pefu |= w.starts_with("PEFU: logic scaled ×8");
  EXPECT_TRUE(pefu) << (r->warnings.empty() ? "no warning" : r->warnings[0]);
}

TEST(AreaModel, EnergyPricesFollowTheConfiguration) {
  Result<std::unique_ptr<Accelerator>> base = make_accelerator("sieve", {});
  Result<std::unique_ptr<Accelerator>> wide = make_accelerator("sieve", {"tn=32", "sb_bytes=65536"});
  ASSERT_TRUE(base.ok() && wide.ok());
  Result<ParamSet> raw = energy_table_for((*base)->params());
  ASSERT_TRUE(raw.ok()) << raw.status().message();
  Result<ParamSet> t0 = priced_for_configuration(*raw, (*base)->params());
  Result<ParamSet> t1 = priced_for_configuration(*raw, (*wide)->params());
  ASSERT_TRUE(t0.ok() && t1.ok()) << t1.status().message();
  auto price = [](const ParamSet& t, const char* k) { return t.find(k)->value; };
  // The default preset is priced as tabled (Table 5.1 power / 1 GHz).
  EXPECT_DOUBLE_EQ(price(*t0, "pefu_cycle"), 183.54);
  EXPECT_DOUBLE_EQ(price(*t0, "nbin_read"), 93.32);
  // Twice the PEs, each with the same 2 KB SB bank: a PEFU cycle and an SB access (every PE's
  // line) cost twice; NBin the same.
  EXPECT_NEAR(price(*t1, "pefu_cycle"), 2 * 183.54, 1e-9);
  EXPECT_NEAR(price(*t1, "sb_read"), 2 * 151.91, 1e-6);
  EXPECT_DOUBLE_EQ(price(*t1, "nbin_read"), 93.32);
  EXPECT_NE(t1->find("pefu_cycle")->source.find("by the area model"), std::string::npos);
  // The same PEs sharing the 32 KB: shallower banks, cheaper accesses, so less than twice.
  Result<std::unique_ptr<Accelerator>> shared = make_accelerator("sieve", {"tn=32"});
  ASSERT_TRUE(shared.ok());
  Result<ParamSet> t2 = priced_for_configuration(*raw, (*shared)->params());
  ASSERT_TRUE(t2.ok());
  EXPECT_LT(price(*t2, "sb_read"), 2 * 151.91);
  EXPECT_GT(price(*t2, "sb_read"), 151.91);
}

TEST(AreaModel, ASimulationIsPricedForItsConfiguration) {
  // run_sim applies the overrides' prices: a PEFU cycle of a 32-PE Sieve costs twice.
  Result<Workload> w = thesis_workload("lenet5", 1, 1);
  ASSERT_TRUE(w.ok()) << w.status().message();
  for (const char* tn : {"tn=16", "tn=32"}) {
    Result<SimReport> r = run_sim(*w, ArchRun{"sieve", {tn}, {}});
    ASSERT_TRUE(r.ok()) << r.status().message();
    const double cycles = static_cast<double>(r->result.total().actions.at("pefu_cycle"));
    const double per = std::string(tn) == "tn=32" ? 2 * 183.54 : 183.54;
    EXPECT_NEAR(r->energy.pj.at("pefu_cycle"), cycles * per, 1e-6 * cycles * per) << tn;
  }
}

TEST(AreaModel, RivalsFromTheSameModulesAgainstTheirPublishedTotals) {
  for (const char* arch : {"diannao", "cambricon-x"}) {
    Result<AreaReport> r = report(arch);
    ASSERT_TRUE(r.ok()) << arch << ": " << r.status().message();
    EXPECT_GT(r->published_area_mm2, 0) << arch;
    // Independent estimates: within a factor of two of the published chips, never equal by
    // construction.
    EXPECT_GT(r->area_mm2, 0.5 * r->published_area_mm2) << arch;
    EXPECT_LT(r->area_mm2, 2.0 * r->published_area_mm2) << arch;
  }
  // A design without an area model says which file it looked for.
  Result<AreaReport> none = report("eie");
  ASSERT_FALSE(none.ok());
  EXPECT_NE(none.status().message().find("area/eie-45nm.yaml does not exist"), std::string::npos)
      << none.status().message();
}

TEST(AreaConfig, BadConfigsNameTheFileTheModuleAndTheField) {
  const std::filesystem::path dir = std::filesystem::temp_directory_path() / "sieve_area_test";
  std::filesystem::create_directories(dir);
  Result<std::unique_ptr<Accelerator>> acc = make_accelerator("sieve", {});
  ASSERT_TRUE(acc.ok());
  auto check = [&](const std::string& body, const std::string& want) {
    const std::string path = (dir / "bad.yaml").string();
    std::ofstream(path) << "arch: sieve\ntech: tech-65nm\nmodules:\n" << body;
    Result<AreaReport> r = area_report_from(path, (*acc)->params());
    ASSERT_FALSE(r.ok()) << body;
    EXPECT_NE(r.status().message().find(want), std::string::npos) << r.status().message();
  };
  check("  - {name: X, kind: logic, scale: tn, colour: red, reference: {area_mm2: 1, power_mw: 1, "
        "freq_ghz: 1, scale: 16, source: s}}\n",
        "modules[0]: unknown key \"colour\"");
  check("  - {name: X, kind: flipflop, scale: tn, reference: {area_mm2: 1, power_mw: 1, "
        "freq_ghz: 1, scale: 16, source: s}}\n",
        "module X.kind: \"flipflop\" is not sram or logic");
  check("  - {name: X, kind: logic, scale: \"tn*nope\", reference: {area_mm2: 1, power_mw: 1, "
        "freq_ghz: 1, scale: 16, source: s}}\n",
        "unknown parameter \"nope\"");
  check("  - {name: X, kind: logic, scale: tn, reference: {area_mm2: 1, power_mw: 1, freq_ghz: 1, "
        "scale: 16}}\n",
        "a reference needs a source");
  check("  - {name: X, kind: sram, capacity: nbin_bytes, width: 256, reference: {area_mm2: 1, "
        "power_mw: 1, freq_ghz: 1, source: s}}\n",
        "an SRAM reference needs capacity and width");
  std::filesystem::remove_all(dir);
}

TEST(AreaExpr, ArithmeticOverPresetParams) {
  ParamSet ps;
  ps.file = "p.yaml";
  ps.params = {{"tn", 16, "s", false}, {"tm", 8, "s", false}};
  EXPECT_DOUBLE_EQ(*eval_expr("16*tm*tn", ps, "w"), 2048);
  EXPECT_DOUBLE_EQ(*eval_expr("tn + tm * 2", ps, "w"), 32);
  EXPECT_DOUBLE_EQ(*eval_expr("(tn + tm) * 2", ps, "w"), 48);
  EXPECT_DOUBLE_EQ(*eval_expr("tn / 4 - 1", ps, "w"), 3);
  EXPECT_FALSE(eval_expr("tn /(tm-8)", ps, "w").ok());
  EXPECT_FALSE(eval_expr("tn +", ps, "w").ok());
  EXPECT_FALSE(eval_expr("(tn", ps, "w").ok());
  Result<double> bad = eval_expr("tq*2", ps, "where");
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.status().message().find("unknown parameter \"tq\" (the preset p.yaml has: tn, tm)"),
            std::string::npos)
      << bad.status().message();
}

TEST(AreaCli, PrintsTheModulesAndRefusesOutOfRangeSrams) {
  const sieve_test::CliRun ok = sieve_test::run_sieve("area --arch sieve --json");
  EXPECT_EQ(ok.rc, 0) << ok.out;
  EXPECT_NE(ok.stdout_only.find("\"name\": \"NSM\""), std::string::npos);
  const sieve_test::CliRun bad = sieve_test::run_sieve("area -p nbin_bytes=1073741824");
  EXPECT_EQ(bad.rc, 1) << bad.out;
  EXPECT_NE(bad.stderr_only.find("capacity = 1073741824 bytes is outside the SRAM model's valid "
                                 "range"),
            std::string::npos)
      << bad.out;
  const sieve_test::CliRun warn = sieve_test::run_sieve("area -p tn=128");
  EXPECT_EQ(warn.rc, 0) << warn.out;
  EXPECT_NE(warn.stderr_only.find("sieve: warning: PEFU: logic scaled"), std::string::npos)
      << warn.out;
}

}  // namespace
}  // namespace sieve::hw::area
