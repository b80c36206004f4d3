// EIE (Han et al., ISCA 2016): the interleaved CSC layout with padding zeros, the broadcast /
// activation-queue timing on hand-computed layers (exact cycles, a full queue stalling the
// broadcast), the functional model bit for bit against the 16-bit reference, per-layer
// refusals of what EIE cannot run, and bad presets.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <string>
#include <vector>

#include "cli_util.h"
#include "compressed_models.h"
#include "sieve/hw/core/csc.h"
#include "sieve/hw/archs/eie/functional.h"
#include "sieve/hw/archs/eie/perf.h"
#include "sieve/hw/archs/eie/spec.h"
#include "sieve/hw/core/arch.h"
#include "sieve/hw/core/params.h"
#include "sieve/hw/sim/inputs.h"
#include "sieve/hw/sim/run.h"
#include "sieve/hw/workloads/eie.h"
#include "sieve/io/container/container.h"
#include "sieve/runtime/fixed16/fixed16.h"

namespace sieve::hw::eie_arch {
namespace {

BitVec mask_of(int64_t rows, int64_t cols, const std::vector<std::pair<int64_t, int64_t>>& kept) {
  BitVec m(rows * cols);
  for (const auto& [r, c] : kept) m.set(r * cols + c);
  return m;
}

// Decodes a PE's column back to global rows from the relative indexes (paddings skipped).
std::vector<int64_t> rows_of(const PeSlice& s, int64_t col, int64_t pe, int64_t n_pe) {
  std::vector<int64_t> out;
  int64_t local = -1;
  for (int64_t e = s.col_ptr[col]; e < s.col_ptr[col + 1]; ++e) {
    local += s.entries[e].rel + 1;
    if (!s.entries[e].padding) out.push_back(local * n_pe + pe);
  }
  return out;
}

// ---- layout ----

// The paper's Fig 3: PE0 of 4 PEs (rows 0, 4, 8, 12 of a 16 × 8 matrix).
TEST(EieCsc, PaperFigure3RelativeIndexesAndColumnPointers) {
  const BitVec m = mask_of(16, 8,
                           {{0, 0}, {8, 0}, {12, 0}, {4, 1}, {0, 2}, {12, 2}, {0, 4}, {4, 4},
                            {0, 5}, {12, 5}, {0, 6}, {8, 7}, {12, 7}});
  const std::vector<PeSlice> s = encode_csc(&m, 16, 8, 4, 15);
  std::vector<int> rel;
  for (const CscEntry& e : s[0].entries) rel.push_back(e.rel);
  EXPECT_EQ(rel, (std::vector<int>{0, 1, 0, 1, 0, 2, 0, 0, 0, 2, 0, 2, 0}));
  EXPECT_EQ(s[0].col_ptr, (std::vector<int64_t>{0, 3, 4, 6, 6, 8, 10, 11, 13}));
  for (const PeSlice& p : s) EXPECT_EQ(p.entries.size() == 0, &p != &s[0]);
}

// A gap longer than 15 zeros gets ⌊z / 16⌋ paddings (a zero with index 15 each); the entry
// keeps the rest. Local rows 0, 16, 17, 39, 72: gaps 0, 15, 0, 21, 32.
TEST(EieCsc, PaddingZerosAreInsertedWhenTheRelativeIndexWouldOverflowAndCounted) {
  EXPECT_EQ(paddings_for_gap(15, 15), 0);
  EXPECT_EQ(paddings_for_gap(16, 15), 1);
  EXPECT_EQ(paddings_for_gap(31, 15), 1);
  EXPECT_EQ(paddings_for_gap(32, 15), 2);
  const int64_t n_pe = 2, rows = 2 * 80;
  // PE 1's local rows 0, 16, 17, 39, 72 = global rows 1, 33, 35, 79, 145; PE 0 keeps row 0.
  const BitVec m = mask_of(rows, 1, {{0, 0}, {1, 0}, {33, 0}, {35, 0}, {79, 0}, {145, 0}});
  const CscCounts c = count_csc(&m, rows, 1, n_pe, 15);
  EXPECT_EQ(c.nonzeros, 6);
  EXPECT_EQ(c.paddings, 3);  // 1 before local 39, 2 before local 72
  EXPECT_EQ(c.at(0, 0), 1);
  EXPECT_EQ(c.at(1, 0), 8);
  const std::vector<PeSlice> s = encode_csc(&m, rows, 1, n_pe, 15);
  std::vector<int> rel, pad;
  for (const CscEntry& e : s[1].entries) rel.push_back(e.rel), pad.push_back(e.padding);
  EXPECT_EQ(rel, (std::vector<int>{0, 15, 0, 15, 5, 15, 15, 0}));
  EXPECT_EQ(pad, (std::vector<int>{0, 0, 0, 1, 0, 1, 1, 0}));
  EXPECT_EQ(rows_of(s[1], 0, 1, n_pe), (std::vector<int64_t>{1, 33, 35, 79, 145}));
  // A 3-bit index (max gap 7) pads more: gaps 15 → 1, 21 → 2, 32 → 4.
  EXPECT_EQ(count_csc(&m, rows, 1, n_pe, 7).paddings, 7);
}

// Through the simulator: a layer's paddings are multiplied (arith_mac = non-zeros + paddings on
// a dense input) and counted.
TEST(EieCsc, PaddingsOfAWorkloadLayerCostMacs) {
  LayerWork l;
  l.name = "fc";
  l.kind = LayerKind::kFullyConnected;
  l.in_c = l.cols = 2;
  l.out_c = l.rows = 64 * 40;
  l.pruned = true;
  // PE 0: local rows 0 and 39 of column 0 (gap 38: 2 paddings); column 1 dense on PE 3.
  std::vector<std::pair<int64_t, int64_t>> kept = {{0, 0}, {64 * 39, 0}};
  for (int64_t r = 3; r < l.rows; r += 64) kept.push_back({r, 1});
  l.weight_mask = mask_of(l.rows, l.cols, kept);
  l.input_nz = {BitVec(2, true)};
  l.output_nz = {BitVec(l.rows, true)};
  EieSpec spec;
  const LayerStats st = EieLayer(spec, l).stats();
  EXPECT_EQ(st.actions.at("arith_mac"), 2 + 2 + 40);
  EXPECT_EQ(st.macs_performed, 44);
  EXPECT_EQ(st.macs_skipped, 2 * 64 * 40 - 44);
}

// From a .sieve file: EIE's VGG-7 layer (4 % of 4096 × 4096 kept, 64 local rows per PE and
// column, so gaps over 15 zeros are common) written and read back; the layout the timing builds
// from the workload's mask and the one the functional model builds from the container's mask
// and codes agree entry for entry, and the paddings are counted in the MACs.
class EieContainer : public sieve_test::ScratchDirTest {};

TEST_F(EieContainer, ASieveLayerGetsItsPaddingZerosAndTheyAreCounted) {
  Result<compress::CompressedModel> m = eie_model("eie-vgg7", 1);
  ASSERT_TRUE(m.ok()) << m.status().to_string();
  const std::string path = (dir_ / "vgg7.sieve").string();
  ASSERT_TRUE(io::write_sieve(*m, path).ok());
  Result<compress::CompressedModel> back = io::read_sieve(path);
  ASSERT_TRUE(back.ok()) << back.status().to_string();
  WorkloadOptions o;
  o.default_input_density = 1.0;
  Result<Workload> w = build_workload(*back, o);
  ASSERT_TRUE(w.ok()) << w.status().to_string();
  ASSERT_EQ(w->layers.size(), 1u);
  const LayerWork& l = w->layers[0];
  const EieSpec spec;
  const CscCounts counts = count_csc(&l.weight_mask, l.rows, l.cols, spec.n_pe, spec.max_gap());
  const compress::CompressedLayer& cl = back->layers[0];
  BitVec mask(l.rows * l.cols);
  for (int64_t i = 0; i < l.rows * l.cols; ++i)
    if (cl.mask.data<uint8_t>()[i] != 0) mask.set(i);
  const std::vector<PeSlice> slices =
      encode_csc(&mask, l.rows, l.cols, spec.n_pe, spec.max_gap(), cl.codes);
  int64_t entries = 0, paddings = 0;
  for (int64_t p = 0; p < spec.n_pe; ++p) {
    const PeSlice& s = slices[static_cast<size_t>(p)];
    for (int64_t c = 0; c < l.cols; ++c)
      ASSERT_EQ(s.col_ptr[c + 1] - s.col_ptr[c], counts.at(p, c)) << p << " " << c;
    entries += static_cast<int64_t>(s.entries.size());
    for (const CscEntry& e : s.entries) paddings += e.padding ? 1 : 0;
  }
  EXPECT_EQ(counts.nonzeros, cl.kept());
  EXPECT_EQ(counts.paddings, paddings);
  EXPECT_EQ(entries, counts.nonzeros + counts.paddings);
  EXPECT_GT(counts.paddings, counts.nonzeros / 10);  // at 4 % the mean gap is 24 zeros
  // Dense input: every entry is multiplied once.
  const LayerStats st = EieLayer(spec, l).stats();
  EXPECT_EQ(st.macs_performed, entries);
}

// ---- timing ----

EieSpec small_spec(int64_t n_pe, int64_t depth) {
  EieSpec s;
  s.n_pe = n_pe;
  s.queue_depth = depth;
  s.pipeline_stages = 1;  // no drain: the cycles are the PEs' own
  return s;
}

LayerWork fc_layer(int64_t rows, int64_t cols, const std::vector<std::pair<int64_t, int64_t>>& kept,
                   const std::string& input_bits) {
  LayerWork l;
  l.name = "fc";
  l.kind = LayerKind::kFullyConnected;
  l.in_c = l.cols = cols;
  l.out_c = l.rows = rows;
  l.pruned = true;
  l.weight_mask = mask_of(rows, cols, kept);
  BitVec in(cols);
  for (int64_t i = 0; i < cols; ++i) in.set(i, input_bits[static_cast<size_t>(i)] == '1');
  l.input_nz = {in};
  l.output_nz = {BitVec(rows, true)};
  return l;
}

// 2 PEs, queue depth 2, rows 0..3 (PE 0: rows 0, 2; PE 1: rows 1, 3), every input non-zero.
//   col 0: PE 0 two entries, PE 1 none; col 1: PE 0 none, PE 1 two; col 2: two each.
// LNZD latency 1 (⌈log4 2⌉): broadcasts at 1, 2, 3. PE 0: [2,4) [4,5) [5,7); PE 1: [2,3)
// [3,5) [5,7) (an empty column still costs its pointer read). 7 cycles, 8 MACs, busy 10 of
// 2 × (7 − 2).
TEST(EieTiming, HandComputedLayerHasExactCycles) {
  const LayerWork l = fc_layer(4, 3, {{0, 0}, {2, 0}, {1, 1}, {3, 1}, {0, 2}, {1, 2}, {2, 2}, {3, 2}},
                               "111");
  const EieSpec spec = small_spec(2, 2);
  const EieLayer layer(spec, l);
  const SpmvTiming t = layer.spmv({0, 1, 2});
  EXPECT_EQ(t.cycles, 7);
  EXPECT_EQ(t.broadcasts, 3);
  EXPECT_EQ(t.entries, 8);
  EXPECT_EQ(t.stall_cycles, 0);
  EXPECT_EQ(t.pe_busy_cycles, 10);
  EXPECT_EQ(t.span, 5);
  EXPECT_DOUBLE_EQ(t.load_efficiency(), 1.0);
  // The same through stats(): spmat lines (8 entries each) = one per non-empty (PE, column).
  const LayerStats st = layer.stats();
  EXPECT_EQ(st.cycles, 7);
  EXPECT_DOUBLE_EQ(st.time_ns, 7 / 0.8);
  EXPECT_EQ(st.actions.at("spmat_read"), 4);
  EXPECT_EQ(st.actions.at("ptr_read"), 6);
  EXPECT_EQ(st.actions.at("arith_mac"), 8);
  // The pipeline drains once: 3 more cycles with 4 stages.
  EieSpec deep = spec;
  deep.pipeline_stages = 4;
  EXPECT_EQ(EieLayer(deep, l).spmv({0, 1, 2}).cycles, 10);
  // Zero activations are skipped: input "101" broadcasts columns 0 and 2 only, at 1 and 2.
  // PE 0: [2,4) [4,6); PE 1: [2,3) [3,5).
  EXPECT_EQ(layer.spmv({0, 2}).cycles, 6);
  EXPECT_EQ(layer.spmv({}).cycles, 1);  // nothing to broadcast: the LNZD scan alone
}

// A PE whose queue is full stalls the broadcast for every PE. 2 PEs, 20 rows; column 0 holds
// 10 entries on PE 0, column 3 holds 10 on PE 1; the input is dense.
// Depth 1: broadcasts at 1, 2, then column 2 waits for PE 0 to pop column 1 (cycle 12): 9 stall
// cycles, and PE 1, idle, receives column 2 at 13 and column 3 at 14: done at 24.
// Depth 4: no stall; PE 1 has columns 1–3 queued and finishes at 15, as PE 0 does.
TEST(EieTiming, AFullQueueStallsTheBroadcast) {
  std::vector<std::pair<int64_t, int64_t>> kept;
  for (int64_t r = 0; r < 20; r += 2) kept.push_back({r, 0});
  for (int64_t r = 1; r < 20; r += 2) kept.push_back({r, 3});
  const LayerWork l = fc_layer(20, 4, kept, "1111");
  const SpmvTiming shallow = EieLayer(small_spec(2, 1), l).spmv({0, 1, 2, 3});
  EXPECT_EQ(shallow.stall_cycles, 9);
  EXPECT_EQ(shallow.cycles, 24);
  const SpmvTiming deep = EieLayer(small_spec(2, 4), l).spmv({0, 1, 2, 3});
  EXPECT_EQ(deep.stall_cycles, 0);
  EXPECT_EQ(deep.cycles, 15);
  EXPECT_EQ(shallow.entries, deep.entries);
  EXPECT_LT(shallow.load_efficiency(), deep.load_efficiency());
  // Depth 2: column 3 waits for PE 0 to pop column 1 (cycle 12): 8 stall cycles, done at 23.
  const SpmvTiming two = EieLayer(small_spec(2, 2), l).spmv({0, 1, 2, 3});
  EXPECT_EQ(two.stall_cycles, 8);
  EXPECT_EQ(two.cycles, 23);
}

// Load imbalance comes from the non-zeros each PE holds: moving every non-zero of a column to
// one PE (same count) slows the layer down.
TEST(EieTiming, ImbalanceFollowsTheActualNonZerosPerPe) {
  std::vector<std::pair<int64_t, int64_t>> spread, piled;
  for (int64_t c = 0; c < 16; ++c)
    for (int64_t k = 0; k < 8; ++k) {
      spread.push_back({k, c});           // rows 0..7: one per PE of 8 PEs
      piled.push_back({8 * k, c});        // rows 0, 8, ..., 56: all on PE 0
    }
  const std::string dense(16, '1');
  const EieSpec spec = small_spec(8, 8);
  const SpmvTiming a = EieLayer(spec, fc_layer(64, 16, spread, dense)).run_all();
  const SpmvTiming b = EieLayer(spec, fc_layer(64, 16, piled, dense)).run_all();
  EXPECT_EQ(a.entries, b.entries);
  // LNZD latency 2 (⌈log4 8⌉), first pop a cycle later, then the columns.
  EXPECT_EQ(a.cycles, 2 + 1 + 16);      // one entry a column on every PE
  EXPECT_EQ(b.cycles, 2 + 1 + 16 * 8);  // PE 0 does all the work
  EXPECT_NEAR(b.load_efficiency(), (16 * 8 + 7 * 16) / (8.0 * 128), 1e-12);
}

// ---- the architecture ----

TEST(EieArch, RunsFcLayersAndRefusesConvAndPoolPerLayerWithAReason) {
  WorkloadRequest req;
  req.model = "thesis:lenet5";
  Result<Workload> w = make_workload(req);
  ASSERT_TRUE(w.ok()) << w.status().to_string();
  Result<SimReport> r = run_sim(*w, {"eie", {}, {}});
  ASSERT_TRUE(r.ok()) << r.status().to_string();
  int fc = 0, refused = 0;
  for (const LayerStats& l : r->result.layers) {
    if (l.kind == "fc") {
      ++fc;
      EXPECT_TRUE(l.unsupported.empty()) << l.name;
      EXPECT_GT(l.cycles, 0) << l.name;
    } else {
      ++refused;
      EXPECT_NE(l.unsupported.find("EIE runs fully-connected layers"), std::string::npos)
          << l.unsupported;
      EXPECT_NE(l.unsupported.find(l.kind), std::string::npos) << l.unsupported;
      EXPECT_EQ(l.cycles, 0);
      EXPECT_EQ(l.time_ns, 0);
    }
  }
  EXPECT_EQ(fc, 2);
  EXPECT_EQ(refused, 4);  // conv1, pool1, conv2, pool2
  EXPECT_EQ(r->result.unsupported_layers(), 4);
  const LayerStats total = r->result.total();
  EXPECT_EQ(total.macs_dense, r->result.layers[4].macs_dense + r->result.layers[5].macs_dense);
  // The reports say it: a reason in the text, "supported": false in the JSON, and the compare
  // table's per-layer time "unsupported".
  const std::string text = report_text(*r);
  EXPECT_NE(text.find("conv1            conv  unsupported: EIE runs"), std::string::npos) << text;
  EXPECT_NE(text.find("4 layer(s) unsupported"), std::string::npos) << text;
  const nlohmann::json j = report_json(*r);
  EXPECT_EQ(j["layers"][0]["supported"], false);
  EXPECT_EQ(j["unsupported_layers"], 4);
  EXPECT_FALSE(j["layers"][0].contains("cycles"));
  Result<SimReport> d = run_sim(*w, {"diannao", {}, {}});
  ASSERT_TRUE(d.ok());
  const std::string cmp = compare_text({*d, *r});
  EXPECT_NE(cmp.find("(without 4 unsupported layer(s))"), std::string::npos) << cmp;
  EXPECT_NE(cmp.find("eie does not run conv1: EIE runs"), std::string::npos) << cmp;
  // The plans list the same layers with the same reasons; asking for one of them is refused.
  Result<PlanReport> p = plan_workload(*w, {"eie", {}, {}});
  ASSERT_TRUE(p.ok()) << p.status().to_string();
  EXPECT_EQ(p->layers.size(), 2u);
  ASSERT_EQ(p->unsupported.size(), 4u);
  EXPECT_EQ(p->unsupported[0].first, "conv1");
  Result<PlanReport> one = plan_workload(*w, {"eie", {}, {}}, "conv1");
  ASSERT_FALSE(one.ok());
  EXPECT_NE(one.status().message().find("cannot run layer \"conv1\": EIE runs"),
            std::string::npos);
}

TEST(EieArch, ALayerTooLargeForTheOnChipStorageIsRefusedWithTheNumbers) {
  LayerWork l = fc_layer(64, 64, {}, std::string(64, '1'));
  Result<std::unique_ptr<Accelerator>> small =
      make_accelerator("eie", {"act_bytes_per_pe=4", "n_pe=2"});
  ASSERT_TRUE(small.ok()) << small.status().to_string();
  EXPECT_NE((*small)->unsupported(l, {}).find("exceed EIE's activation storage (4 16-bit"),
            std::string::npos)
      << (*small)->unsupported(l, {});
  std::vector<std::pair<int64_t, int64_t>> all;
  for (int64_t r = 0; r < 64; ++r)
    for (int64_t c = 0; c < 64; ++c) all.push_back({r, c});
  l = fc_layer(64, 64, all, std::string(64, '1'));
  Result<std::unique_ptr<Accelerator>> tiny = make_accelerator("eie", {"spmat_bytes_per_pe=16"});
  ASSERT_TRUE(tiny.ok());
  EXPECT_NE((*tiny)->unsupported(l, {}).find("64 CSC entries with paddings, 8 bits each"),
            std::string::npos)
      << (*tiny)->unsupported(l, {});
  Result<std::unique_ptr<Accelerator>> eie = make_accelerator("eie", {});
  ASSERT_TRUE(eie.ok());
  EXPECT_EQ((*eie)->unsupported(l, {}), "");
}

TEST(EieArch, CompareAllRunsEveryRegisteredArchAndNamesWhatEachCannotRun) {
  const sieve_test::CliRun r = sieve_test::run_sieve("compare --archs all --model thesis:lenet5");
  ASSERT_EQ(r.rc, 0) << r.out;
  for (const ArchInfo& a : archs())
    EXPECT_NE(r.stdout_only.find("\n" + a.name + " "), std::string::npos) << a.name << r.out;
  EXPECT_NE(r.stdout_only.find("eie does not run conv1: EIE runs fully-connected"),
            std::string::npos)
      << r.out;
  const sieve_test::CliRun j =
      sieve_test::run_sieve("compare --archs all --model thesis:lenet5 --json");
  ASSERT_EQ(j.rc, 0) << j.out;
  const nlohmann::json doc = nlohmann::json::parse(j.stdout_only);
  bool seen = false;
  for (const nlohmann::json& a : doc["archs"]) {
    if (a["arch"] != "eie") continue;
    seen = true;
    EXPECT_EQ(a["unsupported_layers"], 4);
    EXPECT_EQ(a["layers"][0]["unsupported"].get<std::string>().rfind("EIE runs", 0), 0u);
  }
  EXPECT_TRUE(seen);
}

// ---- the functional model ----

void expect_bit_exact(const compress::CompressedModel& m, const Tensor& x, const EieSpec& spec,
                      const std::string& what, bool want_paddings) {
  std::map<std::string, Tensor> ref, ours;
  auto r = runtime::fixed16::run(m, x, {},
                                 [&](const std::string& v, const Tensor& t) { ref[v] = t; });
  ASSERT_TRUE(r.ok()) << what << ": " << r.status().to_string();
  std::map<std::string, int64_t> counters;
  auto f = run_functional(
      m, x, spec, [&](const std::string& v, const Tensor& t) { ours[v] = t; }, &counters);
  ASSERT_TRUE(f.ok()) << what << ": " << f.status().to_string();
  sieve_test::expect_bit_exact_values(ref, ours, what, "EIE functional model");
  int64_t nonzero = 0;
  for (int16_t v : r->span<int16_t>()) nonzero += v != 0;
  EXPECT_GT(nonzero, r->numel() / 2) << what;
  EXPECT_GT(counters["eie_macs"], 0) << what;
  EXPECT_GT(counters["eie_broadcasts"], 0) << what;
  if (want_paddings) {
    EXPECT_GT(counters["eie_paddings"], 0) << what;
  }
}

TEST(EieFunctional, MlpEqualsTheFixedPointReferenceOnEveryValue) {
  using sieve_test::plan;
  const Tensor calib = sieve_test::random_input({8, 1, 28, 28}, 11);
  const auto m = sieve_test::make_model("lenet-300-100",
                                        {{"ip1.weight", plan("magnitude", {}, 0.9, 4)},
                                         {"ip2.weight", plan("block", {4, 4}, 0.7, 4, 2, 2)},
                                         {"ip3.weight", plan("magnitude", {}, 0.5, 3)}},
                                        calib);
  const Tensor x = sieve_test::random_input({3, 1, 28, 28}, 12);
  expect_bit_exact(m, x, EieSpec{}, "64 PEs", false);
  EieSpec four;
  four.n_pe = 4;  // 75 local rows of ip1 per PE: gaps over 15 zeros, paddings on the datapath
  expect_bit_exact(m, x, four, "4 PEs", true);
  EieSpec one;
  one.n_pe = 1;
  one.index_bits = 2;  // gaps over 3 zeros padded
  expect_bit_exact(m, x, one, "1 PE, 2-bit index", true);
  // Through the architecture (`sieve run --engine eie-functional`).
  Result<std::unique_ptr<Accelerator>> acc = make_accelerator("eie", {});
  ASSERT_TRUE(acc.ok());
  auto y = (*acc)->run_functional(m, x, nullptr);
  auto ref = runtime::fixed16::run(m, x);
  ASSERT_TRUE(y.ok() && ref.ok());
  ASSERT_EQ(y->numel(), ref->numel());
  for (int64_t i = 0; i < y->numel(); ++i)
    ASSERT_EQ(y->data<int16_t>()[i], ref->data<int16_t>()[i]) << i;
}

TEST(EieFunctional, RefusesConvLayersAndWeightsThatAreNotFourBitCodes) {
  using sieve_test::plan;
  const Tensor calib = sieve_test::random_input({2, 1, 28, 28}, 13);
  const auto conv = sieve_test::make_model("lenet5", {{"ip1.weight", plan("magnitude", {}, 0.9, 4)}},
                                           calib);
  auto r = run_functional(conv, sieve_test::random_input({1, 1, 28, 28}, 14), EieSpec{});
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("node \"conv1\" (Conv)"), std::string::npos)
      << r.status().message();
  const auto wide = sieve_test::make_model(
      "lenet-300-100",
      {{"ip1.weight", plan("magnitude", {}, 0.9, 8)}, {"ip2.weight", plan("", {}, 0, 4)},
       {"ip3.weight", plan("", {}, 0, 4)}},
      calib);
  r = run_functional(wide, sieve_test::random_input({1, 1, 28, 28}, 15), EieSpec{});
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("weight \"ip1.weight\" is quantized to 8 bits"),
            std::string::npos)
      << r.status().message();
}

