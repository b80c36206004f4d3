// Reference BatchNormalization (inference) and LRN, worked by hand.
#include <gtest/gtest.h>

#include <cmath>

#include "kernels/ref_test_util.h"

namespace sieve::runtime {
namespace {

using sieve::testing::f32_tensor;
using sieve::testing::make_node;
using sieve::testing::run_node;
using sieve::testing::tensors_near;
using V = std::vector<float>;

TEST(RefBatchNorm, PerChannelAffine) {
  // Channel 0: mean 1, var 4 -> (x - 1) / 2 * 3 + 10; channel 1: mean -1, var 0.25 ->
  // (x + 1) * 2 * -1 + 0. epsilon 0 so the numbers are exact.
  Tensor x = f32_tensor({2, 2, 2}, {1, 5, 0, 1, 3, -3, -1, -2});
  Tensor scale = f32_tensor({2}, {3, -1});
  Tensor bias = f32_tensor({2}, {10, 0});
  Tensor mean = f32_tensor({2}, {1, -1});
  Tensor var = f32_tensor({2}, {4, 0.25});
  auto y = run_node(
      make_node(ir::OpKind::kBatchNorm, "bn", {"x", "s", "b", "m", "v"}, {"y"}, {{"epsilon", 0.0}}),
      {&x, &scale, &bias, &mean, &var});
  ASSERT_EQ(y.size(), 1u);
  EXPECT_TRUE(tensors_near(y[0], f32_tensor({2, 2, 2}, {10, 16, -2, -4, 13, 4, 0, 2})));
}

TEST(RefBatchNorm, DefaultEpsilon) {
  Tensor x = f32_tensor({1, 1}, {2});
  Tensor one = f32_tensor({1}, {1});
  Tensor zero = f32_tensor({1}, {0});
  auto y = run_node(make_node(ir::OpKind::kBatchNorm, "bn", {"x", "s", "b", "m", "v"}, {"y"}),
                    {&x, &one, &zero, &zero, &one});
  ASSERT_EQ(y.size(), 1u);
  EXPECT_NEAR(y[0].data<float>()[0], 2.0 / std::sqrt(1.0 + 1e-5), 1e-7);
}

// x = [1, 2, 3] over channels. size 3 (window c-1..c+1), alpha/size = 1, beta 1, bias 1:
// c0: 1 / (1 + 1 + 4), c1: 2 / (1 + 1 + 4 + 9), c2: 3 / (1 + 4 + 9).
// size 2 is asymmetric (window c..c+1): c0: 1/(1+5), c1: 2/(1+13), c2: 3/(1+9).
TEST(RefLrn, SymmetricAndAsymmetricWindows) {
  Tensor x = f32_tensor({1, 3, 1, 1}, {1, 2, 3});
  auto y3 =
      run_node(make_node(ir::OpKind::kLRN, "lrn", {"x"}, {"y"},
                         {{"size", int64_t{3}}, {"alpha", 3.0}, {"beta", 1.0}, {"bias", 1.0}}),
               {&x});
  ASSERT_EQ(y3.size(), 1u);
  EXPECT_TRUE(tensors_near(y3[0], f32_tensor({1, 3, 1, 1}, {1.0f / 6, 2.0f / 15, 3.0f / 14})));
  auto y2 =
      run_node(make_node(ir::OpKind::kLRN, "lrn", {"x"}, {"y"},
                         {{"size", int64_t{2}}, {"alpha", 2.0}, {"beta", 1.0}, {"bias", 1.0}}),
               {&x});
  ASSERT_EQ(y2.size(), 1u);
  EXPECT_TRUE(tensors_near(y2[0], f32_tensor({1, 3, 1, 1}, {1.0f / 6, 2.0f / 14, 3.0f / 10})));
}

TEST(RefLrn, DefaultsAlexNetStyle) {
  // size 5, alpha 1e-4, beta 0.75, bias 1 (ONNX defaults): one channel alone:
  // y = x / (1 + 1e-4 / 5 * x^2)^0.75.
  Tensor x = f32_tensor({1, 1, 1, 2}, {10, -20});
  auto y = run_node(make_node(ir::OpKind::kLRN, "lrn", {"x"}, {"y"}, {{"size", int64_t{5}}}), {&x});
  ASSERT_EQ(y.size(), 1u);
  const float a = static_cast<float>(10 / std::pow(1 + 2e-5 * 100, 0.75));
  const float b = static_cast<float>(-20 / std::pow(1 + 2e-5 * 400, 0.75));
  EXPECT_TRUE(tensors_near(y[0], f32_tensor({1, 1, 1, 2}, {a, b})));
}

}  // namespace
}  // namespace sieve::runtime
