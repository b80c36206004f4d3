// MACs per inference of the zoo networks: exact values worked by hand for the small ones,
// within 1 % of the published figures for the large ones; and the zoo's own shape bookkeeping
// agrees with ir::infer_shapes.
#include <gtest/gtest.h>

#include <cmath>
#include <string>

#include "sieve/ir/cost.h"
#include "sieve/ir/shape_inference.h"
#include "sieve/zoo/zoo.h"

namespace sieve::zoo {
namespace {

ir::Graph build_zero(const std::string& name, int64_t batch = 1) {
  Result<ir::Graph> g = build(name, {.batch = batch, .init_weights = false});
  EXPECT_TRUE(g.ok()) << g.status().to_string();
  return g.ok() ? std::move(g).value() : ir::Graph{};
}

int64_t macs_of(const std::string& name) {
  return ir::total_macs(build_zero(name));
}

int64_t node_macs(const ir::Graph& g, const std::string& node) {
  for (const ir::LayerStats& s : ir::layer_stats(g)) {
    if (s.node == node) return s.macs;
  }
  ADD_FAILURE() << "no node " << node;
  return -2;
}

void expect_within_1pct(const std::string& name, double published) {
  const double macs = static_cast<double>(macs_of(name));
  EXPECT_LE(std::abs(macs - published) / published, 0.01)
      << name << ": " << macs << " MACs vs published " << published;
}

TEST(ZooMacs, LeNet300100ByHand) {
  // 784·300 + 300·100 + 100·10
  EXPECT_EQ(macs_of("lenet-300-100"), 235'200 + 30'000 + 1'000);
}

TEST(ZooMacs, LeNet5ByHand) {
  ir::Graph g = build_zero("lenet5");
  EXPECT_EQ(node_macs(g, "conv1"), 24 * 24 * 20 * 25);     // 288,000
  EXPECT_EQ(node_macs(g, "conv2"), 8 * 8 * 50 * 20 * 25);  // 1,600,000
  EXPECT_EQ(node_macs(g, "ip1"), 800 * 500);
  EXPECT_EQ(node_macs(g, "ip2"), 500 * 10);
  EXPECT_EQ(node_macs(g, "pool1"), 0);
  EXPECT_EQ(ir::total_macs(g), 2'293'000);
}

TEST(ZooMacs, Cifar10QuickByHand) {
  // conv 32·32·32·75 + 16·16·32·800 + 8·8·64·800, fc 1024·64 + 64·10 (Caffe's ceil pooling:
  // 32 -> 16 -> 8 -> 4).
  EXPECT_EQ(macs_of("cifar10-quick"), 2'457'600 + 6'553'600 + 3'276'800 + 65'536 + 640);
}

TEST(ZooMacs, AlexNet) {
  ir::Graph g = build_zero("alexnet");
  EXPECT_EQ(node_macs(g, "conv1"), 55 * 55 * 96 * 363);
  EXPECT_EQ(node_macs(g, "conv2"), 27 * 27 * 256 * 48 * 25);  // two groups of 48 inputs
  EXPECT_EQ(node_macs(g, "fc6"), 9216 * 4096);
  EXPECT_EQ(ir::total_macs(g), 724'406'816);
  expect_within_1pct("alexnet", 724e6);
}

TEST(ZooMacs, Vgg16) {
  EXPECT_EQ(macs_of("vgg16"), 15'470'264'320);
  expect_within_1pct("vgg16", 15.5e9);
}

TEST(ZooMacs, ResNet152) {
  expect_within_1pct("resnet152", 11.5e9);  // torchvision: 11.51 GFLOPS (multiply-adds)
}

TEST(ZooMacs, SqueezeNet) {
  expect_within_1pct("squeezenet", 0.82e9);  // torchvision squeezenet1_0: 0.82 GFLOPS
}

TEST(ZooMacs, LstmPerTimeStep) {
  // 4096·153 + 4096·512 (gates) + 3·1024 (peepholes) + 512·1024 (projection)
  EXPECT_EQ(macs_of("lstm"), 626'688 + 2'097'152 + 3'072 + 524'288);
}

TEST(ZooMacs, EieLayersAreOneMatrixVectorProduct) {
  for (const std::string& name : names()) {
    if (name.rfind("eie-", 0) != 0) continue;
    ir::Graph g = build_zero(name);
    EXPECT_EQ(ir::total_macs(g), g.num_parameters()) << name;
  }
}

TEST(ZooMacs, ScaleWithBatch) {
  for (const char* name : {"lenet5", "lstm", "eie-vgg8", "squeezenet"}) {
    EXPECT_EQ(ir::total_macs(build_zero(name, 3)), 3 * ir::total_macs(build_zero(name, 1))) << name;
  }
}

TEST(ZooMacs, EveryModelVerifiesAndHasKnownMacs) {
  for (const std::string& name : names()) {
    ir::Graph g = build_zero(name);
    Status s = ir::verify(g);
    ASSERT_TRUE(s.ok()) << name << ": " << s.to_string();
    for (const ir::LayerStats& st : ir::layer_stats(g)) {
      EXPECT_GE(st.macs, 0) << name << "/" << st.node;
    }
  }
}

TEST(ZooMacs, InferredShapesMatchThePublishedOnes) {
  struct Expect {
    const char* model;
    const char* value;
    Shape shape;
  };
  const Expect kExpect[] = {
      {"lenet5", "pool2", {1, 50, 4, 4}},        {"cifar10-quick", "pool1", {1, 32, 16, 16}},
      {"cifar10-quick", "pool3", {1, 64, 4, 4}}, {"alexnet", "conv1", {1, 96, 55, 55}},
      {"alexnet", "pool5", {1, 256, 6, 6}},      {"vgg16", "pool5", {1, 512, 7, 7}},
      {"resnet152", "pool1", {1, 64, 56, 56}},   {"resnet152", "res5_3_relu", {1, 2048, 7, 7}},
      {"squeezenet", "pool1", {1, 96, 54, 54}},  {"squeezenet", "fire9_concat", {1, 512, 13, 13}},
      {"squeezenet", "flatten", {1, 1000}},      {"lstm", "lstm", {1, 1, 1, 512}},
      {"eie-neuraltalk-wd", "fc", {1, 8791}},
  };
  std::string current;
  ir::Graph g;
  for (const Expect& e : kExpect) {
    if (current != e.model) {
      g = build_zero(e.model);
      ASSERT_TRUE(ir::infer_shapes(g).ok()) << e.model;
      current = e.model;
    }
    auto it = g.values.find(e.value);
    ASSERT_NE(it, g.values.end()) << e.model << "/" << e.value;
    EXPECT_EQ(it->second.shape, e.shape) << e.model << "/" << e.value;
  }
}

TEST(ZooMacs, UnknownShapesGiveUnknownMacs) {
  ir::Graph g = build_zero("lenet-300-100");
  // An open batch dimension (as ONNX files often have) leaves the MACs unknown, not wrong.
  g.nodes[0].attrs["shape"] = std::vector<int64_t>{-1, 1, 28, 28};
  g.values.clear();
  for (const ir::LayerStats& s : ir::layer_stats(g)) {
    if (s.op == ir::OpKind::kFullyConnected) {
      EXPECT_EQ(s.macs, -1) << s.node;
    }
  }
  EXPECT_EQ(ir::total_macs(g), 0);
}

}  // namespace
}  // namespace sieve::zoo
