// The ONNX importer against the bad inputs of issue 8: dims that claim more data than the file
// holds (checked before allocating), negative input dims, an opset newer than supported,
// ir_version 0, and messages nested deeper than the parser accepts.
#include <gtest/gtest.h>

#include <fstream>

#include "cli_util.h"
#include "sieve/io/onnx/onnx.h"
#include "unit/onnx_test_util.h"

namespace sieve::io {
namespace {

using onnx_test::ModelBuilder;
using onnx_test::ScratchDir;

// x [1, 4] -> Relu -> y.
ModelBuilder relu_model(int64_t opset = 13, int64_t ir_version = 7) {
  ModelBuilder b(opset, ir_version);
  b.input("x", {1, 4});
  b.node("Relu", {"x"}, {"y"}, "relu");
  b.output("y");
  return b;
}

std::string refusal(const std::string& bytes) {
  Result<ir::Graph> g = import_onnx_bytes(bytes, "m.onnx");
  EXPECT_FALSE(g.ok());
  return g.ok() ? std::string() : g.status().message();
}

TEST(OnnxBadInput, HugeDimsWithoutDataAreRefusedBeforeAllocating) {
  ModelBuilder b = relu_model();
  b.init_f32("w", {int64_t{1} << 33, 4}, {});
  EXPECT_NE(refusal(b.bytes()).find("m.onnx: initializer: tensor \"w\": float_data has 0 values, "
                                    "dims [8589934592,4] need 34359738368"),
            std::string::npos)
      << refusal(b.bytes());
  ModelBuilder c = relu_model();
  c.init_f32("w", {int64_t{1} << 62, 4}, {});
  EXPECT_NE(refusal(c.bytes()).find("tensor \"w\": dims [4611686018427387904,4] have more than "
                                    "2^63 bytes"),
            std::string::npos)
      << refusal(c.bytes());
  // raw_data of the wrong size: the same, before allocating.
  ModelBuilder d = relu_model();
  auto* t = d.model().mutable_graph()->add_initializer();
  t->set_name("r");
  t->set_data_type(onnx::TensorProto::FLOAT);
  t->add_dims(int64_t{1} << 40);
  t->set_raw_data(std::string(8, '\0'));
  EXPECT_NE(refusal(d.bytes()).find("tensor \"r\": raw_data has 8 bytes, dims [1099511627776] of "
                                    "FLOAT need 4398046511104"),
            std::string::npos)
      << refusal(d.bytes());
}

TEST(OnnxBadInput, TensorPbWithHugeDimsIsRefused) {
  onnx::TensorProto p;
  p.set_name("input_0");
  p.set_data_type(onnx::TensorProto::FLOAT);
  p.add_dims(int64_t{1} << 33);
  p.add_dims(4);
  Result<Tensor> t = parse_tensor_pb(p.SerializeAsString(), "input_0.pb");
  ASSERT_FALSE(t.ok());
  EXPECT_NE(t.status().message().find("input_0.pb: tensor \"input_0\": float_data has 0 values, "
                                      "dims [8589934592,4] need 34359738368"),
            std::string::npos)
      << t.status().message();
}

TEST(OnnxBadInput, NegativeInputDimsAreRefused) {
  ModelBuilder b(13);
  auto* vi = b.model().mutable_graph()->add_input();
  vi->set_name("x");
  auto* tt = vi->mutable_type()->mutable_tensor_type();
  tt->set_elem_type(onnx::TensorProto::FLOAT);
  tt->mutable_shape()->add_dim()->set_dim_value(1);
  tt->mutable_shape()->add_dim()->set_dim_value(-5);
  b.node("Relu", {"x"}, {"y"}, "relu");
  b.output("y");
  EXPECT_NE(refusal(b.bytes()).find("m.onnx: graph input \"x\": dims [1,-5]: dimension 1 is "
                                    "negative (-5)"),
            std::string::npos)
      << refusal(b.bytes());
}

TEST(OnnxBadInput, OpsetNewerThanSupportedAndIrVersionZeroAreRefused) {
  EXPECT_NE(refusal(relu_model(999).bytes())
                .find("m.onnx: opset_import version 999 is newer than the newest supported (21)"),
            std::string::npos)
      << refusal(relu_model(999).bytes());
  EXPECT_NE(refusal(relu_model(13, 0).bytes())
                .find("m.onnx: ir_version 0 is invalid (ONNX IR versions start at 1)"),
            std::string::npos)
      << refusal(relu_model(13, 0).bytes());
  // The supported range still imports.
  EXPECT_TRUE(import_onnx_bytes(relu_model(21).bytes(), "m.onnx").ok());
}

TEST(OnnxBadInput, DeeplyNestedGraphsAreRefusedCleanly) {
  // 40 subgraphs, one inside another's node attribute: 3 messages per level.
  ModelBuilder b = relu_model();
  onnx::GraphProto* g = b.model().mutable_graph();
  for (int i = 0; i < 40; ++i) {
    onnx::NodeProto* n = g->add_node();
    n->set_op_type("If");
    onnx::AttributeProto* a = n->add_attribute();
    a->set_name("then_branch");
    a->set_type(onnx::AttributeProto::GRAPH);
    g = a->mutable_g();
  }
  EXPECT_NE(refusal(b.bytes()).find("nested more than 64 messages deep"), std::string::npos)
      << refusal(b.bytes());
}

TEST(OnnxBadInput, InspectOfHugeInputOrInitializerExitsOne) {
  ScratchDir dir;
  ModelBuilder b = relu_model();
  b.init_f32("w", {int64_t{1} << 33, 4}, {});
  std::ofstream(dir.file("init.onnx"), std::ios::binary) << b.bytes();
  sieve_test::CliRun r = sieve_test::run_sieve("inspect " + dir.file("init.onnx"));
  EXPECT_FALSE(r.signaled) << r.out;
  EXPECT_EQ(r.rc, 1) << r.out;
  EXPECT_NE(r.stderr_only.find("dims [8589934592,4] need 34359738368"), std::string::npos) << r.out;

  // A graph input of [2^33, 4] f32 (128 GiB): refused against the memory limit with numbers.
  ModelBuilder c(13);
  c.input("x", {int64_t{1} << 33, 4});
  c.node("Relu", {"x"}, {"y"}, "relu");
  c.output("y");
  std::ofstream(dir.file("input.onnx"), std::ios::binary) << c.bytes();
  r = sieve_test::run_sieve("inspect " + dir.file("input.onnx"), "SIEVE_MEMORY_LIMIT=1G");
  EXPECT_FALSE(r.signaled) << r.out;
  EXPECT_EQ(r.rc, 1) << r.out;
  EXPECT_NE(r.stderr_only.find("of shape [8589934592,4] needs 128.0 GiB (137438953472 bytes), "
                               "more than the memory limit of 1.0 GiB"),
            std::string::npos)
      << r.out;
}

}  // namespace
}  // namespace sieve::io
