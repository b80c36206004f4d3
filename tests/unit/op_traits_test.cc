// The op traits of ir/ops.def: consistent for every op (a weighted op names a weight operand
// that its shape rule needs, with a bias and matrices among its parameters), their MAC
// formulas against hand counts on small shapes, the 2-D weight views, and the hardware's
// LayerKind following the category for every op.
#include "sieve/ir/op.h"

#include <gtest/gtest.h>

#include <map>
#include <string>
#include <vector>

#include "kernels/ref_test_util.h"
#include "sieve/compiler/workload.h"
#include "sieve/ir/cost.h"
#include "sieve/ir/graph.h"
#include "sieve/ir/shape_inference.h"

namespace sieve::ir {
namespace {

using sieve::testing::GraphBuilder;
using sieve::testing::make_node;

// A small graph with one node of a weighted op: its activations as graph inputs, its weights
// (and the other parameter operands it needs) as initializers.
struct Example {
  std::string what;
  Graph graph;
  int64_t macs;  // counted by hand
  WeightMatrix view;
};

Graph one_node(std::vector<std::pair<std::string, Shape>> inputs,
               std::vector<std::pair<std::string, Shape>> weights, Node n) {
  GraphBuilder b;
  for (auto& [name, shape] : inputs) b.input(name, shape);
  for (auto& [name, shape] : weights) b.init(name, Tensor(DType::kF32, shape));
  b.node(std::move(n)).output("y");
  return std::move(b.graph());
}

std::vector<Example> examples() {
  std::vector<Example> out;
  // Conv with groups: X [1, 4, 5, 5], W [6, 4/2, 3, 3] -> Y [1, 6, 3, 3]; each of the 54
  // outputs reads 2 channels · 9 taps.
  out.push_back({"conv group 2",
                 one_node({{"x", {1, 4, 5, 5}}}, {{"w", {6, 2, 3, 3}}, {"b", {6}}},
                          make_node(OpKind::kConv, "n", {"x", "w", "b"}, {"y"},
                                    {{"group", int64_t{2}}})),
                 54 * 2 * 9,
                 {6, 18, false}});
  // Depthwise: W [4, 1, 3, 3], group 4 -> Y [1, 4, 3, 3], 36 outputs · 9 taps.
  out.push_back({"conv depthwise",
                 one_node({{"x", {1, 4, 5, 5}}}, {{"w", {4, 1, 3, 3}}},
                          make_node(OpKind::kConv, "n", {"x", "w"}, {"y"},
                                    {{"group", int64_t{4}}})),
                 36 * 9,
                 {4, 9, false}});
  // Gemm, W [out, in] (trans_b = 1, the default): M·N·K = 2 · 4 · 3.
  out.push_back({"gemm trans_b=1",
                 one_node({{"x", {2, 3}}}, {{"w", {4, 3}}, {"b", {4}}},
                          make_node(OpKind::kFullyConnected, "n", {"x", "w", "b"}, {"y"})),
                 2 * 4 * 3,
                 {4, 3, false}});
  // Gemm, W [in, out] (trans_b = 0): the same count, the view transposed.
  out.push_back({"gemm trans_b=0",
                 one_node({{"x", {2, 3}}}, {{"w", {3, 4}}},
                          make_node(OpKind::kFullyConnected, "n", {"x", "w"}, {"y"},
                                    {{"trans_b", int64_t{0}}})),
                 2 * 4 * 3,
                 {4, 3, true}});
  // MatMul by a stored B [K, N] = [3, 5]: 2 · 5 · 3.
  out.push_back({"matmul",
                 one_node({{"x", {2, 3}}}, {{"w", {3, 5}}},
                          make_node(OpKind::kMatMul, "n", {"x", "w"}, {"y"})),
                 2 * 5 * 3,
                 {5, 3, true}});
  // LSTM: T = 3, batch 1, I = 2, H = 4: T · 4H · (I + H).
  out.push_back({"lstm",
                 one_node({{"x", {3, 1, 2}}}, {{"w", {1, 16, 2}}, {"r", {1, 16, 4}}},
                          make_node(OpKind::kLSTM, "n", {"x", "w", "r"}, {"y"},
                                    {{"hidden_size", int64_t{4}}})),
                 3 * 16 * (2 + 4),
                 {16, 2, false}});
  // LSTM with a projection to P = 2 (R reads h of width P): T · (4H · (I + P) + P · H).
  out.push_back({"lstm projection",
                 one_node({{"x", {3, 1, 2}}},
                          {{"w", {1, 16, 2}}, {"r", {1, 16, 2}}, {"wp", {1, 2, 4}}},
                          make_node(OpKind::kLSTM, "n", {"x", "w", "r", "", "", "", "", "", "wp"},
                                    {"y"}, {{"hidden_size", int64_t{4}}, {"proj_size", int64_t{2}}})),
                 3 * (16 * (2 + 2) + 2 * 4),
                 {16, 2, false}});
  // GRU: T = 3, I = 2, H = 4: T · 3H · (I + H).
  out.push_back({"gru",
                 one_node({{"x", {3, 1, 2}}}, {{"w", {1, 12, 2}}, {"r", {1, 12, 4}}},
                          make_node(OpKind::kGRU, "n", {"x", "w", "r"}, {"y"},
                                    {{"hidden_size", int64_t{4}}})),
                 3 * 12 * (2 + 4),
                 {12, 2, false}});
  return out;
}

const Node& the_node(const Graph& g) { return g.nodes.back(); }

TEST(OpTraits, ConsistentForEveryOp) {
  for (OpKind op : kAllOps) {
    SCOPED_TRACE(std::string(op_name(op)));
    const OpTraits& t = op_traits(op);
    EXPECT_EQ(t.has_weight(), t.view != WeightView::kNone);
    EXPECT_EQ(t.has_weight(), !t.matrices.empty());
    if (t.has_weight()) {
      EXPECT_GE(t.weight, 0);
      EXPECT_TRUE(t.matrices.contains(t.weight));
      EXPECT_TRUE(t.params.contains(t.weight));
    }
    // Matrices and the bias are parameters; a bias belongs to a weighted op.
    EXPECT_EQ(t.matrices.bits() & ~t.params.bits(), 0);
    if (t.bias != kNoOperand) {
      EXPECT_TRUE(t.has_weight());
      EXPECT_TRUE(t.params.contains(t.bias));
    }
    if (t.fixed_weight) {
      EXPECT_TRUE(t.has_weight());
    }
    // The formulas that read a weight need one; matrix work belongs to a weighted op.
    if (t.macs != MacRule::kNone) {
      EXPECT_TRUE(t.has_weight());
    }
    if (t.macs == MacRule::kConv) {
      EXPECT_EQ(t.category, OpCategory::kConv);
    }
    if (t.category == OpCategory::kInput) {
      EXPECT_EQ(op, OpKind::kInput);
    }
  }
}

TEST(OpTraits, EveryWeightedOpHasAnExample) {
  std::map<OpKind, int> seen;
  for (const Example& e : examples()) ++seen[the_node(e.graph).op];
  for (OpKind op : kAllOps) {
    if (op_traits(op).has_weight()) {
      EXPECT_GT(seen[op], 0) << op_name(op) << " has a weight but no example in this test";
    }
  }
}

TEST(OpTraits, ShapeRuleNeedsTheWeightOperand) {
  for (const Example& e : examples()) {
    SCOPED_TRACE(e.what);
    Graph g = e.graph;
    const OpTraits& t = op_traits(the_node(g).op);
    ASSERT_TRUE(infer_shapes(g).ok());
    ASSERT_NE(g.weight(the_node(g)), nullptr);
    // Every matrix operand named is an initializer of the example.
    for (size_t i : t.matrices.list()) {
      if (the_node(g).has_input(i)) {
        EXPECT_TRUE(g.is_initializer(the_node(g).input(i)));
      }
    }
    // Without the weight operand the shape rule refuses the node.
    Graph without = e.graph;
    without.nodes.back().inputs[static_cast<size_t>(t.weight)] = "";
    EXPECT_EQ(without.weight(without.nodes.back()), nullptr);
    EXPECT_FALSE(infer_shapes(without).ok());
  }
}

TEST(OpTraits, MacsByHand) {
  for (const Example& e : examples()) {
    SCOPED_TRACE(e.what);
    const std::vector<LayerStats> s = layer_stats(e.graph);
    ASSERT_FALSE(s.empty());
    EXPECT_EQ(s.back().macs, e.macs);
  }
}

TEST(OpTraits, WeightMatrixViews) {
  for (const Example& e : examples()) {
    SCOPED_TRACE(e.what);
    const Tensor* w = e.graph.weight(the_node(e.graph));
    ASSERT_NE(w, nullptr);
    const WeightMatrix m = weight_matrix(the_node(e.graph), w->shape());
    EXPECT_EQ(m.rows, e.view.rows);
    EXPECT_EQ(m.cols, e.view.cols);
    EXPECT_EQ(m.transposed, e.view.transposed);
    EXPECT_EQ(m.rows * m.cols, w->numel());
  }
  const WeightMatrix none = weight_matrix(make_node(OpKind::kRelu, "r", {"x"}, {"y"}), {3, 4});
  EXPECT_EQ(none.rows, 0);
  EXPECT_EQ(none.cols, 0);
}

TEST(OpTraits, ParametersFollowTheParamsColumn) {
  // Conv: W and B; the LSTM with a projection: W, R and W_proj.
  const std::vector<Example> ex = examples();
  EXPECT_EQ(ex[0].graph.num_parameters(), 6 * 2 * 9 + 6);
  EXPECT_EQ(ex[6].graph.num_parameters(), 16 * 2 + 16 * 2 + 2 * 4);
  EXPECT_EQ(layer_stats(ex[6].graph).back().params, 16 * 2 + 16 * 2 + 2 * 4);
}

TEST(OpTraits, LayerKindFollowsTheCategory) {
  using compiler::LayerKind;
  const std::map<OpCategory, LayerKind> expected = {
      {OpCategory::kFc, LayerKind::kFullyConnected},
      {OpCategory::kConv, LayerKind::kConv},
      {OpCategory::kPool, LayerKind::kPool},
      {OpCategory::kLstm, LayerKind::kLstm},
  };
  for (OpKind op : kAllOps) {
    SCOPED_TRACE(std::string(op_name(op)));
    const OpCategory c = op_category(op);
    auto it = expected.find(c);
    const LayerKind want = it == expected.end() ? LayerKind::kOther : it->second;
    EXPECT_EQ(compiler::layer_kind(op), want);
    EXPECT_EQ(std::string(compiler::layer_kind_name(compiler::layer_kind(op))),
              want == LayerKind::kOther ? std::string("other") : std::string(category_name(c)));
  }
  EXPECT_STREQ(compiler::layer_kind_name(LayerKind::kFullyConnected), "fc");
  EXPECT_STREQ(compiler::layer_kind_name(LayerKind::kConv), "conv");
  EXPECT_STREQ(compiler::layer_kind_name(LayerKind::kPool), "pool");
  EXPECT_STREQ(compiler::layer_kind_name(LayerKind::kLstm), "lstm");
  EXPECT_STREQ(compiler::layer_kind_name(LayerKind::kOther), "other");
}

TEST(OpTraits, CategoryNamesAreDistinct) {
  std::map<std::string, int> names;
  for (OpKind op : kAllOps) names[std::string(category_name(op_category(op)))] = 1;
  EXPECT_EQ(names.size(), 10u);  // every category is used by some op
}

}  // namespace
}  // namespace sieve::ir
