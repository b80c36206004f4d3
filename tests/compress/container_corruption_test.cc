#include <fmt/format.h>
#include <gtest/gtest.h>
#include <zlib.h>

#include "compress/container_test_util.h"
#include "sieve/io/container/container.h"

namespace sieve {
namespace {

using container_test::Form;

const std::string& sample_file() {
  static const std::string bytes = [] {
    compress::CompressedModel m = container_test::make_model(
        "lenet5",
        {Form::kDenseValues, Form::kBlockQuantGlobal, Form::kFineQuantLocal, Form::kBlockValues});
    m.activation_frac_bits = {{"conv1", 10}, {"fc1", 7}};
    auto b = io::serialize_sieve(m);
    EXPECT_TRUE(b.ok()) << b.status().to_string();
    return b.ok() ? *b : std::string();
  }();
  return bytes;
}

uint32_t le32(const std::string& s, size_t at) {
  uint32_t v = 0;
  for (int i = 0; i < 4; ++i)
    v |= static_cast<uint32_t>(static_cast<uint8_t>(s[at + i])) << (8 * i);
  return v;
}
void put32(std::string& s, size_t at, uint32_t v) {
  for (int i = 0; i < 4; ++i) s[at + i] = static_cast<char>((v >> (8 * i)) & 0xff);
}
uint32_t crc(std::string_view s) {
  return static_cast<uint32_t>(
      crc32(0L, reinterpret_cast<const Bytef*>(s.data()), static_cast<uInt>(s.size())));
}

// Recomputes every section CRC and the table CRC (to get past the checksums).
void fix_crcs(std::string& s) {
  const uint32_t n = le32(s, 8);
  for (uint32_t i = 0; i < n; ++i) {
    const size_t e = 16 + 24 * i;
    uint64_t off = 0, len = 0;
    for (int b = 0; b < 8; ++b) {
      off |= static_cast<uint64_t>(static_cast<uint8_t>(s[e + 8 + b])) << (8 * b);
      len |= static_cast<uint64_t>(static_cast<uint8_t>(s[e + 16 + b])) << (8 * b);
    }
    put32(s, e + 4, crc(std::string_view(s).substr(off, len)));
  }
  put32(s, 16 + 24 * n, crc(std::string_view(s).substr(0, 16 + 24 * n)));
}

TEST(ContainerCorruption, SampleFileParses) {
  ASSERT_FALSE(sample_file().empty());
  auto m = io::parse_sieve(sample_file(), "m.sieve");
  ASSERT_TRUE(m.ok()) << m.status().to_string();
  EXPECT_EQ(m->layers.size(), 4u);
}

TEST(ContainerCorruption, FlippedByteInEachSectionNamesTheSection) {
  const std::string& good = sample_file();
  auto info = io::sieve_file_info(good);
  ASSERT_TRUE(info.ok()) << info.status().to_string();
  int checked = 0;
  for (const io::SieveSectionInfo& s : info->sections) {
    if (s.bytes == 0) continue;
    for (uint64_t at : {s.offset, s.offset + s.bytes / 2, s.offset + s.bytes - 1}) {
      std::string bad = good;
      bad[at] = static_cast<char>(bad[at] ^ 0x20);
      auto r = io::parse_sieve(bad, "m.sieve");
      ASSERT_FALSE(r.ok()) << "flip at " << at << " in " << s.name;
      EXPECT_EQ(r.status().code(), StatusCode::kDataLoss);
      const std::string& msg = r.status().message();
      EXPECT_NE(msg.find("m.sieve"), std::string::npos) << msg;
      EXPECT_NE(msg.find("section " + s.name), std::string::npos) << msg;
      EXPECT_NE(msg.find("CRC32"), std::string::npos) << msg;
      ++checked;
    }
  }
  EXPECT_GE(checked, 8 * 3 - 6);  // every non-empty section, three places each
}

TEST(ContainerCorruption, FlippedByteInTheSectionTable) {
  const std::string& good = sample_file();
  for (size_t at : {size_t{8}, size_t{16}, size_t{16 + 24 * 3 + 9}, size_t{16 + 24 * 8}}) {
    std::string bad = good;
    bad[at] = static_cast<char>(bad[at] ^ 0x01);
    auto r = io::parse_sieve(bad, "m.sieve");
    ASSERT_FALSE(r.ok()) << at;
    EXPECT_NE(r.status().message().find("section table"), std::string::npos)
        << r.status().message();
  }
}

TEST(ContainerCorruption, WrongMagicAndVersion) {
  std::string bad = sample_file();
  bad[0] = 'X';
  auto r = io::parse_sieve(bad, "m.sieve");
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("not a .sieve file"), std::string::npos);
  // A newer (or zero) version is refused naming the file, the field and the value.
  for (uint8_t v : {uint8_t{3}, uint8_t{0}, uint8_t{255}}) {
    bad = sample_file();
    bad[6] = static_cast<char>(v);
    r = io::parse_sieve(bad, "m.sieve");
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.status().message(),
              fmt::format("m.sieve: format version {} is not supported (header field 'version' at "
                          "offset 6 = {}; this build reads versions 1 to 2)",
                          v, v));
  }
  r = io::parse_sieve("", "m.sieve");
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("truncated header"), std::string::npos);
  r = io::parse_sieve(std::string("ONNX\0\0", 6), "m.sieve");
  ASSERT_FALSE(r.ok());
}

