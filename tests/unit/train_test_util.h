// Helpers for the training tests: a tiny graph builder and a finite-difference gradient check.
#pragma once

#include <gtest/gtest.h>

#include <cmath>
#include <random>
#include <string>
#include <vector>

#include "sieve/ir/graph.h"
#include "sieve/train/network.h"

namespace sieve::train::testing {

// Builds a graph node by node: each op's output value is named after the node.
class GraphBuilder {
 public:
  explicit GraphBuilder(uint64_t seed = 7) : rng_(seed) { g_.name = "test"; }

  std::string input(Shape full_shape, const std::string& name = "input") {
    ir::Node n;
    n.op = ir::OpKind::kInput;
    n.name = name;
    n.outputs = {name};
    n.attrs["shape"] = std::vector<int64_t>(full_shape.begin(), full_shape.end());
    n.attrs["dtype"] = static_cast<int64_t>(DType::kF32);
    g_.nodes.push_back(n);
    return name;
  }
  // Uniform(-scale, scale) f32 initializer.
  std::string param(const std::string& name, Shape shape, float scale = 0.5f) {
    Tensor t(DType::kF32, shape);
    std::uniform_real_distribution<float> u(-scale, scale);
    for (float& v : t.span<float>()) v = u(rng_);
    g_.initializers[name] = t;
    return name;
  }
  std::string i64(const std::string& name, std::vector<int64_t> values) {
    g_.initializers[name] = Tensor::from_i64({static_cast<int64_t>(values.size())}, values);
    return name;
  }
  std::string op(ir::OpKind kind, const std::string& name, std::vector<std::string> inputs,
                 std::map<std::string, ir::Attr> attrs = {}) {
    ir::Node n;
    n.op = kind;
    n.name = name;
    n.inputs = std::move(inputs);
    n.outputs = {name};
    n.attrs = std::move(attrs);
    g_.nodes.push_back(n);
    return name;
  }
  ir::Graph& graph() { return g_; }
  ir::Graph finish(const std::string& output) {
    g_.outputs = {output};
    return g_;
  }

 private:
  ir::Graph g_;
  std::mt19937 rng_;
};

using Ints = std::vector<int64_t>;

struct GradCheckOptions {
  int64_t batch = 2;
  float eps = 1e-2f;
  double atol = 2e-3;
  double rtol = 2e-2;
  int samples = 40;  // coordinates checked per tensor (all when fewer)
  float input_scale = 1.0f;
  float input_min_abs = 0.0f;    // keep |x| above this (away from ReLU's kink)
  bool distinct_inputs = false;  // inputs spaced 0.05 apart (away from max-pool ties)
  int allowed_mismatches = 0;    // coordinates allowed to differ (kinks crossed by eps)
};

// Checks d(sum(out * r))/d(input) and d/d(every parameter) against central differences.
inline void check_gradients(const ir::Graph& g, const GradCheckOptions& o = {}) {
  NetworkOptions no;
  no.input_gradient = true;
  auto net_or = Network::create(g, no);
  ASSERT_TRUE(net_or.ok()) << net_or.status().to_string();
  Network& net = **net_or;
  std::mt19937 rng(123);
  const int64_t n_in = o.batch * net.input_numel();
  const int64_t n_out = o.batch * net.output_numel();
  std::vector<float> x(static_cast<size_t>(n_in));
  std::uniform_real_distribution<float> u(-o.input_scale, o.input_scale);
  if (o.distinct_inputs) {
    for (int64_t i = 0; i < n_in; ++i)
      x[static_cast<size_t>(i)] = 0.05f * static_cast<float>(i - n_in / 2);
    std::shuffle(x.begin(), x.end(), rng);
  } else {
    for (float& v : x) {
      v = u(rng);
      if (std::fabs(v) < o.input_min_abs) v = v < 0 ? -o.input_min_abs : o.input_min_abs;
    }
  }
  std::vector<float> r(static_cast<size_t>(n_out));
  for (float& v : r) v = u(rng);

  auto loss = [&]() {
    net.reseed(99);  // same dropout masks on every pass
    const float* y = net.forward(x.data(), o.batch, /*training=*/true);
    double s = 0.0;
    for (int64_t i = 0; i < n_out; ++i) s += static_cast<double>(y[i]) * r[static_cast<size_t>(i)];
    return s;
  };
  loss();
  net.backward(r.data());
  std::vector<float> dx(net.input_gradient(), net.input_gradient() + n_in);
  std::vector<std::vector<float>> dparams;
  for (const Parameter& p : net.parameters()) dparams.push_back(p.grad);

  int mismatches = 0;
  auto check = [&](float* v, int64_t count, const std::vector<float>& analytic,
                   const std::string& what) {
    const int64_t step = std::max<int64_t>(1, count / o.samples);
    for (int64_t i = 0; i < count; i += step) {
      const float saved = v[i];
      v[i] = saved + o.eps;
      const double lp = loss();
      v[i] = saved - o.eps;
      const double lm = loss();
      v[i] = saved;
      const double numeric = (lp - lm) / (2.0 * static_cast<double>(o.eps));
      const double a = analytic[static_cast<size_t>(i)];
      const double tol = o.atol + o.rtol * std::max(std::fabs(numeric), std::fabs(a));
      if (std::fabs(numeric - a) > tol) {
        ++mismatches;
        if (mismatches > o.allowed_mismatches) {
          ADD_FAILURE() << what << "[" << i << "]: analytic " << a << " numeric " << numeric;
        }
      }
    }
  };
  check(x.data(), n_in, dx, "input");
  for (size_t k = 0; k < net.parameters().size(); ++k) {
    Parameter& p = net.parameters()[k];
    check(p.value.data<float>(), p.value.numel(), dparams[k], p.name);
  }
}

}  // namespace sieve::train::testing
