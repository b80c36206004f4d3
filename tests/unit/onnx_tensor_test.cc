// TensorProto (.pb) parsing: every storage form ONNX uses, and broken files.
#include <gtest/gtest.h>
#include <onnx/onnx_pb.h>

#include "onnx_test_util.h"
#include "sieve/app/onnx_conformance.h"
#include "sieve/core/atomic_file.h"
#include "sieve/io/onnx/onnx.h"

namespace sieve {
namespace {

using io::parse_tensor_pb;
using onnx_test::ScratchDir;

std::string ser(const onnx::TensorProto& p) {
  std::string s;
  p.SerializeToString(&s);
  return s;
}

bool contains(const std::string& s, const std::string& sub) {
  return s.find(sub) != std::string::npos;
}

TEST(OnnxTensor, FloatDataField) {
  onnx::TensorProto p;
  p.set_data_type(onnx::TensorProto::FLOAT);
  p.add_dims(2);
  p.add_dims(2);
  for (float v : {1.5f, -2.0f, 0.0f, 3.25f}) p.add_float_data(v);
  auto t = parse_tensor_pb(ser(p));
  ASSERT_TRUE(t.ok()) << t.status().message();
  EXPECT_EQ(t->dtype(), DType::kF32);
  EXPECT_EQ(t->shape(), (Shape{2, 2}));
  EXPECT_EQ(t->data<float>()[0], 1.5f);
  EXPECT_EQ(t->data<float>()[3], 3.25f);
}

TEST(OnnxTensor, RawDataIsLittleEndian) {
  onnx::TensorProto p;
  p.set_data_type(onnx::TensorProto::INT64);
  p.add_dims(2);
  // 258 and -1 as little-endian int64.
  const unsigned char raw[16] = {2, 1, 0, 0, 0, 0, 0, 0, 255, 255, 255, 255, 255, 255, 255, 255};
  p.set_raw_data(std::string(reinterpret_cast<const char*>(raw), 16));
  auto t = parse_tensor_pb(ser(p));
  ASSERT_TRUE(t.ok()) << t.status().message();
  EXPECT_EQ(t->dtype(), DType::kI64);
  EXPECT_EQ(t->data<int64_t>()[0], 258);
  EXPECT_EQ(t->data<int64_t>()[1], -1);

  onnx::TensorProto f;
  f.set_data_type(onnx::TensorProto::FLOAT);
  const unsigned char one[4] = {0x00, 0x00, 0x80, 0x3f};  // 1.0f
  f.set_raw_data(std::string(reinterpret_cast<const char*>(one), 4));
  auto s = parse_tensor_pb(ser(f));
  ASSERT_TRUE(s.ok()) << s.status().message();
  EXPECT_EQ(s->shape(), Shape{});  // no dims: a scalar
  EXPECT_EQ(s->data<float>()[0], 1.0f);
}

TEST(OnnxTensor, Int64AndInt32BackedTypes) {
  onnx::TensorProto p;
  p.set_data_type(onnx::TensorProto::INT64);
  p.add_dims(3);
  for (int64_t v : {int64_t{-5}, int64_t{1} << 40, int64_t{0}}) p.add_int64_data(v);
  auto t = parse_tensor_pb(ser(p));
  ASSERT_TRUE(t.ok());
  EXPECT_EQ(t->data<int64_t>()[1], int64_t{1} << 40);

  struct Case {
    onnx::TensorProto::DataType type;
    DType want;
  };
  for (Case c :
       {Case{onnx::TensorProto::INT32, DType::kI32}, Case{onnx::TensorProto::INT16, DType::kI16},
        Case{onnx::TensorProto::INT8, DType::kI8}, Case{onnx::TensorProto::UINT8, DType::kU8},
        Case{onnx::TensorProto::BOOL, DType::kU8}}) {
    onnx::TensorProto q;
    q.set_data_type(c.type);
    q.add_dims(2);
    q.add_int32_data(1);
    q.add_int32_data(c.type == onnx::TensorProto::UINT8 ? 200 : 0);
    auto r = parse_tensor_pb(ser(q));
    ASSERT_TRUE(r.ok()) << r.status().message();
    EXPECT_EQ(r->dtype(), c.want);
    EXPECT_EQ(r->to_f32().data<float>()[0], 1.0f);
    if (c.type == onnx::TensorProto::UINT8) {
      EXPECT_EQ(r->data<uint8_t>()[1], 200);
    }
  }
  // A value that does not fit the declared type is corrupt data.
  onnx::TensorProto bad;
  bad.set_data_type(onnx::TensorProto::INT8);
  bad.add_int32_data(300);
  auto e = parse_tensor_pb(ser(bad), "x.pb");
  ASSERT_FALSE(e.ok());
  EXPECT_TRUE(contains(e.status().message(), "300")) << e.status().message();
}

TEST(OnnxTensor, CountMismatchAndUnsupportedTypesAreErrors) {
  onnx::TensorProto p;
  p.set_name("w");
  p.set_data_type(onnx::TensorProto::FLOAT);
  p.add_dims(3);
  p.add_float_data(1);
  auto t = parse_tensor_pb(ser(p), "w.pb");
  ASSERT_FALSE(t.ok());
  EXPECT_EQ(t.status().code(), StatusCode::kDataLoss);
  EXPECT_TRUE(contains(t.status().message(), "w.pb")) << t.status().message();
  EXPECT_TRUE(contains(t.status().message(), "float_data has 1 values")) << t.status().message();

  p.clear_float_data();
  p.set_raw_data(std::string(8, '\0'));  // 2 floats, 3 needed
  auto r = parse_tensor_pb(ser(p), "w.pb");
  ASSERT_FALSE(r.ok());
  EXPECT_TRUE(contains(r.status().message(), "raw_data has 8 bytes")) << r.status().message();

  onnx::TensorProto d;
  d.set_data_type(onnx::TensorProto::DOUBLE);
  d.add_double_data(1.0);
  auto u = parse_tensor_pb(ser(d), "d.pb");
  ASSERT_FALSE(u.ok());
  EXPECT_EQ(u.status().code(), StatusCode::kUnimplemented);
  EXPECT_TRUE(contains(u.status().message(), "DOUBLE")) << u.status().message();
}

TEST(OnnxTensor, FilesRoundTripAndBrokenFilesAreErrors) {
  ScratchDir dir;
  Tensor t = onnx_test::random_tensor({2, 3, 4}, 9);
  auto bytes = io::serialize_tensor_pb(t, "input_0");
  ASSERT_TRUE(bytes.ok());
  const std::string path = dir.file("input_0.pb");
  ASSERT_TRUE(write_file_atomic(path, *bytes).ok());
  auto back = io::read_tensor_pb(path);
  ASSERT_TRUE(back.ok()) << back.status().message();
  EXPECT_TRUE(onnx_test::tensors_identical(t, *back));
  EXPECT_EQ(*io::tensor_pb_name(path), "input_0");

  const std::string cut = dir.file("cut.pb");
  ASSERT_TRUE(write_file_atomic(cut, std::string_view(*bytes).substr(0, bytes->size() - 5)).ok());
  auto c = io::read_tensor_pb(cut);
  ASSERT_FALSE(c.ok());
  EXPECT_TRUE(contains(c.status().message(), cut)) << c.status().message();

  auto m = io::read_tensor_pb(dir.file("missing.pb"));
  ASSERT_FALSE(m.ok());
  EXPECT_EQ(m.status().code(), StatusCode::kNotFound);
}

TEST(OnnxTensor, ConformanceDataIfInstalled) {
  auto root = app::default_onnx_testdata_dir();
  if (!root.ok()) GTEST_SKIP() << root.status().message();
  // test_relu: x is [3,4,5] float; the output is max(x, 0).
  const std::string dir = *root + "/node/test_relu/test_data_set_0/";
  auto x = io::read_tensor_pb(dir + "input_0.pb");
  auto y = io::read_tensor_pb(dir + "output_0.pb");
  ASSERT_TRUE(x.ok()) << x.status().message();
  ASSERT_TRUE(y.ok()) << y.status().message();
  EXPECT_EQ(x->shape(), (Shape{3, 4, 5}));
  for (int64_t i = 0; i < x->numel(); ++i) {
    EXPECT_EQ(y->data<float>()[i], std::max(x->data<float>()[i], 0.0f));
  }
  // The reshape shape operand is INT64.
  auto s = io::read_tensor_pb(*root +
                              "/node/test_reshape_negative_dim/test_data_set_0/"
                              "input_1.pb");
  ASSERT_TRUE(s.ok()) << s.status().message();
  EXPECT_EQ(s->dtype(), DType::kI64);
}

}  // namespace
}  // namespace sieve
