#include "sieve/ir/graph.h"

#include <set>

namespace sieve::ir {

namespace {
template <typename T>
const T* get_attr(const Node& n, const std::string& key) {
  auto it = n.attrs.find(key);
  if (it == n.attrs.end()) return nullptr;
  return std::get_if<T>(&it->second);
}
}  // namespace

int64_t Node::attr_int(const std::string& key, int64_t def) const {
  if (const auto* v = get_attr<int64_t>(*this, key)) return *v;
  return def;
}
double Node::attr_float(const std::string& key, double def) const {
  if (const auto* v = get_attr<double>(*this, key)) return *v;
  if (const auto* v = get_attr<int64_t>(*this, key)) return static_cast<double>(*v);
  return def;
}
std::string Node::attr_string(const std::string& key, const std::string& def) const {
  if (const auto* v = get_attr<std::string>(*this, key)) return *v;
  return def;
}
std::vector<int64_t> Node::attr_ints(const std::string& key,
                                     const std::vector<int64_t>& def) const {
  if (const auto* v = get_attr<std::vector<int64_t>>(*this, key)) return *v;
  return def;
}
std::vector<double> Node::attr_floats(const std::string& key,
                                      const std::vector<double>& def) const {
  if (const auto* v = get_attr<std::vector<double>>(*this, key)) return *v;
  return def;
}
std::vector<std::string> Node::attr_strings(const std::string& key,
                                            const std::vector<std::string>& def) const {
  if (const auto* v = get_attr<std::vector<std::string>>(*this, key)) return *v;
  return def;
}
const std::string& Node::input(size_t i) const {
  static const std::string kEmpty;
  return i < inputs.size() ? inputs[i] : kEmpty;
}

std::vector<std::string> Graph::input_names() const {
  std::vector<std::string> names;
  for (const Node& n : nodes) {
    if (n.op == OpKind::kInput) names.insert(names.end(), n.outputs.begin(), n.outputs.end());
  }
  return names;
}

const Node* Graph::producer(const std::string& value) const {
  for (const Node& n : nodes) {
    for (const std::string& o : n.outputs) {
      if (o == value) return &n;
    }
  }
  return nullptr;
}

Node* Graph::find_node(const std::string& node_name) {
  for (Node& n : nodes) {
    if (n.name == node_name) return &n;
  }
  return nullptr;
}
const Node* Graph::find_node(const std::string& node_name) const {
  for (const Node& n : nodes) {
    if (n.name == node_name) return &n;
  }
  return nullptr;
}

const Tensor* Graph::initializer(const std::string& value) const {
  auto it = initializers.find(value);
  return it == initializers.end() ? nullptr : &it->second;
}

const Tensor* Graph::weight(const Node& n) const {
  const int w = op_traits(n.op).weight;
  if (w == kNoOperand || !n.has_input(static_cast<size_t>(w))) return nullptr;
  return initializer(n.input(static_cast<size_t>(w)));
}

WeightMatrix weight_matrix(const Node& n, const Shape& w) {
  const size_t r = w.size();
  auto in_out = [&]() -> WeightMatrix {
    if (r == 1) return {1, w[0], true};
    return {w[r - 1], w[r - 2], true};
  };
  switch (op_traits(n.op).view) {
    case WeightView::kNone: return {};
    case WeightView::kOutIn: {
      if (r == 0) return {};
      int64_t cols = 1;
      for (size_t i = 1; i < r; ++i) cols *= w[i];
      return {w[0], cols, false};
    }
    case WeightView::kGemm:
      if (r != 2) return {};
      if (n.attr_int("trans_b", 1) != 0) return {w[0], w[1], false};
      return in_out();
    case WeightView::kInOut:
      if (r == 0) return {};
      return in_out();
    case WeightView::kGates:
      if (r != 3) return {};
      return {w[0] * w[1], w[2], false};
  }
  return {};
}

Graph Graph::clone() const {
  Graph g = *this;
  for (auto& [k, t] : g.initializers) t = t.clone();
  return g;
}

int64_t Graph::num_parameters() const {
  std::set<std::string> counted;
  int64_t total = 0;
  auto count = [&](const std::string& v) {
    if (v.empty() || counted.count(v)) return;
    const Tensor* t = initializer(v);
    if (t == nullptr || t->dtype() == DType::kI64) return;
    counted.insert(v);
    total += t->numel();
  };
  for (const Node& n : nodes) {
    for (size_t i : op_traits(n.op).params.list()) count(n.input(i));
  }
  return total;
}

}  // namespace sieve::ir
