// ESE's model (hw/archs/ese): the interleaved matrix × vector time set by the busiest PE, the
// scheduler's rule with exact cycles in both modes on a hand-made LSTM, the drawn balanced masks'
// exact per-PE counts, and bad presets and modes.
#include <gtest/gtest.h>

#include <algorithm>
#include <string>
#include <utility>
#include <vector>

#include "cli_util.h"
#include "sieve/hw/archs/ese/perf.h"
#include "sieve/hw/archs/ese/spec.h"
#include "sieve/hw/core/arch.h"
#include "sieve/hw/workloads/ese.h"

namespace sieve::hw::ese_arch {
namespace {

EseSpec small_spec() {
  EseSpec s;
  s.n_channels = 2;
  s.pes_per_channel = 2;
  s.pe_pipeline_stages = 3;
  s.elemwise_lanes = 2;
  s.elemwise_latency = 5;
  s.weight_sram_bytes = 1 << 20;
  s.memory = {64, 64, 0};
  return s;
}

// A rows × cols mask from a string of '1' / '0', row-major.
BitVec mask_of(const std::string& bits) {
  BitVec m(static_cast<int64_t>(bits.size()));
  for (size_t i = 0; i < bits.size(); ++i) m.set(static_cast<int64_t>(i), bits[i] == '1');
  return m;
}

TEST(EseSpmv, TheBusiestPeSetsTheTime) {
  // 4 rows × 3 columns, 2 PEs: PE 0 holds rows 0 and 2, PE 1 rows 1 and 3.
  //   row 0: 1 1 0     PE 0 column entries: c0 2, c1 1, c2 0 -> cycles 2 + 1 + 1 (an empty
  //   row 1: 0 0 1       column still takes its broadcast cycle) = 4
  //   row 2: 1 0 0     PE 1: c0 0, c1 0, c2 2 -> 1 + 1 + 2 = 4
  //   row 3: 0 0 1
  const EseSpec s = small_spec();
  const BitVec m = mask_of("110" "001" "100" "001");
  const CscCounts c = count_csc(&m, 4, 3, 2, s.max_gap());
  const SpmvCost all = spmv_cost(s, c, 0, 3);
  EXPECT_EQ(all.entries, 5);
  EXPECT_EQ(all.worst_pe, 3);
  EXPECT_EQ(all.cycles, 4 + s.pe_pipeline_stages);
  EXPECT_DOUBLE_EQ(all.imbalance(), 3.0 * 2 / 5);
  // Columns [0, 1) alone: PE 0 has 2 entries (2 cycles), PE 1 none (1 cycle).
  EXPECT_EQ(spmv_cost(s, c, 0, 1).cycles, 2 + s.pe_pipeline_stages);
  EXPECT_EQ(spmv_cost(s, c, 1, 1).cycles, 0);  // an empty range costs nothing
  // Two MACs per PE per cycle halve a column's entries, rounding up.
  EseSpec two = s;
  two.macs_per_pe = 2;
  EXPECT_EQ(spmv_cost(two, c, 0, 3).cycles, 1 + 1 + 1 + two.pe_pipeline_stages);
}

TEST(EseSpmv, LongGapsCostPaddingEntries) {
  // One column of 2 PEs × 20 rows = 40 rows; PE 0's local rows 0 and 19 kept: a gap of 18 zeros
  // > 15 needs one padding entry (hw/core/csc.h), which is multiplied like a non-zero.
  const EseSpec s = small_spec();
  BitVec m(40);
  m.set(0);
  m.set(38);  // row 38 = PE 0's local row 19
  const CscCounts c = count_csc(&m, 40, 1, 2, s.max_gap());
  const SpmvCost r = spmv_cost(s, c, 0, 1);
  EXPECT_EQ(r.paddings, 1);
  EXPECT_EQ(r.entries, 3);
  EXPECT_EQ(r.cycles, 3 + s.pe_pipeline_stages);
}

TEST(EseScheduler, OverlapsTheInputProductWithTheElementWisePhase) {
  // Serial: T (S_x + S_r + E). Scheduled: S_x + T S_r + (T − 1) max(E, S_x) + E.
  EXPECT_EQ(lstm_cycles(10, 20, 5, 4, false), 4 * 35);
  EXPECT_EQ(lstm_cycles(10, 20, 5, 4, true), 10 + 80 + 3 * 10 + 5);   // S_x hides E
  EXPECT_EQ(lstm_cycles(3, 20, 7, 4, true), 3 + 80 + 3 * 7 + 7);      // E hides S_x
  EXPECT_EQ(lstm_cycles(10, 20, 5, 1, true), lstm_cycles(10, 20, 5, 1, false));  // nothing to hide
  EXPECT_EQ(lstm_cycles(10, 20, 5, 0, true), 0);
  // Never slower than serial, and saves exactly (T − 1) min(E, S_x).
  for (int64_t sx : {0, 1, 7, 50})
    for (int64_t e : {0, 3, 40})
      for (int64_t t : {1, 2, 9})
        EXPECT_EQ(lstm_cycles(sx, 11, e, t, false) - lstm_cycles(sx, 11, e, t, true),
                  (t - 1) * std::min(e, sx));
}

TEST(EseScheduler, AHandMadeLstmLayerTakesExactlyItsCycles) {
  // in = 1, hidden = 2 (4·2 = 8 gate rows), recurrent 2: cols = 3; 2 PEs (rows 0,2,4,6 on PE 0).
  // Mask: every weight of column 0 kept, column 1 kept on PE 0's rows only, column 2 empty.
  LayerWork l;
  l.name = "lstm";
  l.kind = LayerKind::kLstm;
  l.in_c = 1;
  l.out_c = 2;
  l.recurrent = 2;
  l.timesteps = 3;
  l.rows = 8;
  l.cols = 3;
  l.pruned = true;
  l.weight_mask = BitVec(24);
  for (int64_t r = 0; r < 8; ++r) {
    l.weight_mask.set(r * 3 + 0);
    if (r % 2 == 0) l.weight_mask.set(r * 3 + 1);
  }
  const EseSpec s = small_spec();
  // S_x: column 0, 4 entries per PE -> 4 + 3 = 7. S_r: columns 1, 2: PE 0 4 + 1, PE 1 1 + 1 ->
  // 5 + 3 = 8. E: ⌈2 / 2⌉ + 5 = 6.
  const int64_t sx = 7, sr = 8, e = 6;
  for (bool scheduled : {true, false}) {
    // Three samples on two channels: two rounds.
    const LayerStats st = run_layer(s, l, 3, scheduled, /*load_weights=*/false);
    EXPECT_EQ(st.compute_cycles, 2 * lstm_cycles(sx, sr, e, 3, scheduled)) << scheduled;
    EXPECT_EQ(st.macs_performed, (8 + 4) * 3 * 3);
    EXPECT_EQ(st.actions.at("sb_read"), (8 + 4) * 3 * 2);  // once per round: channels share
    EXPECT_EQ(st.actions.at("elemwise_cell"), 2 * 3 * 3);
    EXPECT_GE(st.cycles, st.compute_cycles);
  }
  EXPECT_EQ(2 * lstm_cycles(sx, sr, e, 3, false) - 2 * lstm_cycles(sx, sr, e, 3, true),
            2 * 2 * std::min(e, sx));
}

TEST(EseWorkload, BalancedMasksGiveEveryPeTheSameCountPerMatrix) {
  Result<Workload> w = ese_lstm_workload(0.112, 32, 2, 1, 7);
  ASSERT_TRUE(w.ok()) << w.status().message();
  const LayerWork* lstm = nullptr;
  int64_t proj_layers = 0;
  for (const LayerWork& l : w->layers) {
    if (l.kind == LayerKind::kLstm) lstm = &l;
    if (l.name.starts_with("lstm/proj@")) ++proj_layers;
  }
  ASSERT_NE(lstm, nullptr);
  EXPECT_EQ(proj_layers, 2);
  EXPECT_EQ(lstm->timesteps, 2);
  EXPECT_EQ(lstm->structure.method, "balanced");
  for (auto [c0, c1] : {std::pair<int64_t, int64_t>{0, lstm->in_c}, {lstm->in_c, lstm->cols}}) {
    std::vector<int64_t> per(32, 0);
    for (int64_t r = 0; r < lstm->rows; ++r)
      per[static_cast<size_t>(r % 32)] +=
          lstm->weight_mask.count(r * lstm->cols + c0, r * lstm->cols + c1);
    for (int64_t n : per) EXPECT_EQ(n, per[0]) << c0;
    EXPECT_NEAR(static_cast<double>(per[0]) / (128.0 * static_cast<double>(c1 - c0)), 0.112,
                1e-3);
  }
  // Unbalanced at the same density: the same total up to the per-PE rounding (at most half a
  // weight per PE and matrix), per-PE counts that differ.
  Result<Workload> u = ese_lstm_workload(0.112, 0, 1, 1, 7);
  ASSERT_TRUE(u.ok());
  for (const LayerWork& l : u->layers)
    if (l.kind == LayerKind::kLstm) {
      EXPECT_NEAR(static_cast<double>(l.weight_mask.count()),
                  static_cast<double>(lstm->weight_mask.count()), 32.0);
      std::vector<int64_t> per(32, 0);
      for (int64_t r = 0; r < l.rows; ++r)
        per[static_cast<size_t>(r % 32)] += l.weight_mask.count(r * l.cols, (r + 1) * l.cols);
      EXPECT_NE(*std::max_element(per.begin(), per.end()),
                *std::min_element(per.begin(), per.end()));
    }
}

TEST(EseWorkload, BadArgumentsAreRefused) {
  EXPECT_FALSE(ese_lstm_workload(0.0, 32, 1, 1, 1).ok());
  EXPECT_FALSE(ese_lstm_workload(1.5, 32, 1, 1, 1).ok());
  EXPECT_FALSE(ese_lstm_workload(0.1, -1, 1, 1, 1).ok());
  Result<Workload> w = ese_lstm_workload(0.1, 32, 0, 1, 1);
  ASSERT_FALSE(w.ok());
  EXPECT_NE(w.status().message().find("steps = 0"), std::string::npos) << w.status().message();
}

TEST(EseArch, ModesPresetsAndUnsupportedLayers) {
  Result<std::unique_ptr<Accelerator>> a = make_accelerator("ese", {});
  ASSERT_TRUE(a.ok()) << a.status().message();
  EXPECT_EQ((*a)->multipliers(), 32 * 32);
  EXPECT_EQ((*a)->modes(), (std::vector<std::string>{"scheduled", "serial"}));
  LayerWork conv;
  conv.kind = LayerKind::kConv;
  EXPECT_NE((*a)->unsupported(conv, {}).find("LSTM layers and fully-connected"), std::string::npos);
  // A matrix too large for the block RAM is refused with its size.
  LayerWork fc;
  fc.kind = LayerKind::kFullyConnected;
  fc.rows = 4096;
  fc.cols = 4096;
  fc.weight_mask = BitVec(fc.rows * fc.cols, true);
  EXPECT_NE((*a)->unsupported(fc, {}).find("exceed ESE's 4976640-byte weight memory"),
            std::string::npos)
      << (*a)->unsupported(fc, {});
  Result<std::unique_ptr<Accelerator>> bad = make_accelerator("ese", {"n_chanels=4"});
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.status().message().find("n_chanels"), std::string::npos)
      << bad.status().message();
  Result<std::unique_ptr<Accelerator>> zero = make_accelerator("ese", {"pes_per_channel=0"});
  ASSERT_FALSE(zero.ok());
  EXPECT_NE(zero.status().message().find("pes_per_channel"), std::string::npos);
}

TEST(EseCli, AnUnknownModeOrKeyExitsWithOneAndNamesIt) {
  sieve_test::CliRun r =
      sieve_test::run_sieve("simulate --arch ese --model thesis:lstm --mode parallel");
  EXPECT_EQ(r.rc, 1) << r.out;
  EXPECT_NE(r.stderr_only.find("ese: unknown mode \"parallel\"; known: scheduled, serial"),
            std::string::npos)
      << r.out;
  r = sieve_test::run_sieve("simulate --arch ese --model thesis:lstm -p n_chanels=4");
  EXPECT_EQ(r.rc, 1) << r.out;
  EXPECT_NE(r.stderr_only.find("n_chanels"), std::string::npos) << r.out;
  r = sieve_test::run_sieve("area --arch sieve -p tm_bits=4");
  EXPECT_EQ(r.rc, 1) << r.out;
  EXPECT_NE(r.stderr_only.find("tm_bits"), std::string::npos) << r.out;
  r = sieve_test::run_sieve("area --arch ese");
  EXPECT_EQ(r.rc, 1) << r.out;
  EXPECT_NE(r.stderr_only.find("no area model"), std::string::npos) << r.out;
}

}  // namespace
}  // namespace sieve::hw::ese_arch
