// The compiler's output-column cut and cost-driven search (src/sieve/compiler/tiling.h): a layer
// whose uncut input slab is wider than NBin (AlexNet conv1 on Sieve's NBin half) plans only with
// the cut; segment sizes and traffic count the overlapping input columns of every column
// segment; sub-operations run the column segment outermost and agree with subop_traffic; a cost
// function supplied by an architecture picks among the fitting tilings.
#include <gtest/gtest.h>

#include <algorithm>
#include <string>
#include <vector>

#include "sieve/compiler/tiling.h"

namespace sieve::compiler {
namespace {

// AlexNet conv1: input 3×227×227 (no padding), 11×11 kernels stride 4, output 96×55×55.
LayerGeometry alexnet_conv1() {
  LayerGeometry g;
  g.in_c = 3, g.in_h = 227, g.in_w = 227;
  g.out_c = 96, g.out_h = 55, g.out_w = 55;
  g.kh = g.kw = 11;
  g.stride_h = g.stride_w = 4;
  return g;
}

// Half of each of Sieve's ping-pong buffers (configs/archs/sieve-65nm.yaml: NBin 8 KB, NBout
// 8 KB, SB 32 KB).
BufferCapacity sieve_halves() {
  return {4096, 4096, 16384};
}

Tiling cut(int64_t oc_n, int64_t oc, int64_t oh_n, int64_t oh, int64_t ic_n, int64_t ic,
           int64_t ow_n, int64_t ow) {
  Tiling t;
  t.oc_seg_n = oc_n, t.oc_seg_size = oc;
  t.oh_seg_n = oh_n, t.oh_seg_size = oh;
  t.ic_seg_n = ic_n, t.ic_seg_size = ic;
  t.ow_seg_n = ow_n, t.ow_seg_size = ow;
  return t;
}

double flagged_bytes(const LayerGeometry& g, const Tiling& t, Reuse r) {
  const SegmentSizes s = segment_sizes(g, t);
  double sum = 0;
  for (const SubOp& op : sub_ops(t, r)) {
    if (op.load_input) sum += s.in;
    if (op.load_weights) sum += s.syn;
    if (op.load_psum) sum += s.out;
    if (op.store_psum) sum += s.out;
    if (op.store_output) sum += s.out;
  }
  return sum * g.bytes_per_element;
}

TEST(TilingColumnCut, AlexNetConv1FitsSieveBuffersOnlyWithTheCut) {
  const LayerGeometry g = alexnet_conv1();
  // One 11-row × 227-column slab of one channel: 11 × 227 × 2 B = 4994 B > 4096 B.
  const Tiling uncut = cut(96, 1, 55, 1, 3, 1, 1, 0);
  EXPECT_DOUBLE_EQ(segment_sizes(g, uncut).in, 11.0 * 227);
  EXPECT_FALSE(fits(g, uncut, sieve_halves()));
  const Result<TilingPlan> p = plan_layer(g, sieve_halves());
  ASSERT_TRUE(p.ok()) << p.status().to_string();
  // Two column segments of 28 output columns read (28 − 1) × 4 + 11 = 119 input columns.
  EXPECT_EQ(p->tiling.ow_seg_n, 2);
  EXPECT_EQ(p->tiling.ow_seg_size, 28);
  EXPECT_EQ(segment_in_w(g, p->tiling), 119);
  EXPECT_EQ(segment_out_w(g, p->tiling), 28);
  EXPECT_TRUE(fits(g, p->tiling, sieve_halves()));
  EXPECT_NE(p->tiling.to_string().find(", ow 2x28"), std::string::npos) << p->tiling.to_string();
}

TEST(TilingColumnCut, SegmentsCountTheirOverlappingInputColumns) {
  const LayerGeometry g = alexnet_conv1();
  const Tiling t = cut(1, 96, 55, 1, 3, 1, 2, 28);
  const SegmentSizes s = segment_sizes(g, t);
  // Each column segment holds 119 input columns: 2 × 119 = 238 > 227, the 11 − 4 = 7 columns
  // the segments share plus the uniform-size rounding of the short last segment.
  EXPECT_DOUBLE_EQ(s.in, 119.0 * 11 * 1);
  EXPECT_DOUBLE_EQ(s.out, 28.0 * 1 * 96);
  EXPECT_DOUBLE_EQ(s.syn, 11.0 * 11 * 1 * 96);
  // Traffic = column segments × the thesis formulas on one segment's geometry.
  LayerGeometry one = g;
  one.in_w = 119;
  one.out_w = 28;
  Tiling uncut = t;
  uncut.ow_seg_n = 1;
  const Traffic whole = offchip_traffic(g, t), seg = offchip_traffic(one, uncut);
  for (Reuse r : {Reuse::kInput, Reuse::kOutput, Reuse::kSynapse})
    EXPECT_DOUBLE_EQ(whole.of(r), 2 * seg.of(r)) << reuse_name(r);
  // Segment input never exceeds the layer's input width.
  const Tiling wide = cut(1, 96, 55, 1, 3, 1, 2, 60);
  EXPECT_EQ(segment_in_w(g, wide), 227);
}

TEST(TilingColumnCut, OneColumnSegmentIgnoresTheSegmentSize) {
  const LayerGeometry g = alexnet_conv1();
  const Tiling a = cut(4, 24, 11, 5, 3, 1, 1, 0);
  const Tiling b = cut(4, 24, 11, 5, 3, 1, 1, 7);
  EXPECT_DOUBLE_EQ(segment_sizes(g, a).in, segment_sizes(g, b).in);
  EXPECT_DOUBLE_EQ(offchip_traffic(g, a).synapse_reuse, offchip_traffic(g, b).synapse_reuse);
  EXPECT_EQ(a.to_string(), "oc 4x24, oh 11x5, ic 3x1");
}

TEST(TilingColumnCut, SubOpsRunColumnSegmentsOutermostAndMatchSubopTraffic) {
  const LayerGeometry g = alexnet_conv1();
  const std::vector<Tiling> tilings = {cut(4, 24, 11, 5, 3, 1, 2, 28),
                                       cut(1, 96, 55, 1, 1, 3, 4, 14),
                                       cut(2, 48, 1, 55, 3, 1, 3, 19)};
  for (const Tiling& t : tilings) {
    for (Reuse r : {Reuse::kInput, Reuse::kOutput, Reuse::kSynapse}) {
      const std::vector<SubOp> ops = sub_ops(t, r);
      ASSERT_EQ(static_cast<int64_t>(ops.size()),
                t.ow_seg_n * t.oc_seg_n * t.oh_seg_n * t.ic_seg_n);
      for (size_t k = 1; k < ops.size(); ++k) EXPECT_LE(ops[k - 1].ow_seg, ops[k].ow_seg);
      EXPECT_EQ(ops.back().ow_seg, t.ow_seg_n - 1);
      // Every (ow, oc, oh) output segment is stored once.
      int64_t stored = 0;
      for (const SubOp& op : ops) stored += op.store_output ? 1 : 0;
      EXPECT_EQ(stored, t.ow_seg_n * t.oc_seg_n * t.oh_seg_n);
      const double flagged = flagged_bytes(g, t, r);
      const Traffic exact = subop_traffic(g, t);
      EXPECT_NEAR(flagged, exact.of(r), 1e-9 * exact.of(r)) << t.to_string() << reuse_name(r);
      EXPECT_LE(exact.of(r), offchip_traffic(g, t).of(r) * (1 + 1e-12));
    }
  }
  // One weight segment stays on chip across column segments; each column segment loads its
  // own input.
  const Tiling one_w = cut(1, 96, 55, 1, 1, 3, 4, 14);
  int64_t w_loads = 0, in_loads = 0;
  for (const SubOp& op : sub_ops(one_w, Reuse::kSynapse)) {
    w_loads += op.load_weights ? 1 : 0;
    in_loads += op.load_input ? 1 : 0;
  }
  EXPECT_EQ(w_loads, 1);
  EXPECT_EQ(in_loads, 4 * 55);
}

TEST(TilingSearchCost, CostPicksAmongFittingTilingsAndTiesGoToLessTraffic) {
  const LayerGeometry g = alexnet_conv1();
  const Result<TilingPlan> by_traffic = plan_layer(g, sieve_halves());
  ASSERT_TRUE(by_traffic.ok());
  // A constant cost ties everywhere: the least-traffic plan wins, as with no cost.
  const Result<TilingPlan> flat =
      plan_layer(g, sieve_halves(), nullptr, [](const TilingPlan&) { return 1.0; });
  ASSERT_TRUE(flat.ok());
  EXPECT_EQ(flat->tiling.to_string(), by_traffic->tiling.to_string());
  // Fewest sub-operations: no fitting tiling of the same column cut has fewer.
  auto subops = [](const Tiling& t) {
    return static_cast<double>(t.ow_seg_n * t.oc_seg_n * t.oh_seg_n * t.ic_seg_n);
  };
  const Result<TilingPlan> few =
      plan_layer(g, sieve_halves(), nullptr, [&](const TilingPlan& p) { return subops(p.tiling); });
  ASSERT_TRUE(few.ok());
  EXPECT_TRUE(fits(g, few->tiling, sieve_halves()));
  EXPECT_LE(subops(few->tiling), subops(by_traffic->tiling));
  for (int64_t oc = 1; oc <= 96; ++oc)
    for (int64_t oh = 1; oh <= 55; ++oh)
      for (int64_t ic = 1; ic <= 3; ++ic) {
        const Tiling t =
            cut((96 + oc - 1) / oc, oc, (55 + oh - 1) / oh, oh, (3 + ic - 1) / ic, ic, 2, 28);
        if (fits(g, t, sieve_halves())) {
          EXPECT_GE(subops(t), subops(few->tiling));
        }
      }
}

TEST(TilingSearchCost, FilterRefusingEverythingSaysSo) {
  const Result<TilingPlan> p =
      plan_layer(alexnet_conv1(), sieve_halves(), [](const Tiling&) { return false; });
  ASSERT_FALSE(p.ok());
  EXPECT_NE(p.status().message().find("refused"), std::string::npos) << p.status().message();
  // Nothing fits even one output column wide: the error shows the smallest column cut.
  const Result<TilingPlan> q = plan_layer(alexnet_conv1(), {100, 4096, 16384});
  ASSERT_FALSE(q.ok());
  EXPECT_NE(q.status().message().find("ow 55x1"), std::string::npos) << q.status().message();
}

}  // namespace
}  // namespace sieve::compiler
