// Reference Add/Sub/Mul/Div: numpy broadcasting worked by hand, integer dtypes (wrap-around,
// truncating division, division by zero).
#include <gtest/gtest.h>

#include "kernels/ref_test_util.h"

namespace sieve::runtime {
namespace {

using sieve::testing::f32_tensor;
using sieve::testing::i64_tensor;
using sieve::testing::make_node;
using sieve::testing::run_node;
using sieve::testing::values_of;
using V = std::vector<float>;

ir::Node bin(ir::OpKind op) {
  return make_node(op, "op", {"a", "b"}, {"y"});
}

TEST(RefElementwise, BroadcastRowAndColumn) {
  Tensor col = f32_tensor({2, 1}, {1, 2});
  Tensor row = f32_tensor({3}, {10, 20, 30});
  auto add = run_node(bin(ir::OpKind::kAdd), {&col, &row});
  ASSERT_EQ(add.size(), 1u);
  EXPECT_EQ(add[0].shape(), (Shape{2, 3}));
  EXPECT_EQ(values_of(add[0]), (V{11, 21, 31, 12, 22, 32}));
  auto sub = run_node(bin(ir::OpKind::kSub), {&row, &col});
  ASSERT_EQ(sub.size(), 1u);
  EXPECT_EQ(values_of(sub[0]), (V{9, 19, 29, 8, 18, 28}));
  auto mul = run_node(bin(ir::OpKind::kMul), {&col, &row});
  ASSERT_EQ(mul.size(), 1u);
  EXPECT_EQ(values_of(mul[0]), (V{10, 20, 30, 20, 40, 60}));
  auto div = run_node(bin(ir::OpKind::kDiv), {&row, &col});
  ASSERT_EQ(div.size(), 1u);
  EXPECT_EQ(values_of(div[0]), (V{10, 20, 30, 5, 10, 15}));
}

TEST(RefElementwise, ScalarAndMiddleAxisBroadcast) {
  // [2,3,2] * [3,1]: the second operand scales each of the 3 middle rows.
  Tensor a(DType::kF32, {2, 3, 2});
  for (int64_t i = 0; i < a.numel(); ++i) a.data<float>()[i] = 1;
  Tensor b = f32_tensor({3, 1}, {1, 2, 3});
  auto y = run_node(bin(ir::OpKind::kMul), {&a, &b});
  ASSERT_EQ(y.size(), 1u);
  EXPECT_EQ(values_of(y[0]), (V{1, 1, 2, 2, 3, 3, 1, 1, 2, 2, 3, 3}));
  Tensor s = f32_tensor({}, {0.5});
  auto z = run_node(bin(ir::OpKind::kSub), {&s, &b});
  ASSERT_EQ(z.size(), 1u);
  EXPECT_EQ(z[0].shape(), (Shape{3, 1}));
  EXPECT_EQ(values_of(z[0]), (V{-0.5, -1.5, -2.5}));
}

TEST(RefElementwise, FloatDivisionByZeroIsInfinite) {
  Tensor a = f32_tensor({2}, {1, -1});
  Tensor b = f32_tensor({1}, {0});
  auto y = run_node(bin(ir::OpKind::kDiv), {&a, &b});
  ASSERT_EQ(y.size(), 1u);
  EXPECT_EQ(values_of(y[0]), (V{INFINITY, -INFINITY}));
}

TEST(RefElementwise, IntegerDtypes) {
  Tensor a(DType::kU8, {3});
  Tensor b(DType::kU8, {3});
  const uint8_t av[] = {250, 3, 7}, bv[] = {10, 5, 2};
  for (int i = 0; i < 3; ++i) {
    a.data<uint8_t>()[i] = av[i];
    b.data<uint8_t>()[i] = bv[i];
  }
  auto add = run_node(bin(ir::OpKind::kAdd), {&a, &b});
  auto sub = run_node(bin(ir::OpKind::kSub), {&a, &b});
  auto div = run_node(bin(ir::OpKind::kDiv), {&a, &b});
  ASSERT_EQ(add.size(), 1u);
  ASSERT_EQ(sub.size(), 1u);
  ASSERT_EQ(div.size(), 1u);
  EXPECT_EQ(add[0].dtype(), DType::kU8);
  EXPECT_EQ(add[0].data<uint8_t>()[0], 4);    // 260 wraps
  EXPECT_EQ(sub[0].data<uint8_t>()[1], 254);  // 3 - 5 wraps
  EXPECT_EQ(div[0].data<uint8_t>()[2], 3);    // 7 / 2 truncates

  Tensor x = i64_tensor({-7, 7, 6});
  Tensor y = i64_tensor({2});
  auto q = run_node(bin(ir::OpKind::kDiv), {&x, &y});
  ASSERT_EQ(q.size(), 1u);
  auto qs = q[0].span<int64_t>();
  EXPECT_EQ(std::vector<int64_t>(qs.begin(), qs.end()), (std::vector<int64_t>{-3, 3, 3}));

  Tensor zero = i64_tensor({0});
  auto r = run_ref_node(bin(ir::OpKind::kDiv), std::vector<const Tensor*>{&x, &zero});
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().message(), "node \"op\" (Div): integer division by zero (element 0)");
}

TEST(RefElementwise, IncompatibleShapesNameTheNode) {
  Tensor a = f32_tensor({2, 3}, {1, 2, 3, 4, 5, 6});
  Tensor b = f32_tensor({2}, {1, 2});
  auto r = run_ref_node(bin(ir::OpKind::kAdd), std::vector<const Tensor*>{&a, &b});
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().message(),
            "node \"op\" (Add): shapes [2,3] and [2] cannot be broadcast together");
}

}  // namespace
}  // namespace sieve::runtime
