// SparseNN's output-sparsity predictor (train/sparsenn.h): gradients against finite differences,
// the SVD predictor at full rank, bad ranks, and a short training run on real data.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <random>
#include <vector>

#include "cli_util.h"
#include "sieve/io/datasets/dataset.h"
#include "sieve/train/layers.h"
#include "sieve/train/sparsenn.h"
#include "sieve/zoo/builder.h"
#include "sieve/zoo/zoo.h"

namespace sieve::train {
namespace {

// in -> hidden... -> classes, every hidden layer ReLU.
ir::Graph tiny_mlp(int64_t in, std::vector<int64_t> hidden, int64_t classes, uint64_t seed) {
  zoo::NetBuilder b("tiny-mlp");
  std::string x = b.flatten("flatten", b.input({1, in}));
  for (size_t i = 0; i < hidden.size(); ++i) {
    const std::string id = std::to_string(i + 1);
    x = b.relu("relu" + id, b.fc("fc" + id, x, hidden[i]));
  }
  x = b.fc("fc" + std::to_string(hidden.size() + 1), x, classes);
  ir::Graph g = b.finish(x);
  EXPECT_TRUE(zoo::init_weights(g, seed).ok());
  return g;
}

std::vector<float> random_inputs(int64_t count, uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::uniform_real_distribution<float> u(-1.0f, 1.0f);
  std::vector<float> x(static_cast<size_t>(count));
  for (float& v : x) v = u(rng);
  return x;
}

double loss_of(PredictedMlp& m, const std::vector<float>& x, const std::vector<uint8_t>& y,
               Gate gate, std::vector<float>* dlogits = nullptr) {
  const int64_t n = static_cast<int64_t>(y.size());
  const int64_t classes = m.layers().back().out;
  const float* logits = m.forward(x.data(), n, gate);
  if (dlogits != nullptr) dlogits->resize(static_cast<size_t>(n * classes));
  return softmax_cross_entropy(logits, y.data(), n, classes,
                               dlogits != nullptr ? dlogits->data() : nullptr, nullptr);
}

// Compares every analytic gradient of `params` with central differences at two step sizes;
// entries where the two differences disagree sit on a kink (ReLU, clamp) and are skipped.
// Returns the number of entries checked.
int check_gradients(PredictedMlp& m, const std::vector<Parameter*>& params,
                    const std::vector<float>& x, const std::vector<uint8_t>& y, Gate gate) {
  std::vector<float> dlogits;
  loss_of(m, x, y, gate, &dlogits);
  m.backward(dlogits.data());
  std::vector<std::vector<float>> analytic;
  for (Parameter* p : params) analytic.push_back(p->grad);
  int checked = 0;
  for (size_t k = 0; k < params.size(); ++k) {
    float* w = params[k]->value.data<float>();
    for (size_t i = 0; i < analytic[k].size(); ++i) {
      auto diff = [&](float eps) {
        const float keep = w[i];
        w[i] = keep + eps;
        const double up = loss_of(m, x, y, gate);
        w[i] = keep - eps;
        const double down = loss_of(m, x, y, gate);
        w[i] = keep;
        return (up - down) / (2.0 * eps);
      };
      const double d1 = diff(1e-2f), d2 = diff(5e-3f);
      if (std::fabs(d1 - d2) > 1e-3 + 0.02 * std::fabs(d1)) continue;  // a kink in between
      EXPECT_NEAR(analytic[k][i], d2, 2e-3 + 0.03 * std::fabs(d2))
          << params[k]->name << "[" << i << "]";
      ++checked;
    }
  }
  return checked;
}

TEST(SparseNNPredictor, EndToEndGradientsMatchFiniteDifferences) {
  // Smooth gate: the forward is differentiable, so every gradient must be exact, the
  // predictor's U, V, c included (the straight-through estimator under the hard gate uses the
  // same backward with the same slope).
  ir::Graph g = tiny_mlp(7, {6, 5}, 3, 11);
  auto m = PredictedMlp::from_graph(g);
  ASSERT_TRUE(m.ok()) << m.status().to_string();
  ASSERT_TRUE(m->set_predictors(PredictorMode::kEndToEnd, 2).ok());
  const std::vector<float> x = random_inputs(4 * 7, 5);
  const std::vector<uint8_t> y = {0, 2, 1, 2};
  std::vector<Parameter*> params = m->trainable();
  ASSERT_EQ(params.size(), 3u * 2 + 2u * 3);  // W, b of 3 layers; U, V, c of 2 predictors
  int total = 0, size = 0;
  for (Parameter* p : params) size += static_cast<int>(p->grad.size());
  total = check_gradients(*m, params, x, y, Gate::kSmooth);
  EXPECT_GT(total, size * 8 / 10);  // most entries are away from a kink

  // The predictor's gradients are not zero (the check above is not vacuous).
  double norm = 0;
  for (const LowRankPredictor& P : m->predictors())
    for (float v : P.u.grad) norm += std::fabs(v);
  EXPECT_GT(norm, 0.0);

  // The input gradient too.
  std::vector<float> dlogits, dx(x.size());
  loss_of(*m, x, y, Gate::kSmooth, &dlogits);
  m->backward(dlogits.data(), dx.data());
  std::vector<float> xp = x;
  for (size_t i = 0; i < x.size(); i += 3) {
    xp[i] = x[i] + 1e-2f;
    const double up = loss_of(*m, xp, y, Gate::kSmooth);
    xp[i] = x[i] - 1e-2f;
    const double down = loss_of(*m, xp, y, Gate::kSmooth);
    xp[i] = x[i];
    EXPECT_NEAR(dx[i], (up - down) / 2e-2, 3e-3 + 0.05 * std::fabs(dx[i])) << "x[" << i << "]";
  }
}

TEST(SparseNNPredictor, HardGateWeightGradientsAreExact) {
  // With one hidden layer the hard mask depends on the input and on U, V, c only, so the
  // gradients of W and b are true gradients of the gated network.
  ir::Graph g = tiny_mlp(8, {6}, 3, 3);
  auto m = PredictedMlp::from_graph(g);
  ASSERT_TRUE(m.ok());
  ASSERT_TRUE(m->set_predictors(PredictorMode::kEndToEnd, 2).ok());
  const std::vector<float> x = random_inputs(5 * 8, 9);
  const std::vector<uint8_t> y = {0, 1, 2, 1, 0};
  std::vector<Parameter*> wb;
  for (MlpLayer& L : m->layers()) {
    wb.push_back(&L.w);
    wb.push_back(&L.b);
  }
  EXPECT_GT(check_gradients(*m, wb, x, y, Gate::kHard), 50);
  // Rows of W whose output is predicted zero for every example get no gradient.
  m->forward(x.data(), 5, Gate::kHard);
  std::vector<float> dl;
  loss_of(*m, x, y, Gate::kHard, &dl);
  m->backward(dl.data());
  const MlpLayer& L = m->layers()[0];
  const LowRankPredictor& P = m->predictors()[0];
  for (int64_t o = 0; o < L.out; ++o) {
    bool all_off = true;
    for (int64_t e = 0; e < 5; ++e) {
      double s = P.c.value.data<float>()[o];
      for (int64_t k = 0; k < P.rank; ++k) {
        double t = 0;
        for (int64_t i = 0; i < L.in; ++i)
          t += P.v.value.data<float>()[k * L.in + i] * x[static_cast<size_t>(e * L.in + i)];
        s += P.u.value.data<float>()[o * P.rank + k] * t;
      }
      if (s > 0) all_off = false;
    }
    if (!all_off) continue;
    for (int64_t i = 0; i < L.in; ++i) EXPECT_EQ(L.w.grad[static_cast<size_t>(o * L.in + i)], 0.0f);
  }
}

TEST(SparseNNPredictor, FullRankSvdPredictsExactlyTheReluZeros) {
  // One hidden layer of 10 x 12: at rank 10 = min(m, n), U·V = W exactly.
  ir::Graph g1 = tiny_mlp(12, {10}, 4, 7);
  auto m1 = PredictedMlp::from_graph(g1);
  ASSERT_TRUE(m1.ok());
  ASSERT_TRUE(m1->set_predictors(PredictorMode::kSvd, 10).ok());
  const int64_t n = 200;
  Tensor images = Tensor::from_f32({n, 12}, random_inputs(n * 12, 1));
  std::vector<uint8_t> labels(static_cast<size_t>(n), 1);
  auto ev = m1->evaluate(images, labels, 64);
  ASSERT_TRUE(ev.ok());
  ASSERT_EQ(ev->layers.size(), 1u);
  EXPECT_NEAR(ev->layers[0].predicted_zero, ev->layers[0].relu_zero, 0.002);
  EXPECT_LE(ev->layers[0].missed, 0.002);
  EXPECT_GT(ev->layers[0].relu_zero, 0.2);
  // Without the predictor the same network computes the same error (nothing is gated away
  // that the ReLU would have kept).
  PredictedMlp plain = m1->clone();
  ASSERT_TRUE(plain.set_predictors(PredictorMode::kNone, 0).ok());
  auto ev0 = plain.evaluate(images, labels, 64);
  ASSERT_TRUE(ev0.ok());
  EXPECT_NEAR(ev0->error, ev->error, 0.01);
  EXPECT_EQ(ev0->layers[0].predicted_zero, 0.0);
  // A low rank misses some outputs.
  ASSERT_TRUE(m1->set_predictors(PredictorMode::kSvd, 1).ok());
  auto ev1 = m1->evaluate(images, labels, 64);
  ASSERT_TRUE(ev1.ok());
  EXPECT_GT(ev1->layers[0].missed, 0.01);
  // MAC counts: 12*10 + 10*4 dense; rank 1 predictor: 1 * (12 + 10).
  EXPECT_EQ(m1->dense_macs(), 160);
  EXPECT_EQ(m1->predictor_macs(), 22);
}

TEST(SparseNNPredictor, RefusesABadRankNamingTheLayer) {
  ir::Graph g = tiny_mlp(12, {10, 4}, 3, 2);
  auto m = PredictedMlp::from_graph(g);
  ASSERT_TRUE(m.ok());
  Status zero = m->set_predictors(PredictorMode::kSvd, 0);
  ASSERT_FALSE(zero.ok());
  EXPECT_NE(zero.message().find("rank 0"), std::string::npos) << zero.message();
  EXPECT_NE(zero.message().find("\"fc1\""), std::string::npos) << zero.message();
  Status big = m->set_predictors(PredictorMode::kEndToEnd, 5);  // fc2 is 4 x 10
  ASSERT_FALSE(big.ok());
  EXPECT_NE(big.message().find("\"fc2\""), std::string::npos) << big.message();
  EXPECT_NE(big.message().find("[1, 4]"), std::string::npos) << big.message();
  EXPECT_TRUE(m->predictors().empty());  // nothing installed by a refused call
  EXPECT_TRUE(m->set_predictors(PredictorMode::kEndToEnd, 4).ok());
}

TEST(SparseNNPredictor, TheCliRefusesABadRankBeforeTraining) {
  const sieve_test::CliRun r = sieve_test::run_sieve("sparsenn --ranks 15,0 --limit 10");
  EXPECT_EQ(r.rc, 1);
  EXPECT_NE(r.stderr_only.find("rank 0 for layer \"fc1\" (1000 x 784)"), std::string::npos)
      << r.out;
  const sieve_test::CliRun big =
      sieve_test::run_sieve("sparsenn --model sparsenn-mlp5 --ranks 785 --limit 10");
  EXPECT_EQ(big.rc, 1);
  EXPECT_NE(big.stderr_only.find("rank 785 for layer \"fc1\""), std::string::npos) << big.out;
}

TEST(SparseNNPredictor, RefusesAGraphThatIsNotAnMlp) {
  zoo::NetBuilder b("not-mlp");
  std::string x = b.input({1, 1, 8, 8});
  x = b.max_pool("pool", x, {.kernel = 2, .stride = 2});
  x = b.fc("fc1", b.flatten("flat", x), 3);
  ir::Graph g = b.finish(x);
  auto m = PredictedMlp::from_graph(g);
  ASSERT_FALSE(m.ok());
  EXPECT_NE(m.status().message().find("\"pool\""), std::string::npos) << m.status().message();
}

TEST(SparseNNPredictor, TrainsOnASmallFashionMnistSubset) {
  auto tr = io::load_dataset("fashion-mnist", "train", "", 1000);
  auto te = io::load_dataset("fashion-mnist", "test", "", 500);
  if (!tr.ok() || !te.ok()) GTEST_SKIP() << "dataset-fashion-mnist is not installed";
  auto g = zoo::build("sparsenn-mlp3");
  ASSERT_TRUE(g.ok());
  auto m = PredictedMlp::from_graph(*g);
  ASSERT_TRUE(m.ok());
  ASSERT_EQ(m->layers().size(), 2u);
  PredictorFitOptions opt;
  opt.epochs = 2;
  opt.lr.base_lr = 0.05;
  ASSERT_TRUE(m->fit(tr->images, tr->labels, opt).ok());
  for (PredictorMode mode : {PredictorMode::kSvd, PredictorMode::kEndToEnd}) {
    PredictedMlp p = m->clone();
    ASSERT_TRUE(p.set_predictors(mode, 15).ok());
    opt.epochs = 1;
    opt.lr.base_lr = 0.01;
    ASSERT_TRUE(p.fit(tr->images, tr->labels, opt).ok());
    auto ev = p.evaluate(te->images, te->labels);
    ASSERT_TRUE(ev.ok());
    EXPECT_LT(ev->error, 0.35) << predictor_mode_name(mode);
    ASSERT_EQ(ev->layers.size(), 1u);
    EXPECT_GT(ev->layers[0].predicted_zero, 0.2) << predictor_mode_name(mode);
    EXPECT_LT(ev->layers[0].predicted_zero, 0.99) << predictor_mode_name(mode);
    EXPECT_NEAR(ev->layers[0].input_density, 0.5, 0.1);  // Fashion-MNIST pixels
  }
  // The sparsity penalty of end-to-end training makes the predictor call more outputs zero.
  double rho[2] = {0, 0};
  for (int k = 0; k < 2; ++k) {
    PredictedMlp p = m->clone();
    ASSERT_TRUE(p.set_predictors(PredictorMode::kEndToEnd, 15).ok());
    opt.epochs = 3;  // a few tens of steps: fewer leave the predictor where the SVD put it
    opt.lr.base_lr = 0.01;
    opt.sparsity_penalty = k == 0 ? 0.0 : 1e-2;
    ASSERT_TRUE(p.fit(tr->images, tr->labels, opt).ok());
    auto ev = p.evaluate(te->images, te->labels);
    ASSERT_TRUE(ev.ok());
    rho[k] = ev->layers[0].predicted_zero;
  }
  EXPECT_GT(rho[1], rho[0] + 0.05);
}

}  // namespace
}  // namespace sieve::train
