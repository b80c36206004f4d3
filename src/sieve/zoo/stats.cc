// Per-node parameter and multiply-accumulate counts (zoo.h: layer_stats, total_macs).
#include <set>

#include "sieve/core/checked.h"
#include "sieve/ir/shape_inference.h"
#include "sieve/zoo/zoo.h"

namespace sieve::zoo {

namespace {

// The shape of `value` from inferred values or, for weights, the initializer; nullptr if
// unknown or if a dimension is unknown (-1, e.g. an ONNX input's symbolic batch).
const Shape* shape_of(const ir::Graph& g, const std::string& value) {
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

// Operand indices that hold parameters (the rule of ir::Graph::num_parameters).
std::vector<size_t> param_operands(ir::OpKind op) {
  switch (op) {
    case ir::OpKind::kFullyConnected:
    case ir::OpKind::kConv:
    case ir::OpKind::kBatchNorm: return {1, 2};
    case ir::OpKind::kMatMul:
    case ir::OpKind::kAdd: return {0, 1};
    case ir::OpKind::kLSTM: return {1, 2, 3, 7, 8};
    case ir::OpKind::kGRU: return {1, 2, 3};
    case ir::OpKind::kInput:
    case ir::OpKind::kMaxPool:
    case ir::OpKind::kAveragePool:
    case ir::OpKind::kGlobalAveragePool:
    case ir::OpKind::kGlobalMaxPool:
    case ir::OpKind::kRelu:
    case ir::OpKind::kSigmoid:
    case ir::OpKind::kTanh:
    case ir::OpKind::kSoftmax:
    case ir::OpKind::kLogSoftmax:
    case ir::OpKind::kLRN:
    case ir::OpKind::kSub:
    case ir::OpKind::kMul:
    case ir::OpKind::kDiv:
    case ir::OpKind::kConcat:
    case ir::OpKind::kFlatten:
    case ir::OpKind::kReshape:
    case ir::OpKind::kTranspose:
    case ir::OpKind::kSqueeze:
    case ir::OpKind::kUnsqueeze:
    case ir::OpKind::kPad:
    case ir::OpKind::kDropout:
    case ir::OpKind::kIdentity: return {};
  }
  return {};
}

// MACs of the recurrent ops: per time step and sequence, dirs · (gates·H·(I + R_in)), plus
// LSTM peepholes (3H) and projection (P·H).
int64_t rnn_macs(const ir::Graph& g, const ir::Node& n, int64_t gates) {
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

int64_t node_macs(const ir::Graph& g, const ir::Node& n) {
  switch (n.op) {
    case ir::OpKind::kConv: {
      const Shape* y = n.outputs.empty() ? nullptr : shape_of(g, n.outputs[0]);
      const Shape* w = shape_of(g, n.input(1));
      if (y == nullptr || w == nullptr || w->size() < 2) return -1;
      // Each output element reads C/group · prod(kernel) inputs.
      return mul(numel(*y), product(*w, 1));
    }
    case ir::OpKind::kFullyConnected: {
      const Shape* y = n.outputs.empty() ? nullptr : shape_of(g, n.outputs[0]);
      const Shape* w = shape_of(g, n.input(1));
      if (y == nullptr || w == nullptr || w->size() != 2) return -1;
      const int64_t k = n.attr_int("trans_b", 1) != 0 ? (*w)[1] : (*w)[0];
      return mul(numel(*y), k);
    }
    case ir::OpKind::kMatMul: {
      const Shape* y = n.outputs.empty() ? nullptr : shape_of(g, n.outputs[0]);
      const Shape* a = shape_of(g, n.input(0));
      if (y == nullptr || a == nullptr || a->empty()) return -1;
      return mul(numel(*y), a->back());
    }
    case ir::OpKind::kLSTM: return rnn_macs(g, n, 4);
    case ir::OpKind::kGRU: return rnn_macs(g, n, 3);
    // Element-wise, pooling, normalisation and shape ops: no matrix work.
    case ir::OpKind::kInput:
    case ir::OpKind::kMaxPool:
    case ir::OpKind::kAveragePool:
    case ir::OpKind::kGlobalAveragePool:
    case ir::OpKind::kGlobalMaxPool:
    case ir::OpKind::kRelu:
    case ir::OpKind::kSigmoid:
    case ir::OpKind::kTanh:
    case ir::OpKind::kSoftmax:
    case ir::OpKind::kLogSoftmax:
    case ir::OpKind::kBatchNorm:
    case ir::OpKind::kLRN:
    case ir::OpKind::kAdd:
    case ir::OpKind::kSub:
    case ir::OpKind::kMul:
    case ir::OpKind::kDiv:
    case ir::OpKind::kConcat:
    case ir::OpKind::kFlatten:
    case ir::OpKind::kReshape:
    case ir::OpKind::kTranspose:
    case ir::OpKind::kSqueeze:
    case ir::OpKind::kUnsqueeze:
    case ir::OpKind::kPad:
    case ir::OpKind::kDropout:
    case ir::OpKind::kIdentity: return 0;
  }
  return 0;
}

bool has_all_shapes(const ir::Graph& g) {
  for (const ir::Node& n : g.nodes) {
    for (const std::string& o : n.outputs) {
      if (!o.empty() && g.values.count(o) == 0) return false;
    }
  }
  return true;
}

}  // namespace

std::vector<LayerStats> layer_stats(const ir::Graph& g) {
  const ir::Graph* sg = &g;
  ir::Graph shaped;
  if (!has_all_shapes(g)) {
    shaped = g;  // tensors share storage: cheap
    // On failure the values inferred so far are kept; nodes past it report macs = -1.
    (void)ir::infer_shapes(shaped);
    sg = &shaped;
  }
  std::vector<LayerStats> out;
  out.reserve(g.nodes.size());
  std::set<std::string> counted;
  for (const ir::Node& n : sg->nodes) {
    int64_t params = 0;
    for (size_t i : param_operands(n.op)) {
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

int64_t total_macs(const ir::Graph& g) {
  int64_t total = 0;
  for (const LayerStats& s : layer_stats(g)) {
    if (s.macs > 0) total = checked_add(total, s.macs).value_or(INT64_MAX);
  }
  return total;
}

}  // namespace sieve::zoo
