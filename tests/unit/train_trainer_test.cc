// Whole-network gradient checks, SGD and schedules, masks, determinism and learning a toy
// problem with train::Trainer.
#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <random>

#include "sieve/io/datasets/dataset.h"
#include "sieve/train/recipes.h"
#include "sieve/train/sgd.h"
#include "sieve/train/trainer.h"
#include "train_test_util.h"

namespace sieve::train {
namespace {

using ir::OpKind;
using testing::check_gradients;
using testing::GraphBuilder;
using testing::Ints;

// conv -> tanh -> avgpool -> flatten -> fc -> sigmoid -> fc: smooth everywhere.
ir::Graph smooth_cnn() {
  GraphBuilder b(11);
  b.input({-1, 2, 6, 6});
  b.op(OpKind::kConv, "conv", {"input", b.param("cw", {3, 2, 3, 3}), b.param("cb", {3})});
  b.op(OpKind::kTanh, "t1", {"conv"});
  b.op(OpKind::kAveragePool, "pool", {"t1"},
       {{"kernel_shape", Ints{2, 2}}, {"strides", Ints{2, 2}}});
  b.op(OpKind::kFlatten, "flat", {"pool"});
  b.op(OpKind::kFullyConnected, "fc1", {"flat", b.param("w1", {5, 12}), b.param("b1", {5})});
  b.op(OpKind::kSigmoid, "s1", {"fc1"});
  b.op(OpKind::kFullyConnected, "fc2", {"s1", b.param("w2", {3, 5}), b.param("b2", {3})});
  return b.finish("fc2");
}

// A miniature LeNet: conv -> maxpool -> relu -> conv -> maxpool -> flatten -> fc -> relu ->
// dropout -> fc.
ir::Graph mini_lenet(uint64_t seed = 3) {
  GraphBuilder b(seed);
  b.input({-1, 1, 12, 12});
  b.op(OpKind::kConv, "conv1", {"input", b.param("c1w", {4, 1, 3, 3}), b.param("c1b", {4})});
  b.op(OpKind::kMaxPool, "pool1", {"conv1"},
       {{"kernel_shape", Ints{2, 2}}, {"strides", Ints{2, 2}}});
  b.op(OpKind::kRelu, "relu0", {"pool1"});
  b.op(OpKind::kConv, "conv2", {"relu0", b.param("c2w", {6, 4, 2, 2}), b.param("c2b", {6})});
  b.op(OpKind::kMaxPool, "pool2", {"conv2"},
       {{"kernel_shape", Ints{2, 2}}, {"strides", Ints{2, 2}}});
  b.op(OpKind::kFlatten, "flat", {"pool2"});
  b.op(OpKind::kFullyConnected, "fc1", {"flat", b.param("f1w", {8, 24}), b.param("f1b", {8})});
  b.op(OpKind::kRelu, "relu1", {"fc1"});
  b.op(OpKind::kDropout, "drop", {"relu1"}, {{"ratio", 0.25}});
  b.op(OpKind::kFullyConnected, "fc2", {"drop", b.param("f2w", {3, 8}), b.param("f2b", {3})});
  return b.finish("fc2");
}

TEST(TrainGrad, WholeSmoothNetwork) {
  check_gradients(smooth_cnn(), {.batch = 3, .samples = 30});
}

TEST(TrainGrad, WholeMiniLeNetWithKinks) {
  // ReLU and max pooling have kinks a perturbation may cross; allow a couple of coordinates.
  check_gradients(mini_lenet(), {.batch = 2,
                                 .eps = 1e-3f,
                                 .atol = 3e-3,
                                 .rtol = 3e-2,
                                 .samples = 25,
                                 .allowed_mismatches = 2});
}

TEST(TrainSgd, MomentumAndWeightDecayByHand) {
  std::vector<Parameter> params(1);
  params[0].name = "w";
  params[0].value = Tensor::from_f32({2}, {1.0f, -2.0f});
  params[0].grad = {0.5f, 0.25f};
  Sgd sgd({.momentum = 0.9, .weight_decay = 0.1});
  sgd.step(params, 0.1, {});
  // v = g + wd*w = {0.6, 0.05}; w -= 0.1 v
  EXPECT_FLOAT_EQ(params[0].value.data<float>()[0], 1.0f - 0.06f);
  EXPECT_FLOAT_EQ(params[0].value.data<float>()[1], -2.0f - 0.005f);
  sgd.step(params, 0.1, {});
  // v = 0.9 v + g + wd w
  const float v0 = 0.9f * 0.6f + 0.5f + 0.1f * 0.94f;
  EXPECT_NEAR(params[0].value.data<float>()[0], 0.94f - 0.1f * v0, 1e-6);
}

TEST(TrainSgd, SchedulesByHand) {
  LrSchedule cos;
  cos.policy = LrPolicy::kCosine;
  cos.base_lr = 0.1;
  cos.min_lr = 0.001;
  EXPECT_DOUBLE_EQ(cos.lr_at(0, 10), 0.1);
  EXPECT_NEAR(cos.lr_at(5, 10), 0.0505, 1e-12);
  EXPECT_NEAR(cos.lr_at(10, 10), 0.001, 1e-12);
  LrSchedule step;
  step.policy = LrPolicy::kStep;
  step.base_lr = 0.1;
  step.step_epochs = 3;
  step.gamma = 0.5;
  EXPECT_DOUBLE_EQ(step.lr_at(2.9, 10), 0.1);
  EXPECT_DOUBLE_EQ(step.lr_at(3.0, 10), 0.05);
  EXPECT_DOUBLE_EQ(step.lr_at(7.5, 10), 0.025);
  LrSchedule warm;
  warm.policy = LrPolicy::kConstant;
  warm.base_lr = 1.0;
  warm.warmup_epochs = 2;
  EXPECT_DOUBLE_EQ(warm.lr_at(0, 10), 0.1);
  EXPECT_DOUBLE_EQ(warm.lr_at(1, 10), 0.55);
  EXPECT_DOUBLE_EQ(warm.lr_at(2, 10), 1.0);
  EXPECT_FALSE(parse_lr_policy("exp").ok());
  EXPECT_EQ(*parse_lr_policy("step"), LrPolicy::kStep);
}

// Two interleaved spirals would need depth; two separable clusters in 10-D with noise do not.
struct ToyData {
  Tensor x;
  std::vector<uint8_t> y;
};
ToyData toy_data(int64_t n, uint64_t seed) {
  std::mt19937 rng(static_cast<uint32_t>(seed));
  std::normal_distribution<float> noise(0.0f, 0.6f);
  ToyData d{Tensor(DType::kF32, {n, 10}), std::vector<uint8_t>(static_cast<size_t>(n))};
  float* x = d.x.data<float>();
  for (int64_t i = 0; i < n; ++i) {
    const uint8_t label = static_cast<uint8_t>(rng() % 3);
    d.y[static_cast<size_t>(i)] = label;
    for (int64_t k = 0; k < 10; ++k) {
      const float center = (k % 3 == label) ? 1.0f : -0.5f;
      x[i * 10 + k] = center + noise(rng);
    }
  }
  return d;
}

ir::Graph toy_mlp(uint64_t seed = 5) {
  GraphBuilder b(seed);
  b.input({-1, 10});
  b.op(OpKind::kFullyConnected, "fc1",
       {"input", b.param("w1", {16, 10}, 0.3f), b.param("b1", {16}, 0.1f)});
  b.op(OpKind::kRelu, "relu", {"fc1"});
  b.op(OpKind::kFullyConnected, "fc2",
       {"relu", b.param("w2", {3, 16}, 0.3f), b.param("b2", {3}, 0.1f)});
  return b.finish("fc2");
}

TEST(TrainTrainer, LearnsSeparableToyProblem) {
  ToyData train = toy_data(600, 1);
  ToyData test = toy_data(300, 2);
  auto t = Trainer::create(toy_mlp());
  ASSERT_TRUE(t.ok()) << t.status().to_string();
  Trainer& trainer = **t;
  const double before = *trainer.evaluate(test.x, test.y);
  FitOptions opt;
  opt.epochs = 8;
  opt.batch = 32;
  opt.lr.base_lr = 0.05;
  auto s = trainer.fit(train.x, train.y, opt);
  ASSERT_TRUE(s.ok()) << s.status().to_string();
  ASSERT_EQ(s->epochs.size(), 8u);
  EXPECT_LT(s->epochs.back().loss, 0.5 * s->epochs.front().loss);
  const double after = *trainer.evaluate(test.x, test.y);
  EXPECT_GT(after, 0.95) << "accuracy before training " << before;
  EXPECT_GT(after, before);
  auto logits = trainer.predict(test.x);
  ASSERT_TRUE(logits.ok());
  EXPECT_EQ(logits->shape(), (Shape{300, 3}));
}

// A student given only wrong labels still learns the task when alpha = 1 hands the loss to a
// trained teacher's logits; with alpha = 0 it learns the wrong labels.
TEST(TrainTrainer, DistillationFollowsTheTeacher) {
  ToyData train = toy_data(600, 1);
  ToyData test = toy_data(300, 2);
  auto teacher = Trainer::create(toy_mlp());
  ASSERT_TRUE(teacher.ok());
  FitOptions opt;
  opt.epochs = 8;
  opt.batch = 32;
  opt.lr.base_lr = 0.05;
  ASSERT_TRUE((*teacher)->fit(train.x, train.y, opt).ok());
  ASSERT_GT(*(*teacher)->evaluate(test.x, test.y), 0.95);
  auto logits = (*teacher)->predict(train.x);
  ASSERT_TRUE(logits.ok());
  std::vector<uint8_t> wrong(train.y.size());
  for (size_t i = 0; i < wrong.size(); ++i) wrong[i] = static_cast<uint8_t>((train.y[i] + 1) % 3);

  FitOptions kd = opt;
  kd.teacher_logits = std::make_shared<const Tensor>(*logits);
  kd.distill_alpha = 1.0;
  kd.distill_temperature = 2.0;
  auto student = Trainer::create(toy_mlp());
  ASSERT_TRUE(student.ok());
  ASSERT_TRUE((*student)->fit(train.x, wrong, kd).ok());
  EXPECT_GT(*(*student)->evaluate(test.x, test.y), 0.9);

  kd.distill_alpha = 0.0;
  auto plain = Trainer::create(toy_mlp());
  ASSERT_TRUE((*plain)->fit(train.x, wrong, kd).ok());
  EXPECT_LT(*(*plain)->evaluate(test.x, test.y), 0.2);

  // Teacher logits must cover every training image; alpha and T are checked.
  FitOptions bad = opt;
  bad.teacher_logits = std::make_shared<const Tensor>(Tensor(DType::kF32, {10, 3}));
  auto r = (*plain)->fit(train.x, train.y, bad);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("teacher logits: shape [10, 3], expected [600, 3]"),
            std::string::npos)
      << r.status().message();
  bad.teacher_logits = kd.teacher_logits;
  bad.distill_alpha = 1.5;
  EXPECT_FALSE((*plain)->fit(train.x, train.y, bad).ok());
  bad.distill_alpha = 0.5;
  bad.distill_temperature = 0.0;
  EXPECT_FALSE((*plain)->fit(train.x, train.y, bad).ok());
}

TEST(TrainTrainer, ProgressIsReportedPerBatch) {
  ToyData train = toy_data(100, 1);
  auto t = Trainer::create(toy_mlp());
  ASSERT_TRUE(t.ok());
  FitOptions opt;
  opt.epochs = 2;
  opt.batch = 30;
  std::vector<Progress> seen;
  ASSERT_TRUE((*t)->fit(train.x, train.y, opt, [&](const Progress& p) { seen.push_back(p); }).ok());
  ASSERT_EQ(seen.size(), 8u);  // 4 batches (30, 30, 30, 10) per epoch
  EXPECT_EQ(seen[3].batch, 4);
  EXPECT_TRUE(seen[3].end_of_epoch);
  EXPECT_FALSE(seen[2].end_of_epoch);
  EXPECT_EQ(seen[7].epoch, 2);
  EXPECT_DOUBLE_EQ(seen[7].eta_seconds, 0.0);
  EXPECT_LT(seen[7].lr, seen[0].lr);  // cosine decays
}

std::vector<float> all_weights(const Trainer& t) {
  std::vector<float> w;
  for (const std::string& name : t.parameter_names()) {
    const Tensor& v = t.graph().initializers.at(name);
    w.insert(w.end(), v.data<float>(), v.data<float>() + v.numel());
  }
  return w;
}

TEST(TrainTrainer, SameSeedGivesBitIdenticalWeights) {
  // A conv net with dropout: shuffling, dropout masks and sgemm all have to repeat exactly.
  std::mt19937 rng(4);
  std::uniform_real_distribution<float> u(0, 1);
  Tensor x(DType::kF32, {64, 1, 12, 12});
  for (float& v : x.span<float>()) v = u(rng);
  std::vector<uint8_t> y(64);
  for (auto& l : y) l = static_cast<uint8_t>(rng() % 3);
  FitOptions opt;
  opt.epochs = 2;
  opt.batch = 16;
  opt.seed = 42;
  auto run = [&](uint64_t seed, int threads, int shards) {
    TrainerOptions to;
    to.threads = threads;
    to.shards = shards;
    auto t = Trainer::create(mini_lenet(), to);
    EXPECT_TRUE(t.ok());
    EXPECT_EQ((*t)->threads(), std::min(threads, shards));
    FitOptions o = opt;
    o.seed = seed;
    EXPECT_TRUE((*t)->fit(x, y, o).ok());
    return all_weights(**t);
  };
  const std::vector<float> a = run(42, 2, 2);
  const std::vector<float> b = run(42, 2, 2);
  const std::vector<float> c = run(43, 2, 2);
  // The thread count does not change the result; the shard count may (summation order).
  const std::vector<float> d = run(42, 1, 2);
  ASSERT_EQ(a.size(), b.size());
  EXPECT_EQ(std::memcmp(a.data(), b.data(), a.size() * sizeof(float)), 0);
  EXPECT_EQ(std::memcmp(a.data(), d.data(), a.size() * sizeof(float)), 0);
  EXPECT_NE(a, c);
}

TEST(TrainTrainer, ShardsSplitOddBatchesAndEvaluateTheSame) {
  // 3 shards on batches of 7 and a final batch of 2 (one empty shard): the gradient must still
  // be the whole minibatch's mean, so one step matches the single-shard trainer closely.
  ToyData d = toy_data(9, 4);
  FitOptions opt;
  opt.epochs = 1;
  opt.batch = 7;
  opt.shuffle = false;
  opt.lr.policy = LrPolicy::kConstant;
  TrainerOptions o1, o3, o0;
  o1.shards = 1;
  o3.shards = 3;
  o3.threads = 3;
  o0.shards = 0;
  auto one = Trainer::create(toy_mlp(), o1);
  auto three = Trainer::create(toy_mlp(), o3);
  ASSERT_TRUE(one.ok() && three.ok());
  ASSERT_TRUE((*one)->fit(d.x, d.y, opt).ok());
  ASSERT_TRUE((*three)->fit(d.x, d.y, opt).ok());
  const std::vector<float> w1 = all_weights(**one), w3 = all_weights(**three);
  for (size_t i = 0; i < w1.size(); ++i) ASSERT_NEAR(w1[i], w3[i], 1e-5) << "weight " << i;
  ToyData t = toy_data(50, 5);
  EXPECT_DOUBLE_EQ(*(*one)->evaluate(t.x, t.y, 8), *(*three)->evaluate(t.x, t.y, 8));
  auto p1 = (*one)->predict(t.x, 5);
  auto p3 = (*three)->predict(t.x, 64);
  ASSERT_TRUE(p1.ok() && p3.ok());
  for (int64_t i = 0; i < p1->numel(); ++i) {
    ASSERT_NEAR(p1->data<float>()[i], p3->data<float>()[i], 1e-5);
  }
  EXPECT_FALSE(Trainer::create(toy_mlp(), o0).ok());
}

TEST(TrainTrainer, MaskedWeightsStayExactlyZero) {
  ToyData train = toy_data(200, 3);
  auto t = Trainer::create(toy_mlp());
  ASSERT_TRUE(t.ok());
  Trainer& trainer = **t;
  const std::vector<float> w_before = [&] {
    const Tensor& w = trainer.graph().initializers.at("w1");
    return std::vector<float>(w.data<float>(), w.data<float>() + w.numel());
  }();
  Tensor mask(DType::kU8, {16, 10});
  uint8_t* m = mask.data<uint8_t>();
  for (int64_t i = 0; i < 160; ++i) m[i] = (i % 3 == 0) ? 1 : 0;  // prune two thirds
  ASSERT_TRUE(trainer.set_masks({{"w1", mask}}).ok());
  FitOptions opt;
  opt.epochs = 3;
  opt.batch = 20;
  opt.lr.base_lr = 0.05;
  ASSERT_TRUE(trainer.fit(train.x, train.y, opt).ok());
  const Tensor& w = trainer.graph().initializers.at("w1");
  int changed = 0;
  for (int64_t i = 0; i < 160; ++i) {
    if (m[i] == 0) {
      ASSERT_EQ(w.data<float>()[i], 0.0f) << "pruned weight " << i;
      ASSERT_FALSE(std::signbit(w.data<float>()[i])) << "pruned weight " << i << " is -0";
    } else if (w.data<float>()[i] != w_before[static_cast<size_t>(i)]) {
      ++changed;
    }
  }
  EXPECT_GT(changed, 40);  // the kept weights did train
  // Write-back carries the zeros into another graph.
  ir::Graph g = toy_mlp();
  ASSERT_TRUE(trainer.write_weights(g).ok());
  EXPECT_EQ(g.initializers.at("w1").data<float>()[1], 0.0f);
  EXPECT_EQ(g.initializers.at("w1").data<float>()[0], w.data<float>()[0]);
}

TEST(TrainTrainer, AfterStepHookSeesGradientsAndMasksWin) {
  ToyData train = toy_data(64, 6);
  auto t = Trainer::create(toy_mlp());
  ASSERT_TRUE(t.ok());
  Tensor mask(DType::kU8, {16, 10});
  for (int64_t i = 0; i < 160; ++i) mask.data<uint8_t>()[i] = i < 80 ? 1 : 0;
  ASSERT_TRUE((*t)->set_masks({{"w1", mask}}).ok());
  FitOptions opt;
  opt.epochs = 2;
  opt.batch = 16;
  int calls = 0;
  double last_lr = -1;
  bool grads_nonzero = false;
  opt.after_step = [&](std::vector<Parameter>& params, double lr) {
    ++calls;
    last_lr = lr;
    for (Parameter& p : params) {
      for (float g : p.grad) grads_nonzero = grads_nonzero || g != 0.0f;
      if (p.name == "w1")
        std::fill(p.value.span<float>().begin(), p.value.span<float>().end(), 0.25f);
    }
  };
  ASSERT_TRUE((*t)->fit(train.x, train.y, opt).ok());
  EXPECT_EQ(calls, 8);  // 4 minibatches x 2 epochs
  EXPECT_GT(last_lr, 0.0);
  EXPECT_TRUE(grads_nonzero);
  const float* w = (*t)->graph().initializers.at("w1").data<float>();
  EXPECT_EQ(w[0], 0.25f);   // the hook's value
  EXPECT_EQ(w[100], 0.0f);  // masked: re-applied after the hook
}

TEST(TrainTrainer, BadMasksAreRejected) {
  auto t = Trainer::create(toy_mlp());
  ASSERT_TRUE(t.ok());
  Status s = (*t)->set_masks({{"nope", Tensor(DType::kU8, {16, 10})}});
  EXPECT_NE(s.message().find("nope"), std::string::npos);
  EXPECT_NE(s.message().find("w1"), std::string::npos);  // lists the parameters
  s = (*t)->set_masks({{"w1", Tensor(DType::kF32, {16, 10})}});
  EXPECT_NE(s.message().find("u8"), std::string::npos);
  s = (*t)->set_masks({{"w1", Tensor(DType::kU8, {10, 16})}});
  EXPECT_NE(s.message().find("[10,16]"), std::string::npos);
}

TEST(TrainTrainer, BadDataIsRejected) {
  auto t = Trainer::create(toy_mlp());
  ASSERT_TRUE(t.ok());
  Tensor x(DType::kF32, {4, 9});
  std::vector<uint8_t> y(4, 0);
  auto r = (*t)->evaluate(x, y);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("9 values per example"), std::string::npos);
  Tensor x2(DType::kF32, {4, 10});
  std::vector<uint8_t> bad = {0, 1, 7, 0};
  r = (*t)->evaluate(x2, bad);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("label 7"), std::string::npos);
  FitOptions opt;
  opt.lr.base_lr = 1e6;  // diverges
  ToyData d = toy_data(64, 9);
  auto f = (*t)->fit(d.x, d.y, opt);
  ASSERT_FALSE(f.ok());
  EXPECT_NE(f.status().message().find("diverged"), std::string::npos);
}

