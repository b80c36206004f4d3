// Loop tiling and reuse choice (src/sieve/compiler/tiling.h): the thesis' worked example
// (§4.3.3, VGG16 conv4_2), the search, fits(), sub-op flags against the traffic formulas,
// degenerate shapes and the error when nothing fits.
#include "sieve/compiler/tiling.h"

#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmath>
#include <cstdio>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "cli_util.h"
#include "sieve/compiler/placement.h"
#include "sieve/compiler/plan.h"
#include "sieve/compress/model.h"
#include "sieve/hw/core/workload.h"
#include "sieve/io/container/container.h"
#include "sieve/zoo/zoo.h"

namespace sieve::compiler {
namespace {

constexpr double kMiB = 1024.0 * 1024.0;

// VGG16 conv4_2: padded input 512×30×30, 3×3 kernels 512→512, output 512×28×28; densities from
// thesis Table 3.2 (input 40.52 %, weights 34.20 %).
LayerGeometry conv4_2() {
  LayerGeometry g;
  g.in_c = 512, g.in_h = 30, g.in_w = 30;
  g.out_c = 512, g.out_h = 28, g.out_w = 28;
  g.kh = 3, g.kw = 3;
  g.in_density = 0.4052;
  g.w_density = 0.3420;
  return g;
}

// The thesis' tiles: output channels 4×128, rows 28×1, input channels 16×32.
Tiling thesis_tiling() {
  Tiling t;
  t.oc_seg_n = 4, t.oc_seg_size = 128;
  t.oh_seg_n = 28, t.oh_seg_size = 1;
  t.ic_seg_n = 16, t.ic_seg_size = 32;
  return t;
}

// The thesis' buffers (§4.3.3, Table 5.1): NBin 8 KB, NBout 8 KB, SB 32 KB.
BufferCapacity thesis_buffers() {
  return {8 * 1024, 8 * 1024, 32 * 1024};
}

// Sums the segment sizes the flags of sub_ops() move, bytes.
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

TEST(TilingWorkedExample, SegmentSizesMatchThesis) {
  const SegmentSizes s = segment_sizes(conv4_2(), thesis_tiling());
  EXPECT_DOUBLE_EQ(s.in, 30 * 3 * 32 * 0.4052);
  EXPECT_DOUBLE_EQ(s.syn, 3 * 3 * 32 * 128 * 0.3420);
  EXPECT_DOUBLE_EQ(s.out, 28 * 1 * 128);
}

TEST(TilingWorkedExample, TrafficIsThesisMiBAndSynapseReuseIsChosen) {
  const TilingPlan p = plan_with_tiling(conv4_2(), thesis_tiling());
  EXPECT_NEAR(p.traffic.input_reuse / kMiB, 68.59, 0.005);
  EXPECT_NEAR(p.traffic.output_reuse / kMiB, 47.85, 0.005);
  EXPECT_NEAR(p.traffic.synapse_reuse / kMiB, 30.03, 0.005);
  EXPECT_EQ(p.reuse, Reuse::kSynapse);
  EXPECT_STREQ(reuse_name(p.reuse), "synapse-reuse");
  EXPECT_EQ(p.tiling.to_string(), "oc 4x128, oh 28x1, ic 16x32");
}

TEST(TilingWorkedExample, ThesisTilingFitsThesisBuffers) {
  EXPECT_TRUE(fits(conv4_2(), thesis_tiling(), thesis_buffers()));
}

TEST(TilingSearch, Conv4_2FindsNoWorseThanThesisAndFits) {
  const LayerGeometry g = conv4_2();
  const Result<TilingPlan> p = plan_layer(g, thesis_buffers());
  ASSERT_TRUE(p.ok()) << p.status().to_string();
  const double thesis = plan_with_tiling(g, thesis_tiling()).traffic.synapse_reuse;
  EXPECT_LE(p->traffic.of(p->reuse), thesis);
  EXPECT_TRUE(fits(g, p->tiling, thesis_buffers()));
  // The plan's reuse is the best for its tiling and its segment counts are consistent.
  EXPECT_EQ(plan_with_tiling(g, p->tiling).reuse, p->reuse);
  EXPECT_EQ(p->tiling.oc_seg_n, (g.out_c + p->tiling.oc_seg_size - 1) / p->tiling.oc_seg_size);
  EXPECT_EQ(p->tiling.oh_seg_n, (g.out_h + p->tiling.oh_seg_size - 1) / p->tiling.oh_seg_size);
  EXPECT_EQ(p->tiling.ic_seg_n, (g.in_c + p->tiling.ic_seg_size - 1) / p->tiling.ic_seg_size);
}

TEST(TilingSearch, NoFittingTilingOfTheSearchSpaceBeatsThePlan) {
  // Brute force over every (not only the candidate) segment size of a small layer.
  LayerGeometry g;
  g.in_c = 12, g.in_h = 9, g.in_w = 9, g.out_c = 10, g.out_h = 7, g.out_w = 7, g.kh = 3, g.kw = 3;
  g.in_density = 0.6, g.w_density = 0.5;
  const BufferCapacity cap{300, 200, 500};
  const Result<TilingPlan> p = plan_layer(g, cap);
  ASSERT_TRUE(p.ok()) << p.status().to_string();
  const double best = p->traffic.of(p->reuse);
  for (int64_t oc = 1; oc <= g.out_c; ++oc) {
    for (int64_t oh = 1; oh <= g.out_h; ++oh) {
      for (int64_t ic = 1; ic <= g.in_c; ++ic) {
        Tiling t;
        t.oc_seg_size = oc, t.oc_seg_n = (g.out_c + oc - 1) / oc;
        t.oh_seg_size = oh, t.oh_seg_n = (g.out_h + oh - 1) / oh;
        t.ic_seg_size = ic, t.ic_seg_n = (g.in_c + ic - 1) / ic;
        if (!fits(g, t, cap)) continue;
        const TilingPlan q = plan_with_tiling(g, t);
        EXPECT_GE(q.traffic.of(q.reuse), best * (1 - 1e-9)) << t.to_string();
      }
    }
  }
}

TEST(TilingFits, RefusesAnOversizedSegment) {
  const LayerGeometry g = conv4_2();
  const Tiling t = thesis_tiling();
  const SegmentSizes s = segment_sizes(g, t);
  BufferCapacity cap = thesis_buffers();
  cap.sb = static_cast<int64_t>(std::floor(s.syn * 2)) - 1;  // one byte short
  EXPECT_FALSE(fits(g, t, cap));
  cap = thesis_buffers();
  cap.nbout = 28 * 128 * 2 - 1;
  EXPECT_FALSE(fits(g, t, cap));
  cap = thesis_buffers();
  cap.nbin = static_cast<int64_t>(std::floor(s.in * 2)) - 1;
  EXPECT_FALSE(fits(g, t, cap));
  cap.nbin = static_cast<int64_t>(std::ceil(s.in * 2));
  EXPECT_TRUE(fits(g, t, cap));
}

// Shapes for the sub-op checks: conv4_2 with the thesis tiling, a tiling with short last
// segments, degenerate counts (single segments in each dimension), an FC layer, a pooling
// (depthwise, no weights) layer.
struct Case {
  std::string name;
  LayerGeometry g;
  Tiling t;
};

Tiling tile(const LayerGeometry& g, int64_t oc, int64_t oh, int64_t ic) {
  Tiling t;
  t.oc_seg_size = oc, t.oc_seg_n = (g.out_c + oc - 1) / oc;
  t.oh_seg_size = oh, t.oh_seg_n = (g.out_h + oh - 1) / oh;
  t.ic_seg_size = ic, t.ic_seg_n = (g.in_c + ic - 1) / ic;
  t.depthwise = g.depthwise;
  return t;
}

std::vector<Case> cases() {
  std::vector<Case> cs;
  cs.push_back({"conv4_2", conv4_2(), thesis_tiling()});
  LayerGeometry small;
  small.in_c = 7, small.in_h = 11, small.in_w = 11, small.out_c = 5, small.out_h = 5,
  small.out_w = 5, small.kh = 3, small.kw = 3, small.stride_h = 2, small.stride_w = 2;
  small.in_density = 0.5, small.w_density = 0.25;
  cs.push_back({"short-last-segments", small, tile(small, 2, 2, 3)});
  cs.push_back({"one-oc-segment", small, tile(small, 5, 2, 3)});
  cs.push_back({"one-ic-segment", small, tile(small, 2, 2, 7)});
  cs.push_back({"one-oh-segment", small, tile(small, 2, 5, 3)});
  cs.push_back({"single-sub-op", small, tile(small, 5, 5, 7)});
  LayerGeometry fc;
  fc.in_c = 100, fc.out_c = 30, fc.w_density = 0.1;
  cs.push_back({"fc", fc, tile(fc, 8, 1, 16)});
  LayerGeometry one;  // 1×1 convolution
  one.in_c = 6, one.in_h = 4, one.in_w = 4, one.out_c = 9, one.out_h = 4, one.out_w = 4;
  cs.push_back({"conv1x1", one, tile(one, 4, 3, 2)});
  LayerGeometry pool;
  pool.in_c = 6, pool.in_h = 8, pool.in_w = 8, pool.out_c = 6, pool.out_h = 4, pool.out_w = 4;
  pool.kh = 2, pool.kw = 2, pool.stride_h = 2, pool.stride_w = 2, pool.w_density = 0;
  pool.depthwise = true;
  cs.push_back({"pool", pool, tile(pool, 4, 1, 4)});
  return cs;
}

TEST(TilingSubOps, FlaggedSegmentsReproduceSubopTrafficForEveryReuse) {
  for (const Case& c : cases()) {
    const Traffic exact = subop_traffic(c.g, c.t);
    const Traffic formula = offchip_traffic(c.g, c.t);
    for (Reuse r : {Reuse::kInput, Reuse::kOutput, Reuse::kSynapse}) {
      const double flagged = flagged_bytes(c.g, c.t, r);
      EXPECT_NEAR(flagged, exact.of(r), 1e-9 * exact.of(r)) << c.name << " " << reuse_name(r);
      EXPECT_LE(exact.of(r), formula.of(r) * (1 + 1e-12)) << c.name << " " << reuse_name(r);
    }
  }
}

TEST(TilingSubOps, DifferFromThesisFormulaOnlyByTheFirstPartialSumLoad) {
  // With every segment count >= 2 nothing stays on chip by accident: the thesis' formula
  // counts a partial-sum round trip per sub-op, the sub-ops load partial sums only when
  // resuming, so input- and synapse-reuse differ by one load of every output segment.
  for (const Case& c : cases()) {
    if (c.t.oc_seg_n < 2 || c.t.oh_seg_n < 2 || c.t.ic_seg_n < 2 || c.t.depthwise) continue;
    const Traffic exact = subop_traffic(c.g, c.t);
    const Traffic formula = offchip_traffic(c.g, c.t);
    const double out_once = segment_sizes(c.g, c.t).out *
                            static_cast<double>(c.t.oc_seg_n * c.t.oh_seg_n) *
                            c.g.bytes_per_element;
    EXPECT_NEAR(formula.output_reuse, exact.output_reuse, 1e-9 * exact.output_reuse) << c.name;
    EXPECT_NEAR(formula.input_reuse - exact.input_reuse, out_once, 1e-6 * out_once) << c.name;
    EXPECT_NEAR(formula.synapse_reuse - exact.synapse_reuse, out_once, 1e-6 * out_once) << c.name;
  }
  // conv4_2 under synapse-reuse: 30.03 MiB by the formula, 30.03 − 0.77 MiB moved.
  const Traffic exact = subop_traffic(conv4_2(), thesis_tiling());
  EXPECT_NEAR(exact.synapse_reuse / kMiB, 30.03 - 4 * 28 * 3584 * 2 / kMiB, 0.005);
}

TEST(TilingSubOps, EverySegmentTripleOnceAndOutputsStoredOnceWhenFinished) {
  for (const Case& c : cases()) {
    for (Reuse r : {Reuse::kInput, Reuse::kOutput, Reuse::kSynapse}) {
      const std::vector<SubOp> ops = sub_ops(c.t, r);
      const int64_t ic_per_oc = c.t.depthwise ? 1 : c.t.ic_seg_n;
      ASSERT_EQ(static_cast<int64_t>(ops.size()), c.t.oc_seg_n * c.t.oh_seg_n * ic_per_oc)
          << c.name << " " << reuse_name(r);
      std::vector<int> seen(static_cast<size_t>(c.t.oc_seg_n * c.t.oh_seg_n * c.t.ic_seg_n), 0);
      std::vector<int> done(static_cast<size_t>(c.t.oc_seg_n * c.t.oh_seg_n), 0);
      std::vector<int> stored(done.size(), 0);
      std::vector<bool> resident_psum(done.size(), false);  // partial sums off chip
      for (const SubOp& op : ops) {
        ++seen[static_cast<size_t>((op.oc_seg * c.t.oh_seg_n + op.oh_seg) * c.t.ic_seg_n +
                                   op.ic_seg)];
        const auto o = static_cast<size_t>(op.oc_seg * c.t.oh_seg_n + op.oh_seg);
        // A partial-sum load happens exactly when partial sums were stored off chip.
        EXPECT_EQ(op.load_psum, resident_psum[o]) << c.name << " " << reuse_name(r);
        resident_psum[o] = false;
        ++done[o];
        EXPECT_FALSE(op.store_output && op.store_psum);
        if (op.store_output) {
          EXPECT_EQ(done[o], ic_per_oc) << c.name;
          ++stored[o];
        }
        if (op.store_psum) resident_psum[o] = true;
      }
      for (int s : stored) EXPECT_EQ(s, 1) << c.name << " " << reuse_name(r);
      int total = 0;
      for (int s : seen) {
        EXPECT_LE(s, 1);
        total += s;
      }
      EXPECT_EQ(total, static_cast<int>(ops.size()));
      EXPECT_TRUE(ops.front().load_input && ops.front().load_weights);
    }
  }
}

TEST(TilingSubOps, ReusedOperandStaysOnChip) {
  const Tiling t = thesis_tiling();
  int64_t loads = 0;
  for (const SubOp& op : sub_ops(t, Reuse::kSynapse)) loads += op.load_weights ? 1 : 0;
  EXPECT_EQ(loads, t.ic_seg_n * t.oc_seg_n);
  loads = 0;
  for (const SubOp& op : sub_ops(t, Reuse::kInput)) loads += op.load_input ? 1 : 0;
  EXPECT_EQ(loads, t.ic_seg_n * t.oh_seg_n);
  loads = 0;
  int64_t psum = 0;
  for (const SubOp& op : sub_ops(t, Reuse::kOutput)) {
    loads += op.store_output ? 1 : 0;
    psum += (op.load_psum || op.store_psum) ? 1 : 0;
  }
  EXPECT_EQ(loads, t.oc_seg_n * t.oh_seg_n);
  EXPECT_EQ(psum, 0);
}

TEST(TilingDegenerate, FcLayerPlansWithOneRow) {
  LayerGeometry fc;  // VGG16 fc6: 25088 → 4096, 4 % weights (thesis Table 3.2 order of size)
  fc.in_c = 25088, fc.out_c = 4096, fc.w_density = 0.04;
  const Result<TilingPlan> p = plan_layer(fc, thesis_buffers());
  ASSERT_TRUE(p.ok()) << p.status().to_string();
  EXPECT_EQ(p->tiling.oh_seg_n, 1);
  EXPECT_TRUE(fits(fc, p->tiling, thesis_buffers()));
  // Weights are read once whatever the reuse when they dominate: traffic >= all weights.
  const double weights = 25088.0 * 4096 * 0.04 * 2;
  EXPECT_GE(p->traffic.of(p->reuse), weights);
}

TEST(TilingDegenerate, OneByOneLayerAndSingleOutputRow) {
  LayerGeometry g;
  g.in_c = 1, g.out_c = 1;  // every size 1
  const Result<TilingPlan> p = plan_layer(g, {2, 2, 2});
  ASSERT_TRUE(p.ok()) << p.status().to_string();
  EXPECT_EQ(p->tiling.to_string(), "oc 1x1, oh 1x1, ic 1x1");
  EXPECT_EQ(sub_ops(p->tiling, p->reuse).size(), 1u);
  // 1 input + 1 weight + 1 output element of 2 B; the thesis formula counts 2 for outputs
  // under input/synapse reuse, so output-reuse (exactly 3 elements) is chosen.
  EXPECT_EQ(p->reuse, Reuse::kOutput);
  EXPECT_DOUBLE_EQ(p->traffic.output_reuse, 6);

  LayerGeometry row = conv4_2();  // out_h = 1: a 3-row input
  row.in_h = 3, row.out_h = 1;
  const Result<TilingPlan> q = plan_layer(row, thesis_buffers());
  ASSERT_TRUE(q.ok()) << q.status().to_string();
  EXPECT_EQ(q->tiling.oh_seg_n, 1);
  EXPECT_EQ(q->tiling.oh_seg_size, 1);
}

TEST(TilingDegenerate, PoolingHasNoWeightTrafficAndNoChannelCrossing) {
  LayerGeometry pool;  // VGG16 pool4 on a padded-free 512×28×28 input
  pool.in_c = 512, pool.in_h = 28, pool.in_w = 28, pool.out_c = 512, pool.out_h = 14,
  pool.out_w = 14, pool.kh = 2, pool.kw = 2, pool.stride_h = 2, pool.stride_w = 2;
  pool.w_density = 0, pool.depthwise = true;
  const Result<TilingPlan> p = plan_layer(pool, thesis_buffers());
  ASSERT_TRUE(p.ok()) << p.status().to_string();
  EXPECT_EQ(segment_sizes(pool, p->tiling).syn, 0);
  EXPECT_EQ(p->tiling.ic_seg_size, p->tiling.oc_seg_size);
  // Under output-reuse every input and output element moves once (no halo with stride = kernel;
  // a tiling without short segments).
  const double once = (512.0 * 28 * 28 + 512.0 * 14 * 14) * 2;
  EXPECT_DOUBLE_EQ(offchip_traffic(pool, tile(pool, 128, 7, 128)).output_reuse, once);
  for (const SubOp& op : sub_ops(p->tiling, p->reuse)) EXPECT_EQ(op.ic_seg, op.oc_seg);

  LayerGeometry bad = pool;
  bad.out_c = 256;
  EXPECT_FALSE(plan_layer(bad, thesis_buffers()).ok());
}

TEST(TilingErrors, NothingFitsNamesTheLayerAndBuffers) {
  const Result<TilingPlan> p = plan_layer(conv4_2(), {1, 1, 1});
  ASSERT_FALSE(p.ok());
  const std::string m = p.status().message();
  EXPECT_NE(m.find("in 512x30x30"), std::string::npos) << m;
  EXPECT_NE(m.find("NBin 1 B"), std::string::npos) << m;
  EXPECT_NE(m.find("does not fit"), std::string::npos) << m;
  EXPECT_NE(m.find("oc 512x1, oh 28x1, ic 512x1"), std::string::npos) << m;

  LayerGeometry zero = conv4_2();
  zero.kh = 0;
  EXPECT_FALSE(plan_layer(zero, thesis_buffers()).ok());
  LayerGeometry dense = conv4_2();
  dense.in_density = 1.5;
  EXPECT_FALSE(plan_layer(dense, thesis_buffers()).ok());
}

// ---- Data placement (placement.h) ----

// The thesis' five buffers (§4.2.2): NBin 8 KB, NIBin 1 KB, NBout 8 KB, SB 32 KB, SIB 1 KB.
BufferSizes thesis_sizes() {
  return {8 * 1024, 1024, 8 * 1024, 32 * 1024, 1024};
}

TEST(TilingPlacement, ThesisExampleFitsAllFiveBuffersWithSharedWeightIndex) {
  const LayerGeometry g = conv4_2();
  // Coarse-grained pruning, one index bit per 16 weights: SIB 3·3·32·128 / 16 bits = 288 B.
  const IndexModel ix = index_for(g, 16);
  ASSERT_TRUE(ix.input_index && ix.weight_index);
  const std::vector<BufferUse> use = place(g, thesis_tiling(), ix, thesis_sizes());
  ASSERT_EQ(use.size(), 5u);
  EXPECT_EQ(use[0].buffer, Buffer::kNBin);
  EXPECT_DOUBLE_EQ(use[0].bytes, 30 * 3 * 32 * 0.4052 * 2);
  EXPECT_EQ(use[1].buffer, Buffer::kNIBin);
  EXPECT_DOUBLE_EQ(use[1].bytes, 30 * 3 * 32 / 8.0);
  EXPECT_DOUBLE_EQ(use[2].bytes, 28 * 128 * 2);
  EXPECT_DOUBLE_EQ(use[4].bytes, 3 * 3 * 32 * 128 / 16 / 8.0);
  EXPECT_STREQ(buffer_name(use[4].buffer), "SIB");
  EXPECT_TRUE(fits_all(g, thesis_tiling(), ix, thesis_sizes()));
}

TEST(TilingPlacement, FineGrainedWeightIndexOverflowsSibAndThePlanAvoidsIt) {
  const LayerGeometry g = conv4_2();
  const IndexModel fine = index_for(g, 1);  // 36864 bits = 4608 B > 1 KB
  EXPECT_FALSE(fits_all(g, thesis_tiling(), fine, thesis_sizes()));
  const Result<TilingPlan> p = plan_placed(g, fine, thesis_sizes());
  ASSERT_TRUE(p.ok()) << p.status().to_string();
  EXPECT_TRUE(fits_all(g, p->tiling, fine, thesis_sizes()));
  const Result<TilingPlan> values_only = plan_layer(g, value_capacity(thesis_sizes()));
  ASSERT_TRUE(values_only.ok());
  EXPECT_GE(p->traffic.of(p->reuse), values_only->traffic.of(values_only->reuse));

  BufferSizes no_sib = thesis_sizes();
  no_sib.sib = 0;
  const Result<TilingPlan> q = plan_placed(g, fine, no_sib);
  ASSERT_FALSE(q.ok());
  EXPECT_NE(q.status().message().find("index buffers"), std::string::npos) << q.status().message();
}

TEST(TilingPlacement, DenseLayerNeedsNoIndexAndPingPongHalves) {
  LayerGeometry g = conv4_2();
  g.in_density = 1, g.w_density = 1;
  const IndexModel ix = index_for(g);
  EXPECT_FALSE(ix.input_index || ix.weight_index);
  const std::vector<BufferUse> use = place(g, thesis_tiling(), ix, thesis_sizes());
  EXPECT_EQ(use[1].bytes, 0);
  EXPECT_EQ(use[4].bytes, 0);
  const BufferSizes half = subop_share(thesis_sizes(), true);
  EXPECT_EQ(half.nbin, 4096);
  EXPECT_EQ(half.sib, 512);
  EXPECT_EQ(subop_share(thesis_sizes(), false).sb, 32 * 1024);
  // With half of each buffer the thesis' 7 KB output segment no longer fits.
  EXPECT_FALSE(fits_all(g, thesis_tiling(), ix, half));
}

hw::LayerWork conv_work() {
  hw::LayerWork w;
  w.name = "conv4_2";
  w.kind = hw::LayerKind::kConv;
  w.in_c = 512, w.in_h = 28, w.in_w = 28, w.out_c = 512, w.out_h = 28, w.out_w = 28;
  w.kh = 3, w.kw = 3, w.pad_top = w.pad_bottom = w.pad_left = w.pad_right = 1;
  w.rows = 512, w.cols = 512 * 9;
  w.weight_mask = hw::BitVec(w.rows * w.cols, false);
  for (int64_t i = 0; i < w.rows * w.cols; i += 4) w.weight_mask.set(i);  // 25 %
  w.block = {16, 1, 1, 1};
  return w;
}

TEST(TilingPlacement, LowerPadsTheInputAndKeepsTheRealInput) {
  const Result<Lowered> s = lower(conv_work(), MappingRules{});
  ASSERT_TRUE(s.ok()) << s.status().to_string();
  EXPECT_EQ(s->geometry.in_h, 30);
  EXPECT_EQ(s->geometry.in_w, 30);
  EXPECT_EQ(s->in_h, 28);
  EXPECT_EQ(s->pad_left, 1);
  EXPECT_EQ(s->cols_per_channel, 9);
  EXPECT_EQ(s->repeat, 1);
  EXPECT_FALSE(s->geometry.depthwise);
  EXPECT_FALSE(s->streamed);
}

TEST(TilingPlacement, LowerMapsPoolGroupsFcAndLstmByTheRules) {
  hw::LayerWork pool;
  pool.name = "pool";
  pool.kind = hw::LayerKind::kPool;
  pool.in_c = pool.out_c = 64, pool.in_h = pool.in_w = 8, pool.out_h = pool.out_w = 4;
  pool.kh = pool.kw = pool.stride_h = pool.stride_w = 2;
  MappingRules rules;
  Result<Lowered> s = lower(pool, rules);
  ASSERT_TRUE(s.ok()) << s.status().to_string();
  EXPECT_TRUE(s->geometry.depthwise);
  rules.pool = PoolMapping::kStreamedRows;
  s = lower(pool, rules);
  ASSERT_TRUE(s.ok());
  EXPECT_TRUE(s->streamed);

  hw::LayerWork grouped = conv_work();
  grouped.group = 2;
  grouped.cols = 256 * 9;
  grouped.weight_mask = hw::BitVec(grouped.rows * grouped.cols, true);
  s = lower(grouped, MappingRules{});
  ASSERT_TRUE(s.ok()) << s.status().to_string();
  EXPECT_EQ(s->geometry.in_c, 256);
  EXPECT_EQ(s->geometry.out_c, 256);
  EXPECT_EQ(s->repeat, 2);
  EXPECT_EQ(s->mapping, "one-group-repeated");
  rules.groups = GroupMapping::kGroupsSideBySide;
  s = lower(grouped, rules);
  ASSERT_TRUE(s.ok());
  EXPECT_EQ(s->geometry.in_c, 256);
  EXPECT_EQ(s->geometry.out_c, 512);
  EXPECT_EQ(s->repeat, 1);
  grouped.group = 3;
  s = lower(grouped, rules);
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.status().message().find("group 3 does not divide"), std::string::npos)
      << s.status().message();

