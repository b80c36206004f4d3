// Reference FullyConnected (ONNX Gemm) and MatMul against hand values and against loops that
// build the transposed / broadcast operands explicitly first.
#include <gtest/gtest.h>

#include "kernels/ref_test_util.h"

namespace sieve::runtime {
namespace {

using sieve::testing::f32_tensor;
using sieve::testing::make_node;
using sieve::testing::pattern_tensor;
using sieve::testing::run_node;
using sieve::testing::tensors_near;
using sieve::testing::values_of;
using V = std::vector<float>;

TEST(RefFullyConnected, DefaultsWeightIsOutByIn) {
  // y = x W^T + b with W [out=2, in=3].
  Tensor x = f32_tensor({2, 3}, {1, 2, 3, 4, 5, 6});
  Tensor w = f32_tensor({2, 3}, {1, 0, -1, 0.5, 0.5, 0.5});
  Tensor b = f32_tensor({2}, {10, 20});
  auto y =
      run_node(make_node(ir::OpKind::kFullyConnected, "fc", {"x", "w", "b"}, {"y"}), {&x, &w, &b});
  ASSERT_EQ(y.size(), 1u);
  EXPECT_EQ(y[0].shape(), (Shape{2, 2}));
  EXPECT_EQ(values_of(y[0]), (V{8, 23, 8, 27.5}));
}

// Every attribute at once, against an explicit transpose-then-multiply.
TEST(RefFullyConnected, AllAttributesMatchExplicitTransposes) {
  const int64_t m = 3, k = 5, n = 4;
  Tensor a = pattern_tensor({k, m}, 1);  // trans_a: stored [K, M]
  Tensor w = pattern_tensor({k, n}, 2);  // trans_b = 0: stored [K, N]
  Tensor c = pattern_tensor({m, 1}, 3);  // broadcast along N
  ir::Node node = make_node(
      ir::OpKind::kFullyConnected, "fc", {"a", "w", "c"}, {"y"},
      {{"alpha", 0.25}, {"beta", 0.35}, {"trans_a", int64_t{1}}, {"trans_b", int64_t{0}}});
  auto y = run_node(node, {&a, &w, &c});
  ASSERT_EQ(y.size(), 1u);
  std::vector<float> at(static_cast<size_t>(m * k));
  for (int64_t i = 0; i < k; ++i)
    for (int64_t j = 0; j < m; ++j) at[static_cast<size_t>(j * k + i)] = a.data<float>()[i * m + j];
  Tensor want(DType::kF32, {m, n});
  for (int64_t i = 0; i < m; ++i)
    for (int64_t j = 0; j < n; ++j) {
      double s = 0;
      for (int64_t p = 0; p < k; ++p)
        s += at[static_cast<size_t>(i * k + p)] * w.data<float>()[p * n + j];
      want.data<float>()[i * n + j] = static_cast<float>(0.25 * s + 0.35 * c.data<float>()[i]);
    }
  EXPECT_TRUE(tensors_near(y[0], want));
}

TEST(RefFullyConnected, ScalarAndMatrixBias) {
  Tensor x = f32_tensor({1, 2}, {1, 2});
  Tensor w = f32_tensor({3, 2}, {1, 1, 2, 2, 3, 3});
  Tensor s = f32_tensor({1}, {100});
  auto y =
      run_node(make_node(ir::OpKind::kFullyConnected, "fc", {"x", "w", "s"}, {"y"}), {&x, &w, &s});
  ASSERT_EQ(y.size(), 1u);
  EXPECT_EQ(values_of(y[0]), (V{103, 106, 109}));
  Tensor mb = f32_tensor({1, 3}, {1, 2, 3});
  auto y2 = run_node(
      make_node(ir::OpKind::kFullyConnected, "fc", {"x", "w", "mb"}, {"y"}, {{"beta", 2.0}}),
      {&x, &w, &mb});
  ASSERT_EQ(y2.size(), 1u);
  EXPECT_EQ(values_of(y2[0]), (V{5, 10, 15}));
}

TEST(RefMatMul, OneDimensionalOperands) {
  Tensor v = f32_tensor({3}, {1, 2, 3});
  Tensor m = f32_tensor({3, 2}, {1, 4, 2, 5, 3, 6});
  ir::Node mm = make_node(ir::OpKind::kMatMul, "mm", {"a", "b"}, {"y"});
  auto vm = run_node(mm, {&v, &m});
  ASSERT_EQ(vm.size(), 1u);
  EXPECT_EQ(vm[0].shape(), (Shape{2}));
  EXPECT_EQ(values_of(vm[0]), (V{14, 32}));
  Tensor mt = f32_tensor({2, 3}, {1, 2, 3, 4, 5, 6});
  auto mv = run_node(mm, {&mt, &v});
  ASSERT_EQ(mv.size(), 1u);
  EXPECT_EQ(mv[0].shape(), (Shape{2}));
  EXPECT_EQ(values_of(mv[0]), (V{14, 32}));
  auto vv = run_node(mm, {&v, &v});
  ASSERT_EQ(vv.size(), 1u);
  EXPECT_EQ(vv[0].shape(), (Shape{}));
  EXPECT_EQ(values_of(vv[0]), (V{14}));
}

// [2,1,3,4] x [5,4,6] -> [2,5,3,6]: A broadcasts over B's 5, B over A's 2.
TEST(RefMatMul, BatchBroadcasting) {
  Tensor a = pattern_tensor({2, 1, 3, 4}, 4);
  Tensor b = pattern_tensor({5, 4, 6}, 5);
  auto y = run_node(make_node(ir::OpKind::kMatMul, "mm", {"a", "b"}, {"y"}), {&a, &b});
  ASSERT_EQ(y.size(), 1u);
  Tensor want(DType::kF32, {2, 5, 3, 6});
  for (int64_t i = 0; i < 2; ++i)
    for (int64_t j = 0; j < 5; ++j)
      for (int64_t r = 0; r < 3; ++r)
        for (int64_t c = 0; c < 6; ++c) {
          double s = 0;
          for (int64_t p = 0; p < 4; ++p) {
            s += a.data<float>()[(i * 3 + r) * 4 + p] * b.data<float>()[(j * 4 + p) * 6 + c];
          }
          want.data<float>()[((i * 5 + j) * 3 + r) * 6 + c] = static_cast<float>(s);
        }
  EXPECT_TRUE(tensors_near(y[0], want));
}

}  // namespace
}  // namespace sieve::runtime
