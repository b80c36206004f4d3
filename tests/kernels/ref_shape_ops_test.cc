// Reference shape glue: Concat, Flatten, Reshape, Transpose, Squeeze, Unsqueeze, Pad, Dropout,
// Identity, on f32 and on i64 (ONNX shape computations).
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
using I = std::vector<int64_t>;

I ints_of(const Tensor& t) {
  auto s = t.span<int64_t>();
  return {s.begin(), s.end()};
}

Tensor iota(Shape shape) {
  Tensor t(DType::kF32, std::move(shape));
  for (int64_t i = 0; i < t.numel(); ++i) t.data<float>()[i] = static_cast<float>(i);
  return t;
}

TEST(RefShapeOps, ConcatAlongEachAxis) {
  Tensor a = f32_tensor({2, 1}, {1, 2});
  Tensor b = f32_tensor({2, 2}, {3, 4, 5, 6});
  auto y = run_node(make_node(ir::OpKind::kConcat, "c", {"a", "b"}, {"y"}, {{"axis", int64_t{-1}}}),
                    {&a, &b});
  ASSERT_EQ(y.size(), 1u);
  EXPECT_EQ(y[0].shape(), (Shape{2, 3}));
  EXPECT_EQ(values_of(y[0]), (V{1, 3, 4, 2, 5, 6}));
  Tensor c = f32_tensor({1, 2}, {7, 8});
  auto z = run_node(make_node(ir::OpKind::kConcat, "c", {"b", "c"}, {"y"}, {{"axis", int64_t{0}}}),
                    {&b, &c});
  ASSERT_EQ(z.size(), 1u);
  EXPECT_EQ(values_of(z[0]), (V{3, 4, 5, 6, 7, 8}));
  // i64, as in shape arithmetic: Concat([N], [-1]).
  Tensor n = i64_tensor({4});
  Tensor m = i64_tensor({-1, 3});
  auto s = run_node(make_node(ir::OpKind::kConcat, "c", {"n", "m"}, {"y"}, {{"axis", int64_t{0}}}),
                    {&n, &m});
  ASSERT_EQ(s.size(), 1u);
  EXPECT_EQ(ints_of(s[0]), (I{4, -1, 3}));
}

TEST(RefShapeOps, FlattenReshapeSqueezeUnsqueezeKeepOrder) {
  Tensor x = iota({2, 3, 4});
  auto f =
      run_node(make_node(ir::OpKind::kFlatten, "f", {"x"}, {"y"}, {{"axis", int64_t{2}}}), {&x});
  ASSERT_EQ(f.size(), 1u);
  EXPECT_EQ(f[0].shape(), (Shape{6, 4}));
  EXPECT_EQ(values_of(f[0]), values_of(x));
  Tensor shape = i64_tensor({0, -1});
  auto r = run_node(make_node(ir::OpKind::kReshape, "r", {"x", "s"}, {"y"}), {&x, &shape});
  ASSERT_EQ(r.size(), 1u);
  EXPECT_EQ(r[0].shape(), (Shape{2, 12}));
  EXPECT_EQ(values_of(r[0]), values_of(x));
  // The output is a copy: writing it leaves X alone.
  r[0].data<float>()[0] = 99;
  EXPECT_EQ(x.data<float>()[0], 0);

  Tensor one = iota({1, 3, 1});
  Tensor axes = i64_tensor({-1});
  auto sq = run_node(make_node(ir::OpKind::kSqueeze, "s", {"x", "a"}, {"y"}), {&one, &axes});
  ASSERT_EQ(sq.size(), 1u);
  EXPECT_EQ(sq[0].shape(), (Shape{1, 3}));
  auto un = run_node(
      make_node(ir::OpKind::kUnsqueeze, "u", {"x"}, {"y"}, {{"axes", std::vector<int64_t>{0, 4}}}),
      {&one});
  ASSERT_EQ(un.size(), 1u);
  EXPECT_EQ(un[0].shape(), (Shape{1, 1, 3, 1, 1}));
  Tensor ishape = i64_tensor({7, 8});
  Tensor ax0 = i64_tensor({0});
  auto ui = run_node(make_node(ir::OpKind::kUnsqueeze, "u", {"x", "a"}, {"y"}), {&ishape, &ax0});
  ASSERT_EQ(ui.size(), 1u);
  EXPECT_EQ(ui[0].shape(), (Shape{1, 2}));
  EXPECT_EQ(ints_of(ui[0]), (I{7, 8}));
}

