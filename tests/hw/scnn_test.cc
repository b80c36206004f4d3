// SCNN and DCNN models (hw/archs/scnn): the scatter rule (an extra access to a bank costs one
// cycle), hand-computed layers with exact cycle counts, stride phases, the zero-run format,
// DCNN-opt's zero gating, and bad presets.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <functional>

#include "sieve/hw/archs/scnn/perf.h"
#include "sieve/hw/core/arch.h"
#include "sieve/hw/core/params.h"
#include "layer_builders.h"

namespace sieve::hw {
namespace {

using testing::fc;
using testing::one;

std::unique_ptr<Accelerator> make(const std::string& name,
                                  const std::vector<std::string>& overrides = {}) {
  Result<std::unique_ptr<Accelerator>> a = make_accelerator(name, overrides);
  EXPECT_TRUE(a.ok()) << a.status().to_string();
  return a.ok() ? std::move(*a) : nullptr;
}

LayerStats run(const Accelerator& a, LayerWork l) {
  Result<SimResult> r = a.simulate(one(std::move(l)), {});
  EXPECT_TRUE(r.ok()) << r.status().to_string();
  if (!r.ok() || r->layers.size() != 1) return LayerStats{};
  return r->layers[0];
}

// A conv layer: in_c × h × w input, out_c × kh × kw kernels, stride and padding; weights kept
// as `keep(k, c, r, s)` says, input activations non-zero as `act(c, y, x)` says.
LayerWork conv(int64_t in_c, int64_t h, int64_t w, int64_t out_c, int64_t k, int64_t stride,
               int64_t pad, const std::function<bool(int64_t, int64_t, int64_t, int64_t)>& keep,
               const std::function<bool(int64_t, int64_t, int64_t)>& act) {
  LayerWork l;
  l.name = "conv";
  l.kind = LayerKind::kConv;
  l.in_c = in_c, l.in_h = h, l.in_w = w;
  l.out_c = out_c;
  l.kh = l.kw = k;
  l.stride_h = l.stride_w = stride;
  l.pad_top = l.pad_left = l.pad_bottom = l.pad_right = pad;
  l.out_h = (h + 2 * pad - k) / stride + 1;
  l.out_w = (w + 2 * pad - k) / stride + 1;
  l.rows = out_c;
  l.cols = in_c * k * k;
  l.weight_mask = BitVec(l.rows * l.cols);
  for (int64_t o = 0; o < out_c; ++o)
    for (int64_t c = 0; c < in_c; ++c)
      for (int64_t r = 0; r < k; ++r)
        for (int64_t s = 0; s < k; ++s)
          if (keep(o, c, r, s)) l.weight_mask.set(o * l.cols + (c * k + r) * k + s);
  l.pruned = true;
  BitVec in(in_c * h * w);
  for (int64_t c = 0; c < in_c; ++c)
    for (int64_t y = 0; y < h; ++y)
      for (int64_t x = 0; x < w; ++x)
        if (act(c, y, x)) in.set((c * h + y) * w + x);
  l.input_nz = {in};
  l.output_nz = {BitVec(out_c * l.out_h * l.out_w, true)};
  return l;
}

bool all4(int64_t, int64_t, int64_t, int64_t) {
  return true;
}
bool all3(int64_t, int64_t, int64_t) {
  return true;
}

TEST(ScnnScatter, AnExtraAccessToABankCostsOneCycle) {
  using scnn_arch::step_cycles;
  std::vector<int64_t> spread;
  for (int64_t b = 0; b < 16; ++b) spread.push_back(2 * b);
  EXPECT_EQ(step_cycles(spread, 32), 1);         // 16 products on 16 banks
  EXPECT_EQ(step_cycles({3, 3}, 32), 2);         // one extra access
  EXPECT_EQ(step_cycles({3, 3, 3}, 32), 3);      // two extra accesses
  EXPECT_EQ(step_cycles({0, 0, 1, 1}, 32), 2);   // banks work in parallel
  EXPECT_EQ(step_cycles({5, 37}, 32), 2);        // bank numbers wrap
  EXPECT_EQ(step_cycles({}, 32), 1);
}

// FC rows go to PE (row mod 64); PE 0's rows 0, 64, 128, ... are its local rows 0, 1, 2, ...
// With one non-zero activation, PE 0's weight vector of local rows {0, 32} puts both products on
// bank 0 ((k mod 4) + 4 · (⌊k / 4⌋ mod 8)): one extra cycle; {0, 32, 64}: two; {0, 33}: none.
TEST(ScnnScatter, ABankConflictInALayerCostsExactlyOneCyclePerExtraAccess) {
  auto a = make("scnn");
  ASSERT_NE(a, nullptr);
  const int64_t rows = 64 * 65;
  auto layer = [&](std::initializer_list<int64_t> kept) {
    return fc(rows, 1, [kept](int64_t r, int64_t) {
      for (int64_t k : kept)
        if (r == k) return true;
      return false;
    });
  };
  const LayerStats none = run(*a, layer({0, 64 * 33}));
  const LayerStats two = run(*a, layer({0, 64 * 32}));
  const LayerStats three = run(*a, layer({0, 64 * 32, 64 * 64}));
  // One step (1 cycle) + the drain of 65 rows per PE over 32 banks (3 cycles).
  EXPECT_EQ(none.compute_cycles, 1 + 3);
  EXPECT_EQ(two.compute_cycles - none.compute_cycles, 1);
  EXPECT_EQ(three.compute_cycles - none.compute_cycles, 2);
  EXPECT_EQ(none.actions.at("bank_conflict_cycle"), 0);
  EXPECT_EQ(two.actions.at("bank_conflict_cycle"), 1);
  EXPECT_EQ(three.actions.at("bank_conflict_cycle"), 2);
  EXPECT_EQ(three.actions.at("mul"), 3);
  EXPECT_EQ(three.macs_performed, 3);
}

// One output channel, one PE with activations (PE (1, 1): (y, x) in {2, 3}²): its 9 weights form
// vectors of taps {(0,0),(0,1),(0,2),(1,0)}, {(1,1),(1,2),(2,0),(2,1)}, {(2,2)}, all in bank
// class 0. With a 4 × 4 accumulator region, an activation's lane is ((y+1)·4 + x+1) mod 8 =
// {7, 0, 3, 4} and a tap rotates it by −(4r + s) mod 8: the first two vectors put 3 products on
// one bank (3 cycles each), the third takes 1: 7 cycles for 3 steps. Then 12 halo words and
// 1 drain cycle.
TEST(ScnnScatter, SameBankProductsOfAConvStepAreSerialised) {
  auto s = make("scnn");
  ASSERT_NE(s, nullptr);
  const LayerStats st = run(*s, conv(1, 16, 16, 1, 3, 1, 1, all4, [](int64_t, int64_t y, int64_t x) {
                              return y >= 2 && y < 4 && x >= 2 && x < 4;
                            }));
  EXPECT_EQ(st.actions.at("sb_read"), 3);
  EXPECT_EQ(st.actions.at("bank_conflict_cycle"), 4);
  EXPECT_EQ(st.compute_cycles, 7 + 12 + 1);
}

// 1 × 16 × 16 dense input, 4 dense 3 × 3 kernels, padding 1, on 8 × 8 PEs: each PE holds a
// 2 × 2 tile (one vector of I = 4 activations) and the group's 36 weights form 9 vectors of the 4
// output channels of one tap (4 bank classes) — 9 conflict-free steps. The interior PEs' outputs
// reach a 4 × 4 region, 12 positions of it halo: 4 channels × 12 = 48 partial sums at one a cycle;
// the drain of 4 × 4 own outputs over 32 banks takes 1 cycle.
TEST(Scnn, HandComputedConvLayer) {
  auto s = make("scnn");
  auto d = make("dcnn");
  ASSERT_NE(s, nullptr);
  ASSERT_NE(d, nullptr);
  const LayerWork l = conv(1, 16, 16, 4, 3, 1, 1, all4, all3);
  const LayerStats sc = run(*s, l);
  EXPECT_EQ(sc.tiles, 1);
  EXPECT_EQ(sc.compute_cycles, 9 + 48 + 1);
  EXPECT_EQ(sc.actions.at("bank_conflict_cycle"), 0);
  EXPECT_EQ(sc.actions.at("mul"), 256 * 36);  // every activation × every weight of its channel
  // Useful products: per axis 15 + 16 + 15 = 46 in-plane (input, tap) pairs; 46² × 4.
  EXPECT_EQ(sc.macs_performed, 46 * 46 * 4);
  EXPECT_EQ(sc.macs_dense, 16 * 16 * 9 * 4);
  EXPECT_EQ(sc.actions.at("halo_word"), 4 * (36 * 12 + 24 * 8 + 4 * 5));
  // DCNN: an interior PE's 2 × 2 positions meet 3 taps per axis each (36 cycles of F × I = 4
  // channels × 1 of 4 input lanes); the same halo and drain.
  const LayerStats dc = run(*d, l);
  EXPECT_EQ(dc.compute_cycles, 36 + 48 + 1);
  EXPECT_EQ(dc.macs_performed, 46 * 46 * 4);
  EXPECT_EQ(dc.actions.at("mul"), 46 * 46 * 4);
  // One output channel: DCNN's F lanes take 4 positions of a tap instead (an interior PE's
  // 2 × 2 positions: 1 cycle per tap, 9 taps; a corner PE's taps cover 4, 2 or 1 positions: also
  // 1 cycle each); halo 1 × 12 words; drain 1.
  const LayerStats narrow = run(*d, conv(1, 16, 16, 1, 3, 1, 1, all4, all3));
  EXPECT_EQ(narrow.compute_cycles, 9 + 12 + 1);
}

// An FC layer has one activation per input channel, so a vector of I = 4 holds one: 256 dense
// rows over 64 PEs give each PE 4 rows (one weight vector per column), 8 columns 8 steps of 4
// products; the drain of 4 outputs per PE takes 1 cycle. Utilisation 2048 / (1024 × 9) < 1/4.
// DCNN's dot products take 4 rows × 4 columns a cycle: 2 cycles and the drain.
TEST(Scnn, HandComputedFcLayerUsesAtMostAQuarterOfTheArray) {
  auto s = make("scnn");
  auto d = make("dcnn");
  ASSERT_NE(s, nullptr);
  ASSERT_NE(d, nullptr);
  const LayerWork l = testing::dense_fc(256, 8);
  const LayerStats sc = run(*s, l);
  EXPECT_EQ(sc.compute_cycles, 8 + 1);
  EXPECT_EQ(sc.macs_performed, 256 * 8);
  EXPECT_EQ(sc.actions.at("sb_read"), 64 * 8);   // one FIFO vector per step per PE
  EXPECT_EQ(sc.actions.at("nbin_read"), 64 * 8);  // every PE reads every activation
  EXPECT_LT(static_cast<double>(sc.macs_performed) / (1024.0 * sc.compute_cycles), 0.25);
  const LayerStats dc = run(*d, l);
  EXPECT_EQ(dc.compute_cycles, 2 + 1);
}

// A strided layer pairs activations only with the weights of their stride phase: a 1 × 1,
// stride-2 conv multiplies only the even positions.
TEST(Scnn, StridePhasesMultiplyOnlyValidPairs) {
  auto s = make("scnn");
  ASSERT_NE(s, nullptr);
  const LayerStats st = run(*s, conv(1, 8, 8, 4, 1, 2, 0, all4, all3));
  EXPECT_EQ(st.actions.at("mul"), 16 * 4);
  EXPECT_EQ(st.macs_performed, 16 * 4);
  EXPECT_EQ(st.macs_skipped, 0);
}

// Zero activations and zero weights are never multiplied: a quarter of each leaves 1/16 of the
// products, and fewer steps.
TEST(Scnn, SkipsZeroWeightsAndZeroActivations) {
  auto s = make("scnn");
  ASSERT_NE(s, nullptr);
  const LayerStats dense = run(*s, conv(16, 32, 32, 64, 3, 1, 1, all4, all3));
  const LayerStats sparse =
      run(*s, conv(16, 32, 32, 64, 3, 1, 1,
                   [](int64_t k, int64_t c, int64_t r, int64_t q) { return (k + c + r + q) % 4 == 0; },
                   [](int64_t c, int64_t y, int64_t x) { return (c + y + 3 * x) % 4 == 0; }));
  EXPECT_LT(sparse.actions.at("mul") * 12, dense.actions.at("mul"));
  EXPECT_LT(sparse.compute_cycles * 3, dense.compute_cycles);
  EXPECT_LT(sparse.offchip.weights + sparse.offchip.weight_index,
            dense.offchip.weights + dense.offchip.weight_index);
}

TEST(ScnnFormat, ZeroRunsLongerThanTheIndexStorePaddingZeros) {
  BitVec b(64);
  b.set(0);
  b.set(16);  // 15 zeros before it: fits a 4-bit run
  b.set(33);  // 16 zeros: one padding zero
  b.set(63);  // 29 zeros: one padding zero
  EXPECT_EQ(scnn_arch::zero_run_entries(b, 0, 64, 15), 4 + 2);
  EXPECT_EQ(scnn_arch::zero_run_entries(b, 1, 64, 15), 3 + 2);  // run counted from `begin`
  EXPECT_EQ(scnn_arch::zero_run_entries(b, 0, 64, 255), 4);
  EXPECT_EQ(scnn_arch::zero_run_entries(b, 1, 16, 15), 0);
}

// SCNN moves activations compressed: each channel plane's non-zeros with 4-bit runs.
TEST(Scnn, CompressedActivationsOffChip) {
  auto s = make("scnn");
  auto d = make("dcnn");
  ASSERT_NE(s, nullptr);
  const LayerWork l = conv(2, 16, 16, 4, 1, 1, 0, all4,
                           [](int64_t, int64_t y, int64_t x) { return (y * 16 + x) % 20 == 0; });
  int64_t entries = 0;
  for (int64_t c = 0; c < 2; ++c)
    entries += scnn_arch::zero_run_entries(l.input_nz[0], c * 256, (c + 1) * 256, 15);
  const LayerStats sc = run(*s, l);
  const int64_t out = 4 * 256;  // dense outputs: one entry each
  EXPECT_EQ(sc.offchip.neurons, (entries + out) * 2);
  EXPECT_EQ(sc.offchip.neuron_index, (entries * 4 + 7) / 8 + out * 4 / 8);
  const LayerStats dc = run(*d, l);
  EXPECT_EQ(dc.offchip.neurons, (2 * 256 + out) * 2);
  EXPECT_EQ(dc.offchip.neuron_index, 0);
}

// DCNN-opt gates the multipliers of zero operands: the same cycles as DCNN, fewer multiplies,
// compressed activations off chip.
TEST(Dcnn, ZeroGatingSavesEnergyNotTime) {
  auto d = make("dcnn");
  auto o = make("dcnn-opt-16nm");
  ASSERT_NE(d, nullptr);
  ASSERT_NE(o, nullptr);
  EXPECT_EQ(o->modes(), std::vector<std::string>{"zero-gated"});
  const LayerWork l = conv(8, 16, 16, 8, 3, 1, 1,
                           [](int64_t k, int64_t, int64_t r, int64_t) { return (k + r) % 2 == 0; },
                           [](int64_t c, int64_t y, int64_t) { return (c + y) % 2 == 0; });
  const LayerStats dl = run(*d, l), ol = run(*o, l);
  EXPECT_EQ(dl.compute_cycles, ol.compute_cycles);
  EXPECT_EQ(dl.actions.at("mul"), dl.macs_performed);
  EXPECT_LT(ol.actions.at("mul") * 3, dl.actions.at("mul"));
  EXPECT_EQ(ol.actions.at("mul") + ol.actions.at("mul_gated"), dl.actions.at("mul"));
  EXPECT_LT(ol.offchip.neurons, dl.offchip.neurons);
}

// A plane whose one-channel region overflows a PE's accumulators cannot be mapped (SCNN tiles
// output channels only): refused naming the layer and the numbers, not run wrongly.
TEST(Scnn, APlaneTooLargeForTheAccumulatorsIsRefusedNamingTheLayer) {
  auto s = make("scnn");
  ASSERT_NE(s, nullptr);
  Result<SimResult> r = s->simulate(one(conv(1, 300, 300, 4, 3, 1, 1, all4, all3)), {});
  ASSERT_FALSE(r.ok());
  const std::string m = r.status().message();
  EXPECT_NE(m.find("layer \"conv\" cannot be mapped"), std::string::npos) << m;
  EXPECT_NE(m.find("1600 accumulator positions"), std::string::npos) << m;
  EXPECT_NE(m.find("1024 entries"), std::string::npos) << m;
}

TEST(ScnnPreset, BadValuesAndUnknownKeysAreRefusedNamingFileKeyAndValue) {
  for (const char* arch : {"scnn", "dcnn"}) {
    Result<std::unique_ptr<Accelerator>> a = make_accelerator(arch, {"pe_rows=0"});
    ASSERT_FALSE(a.ok()) << arch;
    const std::string m = a.status().message();
    EXPECT_NE(m.find("pe_rows"), std::string::npos) << m;
    EXPECT_NE(m.find("0"), std::string::npos) << m;
    EXPECT_NE(m.find(std::string(arch) + "-16nm.yaml"), std::string::npos) << m;
  }
  Result<std::unique_ptr<Accelerator>> banks = make_accelerator("scnn", {"acc_banks=30"});
  ASSERT_FALSE(banks.ok());
  EXPECT_NE(banks.status().message().find("acc_banks = 30"), std::string::npos)
      << banks.status().message();
  EXPECT_NE(banks.status().message().find("scnn-16nm.yaml"), std::string::npos);
  // A preset file with a key the model does not know.
  const std::filesystem::path dir = std::filesystem::temp_directory_path() / "sieve_scnn_preset";
  std::filesystem::create_directories(dir);
  const std::filesystem::path src =
      std::filesystem::path(config_dir()) / "archs" / "scnn-16nm.yaml";
  std::ifstream in(src);
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  text += "  pe_depth: {value: 3, source: \"a key SCNN has not\"}\n";
  text.replace(text.find("energy: scnn-16nm"), 17,
               "energy: " + (std::filesystem::path(config_dir()) / "energy" / "scnn-16nm.yaml")
                                .string());
  const std::filesystem::path bad = dir / "scnn-bad.yaml";
  std::ofstream(bad) << text;
  Result<std::unique_ptr<Accelerator>> u = make_accelerator(bad.string(), {});
  ASSERT_FALSE(u.ok());
  EXPECT_NE(u.status().message().find("pe_depth"), std::string::npos) << u.status().message();
  EXPECT_NE(u.status().message().find("scnn-bad.yaml"), std::string::npos)
      << u.status().message();
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace sieve::hw
