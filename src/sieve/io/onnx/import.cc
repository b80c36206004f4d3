// ONNX -> Sieve IR. The mapping of each ONNX op (and of its legacy forms) onto ops.def lives
// in Importer::import_node; the glue (Constant folding, graph inputs, initializers) around it.
#include <fmt/ranges.h>
#include <onnx/onnx_pb.h>

#include <google/protobuf/io/coded_stream.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "sieve/core/atomic_file.h"
#include "sieve/io/onnx/onnx.h"
#include "sieve/io/onnx/proto_tensor.h"

namespace sieve::io {

namespace {

// The newest default-domain opset accepted. The op mappings below follow the ONNX operator
// changelog up to opset 21 (ONNX 1.16); a later opset may change an op's meaning, so it is
// refused rather than guessed at.
constexpr int64_t kMaxOpset = 21;
// Protobuf nesting accepted when parsing (messages within messages). A model is 3 levels, each
// subgraph (If/Loop bodies) adds 3 more; the importer takes no subgraph ops at all, and
// protobuf's own default is 100. Deeper input is refused, not recursed into.
constexpr int kMaxProtoNesting = 64;

// ParseFromString with kMaxProtoNesting as the recursion limit.
bool parse_limited(google::protobuf::MessageLite& m, const std::string& bytes) {
  if (bytes.size() > static_cast<size_t>(std::numeric_limits<int>::max())) return false;
  google::protobuf::io::CodedInputStream in(reinterpret_cast<const uint8_t*>(bytes.data()),
                                            static_cast<int>(bytes.size()));
  in.SetRecursionLimit(kMaxProtoNesting);
  return m.ParseFromCodedStream(&in) && in.ConsumedEntireMessage();
}

using ir::Attr;
using ir::OpKind;

// Every ONNX op type (default domain) the importer maps, with the Sieve op it becomes.
// Constant is folded into an initializer.
const std::map<std::string, std::string>& onnx_op_table() {
  static const std::map<std::string, std::string> kTable = {
      {"Add", "Add"},
      {"AveragePool", "AveragePool"},
      {"BatchNormalization", "BatchNormalization"},
      {"Concat", "Concat"},
      {"Constant", ""},
      {"Conv", "Conv"},
      {"Div", "Div"},
      {"Dropout", "Dropout"},
      {"Flatten", "Flatten"},
      {"GRU", "GRU"},
      {"Gemm", "FullyConnected"},
      {"GlobalAveragePool", "GlobalAveragePool"},
      {"GlobalMaxPool", "GlobalMaxPool"},
      {"Identity", "Identity"},
      {"LRN", "LRN"},
      {"LSTM", "LSTM"},
      {"LogSoftmax", "LogSoftmax"},
      {"MatMul", "MatMul"},
      {"MaxPool", "MaxPool"},
      {"Mul", "Mul"},
      {"Pad", "Pad"},
      {"Relu", "Relu"},
      {"Reshape", "Reshape"},
      {"Sigmoid", "Sigmoid"},
      {"Softmax", "Softmax"},
      {"Squeeze", "Squeeze"},
      {"Sub", "Sub"},
      {"Tanh", "Tanh"},
      {"Transpose", "Transpose"},
      {"Unsqueeze", "Unsqueeze"},
  };
  return kTable;
}

std::string attr_value_str(const Attr& a) {
  return std::visit(
      [](const auto& v) -> std::string {
        using T = std::decay_t<decltype(v)>;
        if constexpr (std::is_same_v<T, std::string>) {
          return "\"" + v + "\"";
        } else if constexpr (std::is_same_v<T, int64_t> || std::is_same_v<T, double>) {
          return fmt::format("{}", v);
        } else if constexpr (std::is_same_v<T, std::vector<std::string>>) {
          std::string s = "[";
          for (size_t i = 0; i < v.size(); ++i) s += (i ? ", \"" : "\"") + v[i] + "\"";
          return s + "]";
        } else {
          return fmt::format("[{}]", fmt::join(v, ", "));
        }
      },
      a);
}

class Importer {
 public:
  Importer(const onnx::ModelProto& model, std::string origin)
      : model_(model), origin_(std::move(origin)) {}

  Result<ir::Graph> run();

 private:
  // The attributes of one node, converted; handlers take what they understand and the rest
  // must be in the op's pass-through list.
  struct NodeCtx {
    const onnx::NodeProto* proto = nullptr;
    std::string where;  // "model.onnx: node "conv1" (Conv)"
    std::map<std::string, Attr> attrs;
    std::map<std::string, const onnx::TensorProto*> tensor_attrs;
    ir::Node node;
  };

  Status read_opsets();
  Status read_initializers();
  Status read_inputs();
  Status check_supported();
  Status import_node(const onnx::NodeProto& p, int index);
  Status fold_constant(NodeCtx& c);
  Status finish_outputs();