TEST(TrainTrainer, WriteWeightsChecksShapes) {
  auto t = Trainer::create(toy_mlp());
  ASSERT_TRUE(t.ok());
  ir::Graph g = toy_mlp();
  g.initializers["w2"] = Tensor(DType::kF32, {3, 15});
  Status s = (*t)->write_weights(g);
  EXPECT_FALSE(s.ok());
  EXPECT_NE(s.message().find("w2"), std::string::npos);
}

}  // namespace
}  // namespace sieve::train

namespace sieve::train {
namespace {

TEST(TrainRecipes, PerModelDefaultsAndDatasets) {
  const FitOptions l5 = default_fit_options("lenet5");
  EXPECT_EQ(l5.epochs, 10);
  EXPECT_EQ(l5.batch, 64);
  EXPECT_DOUBLE_EQ(l5.lr.base_lr, 0.03);
  EXPECT_EQ(l5.lr.policy, LrPolicy::kCosine);
  EXPECT_DOUBLE_EQ(l5.sgd.momentum, 0.9);
  EXPECT_DOUBLE_EQ(l5.sgd.weight_decay, 5e-4);
  const FitOptions mlp = default_fit_options("lenet-300-100");
  EXPECT_EQ(mlp.epochs, 30);
  EXPECT_DOUBLE_EQ(mlp.lr.base_lr, 0.05);
  EXPECT_EQ(default_fit_options("model.onnx").epochs, 10);  // the generic row
  auto bad = io::load_dataset("cifar-100", "train");
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.status().message(), "unknown dataset \"cifar-100\"; known: fashion-mnist");
}

}  // namespace
}  // namespace sieve::train
