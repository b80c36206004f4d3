// ONNX export: every op round-trips (export -> onnx::checker -> import gives the same graph
// and bit-identical weights), files are written atomically, Sieve-only forms are handled.
#include <gtest/gtest.h>
#include <onnx/checker.h>
#include <onnx/onnx_pb.h>

#include <filesystem>

#include "onnx_test_util.h"
#include "sieve/io/onnx/onnx.h"
#include "sieve/runtime/executor.h"

namespace sieve {
namespace {

using ir::Attr;
using ir::Graph;
using ir::Node;
using ir::OpKind;
using onnx_test::random_tensor;

bool contains(const std::string& s, const std::string& sub) {
  return s.find(sub) != std::string::npos;
}

Node make(OpKind op, std::string name, std::vector<std::string> in, std::vector<std::string> out,
          std::map<std::string, Attr> attrs = {}) {
  Node n;
  n.op = op;
  n.name = std::move(name);
  n.inputs = std::move(in);
  n.outputs = std::move(out);
  n.attrs = std::move(attrs);
  return n;
}

Node input(const std::string& name, std::vector<int64_t> shape, DType dt = DType::kF32) {
  return make(OpKind::kInput, name, {}, {name},
              {{"shape", std::move(shape)}, {"dtype", static_cast<int64_t>(dt)}});
}

Tensor i64(std::vector<int64_t> v) {
  return Tensor::from_i64({static_cast<int64_t>(v.size())}, v);
}

// Exports, checks with ONNX's checker, imports; returns the imported graph.
Graph round_trip(const Graph& g, const io::ExportOptions& opts = {}) {
  auto bytes = io::export_onnx_bytes(g, opts);
  EXPECT_TRUE(bytes.ok()) << bytes.status().message();
  if (!bytes.ok()) return {};
  onnx::ModelProto m;
  EXPECT_TRUE(m.ParseFromString(*bytes));
  EXPECT_NO_THROW(onnx::checker::check_model(m));
  EXPECT_EQ(m.ir_version(), 8);
  auto back = io::import_onnx_bytes(*bytes, "exported");
  EXPECT_TRUE(back.ok()) << back.status().message();
  return back.ok() ? std::move(*back) : Graph{};
}

Graph conv_net() {
  Graph g;
  g.name = "convnet";
  g.nodes.push_back(input("x", {1, 3, 8, 8}));
  g.initializers["w1"] = random_tensor({4, 3, 3, 3}, 1);
  g.initializers["b1"] = random_tensor({4}, 2);
  g.initializers["bn_s"] = random_tensor({4}, 3);
  g.initializers["bn_b"] = random_tensor({4}, 4);
  g.initializers["bn_m"] = random_tensor({4}, 5);
  g.initializers["bn_v"] = Tensor::from_f32({4}, {1.0f, 0.5f, 2.0f, 0.25f});
  g.initializers["w2"] = random_tensor({6, 2, 3, 3}, 6);
  g.initializers["fc_w"] = random_tensor({10, 6}, 7);
  g.initializers["fc_b"] = random_tensor({10}, 8);
  g.nodes.push_back(make(OpKind::kConv, "conv1", {"x", "w1", "b1"}, {"c1"},
                         {{"kernel_shape", std::vector<int64_t>{3, 3}},
                          {"strides", std::vector<int64_t>{1, 1}},
                          {"pads", std::vector<int64_t>{1, 1, 1, 1}},
                          {"dilations", std::vector<int64_t>{1, 1}},
                          {"group", int64_t{1}}}));
  g.nodes.push_back(make(OpKind::kBatchNorm, "bn1", {"c1", "bn_s", "bn_b", "bn_m", "bn_v"}, {"n1"},
                         {{"epsilon", 1e-3}}));
  g.nodes.push_back(make(OpKind::kRelu, "relu1", {"n1"}, {"r1"}));
  g.nodes.push_back(make(OpKind::kMaxPool, "pool1", {"r1"}, {"p1"},
                         {{"kernel_shape", std::vector<int64_t>{3, 3}},
                          {"strides", std::vector<int64_t>{2, 2}},
                          {"ceil_mode", int64_t{1}}}));
  g.nodes.push_back(make(OpKind::kLRN, "norm1", {"p1"}, {"l1"},
                         {{"size", int64_t{3}}, {"alpha", 1e-4}, {"beta", 0.75}, {"bias", 2.0}}));
  g.nodes.push_back(make(OpKind::kAveragePool, "pool2", {"l1"}, {"a1"},
                         {{"kernel_shape", std::vector<int64_t>{2, 2}},
                          {"pads", std::vector<int64_t>{0, 0, 1, 1}},
                          {"count_include_pad", int64_t{1}}}));
  g.nodes.push_back(make(OpKind::kConv, "conv2", {"a1", "w2"}, {"c2"},
                         {{"kernel_shape", std::vector<int64_t>{3, 3}},
                          {"group", int64_t{2}},
                          {"auto_pad", std::string("SAME_UPPER")}}));
  g.nodes.push_back(make(OpKind::kGlobalAveragePool, "gap", {"c2"}, {"g1"}));
  g.nodes.push_back(make(OpKind::kFlatten, "flat", {"g1"}, {"f1"}, {{"axis", int64_t{1}}}));
  g.nodes.push_back(make(OpKind::kFullyConnected, "fc", {"f1", "fc_w", "fc_b"}, {"logits"},
                         {{"trans_b", int64_t{1}}, {"alpha", 1.0}, {"beta", 0.5}}));
  g.nodes.push_back(make(OpKind::kSoftmax, "prob", {"logits"}, {"y"}, {{"axis", int64_t{-1}}}));
  g.outputs = {"y", "logits"};
  return g;
}

Graph mlp() {
  Graph g;
  g.name = "mlp";
  g.nodes.push_back(input("x", {-1, 16}));
  g.initializers["w1"] = random_tensor({16, 8}, 11);
  g.initializers["b1"] = random_tensor({8}, 12);
  g.initializers["w2"] = random_tensor({4, 8}, 13);
  g.initializers["k"] = Tensor::from_f32({}, {2.0f});
  g.nodes.push_back(make(OpKind::kMatMul, "mm1", {"x", "w1"}, {"h1"}));
  g.nodes.push_back(make(OpKind::kAdd, "add1", {"h1", "b1"}, {"h2"}));
  g.nodes.push_back(make(OpKind::kSigmoid, "sig", {"h2"}, {"h3"}));
  g.nodes.push_back(make(OpKind::kDropout, "drop", {"h3"}, {"h4"}));
  g.nodes.push_back(make(OpKind::kSub, "sub", {"h4", "k"}, {"h5"}));
  g.nodes.push_back(make(OpKind::kMul, "mul", {"h5", "h4"}, {"h6"}));
  g.nodes.push_back(make(OpKind::kDiv, "div", {"h6", "k"}, {"h7"}));
  g.nodes.push_back(make(OpKind::kTanh, "tanh", {"h7"}, {"h8"}));
  g.nodes.push_back(
      make(OpKind::kFullyConnected, "fc2", {"h8", "w2"}, {"h9"}, {{"trans_b", int64_t{1}}}));
  g.nodes.push_back(make(OpKind::kLogSoftmax, "lsm", {"h9"}, {"y"}, {{"axis", int64_t{1}}}));
  g.outputs = {"y"};
  return g;
}

Graph shape_ops() {
  Graph g;
  g.name = "shapes";
  g.nodes.push_back(input("x", {2, 3, 4}));
  g.nodes.push_back(input("z", {4, 2, 1}));
  g.initializers["shape"] = i64({4, 2, 3});
  g.initializers["sq_axes"] = i64({2});
  g.initializers["unsq_axes"] = i64({0});
  g.initializers["pads"] = i64({0, 1, 1, 0, 1, 0});
  g.initializers["pad_value"] = Tensor::from_f32({}, {-1.0f});
  g.initializers["pads2"] = i64({0, 0, 1, 0, 0, 1});
  g.nodes.push_back(
      make(OpKind::kTranspose, "tr", {"x"}, {"t"}, {{"perm", std::vector<int64_t>{2, 0, 1}}}));
  g.nodes.push_back(make(OpKind::kSqueeze, "sq", {"z", "sq_axes"}, {"zs"}));
  g.nodes.push_back(make(OpKind::kReshape, "rs", {"t", "shape"}, {"r"}));
  g.nodes.push_back(make(OpKind::kIdentity, "id", {"zs"}, {"zi"}));
  g.nodes.push_back(make(OpKind::kUnsqueeze, "unsq", {"zi", "unsq_axes"}, {"zu"}));
  g.nodes.push_back(make(OpKind::kConcat, "cat", {"r", "r"}, {"c"}, {{"axis", int64_t{-1}}}));
  g.nodes.push_back(make(OpKind::kPad, "pad", {"c", "pads", "pad_value"}, {"p"},
                         {{"mode", std::string("constant")}}));
  g.nodes.push_back(make(OpKind::kPad, "pad_reflect", {"p", "pads2"}, {"pr"},
                         {{"mode", std::string("reflect")}}));
  g.nodes.push_back(
      make(OpKind::kPad, "pad_edge", {"pr", "pads2"}, {"pe"}, {{"mode", std::string("edge")}}));
  g.nodes.push_back(make(OpKind::kGlobalMaxPool, "gmp", {"pe"}, {"y"}));
  g.outputs = {"y", "zu"};
  return g;
}

Graph lstm(int64_t layout, const std::string& direction) {
  const int64_t hidden = 3;
  const int64_t dirs = direction == "bidirectional" ? 2 : 1;
  Graph g;
  g.name = "lstm";
  g.nodes.push_back(
      input("X", layout == 0 ? std::vector<int64_t>{5, 2, 4} : std::vector<int64_t>{2, 5, 4}));
  g.initializers["W"] = random_tensor({dirs, 4 * hidden, 4}, 21);
  g.initializers["R"] = random_tensor({dirs, 4 * hidden, hidden}, 22);
  g.initializers["B"] = random_tensor({dirs, 8 * hidden}, 23);
  g.initializers["P"] = random_tensor({dirs, 3 * hidden}, 24);
  std::map<std::string, Attr> attrs = {
      {"hidden_size", hidden}, {"direction", direction}, {"clip", 5.0}};
  if (layout != 0) attrs["layout"] = layout;
  g.nodes.push_back(make(OpKind::kLSTM, "lstm", {"X", "W", "R", "B", "", "", "", "P"},
                         {"Y", "Y_h", "Y_c"}, attrs));
  g.outputs = {"Y", "Y_h", "Y_c"};
  return g;
}

Graph gru() {
  Graph g;
  g.name = "gru";
  g.nodes.push_back(input("X", {6, 1, 2}));
  g.nodes.push_back(input("h0", {1, 1, 5}));
  g.initializers["W"] = random_tensor({1, 15, 2}, 31);
  g.initializers["R"] = random_tensor({1, 15, 5}, 32);
  g.initializers["B"] = random_tensor({1, 30}, 33);
  g.nodes.push_back(make(OpKind::kGRU, "gru", {"X", "W", "R", "B", "", "h0"}, {"", "Y_h"},
                         {{"hidden_size", int64_t{5}},
                          {"linear_before_reset", int64_t{1}},
                          {"direction", std::string("reverse")},
                          {"activations", std::vector<std::string>{"Sigmoid", "Tanh"}}}));
  g.outputs = {"Y_h"};
  return g;
}

TEST(OnnxExport, ConvNetRoundTrips) {
  Graph g = conv_net();
  Graph back = round_trip(g);
  onnx_test::expect_graphs_equal(g, back);
  EXPECT_EQ(back.name, "convnet");
}

TEST(OnnxExport, MlpRoundTrips) {
  Graph g = mlp();
  onnx_test::expect_graphs_equal(g, round_trip(g));
}

TEST(OnnxExport, ShapeOpsRoundTrip) {
  Graph g = shape_ops();
  onnx_test::expect_graphs_equal(g, round_trip(g));
}

TEST(OnnxExport, LstmRoundTripsInAllDirectionsAndLayouts) {
  for (int64_t layout : {0, 1}) {
    for (const char* dir : {"forward", "reverse", "bidirectional"}) {
      SCOPED_TRACE(std::string(dir) + " layout " + std::to_string(layout));
      Graph g = lstm(layout, dir);
      onnx_test::expect_graphs_equal(g, round_trip(g));
    }
  }
  // layout needs LSTM-14: the opset is raised only then.
  onnx::ModelProto m0, m1;
  ASSERT_TRUE(m0.ParseFromString(*io::export_onnx_bytes(lstm(0, "forward"))));
  ASSERT_TRUE(m1.ParseFromString(*io::export_onnx_bytes(lstm(1, "forward"))));
  EXPECT_EQ(m0.opset_import(0).version(), 13);
  EXPECT_EQ(m1.opset_import(0).version(), 14);
}

TEST(OnnxExport, GruRoundTrips) {
  Graph g = gru();
  onnx_test::expect_graphs_equal(g, round_trip(g));
}

// LSTMP (Sak et al. 2014): hidden 3 projected to 2.
Graph lstm_projection() {
  Graph g = lstm(0, "forward");
  g.name = "lstmp";
  Node& n = g.nodes.back();
  n.attrs["proj_size"] = int64_t{2};
  g.initializers["R"] = random_tensor({1, 12, 2}, 41);
  g.initializers["Wp"] = random_tensor({1, 2, 3}, 42);
  n.inputs.push_back("Wp");
  return g;
}

TEST(OnnxExport, LstmProjectionIsRefusedOrWrittenToTheSieveDomain) {
  Graph g = lstm_projection();
  auto refused = io::export_onnx_bytes(g);
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.status().code(), StatusCode::kUnimplemented);
  EXPECT_TRUE(contains(refused.status().message(), "node \"lstm\"")) << refused.status().message();
  EXPECT_TRUE(contains(refused.status().message(), "proj_size=2")) << refused.status().message();

