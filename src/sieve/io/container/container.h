// The .sieve container: the serialised form of a compress::CompressedModel, specified byte by
// byte in docs/formats/container.md. A fixed header ("SIEVE\0", format version), a section
// table protected by its own CRC32, then sections (graph as ONNX bytes with the compressed
// weights left out, layer table, masks, codebooks, codes, unquantized values, activation Q
// formats, metadata), each with a type, a length and a CRC32 (zlib's crc32).
//
// write_sieve writes through a temporary file and a rename (core/atomic_file.h), so an
// interrupted run never leaves a half-written model. Version 2 adds the STRUCTURE section (each
// layer's pruning method, block stride, N:M and balanced groups); version-1 files still load.
// read_sieve checks every length, offset and checksum before using a byte and refuses a truncated
// or corrupted file with a DataLoss status naming the file and the section; reading gives back
// exactly the CompressedModel that was written (masks, codebooks and codes bit-identical, graph
// initializers decoded).
//
// Ownership: results own their data. Thread-safety: all functions are reentrant.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "sieve/compress/coding/storage.h"
#include "sieve/compress/model.h"
#include "sieve/core/status.h"

namespace sieve::io {

inline constexpr char kSieveMagic[6] = {'S', 'I', 'E', 'V', 'E', '\0'};
// The version written. Readers accept kSieveOldestVersion..kSieveFormatVersion: version 1
// (no STRUCTURE section) loads with every layer's structure not recorded
// (compress::PruneStructure::method == ""); a newer version is refused naming the file, the
// header field and the value.
inline constexpr uint16_t kSieveFormatVersion = 2;
inline constexpr uint16_t kSieveOldestVersion = 1;

// Section types (the u32 `type` field of a section table entry).
enum class SectionType : uint32_t {
  kMeta = 1,       // metadata key/value strings
  kGraph = 2,      // ONNX ModelProto bytes (compressed initializers without their data)
  kLayers = 3,     // the layer table: names, shapes, block, bits, region grid, formats, lengths
  kMasks = 4,      // per-layer keep masks in their index format
  kCodebooks = 5,  // per-layer, per-region f32 centroids
  kCodes = 6,      // per-layer codes (packed `bits` wide or Huffman-coded)
  kValues = 7,     // f32 kept values of unquantized layers
  kActQ = 8,       // activation Q formats: value name -> fraction bits
  kStructure = 9,  // version 2: per-layer pruning structure (method, stride, N:M, groups)
};
// "GRAPH", "LAYERS", ...; "UNKNOWN" for other values.
const char* section_name(uint32_t type);

// How a layer's mask is stored in the MASKS section and its codes in CODES: the formats and
// the writer's choice among them live in compress/coding/storage.h (the report's byte
// accounting uses the same function, so it states what the file holds).
using MaskFormat = compress::coding::MaskFormat;
using CodeFormat = compress::coding::CodeFormat;
using compress::coding::code_format_name;
using compress::coding::mask_format_name;

// What a file holds, for `sieve inspect` and for reports.
struct SieveSectionInfo {
  uint32_t type = 0;
  std::string name;
  uint64_t offset = 0;  // from the start of the file
  uint64_t bytes = 0;
  uint32_t crc32 = 0;
};
struct SieveLayerInfo {
  std::string weight, node;
  Shape shape;
  std::vector<int64_t> block;
  compress::PruneStructure structure;  // method "" in a version-1 file
  int64_t kept = 0;
  int bits = 0;
  int64_t region_rows = 1, region_cols = 1;
  MaskFormat mask_format = MaskFormat::kDense;
  CodeFormat code_format = CodeFormat::kNone;
  uint64_t mask_bytes = 0, codebook_bytes = 0, code_bytes = 0, value_bytes = 0;
  int index_k = 0;            // relative formats and N:M packed: bits per entry
  int64_t index_entries = 0;  // relative formats: entries, fillers included; N:M: kept
};
struct SieveFileInfo {
  uint16_t version = 0;
  uint64_t file_bytes = 0;
  std::vector<SieveSectionInfo> sections;
  std::vector<SieveLayerInfo> layers;
};

// The file's bytes. Errors: a layer that does not decode (compress::decode_layer's checks),
// a graph without the layer's initializer, an ONNX export failure.
Result<std::string> serialize_sieve(const compress::CompressedModel& model);
// Serialises `model` and writes it atomically to `path`.
Status write_sieve(const compress::CompressedModel& model, const std::string& path);

// Parses a whole file held in memory; `origin` names it in error messages.
Result<compress::CompressedModel> parse_sieve(std::string_view bytes,
                                              const std::string& origin = "<memory>");
Result<compress::CompressedModel> read_sieve(const std::string& path);

// The section table and per-layer byte accounting of a (fully checked) file.
Result<SieveFileInfo> sieve_file_info(std::string_view bytes,
                                      const std::string& origin = "<memory>");
Result<SieveFileInfo> read_sieve_info(const std::string& path);

}  // namespace sieve::io
