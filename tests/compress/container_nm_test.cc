// The N:M packed mask format (mask_format 8, compress/coding/nm.h): a 2:4 (and 1:3) layer is
// stored as its kept offsets, 2 bits each, and reads back bit-identical; a corrupted stream is
// refused naming the group; bad n:m requests are refused with the values.
#include <gtest/gtest.h>
#include <zlib.h>

#include <string>

#include "compress/container_test_util.h"
#include "sieve/compress/coding/nm.h"
#include "sieve/compress/prune/prune.h"
#include "sieve/compress/quant/quantize.h"
#include "sieve/io/container/container.h"

namespace sieve {
namespace {

uint64_t le(const std::string& s, size_t at, int n) {
  uint64_t v = 0;
  for (int i = 0; i < n; ++i)
    v |= static_cast<uint64_t>(static_cast<uint8_t>(s[at + i])) << (8 * i);
  return v;
}
void put(std::string& s, size_t at, uint64_t v, int n) {
  for (int i = 0; i < n; ++i) s[at + i] = static_cast<char>((v >> (8 * i)) & 0xff);
}
uint32_t crc(std::string_view s) {
  return static_cast<uint32_t>(
      crc32(0L, reinterpret_cast<const Bytef*>(s.data()), static_cast<uInt>(s.size())));
}
void fix_crcs(std::string& s) {
  const uint32_t n = static_cast<uint32_t>(le(s, 8, 4));
  for (uint32_t i = 0; i < n; ++i) {
    const size_t e = 16 + 24 * i;
    put(s, e + 4, crc(std::string_view(s).substr(le(s, e + 8, 8), le(s, e + 16, 8))), 4);
  }
  put(s, 16 + 24 * n, crc(std::string_view(s).substr(0, 16 + 24 * n)), 4);
}
// Offset of the section of `type` (the table's entry).
size_t section_offset(const std::string& s, uint32_t type) {
  const uint32_t n = static_cast<uint32_t>(le(s, 8, 4));
  for (uint32_t i = 0; i < n; ++i)
    if (le(s, 16 + 24 * i, 4) == type) return le(s, 16 + 24 * i + 8, 8);
  return 0;
}

// The tiny network (container_test::tiny_graph): conv dense, fc1 n:m, fc2 dense.
compress::CompressedModel nm_model(int64_t n, int64_t m) {
  compress::CompressedModel model;
  model.graph = container_test::tiny_graph();
  for (const auto& [node, weight] : container_test::weight_layers(model.graph)) {
    compress::CompressedLayer l;
    l.node = node;
    l.weight = weight;
    const Tensor& w = model.graph.initializers.at(weight);
    l.shape = w.shape();
    compress::PruneSpec spec;
    spec.method = weight == "fc1.weight" ? "nm" : "none";
    spec.n = n;
    spec.m = m;
    l.block = compress::structure_block(spec, l.shape);
    l.structure = compress::prune_structure(spec, l.shape);
    if (spec.method != "none") {
      Result<Tensor> mask = compress::prune(w, Tensor(), spec, weight);
      EXPECT_TRUE(mask.ok()) << mask.status().to_string();
      l.mask = *mask;
    }
    EXPECT_TRUE(compress::quant::store_unquantized(l, w).ok());
    model.layers.push_back(std::move(l));
  }
  EXPECT_TRUE(compress::decode(model).ok());
  return model;
}

TEST(ContainerNm, TwoFourRoundTripsAsPackedTwoBitIndices) {
  for (auto [n, m] : {std::pair<int64_t, int64_t>{2, 4}, {1, 3}, {4, 8}}) {
    SCOPED_TRACE(fmt::format("{}:{}", n, m));
    const compress::CompressedModel model = nm_model(n, m);
    Result<std::string> bytes = io::serialize_sieve(model);
    ASSERT_TRUE(bytes.ok()) << bytes.status().to_string();
    Result<io::SieveFileInfo> info = io::sieve_file_info(*bytes, "m.sieve");
    ASSERT_TRUE(info.ok()) << info.status().to_string();
    const io::SieveLayerInfo& fc1 = info->layers[1];
    ASSERT_EQ(fc1.weight, "fc1.weight");
    const int b = compress::coding::nm_index_bits(m);
    EXPECT_EQ(b, m == 8 ? 3 : 2);
    const int64_t kept = shape_numel(model.layers[1].shape) / m * n;
    if (m == 3) {  // 256 input channels: m = 3 does not divide them, so no N:M format
      EXPECT_NE(fc1.mask_format, io::MaskFormat::kNm);
    } else {
      EXPECT_EQ(fc1.kept, kept);
    }
    // 2:4 is as large as the bitmask (4 bits a group) and stored N:M; 4:8 (12 bits a group
    // against 8) is larger than the bitmask, which stays; 1:3 cannot use it (3 does not divide the
    // 256 channels).
    if (m == 4) {
      EXPECT_EQ(fc1.mask_format, io::MaskFormat::kNm);
      EXPECT_EQ(fc1.index_k, b);
      EXPECT_EQ(fc1.index_entries, kept);
      EXPECT_EQ(fc1.mask_bytes, static_cast<uint64_t>((kept * b + 7) / 8));
    } else if (m == 8) {
      EXPECT_EQ(fc1.mask_format, io::MaskFormat::kBitmask);
    }
    Result<compress::CompressedModel> back = io::parse_sieve(*bytes, "m.sieve");
    ASSERT_TRUE(back.ok()) << back.status().to_string();
    for (size_t i = 0; i < model.layers.size(); ++i)
      container_test::expect_layers_identical(model.layers[i], back->layers[i]);
    Result<std::string> again = io::serialize_sieve(*back);
    ASSERT_TRUE(again.ok());
    EXPECT_EQ(*again, *bytes);
  }
}

// The first group's two offsets set equal (0, 0): the reader refuses it, naming the group.
TEST(ContainerNm, CorruptedIndexIsRefusedNamingTheGroup) {
  Result<std::string> bytes = io::serialize_sieve(nm_model(2, 4));
  ASSERT_TRUE(bytes.ok());
  std::string s = *bytes;
  const size_t masks = section_offset(s, 4);
  ASSERT_GT(masks, 0u);
  s[masks] = 0;  // entries 0 and 1 of fc1: offsets 0, 0
  fix_crcs(s);
  Result<compress::CompressedModel> back = io::parse_sieve(s, "m.sieve");
  ASSERT_FALSE(back.ok());
  const std::string msg = back.status().message();
  EXPECT_NE(msg.find("fc1.weight"), std::string::npos) << msg;
  EXPECT_NE(msg.find("row 0, position 0, channels 0..3: entry 1 = 0"), std::string::npos) << msg;
  // A CRC mismatch is caught first when the checksums are left alone.
  std::string t = *bytes;
  t[masks] = 0;
  EXPECT_FALSE(io::parse_sieve(t, "m.sieve").ok());
}

TEST(NmIndex, BadNmIsRefused) {
  const Shape shape = {4, 10};
  Result<compress::coding::NmIndex> e = compress::coding::encode_nm(Tensor(), shape, 5, 4);
  ASSERT_FALSE(e.ok());
  EXPECT_NE(e.status().message().find("n:m = 5:4: n exceeds m"), std::string::npos);
  e = compress::coding::encode_nm(Tensor(), shape, 2, 4);
  ASSERT_FALSE(e.ok());
  EXPECT_NE(e.status().message().find("m = 4 does not divide the 10 input channels"),
            std::string::npos)
      << e.status().message();
  // A group keeping 3 of 4 is not 2:4.
  Tensor mask(DType::kU8, {1, 4});
  for (int i = 0; i < 4; ++i) mask.data<uint8_t>()[i] = i < 3;
  e = compress::coding::encode_nm(mask, {1, 4}, 2, 4);
  ASSERT_FALSE(e.ok());
  EXPECT_NE(e.status().message().find("keep 3 weights, n:m = 2:4 needs exactly 2"),
            std::string::npos);
  EXPECT_FALSE(compress::coding::decode_nm("", 0, {4, 10}, 2, 4).ok());
}

// Offsets in a group are LSB first, increasing: the mask 0110 is entries 1, 2 = bits 10 01 →
// byte 0b1001.
TEST(NmIndex, LayoutIsAsDocumented) {
  Tensor mask(DType::kU8, {1, 4});
  const uint8_t bits[] = {0, 1, 1, 0};
  for (int i = 0; i < 4; ++i) mask.data<uint8_t>()[i] = bits[i];
  Result<compress::coding::NmIndex> e = compress::coding::encode_nm(mask, {1, 4}, 2, 4);
  ASSERT_TRUE(e.ok()) << e.status().to_string();
  EXPECT_EQ(e->bits, 4u);
  ASSERT_EQ(e->bytes.size(), 1u);
  EXPECT_EQ(static_cast<uint8_t>(e->bytes[0]), 0b1001);
  Result<Tensor> back = compress::coding::decode_nm(e->bytes, e->bits, {1, 4}, 2, 4);
  ASSERT_TRUE(back.ok());
  for (int i = 0; i < 4; ++i) EXPECT_EQ(back->data<uint8_t>()[i], bits[i]);
}

}  // namespace
}  // namespace sieve
