// SCNN's configuration and that of its dense twin DCNN (configs/archs/scnn-16nm.yaml,
// dcnn-16nm.yaml, dcnn-opt-16nm.yaml), parsed and range-checked.
//
// SCNN (Parashar et al., ISCA 2017): a grid of pe_rows × pe_cols PEs; each PE has an F × I
// multiplier array (mult_f weights × mult_i activations), an IARAM and an OARAM holding its planar
// tile of the input and output activations in a compressed-sparse format, a weight FIFO, a
// scatter crossbar and an accumulator buffer of acc_banks banks of acc_bank_entries entries.
// DCNN is the paper's comparably provisioned dense accelerator: the same PE grid, multipliers,
// accumulator capacity and clock, dense activations and weights and a dot-product datapath;
// DCNN-opt adds zero gating of the multipliers and compressed activations off chip.
// Every constant the models use is a field here and comes from a preset with its source.
// Value type; thread-safe.
#pragma once

#include <cstdint>

#include "sieve/core/status.h"
#include "sieve/hw/core/events.h"
#include "sieve/hw/core/params.h"

namespace sieve::hw::scnn_arch {

enum class Dataflow {
  kCartesianSparse,  // SCNN: PT-IS-CP-sparse
  kDotProductDense,  // DCNN / DCNN-opt: PT-IS-DP-dense
};

struct ScnnSpec {
  Dataflow dataflow = Dataflow::kCartesianSparse;
  int64_t pe_rows = 8, pe_cols = 8;
  int64_t mult_f = 4, mult_i = 4;  // F weights × I activations per cycle per PE
  int64_t acc_banks = 32, acc_bank_entries = 32;
  int64_t iaram_bytes = 0, oaram_bytes = 0;  // per PE (activation values)
  int64_t weight_fifo_entries = 50;          // SCNN: entries of F weights each
  int64_t neuron_bits = 16, weight_bits = 16;
  int64_t index_bits = 4;  // SCNN's zero-run index per stored value (compressed-sparse format)
  int64_t halo_words_per_cycle = 1;  // partial sums a PE sends to its neighbours per cycle
  bool zero_gating = false;          // DCNN-opt: multipliers with a zero operand are gated
  bool compress_activations = false;  // activations off chip in the zero-run format
  double freq_ghz = 1.0;
  MemorySpec memory;

  int64_t n_pe() const { return pe_rows * pe_cols; }
  int64_t multipliers() const { return n_pe() * mult_f * mult_i; }
  int64_t acc_entries() const { return acc_banks * acc_bank_entries; }  // per PE
  int64_t max_run() const { return (int64_t{1} << index_bits) - 1; }   // zeros one index spans
  // Bank position classes: banks = F × lanes (the bank of a product: its output channel mod F,
  // and its output position's class mod lanes); lanes ≤ 8.
  int64_t lanes() const { return acc_banks / mult_f; }
};

// SCNN's keys (configs/archs/scnn-16nm.yaml); unknown keys are refused, as are bank counts that
// are not F × 1..8.
Result<ScnnSpec> parse_scnn_spec(const ParamSet& ps);
// DCNN's keys (configs/archs/dcnn-16nm.yaml, dcnn-opt-16nm.yaml: zero_gating,
// compress_activations).
Result<ScnnSpec> parse_dcnn_spec(const ParamSet& ps);

}  // namespace sieve::hw::scnn_arch
