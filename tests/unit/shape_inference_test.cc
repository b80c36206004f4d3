#include "sieve/ir/shape_inference.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "kernels/ref_test_util.h"

namespace sieve::ir {
namespace {

using sieve::testing::GraphBuilder;
using sieve::testing::i64_tensor;
using sieve::testing::make_node;
using ::testing::HasSubstr;

ValueInfo f32(Shape s) {
  return {DType::kF32, std::move(s)};
}

// Output shapes of one node given its operands' infos (initializers from `g`).
Result<std::vector<ValueInfo>> infer(const Node& n, std::vector<ValueInfo> in,
                                     const Graph& g = Graph()) {
  return infer_node(g, n, in);
}

Shape shape_of(const Node& n, std::vector<ValueInfo> in, const Graph& g = Graph()) {
  auto r = infer(n, std::move(in), g);
  EXPECT_TRUE(r.ok()) << r.status().to_string();
  if (!r.ok() || r->empty()) return {-99};
  return (*r)[0].shape;
}

std::string error_of(const Node& n, std::vector<ValueInfo> in, const Graph& g = Graph()) {
  auto r = infer(n, std::move(in), g);
  EXPECT_FALSE(r.ok());
  return r.ok() ? "" : r.status().message();
}

TEST(ShapeInference, ConvStridePadDilationGroups) {
  Node n = make_node(OpKind::kConv, "c", {"x", "w", "b"}, {"y"},
                     {{"strides", std::vector<int64_t>{2, 1}},
                      {"pads", std::vector<int64_t>{1, 0, 2, 0}},
                      {"dilations", std::vector<int64_t>{1, 2}},
                      {"group", int64_t{2}}});
  // H: (10 + 1 + 2 - 3) / 2 + 1 = 6; W: (9 - (2*(3-1)+1)) / 1 + 1 = 5.
  EXPECT_EQ(shape_of(n, {f32({1, 4, 10, 9}), f32({6, 2, 3, 3}), f32({6})}), (Shape{1, 6, 6, 5}));
}

TEST(ShapeInference, ConvAutoPad) {
  auto conv = [](const char* mode) {
    return make_node(OpKind::kConv, "c", {"x", "w"}, {"y"},
                     {{"auto_pad", std::string(mode)}, {"strides", std::vector<int64_t>{2, 2}}});
  };
  const std::vector<ValueInfo> in = {f32({1, 1, 7, 8}), f32({1, 1, 3, 3})};
  EXPECT_EQ(shape_of(conv("SAME_UPPER"), in), (Shape{1, 1, 4, 4}));
  EXPECT_EQ(shape_of(conv("SAME_LOWER"), in), (Shape{1, 1, 4, 4}));
  EXPECT_EQ(shape_of(conv("VALID"), in), (Shape{1, 1, 3, 3}));
  // Pads of SAME: total (4-1)*2+3-7 = 2 on H -> 1/1; on W (4-1)*2+3-8 = 1 -> UPPER puts it at
  // the end, LOWER at the beginning.
  auto geo = window_geometry(conv("SAME_UPPER"), Shape{1, 1, 7, 8}, &in[1].shape);
  ASSERT_TRUE(geo.ok());
  EXPECT_EQ(geo->pads_begin, (std::vector<int64_t>{1, 0}));
  EXPECT_EQ(geo->pads_end, (std::vector<int64_t>{1, 1}));
  geo = window_geometry(conv("SAME_LOWER"), Shape{1, 1, 7, 8}, &in[1].shape);
  ASSERT_TRUE(geo.ok());
  EXPECT_EQ(geo->pads_begin, (std::vector<int64_t>{1, 1}));
  EXPECT_EQ(geo->pads_end, (std::vector<int64_t>{1, 0}));
}

TEST(ShapeInference, Conv1dAnd3d) {
  Node c1 = make_node(OpKind::kConv, "c1", {"x", "w"}, {"y"});
  EXPECT_EQ(shape_of(c1, {f32({2, 3, 10}), f32({5, 3, 4})}), (Shape{2, 5, 7}));
  Node c3 = make_node(OpKind::kConv, "c3", {"x", "w"}, {"y"},
                      {{"pads", std::vector<int64_t>{1, 1, 1, 1, 1, 1}}});
  EXPECT_EQ(shape_of(c3, {f32({1, 2, 4, 5, 6}), f32({8, 2, 3, 3, 3})}), (Shape{1, 8, 4, 5, 6}));
}

TEST(ShapeInference, PoolCeilMode) {
  auto pool = [](int64_t k, int64_t s, int64_t p, int64_t ceil) {
    return make_node(OpKind::kMaxPool, "p", {"x"}, {"y"},
                     {{"kernel_shape", std::vector<int64_t>{k, k}},
                      {"strides", std::vector<int64_t>{s, s}},
                      {"pads", std::vector<int64_t>{p, p, p, p}},
                      {"ceil_mode", ceil}});
  };
  EXPECT_EQ(shape_of(pool(3, 2, 0, 1), {f32({1, 1, 4, 4})}), (Shape{1, 1, 2, 2}));
  EXPECT_EQ(shape_of(pool(3, 2, 0, 0), {f32({1, 1, 4, 4})}), (Shape{1, 1, 1, 1}));
  // Caffe cifar10-quick: 32x32, pool 3/2 rounds up to 16.
  EXPECT_EQ(shape_of(pool(3, 2, 0, 1), {f32({1, 32, 32, 32})}), (Shape{1, 32, 16, 16}));
  // A last window that would start in the trailing pad is dropped: 3 + 2 pad, k2 s2 -> 2.
  EXPECT_EQ(shape_of(pool(2, 2, 1, 1), {f32({1, 1, 3, 3})}), (Shape{1, 1, 2, 2}));
  // Strides default to 1.
  Node p = make_node(OpKind::kAveragePool, "a", {"x"}, {"y"},
                     {{"kernel_shape", std::vector<int64_t>{2}}});
  EXPECT_EQ(shape_of(p, {f32({1, 3, 32})}), (Shape{1, 3, 31}));
  // MaxPool's optional indices are i64.
  Node mi = make_node(OpKind::kMaxPool, "m", {"x"}, {"y", "i"},
                      {{"kernel_shape", std::vector<int64_t>{2, 2}}});
  auto r = infer(mi, {f32({1, 1, 4, 4})});
  ASSERT_TRUE(r.ok());
  ASSERT_EQ(r->size(), 2u);
  EXPECT_EQ((*r)[1].dtype, DType::kI64);
  EXPECT_EQ((*r)[1].shape, (Shape{1, 1, 3, 3}));
}

TEST(ShapeInference, GlobalPoolsAndUnary) {
  Node g = make_node(OpKind::kGlobalAveragePool, "g", {"x"}, {"y"});
  EXPECT_EQ(shape_of(g, {f32({2, 7, 5, 3})}), (Shape{2, 7, 1, 1}));
  Node s = make_node(OpKind::kSoftmax, "s", {"x"}, {"y"}, {{"axis", int64_t{-3}}});
  EXPECT_EQ(shape_of(s, {f32({2, 7, 5})}), (Shape{2, 7, 5}));
  EXPECT_THAT(error_of(s, {f32({2, 7})}), HasSubstr("attribute axis=-3 is out of range"));
}

TEST(ShapeInference, FullyConnectedTransposes) {
  Node fc = make_node(OpKind::kFullyConnected, "fc", {"x", "w", "b"}, {"y"});
  EXPECT_EQ(shape_of(fc, {f32({4, 784}), f32({300, 784}), f32({300})}), (Shape{4, 300}));
  Node fc2 = make_node(OpKind::kFullyConnected, "fc2", {"x", "w"}, {"y"},
                       {{"trans_a", int64_t{1}}, {"trans_b", int64_t{0}}});
  EXPECT_EQ(shape_of(fc2, {f32({5, 3}), f32({5, 7})}), (Shape{3, 7}));
  EXPECT_THAT(error_of(fc, {f32({4, 784}), f32({300, 700})}),
              HasSubstr("node \"fc\" (FullyConnected): operand W has shape [300,700]"));
  EXPECT_THAT(error_of(fc, {f32({4, 784}), f32({300, 784}), f32({4, 2})}),
              HasSubstr("operand B has shape [4,2], not broadcastable to the output [4,300]"));
  EXPECT_THAT(error_of(fc, {f32({4, 1, 28, 28}), f32({300, 784})}), HasSubstr("Flatten"));
}

TEST(ShapeInference, MatMulNumpyRules) {
  Node mm = make_node(OpKind::kMatMul, "mm", {"a", "b"}, {"y"});
  EXPECT_EQ(shape_of(mm, {f32({3, 4}), f32({4, 5})}), (Shape{3, 5}));
  EXPECT_EQ(shape_of(mm, {f32({4}), f32({4, 5})}), (Shape{5}));
  EXPECT_EQ(shape_of(mm, {f32({3, 4}), f32({4})}), (Shape{3}));
  EXPECT_EQ(shape_of(mm, {f32({4}), f32({4})}), (Shape{}));
  EXPECT_EQ(shape_of(mm, {f32({2, 1, 3, 4}), f32({5, 4, 6})}), (Shape{2, 5, 3, 6}));
  EXPECT_THAT(error_of(mm, {f32({3, 4}), f32({5, 6})}), HasSubstr("inner dimensions differ"));
}

TEST(ShapeInference, Broadcasting) {
  Node add = make_node(OpKind::kAdd, "add", {"a", "b"}, {"y"});
  EXPECT_EQ(shape_of(add, {f32({2, 3, 4}), f32({3, 1})}), (Shape{2, 3, 4}));
  EXPECT_EQ(shape_of(add, {f32({}), f32({5})}), (Shape{5}));
  EXPECT_EQ(shape_of(add, {f32({1, 4}), f32({3, 1})}), (Shape{3, 4}));
  EXPECT_THAT(error_of(add, {f32({2, 3}), f32({4})}),
              HasSubstr("node \"add\" (Add): shapes [2,3] and [4] cannot be broadcast"));
  EXPECT_THAT(error_of(add, {f32({2}), {DType::kI64, {2}}}), HasSubstr("different dtypes"));
}

TEST(ShapeInference, ConcatFlattenTranspose) {
  Node cat = make_node(OpKind::kConcat, "cat", {"a", "b", "c"}, {"y"}, {{"axis", int64_t{-2}}});
  EXPECT_EQ(shape_of(cat, {f32({2, 3, 4}), f32({2, 1, 4}), f32({2, 5, 4})}), (Shape{2, 9, 4}));
  EXPECT_THAT(error_of(cat, {f32({2, 3, 4}), f32({2, 1, 5}), f32({2, 5, 4})}),
              HasSubstr("dim 2 differs"));
  Node fl0 = make_node(OpKind::kFlatten, "f", {"x"}, {"y"}, {{"axis", int64_t{0}}});
  EXPECT_EQ(shape_of(fl0, {f32({2, 3, 4})}), (Shape{1, 24}));
  Node fl = make_node(OpKind::kFlatten, "f", {"x"}, {"y"}, {{"axis", int64_t{-1}}});
  EXPECT_EQ(shape_of(fl, {f32({2, 3, 4})}), (Shape{6, 4}));
  Node fl3 = make_node(OpKind::kFlatten, "f", {"x"}, {"y"}, {{"axis", int64_t{3}}});
  EXPECT_EQ(shape_of(fl3, {f32({2, 3, 4})}), (Shape{24, 1}));
  Node tr = make_node(OpKind::kTranspose, "t", {"x"}, {"y"});
  EXPECT_EQ(shape_of(tr, {f32({2, 3, 4})}), (Shape{4, 3, 2}));
  Node tp =
      make_node(OpKind::kTranspose, "t", {"x"}, {"y"}, {{"perm", std::vector<int64_t>{1, 0, 0}}});
  EXPECT_THAT(error_of(tp, {f32({2, 3, 4})}), HasSubstr("not a permutation"));
}

TEST(ShapeInference, ReshapeZeroMinusOneAllowzero) {
  Graph g;
  g.initializers["s"] = i64_tensor({0, -1, 2});
  g.initializers["z"] = i64_tensor({0, 3});
  Node r = make_node(OpKind::kReshape, "r", {"x", "s"}, {"y"});
  EXPECT_EQ(shape_of(r, {f32({3, 4, 5}), {DType::kI64, {3}}}, g), (Shape{3, 10, 2}));
  Node rz = make_node(OpKind::kReshape, "r", {"x", "z"}, {"y"}, {{"allowzero", int64_t{1}}});
  EXPECT_EQ(shape_of(rz, {f32({0, 3}), {DType::kI64, {2}}}, g), (Shape{0, 3}));
  EXPECT_THAT(error_of(r, {f32({3, 5, 7}), {DType::kI64, {3}}}, g),
              HasSubstr("cannot reshape X [3,5,7] (105 elements) to [0,-1,2]"));
  // A shape computed at run time: rank known, dims unknown.
  Node rr = make_node(OpKind::kReshape, "r", {"x", "dyn"}, {"y"});
  EXPECT_EQ(shape_of(rr, {f32({3, 4}), {DType::kI64, {2}}}, g), (Shape{-1, -1}));
}

TEST(ShapeInference, SqueezeUnsqueezeFromAttrOrInitializer) {
  Graph g;
  g.initializers["ax"] = i64_tensor({0, -1});
  Node sq = make_node(OpKind::kSqueeze, "sq", {"x", "ax"}, {"y"});
  EXPECT_EQ(shape_of(sq, {f32({1, 3, 1}), {DType::kI64, {2}}}, g), (Shape{3}));
  Node sq_all = make_node(OpKind::kSqueeze, "sq", {"x"}, {"y"});
  EXPECT_EQ(shape_of(sq_all, {f32({1, 3, 1, 2})}), (Shape{3, 2}));
  Node sq_attr =
      make_node(OpKind::kSqueeze, "sq", {"x"}, {"y"}, {{"axes", std::vector<int64_t>{1}}});
  EXPECT_THAT(error_of(sq_attr, {f32({1, 3, 1})}),
              HasSubstr("cannot squeeze dim 1 of X [1,3,1]: its size is 3"));
  Node un = make_node(OpKind::kUnsqueeze, "un", {"x", "ax"}, {"y"});
  EXPECT_EQ(shape_of(un, {f32({3, 4}), {DType::kI64, {2}}}, g), (Shape{1, 3, 4, 1}));
  Node un_attr =
      make_node(OpKind::kUnsqueeze, "un", {"x"}, {"y"}, {{"axes", std::vector<int64_t>{3, 1}}});
  EXPECT_EQ(shape_of(un_attr, {f32({3, 4})}), (Shape{3, 1, 4, 1}));
}

TEST(ShapeInference, PadDropoutIdentity) {
  Graph g;
  g.initializers["p"] = i64_tensor({0, 1, 0, 2});
  Node pad = make_node(OpKind::kPad, "pad", {"x", "p"}, {"y"});
  EXPECT_EQ(shape_of(pad, {f32({3, 4}), {DType::kI64, {4}}}, g), (Shape{3, 7}));
  Node pad_attr =
      make_node(OpKind::kPad, "pad", {"x"}, {"y"},
                {{"pads", std::vector<int64_t>{1, -1, 1, 0}}, {"mode", std::string("edge")}});
  EXPECT_EQ(shape_of(pad_attr, {f32({3, 4})}), (Shape{5, 3}));
  Node pad_edge =
      make_node(OpKind::kPad, "pad", {"x"}, {"y"},
                {{"pads", std::vector<int64_t>{0, 4, 0, 0}}, {"mode", std::string("edge")}});
  EXPECT_THAT(error_of(pad_edge, {f32({3, 0})}),
              HasSubstr("mode edge cannot pad the empty dim 1 of X [3,0]"));
  // reflect repeats periodically (numpy.pad), so a pad may exceed the dim.
  Node pad_reflect =
      make_node(OpKind::kPad, "pad", {"x"}, {"y"},
                {{"pads", std::vector<int64_t>{0, 5, 0, 0}}, {"mode", std::string("reflect")}});
  EXPECT_EQ(shape_of(pad_reflect, {f32({3, 4})}), (Shape{3, 9}));
  Node dr = make_node(OpKind::kDropout, "d", {"x"}, {"y", "mask"});
  auto r = infer(dr, {f32({2, 5})});
  ASSERT_TRUE(r.ok());
  ASSERT_EQ(r->size(), 2u);
  EXPECT_EQ((*r)[1].dtype, DType::kU8);
  EXPECT_EQ((*r)[1].shape, (Shape{2, 5}));
  Node id = make_node(OpKind::kIdentity, "i", {"x"}, {"y"});
  auto ri = infer(id, {{DType::kI64, {3}}});
  ASSERT_TRUE(ri.ok());
  EXPECT_EQ((*ri)[0].dtype, DType::kI64);
}

TEST(ShapeInference, LstmAndGruOutputs) {
  Node lstm = make_node(OpKind::kLSTM, "l", {"x", "w", "r"}, {"y", "yh", "yc"},
                        {{"hidden_size", int64_t{8}}, {"direction", std::string("bidirectional")}});
  auto r = infer(lstm, {f32({5, 3, 4}), f32({2, 32, 4}), f32({2, 32, 8})});
  ASSERT_TRUE(r.ok()) << r.status().to_string();
  EXPECT_EQ((*r)[0].shape, (Shape{5, 2, 3, 8}));
  EXPECT_EQ((*r)[1].shape, (Shape{2, 3, 8}));
  EXPECT_EQ((*r)[2].shape, (Shape{2, 3, 8}));
  // Layout 1 and a projection to 6 (Y and Y_h carry the projection, Y_c the cell).
  Node lp =
      make_node(OpKind::kLSTM, "lp", {"x", "w", "r", "", "", "", "", "", "wp"}, {"y", "yh", "yc"},
                {{"hidden_size", int64_t{8}}, {"layout", int64_t{1}}, {"proj_size", int64_t{6}}});
  r = infer(lp,
            {f32({3, 5, 4}), f32({1, 32, 4}), f32({1, 32, 6}), {}, {}, {}, {}, {}, f32({1, 6, 8})});
  ASSERT_TRUE(r.ok()) << r.status().to_string();
  EXPECT_EQ((*r)[0].shape, (Shape{3, 5, 1, 6}));
  EXPECT_EQ((*r)[1].shape, (Shape{3, 1, 6}));
  EXPECT_EQ((*r)[2].shape, (Shape{3, 1, 8}));
  EXPECT_THAT(
      error_of(
          lp,
          {f32({3, 5, 4}), f32({1, 32, 4}), f32({1, 32, 8}), {}, {}, {}, {}, {}, f32({1, 6, 8})}),
      HasSubstr("operand R has shape [1,32,8], expected [1,32,6]"));
  Node gru =
      make_node(OpKind::kGRU, "g", {"x", "w", "r"}, {"", "yh"}, {{"hidden_size", int64_t{5}}});
  r = infer(gru, {f32({7, 2, 3}), f32({1, 15, 3}), f32({1, 15, 5})});
  ASSERT_TRUE(r.ok()) << r.status().to_string();
  EXPECT_EQ((*r)[1].shape, (Shape{1, 2, 5}));
}

TEST(ShapeInference, UnknownDimsPropagate) {
  GraphBuilder b;
  b.input("x", {-1, 3, 8, 8})
      .init("w", Tensor(DType::kF32, {4, 3, 3, 3}))
      .node(make_node(OpKind::kConv, "conv", {"x", "w"}, {"c"}))
      .node(make_node(OpKind::kFlatten, "flat", {"c"}, {"f"}))
      .output("f");
  ASSERT_TRUE(verify(b.graph()).ok());
  EXPECT_EQ(b.graph().values.at("c").shape, (Shape{-1, 4, 6, 6}));
  EXPECT_EQ(b.graph().values.at("f").shape, (Shape{-1, 144}));
  EXPECT_EQ(b.graph().values.at("w").shape, (Shape{4, 3, 3, 3}));
}

// ---- verifier ------------------------------------------------------------------------------

GraphBuilder small_conv_net(int64_t group, int64_t stride) {
  GraphBuilder b;
  b.input("x", {1, 64, 8, 8})
      .init("w", Tensor(DType::kF32, {32, 64 / (group == 3 ? 1 : group), 3, 3}))
      .node(make_node(OpKind::kConv, "conv2", {"x", "w"}, {"y"},
                      {{"group", group}, {"strides", std::vector<int64_t>{stride, stride}}}))
      .node(make_node(OpKind::kRelu, "relu", {"y"}, {"z"}))
      .output("z");
  return b;
}

TEST(Verify, AcceptsAWellFormedGraph) {
  GraphBuilder b = small_conv_net(2, 1);
  Status s = verify(b.graph());
  ASSERT_TRUE(s.ok()) << s.to_string();
  EXPECT_EQ(b.graph().values.at("z").shape, (Shape{1, 32, 6, 6}));
  EXPECT_EQ(b.graph().values.at("x").shape, (Shape{1, 64, 8, 8}));
}

TEST(Verify, BadGroupNamesNodeAndValue) {
  GraphBuilder b = small_conv_net(3, 1);
  Status s = verify(b.graph());
  EXPECT_EQ(s.message(),
            "node \"conv2\" (Conv): attribute group=3 does not divide input "
            "channels 64");
}

TEST(Verify, NegativeStride) {
  GraphBuilder b = small_conv_net(1, -2);
  Status s = verify(b.graph());
  EXPECT_EQ(s.message(),
            "node \"conv2\" (Conv): attribute strides=[-2,-2]: stride -2 is not "
            "positive");
}

TEST(Verify, UnknownInput) {
  GraphBuilder b = small_conv_net(1, 1);
  b.graph().nodes[2].inputs[0] = "nope";
  Status s = verify(b.graph());
  EXPECT_EQ(s.message(),
            "node \"relu\" (Relu): input \"nope\" (operand X) is not an "
            "initializer, a graph input or the output of any node");
}

TEST(Verify, OutOfOrderDuplicateAndMissing) {
  GraphBuilder b = small_conv_net(1, 1);
  std::swap(b.graph().nodes[1], b.graph().nodes[2]);
  EXPECT_THAT(verify(b.graph()).message(), HasSubstr("produced only by a later node"));

  GraphBuilder d = small_conv_net(1, 1);
  d.graph().nodes[2].name = "conv2";
  EXPECT_THAT(verify(d.graph()).message(),
              HasSubstr("node name \"conv2\" is also used by node #1"));

  GraphBuilder v = small_conv_net(1, 1);
  v.graph().nodes[2].outputs[0] = "y";
  EXPECT_THAT(verify(v.graph()).message(),
              HasSubstr("output \"y\" is already defined by node \"conv2\" (Conv)"));

  GraphBuilder m = small_conv_net(1, 1);
  m.graph().nodes[1].inputs.resize(1);
  EXPECT_EQ(verify(m.graph()).message(),
            "node \"conv2\" (Conv): required operand W (#1) is missing");

  GraphBuilder o = small_conv_net(1, 1);
  o.graph().outputs = {"zz"};
  EXPECT_THAT(verify(o.graph()).message(), HasSubstr("graph output \"zz\""));
}

TEST(Verify, AttributeKindsAndValues) {
  GraphBuilder b = small_conv_net(1, 1);
  b.graph().nodes[1].attrs["group"] = std::string("two");
  EXPECT_EQ(verify(b.graph()).message(),
            "node \"conv2\" (Conv): attribute group is a string, expected an int");
  GraphBuilder a = small_conv_net(1, 1);
  a.graph().nodes[1].attrs["auto_pad"] = std::string("SAME");
  EXPECT_THAT(verify(a.graph()).message(), HasSubstr("auto_pad=\"SAME\" is unknown"));
  GraphBuilder k = small_conv_net(1, 1);
  k.graph().nodes[1].attrs["kernel_shape"] = std::vector<int64_t>{5, 5};
  EXPECT_THAT(verify(k.graph()).message(),
              HasSubstr("attribute kernel_shape=[5,5] disagrees with W [32,64,3,3]"));
}

TEST(Verify, UnknownAttributeListsTheKnownOnes) {
  GraphBuilder b = small_conv_net(1, 1);
  b.graph().nodes[1].attrs["stride"] = std::vector<int64_t>{2, 2};
  EXPECT_EQ(verify(b.graph()).message(),
            "node \"conv2\" (Conv): unknown attribute \"stride\"; known: auto_pad, dilations, "
            "group, kernel_shape, pads, strides");
  GraphBuilder r = small_conv_net(1, 1);
  r.graph().nodes[2].attrs["alpha"] = 0.1;
  EXPECT_EQ(verify(r.graph()).message(),
            "node \"relu\" (Relu): unknown attribute \"alpha\"; known: none");
}

TEST(Verify, BatchNormTrainingOutputsRefused) {
  GraphBuilder b;
  b.input("x", {2, 3, 4, 4});
  for (const char* p : {"s", "b", "m", "v"}) b.init(p, Tensor(DType::kF32, {3}));
  b.node(make_node(OpKind::kBatchNorm, "bn", {"x", "s", "b", "m", "v"}, {"y", "rm", "rv"}))
      .output("y");
  Status s = verify(b.graph());
  EXPECT_EQ(s.code(), StatusCode::kUnimplemented);
  EXPECT_THAT(s.message(), HasSubstr("node \"bn\" (BatchNormalization)"));
}

}  // namespace
}  // namespace sieve::ir
