// Fuzz target: the .sieve container reader (io/container/container.h), as `sieve inspect
// m.sieve` uses it: the section table and layer accounting (sieve_file_info), the model with
// every layer decoded (parse_sieve), the graph checked (ir::verify) and printed (ir::dump),
// and the model serialised again.
//
// Every section CRC and the table CRC are made to match before parsing (docs/formats/
// container.md), since a mutated file would almost never get past them; the bytes as given
// are parsed too, for the checksum paths.
#include <zlib.h>

#include <cstring>

#include "fuzz/fuzz.h"
#include "sieve/core/assert.h"
#include "sieve/io/container/container.h"
#include "sieve/ir/dump.h"
#include "sieve/ir/shape_inference.h"

namespace sieve::fuzz {
namespace {

uint64_t get_le(const std::string& s, size_t at, int bytes) {
  uint64_t v = 0;
  for (int i = bytes - 1; i >= 0; --i) v = (v << 8) | static_cast<uint8_t>(s[at + i]);
  return v;
}
void put_u32(std::string& s, size_t at, uint32_t v) {
  for (int i = 0; i < 4; ++i) s[at + i] = static_cast<char>((v >> (8 * i)) & 0xff);
}
uint32_t crc_of(const std::string& s, size_t at, size_t n) {
  return static_cast<uint32_t>(
      crc32(0L, reinterpret_cast<const Bytef*>(s.data() + at), static_cast<uInt>(n)));
}

// The file with every CRC that can be located recomputed.
std::string fix_crcs(std::string s) {
  if (s.size() < 16) return s;
  const uint64_t n = get_le(s, 8, 4);
  if (n < 1 || n > 64 || s.size() < 16 + 24 * n + 4) return s;
  for (uint64_t i = 0; i < n; ++i) {
    const size_t e = 16 + 24 * i;
    const uint64_t off = get_le(s, e + 8, 8), len = get_le(s, e + 16, 8);
    if (off <= s.size() && len <= s.size() - off) put_u32(s, e + 4, crc_of(s, off, len));
  }
  put_u32(s, 16 + 24 * n, crc_of(s, 0, 16 + 24 * n));
  return s;
}

}  // namespace

Status container(std::string_view input) {
  const std::string origin = "fuzz.sieve";
  const std::string fixed = fix_crcs(std::string(input));
  if (fixed != input) (void)io::parse_sieve(input, origin);
  Result<io::SieveFileInfo> info = io::sieve_file_info(fixed, origin);
  Result<compress::CompressedModel> model = io::parse_sieve(fixed, origin);
  if (!model.ok()) return model.status();
  // inspect describes a file before loading it: a file that loads must be describable.
  SIEVE_ASSERT(info.ok(), "{}", info.status().to_string());
  ir::Graph& g = model.value().graph;
  // As inspect does: an open batch dimension is counted at batch 1.
  for (ir::Node& n : g.nodes) {
    if (n.op != ir::OpKind::kInput) continue;
    std::vector<int64_t> shape = n.attr_ints("shape");
    if (!shape.empty() && shape[0] < 0) {
      shape[0] = 1;
      n.attrs["shape"] = shape;
    }
  }
  (void)ir::verify(g);
  (void)ir::dump(g);
  // Writing it again exercises the encoders and the ONNX export on what the reader accepted.
  // Only for small models: the writer visits every weight (choosing an index format, building
  // Huffman codes), 0.2-1 s for LeNet-5 (431k weights) in the instrumented build, near the
  // 1 s hang limit and 50x the cost of everything else. Bounded by the weights rather than
  // the bytes (a 24 KB file holds 431k weights): the tiny-MLP seeds (672 weights) and their
  // mutants take this path in every layer form (docs/fuzzing.md, "Throughput").
  constexpr int64_t kMaxReserializeWeights = int64_t{1} << 16;
  int64_t weights = 0;
  for (const compress::CompressedLayer& l : model.value().layers) weights += l.numel();
  if (weights <= kMaxReserializeWeights) (void)io::serialize_sieve(model.value());
  return ok_status();
}

}  // namespace sieve::fuzz

SIEVE_FUZZ_ENTRY(container)
