// The container's storage choice, shared by the writer and the report's accounting (see the
// header). Moved here from io/container/container.cc unchanged but for the entropy_coding
// switch, so that the file and the report are computed by the same code.
#include "sieve/compress/coding/storage.h"

#include <algorithm>

#include "sieve/compress/coding/huffman.h"
#include "sieve/compress/coding/index.h"
#include "sieve/compress/coding/nm.h"
#include "sieve/core/block_grid.h"

namespace sieve::compress::coding {

namespace {

bool is_fine(const std::vector<int64_t>& block) {
  return std::all_of(block.begin(), block.end(), [](int64_t b) { return b <= 1; });
}

void put_bit(std::string& s, int64_t i) {
  s[static_cast<size_t>(i >> 3)] =
      static_cast<char>(static_cast<uint8_t>(s[static_cast<size_t>(i >> 3)]) | (1u << (i & 7)));
}

std::string to_string(const std::vector<uint8_t>& v) {
  return std::string(reinterpret_cast<const char*>(v.data()), v.size());
}

std::string pack_codes(const std::vector<uint16_t>& codes, int bits) {
  const uint64_t nbits = codes.size() * static_cast<uint64_t>(bits);
  std::string s(static_cast<size_t>((nbits + 7) / 8), '\0');
  uint64_t p = 0;
  for (uint16_t c : codes) {
    for (int b = 0; b < bits; ++b, ++p) {
      if ((c >> b) & 1u) put_bit(s, static_cast<int64_t>(p));
    }
  }
  return s;
}

}  // namespace

const char* mask_format_name(MaskFormat f) {
  switch (f) {
    case MaskFormat::kDense: return "dense";
    case MaskFormat::kBitmask: return "bitmask";
    case MaskFormat::kBlockBitmask: return "block-bitmask";
    case MaskFormat::kRelative: return "relative";
    case MaskFormat::kRelativeHuffman: return "relative+huffman";
    case MaskFormat::kCsr: return "csr";
    case MaskFormat::kCsc: return "csc";
    case MaskFormat::kCoo: return "coo";
    case MaskFormat::kNm: return "nm";
  }
  return "unknown";
}

const char* code_format_name(CodeFormat f) {
  switch (f) {
    case CodeFormat::kNone: return "none";
    case CodeFormat::kPacked: return "packed";
    case CodeFormat::kHuffman: return "huffman";
  }
  return "unknown";
}

Result<MaskEncoding> encode_stored_mask(const CompressedLayer& l, bool entropy_coding) {
  MaskEncoding best;
  if (l.mask.empty()) return best;
  const int64_t n = l.numel();
  if (l.mask.dtype() != DType::kU8 || l.mask.numel() != n) {
    return invalid_argument("layer '{}': mask {} {} does not match weight {}", l.weight,
                            dtype_name(l.mask.dtype()), shape_str(l.mask.shape()),
                            shape_str(l.shape));
  }
  const uint8_t* m = l.mask.data<uint8_t>();
  // Direct bit mask: always available.
  best.format = MaskFormat::kBitmask;
  best.bits = static_cast<uint64_t>(n);
  best.bytes.assign(static_cast<size_t>((n + 7) / 8), '\0');
  for (int64_t i = 0; i < n; ++i) {
    if (m[i] != 0) put_bit(best.bytes, i);
  }
  auto consider = [&](MaskEncoding e) {
    if (e.bytes.size() < best.bytes.size()) best = std::move(e);
  };
  if (l.block.size() == l.shape.size() && !is_fine(l.block)) {
    SIEVE_ASSIGN_OR_RETURN(BlockGrid grid, BlockGrid::make(l.shape, l.block, {}, l.weight));
    std::vector<int8_t> state(static_cast<size_t>(grid.blocks()), -1);
    bool uniform = true;
    grid.for_each_offset([&](int64_t i, int64_t b) {
      int8_t& s = state[static_cast<size_t>(b)];
      const int8_t v = m[i] != 0 ? 1 : 0;
      if (s < 0) s = v;
      if (s != v) uniform = false;
    });
    if (uniform) {
      MaskEncoding e{.format = MaskFormat::kBlockBitmask,
                     .bytes = {},
                     .k = 0,
                     .entries = 0,
                     .bits = state.size()};
      e.bytes.assign((state.size() + 7) / 8, '\0');
      for (size_t b = 0; b < state.size(); ++b) {
        if (state[b] == 1) put_bit(e.bytes, static_cast<int64_t>(b));
      }
      consider(std::move(e));
    }
  }
  // The index formats of coding/index.h (relative with the k it finds best).
  const IndexChoice choice = choose_index_format(l.mask, {}, l.bits == 0 ? 32 : l.bits);
  const MaskView view = mask_view(l.mask);
  const int64_t kept = l.kept();
  for (const IndexCost& c : choice.costs) {
    if (!c.available || c.bytes >= best.bytes.size()) {
      if (c.format != IndexFormat::kRelative) continue;
    }
    switch (c.format) {
      case IndexFormat::kRelative: {
        if (c.k < 1 || c.k > 16) break;
        int64_t fillers = 0;
        std::vector<uint16_t> gaps = relative_gaps(view, c.k, &fillers);
        const int64_t entries = kept + fillers;
        if (c.bytes < best.bytes.size()) {
          SIEVE_ASSIGN_OR_RETURN(EncodedIndex e, encode_relative(view, c.k));
          consider(MaskEncoding{.format = MaskFormat::kRelative,
                                .bytes = to_string(e.bytes),
                                .k = c.k,
                                .entries = entries,
                                .bits = e.bits});
        }
        if (entropy_coding && !gaps.empty()) {
          auto h = huffman_encode(gaps, 1 << c.k);
          if (h.ok() && h->total_bytes() < best.bytes.size()) {
            consider(MaskEncoding{.format = MaskFormat::kRelativeHuffman,
                                  .bytes = to_string(h->code.serialize()) + to_string(h->payload),
                                  .k = c.k,
                                  .entries = entries,
                                  .bits = h->payload_bits});
          }
        }
        break;
      }
      case IndexFormat::kCsr:
      case IndexFormat::kCsc:
      case IndexFormat::kCoo: {
        const EncodedIndex e = c.format == IndexFormat::kCsr   ? encode_csr(view)
                               : c.format == IndexFormat::kCsc ? encode_csc(view)
                                                               : encode_coo(view);
        const MaskFormat f = c.format == IndexFormat::kCsr   ? MaskFormat::kCsr
                             : c.format == IndexFormat::kCsc ? MaskFormat::kCsc
                                                             : MaskFormat::kCoo;
        consider(MaskEncoding{
            .format = f, .bytes = to_string(e.bytes), .k = 0, .entries = 0, .bits = e.bits});
        break;
      }
      default: break;
    }
  }
  // N:M packed (coding/nm.h): for a layer pruned nm whose every group keeps exactly n (and m
  // divides the input channels), when it is no larger than a bitmask. The layout the sparse
  // tensor core and the N:M kernels read, so it is stored even where an entropy-coded index
  // would be a little smaller.
  if (l.structure.method == "nm" && l.structure.m >= 2 && l.structure.n >= 1) {
    Result<NmIndex> e = encode_nm(l.mask, l.shape, l.structure.n, l.structure.m);
    if (e.ok() && e->bytes.size() <= static_cast<size_t>((n + 7) / 8)) {
      best = MaskEncoding{.format = MaskFormat::kNm,
                          .bytes = std::move(e->bytes),
                          .k = nm_index_bits(l.structure.m),
                          .entries = e->entries,
                          .bits = e->bits};
    }
  }
  return best;
}

Result<CodeEncoding> encode_stored_codes(const CompressedLayer& l, bool entropy_coding) {
  CodeEncoding e;
  if (l.bits == 0) return e;
  e.format = CodeFormat::kPacked;
  e.bytes = pack_codes(l.codes, l.bits);
  e.bits = l.codes.size() * static_cast<uint64_t>(l.bits);
  if (l.codes.empty() || !entropy_coding) return e;
  size_t alphabet = 1;
  for (const auto& b : l.codebooks) alphabet = std::max(alphabet, b.size());
  auto h = huffman_encode(l.codes, static_cast<int>(alphabet));
  if (h.ok() && h->total_bytes() < e.bytes.size()) {
    e.format = CodeFormat::kHuffman;
    e.bytes = to_string(h->code.serialize()) + to_string(h->payload);
    e.bits = h->payload_bits;
  }
  return e;
}

Result<StoredBytes> stored_bytes(const CompressedLayer& l, bool entropy_coding) {
  SIEVE_ASSIGN_OR_RETURN(MaskEncoding me, encode_stored_mask(l, entropy_coding));
  SIEVE_ASSIGN_OR_RETURN(CodeEncoding ce, encode_stored_codes(l, entropy_coding));
  StoredBytes s;
  s.mask_format = me.format;
  s.code_format = ce.format;
  s.mask_bytes = me.bytes.size();
  s.code_bytes = ce.bytes.size();
  if (l.bits != 0) {
    for (const auto& book : l.codebooks) s.codebook_bytes += 4 * book.size();
  } else {
    s.value_bytes = 4 * static_cast<uint64_t>(l.values.size());
  }
  return s;
}

}  // namespace sieve::compress::coding
