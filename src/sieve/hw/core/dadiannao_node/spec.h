// DaDianNao's node configuration (configs/archs/dadiannao-28nm.yaml), parsed and range-checked.
// It lives in hw/core because two designs are built on this node: DaDianNao itself
// (hw/archs/dadiannao) and Cnvlutin (hw/archs/cnvlutin), and a design folder never includes
// another's.
//
// DaDianNao (Chen et al., MICRO 2014): one node of n_tiles tiles around a central eDRAM (NM)
// that holds the neurons of a layer. Each tile has an NFU that takes nfu_inputs input neurons
// and produces partial sums for nfu_outputs output neurons per cycle (nfu_inputs × nfu_outputs
// multipliers, nfu_outputs adder trees), and its own eDRAM synapse buffer (SB) of
// sb_bytes_per_tile. The central eDRAM broadcasts the same input neurons to every tile, so the
// node computes n_tiles · nfu_outputs outputs at once. Every constant the model uses is a field
// here and comes from the preset with its source. Value type; thread-safe.
#pragma once

#include <cstdint>

#include "sieve/core/status.h"
#include "sieve/hw/core/events.h"
#include "sieve/hw/core/params.h"

namespace sieve::hw::dadiannao_arch {

struct DaDianNaoSpec {
  int64_t n_tiles = 16;
  int64_t nfu_inputs = 16;   // input neurons per NFU per cycle (neuron lanes)
  int64_t nfu_outputs = 16;  // output neurons (filters) per NFU per cycle
  int64_t pipeline_stages = 3;
  double freq_ghz = 0.606;
  int64_t nm_bytes = 0;           // central eDRAM for neurons (inputs and outputs of a layer)
  int64_t sb_bytes_per_tile = 0;  // eDRAM synapse buffer of one tile
  bool ping_pong = true;
  int64_t neuron_bits = 16;
  int64_t weight_bits = 16;
  // A layer whose dense synapses fit in the node's SBs keeps them there (no weight loads).
  bool synapses_resident = true;
  // A layer whose input and output neurons together fit in NM reads its input from NM (unless it
  // reads the network's input) and leaves its output there (no neuron traffic).
  bool neurons_resident = true;
  MemorySpec memory;

  int64_t multipliers() const { return n_tiles * nfu_inputs * nfu_outputs; }
  int64_t filters_per_pass() const { return n_tiles * nfu_outputs; }
  int64_t sb_bytes() const { return n_tiles * sb_bytes_per_tile; }
};

// Reads the node's keys into `s` (not finishing the reader: a design built on the node, such
// as Cnvlutin, reads its own keys after these). Non-positive tile and NFU counts are refused by
// range, naming the file, the key and the value.
Status read_node(ParamReader& r, DaDianNaoSpec& s);

// Every key of a DaDianNao preset; unknown keys are refused (ParamReader::finish).
Result<DaDianNaoSpec> parse_spec(const ParamSet& ps);

}  // namespace sieve::hw::dadiannao_arch
