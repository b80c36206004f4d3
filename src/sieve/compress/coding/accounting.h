// Bit accounting of a CompressedLayer: what it costs to store, by part, before and after
// entropy coding — the numbers of SPEC Table 3.3/3.5 and Deep Compression's tables. Ratios
// count dense fp32 weights (4 bytes each) against everything needed to decode the layer.
//
//   codes        quantized: kept × bits (raw) or the Huffman-coded code stream (one canonical
//                Huffman table per layer over all regions' codes) plus its table.
//                Unquantized: kept × 32 bits (f32 values), not entropy coded.
//   codebooks    Σ codebook entries × codebook_entry_bits (default 32: f32 centroids, as Deep
//                Compression counts them; 16 for fp16 entries).
//   index        the smallest index format (coding/index.h) including its fillers' weight
//                codes; after coding also the Huffman-coded relative gaps (stream + table)
//                when that is smaller.
// Bytes of each bit stream are ceil(bits / 8). Biases are not part of a layer (the report
// counts them separately).
// Thread-safety: pure functions.
#pragma once

#include <cstdint>
#include <vector>

#include "sieve/compress/coding/index.h"
#include "sieve/compress/model.h"
#include "sieve/core/status.h"

namespace sieve::compress::coding {

struct AccountOptions {
  int codebook_entry_bits = 32;  // 32 (f32) or 16 (fp16)
  bool huffman_codes = true;
  bool huffman_index = true;
};

struct LayerBytes {
  int64_t weights = 0;  // numel
  int64_t kept = 0;
  int bits = 0;              // bits per kept weight (32 when unquantized)
  uint64_t dense_bytes = 0;  // weights × 4

  uint64_t codes_bytes = 0;          // ceil(kept × bits / 8)
  uint64_t codes_huffman_bytes = 0;  // Huffman payload (= codes_bytes when not quantized)
  uint64_t codes_table_bytes = 0;    // Huffman table (0 when not quantized)
  uint64_t codebook_bytes = 0;

  IndexChoice index;                 // every format's cost and the best
  uint64_t index_bytes = 0;          // best: ceil(total_bits / 8) (fillers' codes included)
  uint64_t index_huffman_bytes = 0;  // coded: min(index_bytes, Huffman(relative gaps) +
                                     //   fillers' codes); its table in index_table_bytes
  uint64_t index_table_bytes = 0;
  IndexFormat index_coded_format = IndexFormat::kBitmask;  // which the coded number uses

  // Stored sizes: after quantization (raw codes + codebooks + best index) and after coding.
  uint64_t quantized_bytes() const { return codes_bytes + codebook_bytes + index_bytes; }
  uint64_t coded_bytes() const {
    return codes_huffman_bytes + codes_table_bytes + codebook_bytes + index_huffman_bytes +
           index_table_bytes;
  }
  // Weight part / index part after coding (W_c / I_c in Table 3.3).
  uint64_t coded_weight_bytes() const {
    return codes_huffman_bytes + codes_table_bytes + codebook_bytes;
  }
  uint64_t coded_index_bytes() const { return index_huffman_bytes + index_table_bytes; }
};

Result<LayerBytes> account_layer(const CompressedLayer& layer, const AccountOptions& options = {});

// Sum over layers (the per-layer IndexChoice of the total is empty).
LayerBytes account_total(const std::vector<LayerBytes>& layers);

}  // namespace sieve::compress::coding
