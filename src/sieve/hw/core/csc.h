// The interleaved, relative-indexed CSC layout of EIE (Han et al., ISCA 2016, §III-B/C and
// Fig 2–3), which ESE (Han et al., FPGA 2017) inherits for its PEs: built from a layer's keep
// mask (LayerWork::weight_mask, the container's structure decoded by the compiler's workload)
// and, for EIE's functional model, its codebook indices. It lives in hw/core because two designs
// lay their weights out this way (a design folder never includes another's).
//
//  * Interleaving: row i of the rows × cols matrix belongs to PE i mod n_pe, as its local row
//    i / n_pe. Each PE stores its rows of every column j as a CSC column: the column pointer
//    p_j (16 bits, in one of two banks by the parity of j, so p_j and p_{j+1} read in one
//    cycle) and the entries of the column, each a pair (v, x): v a 4-bit codebook index and x a
//    4-bit relative row index, the number of zeros since the previous entry of the column (or
//    since the column's first local row).
//  * Padding zeros: x holds at most max_gap = 2^index_bits − 1 zeros. Before an entry preceded
//    by z > max_gap zeros, the encoder inserts ⌊z / (max_gap + 1)⌋ padding entries, each a zero
//    weight with x = max_gap (it skips max_gap zeros and stands on the next one); the entry then
//    keeps z mod (max_gap + 1). Paddings are stored, read and multiplied like any entry: they
//    cost SRAM bits and arithmetic cycles, and they are counted here.
//  * The paper's Fig 3 (PE0 of 4 PEs, rows 0, 4, 8, 12): column 0 keeps rows 0, 8, 12 →
//    relative indexes 0, 1, 0; column 1 keeps row 4 → 1.
//
// This is EIE's own convention for long gaps (a stored zero weight), not the container's
// relative format's escape value (compress/coding/index.h, where the filler stands for 2^k − 1
// skipped positions and no weight): the container's CSC and relative formats are how the model
// is stored, this is how EIE lays it out in its SRAMs. Pure functions; thread-safe.
#pragma once

#include <cstdint>
#include <vector>

#include "sieve/hw/core/workload.h"

namespace sieve::hw {

// Per PE and column, the entries a PE stores (non-zeros + padding zeros).
struct CscCounts {
  int64_t n_pe = 0, rows = 0, cols = 0;
  std::vector<int32_t> entries;  // [pe * cols + col]: non-zeros + paddings
  std::vector<int32_t> padding;  // [pe * cols + col]: paddings alone
  int64_t nonzeros = 0, paddings = 0;
  int32_t at(int64_t pe, int64_t col) const {
    return entries[static_cast<size_t>(pe * cols + col)];
  }
  int64_t pe_entries(int64_t pe) const;  // every column of one PE
};

// The padding zeros before an entry that follows z zeros: ⌊z / (max_gap + 1)⌋.
inline int64_t paddings_for_gap(int64_t z, int64_t max_gap) {
  return z / (max_gap + 1);
}

// Counts of the rows × cols row-major keep mask (`mask == nullptr`: every weight kept).
CscCounts count_csc(const BitVec* mask, int64_t rows, int64_t cols, int64_t n_pe,
                    int64_t max_gap);

struct CscEntry {
  uint16_t code = 0;      // v: codebook index (0 for a padding)
  uint8_t rel = 0;        // x: zeros since the previous entry of the column
  bool padding = false;   // a padding zero (its weight is 0 whatever its code)
  int64_t source = -1;    // the kept weight it stores: its rank among the kept positions in
                          // row-major order (the container's order of codes), -1 for padding
};

// One PE's slice: column pointers (cols + 1) and entries.
struct PeSlice {
  std::vector<int64_t> col_ptr;
  std::vector<CscEntry> entries;
};

// The full layout, with each entry's code taken from `codes` (one per kept weight in row-major
// order; empty: codes left 0 and only `source` set).
std::vector<PeSlice> encode_csc(const BitVec* mask, int64_t rows, int64_t cols, int64_t n_pe,
                                int64_t max_gap, const std::vector<uint16_t>& codes = {});

}  // namespace sieve::hw
