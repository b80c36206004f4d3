#include "sieve/compress/model.h"

#include <gtest/gtest.h>

namespace sieve::compress {
namespace {

CompressedLayer make_layer() {
  CompressedLayer l;
  l.weight = "fc.weight";
  l.shape = {4, 6};
  l.block = {2, 2};
  l.mask = Tensor(DType::kU8, l.shape);
  // Keep the 2x2 blocks at (rows 0-1, cols 0-1) and (rows 2-3, cols 4-5).
  for (int64_t r = 0; r < 4; ++r) {
    for (int64_t c = 0; c < 6; ++c) {
      bool keep = (r < 2 && c < 2) || (r >= 2 && c >= 4);
      l.mask.data<uint8_t>()[r * 6 + c] = keep ? 1 : 0;
    }
  }
  return l;
}

TEST(CompressedModel, RegionsSplitRowsAndColsEvenly) {
  CompressedLayer l;
  l.shape = {5, 7};
  l.region_rows = 2;
  l.region_cols = 3;
  // rows: {0,1,2} {3,4}; cols: {0,1,2} {3,4} {5,6}
  EXPECT_EQ(l.region_of(0, 0), 0);
  EXPECT_EQ(l.region_of(2, 2), 0);
  EXPECT_EQ(l.region_of(2, 3), 1);
  EXPECT_EQ(l.region_of(3, 0), 3);
  EXPECT_EQ(l.region_of(4, 6), 5);
}

TEST(CompressedModel, DecodeUnquantizedValues) {
  CompressedLayer l = make_layer();
  l.values = {1, 2, 3, 4, 5, 6, 7, 8};
  EXPECT_EQ(l.kept(), 8);
  Result<Tensor> w = decode_layer(l);
  ASSERT_TRUE(w.ok()) << w.status().to_string();
  const float* p = w->data<float>();
  EXPECT_EQ(p[0], 1);
  EXPECT_EQ(p[1], 2);
  EXPECT_EQ(p[2], 0);
  EXPECT_EQ(p[6], 3);
  EXPECT_EQ(p[2 * 6 + 4], 5);
  EXPECT_EQ(p[3 * 6 + 5], 8);
}

TEST(CompressedModel, DecodeCodesThroughRegionCodebooks) {
  CompressedLayer l = make_layer();
  l.bits = 1;
  l.region_rows = 1;
  l.region_cols = 2;  // cols 0-2 -> region 0, cols 3-5 -> region 1
  l.codebooks = {{-1.0f, 1.0f}, {10.0f, 20.0f}};
  l.codes = {0, 1, 1, 0, 0, 1, 1, 1};
  Result<Tensor> w = decode_layer(l);
  ASSERT_TRUE(w.ok()) << w.status().to_string();
  const float* p = w->data<float>();
  EXPECT_EQ(p[0], -1.0f);
  EXPECT_EQ(p[1], 1.0f);
  EXPECT_EQ(p[2 * 6 + 4], 10.0f);
  EXPECT_EQ(p[3 * 6 + 5], 20.0f);
}

TEST(CompressedModel, DecodeRejectsBadCodes) {
  CompressedLayer l = make_layer();
  l.bits = 1;
  l.codebooks = {{0.5f}};
  l.codes = {0, 0, 0, 1, 0, 0, 0, 0};
  Result<Tensor> w = decode_layer(l);
  ASSERT_FALSE(w.ok());
  EXPECT_NE(w.status().message().find("code 1"), std::string::npos) << w.status().message();
  l.codes.pop_back();
  EXPECT_FALSE(decode_layer(l).ok());
}

}  // namespace
}  // namespace sieve::compress