// ---- bad presets ----

class EiePreset : public sieve_test::ScratchDirTest {};

TEST_F(EiePreset, BadValuesAndUnknownKeysAreRefusedNamingFileKeyAndValue) {
  const std::string preset = config_dir() + "/archs/eie-45nm.yaml";
  for (const auto& [override_, want] :
       std::vector<std::pair<std::string, std::string>>{
           {"n_pe=0", "parameter \"n_pe\" = 0 out of range"},
           {"n_pe=-4", "parameter \"n_pe\" = -4 out of range"},
           {"queue_depth=0", "parameter \"queue_depth\" = 0 out of range"},
           {"freq_ghz=0", "parameter \"freq_ghz\" = 0 out of range"},
           {"queue_depth=2.5", "parameter \"queue_depth\" = 2.5 must be an integer"},
           {"spmat_line_bits=60", "spmat_line_bits = 60 is not a whole number of 8-bit"}}) {
    Result<std::unique_ptr<Accelerator>> a = make_accelerator("eie", {override_});
    ASSERT_FALSE(a.ok()) << override_;
    EXPECT_NE(a.status().message().find(preset), std::string::npos) << a.status().message();
    EXPECT_NE(a.status().message().find(want), std::string::npos) << a.status().message();
  }
  // An unknown key in the file itself.
  std::ifstream in(preset);
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  const std::filesystem::path bad = dir_ / "eie-bad.yaml";
  std::ofstream(bad) << text << "  queue_dept: {value: 4, source: \"typo\"}\n";
  Result<std::unique_ptr<Accelerator>> a = make_accelerator(bad.string(), {});
  ASSERT_FALSE(a.ok());
  EXPECT_NE(a.status().message().find(bad.string() + ": unknown parameter \"queue_dept\" = 4"),
            std::string::npos)
      << a.status().message();
  // The CLI exits 1 with the same message.
  const sieve_test::CliRun r =
      sieve_test::run_sieve("simulate --model eie:eie-vgg8 --arch eie -p queue_depth=0");
  EXPECT_EQ(r.rc, 1);
  EXPECT_NE(r.stderr_only.find("eie-45nm.yaml: parameter \"queue_depth\" = 0 out of range"),
            std::string::npos)
      << r.out;
}

}  // namespace
}  // namespace sieve::hw::eie_arch
