// The Sieve accelerator's datapath blocks (NSM, SSM, WDM, PEFU, Encoder) and its functional
// model, which must equal the 16-bit fixed-point reference bit for bit on every value of every
// layer of compressed zoo models (block-pruned, fine-grained, locally quantized at 4/6/8/16 bits,
// ragged row counts, several T_n/T_m).
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <map>
#include <random>
#include <string>
#include <vector>

#include "sieve/compress/model.h"
#include "sieve/compress/prune/prune.h"
#include "sieve/compress/quant/activation.h"
#include "sieve/compress/quant/quantize.h"
#include "sieve/hw/archs/sieve/blocks.h"
#include "sieve/hw/archs/sieve/functional.h"
#include "sieve/runtime/fixed16/fixed16.h"
#include "sieve/zoo/zoo.h"
#include "compressed_models.h"

namespace sieve::hw::sieve_arch {
namespace {

using sieve_test::make_model;
using sieve_test::CompressionPlan;
using sieve_test::plan;
using sieve_test::random_input;

std::vector<uint8_t> bits_of(const std::string& s) {
  std::vector<uint8_t> v;
  for (char c : s) v.push_back(c == '1' ? 1 : 0);
  return v;
}
std::string digits(const std::vector<int32_t>& v) {
  std::string s;
  for (int32_t x : v) s += std::to_string(x);
  return s;
}

// ---- NSM ----

// Thesis Fig 4.1 / SPEC §4. The thesis prints synapse flags "14", but its own accumulated
// synapse index "00122234" reads 1 and 3 at the two set positions of the AND string (positions
// 3 and 7, 1-based): the kept synapses are at positions 3, 4, 7, 8, so the synapse at position
// 7 is the third one. The NSM implements the stated mechanism (flags = accumulated synapse
// index at the AND positions), which gives 1, 3; everything else matches the figure.
TEST(SieveNsm, WorkedExampleOfThesisFigure41) {
  Nsm nsm(256);
  const std::vector<int16_t> neurons = {101, 102, 103, 105, 107};  // n1 n2 n3 n5 n7
  auto t = nsm.trace(bits_of("11101010"), bits_of("00110011"), neurons);
  ASSERT_TRUE(t.ok()) << t.status().to_string();
  std::string and_str;
  for (uint8_t b : t->indexing) and_str += b ? '1' : '0';
  EXPECT_EQ(and_str, "00100010");
  EXPECT_EQ(digits(t->acc_neuron), "12334455");
  EXPECT_EQ(digits(t->acc_synapse), "00122234");
  EXPECT_EQ(t->neuron_flags, (std::vector<int32_t>{3, 5}));
  EXPECT_EQ(t->synapse_flags, (std::vector<int32_t>{1, 3}));  // thesis text: "14" (see above)
  EXPECT_EQ(t->selected, (std::vector<int16_t>{103, 107}));   // n3, n7
}

TEST(SieveNsm, SelectOnPackedWordsEqualsTheTrace) {
  std::mt19937 rng(7);
  Nsm nsm(256);
  for (int trial = 0; trial < 50; ++trial) {
    const int n = 1 + static_cast<int>(rng() % 256);
    const double dn = (rng() % 100) / 100.0, ds = (rng() % 100) / 100.0;
    std::vector<uint8_t> ni(n), si(n);
    std::vector<uint64_t> nw(4, 0), sw(4, 0);
    std::vector<int16_t> neurons;
    for (int i = 0; i < n; ++i) {
      ni[i] = (rng() % 1000) < dn * 1000 ? 1 : 0;
      si[i] = (rng() % 1000) < ds * 1000 ? 1 : 0;
      if (ni[i]) {
        nw[i / 64] |= uint64_t{1} << (i % 64);
        neurons.push_back(static_cast<int16_t>(1 + rng() % 1000));
      }
      if (si[i]) sw[i / 64] |= uint64_t{1} << (i % 64);
    }
    auto t = nsm.trace(ni, si, neurons);
    ASSERT_TRUE(t.ok());
    std::vector<int32_t> flags;
    std::vector<int16_t> sel;
    nsm.select(nw.data(), sw.data(), n, neurons.data(), flags, sel);
    EXPECT_EQ(flags, t->synapse_flags) << "trial " << trial;
    EXPECT_EQ(sel, t->selected) << "trial " << trial;
  }
}

TEST(SieveNsm, TraceRefusesMismatchedLengthsAndNeuronCounts) {
  Nsm nsm(8);
  EXPECT_FALSE(nsm.trace(bits_of("101"), bits_of("10"), std::vector<int16_t>{1, 2}).ok());
  EXPECT_FALSE(nsm.trace(bits_of("101"), bits_of("100"), std::vector<int16_t>{1}).ok());
  EXPECT_FALSE(nsm.trace(bits_of("000000000"), bits_of("000000000"), std::vector<int16_t>{}).ok());
}

// ---- SSM ----

TEST(SieveSsm, PicksTheWeightsNamedByTheSynapseFlags) {
  const std::vector<int16_t> sb = {11, 12, 13, 14};  // S_T11 .. S_T14
  std::vector<int16_t> out;
  Ssm::pick<int16_t>(sb, std::vector<int32_t>{1, 3}, out);
  EXPECT_EQ(out, (std::vector<int16_t>{11, 13}));
  Ssm::pick<int16_t>(sb, std::vector<int32_t>{}, out);
  EXPECT_TRUE(out.empty());
}

// ---- WDM ----

TEST(SieveWdm, CodesAreStoredAtFourBitAlignedWidths) {
  EXPECT_EQ(aligned_code_bits(1), 4);
  EXPECT_EQ(aligned_code_bits(4), 4);
  EXPECT_EQ(aligned_code_bits(5), 8);
  EXPECT_EQ(aligned_code_bits(6), 8);
  EXPECT_EQ(aligned_code_bits(8), 8);
  EXPECT_EQ(aligned_code_bits(9), 16);
  EXPECT_EQ(aligned_code_bits(16), 16);
  const std::vector<uint16_t> w4 = {1, 15, 0, 7, 9};
  const auto p4 = pack_words(w4, 4);
  EXPECT_EQ(p4.size(), 3u);
  EXPECT_EQ(p4[0], 0xf1);
  for (size_t i = 0; i < w4.size(); ++i) EXPECT_EQ(unpack_word(p4, 4, i), w4[i]);
  const std::vector<uint16_t> w16 = {0, 0xffff, 0x1234};
  const auto p16 = pack_words(w16, 16);
  EXPECT_EQ(p16[4], 0x34);
  for (size_t i = 0; i < w16.size(); ++i) EXPECT_EQ(unpack_word(p16, 16, i), w16[i]);
}

TEST(SieveWdm, DecodesThroughTheRegionLutAndZeroesInvalidPositions) {
  compress::CompressedLayer l;
  l.weight = "w";
  l.shape = {2, 4};
  l.bits = 6;  // stored in 8-bit words
  l.region_rows = 1;
  l.region_cols = 2;
  l.codebooks = {{-0.5f, 0.25f}, {1.0f, -1.0f, 0.125f}};
  auto wdm = Wdm::for_layer(l, 14);
  ASSERT_TRUE(wdm.ok());
  EXPECT_EQ(wdm->word_bits(), 8);
  const std::vector<uint16_t> codes = {1, 0, 2, 1};
  const auto sb = pack_words(codes, 8);
  std::vector<int16_t> out(4);
  ASSERT_TRUE(
      wdm->decode(sb, std::vector<int32_t>{0, 0, 1, 1}, std::vector<uint8_t>{1, 1, 1, 0}, out)
          .ok());
  EXPECT_EQ(out, (std::vector<int16_t>{4096, -8192, 2048, 0}));
  // A code beyond its region's LUT is an error.
  EXPECT_FALSE(
      wdm->decode(sb, std::vector<int32_t>{0, 0, 0, 1}, std::vector<uint8_t>{1, 1, 1, 1}, out)
          .ok());
  // Bypass: the 16-bit words are the weights.
  const std::vector<uint16_t> raw = {static_cast<uint16_t>(-3), 7};
  std::vector<int16_t> out2(2);
  ASSERT_TRUE(
      Wdm::bypass()
          .decode(pack_words(raw, 16), std::vector<int32_t>{0, 0}, std::vector<uint8_t>{1, 1}, out2)
          .ok());
  EXPECT_EQ(out2, (std::vector<int16_t>{-3, 7}));
}

// ---- PEFU ----

TEST(SievePefu, UsesCeilOfKOverTmCyclesAndAnExactAdderTree) {
  Pefu pefu(16);
  std::vector<int16_t> w(37), n(37);
  int64_t expect = 0;
  for (int i = 0; i < 37; ++i) {
    w[i] = static_cast<int16_t>(i % 2 == 0 ? 32767 : -32768);
    n[i] = static_cast<int16_t>(-32768 + i);
    expect += int64_t{w[i]} * n[i];
  }
  int64_t acc = 5;
  EXPECT_EQ(pefu.accumulate(w, n, {}, acc), 3);
  EXPECT_EQ(acc, expect + 5);
  std::vector<uint8_t> shifts(37, 0);
  shifts[36] = 3;
  int64_t acc2 = 0;
  pefu.accumulate(w, n, shifts, acc2);
  EXPECT_EQ(acc2, expect + int64_t{w[36]} * n[36] * 7);
  EXPECT_EQ(Pefu::activate(-5, Activation::kRelu), 0);
  EXPECT_EQ(Pefu::activate(-5, Activation::kIdentity), -5);
  EXPECT_EQ(Pefu::requantize(3 << 4, 8, 4), 3);
}

// ---- Encoder ----

TEST(SieveEncoder, CompressesToNonZeroValuesAndABitString) {
  const std::vector<int16_t> v = {0, 5, 0, 0, -2, 7, 0};
  const Encoded e = Encoder::encode(v);
  EXPECT_EQ(e.values, (std::vector<int16_t>{5, -2, 7}));
  std::string bits;
  for (int64_t i = 0; i < e.index.size(); ++i) bits += e.index.get(i) ? '1' : '0';
  EXPECT_EQ(bits, "0100110");
  EXPECT_EQ(Encoder::decode(e), v);
}

// ---- functional model == fixed-point reference ----

FunctionalOptions tiles(int64_t tn, int64_t tm) {
  FunctionalOptions o;
  o.tn = tn;
  o.tm = tm;
  return o;
}

void expect_bit_exact(const compress::CompressedModel& m, const Tensor& input,
                      const FunctionalOptions& opts, const std::string& what) {
  std::map<std::string, Tensor> ref_values, fun_values;
  auto ref = runtime::fixed16::run(
      m, input, opts.fixed, [&](const std::string& v, const Tensor& t) { ref_values[v] = t; });
  ASSERT_TRUE(ref.ok()) << what << ": " << ref.status().to_string();
  FunctionalStats stats;
  auto fun = run_functional(
      m, input, opts, [&](const std::string& v, const Tensor& t) { fun_values[v] = t; }, &stats);
  ASSERT_TRUE(fun.ok()) << what << ": " << fun.status().to_string();
  sieve_test::expect_bit_exact_values(ref_values, fun_values, what, "functional model");
  EXPECT_EQ(fun->shape(), ref->shape());
  // The comparison is not vacuous: the outputs are neither all zero nor mostly saturated.
  int64_t nonzero = 0, saturated = 0;
  for (int16_t v : ref->span<int16_t>()) {
    nonzero += v != 0 ? 1 : 0;
    saturated += (v == 32767 || v == -32768) ? 1 : 0;
  }
  EXPECT_GT(nonzero, ref->numel() / 2) << what;
  EXPECT_LT(saturated, ref->numel() / 10) << what;
  EXPECT_GT(stats.multiplies, 0) << what;
  EXPECT_GT(stats.nsm_selections, 0) << what;
}

TEST(SieveFunctional, Lenet5BlockPrunedLocallyQuantizedEqualsReferenceOnEveryValue) {
  const Tensor calib = random_input({8, 1, 28, 28}, 1);
  const auto m = make_model("lenet5",
                            {{"conv1.weight", plan("magnitude", {}, 0.5, 8)},
                             {"conv2.weight", plan("block", {4, 1, 1, 1}, 0.6, 6, 2, 3)},
                             {"ip1.weight", plan("block", {4, 8}, 0.85, 4, 4, 4)},
                             {"ip2.weight", plan("magnitude", {}, 0.3, 4, 1, 1, true)}},
                            calib);
  expect_bit_exact(m, random_input({3, 1, 28, 28}, 2), {}, "lenet5");
}

TEST(SieveFunctional, Lenet300100FineGrainedAndSixteenBitEqualsReferenceForSeveralTnTm) {
  const Tensor calib = random_input({8, 1, 28, 28}, 3);
  const auto m = make_model("lenet-300-100",
                            {{"ip1.weight", plan("magnitude", {}, 0.9, 16)},
                             {"ip2.weight", plan("block", {16, 16}, 0.7, 0)},
                             {"ip3.weight", plan("", {}, 0, 6, 2, 2)}},
                            calib);
  const Tensor x = random_input({2, 1, 28, 28}, 4);
  expect_bit_exact(m, x, {}, "mlp 16x16");
  expect_bit_exact(m, x, tiles(3, 2), "mlp tn=3 tm=2");  // 32-position windows
  expect_bit_exact(m, x, tiles(7, 5), "mlp tn=7 tm=5");  // windows not word-aligned
}

TEST(SieveFunctional, Cifar10QuickWithAveragePoolsEqualsReference) {
  const Tensor calib = random_input({4, 3, 32, 32}, 5);
  const auto m = make_model("cifar10-quick",
                            {{"conv1.weight", plan("", {}, 0, 8)},
                             {"conv2.weight", plan("block", {8, 2, 1, 1}, 0.7, 8, 2, 2)},
                             {"conv3.weight", plan("magnitude", {}, 0.8, 0)},
                             {"ip1.weight", plan("block", {16, 16}, 0.9, 4)}},
                            calib);
  expect_bit_exact(m, random_input({1, 3, 32, 32}, 6), {}, "cifar10-quick");
}

TEST(SieveFunctional, LstmWithPeepholesAndProjectionEqualsReference) {
  const Tensor calib = random_input({4, 1, 153}, 7, -1.0f, 1.0f);
  const auto m = make_model("lstm",
                            {{"lstm.W", plan("block", {1, 16, 16}, 0.8, 4, 1, 8)},
                             {"lstm.R", plan("magnitude", {}, 0.9, 6)},
                             {"lstm.W_proj", plan("block", {1, 4, 4}, 0.85, 0)}},
                            calib);
  // Three timesteps, batch 2: the recurrent state and the cell state flow through the steps.
  expect_bit_exact(m, random_input({3, 2, 153}, 8, -1.0f, 1.0f), {}, "lstm");
}

TEST(SieveFunctional, RefusesBadOptionsAndModelsWithoutActivationFormats) {
  const Tensor calib = random_input({2, 1, 28, 28}, 9);
  auto m = make_model("lenet-300-100", {}, calib);
  const Tensor x = random_input({1, 1, 28, 28}, 10);
  EXPECT_FALSE(run_functional(m, x, tiles(0, 16)).ok());
  m.activation_frac_bits.erase("ip2");
  auto r = run_functional(m, x);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("\"ip2\""), std::string::npos) << r.status().message();
}

}  // namespace
}  // namespace sieve::hw::sieve_arch
