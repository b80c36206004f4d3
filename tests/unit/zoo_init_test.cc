// init_weights: deterministic, PyTorch-default-like bounds, BatchNorm identity statistics.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <string>

#include "sieve/zoo/zoo.h"

namespace sieve::zoo {
namespace {

ir::Graph build_init(const std::string& name, uint64_t seed) {
  Result<ir::Graph> g = build(name, {.batch = 1, .init_weights = true, .seed = seed});
  EXPECT_TRUE(g.ok()) << g.status().to_string();
  return g.ok() ? std::move(g).value() : ir::Graph{};
}

const Tensor& weight(const ir::Graph& g, const std::string& name) {
  const Tensor* t = g.initializer(name);
  SIEVE_ASSERT(t != nullptr, "no initializer {}", name);
  return *t;
}

float max_abs(const Tensor& t) {
  float m = 0;
  for (float v : t.span<float>()) m = std::max(m, std::abs(v));
  return m;
}

double mean(const Tensor& t) {
  double s = 0;
  for (float v : t.span<float>()) s += v;
  return s / static_cast<double>(t.numel());
}

bool same_bytes(const Tensor& a, const Tensor& b) {
  return a.shape() == b.shape() && std::memcmp(a.raw(), b.raw(), a.nbytes()) == 0;
}

TEST(ZooInit, SameSeedSameWeights) {
  ir::Graph a = build_init("lenet5", 42);
  ir::Graph b = build_init("lenet5", 42);
  ASSERT_EQ(a.initializers.size(), b.initializers.size());
  for (const auto& [name, t] : a.initializers) {
    EXPECT_TRUE(same_bytes(t, weight(b, name))) << name;
  }
}

TEST(ZooInit, DifferentSeedOrTensorDifferentWeights) {
  ir::Graph a = build_init("lenet5", 1);
  ir::Graph b = build_init("lenet5", 2);
  for (const auto& [name, t] : a.initializers) {
    EXPECT_FALSE(same_bytes(t, weight(b, name))) << name;
  }
  // Two tensors of one graph draw from different streams.
  ir::Graph m = build_init("sparsenn-mlp5", 1);
  const Tensor& w2 = weight(m, "fc2.weight");
  const Tensor& w3 = weight(m, "fc3.weight");
  EXPECT_FALSE(same_bytes(w2, w3));
}

TEST(ZooInit, KaimingUniformBounds) {
  ir::Graph g = build_init("lenet5", 7);
  struct Case {
    const char* name;
    int64_t fan_in;
  };
  for (const Case& c : {Case{"conv1.weight", 25}, Case{"conv1.bias", 25}, Case{"conv2.weight", 500},
                        Case{"ip1.weight", 800}, Case{"ip2.weight", 500}, Case{"ip2.bias", 500}}) {
    const Tensor& t = weight(g, c.name);
    const float bound = 1.0f / std::sqrt(static_cast<float>(c.fan_in));
    EXPECT_LE(max_abs(t), bound) << c.name;
    if (t.numel() >= 500) {
      // Uniform over [-b, b): the extremes are reached and the mean is near 0.
      EXPECT_GE(max_abs(t), 0.95f * bound) << c.name;
      EXPECT_LE(std::abs(mean(t)), 0.1 * bound) << c.name;
    }
  }
}

TEST(ZooInit, GroupedConvFanInUsesChannelsPerGroup) {
  Result<ir::Graph> g = build("alexnet", {.init_weights = false});
  ASSERT_TRUE(g.ok());
  // Only initialise what we look at: drop the big fc layers' weights from the graph first.
  for (const char* fc : {"fc6", "fc7", "fc8"}) {
    g->initializers.erase(std::string(fc) + ".weight");
  }
  ASSERT_TRUE(init_weights(*g, 3).ok());
  const Tensor& w = weight(*g, "conv2.weight");  // [256, 48, 5, 5]: fan_in 48·25
  const float bound = 1.0f / std::sqrt(48.0f * 25.0f);
  EXPECT_LE(max_abs(w), bound);
  EXPECT_GE(max_abs(w), 0.95f * bound);
}

TEST(ZooInit, BatchNormIsIdentity) {
  Result<ir::Graph> g = build("resnet152", {.init_weights = true, .seed = 5});
  ASSERT_TRUE(g.ok());
  const Tensor& scale = weight(*g, "conv1_bn.weight");
  const Tensor& shift = weight(*g, "conv1_bn.bias");
  const Tensor& mean_t = weight(*g, "conv1_bn.running_mean");
  const Tensor& var = weight(*g, "conv1_bn.running_var");
  for (int64_t i = 0; i < 64; ++i) {
    EXPECT_EQ(scale.data<float>()[i], 1.0f);
    EXPECT_EQ(shift.data<float>()[i], 0.0f);
    EXPECT_EQ(mean_t.data<float>()[i], 0.0f);
    EXPECT_EQ(var.data<float>()[i], 1.0f);
  }
}

TEST(ZooInit, LstmUniformOneOverSqrtHidden) {
  ir::Graph g = build_init("lstm", 9);
  const float bound = 1.0f / 32.0f;  // 1/sqrt(1024)
  for (const char* name : {"lstm.W", "lstm.R", "lstm.B", "lstm.P", "lstm.W_proj"}) {
    const Tensor& t = weight(g, name);
    EXPECT_LE(max_abs(t), bound) << name;
    EXPECT_GE(max_abs(t), 0.95f * bound) << name;
  }
}

TEST(ZooInit, WithoutInitWeightsAreZero) {
  Result<ir::Graph> g = build("lenet5", {.init_weights = false});
  ASSERT_TRUE(g.ok());
  EXPECT_EQ(max_abs(weight(*g, "ip1.weight")), 0.0f);
}

TEST(ZooInit, NonFloatParameterIsAnError) {
  Result<ir::Graph> g = build("lenet-300-100", {.init_weights = false});
  ASSERT_TRUE(g.ok());
  g->initializers["ip2.weight"] = Tensor(DType::kI8, {100, 300});
  Status s = init_weights(*g, 1);
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.message().find("\"ip2\""), std::string::npos) << s.message();
  EXPECT_NE(s.message().find("ip2.weight"), std::string::npos) << s.message();
  EXPECT_NE(s.message().find("i8"), std::string::npos) << s.message();
}

}  // namespace
}  // namespace sieve::zoo
