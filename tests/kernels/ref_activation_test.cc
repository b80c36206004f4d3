// Reference Relu/Sigmoid/Tanh and Softmax/LogSoftmax: hand values, huge inputs, axes, and the
// opset < 13 coerce_2d form.
#include <gtest/gtest.h>

#include <cmath>

#include "kernels/ref_test_util.h"

namespace sieve::runtime {
namespace {

using sieve::testing::f32_tensor;
using sieve::testing::make_node;
using sieve::testing::run_node;
using sieve::testing::tensors_near;
using sieve::testing::values_of;
using V = std::vector<float>;

TEST(RefActivation, ReluSigmoidTanh) {
  Tensor x = f32_tensor({5}, {-2, -0.0f, 0.5f, 100, -100});
  auto relu = run_node(make_node(ir::OpKind::kRelu, "r", {"x"}, {"y"}), {&x});
  ASSERT_EQ(relu.size(), 1u);
  EXPECT_EQ(values_of(relu[0]), (V{0, 0, 0.5, 100, 0}));
  auto sig = run_node(make_node(ir::OpKind::kSigmoid, "s", {"x"}, {"y"}), {&x});
  ASSERT_EQ(sig.size(), 1u);
  EXPECT_TRUE(tensors_near(sig[0],
                           f32_tensor({5}, {0.11920292f, 0.5f, 0.62245933f, 1.0f, 3.7200760e-44f}),
                           1e-6, 1e-45));
  auto th = run_node(make_node(ir::OpKind::kTanh, "t", {"x"}, {"y"}), {&x});
  ASSERT_EQ(th.size(), 1u);
  EXPECT_TRUE(tensors_near(th[0], f32_tensor({5}, {-0.96402758f, 0, 0.46211716f, 1, -1})));
}

TEST(RefSoftmax, LargeNumbersDoNotOverflow) {
  // ONNX test_softmax_large_number: softmax([1000, 1001, 1002, 1003]) equals softmax([0..3]).
  Tensor x = f32_tensor({2, 4}, {0, 1, 2, 3, 10000, 10001, 10002, 10003});
  auto y = run_node(make_node(ir::OpKind::kSoftmax, "s", {"x"}, {"y"}), {&x});
  ASSERT_EQ(y.size(), 1u);
  const V row = {0.032058604f, 0.087144315f, 0.23688282f, 0.6439142f};
  V want = row;
  want.insert(want.end(), row.begin(), row.end());
  EXPECT_TRUE(tensors_near(y[0], f32_tensor({2, 4}, want)));
  auto ly = run_node(make_node(ir::OpKind::kLogSoftmax, "l", {"x"}, {"y"}), {&x});
  ASSERT_EQ(ly.size(), 1u);
  for (size_t i = 0; i < 8; ++i) {
    EXPECT_NEAR(ly[0].data<float>()[i], std::log(want[i]), 1e-5) << i;
  }
}

TEST(RefSoftmax, AxisZeroNormalisesColumns) {
  Tensor x = f32_tensor({2, 2}, {0, 5, std::log(3.0f), 5});
  auto y =
      run_node(make_node(ir::OpKind::kSoftmax, "s", {"x"}, {"y"}, {{"axis", int64_t{0}}}), {&x});
  ASSERT_EQ(y.size(), 1u);
  EXPECT_TRUE(tensors_near(y[0], f32_tensor({2, 2}, {0.25, 0.5, 0.75, 0.5})));
}

// Opset 13 softmax over axis 1 of [1, 2, 2] normalises pairs along dim 1; coerce_2d flattens
// dims 1.. into one row of 4.
TEST(RefSoftmax, Coerce2dFlattensFromTheAxis) {
  Tensor x = f32_tensor({1, 2, 2}, {0, 0, 0, std::log(5.0f)});
  auto y13 =
      run_node(make_node(ir::OpKind::kSoftmax, "s", {"x"}, {"y"}, {{"axis", int64_t{1}}}), {&x});
  ASSERT_EQ(y13.size(), 1u);
  EXPECT_TRUE(tensors_near(y13[0], f32_tensor({1, 2, 2}, {0.5, 1.0f / 6, 0.5, 5.0f / 6})));
  auto y11 = run_node(make_node(ir::OpKind::kSoftmax, "s", {"x"}, {"y"},
                                {{"axis", int64_t{1}}, {"coerce_2d", int64_t{1}}}),
                      {&x});
  ASSERT_EQ(y11.size(), 1u);
  EXPECT_TRUE(tensors_near(y11[0], f32_tensor({1, 2, 2}, {0.125, 0.125, 0.125, 0.625})));
  // coerce_2d's default axis is 1.
  auto y11d = run_node(
      make_node(ir::OpKind::kLogSoftmax, "s", {"x"}, {"y"}, {{"coerce_2d", int64_t{1}}}), {&x});
  ASSERT_EQ(y11d.size(), 1u);
  EXPECT_NEAR(y11d[0].data<float>()[3], std::log(0.625f), 1e-6);
}

}  // namespace
}  // namespace sieve::runtime
