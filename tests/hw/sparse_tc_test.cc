// The sparse tensor core model (hw/archs/sparse_tc/): the main-loop rule (math, shared-memory
// and L2 feed; the slowest bounds the step), exact cycles of hand-computed GEMMs on both paths,
// which layers take the sparse path, weight bytes with metadata, every zoo network with 2:4
// weights, the energy table, bad presets and bad N:M requests.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "sieve/hw/archs/sparse_tc/perf.h"
#include "sieve/hw/archs/sparse_tc/spec.h"
#include "sieve/hw/core/arch.h"
#include "sieve/hw/energy/energy.h"
#include "sieve/hw/workloads/nm.h"
#include "sieve/zoo/zoo.h"

namespace sieve::hw {
namespace {

using sparse_tc_arch::gemm_timing;
using sparse_tc_arch::GemmTiming;
using sparse_tc_arch::SparseTcSpec;

SparseTcSpec preset() {
  Result<ParamSet> ps = read_params(config_dir() + "/archs/sparse-tc-a100.yaml");
  EXPECT_TRUE(ps.ok()) << ps.status().to_string();
  Result<SparseTcSpec> s = sparse_tc_arch::parse_spec(*ps);
  EXPECT_TRUE(s.ok()) << s.status().to_string();
  return *s;
}

// One full 128 x 256 CTA, K = 64 (one step), by hand from the preset: dense math
// 128·256·64 / (4·512) = 1024 cycles; smem (128·64·4 + 256·64·2) / 128 = 512; l2 with one CTA
// active (8192 + 16384) / 5120 = 5 → step 1024. Sparse: 32 slots: math 512; A 4096 B, metadata
// 128·32·2/8 = 1024 B: smem ((4096 + 1024)·4 + 16384·2) / 128 = 416 → step 512. Epilogue
// 128·256·4 / 128 = 1024; prologue 700.
TEST(SparseTcTiming, OneCtaByHand) {
  const SparseTcSpec s = preset();
  const GemmTiming d = gemm_timing(128, 64, 256, false, s);
  EXPECT_EQ(d.tiles, 1);
  EXPECT_EQ(d.math, 1024);
  EXPECT_EQ(d.smem, 512);
  EXPECT_EQ(d.l2, 5);
  EXPECT_EQ(d.step, 1024);
  EXPECT_EQ(d.epilogue, 1024);
  EXPECT_EQ(d.cycles, 700 + 1024 + 1024);
  const GemmTiming sp = gemm_timing(128, 64, 256, true, s);
  EXPECT_EQ(sp.math, 512);
  EXPECT_EQ(sp.a_bytes, 4096);
  EXPECT_EQ(sp.meta_bytes, 1024);
  EXPECT_EQ(sp.smem, 416);
  EXPECT_EQ(sp.step, 512);
  EXPECT_EQ(sp.cycles, 700 + 512 + 1024);
}

// The step is the slowest of math, smem and L2, and tight: shrinking the smem width until the
// feed exceeds the math makes the step the feed, one byte per clock at a time.
TEST(SparseTcTiming, StepIsTheSlowestFeedAndTight) {
  SparseTcSpec s = preset();
  s.smem_bytes_per_clk = 52;  // sparse feed (5120·4 + 16384·2) / 52 = 1024 = the dense math
  GemmTiming sp = gemm_timing(128, 64, 256, true, s);
  EXPECT_EQ(sp.math, 512);
  EXPECT_EQ(sp.smem, 1024);
  EXPECT_EQ(sp.step, 1024);  // the feed bounds the sparse path: no speed-up left in the loop
  s.smem_bytes_per_clk = 128;
  s.l2_bytes_per_clk = 21;  // (4096 + 1024 + 16384) / 21 = 1024: ties the dense math
  sp = gemm_timing(128, 64, 256, true, s);
  EXPECT_EQ(sp.l2, 1024);
  EXPECT_EQ(sp.step, 1024);
  s.l2_bytes_per_clk = 20;  // 21504 / 20 = 1075.2 → 1076: one byte less, the L2 bounds the step
  sp = gemm_timing(128, 64, 256, true, s);
  EXPECT_EQ(sp.l2, 1076);
  EXPECT_EQ(sp.step, 1076);
}

// CTAs share the SMs: 216 CTAs take twice one CTA, 109 take 109/108 of it (no wave tail), 10
// take one CTA's latency; a GEMV still pays an 8-column MMA.
TEST(SparseTcTiming, CtasShareTheSmsAndMmaGranularity) {
  const SparseTcSpec s = preset();
  const int64_t cta = gemm_timing(128, 64, 256, false, s).cta_cycles;
  EXPECT_EQ(gemm_timing(128 * 216, 64, 256, false, s).cycles, 2 * cta);
  EXPECT_EQ(gemm_timing(128 * 109, 64, 256, false, s).cycles, (109 * cta + 107) / 108);
  EXPECT_EQ(gemm_timing(128 * 10, 64, 256, false, s).cycles, cta);
  EXPECT_EQ(gemm_timing(128 * 109, 64, 256, false, s).waves, 2);
  const GemmTiming v = gemm_timing(128, 64, 1, false, s);
  EXPECT_EQ(v.math, 128 * 8 * 64 / 2048);
}

std::unique_ptr<Accelerator> tc() {
  Result<std::unique_ptr<Accelerator>> a = make_accelerator("sparse-tc", {});
  EXPECT_TRUE(a.ok()) << a.status().to_string();
  return a.ok() ? std::move(*a) : nullptr;
}

// A 2:4 GEMM runs on the sparse path: half the MACs, half the weight values plus 2-bit
// metadata off chip, and (large enough to be math-bound) close to 2x faster, never more.
TEST(SparseTc, TwoFourGemmHalvesMacsAndWeightBytes) {
  auto a = tc();
  ASSERT_NE(a, nullptr);
  Result<Workload> w = gemm_workload(1024, 1024, 1024, 2, 4, 1);
  ASSERT_TRUE(w.ok()) << w.status().to_string();
  SimOptions dense;
  dense.mode = "dense";
  Result<SimResult> d = a->simulate(*w, dense);
  Result<SimResult> s = a->simulate(*w, SimOptions{});
  ASSERT_TRUE(d.ok() && s.ok());
  const LayerStats ld = d->layers[0], ls = s->layers[0];
  EXPECT_TRUE(ls.note.empty()) << ls.note;
  EXPECT_EQ(ld.macs_performed, int64_t{1024} * 1024 * 1024);
  EXPECT_EQ(ls.macs_performed, ld.macs_performed / 2);
  EXPECT_EQ(ld.offchip.weights, 1024 * 1024);
  EXPECT_EQ(ls.offchip.weights, 1024 * 1024 / 2);
  EXPECT_EQ(ls.offchip.weight_index, 1024 * 512 * 2 / 8);
  EXPECT_EQ(ls.actions.at("mux_select"), ls.macs_performed);
  EXPECT_GT(ls.actions.at("metadata_read"), 0);
  EXPECT_EQ(ld.actions.at("mux_select"), 0);
  const double speedup = static_cast<double>(ld.cycles) / static_cast<double>(ls.cycles);
  EXPECT_GT(speedup, 1.3);
  EXPECT_LE(speedup, 2.0);
}

// A mask that breaks 2:4 in one group, or channels that are not a multiple of 4, run dense and
// say why; a 1:4 mask is 2:4-compatible (at most 2 of 4) and runs sparse.
TEST(SparseTc, LayersThatBreakThePatternRunDenseWithANote) {
  auto a = tc();
  ASSERT_NE(a, nullptr);
  Result<Workload> w = gemm_workload(64, 16, 64, 2, 4, 1);
  ASSERT_TRUE(w.ok());
  w->layers[0].weight_mask.set(0);
  w->layers[0].weight_mask.set(1);
  w->layers[0].weight_mask.set(2);
  Result<SimResult> r = a->simulate(*w, SimOptions{});
  ASSERT_TRUE(r.ok());
  EXPECT_NE(r->layers[0].note.find("the sparse path allows 2:4"), std::string::npos)
      << r->layers[0].note;
  EXPECT_EQ(r->layers[0].macs_performed, 64 * 16 * 64);
  Result<Workload> one = gemm_workload(64, 16, 64, 1, 4, 1);
  ASSERT_TRUE(one.ok());
  r = a->simulate(*one, SimOptions{});
  ASSERT_TRUE(r.ok());
  EXPECT_TRUE(r->layers[0].note.empty()) << r->layers[0].note;
  EXPECT_EQ(r->layers[0].macs_performed, 64 * 16 * 32);
}

// Every zoo network runs with 2:4 weights, no slower than dense, and the energy table prices
// every action it counts.
TEST(SparseTc, EveryZooNetworkRunsWithTwoFourWeights) {
  auto a = tc();
  ASSERT_NE(a, nullptr);
  Result<ParamSet> table = read_params(config_dir() + "/energy/sparse-tc-a100.yaml");
  ASSERT_TRUE(table.ok()) << table.status().to_string();
  for (const std::string& n : zoo::names()) {
    if (n == "vgg16" || n == "resnet152" || n == "alexnet") continue;  // large: in the figures
    SCOPED_TRACE(n);
    Result<Workload> w = nm_zoo_workload(n, 2, 4, 1);
    ASSERT_TRUE(w.ok()) << w.status().to_string();
    SimOptions dense;
    dense.mode = "dense";
    Result<SimResult> s = a->simulate(*w, SimOptions{});
    Result<SimResult> d = a->simulate(*w, dense);
    ASSERT_TRUE(s.ok() && d.ok());
    EXPECT_LE(s->total().cycles, d->total().cycles);
    EXPECT_LE(s->total().macs_performed, d->total().macs_performed);
    Result<EnergyBreakdown> e = total_energy(*s, *table);
    ASSERT_TRUE(e.ok()) << e.status().to_string();
  }
}

TEST(SparseTc, UnknownModeIsRefused) {
  auto a = tc();
  ASSERT_NE(a, nullptr);
  SimOptions o;
  o.mode = "4:8";
  Result<Workload> w = gemm_workload(16, 16, 16, 2, 4, 1);
  ASSERT_TRUE(w.ok());
  Result<SimResult> r = a->simulate(*w, o);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("known: sparse, dense"), std::string::npos);
}

void expect_refused(const std::vector<std::string>& overrides, const std::string& part) {
  Result<std::unique_ptr<Accelerator>> a = make_accelerator("sparse-tc", overrides);
  ASSERT_FALSE(a.ok()) << overrides[0];
  EXPECT_NE(a.status().message().find(part), std::string::npos) << a.status().message();
  EXPECT_NE(a.status().message().find("sparse-tc-a100.yaml"), std::string::npos)
      << a.status().message();
}

TEST(SparseTcBadPreset, RefusedNamingFileKeyAndValue) {
  expect_refused({"n_sm=0"}, "n_sm");
  expect_refused({"sparse_n=5"}, "sparse_n = 5 exceeds sparse_m = 4");
  expect_refused({"sparse_m=8"}, "metadata_bits = 2 cannot index 8 positions");
  expect_refused({"operand_bits=12"}, "operand_bits = 12");
  expect_refused({"warps_n=3"}, "warps_m x warps_n = 2 x 3");
  expect_refused({"l2_bytes_per_clk=-1"}, "l2_bytes_per_clk");
}

TEST(NmWorkload, BadNmRefused) {
  Result<Workload> w = gemm_workload(16, 16, 16, 5, 4, 1);
  ASSERT_FALSE(w.ok());
  EXPECT_NE(w.status().message().find("n must not exceed m"), std::string::npos);
  w = gemm_workload(16, 16, 10, 2, 4, 1);
  ASSERT_FALSE(w.ok());
  EXPECT_NE(w.status().message().find("K = 10 is not a multiple of m = 4"), std::string::npos);
  EXPECT_FALSE(nm_zoo_workload("no-such-net", 2, 4, 1).ok());
}

// The drawn masks keep exactly n of every m channels at each row and kernel position.
TEST(NmWorkload, DrawnMasksKeepExactlyNOfM) {
  Result<Workload> w = nm_zoo_workload("lenet5", 2, 4, 3);
  ASSERT_TRUE(w.ok());
  int64_t checked = 0;
  for (const LayerWork& l : w->layers) {
    if (l.structure.method != "nm") continue;
    const int64_t inner = l.kind == LayerKind::kConv ? l.kh * l.kw : 1;
    const int64_t chans = l.cols / inner;
    for (int64_t r = 0; r < l.rows; ++r)
      for (int64_t k = 0; k < inner; ++k)
        for (int64_t c0 = 0; c0 < chans; c0 += 4) {
          int64_t kept = 0;
          for (int64_t c = c0; c < c0 + 4; ++c)
            kept += l.weight_mask.get(r * l.cols + c * inner + k);
          ASSERT_EQ(kept, 2) << l.name;
        }
    ++checked;
  }
  EXPECT_EQ(checked, 3);  // conv2, ip1, ip2 (conv1 has one input channel: dense)
}

}  // namespace
}  // namespace sieve::hw
