// The .sieve reader against hand-made bad files (issue 8): reserved fields, META order,
// non-finite centroids, shapes whose element count overflows, and declared sizes the file
// cannot hold. Each file is a valid one with a field patched and the checksums fixed.
#include <gtest/gtest.h>
#include <zlib.h>

#include <bit>
#include <limits>

#include "compress/container_test_util.h"
#include "sieve/io/container/container.h"

namespace sieve {
namespace {

using container_test::Form;

uint64_t le(const std::string& s, size_t at, int n) {
  uint64_t v = 0;
  for (int i = 0; i < n; ++i) v |= static_cast<uint64_t>(static_cast<uint8_t>(s[at + i])) << (8 * i);
  return v;
}
void put(std::string& s, size_t at, uint64_t v, int n) {
  for (int i = 0; i < n; ++i) s[at + i] = static_cast<char>((v >> (8 * i)) & 0xff);
}
uint32_t crc(std::string_view s) {
  return static_cast<uint32_t>(
      crc32(0L, reinterpret_cast<const Bytef*>(s.data()), static_cast<uInt>(s.size())));
}
// Recomputes every section CRC and the table CRC.
void fix_crcs(std::string& s) {
  const uint32_t n = static_cast<uint32_t>(le(s, 8, 4));
  for (uint32_t i = 0; i < n; ++i) {
    const size_t e = 16 + 24 * i;
    put(s, e + 4, crc(std::string_view(s).substr(le(s, e + 8, 8), le(s, e + 16, 8))), 4);
  }
  put(s, 16 + 24 * n, crc(std::string_view(s).substr(0, 16 + 24 * n)), 4);
}

// The tiny model with a block-mask layer (conv), a locally quantized one and a bitmask one.
std::string tiny_file(const std::map<std::string, std::string>& meta = {}) {
  compress::CompressedModel m = container_test::make_model(
      container_test::tiny_graph(),
      {Form::kBlockQuantGlobal, Form::kFineQuantLocal, Form::kNonUniformBlock});
  if (!meta.empty()) m.metadata = meta;
  auto b = io::serialize_sieve(m);
  EXPECT_TRUE(b.ok()) << b.status().to_string();
  EXPECT_TRUE(io::parse_sieve(*b, "m.sieve").ok());
  return b.ok() ? *b : std::string();
}

uint64_t section_offset(const std::string& bytes, const char* name) {
  auto info = io::sieve_file_info(bytes);
  EXPECT_TRUE(info.ok());
  for (const auto& s : info->sections) {
    if (s.name == std::string(name)) return s.offset;
  }
  ADD_FAILURE() << "no section " << name;
  return 0;
}

// Offsets of the first layer record's shape and block in LAYERS (docs/formats/container.md).
struct RecordAt {
  size_t rank_at, shape_at, block_at;
  int rank;
};
RecordAt first_record(const std::string& s) {
  size_t p = section_offset(s, "LAYERS") + 4;  // u32 layer_count
  p += 4 + le(s, p, 4);                        // str node
  p += 4 + le(s, p, 4);                        // str weight
  RecordAt r{};
  r.rank_at = p;
  r.rank = static_cast<int>(le(s, p, 1));
  r.shape_at = p + 1;
  r.block_at = r.shape_at + 8 * r.rank + 1;  // after u8 block_rank
  return r;
}

io::SieveLayerInfo first_layer(const std::string& s) {
  auto info = io::sieve_file_info(s);
  EXPECT_TRUE(info.ok());
  return info->layers.at(0);
}

TEST(ContainerBadInput, NonZeroReservedHeaderFieldIsRefused) {
  std::string bad = tiny_file();
  put(bad, 12, 7, 4);
  fix_crcs(bad);
  auto r = io::parse_sieve(bad, "m.sieve");
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("m.sieve: header field reserved (offset 12) = 7, must be 0"),
            std::string::npos)
      << r.status().message();
}

TEST(ContainerBadInput, NonZeroReservedLayerFieldIsRefused) {
  std::string bad = tiny_file();
  const RecordAt rec = first_record(bad);
  ASSERT_EQ(first_layer(bad).block.size(), static_cast<size_t>(rec.rank));
  // block, then bits, mask_format, code_format, reserved.
  const size_t reserved_at = rec.block_at + 8 * rec.rank + 3;
  ASSERT_EQ(le(bad, reserved_at, 1), 0u);
  put(bad, reserved_at, 9, 1);
  fix_crcs(bad);
  auto r = io::parse_sieve(bad, "m.sieve");
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("section LAYERS"), std::string::npos);
  EXPECT_NE(r.status().message().find("reserved = 9 (must be 0)"), std::string::npos)
      << r.status().message();
}