TEST(RefShapeOps, ReshapeRejectsAWrongElementCount) {
  Tensor x = iota({2, 3});
  Tensor shape = i64_tensor({4, 2});
  auto r = run_ref_node(make_node(ir::OpKind::kReshape, "rs", {"x", "s"}, {"y"}),
                        std::vector<const Tensor*>{&x, &shape});
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().message(),
            "node \"rs\" (Reshape): cannot reshape X [2,3] (6 elements) to [4,2] (8 elements)");
}

TEST(RefShapeOps, TransposeMovesElements) {
  Tensor x = iota({2, 3, 4});
  auto y = run_node(make_node(ir::OpKind::kTranspose, "t", {"x"}, {"y"},
                              {{"perm", std::vector<int64_t>{2, 0, 1}}}),
                    {&x});
  ASSERT_EQ(y.size(), 1u);
  ASSERT_EQ(y[0].shape(), (Shape{4, 2, 3}));
  for (int64_t i = 0; i < 2; ++i)
    for (int64_t j = 0; j < 3; ++j)
      for (int64_t k = 0; k < 4; ++k) {
        EXPECT_EQ(y[0].data<float>()[(k * 2 + i) * 3 + j], x.data<float>()[(i * 3 + j) * 4 + k]);
      }
  Tensor m = i64_tensor({1, 2, 3, 4, 5, 6}).reshaped({2, 3});
  auto mt = run_node(make_node(ir::OpKind::kTranspose, "t", {"x"}, {"y"}), {&m});
  ASSERT_EQ(mt.size(), 1u);
  EXPECT_EQ(ints_of(mt[0]), (I{1, 4, 2, 5, 3, 6}));
}

// ONNX Pad's documented example: pads [0, 2, 0, 0] on a 3x2 matrix.
TEST(RefShapeOps, PadModes) {
  Tensor x = f32_tensor({3, 2}, {1.0f, 1.2f, 2.3f, 3.4f, 4.5f, 5.7f});
  Tensor pads = i64_tensor({0, 2, 0, 0});
  auto run = [&](const char* mode, const Tensor* value) {
    ir::Node n = make_node(ir::OpKind::kPad, "p", {"x", "pads", value ? "v" : ""}, {"y"},
                           {{"mode", std::string(mode)}});
    auto y = run_node(n, {&x, &pads, value});
    return y.empty() ? V{} : values_of(y[0]);
  };
  Tensor v = f32_tensor({}, {-1});
  EXPECT_EQ(run("constant", nullptr), (V{0, 0, 1.0f, 1.2f, 0, 0, 2.3f, 3.4f, 0, 0, 4.5f, 5.7f}));
  EXPECT_EQ(run("constant", &v), (V{-1, -1, 1.0f, 1.2f, -1, -1, 2.3f, 3.4f, -1, -1, 4.5f, 5.7f}));
  // The legacy attribute form of the constant (opset < 11).
  auto legacy = run_node(make_node(ir::OpKind::kPad, "p", {"x", "pads"}, {"y"}, {{"value", 2.5}}),
                         {&x, &pads});
  ASSERT_EQ(legacy.size(), 1u);
  EXPECT_EQ(values_of(legacy[0]),
            (V{2.5, 2.5, 1.0f, 1.2f, 2.5, 2.5, 2.3f, 3.4f, 2.5, 2.5, 4.5f, 5.7f}));
  EXPECT_EQ(run("reflect", nullptr),
            (V{1.0f, 1.2f, 1.0f, 1.2f, 2.3f, 3.4f, 2.3f, 3.4f, 4.5f, 5.7f, 4.5f, 5.7f}));
  EXPECT_EQ(run("edge", nullptr),
            (V{1.0f, 1.0f, 1.0f, 1.2f, 2.3f, 2.3f, 2.3f, 3.4f, 4.5f, 4.5f, 4.5f, 5.7f}));
  EXPECT_EQ(run("wrap", nullptr),
            (V{1.0f, 1.2f, 1.0f, 1.2f, 2.3f, 3.4f, 2.3f, 3.4f, 4.5f, 5.7f, 4.5f, 5.7f}));
}

