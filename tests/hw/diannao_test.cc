// DianNao model (hw/archs/diannao): the dense NFU's ceil rule with its tightness, time
// independent of sparsity, exact bytes of a one-tile layer, pooling, energy pricing.
#include <gtest/gtest.h>

#include <functional>

#include "sieve/hw/archs/diannao/perf.h"
#include "sieve/hw/core/arch.h"
#include "sieve/hw/energy/energy.h"
#include "layer_builders.h"

namespace sieve::hw {
namespace {

constexpr int64_t kFill = 2;  // configs/archs/diannao-65nm.yaml: 3 pipeline stages

using testing::dense_fc;
using testing::fc;
using testing::one;

// The expected event times below assume a 100-cycle DRAM start-up; pin it so the shared DRAM
// assumption of the preset can change without moving them.
std::unique_ptr<Accelerator> diannao(std::vector<std::string> overrides = {}) {
  overrides.insert(overrides.begin(), "dram_startup_cycles=100");
  Result<std::unique_ptr<Accelerator>> a = make_accelerator("diannao", overrides);
  EXPECT_TRUE(a.ok()) << a.status().to_string();
  return a.ok() ? std::move(*a) : nullptr;
}

LayerStats run(const Accelerator& a, LayerWork l, int64_t batch = 1) {
  Result<SimResult> r = a.simulate(one(std::move(l), batch), SimOptions{});
  EXPECT_TRUE(r.ok()) << r.status().to_string();
  if (!r.ok() || r->layers.size() != 1) return LayerStats{};
  return r->layers[0];
}

TEST(DianNaoNfu, CyclesAreCeilOfColsOverTnPerRowGroup) {
  using diannao_arch::nfu_cycles;
  for (int64_t k = 1; k <= 4; ++k) {
    EXPECT_EQ(nfu_cycles(16, 16 * k, 1, 16), k);          // allowed at 16·k
    EXPECT_EQ(nfu_cycles(16, 16 * k + 1, 1, 16), k + 1);  // one more column: one more cycle
  }
  EXPECT_EQ(nfu_cycles(17, 16, 1, 16), 2);  // a 17th row opens a second group
  EXPECT_EQ(nfu_cycles(16, 32, 5, 16), 10);  // per output vector
  EXPECT_EQ(nfu_cycles(0, 32, 5, 16), 0);
}

TEST(DianNao, OneTileFcLayerHasExactEventTimesAndBytes) {
  auto a = diannao();
  ASSERT_NE(a, nullptr);
  const LayerStats s = run(*a, dense_fc(16, 32));
  EXPECT_EQ(s.tiles, 1);
  // Load: 100 + ceil((32·2 inputs + 16·32·2 weights) / 64) = 117; compute 2; store 100 + 1.
  EXPECT_EQ(s.load_cycles, 117);
  EXPECT_EQ(s.compute_cycles, 2 + kFill);
  EXPECT_EQ(s.store_cycles, 101);
  EXPECT_EQ(s.cycles, 117 + 2 + 101 + kFill);
  EXPECT_EQ(s.offchip.weights, 16 * 32 * 2);
  EXPECT_EQ(s.offchip.weight_index, 0);
  EXPECT_EQ(s.offchip.neurons, 32 * 2 + 16 * 2);
  EXPECT_EQ(s.macs_performed, 16 * 32);
  EXPECT_EQ(s.actions.at("nfu_cycle"), 2);
  EXPECT_EQ(s.actions.at("control_cycle"), s.cycles);
  EXPECT_NEAR(s.time_ns, static_cast<double>(s.cycles) / 0.98, 1e-9);
}

TEST(DianNao, ComputeTightnessAtMultiplesOfTn) {
  auto a = diannao();
  ASSERT_NE(a, nullptr);
  EXPECT_EQ(run(*a, dense_fc(16, 48)).compute_cycles - kFill, 3);
  EXPECT_EQ(run(*a, dense_fc(16, 49)).compute_cycles - kFill, 4);
  EXPECT_EQ(run(*a, dense_fc(32, 48)).compute_cycles - kFill, 6);
  EXPECT_EQ(run(*a, dense_fc(33, 48)).compute_cycles - kFill, 9);
}

TEST(DianNao, TimeAndBytesIndependentOfWeightSparsity) {
  auto a = diannao();
  ASSERT_NE(a, nullptr);
  const LayerStats dense = run(*a, dense_fc(64, 700));
  const LayerStats sparse = run(*a, fc(64, 700, [](int64_t r, int64_t c) {
                                  return (r * 7 + c * 13) % 10 == 0;
                                }));
  EXPECT_EQ(dense.cycles, sparse.cycles);
  EXPECT_EQ(dense.offchip.total(), sparse.offchip.total());
  EXPECT_EQ(sparse.macs_skipped, 0);  // zeros are computed
  EXPECT_EQ(sparse.macs_performed, sparse.macs_dense);
  EXPECT_GT(dense.tiles, 1);  // 64×700 weights do not fit half of SB (16 KB)
}

TEST(DianNao, SmallConvLayerCountsEveryPositionAndChunk) {
  auto a = diannao();
  ASSERT_NE(a, nullptr);
  LayerWork l;
  l.name = "conv";
  l.kind = LayerKind::kConv;
  l.in_c = 4, l.in_h = 6, l.in_w = 6;
  l.out_c = 16, l.out_h = 4, l.out_w = 4;
  l.kh = l.kw = 3;
  l.rows = 16;
  l.cols = 4 * 9;
  l.weight_mask = BitVec(l.rows * l.cols, true);
  const LayerStats s = run(*a, l);
  // 16 positions × ceil(36 / 16) = 3 chunks, one row group.
  EXPECT_EQ(s.compute_cycles - kFill, 16 * 3);
  EXPECT_EQ(s.macs_performed, 16 * 36 * 16);
  EXPECT_EQ(s.offchip.neurons, (4 * 36 + 16 * 16) * 2);
}

TEST(DianNao, InputRowsWiderThanHalfAnNBinAreCutIntoColumnSegments) {
  auto a = diannao();
  ASSERT_NE(a, nullptr);
  LayerWork l;
  l.name = "wide";
  l.kind = LayerKind::kConv;
  l.in_c = 1, l.in_h = 3, l.in_w = 700;  // 3 rows × 700 = 2100 neurons > 512 per half NBin
  l.out_c = 16, l.out_h = 1, l.out_w = 698;
  l.kh = l.kw = 3;
  l.rows = 16;
  l.cols = 9;
  l.weight_mask = BitVec(l.rows * l.cols, true);
  const LayerStats s = run(*a, l);
  EXPECT_GT(s.tiles, 1);
  EXPECT_EQ(s.compute_cycles - kFill, 698);  // one chunk of 9 columns per output position
  // Overlapping input columns are loaded once per column segment: never fewer than the input.
  EXPECT_GE(s.offchip.neurons, (3 * 700 + 16 * 698) * 2);
}

// 1 × 3 × 700 input, two 3×3 kernels, output 2 × 1 × 698 (no padding).
LayerWork wide_conv(int64_t in_w) {
  LayerWork l;
  l.name = "wide";
  l.kind = LayerKind::kConv;
  l.in_c = 1, l.in_h = 3, l.in_w = in_w;
  l.out_c = 2, l.out_h = 1, l.out_w = in_w - 2;
  l.kh = l.kw = 3;
  l.rows = 2;
  l.cols = 9;
  l.weight_mask = BitVec(l.rows * l.cols, true);
  return l;
}

TEST(DianNao, ColumnSegmentsLoadTheirOverlappingInputColumnsExactly) {
  auto a = diannao();
  ASSERT_NE(a, nullptr);
  // Half an NBin holds 512 neurons: 3 rows × 700 columns need the compiler's column cut into 8
  // segments of 88 output columns (90 input columns, 3 × 90 = 270 neurons); the last segment
  // has 82 outputs and reads 84 columns. Input loaded: 3 × (7 × 90 + 84) = 3 × 714 neurons —
  // the 700 columns plus 2 shared columns at each of the 7 boundaries.
  const LayerStats s = run(*a, wide_conv(700));
  EXPECT_EQ(s.tiles, 8);
  EXPECT_EQ(s.offchip.neurons, (3 * 714 + 2 * 698) * 2);
  // One weight segment stays in SB across the column segments.
  EXPECT_EQ(s.offchip.weights, 2 * 9 * 2);
}

TEST(DianNao, MaxPoolingTakesTnChannelsPerCycle) {
  auto a = diannao();
  ASSERT_NE(a, nullptr);
  LayerWork l;
  l.name = "pool";
  l.kind = LayerKind::kPool;
  l.pool_type = "max";
  l.in_c = l.out_c = 32;
  l.in_h = l.in_w = 4;
  l.out_h = l.out_w = 2;
  l.kh = l.kw = 2;
  l.stride_h = l.stride_w = 2;
  const LayerStats s = run(*a, l);
  EXPECT_EQ(s.compute_cycles - kFill, 2 * 4 * 4);  // ceil(32/16) groups × 4 positions × 2×2
  EXPECT_EQ(s.offchip.weights, 0);
  EXPECT_EQ(s.offchip.neurons, (32 * 16 + 32 * 4) * 2);
}

TEST(DianNao, BatchMultipliesEveryCount) {
  auto a = diannao();
  ASSERT_NE(a, nullptr);
  const LayerStats one_sample = run(*a, dense_fc(16, 32));
  const LayerStats three = run(*a, dense_fc(16, 32), 3);
  EXPECT_EQ(three.cycles, 3 * one_sample.cycles);
  EXPECT_EQ(three.offchip.total(), 3 * one_sample.offchip.total());
  EXPECT_EQ(three.actions.at("sb_read"), 3 * one_sample.actions.at("sb_read"));
}

TEST(DianNao, UnknownModeIsRefused) {
  auto a = diannao();
  ASSERT_NE(a, nullptr);
  SimOptions o;
  o.mode = "sparse";
  Result<SimResult> r = a->simulate(one(dense_fc(16, 16)), o);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("known: dense"), std::string::npos);
}

TEST(DianNao, EnergyTablePricesEveryActionAndDram) {
  auto a = diannao();
  ASSERT_NE(a, nullptr);
  Workload w = one(dense_fc(64, 700));
  LayerWork pool;
  pool.name = "pool";
  pool.kind = LayerKind::kPool;
  pool.in_c = pool.out_c = 16;
  pool.in_h = pool.in_w = 4;
  pool.out_h = pool.out_w = 2;
  pool.kh = pool.kw = pool.stride_h = pool.stride_w = 2;
  w.layers.push_back(pool);
  Result<SimResult> r = a->simulate(w, SimOptions{});
  ASSERT_TRUE(r.ok()) << r.status().to_string();
  Result<ParamSet> table = read_params(config_dir() + "/energy/diannao-65nm.yaml");
  ASSERT_TRUE(table.ok()) << table.status().to_string();
  Result<EnergyBreakdown> e = total_energy(*r, *table);
  ASSERT_TRUE(e.ok()) << e.status().to_string();
  EXPECT_GT(e->onchip_pj, 0);
  EXPECT_DOUBLE_EQ(e->offchip_pj, 8.0 * 20.0 * static_cast<double>(r->total().offchip.total()));
  for (const char* key : {"nbin_read", "sb_read", "nbout_access", "nfu_cycle", "control_cycle",
                          "nbin_fill", "sb_fill", "nbout_drain"})
    EXPECT_GT(e->pj.count(key), 0u) << key;
}

}  // namespace
}  // namespace sieve::hw
