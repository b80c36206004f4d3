// SparseNN's model (hw/archs/sparsenn): the H-tree's smallest-index-first arbitration (one
// grant per router per cycle, buffered flow control, FIFO back-pressure), a hand-computed
// layer with exact cycles in both modes, and bad presets.
#include <gtest/gtest.h>

#include <algorithm>

#include "sieve/hw/archs/sparsenn/perf.h"
#include "sieve/hw/archs/sparsenn/spec.h"
#include "sieve/hw/core/arch.h"

namespace sieve::hw::sparsenn_arch {
namespace {

SparseNNSpec spec_of(int64_t n_pe) {
  SparseNNSpec s;
  s.n_pe = n_pe;
  s.fanout = 4;
  return s;
}

auto work_of(int64_t w) {
  return [w](int64_t, int64_t) { return w; };
}

TEST(SparseNNHTree, FourRequestsOneGrantPerCycleSmallestIndexFirst) {
  // One router (4 PEs): the four requests reach its ports at the end of cycle 0, and it grants
  // one per cycle from cycle 1, the smallest index first, whatever the ports they sit on.
  const SparseNNSpec s = spec_of(4);
  ASSERT_EQ(s.levels(), 1);
  const BroadcastRun r = broadcast(s, {{3}, {1}, {2}, {0}}, work_of(1));
  ASSERT_EQ(r.grants.size(), 4u);
  for (int64_t i = 0; i < 4; ++i) {
    EXPECT_EQ(r.grants[static_cast<size_t>(i)].index, i);
    EXPECT_EQ(r.grants[static_cast<size_t>(i)].cycle, i + 1);  // never two in one cycle
  }
  // Granted at 1..4, down one level (+1), one cycle of work each: the last PE is done at 6.
  EXPECT_EQ(r.cycles, 6);
  EXPECT_EQ(r.fifo_stalls, 0);
}

TEST(SparseNNHTree, ThreeLevelsOneGrantPerCycleAtTheRoot) {
  // 64 PEs, 3 levels: an activation needs 3 hops to be granted by the root (cycles 0 -> port
  // of a leaf, 1 -> internal, 2 -> root, granted at 3); afterwards the root grants one per
  // cycle without a gap while activations keep coming.
  const SparseNNSpec s = spec_of(64);
  ASSERT_EQ(s.levels(), 3);
  std::vector<std::vector<int64_t>> src(64);
  for (int64_t i = 0; i < 256; ++i) src[static_cast<size_t>(i % 64)].push_back(i);
  const BroadcastRun r = broadcast(s, src, work_of(1));
  ASSERT_EQ(r.grants.size(), 256u);
  EXPECT_EQ(r.grants.front().cycle, 3);
  for (size_t i = 1; i < r.grants.size(); ++i)
    EXPECT_EQ(r.grants[i].cycle, r.grants[i - 1].cycle + 1) << i;
  // Every activation granted exactly once.
  std::vector<int64_t> idx;
  for (const Grant& g : r.grants) idx.push_back(g.index);
  std::sort(idx.begin(), idx.end());
  for (int64_t i = 0; i < 256; ++i) EXPECT_EQ(idx[static_cast<size_t>(i)], i);
  // The first grant is the smallest index present at the root: 0.
  EXPECT_EQ(r.grants.front().index, 0);
}

TEST(SparseNNHTree, SortedSourcesMergeInOrderAndAnyOrderIsAccepted) {
  // With every activation ready at the start and each PE offering its own in increasing order,
  // smallest-index-first arbitration at every level is a merge tree: the root's order is sorted.
  const SparseNNSpec s = spec_of(16);  // 2 levels
  std::vector<std::vector<int64_t>> src(16);
  src[0] = {0, 1, 2, 3, 4, 5};
  src[1] = {6};
  src[4] = {9};
  src[8] = {10};
  const BroadcastRun r = broadcast(s, src, work_of(1));
  std::vector<int64_t> order;
  for (const Grant& g : r.grants) order.push_back(g.index);
  EXPECT_TRUE(std::is_sorted(order.begin(), order.end())) << ::testing::PrintToString(order);
  // Activations offered out of order (as a previous layer produces them) arrive out of order:
  // the arbiter compares the heads of its ports only, and the PEs accept any order.
  std::vector<std::vector<int64_t>> late(4);
  late[0] = {7, 2};
  late[1] = {1};
  const BroadcastRun o = broadcast(spec_of(4), late, work_of(1));
  order.clear();
  for (const Grant& g : o.grants) order.push_back(g.index);
  EXPECT_EQ(order, (std::vector<int64_t>{1, 7, 2}));
  EXPECT_EQ(o.cycles, 3 + 1 + 1);  // last grant at 3, one level down, one cycle of work
}

TEST(SparseNNHTree, FullFifosHoldTheRootBack) {
  // Each activation costs every PE 10 cycles; FIFOs of 2 entries: the root may run at most 2
  // activations ahead of the slowest PE, so grants come about 10 cycles apart.
  SparseNNSpec s = spec_of(4);
  s.pe_fifo_depth = 2;
  std::vector<std::vector<int64_t>> src(4);
  for (int64_t i = 0; i < 12; ++i) src[static_cast<size_t>(i % 4)].push_back(i);
  const BroadcastRun r = broadcast(s, src, work_of(10));
  ASSERT_EQ(r.grants.size(), 12u);
  EXPECT_GT(r.fifo_stalls, 0);
  EXPECT_GE(r.grants.back().cycle - r.grants[2].cycle, 9 * 10 - 1);
  EXPECT_EQ(r.cycles, r.grants.front().cycle + 1 + 12 * 10);  // the PEs never starve
}

LayerWork dense_fc(int64_t in, int64_t out) {
  LayerWork l;
  l.name = "fc";
  l.kind = LayerKind::kFullyConnected;
  l.in_c = in;
  l.out_c = out;
  l.rows = out;
  l.cols = in;
  l.weight_mask = BitVec(in * out, true);
  return l;
}

TEST(SparseNNLayer, HandComputedCyclesWithAndWithoutPredictor) {
  // 8 x 8 dense layer on 4 PEs (one router level), every input non-zero. PE k holds inputs
  // {k, k+4} and rows {k, k+4}.
  SparseNNSpec s = spec_of(4);
  s.predictor_rank = 2;
  s.router_stages = 4;
  const LayerWork l = dense_fc(8, 8);
  const BitVec in(8, true);
  // Input only: grants at cycles 1..8, each at the PEs one cycle later; a PE spends 2 cycles
  // (its 2 rows) per activation: pops at 2, 4, ..., 16, done at 18.
  const SampleCost off = run_sample(s, l, in, nullptr);
  EXPECT_EQ(off.w_cycles, 18);
  EXPECT_EQ(off.cycles, 18);
  EXPECT_EQ(off.macs, 64);
  EXPECT_EQ(off.pred_macs, 0);
  // With the predictor and rows {0, 1, 2, 3} predicted non-zero (one row per PE):
  //  V: 2 local inputs x r = 2 MACs = 4 cycles, + r = 2 values through the tree + 1 level x 4
  //     router stages = 10;
  //  U: r = 2 values broadcast + 1 level + 2 rows x r = 4 MACs = 7;
  //  W: 1 cycle per activation: pops at 2..9, done at 10.
  BitVec out(8);
  for (int64_t j = 0; j < 4; ++j) out.set(j);
  const SampleCost on = run_sample(s, l, in, &out);
  EXPECT_EQ(on.v_cycles, 10);
  EXPECT_EQ(on.u_cycles, 7);
  EXPECT_EQ(on.w_cycles, 10);
  EXPECT_EQ(on.cycles, 27);
  EXPECT_EQ(on.macs, 32);
  EXPECT_EQ(on.pred_macs, 8 * 2 + 8 * 2);
  EXPECT_EQ(on.rows_computed, 4);
  EXPECT_EQ(on.actions.at("router_add"), 2 * 3 * 1);  // r x (fanout - 1) x 1 router
  // Zero inputs are never sent: half the inputs, half the W work.
  BitVec half(8);
  for (int64_t i = 0; i < 8; i += 2) half.set(i);
  EXPECT_EQ(run_sample(s, l, half, nullptr).macs, 32);
  EXPECT_EQ(run_sample(s, l, half, nullptr).broadcasts, 4);
}

TEST(SparseNNAccelerator, ModesAndUnsupportedLayers) {
  Result<std::unique_ptr<Accelerator>> acc = make_accelerator("sparsenn", {});
  ASSERT_TRUE(acc.ok()) << acc.status().to_string();
  EXPECT_EQ((*acc)->modes(), (std::vector<std::string>{"input-output", "input-only"}));
  EXPECT_EQ((*acc)->multipliers(), 64);
  LayerWork conv = dense_fc(8, 8);
  conv.kind = LayerKind::kConv;
  EXPECT_NE((*acc)->unsupported(conv, {}).find("fully connected layers only"), std::string::npos);
  EXPECT_EQ((*acc)->unsupported(dense_fc(1000, 1000), {}), "");
  EXPECT_NE((*acc)->unsupported(dense_fc(4000, 4000), {}).find("exceed"), std::string::npos);
  Workload w;
  w.model = "one";
  w.batch = 1;
  w.layers.push_back(dense_fc(64, 64));
  SimOptions o;
  o.mode = "output-only";
  Result<SimResult> r = (*acc)->simulate(w, o);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("unknown mode \"output-only\""), std::string::npos);
}

TEST(SparseNNAccelerator, BadPresetsAreRefusedNamingFileKeyAndValue) {
  for (const auto& [override_, want] : std::vector<std::pair<std::string, std::string>>{
           {"n_pe=0", "parameter \"n_pe\" = 0 out of range"},
           {"pe_fifo_depth=0", "parameter \"pe_fifo_depth\" = 0 out of range"},
           {"router_buffer_depth=0", "parameter \"router_buffer_depth\" = 0 out of range"},
           {"predictor_rank=-1", "parameter \"predictor_rank\" = -1 out of range"},
           {"n_pe=48", "n_pe = 48 must be a power of fanout = 4"},
           {"n_pe=2", "n_pe = 2 must be at least fanout = 4"}}) {
    Result<std::unique_ptr<Accelerator>> a = make_accelerator("sparsenn", {override_});
    ASSERT_FALSE(a.ok()) << override_;
    EXPECT_NE(a.status().message().find("sparsenn-65nm.yaml"), std::string::npos)
        << a.status().message();
    EXPECT_NE(a.status().message().find(want), std::string::npos) << a.status().message();
  }
}

}  // namespace
}  // namespace sieve::hw::sparsenn_arch
