#include "sieve/ir/cost.h"

#include <set>

#include "sieve/core/checked.h"
#include "sieve/ir/shape_inference.h"

namespace sieve::ir {

namespace {

// The shape of `value` from inferred values or, for weights, the initializer; nullptr if
// unknown or if a dimension is unknown (-1, e.g. an ONNX input's symbolic batch).
const Shape* shape_of(const Graph& g, const std::string& value) {
  if (value.empty()) return nullptr;
  const Shape* s = nullptr;
  if (auto it = g.values.find(value); it != g.values.end()) {
    s = &it->second.shape;
  } else if (const Tensor* t = g.initializer(value)) {
    s = &t->shape();
  }
  if (s == nullptr) return nullptr;
  for (int64_t d : *s) {
    if (d < 0) return nullptr;
  }
  return s;
}

// Products of shapes from input (a --batch, a model file) are checked: an overflow (or an
// unknown operand, -1) counts as unknown (-1) instead of a wrapped number.
int64_t mul(int64_t a, int64_t b) {
  if (a < 0 || b < 0) return -1;
  return checked_mul(a, b).value_or(-1);
}

int64_t product(const Shape& s, size_t from) {
  int64_t p = 1;
  for (size_t i = from; i < s.size(); ++i) p = mul(p, s[i]);
  return p;
}

int64_t numel(const Shape& s) { return product(s, 0); }

// MACs of the recurrent ops: per time step and sequence, dirs · (gates·H·(I + R_in)), plus
// LSTM peepholes (3H) and projection (P·H).
int64_t rnn_macs(const Graph& g, const Node& n, int64_t gates) {
  const Shape* x = shape_of(g, n.input(0));
  const Shape* w = shape_of(g, n.input(1));
  const Shape* r = shape_of(g, n.input(2));
  if (x == nullptr || w == nullptr || r == nullptr || x->size() != 3 || w->size() != 3 ||
      r->size() != 3) {
    return -1;
  }
  const bool batch_first = n.attr_int("layout", 0) != 0;
  const int64_t seq = batch_first ? (*x)[1] : (*x)[0];
  const int64_t batch = batch_first ? (*x)[0] : (*x)[1];
  const int64_t dirs = (*w)[0];
  const int64_t rows = (*w)[1];  // gates · H
  const int64_t h = rows / gates;
  int64_t per_step = mul(rows, checked_add((*w)[2], (*r)[2]).value_or(-1));  // dims are >= 0
  // add(): -1 (unknown) stays unknown.
  auto add = [](int64_t a, int64_t b) -> int64_t {
    return a < 0 || b < 0 ? -1 : checked_add(a, b).value_or(-1);
  };
  if (gates == 4 && n.has_input(7)) per_step = add(per_step, mul(3, h));
  if (gates == 4 && n.has_input(8)) {
    const Shape* p = shape_of(g, n.input(8));
    if (p == nullptr || p->size() != 3) return -1;
    per_step = add(per_step, mul((*p)[1], (*p)[2]));
  }
  if (per_step < 0) return -1;
  return mul(mul(mul(seq, batch), dirs), per_step);
}

// The MAC formula of the node's op (ops.def's macs column).
int64_t node_macs(const Graph& g, const Node& n) {
  const OpTraits& t = op_traits(n.op);
  // Conv and Gemm ops have a weight operand (a test over ops.def checks it).
  auto weight_shape = [&] { return shape_of(g, n.input(static_cast<size_t>(t.weight))); };
  switch (t.macs) {
    case MacRule::kConv: {
      const Shape* y = n.outputs.empty() ? nullptr : shape_of(g, n.outputs[0]);
      const Shape* w = weight_shape();
      if (y == nullptr || w == nullptr || w->size() < 2) return -1;
      // Each output element reads C/group · prod(kernel) inputs.
      return mul(numel(*y), product(*w, 1));
    }
    case MacRule::kGemm: {
      const Shape* y = n.outputs.empty() ? nullptr : shape_of(g, n.outputs[0]);
      const Shape* w = weight_shape();
      if (y == nullptr || w == nullptr || w->size() != 2) return -1;
      const int64_t k = weight_matrix(n, *w).cols;
      return mul(numel(*y), k);
    }
    case MacRule::kMatMul: {
      const Shape* y = n.outputs.empty() ? nullptr : shape_of(g, n.outputs[0]);
      const Shape* a = shape_of(g, n.input(0));
      if (y == nullptr || a == nullptr || a->empty()) return -1;
      return mul(numel(*y), a->back());
    }
    case MacRule::kLstm: return rnn_macs(g, n, 4);
    case MacRule::kGru: return rnn_macs(g, n, 3);
    // Element-wise, pooling, normalisation and shape ops: no matrix work.
    case MacRule::kNone: return 0;
  }
  return 0;
}

bool has_all_shapes(const Graph& g) {
  for (const Node& n : g.nodes) {
    for (const std::string& o : n.outputs) {
      if (!o.empty() && g.values.count(o) == 0) return false;
    }
  }
  return true;
}

}  // namespace

std::vector<LayerStats> layer_stats(const Graph& g) {
  const Graph* sg = &g;
  Graph shaped;
  if (!has_all_shapes(g)) {
    shaped = g;  // tensors share storage: cheap
    // On failure the values inferred so far are kept; nodes past it report macs = -1.
    (void)ir::infer_shapes(shaped);
    sg = &shaped;
  }
  std::vector<LayerStats> out;
  out.reserve(g.nodes.size());
  std::set<std::string> counted;
  for (const Node& n : sg->nodes) {
    int64_t params = 0;
    for (size_t i : op_traits(n.op).params.list()) {
      const std::string& v = n.input(i);
      if (v.empty() || counted.count(v) != 0) continue;
      const Tensor* t = sg->initializer(v);
      if (t == nullptr || t->dtype() == DType::kI64) continue;
      counted.insert(v);
      params += t->numel();
    }
    out.push_back({n.name, n.op, params, node_macs(*sg, n)});
  }
  return out;
}

int64_t total_macs(const Graph& g) {
  int64_t total = 0;
  for (const LayerStats& s : layer_stats(g)) {
    if (s.macs > 0) total = checked_add(total, s.macs).value_or(INT64_MAX);
  }
  return total;
}

}  // namespace sieve::ir
