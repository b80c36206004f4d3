// The zoo's networks have their published parameter counts and weight shapes.
#include <gtest/gtest.h>

#include <set>
#include <string>

#include "sieve/ir/cost.h"
#include "sieve/zoo/zoo.h"

namespace sieve::zoo {
namespace {

ir::Graph build_zero(const std::string& name, int64_t batch = 1) {
  Result<ir::Graph> g = build(name, {.batch = batch, .init_weights = false});
  EXPECT_TRUE(g.ok()) << g.status().to_string();
  return g.ok() ? std::move(g).value() : ir::Graph{};
}

Shape weight_shape(const ir::Graph& g, const std::string& name) {
  const Tensor* t = g.initializer(name);
  EXPECT_NE(t, nullptr) << name;
  return t != nullptr ? t->shape() : Shape{};
}

struct Published {
  const char* name;
  int64_t params;
};

// Published counts (weights + biases; BatchNorm scale and shift, no running statistics).
constexpr Published kPublished[] = {
    {"lenet-300-100", 266'610},     // 784·300+300 + 300·100+100 + 100·10+10
    {"lenet5", 431'080},            // Caffe LeNet
    {"cifar10-quick", 145'578},     // Caffe cifar10_quick
    {"alexnet", 60'965'224},        // BVLC AlexNet
    {"vgg16", 138'357'544},         // VGG-16 D
    {"resnet152", 60'192'808},      // torchvision resnet152
    {"squeezenet", 1'248'424},      // SqueezeNet 1.0
    {"lstm", 3'259'392},            // 3,248,128 weights + 3,072 peepholes + 8,192 ONNX biases
    {"sparsenn-mlp3", 795'010},     // 784·1000+1000 + 1000·10+10
    {"sparsenn-mlp5", 2'797'010},   // + 2 · (1000·1000+1000)
    {"eie-alexnet6", 4096 * 9216},  // EIE layers: the weight matrix only, no biases
    {"eie-alexnet7", 4096 * 4096},
    {"eie-alexnet8", 1000 * 4096},
    {"eie-vgg6", 4096 * 25088},
    {"eie-vgg7", 4096 * 4096},
    {"eie-vgg8", 1000 * 4096},
    {"eie-neuraltalk-we", 600 * 4096},
    {"eie-neuraltalk-wd", 8791 * 600},
    {"eie-neuraltalk-lstm", 2400 * 1201},
};

TEST(ZooParams, PublishedCountsExactly) {
  for (const Published& p : kPublished) {
    ir::Graph g = build_zero(p.name);
    EXPECT_EQ(g.num_parameters(), p.params) << p.name;
  }
}

TEST(ZooParams, EveryNameHasAPublishedCount) {
  std::set<std::string> published;
  for (const Published& p : kPublished) published.insert(p.name);
  std::vector<std::string> all = names();
  EXPECT_EQ(all.size(), std::size(kPublished));
  for (const std::string& n : all) EXPECT_TRUE(published.count(n)) << n;
}

TEST(ZooParams, LayerStatsParamsSumToGraphCount) {
  for (const std::string& name : names()) {
    ir::Graph g = build_zero(name);
    int64_t sum = 0;
    for (const ir::LayerStats& s : ir::layer_stats(g)) sum += s.params;
    EXPECT_EQ(sum, g.num_parameters()) << name;
  }
}

TEST(ZooParams, EveryModelHasOneInputNamedInputAndOneOutput) {
  for (const std::string& name : names()) {
    ir::Graph g = build_zero(name);
    EXPECT_EQ(g.input_names(), std::vector<std::string>{"input"}) << name;
    ASSERT_EQ(g.outputs.size(), 1u) << name;
    const ir::Node* last = g.producer(g.outputs[0]);
    ASSERT_NE(last, nullptr) << name;
    EXPECT_NE(last->op, ir::OpKind::kSoftmax) << name << ": classifiers end in logits";
    EXPECT_EQ(g.name, name);
  }
}

TEST(ZooParams, AlexNetGroupedConvolutionShapes) {
  ir::Graph g = build_zero("alexnet");
  EXPECT_EQ(weight_shape(g, "conv1.weight"), (Shape{96, 3, 11, 11}));
  EXPECT_EQ(weight_shape(g, "conv2.weight"), (Shape{256, 48, 5, 5}));
  EXPECT_EQ(weight_shape(g, "conv3.weight"), (Shape{384, 256, 3, 3}));
  EXPECT_EQ(weight_shape(g, "conv4.weight"), (Shape{384, 192, 3, 3}));
  EXPECT_EQ(weight_shape(g, "conv5.weight"), (Shape{256, 192, 3, 3}));
  EXPECT_EQ(weight_shape(g, "fc6.weight"), (Shape{4096, 9216}));
  EXPECT_EQ(weight_shape(g, "fc8.weight"), (Shape{1000, 4096}));
  const ir::Node* conv2 = g.find_node("conv2");
  ASSERT_NE(conv2, nullptr);
  EXPECT_EQ(conv2->attr_int("group", 1), 2);
  const ir::Node* norm1 = g.find_node("norm1");
  ASSERT_NE(norm1, nullptr);
  EXPECT_EQ(norm1->op, ir::OpKind::kLRN);
  EXPECT_EQ(norm1->attr_int("size", 0), 5);
}

TEST(ZooParams, LenetAndCifarWeightShapes) {
  ir::Graph lenet = build_zero("lenet5");
  EXPECT_EQ(weight_shape(lenet, "conv2.weight"), (Shape{50, 20, 5, 5}));
  EXPECT_EQ(weight_shape(lenet, "ip1.weight"), (Shape{500, 800}));
  ir::Graph cifar = build_zero("cifar10-quick");
  EXPECT_EQ(weight_shape(cifar, "ip1.weight"), (Shape{64, 1024}));  // 64 channels · 4 · 4
  const ir::Node* pool2 = cifar.find_node("pool2");
  ASSERT_NE(pool2, nullptr);
  EXPECT_EQ(pool2->op, ir::OpKind::kAveragePool);
  EXPECT_EQ(pool2->attr_int("ceil_mode", 0), 1);
}

TEST(ZooParams, LstmpDimensions) {
  ir::Graph g = build_zero("lstm");
  EXPECT_EQ(weight_shape(g, "lstm.W"), (Shape{1, 4 * 1024, 153}));
  EXPECT_EQ(weight_shape(g, "lstm.R"), (Shape{1, 4 * 1024, 512}));
  EXPECT_EQ(weight_shape(g, "lstm.B"), (Shape{1, 8 * 1024}));
  EXPECT_EQ(weight_shape(g, "lstm.P"), (Shape{1, 3 * 1024}));
  EXPECT_EQ(weight_shape(g, "lstm.W_proj"), (Shape{1, 512, 1024}));
  const ir::Node* n = g.find_node("lstm");
  ASSERT_NE(n, nullptr);
  EXPECT_EQ(n->inputs.size(), 9u);
  EXPECT_EQ(n->attr_int("hidden_size", 0), 1024);
  EXPECT_EQ(n->attr_int("proj_size", 0), 512);
}

TEST(ZooParams, ResNetHasBatchNormAndShortcuts) {
  ir::Graph g = build_zero("resnet152");
  int convs = 0, bns = 0, adds = 0;
  for (const ir::Node& n : g.nodes) {
    convs += n.op == ir::OpKind::kConv;
    bns += n.op == ir::OpKind::kBatchNorm;
    adds += n.op == ir::OpKind::kAdd;
  }
  EXPECT_EQ(convs, 1 + 3 * 50 + 4);  // stem, 3 per bottleneck, 4 projection shortcuts
  EXPECT_EQ(bns, convs);
  EXPECT_EQ(adds, 50);
  EXPECT_EQ(weight_shape(g, "res5_1_conv2.weight"), (Shape{512, 512, 3, 3}));
  EXPECT_EQ(weight_shape(g, "fc.weight"), (Shape{1000, 2048}));
}

TEST(ZooParams, BatchSizeSetsTheInputShape) {
  ir::Graph g = build_zero("lenet5", 7);
  const ir::Node* in = g.find_node("input");
  ASSERT_NE(in, nullptr);
  EXPECT_EQ(in->attr_ints("shape"), (std::vector<int64_t>{7, 1, 28, 28}));
  EXPECT_EQ(g.num_parameters(), 431'080);
}

TEST(ZooParams, UnknownNameListsTheKnownOnes) {
  Result<ir::Graph> g = build("lenet6");
  ASSERT_FALSE(g.ok());
  EXPECT_EQ(g.status().code(), StatusCode::kNotFound);
  EXPECT_NE(g.status().message().find("\"lenet6\""), std::string::npos);
  EXPECT_NE(g.status().message().find("lenet5, cifar10-quick"), std::string::npos)
      << g.status().message();
}

TEST(ZooParams, NonPositiveBatchIsAnError) {
  Result<ir::Graph> g = build("lenet5", {.batch = 0});
  ASSERT_FALSE(g.ok());
  EXPECT_EQ(g.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(g.status().message().find("batch=0"), std::string::npos);
}

TEST(ZooParams, EveryEntryHasDescriptionAndSource) {
  for (const ModelInfo& m : model_infos()) {
    EXPECT_FALSE(m.description.empty()) << m.name;
    EXPECT_FALSE(m.source.empty()) << m.name;
    EXPECT_EQ(find_model(m.name), &m);
  }
  EXPECT_EQ(find_model("nope"), nullptr);
}

}  // namespace
}  // namespace sieve::zoo