  io::ExportOptions opts;
  opts.allow_sieve_extensions = true;
  Graph back = round_trip(g, opts);
  onnx_test::expect_graphs_equal(g, back);
  onnx::ModelProto m;
  ASSERT_TRUE(m.ParseFromString(*io::export_onnx_bytes(g, opts)));
  EXPECT_EQ(m.graph().node(0).domain(), "ai.sieve");
}

TEST(OnnxExport, AttributeTypesFollowTheOnnxSchema) {
  Graph g;
  g.nodes.push_back(input("x", {1, 4, 2, 2}));
  // An int where ONNX wants a float is written as a float.
  g.nodes.push_back(
      make(OpKind::kLRN, "lrn", {"x"}, {"y"}, {{"size", int64_t{3}}, {"bias", int64_t{2}}}));
  g.outputs = {"y"};
  Graph back = round_trip(g);
  ASSERT_EQ(back.nodes.size(), 2u);
  const Attr& bias = back.nodes[1].attrs.at("bias");
  ASSERT_TRUE(std::holds_alternative<double>(bias));
  EXPECT_EQ(std::get<double>(bias), 2.0);

  // An attribute ONNX does not know is an error naming the node and the attribute.
  g.nodes[1].attrs["frobnicate"] = int64_t{1};
  auto e = io::export_onnx_bytes(g);
  ASSERT_FALSE(e.ok());
  EXPECT_TRUE(contains(e.status().message(), "node \"lrn\"")) << e.status().message();
  EXPECT_TRUE(contains(e.status().message(), "frobnicate")) << e.status().message();
}

TEST(OnnxExport, LegacySoftmaxIsRewrittenForOpset13) {
  // coerce_2d at the last axis is plain opset-13 softmax.
  Graph g;
  g.nodes.push_back(input("x", {2, 3, 4}));
  g.nodes.push_back(make(OpKind::kSoftmax, "sm_last", {"x"}, {"a"},
                         {{"axis", int64_t{2}}, {"coerce_2d", int64_t{1}}}));
  g.nodes.push_back(make(OpKind::kLogSoftmax, "sm_mid", {"x"}, {"b"},
                         {{"axis", int64_t{1}}, {"coerce_2d", int64_t{1}}}));
  g.outputs = {"a", "b"};
  auto bytes = io::export_onnx_bytes(g);
  ASSERT_TRUE(bytes.ok()) << bytes.status().message();
  onnx::ModelProto m;
  ASSERT_TRUE(m.ParseFromString(*bytes));
  std::vector<std::string> ops;
  for (const auto& n : m.graph().node()) ops.push_back(n.op_type());
  EXPECT_EQ(ops, (std::vector<std::string>{"Softmax", "Flatten", "LogSoftmax", "Reshape"}));
  auto back = io::import_onnx_bytes(*bytes);
  ASSERT_TRUE(back.ok()) << back.status().message();
  // The Reshape restores [2,3,4] from the flattened [2,12].
  const ir::Node* r = back->producer("b");
  ASSERT_NE(r, nullptr);
  EXPECT_EQ(r->op, OpKind::kReshape);
  const Tensor* shape = back->initializer(r->inputs[1]);
  ASSERT_NE(shape, nullptr);
  EXPECT_EQ(std::vector<int64_t>(shape->data<int64_t>(), shape->data<int64_t>() + 3),
            (std::vector<int64_t>{2, 3, 4}));
}

TEST(OnnxExport, WritesTheFileAtomically) {
  onnx_test::ScratchDir dir;
  const std::string path = dir.file("net.onnx");
  Graph g = conv_net();
  ASSERT_TRUE(io::export_onnx(g, path).ok());
  ASSERT_TRUE(io::export_onnx(g, path).ok());  // overwrite in place
  int files = 0;
  for (const auto& e : std::filesystem::directory_iterator(dir.path())) {
    ++files;
    EXPECT_EQ(e.path().filename(), "net.onnx");  // no temporary file left behind
  }
  EXPECT_EQ(files, 1);
  EXPECT_NO_THROW(onnx::checker::check_model(path));
  auto back = io::import_onnx(path);
  ASSERT_TRUE(back.ok()) << back.status().message();
  onnx_test::expect_graphs_equal(g, *back);

  // A directory that does not exist is an error naming the path; nothing is created.
  Status s = io::export_onnx(g, dir.file("no/such/dir/net.onnx"));
  ASSERT_FALSE(s.ok());
  EXPECT_TRUE(contains(s.message(), "no/such/dir/net.onnx")) << s.message();
}

TEST(OnnxExport, GraphWithoutOutputsAndFixedPointWeightsAreRefused) {
  Graph g = mlp();
  g.outputs.clear();
  EXPECT_FALSE(io::export_onnx_bytes(g).ok());
  Graph h = mlp();
  Tensor q(DType::kI16, {16, 8});
  q.set_frac_bits(8);
  h.initializers["w1"] = q;
  auto e = io::export_onnx_bytes(h);
  ASSERT_FALSE(e.ok());
  EXPECT_TRUE(contains(e.status().message(), "frac_bits=8")) << e.status().message();
}

// Runs both graphs on the reference engine with the same random feeds (unknown dims = 3) and
// expects bit-identical outputs.
void expect_same_outputs(const Graph& a, const Graph& b) {
  runtime::TensorMap feeds;
  uint32_t seed = 100;
  for (const Node& n : a.nodes) {
    if (n.op != OpKind::kInput) continue;
    Shape s = n.attr_ints("shape");
    for (int64_t& d : s) d = d < 0 ? 3 : d;
    feeds[n.outputs[0]] = random_tensor(s, seed++);
  }
  auto ra = runtime::run_graph(a, feeds);
  auto rb = runtime::run_graph(b, feeds);
  ASSERT_TRUE(ra.ok()) << ra.status().message();
  ASSERT_TRUE(rb.ok()) << rb.status().message();
  ASSERT_EQ(a.outputs, b.outputs);
  for (const std::string& o : a.outputs) {
    ASSERT_TRUE(ra->count(o) && rb->count(o)) << o;
    EXPECT_GT(ra->at(o).numel(), 0) << o;
    EXPECT_TRUE(onnx_test::tensors_identical(ra->at(o), rb->at(o))) << "output " << o;
  }
}

TEST(OnnxExport, RoundTripComputesTheSameOutputs) {
  for (const Graph& g :
       {conv_net(), mlp(), shape_ops(), lstm(0, "bidirectional"), lstm(1, "reverse"), gru()}) {
    SCOPED_TRACE(g.name);
    expect_same_outputs(g, round_trip(g));
  }
  io::ExportOptions ext;
  ext.allow_sieve_extensions = true;
  expect_same_outputs(lstm_projection(), round_trip(lstm_projection(), ext));
  // The opset-13 rewrite of legacy (coerce_2d) softmax computes the same numbers.
  Graph sm;
  sm.name = "softmax";
  sm.nodes.push_back(input("x", {2, 3, 4}));
  sm.nodes.push_back(make(OpKind::kLogSoftmax, "lsm", {"x"}, {"y"},
                          {{"axis", int64_t{1}}, {"coerce_2d", int64_t{1}}}));
  sm.nodes.push_back(make(OpKind::kSoftmax, "sm", {"x"}, {"z"},
                          {{"axis", int64_t{0}}, {"coerce_2d", int64_t{1}}}));
  sm.outputs = {"y", "z"};
  auto bytes = io::export_onnx_bytes(sm);
  ASSERT_TRUE(bytes.ok()) << bytes.status().message();
  auto back = io::import_onnx_bytes(*bytes);
  ASSERT_TRUE(back.ok()) << back.status().message();
  EXPECT_EQ(back->nodes.size(), 7u);  // Input + 2 x (Flatten, softmax, Reshape)
  expect_same_outputs(sm, *back);
}

}  // namespace
}  // namespace sieve
