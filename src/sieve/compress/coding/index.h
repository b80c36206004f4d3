// Index formats for a keep mask (which weights survive pruning), with exact bit accounting.
// All formats work on the layer's 2-D view (rows = dim 0, cols = the rest, row-major; see
// compress/model.h) except the block bit mask, which works on the N-D block grid.
//
//   bitmask     one bit per position, row-major (Cambricon-X/-S direct indexing).
//   block       one bit per block of the tiling of the weight by `block` (one size per weight
//               dimension, blocks starting at multiples of the block size, partial edge blocks
//               cut at the edge), blocks in row-major block-grid order. Only available when
//               the mask is constant on every block (a block-pruned layer).
//   relative    Deep Compression / EIE relative indexing over the row-major 2-D view: each kept
//               position stores, in k bits, the number z of pruned positions skipped since the
//               previous kept one (or since the start). When z > 2^k − 1 a filler entry is
//               inserted at the position 2^k − 1 further on (z = 2^k − 1 for the filler, then
//               the count restarts after the filler): the filler is an explicit zero weight and
//               also costs one weight code. Paper Fig. 2 (3-bit): kept {1, 4, 15} → entries
//               z = 1, 2, 7 (filler at 12), 2.
//   csr         row pointers (rows + 1 entries of bits_for(nnz) bits) + column indices (nnz
//               entries of bits_for(cols − 1) bits).
//   csc         column pointers (cols + 1 entries of bits_for(nnz)) + row indices (nnz ×
//               bits_for(rows − 1)).
//   coo         nnz × (bits_for(rows − 1) + bits_for(cols − 1)).
// Each stream is packed MSB-first (coding/bitstream.h); bytes = ceil(bits / 8). The shape, the
// number of kept weights and the format parameters (k) are known to the decoder (stored by the
// container with the layer), not counted here.
// Thread-safety: pure functions.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "sieve/core/status.h"
#include "sieve/core/tensor.h"

namespace sieve::compress::coding {

enum class IndexFormat { kBitmask, kBlock, kRelative, kCsr, kCsc, kCoo };
const char* index_format_name(IndexFormat f);  // "bitmask", "block", "relative", "csr", ...
Result<IndexFormat> parse_index_format(const std::string& name);

// A mask in the 2-D view: rows × cols bytes, non-zero = kept.
struct MaskView {
  const uint8_t* data = nullptr;
  int64_t rows = 0;
  int64_t cols = 0;
  uint8_t at(int64_t r, int64_t c) const { return data[r * cols + c]; }
  int64_t size() const { return rows * cols; }
};
// The 2-D view of a u8 mask tensor (rank ≥ 1; rank 1 is one row).
MaskView mask_view(const Tensor& mask);

struct EncodedIndex {
  IndexFormat format = IndexFormat::kBitmask;
  int k = 0;                   // relative: bits per entry
  std::vector<uint8_t> bytes;  // the packed stream
  uint64_t bits = 0;           // exact bits used (bytes.size() == ceil(bits / 8))
  int64_t fillers = 0;         // relative: filler entries
};

// Encoders (relative needs k in 1..16; block needs the weight shape and block sizes).
EncodedIndex encode_bitmask(const MaskView& mask);
Result<EncodedIndex> encode_block(const Tensor& mask, std::span<const int64_t> block);
Result<EncodedIndex> encode_relative(const MaskView& mask, int k);
EncodedIndex encode_csr(const MaskView& mask);
EncodedIndex encode_csc(const MaskView& mask);
EncodedIndex encode_coo(const MaskView& mask);

// Decodes any format back to a u8 mask of `shape` (the 2-D view of it for the non-block
// formats). `kept` is the number of kept positions; `block` is needed for kBlock. Streams that
// are short, or indices out of range or out of order, are data-loss errors.
Result<Tensor> decode_index(const EncodedIndex& index, const Shape& shape, int64_t kept,
                            std::span<const int64_t> block = {});

// Relative-index gaps z with fillers (the symbols Huffman-codes) for k-bit entries; *fillers
// receives the number of filler entries.
std::vector<uint16_t> relative_gaps(const MaskView& mask, int k, int64_t* fillers = nullptr);

// Deep Compression's compression rate for n weights shared among k clusters of b-bit values:
// r = n·b / (n·log2(k) + k·b). Paper: n = 16, k = 4, b = 32 → 3.2.
double deep_compression_rate(double n, double k, double b = 32.0);

struct IndexCost {
  IndexFormat format = IndexFormat::kBitmask;
  bool available = true;   // block: false when the mask is not block-constant
  int k = 0;               // relative: the chosen entry width
  uint64_t bits = 0;       // index stream bits (fillers' index entries included)
  uint64_t bytes = 0;      // ceil(bits / 8)
  int64_t fillers = 0;     // relative: filler entries (each also costs one weight code)
  uint64_t total_bits = 0; // bits + fillers · weight_bits (what the choice minimises)
};

struct IndexChoice {
  std::vector<IndexCost> costs;  // every format, in IndexFormat order
  IndexCost best;                // the available one with the smallest total_bits (ties: first)
};

// Costs of every format for `mask` (u8, the weight's shape; empty = dense: every format then
// costs 0 bits and `best` is bitmask with 0 bits). weight_bits is the cost of one filler's
// weight code (the layer's bits, or 32 unquantized). Relative tries k = 1..16 and keeps the
// best. `block` (one size per dimension; empty or all 1 = fine-grained, block unavailable
// unless it is all 1, when it equals the bitmask).
IndexChoice choose_index_format(const Tensor& mask, std::span<const int64_t> block,
                                int weight_bits);

}  // namespace sieve::compress::coding
