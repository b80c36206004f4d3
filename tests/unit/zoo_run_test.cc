// The small zoo networks run on the reference engine: initialised weights and a random input
// give finite logits of the published output shape.
#include <gtest/gtest.h>

#include <cmath>
#include <string>

#include "sieve/runtime/executor.h"
#include "sieve/zoo/zoo.h"

namespace sieve::zoo {
namespace {

Tensor random_input(const Shape& shape, uint32_t seed) {
  Tensor t(DType::kF32, shape);
  uint32_t s = seed;
  for (float& v : t.span<float>()) {
    s = s * 1664525u + 1013904223u;  // Numerical Recipes LCG: plenty for test inputs
    v = static_cast<float>(s >> 8) / 16777216.0f;
  }
  return t;
}

struct Case {
  const char* name;
  Shape output;
};

TEST(ZooRun, SmallModelsGiveFiniteLogits) {
  const Case kCases[] = {
      {"lenet-300-100", {2, 10}},         {"lenet5", {2, 10}},      {"cifar10-quick", {2, 10}},
      {"sparsenn-mlp3", {2, 10}},         {"lstm", {1, 1, 2, 512}}, {"eie-alexnet8", {2, 1000}},
      {"eie-neuraltalk-lstm", {2, 2400}},
  };
  for (const Case& c : kCases) {
    Result<ir::Graph> g = build(c.name, {.batch = 2, .init_weights = true, .seed = 11});
    ASSERT_TRUE(g.ok()) << g.status().to_string();
    const ir::Node* in = g->find_node("input");
    ASSERT_NE(in, nullptr);
    runtime::TensorMap feeds;
    feeds["input"] = random_input(in->attr_ints("shape"), 5);
    Result<runtime::TensorMap> out = runtime::run_graph(*g, feeds);
    ASSERT_TRUE(out.ok()) << c.name << ": " << out.status().to_string();
    auto it = out->find(g->outputs[0]);
    ASSERT_NE(it, out->end()) << c.name;
    const Tensor& y = it->second;
    EXPECT_EQ(y.shape(), c.output) << c.name;
    bool all_finite = true, all_zero = true;
    for (float v : y.span<float>()) {
      all_finite = all_finite && std::isfinite(v);
      all_zero = all_zero && v == 0.0f;
    }
    EXPECT_TRUE(all_finite) << c.name;
    EXPECT_FALSE(all_zero) << c.name;
    // The two samples of the batch differ, so their logits do.
    const int64_t half = y.numel() / 2;
    bool differ = false;
    for (int64_t i = 0; i < half; ++i)
      differ = differ || y.data<float>()[i] != y.data<float>()[half + i];
    EXPECT_TRUE(differ) << c.name;
  }
}

}  // namespace
}  // namespace sieve::zoo
