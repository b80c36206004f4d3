// SparseNN's configuration (configs/archs/sparsenn-65nm.yaml), parsed and range-checked.
//
// SparseNN (Zhu, Jiang, Chen & Tsui, DATE 2018): n_pe processing elements on an H-tree of
// routers with `fanout` children each (64 PEs, fanout 4: 16 leaf, 4 internal routers and the
// root), every PE with its slice of the W, U and V memories, an input-activation FIFO and one
// multiply-accumulate unit. Every constant the model uses is a field here and comes from the
// preset with its source. Value type; thread-safe.
#pragma once

#include <cstdint>

#include "sieve/core/status.h"
#include "sieve/hw/core/events.h"
#include "sieve/hw/core/params.h"

namespace sieve::hw::sparsenn_arch {

struct SparseNNSpec {
  int64_t n_pe = 64;
  int64_t fanout = 4;               // children per router; n_pe must be a power of it
  int64_t macs_per_pe = 1;          // multiply-accumulates a PE completes per cycle
  int64_t router_buffer_depth = 2;  // activations each router input port buffers
  int64_t pe_fifo_depth = 8;        // broadcast activations a PE queues
  int64_t router_stages = 4;        // the reduction router's pipeline (RC, SA, ACC/ST, LT)
  int64_t predictor_rank = 15;      // r of U (m x r) and V (r x n); 0: no predictor
  int64_t sram_bytes = 0;           // on-chip weight memory over all PEs (W, U and V)
  int64_t neuron_bits = 16;
  int64_t weight_bits = 16;
  double freq_ghz = 1.0;
  MemorySpec memory;

  // Router levels between the PEs and the root: log_fanout(n_pe) (3 for 64 PEs, fanout 4).
  int64_t levels() const;
  int64_t multipliers() const { return n_pe * macs_per_pe; }
};

// Refuses a bad preset naming its file, key and value (the ParamReader's messages), and an
// n_pe that is not a power of fanout.
Result<SparseNNSpec> parse_spec(const ParamSet& ps);

}  // namespace sieve::hw::sparsenn_arch
