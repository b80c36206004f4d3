// Cnvlutin's configuration (configs/archs/cnvlutin-28nm.yaml), parsed and range-checked.
//
// Cnvlutin (Albericio et al., ISCA 2016) keeps DaDianNao's node (the same tiles, NFU width,
// eDRAMs and clock: every DaDianNao key) and adds the zero-free neuron array format (ZFNAf):
// neurons grouped in bricks of brick_neurons consecutive input channels at one position, each
// brick storing its non-zero values with an offset_bits offset each. Value type; thread-safe.
#pragma once

#include <cstdint>

#include "sieve/core/status.h"
#include "sieve/hw/core/dadiannao_node/spec.h"
#include "sieve/hw/core/params.h"

namespace sieve::hw::cnvlutin_arch {

struct CnvlutinSpec {
  dadiannao_arch::DaDianNaoSpec node;  // the DaDianNao node Cnvlutin is built on
  int64_t brick_neurons = 16;          // neurons of one brick (along the input channels)
  int64_t offset_bits = 4;             // ZFNAf offset of one non-zero within its brick
  // Bricks each lane takes between two meetings of the lanes (1: the lanes meet after every
  // brick, the paper's dispatcher).
  int64_t lane_sync_bricks = 1;
  // Neuron lanes = decoupled subunits per tile: one per NFU input (node.nfu_inputs).
  int64_t lanes() const { return node.nfu_inputs; }
};

// Every DaDianNao key plus brick_neurons, offset_bits and lane_sync_bricks; unknown keys are refused. An offset
// too narrow for the brick (2^offset_bits < brick_neurons) is refused naming both.
Result<CnvlutinSpec> parse_spec(const ParamSet& ps);

}  // namespace sieve::hw::cnvlutin_arch
