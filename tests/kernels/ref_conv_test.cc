// Reference Conv: values worked by hand, ONNX's documented example, and a scatter-form
// convolution (each input element pushed to the outputs it reaches), which shares no code or
// loop structure with the gather-form kernel.
#include <gtest/gtest.h>

#include <array>

#include "kernels/ref_test_util.h"

namespace sieve::runtime {
namespace {

using sieve::testing::f32_tensor;
using sieve::testing::make_node;
using sieve::testing::pattern_tensor;
using sieve::testing::run_node;
using sieve::testing::tensors_near;
using sieve::testing::values_of;

Tensor iota(Shape shape, float start = 0) {
  Tensor t(DType::kF32, std::move(shape));
  for (int64_t i = 0; i < t.numel(); ++i) t.data<float>()[i] = start + static_cast<float>(i);
  return t;
}

// ONNX Conv example (test_basic_conv_with_padding / _without_padding): 5x5 input 0..24,
// a 3x3 kernel of ones.
TEST(RefConv, OnnxBasicExampleWithAndWithoutPadding) {
  Tensor x = iota({1, 1, 5, 5});
  Tensor w = f32_tensor({1, 1, 3, 3}, std::vector<float>(9, 1.0f));
  auto padded = run_node(make_node(ir::OpKind::kConv, "c", {"x", "w"}, {"y"},
                                   {{"pads", std::vector<int64_t>{1, 1, 1, 1}}}),
                         {&x, &w});
  ASSERT_EQ(padded.size(), 1u);
  EXPECT_EQ(values_of(padded[0]),
            (std::vector<float>{12,  21, 27, 33,  24,  33,  54,  63, 72,  51,  63,  99, 108,
                                117, 81, 93, 144, 153, 162, 111, 72, 111, 117, 123, 84}));
  auto valid = run_node(make_node(ir::OpKind::kConv, "c", {"x", "w"}, {"y"}), {&x, &w});
  ASSERT_EQ(valid.size(), 1u);
  EXPECT_EQ(valid[0].shape(), (Shape{1, 1, 3, 3}));
  EXPECT_EQ(values_of(valid[0]), (std::vector<float>{54, 63, 72, 99, 108, 117, 144, 153, 162}));
}

// Stride 2, asymmetric pads (ONNX test_conv_with_strides_and_asymmetric_padding): 7x5 input.
TEST(RefConv, StridesAndAsymmetricPadding) {
  Tensor x = iota({1, 1, 7, 5});
  Tensor w = f32_tensor({1, 1, 3, 3}, std::vector<float>(9, 1.0f));
  auto y = run_node(make_node(ir::OpKind::kConv, "c", {"x", "w"}, {"y"},
                              {{"pads", std::vector<int64_t>{1, 0, 1, 0}},
                               {"strides", std::vector<int64_t>{2, 2}}}),
                    {&x, &w});
  ASSERT_EQ(y.size(), 1u);
  EXPECT_EQ(y[0].shape(), (Shape{1, 1, 4, 2}));
  EXPECT_EQ(values_of(y[0]), (std::vector<float>{21, 33, 99, 117, 189, 207, 171, 183}));
}

// A 1-D convolution with bias, dilation 2 and two groups, by hand:
// x channel 0 = [1 2 3 4 5], channel 1 = [10 20 30 40 50];
// group 0 (output 0) uses channel 0 with taps [1, -1] at dilation 2: x[i] - x[i+2] = -2;
// group 1 (output 1) uses channel 1 with taps [0.5, 1]: 0.5 x[i] + x[i+2] - 1.
TEST(RefConv, DilatedGroupedWithBiasByHand) {
  Tensor x = f32_tensor({1, 2, 5}, {1, 2, 3, 4, 5, 10, 20, 30, 40, 50});
  Tensor w = f32_tensor({2, 1, 2}, {1, -1, 0.5f, 1});
  Tensor b = f32_tensor({2}, {100, -1});
  auto y = run_node(make_node(ir::OpKind::kConv, "c", {"x", "w", "b"}, {"y"},
                              {{"dilations", std::vector<int64_t>{2}}, {"group", int64_t{2}}}),
                    {&x, &w, &b});
  ASSERT_EQ(y.size(), 1u);
  EXPECT_EQ(y[0].shape(), (Shape{1, 2, 3}));
  EXPECT_EQ(values_of(y[0]), (std::vector<float>{98, 98, 98, 34, 49, 64}));
}

// Scatter-form 2-D convolution: every (input element, tap) pair adds into the output it lands
// on, if it lands exactly on a stride point inside the output.
Tensor scatter_conv2d(const Tensor& x, const Tensor& w, const Tensor& b, int64_t group,
                      std::array<int64_t, 2> s, std::array<int64_t, 4> pads,
                      std::array<int64_t, 2> d) {
  const int64_t n = x.dim(0), c = x.dim(1), h = x.dim(2), wd = x.dim(3);
  const int64_t m = w.dim(0), kh = w.dim(2), kw = w.dim(3);
  const int64_t oh = (h + pads[0] + pads[2] - d[0] * (kh - 1) - 1) / s[0] + 1;
  const int64_t ow = (wd + pads[1] + pads[3] - d[1] * (kw - 1) - 1) / s[1] + 1;
  std::vector<double> acc(static_cast<size_t>(n * m * oh * ow), 0.0);
  const int64_t cg = c / group, mg = m / group;
  for (int64_t in = 0; in < n; ++in)
    for (int64_t ic = 0; ic < c; ++ic)
      for (int64_t ih = 0; ih < h; ++ih)
        for (int64_t iw = 0; iw < wd; ++iw) {
          const double v = x.data<float>()[((in * c + ic) * h + ih) * wd + iw];
          const int64_t g = ic / cg;
          for (int64_t om = g * mg; om < (g + 1) * mg; ++om)
            for (int64_t ky = 0; ky < kh; ++ky)
              for (int64_t kx = 0; kx < kw; ++kx) {
                const int64_t ty = ih + pads[0] - ky * d[0];
                const int64_t tx = iw + pads[1] - kx * d[1];
                if (ty < 0 || tx < 0 || ty % s[0] != 0 || tx % s[1] != 0) continue;
                const int64_t y = ty / s[0], xx = tx / s[1];
                if (y >= oh || xx >= ow) continue;
                const double wv = w.data<float>()[((om * cg + (ic - g * cg)) * kh + ky) * kw + kx];
                acc[static_cast<size_t>(((in * m + om) * oh + y) * ow + xx)] += v * wv;
              }
        }
  Tensor out(DType::kF32, {n, m, oh, ow});
  for (int64_t i = 0; i < out.numel(); ++i) {
    const int64_t om = (i / (oh * ow)) % m;
    out.data<float>()[i] = static_cast<float>(acc[static_cast<size_t>(i)] + b.data<float>()[om]);
  }
  return out;
}

TEST(RefConv, MatchesScatterFormOnStridePadDilationGroups) {
  struct Case {
    int64_t group;
    std::array<int64_t, 2> s;
    std::array<int64_t, 4> pads;
    std::array<int64_t, 2> d;
  };
  const Case cases[] = {{1, {1, 1}, {0, 0, 0, 0}, {1, 1}},
                        {2, {2, 1}, {1, 2, 0, 1}, {1, 2}},
                        {4, {2, 3}, {2, 2, 2, 2}, {2, 1}},
                        {1, {3, 3}, {0, 1, 2, 0}, {1, 1}}};
  uint32_t seed = 7;
  for (const Case& k : cases) {
    Tensor x = pattern_tensor({2, 4, 9, 8}, seed++);
    Tensor w = pattern_tensor({8, 4 / k.group, 3, 2}, seed++);
    Tensor b = pattern_tensor({8}, seed++);
    ir::Node n = make_node(ir::OpKind::kConv, "c", {"x", "w", "b"}, {"y"},
                           {{"group", k.group},
                            {"strides", std::vector<int64_t>{k.s[0], k.s[1]}},
                            {"pads", std::vector<int64_t>(k.pads.begin(), k.pads.end())},
                            {"dilations", std::vector<int64_t>{k.d[0], k.d[1]}}});
    auto y = run_node(n, {&x, &w, &b});
    ASSERT_EQ(y.size(), 1u);
    EXPECT_TRUE(tensors_near(y[0], scatter_conv2d(x, w, b, k.group, k.s, k.pads, k.d)))
        << "group " << k.group << " stride " << k.s[0] << "," << k.s[1];
  }
}

// SAME_UPPER / SAME_LOWER put the odd pad at the end / the beginning: with a 2-tap kernel
// [1, 10] on [1 2 3 4], SAME_UPPER pads the end: [1+20, 2+30, 3+40, 4+0];
// SAME_LOWER pads the start: [0+10, 1+20, 2+30, 3+40].
TEST(RefConv, AutoPadSameUpperAndLower) {
  Tensor x = f32_tensor({1, 1, 4}, {1, 2, 3, 4});
  Tensor w = f32_tensor({1, 1, 2}, {1, 10});
  auto upper = run_node(make_node(ir::OpKind::kConv, "c", {"x", "w"}, {"y"},
                                  {{"auto_pad", std::string("SAME_UPPER")}}),
                        {&x, &w});
  auto lower = run_node(make_node(ir::OpKind::kConv, "c", {"x", "w"}, {"y"},
                                  {{"auto_pad", std::string("SAME_LOWER")}}),
                        {&x, &w});
  ASSERT_EQ(upper.size(), 1u);
  ASSERT_EQ(lower.size(), 1u);
  EXPECT_EQ(values_of(upper[0]), (std::vector<float>{21, 32, 43, 4}));
  EXPECT_EQ(values_of(lower[0]), (std::vector<float>{10, 21, 32, 43}));
}

// 3-D: a 2x2x2 kernel of ones over a 3x3x3 cube of ones, padded by 1 on every side: the
// output counts the kernel taps that fall inside the cube: corners 1, edges 2, faces 4, inside 8.
TEST(RefConv, ThreeDimensionalCountsTaps) {
  Tensor x = f32_tensor({1, 1, 3, 3, 3}, std::vector<float>(27, 1.0f));
  Tensor w = f32_tensor({1, 1, 2, 2, 2}, std::vector<float>(8, 1.0f));
  auto y = run_node(make_node(ir::OpKind::kConv, "c", {"x", "w"}, {"y"},
                              {{"pads", std::vector<int64_t>{1, 1, 1, 1, 1, 1}}}),
                    {&x, &w});
  ASSERT_EQ(y.size(), 1u);
  ASSERT_EQ(y[0].shape(), (Shape{1, 1, 4, 4, 4}));
  const float* v = y[0].data<float>();
  EXPECT_EQ(v[0], 1);           // corner (0,0,0)
  EXPECT_EQ(v[1], 2);           // edge (0,0,1)
  EXPECT_EQ(v[1 * 4 + 1], 4);   // face (0,1,1)
  EXPECT_EQ(v[16 + 4 + 1], 8);  // interior (1,1,1)
  EXPECT_EQ(v[63], 1);          // corner (3,3,3)
}

TEST(RefConv, BadOperandsAreErrorsNamingTheNode) {
  Tensor x = iota({1, 3, 5, 5});
  Tensor w = f32_tensor({2, 2, 3, 3}, std::vector<float>(36, 1.0f));
  auto r = run_ref_node(make_node(ir::OpKind::kConv, "conv9", {"x", "w"}, {"y"}),
                        std::vector<const Tensor*>{&x, &w});
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("node \"conv9\" (Conv)"), std::string::npos)
      << r.status().message();
}

}  // namespace
}  // namespace sieve::runtime
