// `sieve reproduce sparse-tc`: the 2:4 sparse tensor core's figures (hw/sim/figures/sparse_tc.cc),
// pinned in tests/golden/reproduce-sparse-tc.json. Each figure stays within 1 % of its golden
// value (the model is deterministic for a seed: a change means a model changed — regenerate
// with SIEVE_REGEN_GOLDEN=1 and explain it in docs/RESULTS.md), and whether it lies within 25 %
// of the published value is what the golden file says.
#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <string>

#include "sieve/hw/sim/reproduce.h"

namespace sieve::hw {
namespace {

TEST(SparseTcReproduceGolden, EverySparseTcFigureMatchesTheGoldenFile) {
  const std::filesystem::path path =
      std::filesystem::path(SIEVE_SOURCE_DIR) / "tests" / "golden" / "reproduce-sparse-tc.json";
  ReproduceOptions opt;
  opt.seed = 1;
  opt.threads = 2;
  Result<std::vector<FigureResult>> r = reproduce({"sparse-tc-"}, opt);
  ASSERT_TRUE(r.ok()) << r.status().to_string();
  // Whatever the golden file says: the sparse path is never slower than dense and never more
  // than 2x faster (half the math is all it removes), and the speed-up grows from the smallest
  // GEMM to the largest.
  double smallest = 0, largest = 0;
  for (const FigureResult& f : *r) {
    const double v = f.ours.get<double>();
    EXPECT_GE(v, 1.0) << f.figure;
    EXPECT_LE(v, 2.0) << f.figure;
    if (f.figure == "sparse-tc-gemm-256") smallest = v;
    if (f.figure == "sparse-tc-gemm-8192") largest = v;
  }
  EXPECT_GT(largest, smallest);
  const nlohmann::json ours = figures_json(*r);
  if (std::getenv("SIEVE_REGEN_GOLDEN") != nullptr) {
    std::ofstream(path) << ours.dump(2) << "\n";
    GTEST_SKIP() << "wrote " << path;
  }
  std::ifstream in(path);
  ASSERT_TRUE(in.good()) << "missing " << path << " (SIEVE_REGEN_GOLDEN=1 writes it)";
  const nlohmann::json golden = nlohmann::json::parse(in);
  ASSERT_EQ(golden.size(), ours.size());
  for (size_t i = 0; i < ours.size(); ++i) {
    const nlohmann::json& g = golden[i];
    const nlohmann::json& o = ours[i];
    ASSERT_EQ(g["figure"], o["figure"]);
    SCOPED_TRACE(o["figure"].get<std::string>());
    EXPECT_EQ(g["published"], o["published"]);
    EXPECT_EQ(o["source"], "2:4 sparse tensor core (NVIDIA A100 whitepaper; seed 001)");
    EXPECT_EQ(g["kind"], o["kind"]);
    const double gv = g["ours"].get<double>(), ov = o["ours"].get<double>();
    EXPECT_NEAR(ov, gv, 0.01 * std::abs(gv) + 1e-9);
    EXPECT_EQ(g["reproduced"], o["reproduced"]);
  }
}

}  // namespace
}  // namespace sieve::hw
