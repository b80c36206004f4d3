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

#include "golden_figures.h"
#include "sieve/hw/sim/reproduce.h"

namespace sieve::hw {
namespace {

TEST(SparseTcReproduceGolden, EverySparseTcFigureMatchesTheGoldenFile) {
  std::vector<FigureResult> r;
  golden::expect_figures_match_golden({"sparse-tc-"}, "reproduce-sparse-tc.json",
                                      "2:4 sparse tensor core (NVIDIA A100 whitepaper; seed 001)", &r);
  if (r.empty()) return;  // failed (reported) or regenerated
  // Whatever the golden file says: the sparse path is never slower than dense and never more
  // than 2x faster (half the math is all it removes), and the speed-up grows from the smallest
  // GEMM to the largest.
  double smallest = 0, largest = 0;
  for (const FigureResult& f : r) {
    const double v = f.ours.get<double>();
    EXPECT_GE(v, 1.0) << f.figure;
    EXPECT_LE(v, 2.0) << f.figure;
    if (f.figure == "sparse-tc-gemm-256") smallest = v;
    if (f.figure == "sparse-tc-gemm-8192") largest = v;
  }
  EXPECT_GT(largest, smallest);
}

}  // namespace
}  // namespace sieve::hw
