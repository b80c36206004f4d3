#include <gtest/gtest.h>

#include <cmath>
#include <random>

#include "sieve/compress/quant/activation.h"
#include "sieve/compress/quant/finetune.h"
#include "sieve/compress/quant/quantize.h"

namespace sieve::compress::quant {
namespace {

struct Data {
  Tensor x;
  std::vector<uint8_t> y;
};

// Three Gaussian classes in 8 dimensions.
Data make_data(int64_t n, uint64_t seed) {
  std::mt19937_64 rng(42);
  std::normal_distribution<float> d(0.0f, 1.0f);
  float means[3][8];
  for (auto& m : means)
    for (float& v : m) v = 1.5f * d(rng);
  rng.seed(seed);
  Data out{Tensor(DType::kF32, {n, 8}), std::vector<uint8_t>(static_cast<size_t>(n))};
  for (int64_t i = 0; i < n; ++i) {
    const int c = static_cast<int>(i % 3);
    out.y[static_cast<size_t>(i)] = static_cast<uint8_t>(c);
    for (int j = 0; j < 8; ++j) out.x.data<float>()[i * 8 + j] = means[c][j] + d(rng);
  }
  return out;
}

ir::Graph make_graph() {
  ir::Graph g;
  g.name = "mlp";
  std::mt19937_64 rng(7);
  auto param = [&](const std::string& name, Shape s, float scale) {
    Tensor t(DType::kF32, s);
    std::uniform_real_distribution<float> u(-scale, scale);
    for (float& v : t.span<float>()) v = u(rng);
    g.initializers[name] = t;
  };
  param("fc1.w", {16, 8}, 0.35f);
  param("fc1.b", {16}, 0.0f);
  param("fc2.w", {3, 16}, 0.25f);
  param("fc2.b", {3}, 0.0f);
  ir::Node in;
  in.op = ir::OpKind::kInput;
  in.name = "x";
  in.outputs = {"x"};
  in.attrs["shape"] = std::vector<int64_t>{-1, 8};
  in.attrs["dtype"] = static_cast<int64_t>(DType::kF32);
  ir::Node fc1;
  fc1.op = ir::OpKind::kFullyConnected;
  fc1.name = "fc1";
  fc1.inputs = {"x", "fc1.w", "fc1.b"};
  fc1.outputs = {"h"};
  ir::Node relu;
  relu.op = ir::OpKind::kRelu;
  relu.name = "relu";
  relu.inputs = {"h"};
  relu.outputs = {"hr"};
  ir::Node fc2;
  fc2.op = ir::OpKind::kFullyConnected;
  fc2.name = "fc2";
  fc2.inputs = {"hr", "fc2.w", "fc2.b"};
  fc2.outputs = {"logits"};
  g.nodes = {in, fc1, relu, fc2};
  g.outputs = {"logits"};
  return g;
}

train::FitOptions fit_options(int epochs) {
  train::FitOptions f;
  f.epochs = epochs;
  f.batch = 32;
  f.lr.policy = train::LrPolicy::kConstant;
  f.lr.base_lr = 0.05;
  f.sgd.weight_decay = 0.0;
  return f;
}

struct Trained {
  ir::Graph graph;
  double accuracy = 0.0;
};

Trained train_dense(const Data& d) {
  Trained t;
  auto trainer = train::Trainer::create(make_graph());
  EXPECT_TRUE(trainer.ok());
  EXPECT_TRUE((*trainer)->fit(d.x, d.y, fit_options(4)).ok());
  t.accuracy = *(*trainer)->evaluate(d.x, d.y);
  t.graph = (*trainer)->graph().clone();
  return t;
}

double accuracy_of(const ir::Graph& g, const Data& d) {
  auto trainer = train::Trainer::create(g);
  EXPECT_TRUE(trainer.ok());
  return *(*trainer)->evaluate(d.x, d.y);
}

CompressedModel quantized(const ir::Graph& g, int bits, bool prune) {
  CompressedModel m;
  m.graph = g.clone();
  for (const char* name : {"fc1.w", "fc2.w"}) {
    CompressedLayer l;
    l.weight = name;
    l.node = std::string(name).substr(0, 3);
    const Tensor& w = m.graph.initializers.at(name);
    l.shape = w.shape();
    if (prune) {  // drop every weight with |w| below the median-ish 0.1
      l.mask = Tensor(DType::kU8, l.shape);
      for (int64_t i = 0; i < w.numel(); ++i) {
        l.mask.data<uint8_t>()[i] = std::fabs(w.data<float>()[i]) > 0.1f;
      }
    }
    QuantizeOptions q;
    q.bits = bits;
    EXPECT_TRUE(quantize_layer(l, w, q).ok());
    m.layers.push_back(l);
  }
  EXPECT_TRUE(decode(m).ok());
  return m;
}

TEST(Finetune, CentroidsMoveCodesStayWeightsFollow) {
  const Data d = make_data(600, 1);
  const Trained dense = train_dense(d);
  ASSERT_GT(dense.accuracy, 0.85);
  CompressedModel m = quantized(dense.graph, 1, /*prune=*/true);
  const double acc_q = accuracy_of(m.graph, d);
  const std::vector<uint16_t> codes1 = m.layers[0].codes;
  const std::vector<float> book1 = m.layers[0].codebooks[0];
  const float bias_before = m.graph.initializers.at("fc1.b").data<float>()[0];

  FinetuneOptions o;
  o.fit = fit_options(3);
  o.fit.lr.base_lr = 0.02;
  o.centroid_lr_scale = 0.05;
  Result<train::FitSummary> s = finetune_centroids(m, d.x, d.y, o);
  ASSERT_TRUE(s.ok()) << s.status().to_string();
  const double acc_ft = accuracy_of(m.graph, d);
  EXPECT_GE(acc_ft, acc_q - 0.005) << "quantized " << acc_q << " fine-tuned " << acc_ft;
  EXPECT_GT(acc_ft, 0.8);
  EXPECT_EQ(m.layers[0].codes, codes1);
  EXPECT_NE(m.layers[0].codebooks[0], book1);
  EXPECT_NE(m.graph.initializers.at("fc1.b").data<float>()[0], bias_before);  // biases train
  // The graph's weights are exactly the decoded layer: codebook values, pruned zeros.
  for (const CompressedLayer& l : m.layers) {
    Result<Tensor> w = decode_layer(l);
    ASSERT_TRUE(w.ok());
    const Tensor& g = m.graph.initializers.at(l.weight);
    for (int64_t i = 0; i < g.numel(); ++i) {
      ASSERT_EQ(g.data<float>()[i], w->data<float>()[i]) << l.weight << " " << i;
      if (l.mask.data<uint8_t>()[i] == 0) {
        ASSERT_EQ(g.data<float>()[i], 0.0f);
      }
    }
  }
}

TEST(Finetune, TernaryTrainsScalesAndCodes) {
  const Data d = make_data(600, 2);
  const Trained dense = train_dense(d);
  CompressedModel m;
  m.graph = dense.graph.clone();
  CompressedLayer l;
  l.weight = "fc1.w";
  l.node = "fc1";
  l.shape = {16, 8};
  ASSERT_TRUE(ternarize_layer(l, m.graph.initializers.at("fc1.w"), {.threshold = 0.05}).ok());
  m.layers.push_back(l);
  // fc2 is k-means quantized: its centroids are fine-tuned in the same run.
  CompressedLayer l2;
  l2.weight = "fc2.w";
  l2.node = "fc2";
  l2.shape = {3, 16};
  QuantizeOptions q2;
  q2.bits = 2;
  ASSERT_TRUE(quantize_layer(l2, m.graph.initializers.at("fc2.w"), q2).ok());
  m.layers.push_back(l2);
  const std::vector<uint16_t> codes2 = l2.codes;
  const std::vector<float> book0 = l.codebooks[0];
  FinetuneOptions o;
  o.fit = fit_options(3);
  o.fit.lr.base_lr = 0.02;
  o.centroid_lr_scale = 0.05;
  Result<train::FitSummary> s = finetune_ternary(m, dense.graph, d.x, d.y, o);
  ASSERT_TRUE(s.ok()) << s.status().to_string();
  const auto& book = m.layers[0].codebooks[0];
  ASSERT_EQ(book.size(), 3u);
  EXPECT_LT(book[0], 0.0f);
  EXPECT_EQ(book[1], 0.0f);
  EXPECT_GT(book[2], 0.0f);
  EXPECT_NE(book, book0);
  const Tensor& w = m.graph.initializers.at("fc1.w");
  for (float v : w.span<float>()) {
    EXPECT_TRUE(v == book[0] || v == 0.0f || v == book[2]) << v;
  }
  EXPECT_GT(accuracy_of(m.graph, d), 0.8);
  EXPECT_EQ(m.layers[1].codes, codes2);
  EXPECT_NE(m.layers[1].codebooks[0], l2.codebooks[0]);
  Result<Tensor> w2 = decode_layer(m.layers[1]);
  ASSERT_TRUE(w2.ok());
  const Tensor& g2 = m.graph.initializers.at("fc2.w");
  for (int64_t i = 0; i < g2.numel(); ++i) {
    ASSERT_EQ(g2.data<float>()[i], w2->data<float>()[i]) << i;
  }
}

TEST(Calibration, EveryActivationGetsAFormat) {
  const Data d = make_data(90, 3);
  CompressedModel m;
  m.graph = make_graph();
  ASSERT_TRUE(calibrate(m, d.x, {.max_examples = 64, .batch = 32}).ok());
  for (const char* v : {"x", "h", "hr", "logits"}) {
    ASSERT_EQ(m.activation_frac_bits.count(v), 1u) << v;
  }
  EXPECT_EQ(m.activation_frac_bits.count("fc1.w"), 0u);
  // The input's format fits the largest |x| of the first 64 examples.
  double mx = 0.0;
  for (int64_t i = 0; i < 64 * 8; ++i) mx = std::max(mx, std::fabs(double{d.x.data<float>()[i]}));
  EXPECT_EQ(m.activation_frac_bits["x"], choose_frac_bits(mx));
  EXPECT_LT(m.activation_frac_bits["x"], 15);
  // Wrong example size is refused with the input's name.
  Result<std::map<std::string, int>> bad =
      calibrate_activations(m.graph, Tensor(DType::kF32, {4, 7}));
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.status().message().find("\"x\""), std::string::npos) << bad.status().message();
}

}  // namespace
}  // namespace sieve::compress::quant
