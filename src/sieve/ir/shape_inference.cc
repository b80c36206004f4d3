#include "sieve/ir/shape_inference.h"

#include <fmt/format.h>

#include <algorithm>
#include <map>
#include <set>
#include <string>
#include <string_view>
#include <utility>

#include "sieve/core/checked.h"

namespace sieve::ir {

namespace {

// -1 marks an unknown dimension (see the header).
constexpr int64_t kUnknown = -1;
bool known(int64_t d) {
  return d >= 0;
}

std::string label(const Node& n) {
  return fmt::format("node \"{}\" ({})", n.name, op_name(n.op));
}

template <typename... Args>
Status node_error(const Node& n, fmt::format_string<Args...> f, Args&&... args) {
  return invalid_argument("{}: {}", label(n), fmt::format(f, std::forward<Args>(args)...));
}

// Product of dims, or kUnknown when any is unknown.
int64_t product(const Shape& s, size_t begin, size_t end) {
  int64_t p = 1;
  for (size_t i = begin; i < end; ++i) {
    if (!known(s[i])) return kUnknown;
    p *= s[i];
  }
  return p;
}
int64_t product(const Shape& s) {
  return product(s, 0, s.size());
}

// ---------------------------------------------------------------------------------------------
// Typed attribute access: a present attribute of the wrong kind is an error, not a default.

const char* attr_kind(const Attr& a) {
  static constexpr const char* kNames[] = {"an int", "a float", "a string",
                                           "ints",   "floats",  "strings"};
  return kNames[a.index()];
}

Result<int64_t> get_int(const Node& n, const std::string& key, int64_t def) {
  auto it = n.attrs.find(key);
  if (it == n.attrs.end()) return def;
  if (const auto* v = std::get_if<int64_t>(&it->second)) return *v;
  return node_error(n, "attribute {} is {}, expected an int", key, attr_kind(it->second));
}

Result<double> get_float(const Node& n, const std::string& key, double def) {
  auto it = n.attrs.find(key);
  if (it == n.attrs.end()) return def;
  if (const auto* v = std::get_if<double>(&it->second)) return *v;
  if (const auto* v = std::get_if<int64_t>(&it->second)) return static_cast<double>(*v);
  return node_error(n, "attribute {} is {}, expected a float", key, attr_kind(it->second));
}

Result<std::string> get_string(const Node& n, const std::string& key, const std::string& def) {
  auto it = n.attrs.find(key);
  if (it == n.attrs.end()) return def;
  if (const auto* v = std::get_if<std::string>(&it->second)) return *v;
  return node_error(n, "attribute {} is {}, expected a string", key, attr_kind(it->second));
}

Result<std::vector<int64_t>> get_ints(const Node& n, const std::string& key,
                                      const std::vector<int64_t>& def) {
  auto it = n.attrs.find(key);
  if (it == n.attrs.end()) return def;
  if (const auto* v = std::get_if<std::vector<int64_t>>(&it->second)) return *v;
  return node_error(n, "attribute {} is {}, expected ints", key, attr_kind(it->second));
}

Status check_bool_attr(const Node& n, const std::string& key) {
  SIEVE_ASSIGN_OR_RETURN(int64_t v, get_int(n, key, 0));
  if (v != 0 && v != 1) return node_error(n, "attribute {}={} is not 0 or 1", key, v);
  return ok_status();
}

// ---------------------------------------------------------------------------------------------
// Operands of one node as seen by the rules.

struct Operands {
  std::vector<ValueInfo> info;       // per node input
  std::vector<bool> present;         // false for an omitted optional operand
  std::vector<const Tensor*> value;  // the operand's value when known, else nullptr

