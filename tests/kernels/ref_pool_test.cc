// Reference pooling: ONNX's documented examples and hand-worked windows (ceil_mode, pads,
// count_include_pad, dilations, SAME padding, indices with both storage orders, 1-D and 3-D).
#include <gtest/gtest.h>

#include "kernels/ref_test_util.h"

namespace sieve::runtime {
namespace {

using sieve::testing::f32_tensor;
using sieve::testing::make_node;
using sieve::testing::run_node;
using sieve::testing::values_of;
using V = std::vector<float>;

Tensor iota(Shape shape, float start) {
  Tensor t(DType::kF32, std::move(shape));
  for (int64_t i = 0; i < t.numel(); ++i) t.data<float>()[i] = start + static_cast<float>(i);
  return t;
}

ir::Node pool(ir::OpKind op, std::vector<int64_t> k,
              std::initializer_list<std::pair<const std::string, ir::Attr>> attrs = {}) {
  ir::Node n = make_node(op, "pool", {"x"}, {"y"}, attrs);
  n.attrs["kernel_shape"] = k;
  return n;
}

// ONNX test_maxpool_2d_ceil / test_averagepool_2d_ceil: 4x4 input 1..16, 3x3, stride 2.
// The second window in each dim covers rows/cols 2..4, of which 4 is past the end.
TEST(RefPool, CeilModeMaxAndAverage) {
  Tensor x = iota({1, 1, 4, 4}, 1);
  auto mx = run_node(pool(ir::OpKind::kMaxPool, {3, 3},
                          {{"strides", std::vector<int64_t>{2, 2}}, {"ceil_mode", int64_t{1}}}),
                     {&x});
  ASSERT_EQ(mx.size(), 1u);
  EXPECT_EQ(values_of(mx[0]), (V{11, 12, 15, 16}));
  auto av = run_node(pool(ir::OpKind::kAveragePool, {3, 3},
                          {{"strides", std::vector<int64_t>{2, 2}}, {"ceil_mode", int64_t{1}}}),
                     {&x});
  ASSERT_EQ(av.size(), 1u);
  EXPECT_EQ(values_of(av[0]), (V{6, 7.5, 12, 13.5}));
}

// [[1 2] [3 4]], 2x2 windows, stride 1, pad 1 all round -> 3x3 outputs.
TEST(RefPool, AveragePadsWithAndWithoutCountIncludePad) {
  Tensor x = f32_tensor({1, 1, 2, 2}, {1, 2, 3, 4});
  auto excl = run_node(
      pool(ir::OpKind::kAveragePool, {2, 2}, {{"pads", std::vector<int64_t>{1, 1, 1, 1}}}), {&x});
  ASSERT_EQ(excl.size(), 1u);
  EXPECT_EQ(values_of(excl[0]), (V{1, 1.5, 2, 2, 2.5, 3, 3, 3.5, 4}));
  auto incl = run_node(
      pool(ir::OpKind::kAveragePool, {2, 2},
           {{"pads", std::vector<int64_t>{1, 1, 1, 1}}, {"count_include_pad", int64_t{1}}}),
      {&x});
  ASSERT_EQ(incl.size(), 1u);
  EXPECT_EQ(values_of(incl[0]), (V{0.25, 0.75, 0.5, 1, 2.5, 1.5, 0.75, 1.75, 1}));
}

// ceil_mode with count_include_pad: a window hanging past the end pad divides by what it covers
// inside [-pad, size + pad). x = [1 2 3 4 5], k 3, s 2, pad 1: windows start at -1, 1, 3 and
// all lie inside the padded input: (0+1+2)/3, (2+3+4)/3, (4+5+0)/3.
TEST(RefPool, CeilModeCountIncludePad1d) {
  Tensor x = f32_tensor({1, 1, 5}, {1, 2, 3, 4, 5});
  auto y = run_node(pool(ir::OpKind::kAveragePool, {3},
                         {{"strides", std::vector<int64_t>{2}},
                          {"pads", std::vector<int64_t>{1, 1}},
                          {"ceil_mode", int64_t{1}},
                          {"count_include_pad", int64_t{1}}}),
                    {&x});
  ASSERT_EQ(y.size(), 1u);
  EXPECT_EQ(values_of(y[0]), (V{1, 3, 3}));
  // x = [1 2 3 4]: floor mode gives 2 windows, ceil mode 3 (at -1, 1, 3); the last covers
  // positions 3 (x = 4), 4 (end pad) and 5 (past the pad), so include_pad divides by 2.
  Tensor x4 = f32_tensor({1, 1, 4}, {1, 2, 3, 4});
  auto y4 = run_node(pool(ir::OpKind::kAveragePool, {3},
                          {{"strides", std::vector<int64_t>{2}},
                           {"pads", std::vector<int64_t>{1, 1}},
                           {"ceil_mode", int64_t{1}},
                           {"count_include_pad", int64_t{1}}}),
                     {&x4});
  ASSERT_EQ(y4.size(), 1u);
  EXPECT_EQ(values_of(y4[0]), (V{1, 3, 2}));
}

// ONNX test_maxpool_2d_dilations: 4x4 input 1..16, 2x2 kernel, dilation 2, stride 1.
TEST(RefPool, MaxDilations) {
  Tensor x = iota({1, 1, 4, 4}, 1);
  auto y = run_node(pool(ir::OpKind::kMaxPool, {2, 2}, {{"dilations", std::vector<int64_t>{2, 2}}}),
                    {&x});
  ASSERT_EQ(y.size(), 1u);
  EXPECT_EQ(values_of(y[0]), (V{11, 12, 15, 16}));
}

// ONNX test_averagepool_2d_precomputed_same_upper: 5x5 input 1..25, 3x3, stride 2.
TEST(RefPool, AverageSameUpper) {
  Tensor x = iota({1, 1, 5, 5}, 1);
  auto y = run_node(
      pool(ir::OpKind::kAveragePool, {3, 3},
           {{"strides", std::vector<int64_t>{2, 2}}, {"auto_pad", std::string("SAME_UPPER")}}),
      {&x});
  ASSERT_EQ(y.size(), 1u);
  EXPECT_EQ(values_of(y[0]), (V{4, 5.5, 7, 11.5, 13, 14.5, 19, 20.5, 22}));
}

// Indices: flat positions in X (row-major), or column-major over the spatial dims.
TEST(RefPool, MaxIndicesBothStorageOrders) {
  Tensor x = iota({1, 2, 4, 4}, 1);
  ir::Node n = pool(ir::OpKind::kMaxPool, {2, 2}, {{"strides", std::vector<int64_t>{2, 2}}});
  n.outputs = {"y", "i"};
  auto r = run_node(n, {&x});
  ASSERT_EQ(r.size(), 2u);
  EXPECT_EQ(values_of(r[0]), (V{6, 8, 14, 16, 22, 24, 30, 32}));
  auto idx = r[1].span<int64_t>();
  EXPECT_EQ(std::vector<int64_t>(idx.begin(), idx.end()),
            (std::vector<int64_t>{5, 7, 13, 15, 21, 23, 29, 31}));
  n.attrs["storage_order"] = int64_t{1};
  r = run_node(n, {&x});
  ASSERT_EQ(r.size(), 2u);
  idx = r[1].span<int64_t>();
  // (h, w) = (1,1) -> 1 + 1*4 = 5, (1,3) -> 13, (3,1) -> 7, (3,3) -> 15; channel 1 adds 16.
  EXPECT_EQ(std::vector<int64_t>(idx.begin(), idx.end()),
            (std::vector<int64_t>{5, 13, 7, 15, 21, 29, 23, 31}));
}

TEST(RefPool, MaxIgnoresPaddingAndTakesU8) {
  Tensor x = f32_tensor({1, 1, 3}, {-5, -7, -6});
  auto y = run_node(pool(ir::OpKind::kMaxPool, {2}, {{"pads", std::vector<int64_t>{1, 1}}}), {&x});
  ASSERT_EQ(y.size(), 1u);
  EXPECT_EQ(values_of(y[0]), (V{-5, -5, -6, -6}));  // padding never wins over negatives

  Tensor u(DType::kU8, {1, 1, 4});
  const uint8_t vals[] = {3, 250, 7, 9};
  for (int i = 0; i < 4; ++i) u.data<uint8_t>()[i] = vals[i];
  auto yu = run_node(pool(ir::OpKind::kMaxPool, {2}, {{"strides", std::vector<int64_t>{2}}}), {&u});
  ASSERT_EQ(yu.size(), 1u);
  ASSERT_EQ(yu[0].dtype(), DType::kU8);
  EXPECT_EQ(yu[0].data<uint8_t>()[0], 250);
  EXPECT_EQ(yu[0].data<uint8_t>()[1], 9);
}

TEST(RefPool, ThreeDimensionalAverage) {
  // 2x2x2 cube 1..8 averaged by a 2x2x2 window -> 4.5; with stride 1 and a 1x1x2 window the
  // pairs along the last dim average to 1.5, 3.5, 5.5, 7.5.
  Tensor x = iota({1, 1, 2, 2, 2}, 1);
  auto y = run_node(pool(ir::OpKind::kAveragePool, {2, 2, 2}), {&x});
  ASSERT_EQ(y.size(), 1u);
  EXPECT_EQ(values_of(y[0]), (V{4.5}));
  auto y2 = run_node(pool(ir::OpKind::kAveragePool, {1, 1, 2}), {&x});
  ASSERT_EQ(y2.size(), 1u);
  EXPECT_EQ(y2[0].shape(), (Shape{1, 1, 2, 2, 1}));
  EXPECT_EQ(values_of(y2[0]), (V{1.5, 3.5, 5.5, 7.5}));
}

TEST(RefPool, GlobalPools) {
  Tensor x = f32_tensor({1, 2, 2, 2}, {1, 2, 3, 4, -1, -2, -8, -4});
  auto avg = run_node(make_node(ir::OpKind::kGlobalAveragePool, "g", {"x"}, {"y"}), {&x});
  auto mx = run_node(make_node(ir::OpKind::kGlobalMaxPool, "g", {"x"}, {"y"}), {&x});
  ASSERT_EQ(avg.size(), 1u);
  ASSERT_EQ(mx.size(), 1u);
  EXPECT_EQ(avg[0].shape(), (Shape{1, 2, 1, 1}));
  EXPECT_EQ(values_of(avg[0]), (V{2.5, -3.75}));
  EXPECT_EQ(values_of(mx[0]), (V{4, -1}));
}

}  // namespace
}  // namespace sieve::runtime
