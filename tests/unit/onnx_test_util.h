// Helpers for the ONNX tests: a ModelProto builder, a graph comparison that names the first
// difference, and a scratch directory removed at the end of the test.
#pragma once

#include <gtest/gtest.h>
#include <onnx/onnx_pb.h>
#include <unistd.h>

#include <cstring>
#include <filesystem>
#include <string>
#include <vector>

#include "sieve/core/tensor.h"
#include "sieve/ir/graph.h"

namespace sieve::onnx_test {

// Builds a ModelProto node by node.
class ModelBuilder {
 public:
  explicit ModelBuilder(int64_t opset, int64_t ir_version = 7) {
    m_.set_ir_version(ir_version);
    auto* os = m_.add_opset_import();
    os->set_domain("");
    os->set_version(opset);
    m_.mutable_graph()->set_name("test");
  }
  onnx::NodeProto* node(const std::string& op, std::vector<std::string> inputs,
                        std::vector<std::string> outputs, const std::string& name = "") {
    auto* n = m_.mutable_graph()->add_node();
    n->set_op_type(op);
    n->set_name(name);
    for (auto& i : inputs) n->add_input(i);
    for (auto& o : outputs) n->add_output(o);
    return n;
  }
  static void attr_i(onnx::NodeProto* n, const std::string& k, int64_t v) {
    auto* a = n->add_attribute();
    a->set_name(k);
    a->set_type(onnx::AttributeProto::INT);
    a->set_i(v);
  }
  static void attr_f(onnx::NodeProto* n, const std::string& k, float v) {
    auto* a = n->add_attribute();
    a->set_name(k);
    a->set_type(onnx::AttributeProto::FLOAT);
    a->set_f(v);
  }
  static void attr_s(onnx::NodeProto* n, const std::string& k, const std::string& v) {
    auto* a = n->add_attribute();
    a->set_name(k);
    a->set_type(onnx::AttributeProto::STRING);
    a->set_s(v);
  }
  static void attr_ints(onnx::NodeProto* n, const std::string& k, std::vector<int64_t> v) {
    auto* a = n->add_attribute();
    a->set_name(k);
    a->set_type(onnx::AttributeProto::INTS);
    for (int64_t x : v) a->add_ints(x);
  }
  // A graph input; dims < 0 are unknown.
  void input(const std::string& name, std::vector<int64_t> dims,
             int elem_type = onnx::TensorProto::FLOAT) {
    auto* vi = m_.mutable_graph()->add_input();
    vi->set_name(name);
    auto* tt = vi->mutable_type()->mutable_tensor_type();
    tt->set_elem_type(elem_type);
    auto* s = tt->mutable_shape();
    for (int64_t d : dims) {
      auto* dim = s->add_dim();
      if (d >= 0)
        dim->set_dim_value(d);
      else
        dim->set_dim_param("N");
    }
  }
  void output(const std::string& name) {
    auto* vi = m_.mutable_graph()->add_output();
    vi->set_name(name);
    vi->mutable_type()->mutable_tensor_type()->set_elem_type(onnx::TensorProto::FLOAT);
  }
  void init_f32(const std::string& name, std::vector<int64_t> dims, std::vector<float> v) {
    auto* t = m_.mutable_graph()->add_initializer();
    t->set_name(name);
    t->set_data_type(onnx::TensorProto::FLOAT);
    for (int64_t d : dims) t->add_dims(d);
    for (float x : v) t->add_float_data(x);
  }
  void init_i64(const std::string& name, std::vector<int64_t> dims, std::vector<int64_t> v) {
    auto* t = m_.mutable_graph()->add_initializer();
    t->set_name(name);
    t->set_data_type(onnx::TensorProto::INT64);
    for (int64_t d : dims) t->add_dims(d);
    for (int64_t x : v) t->add_int64_data(x);
  }
  onnx::ModelProto& model() { return m_; }
  std::string bytes() const {
    std::string s;
    m_.SerializeToString(&s);
    return s;
  }

