// The 16-bit fixed-point reference engine: its rounding, saturation and nonlinear functions,
// pooling arithmetic, refusals, and agreement with the float reference on whole models.
#include <gtest/gtest.h>

#include <cmath>
#include <random>
#include <string>

#include "kernels/ref_test_util.h"
#include "sieve/compress/model.h"
#include "sieve/compress/quant/activation.h"
#include "sieve/io/datasets/fashion_mnist.h"
#include "sieve/runtime/executor.h"
#include "sieve/runtime/fixed16/fixed16.h"
#include "sieve/zoo/zoo.h"

namespace sieve::runtime::fixed16 {
namespace {

using sieve::testing::make_node;

TEST(Fixed16Arith, ShiftRoundIsRoundHalfAwayFromZero) {
  EXPECT_EQ(shift_round(3, 1), 2);    // 1.5
  EXPECT_EQ(shift_round(-3, 1), -2);  // -1.5
  EXPECT_EQ(shift_round(5, 2), 1);    // 1.25
  EXPECT_EQ(shift_round(6, 2), 2);    // 1.5
  EXPECT_EQ(shift_round(-6, 2), -2);
  EXPECT_EQ(shift_round(-5, 2), -1);
  EXPECT_EQ(shift_round(7, 0), 7);
  EXPECT_EQ(shift_round(3, -2), 12);
  EXPECT_EQ(shift_round(1, 70), 0);
  EXPECT_EQ(shift_round(-1, -70), -(int64_t{1} << 62));
}

TEST(Fixed16Arith, RequantizeAndQuantizeSaturateToInt16) {
  EXPECT_EQ(requantize(int64_t{1} << 40, 10, 0), 32767);
  EXPECT_EQ(requantize(-(int64_t{1} << 40), 10, 0), -32768);
  EXPECT_EQ(requantize(96, 6, 0), 2);  // 1.5 -> 2
  EXPECT_EQ(quantize(1.5, 0), 2);
  EXPECT_EQ(quantize(-2.5, 0), -3);
  EXPECT_EQ(quantize(1.0, 15), 32767);
  EXPECT_EQ(quantize(-1.0, 15), -32768);
  EXPECT_EQ(quantize(0.75, 2), 3);
  EXPECT_EQ(quantize(100.0, -2), 25);
  EXPECT_EQ(quantize_wide(1.0, 40), int64_t{1} << 40);
}

TEST(Fixed16Arith, GateFunctionsAreQ114OfTheExactInput) {
  EXPECT_EQ(sigmoid_q(0, 10), 8192);  // 0.5
  EXPECT_EQ(tanh_q(0, 10), 0);
  EXPECT_EQ(tanh_q(int64_t{40} << 20, 20), 16384);  // tanh(40) = 1.0
  EXPECT_EQ(sigmoid_q(-(int64_t{40} << 20), 20), 0);
  EXPECT_EQ(sigmoid_q(1 << 12, 12), quantize(1.0 / (1.0 + std::exp(-1.0)), 14));
  EXPECT_EQ(weight_frac_bits(Tensor::from_f32({2}, {0.5f, -1.5f})), 14);
}

TEST(Fixed16Pool, AverageRoundsTheExactQuotientHalfAwayFromZero) {
  ir::Node n = make_node(ir::OpKind::kAveragePool, "p", {"x"}, {"y"},
                         {{"kernel_shape", ir::Attr(std::vector<int64_t>{2, 2})},
                          {"strides", ir::Attr(std::vector<int64_t>{2, 2})}});
  Tensor x(DType::kI16, {1, 2, 2, 2});
  x.set_frac_bits(0);
  const int16_t v[] = {1, 2, 2, 2, -1, -2, -2, -2};
  std::copy(v, v + 8, x.data<int16_t>());
  auto y = average_pool(n, x, {1, 2, 1, 1}, 0);
  ASSERT_TRUE(y.ok());
  EXPECT_EQ(y->data<int16_t>()[0], 2);   // 7/4 = 1.75
  EXPECT_EQ(y->data<int16_t>()[1], -2);  // -1.75
  auto y2 = average_pool(n, x, {1, 2, 1, 1}, 2);
  ASSERT_TRUE(y2.ok());
  EXPECT_EQ(y2->data<int16_t>()[0], 7);  // 1.75 in Q.2
  EXPECT_EQ(y2->frac_bits(), 2);
  auto m = max_pool(n, x, {1, 2, 1, 1});
  ASSERT_TRUE(m.ok());
  EXPECT_EQ(m->data<int16_t>()[0], 2);
  EXPECT_EQ(m->data<int16_t>()[1], -1);
}

compress::CompressedModel calibrated(const std::string& zoo_name, const Tensor& calib) {
  auto g = zoo::build(zoo_name, {.batch = 1, .seed = 11});
  EXPECT_TRUE(g.ok());
  compress::CompressedModel m;
  m.graph = std::move(*g);
  EXPECT_TRUE(compress::quant::calibrate(m, calib, {.max_examples = 16, .batch = 1}).ok());
  return m;
}

Tensor random_images(int64_t n, uint64_t seed) {
  std::mt19937 rng(static_cast<uint32_t>(seed));
  std::uniform_real_distribution<float> u(0.0f, 1.0f);
  Tensor t(DType::kF32, {n, 1, 28, 28});
  for (float& v : t.span<float>()) v = u(rng) < 0.4f ? 0.0f : u(rng);
  return t;
}

Tensor float_outputs(const ir::Graph& g0, const Tensor& x) {
  ir::Graph g = g0;
  for (ir::Node& n : g.nodes) {
    if (n.op == ir::OpKind::kInput) {
      auto s = n.attr_ints("shape");
      s[0] = -1;
      n.attrs["shape"] = s;
    }
  }
  auto r = run_graph(g, {{"input", x}});
  EXPECT_TRUE(r.ok()) << r.status().to_string();
  return r->at(g.outputs[0]);
}

double to_double(const Tensor& t, int64_t i) {
  return std::ldexp(static_cast<double>(t.data<int16_t>()[i]), -t.frac_bits());
}

TEST(Fixed16Model, Lenet5AgreesWithTheFloatReferenceWithinQuantizationError) {
  const auto m = calibrated("lenet5", random_images(16, 1));
  const Tensor x = random_images(4, 2);
  auto q = run(m, x);
  ASSERT_TRUE(q.ok()) << q.status().to_string();
  const Tensor f = float_outputs(m.graph, x);
  ASSERT_EQ(q->shape(), f.shape());
  double max_abs = 0, max_err = 0;
  for (int64_t i = 0; i < f.numel(); ++i) {
    max_abs = std::max(max_abs, std::fabs(static_cast<double>(f.data<float>()[i])));
    max_err = std::max(max_err, std::fabs(to_double(*q, i) - f.data<float>()[i]));
  }
  EXPECT_GT(max_abs, 0.0);
  EXPECT_LT(max_err, 0.01 * max_abs) << "max |float| " << max_abs;
}

TEST(Fixed16Model, Lenet5ArgmaxAgreesWithFloatOnTheTinyFashionMnistFixture) {
  const std::string dir = std::string(SIEVE_TEST_DATA_DIR) + "/fashion-mnist-tiny";
  auto train = io::load_fashion_mnist("train", dir);
  auto test = io::load_fashion_mnist("test", dir);
  ASSERT_TRUE(train.ok() && test.ok());
  const auto m = calibrated("lenet5", train->images);
  int agree = 0, total = 0;
  for (const io::Dataset* d : {&*train, &*test}) {
    auto q = run(m, d->images);
    ASSERT_TRUE(q.ok()) << q.status().to_string();
    const Tensor f = float_outputs(m.graph, d->images);
    const int64_t n = f.dim(0), k = f.dim(1);
    for (int64_t s = 0; s < n; ++s) {
      int64_t af = 0, aq = 0;
      for (int64_t j = 1; j < k; ++j) {
        if (f.data<float>()[s * k + j] > f.data<float>()[s * k + af]) af = j;
        if (q->data<int16_t>()[s * k + j] > q->data<int16_t>()[s * k + aq]) aq = j;
      }
      agree += af == aq ? 1 : 0;
      ++total;
    }
  }
  EXPECT_GE(agree, static_cast<int>(std::ceil(0.97 * total))) << agree << "/" << total;
}

TEST(Fixed16Model, TrailingSoftmaxIsSkippedAndTheLogitsReturned) {
  auto m = calibrated("lenet-300-100", random_images(4, 3));
  const Tensor x = random_images(2, 4);
  auto logits = run(m, x);
  ASSERT_TRUE(logits.ok());
  m.graph.nodes.push_back(make_node(ir::OpKind::kSoftmax, "prob", {"ip3"}, {"prob"}));
  m.graph.outputs = {"prob"};
  auto out = run(m, x);
  ASSERT_TRUE(out.ok()) << out.status().to_string();
  ASSERT_EQ(out->numel(), logits->numel());
  for (int64_t i = 0; i < out->numel(); ++i) {
    EXPECT_EQ(out->data<int16_t>()[i], logits->data<int16_t>()[i]);
  }
}

TEST(Fixed16Model, RefusesUnsupportedOpsByNameAndMissingActivationFormats) {
  auto m = calibrated("lenet-300-100", random_images(4, 5));
  const Tensor x = random_images(1, 6);
  auto m2 = m;
  m2.activation_frac_bits.erase("ip1");
  auto r = run(m2, x);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kFailedPrecondition);
  EXPECT_NE(r.status().message().find("\"ip1\""), std::string::npos);
  for (ir::Node& n : m.graph.nodes) {
    if (n.name == "relu2") n.op = ir::OpKind::kSigmoid;
  }
  auto s = run(m, x);
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.status().code(), StatusCode::kUnimplemented);
  EXPECT_NE(s.status().message().find("Sigmoid"), std::string::npos) << s.status().message();
}

}  // namespace
}  // namespace sieve::runtime::fixed16