TEST(ContainerBadInput, UnsortedMetaKeysAreRefused) {
  // Keys "a", "b" with one-byte values: swapping the key bytes keeps every length.
  std::string bad = tiny_file({{"a", "1"}, {"b", "2"}});
  const uint64_t meta = section_offset(bad, "META");
  ASSERT_EQ(bad.substr(meta + 4, 10), std::string("\1\0\0\0a\1\0\0\0" "1", 10));
  bad[meta + 8] = 'b';
  bad[meta + 8 + 10] = 'a';
  fix_crcs(bad);
  auto r = io::parse_sieve(bad, "m.sieve");
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("m.sieve: section META"), std::string::npos);
  EXPECT_NE(r.status().message().find("key 1 'a' is not after key 0 'b' (keys must be sorted)"),
            std::string::npos)
      << r.status().message();
}

TEST(ContainerBadInput, NonFiniteCentroidsAreRefused) {
  for (float v : {std::numeric_limits<float>::quiet_NaN(), std::numeric_limits<float>::infinity()}) {
    std::string bad = tiny_file();
    put(bad, section_offset(bad, "CODEBOOKS"), std::bit_cast<uint32_t>(v), 4);
    fix_crcs(bad);
    auto r = io::parse_sieve(bad, "m.sieve");
    ASSERT_FALSE(r.ok()) << v;
    EXPECT_NE(r.status().message().find("m.sieve: section CODEBOOKS: layer 0"), std::string::npos)
        << r.status().message();
    EXPECT_NE(r.status().message().find("codebook 0 entry 0 = "), std::string::npos)
        << r.status().message();
    EXPECT_NE(r.status().message().find("(centroids must be finite)"), std::string::npos);
  }
}

TEST(ContainerBadInput, ShapeWhoseElementCountOverflowsIsRefused) {
  // [2^32, 2^31]: the product is 2^63; the check divides instead of multiplying.
  std::string bad = tiny_file();
  const RecordAt rec = first_record(bad);
  ASSERT_GE(rec.rank, 2);
  put(bad, rec.shape_at, uint64_t{1} << 32, 8);
  put(bad, rec.shape_at + 8, uint64_t{1} << 31, 8);
  fix_crcs(bad);
  auto r = io::sieve_file_info(bad, "m.sieve");
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("shape dimension 1 = 2147483648 invalid"), std::string::npos)
      << r.status().message();
}

TEST(ContainerBadInput, DeclaredElementsBeyondWhatTheFileHoldsAreRefusedBeforeAllocating) {
  // The block-mask layer, stretched: shape[0] and block[0] times 2^22, so the block count,
  // the mask and the codes stay the same size and every stream check still passes, while
  // the layer now declares about 2^28 elements (a 1 GiB f32 weight) in a file of a few KB.
  std::string bad = tiny_file();
  const io::SieveLayerInfo l = first_layer(bad);
  ASSERT_EQ(l.mask_format, io::MaskFormat::kBlockBitmask);
  const RecordAt rec = first_record(bad);
  const uint64_t k = uint64_t{1} << 22;
  put(bad, rec.shape_at, le(bad, rec.shape_at, 8) * k, 8);
  put(bad, rec.block_at, le(bad, rec.block_at, 8) * k, 8);
  fix_crcs(bad);
  for (bool model : {false, true}) {
    Status st = model ? io::parse_sieve(bad, "m.sieve").status()
                      : io::sieve_file_info(bad, "m.sieve").status();
    ASSERT_FALSE(st.ok());
    EXPECT_NE(st.message().find("m.sieve: section LAYERS: the layers declare"), std::string::npos)
        << st.message();
    EXPECT_NE(st.message().find(fmt::format("more than a file of {} bytes may", bad.size())),
              std::string::npos)
        << st.message();
  }
}

}  // namespace
}  // namespace sieve
