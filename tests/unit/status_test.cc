#include "sieve/core/status.h"

#include <gtest/gtest.h>

#include "sieve/core/tensor.h"

namespace sieve {
namespace {

Result<int> parse_positive(int v) {
  if (v <= 0) return invalid_argument("field 'blocks': value {} is not positive", v);
  return v;
}

Result<int> doubled(int v) {
  SIEVE_ASSIGN_OR_RETURN(int x, parse_positive(v));
  return 2 * x;
}

TEST(Status, ErrorCarriesCodeAndMessage) {
  Result<int> r = doubled(-3);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(r.status().to_string(), "invalid argument: field 'blocks': value -3 is not positive");
}

TEST(Status, ValuePassesThrough) {
  Result<int> r = doubled(4);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(*r, 8);
}

TEST(Status, WithContextPrefixes) {
  Status s = data_loss("truncated").with_context("reading m.onnx");
  EXPECT_EQ(s.message(), "reading m.onnx: truncated");
  EXPECT_TRUE(ok_status().with_context("x").ok());
}

TEST(Tensor, ShapeNumelAndConversion) {
  Tensor t(DType::kI16, {2, 3});
  EXPECT_EQ(t.numel(), 6);
  EXPECT_EQ(t.nbytes(), 12u);
  t.set_frac_bits(8);
  t.data<int16_t>()[1] = 384;  // 1.5 in Q7.8
  Tensor f = t.to_f32();
  EXPECT_FLOAT_EQ(f.data<float>()[1], 1.5f);
  EXPECT_EQ(reinterpret_cast<uintptr_t>(t.raw()) % 64, 0u);
}

TEST(Tensor, ReshapeSharesCloneCopies) {
  Tensor a = Tensor::from_f32({2, 2}, {1, 2, 3, 4});
  Tensor b = a.reshaped({4});
  Tensor c = a.clone();
  a.data<float>()[0] = 9;
  EXPECT_EQ(b.data<float>()[0], 9);
  EXPECT_EQ(c.data<float>()[0], 1);
  EXPECT_EQ(shape_str(b.shape()), "[4]");
}

}  // namespace
}  // namespace sieve
