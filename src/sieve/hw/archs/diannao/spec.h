// DianNao's configuration (configs/archs/diannao-65nm.yaml), parsed and range-checked.
//
// DianNao (Chen et al., ASPLOS 2014): a control processor, a 3-stage Neural Functional Unit
// (NFU-1 T_n × T_n multipliers, NFU-2 T_n adder trees of T_n inputs, NFU-3 activation) and
// three buffers: NBin (input neurons), SB (synapses) and NBout (output neurons / partial sums).
// Every constant the model uses is a field here and comes from the preset with its source.
// Value type; thread-safe.
#pragma once

#include <cstdint>

#include "sieve/core/status.h"
#include "sieve/hw/core/events.h"
#include "sieve/hw/core/params.h"

namespace sieve::hw::diannao_arch {

struct DianNaoSpec {
  int64_t tn = 16;               // inputs per cycle = outputs per cycle (T_n² multipliers)
  int64_t pipeline_stages = 3;   // NFU-1, NFU-2, NFU-3
  double freq_ghz = 0.98;
  int64_t nbin_bytes = 0, nbout_bytes = 0, sb_bytes = 0;
  bool ping_pong = true;         // sub-operations use half of each buffer
  int64_t neuron_bits = 16;
  int64_t weight_bits = 16;
  MemorySpec memory;

  int64_t multipliers() const { return tn * tn; }
};

// Reads every key; unknown keys are refused (ParamReader::finish).
Result<DianNaoSpec> parse_spec(const ParamSet& ps);

}  // namespace sieve::hw::diannao_arch
