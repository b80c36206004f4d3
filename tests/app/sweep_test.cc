// sieve sweep (src/sieve/app/sweep.h, tools/sieve/cmd_sweep.cc): the spec is validated whole
// before any point runs (each refusal checked for its exit code and message), ranges and
// sampling draw the documented points, the Pareto column marks the non-dominated points, the
// output does not depend on --jobs, and a sweep killed by SIGKILL mid-run and resumed writes the
// same bytes as one never interrupted.
#include "sieve/app/sweep.h"
#include "sieve/hw/sim/inputs.h"
#include "sieve/hw/sim/run.h"

#include <fcntl.h>
#include <fmt/format.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <regex>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "cli_util.h"

extern char** environ;

namespace {

namespace fs = std::filesystem;
using sieve::app::parse_sweep_spec;
using sieve::app::SweepOptions;
using sieve::app::SweepPlan;

const std::string kSmall = std::string(SIEVE_TEST_DATA_DIR) + "/sweep/small.yaml";

SweepPlan parse_ok(const std::string& text, const SweepOptions& o = {}) {
  sieve::Result<SweepPlan> p = parse_sweep_spec(text, "s.yaml", o);
  EXPECT_TRUE(p.ok()) << p.status().to_string();
  return p.ok() ? *p : SweepPlan();
}

std::string parse_error(const std::string& text, const SweepOptions& o = {}) {
  sieve::Result<SweepPlan> p = parse_sweep_spec(text, "s.yaml", o);
  EXPECT_FALSE(p.ok()) << text;
  return p.ok() ? "" : p.status().message();
}

TEST(SweepSpec, RefusesBadInputNamingFileKeyAndValidOnes) {
  const std::string m = "  model: thesis:lenet5\n";
  EXPECT_EQ(parse_error("axes:\n" + m + "metrix: [cycles]\n"),
            "s.yaml: unknown key \"metrix\"; valid keys: axes, sampling, metrics, recipe, data, "
            "data_dir, limit, validation");
  EXPECT_EQ(parse_error("axes:\n" + m + "  archs: [sieve]\n"),
            "s.yaml: axes.archs: unknown axis \"archs\"; valid axes: arch, param.<key>, model, "
            "mode, batch, seed, input_density, set.<key>");
  EXPECT_EQ(parse_error("axes:\n" + m + "  param.sb_bytes: []\n"),
            "s.yaml: axes.param.sb_bytes: empty list: give at least one value");
  EXPECT_EQ(parse_error("axes:\n" + m + "  param.sb_bytes: {from: 10, to: 1, step: 1}\n"),
            "s.yaml: axes.param.sb_bytes: empty range: from 10 to 1 by step 1");
  EXPECT_EQ(parse_error("axes:\n" + m + "  param.sb_bytes: {from: 1, to: 9, step: 1, cnt: 2}\n"),
            "s.yaml: axes.param.sb_bytes.cnt: unknown key \"cnt\"; valid keys: from, to, step, "
            "count, scale");
  const std::string unknown_param = parse_error("axes:\n" + m + "  param.sbytes: [1]\n");
  EXPECT_NE(unknown_param.find("s.yaml: axes.param.sbytes: arch \"sieve\" (preset "),
            std::string::npos)
      << unknown_param;
  EXPECT_NE(unknown_param.find("has no parameter \"sbytes\"; its parameters: tn, tm,"),
            std::string::npos)
      << unknown_param;
  EXPECT_NE(
      parse_error("axes:\n" + m + "  mode: [sprase]\n")
          .find("s.yaml: axes.mode: arch \"sieve\" has no mode \"sprase\"; its modes: sparse"),
      std::string::npos);
  EXPECT_NE(parse_error("axes:\n" + m + "  arch: [seive]\n").find("unknown arch \"seive\""),
            std::string::npos);
  EXPECT_NE(parse_error("axes:\n  model: [no-such-net]\n")
                .find("axes.model: \"no-such-net\" is no zoo model"),
            std::string::npos);
  EXPECT_NE(parse_error("axes:\n" + m + "metrics: [cycles, \"layers[0].cylces\"]\n")
                .find("s.yaml: metrics[1]: \"layers[0].cylces\" is no metric (cycles, time_ns"),
            std::string::npos);
  EXPECT_NE(
      parse_error("axes:\n" + m + "metrics: [total]\n").find("total is an object, not a value"),
      std::string::npos);
  EXPECT_EQ(parse_error("axes:\n  param.sb_bytes: [1]\n"),
            "s.yaml: axes: no model axis: name at least one model (zoo name, thesis:<name>, "
            ".sieve or .onnx file)");
  EXPECT_EQ(parse_error("axes:\n" + m + "sampling: {method: random}\n"),
            "s.yaml: sampling.points: random sampling needs points");
  // A product over the limit asks for --max-points.
  SweepOptions small;
  small.max_points = 10;
  EXPECT_EQ(
      parse_error("axes:\n" + m + "  param.sb_bytes: {from: 1024, to: 2048, step: 1}\n", small),
      "s.yaml: the product of the axes has 1025 points, above the limit of 10; pass "
      "--max-points 1025 to run them all, or sample (sampling: {method: random, points: N})");
  SweepOptions twice;
  twice.pareto = {"time", "area", "area_mm2"};
  EXPECT_NE(parse_error("axes:\n" + m, twice).find("given twice"), std::string::npos);
}

TEST(SweepSpec, RangesListsAndProductOrder) {
  SweepPlan p = parse_ok(
      "axes:\n  model: thesis:lenet5\n"
      "  param.dram_load_bytes_per_cycle: {from: 8, to: 128, count: 5, scale: log}\n"
      "  param.sb_bytes: {from: 1024, to: 4096, step: 1024}\n"
      "  input_density: {from: 0.25, to: 1, count: 4}\n");
  ASSERT_EQ(p.axes().size(), 4u);
  EXPECT_EQ(nlohmann::json(p.axes()[1].values).dump(), "[8,16,32,64,128]");
  EXPECT_EQ(nlohmann::json(p.axes()[2].values).dump(), "[1024,2048,3072,4096]");
  EXPECT_EQ(nlohmann::json(p.axes()[3].values).dump(), "[0.25,0.5,0.75,1.0]");
  EXPECT_EQ(p.size(), 1 * 5 * 4 * 4);
  // The last axis varies fastest.
  EXPECT_EQ(p.point(0), (std::vector<int64_t>{0, 0, 0, 0}));
  EXPECT_EQ(p.point(1), (std::vector<int64_t>{0, 0, 0, 1}));
  EXPECT_EQ(p.point(4), (std::vector<int64_t>{0, 0, 1, 0}));
  EXPECT_EQ(p.point(79), (std::vector<int64_t>{0, 4, 3, 3}));
  EXPECT_EQ(p.columns(),
            (std::vector<std::string>{"point", "model", "param.dram_load_bytes_per_cycle",
                                      "param.sb_bytes", "input_density", "cycles", "time_ns",
                                      "energy_pj", "offchip_bytes", "error"}));
}

TEST(SweepSpec, RandomAndLatinHypercubeSampling) {
  const std::string axes =
      "axes:\n  model: thesis:lenet5\n  param.sb_bytes: {from: 1, to: 100, step: 1}\n"
      "  param.nbin_bytes: {from: 1, to: 100, step: 1}\n";
  SweepPlan r = parse_ok(axes + "sampling: {method: random, points: 50, seed: 3}\n");
  ASSERT_EQ(r.size(), 50);
  std::set<std::vector<int64_t>> seen;
  for (int64_t i = 0; i < r.size(); ++i) {
    EXPECT_TRUE(seen.insert(r.point(i)).second) << "point " << i << " drawn twice";
    if (i > 0) {
      EXPECT_LT(r.point(i - 1), r.point(i)) << "random points are in product order";
    }
  }
  EXPECT_EQ(parse_ok(axes + "sampling: {method: random, points: 50, seed: 3}\n").fingerprint(),
            r.fingerprint());
  EXPECT_NE(parse_ok(axes + "sampling: {method: random, points: 50, seed: 4}\n").fingerprint(),
            r.fingerprint());
  // 100 points over axes of 100 values: a Latin hypercube takes every value of each axis once.
  SweepPlan l = parse_ok(axes + "sampling: {method: latin-hypercube, points: 100, seed: 1}\n");
  ASSERT_EQ(l.size(), 100);
  for (size_t a = 1; a < 3; ++a) {
    std::set<int64_t> values;
    for (int64_t i = 0; i < l.size(); ++i) values.insert(l.point(i)[a]);
    EXPECT_EQ(values.size(), 100u) << "axis " << a;
  }
  EXPECT_NE(parse_error(axes + "sampling: {method: random, points: 20000}\n")
                .find("20000 distinct random points asked of a product of only 10000"),
            std::string::npos);
}

TEST(SweepOutput, ParetoMarksTheNonDominatedPoints) {
  SweepOptions o;
  o.pareto = {"time", "energy"};
  SweepPlan p = parse_ok(
      "axes:\n  model: thesis:lenet5\n  param.sb_bytes: [1, 2, 3, 4, 5]\n"
      "metrics: [time_ns, energy_pj]\n",
      o);
  // (time, energy): (1, 5) front, (2, 2) front, (2, 3) dominated by (2, 2), (3, 1) front,
  // point 4 failed.
  const std::vector<std::string> rows = {
      R"([0,"thesis:lenet5",1,1.0,5.0,""])", R"([1,"thesis:lenet5",2,2.0,2.0,""])",
      R"([2,"thesis:lenet5",3,2.0,3.0,""])", R"([3,"thesis:lenet5",4,3.0,1.0,""])",
      R"([4,"thesis:lenet5",5,null,null,"invalid argument: no"])"};
  EXPECT_EQ(sieve::app::sweep_output_text(p, rows, false),
            "point,model,param.sb_bytes,time_ns,energy_pj,error,pareto\n"
            "0,thesis:lenet5,1,1.0,5.0,,1\n"
            "1,thesis:lenet5,2,2.0,2.0,,1\n"
            "2,thesis:lenet5,3,2.0,3.0,,0\n"
            "3,thesis:lenet5,4,3.0,1.0,,1\n"
            "4,thesis:lenet5,5,,,invalid argument: no,\n");
}

// SimOptions::memo (what a sweep shares between the points of one workload) changes no number:
// simulations through one memo, in an order where later ones hit what earlier ones stored,
// print the same JSON as simulations without it.
TEST(SweepMemo, ChangesNoNumber) {
  for (const std::string model : {"thesis:lenet5", "thesis:cifar10-quick", "thesis:lstm"}) {
    sieve::hw::WorkloadRequest req;
    req.model = model;
    sieve::Result<sieve::hw::Workload> w = sieve::hw::make_workload(req);
    ASSERT_TRUE(w.ok()) << w.status().to_string();
    auto memo = std::make_shared<sieve::hw::SimMemo>();
    for (int round = 0; round < 2; ++round)
      for (const std::string mode : {"sparse", "dense", "neuron-sparse"})
        for (const std::string sb : {"8192", "32768"})
          for (const std::string dram : {"8", "64"}) {
            sieve::hw::ArchRun run{"sieve", {"sb_bytes=" + sb, "dram_load_bytes_per_cycle=" + dram},
                                   {}};
            run.options.mode = mode;
            sieve::Result<sieve::hw::SimReport> plain = sieve::hw::run_sim(*w, run);
            run.options.memo = memo;
            sieve::Result<sieve::hw::SimReport> memoised = sieve::hw::run_sim(*w, run);
            ASSERT_TRUE(plain.ok()) << plain.status().to_string();
            ASSERT_TRUE(memoised.ok()) << memoised.status().to_string();
            EXPECT_EQ(sieve::hw::report_json(*plain).dump(),
                      sieve::hw::report_json(*memoised).dump())
                << model << " " << mode << " sb " << sb << " dram " << dram;
          }
  }
}

class SweepCli : public sieve_test::ScratchDirTest {};

TEST_F(SweepCli, SameRowsAtAnyJobsAndFailingPointsRecorded) {
  const std::string a = (dir_ / "a.csv").string(), b = (dir_ / "b.csv").string();
  sieve_test::CliRun r1 = sieve_test::run_sieve("sweep " + kSmall + " --jobs 1 --out " + a);
  ASSERT_EQ(r1.rc, 0) << r1.out;
  EXPECT_NE(r1.stderr_only.find("sieve sweep: 24 points (0 from the checkpoint), 3 failed, "
                                "written to "),
            std::string::npos)
      << r1.out;
  sieve_test::CliRun r2 =
      sieve_test::run_sieve("sweep " + kSmall + " --jobs 3 --out " + b + " --checkpoint-every 2");
  ASSERT_EQ(r2.rc, 0) << r2.out;
  const std::string csv = sieve_test::slurp_file(a);
  EXPECT_EQ(csv, sieve_test::slurp_file(b));
  EXPECT_FALSE(fs::exists(a + ".checkpoint"));
  EXPECT_EQ(csv.rfind("point,model,param.dram_load_bytes_per_cycle,param.sb_bytes,mode,cycles,"
                      "time_ns,energy_pj,offchip_bytes,layers[0].cycles,error\n",
                      0),
            0u)
      << csv;
  EXPECT_EQ(std::count(csv.begin(), csv.end(), '\n'), 25);
  // A 64-byte weight buffer cannot hold a dense conv1 tile: the point's error, in its row (CSV
  // quoting the message's quotes); the sparse point beside it runs.
  EXPECT_NE(csv.find("\n1,thesis:lenet5,16,64,dense,,,,,,\"invalid argument: sieve: layer "
                     "\"\"conv1\"\": no tiling fits NBin 4096 B"),
            std::string::npos)
      << csv;
  EXPECT_NE(csv.find("\n0,thesis:lenet5,16,64,sparse,45517,"), std::string::npos) << csv;
  // stderr is a pipe here: the progress is a timestamped line (the final one, for a run this
  // short), and SIEVE_PROGRESS=0 or --no-progress drops it (core/progress.h).
  EXPECT_TRUE(std::regex_search(
      r1.stderr_only,
      std::regex(R"(\[ *[0-9]+\.[0-9]s\] sieve sweep: 24/24 points \(100\.0 %\), [0-9.e+]+/s, ETA 0 s\n)")))
      << r1.stderr_only;
  sieve_test::CliRun quiet =
      sieve_test::run_sieve("sweep " + kSmall + " --jobs 2", "SIEVE_PROGRESS=0");
  ASSERT_EQ(quiet.rc, 0) << quiet.out;
  EXPECT_EQ(quiet.stderr_only.find("24/24 points"), std::string::npos) << quiet.stderr_only;
  // Without --out: the same CSV on stdout.
  sieve_test::CliRun r3 = sieve_test::run_sieve("sweep " + kSmall + " --jobs 2");
  ASSERT_EQ(r3.rc, 0) << r3.out;
  EXPECT_EQ(r3.stdout_only, csv);
}

TEST_F(SweepCli, JsonOutputAndPareto) {
  const std::string out = (dir_ / "r.json").string();
  sieve_test::CliRun r =
      sieve_test::run_sieve("sweep " + kSmall + " --jobs 2 --pareto time,energy --out " + out);
  ASSERT_EQ(r.rc, 0) << r.out;
  const nlohmann::json j = nlohmann::json::parse(sieve_test::slurp_file(out));
  EXPECT_EQ(j["kind"], "sieve-sweep");
  EXPECT_EQ(j["complete"], true);
  ASSERT_EQ(j["rows"].size(), 24u);
  int front = 0;
  for (const nlohmann::json& row : j["rows"]) {
    if (!row["error"].get<std::string>().empty()) {
      EXPECT_TRUE(row["pareto"].is_null());
      continue;
    }
    if (row["pareto"].get<bool>()) ++front;
    EXPECT_GT(row["cycles"].get<int64_t>(), 0);
  }
  EXPECT_GE(front, 1);
}

TEST_F(SweepCli, RefusalsExitOneWithTheReason) {
  const std::string bad = (dir_ / "bad.yaml").string();
  std::ofstream(bad) << "axes:\n  model: thesis:lenet5\n  param.sbytes: [1]\n";
  sieve_test::CliRun r = sieve_test::run_sieve("sweep " + bad);
  EXPECT_EQ(r.rc, 1);
  EXPECT_EQ(r.stdout_only, "");
  EXPECT_NE(r.stderr_only.find("sieve: error: invalid argument: " + bad +
                               ": axes.param.sbytes: arch \"sieve\""),
            std::string::npos)
      << r.out;
  r = sieve_test::run_sieve("sweep " + kSmall + " --max-points 10");
  EXPECT_EQ(r.rc, 1);
  EXPECT_NE(r.stderr_only.find("has 24 points, above the limit of 10; pass --max-points 24"),
            std::string::npos)
      << r.out;
  r = sieve_test::run_sieve("sweep " + kSmall + " --out " + (dir_ / "x.txt").string());
  EXPECT_EQ(r.rc, 1);
  EXPECT_NE(r.stderr_only.find("expected a .csv or .json file"), std::string::npos) << r.out;
  r = sieve_test::run_sieve("sweep " + kSmall + " --pareto time,volume");
  EXPECT_EQ(r.rc, 1);
  EXPECT_NE(r.stderr_only.find("--pareto volume: expected time, energy"), std::string::npos)
      << r.out;
  // A checkpoint left by an interrupted sweep is neither overwritten nor silently resumed.
  const std::string out = (dir_ / "o.csv").string();
  std::ofstream(out + ".checkpoint") << "{}\n";
  r = sieve_test::run_sieve("sweep " + kSmall + " --out " + out);
  EXPECT_EQ(r.rc, 1);
  EXPECT_NE(r.stderr_only.find("holds the rows of an interrupted sweep: pass --resume"),
            std::string::npos)
      << r.out;
  r = sieve_test::run_sieve("sweep " + kSmall + " --out " + out + " --resume");
  EXPECT_EQ(r.rc, 1);
  EXPECT_NE(r.stderr_only.find("not a sieve sweep checkpoint"), std::string::npos) << r.out;
}

// A compression sweep (a spec with a recipe): each row is what `sieve compress --set ...` gives
// for that point, on the 64-image fixture; and its own refusals.
TEST_F(SweepCli, CompressionSweepRowsEqualSieveCompress) {
  const std::string spec = (dir_ / "c.yaml").string();
  std::ofstream(spec) << "recipe: " << SIEVE_SOURCE_DIR
                      << "/recipes/cambricon-s/lenet-300-100.yaml\n"
                         "validation: 16\n"
                         "axes:\n  model: lenet-300-100\n"
                         "  set.prune.fc.sparsity: [0.5, 0.9]\n  set.quant.fc.bits: [3, 5]\n"
                         "metrics: [accuracy, accuracy_val, ratio_c, file_ratio, "
                         "\"layers[ip1].density\"]\n";
  const std::string env = "SIEVE_FASHION_MNIST_DIR=" + sieve_test::kTinyFashionMnistDir +
                          " SIEVE_CACHE_DIR=" + (dir_ / "cache").string() + " SIEVE_PROGRESS=0";
  const std::string out = (dir_ / "c.json").string();
  sieve_test::CliRun r = sieve_test::run_sieve("sweep " + spec + " --jobs 2 --out " + out, env);
  ASSERT_EQ(r.rc, 0) << r.out;
  const nlohmann::json j = nlohmann::json::parse(sieve_test::slurp_file(out));
  ASSERT_EQ(j["rows"].size(), 4u);
  for (const nlohmann::json& row : j["rows"]) EXPECT_EQ(row["error"], "") << row.dump();
  // Sparser and narrower codes compress more; the FC density follows the sparsity axis.
  const nlohmann::json& rows = j["rows"];
  EXPECT_GT(rows[2]["ratio_c"].get<double>(), rows[0]["ratio_c"].get<double>());
  EXPECT_GT(rows[0]["ratio_c"].get<double>(), rows[1]["ratio_c"].get<double>());
  EXPECT_NEAR(rows[0]["layers[ip1].density"].get<double>(), 0.5, 0.01);
  EXPECT_NEAR(rows[3]["layers[ip1].density"].get<double>(), 0.1, 0.01);
  // An independent run of the command the point stands for.
  for (int p : {0, 3}) {
    SCOPED_TRACE(p);
    sieve_test::CliRun c = sieve_test::run_sieve(
        "compress --model lenet-300-100 --validation 16 --recipe " + std::string(SIEVE_SOURCE_DIR) +
            "/recipes/cambricon-s/lenet-300-100.yaml --json --set prune.fc.sparsity=" +
            rows[p]["set.prune.fc.sparsity"].dump() +
            " --set quant.fc.bits=" + rows[p]["set.quant.fc.bits"].dump(),
        env);
    ASSERT_EQ(c.rc, 0) << c.out;
    const nlohmann::json cj = nlohmann::json::parse(c.stdout_only);
    for (const char* k : {"accuracy", "accuracy_val", "ratio_c", "file_ratio"})
      EXPECT_EQ(rows[p][k], cj[k]) << k;
  }

  // Refusals, each naming the file and the key.
  struct Bad {
    std::string yaml, message;
  };
  const std::string recipe =
      "recipe: " + std::string(SIEVE_SOURCE_DIR) + "/recipes/cambricon-s/lenet-300-100.yaml\n";
  const std::vector<Bad> bad = {
      {recipe + "axes:\n  model: lenet-300-100\n  set.prune.fc.sparsty: [0.5]\n",
       "axes.set.prune.fc.sparsty: "},
      {recipe + "axes:\n  model: lenet-300-100\n  arch: [sieve]\n",
       "axes.arch: a compression sweep (a spec with a recipe) has no axis \"arch\""},
      {recipe + "axes:\n  model: thesis:vgg16\n",
       "axes.model: \"thesis:vgg16\": a compression sweep takes zoo models"},
      {recipe + "axes:\n  model: lenet-300-100\nmetrics: [cycles]\n",
       "metrics[0]: \"cycles\" is no path in `sieve compress --json` output"},
      {"axes:\n  model: thesis:lenet5\n  set.quant.fc.bits: [3]\n",
       "axes.set.quant.fc.bits: recipe keys are axes of a compression sweep"},
      {"validation: 5\naxes:\n  model: thesis:lenet5\n",
       "validation: only a compression sweep (a spec with a recipe: key) takes validation"},
  };
  for (const Bad& b : bad) {
    SCOPED_TRACE(b.yaml);
    std::ofstream(spec) << b.yaml;
    sieve_test::CliRun e = sieve_test::run_sieve("sweep " + spec);
    EXPECT_EQ(e.rc, 1) << e.out;
    EXPECT_NE(e.stderr_only.find(spec + ": " + b.message), std::string::npos) << e.out;
  }
  std::ofstream(spec) << recipe << "axes:\n  model: lenet-300-100\n";
  sieve_test::CliRun pareto = sieve_test::run_sieve("sweep " + spec + " --pareto time,energy");
  EXPECT_EQ(pareto.rc, 1) << pareto.out;
  EXPECT_NE(pareto.stderr_only.find("is a compression sweep"), std::string::npos) << pareto.out;
}

// Starts sieve with extra environment; stdout and stderr to files under `base`.
pid_t spawn_sieve(const std::vector<std::string>& args, const std::string& env_extra,
                  const std::string& base) {
  std::vector<std::string> argv_s = {SIEVE_BINARY};
  argv_s.insert(argv_s.end(), args.begin(), args.end());
  std::vector<char*> argv;
  for (std::string& s : argv_s) argv.push_back(s.data());
  argv.push_back(nullptr);
  std::vector<std::string> env_s;
  for (char** e = environ; *e != nullptr; ++e) env_s.emplace_back(*e);
  env_s.push_back(env_extra);
  std::vector<char*> envp;
  for (std::string& s : env_s) envp.push_back(s.data());
  envp.push_back(nullptr);
  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init(&fa);
  posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
  const std::string out = base + ".out", err = base + ".err";
  posix_spawn_file_actions_addopen(&fa, 1, out.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
  posix_spawn_file_actions_addopen(&fa, 2, err.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
  pid_t pid = -1;
  if (posix_spawn(&pid, argv[0], &fa, nullptr, argv.data(), envp.data()) != 0) pid = -1;
  posix_spawn_file_actions_destroy(&fa);
  return pid;
}

TEST_F(SweepCli, KilledMidRunThenResumedGivesTheSameBytes) {
  const std::string ref = (dir_ / "ref.json").string(), out = (dir_ / "out.json").string();
  sieve_test::CliRun r = sieve_test::run_sieve("sweep " + kSmall + " --jobs 2 --out " + ref);
  ASSERT_EQ(r.rc, 0) << r.out;
  // Slow points (the test hook), a checkpoint every 3 of them; SIGKILL once the second
  // checkpoint is on disk (the first names fewer than 6 rows).
  const pid_t pid = spawn_sieve(
      {"sweep", kSmall, "--jobs", "2", "--checkpoint-every", "3", "--out", out},
      std::string(sieve::app::kSweepPointPauseEnv) + "=150", (dir_ / "killed").string());
  ASSERT_GT(pid, 0);
  const std::string ck = out + ".checkpoint";
  auto rows_in_checkpoint = [&] {
    const std::string t = sieve_test::slurp_file(ck);
    return t.empty() ? 0L : static_cast<long>(std::count(t.begin(), t.end(), '\n')) - 1;
  };
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
  while (rows_in_checkpoint() < 6 && std::chrono::steady_clock::now() < deadline) {
    int status = 0;
    ASSERT_EQ(waitpid(pid, &status, WNOHANG), 0) << "the sweep ended before it was killed";
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  ASSERT_EQ(kill(pid, SIGKILL), 0);
  int status = 0;
  ASSERT_EQ(waitpid(pid, &status, 0), pid);
  ASSERT_TRUE(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);
  const long kept = rows_in_checkpoint();
  ASSERT_GE(kept, 6);
  ASSERT_LT(kept, 24) << "killed too late to test a resume";
  // The partial output holds the finished rows up to the first missing one, and is valid JSON.
  const nlohmann::json partial = nlohmann::json::parse(sieve_test::slurp_file(out));
  EXPECT_EQ(partial["complete"], false);
  EXPECT_LE(partial["rows"].size(), static_cast<size_t>(kept));

  r = sieve_test::run_sieve("sweep " + kSmall + " --jobs 2 --resume --out " + out);
  ASSERT_EQ(r.rc, 0) << r.out;
  EXPECT_NE(r.stderr_only.find(fmt::format("24 points ({} from the checkpoint)", kept)),
            std::string::npos)
      << r.out;
  EXPECT_EQ(sieve_test::slurp_file(out), sieve_test::slurp_file(ref));
  EXPECT_FALSE(fs::exists(ck));
}

}  // namespace
