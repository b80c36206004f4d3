// ESE's configuration (configs/archs/ese-xcku060.yaml), parsed and range-checked.
//
// ESE (Han et al., "ESE: Efficient Speech Recognition Engine with Sparse LSTM on FPGA", FPGA
// 2017; seed 002): n_channels channels, each serving one speech stream with pes_per_channel
// processing elements that hold the rows i ≡ p (mod pes) of every weight matrix in EIE's
// interleaved relative-indexed CSC (hw/core/csc.h; weight_bits-wide weights, index_bits-wide
// relative row indices), one multiply-accumulate per PE per cycle, and an element-wise unit
// (sigmoid, tanh, the cell's products and sums) of elemwise_lanes lanes. The channels run in
// lockstep on one copy of the weights in the FPGA's block RAM. Every constant the model uses is a
// field here and comes from the preset with its source. Value type; thread-safe.
#pragma once

#include <cstdint>

#include "sieve/core/status.h"
#include "sieve/hw/core/events.h"
#include "sieve/hw/core/params.h"

namespace sieve::hw::ese_arch {

struct EseSpec {
  int64_t n_channels = 32;
  int64_t pes_per_channel = 32;
  int64_t macs_per_pe = 1;          // multiply-accumulates one PE completes per cycle
  int64_t weight_bits = 12;         // stored weight
  int64_t index_bits = 4;           // relative row index of one CSC entry
  int64_t pointer_bits = 16;        // one column pointer per PE per column
  int64_t neuron_bits = 16;         // activations and cell states
  int64_t pe_pipeline_stages = 4;   // from an activation's broadcast to its last accumulation
  int64_t elemwise_lanes = 32;      // cells the element-wise unit finishes per cycle
  int64_t elemwise_latency = 8;     // its pipeline depth (cycles from first cell in to last out)
  int64_t weight_sram_bytes = 0;    // on-chip weight storage (one copy, shared by the channels)
  double freq_ghz = 0.2;
  MemorySpec memory;

  int64_t max_gap() const { return (int64_t{1} << index_bits) - 1; }
  int64_t multipliers() const { return n_channels * pes_per_channel * macs_per_pe; }
};

// Refuses a bad preset naming its file, key and value (the ParamReader's messages), an unknown
// key, and a neuron width that is not whole bytes.
Result<EseSpec> parse_spec(const ParamSet& ps);

}  // namespace sieve::hw::ese_arch
