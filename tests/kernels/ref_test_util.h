// Helpers for the reference-engine tests: build small graphs and nodes tersely, run one node
// through the reference kernels, and compare tensors element by element.
#pragma once

#include <gtest/gtest.h>

#include <cmath>
#include <initializer_list>
#include <string>
#include <utility>
#include <vector>

#include "sieve/core/tensor.h"
#include "sieve/ir/graph.h"
#include "sieve/runtime/executor.h"

namespace sieve::testing {

// A node with attributes given as {key, value} pairs.
inline ir::Node make_node(
    ir::OpKind op, std::string name, std::vector<std::string> inputs,
    std::vector<std::string> outputs,
    std::initializer_list<std::pair<const std::string, ir::Attr>> attrs = {}) {
  ir::Node n;
  n.op = op;
  n.name = std::move(name);
  n.inputs = std::move(inputs);
  n.outputs = std::move(outputs);
  n.attrs = attrs;
  return n;
}

// Graph builder: inputs, initializers, nodes, outputs.
class GraphBuilder {
 public:
  GraphBuilder& input(const std::string& name, Shape shape, DType dtype = DType::kF32) {
    ir::Node n = make_node(ir::OpKind::kInput, name, {}, {name},
                           {{"shape", ir::Attr(std::vector<int64_t>(shape))},
                            {"dtype", ir::Attr(static_cast<int64_t>(dtype))}});
    g_.nodes.push_back(std::move(n));
    return *this;
  }
  GraphBuilder& init(const std::string& name, Tensor t) {
    g_.initializers[name] = std::move(t);
    return *this;
  }
  GraphBuilder& node(ir::Node n) {
    g_.nodes.push_back(std::move(n));
    return *this;
  }
  GraphBuilder& output(const std::string& name) {
    g_.outputs.push_back(name);
    return *this;
  }
  ir::Graph& graph() { return g_; }

 private:
  ir::Graph g_;
};

inline Tensor i64_tensor(std::vector<int64_t> values) {
  return Tensor::from_i64({static_cast<int64_t>(values.size())}, values);
}

inline Tensor f32_tensor(Shape shape, std::vector<float> values) {
  return Tensor::from_f32(std::move(shape), values);
}

// A tensor of `shape` filled with a deterministic pseudo-random sequence in [-1, 1).
inline Tensor pattern_tensor(Shape shape, uint32_t seed = 1) {
  Tensor t(DType::kF32, std::move(shape));
  uint32_t s = seed * 2654435761u + 12345u;
  for (float& v : t.span<float>()) {
    s = s * 1664525u + 1013904223u;
    v = static_cast<float>(s >> 8) / static_cast<float>(1u << 23) - 1.0f;
  }
  return t;
}

// Runs one node through the reference engine; fails the test on error.
inline std::vector<Tensor> run_node(const ir::Node& n, std::vector<const Tensor*> inputs) {
  auto r = runtime::run_ref_node(n, inputs);
  EXPECT_TRUE(r.ok()) << r.status().to_string();
  if (!r.ok()) return {};
  return std::move(r).value();
}

// Element-wise comparison with |a - b| <= atol + rtol * |b|.
inline ::testing::AssertionResult tensors_near(const Tensor& actual, const Tensor& expected,
                                               double rtol = 1e-5, double atol = 1e-6) {
  if (actual.shape() != expected.shape()) {
    return ::testing::AssertionFailure()
           << "shape " << shape_str(actual.shape()) << " vs " << shape_str(expected.shape());
  }
  if (actual.dtype() != expected.dtype()) {
    return ::testing::AssertionFailure()
           << "dtype " << dtype_name(actual.dtype()) << " vs " << dtype_name(expected.dtype());
  }
  Tensor a = actual.to_f32();
  Tensor b = expected.to_f32();
  for (int64_t i = 0; i < a.numel(); ++i) {
    const double x = a.data<float>()[i];
    const double y = b.data<float>()[i];
    if (std::isnan(x) && std::isnan(y)) continue;
    if (x == y) continue;  // infinities
    if (!(std::fabs(x - y) <= atol + rtol * std::fabs(y))) {
      return ::testing::AssertionFailure() << "element " << i << ": " << x << " vs " << y;
    }
  }
  return ::testing::AssertionSuccess();
}

inline std::vector<float> values_of(const Tensor& t) {
  auto s = t.span<float>();
  return {s.begin(), s.end()};
}

}  // namespace sieve::testing
