#include "sieve/compress/coding/accounting.h"

#include <algorithm>

#include "sieve/compress/coding/huffman.h"

namespace sieve::compress::coding {

namespace {
uint64_t bytes_of(uint64_t bits) {
  return (bits + 7) / 8;
}
}  // namespace

Result<LayerBytes> account_layer(const CompressedLayer& layer, const AccountOptions& options) {
  if (options.codebook_entry_bits != 32 && options.codebook_entry_bits != 16) {
    return invalid_argument("codebook_entry_bits {} (expected 32 or 16)",
                            options.codebook_entry_bits);
  }
  if (!layer.mask.empty() &&
      (layer.mask.dtype() != DType::kU8 || layer.mask.numel() != layer.numel())) {
    return invalid_argument("layer '{}': mask {} {} does not match weight {}", layer.weight,
                            dtype_name(layer.mask.dtype()), shape_str(layer.mask.shape()),
                            shape_str(layer.shape));
  }
  LayerBytes r;
  r.weights = layer.numel();
  r.kept = layer.kept();
  r.bits = layer.bits == 0 ? 32 : layer.bits;
  r.dense_bytes = static_cast<uint64_t>(r.weights) * 4;
  const uint64_t kept = static_cast<uint64_t>(r.kept);

  // Codes and codebooks.
  r.codes_bytes = bytes_of(kept * static_cast<uint64_t>(r.bits));
  r.codes_huffman_bytes = r.codes_bytes;
  if (layer.bits != 0) {
    if (layer.codes.size() != kept) {
      return invalid_argument("layer '{}': {} codes for {} kept weights", layer.weight,
                              layer.codes.size(), kept);
    }
    size_t entries = 0;
    for (const auto& book : layer.codebooks) entries += book.size();
    r.codebook_bytes = bytes_of(entries * static_cast<uint64_t>(options.codebook_entry_bits));
    if (options.huffman_codes && kept > 0) {
      std::vector<uint64_t> freq(size_t{1} << layer.bits, 0);
      for (uint16_t c : layer.codes) {
        if (c >= freq.size()) {
          return invalid_argument("layer '{}': code {} does not fit {} bits", layer.weight, c,
                                  layer.bits);
        }
        ++freq[c];
      }
      SIEVE_ASSIGN_OR_RETURN(HuffmanCode h, HuffmanCode::from_frequencies(freq));
      const uint64_t payload = bytes_of(h.encoded_bits(freq));
      const uint64_t table = h.table_bytes();
      // Entropy coding is used only where it pays.
      if (payload + table < r.codes_bytes) {
        r.codes_huffman_bytes = payload;
        r.codes_table_bytes = table;
      }
    }
  }

  // Index.
  const int filler_bits = r.bits;
  r.index = choose_index_format(layer.mask, layer.block, filler_bits);
  r.index_bytes = r.index.best.total_bytes();
  r.index_huffman_bytes = r.index_bytes;
  r.index_coded_format = r.index.best.format;
  if (options.huffman_index && !layer.mask.empty() && kept > 0) {
    const MaskView v = mask_view(layer.mask);
    std::vector<int64_t> zs;  // pruned positions before each kept one
    zs.reserve(kept);
    int64_t z = 0;
    for (int64_t i = 0; i < v.size(); ++i) {
      if (v.data[i] == 0) {
        ++z;
      } else {
        zs.push_back(z);
        z = 0;
      }
    }
    // Huffman-code the relative entries at every k; keep the best.
    for (int k = 1; k <= 16; ++k) {
      const int64_t escape = (int64_t{1} << k) - 1;
      int64_t fillers = 0;
      std::vector<uint64_t> freq(size_t{1} << k, 0);
      for (int64_t g : zs) {
        const int64_t f = g / escape;
        fillers += f;
        freq[static_cast<size_t>(escape)] += static_cast<uint64_t>(f);
        ++freq[static_cast<size_t>(g - f * escape)];
      }
      SIEVE_ASSIGN_OR_RETURN(HuffmanCode h, HuffmanCode::from_frequencies(freq));
      const uint64_t bits = h.encoded_bits(freq) +
                            static_cast<uint64_t>(fillers) * static_cast<uint64_t>(filler_bits);
      const uint64_t payload = bytes_of(bits);
      const uint64_t table = h.table_bytes();
      if (payload + table < r.index_huffman_bytes + r.index_table_bytes) {
        r.index_huffman_bytes = payload;
        r.index_table_bytes = table;
        r.index_coded_format = IndexFormat::kRelative;
      }
    }
  }
  return r;
}

LayerBytes account_total(const std::vector<LayerBytes>& layers) {
  LayerBytes t;
  t.bits = 0;
  for (const LayerBytes& l : layers) {
    t.weights += l.weights;
    t.kept += l.kept;
    t.dense_bytes += l.dense_bytes;
    t.codes_bytes += l.codes_bytes;
    t.codes_huffman_bytes += l.codes_huffman_bytes;
    t.codes_table_bytes += l.codes_table_bytes;
    t.codebook_bytes += l.codebook_bytes;
    t.index_bytes += l.index_bytes;
    t.index_huffman_bytes += l.index_huffman_bytes;
    t.index_table_bytes += l.index_table_bytes;
  }
  return t;
}

}  // namespace sieve::compress::coding
