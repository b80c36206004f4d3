// The outputs file (docs/formats/outputs.md): byte layout, round trips of i16 and f32 outputs,
// and refusal of truncated, corrupted and malformed files.
#include <gtest/gtest.h>

#include <cstdio>
#include <string>
#include <unistd.h>

#include "sieve/core/atomic_file.h"
#include "sieve/io/outputs/outputs.h"

namespace sieve::io {
namespace {

Tensor i16_outputs() {
  Tensor t(DType::kI16, {3, 2});
  t.set_frac_bits(9);
  const int16_t v[] = {1, -1, 32767, -32768, 0, 258};
  std::copy(v, v + 6, t.data<int16_t>());
  return t;
}

TEST(OutputsFormat, HeaderAndDataBytesFollowTheDocumentedLayout) {
  auto s = serialize_outputs(i16_outputs());
  ASSERT_TRUE(s.ok());
  ASSERT_EQ(s->size(), kOutputsHeaderBytes + 6 * 2 + 4);
  EXPECT_EQ(s->substr(0, 8), "SIEVEOUT");
  EXPECT_EQ((*s)[8], 1);    // version (u32 LE)
  EXPECT_EQ((*s)[12], 1);   // dtype i16
  EXPECT_EQ((*s)[13], 9);   // frac bits
  EXPECT_EQ((*s)[16], 3);   // samples (u64 LE)
  EXPECT_EQ((*s)[24], 2);   // width
  EXPECT_EQ(static_cast<uint8_t>((*s)[32]), 0x01);  // 1
  EXPECT_EQ(static_cast<uint8_t>((*s)[34]), 0xff);  // -1 = 0xffff
  EXPECT_EQ(static_cast<uint8_t>((*s)[42]), 0x02);  // 258 = 0x0102, low byte first
  EXPECT_EQ(static_cast<uint8_t>((*s)[43]), 0x01);
}

TEST(OutputsFormat, I16AndF32RoundTripThroughAFile) {
  const std::string path = ::testing::TempDir() + "/outputs_rt_" + std::to_string(getpid());
  const Tensor a = i16_outputs();
  ASSERT_TRUE(write_outputs(path, a).ok());
  auto back = read_outputs(path);
  ASSERT_TRUE(back.ok()) << back.status().to_string();
  EXPECT_EQ(back->dtype(), DType::kI16);
  EXPECT_EQ(back->frac_bits(), 9);
  EXPECT_EQ(back->shape(), (Shape{3, 2}));
  for (int i = 0; i < 6; ++i) EXPECT_EQ(back->data<int16_t>()[i], a.data<int16_t>()[i]);

  const Tensor f = Tensor::from_f32({2, 1, 3}, {0.5f, -1e-30f, 3.25f, 1e30f, -0.0f, 7.0f});
  ASSERT_TRUE(write_outputs(path, f).ok());
  auto fb = read_outputs(path);
  ASSERT_TRUE(fb.ok());
  EXPECT_EQ(fb->shape(), (Shape{2, 3}));  // rows flattened to the width
  for (int i = 0; i < 6; ++i) EXPECT_EQ(fb->data<float>()[i], f.data<float>()[i]);
  std::remove(path.c_str());
}

TEST(OutputsFormat, EmptyBatchRoundTrips) {
  auto s = serialize_outputs(Tensor(DType::kF32, {0, 10}));
  ASSERT_TRUE(s.ok());
  auto t = parse_outputs(*s, "mem");
  ASSERT_TRUE(t.ok());
  EXPECT_EQ(t->dim(0), 0);
}

TEST(OutputsFormat, RefusesTruncatedCorruptedAndMalformedFiles) {
  auto s = serialize_outputs(i16_outputs());
  ASSERT_TRUE(s.ok());
  // Truncated anywhere.
  for (size_t n : {size_t{0}, size_t{10}, size_t{35}, s->size() - 1}) {
    auto r = parse_outputs(s->substr(0, n), "f.out");
    ASSERT_FALSE(r.ok()) << n;
    EXPECT_EQ(r.status().code(), StatusCode::kDataLoss);
    EXPECT_NE(r.status().message().find("f.out"), std::string::npos);
  }
  // Any flipped byte is caught (magic, version, dtype, sizes, data or the CRC itself).
  for (size_t i = 0; i < s->size(); ++i) {
    std::string bad = *s;
    bad[i] = static_cast<char>(bad[i] ^ 0x40);
    EXPECT_FALSE(parse_outputs(bad, "f.out").ok()) << "byte " << i;
  }
  // Trailing bytes.
  EXPECT_FALSE(parse_outputs(*s + "x", "f.out").ok());
  // Unsupported dtypes are refused on write.
  EXPECT_FALSE(serialize_outputs(Tensor(DType::kI32, {1, 1})).ok());
  EXPECT_FALSE(serialize_outputs(Tensor()).ok());
}

}  // namespace
}  // namespace sieve::io
