// run_graph: feeding (shape/dtype checks), evaluation order, freeing, intermediates, errors
// naming the node and op; run_ref_node's dispatch over every op.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "kernels/ref_test_util.h"
#include "sieve/ir/shape_inference.h"

namespace sieve::runtime {
namespace {

using sieve::testing::f32_tensor;
using sieve::testing::GraphBuilder;
using sieve::testing::i64_tensor;
using sieve::testing::make_node;
using sieve::testing::pattern_tensor;
using sieve::testing::run_node;
using sieve::testing::tensors_near;
using sieve::testing::values_of;
using ::testing::HasSubstr;

// x [N,1,4,4] -> conv 2@3x3 -> relu -> flatten -> fc 3 -> softmax.
GraphBuilder tiny_net() {
  GraphBuilder b;
  b.input("x", {-1, 1, 4, 4})
      .init("w", pattern_tensor({2, 1, 3, 3}, 11))
      .init("b", pattern_tensor({2}, 12))
      .init("fw", pattern_tensor({3, 8}, 13))
      .init("fb", pattern_tensor({3}, 14))
      .init("shape", i64_tensor({0, -1}))
      .node(make_node(ir::OpKind::kConv, "conv1", {"x", "w", "b"}, {"c"}))
      .node(make_node(ir::OpKind::kRelu, "relu1", {"c"}, {"r"}))
      .node(make_node(ir::OpKind::kReshape, "flat", {"r", "shape"}, {"f"}))
      .node(make_node(ir::OpKind::kFullyConnected, "fc", {"f", "fw", "fb"}, {"logits"}))
      .node(make_node(ir::OpKind::kSoftmax, "prob", {"logits"}, {"p"}))
      .output("logits")
      .output("p");
  return b;
}

TEST(RunGraph, MatchesNodeByNodeEvaluation) {
  GraphBuilder b = tiny_net();
  const ir::Graph& g = b.graph();
  Tensor x = pattern_tensor({2, 1, 4, 4}, 5);
  auto out = run_graph(g, {{"x", x}});
  ASSERT_TRUE(out.ok()) << out.status().to_string();
  EXPECT_EQ(out->size(), 2u);  // only the graph outputs
  ASSERT_EQ(out->count("p"), 1u);
  EXPECT_EQ(out->at("p").shape(), (Shape{2, 3}));

  // The same by hand, one node at a time.
  auto c = run_node(g.nodes[1], {&x, g.initializer("w"), g.initializer("b")});
  ASSERT_EQ(c.size(), 1u);
  auto r = run_node(g.nodes[2], {&c[0]});
  ASSERT_EQ(r.size(), 1u);
  auto f = run_node(g.nodes[3], {&r[0], g.initializer("shape")});
  ASSERT_EQ(f.size(), 1u);
  EXPECT_EQ(f[0].shape(), (Shape{2, 8}));
  auto l = run_node(g.nodes[4], {&f[0], g.initializer("fw"), g.initializer("fb")});
  ASSERT_EQ(l.size(), 1u);
  EXPECT_TRUE(tensors_near(out->at("logits"), l[0], 0, 0));
  // Softmax rows sum to one.
  for (int64_t i = 0; i < 2; ++i) {
    const float* p = out->at("p").data<float>() + i * 3;
    EXPECT_NEAR(p[0] + p[1] + p[2], 1.0, 1e-6);
  }
}

TEST(RunGraph, KeepIntermediates) {
  GraphBuilder b = tiny_net();
  Tensor x = pattern_tensor({1, 1, 4, 4}, 6);
  auto out = run_graph(b.graph(), {{"x", x}}, RunOptions{.keep_intermediates = true});
  ASSERT_TRUE(out.ok()) << out.status().to_string();
  for (const char* v : {"x", "c", "r", "f", "logits", "p"}) EXPECT_EQ(out->count(v), 1u) << v;
  EXPECT_EQ(out->at("c").shape(), (Shape{1, 2, 2, 2}));
  for (float v : out->at("r").span<float>()) EXPECT_GE(v, 0.0f);
}

TEST(RunGraph, FeedErrors) {
  GraphBuilder b = tiny_net();
  Tensor bad = pattern_tensor({1, 1, 5, 4}, 6);
  auto r = run_graph(b.graph(), {{"x", bad}});
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().message(),
            "graph input \"x\": fed shape [1,1,5,4], declared [-1,1,4,4] (-1 = any)");
  auto missing = run_graph(b.graph(), {});
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.status().message(), "graph input \"x\" is not fed (feeds given: none)");
  Tensor x = pattern_tensor({1, 1, 4, 4}, 6);
  auto extra = run_graph(b.graph(), {{"x", x}, {"y", x}});
  ASSERT_FALSE(extra.ok());
  EXPECT_EQ(extra.status().message(), "feed \"y\" is not a graph input (inputs: x)");
  auto wrong_type = run_graph(b.graph(), {{"x", i64_tensor({1})}});
  ASSERT_FALSE(wrong_type.ok());
  EXPECT_THAT(wrong_type.status().message(), HasSubstr("fed a i64 tensor, declared f32"));
}

TEST(RunGraph, KernelErrorsNameNodeAndOp) {
  GraphBuilder b = tiny_net();
  b.graph().initializers["fw"] = pattern_tensor({3, 7}, 13);  // 8 features arrive
  Tensor x = pattern_tensor({1, 1, 4, 4}, 6);
  auto r = run_graph(b.graph(), {{"x", x}});
  ASSERT_FALSE(r.ok());
  EXPECT_THAT(r.status().message(), HasSubstr("node \"fc\" (FullyConnected): operand W"));
  // A value nobody produces.
  GraphBuilder u = tiny_net();
  u.graph().nodes[2].inputs[0] = "ghost";
  auto g = run_graph(u.graph(), {{"x", x}});
  ASSERT_FALSE(g.ok());
  EXPECT_EQ(g.status().message(),
            "node \"relu1\" (Relu): input \"ghost\" is not an initializer, a graph input or the "
            "output of an earlier node");
}

// A shape computed at run time (ONNX shape glue): Concat of i64 values feeds Reshape.
TEST(RunGraph, RuntimeShapeGlue) {
  GraphBuilder b;
  b.input("x", {2, 6})
      .input("n", {1}, DType::kI64)
      .init("rest", i64_tensor({-1}))
      .node(make_node(ir::OpKind::kConcat, "shape", {"n", "rest"}, {"s"}, {{"axis", int64_t{0}}}))
      .node(make_node(ir::OpKind::kReshape, "r", {"x", "s"}, {"y"}))
      .output("y");
  ASSERT_TRUE(ir::verify(b.graph()).ok());
  EXPECT_EQ(b.graph().values.at("y").shape, (Shape{-1, -1}));
  Tensor x = pattern_tensor({2, 6}, 1);
  auto out = run_graph(b.graph(), {{"x", x}, {"n", i64_tensor({4})}});
  ASSERT_TRUE(out.ok()) << out.status().to_string();
  EXPECT_EQ(out->at("y").shape(), (Shape{4, 3}));
  EXPECT_EQ(values_of(out->at("y")), values_of(x));
}

TEST(RunRefNode, InputNodesAreNotEvaluated) {
  ir::Node n = make_node(ir::OpKind::kInput, "x", {}, {"x"}, {{"shape", std::vector<int64_t>{1}}});
  auto r = run_ref_node(n, {});
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kFailedPrecondition);
}

}  // namespace
}  // namespace sieve::runtime
