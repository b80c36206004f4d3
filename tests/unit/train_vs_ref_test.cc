// The trainer's forward pass (im2col + OpenBLAS) against the reference engine (the oracle,
// runtime::run_graph) on zoo networks and on hand-built graphs with the pooling edge cases.
#include <gtest/gtest.h>

#include <random>

#include "sieve/runtime/executor.h"
#include "sieve/train/network.h"
#include "sieve/zoo/zoo.h"
#include "train_test_util.h"

namespace sieve::train {
namespace {

using ir::OpKind;
using testing::GraphBuilder;
using testing::Ints;

void expect_matches_reference(const ir::Graph& g, int64_t batch) {
  auto net = Network::create(g);
  ASSERT_TRUE(net.ok()) << net.status().to_string();
  std::mt19937 rng(5);
  std::uniform_real_distribution<float> u(0, 1);
  Shape full = {batch};
  for (int64_t d : (*net)->input_shape()) full.push_back(d);
  Tensor x(DType::kF32, full);
  for (float& v : x.span<float>()) v = u(rng);
  const float* ours = (*net)->forward(x.data<float>(), batch, /*training=*/false);
  auto ref = runtime::run_graph(g, {{g.input_names().at(0), x}});
  ASSERT_TRUE(ref.ok()) << ref.status().to_string();
  const Tensor& want = ref->at(g.outputs.at(0));
  ASSERT_EQ(want.numel(), batch * (*net)->output_numel());
  for (int64_t i = 0; i < want.numel(); ++i) {
    ASSERT_NEAR(ours[i], want.data<float>()[i], 1e-4f * (1.0f + std::fabs(want.data<float>()[i])))
        << g.name << " output " << i;
  }
}

TEST(TrainVsRef, ZooLeNet5) {
  auto g = zoo::build("lenet5", {.batch = 3, .init_weights = true, .seed = 2});
  ASSERT_TRUE(g.ok()) << g.status().to_string();
  expect_matches_reference(*g, 3);
}

TEST(TrainVsRef, ZooLeNet300100) {
  auto g = zoo::build("lenet-300-100", {.batch = 4, .init_weights = true, .seed = 2});
  ASSERT_TRUE(g.ok()) << g.status().to_string();
  expect_matches_reference(*g, 4);
}

TEST(TrainVsRef, PoolingAndConvEdgeCases) {
  GraphBuilder b(21);
  b.input({2, 3, 11, 10});
  b.op(OpKind::kConv, "conv", {"input", b.param("w", {4, 3, 3, 3}), b.param("b", {4})},
       {{"pads", Ints{1, 2, 0, 1}}, {"strides", Ints{2, 1}}, {"dilations", Ints{1, 2}}});
  b.op(OpKind::kMaxPool, "mp", {"conv"},
       {{"kernel_shape", Ints{3, 3}},
        {"strides", Ints{2, 2}},
        {"pads", Ints{1, 1, 1, 1}},
        {"ceil_mode", int64_t{1}}});
  b.op(OpKind::kAveragePool, "ap", {"mp"},
       {{"kernel_shape", Ints{2, 2}},
        {"strides", Ints{1, 1}},
        {"pads", Ints{1, 1, 0, 0}},
        {"count_include_pad", int64_t{1}}});
  b.op(OpKind::kSigmoid, "sig", {"ap"});
  b.op(OpKind::kConv, "gconv", {"sig", b.param("gw", {4, 2, 2, 2})},
       {{"group", int64_t{2}}, {"auto_pad", std::string("SAME_UPPER")}});
  b.op(OpKind::kGlobalAveragePool, "gap", {"gconv"});
  b.op(OpKind::kFlatten, "flat", {"gap"});
  b.op(OpKind::kFullyConnected, "fc", {"flat", b.param("fw", {3, 4}), b.param("fb", {3})});
  expect_matches_reference(b.finish("fc"), 2);
}

TEST(TrainVsRef, AveragePoolCeilExcludePad) {
  GraphBuilder b(22);
  b.input({1, 2, 8, 8});
  b.op(OpKind::kAveragePool, "ap", {"input"},
       {{"kernel_shape", Ints{3, 3}}, {"strides", Ints{2, 2}}, {"ceil_mode", int64_t{1}}});
  b.op(OpKind::kTanh, "t", {"ap"});
  expect_matches_reference(b.finish("t"), 1);
}

}  // namespace
}  // namespace sieve::train
