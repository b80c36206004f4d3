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
//               previous kept one (or since the start), z in [0, 2^k − 2]. The value 2^k − 1 is
//               the filler: it stands for 2^k − 1 skipped pruned positions and no kept weight,
//               and is inserted (as often as needed) when z > 2^k − 2, i.e. when the distance
//               to the previous entry is 2^k or more. Deep Compression stores a zero weight at a
//               filler, so its accounting charges each filler one weight code as well (the
//               escape value makes that weight unnecessary for decoding: pass weight_bits = 0
//               to count without it). Paper Fig. 2 (3-bit entries, a distance of 8 or more
//               needs a filler): kept {1, 4, 15} → entries 1, 2, filler, 3 (4 entries).
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

// The relative-index entries for k-bit entries (values z, fillers as 2^k − 1): the symbols
// that Huffman coding of the index stream codes; *fillers receives the number of fillers.
std::vector<uint16_t> relative_gaps(const MaskView& mask, int k, int64_t* fillers = nullptr);

// Deep Compression's compression rate for n weights shared among k clusters of b-bit values:
// r = n·b / (n·log2(k) + k·b). Paper: n = 16, k = 4, b = 32 → 3.2.
double deep_compression_rate(double n, double k, double b = 32.0);

struct IndexCost {
  IndexFormat format = IndexFormat::kBitmask;
  bool available = true;    // block: false when the mask is not block-constant
  int k = 0;                // relative: the chosen entry width
  uint64_t bits = 0;        // index stream bits (fillers' index entries included)
  uint64_t bytes = 0;       // ceil(bits / 8)
  int64_t fillers = 0;      // relative: filler entries (each also costs one weight code)
  uint64_t total_bits = 0;  // bits + fillers · weight_bits (what the choice minimises)
  uint64_t total_bytes() const { return (total_bits + 7) / 8; }
};

struct IndexChoice {
  std::vector<IndexCost> costs;  // every format, in IndexFormat order
  IndexCost best;                // the available one with the smallest total_bits (ties: first)
};

// Costs of every format for `mask` (u8, the weight's shape; empty = dense: every format then
// costs 0 bits and `best` is bitmask with 0 bits). weight_bits is the cost of one filler's
// weight code (the layer's bits, or 32 unquantized). Relative tries k = 1..16 and keeps the
// best. `block` gives one size per dimension (missing trailing sizes are 1); the block format
// is available when it is non-empty and the mask is constant on every block (all-1 blocks:
// the same cost as the bitmask).
IndexChoice choose_index_format(const Tensor& mask, std::span<const int64_t> block,
                                int weight_bits);

}  // namespace sieve::compress::coding
