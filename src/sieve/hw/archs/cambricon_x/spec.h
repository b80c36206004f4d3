// Cambricon-X's configuration (configs/archs/cambricon-x-65nm.yaml), parsed and range-checked.
//
// Cambricon-X (Zhang et al., MICRO 2016): a buffer controller (BC) with NBin / NBout and an
// Indexing Module (IM) per PE, and n_pe processing elements, each with its own synapse buffer
// (a slice of SB), multipliers_per_pe multipliers and an adder tree; weights are stored sparse
// with step indexes. Every constant the model uses is a field here and comes from the preset
// with its source. Value type; thread-safe.
#pragma once

#include <cstdint>

#include "sieve/core/status.h"
#include "sieve/hw/core/events.h"
#include "sieve/hw/core/params.h"

namespace sieve::hw::cambricon_x_arch {

struct CambriconXSpec {
  int64_t n_pe = 16;
  int64_t multipliers_per_pe = 16;  // non-zero weights (neurons) a PE takes per cycle
  int64_t pipeline_stages = 4;      // IM selection + multipliers + adder tree + activation
  double freq_ghz = 1.0;
  int64_t nbin_bytes = 0, nbout_bytes = 0, sb_bytes = 0;  // SB: total over the PEs
  bool ping_pong = true;
  int64_t neuron_bits = 16;
  int64_t weight_bits = 16;         // stored non-zero weight values
  int64_t step_index_bits = 8;      // one step index entry
  int64_t im_window = 256;          // neuron positions an IM slice scans per cycle
  MemorySpec memory;

  int64_t multipliers() const { return n_pe * multipliers_per_pe; }
  // The longest gap one step entry can encode: 2^bits − 1 (every step is >= 1).
  int64_t max_step() const { return (int64_t{1} << step_index_bits) - 1; }
};

Result<CambriconXSpec> parse_spec(const ParamSet& ps);

}  // namespace sieve::hw::cambricon_x_arch
