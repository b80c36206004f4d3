// The blocks of the Sieve accelerator's datapath (thesis §4.2, SPEC §4), each a small, exactly
// specified function object that the functional model (functional.h) wires together:
//
//  * Nsm: the shared neuron selector. ANDs the neuron index (which input neurons are non-zero)
//    with the synapse index (which weights are kept) of a window of positions, prefix-sums
//    both index strings ("accumulated indexes"), and reads them at the set positions of the
//    AND string: the neuron flags (1-based rank of each selected neuron among the window's
//    compact non-zero neurons) select the neurons, the synapse flags (1-based rank of the
//    selected weight among the window's compact kept weights) go to every PE's SSM.
//  * Ssm: a PE's synapse selector: picks from the PE's compact weights the ones the synapse
//    flags name.
//  * Wdm: a PE's weight decoder: look-up-table decoding of locally quantized codes stored in
//    the synapse buffer at a 4-bit-aligned width (4-, 8- or 16-bit words; a code of another
//    width is stored in the next aligned width), one LUT per quantization region, into int16
//    weights. Unquantized layers bypass the LUT (the 16-bit words are the weights).
//  * Pefu: a PE's function unit: T_m multipliers (int16 × int16), a T_m-input adder tree (int64,
//    so the tree's order cannot matter), and the nonlinear function stage (requantization to
//    the output's Q format, then identity or ReLU), in the arithmetic of
//    runtime/fixed16/fixed16.h.
//  * Encoder: compresses output neurons to (non-zero values, bit string).
//
// Bit strings: position 0 is the first position (the leftmost character in the thesis'
// figures); packed strings hold position i in bit i % 64 of word i / 64 (hw::BitVec's layout).
// Thread-safety: the blocks are immutable after construction; all methods are const.
#pragma once

#include <cstdint>
#include <span>
#include <vector>

#include "sieve/compress/model.h"
#include "sieve/core/status.h"
#include "sieve/hw/core/workload.h"

namespace sieve::hw::sieve_arch {

// ---- NSM ----

// Everything the NSM computes for one window (the trace of thesis Fig 4.1).
struct NsmTrace {
  std::vector<uint8_t> indexing;       // neuron index AND synapse index, per position
  std::vector<int32_t> acc_neuron;     // inclusive prefix sums of the neuron index
  std::vector<int32_t> acc_synapse;    // inclusive prefix sums of the synapse index
  std::vector<int32_t> neuron_flags;   // acc_neuron at each set position of `indexing`
  std::vector<int32_t> synapse_flags;  // acc_synapse at each set position of `indexing`
  std::vector<int16_t> selected;       // neurons[neuron_flag - 1]
};

class Nsm {
 public:
  // `window`: positions one selection covers (16·T_m in the thesis: 256-choose-16).
  explicit Nsm(int64_t window) : window_(window) {}
  int64_t window() const { return window_; }

  // The full trace from one byte per position (0/1). `neurons` are the window's compact
  // non-zero neurons (as many as set bits of neuron_index). Errors: lengths that differ or
  // exceed the window, a neuron count that does not match the index.
  Result<NsmTrace> trace(std::span<const uint8_t> neuron_index,
                         std::span<const uint8_t> synapse_index,
                         std::span<const int16_t> neurons) const;

  // The datapath form of the same definitions on packed strings of `n` ≤ window positions
  // (words beyond n must be zero): clears and fills `synapse_flags` and `selected`. The
  // accumulated index at a position is the popcount of the string up to and including it.
  void select(const uint64_t* neuron_index, const uint64_t* synapse_index, int64_t n,
              const int16_t* neurons, std::vector<int32_t>& synapse_flags,
              std::vector<int16_t>& selected) const;

 private:
  int64_t window_;
};

// ---- SSM ----

struct Ssm {
  // out[i] = weights[synapse_flags[i] − 1] (flags are 1-based ranks, all ≤ weights.size()).
  template <typename T>
  static void pick(std::span<const T> weights, std::span<const int32_t> synapse_flags,
                   std::vector<T>& out) {
    out.resize(synapse_flags.size());
    for (size_t i = 0; i < synapse_flags.size(); ++i) {
      SIEVE_ASSERT(synapse_flags[i] >= 1 &&
                       static_cast<size_t>(synapse_flags[i]) <= weights.size(),
                   "synapse flag {} outside 1..{}", synapse_flags[i], weights.size());
      out[i] = weights[static_cast<size_t>(synapse_flags[i] - 1)];
    }
  }
};

// ---- WDM ----

// Storage width of a code of `bits` (1..16) in the synapse buffer: 4, 8 or 16.
int aligned_code_bits(int bits);
// Packs words of `width` (4, 8 or 16) bits, word i at bit offset i·width, little-endian.
std::vector<uint8_t> pack_words(std::span<const uint16_t> words, int width);
uint16_t unpack_word(std::span<const uint8_t> packed, int width, int64_t i);

class Wdm {
 public:
  // The LUTs of a quantized layer (bits 1..16): one per region, each codebook entry quantized
  // to int16 with `weight_frac` fraction bits (fixed16::quantize).
  static Result<Wdm> for_layer(const compress::CompressedLayer& layer, int weight_frac);
  // Unquantized weights: 16-bit words that are the int16 weights themselves.
  static Wdm bypass();

  bool is_bypass() const { return luts_.empty(); }
  int word_bits() const { return word_bits_; }
  // Decodes word i of `packed` through the LUT of regions[i] (ignored in bypass); a position
  // with valid[i] == 0 (a union position the PE's row does not keep) decodes to 0. Errors: a
  // code beyond its LUT, a region out of range.
  Status decode(std::span<const uint8_t> packed, std::span<const int32_t> regions,
                std::span<const uint8_t> valid, std::span<int16_t> out) const;

 private:
  int word_bits_ = 16;
  std::vector<std::vector<int16_t>> luts_;
};

// ---- PEFU ----

enum class Activation { kIdentity, kRelu };

class Pefu {
 public:
  explicit Pefu(int64_t tm) : tm_(tm) {}
  int64_t tm() const { return tm_; }
  // One cycle: k ≤ T_m products w[i]·n[i], each shifted left by shifts[i] (when given; the
  // LSTM aligns the W·x and R·r parts onto one scale), summed by the adder tree.
  int64_t cycle(const int16_t* w, const int16_t* n, const uint8_t* shifts, int64_t k) const;
  // All pairs in ⌈k / T_m⌉ cycles, added to `acc`; returns the cycles used. `shifts` is empty
  // or as long as `w`.
  int64_t accumulate(std::span<const int16_t> w, std::span<const int16_t> n,
                     std::span<const uint8_t> shifts, int64_t& acc) const;
  // The function stage: acc (scale acc_frac) requantized to out_frac (fixed16::requantize).
  static int16_t requantize(int64_t acc, int acc_frac, int out_frac);
  static int16_t activate(int16_t v, Activation a);

 private:
  int64_t tm_;
};

// ---- Encoder ----

struct Encoded {
  std::vector<int16_t> values;  // the non-zero neurons in order
  BitVec index;                 // one bit per neuron, set = non-zero
};

struct Encoder {
  static Encoded encode(std::span<const int16_t> neurons);
  static std::vector<int16_t> decode(const Encoded& e);
};

}  // namespace sieve::hw::sieve_arch
