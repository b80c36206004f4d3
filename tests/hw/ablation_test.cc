// The Sieve model's ablation switches (its modes) change exactly the actions they should: local
// quantization off (mode no-quant) loads 16-bit weights (more SB fills, a longer layer) and turns
// the WDM off; nothing else in the datapath moves. The Encoder off moves neurons dense; the
// shared index off multiplies the weight index. Dense mode turns the selectors off.
#include <gtest/gtest.h>

#include <set>
#include <string>

#include "sieve/hw/sim/run.h"
#include "sieve/hw/workloads/thesis.h"

namespace sieve::hw {
namespace {

std::set<std::string> changed_actions(const LayerStats& a, const LayerStats& b) {
  std::set<std::string> keys;
  for (const auto& [k, v] : a.actions)
    if (b.actions.count(k) == 0 || b.actions.at(k) != v) keys.insert(k);
  for (const auto& [k, v] : b.actions)
    if (a.actions.count(k) == 0) keys.insert(k);
  return keys;
}

Result<SimReport> run(const Workload& w, const std::string& mode) {
  ArchRun r{"sieve", {}, {}};
  r.options.mode = mode;
  return run_sim(w, r);
}

TEST(SieveAblations, LocalQuantizationOffChangesOnlyWeightLoadsAndTheWdm) {
  Result<Workload> w = thesis_workload("lenet-300-100", 1, 1);
  ASSERT_TRUE(w.ok()) << w.status().message();
  Result<SimReport> on = run(*w, "sparse");
  Result<SimReport> off = run(*w, "no-quant");
  ASSERT_TRUE(on.ok() && off.ok());
  for (size_t i = 0; i < on->result.layers.size(); ++i) {
    const LayerStats& a = on->result.layers[i];
    const LayerStats& b = off->result.layers[i];
    const std::set<std::string> changed = changed_actions(a, b);
    for (const std::string& k : changed)
      EXPECT_TRUE(k == "sb_fill" || k == "wdm_cycle" || k == "control_cycle") << a.name << " " << k;
    EXPECT_EQ(b.actions.at("wdm_cycle"), 0) << a.name;
    EXPECT_GT(a.actions.at("wdm_cycle"), 0) << a.name;
    EXPECT_EQ(b.macs_performed, a.macs_performed) << a.name;
    // The two large layers (784×300, 300×100) load more weight bytes as 16-bit words and take
    // longer; the last one (100×10) is so small that its 4-bit codes plus their codebook
    // outweigh the 16-bit words.
    if (a.macs_dense < 10000) continue;
    EXPECT_GT(b.actions.at("sb_fill"), a.actions.at("sb_fill")) << a.name;
    EXPECT_GT(b.offchip.weights, a.offchip.weights) << a.name;
    EXPECT_GT(b.cycles, a.cycles) << a.name;
  }
}

// The Encoder off (mode no-encoder): neurons travel dense off chip, with no neuron index; the
// Encoder does no work; on chip the same MACs run (the SSM still skips zero neurons).
TEST(SieveAblations, EncoderOffMovesNeuronsDenseAndNothingElse) {
  Result<Workload> w = thesis_workload("lenet5", 1, 1);
  ASSERT_TRUE(w.ok()) << w.status().message();
  Result<SimReport> on = run(*w, "sparse");
  Result<SimReport> off = run(*w, "no-encoder");
  ASSERT_TRUE(on.ok() && off.ok());
  const LayerStats a = on->result.total(), b = off->result.total();
  EXPECT_EQ(b.macs_performed, a.macs_performed);
  EXPECT_EQ(b.offchip.weights, a.offchip.weights);
  EXPECT_EQ(b.offchip.weight_index, a.offchip.weight_index);
  EXPECT_EQ(b.offchip.neuron_index, 0);
  EXPECT_GT(a.offchip.neuron_index, 0);
  EXPECT_GT(b.offchip.neurons, a.offchip.neurons);
  EXPECT_GT(a.actions.at("encoder_cycle"), 0);
  EXPECT_EQ(b.actions.count("encoder_cycle") == 0 || b.actions.at("encoder_cycle") == 0, true);
  // (Off-chip energy need not grow: where neurons are dense, as LeNet-5's input image, the
  // Encoder's bit string costs more than the zeros it drops.)
}

// The shared index off (mode no-shared-index): each output row carries its own synapse bit
// string, so the weight index grows by up to T_n (the rows of a group). (The SIB then holds
// fewer columns, so the tiling, and with it the other traffic and the MACs of the row groups'
// union masks, may change.)
TEST(SieveAblations, UnsharedIndexMultipliesTheWeightIndexByTheGroupRows) {
  Result<Workload> w = thesis_workload("lenet-300-100", 1, 1);
  ASSERT_TRUE(w.ok()) << w.status().message();
  Result<SimReport> on = run(*w, "sparse");
  Result<SimReport> off = run(*w, "no-shared-index");
  ASSERT_TRUE(on.ok() && off.ok());
  for (size_t i = 0; i < on->result.layers.size(); ++i) {
    const LayerStats& a = on->result.layers[i];
    const LayerStats& b = off->result.layers[i];
    EXPECT_GT(b.offchip.weight_index, a.offchip.weight_index) << a.name;
    EXPECT_LE(b.offchip.weight_index, 16 * a.offchip.weight_index + 16) << a.name;
    EXPECT_GE(b.cycles, a.cycles) << a.name;
  }
}

// The entropy-decoder variant (mode huffman): quantized weights cost their code bits over the
// preset's huffman_code_gain off chip; the SB still fills with aligned codes; every stored
// weight goes through a decoder once per load.
TEST(SieveAblations, HuffmanModeShrinksOnlyTheOffChipWeights) {
  Result<Workload> w = thesis_workload("lenet-300-100", 1, 1);
  ASSERT_TRUE(w.ok()) << w.status().message();
  Result<SimReport> on = run(*w, "sparse");
  Result<SimReport> hf = run(*w, "huffman");
  ASSERT_TRUE(on.ok() && hf.ok());
  const LayerStats a = on->result.total(), b = hf->result.total();
  EXPECT_LT(b.offchip.weights, a.offchip.weights);
  EXPECT_EQ(b.offchip.weight_index, a.offchip.weight_index);
  EXPECT_EQ(b.offchip.neurons, a.offchip.neurons);
  EXPECT_EQ(b.actions.at("sb_fill"), a.actions.at("sb_fill"));
  EXPECT_EQ(b.macs_performed, a.macs_performed);
  EXPECT_GT(b.actions.at("huffman_decode"), 0);
  EXPECT_EQ(a.actions.count("huffman_decode"), 0u);
  EXPECT_LE(b.cycles, a.cycles);
  // A bank smaller than the SSMs' appetite is refused, naming the key.
  ArchRun small{"sieve", {"huffman_decoders=512"}, {}};
  small.options.mode = "huffman";
  Result<SimReport> r = run_sim(*w, small);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("huffman_decoders = 512 is below T_n × ssm_window = 1024"),
            std::string::npos)
      << r.status().message();
}

TEST(SieveAblations, DenseModeTurnsTheSelectorsOff) {
  Result<Workload> w = thesis_workload("lenet5", 1, 1);
  ASSERT_TRUE(w.ok()) << w.status().message();
  Result<SimReport> sparse = run(*w, "sparse");
  Result<SimReport> dense = run(*w, "dense");
  ASSERT_TRUE(sparse.ok() && dense.ok());
  const LayerStats s = sparse->result.total(), d = dense->result.total();
  EXPECT_GT(s.actions.at("nsm_cycle"), 0);
  EXPECT_EQ(d.actions.count("nsm_cycle") == 0 || d.actions.at("nsm_cycle") == 0, true);
  EXPECT_GT(d.macs_performed, s.macs_performed);
  EXPECT_GT(dense->energy.offchip_pj, sparse->energy.offchip_pj);
}

}  // namespace
}  // namespace sieve::hw