  // Moves the listed attributes from c.attrs into the IR node unchanged; `ignored` ones are
  // dropped; anything left is an error naming the attribute.
  Status pass_attrs(NodeCtx& c, std::initializer_list<const char*> pass,
                    std::initializer_list<const char*> ignored = {});
  std::optional<Attr> take(NodeCtx& c, const std::string& key);
  Result<int64_t> take_int(NodeCtx& c, const std::string& key, int64_t def);
  Result<std::vector<int64_t>> take_ints(NodeCtx& c, const std::string& key);

  // Adds an initializer under a fresh name derived from `hint`; returns the name.
  std::string add_initializer(const std::string& hint, Tensor t);
  std::string fresh_value(const std::string& hint);
  std::string fresh_node_name(const std::string& hint);
  Status rewrite_legacy_broadcast(NodeCtx& c);
  int64_t known_rank(const std::string& value) const;
  void propagate_rank(const ir::Node& n);
  Status define_outputs(const NodeCtx& c);

  const onnx::ModelProto& model_;
  std::string origin_;
  int64_t opset_ = 1;
  bool has_sieve_domain_ = false;
  bool no_default_opset_ = false;
  ir::Graph g_;
  std::set<std::string> defined_;         // values defined so far (inputs, initializers, outputs)
  std::set<std::string> node_names_;      // node names used so far
  std::map<std::string, int64_t> ranks_;  // known ranks (graph inputs, value_info, tensors)
  int counter_ = 0;
};

Status Importer::read_opsets() {
  bool found = false;
  for (const auto& os : model_.opset_import()) {
    if (os.domain().empty() || os.domain() == "ai.onnx") {
      opset_ = os.version();
      found = true;
    } else if (os.domain() == "ai.sieve") {
      has_sieve_domain_ = true;
    }
  }
  if (!found) {
    // IR version 1/2 models predate opset_import; they use opset 1. A model that imports
    // only other domains is reported by check_supported, which names its ops.
    no_default_opset_ = model_.opset_import_size() > 0;
    opset_ = 1;
  }
  if (opset_ < 1) return data_loss("{}: opset_import version {} is invalid", origin_, opset_);
  if (opset_ > kMaxOpset) {
    return unimplemented("{}: opset_import version {} is newer than the newest supported ({})",
                         origin_, opset_, kMaxOpset);
  }
  return ok_status();
}

Status Importer::read_initializers() {
  const auto& graph = model_.graph();
  if (graph.sparse_initializer_size() > 0) {
    return unimplemented("{}: sparse_initializer \"{}\" is not supported", origin_,
                         graph.sparse_initializer(0).values().name());
  }
  for (const auto& tp : graph.initializer()) {
    if (tp.name().empty()) return data_loss("{}: an initializer has no name", origin_);
    if (g_.initializers.count(tp.name())) {
      return data_loss("{}: initializer \"{}\" is defined twice", origin_, tp.name());
    }
    SIEVE_ASSIGN_OR_RETURN(Tensor t,
                           detail::tensor_from_proto(tp, fmt::format("{}: initializer", origin_)));
    ranks_[tp.name()] = t.rank();
    g_.initializers.emplace(tp.name(), std::move(t));
    defined_.insert(tp.name());
  }
  return ok_status();
}

Status Importer::read_inputs() {
  const auto& graph = model_.graph();
  for (const auto& vi : graph.value_info()) {
    if (vi.type().has_tensor_type() && vi.type().tensor_type().has_shape()) {
      ranks_[vi.name()] = vi.type().tensor_type().shape().dim_size();
    }
  }
  for (const auto& vi : graph.input()) {
    if (g_.initializers.count(vi.name())) continue;  // a weight listed as input (IR < 4)
    const std::string where = fmt::format("{}: graph input \"{}\"", origin_, vi.name());
    if (vi.name().empty()) return data_loss("{}: a graph input has no name", origin_);
    if (!vi.type().has_tensor_type()) {
      return unimplemented(
          "{}: only tensor inputs are supported (not sequence, map or "
          "optional types)",
          where);
    }
    const auto& tt = vi.type().tensor_type();
    SIEVE_ASSIGN_OR_RETURN(DType dtype, detail::dtype_from_onnx(tt.elem_type(), where));
    ir::Node n;
    n.op = OpKind::kInput;
    n.name = vi.name();
    n.outputs = {vi.name()};
    n.attrs["dtype"] = static_cast<int64_t>(dtype);
    if (tt.has_shape()) {
      std::vector<int64_t> shape;
      for (const auto& d : tt.shape().dim()) {
        if (d.has_dim_value() && d.dim_value() < 0) {
          std::vector<std::string> dims;
          for (const auto& e : tt.shape().dim()) {
            dims.push_back(e.has_dim_value() ? std::to_string(e.dim_value())
                                             : e.has_dim_param() ? e.dim_param() : "?");
          }
          return data_loss("{}: dims [{}]: dimension {} is negative ({}); ONNX marks an unknown "
                           "size with dim_param or no value, not a negative one",
                           where, fmt::join(dims, ","), shape.size(), d.dim_value());
        }
        shape.push_back(d.has_dim_value() ? d.dim_value() : -1);
      }
      ranks_[vi.name()] = static_cast<int64_t>(shape.size());
      n.attrs["shape"] = std::move(shape);
    }
    if (!defined_.insert(vi.name()).second) {
      return data_loss("{}: graph input \"{}\" is defined twice", origin_, vi.name());
    }
    node_names_.insert(n.name);
    g_.nodes.push_back(std::move(n));
  }
  return ok_status();
}

Status Importer::check_supported() {
  // Report every unsupported op of the model at once, by name.
  std::vector<std::string> bad;
  std::string first_node;
  for (int i = 0; i < model_.graph().node_size(); ++i) {
    const auto& p = model_.graph().node(i);
    bool ok;
    if (p.domain().empty() || p.domain() == "ai.onnx") {
      ok = onnx_op_table().count(p.op_type()) != 0;
    } else {
      ok = has_sieve_domain_ && p.domain() == "ai.sieve" && p.op_type() == "LSTM";
    }
    if (ok) continue;
    std::string op = p.domain().empty() || p.domain() == "ai.onnx" ? p.op_type()
                                                                   : p.domain() + "." + p.op_type();
    if (std::find(bad.begin(), bad.end(), op) == bad.end()) bad.push_back(op);
    if (first_node.empty()) first_node = p.name().empty() ? fmt::format("#{}", i) : p.name();
  }
  if (bad.empty()) return ok_status();
  return unimplemented("{}: unsupported ONNX op{} {} (first at node \"{}\"); supported ops: {}",
                       origin_, bad.size() > 1 ? "s" : "", fmt::join(bad, ", "), first_node,
                       supported_onnx_ops_str());
}

std::optional<Attr> Importer::take(NodeCtx& c, const std::string& key) {
  auto it = c.attrs.find(key);
  if (it == c.attrs.end()) return std::nullopt;
  Attr a = std::move(it->second);
  c.attrs.erase(it);
  return a;
}

Result<int64_t> Importer::take_int(NodeCtx& c, const std::string& key, int64_t def) {
  auto a = take(c, key);
  if (!a) return def;
  if (const auto* v = std::get_if<int64_t>(&*a)) return *v;
  return invalid_argument("{}: attribute {} should be an int, got {}", c.where, key,
                          attr_value_str(*a));
}

Result<std::vector<int64_t>> Importer::take_ints(NodeCtx& c, const std::string& key) {
  auto a = take(c, key);
  if (!a) return std::vector<int64_t>{};
  if (const auto* v = std::get_if<std::vector<int64_t>>(&*a)) return *v;
  return invalid_argument("{}: attribute {} should be ints, got {}", c.where, key,
                          attr_value_str(*a));
}

Status Importer::pass_attrs(NodeCtx& c, std::initializer_list<const char*> pass,
                            std::initializer_list<const char*> ignored) {
  for (const char* k : pass) {
    auto a = take(c, k);
    if (a) c.node.attrs[k] = std::move(*a);
  }
  for (const char* k : ignored) {
    c.attrs.erase(k);
    c.tensor_attrs.erase(k);
  }
  if (!c.attrs.empty() || !c.tensor_attrs.empty()) {
    std::string k = !c.attrs.empty() ? c.attrs.begin()->first : c.tensor_attrs.begin()->first;
    std::string v = !c.attrs.empty() ? attr_value_str(c.attrs.begin()->second) : "<tensor>";
    return unimplemented("{}: attribute {}={} is not supported at opset {}", c.where, k, v, opset_);
  }
  return ok_status();
}

std::string Importer::fresh_value(const std::string& hint) {
  std::string name = hint;
  while (defined_.count(name) || g_.initializers.count(name)) {
    name = fmt::format("{}_{}", hint, ++counter_);
  }
  defined_.insert(name);
  return name;
}

std::string Importer::fresh_node_name(const std::string& hint) {
  std::string name = hint;
  while (node_names_.count(name)) name = fmt::format("{}_{}", hint, ++counter_);
  node_names_.insert(name);
  return name;
}

std::string Importer::add_initializer(const std::string& hint, Tensor t) {
  std::string name = fresh_value(hint);
  ranks_[name] = t.rank();
  g_.initializers.emplace(name, std::move(t));
  return name;
}

int64_t Importer::known_rank(const std::string& value) const {
  auto it = ranks_.find(value);
  return it == ranks_.end() ? -1 : it->second;
}

// Opset < 7 Add/Sub/Mul/Div: with broadcast=1, B's dims align with A's starting at `axis`
// (default: suffix alignment, which is numpy's rule). Rewrite B so numpy rules give the same.
Status Importer::rewrite_legacy_broadcast(NodeCtx& c) {
  SIEVE_ASSIGN_OR_RETURN(int64_t broadcast, take_int(c, "broadcast", 0));
  auto axis_attr = take(c, "axis");
  if (broadcast == 0 || !axis_attr) return ok_status();
  const int64_t* axis_p = std::get_if<int64_t>(&*axis_attr);
  if (axis_p == nullptr) {
    return invalid_argument("{}: attribute axis should be an int", c.where);
  }
  if (c.node.inputs.size() != 2) {
    return invalid_argument("{}: expected 2 inputs, got {}", c.where, c.node.inputs.size());
  }
  const std::string& a = c.node.inputs[0];
  const std::string& b = c.node.inputs[1];
  int64_t ra = known_rank(a);
  int64_t rb = known_rank(b);
  if (ra < 0 || rb < 0) {
    return unimplemented(
        "{}: legacy broadcast with axis={} needs the ranks of both inputs, "
        "which are unknown here",
        c.where, *axis_p);
  }
  int64_t axis = *axis_p < 0 ? *axis_p + ra : *axis_p;
  if (axis < 0 || axis + rb > ra) {
    return invalid_argument("{}: broadcast axis={} does not fit input ranks {} and {}", c.where,
                            *axis_p, ra, rb);
  }
  int64_t trailing = ra - axis - rb;
  if (trailing == 0) return ok_status();  // already numpy (suffix) alignment
  if (const Tensor* t = g_.initializer(b)) {
    Shape s = t->shape();
    for (int64_t i = 0; i < trailing; ++i) s.push_back(1);
    c.node.inputs[1] = add_initializer(b + "_bcast", t->reshaped(s));
    return ok_status();
  }
  // B is computed: unsqueeze it with an explicit node.
  std::vector<int64_t> axes;
  for (int64_t i = 0; i < trailing; ++i) axes.push_back(rb + i);
  ir::Node u;
  u.op = OpKind::kUnsqueeze;
  u.name = fresh_node_name(c.node.name + "_bcast");
  u.inputs = {b, add_initializer(c.node.name + "_bcast_axes",
                                 Tensor::from_i64({static_cast<int64_t>(axes.size())}, axes))};
  std::string out = fresh_value(b + "_bcast");
  u.outputs = {out};
  ranks_[out] = ra - axis;
  g_.nodes.push_back(std::move(u));
  c.node.inputs[1] = out;
  return ok_status();
}

// Output ranks of the ops that keep or broadcast their input's rank, so that a later legacy
// broadcast (opset < 7) can be rewritten without full shape inference.
void Importer::propagate_rank(const ir::Node& n) {
  if (n.outputs.empty() || n.inputs.empty()) return;
  int64_t r = known_rank(n.inputs[0]);
  switch (n.op) {
    case OpKind::kAdd:
    case OpKind::kSub:
    case OpKind::kMul:
    case OpKind::kDiv: {
      int64_t rb = known_rank(n.input(1));
      r = (r < 0 || rb < 0) ? -1 : std::max(r, rb);
      break;
    }
    case OpKind::kConv:
    case OpKind::kMaxPool:
    case OpKind::kAveragePool:
    case OpKind::kGlobalAveragePool:
    case OpKind::kGlobalMaxPool:
    case OpKind::kRelu:
    case OpKind::kSigmoid:
    case OpKind::kTanh:
    case OpKind::kSoftmax:
    case OpKind::kLogSoftmax:
    case OpKind::kBatchNorm:
    case OpKind::kLRN:
    case OpKind::kConcat:
    case OpKind::kTranspose:
    case OpKind::kPad:
    case OpKind::kDropout:
    case OpKind::kIdentity: break;
    case OpKind::kFlatten:
    case OpKind::kFullyConnected: r = 2; break;
    case OpKind::kInput:
    case OpKind::kMatMul:
    case OpKind::kReshape:
    case OpKind::kSqueeze:
    case OpKind::kUnsqueeze:
    case OpKind::kLSTM:
    case OpKind::kGRU: r = -1; break;
  }
  if (r >= 0) ranks_[n.outputs[0]] = r;
}

Status Importer::fold_constant(NodeCtx& c) {
  const auto& p = *c.proto;
  if (p.output_size() != 1) {
    return invalid_argument("{}: expected 1 output, got {}", c.where, p.output_size());
  }
  Tensor t;
  int found = 0;
  if (auto it = c.tensor_attrs.find("value"); it != c.tensor_attrs.end()) {
    SIEVE_ASSIGN_OR_RETURN(t, detail::tensor_from_proto(*it->second, c.where));
    c.tensor_attrs.erase(it);
    ++found;
  }
  if (auto a = take(c, "value_float")) {
    const double* v = std::get_if<double>(&*a);
    if (!v) return invalid_argument("{}: value_float should be a float", c.where);
    t = Tensor::from_f32({}, {static_cast<float>(*v)});
    ++found;
  }
  if (auto a = take(c, "value_floats")) {
    const auto* v = std::get_if<std::vector<double>>(&*a);
    if (!v) return invalid_argument("{}: value_floats should be floats", c.where);
    std::vector<float> f(v->begin(), v->end());
    t = Tensor::from_f32({static_cast<int64_t>(f.size())}, f);
    ++found;
  }
  if (auto a = take(c, "value_int")) {
    const int64_t* v = std::get_if<int64_t>(&*a);
    if (!v) return invalid_argument("{}: value_int should be an int", c.where);
    t = Tensor::from_i64({}, std::vector<int64_t>{*v});
    ++found;
  }
  if (auto a = take(c, "value_ints")) {
    const auto* v = std::get_if<std::vector<int64_t>>(&*a);
    if (!v) return invalid_argument("{}: value_ints should be ints", c.where);
    t = Tensor::from_i64({static_cast<int64_t>(v->size())}, *v);
    ++found;
  }
  SIEVE_RETURN_IF_ERROR(pass_attrs(c, {}));  // sparse_value, value_string(s): unsupported
  if (found != 1) {
    return invalid_argument("{}: expected exactly one value attribute, got {}", c.where, found);
  }
  const std::string& out = p.output(0);
  if (!defined_.insert(out).second) {
    return invalid_argument("{}: output \"{}\" is already defined", c.where, out);
  }
  ranks_[out] = t.rank();
  g_.initializers.emplace(out, std::move(t));
  return ok_status();
}

Status Importer::define_outputs(const NodeCtx& c) {
  for (const std::string& o : c.node.outputs) {
    if (o.empty()) continue;
    if (!defined_.insert(o).second) {
      return invalid_argument(
          "{}: output \"{}\" is already defined (ONNX values are assigned "
          "once)",
          c.where, o);
    }
  }
  return ok_status();
}

Result<Attr> convert_attr(const onnx::AttributeProto& a, const std::string& where) {
  auto type = a.type();
  if (type == onnx::AttributeProto_AttributeType_UNDEFINED) {
    // Very old models leave `type` unset; infer it from the field that is set.
    if (a.has_f())
      type = onnx::AttributeProto_AttributeType_FLOAT;
    else if (a.has_i())
      type = onnx::AttributeProto_AttributeType_INT;
    else if (a.has_s())
      type = onnx::AttributeProto_AttributeType_STRING;
    else if (a.has_t())
      type = onnx::AttributeProto_AttributeType_TENSOR;
    else if (a.floats_size() > 0)
      type = onnx::AttributeProto_AttributeType_FLOATS;
    else if (a.ints_size() > 0)
      type = onnx::AttributeProto_AttributeType_INTS;
    else if (a.strings_size() > 0)
      type = onnx::AttributeProto_AttributeType_STRINGS;
  }
  switch (type) {
    case onnx::AttributeProto_AttributeType_FLOAT: return Attr(static_cast<double>(a.f()));
    case onnx::AttributeProto_AttributeType_INT: return Attr(static_cast<int64_t>(a.i()));
    case onnx::AttributeProto_AttributeType_STRING: return Attr(a.s());
    case onnx::AttributeProto_AttributeType_FLOATS:
      return Attr(std::vector<double>(a.floats().begin(), a.floats().end()));
    case onnx::AttributeProto_AttributeType_INTS:
      return Attr(std::vector<int64_t>(a.ints().begin(), a.ints().end()));
    case onnx::AttributeProto_AttributeType_STRINGS:
      return Attr(std::vector<std::string>(a.strings().begin(), a.strings().end()));
    default: break;
  }
  return unimplemented("{}: attribute {} has type {}, which is not supported", where, a.name(),
                       onnx::AttributeProto_AttributeType_Name(type));
}

Status Importer::import_node(const onnx::NodeProto& p, int index) {
  NodeCtx c;
  c.proto = &p;
  const std::string display = p.name().empty() ? fmt::format("#{}", index) : p.name();
  c.where = fmt::format("{}: node \"{}\" ({})", origin_, display, p.op_type());
  for (const auto& a : p.attribute()) {
    if (a.type() == onnx::AttributeProto_AttributeType_TENSOR ||
        (a.type() == onnx::AttributeProto_AttributeType_UNDEFINED && a.has_t())) {
      c.tensor_attrs[a.name()] = &a.t();
      continue;
    }
    if (a.type() == onnx::AttributeProto_AttributeType_SPARSE_TENSOR) {
      return unimplemented("{}: sparse tensor attribute {} is not supported", c.where, a.name());
    }
    SIEVE_ASSIGN_OR_RETURN(Attr v, convert_attr(a, c.where));
    c.attrs[a.name()] = std::move(v);
  }
  // Inputs must be defined earlier (nodes are in topological order).
  for (const std::string& in : p.input()) {
    if (!in.empty() && !defined_.count(in)) {
      return invalid_argument(
          "{}: input \"{}\" is not defined by an earlier node, a graph "
          "input or an initializer",
          c.where, in);
    }
  }
  const std::string& op = p.op_type();
  if (op == "Constant") return fold_constant(c);

  const bool sieve_domain = p.domain() == "ai.sieve";
  const std::string ir_name = onnx_op_table().at(op);
  auto kind = ir::op_from_name(ir_name.empty() ? op : ir_name);
  SIEVE_ASSERT(kind.has_value(), "ONNX op table maps {} to unknown op {}", op, ir_name);
  c.node.op = *kind;
  c.node.name = fresh_node_name(p.name().empty() ? fmt::format("{}_{}", op, index) : p.name());
  c.node.inputs.assign(p.input().begin(), p.input().end());
  c.node.outputs.assign(p.output().begin(), p.output().end());
  while (!c.node.outputs.empty() && c.node.outputs.back().empty()) c.node.outputs.pop_back();
  auto& n = c.node;

  switch (n.op) {
    case OpKind::kFullyConnected: {
      // Gemm: ONNX's transB default is 0, Sieve's trans_b default is 1: always write it.
      if (auto ta = take(c, "transA")) n.attrs["trans_a"] = std::move(*ta);
      SIEVE_ASSIGN_OR_RETURN(int64_t tb, take_int(c, "transB", 0));
      n.attrs["trans_b"] = tb;
      // `broadcast` (opset < 7) only allowed C to broadcast, which numpy rules cover.
      SIEVE_RETURN_IF_ERROR(pass_attrs(c, {"alpha", "beta"}, {"broadcast"}));
      break;
    }
    case OpKind::kMatMul:
    case OpKind::kGlobalAveragePool:
    case OpKind::kGlobalMaxPool:
    case OpKind::kIdentity: SIEVE_RETURN_IF_ERROR(pass_attrs(c, {})); break;
    case OpKind::kConv:
      SIEVE_RETURN_IF_ERROR(
          pass_attrs(c, {"kernel_shape", "strides", "pads", "dilations", "group", "auto_pad"}));
      break;
    case OpKind::kMaxPool:
      if (n.outputs.size() > 1) {
        return unimplemented("{}: the second output (Indices) of MaxPool is not supported",
                             c.where);
      }
      // storage_order only affects the Indices output.
      SIEVE_RETURN_IF_ERROR(
          pass_attrs(c, {"kernel_shape", "strides", "pads", "dilations", "ceil_mode", "auto_pad"},
                     {"storage_order"}));
      break;
    case OpKind::kAveragePool:
      SIEVE_RETURN_IF_ERROR(pass_attrs(c, {"kernel_shape", "strides", "pads", "dilations",
                                           "ceil_mode", "auto_pad", "count_include_pad"}));
      break;
    case OpKind::kRelu:
    case OpKind::kSigmoid:
    case OpKind::kTanh: SIEVE_RETURN_IF_ERROR(pass_attrs(c, {}, {"consumed_inputs"})); break;
    case OpKind::kSoftmax:
    case OpKind::kLogSoftmax:
      if (opset_ < 13) {
        // Softmax-1/11: flatten to 2-D at `axis` (default 1), normalise each row.
        SIEVE_ASSIGN_OR_RETURN(int64_t axis, take_int(c, "axis", 1));
        n.attrs["axis"] = axis;
        n.attrs["coerce_2d"] = int64_t{1};
      }
      SIEVE_RETURN_IF_ERROR(pass_attrs(c, {"axis"}));
      break;
    case OpKind::kBatchNorm: {
      SIEVE_ASSIGN_OR_RETURN(int64_t training, take_int(c, "training_mode", 0));
      // is_test (opset < 7): an explicit 0 asks for batch statistics (training).
      SIEVE_ASSIGN_OR_RETURN(int64_t is_test, take_int(c, "is_test", 1));
      SIEVE_ASSIGN_OR_RETURN(int64_t spatial, take_int(c, "spatial", 1));
      if (training != 0 || n.outputs.size() > 1) {
        return unimplemented(
            "{}: training-mode BatchNormalization (training_mode={}, {} "
            "outputs) is not supported; only inference with running "
            "statistics is",
            c.where, training, n.outputs.size());
      }
      if (is_test == 0) {
        return unimplemented(
            "{}: BatchNormalization with is_test=0 (training) is not "
            "supported",
            c.where);
      }
      if (spatial == 0) {
        return unimplemented(
            "{}: BatchNormalization with spatial=0 (per-activation "
            "statistics) is not supported",
            c.where);
      }
      if (n.inputs.size() != 5) {
        return invalid_argument("{}: expected 5 inputs (X, scale, B, mean, var), got {}", c.where,
                                n.inputs.size());
      }
      // momentum only matters in training; consumed_inputs is an opset-1 leftover.
      SIEVE_RETURN_IF_ERROR(pass_attrs(c, {"epsilon"}, {"momentum", "consumed_inputs"}));
      break;
    }
    case OpKind::kLRN:
      SIEVE_RETURN_IF_ERROR(pass_attrs(c, {"size", "alpha", "beta", "bias"}));
      break;
    case OpKind::kAdd:
    case OpKind::kSub:
    case OpKind::kMul:
    case OpKind::kDiv:
      if (opset_ < 7) SIEVE_RETURN_IF_ERROR(rewrite_legacy_broadcast(c));
      SIEVE_RETURN_IF_ERROR(pass_attrs(c, {}, {"consumed_inputs"}));
      break;
    case OpKind::kConcat:
      if (opset_ < 4 && !c.attrs.count("axis")) n.attrs["axis"] = int64_t{1};
      SIEVE_RETURN_IF_ERROR(pass_attrs(c, {"axis"}));
      break;
    case OpKind::kFlatten: SIEVE_RETURN_IF_ERROR(pass_attrs(c, {"axis"})); break;
    case OpKind::kReshape:
      if (c.attrs.count("shape")) {
        // Reshape-1: the target shape is an attribute.
        SIEVE_ASSIGN_OR_RETURN(auto shape, take_ints(c, "shape"));
        n.inputs.resize(1);
        n.inputs.push_back(add_initializer(
            n.name + "_shape", Tensor::from_i64({static_cast<int64_t>(shape.size())}, shape)));
      }
      SIEVE_RETURN_IF_ERROR(pass_attrs(c, {"allowzero"}, {"consumed_inputs"}));
      break;
    case OpKind::kTranspose: SIEVE_RETURN_IF_ERROR(pass_attrs(c, {"perm"})); break;
    case OpKind::kSqueeze:
    case OpKind::kUnsqueeze:
      if (c.attrs.count("axes")) {
        // Opset < 13: axes is an attribute; opset 13 made it an (optional) input.
        SIEVE_ASSIGN_OR_RETURN(auto axes, take_ints(c, "axes"));
        n.inputs.resize(1);
        n.inputs.push_back(add_initializer(
            n.name + "_axes", Tensor::from_i64({static_cast<int64_t>(axes.size())}, axes)));
      }
      SIEVE_RETURN_IF_ERROR(pass_attrs(c, {}));
      break;
    case OpKind::kPad: {
      if (opset_ < 11) {
        // Pad-1/2: pads (`paddings` in Pad-1) and value are attributes.
        auto pads_attr = c.attrs.count("pads") ? "pads" : "paddings";
        SIEVE_ASSIGN_OR_RETURN(auto pads, take_ints(c, pads_attr));
        if (pads.empty()) {
          return invalid_argument("{}: attribute pads is missing", c.where);
        }
        double value = 0;
        if (auto v = take(c, "value")) {
          if (const double* d = std::get_if<double>(&*v))
            value = *d;
          else if (const int64_t* i = std::get_if<int64_t>(&*v))
            value = static_cast<double>(*i);
        }
        n.inputs.resize(1);
        n.inputs.push_back(add_initializer(
            n.name + "_pads", Tensor::from_i64({static_cast<int64_t>(pads.size())}, pads)));
        if (value != 0) {
          n.inputs.push_back(add_initializer(n.name + "_value",
                                             Tensor::from_f32({}, {static_cast<float>(value)})));
        }
      } else if (n.inputs.size() > 3 && !n.inputs[3].empty()) {
        return unimplemented("{}: Pad with an axes input (opset 18) is not supported", c.where);
      }
      SIEVE_RETURN_IF_ERROR(pass_attrs(c, {"mode"}));
      break;
    }
    case OpKind::kDropout: {
      // Inference: Dropout is the identity. A constant training_mode=true with a non-zero
      // ratio would ask for random masks, which we refuse.
      if (n.inputs.size() > 2 && !n.inputs[2].empty()) {
        const Tensor* tm = g_.initializer(n.inputs[2]);
        const Tensor* ratio = n.inputs[1].empty() ? nullptr : g_.initializer(n.inputs[1]);
        bool training = tm != nullptr && tm->numel() == 1 && tm->dtype() == DType::kU8 &&
                        tm->data<uint8_t>()[0] != 0;
        bool zero_ratio = ratio != nullptr && ratio->dtype() == DType::kF32 &&
                          ratio->numel() == 1 && ratio->data<float>()[0] == 0.0f;
        if (training && !zero_ratio) {
          return unimplemented("{}: Dropout in training mode (random masks) is not supported",
                               c.where);
        }
      }
      // ratio/seed/is_test (opset < 12) have no effect at inference.
      SIEVE_RETURN_IF_ERROR(pass_attrs(c, {}, {"ratio", "seed", "is_test", "consumed_inputs"}));
      break;
    }
    case OpKind::kLSTM:
      if (sieve_domain) {
        SIEVE_RETURN_IF_ERROR(
            pass_attrs(c, {"hidden_size", "direction", "layout", "input_forget", "clip",
                           "activations", "activation_alpha", "activation_beta", "proj_size"}));
      } else {
        // output_sequence (LSTM-1) only says whether Y is wanted; the outputs list says it too.
        SIEVE_RETURN_IF_ERROR(
            pass_attrs(c,
                       {"hidden_size", "direction", "layout", "input_forget", "clip", "activations",
                        "activation_alpha", "activation_beta"},
                       {"output_sequence"}));
      }
      break;
    case OpKind::kGRU:
      SIEVE_RETURN_IF_ERROR(
          pass_attrs(c,
                     {"hidden_size", "direction", "layout", "linear_before_reset", "clip",
                      "activations", "activation_alpha", "activation_beta"},
                     {"output_sequence"}));
      break;
    case OpKind::kInput: SIEVE_ASSERT(false, "Input is not an ONNX op"); break;
  }
  // Trailing omitted optional inputs carry no information.
  while (!n.inputs.empty() && n.inputs.back().empty()) n.inputs.pop_back();
  propagate_rank(n);
  SIEVE_RETURN_IF_ERROR(define_outputs(c));
  g_.nodes.push_back(std::move(c.node));
  return ok_status();
}

Status Importer::finish_outputs() {
  for (const auto& vi : model_.graph().output()) {
    const std::string& name = vi.name();
    if (!defined_.count(name)) {
      return invalid_argument("{}: graph output \"{}\" is not produced by any node", origin_, name);
    }
    if (g_.is_initializer(name)) {
      // A constant graph output (e.g. a folded Constant): keep the value under a new name and
      // produce the output with an Identity so every graph output comes from a node.
      Tensor t = g_.initializers.at(name);
      g_.initializers.erase(name);
      std::string src = fresh_value(name + "_const");
      g_.initializers.emplace(src, std::move(t));
      // Nodes that read the constant keep reading it under its new name.
      for (ir::Node& n : g_.nodes) {
        for (std::string& in : n.inputs) {
          if (in == name) in = src;
        }
      }
      ir::Node id;
      id.op = OpKind::kIdentity;
      id.name = fresh_node_name(name + "_output");
      id.inputs = {src};
      id.outputs = {name};
      g_.nodes.push_back(std::move(id));
    }
    g_.outputs.push_back(name);
  }
  return ok_status();
}

Result<ir::Graph> Importer::run() {
  if (!model_.has_graph()) {
    return data_loss("{}: not an ONNX model (no graph in the ModelProto)", origin_);
  }
  if (!model_.has_ir_version()) {
    return data_loss("{}: not an ONNX model (no ir_version in the ModelProto)", origin_);
  }
  if (model_.ir_version() < 1) {
    return data_loss("{}: ir_version {} is invalid (ONNX IR versions start at 1)", origin_,
                     model_.ir_version());
  }
  const auto& graph = model_.graph();
  g_.name = graph.name();
  SIEVE_RETURN_IF_ERROR(read_opsets());
  SIEVE_RETURN_IF_ERROR(check_supported());
  if (no_default_opset_) {
    return unimplemented("{}: the model imports no default-domain (ai.onnx) opset", origin_);
  }
  SIEVE_RETURN_IF_ERROR(read_initializers());
  SIEVE_RETURN_IF_ERROR(read_inputs());
  for (int i = 0; i < graph.node_size(); ++i) {
    SIEVE_RETURN_IF_ERROR(import_node(graph.node(i), i));
  }
  SIEVE_RETURN_IF_ERROR(finish_outputs());
  if (g_.outputs.empty()) return invalid_argument("{}: the graph has no outputs", origin_);
  return std::move(g_);
}

}  // namespace

std::vector<std::string> supported_onnx_ops() {
  std::vector<std::string> ops;
  for (const auto& [k, v] : onnx_op_table()) ops.push_back(k);
  return ops;  // std::map keeps them sorted
}

std::string supported_onnx_ops_str() {
  return fmt::format("{}", fmt::join(supported_onnx_ops(), ", "));
}

Result<ir::Graph> import_onnx_bytes(const std::string& bytes, const std::string& origin) {
  if (bytes.empty()) return data_loss("{}: empty file, not an ONNX model", origin);
  onnx::ModelProto model;
  if (!parse_limited(model, bytes)) {
    return data_loss(
        "{}: not a valid ONNX model (protobuf parse failed: the file is truncated, corrupt, not "
        "an ONNX ModelProto, or nested more than {} messages deep; {} bytes)",
        origin, kMaxProtoNesting, bytes.size());
  }
  return Importer(model, origin).run();
}

Result<ir::Graph> import_onnx(const std::string& path) {
  SIEVE_ASSIGN_OR_RETURN(std::string bytes, read_file(path));
  return import_onnx_bytes(bytes, path);
}

Result<Tensor> parse_tensor_pb(const std::string& bytes, const std::string& origin) {
  onnx::TensorProto p;
  if (!parse_limited(p, bytes)) {
    return data_loss(
        "{}: not a valid TensorProto (protobuf parse failed: truncated, corrupt or nested more "
        "than {} messages deep; {} bytes)",
        origin, kMaxProtoNesting, bytes.size());
  }
  return detail::tensor_from_proto(p, origin);
}

Result<Tensor> read_tensor_pb(const std::string& path) {
  SIEVE_ASSIGN_OR_RETURN(std::string bytes, read_file(path));
  return parse_tensor_pb(bytes, path);
}

Result<std::string> tensor_pb_name(const std::string& path) {
  SIEVE_ASSIGN_OR_RETURN(std::string bytes, read_file(path));
  onnx::TensorProto p;
  if (!p.ParseFromString(bytes)) {
    return data_loss("{}: not a valid TensorProto (protobuf parse failed)", path);
  }
  return p.name();
}

Result<std::string> serialize_tensor_pb(const Tensor& t, const std::string& name) {
  onnx::TensorProto p;
  detail::tensor_to_proto(t, name, &p);
  std::string out;
  if (!p.SerializeToString(&out)) return internal_error("cannot serialize tensor \"{}\"", name);
  return out;
}

}  // namespace sieve::io
