// How a compressed layer's mask and codes are stored in a .sieve file: the container writer's
// format choice (docs/formats/container.md, "Mask formats" and "Codes"), here so that the
// writer (io/container/container.cc) and the byte accounting of the report (compress/report.h)
// use one function and cannot disagree about what the file holds.
//
//   mask   the smallest of: bitmask; block bitmask (a layer with a recorded block > 1 whose
//          mask is constant on every block); relative at the k coding/index.h's
//          choose_index_format picks for the raw stream (fillers cost no weight code: the
//          container's codes and values count kept weights only); with entropy coding, the same
//          relative entries Huffman-coded (table + stream); CSR, CSC, COO. Ties: the earlier
//          format. A layer pruned N:M (structure nm, every group keeping exactly n, m dividing
//          dimension 1) is stored N:M packed whenever that is no larger than its bitmask.
//   codes  `bits`-wide codes packed, or, with entropy coding, canonical Huffman (table +
//          stream, alphabet = the largest codebook) when that is smaller.
//   codebooks and values are stored as f32 (4 bytes per entry / kept weight).
// `entropy_coding` false (a recipe's `coding: {huffman: false}`) leaves out both Huffman forms.
//
// Thread-safety: pure functions.
#pragma once

#include <cstdint>
#include <string>

#include "sieve/compress/model.h"
#include "sieve/core/status.h"

namespace sieve::compress::coding {

// How a layer's mask is stored (the LAYERS field mask_format; the values are the file's).
enum class MaskFormat : uint8_t {
  kDense = 0,            // no mask: every weight kept; zero bytes
  kBitmask = 1,          // one bit per weight, row-major over the dense shape, LSB first
  kBlockBitmask = 2,     // one bit per block of `block` (tiles from the origin, stride = block,
                         // partial edge blocks included), row-major over the block grid
  kRelative = 3,         // Deep Compression relative indices, k-bit entries with fillers
                         // (compress/coding/index.h), MSB-first
  kRelativeHuffman = 4,  // the same entries Huffman-coded: table, then the coded stream
  kCsr = 5,              // compress/coding/index.h CSR stream
  kCsc = 6,              // CSC stream
  kCoo = 7,              // COO stream
  kNm = 8,               // N:M packed: per group of m input channels the n kept offsets,
                         // ceil(log2 m) bits each, LSB first (compress/coding/nm.h); needs
                         // the STRUCTURE entry nm n:m, m dividing dimension 1
};
const char* mask_format_name(MaskFormat f);  // "bitmask", "relative+huffman", ...

// How a quantized layer's codes are stored (the LAYERS field code_format).
enum class CodeFormat : uint8_t {
  kNone = 0,     // not quantized (bits == 0)
  kPacked = 1,   // one `bits`-wide code per kept weight, LSB first
  kHuffman = 2,  // canonical Huffman (compress/coding/huffman.h): table, then the stream
};
const char* code_format_name(CodeFormat f);  // "none", "packed", "huffman"

struct MaskEncoding {
  MaskFormat format = MaskFormat::kDense;
  std::string bytes;    // the MASKS payload
  int k = 0;            // relative formats and N:M: bits per entry
  int64_t entries = 0;  // relative formats: entries with fillers; N:M: kept
  uint64_t bits = 0;    // exact stream bits (Huffman: the coded stream, table excluded)
};

struct CodeEncoding {
  CodeFormat format = CodeFormat::kNone;
  std::string bytes;  // the CODES payload
  uint64_t bits = 0;  // stream bits (Huffman: table excluded)
};

// The mask payload the writer stores (the layer's mask must match its shape: decode_layer's
// checks come first in the writer).
Result<MaskEncoding> encode_stored_mask(const CompressedLayer& layer, bool entropy_coding = true);
// The code payload the writer stores.
Result<CodeEncoding> encode_stored_codes(const CompressedLayer& layer, bool entropy_coding = true);

// What a layer takes in each section of the file.
struct StoredBytes {
  MaskFormat mask_format = MaskFormat::kDense;
  CodeFormat code_format = CodeFormat::kNone;
  uint64_t mask_bytes = 0;      // MASKS
  uint64_t codebook_bytes = 0;  // CODEBOOKS: 4 per centroid (quantized layers)
  uint64_t code_bytes = 0;      // CODES
  uint64_t value_bytes = 0;     // VALUES: 4 per kept weight (unquantized layers)
  uint64_t weight_bytes() const { return codebook_bytes + code_bytes + value_bytes; }
};
Result<StoredBytes> stored_bytes(const CompressedLayer& layer, bool entropy_coding = true);

}  // namespace sieve::compress::coding