TEST(RefShapeOps, PadReflectBothSidesAndNegativeCrop) {
  Tensor x = f32_tensor({4}, {1, 2, 3, 4});
  auto r =
      run_node(make_node(ir::OpKind::kPad, "p", {"x"}, {"y"},
                         {{"pads", std::vector<int64_t>{3, 2}}, {"mode", std::string("reflect")}}),
               {&x});
  ASSERT_EQ(r.size(), 1u);
  EXPECT_EQ(values_of(r[0]), (V{4, 3, 2, 1, 2, 3, 4, 3, 2}));
  // Pads longer than the dim reflect again (numpy.pad): period 2 * (3 - 1) = 4.
  Tensor x3 = f32_tensor({3}, {1, 2, 3});
  auto big =
      run_node(make_node(ir::OpKind::kPad, "p", {"x"}, {"y"},
                         {{"pads", std::vector<int64_t>{5, 4}}, {"mode", std::string("reflect")}}),
               {&x3});
  ASSERT_EQ(big.size(), 1u);
  EXPECT_EQ(values_of(big[0]), (V{2, 1, 2, 3, 2, 1, 2, 3, 2, 1, 2, 3}));
  auto c = run_node(
      make_node(ir::OpKind::kPad, "p", {"x"}, {"y"}, {{"pads", std::vector<int64_t>{-1, 1}}}),
      {&x});
  ASSERT_EQ(c.size(), 1u);
  EXPECT_EQ(values_of(c[0]), (V{2, 3, 4, 0}));
}

TEST(RefShapeOps, DropoutIsIdentityWithAOnesMask) {
  Tensor x = f32_tensor({2, 2}, {1, -2, 3, -4});
  Tensor ratio = f32_tensor({}, {0.3f});
  auto y = run_node(make_node(ir::OpKind::kDropout, "d", {"x", "r"}, {"y", "m"}), {&x, &ratio});
  ASSERT_EQ(y.size(), 2u);
  EXPECT_EQ(values_of(y[0]), values_of(x));
  ASSERT_EQ(y[1].dtype(), DType::kU8);
  for (uint8_t m : y[1].span<uint8_t>()) EXPECT_EQ(m, 1);
  // Training mode with a non-zero ratio would need a random mask: refused by name.
  Tensor on(DType::kU8, {});
  on.data<uint8_t>()[0] = 1;
  auto r = run_ref_node(make_node(ir::OpKind::kDropout, "drop1", {"x", "r", "t"}, {"y"}),
                        std::vector<const Tensor*>{&x, &ratio, &on});
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kUnimplemented);
  EXPECT_NE(r.status().message().find("node \"drop1\" (Dropout)"), std::string::npos);
  // ... but ratio 0 in training mode is the identity.
  Tensor zero = f32_tensor({}, {0});
  auto z = run_node(make_node(ir::OpKind::kDropout, "d", {"x", "r", "t"}, {"y"}), {&x, &zero, &on});
  ASSERT_EQ(z.size(), 1u);
  EXPECT_EQ(values_of(z[0]), values_of(x));
}

TEST(RefShapeOps, IdentityCopies) {
  Tensor x = i64_tensor({5, 6});
  auto y = run_node(make_node(ir::OpKind::kIdentity, "i", {"x"}, {"y"}), {&x});
  ASSERT_EQ(y.size(), 1u);
  EXPECT_EQ(ints_of(y[0]), (I{5, 6}));
  EXPECT_NE(y[0].raw(), x.raw());
}

}  // namespace
}  // namespace sieve::runtime
