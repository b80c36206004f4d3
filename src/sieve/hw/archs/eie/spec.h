// EIE's configuration (configs/archs/eie-45nm.yaml), parsed and range-checked.
//
// EIE (Han et al., "EIE: Efficient Inference Engine on Compressed Deep Neural Network",
// ISCA 2016): a central control unit (CCU) whose leading-non-zero-detection (LNZD) tree
// broadcasts the non-zero input activations to n_pe processing elements; each PE holds the
// rows i ≡ p (mod n_pe) of the weight matrix in an interleaved CSC format (4-bit codebook
// indices, 4-bit relative row indices, padding zeros for longer gaps, 16-bit column pointers in
// two banks) and has an activation queue, a pointer read unit, a sparse-matrix read unit, an
// arithmetic unit (codebook decode to 16 bits, one multiply-accumulate a cycle) and activation
// read/write registers. Every constant the model uses is a field here and comes from the
// preset with its source. Value type; thread-safe.
#pragma once

#include <cstdint>

#include "sieve/core/status.h"
#include "sieve/hw/core/params.h"

namespace sieve::hw::eie_arch {

struct EieSpec {
  int64_t n_pe = 64;
  int64_t queue_depth = 8;           // activation queue entries per PE
  double freq_ghz = 0.8;
  int64_t index_bits = 4;            // relative row index of one CSC entry
  int64_t code_bits = 4;             // codebook index of one CSC entry
  int64_t weight_bits = 16;          // decoded weight (codebook LUT output)
  int64_t spmat_line_bits = 64;      // one sparse-matrix SRAM read
  int64_t spmat_bytes_per_pe = 131072;   // sparse-matrix SRAM of one PE
  int64_t act_bytes_per_pe = 2048;       // activation storage of one PE (source + destination)
  int64_t pipeline_stages = 4;       // PE pipeline after the queue: ptr, spmat, arith, write

  // CSC entries per sparse-matrix SRAM read (64-bit line / 8-bit entries = 8).
  int64_t entries_per_line() const { return spmat_line_bits / (index_bits + code_bits); }
  // The longest run of zeros one entry can skip: 2^index_bits − 1 (15).
  int64_t max_gap() const { return (int64_t{1} << index_bits) - 1; }
  // Levels of the LNZD quad-tree over the PEs (each node serves 4 children): ⌈log4 n_pe⌉.
  int64_t lnzd_levels() const;
};

// Range checks: n_pe ≥ 1, queue_depth ≥ 1, 1 ≤ index_bits, code_bits ≤ 8, entries a whole
// fraction of a line, ...; an unknown key is refused (ParamReader::finish), naming the file,
// the key and the value.
Result<EieSpec> parse_spec(const ParamSet& ps);

}  // namespace sieve::hw::eie_arch