  bool has(size_t i) const { return i < present.size() && present[i]; }
  const Shape& shape(size_t i) const { return info[i].shape; }
  DType dtype(size_t i) const { return info[i].dtype; }
  const Tensor* constant(size_t i) const { return has(i) ? value[i] : nullptr; }
};

using Outs = std::vector<ValueInfo>;

// Operand names for messages, ONNX's.
std::vector<const char*> operand_names(OpKind op) {
  switch (op) {
    case OpKind::kInput: return {};
    case OpKind::kFullyConnected: return {"X", "W", "B"};
    case OpKind::kMatMul: return {"A", "B"};
    case OpKind::kConv: return {"X", "W", "B"};
    case OpKind::kMaxPool:
    case OpKind::kAveragePool:
    case OpKind::kGlobalAveragePool:
    case OpKind::kGlobalMaxPool:
    case OpKind::kRelu:
    case OpKind::kSigmoid:
    case OpKind::kTanh:
    case OpKind::kSoftmax:
    case OpKind::kLogSoftmax:
    case OpKind::kLRN:
    case OpKind::kFlatten:
    case OpKind::kTranspose:
    case OpKind::kIdentity: return {"X"};
    case OpKind::kBatchNorm: return {"X", "scale", "B", "mean", "var"};
    case OpKind::kAdd:
    case OpKind::kSub:
    case OpKind::kMul:
    case OpKind::kDiv: return {"A", "B"};
    case OpKind::kConcat: return {};
    case OpKind::kReshape: return {"X", "shape"};
    case OpKind::kSqueeze:
    case OpKind::kUnsqueeze: return {"X", "axes"};
    case OpKind::kPad: return {"X", "pads", "constant_value", "axes"};
    case OpKind::kDropout: return {"X", "ratio", "training_mode"};
    case OpKind::kLSTM:
      return {"X", "W", "R", "B", "sequence_lens", "initial_h", "initial_c", "P", "W_proj"};
    case OpKind::kGRU: return {"X", "W", "R", "B", "sequence_lens", "initial_h"};
  }
  return {};
}

std::string operand_name(OpKind op, size_t i) {
  auto names = operand_names(op);
  if (i < names.size()) return names[i];
  return fmt::format("#{}", i);
}

struct Arity {
  size_t min_in, max_in, min_out, max_out;
};

Arity arity(OpKind op) {
  constexpr size_t kMany = 1u << 20;
  switch (op) {
    case OpKind::kInput: return {0, 0, 1, 1};
    case OpKind::kFullyConnected: return {2, 3, 1, 1};
    case OpKind::kMatMul: return {2, 2, 1, 1};
    case OpKind::kConv: return {2, 3, 1, 1};
    case OpKind::kMaxPool: return {1, 1, 1, 2};
    case OpKind::kAveragePool:
    case OpKind::kGlobalAveragePool:
    case OpKind::kGlobalMaxPool:
    case OpKind::kRelu:
    case OpKind::kSigmoid:
    case OpKind::kTanh:
    case OpKind::kSoftmax:
    case OpKind::kLogSoftmax:
    case OpKind::kLRN:
    case OpKind::kFlatten:
    case OpKind::kTranspose:
    case OpKind::kIdentity: return {1, 1, 1, 1};
    case OpKind::kBatchNorm: return {5, 5, 1, 1};
    case OpKind::kAdd:
    case OpKind::kSub:
    case OpKind::kMul:
    case OpKind::kDiv: return {2, 2, 1, 1};
    case OpKind::kConcat: return {1, kMany, 1, 1};
    case OpKind::kReshape: return {2, 2, 1, 1};
    case OpKind::kSqueeze:
    case OpKind::kUnsqueeze: return {1, 2, 1, 1};
    case OpKind::kPad: return {1, 4, 1, 1};
    case OpKind::kDropout: return {1, 3, 1, 2};
    case OpKind::kLSTM: return {3, 9, 1, 3};
    case OpKind::kGRU: return {3, 6, 1, 2};
  }
  return {0, 0, 0, 0};
}

Status check_arity(const Node& n, const Operands& o) {
  const Arity a = arity(n.op);
  if (n.op == OpKind::kBatchNorm && n.outputs.size() > 1) {
    return Status(StatusCode::kUnimplemented,
                  fmt::format("{}: {} outputs given; only inference mode (one output Y) is "
                              "supported, not the training-mode running statistics",
                              label(n), n.outputs.size()));
  }
  if (n.inputs.size() > a.max_in) {
    return node_error(n, "{} operands given, at most {} allowed", n.inputs.size(), a.max_in);
  }
  for (size_t i = 0; i < a.min_in; ++i) {
    if (!o.has(i)) {
      return node_error(n, "required operand {} (#{}) is missing", operand_name(n.op, i), i);
    }
  }
  // Concat's operands are all required.
  if (n.op == OpKind::kConcat) {
    for (size_t i = 0; i < n.inputs.size(); ++i) {
      if (!o.has(i)) return node_error(n, "operand #{} is empty", i);
    }
  }
  if (n.outputs.size() < a.min_out || n.outputs.size() > a.max_out) {
    if (a.min_out == a.max_out) {
      return node_error(n, "{} outputs given, expected {}", n.outputs.size(), a.min_out);
    }
    return node_error(n, "{} outputs given, expected {} to {}", n.outputs.size(), a.min_out,
                      a.max_out);
  }
  return ok_status();
}

Status require_dtype(const Node& n, const Operands& o, size_t i, std::initializer_list<DType> ok) {
  if (!o.has(i)) return ok_status();
  for (DType t : ok) {
    if (o.dtype(i) == t) return ok_status();
  }
  std::string names;
  for (DType t : ok) names += (names.empty() ? "" : " or ") + std::string(dtype_name(t));
  return node_error(n, "operand {} is {}, expected {}", operand_name(n.op, i),
                    dtype_name(o.dtype(i)), names);
}

Status require_f32(const Node& n, const Operands& o, std::initializer_list<size_t> idx) {
  for (size_t i : idx) SIEVE_RETURN_IF_ERROR(require_dtype(n, o, i, {DType::kF32}));
  return ok_status();
}

Status require_rank_at_least(const Node& n, const Operands& o, size_t i, size_t r,
                             const char* what) {
  if (o.shape(i).size() < r) {
    return node_error(n, "operand {} has shape {}; {} needs {}", operand_name(n.op, i),
                      shape_str(o.shape(i)), op_name(n.op), what);
  }
  return ok_status();
}

// Normalises an axis in [-rank, rank - 1] (or [-rank, rank] with `inclusive_end`).
Result<int64_t> normalize_axis(const Node& n, const char* field, int64_t axis, int64_t rank,
                               bool inclusive_end = false) {
  const int64_t hi = inclusive_end ? rank : rank - 1;
  if (axis < -rank || axis > hi) {
    return node_error(n, "{}={} is out of range [{}, {}] for rank {}", field, axis, -rank, hi,
                      rank);
  }
  return axis < 0 ? axis + rank : axis;
}

// Two dims under numpy broadcasting.
Result<int64_t> broadcast_dim(const Node& n, int64_t a, int64_t b, const Shape& sa,
                              const Shape& sb) {
  if (a == 1) return b;
  if (b == 1) return a;
  if (!known(a)) return b;  // b is known > 1 (must match) or unknown
  if (!known(b)) return a;
  if (a != b) {
    return node_error(n, "shapes {} and {} cannot be broadcast together", shape_str(sa),
                      shape_str(sb));
  }
  return a;
}

Result<Shape> broadcast_shapes(const Node& n, const Shape& a, const Shape& b) {
  const size_t r = std::max(a.size(), b.size());
  Shape out(r);
  for (size_t i = 0; i < r; ++i) {
    const int64_t da = i < r - a.size() ? 1 : a[i - (r - a.size())];
    const int64_t db = i < r - b.size() ? 1 : b[i - (r - b.size())];
    SIEVE_ASSIGN_OR_RETURN(out[i], broadcast_dim(n, da, db, a, b));
  }
  return out;
}

// Reads a 1-D (or scalar) i64 operand's values.
Result<std::vector<int64_t>> read_i64_operand(const Node& n, size_t i, const Tensor& t) {
  if (t.dtype() != DType::kI64) {
    return node_error(n, "operand {} is {}, expected i64", operand_name(n.op, i),
                      dtype_name(t.dtype()));
  }
  if (t.rank() > 1) {
    return node_error(n, "operand {} has shape {}, expected a 1-D tensor", operand_name(n.op, i),
                      shape_str(t.shape()));
  }
  auto s = t.span<int64_t>();
  return std::vector<int64_t>(s.begin(), s.end());
}

// ---------------------------------------------------------------------------------------------
// Rules per op.

Result<Outs> infer_input(const Node& n) {
  if (!n.has_attr("shape")) return node_error(n, "attribute shape is missing");
  SIEVE_ASSIGN_OR_RETURN(auto shape, get_ints(n, "shape", {}));
  for (size_t i = 0; i < shape.size(); ++i) {
    if (shape[i] < -1) {
      return node_error(n, "attribute shape[{}]={} is negative (use -1 for any size)", i, shape[i]);
    }
  }
  SIEVE_ASSIGN_OR_RETURN(int64_t dt, get_int(n, "dtype", static_cast<int64_t>(DType::kF32)));
  if (dt < 0 || dt > static_cast<int64_t>(DType::kI64)) {
    return node_error(n, "attribute dtype={} is not a DType (0..{})", dt,
                      static_cast<int64_t>(DType::kI64));
  }
  return Outs{{static_cast<DType>(dt), shape}};
}

Result<Outs> infer_fully_connected(const Node& n, const Operands& o) {
  SIEVE_RETURN_IF_ERROR(require_f32(n, o, {0, 1, 2}));
  SIEVE_ASSIGN_OR_RETURN(int64_t trans_a, get_int(n, "trans_a", 0));
  SIEVE_ASSIGN_OR_RETURN(int64_t trans_b, get_int(n, "trans_b", 1));
  SIEVE_RETURN_IF_ERROR(check_bool_attr(n, "trans_a"));
  SIEVE_RETURN_IF_ERROR(check_bool_attr(n, "trans_b"));
  SIEVE_RETURN_IF_ERROR(get_float(n, "alpha", 1).status());
  SIEVE_RETURN_IF_ERROR(get_float(n, "beta", 1).status());
  const Shape& x = o.shape(0);
  const Shape& w = o.shape(1);
  if (x.size() != 2) {
    return node_error(n, "operand X has shape {}, expected 2-D [N, K] (insert a Flatten)",
                      shape_str(x));
  }
  if (w.size() != 2) return node_error(n, "operand W has shape {}, expected 2-D", shape_str(w));
  const int64_t m = trans_a ? x[1] : x[0];
  const int64_t k = trans_a ? x[0] : x[1];
  const int64_t kw = trans_b ? w[1] : w[0];
  const int64_t nout = trans_b ? w[0] : w[1];
  if (known(k) && known(kw) && k != kw) {
    return node_error(n,
                      "operand W has shape {} (trans_b={}) with {} inputs, but X {} (trans_a="
                      "{}) has {}",
                      shape_str(w), trans_b, kw, shape_str(x), trans_a, k);
  }
  if (o.has(2)) {
    const Shape& b = o.shape(2);
    const Shape out = {m, nout};
    // Unidirectional broadcast of B to [M, N].
    bool ok = b.size() <= 2;
    for (size_t i = 0; ok && i < b.size(); ++i) {
      const int64_t d = b[b.size() - 1 - i];
      const int64_t t = out[1 - i];
      ok = d == 1 || !known(d) || !known(t) || d == t;
    }
    if (!ok) {
      return node_error(n, "operand B has shape {}, not broadcastable to the output {}",
                        shape_str(b), shape_str(out));
    }
  }
  return Outs{{DType::kF32, {m, nout}}};
}

Result<Outs> infer_matmul(const Node& n, const Operands& o) {
  SIEVE_RETURN_IF_ERROR(require_f32(n, o, {0, 1}));
  const Shape& a = o.shape(0);
  const Shape& b = o.shape(1);
  if (a.empty() || b.empty()) {
    return node_error(n, "operands have shapes {} and {}; MatMul needs rank >= 1", shape_str(a),
                      shape_str(b));
  }
  Shape a2 = a.size() == 1 ? Shape{1, a[0]} : a;
  Shape b2 = b.size() == 1 ? Shape{b[0], 1} : b;
  const int64_t ka = a2[a2.size() - 1];
  const int64_t kb = b2[b2.size() - 2];
  if (known(ka) && known(kb) && ka != kb) {
    return node_error(n, "inner dimensions differ: A {} has {}, B {} has {}", shape_str(a), ka,
                      shape_str(b), kb);
  }
  Shape batch_a(a2.begin(), a2.end() - 2);
  Shape batch_b(b2.begin(), b2.end() - 2);
  SIEVE_ASSIGN_OR_RETURN(Shape out, broadcast_shapes(n, batch_a, batch_b));
  if (a.size() > 1) out.push_back(a2[a2.size() - 2]);
  if (b.size() > 1) out.push_back(b2[b2.size() - 1]);
  return Outs{{DType::kF32, out}};
}

Result<Outs> infer_conv(const Node& n, const Operands& o) {
  SIEVE_RETURN_IF_ERROR(require_f32(n, o, {0, 1, 2}));
  SIEVE_RETURN_IF_ERROR(require_rank_at_least(n, o, 0, 3, "[N, C, spatial...]"));
  const Shape& x = o.shape(0);
  const Shape& w = o.shape(1);
  if (w.size() != x.size()) {
    return node_error(n, "operand W has shape {} (rank {}), but X {} has rank {}", shape_str(w),
                      w.size(), shape_str(x), x.size());
  }
  SIEVE_ASSIGN_OR_RETURN(int64_t group, get_int(n, "group", 1));
  if (group <= 0) return node_error(n, "attribute group={} is not positive", group);
  const int64_t c = x[1];
  const int64_t m = w[0];
  if (known(c) && c % group != 0) {
    return node_error(n, "attribute group={} does not divide input channels {}", group, c);
  }
  if (known(m) && m % group != 0) {
    return node_error(n, "attribute group={} does not divide output channels {} (W {})", group, m,
                      shape_str(w));
  }
  if (known(c) && known(w[1]) && w[1] * group != c) {
    return node_error(n,
                      "operand W {} has {} input channels per group, but X {} has {} "
                      "channels in {} group(s)",
                      shape_str(w), w[1], shape_str(x), c, group);
  }
  if (o.has(2)) {
    const Shape& b = o.shape(2);
    if (b.size() != 1 || (known(b[0]) && known(m) && b[0] != m)) {
      return node_error(n, "operand B has shape {}, expected [{}]", shape_str(b), m);
    }
  }
  SIEVE_ASSIGN_OR_RETURN(WindowGeometry geo, window_geometry(n, x, &w));
  Shape out = {x[0], m};
  out.insert(out.end(), geo.out.begin(), geo.out.end());
  return Outs{{DType::kF32, out}};
}

Result<Outs> infer_pool(const Node& n, const Operands& o) {
  if (n.op == OpKind::kMaxPool) {
    SIEVE_RETURN_IF_ERROR(require_dtype(n, o, 0, {DType::kF32, DType::kU8, DType::kI8}));
    SIEVE_RETURN_IF_ERROR(check_bool_attr(n, "storage_order"));
  } else {
    SIEVE_RETURN_IF_ERROR(require_f32(n, o, {0}));
    SIEVE_RETURN_IF_ERROR(check_bool_attr(n, "count_include_pad"));
  }
  SIEVE_RETURN_IF_ERROR(require_rank_at_least(n, o, 0, 3, "[N, C, spatial...]"));
  const Shape& x = o.shape(0);
  SIEVE_ASSIGN_OR_RETURN(WindowGeometry geo, window_geometry(n, x, nullptr));
  Shape out = {x[0], x[1]};
  out.insert(out.end(), geo.out.begin(), geo.out.end());
  Outs outs = {{o.dtype(0), out}};
  if (n.outputs.size() > 1) outs.push_back({DType::kI64, out});
  return outs;
}

Result<Outs> infer_global_pool(const Node& n, const Operands& o) {
  SIEVE_RETURN_IF_ERROR(require_f32(n, o, {0}));
  SIEVE_RETURN_IF_ERROR(require_rank_at_least(n, o, 0, 3, "[N, C, spatial...]"));
  Shape out = o.shape(0);
  for (size_t i = 2; i < out.size(); ++i) out[i] = 1;
  return Outs{{DType::kF32, out}};
}

Result<Outs> infer_unary_f32(const Node& n, const Operands& o) {
  SIEVE_RETURN_IF_ERROR(require_f32(n, o, {0}));
  return Outs{o.info[0]};
}

Result<Outs> infer_softmax(const Node& n, const Operands& o) {
  SIEVE_RETURN_IF_ERROR(require_f32(n, o, {0}));
  SIEVE_RETURN_IF_ERROR(check_bool_attr(n, "coerce_2d"));
  SIEVE_ASSIGN_OR_RETURN(int64_t coerce, get_int(n, "coerce_2d", 0));
  SIEVE_ASSIGN_OR_RETURN(int64_t axis, get_int(n, "axis", coerce ? 1 : -1));
  const int64_t r = static_cast<int64_t>(o.shape(0).size());
  if (r == 0) return node_error(n, "operand X is a scalar; {} needs rank >= 1", op_name(n.op));
  SIEVE_RETURN_IF_ERROR(normalize_axis(n, "attribute axis", axis, r).status());
  return Outs{o.info[0]};
}

Result<Outs> infer_batchnorm(const Node& n, const Operands& o) {
  SIEVE_RETURN_IF_ERROR(require_f32(n, o, {0, 1, 2, 3, 4}));
  SIEVE_RETURN_IF_ERROR(require_rank_at_least(n, o, 0, 2, "[N, C, ...]"));
  SIEVE_ASSIGN_OR_RETURN(int64_t training, get_int(n, "training_mode", 0));
  if (training != 0) {
    return Status(StatusCode::kUnimplemented,
                  fmt::format("{}: attribute training_mode={}; only inference mode is "
                              "supported",
                              label(n), training));
  }
  SIEVE_ASSIGN_OR_RETURN(double eps, get_float(n, "epsilon", 1e-5));
  if (!(eps >= 0)) return node_error(n, "attribute epsilon={} is negative", eps);
  const int64_t c = o.shape(0)[1];
  for (size_t i = 1; i < 5; ++i) {
    const Shape& s = o.shape(i);
    if (s.size() != 1 || (known(s[0]) && known(c) && s[0] != c)) {
      return node_error(n, "operand {} has shape {}, expected [{}] (the channels of X {})",
                        operand_name(n.op, i), shape_str(s), c, shape_str(o.shape(0)));
    }
  }
  return Outs{o.info[0]};
}

Result<Outs> infer_lrn(const Node& n, const Operands& o) {
  SIEVE_RETURN_IF_ERROR(require_f32(n, o, {0}));
  SIEVE_RETURN_IF_ERROR(require_rank_at_least(n, o, 0, 2, "[N, C, ...]"));
  if (!n.has_attr("size")) return node_error(n, "attribute size is missing");
  SIEVE_ASSIGN_OR_RETURN(int64_t size, get_int(n, "size", 0));
  if (size <= 0) return node_error(n, "attribute size={} is not positive", size);
  SIEVE_RETURN_IF_ERROR(get_float(n, "alpha", 1e-4).status());
  SIEVE_RETURN_IF_ERROR(get_float(n, "beta", 0.75).status());
  SIEVE_RETURN_IF_ERROR(get_float(n, "bias", 1.0).status());
  return Outs{o.info[0]};
}

Result<Outs> infer_binary(const Node& n, const Operands& o) {
  if (o.dtype(0) != o.dtype(1)) {
    return node_error(n, "operands A and B have different dtypes ({} and {})",
                      dtype_name(o.dtype(0)), dtype_name(o.dtype(1)));
  }
  SIEVE_ASSIGN_OR_RETURN(Shape out, broadcast_shapes(n, o.shape(0), o.shape(1)));
  return Outs{{o.dtype(0), out}};
}

Result<Outs> infer_concat(const Node& n, const Operands& o) {
  if (!n.has_attr("axis")) return node_error(n, "attribute axis is missing");
  SIEVE_ASSIGN_OR_RETURN(int64_t axis, get_int(n, "axis", 0));
  const Shape& first = o.shape(0);
  const int64_t r = static_cast<int64_t>(first.size());
  if (r == 0) return node_error(n, "operand #0 is a scalar; Concat needs rank >= 1");
  SIEVE_ASSIGN_OR_RETURN(int64_t a, normalize_axis(n, "attribute axis", axis, r));
  Shape out = first;
  for (size_t i = 1; i < n.inputs.size(); ++i) {
    const Shape& s = o.shape(i);
    if (o.dtype(i) != o.dtype(0)) {
      return node_error(n, "operand #{} is {} but operand #0 is {}", i, dtype_name(o.dtype(i)),
                        dtype_name(o.dtype(0)));
    }
    if (s.size() != first.size()) {
      return node_error(n, "operand #{} has shape {} but operand #0 has {} (ranks differ)", i,
                        shape_str(s), shape_str(first));
    }
    for (int64_t d = 0; d < r; ++d) {
      const size_t du = static_cast<size_t>(d);
      if (d == a) {
        out[du] = known(out[du]) && known(s[du]) ? out[du] + s[du] : kUnknown;
      } else if (known(out[du]) && known(s[du]) && out[du] != s[du]) {
        return node_error(n,
                          "operand #{} has shape {} but operand #0 has {} (dim {} differs "
                          "off the axis {})",
                          i, shape_str(s), shape_str(first), d, a);
      } else if (!known(out[du])) {
        out[du] = s[du];
      }
    }
  }
  return Outs{{o.dtype(0), out}};
}

Result<Outs> infer_flatten(const Node& n, const Operands& o) {
  SIEVE_ASSIGN_OR_RETURN(int64_t axis, get_int(n, "axis", 1));
  const Shape& x = o.shape(0);
  const int64_t r = static_cast<int64_t>(x.size());
  SIEVE_ASSIGN_OR_RETURN(int64_t a, normalize_axis(n, "attribute axis", axis, r, true));
  const size_t au = static_cast<size_t>(a);
  return Outs{{o.dtype(0), {product(x, 0, au), product(x, au, x.size())}}};
}

Result<Outs> infer_reshape(const Node& n, const Operands& o) {
  SIEVE_RETURN_IF_ERROR(check_bool_attr(n, "allowzero"));
  SIEVE_ASSIGN_OR_RETURN(int64_t allowzero, get_int(n, "allowzero", 0));
  SIEVE_RETURN_IF_ERROR(require_dtype(n, o, 1, {DType::kI64}));
  const Shape& x = o.shape(0);
  const Tensor* st = o.constant(1);
  if (st == nullptr) {
    const Shape& ss = o.shape(1);
    if (ss.size() != 1 || !known(ss[0])) {
      return node_error(n, "operand shape has shape {}, expected a 1-D tensor", shape_str(ss));
    }
    return Outs{{o.dtype(0), Shape(static_cast<size_t>(ss[0]), kUnknown)}};
  }
  SIEVE_ASSIGN_OR_RETURN(std::vector<int64_t> target, read_i64_operand(n, 1, *st));
  Shape out(target.size());
  int64_t infer_at = -1;
  bool has_zero = false;
  for (size_t i = 0; i < target.size(); ++i) {
    const int64_t t = target[i];
    if (t == -1) {
      if (infer_at >= 0) {
        return node_error(n, "shape {} has more than one -1", shape_str(target));
      }
      infer_at = static_cast<int64_t>(i);
      out[i] = kUnknown;
    } else if (t < -1) {
      return node_error(n, "shape[{}]={} is negative", i, t);
    } else if (t == 0 && !allowzero) {
      if (i >= x.size()) {
        return node_error(n, "shape[{}]=0 copies dim {} of X, but X {} has rank {}", i, i,
                          shape_str(x), x.size());
      }
      out[i] = x[i];
    } else {
      has_zero = has_zero || t == 0;
      out[i] = t;
    }
  }
  if (has_zero && infer_at >= 0) {
    return node_error(n, "shape {} has both 0 and -1 with allowzero=1", shape_str(target));
  }
  const int64_t numel = product(x);
  if (infer_at >= 0) {
    Shape rest = out;
    rest.erase(rest.begin() + infer_at);
    const int64_t p = product(rest);
    if (known(numel) && known(p)) {
      if (p == 0 || numel % p != 0) {
        return node_error(n, "cannot reshape X {} ({} elements) to {}", shape_str(x), numel,
                          shape_str(target));
      }
      out[static_cast<size_t>(infer_at)] = numel / p;
    }
  } else {
    const int64_t p = product(out);
    if (known(numel) && known(p) && p != numel) {
      return node_error(n, "cannot reshape X {} ({} elements) to {} ({} elements)", shape_str(x),
                        numel, shape_str(out), p);
    }
  }
  return Outs{{o.dtype(0), out}};
}

Result<Outs> infer_transpose(const Node& n, const Operands& o) {
  const Shape& x = o.shape(0);
  std::vector<int64_t> def(x.size());
  for (size_t i = 0; i < x.size(); ++i) def[i] = static_cast<int64_t>(x.size() - 1 - i);
  SIEVE_ASSIGN_OR_RETURN(std::vector<int64_t> perm, get_ints(n, "perm", def));
  if (perm.size() != x.size()) {
    return node_error(n, "attribute perm={} has {} entries, but X {} has rank {}", shape_str(perm),
                      perm.size(), shape_str(x), x.size());
  }
  std::vector<bool> seen(x.size(), false);
  Shape out(x.size());
  for (size_t i = 0; i < perm.size(); ++i) {
    const int64_t p = perm[i];
    if (p < 0 || p >= static_cast<int64_t>(x.size()) || seen[static_cast<size_t>(p)]) {
      return node_error(n, "attribute perm={} is not a permutation of 0..{}", shape_str(perm),
                        x.size() - 1);
    }
    seen[static_cast<size_t>(p)] = true;
    out[i] = x[static_cast<size_t>(p)];
  }
  return Outs{{o.dtype(0), out}};
}

// Axes of Squeeze/Unsqueeze: from operand 1 (opset 13) or the `axes` attribute.
// Returns nullopt-like empty + `count` when the operand is present but not a constant.
struct AxesSpec {
  bool given = false;        // axes specified at all
  bool known_values = true;  // false: the operand is computed at run time (count is known)
  std::vector<int64_t> axes;
  int64_t count = 0;
};

Result<AxesSpec> read_axes(const Node& n, const Operands& o, size_t operand) {
  AxesSpec spec;
  if (o.has(operand)) {
    SIEVE_RETURN_IF_ERROR(require_dtype(n, o, operand, {DType::kI64}));
    spec.given = true;
    if (const Tensor* t = o.constant(operand)) {
      SIEVE_ASSIGN_OR_RETURN(spec.axes, read_i64_operand(n, operand, *t));
      spec.count = static_cast<int64_t>(spec.axes.size());
    } else {
      const Shape& s = o.shape(operand);
      if (s.size() != 1 || !known(s[0])) {
        return node_error(n, "operand axes has shape {}, expected a 1-D tensor", shape_str(s));
      }
      spec.known_values = false;
      spec.count = s[0];
    }
  } else if (n.has_attr("axes")) {
    spec.given = true;
    SIEVE_ASSIGN_OR_RETURN(spec.axes, get_ints(n, "axes", {}));
    spec.count = static_cast<int64_t>(spec.axes.size());
  }
  return spec;
}

Result<std::vector<int64_t>> normalize_axes(const Node& n, std::vector<int64_t> axes,
                                            int64_t rank) {
  std::set<int64_t> seen;
  for (int64_t& a : axes) {
    SIEVE_ASSIGN_OR_RETURN(a, normalize_axis(n, "axes entry", a, rank));
    if (!seen.insert(a).second) {
      return node_error(n, "axes {} names dimension {} twice", shape_str(axes), a);
    }
  }
  return axes;
}

Result<Outs> infer_squeeze(const Node& n, const Operands& o) {
  const Shape& x = o.shape(0);
  SIEVE_ASSIGN_OR_RETURN(AxesSpec spec, read_axes(n, o, 1));
  const int64_t r = static_cast<int64_t>(x.size());
  if (!spec.known_values) {
    if (spec.count > r) {
      return node_error(n, "{} axes given for X {} of rank {}", spec.count, shape_str(x), r);
    }
    return Outs{{o.dtype(0), Shape(static_cast<size_t>(r - spec.count), kUnknown)}};
  }
  Shape out;
  if (!spec.given) {
    for (int64_t d : x) {
      if (d != 1) out.push_back(d);  // an unknown dim is kept (assumed not 1)
    }
    return Outs{{o.dtype(0), out}};
  }
  SIEVE_ASSIGN_OR_RETURN(std::vector<int64_t> axes, normalize_axes(n, spec.axes, r));
  for (int64_t a : axes) {
    const int64_t d = x[static_cast<size_t>(a)];
    if (known(d) && d != 1) {
      return node_error(n, "cannot squeeze dim {} of X {}: its size is {}, not 1", a, shape_str(x),
                        d);
    }
  }
  for (int64_t i = 0; i < r; ++i) {
    if (std::find(axes.begin(), axes.end(), i) == axes.end()) {
      out.push_back(x[static_cast<size_t>(i)]);
    }
  }
  return Outs{{o.dtype(0), out}};
}

Result<Outs> infer_unsqueeze(const Node& n, const Operands& o) {
  const Shape& x = o.shape(0);
  SIEVE_ASSIGN_OR_RETURN(AxesSpec spec, read_axes(n, o, 1));
  if (!spec.given) return node_error(n, "axes are missing (operand #1 or attribute axes)");
  const int64_t r = static_cast<int64_t>(x.size()) + spec.count;
  if (!spec.known_values) return Outs{{o.dtype(0), Shape(static_cast<size_t>(r), kUnknown)}};
  SIEVE_ASSIGN_OR_RETURN(std::vector<int64_t> axes, normalize_axes(n, spec.axes, r));
  Shape out(static_cast<size_t>(r), 0);
  for (int64_t a : axes) out[static_cast<size_t>(a)] = 1;
  size_t next = 0;
  for (int64_t i = 0; i < r; ++i) {
    if (std::find(axes.begin(), axes.end(), i) == axes.end()) {
      out[static_cast<size_t>(i)] = x[next++];
    }
  }
  return Outs{{o.dtype(0), out}};
}

Result<Outs> infer_pad(const Node& n, const Operands& o) {
  const Shape& x = o.shape(0);
  const int64_t r = static_cast<int64_t>(x.size());
  SIEVE_ASSIGN_OR_RETURN(std::string mode, get_string(n, "mode", "constant"));
  SIEVE_RETURN_IF_ERROR(get_float(n, "value", 0.0).status());
  if (mode != "constant" && mode != "reflect" && mode != "edge" && mode != "wrap") {
    return node_error(n,
                      "attribute mode=\"{}\" is unknown; known: constant, reflect, edge, "
                      "wrap",
                      mode);
  }
  if (o.has(2)) {
    if (o.dtype(2) != o.dtype(0)) {
      return node_error(n, "operand constant_value is {} but X is {}", dtype_name(o.dtype(2)),
                        dtype_name(o.dtype(0)));
    }
    if (product(o.shape(2)) > 1) {
      return node_error(n, "operand constant_value has shape {}, expected a scalar",
                        shape_str(o.shape(2)));
    }
  }
  // Axes the pads apply to (opset 18 operand #3), default all.
  std::vector<int64_t> axes;
  if (o.has(3)) {
    SIEVE_ASSIGN_OR_RETURN(AxesSpec spec, read_axes(n, o, 3));
    if (!spec.known_values) return Outs{{o.dtype(0), Shape(x.size(), kUnknown)}};
    SIEVE_ASSIGN_OR_RETURN(axes, normalize_axes(n, spec.axes, r));
  } else {
    for (int64_t i = 0; i < r; ++i) axes.push_back(i);
  }
  std::vector<int64_t> pads;
  if (o.has(1)) {
    SIEVE_RETURN_IF_ERROR(require_dtype(n, o, 1, {DType::kI64}));
    const Tensor* t = o.constant(1);
    if (t == nullptr) return Outs{{o.dtype(0), Shape(x.size(), kUnknown)}};
    SIEVE_ASSIGN_OR_RETURN(pads, read_i64_operand(n, 1, *t));
  } else if (n.has_attr("pads")) {
    SIEVE_ASSIGN_OR_RETURN(pads, get_ints(n, "pads", {}));
  } else {
    return node_error(n, "pads are missing (operand #1 or attribute pads)");
  }
  const size_t k = axes.size();
  if (pads.size() != 2 * k) {
    return node_error(n, "pads {} has {} entries, expected {} (2 x {} axes of X {})",
                      shape_str(pads), pads.size(), 2 * k, k, shape_str(x));
  }
  Shape out = x;
  for (size_t j = 0; j < k; ++j) {
    const size_t a = static_cast<size_t>(axes[j]);
    const int64_t pb = pads[j];
    const int64_t pe = pads[j + k];
    if (!known(x[a])) continue;
    out[a] = x[a] + pb + pe;
    if (out[a] < 0) {
      return node_error(n, "pads {} make dim {} of X {} negative ({})", shape_str(pads), a,
                        shape_str(x), out[a]);
    }
    // reflect and wrap extend X periodically (numpy.pad), so pads may exceed the dim.
    if (mode != "constant" && (pb > 0 || pe > 0) && x[a] == 0) {
      return node_error(n, "mode {} cannot pad the empty dim {} of X {}", mode, a, shape_str(x));
    }
  }
  return Outs{{o.dtype(0), out}};
}

Result<Outs> infer_dropout(const Node& n, const Operands& o) {
  SIEVE_RETURN_IF_ERROR(require_f32(n, o, {0, 1}));
  SIEVE_RETURN_IF_ERROR(require_dtype(n, o, 2, {DType::kU8}));
  SIEVE_ASSIGN_OR_RETURN(double ratio, get_float(n, "ratio", 0.5));
  if (!(ratio >= 0 && ratio < 1))
    return node_error(n, "attribute ratio={} is not in [0, 1)", ratio);
  Outs outs = {o.info[0]};
  if (n.outputs.size() > 1) outs.push_back({DType::kU8, o.shape(0)});
  return outs;
}

Status check_direction(const Node& n, int64_t* dirs) {
  SIEVE_ASSIGN_OR_RETURN(std::string dir, get_string(n, "direction", "forward"));
  if (dir != "forward" && dir != "reverse" && dir != "bidirectional") {
    return node_error(n,
                      "attribute direction=\"{}\" is unknown; known: forward, reverse, "
                      "bidirectional",
                      dir);
  }
  *dirs = dir == "bidirectional" ? 2 : 1;
  return ok_status();
}

Status expect_shape(const Node& n, const Operands& o, size_t i, const Shape& want) {
  if (!o.has(i)) return ok_status();
  const Shape& s = o.shape(i);
  bool ok = s.size() == want.size();
  for (size_t d = 0; ok && d < s.size(); ++d) {
    ok = !known(s[d]) || !known(want[d]) || s[d] == want[d];
  }
  if (!ok) {
    return node_error(n, "operand {} has shape {}, expected {}", operand_name(n.op, i),
                      shape_str(s), shape_str(want));
  }
  return ok_status();
}

// LSTM (gates = 4) and GRU (gates = 3).
Result<Outs> infer_rnn(const Node& n, const Operands& o) {
  const bool is_lstm = n.op == OpKind::kLSTM;
  const int64_t gates = is_lstm ? 4 : 3;
  SIEVE_RETURN_IF_ERROR(require_f32(n, o, {0, 1, 2, 3, 5, 6, 7, 8}));
  SIEVE_RETURN_IF_ERROR(require_dtype(n, o, 4, {DType::kI32, DType::kI64}));
  int64_t dirs = 1;
  SIEVE_RETURN_IF_ERROR(check_direction(n, &dirs));
  SIEVE_RETURN_IF_ERROR(check_bool_attr(n, "layout"));
  SIEVE_ASSIGN_OR_RETURN(int64_t layout, get_int(n, "layout", 0));
  const Shape& x = o.shape(0);
  const Shape& w = o.shape(1);
  if (x.size() != 3) {
    return node_error(n, "operand X has shape {}, expected 3-D ({})", shape_str(x),
                      layout ? "[batch, seq, input]" : "[seq, batch, input]");
  }
  if (w.size() != 3) {
    return node_error(n, "operand W has shape {}, expected [dirs, {}*hidden, input]", shape_str(w),
                      gates);
  }
  int64_t hidden = kUnknown;
  if (n.has_attr("hidden_size")) {
    SIEVE_ASSIGN_OR_RETURN(hidden, get_int(n, "hidden_size", 0));
    if (hidden <= 0) return node_error(n, "attribute hidden_size={} is not positive", hidden);
  } else if (known(w[1])) {
    hidden = w[1] / gates;
  }
  int64_t proj = 0;
  if (is_lstm) {
    SIEVE_ASSIGN_OR_RETURN(proj, get_int(n, "proj_size", 0));
    if (proj < 0) return node_error(n, "attribute proj_size={} is negative", proj);
    SIEVE_RETURN_IF_ERROR(check_bool_attr(n, "input_forget"));
    if (o.has(8) && proj == 0) {
      return node_error(n, "operand W_proj is given but attribute proj_size is not set");
    }
    if (proj > 0 && !o.has(8)) {
      return node_error(n, "attribute proj_size={} needs operand W_proj (#8)", proj);
    }
  } else {
    SIEVE_RETURN_IF_ERROR(check_bool_attr(n, "linear_before_reset"));
  }
  if (n.has_attr("clip")) {
    SIEVE_ASSIGN_OR_RETURN(double clip, get_float(n, "clip", 0));
    if (!(clip > 0)) return node_error(n, "attribute clip={} is not positive", clip);
  }
  const int64_t seq = layout ? x[1] : x[0];
  const int64_t batch = layout ? x[0] : x[1];
  const int64_t input = x[2];
  const int64_t state = proj > 0 ? proj : hidden;  // size of h_t fed back through R
  const int64_t gh = known(hidden) ? gates * hidden : kUnknown;
  SIEVE_RETURN_IF_ERROR(expect_shape(n, o, 1, {dirs, gh, input}));
  SIEVE_RETURN_IF_ERROR(expect_shape(n, o, 2, {dirs, gh, state}));
  SIEVE_RETURN_IF_ERROR(expect_shape(n, o, 3, {dirs, known(gh) ? 2 * gh : kUnknown}));
  SIEVE_RETURN_IF_ERROR(expect_shape(n, o, 4, {batch}));
  const Shape state_shape = layout ? Shape{batch, dirs, state} : Shape{dirs, batch, state};
  const Shape cell_shape = layout ? Shape{batch, dirs, hidden} : Shape{dirs, batch, hidden};
  SIEVE_RETURN_IF_ERROR(expect_shape(n, o, 5, state_shape));
  if (is_lstm) {
    SIEVE_RETURN_IF_ERROR(expect_shape(n, o, 6, cell_shape));
    SIEVE_RETURN_IF_ERROR(expect_shape(n, o, 7, {dirs, known(hidden) ? 3 * hidden : kUnknown}));
    SIEVE_RETURN_IF_ERROR(expect_shape(n, o, 8, {dirs, proj, hidden}));
  }
  const Shape y = layout ? Shape{batch, seq, dirs, state} : Shape{seq, dirs, batch, state};
  Outs outs = {{DType::kF32, y}, {DType::kF32, state_shape}, {DType::kF32, cell_shape}};
  outs.resize(n.outputs.size());
  return outs;
}

// The rules, given the operands. Operand counts are checked first.
Result<Outs> infer_impl(const Node& n, const Operands& o) {
  SIEVE_RETURN_IF_ERROR(check_arity(n, o));
  switch (n.op) {
    case OpKind::kInput: return infer_input(n);
    case OpKind::kFullyConnected: return infer_fully_connected(n, o);
    case OpKind::kMatMul: return infer_matmul(n, o);
    case OpKind::kConv: return infer_conv(n, o);
    case OpKind::kMaxPool:
    case OpKind::kAveragePool: return infer_pool(n, o);
    case OpKind::kGlobalAveragePool:
    case OpKind::kGlobalMaxPool: return infer_global_pool(n, o);
    case OpKind::kRelu:
    case OpKind::kSigmoid:
    case OpKind::kTanh: return infer_unary_f32(n, o);
    case OpKind::kSoftmax:
    case OpKind::kLogSoftmax: return infer_softmax(n, o);
    case OpKind::kBatchNorm: return infer_batchnorm(n, o);
    case OpKind::kLRN: return infer_lrn(n, o);
    case OpKind::kAdd:
    case OpKind::kSub:
    case OpKind::kMul:
    case OpKind::kDiv: return infer_binary(n, o);
    case OpKind::kConcat: return infer_concat(n, o);
    case OpKind::kFlatten: return infer_flatten(n, o);
    case OpKind::kReshape: return infer_reshape(n, o);
    case OpKind::kTranspose: return infer_transpose(n, o);
    case OpKind::kSqueeze: return infer_squeeze(n, o);
    case OpKind::kUnsqueeze: return infer_unsqueeze(n, o);
    case OpKind::kPad: return infer_pad(n, o);
    case OpKind::kDropout: return infer_dropout(n, o);
    case OpKind::kIdentity: return Outs{o.info[0]};
    case OpKind::kLSTM:
    case OpKind::kGRU: return infer_rnn(n, o);
  }
  return internal_error("{}: op not handled by shape inference", label(n));
}

// The attributes each op understands (ONNX's names, plus Sieve's coerce_2d and proj_size).
// Anything else is most likely a misspelling that would silently fall back to a default.
std::vector<std::string_view> known_attrs(OpKind op) {
  switch (op) {
    case OpKind::kInput: return {"dtype", "shape"};
    case OpKind::kFullyConnected: return {"alpha", "beta", "trans_a", "trans_b"};
    case OpKind::kConv:
      return {"auto_pad", "dilations", "group", "kernel_shape", "pads", "strides"};
    case OpKind::kMaxPool:
      return {"auto_pad", "ceil_mode",     "dilations", "kernel_shape",
              "pads",     "storage_order", "strides"};
    case OpKind::kAveragePool:
      return {"auto_pad", "ceil_mode", "count_include_pad", "dilations", "kernel_shape",
              "pads",     "strides"};
    case OpKind::kSoftmax:
    case OpKind::kLogSoftmax: return {"axis", "coerce_2d"};
    case OpKind::kBatchNorm: return {"epsilon", "momentum", "training_mode"};
    case OpKind::kLRN: return {"alpha", "beta", "bias", "size"};
    case OpKind::kConcat:
    case OpKind::kFlatten: return {"axis"};
    case OpKind::kReshape: return {"allowzero"};
    case OpKind::kTranspose: return {"perm"};
    case OpKind::kSqueeze:
    case OpKind::kUnsqueeze: return {"axes"};
    case OpKind::kPad: return {"mode", "pads", "value"};
    case OpKind::kDropout: return {"ratio", "seed"};  // ratio: the opset < 12 attribute
    case OpKind::kLSTM:
      return {"activation_alpha", "activation_beta", "activations", "clip",     "direction",
              "hidden_size",      "input_forget",    "layout",      "proj_size"};
    case OpKind::kGRU:
      return {"activation_alpha", "activation_beta", "activations", "clip",
              "direction",        "hidden_size",     "layout",      "linear_before_reset"};
    case OpKind::kMatMul:
    case OpKind::kGlobalAveragePool:
    case OpKind::kGlobalMaxPool:
    case OpKind::kRelu:
    case OpKind::kSigmoid:
    case OpKind::kTanh:
    case OpKind::kAdd:
    case OpKind::kSub:
    case OpKind::kMul:
    case OpKind::kDiv:
    case OpKind::kIdentity: return {};
  }
  return {};
}

Status check_known_attrs(const Node& n, const std::string& who) {
  const std::vector<std::string_view> known = known_attrs(n.op);
  for (const auto& [key, value] : n.attrs) {
    if (std::find(known.begin(), known.end(), key) != known.end()) continue;
    std::string list;
    for (std::string_view k : known) list += (list.empty() ? "" : ", ") + std::string(k);
    return invalid_argument("{}: unknown attribute \"{}\"; known: {}", who, key,
                            list.empty() ? "none" : list);
  }
  return ok_status();
}

std::string describe_node(const Node& n, size_t index) {
  if (n.name.empty()) return fmt::format("node #{} ({})", index, op_name(n.op));
  return label(n);
}

}  // namespace

// ---------------------------------------------------------------------------------------------

Result<WindowGeometry> window_geometry(const Node& n, const Shape& x, const Shape* w) {
  if (x.size() < 3) {
    return node_error(n, "operand X has shape {}; {} needs [N, C, spatial...]", shape_str(x),
                      op_name(n.op));
  }
  const size_t k = x.size() - 2;
  const bool is_pool = n.op == OpKind::kMaxPool || n.op == OpKind::kAveragePool;
  WindowGeometry g;
  SIEVE_ASSIGN_OR_RETURN(std::vector<int64_t> kattr, get_ints(n, "kernel_shape", {}));
  if (w != nullptr) {
    g.kernel.assign(w->begin() + 2, w->end());
    if (n.has_attr("kernel_shape")) {
      bool ok = kattr.size() == k;
      for (size_t i = 0; ok && i < k; ++i) ok = !known(g.kernel[i]) || kattr[i] == g.kernel[i];
      if (!ok) {
        return node_error(n, "attribute kernel_shape={} disagrees with W {}", shape_str(kattr),
                          shape_str(*w));
      }
    }
  } else {
    if (!n.has_attr("kernel_shape")) return node_error(n, "attribute kernel_shape is missing");
    g.kernel = kattr;
  }
  if (g.kernel.size() != k) {
    return node_error(n,
                      "attribute kernel_shape={} has {} entries, but X {} has {} spatial "
                      "dims",
                      shape_str(g.kernel), g.kernel.size(), shape_str(x), k);
  }
  for (size_t i = 0; i < k; ++i) {
    if (known(g.kernel[i]) && g.kernel[i] <= 0) {
      return node_error(n, "kernel size {} in spatial dim {} is not positive", g.kernel[i], i);
    }
  }
  SIEVE_ASSIGN_OR_RETURN(g.strides, get_ints(n, "strides", std::vector<int64_t>(k, 1)));
  SIEVE_ASSIGN_OR_RETURN(g.dilations, get_ints(n, "dilations", std::vector<int64_t>(k, 1)));
  SIEVE_ASSIGN_OR_RETURN(std::vector<int64_t> pads,
                         get_ints(n, "pads", std::vector<int64_t>(2 * k, 0)));
  if (g.strides.size() != k) {
    return node_error(n, "attribute strides={} has {} entries, expected {}", shape_str(g.strides),
                      g.strides.size(), k);
  }
  if (g.dilations.size() != k) {
    return node_error(n, "attribute dilations={} has {} entries, expected {}",
                      shape_str(g.dilations), g.dilations.size(), k);
  }
  if (pads.size() != 2 * k) {
    return node_error(n, "attribute pads={} has {} entries, expected {}", shape_str(pads),
                      pads.size(), 2 * k);
  }
  for (size_t i = 0; i < k; ++i) {
    if (g.strides[i] <= 0) {
      return node_error(n, "attribute strides={}: stride {} is not positive", shape_str(g.strides),
                        g.strides[i]);
    }
    if (g.dilations[i] <= 0) {
      return node_error(n, "attribute dilations={}: dilation {} is not positive",
                        shape_str(g.dilations), g.dilations[i]);
    }
  }
  for (int64_t p : pads) {
    if (p < 0) return node_error(n, "attribute pads={}: pad {} is negative", shape_str(pads), p);
  }
  SIEVE_ASSIGN_OR_RETURN(std::string auto_pad, get_string(n, "auto_pad", "NOTSET"));
  if (auto_pad != "NOTSET" && auto_pad != "SAME_UPPER" && auto_pad != "SAME_LOWER" &&
      auto_pad != "VALID") {
    return node_error(n,
                      "attribute auto_pad=\"{}\" is unknown; known: NOTSET, SAME_UPPER, "
                      "SAME_LOWER, VALID",
                      auto_pad);
  }
  int64_t ceil_mode = 0;
  if (is_pool) {
    SIEVE_RETURN_IF_ERROR(check_bool_attr(n, "ceil_mode"));
    SIEVE_ASSIGN_OR_RETURN(ceil_mode, get_int(n, "ceil_mode", 0));
  }
  const bool same = auto_pad == "SAME_UPPER" || auto_pad == "SAME_LOWER";
  g.pads_begin.assign(k, 0);
  g.pads_end.assign(k, 0);
  g.out.assign(k, kUnknown);
  for (size_t i = 0; i < k; ++i) {
    const int64_t in = x[2 + i];
    const int64_t s = g.strides[i];
    if (auto_pad == "NOTSET") {
      g.pads_begin[i] = pads[i];
      g.pads_end[i] = pads[k + i];
    }
    if (!known(g.kernel[i])) continue;
    const int64_t keff = (g.kernel[i] - 1) * g.dilations[i] + 1;
    if (is_pool && (g.pads_begin[i] >= keff || g.pads_end[i] >= keff)) {
      return node_error(n,
                        "attribute pads={}: pads must be smaller than the window {} in "
                        "spatial dim {}",
                        shape_str(pads), keff, i);
    }
    if (!known(in)) continue;
    if (same) {
      const int64_t out = (in + s - 1) / s;
      const int64_t total = std::max<int64_t>(0, (out - 1) * s + keff - in);
      const int64_t small = total / 2;
      g.pads_begin[i] = auto_pad == "SAME_UPPER" ? small : total - small;
      g.pads_end[i] = total - g.pads_begin[i];
    }
    const int64_t avail = in + g.pads_begin[i] + g.pads_end[i] - keff;
    if (avail < 0) {
      return node_error(n,
                        "the window {} (kernel {}, dilation {}) is larger than the padded "
                        "input {} in spatial dim {} of X {}",
                        keff, g.kernel[i], g.dilations[i], in + g.pads_begin[i] + g.pads_end[i], i,
                        shape_str(x));
    }
    int64_t out = avail / s + 1;
    if (ceil_mode && !same) {
      out = (avail + s - 1) / s + 1;
      // The last window must start inside the input or its leading pad (PyTorch, Caffe and
      // ONNX >= 1.15 agree); otherwise it would see padding only.
      if ((out - 1) * s >= in + g.pads_begin[i]) --out;
    }
    g.out[i] = out;
  }
  return g;
}

Result<std::vector<ValueInfo>> infer_node(const Graph& g, const Node& n,
                                          std::span<const ValueInfo> inputs) {
  Operands o;
  o.info.assign(inputs.begin(), inputs.end());
  o.info.resize(std::max(o.info.size(), n.inputs.size()));
  o.present.resize(o.info.size(), false);
  o.value.resize(o.info.size(), nullptr);
  for (size_t i = 0; i < n.inputs.size(); ++i) {
    o.present[i] = !n.inputs[i].empty() && i < inputs.size();
    if (o.present[i]) o.value[i] = g.initializer(n.inputs[i]);
  }
  return infer_impl(n, o);
}

Result<std::vector<ValueInfo>> infer_node(const Node& n, std::span<const Tensor* const> values) {
  Operands o;
  const size_t count = std::max(values.size(), n.inputs.size());
  o.info.resize(count);
  o.present.resize(count, false);
  o.value.resize(count, nullptr);
  for (size_t i = 0; i < values.size(); ++i) {
    if (values[i] == nullptr) continue;
    o.present[i] = true;
    o.value[i] = values[i];
    o.info[i] = {values[i]->dtype(), values[i]->shape()};
  }
  return infer_impl(n, o);
}

Status infer_shapes(Graph& g) {
  g.values.clear();
  for (const auto& [name, t] : g.initializers) g.values[name] = {t.dtype(), t.shape()};
  std::vector<ValueInfo> infos;
  for (size_t idx = 0; idx < g.nodes.size(); ++idx) {
    const Node& n = g.nodes[idx];
    infos.assign(n.inputs.size(), ValueInfo{});
    for (size_t i = 0; i < n.inputs.size(); ++i) {
      if (n.inputs[i].empty()) continue;
      auto it = g.values.find(n.inputs[i]);
      if (it == g.values.end()) {
        return invalid_argument(
            "{}: input \"{}\" is not an initializer or the output of an "
            "earlier node",
            describe_node(n, idx), n.inputs[i]);
      }
      infos[i] = it->second;
    }
    SIEVE_ASSIGN_OR_RETURN(std::vector<ValueInfo> outs, infer_node(g, n, infos));
    SIEVE_ASSERT(outs.size() == n.outputs.size(), "{}: {} output infos for {} outputs", label(n),
                 outs.size(), n.outputs.size());
    for (size_t j = 0; j < n.outputs.size(); ++j) {
      if (n.outputs[j].empty()) continue;
      // A shape from input (a --batch, a graph input's dims) may describe a tensor no machine
      // holds: refuse it here, with the numbers, before anything allocates or counts it.
      const Shape& s = outs[j].shape;
      if (std::all_of(s.begin(), s.end(), [](int64_t d) { return d >= 0; })) {
        const std::string what =
            fmt::format("{}: output \"{}\"", describe_node(n, idx), n.outputs[j]);
        SIEVE_ASSIGN_OR_RETURN(int64_t bytes, checked_bytes(s, outs[j].dtype, what));
        SIEVE_RETURN_IF_ERROR(
            check_memory(bytes, fmt::format("{} of shape {}", what, shape_str(s))));
      }
      g.values[n.outputs[j]] = outs[j];
    }
  }
  for (const std::string& out : g.outputs) {
    if (g.values.count(out) == 0) {
      return invalid_argument("graph output \"{}\" is not produced by any node or initializer",
                              out);
    }
  }
  return ok_status();
}

Status verify(Graph& g) {
  std::map<std::string, size_t> node_names;
  // Value name -> who defines it ("initializer" or a node description).
  std::map<std::string, std::string> defined;
  for (const auto& [name, t] : g.initializers) {
    if (name.empty()) return invalid_argument("an initializer has an empty name");
    defined[name] = "an initializer";
  }
  for (size_t idx = 0; idx < g.nodes.size(); ++idx) {
    const Node& n = g.nodes[idx];
    const std::string who = describe_node(n, idx);
    if (!n.name.empty()) {
      auto [it, fresh] = node_names.emplace(n.name, idx);
      if (!fresh) {
        return invalid_argument("{}: node name \"{}\" is also used by node #{}", who, n.name,
                                it->second);
      }
    }
    SIEVE_RETURN_IF_ERROR(check_known_attrs(n, who));
    if (n.op == OpKind::kInput && !n.inputs.empty()) {
      return invalid_argument("{}: an Input node takes no operands, {} given", who,
                              n.inputs.size());
    }
    for (size_t i = 0; i < n.inputs.size(); ++i) {
      const std::string& v = n.inputs[i];
      if (v.empty()) continue;
      if (defined.count(v) == 0) {
        const bool later = std::any_of(
            g.nodes.begin() + static_cast<std::ptrdiff_t>(idx), g.nodes.end(), [&](const Node& m) {
              return std::find(m.outputs.begin(), m.outputs.end(), v) != m.outputs.end();
            });
        return invalid_argument("{}: input \"{}\" (operand {}) is {}", who, v,
                                operand_name(n.op, i),
                                later ? "produced only by a later node (nodes must be in "
                                        "topological order)"
                                      : "not an initializer, a graph input or the output of "
                                        "any node");
      }
    }
    // Every output of LSTM/GRU is optional (ONNX); other ops need their first.
    const bool all_optional = n.op == OpKind::kLSTM || n.op == OpKind::kGRU;
    for (size_t j = 0; j < n.outputs.size(); ++j) {
      const std::string& v = n.outputs[j];
      if (v.empty()) {
        if (j == 0 && !all_optional) {
          return invalid_argument("{}: output #0 has an empty name", who);
        }
        continue;
      }
      auto [it, fresh] = defined.emplace(v, who);
      if (!fresh) {
        return invalid_argument("{}: output \"{}\" is already defined by {}", who, v, it->second);
      }
    }
  }
  if (g.outputs.empty()) return invalid_argument("the graph has no outputs");
  for (const std::string& out : g.outputs) {
    if (defined.count(out) == 0) {
      return invalid_argument("graph output \"{}\" is not produced by any node or initializer",
                              out);
    }
  }
  return infer_shapes(g);
}

}  // namespace sieve::ir
