// The .sieve container (docs/formats/container.md is the byte-level specification; keep the
// two in step).
#include "sieve/io/container/container.h"

#include <fmt/ranges.h>
#include <onnx/onnx_pb.h>
#include <zlib.h>

#include <algorithm>
#include <bit>
#include <cmath>
#include <cstring>
#include <limits>
#include <map>
#include <set>

#include "sieve/compress/coding/bitstream.h"
#include "sieve/compress/coding/huffman.h"
#include "sieve/compress/coding/index.h"
#include "sieve/compress/coding/nm.h"
#include "sieve/compress/prune/prune.h"
#include "sieve/core/atomic_file.h"
#include "sieve/core/block_grid.h"
#include "sieve/core/checked.h"
#include "sieve/io/onnx/onnx.h"

namespace sieve::io {

namespace {

constexpr size_t kHeaderBytes = 16;
constexpr size_t kEntryBytes = 24;
constexpr uint32_t kMaxSections = 64;
constexpr int kMaxRank = 8;
// Largest weight a file may describe (elements); bounds allocations driven by file contents.
constexpr int64_t kMaxNumel = int64_t{1} << 32;
// Reading a model allocates about 13 bytes per declared weight element (the u8 mask, the f32
// zeros the graph is restored with, the imported and the decoded f32 weights), and a block
// bitmask can declare many elements with few bits. So the elements a file declares in all are
// bounded by its size: at most kMaxElementsPerByte per byte of file (a 4096:1 compression of
// f32 weights, past any real pruned model), or kElementFloor, whichever is larger (every model
// of up to 16 Mi weights is always accepted).
constexpr int64_t kMaxElementsPerByte = 1024;
constexpr int64_t kElementFloor = int64_t{1} << 24;
constexpr int64_t kReadBytesPerElement = 13;

// The sections every file of version 2 has, in the order they are written. A version-1 file
// has the first eight (no STRUCTURE).
constexpr SectionType kRequired[] = {
    SectionType::kMeta,   SectionType::kGraph,     SectionType::kLayers,
    SectionType::kMasks,  SectionType::kCodebooks, SectionType::kCodes,
    SectionType::kValues, SectionType::kActQ,      SectionType::kStructure};
constexpr size_t kRequiredV1 = 8;

// STRUCTURE: method numbers 0 and 1 are reserved; passes.def numbers the passes from 2.
constexpr uint8_t kMethodNotRecorded = 0;
constexpr uint8_t kMethodNone = 1;

uint32_t crc32_of(std::string_view s) {
  uLong c = crc32(0L, Z_NULL, 0);
  // zlib's length is uInt: feed large buffers in pieces.
  const auto* p = reinterpret_cast<const Bytef*>(s.data());
  size_t left = s.size();
  while (left > 0) {
    const uInt n = static_cast<uInt>(std::min<size_t>(left, 1u << 30));
    c = crc32(c, p, n);
    p += n;
    left -= n;
  }
  return static_cast<uint32_t>(c);
}

// ---- little-endian writer ----------------------------------------------------------------

class Writer {
 public:
  void u8(uint8_t v) { s_.push_back(static_cast<char>(v)); }
  void u16(uint16_t v) { put(v, 2); }
  void u32(uint32_t v) { put(v, 4); }
  void u64(uint64_t v) { put(v, 8); }
  void i32(int32_t v) { put(static_cast<uint32_t>(v), 4); }
  void i64(int64_t v) { put(static_cast<uint64_t>(v), 8); }
  void f32(float v) { u32(std::bit_cast<uint32_t>(v)); }
  void str(const std::string& v) {
    u32(static_cast<uint32_t>(v.size()));
    s_ += v;
  }
  void bytes(std::string_view v) { s_ += v; }
  std::string& out() { return s_; }

 private:
  void put(uint64_t v, int n) {
    for (int i = 0; i < n; ++i) s_.push_back(static_cast<char>((v >> (8 * i)) & 0xff));
  }
  std::string s_;
};

// ---- bounds-checked little-endian reader --------------------------------------------------
// The first failed read records an error (naming the field and the offset in the section);
// later reads return zeros. Check ok() at points where a bad value would cause harm.

class Reader {
 public:
  Reader(std::string_view data, std::string where) : d_(data), where_(std::move(where)) {}
  bool ok() const { return err_.ok(); }
  const Status& status() const { return err_; }
  size_t pos() const { return pos_; }
  size_t left() const { return d_.size() - pos_; }
  bool at_end() const { return pos_ == d_.size(); }

  uint8_t u8(const char* f) { return static_cast<uint8_t>(get(f, 1)); }
  uint16_t u16(const char* f) { return static_cast<uint16_t>(get(f, 2)); }
  uint32_t u32(const char* f) { return static_cast<uint32_t>(get(f, 4)); }
  uint64_t u64(const char* f) { return get(f, 8); }
  int32_t i32(const char* f) { return static_cast<int32_t>(static_cast<uint32_t>(get(f, 4))); }
  int64_t i64(const char* f) { return static_cast<int64_t>(get(f, 8)); }
  float f32(const char* f) { return std::bit_cast<float>(u32(f)); }
  std::string str(const char* f) {
    const uint32_t n = u32(f);
    std::string_view v = take(f, n);
    return std::string(v);
  }
  std::string_view take(const char* f, uint64_t n) {
    if (!ok()) return {};
    if (n > left()) {
      fail("truncated: field '{}' needs {} bytes at offset {}, {} left", f, n, pos_, left());
      return {};
    }
    std::string_view v = d_.substr(pos_, n);
    pos_ += n;
    return v;
  }
  template <typename... Args>
  void fail(fmt::format_string<Args...> f, Args&&... args) {
    if (ok()) {
      err_ = data_loss("{}: {}", where_, fmt::format(f, std::forward<Args>(args)...));
    }
  }

