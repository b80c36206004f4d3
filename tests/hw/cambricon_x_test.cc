// Cambricon-X model (hw/archs/cambricon_x): step indexes with fillers counted exactly, the IM
// walk (16 per cycle, bounded window), asynchronous PEs with a per-tile barrier, faster on
// sparse than dense but never faster than the ideal, zero activations not skipped, energy.
#include <gtest/gtest.h>

#include <functional>

#include "sieve/hw/archs/cambricon_x/perf.h"
#include "sieve/hw/core/arch.h"
#include "sieve/hw/energy/energy.h"
#include "layer_builders.h"

namespace sieve::hw {
namespace {

constexpr int64_t kFill = 3;  // configs/archs/cambricon-x-65nm.yaml: 4 pipeline stages

using testing::dense_fc;
using testing::fc;
using testing::one;

std::unique_ptr<Accelerator> cambricon_x(const std::vector<std::string>& overrides = {}) {
  Result<std::unique_ptr<Accelerator>> a = make_accelerator("cambricon-x", overrides);
  EXPECT_TRUE(a.ok()) << a.status().to_string();
  return a.ok() ? std::move(*a) : nullptr;
}

LayerStats run(const Accelerator& a, LayerWork l, const std::string& mode = "") {
  SimOptions o;
  o.mode = mode;
  Result<SimResult> r = a.simulate(one(std::move(l)), o);
  EXPECT_TRUE(r.ok()) << r.status().to_string();
  if (!r.ok() || r->layers.size() != 1) return LayerStats{};
  return r->layers[0];
}

cambricon_x_arch::CambriconXSpec spec(int64_t step_bits, int64_t window) {
  cambricon_x_arch::CambriconXSpec s;
  s.step_index_bits = step_bits;
  s.im_window = window;
  return s;
}

BitVec bits(int64_t n, std::initializer_list<int64_t> set) {
  BitVec b(n);
  for (int64_t i : set) b.set(i);
  return b;
}

TEST(CambriconXStepIndex, FillersBridgeGapsLongerThanTheStepRange) {
  // 2-bit steps: max step 3. Non-zeros at 0, 1, 9, 19 of 20 columns: steps 1, 1, 8, 10 need
  // (8-1)/3 = 2 and (10-1)/3 = 3 fillers (at 4, 7 and 12, 15, 18).
  const BitVec m = bits(20, {0, 1, 9, 19});
  const cambricon_x_arch::RowWalk w = cambricon_x_arch::walk_row(&m, 0, 20, spec(2, 256));
  EXPECT_EQ(w.fillers, 5);
  EXPECT_EQ(w.entries, 9);
  EXPECT_EQ(w.cycles, 1);  // 9 entries within one 256-wide window
  // A step of exactly max_step needs no filler; one more needs one.
  const BitVec m2 = bits(8, {2, 6});
  EXPECT_EQ(cambricon_x_arch::walk_row(&m2, 0, 8, spec(2, 256)).fillers, 1);  // steps 3, 4
  // Restarting at a tile boundary: column 9 counted from 8 is a step of 2.
  EXPECT_EQ(cambricon_x_arch::walk_row(&m, 8, 20, spec(2, 256)).entries, 1 + 1 + 3);
}

TEST(CambriconX, StepIndexBytesOfAHandMadeMaskAreExact) {
  auto a = cambricon_x({"step_index_bits=2"});
  ASSERT_NE(a, nullptr);
  LayerWork l = fc(2, 20, [](int64_t r, int64_t c) {
    return r == 0 ? (c == 0 || c == 1 || c == 9 || c == 19) : c == 5;
  });
  const LayerStats s = run(*a, l);
  // Row 0: 9 entries (see above); row 1: step 6 = one filler + the weight: 2 entries.
  EXPECT_EQ(s.offchip.weights, 11 * 2);
  EXPECT_EQ(s.offchip.weight_index, (11 * 2 + 7) / 8);
  EXPECT_EQ(s.macs_performed, 11);  // fillers are multiplied too
  EXPECT_EQ(s.macs_skipped, 40 - 11);
}

TEST(CambriconXWalk, SixteenEntriesPerCycleAndABoundedWindow) {
  const auto sp = spec(16, 256);  // wide steps: no fillers, so only the window matters
  BitVec dense(64, true);
  EXPECT_EQ(cambricon_x_arch::walk_row(&dense, 0, 64, sp).cycles, 4);
  EXPECT_EQ(cambricon_x_arch::walk_row(&dense, 0, 65 - 1, sp).cycles, 4);
  BitVec d65(65, true);
  EXPECT_EQ(cambricon_x_arch::walk_row(&d65, 0, 65, sp).cycles, 5);
  // One non-zero every 300 columns: each lies in a later 256-wide window; 4 cycles for 4 MACs.
  const BitVec far = bits(1024, {0, 300, 600, 900});
  EXPECT_EQ(cambricon_x_arch::walk_row(&far, 0, 1024, sp).cycles, 4);
  // The same four within one window: one cycle.
  const BitVec near = bits(1024, {0, 60, 120, 250});
  EXPECT_EQ(cambricon_x_arch::walk_row(&near, 0, 1024, sp).cycles, 1);
  EXPECT_EQ(cambricon_x_arch::walk_row(&near, 0, 0, sp).cycles, 0);
  BitVec empty(64);
  EXPECT_EQ(cambricon_x_arch::walk_row(&empty, 0, 64, sp).cycles, 0);
}

TEST(CambriconX, FasterOnASparseLayerThanOnTheSameDenseLayer) {
  auto a = cambricon_x();
  ASSERT_NE(a, nullptr);
  const auto keep = [](int64_t r, int64_t c) { return (r * 31 + c * 17) % 10 == 0; };
  const LayerStats sparse = run(*a, fc(64, 512, keep));
  const LayerStats dense = run(*a, dense_fc(64, 512));
  EXPECT_LT(sparse.compute_cycles, dense.compute_cycles);
  EXPECT_LT(sparse.cycles, dense.cycles);
  EXPECT_LT(sparse.offchip.weights + sparse.offchip.weight_index, dense.offchip.weights);
  // Mode "dense" ignores the mask: as slow as the dense layer, no index, no IM.
  const LayerStats as_dense = run(*a, fc(64, 512, keep), "dense");
  EXPECT_EQ(as_dense.compute_cycles, dense.compute_cycles);
  EXPECT_EQ(as_dense.offchip.weight_index, 0);
  EXPECT_EQ(as_dense.actions.at("im_cycle"), 0);
}

TEST(CambriconX, NeverFasterThanSixteenMacsPerPePerCycle) {
  auto a = cambricon_x();
  ASSERT_NE(a, nullptr);
  for (int density_pct : {3, 10, 35, 80, 100}) {
    const LayerStats s = run(*a, fc(48, 800, [&](int64_t r, int64_t c) {
                               return (r * 131 + c * 7919) % 100 < density_pct;
                             }));
    const int64_t ideal = (s.macs_performed + a->multipliers() - 1) / a->multipliers();
    EXPECT_GE(s.compute_cycles - kFill, ideal) << density_pct << "%";
    EXPECT_LE(s.utilization, 1.0);
  }
}

TEST(CambriconX, OneDenseRowMakesItsGroupAsSlowAsADenseGroup) {
  auto a = cambricon_x();
  ASSERT_NE(a, nullptr);
  const LayerStats dense = run(*a, dense_fc(16, 256));
  const LayerStats one_dense_row =
      run(*a, fc(16, 256, [](int64_t r, int64_t c) { return r == 0 || c == r; }));
  const LayerStats balanced =
      run(*a, fc(16, 256, [](int64_t r, int64_t c) { return c % 16 == r; }));
  EXPECT_EQ(dense.compute_cycles - kFill, 16);
  EXPECT_EQ(one_dense_row.compute_cycles, dense.compute_cycles);
  EXPECT_EQ(balanced.compute_cycles - kFill, 1);  // 16 entries per row within one window
  // The imbalance is visible in the PE busy cycles: 16 + 15 of 16·16 possible.
  EXPECT_EQ(one_dense_row.actions.at("pe_cycle"), 16 + 15);
}

TEST(CambriconX, ZeroActivationsAreNotSkipped) {
  auto a = cambricon_x();
  ASSERT_NE(a, nullptr);
  const auto keep = [](int64_t r, int64_t c) { return (r + c) % 4 == 0; };
  LayerWork half_zero = fc(32, 128, keep);
  for (int64_t c = 0; c < 128; c += 2) half_zero.input_nz[0].set(c, false);
  const LayerStats all = run(*a, fc(32, 128, keep));
  const LayerStats half = run(*a, half_zero);
  EXPECT_EQ(half.macs_performed, all.macs_performed);
  EXPECT_EQ(half.cycles, all.cycles);
  EXPECT_EQ(all.macs_skipped, all.macs_dense - all.macs_performed);
}

TEST(CambriconX, InputRowsWiderThanHalfAnNBinRunInColumnSegments) {
  auto a = cambricon_x();
  ASSERT_NE(a, nullptr);
  // 1 × 3 × 1000 input, two 3×3 kernels, output 2 × 1 × 998. Half an NBin (8 KB) holds 2048
  // neurons < 3 × 1000: the compiler cuts the output columns in two segments of 499, each
  // reading 501 input columns (2 shared). Input loaded: 3 × 1002 neurons.
  LayerWork l;
  l.name = "wide";
  l.kind = LayerKind::kConv;
  l.in_c = 1, l.in_h = 3, l.in_w = 1000;
  l.out_c = 2, l.out_h = 1, l.out_w = 998;
  l.kh = l.kw = 3;
  l.rows = 2;
  l.cols = 9;
  l.weight_mask = BitVec(l.rows * l.cols, true);
  const LayerStats s = run(*a, l);
  EXPECT_EQ(s.tiles, 2);
  EXPECT_EQ(s.offchip.neurons, (3 * 1002 + 2 * 998) * 2);
  EXPECT_EQ(s.macs_performed, 2 * 998 * 9);
}

TEST(CambriconX, UnknownModeIsRefusedListingTheKnownOnes) {
  auto a = cambricon_x();
  ASSERT_NE(a, nullptr);
  SimOptions o;
  o.mode = "neuron-sparse";
  Result<SimResult> r = a->simulate(one(dense_fc(16, 16)), o);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("weight-sparse, dense"), std::string::npos);
}

TEST(CambriconX, EnergyTablePricesEveryAction) {
  auto a = cambricon_x();
  ASSERT_NE(a, nullptr);
  Result<SimResult> r = a->simulate(
      one(fc(64, 600, [](int64_t r, int64_t c) { return (r + 3 * c) % 7 == 0; })), SimOptions{});
  ASSERT_TRUE(r.ok()) << r.status().to_string();
  Result<ParamSet> table = read_params(config_dir() + "/energy/cambricon-x-65nm.yaml");
  ASSERT_TRUE(table.ok()) << table.status().to_string();
  Result<EnergyBreakdown> e = total_energy(*r, *table);
  ASSERT_TRUE(e.ok()) << e.status().to_string();
  for (const char* key : {"pe_cycle", "sb_read", "im_cycle", "nbin_read", "nbout_access",
                          "control_cycle", "nbin_fill", "sb_fill", "nbout_drain"})
    EXPECT_GT(e->pj.count(key), 0u) << key;
  EXPECT_GT(e->offchip_pj, 0);
}

}  // namespace
}  // namespace sieve::hw
