// ONNX import: bad files, unsupported ops, and the mapping of each op and legacy form.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "onnx_test_util.h"
#include "sieve/app/onnx_conformance.h"
#include "sieve/core/atomic_file.h"
#include "sieve/io/onnx/onnx.h"

namespace sieve {
namespace {

using io::import_onnx;
using io::import_onnx_bytes;
using ir::OpKind;
using onnx_test::ModelBuilder;
using onnx_test::ScratchDir;

bool contains(const std::string& s, const std::string& sub) {
  return s.find(sub) != std::string::npos;
}

// input x[1,2,4,4] -> Conv(w, b) -> Relu -> Flatten -> Gemm -> y
ModelBuilder small_convnet(int64_t opset = 13) {
  ModelBuilder b(opset);
  b.input("x", {1, 2, 4, 4});
  b.init_f32("w", {3, 2, 3, 3}, onnx_test::pseudo_random(54, 1));
  b.init_f32("b", {3}, {0.1f, 0.2f, 0.3f});
  b.init_f32("fc_w", {5, 12}, onnx_test::pseudo_random(60, 2));
  auto* conv = b.node("Conv", {"x", "w", "b"}, {"c"}, "conv1");
  ModelBuilder::attr_ints(conv, "kernel_shape", {3, 3});
  ModelBuilder::attr_ints(conv, "strides", {2, 2});
  ModelBuilder::attr_ints(conv, "pads", {1, 1, 1, 1});
  b.node("Relu", {"c"}, {"r"}, "relu1");
  b.node("Flatten", {"r"}, {"f"}, "flat");
  auto* gemm = b.node("Gemm", {"f", "fc_w"}, {"y"}, "fc");
  ModelBuilder::attr_i(gemm, "transB", 1);
  b.output("y");
  return b;
}

TEST(OnnxImport, MissingFileNamesThePath) {
  auto g = import_onnx("/nonexistent/dir/model.onnx");
  ASSERT_FALSE(g.ok());
  EXPECT_EQ(g.status().code(), StatusCode::kNotFound);
  EXPECT_TRUE(contains(g.status().message(), "/nonexistent/dir/model.onnx"))
      << g.status().message();
}

TEST(OnnxImport, TruncatedFileIsDataLossNamingTheFile) {
  ScratchDir dir;
  std::string bytes = small_convnet().bytes();
  ASSERT_GT(bytes.size(), 200u);
  // Cut inside the first initializer's data (a length-delimited field runs past the end).
  const std::string path = dir.file("truncated.onnx");
  ASSERT_TRUE(write_file_atomic(path, std::string_view(bytes).substr(0, 100)).ok());
  auto g = import_onnx(path);
  ASSERT_FALSE(g.ok());
  EXPECT_EQ(g.status().code(), StatusCode::kDataLoss);
  EXPECT_TRUE(contains(g.status().message(), path)) << g.status().message();
  EXPECT_TRUE(contains(g.status().message(), "truncated")) << g.status().message();
}

TEST(OnnxImport, GarbageAndEmptyFilesAreErrors) {
  ScratchDir dir;
  const std::string garbage = dir.file("garbage.onnx");
  ASSERT_TRUE(write_file_atomic(garbage, "this is not an ONNX model, just text\n").ok());
  auto g = import_onnx(garbage);
  ASSERT_FALSE(g.ok());
  EXPECT_EQ(g.status().code(), StatusCode::kDataLoss);
  EXPECT_TRUE(contains(g.status().message(), garbage)) << g.status().message();

  const std::string empty = dir.file("empty.onnx");
  ASSERT_TRUE(write_file_atomic(empty, "").ok());
  auto e = import_onnx(empty);
  ASSERT_FALSE(e.ok());
  EXPECT_TRUE(contains(e.status().message(), "empty")) << e.status().message();

  // Valid protobuf but no graph: a TensorProto is not a model.
  auto t =
      import_onnx_bytes(*io::serialize_tensor_pb(Tensor::from_f32({2}, {1, 2}), "t"), "tensor.pb");
  ASSERT_FALSE(t.ok());
  EXPECT_TRUE(contains(t.status().message(), "tensor.pb")) << t.status().message();
}

TEST(OnnxImport, UnsupportedOpsAreNamedWithTheSupportedList) {
  ModelBuilder b(13);
  b.input("x", {2, 3});
  b.node("Exp", {"x"}, {"e"}, "exp_node");
  b.node("Relu", {"e"}, {"r"}, "relu");
  b.node("Erf", {"r"}, {"y"}, "erf_node");
  b.output("y");
  auto g = import_onnx_bytes(b.bytes(), "m.onnx");
  ASSERT_FALSE(g.ok());
  const std::string& msg = g.status().message();
  EXPECT_EQ(g.status().code(), StatusCode::kUnimplemented);
  EXPECT_TRUE(contains(msg, "m.onnx")) << msg;
  EXPECT_TRUE(contains(msg, "Exp, Erf")) << msg;
  EXPECT_TRUE(contains(msg, "exp_node")) << msg;
  EXPECT_TRUE(contains(msg, "supported ops: Add, AveragePool")) << msg;
  EXPECT_TRUE(contains(msg, "Unsqueeze")) << msg;
}

TEST(OnnxImport, SmallConvNetMapsEveryNode) {
  auto g = import_onnx_bytes(small_convnet().bytes(), "convnet.onnx");
  ASSERT_TRUE(g.ok()) << g.status().message();
  ASSERT_EQ(g->nodes.size(), 5u);
  const ir::Node& in = g->nodes[0];
  EXPECT_EQ(in.op, OpKind::kInput);
  EXPECT_EQ(in.outputs, std::vector<std::string>{"x"});
  EXPECT_EQ(in.attr_ints("shape"), (std::vector<int64_t>{1, 2, 4, 4}));
  EXPECT_EQ(in.attr_int("dtype", -1), static_cast<int64_t>(DType::kF32));
  const ir::Node& conv = g->nodes[1];
  EXPECT_EQ(conv.op, OpKind::kConv);
  EXPECT_EQ(conv.name, "conv1");
  EXPECT_EQ(conv.inputs, (std::vector<std::string>{"x", "w", "b"}));
  EXPECT_EQ(conv.attr_ints("strides"), (std::vector<int64_t>{2, 2}));
  EXPECT_EQ(conv.attr_ints("pads"), (std::vector<int64_t>{1, 1, 1, 1}));
  EXPECT_EQ(g->nodes[2].op, OpKind::kRelu);
  EXPECT_EQ(g->nodes[3].op, OpKind::kFlatten);
  const ir::Node& fc = g->nodes[4];
  EXPECT_EQ(fc.op, OpKind::kFullyConnected);
  EXPECT_FALSE(fc.has_attr("trans_a"));  // ONNX and Sieve share the default 0
  EXPECT_EQ(fc.attr_int("trans_b", -1), 1);
  EXPECT_EQ(g->outputs, std::vector<std::string>{"y"});
  ASSERT_EQ(g->initializers.size(), 3u);
  const Tensor& w = g->initializers.at("w");
  EXPECT_EQ(w.shape(), (Shape{3, 2, 3, 3}));
  EXPECT_FLOAT_EQ(w.data<float>()[7], onnx_test::pseudo_random(54, 1)[7]);
}

TEST(OnnxImport, GemmTransBDefaultsToZeroUnlikeSieve) {
  ModelBuilder b(13);
  b.input("a", {2, 3});
  b.init_f32("w", {3, 4}, onnx_test::pseudo_random(12, 3));
  auto* n = b.node("Gemm", {"a", "w"}, {"y"});
  ModelBuilder::attr_f(n, "alpha", 0.5f);
  b.output("y");
  auto g = import_onnx_bytes(b.bytes());
  ASSERT_TRUE(g.ok()) << g.status().message();
  const ir::Node& fc = g->nodes.back();
  EXPECT_EQ(fc.name, "Gemm_0");  // unnamed ONNX nodes get op + index
  EXPECT_EQ(fc.attr_int("trans_b", -1), 0);
  EXPECT_DOUBLE_EQ(fc.attr_float("alpha", 0), 0.5);
  EXPECT_FALSE(fc.has_attr("beta"));
}

TEST(OnnxImport, InitializersListedAsInputsAreNotInputNodes) {
  // IR version 3 (old PyTorch exports) lists every weight among the graph inputs too.
  ModelBuilder b(6, 3);
  b.input("x", {-1, 3});
  b.input("w", {4, 3});
  b.init_f32("w", {4, 3}, onnx_test::pseudo_random(12, 4));
  auto* n = b.node("Gemm", {"x", "w"}, {"y"});
  ModelBuilder::attr_i(n, "transB", 1);
  ModelBuilder::attr_i(n, "broadcast", 1);
  b.output("y");
  auto g = import_onnx_bytes(b.bytes());
  ASSERT_TRUE(g.ok()) << g.status().message();
  EXPECT_EQ(g->input_names(), std::vector<std::string>{"x"});
  EXPECT_EQ(g->nodes[0].attr_ints("shape"), (std::vector<int64_t>{-1, 3}));
  EXPECT_TRUE(g->is_initializer("w"));
  EXPECT_FALSE(g->nodes.back().has_attr("broadcast"));
}

TEST(OnnxImport, InputDtypesIncludingBoolAsU8) {
  ModelBuilder b(13);
  b.input("a", {2}, onnx::TensorProto::INT64);
  b.input("m", {2}, onnx::TensorProto::BOOL);
  b.node("Identity", {"a"}, {"y"});
  b.node("Identity", {"m"}, {"z"});
  b.output("y");
  b.output("z");
  auto g = import_onnx_bytes(b.bytes());
  ASSERT_TRUE(g.ok()) << g.status().message();
  EXPECT_EQ(g->nodes[0].attr_int("dtype", -1), static_cast<int64_t>(DType::kI64));
  EXPECT_EQ(g->nodes[1].attr_int("dtype", -1), static_cast<int64_t>(DType::kU8));

  ModelBuilder d(13);
  d.input("x", {2}, onnx::TensorProto::DOUBLE);
  d.node("Identity", {"x"}, {"y"});
  d.output("y");
  auto e = import_onnx_bytes(d.bytes(), "double.onnx");
  ASSERT_FALSE(e.ok());
  EXPECT_TRUE(contains(e.status().message(), "DOUBLE")) << e.status().message();
  EXPECT_TRUE(contains(e.status().message(), "graph input \"x\"")) << e.status().message();
}

TEST(OnnxImport, SoftmaxBeforeOpset13IsCoerced2d) {
  for (int64_t opset : {11, 13}) {
    ModelBuilder b(opset);
    b.input("x", {2, 3, 4});
    b.node("Softmax", {"x"}, {"s"});
    b.node("LogSoftmax", {"x"}, {"l"});
    b.output("s");
    b.output("l");
    auto g = import_onnx_bytes(b.bytes());
    ASSERT_TRUE(g.ok()) << g.status().message();
    for (size_t i : {1u, 2u}) {
      const ir::Node& n = g->nodes[i];
      if (opset < 13) {
        EXPECT_EQ(n.attr_int("coerce_2d", 0), 1);
        EXPECT_EQ(n.attr_int("axis", -7), 1);
      } else {
        EXPECT_FALSE(n.has_attr("coerce_2d"));
        EXPECT_EQ(n.attr_int("axis", -1), -1);
      }
    }
  }
}

TEST(OnnxImport, LegacyAttributesBecomeInitializers) {
  ModelBuilder b(1);
  b.input("x", {1, 2, 3});
  auto* r = b.node("Reshape", {"x"}, {"r"}, "reshape");
  ModelBuilder::attr_ints(r, "shape", {3, 2});
  auto* p = b.node("Pad", {"r"}, {"p"}, "pad");
  ModelBuilder::attr_ints(p, "paddings", {0, 1, 0, 2});
  ModelBuilder::attr_f(p, "value", 1.5f);
  ModelBuilder::attr_s(p, "mode", "constant");
  auto* u = b.node("Unsqueeze", {"p"}, {"u"}, "unsq");
  ModelBuilder::attr_ints(u, "axes", {0});
  auto* s = b.node("Squeeze", {"u"}, {"y"}, "sq");
  ModelBuilder::attr_ints(s, "axes", {0});
  b.output("y");
  auto g = import_onnx_bytes(b.bytes());
  ASSERT_TRUE(g.ok()) << g.status().message();
  auto i64 = [&](const std::string& v) {
    const Tensor* t = g->initializer(v);
    EXPECT_NE(t, nullptr) << v;
    if (t == nullptr) return std::vector<int64_t>{};
    EXPECT_EQ(t->dtype(), DType::kI64);
    return std::vector<int64_t>(t->data<int64_t>(), t->data<int64_t>() + t->numel());
  };
  const ir::Node* reshape = g->find_node("reshape");
  ASSERT_NE(reshape, nullptr);
  ASSERT_EQ(reshape->inputs.size(), 2u);
  EXPECT_EQ(i64(reshape->inputs[1]), (std::vector<int64_t>{3, 2}));
  const ir::Node* pad = g->find_node("pad");
  ASSERT_EQ(pad->inputs.size(), 3u);
  EXPECT_EQ(i64(pad->inputs[1]), (std::vector<int64_t>{0, 1, 0, 2}));
  const Tensor* value = g->initializer(pad->inputs[2]);
  ASSERT_NE(value, nullptr);
  EXPECT_EQ(value->shape(), Shape{});
  EXPECT_FLOAT_EQ(value->data<float>()[0], 1.5f);
  EXPECT_EQ(pad->attr_string("mode", ""), "constant");
  EXPECT_FALSE(pad->has_attr("value"));
  EXPECT_EQ(i64(g->find_node("unsq")->inputs[1]), std::vector<int64_t>{0});
  EXPECT_EQ(i64(g->find_node("sq")->inputs[1]), std::vector<int64_t>{0});
}

TEST(OnnxImport, LegacyBroadcastWithAxisAlignsTheSecondOperand) {
  // Opset 6: Add(A[2,3,4,5], B[3]) with broadcast=1, axis=1 means B spans dimension 1.
  ModelBuilder b(6);
  b.input("a", {2, 3, 4, 5});
  b.input("c", {3, 4});
  b.init_f32("bias", {3}, {1, 2, 3});
  auto* add = b.node("Add", {"a", "bias"}, {"s"}, "add");
  ModelBuilder::attr_i(add, "broadcast", 1);
  ModelBuilder::attr_i(add, "axis", 1);
  auto* mul = b.node("Mul", {"s", "c"}, {"y"}, "mul");  // computed B: gets an Unsqueeze
  ModelBuilder::attr_i(mul, "broadcast", 1);
  ModelBuilder::attr_i(mul, "axis", 1);
  b.output("y");
  auto g = import_onnx_bytes(b.bytes());
  ASSERT_TRUE(g.ok()) << g.status().message();
  const ir::Node* a = g->find_node("add");
  const Tensor* bias = g->initializer(a->inputs[1]);
  ASSERT_NE(bias, nullptr);
  EXPECT_EQ(bias->shape(), (Shape{3, 1, 1}));
  EXPECT_FALSE(a->has_attr("broadcast"));
  EXPECT_FALSE(a->has_attr("axis"));
  const ir::Node* m = g->find_node("mul");
  const ir::Node* u = g->producer(m->inputs[1]);
  ASSERT_NE(u, nullptr);
  EXPECT_EQ(u->op, OpKind::kUnsqueeze);
  EXPECT_EQ(u->inputs[0], "c");
  const Tensor* axes = g->initializer(u->inputs[1]);
  ASSERT_NE(axes, nullptr);
  EXPECT_EQ(std::vector<int64_t>(axes->data<int64_t>(), axes->data<int64_t>() + axes->numel()),
            std::vector<int64_t>{2});
}

TEST(OnnxImport, ConstantsFoldAndConstantOutputsGetAnIdentity) {
  ModelBuilder b(13);
  b.input("x", {2});
  auto* c = b.node("Constant", {}, {"k"}, "const");
  auto* a = c->add_attribute();
  a->set_name("value");
  a->set_type(onnx::AttributeProto::TENSOR);
  a->mutable_t()->set_data_type(onnx::TensorProto::FLOAT);
  a->mutable_t()->add_dims(2);
  a->mutable_t()->add_float_data(3);
  a->mutable_t()->add_float_data(4);
  b.node("Add", {"x", "k"}, {"y"}, "add");
  auto* ci = b.node("Constant", {}, {"z"}, "const_out");
  ModelBuilder::attr_i(ci, "value_int", 7);
  b.output("y");
  b.output("z");
  auto g = import_onnx_bytes(b.bytes());
  ASSERT_TRUE(g.ok()) << g.status().message();
  const Tensor* k = g->initializer("k");
  ASSERT_NE(k, nullptr);
  EXPECT_FLOAT_EQ(k->data<float>()[1], 4.0f);
  EXPECT_EQ(g->find_node("const"), nullptr);
  const ir::Node* z = g->producer("z");
  ASSERT_NE(z, nullptr);
  EXPECT_EQ(z->op, OpKind::kIdentity);
  const Tensor* zc = g->initializer(z->inputs[0]);
  ASSERT_NE(zc, nullptr);
  EXPECT_EQ(zc->dtype(), DType::kI64);
  EXPECT_EQ(zc->data<int64_t>()[0], 7);
  EXPECT_EQ(g->outputs, (std::vector<std::string>{"y", "z"}));
}

TEST(OnnxImport, TrainingModeFormsAreRefused) {
  ModelBuilder b(15);
  b.input("x", {2, 3, 4});
  for (const char* n : {"s", "bb", "m", "v"}) b.init_f32(n, {3}, {1, 1, 1});
  auto* bn = b.node("BatchNormalization", {"x", "s", "bb", "m", "v"}, {"y", "rm", "rv"}, "bn");
  ModelBuilder::attr_i(bn, "training_mode", 1);
  b.output("y");
  auto g = import_onnx_bytes(b.bytes(), "bn.onnx");
  ASSERT_FALSE(g.ok());
  EXPECT_EQ(g.status().code(), StatusCode::kUnimplemented);
  EXPECT_TRUE(contains(g.status().message(), "node \"bn\"")) << g.status().message();
  EXPECT_TRUE(contains(g.status().message(), "training")) << g.status().message();

  ModelBuilder d(13);
  d.input("x", {4});
  d.init_f32("ratio", {}, {0.5f});
  auto* t = d.model().mutable_graph()->add_initializer();
  t->set_name("train");
  t->set_data_type(onnx::TensorProto::BOOL);
  t->add_int32_data(1);
  d.node("Dropout", {"x", "ratio", "train"}, {"y"}, "drop");
  d.output("y");
  auto e = import_onnx_bytes(d.bytes());
  ASSERT_FALSE(e.ok());
  EXPECT_TRUE(contains(e.status().message(), "training")) << e.status().message();
}

TEST(OnnxImport, LegacyBatchNormAndDropoutAttributesAreAccepted) {
  ModelBuilder b(6, 3);
  b.input("x", {1, 3, 2, 2});
  for (const char* n : {"s", "bb", "m", "v"}) b.init_f32(n, {3}, {1, 2, 3});
  auto* bn = b.node("BatchNormalization", {"x", "s", "bb", "m", "v"}, {"y"}, "bn");
  ModelBuilder::attr_f(bn, "epsilon", 1e-5f);
  ModelBuilder::attr_f(bn, "momentum", 0.9f);
  ModelBuilder::attr_i(bn, "is_test", 1);
  auto* dr = b.node("Dropout", {"y"}, {"z"}, "drop");
  ModelBuilder::attr_f(dr, "ratio", 0.3f);
  ModelBuilder::attr_i(dr, "is_test", 1);
  b.output("z");
  auto g = import_onnx_bytes(b.bytes());
  ASSERT_TRUE(g.ok()) << g.status().message();
  const ir::Node* n = g->find_node("bn");
  EXPECT_EQ(n->op, OpKind::kBatchNorm);
  EXPECT_NEAR(n->attr_float("epsilon", 0), 1e-5, 1e-10);
  EXPECT_EQ(n->attrs.size(), 1u);
  EXPECT_TRUE(g->find_node("drop")->attrs.empty());
}

TEST(OnnxImport, UndefinedInputAndUnknownAttributeAreErrors) {
  ModelBuilder b(13);
  b.input("x", {2});
  b.node("Relu", {"nope"}, {"y"}, "r");
  b.output("y");
  auto g = import_onnx_bytes(b.bytes(), "u.onnx");
  ASSERT_FALSE(g.ok());
  EXPECT_TRUE(contains(g.status().message(), "\"nope\"")) << g.status().message();

  ModelBuilder c(13);
  c.input("x", {1, 1, 4, 4});
  auto* mp = c.node("MaxPool", {"x"}, {"y"}, "pool");
  ModelBuilder::attr_ints(mp, "kernel_shape", {2, 2});
  ModelBuilder::attr_i(mp, "frobnicate", 3);
  c.output("y");
  auto e = import_onnx_bytes(c.bytes());
  ASSERT_FALSE(e.ok());
  EXPECT_TRUE(contains(e.status().message(), "frobnicate=3")) << e.status().message();
}

TEST(OnnxImport, ConformanceModelFromTestDataIfInstalled) {
  auto root = app::default_onnx_testdata_dir();
  if (!root.ok()) GTEST_SKIP() << root.status().message();
  auto g = import_onnx(*root + "/node/test_conv_with_strides_and_asymmetric_padding/model.onnx");
  ASSERT_TRUE(g.ok()) << g.status().message();
  const ir::Node& conv = g->nodes.back();
  EXPECT_EQ(conv.op, OpKind::kConv);
  EXPECT_EQ(conv.attr_ints("pads"), (std::vector<int64_t>{1, 0, 1, 0}));
  EXPECT_EQ(conv.attr_ints("strides"), (std::vector<int64_t>{2, 2}));
  EXPECT_EQ(g->input_names(), (std::vector<std::string>{"x", "W"}));

  auto lstm = import_onnx(*root + "/node/test_lstm_with_peepholes/model.onnx");
  ASSERT_TRUE(lstm.ok()) << lstm.status().message();
  EXPECT_EQ(lstm->nodes.back().op, OpKind::kLSTM);
  EXPECT_EQ(lstm->nodes.back().inputs.size(), 8u);
}

}  // namespace
}  // namespace sieve