 private:
  onnx::ModelProto m_;
};

// A fresh directory under the system temp folder, removed with its contents at scope exit.
class ScratchDir {
 public:
  ScratchDir() {
    auto base = std::filesystem::temp_directory_path();
    const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
    std::string leaf =
        std::string("sieve_onnx_") + (info ? info->name() : "t") + "_" + std::to_string(::getpid());
    path_ = base / leaf;
    std::filesystem::remove_all(path_);
    std::filesystem::create_directories(path_);
  }
  ~ScratchDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  std::string file(const std::string& name) const { return (path_ / name).string(); }
  const std::filesystem::path& path() const { return path_; }

 private:
  std::filesystem::path path_;
};

inline bool attrs_equal(const ir::Attr& a, const ir::Attr& b) {
  // ONNX stores float attributes as float32: compare doubles at that precision.
  if (const double* x = std::get_if<double>(&a)) {
    const double* y = std::get_if<double>(&b);
    return y != nullptr && static_cast<float>(*x) == static_cast<float>(*y);
  }
  if (const auto* x = std::get_if<std::vector<double>>(&a)) {
    const auto* y = std::get_if<std::vector<double>>(&b);
    if (y == nullptr || x->size() != y->size()) return false;
    for (size_t i = 0; i < x->size(); ++i) {
      if (static_cast<float>((*x)[i]) != static_cast<float>((*y)[i])) return false;
    }
    return true;
  }
  return a == b;
}

inline bool tensors_identical(const Tensor& a, const Tensor& b) {
  return a.dtype() == b.dtype() && a.shape() == b.shape() &&
         (a.nbytes() == 0 || std::memcmp(a.raw(), b.raw(), a.nbytes()) == 0);
}

// Same nodes (op, name, operands, attributes), outputs and initializers (bit-exact).
inline void expect_graphs_equal(const ir::Graph& a, const ir::Graph& b) {
  ASSERT_EQ(a.nodes.size(), b.nodes.size());
  for (size_t i = 0; i < a.nodes.size(); ++i) {
    const ir::Node& x = a.nodes[i];
    const ir::Node& y = b.nodes[i];
    SCOPED_TRACE("node " + x.name);
    EXPECT_EQ(x.op, y.op);
    EXPECT_EQ(x.name, y.name);
    EXPECT_EQ(x.inputs, y.inputs);
    EXPECT_EQ(x.outputs, y.outputs);
    EXPECT_EQ(x.attrs.size(), y.attrs.size());
    for (const auto& [k, v] : x.attrs) {
      auto it = y.attrs.find(k);
      if (it == y.attrs.end()) {
        ADD_FAILURE() << "attribute " << k << " missing after round trip";
        continue;
      }
      EXPECT_TRUE(attrs_equal(v, it->second)) << "attribute " << k << " differs";
    }
  }
  EXPECT_EQ(a.outputs, b.outputs);
  ASSERT_EQ(a.initializers.size(), b.initializers.size());
  for (const auto& [k, t] : a.initializers) {
    auto it = b.initializers.find(k);
    if (it == b.initializers.end()) {
      ADD_FAILURE() << "initializer " << k << " missing after round trip";
      continue;
    }
    EXPECT_TRUE(tensors_identical(t, it->second)) << "initializer " << k << " differs";
  }
}

// Deterministic pseudo-random floats in [-1, 1).
inline std::vector<float> pseudo_random(size_t n, uint32_t seed) {
  std::vector<float> v(n);
  uint32_t s = seed * 2654435761u + 1;
  for (auto& x : v) {
    s = s * 1664525u + 1013904223u;
    x = static_cast<float>(s >> 8) / static_cast<float>(1u << 23) - 1.0f;
  }
  return v;
}

inline Tensor random_tensor(Shape shape, uint32_t seed) {
  auto v = pseudo_random(static_cast<size_t>(shape_numel(shape)), seed);
  return Tensor::from_f32(std::move(shape), v);
}

}  // namespace sieve::onnx_test
