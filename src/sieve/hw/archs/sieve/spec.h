// The Sieve accelerator's configuration (configs/archs/sieve-65nm.yaml) and its operating modes.
//
// Spec holds every constant the performance model uses, each read from the preset through
// ParamReader (unknown keys refused, ranges checked); nothing in the model is a literal. Mode is
// the set of modules switched on (thesis §5.3.2: dense, weight-sparse only, neuron-sparse only,
// both, with or without local quantization):
//
//   mode            NSM  SSM  WDM  Encoder  neuron index  synapse index  weights
//   sparse          on   on   on   on       used          used           stored, code width
//   dense           off  off  off  off      all ones      all ones       every weight, 16 bit
//   weight-sparse   on   off  on   off      all ones      used           stored, code width
//   neuron-sparse   on   on   off  on       used          all ones       every weight, 16 bit
//   no-quant        on   on   off  on       used          used           stored, 16 bit
//
// Value types; thread-safe.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "sieve/compiler/plan.h"
#include "sieve/core/status.h"
#include "sieve/hw/core/events.h"
#include "sieve/hw/core/params.h"

namespace sieve::hw::sieve_arch {

struct Spec {
  int64_t tn = 0;  // PEs (one output neuron each)
  int64_t tm = 0;  // multipliers per PE
  double freq_ghz = 0;
  // On-chip buffers, bytes, each ping-pong (a sub-operation gets half).
  int64_t nbin_bytes = 0, nbout_bytes = 0, sb_bytes = 0, nibin_bytes = 0, sib_bytes = 0;
  // Selectors: positions looked at / items selected per cycle.
  int64_t nsm_window = 0, nsm_select = 0;
  int64_t ssm_window = 0, ssm_select = 0;
  int64_t encoder_window = 0, encoder_select = 0;
  int neuron_bits = 0, psum_bits = 0;
  int weight_bits_dense = 0;  // a weight word when the WDM is off (or the layer is not quantized)
  int weight_align_bits = 0;  // WDM word granularity: words of align·2^k bits up to 16
  int64_t vector_lanes = 0;
  // The entropy-decoder variant (mode huffman, thesis §5.3.4): decoders (one weight a cycle
  // each) and the ratio of fixed-width to Huffman-coded weight bits off chip.
  int64_t huffman_decoders = 0;
  double huffman_decoder_area_mm2 = 0;
  double huffman_code_gain = 1.0;
  MemorySpec dram;

  // Derived: buffer widths in bytes per access (thesis §4.2.2).
  int64_t nbin_width_bytes() const { return nsm_window * neuron_bits / 8; }
  int64_t nbout_width_bytes() const { return encoder_window * psum_bits / 8; }
  int64_t sb_width_bytes() const { return tn * ssm_window * 16 / 8; }  // all PEs together
  int64_t index_width_bytes() const { return nsm_window / 8; }         // NIBin and SIB
  // The five buffers for the compiler (ping-pong halves, neuron_bits per element).
  compiler::BufferModel buffer_model() const;
  // Selected pairs a PE multiplies per cycle: min(T_m, NSM select, SSM select).
  int64_t pairs_per_cycle() const;
  // Stored width of a b-bit weight code in the SB: the smallest align·2^k >= b (4, 8, 16).
  int aligned_weight_bits(int bits) const;
};

Result<Spec> parse_spec(const ParamSet& ps);
// Mode huffman needs a decoder bank that keeps up with the SSMs (T_n × ssm_window weights a
// cycle): a smaller one would stall the PEs, which the model does not simulate.
Status check_huffman_bank(const Spec& s);

// The ablations (thesis §5.3.2, §5.3.3): kNoQuant switches the WDM's local quantization off;
// kNoEncoder keeps neurons uncompressed off chip (the Encoder's saving: every neuron load and
// store is dense; on chip the SSM still skips zero neurons); kNoSharedIndex gives every output
// neuron its own synapse bit string (a per-PE selector) instead of one string shared by the rows
// of a pruning block. kHuffman is the entropy-decoder variant (§5.3.4): quantized weights
// travel Huffman-coded off chip (huffman_code_gain fewer bits) and a bank of huffman_decoders
// decodes them into the SB's aligned codes.
enum class Mode {
  kSparse, kDense, kWeightSparse, kNeuronSparse, kNoQuant, kNoEncoder, kNoSharedIndex, kHuffman
};

const std::vector<std::string>& mode_names();  // in enum order; first = default
const char* mode_name(Mode m);
// "" = the default (sparse). Unknown names are refused listing the valid ones.
Result<Mode> parse_mode(const std::string& name);

struct ModeSwitches {
  bool nsm = false, ssm = false, wdm = false, encoder = false;
  bool neuron_index = false;   // sparse input neurons (non-zeros + bit string)
  bool synapse_index = false;  // pruned weights skipped (stored weights + bit string)
  // One synapse bit string per group of output rows that share a mask row (false: one per
  // output row).
  bool shared_index = true;
  bool huffman = false;  // quantized weights Huffman-coded off chip, decoded on chip
};
// Neurons travel compressed off chip (non-zeros + bit string) when the Encoder wrote them and
// the SSM reads an index.
inline bool compressed_neurons(const ModeSwitches& s) { return s.neuron_index && s.encoder; }
ModeSwitches switches(Mode m);

}  // namespace sieve::hw::sieve_arch
