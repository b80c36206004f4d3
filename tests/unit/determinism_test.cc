// Determinism: the same command run twice writes byte-identical .sieve, ONNX and outputs files
// and prints the same JSON, at --threads 1 and 2, except for the timing keys of
// sieve/core/timing_fields.h (stripped here at any depth; any other key ending in "seconds"
// fails the test, so that a new timing value must be listed there).
#include <gtest/gtest-spi.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "cli_util.h"
#include "sieve/core/timing_fields.h"

namespace {

namespace fs = std::filesystem;
using sieve_test::CliRun;
using sieve_test::run_sieve;
using sieve_test::slurp_file;

const std::string& kTiny = sieve_test::kTinyFashionMnistDir;

bool is_timing_key(const std::string& k) {
  for (std::string_view t : sieve::kTimingJsonKeys) {
    if (k == t) return true;
  }
  return false;
}

// `j` without its timing keys; an unlisted key that looks like a timing fails the test.
nlohmann::json strip_timing(const nlohmann::json& j) {
  if (j.is_array()) {
    nlohmann::json r = nlohmann::json::array();
    for (const auto& e : j) r.push_back(strip_timing(e));
    return r;
  }
  if (!j.is_object()) return j;
  nlohmann::json r = nlohmann::json::object();
  for (const auto& [k, v] : j.items()) {
    if (is_timing_key(k)) {
      EXPECT_TRUE(v.is_number()) << k;
      continue;
    }
    EXPECT_FALSE(k.ends_with("seconds") || k.ends_with("_ms") || k.ends_with("_s"))
        << "JSON key \"" << k << "\" looks like a timing: list it in sieve/core/timing_fields.h";
    r[k] = strip_timing(v);
  }
  return r;
}

nlohmann::json parse_json(const CliRun& r) {
  nlohmann::json j = nlohmann::json::parse(r.stdout_only, nullptr, /*allow_exceptions=*/false);
  EXPECT_FALSE(j.is_discarded()) << "stdout is not JSON:\n" << r.out;
  return j;
}

class Determinism : public sieve_test::ScratchDirTest {};

TEST(DeterminismKeys, TimingListIsStrippedAndUnlistedTimingsAreCaught) {
  const nlohmann::json j = {{"seconds", 1.5}, {"a", {{"train_seconds", 2.0}, {"b", 1}}}};
  EXPECT_EQ(strip_timing(j), (nlohmann::json{{"a", {{"b", 1}}}}));
  // A key that looks like a timing but is not listed is reported.
  testing::TestPartResultArray failures;
  {
    testing::ScopedFakeTestPartResultReporter reporter(
        testing::ScopedFakeTestPartResultReporter::INTERCEPT_ONLY_CURRENT_THREAD, &failures);
    (void)strip_timing(nlohmann::json{{"eval_seconds", 0.1}});
  }
  EXPECT_EQ(failures.size(), 1);
}

// Same seed and data: the trained ONNX file is the same bytes at 1 and 2 threads, and across
// repeated runs; so is the JSON summary, minus timings (and "threads", which echoes the flag).
TEST_F(Determinism, TrainWritesTheSameOnnxAtAnyThreadCount) {
  std::string onnx[3];
  nlohmann::json json[3];
  const char* threads[3] = {"1", "1", "2"};
  const std::string out = (dir_ / "m.onnx").string();
  for (int i = 0; i < 3; ++i) {
    CliRun r = run_sieve("train --model lenet5 --data-dir " + kTiny +
                         " --limit 64 --epochs 2 --batch 8 --seed 5 --threads " + threads[i] +
                         " --out " + out + " --json");
    ASSERT_EQ(r.rc, 0) << r.out;
    onnx[i] = slurp_file(out);
    ASSERT_FALSE(onnx[i].empty());
    json[i] = strip_timing(parse_json(r));
    EXPECT_EQ(json[i].at("threads"), std::stoi(threads[i]));
    json[i].erase("threads");
    fs::remove(out);
  }
  EXPECT_TRUE(onnx[0] == onnx[1]) << "two runs at --threads 1 wrote different ONNX files";
  EXPECT_TRUE(onnx[0] == onnx[2]) << "--threads 1 and --threads 2 wrote different ONNX files";
  EXPECT_EQ(json[0], json[1]);
  EXPECT_EQ(json[0], json[2]);
}

// Dense training, pruning with retraining, quantization with fine-tuning and coding: the
// .sieve file and the JSON report are the same at 1 and 2 threads, across runs, and whether the
// dense model was trained in the run or read from the cache that an earlier run wrote.
TEST_F(Determinism, CompressWritesTheSameSieveFileAndReport) {
  struct Run {
    const char* threads;
    bool cache;
  };
  const Run runs[] = {{"1", false}, {"1", false}, {"2", false}, {"1", true}, {"2", true}};
  std::vector<std::string> sieve;
  std::vector<nlohmann::json> json;
  const std::string out = (dir_ / "m.sieve").string();
  const fs::path cache = dir_ / "cache";
  for (const Run& run : runs) {
    CliRun r =
        run_sieve("compress --model lenet-300-100 --recipe " + std::string(SIEVE_SOURCE_DIR) +
                  "/recipes/cambricon-s/lenet-300-100.yaml --data-dir " + kTiny +
                  " --set retrain.steps=1 --set retrain.final_epochs=0 --validation 16" +
                  (run.cache ? "" : " --no-cache") + " --cache-dir " + cache.string() +
                  " --threads " + run.threads + " --out " + out + " --json");
    ASSERT_EQ(r.rc, 0) << r.out;
    EXPECT_EQ(fs::exists(cache), run.cache) << "--no-cache wrote a cache, or the cache is missing";
    sieve.push_back(slurp_file(out));
    ASSERT_FALSE(sieve.back().empty());
    json.push_back(strip_timing(parse_json(r)));
    fs::remove(out);
  }
  for (size_t i = 1; i < sieve.size(); ++i) {
    SCOPED_TRACE("run " + std::to_string(i) + ": --threads " + runs[i].threads +
                 (runs[i].cache ? ", cache" : ", no cache"));
    EXPECT_TRUE(sieve[0] == sieve[i]) << "a different .sieve file than run 0 (--threads 1)";
    EXPECT_EQ(json[0], json[i]);
  }
}

// The accelerator models: simulate (synthetic and real activations, with the functional model's
// outputs file), reproduce (simulations on 1 and 2 threads).
TEST_F(Determinism, SimulateAndReproduceRepeat) {
  const std::string dump = (dir_ / "f.out").string();
  const std::string sim_real =
      "simulate --arch sieve --model lenet5 --data fashion-mnist --data-dir " + kTiny +
      " --limit 4 --functional --dump-outputs " + dump + " --json";
  CliRun a = run_sieve(sim_real);
  ASSERT_EQ(a.rc, 0) << a.out;
  const std::string dump_a = slurp_file(dump);
  CliRun b = run_sieve(sim_real);
  ASSERT_EQ(b.rc, 0) << b.out;
  EXPECT_FALSE(dump_a.empty());
  EXPECT_TRUE(dump_a == slurp_file(dump)) << "two runs wrote different outputs files";
  EXPECT_EQ(strip_timing(parse_json(a)), strip_timing(parse_json(b)));

  const std::string sim = "simulate --arch sieve --model thesis:lenet5 --json";
  CliRun c = run_sieve(sim), d = run_sieve(sim);
  ASSERT_EQ(c.rc, 0) << c.out;
  ASSERT_EQ(d.rc, 0) << d.out;
  EXPECT_EQ(strip_timing(parse_json(c)), strip_timing(parse_json(d)));

  const std::string rep =
      "reproduce speedup energy tiling fig5.9 --benchmarks lenet5,lenet-300-100 --json";
  CliRun e = run_sieve(rep + " --threads 1"), f = run_sieve(rep + " --threads 2");
  ASSERT_EQ(e.rc, 0) << e.out;
  ASSERT_EQ(f.rc, 0) << f.out;
  EXPECT_EQ(strip_timing(parse_json(e)), strip_timing(parse_json(f)));
}

}  // namespace