TEST(ContainerCorruption, TruncationAtManyOffsetsIsRefused) {
  const std::string& good = sample_file();
  auto info = io::sieve_file_info(good);
  ASSERT_TRUE(info.ok());
  std::vector<size_t> cuts;
  for (size_t n = 0; n < 300; ++n) cuts.push_back(n);  // header and table, byte by byte
  for (size_t n = 300; n < good.size(); n += good.size() / 997 + 1) cuts.push_back(n);
  for (const io::SieveSectionInfo& s : info->sections) {
    cuts.push_back(s.offset + 1);
    cuts.push_back(s.offset + s.bytes - 1);
  }
  cuts.push_back(good.size() - 1);
  for (size_t n : cuts) {
    if (n >= good.size()) continue;
    auto r = io::parse_sieve(std::string_view(good).substr(0, n), "m.sieve");
    ASSERT_FALSE(r.ok()) << "cut at " << n;
    EXPECT_EQ(r.status().code(), StatusCode::kDataLoss) << r.status().to_string();
    EXPECT_NE(r.status().message().find("m.sieve"), std::string::npos);
  }
  // Cut inside a section: the message names it and says truncated.
  const io::SieveSectionInfo& codes = info->sections[5];
  ASSERT_EQ(codes.name, "CODES");
  auto r =
      io::parse_sieve(std::string_view(good).substr(0, codes.offset + codes.bytes / 2), "m.sieve");
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("section CODES"), std::string::npos) << r.status().message();
  EXPECT_NE(r.status().message().find("truncated"), std::string::npos);
  // Trailing garbage is refused as well.
  r = io::parse_sieve(good + "x", "m.sieve");
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("after the last section"), std::string::npos);
}

TEST(ContainerCorruption, ChecksumValidGarbageInTheLayerTableNeverCrashes) {
  // Past the CRCs the parser must still check every field and stream: change bytes of every
  // section but GRAPH, fix the checksums, and parse. Any outcome but a crash is acceptable;
  // most are refused naming the file.
  compress::CompressedModel tiny = container_test::make_model(
      container_test::tiny_graph(),
      {Form::kFineQuantLocal, Form::kBlockQuantGlobal, Form::kNonUniformBlock});
  tiny.activation_frac_bits = {{"conv", 10}, {"fc1", 7}};
  auto tiny_bytes = io::serialize_sieve(tiny);
  ASSERT_TRUE(tiny_bytes.ok()) << tiny_bytes.status().to_string();
  ASSERT_TRUE(io::parse_sieve(*tiny_bytes).ok());
  const std::string& good = *tiny_bytes;
  auto info = io::sieve_file_info(good);
  ASSERT_TRUE(info.ok());
  int refused = 0, tried = 0;
  for (const io::SieveSectionInfo& s : info->sections) {
    if (s.name == "GRAPH") continue;  // protobuf parsing is libprotobuf's business
    // Every byte of the small sections, 3 patterns; 40 places in the payload sections, one
    // pattern (a flip there often parses: a changed value is still a valid value).
    const bool small = s.name == "LAYERS" || s.name == "META" || s.name == "ACTQ";
    const uint64_t step = small ? 1 : s.bytes / 40 + 1;
    for (uint64_t at = s.offset; at < s.offset + s.bytes; at += step) {
      for (uint8_t x : {uint8_t{0xff}, uint8_t{0x01}, uint8_t{0x80}}) {
        if (!small && x != 0xff) continue;
        std::string bad = good;
        bad[at] = static_cast<char>(static_cast<uint8_t>(bad[at]) ^ x);
        fix_crcs(bad);
        auto r = io::parse_sieve(bad, "m.sieve");
        ++tried;
        if (!r.ok()) {
          ++refused;
          EXPECT_NE(r.status().message().find("m.sieve"), std::string::npos)
              << r.status().message();
        }
      }
    }
  }
  EXPECT_GT(tried, 100);
  EXPECT_GT(refused, tried / 3);
}

}  // namespace
}  // namespace sieve