 private:
  uint64_t get(const char* f, int n) {
    std::string_view v = take(f, static_cast<uint64_t>(n));
    if (v.empty()) return 0;
    uint64_t x = 0;
    for (int i = 0; i < n; ++i) x |= static_cast<uint64_t>(static_cast<uint8_t>(v[i])) << (8 * i);
    return x;
  }
  std::string_view d_;
  std::string where_;
  size_t pos_ = 0;
  Status err_;
};

// ---- masks and codes ---------------------------------------------------------------------

bool is_fine(const std::vector<int64_t>& block) {
  return std::all_of(block.begin(), block.end(), [](int64_t b) { return b <= 1; });
}

// The tiling of a layer's weight by its block (a block recorded for every dimension, each
// 1..shape[d]: checked by the writer and the reader before this is called).
BlockGrid block_tiling(const Shape& shape, const std::vector<int64_t>& block) {
  Result<BlockGrid> g = BlockGrid::make(shape, block);
  SIEVE_ASSERT(g.ok(), "{}", g.status().to_string());
  return std::move(g.value());
}

bool get_bit(std::string_view s, int64_t i) {
  return (static_cast<uint8_t>(s[static_cast<size_t>(i >> 3)]) >> (i & 7)) & 1u;
}

// Decodes a Huffman table followed by a stream of `bits` bits holding `count` symbols of an
// alphabet of at most `max_alphabet`.
Result<std::vector<uint16_t>> decode_huffman(std::string_view payload, uint64_t bits, int64_t count,
                                             int max_alphabet) {
  const auto* p = reinterpret_cast<const uint8_t*>(payload.data());
  size_t used = 0;
  SIEVE_ASSIGN_OR_RETURN(compress::coding::HuffmanCode code,
                         compress::coding::HuffmanCode::parse({p, payload.size()}, &used));
  if (code.alphabet() > max_alphabet) {
    return data_loss("Huffman table of {} symbols, at most {} allowed", code.alphabet(),
                     max_alphabet);
  }
  if (payload.size() - used != (bits + 7) / 8) {
    return data_loss("Huffman stream: {} bytes after the table, {} bits need {}",
                     payload.size() - used, bits, (bits + 7) / 8);
  }
  if (count < 0 || static_cast<uint64_t>(count) > bits) {
    return data_loss("Huffman stream: {} symbols cannot fit {} bits", count, bits);
  }
  compress::coding::BitReader in({p + used, payload.size() - used}, static_cast<int64_t>(bits));
  return code.decode(in, static_cast<size_t>(count));
}

struct LayerRecord;
Result<Tensor> decode_mask(const LayerRecord& rec, std::string_view m);

std::vector<uint16_t> unpack_codes(std::string_view s, int64_t count, int bits) {
  std::vector<uint16_t> out(static_cast<size_t>(count));
  uint64_t p = 0;
  for (auto& c : out) {
    uint16_t v = 0;
    for (int b = 0; b < bits; ++b, ++p) {
      if (get_bit(s, static_cast<int64_t>(p))) v = static_cast<uint16_t>(v | (1u << b));
    }
    c = v;
  }
  return out;
}

// ---- the graph -------------------------------------------------------------------------
// GRAPH holds the ONNX model with the compressed layers' initializers reduced to name, type
// and dims (no data); reading puts zeros back before the ONNX import.

Result<std::string> strip_weights(const std::string& onnx_bytes,
                                  const std::vector<compress::CompressedLayer>& layers) {
  onnx::ModelProto m;
  if (!m.ParseFromString(onnx_bytes)) return internal_error("sieve: re-parsing the ONNX export");
  std::set<std::string> names;
  for (const compress::CompressedLayer& l : layers) names.insert(l.weight);
  for (onnx::TensorProto& t : *m.mutable_graph()->mutable_initializer()) {
    if (names.count(t.name())) {
      t.clear_raw_data();
      t.clear_float_data();
    }
  }
  std::string out;
  if (!m.SerializeToString(&out)) return internal_error("sieve: serialising the ONNX graph");
  return out;
}

Result<std::string> restore_weights(std::string_view stripped,
                                    const std::vector<compress::CompressedLayer>& layers,
                                    const std::string& where) {
  onnx::ModelProto m;
  if (stripped.size() > static_cast<size_t>(std::numeric_limits<int>::max()) ||
      !m.ParseFromArray(stripped.data(), static_cast<int>(stripped.size()))) {
    return data_loss("{}: not a valid ONNX ModelProto", where);
  }
  std::map<std::string, const compress::CompressedLayer*> by_name;
  for (const compress::CompressedLayer& l : layers) by_name[l.weight] = &l;
  for (onnx::TensorProto& t : *m.mutable_graph()->mutable_initializer()) {
    auto it = by_name.find(t.name());
    if (it == by_name.end()) continue;
    const compress::CompressedLayer& l = *it->second;
    const Shape dims(t.dims().begin(), t.dims().end());
    if (t.data_type() != onnx::TensorProto::FLOAT || dims != l.shape || t.has_raw_data() ||
        t.float_data_size() != 0) {
      return data_loss(
          "{}: initializer '{}' is not the data-less f32 {} tensor of its compressed layer", where,
          l.weight, shape_str(l.shape));
    }
    t.set_raw_data(std::string(static_cast<size_t>(l.numel()) * 4, '\0'));
    by_name.erase(it);
  }
  if (!by_name.empty()) {
    return data_loss("{}: the graph has no initializer '{}' for the compressed layer", where,
                     by_name.begin()->first);
  }
  std::string out;
  if (!m.SerializeToString(&out)) return data_loss("{}: the graph is too large", where);
  return out;
}

// ---- the parsed file -----------------------------------------------------------------------

struct Parsed {
  SieveFileInfo info;
  compress::CompressedModel model;
};

struct LayerRecord {
  compress::CompressedLayer layer;
  SieveLayerInfo info;
  std::vector<uint32_t> book_sizes;
  uint64_t value_count = 0;
  uint64_t index_bits = 0;
  uint64_t code_bits = 0;
};

Result<Tensor> decode_mask(const LayerRecord& rec, std::string_view m) {
  const compress::CompressedLayer& l = rec.layer;
  using compress::coding::IndexFormat;
  const MaskFormat f = rec.info.mask_format;
  if (f == MaskFormat::kBitmask || f == MaskFormat::kBlockBitmask) {
    Tensor mask(DType::kU8, l.shape);
    uint8_t* out = mask.data<uint8_t>();
    if (f == MaskFormat::kBitmask) {
      for (int64_t j = 0; j < l.numel(); ++j) out[j] = get_bit(m, j) ? 1 : 0;
    } else {
      block_tiling(l.shape, l.block).for_each_run([&](int64_t begin, int64_t end, int64_t b) {
        std::fill(out + begin, out + end, static_cast<uint8_t>(get_bit(m, b) ? 1 : 0));
      });
    }
    return mask;
  }
  compress::coding::EncodedIndex idx;
  idx.k = rec.info.index_k;
  idx.bits = rec.index_bits;
  switch (f) {
    case MaskFormat::kRelative: idx.format = IndexFormat::kRelative; break;
    case MaskFormat::kCsr: idx.format = IndexFormat::kCsr; break;
    case MaskFormat::kCsc: idx.format = IndexFormat::kCsc; break;
    case MaskFormat::kCoo: idx.format = IndexFormat::kCoo; break;
    case MaskFormat::kRelativeHuffman: {
      idx.format = IndexFormat::kRelative;
      SIEVE_ASSIGN_OR_RETURN(
          std::vector<uint16_t> gaps,
          decode_huffman(m, rec.index_bits, rec.info.index_entries, 1 << rec.info.index_k));
      compress::coding::BitWriter w;
      for (uint16_t g : gaps) w.put(g, rec.info.index_k);
      idx.bits = w.bit_count();
      idx.bytes = w.take();
      return compress::coding::decode_index(idx, l.shape, rec.info.kept);
    }
    case MaskFormat::kNm: {
      const compress::PruneStructure& st = l.structure;
      if (st.method != "nm")
        return data_loss("mask_format 8 (N:M packed) needs the STRUCTURE method nm, the layer's is "
                         "\"{}\"",
                         st.method);
      if (compress::coding::nm_index_bits(st.m) != rec.info.index_k)
        return data_loss("index_k = {} but n:m = {}:{} needs {}-bit entries", rec.info.index_k,
                         st.n, st.m, compress::coding::nm_index_bits(st.m));
      return compress::coding::decode_nm(m, rec.index_bits, l.shape, st.n, st.m);
    }
    default: return data_loss("mask format {} has no decoder", static_cast<int>(f));
  }
  idx.bytes.assign(reinterpret_cast<const uint8_t*>(m.data()),
                   reinterpret_cast<const uint8_t*>(m.data()) + m.size());
  return compress::coding::decode_index(idx, l.shape, rec.info.kept);
}

std::string layer_where(size_t i, const std::string& weight) {
  return fmt::format("layer {} ('{}')", i, weight);
}

// Reads the LAYERS section (structure only, no payloads).
Result<std::vector<LayerRecord>> parse_layers(std::string_view sec, const std::string& where) {
  Reader r(sec, where);
  const uint32_t count = r.u32("layer_count");
  std::vector<LayerRecord> out;
  for (uint32_t i = 0; i < count && r.ok(); ++i) {
    LayerRecord rec;
    compress::CompressedLayer& l = rec.layer;
    l.node = r.str("node");
    l.weight = r.str("weight");
    const std::string lw = layer_where(i, l.weight);
    const uint8_t rank = r.u8("rank");
    if (r.ok() && (rank < 1 || rank > kMaxRank)) {
      r.fail("{}: rank {} outside 1..{}", lw, rank, kMaxRank);
    }
    int64_t numel = 1;
    for (uint8_t d = 0; d < rank && r.ok(); ++d) {
      const int64_t v = r.i64("shape");
      // Divided, not multiplied: numel * v could overflow before the comparison.
      if (r.ok() && (v < 1 || v > kMaxNumel || numel > kMaxNumel / v)) {
        r.fail("{}: shape dimension {} = {} invalid (or the weight exceeds {} elements)", lw, d, v,
               kMaxNumel);
      }
      if (!r.ok()) break;
      l.shape.push_back(v);
      numel *= v;
    }
    const uint8_t block_rank = r.u8("block_rank");
    if (r.ok() && block_rank != 0 && block_rank != rank) {
      r.fail("{}: block_rank {} is neither 0 nor the rank {}", lw, block_rank, rank);
    }
    for (uint8_t d = 0; d < block_rank && r.ok(); ++d) {
      const int64_t v = r.i64("block");
      if (r.ok() && (v < 1 || v > l.shape[d])) {
        r.fail("{}: block dimension {} = {} outside 1..{}", lw, d, v, l.shape[d]);
      }
      l.block.push_back(v);
    }
    l.bits = r.u8("bits");
    const uint8_t mf = r.u8("mask_format");
    const uint8_t cf = r.u8("code_format");
    const uint8_t reserved = r.u8("reserved");
    if (r.ok() && reserved != 0) r.fail("{}: reserved = {} (must be 0)", lw, reserved);
    l.region_rows = r.i64("region_rows");
    l.region_cols = r.i64("region_cols");
    const int64_t kept = r.i64("kept");
    const uint64_t mask_bytes = r.u64("mask_bytes");
    const uint8_t index_k = r.u8("index_k");
    const int64_t index_entries = r.i64("index_entries");
    const uint64_t index_bits = r.u64("index_bits");
    const uint32_t books = r.u32("codebook_count");
    if (!r.ok()) break;
    if (l.bits > 16) r.fail("{}: bits = {} (expected 0..16)", lw, l.bits);
    if (mf > 8) r.fail("{}: mask_format = {} unknown", lw, mf);
    if (cf > 2) r.fail("{}: code_format = {} unknown", lw, cf);
    if ((l.bits == 0) != (cf == 0)) {
      r.fail("{}: code_format {} does not fit bits = {}", lw, cf, l.bits);
    }
    if (mf == 2 && (block_rank == 0 || is_fine(l.block))) {
      r.fail("{}: block bitmask without a block shape", lw);
    }
    if (kept < 0 || kept > numel || (mf == 0 && kept != numel)) {
      r.fail("{}: kept = {} for {} weights (mask_format {})", lw, kept, numel, mf);
    }
    if (!r.ok()) break;
    {
      // Exact stream bits of the fixed-size formats; the relative formats carry their k and
      // entry count; every stream fits its payload.
      const bool relative = mf == 3 || mf == 4;
      // Formats with k-bit entries: the relative ones, and N:M packed (one entry per kept
      // weight).
      const bool entries = relative || mf == 8;
      uint64_t want_bits = index_bits;
      if (mf == 0) want_bits = 0;
      if (mf == 1) want_bits = static_cast<uint64_t>(numel);
      if (mf == 2) want_bits = static_cast<uint64_t>(block_tiling(l.shape, l.block).blocks());
      if (mf == 3 || mf == 8) want_bits = static_cast<uint64_t>(index_entries) * index_k;
      if (entries != (index_k != 0) || index_k > 16 || (relative && index_entries < kept) ||
          (mf == 8 && index_entries != kept) || (!entries && index_entries != 0) ||
          (relative && index_entries > 8 * int64_t{1} << 40)) {
        r.fail("{}: index_k = {}, index_entries = {} do not fit mask_format {} and kept = {}", lw,
               index_k, index_entries, mf, kept);
      } else if (index_bits != want_bits) {
        r.fail("{}: index_bits = {}, mask_format {} needs {}", lw, index_bits, mf, want_bits);
      } else if (mf == 4 ? mask_bytes < (index_bits + 7) / 8 : mask_bytes != (index_bits + 7) / 8) {
        r.fail("{}: mask_bytes = {} for a stream of {} bits (mask_format {})", lw, mask_bytes,
               index_bits, mf);
      }
    }
    const int64_t rows = l.shape[0], cols = numel / rows;
    if (l.region_rows < 1 || l.region_rows > rows || l.region_cols < 1 || l.region_cols > cols) {
      r.fail("{}: region grid {} x {} does not fit the {} x {} view", lw, l.region_rows,
             l.region_cols, rows, cols);
    }
    if (r.ok() && books != (l.bits == 0 ? 0 : l.region_rows * l.region_cols)) {
      r.fail("{}: codebook_count = {} for bits = {} and a {} x {} grid", lw, books, l.bits,
             l.region_rows, l.region_cols);
    }
    for (uint32_t b = 0; b < books && r.ok(); ++b) {
      const uint32_t sz = r.u32("codebook_size");
      // An empty codebook belongs to a region with no kept weight (decode_layer refuses any
      // code that points into it).
      if (r.ok() && sz > (1u << l.bits)) {
        r.fail("{}: codebook {} has {} entries (expected 0..{})", lw, b, sz, 1u << l.bits);
      }
      rec.book_sizes.push_back(sz);
    }
    const uint64_t code_bytes = r.u64("code_bytes");
    const uint64_t code_bits = r.u64("code_bits");
    rec.value_count = r.u64("value_count");
    if (!r.ok()) break;
    if (cf == 2) {
      if (code_bytes < (code_bits + 7) / 8) {
        r.fail("{}: code_bytes = {} cannot hold a Huffman stream of {} bits", lw, code_bytes,
               code_bits);
      }
    } else {
      const uint64_t want_bits = static_cast<uint64_t>(kept) * static_cast<uint64_t>(l.bits);
      if (code_bits != want_bits || code_bytes != (want_bits + 7) / 8) {
        r.fail("{}: code_bits = {}, code_bytes = {}: {} codes of {} bits need {} bits", lw,
               code_bits, code_bytes, kept, l.bits, want_bits);
      }
    }
    if (rec.value_count != (l.bits == 0 ? static_cast<uint64_t>(kept) : 0)) {
      r.fail("{}: value_count = {} for {} kept weights and bits = {}", lw, rec.value_count, kept,
             l.bits);
    }
    rec.info = SieveLayerInfo{.weight = l.weight,
                              .node = l.node,
                              .shape = l.shape,
                              .block = l.block,
                              .structure = {},
                              .kept = kept,
                              .bits = l.bits,
                              .region_rows = l.region_rows,
                              .region_cols = l.region_cols,
                              .mask_format = static_cast<MaskFormat>(mf),
                              .code_format = static_cast<CodeFormat>(cf),
                              .mask_bytes = mask_bytes,
                              .codebook_bytes = 0,
                              .code_bytes = code_bytes,
                              .value_bytes = rec.value_count * 4,
                              .index_k = index_k,
                              .index_entries = index_entries};
    rec.index_bits = index_bits;
    rec.code_bits = code_bits;
    for (uint32_t sz : rec.book_sizes) rec.info.codebook_bytes += uint64_t{sz} * 4;
    out.push_back(std::move(rec));
  }
  if (r.ok() && !r.at_end()) r.fail("{} trailing bytes after the last layer", r.left());
  if (!r.ok()) return r.status();
  return out;
}

// Reads the STRUCTURE section into the layer records (version 2): one entry per layer of the
// layer table, in its order; each checked against the layer's shape and block.
Status parse_structure(std::string_view sec, const std::string& where,
                       std::vector<LayerRecord>& recs) {
  Reader r(sec, where);
  const uint32_t count = r.u32("layer_count");
  if (r.ok() && count != recs.size()) {
    r.fail("layer_count = {}, the layer table has {} layers", count, recs.size());
  }
  for (size_t i = 0; i < recs.size() && r.ok(); ++i) {
    compress::CompressedLayer& l = recs[i].layer;
    const std::string lw = layer_where(i, l.weight);
    compress::PruneStructure& st = l.structure;
    const uint8_t method = r.u8("method");
    const uint8_t stride_rank = r.u8("stride_rank");
    if (!r.ok()) break;
    if (method == kMethodNone) {
      st.method = "none";
    } else if (method != kMethodNotRecorded) {
      Result<compress::PassInfo> pass = compress::find_prune_pass(method);
      if (!pass.ok()) {
        std::vector<std::string> known = {"0 (not recorded)", "1 (none)"};
        for (const compress::PassInfo& p : compress::prune_passes()) {
          known.push_back(fmt::format("{} ({})", p.id, p.name));
        }
        r.fail("{}: method = {} unknown; known: {}", lw, method, fmt::join(known, ", "));
        break;
      }
      st.method = pass->name;
    }
    if (stride_rank != 0 && (stride_rank != l.shape.size() || st.method != "block")) {
      r.fail("{}: stride_rank = {} (0, or the rank {} for method block; method is \"{}\")", lw,
             stride_rank, l.shape.size(), st.method);
      break;
    }
    for (uint8_t d = 0; d < stride_rank && r.ok(); ++d) {
      const int64_t v = r.i64("stride");
      if (r.ok() && v < 1) r.fail("{}: stride[{}] = {} (must be >= 1)", lw, d, v);
      st.stride.push_back(v);
    }
    st.n = r.u32("n");
    st.m = r.u32("m");
    st.groups = r.u32("groups");
    st.group_axis = r.u8("group_axis");
    if (!r.ok()) break;
    if (st.method == "block" && stride_rank == 0) st.stride = l.block;  // a tiling
    const Status ok = compress::check_structure(l);
    if (!ok.ok()) r.fail("{}: {}", lw, ok.message());
    recs[i].info.structure = st;
  }
  if (r.ok() && !r.at_end()) r.fail("{} trailing bytes after the last layer", r.left());
  return r.status();
}

Status parse_kv(std::string_view sec, const std::string& where,
                std::map<std::string, std::string>* meta, std::map<std::string, int>* actq) {
  Reader r(sec, where);
  const uint32_t count = r.u32("count");
  std::string prev;
  for (uint32_t i = 0; i < count && r.ok(); ++i) {
    std::string key = r.str("key");
    if (meta != nullptr) {
      std::string v = r.str("value");
      if (r.ok() && !meta->emplace(key, std::move(v)).second) {
        r.fail("key '{}' appears twice", key);
      }
      // The spec orders META keys (byte-wise, as the writer's std::map does).
      if (r.ok() && i > 0 && !(prev < key)) {
        r.fail("key {} '{}' is not after key {} '{}' (keys must be sorted)", i, key, i - 1, prev);
      }
      prev = key;
    } else {
      const int32_t v = r.i32("frac_bits");
      if (r.ok() && (v < -64 || v > 64)) r.fail("'{}': frac_bits = {} outside -64..64", key, v);
      if (r.ok() && !actq->emplace(key, v).second) r.fail("value '{}' appears twice", key);
    }
  }
  if (r.ok() && !r.at_end()) r.fail("{} trailing bytes after {} entries", r.left(), count);
  return r.status();
}

Result<Parsed> parse(std::string_view bytes, const std::string& origin, bool want_model) {
  Parsed p;
  p.info.file_bytes = bytes.size();
  Reader h(bytes, origin);
  std::string_view magic = h.take("magic", 6);
  if (!h.ok()) {
    return data_loss("{}: truncated header: {} bytes, a .sieve file starts with {}", origin,
                     bytes.size(), kHeaderBytes);
  }
  if (magic != std::string_view(kSieveMagic, 6)) {
    return data_loss("{}: not a .sieve file (the first 6 bytes are not \"SIEVE\\0\")", origin);
  }
  p.info.version = h.u16("version");
  const uint32_t count = h.u32("section_count");
  const uint32_t reserved = h.u32("reserved");
  if (!h.ok()) {
    return data_loss("{}: truncated header: {} bytes, the header has {}", origin, bytes.size(),
                     kHeaderBytes);
  }
  if (reserved != 0) {
    return data_loss("{}: header field reserved (offset 12) = {}, must be 0", origin, reserved);
  }
  if (p.info.version < kSieveOldestVersion || p.info.version > kSieveFormatVersion) {
    return data_loss(
        "{}: format version {} is not supported (header field 'version' at offset 6 = {}; this "
        "build reads versions {} to {})",
        origin, p.info.version, p.info.version, kSieveOldestVersion, kSieveFormatVersion);
  }
  const size_t required = p.info.version == 1 ? kRequiredV1 : std::size(kRequired);
  if (count == 0 || count > kMaxSections) {
    return data_loss("{}: section table: section_count = {} (expected 1..{})", origin, count,
                     kMaxSections);
  }
  const size_t table_end = kHeaderBytes + count * kEntryBytes;
  if (bytes.size() < table_end + 4) {
    return data_loss("{}: truncated section table: {} sections need {} bytes, the file has {}",
                     origin, count, table_end + 4, bytes.size());
  }
  for (uint32_t i = 0; i < count; ++i) {
    SieveSectionInfo s;
    s.type = h.u32("type");
    s.crc32 = h.u32("crc32");
    s.offset = h.u64("offset");
    s.bytes = h.u64("length");
    s.name = section_name(s.type);
    p.info.sections.push_back(s);
  }
  const uint32_t table_crc = h.u32("table_crc32");
  const uint32_t got_crc = crc32_of(bytes.substr(0, table_end));
  if (table_crc != got_crc) {
    return data_loss(
        "{}: section table corrupted (CRC32 stored {:08x}, computed {:08x}); the file is "
        "damaged",
        origin, table_crc, got_crc);
  }
  std::map<SectionType, std::string_view> secs;
  uint64_t expect = table_end + 4;
  for (const SieveSectionInfo& s : p.info.sections) {
    const std::string where = fmt::format("{}: section {} (type {})", origin, s.name, s.type);
    if (s.offset != expect) {
      return data_loss("{}: offset {} but the previous section ends at {}", where, s.offset,
                       expect);
    }
    if (s.bytes > bytes.size() || s.offset > bytes.size() - s.bytes) {
      return data_loss("{}: truncated: the section needs bytes [{}, {}), the file has {}", where,
                       s.offset, s.offset + s.bytes, bytes.size());
    }
    std::string_view body = bytes.substr(s.offset, s.bytes);
    const uint32_t crc = crc32_of(body);
    if (crc != s.crc32) {
      return data_loss("{}: corrupted: CRC32 stored {:08x}, computed {:08x}", where, s.crc32, crc);
    }
    // Version 1 knows no STRUCTURE: a section of type 9 there is skipped like any unknown one.
    const bool known =
        std::string_view(s.name) != "UNKNOWN" &&
        !(p.info.version == 1 && s.type == static_cast<uint32_t>(SectionType::kStructure));
    if (!known) {
      expect = s.offset + s.bytes;
      continue;
    }
    if (!secs.emplace(static_cast<SectionType>(s.type), body).second) {
      return data_loss("{}: the section appears twice", where);
    }
    expect = s.offset + s.bytes;
  }
  if (expect != bytes.size()) {
    return data_loss("{}: {} bytes after the last section (the file has {}, sections end at {})",
                     origin, bytes.size() - expect, bytes.size(), expect);
  }
  for (size_t k = 0; k < required; ++k) {
    const SectionType t = kRequired[k];
    if (!secs.count(t)) {
      return data_loss("{}: section {} (type {}) is missing", origin,
                       section_name(static_cast<uint32_t>(t)), static_cast<uint32_t>(t));
    }
  }
  auto where = [&](SectionType t) {
    return fmt::format("{}: section {}", origin, section_name(static_cast<uint32_t>(t)));
  };

  SIEVE_RETURN_IF_ERROR(
      parse_kv(secs[SectionType::kMeta], where(SectionType::kMeta), &p.model.metadata, nullptr));
  SIEVE_RETURN_IF_ERROR(parse_kv(secs[SectionType::kActQ], where(SectionType::kActQ), nullptr,
                                 &p.model.activation_frac_bits));
  SIEVE_ASSIGN_OR_RETURN(std::vector<LayerRecord> recs,
                         parse_layers(secs[SectionType::kLayers], where(SectionType::kLayers)));
  if (p.info.version >= 2) {
    SIEVE_RETURN_IF_ERROR(
        parse_structure(secs[SectionType::kStructure], where(SectionType::kStructure), recs));
  }

  // Payload sections: the per-layer lengths must add up to each section's length.
  uint64_t mask_total = 0, book_total = 0, code_total = 0, value_total = 0;
  for (const LayerRecord& rec : recs) {
    mask_total += rec.info.mask_bytes;
    book_total += rec.info.codebook_bytes;
    code_total += rec.info.code_bytes;
    value_total += rec.info.value_bytes;
  }
  const std::pair<SectionType, uint64_t> sums[] = {{SectionType::kMasks, mask_total},
                                                   {SectionType::kCodebooks, book_total},
                                                   {SectionType::kCodes, code_total},
                                                   {SectionType::kValues, value_total}};
  for (const auto& [t, want] : sums) {
    if (secs[t].size() != want) {
      return data_loss("{}: {} bytes, but the layer table accounts for {}", where(t),
                       secs[t].size(), want);
    }
  }
  // Before anything is allocated per element: the declared elements must fit the file's size.
  const int64_t budget =
      std::max(kElementFloor, kMaxElementsPerByte * static_cast<int64_t>(bytes.size()));
  int64_t declared = 0;
  for (const LayerRecord& rec : recs) {
    declared += rec.layer.numel();  // each <= 2^32; stops past the budget, so no overflow
    if (declared > budget) break;
  }
  if (declared > budget) {
    return data_loss(
        "{}: the layers declare {} weight elements in all, more than a file of {} bytes may "
        "(at most max({}, {} per byte) = {})",
        where(SectionType::kLayers), declared, bytes.size(), kElementFloor, kMaxElementsPerByte,
        budget);
  }
  SIEVE_RETURN_IF_ERROR(check_memory(declared * kReadBytesPerElement,
                                     fmt::format("{}: {} weight elements", origin, declared)));
  for (const LayerRecord& rec : recs) p.info.layers.push_back(rec.info);
  if (!want_model) return p;

  Reader masks(secs[SectionType::kMasks], where(SectionType::kMasks));
  Reader books(secs[SectionType::kCodebooks], where(SectionType::kCodebooks));
  Reader codes(secs[SectionType::kCodes], where(SectionType::kCodes));
  Reader values(secs[SectionType::kValues], where(SectionType::kValues));
  std::set<std::string> seen;
  for (size_t i = 0; i < recs.size(); ++i) {
    LayerRecord& rec = recs[i];
    compress::CompressedLayer& l = rec.layer;
    const std::string lw = layer_where(i, l.weight);
    if (!seen.insert(l.weight).second) {
      return data_loss("{}: {} appears twice", where(SectionType::kLayers), lw);
    }
    std::string_view m = masks.take("mask", rec.info.mask_bytes);
    if (!masks.ok()) return masks.status();
    if (rec.info.mask_format != MaskFormat::kDense) {
      auto mask = decode_mask(rec, m);
      if (!mask.ok()) {
        return data_loss("{}: {}: {}", where(SectionType::kMasks), lw, mask.status().message());
      }
      l.mask = std::move(mask.value());
      if (l.kept() != rec.info.kept) {
        return data_loss("{}: {}: the mask keeps {} weights, the layer table says {}",
                         where(SectionType::kMasks), lw, l.kept(), rec.info.kept);
      }
    }
    // The mask keeps to the recorded structure (its fields were checked with the table).
    if (const Status st = compress::check_structure(l); !st.ok()) {
      return data_loss("{}: {}: {}", where(SectionType::kStructure), lw, st.message());
    }
    for (size_t b = 0; b < rec.book_sizes.size(); ++b) {
      std::vector<float> book(rec.book_sizes[b]);
      for (size_t k = 0; k < book.size(); ++k) {
        book[k] = books.f32("centroid");
        if (books.ok() && !std::isfinite(book[k])) {
          return data_loss("{}: {}: codebook {} entry {} = {} (centroids must be finite)",
                           where(SectionType::kCodebooks), lw, b, k, book[k]);
        }
      }
      l.codebooks.push_back(std::move(book));
    }
    if (l.bits != 0) {
      std::string_view c = codes.take("codes", rec.info.code_bytes);
      if (!codes.ok()) return codes.status();
      if (rec.info.code_format == CodeFormat::kPacked) {
        l.codes = unpack_codes(c, rec.info.kept, l.bits);
      } else {
        auto decoded = decode_huffman(c, rec.code_bits, rec.info.kept, 1 << l.bits);
        if (!decoded.ok()) {
          return data_loss("{}: {}: {}", where(SectionType::kCodes), lw,
                           decoded.status().message());
        }
        l.codes = std::move(decoded.value());
      }
    }
    l.values.resize(rec.value_count);
    for (float& v : l.values) v = values.f32("value");
    for (const Reader* r : {&masks, &books, &codes, &values}) {
      if (!r->ok()) return r->status();
    }
    p.model.layers.push_back(std::move(l));
  }
  // A file without any Huffman-coded mask or codes is written again as it was whether or not
  // entropy coding was on (Huffman was not chosen anywhere), so reading it back as "off" keeps
  // write(read(f)) == f for files written with it off.
  p.model.entropy_coding = false;
  for (const LayerRecord& rec : recs) {
    if (rec.info.mask_format == MaskFormat::kRelativeHuffman ||
        rec.info.code_format == CodeFormat::kHuffman) {
      p.model.entropy_coding = true;
    }
  }

  SIEVE_ASSIGN_OR_RETURN(
      std::string onnx,
      restore_weights(secs[SectionType::kGraph], p.model.layers, where(SectionType::kGraph)));
  auto graph = import_onnx_bytes(onnx, where(SectionType::kGraph));
  if (!graph.ok()) return Status(StatusCode::kDataLoss, graph.status().message());
  p.model.graph = std::move(graph.value());
  for (const compress::CompressedLayer& l : p.model.layers) {
    if (l.node.empty()) continue;
    const ir::Node* n = p.model.graph.find_node(l.node);
    if (n == nullptr ||
        std::find(n->inputs.begin(), n->inputs.end(), l.weight) == n->inputs.end()) {
      return data_loss("{}: layer '{}' names node '{}', which the graph {}",
                       where(SectionType::kLayers), l.weight, l.node,
                       n == nullptr ? "does not have" : "has, but not reading that weight");
    }
  }
  Status decoded = compress::decode(p.model);
  if (!decoded.ok()) {
    return Status(StatusCode::kDataLoss, decoded.message()).with_context(origin);
  }
  return p;
}

// One layer's STRUCTURE entry (the structure was checked by compress::check_structure).
Status write_structure(Writer& w, const compress::CompressedLayer& l, const std::string& lw) {
  const compress::PruneStructure& st = l.structure;
  uint8_t method = kMethodNotRecorded;
  if (st.method == "none") {
    method = kMethodNone;
  } else if (st.recorded()) {
    SIEVE_ASSIGN_OR_RETURN(compress::PassInfo pass, compress::find_prune_pass(st.method));
    method = pass.id;
  }
  for (int64_t v : {st.n, st.m, st.groups}) {
    if (v < 0 || v > int64_t{std::numeric_limits<uint32_t>::max()}) {
      return invalid_argument(
          "sieve: {}: structure n = {}, m = {}, groups = {}: each must fit "
          "32 bits",
          lw, st.n, st.m, st.groups);
    }
  }
  // A stride equal to the block (a tiling) is not stored.
  const bool stride = st.method == "block" && st.stride != l.block;
  w.u8(method);
  w.u8(static_cast<uint8_t>(stride ? st.stride.size() : 0));
  if (stride) {
    for (int64_t v : st.stride) w.i64(v);
  }
  w.u32(static_cast<uint32_t>(st.n));
  w.u32(static_cast<uint32_t>(st.m));
  w.u32(static_cast<uint32_t>(st.groups));
  w.u8(static_cast<uint8_t>(st.group_axis));
  return ok_status();
}

}  // namespace

const char* section_name(uint32_t type) {
  switch (static_cast<SectionType>(type)) {
    case SectionType::kMeta: return "META";
    case SectionType::kGraph: return "GRAPH";
    case SectionType::kLayers: return "LAYERS";
    case SectionType::kMasks: return "MASKS";
    case SectionType::kCodebooks: return "CODEBOOKS";
    case SectionType::kCodes: return "CODES";
    case SectionType::kValues: return "VALUES";
    case SectionType::kActQ: return "ACTQ";
    case SectionType::kStructure: return "STRUCTURE";
  }
  return "UNKNOWN";
}

Result<std::string> serialize_sieve(const compress::CompressedModel& model) {
  std::map<SectionType, std::string> body;
  {
    Writer w;
    w.u32(static_cast<uint32_t>(model.metadata.size()));
    for (const auto& [k, v] : model.metadata) {
      w.str(k);
      w.str(v);
    }
    body[SectionType::kMeta] = std::move(w.out());
  }
  {
    Writer w;
    w.u32(static_cast<uint32_t>(model.activation_frac_bits.size()));
    for (const auto& [k, v] : model.activation_frac_bits) {
      w.str(k);
      w.i32(v);
    }
    body[SectionType::kActQ] = std::move(w.out());
  }
  // The graph without the compressed weights: they are exported as zeros, then their data is
  // stripped from the ONNX bytes (strip_weights); the reader restores them.
  ir::Graph g = model.graph;
  Writer layers, masks, books, codes, values, structure;
  layers.u32(static_cast<uint32_t>(model.layers.size()));
  structure.u32(static_cast<uint32_t>(model.layers.size()));
  std::set<std::string> seen;
  for (size_t i = 0; i < model.layers.size(); ++i) {
    const compress::CompressedLayer& l = model.layers[i];
    const std::string lw = layer_where(i, l.weight);
    if (!seen.insert(l.weight).second) return invalid_argument("sieve: {} appears twice", lw);
    if (l.shape.empty() || static_cast<int>(l.shape.size()) > kMaxRank || l.numel() <= 0) {
      return invalid_argument("sieve: {}: shape {} cannot be stored (rank 1..{}, no empty dims)",
                              lw, shape_str(l.shape), kMaxRank);
    }
    if (!l.block.empty() && l.block.size() != l.shape.size()) {
      return invalid_argument("sieve: {}: block has {} entries for a rank-{} weight", lw,
                              l.block.size(), l.shape.size());
    }
    for (size_t d = 0; d < l.block.size(); ++d) {
      if (l.block[d] < 1 || l.block[d] > l.shape[d]) {
        return invalid_argument("sieve: {}: block {} does not fit shape {}", lw,
                                fmt::join(l.block, "x"), shape_str(l.shape));
      }
    }
    if (!l.mask.empty() && l.mask.dtype() != DType::kU8) {
      return invalid_argument("sieve: {}: mask is {}, expected u8", lw, dtype_name(l.mask.dtype()));
    }
    if (const Status st = compress::check_structure(l); !st.ok()) {
      return invalid_argument("sieve: {}: structure: {}", lw, st.message());
    }
    // decode_layer checks mask size, value/code counts, codebook count and code ranges.
    auto decoded = compress::decode_layer(l);
    if (!decoded.ok()) return decoded.status().with_context("sieve");
    for (size_t b = 0; b < l.codebooks.size(); ++b) {
      if (l.codebooks[b].size() > (size_t{1} << l.bits)) {
        return invalid_argument("sieve: {}: codebook {} has {} entries for {} bits", lw, b,
                                l.codebooks[b].size(), l.bits);
      }
    }
    if (!l.node.empty()) {
      const ir::Node* n = g.find_node(l.node);
      if (n == nullptr ||
          std::find(n->inputs.begin(), n->inputs.end(), l.weight) == n->inputs.end()) {
        return invalid_argument("sieve: {}: node '{}' is not in the graph or does not read it", lw,
                                l.node);
      }
    }
    auto it = g.initializers.find(l.weight);
    if (it == g.initializers.end()) {
      return invalid_argument("sieve: {}: the graph has no initializer of that name", lw);
    }
    // Zeros (lazily mapped for large weights); their data is stripped after export.
    it->second = Tensor(DType::kF32, l.shape);

    // The storage choice of compress/coding/storage.h (the report's accounting uses the same).
    SIEVE_ASSIGN_OR_RETURN(compress::coding::MaskEncoding me,
                           compress::coding::encode_stored_mask(l, model.entropy_coding));
    SIEVE_ASSIGN_OR_RETURN(compress::coding::CodeEncoding ce,
                           compress::coding::encode_stored_codes(l, model.entropy_coding));
    layers.str(l.node);
    layers.str(l.weight);
    layers.u8(static_cast<uint8_t>(l.shape.size()));
    for (int64_t d : l.shape) layers.i64(d);
    layers.u8(static_cast<uint8_t>(l.block.size()));
    for (int64_t d : l.block) layers.i64(d);
    layers.u8(static_cast<uint8_t>(l.bits));
    layers.u8(static_cast<uint8_t>(me.format));
    layers.u8(static_cast<uint8_t>(ce.format));
    layers.u8(0);
    layers.i64(l.region_rows);
    layers.i64(l.region_cols);
    layers.i64(l.kept());
    layers.u64(me.bytes.size());
    layers.u8(static_cast<uint8_t>(me.k));
    layers.i64(me.entries);
    layers.u64(me.bits);
    masks.bytes(me.bytes);
    const uint32_t nbooks = l.bits == 0 ? 0 : static_cast<uint32_t>(l.codebooks.size());
    layers.u32(nbooks);
    for (uint32_t b = 0; b < nbooks; ++b) {
      layers.u32(static_cast<uint32_t>(l.codebooks[b].size()));
      for (float v : l.codebooks[b]) books.f32(v);
    }
    layers.u64(ce.bytes.size());
    layers.u64(ce.bits);
    codes.bytes(ce.bytes);
    const uint64_t nvalues = l.bits == 0 ? l.values.size() : 0;
    layers.u64(nvalues);
    if (l.bits == 0) {
      for (float v : l.values) values.f32(v);
    }
    SIEVE_RETURN_IF_ERROR(write_structure(structure, l, lw));
  }
  SIEVE_ASSIGN_OR_RETURN(std::string onnx,
                         export_onnx_bytes(g, {.allow_sieve_extensions = true, .check = true}));
  SIEVE_ASSIGN_OR_RETURN(body[SectionType::kGraph], strip_weights(onnx, model.layers));
  body[SectionType::kLayers] = std::move(layers.out());
  body[SectionType::kMasks] = std::move(masks.out());
  body[SectionType::kCodebooks] = std::move(books.out());
  body[SectionType::kCodes] = std::move(codes.out());
  body[SectionType::kValues] = std::move(values.out());
  body[SectionType::kStructure] = std::move(structure.out());

  const uint32_t count = static_cast<uint32_t>(std::size(kRequired));
  Writer out;
  out.bytes(std::string_view(kSieveMagic, 6));
  out.u16(kSieveFormatVersion);
  out.u32(count);
  out.u32(0);
  uint64_t offset = kHeaderBytes + count * kEntryBytes + 4;
  for (SectionType t : kRequired) {
    const std::string& b = body[t];
    out.u32(static_cast<uint32_t>(t));
    out.u32(crc32_of(b));
    out.u64(offset);
    out.u64(b.size());
    offset += b.size();
  }
  out.u32(crc32_of(out.out()));
  for (SectionType t : kRequired) out.bytes(body[t]);
  return std::move(out.out());
}

Status write_sieve(const compress::CompressedModel& model, const std::string& path) {
  auto bytes = serialize_sieve(model);
  if (!bytes.ok()) return bytes.status().with_context(path);
  return write_file_atomic(path, *bytes);
}

Result<compress::CompressedModel> parse_sieve(std::string_view bytes, const std::string& origin) {
  SIEVE_ASSIGN_OR_RETURN(Parsed p, parse(bytes, origin, true));
  return std::move(p.model);
}

Result<compress::CompressedModel> read_sieve(const std::string& path) {
  SIEVE_ASSIGN_OR_RETURN(std::string bytes, read_file(path));
  return parse_sieve(bytes, path);
}

Result<SieveFileInfo> sieve_file_info(std::string_view bytes, const std::string& origin) {
  SIEVE_ASSIGN_OR_RETURN(Parsed p, parse(bytes, origin, false));
  return std::move(p.info);
}

Result<SieveFileInfo> read_sieve_info(const std::string& path) {
  SIEVE_ASSIGN_OR_RETURN(std::string bytes, read_file(path));
  return sieve_file_info(bytes, path);
}

}  // namespace sieve::io