  hw::LayerWork fc;
  fc.name = "fc";
  fc.kind = hw::LayerKind::kFullyConnected;
  fc.in_c = 100, fc.out_c = 10, fc.rows = 10, fc.cols = 100;
  fc.weight_mask = hw::BitVec(1000, true);
  s = lower(fc, MappingRules{});
  ASSERT_TRUE(s.ok());
  EXPECT_EQ(s->geometry.in_c, 100);
  EXPECT_EQ(s->geometry.out_c, 10);
  EXPECT_EQ(s->geometry.in_h * s->geometry.kh * s->geometry.out_h, 1);

  hw::LayerWork lstm = fc;
  lstm.kind = hw::LayerKind::kLstm;
  lstm.timesteps = 7;
  s = lower(lstm, MappingRules{});
  ASSERT_TRUE(s.ok());
  EXPECT_EQ(s->repeat, 7);
  rules.lstm = LstmMapping::kStepsAsRows;
  s = lower(lstm, rules);
  ASSERT_TRUE(s.ok());
  EXPECT_EQ(s->repeat, 1);
  EXPECT_EQ(s->geometry.out_h, 7);

  hw::LayerWork other = fc;
  other.kind = hw::LayerKind::kOther;
  s = lower(other, MappingRules{});
  ASSERT_TRUE(s.ok());
  EXPECT_TRUE(s->streamed);
}

// ---- sieve tile ----

using sieve_test::CliRun;
using sieve_test::run_sieve;

// The plan Sieve makes minimises its estimate of time, not traffic (plan.h); its traffic
// figures are the thesis' formulas on its own tiling, and the buffers are the preset's halves.
TEST(TilingCli, Vgg16Conv4_2PlanReportsTheFormulasOfItsOwnTiling) {
  const CliRun r = run_sieve("tile --model vgg16 --layer conv4_2 --json --input-density 0.4052");
  ASSERT_EQ(r.rc, 0) << r.out;
  const nlohmann::json j = nlohmann::json::parse(r.out);
  EXPECT_EQ(j["arch"], "sieve");
  ASSERT_EQ(j["layers"].size(), 1u);
  const nlohmann::json& l = j["layers"][0];
  EXPECT_EQ(l["name"], "conv4_2");
  EXPECT_EQ(l["geometry"]["in"], nlohmann::json({512, 30, 30}));
  LayerGeometry g = conv4_2();
  g.in_density = l["geometry"]["in_density"].get<double>();
  g.w_density = l["geometry"]["w_density"].get<double>();
  EXPECT_NEAR(g.in_density, 0.4052, 0.01);  // synthetic activations at that density
  Tiling t;
  t.oc_seg_n = l["tiling"]["oc"][0], t.oc_seg_size = l["tiling"]["oc"][1];
  t.oh_seg_n = l["tiling"]["oh"][0], t.oh_seg_size = l["tiling"]["oh"][1];
  t.ic_seg_n = l["tiling"]["ic"][0], t.ic_seg_size = l["tiling"]["ic"][1];
  const TilingPlan p = plan_with_tiling(g, t);
  EXPECT_NEAR(l["traffic_bytes"]["synapse_reuse"].get<double>(), p.traffic.synapse_reuse,
              1e-6 * p.traffic.synapse_reuse);
  EXPECT_EQ(l["reuse"], reuse_name(p.reuse));
  // Sieve's ping-pong halves of its 8 KB NBout and 32 KB SB (configs/archs/sieve-65nm.yaml).
  EXPECT_EQ(l["placement"][2]["capacity"], 4096);
  EXPECT_EQ(l["placement"].size(), 5u);
  EXPECT_EQ(l["sub_op_count"].get<int64_t>(), t.oc_seg_n * t.oh_seg_n * t.ic_seg_n);
}

TEST(TilingCli, PingPongHalvesBuffersAndOverridesAreChecked) {
  CliRun r = run_sieve("tile --model lenet5 --json -p sb_bytes=2000");
  ASSERT_EQ(r.rc, 0) << r.out;
  const nlohmann::json j = nlohmann::json::parse(r.out);
  ASSERT_EQ(j["layers"].size(), 6u);  // conv1, pool1, conv2, pool2, ip1, ip2
  const nlohmann::json& conv1 = j["layers"][0];
  EXPECT_EQ(conv1["placement"][3]["capacity"], 1000);  // SB half
  EXPECT_EQ(conv1["placement"][0]["capacity"], 4096);  // NBin half
  EXPECT_EQ(j["layers"][1]["tiled"], false);           // pooling streams through the vector unit

  r = run_sieve("tile --model lenet5 -p no_such_key=8");
  EXPECT_NE(r.rc, 0);
  EXPECT_NE(r.out.find("no_such_key"), std::string::npos) << r.out;
  r = run_sieve("tile --model lenet5 -p nbin_bytes=16");
  EXPECT_EQ(r.rc, 1);
  EXPECT_NE(r.out.find("no tiling fits NBin 8 B"), std::string::npos) << r.out;
  r = run_sieve("tile --model lenet5 --layer nope");
  EXPECT_NE(r.rc, 0);
  EXPECT_NE(r.out.find("conv1"), std::string::npos) << r.out;
}

TEST(TilingCli, WeightDensityComesFromTheSieveMasks) {
  Result<ir::Graph> g = zoo::build("lenet5", {.init_weights = true});
  ASSERT_TRUE(g.ok()) << g.status().to_string();
  compress::CompressedModel m;
  m.graph = std::move(*g);
  compress::CompressedLayer cl;
  cl.node = "conv2";
  cl.weight = "conv2.weight";
  cl.shape = {50, 20, 5, 5};
  cl.block = {1, 1, 1, 1};
  cl.mask = Tensor::zeros(DType::kU8, cl.shape);
  const Tensor* w = m.graph.initializer("conv2.weight");
  ASSERT_NE(w, nullptr);
  uint8_t* mask = cl.mask.data<uint8_t>();
  for (int64_t i = 0; i < cl.numel(); ++i) {
    if (i % 5 == 0) {  // 20 % kept
      mask[i] = 1;
      cl.values.push_back(w->data<float>()[i]);
    }
  }
  m.layers.push_back(cl);
  ASSERT_TRUE(compress::decode(m).ok());
  const std::string path =
      testing::TempDir() + "sieve_tile_test_" + std::to_string(::getpid()) + ".sieve";
  ASSERT_TRUE(io::write_sieve(m, path).ok());
  const CliRun r = run_sieve("tile --model " + path + " --layer conv2 --json");
  std::remove(path.c_str());
  ASSERT_EQ(r.rc, 0) << r.out;
  const nlohmann::json j = nlohmann::json::parse(r.out);
  EXPECT_DOUBLE_EQ(j["layers"][0]["geometry"]["w_density"].get<double>(), 0.2);
  // Sparse weights carry a weight index in SIB: 1 bit per position (fine-grained block).
  EXPECT_GT(j["layers"][0]["placement"][4]["bytes"].get<double>(), 0);
}

}  // namespace
}  // namespace sieve::compiler
