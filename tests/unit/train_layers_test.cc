// Gradient checks of every trained layer type against finite differences, plus forward checks
// against direct loops written independently of the im2col/sgemm path.
#include <gtest/gtest.h>

#include <cmath>
#include <random>

#include "sieve/train/layers.h"
#include "sieve/train/network.h"
#include "train_test_util.h"

namespace sieve::train {
namespace {

using ir::OpKind;
using testing::check_gradients;
using testing::GradCheckOptions;
using testing::GraphBuilder;
using testing::Ints;

TEST(TrainGrad, FullyConnectedWithBias) {
  GraphBuilder b;
  b.input({-1, 7});
  b.op(OpKind::kFullyConnected, "fc", {"input", b.param("w", {5, 7}), b.param("b", {5})});
  check_gradients(b.finish("fc"), {.batch = 3});
}

TEST(TrainGrad, FullyConnectedTransBAlphaBeta) {
  GraphBuilder b;
  b.input({-1, 6});
  b.op(OpKind::kFullyConnected, "fc", {"input", b.param("w", {6, 4}), b.param("b", {1, 4})},
       {{"trans_b", int64_t{0}}, {"alpha", 0.5}, {"beta", 2.0}});
  check_gradients(b.finish("fc"), {.batch = 2});
}

TEST(TrainGrad, MatMulWithInitializer) {
  GraphBuilder b;
  b.input({-1, 5});
  b.op(OpKind::kMatMul, "mm", {"input", b.param("w", {5, 3})});
  check_gradients(b.finish("mm"));
}

TEST(TrainGrad, Conv3x3Pad1) {
  GraphBuilder b;
  b.input({-1, 2, 5, 6});
  b.op(OpKind::kConv, "conv", {"input", b.param("w", {3, 2, 3, 3}), b.param("b", {3})},
       {{"pads", Ints{1, 1, 1, 1}}});
  check_gradients(b.finish("conv"));
}

TEST(TrainGrad, ConvStrideDilationAsymmetricPads) {
  GraphBuilder b;
  b.input({-1, 2, 9, 8});
  b.op(OpKind::kConv, "conv", {"input", b.param("w", {2, 2, 3, 2})},
       {{"strides", Ints{2, 1}}, {"dilations", Ints{2, 2}}, {"pads", Ints{1, 0, 2, 1}}});
  check_gradients(b.finish("conv"));
}

TEST(TrainGrad, ConvGroups) {
  GraphBuilder b;
  b.input({-1, 4, 5, 5});
  b.op(OpKind::kConv, "conv", {"input", b.param("w", {6, 2, 3, 3}), b.param("b", {6})},
       {{"group", int64_t{2}}, {"strides", Ints{2, 2}}});
  check_gradients(b.finish("conv"));
}

TEST(TrainGrad, ConvAutoPadSameUpper) {
  GraphBuilder b;
  b.input({-1, 1, 6, 6});
  b.op(OpKind::kConv, "conv", {"input", b.param("w", {2, 1, 4, 4})},
       {{"auto_pad", std::string("SAME_UPPER")}, {"strides", Ints{2, 2}}});
  auto g = b.finish("conv");
  auto net = Network::create(g);
  ASSERT_TRUE(net.ok()) << net.status().to_string();
  EXPECT_EQ((*net)->output_shape(), (Shape{2, 3, 3}));
  check_gradients(g);
}

TEST(TrainGrad, MaxPool2x2) {
  GraphBuilder b;
  b.input({-1, 2, 6, 6});
  b.op(OpKind::kMaxPool, "pool", {"input"},
       {{"kernel_shape", Ints{2, 2}}, {"strides", Ints{2, 2}}});
  check_gradients(b.finish("pool"), {.distinct_inputs = true});
}

TEST(TrainGrad, MaxPool2x2OddSizeLeavesBorderWithoutGradient) {
  GraphBuilder b;
  b.input({-1, 2, 7, 5});
  b.op(OpKind::kMaxPool, "pool", {"input"},
       {{"kernel_shape", Ints{2, 2}}, {"strides", Ints{2, 2}}});
  check_gradients(b.finish("pool"), {.samples = 140, .distinct_inputs = true});
}

TEST(TrainGrad, MaxPoolOverlappingPaddedCeil) {
  GraphBuilder b;
  b.input({-1, 1, 7, 6});
  b.op(OpKind::kMaxPool, "pool", {"input"},
       {{"kernel_shape", Ints{3, 3}},
        {"strides", Ints{2, 2}},
        {"pads", Ints{1, 1, 1, 1}},
        {"ceil_mode", int64_t{1}}});
  check_gradients(b.finish("pool"), {.distinct_inputs = true});
}

TEST(TrainGrad, AveragePoolExcludePad) {
  GraphBuilder b;
  b.input({-1, 2, 5, 5});
  b.op(OpKind::kAveragePool, "pool", {"input"},
       {{"kernel_shape", Ints{3, 3}}, {"strides", Ints{2, 2}}, {"pads", Ints{1, 1, 1, 1}}});
  check_gradients(b.finish("pool"));
}

TEST(TrainGrad, AveragePoolIncludePadCeil) {
  GraphBuilder b;
  b.input({-1, 1, 6, 7});
  b.op(OpKind::kAveragePool, "pool", {"input"},
       {{"kernel_shape", Ints{3, 3}},
        {"strides", Ints{2, 2}},
        {"pads", Ints{1, 1, 1, 1}},
        {"count_include_pad", int64_t{1}},
        {"ceil_mode", int64_t{1}}});
  check_gradients(b.finish("pool"));
}

TEST(TrainGrad, GlobalAveragePool) {
  GraphBuilder b;
  b.input({-1, 3, 4, 5});
  b.op(OpKind::kGlobalAveragePool, "gap", {"input"});
  check_gradients(b.finish("gap"));
}

TEST(TrainGrad, Relu) {
  GraphBuilder b;
  b.input({-1, 10});
  b.op(OpKind::kRelu, "relu", {"input"});
  check_gradients(b.finish("relu"), {.input_min_abs = 0.05f});
}

TEST(TrainGrad, Sigmoid) {
  GraphBuilder b;
  b.input({-1, 10});
  b.op(OpKind::kSigmoid, "sig", {"input"});
  check_gradients(b.finish("sig"), {.input_scale = 3.0f});
}

TEST(TrainGrad, Tanh) {
  GraphBuilder b;
  b.input({-1, 10});
  b.op(OpKind::kTanh, "tanh", {"input"});
  check_gradients(b.finish("tanh"), {.input_scale = 2.0f});
}

TEST(TrainGrad, FlattenReshapeIdentity) {
  GraphBuilder b;
  b.input({-1, 2, 3, 2});
  b.op(OpKind::kFlatten, "flat", {"input"});
  b.op(OpKind::kReshape, "reshape", {"flat", b.i64("shape", {-1, 3, 4})});
  b.op(OpKind::kIdentity, "id", {"reshape"});
  b.op(OpKind::kTanh, "tanh", {"id"});
  auto g = b.finish("tanh");
  auto net = Network::create(g);
  ASSERT_TRUE(net.ok()) << net.status().to_string();
  EXPECT_EQ((*net)->output_shape(), (Shape{3, 4}));
  check_gradients(g);
}

TEST(TrainGrad, DropoutTrainingMode) {
  GraphBuilder b;
  b.input({-1, 50});
  b.op(OpKind::kDropout, "drop", {"input"}, {{"ratio", 0.3}});
  check_gradients(b.finish("drop"), {.batch = 4, .samples = 200});
}

TEST(TrainDropout, MaskStatisticsAndInferenceIdentity) {
  GraphBuilder b;
  b.input({-1, 1000});
  b.op(OpKind::kDropout, "drop", {"input"}, {{"ratio", 0.25}});
  auto net_or = Network::create(b.finish("drop"));
  ASSERT_TRUE(net_or.ok());
  Network& net = **net_or;
  std::vector<float> x(4000, 1.0f);
  const float* y = net.forward(x.data(), 4, /*training=*/true);
  int kept = 0;
  for (int i = 0; i < 4000; ++i) {
    if (y[i] != 0.0f) {
      ++kept;
      EXPECT_FLOAT_EQ(y[i], 1.0f / 0.75f);
    }
  }
  EXPECT_NEAR(kept / 4000.0, 0.75, 0.03);
  y = net.forward(x.data(), 4, /*training=*/false);
  for (int i = 0; i < 4000; ++i) ASSERT_EQ(y[i], 1.0f);
  // Same seed, same masks.
  net.reseed(5);
  const float* first = net.forward(x.data(), 4, true);
  std::vector<float> m1(first, first + 4000);
  net.reseed(5);
  const float* second = net.forward(x.data(), 4, true);
  EXPECT_EQ(m1, std::vector<float>(second, second + 4000));
}

TEST(TrainLoss, SoftmaxCrossEntropyGradientAndValue) {
  const int64_t n = 3, c = 4;
  std::vector<float> z = {0.1f, -1.2f, 2.0f, 0.3f, 5.0f, 5.0f, -3.0f, 0.0f, 1.0f, 2.0f, 3.0f, 4.0f};
  std::vector<uint8_t> labels = {2, 1, 0};
  std::vector<float> dz(z.size());
  int64_t correct = 0;
  const double loss = softmax_cross_entropy(z.data(), labels.data(), n, c, dz.data(), &correct);
  // By hand: row 0 picks its argmax (2); row 1 ties at 5, argmax is the first (0); row 2 is 3.
  EXPECT_EQ(correct, 1);
  double expect = 0.0;
  for (int64_t i = 0; i < n; ++i) {
    double s = 0.0;
    for (int64_t k = 0; k < c; ++k) s += std::exp(static_cast<double>(z[i * c + k]));
    expect += std::log(s) - z[i * c + labels[i]];
  }
  EXPECT_NEAR(loss, expect / n, 1e-9);
  const float eps = 1e-3f;
  for (size_t i = 0; i < z.size(); ++i) {
    const float saved = z[i];
    z[i] = saved + eps;
    const double lp = softmax_cross_entropy(z.data(), labels.data(), n, c, nullptr, nullptr);
    z[i] = saved - eps;
    const double lm = softmax_cross_entropy(z.data(), labels.data(), n, c, nullptr, nullptr);
    z[i] = saved;
    EXPECT_NEAR(dz[i], (lp - lm) / (2 * eps), 1e-4) << "logit " << i;
  }
  // Large logits stay finite.
  std::vector<float> big = {1000.0f, -1000.0f};
  uint8_t l = 1;
  EXPECT_NEAR(softmax_cross_entropy(big.data(), &l, 1, 2, nullptr, nullptr), 2000.0, 1e-6);
}

TEST(TrainLoss, DistillationLossValueAndGradient) {
  const int64_t n = 3, c = 4;
  std::vector<float> z = {1.0f, 2.0f, 0.5f, -1.0f, 0.0f, 0.0f, 3.0f, 1.0f, -2.0f, 4.0f, 1.0f, 0.0f};
  const std::vector<float> t = {2.0f, 1.0f, 0.0f, 0.0f, 1.0f, -1.0f, 2.5f, 0.0f,
                                0.0f, 3.0f, 3.0f, -1.0f};
  for (double temp : {1.0, 4.0}) {
    std::vector<float> dz(z.size());
    const double loss = distillation_loss(z.data(), t.data(), n, c, temp, dz.data());
    // By hand: T² · Σ q log(q / p) with q, p the softmaxes of t / T and z / T.
    double expect = 0.0;
    for (int64_t i = 0; i < n; ++i) {
      double sz = 0.0, st = 0.0;
      for (int64_t k = 0; k < c; ++k) {
        sz += std::exp(z[i * c + k] / temp);
        st += std::exp(t[i * c + k] / temp);
      }
      for (int64_t k = 0; k < c; ++k) {
        const double q = std::exp(t[i * c + k] / temp) / st;
        const double p = std::exp(z[i * c + k] / temp) / sz;
        expect += temp * temp * q * std::log(q / p);
      }
    }
    EXPECT_NEAR(loss, expect / n, 1e-9) << "T " << temp;
    EXPECT_GT(loss, 0.0);
    const float eps = 1e-3f;
    for (size_t i = 0; i < z.size(); ++i) {
      const float saved = z[i];
      z[i] = saved + eps;
      const double lp = distillation_loss(z.data(), t.data(), n, c, temp, nullptr);
      z[i] = saved - eps;
      const double lm = distillation_loss(z.data(), t.data(), n, c, temp, nullptr);
      z[i] = saved;
      EXPECT_NEAR(dz[i], (lp - lm) / (2 * eps), 1e-4) << "T " << temp << " logit " << i;
    }
  }
  // A student equal to its teacher has nothing to learn.
  std::vector<float> d(t.size(), 1.0f);
  EXPECT_NEAR(distillation_loss(t.data(), t.data(), n, c, 2.0, d.data()), 0.0, 1e-12);
  for (float v : d) EXPECT_NEAR(v, 0.0f, 1e-7f);
}

// ---- forward checks against direct loops

float direct_conv(const std::vector<float>& x, const std::vector<float>& w, const ConvGeometry& g,
                  int64_t b, int64_t m, int64_t oh, int64_t ow) {
  const int64_t cg = g.c / g.group;
  const int64_t gi = m / (g.m / g.group);
  double s = 0.0;
  for (int64_t ci = 0; ci < cg; ++ci) {
    for (int64_t i = 0; i < g.kh; ++i) {
      for (int64_t j = 0; j < g.kw; ++j) {
        const int64_t ih = oh * g.sh - g.pt + i * g.dh;
        const int64_t iw = ow * g.sw - g.pl + j * g.dw;
        if (ih < 0 || iw < 0 || ih >= g.h || iw >= g.w) continue;
        const int64_t c = gi * cg + ci;
        s += static_cast<double>(x[((b * g.c + c) * g.h + ih) * g.w + iw]) *
             w[((m * cg + ci) * g.kh + i) * g.kw + j];
      }
    }
  }
  return static_cast<float>(s);
}

TEST(TrainForward, ConvMatchesDirectLoop) {
  ConvGeometry g;
  g.c = 4;
  g.h = 7;
  g.w = 6;
  g.m = 6;
  g.kh = 3;
  g.kw = 2;
  g.sh = 2;
  g.sw = 1;
  g.dh = 1;
  g.dw = 2;
  g.pt = 1;
  g.pl = 2;
  g.pb = 0;
  g.pr = 1;
  g.group = 2;
  ASSERT_TRUE(conv_output_size(g));
  EXPECT_EQ(g.oh, (7 + 1 + 0 - 3) / 2 + 1);
  EXPECT_EQ(g.ow, (6 + 2 + 1 - 3) / 1 + 1);
  const int64_t n = 3;
  std::mt19937 rng(1);
  std::uniform_real_distribution<float> u(-1, 1);
  std::vector<float> x(static_cast<size_t>(n * g.c * g.h * g.w));
  std::vector<float> w(static_cast<size_t>(g.m * (g.c / g.group) * g.kh * g.kw));
  std::vector<float> bias(static_cast<size_t>(g.m));
  for (float& v : x) v = u(rng);
  for (float& v : w) v = u(rng);
  for (float& v : bias) v = u(rng);
  // Whole batch in one chunk, one image per chunk (GEMM straight into the output), and a
  // chunk size that does not divide the batch.
  for (int64_t chunk : {0, 1, 2}) {
    g.chunk = chunk;
    std::vector<float> scratch(static_cast<size_t>(conv_scratch_size(g, n)));
    std::vector<float> y(static_cast<size_t>(n * g.m * g.out_plane()));
    conv_forward(g, x.data(), w.data(), bias.data(), n, scratch.data(), y.data());
    for (int64_t b = 0; b < n; ++b) {
      for (int64_t m = 0; m < g.m; ++m) {
        for (int64_t oh = 0; oh < g.oh; ++oh) {
          for (int64_t ow = 0; ow < g.ow; ++ow) {
            const float want = direct_conv(x, w, g, b, m, oh, ow) + bias[static_cast<size_t>(m)];
            ASSERT_NEAR(y[static_cast<size_t>(((b * g.m + m) * g.oh + oh) * g.ow + ow)], want, 1e-5)
                << "chunk " << chunk;
          }
        }
      }
    }
  }
}

TEST(TrainForward, ConvBackwardIndependentOfChunking) {
  ConvGeometry g;
  g.c = 3;
  g.h = g.w = 6;
  g.m = 4;
  g.kh = g.kw = 3;
  g.pt = g.pl = g.pb = g.pr = 1;
  ASSERT_TRUE(conv_output_size(g));
  const int64_t n = 5;
  std::mt19937 rng(2);
  std::uniform_real_distribution<float> u(-1, 1);
  std::vector<float> x(static_cast<size_t>(n * 3 * 36)), w(4 * 27),
      dy(static_cast<size_t>(n * 4 * 36));
  for (float& v : x) v = u(rng);
  for (float& v : w) v = u(rng);
  for (float& v : dy) v = u(rng);
  std::vector<std::vector<float>> results;
  for (int64_t chunk : {0, 1, 2, 3}) {
    g.chunk = chunk;
    std::vector<float> scratch(static_cast<size_t>(conv_scratch_size(g, n)));
    std::vector<float> dw(w.size(), 0.0f), db(4, 0.0f), dx(x.size(), 7.0f);
    conv_backward(g, x.data(), w.data(), dy.data(), n, scratch.data(), dw.data(), db.data(),
                  dx.data());
    std::vector<float> all = dw;
    all.insert(all.end(), db.begin(), db.end());
    all.insert(all.end(), dx.begin(), dx.end());
    results.push_back(all);
  }
  for (size_t k = 1; k < results.size(); ++k) {
    for (size_t i = 0; i < results[0].size(); ++i) {
      ASSERT_NEAR(results[k][i], results[0][i], 1e-4) << "chunking " << k << " value " << i;
    }
  }
}

TEST(TrainForward, PoolsByHand) {
  // One 4x4 plane, 2x2 windows with stride 2.
  const std::vector<float> x = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16};
  PoolGeometry g;
  g.c = 1;
  g.h = g.w = 4;
  g.kh = g.kw = 2;
  g.sh = g.sw = 2;
  ASSERT_TRUE(pool_output_size(g));
  std::vector<float> y(4);
  std::vector<int32_t> arg(4);
  maxpool_forward(g, x.data(), 1, y.data(), arg.data());
  EXPECT_EQ(y, (std::vector<float>{6, 8, 14, 16}));
  EXPECT_EQ(arg, (std::vector<int32_t>{5, 7, 13, 15}));
  // Ties pick the first position in scan order (as the general path does).
  const std::vector<float> flat(16, 1.0f);
  maxpool_forward(g, flat.data(), 1, y.data(), arg.data());
  EXPECT_EQ(arg, (std::vector<int32_t>{0, 2, 8, 10}));
  const std::vector<float> tie = {0, 2, 0, 0, 2, 1, 0, 3, 0, 0, 5, 5, 0, 0, 5, 5};
  maxpool_forward(g, tie.data(), 1, y.data(), arg.data());
  EXPECT_EQ(y, (std::vector<float>{2, 3, 0, 5}));
  EXPECT_EQ(arg, (std::vector<int32_t>{1, 7, 8, 10}));
  avgpool_forward(g, x.data(), 1, y.data());
  EXPECT_EQ(y, (std::vector<float>{3.5f, 5.5f, 11.5f, 13.5f}));
  // 3x3 stride 2 pad 1: the corner window sees 4 values (exclude pad) or 9 (include pad).
  PoolGeometry p = g;
  p.kh = p.kw = 3;
  p.pt = p.pl = p.pb = p.pr = 1;
  ASSERT_TRUE(pool_output_size(p));
  EXPECT_EQ(p.oh, 2);
  std::vector<float> z(4);
  avgpool_forward(p, x.data(), 1, z.data());
  EXPECT_FLOAT_EQ(z[0], (1 + 2 + 5 + 6) / 4.0f);
  p.count_include_pad = true;
  avgpool_forward(p, x.data(), 1, z.data());
  EXPECT_FLOAT_EQ(z[0], (1 + 2 + 5 + 6) / 9.0f);
  // ceil_mode: 5 wide, k2 s2 gives 3 outputs with ceil, 2 with floor.
  PoolGeometry c;
  c.c = 1;
  c.h = c.w = 5;
  c.kh = c.kw = 2;
  c.sh = c.sw = 2;
  ASSERT_TRUE(pool_output_size(c));
  EXPECT_EQ(c.oh, 2);
  c.ceil_mode = true;
  ASSERT_TRUE(pool_output_size(c));
  EXPECT_EQ(c.oh, 3);
}

TEST(TrainForward, MaxPoolBackwardOverwritesEveryInput) {
  // 3x3 input, one 2x2 window: the last row and column get no gradient and must read 0 even
  // when dx held garbage.
  PoolGeometry g;
  g.c = 1;
  g.h = g.w = 3;
  g.kh = g.kw = 2;
  g.sh = g.sw = 2;
  ASSERT_TRUE(pool_output_size(g));
  ASSERT_EQ(g.oh, 1);
  const std::vector<float> x = {1, 4, 9, 3, 2, 9, 9, 9, 9};
  float y = 0;
  int32_t arg = -1;
  maxpool_forward(g, x.data(), 1, &y, &arg);
  EXPECT_EQ(y, 4.0f);
  EXPECT_EQ(arg, 1);
  std::vector<float> dx(9, 123.0f);
  const float dy = 0.5f;
  maxpool_backward(g, &dy, &arg, 1, dx.data());
  EXPECT_EQ(dx, (std::vector<float>{0, 0.5f, 0, 0, 0, 0, 0, 0, 0}));
  // Same with exact cover (2x2 input): every input is written.
  PoolGeometry e = g;
  e.h = e.w = 2;
  ASSERT_TRUE(pool_output_size(e));
  const std::vector<float> x2 = {1, 2, 7, 3};
  maxpool_forward(e, x2.data(), 1, &y, &arg);
  std::vector<float> dx2(4, 123.0f);
  maxpool_backward(e, &dy, &arg, 1, dx2.data());
  EXPECT_EQ(dx2, (std::vector<float>{0, 0, 0.5f, 0}));
}

TEST(TrainNetwork, UnsupportedOpIsNamed) {
  GraphBuilder b;
  b.input({-1, 3, 4, 4});
  b.op(OpKind::kLRN, "norm1", {"input"}, {{"size", int64_t{3}}});
  auto net = Network::create(b.finish("norm1"));
  ASSERT_FALSE(net.ok());
  EXPECT_EQ(net.status().code(), StatusCode::kUnimplemented);
  EXPECT_NE(net.status().message().find("norm1"), std::string::npos);
  EXPECT_NE(net.status().message().find("LRN"), std::string::npos);
}

TEST(TrainNetwork, FcNeedsFlatInput) {
  GraphBuilder b;
  b.input({-1, 2, 3, 3});
  b.op(OpKind::kFullyConnected, "fc", {"input", b.param("w", {4, 18})});
  auto net = Network::create(b.finish("fc"));
  ASSERT_FALSE(net.ok());
  EXPECT_NE(net.status().message().find("Flatten"), std::string::npos);
}

TEST(TrainNetwork, TrailingSoftmaxIsFoldedIntoTheLoss) {
  GraphBuilder b;
  b.input({-1, 4});
  b.op(OpKind::kFullyConnected, "fc", {"input", b.param("w", {3, 4}), b.param("b", {3})});
  b.op(OpKind::kSoftmax, "prob", {"fc"}, {{"axis", int64_t{1}}});
  auto net = Network::create(b.finish("prob"));
  ASSERT_TRUE(net.ok()) << net.status().to_string();
  EXPECT_EQ((*net)->logits_name(), "fc");
  EXPECT_EQ((*net)->output_shape(), (Shape{3}));
}

TEST(TrainNetwork, InputShapeFromOptionsWhenUnknown) {
  GraphBuilder b;
  b.input({-1, -1});
  b.op(OpKind::kRelu, "relu", {"input"});
  auto g = b.finish("relu");
  EXPECT_FALSE(Network::create(g).ok());
  NetworkOptions o;
  o.example_shape = {5};
  auto net = Network::create(g, o);
  ASSERT_TRUE(net.ok());
  EXPECT_EQ((*net)->input_shape(), (Shape{5}));
}

}  // namespace
}  // namespace sieve::train
