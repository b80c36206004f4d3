// Sieve IR -> ONNX. Every node maps to one ONNX node of the same name and operands, except
// FullyConnected (-> Gemm), Softmax/LogSoftmax with coerce_2d (-> the opset-13 form when the
// axis is the last one, else Flatten + Softmax + Reshape), and attribute forms of
// Squeeze/Unsqueeze axes and Pad pads/value (-> i64/f32 initializers). Attribute types are
// taken from ONNX's own op schemas, so an int stored for a float attribute is written as a
// float, and an attribute ONNX does not know is an error naming the node.
#include <fmt/ranges.h>
#include <onnx/checker.h>
#include <onnx/defs/schema.h>
#include <onnx/onnx_pb.h>

#include <set>
#include <string>
#include <vector>

#include "sieve/core/atomic_file.h"
#include "sieve/io/onnx/onnx.h"
#include "sieve/io/onnx/proto_tensor.h"
#include "sieve/ir/shape_inference.h"

namespace sieve::io {

namespace {

using ir::Attr;
using ir::OpKind;

constexpr int64_t kBaseOpset = 13;
constexpr const char* kSieveDomain = "ai.sieve";

bool is_lstm_projection(const ir::Node& n) {
  return n.op == OpKind::kLSTM && (n.attr_int("proj_size", 0) > 0 || n.has_input(8));
}

class Exporter {
 public:
  Exporter(const ir::Graph& g, const ExportOptions& opts) : g_(g), opts_(opts) {}
  Result<std::string> run();

 private:
  Status add_node(const ir::Node& n);
  Status write_attrs(const ir::Node& n, onnx::NodeProto* p, const std::set<std::string>& skip,
                     const std::map<std::string, std::string>& rename = {});
  Status write_attr(const ir::Node& n, const std::string& key, const Attr& v,
                    const onnx::OpSchema* schema, onnx::NodeProto* p);
  std::string fresh(const std::string& hint);
  std::string add_i64_initializer(const std::string& hint, const std::vector<int64_t>& v);
  onnx::NodeProto* new_node(const ir::Node& n, const std::string& op_type);
  void fill_value_info(const std::string& name, onnx::ValueInfoProto* vi);
  std::string where(const ir::Node& n) const {
    return fmt::format("node \"{}\" ({})", n.name, ir::op_name(n.op));
  }

  const ir::Graph& g_;
  ExportOptions opts_;
  ir::Graph shaped_;  // g_ with inferred value shapes, where inference succeeded
  onnx::ModelProto model_;
  onnx::GraphProto* graph_ = nullptr;
  int64_t opset_ = kBaseOpset;
  bool sieve_domain_ = false;
  std::set<std::string> names_;
};

std::string Exporter::fresh(const std::string& hint) {
  std::string name = hint;
  for (int i = 1; names_.count(name); ++i) name = fmt::format("{}_{}", hint, i);
  names_.insert(name);
  return name;
}

std::string Exporter::add_i64_initializer(const std::string& hint, const std::vector<int64_t>& v) {
  std::string name = fresh(hint);
  detail::tensor_to_proto(Tensor::from_i64({static_cast<int64_t>(v.size())}, v), name,
                          graph_->add_initializer());
  return name;
}

onnx::NodeProto* Exporter::new_node(const ir::Node& n, const std::string& op_type) {
  onnx::NodeProto* p = graph_->add_node();
  p->set_name(n.name);
  p->set_op_type(op_type);
  for (const std::string& in : n.inputs) p->add_input(in);
  for (const std::string& out : n.outputs) p->add_output(out);
  return p;
}

Status Exporter::write_attr(const ir::Node& n, const std::string& key, const Attr& v,
                            const onnx::OpSchema* schema, onnx::NodeProto* p) {
  onnx::AttributeProto* a = p->add_attribute();
  a->set_name(key);
  using AT = onnx::AttributeProto;
  AT::AttributeType want = AT::UNDEFINED;
  if (schema != nullptr) {
    auto it = schema->attributes().find(key);
    if (it == schema->attributes().end()) {
      return invalid_argument("{}: attribute {} is not an attribute of ONNX {} (opset {})",
                              where(n), key, p->op_type(), opset_);
    }
    want = it->second.type;
  } else {
    // No schema (custom domain): write what the value holds.
    want = std::visit(
        [](const auto& x) {
          using T = std::decay_t<decltype(x)>;
          if constexpr (std::is_same_v<T, int64_t>) return AT::INT;
          if constexpr (std::is_same_v<T, double>) return AT::FLOAT;
          if constexpr (std::is_same_v<T, std::string>) return AT::STRING;
          if constexpr (std::is_same_v<T, std::vector<int64_t>>) return AT::INTS;
          if constexpr (std::is_same_v<T, std::vector<double>>) return AT::FLOATS;
          return AT::STRINGS;
        },
        v);
  }
  a->set_type(want);
  auto mismatch = [&]() {
    return invalid_argument("{}: attribute {} has the wrong type for ONNX {} (expected {})",
                            where(n), key, p->op_type(), AT::AttributeType_Name(want));
  };
  switch (want) {
    case AT::FLOAT:
      if (const double* d = std::get_if<double>(&v))
        a->set_f(static_cast<float>(*d));
      else if (const int64_t* i = std::get_if<int64_t>(&v))
        a->set_f(static_cast<float>(*i));
      else
        return mismatch();
      break;
    case AT::INT:
      if (const int64_t* i = std::get_if<int64_t>(&v))
        a->set_i(*i);
      else
        return mismatch();
      break;
    case AT::STRING:
      if (const auto* s = std::get_if<std::string>(&v))
        a->set_s(*s);
      else
        return mismatch();
      break;
    case AT::FLOATS:
      if (const auto* d = std::get_if<std::vector<double>>(&v)) {
        for (double x : *d) a->add_floats(static_cast<float>(x));
      } else if (const auto* i = std::get_if<std::vector<int64_t>>(&v)) {
        for (int64_t x : *i) a->add_floats(static_cast<float>(x));
      } else {
        return mismatch();
      }
      break;
    case AT::INTS:
      if (const auto* i = std::get_if<std::vector<int64_t>>(&v)) {
        for (int64_t x : *i) a->add_ints(x);
      } else {
        return mismatch();
      }
      break;
    case AT::STRINGS:
      if (const auto* s = std::get_if<std::vector<std::string>>(&v)) {
        for (const auto& x : *s) a->add_strings(x);
      } else {
        return mismatch();
      }
      break;
    default:
      return unimplemented("{}: attribute {} of type {} cannot be written", where(n), key,
                           AT::AttributeType_Name(want));
  }
  return ok_status();
}

Status Exporter::write_attrs(const ir::Node& n, onnx::NodeProto* p,
                             const std::set<std::string>& skip,
                             const std::map<std::string, std::string>& rename) {
  const onnx::OpSchema* schema =
      p->domain().empty()
          ? onnx::OpSchemaRegistry::Schema(p->op_type(), static_cast<int>(opset_), "")
          : nullptr;
  if (p->domain().empty() && schema == nullptr) {
    return internal_error("{}: ONNX has no schema for {} at opset {}", where(n), p->op_type(),
                          opset_);
  }
  for (const auto& [key, v] : n.attrs) {
    if (skip.count(key)) continue;
    auto r = rename.find(key);
    SIEVE_RETURN_IF_ERROR(write_attr(n, r == rename.end() ? key : r->second, v, schema, p));
  }
  return ok_status();
}

void Exporter::fill_value_info(const std::string& name, onnx::ValueInfoProto* vi) {
  vi->set_name(name);
  auto* tt = vi->mutable_type()->mutable_tensor_type();
  auto it = shaped_.values.find(name);
  if (it == shaped_.values.end()) {
    tt->set_elem_type(onnx::TensorProto_DataType_FLOAT);
    return;
  }
  tt->set_elem_type(detail::onnx_from_dtype(it->second.dtype));
  auto* shape = tt->mutable_shape();
  for (int64_t d : it->second.shape) {
    auto* dim = shape->add_dim();
    if (d >= 0) dim->set_dim_value(d);
  }
}

Status Exporter::add_node(const ir::Node& n) {
  switch (n.op) {
    case OpKind::kInput: {
      onnx::ValueInfoProto* vi = graph_->add_input();
      for (const std::string& out : n.outputs) {
        vi->set_name(out);
        auto* tt = vi->mutable_type()->mutable_tensor_type();
        int64_t dt = n.attr_int("dtype", static_cast<int64_t>(DType::kF32));
        if (dt < 0 || dt > static_cast<int64_t>(DType::kI64)) {
          return invalid_argument("{}: attribute dtype={} is not a DType", where(n), dt);
        }
        tt->set_elem_type(detail::onnx_from_dtype(static_cast<DType>(dt)));
        if (n.has_attr("shape")) {
          auto* shape = tt->mutable_shape();
          for (int64_t d : n.attr_ints("shape")) {
            auto* dim = shape->add_dim();
            if (d >= 0) dim->set_dim_value(d);
          }
        }
      }
      return ok_status();
    }
    case OpKind::kFullyConnected: {
      onnx::NodeProto* p = new_node(n, "Gemm");
      // Sieve's trans_b default is 1, ONNX's transB default is 0: always write transB.
      ir::Node m = n;
      m.attrs["trans_b"] = n.attr_int("trans_b", 1);
      return write_attrs(m, p, {}, {{"trans_a", "transA"}, {"trans_b", "transB"}});
    }
    case OpKind::kSoftmax:
    case OpKind::kLogSoftmax: {
      const std::string op_type(ir::op_name(n.op));
      int64_t axis = n.attr_int("axis", -1);
      if (n.attr_int("coerce_2d", 0) == 0) {
        return write_attrs(n, new_node(n, op_type), {"coerce_2d"});
      }
      // Opset < 13 semantics: flatten to 2-D at `axis`, normalise rows.
      auto it = shaped_.values.find(n.input(0));
      const int64_t rank =
          it == shaped_.values.end() ? -1 : static_cast<int64_t>(it->second.shape.size());
      if (axis == -1 || (rank >= 0 && axis == rank - 1)) {
        // Flattening at the last axis changes nothing: the opset-13 op is the same.
        return write_attrs(n, new_node(n, op_type), {"coerce_2d"});
      }
      if (rank < 0) {
        return failed_precondition(
            "{}: coerce_2d=1 with axis={} needs the input's shape, which "
            "shape inference could not determine",
            where(n), axis);
      }
      const Shape& shape = it->second.shape;
      for (int64_t d : shape) {
        if (d < 0) {
          return failed_precondition(
              "{}: coerce_2d=1 with axis={} needs a static input shape, "
              "got {}",
              where(n), axis, shape_str(shape));
        }
      }
      std::string flat = fresh(n.name + "_flat");
      std::string soft = fresh(n.name + "_2d");
      onnx::NodeProto* f = graph_->add_node();
      f->set_name(fresh(n.name + "_flatten"));
      f->set_op_type("Flatten");
      f->add_input(n.input(0));
      f->add_output(flat);
      auto* fa = f->add_attribute();
      fa->set_name("axis");
      fa->set_type(onnx::AttributeProto::INT);
      fa->set_i(axis);
      onnx::NodeProto* s = graph_->add_node();
      s->set_name(n.name);
      s->set_op_type(op_type);
      s->add_input(flat);
      s->add_output(soft);
      auto* sa = s->add_attribute();
      sa->set_name("axis");
      sa->set_type(onnx::AttributeProto::INT);
      sa->set_i(1);
      onnx::NodeProto* r = graph_->add_node();
      r->set_name(fresh(n.name + "_reshape"));
      r->set_op_type("Reshape");
      r->add_input(soft);
      r->add_input(add_i64_initializer(n.name + "_shape", shape));
      r->add_output(n.outputs.at(0));
      return ok_status();
    }
    case OpKind::kSqueeze:
    case OpKind::kUnsqueeze: {
      onnx::NodeProto* p = new_node(n, std::string(ir::op_name(n.op)));
      if (n.has_attr("axes") && !n.has_input(1)) {
        // Opset 13 takes axes as an input.
        p->clear_input();
        p->add_input(n.input(0));
        p->add_input(add_i64_initializer(n.name + "_axes", n.attr_ints("axes")));
      }
      return write_attrs(n, p, {"axes"});
    }
    case OpKind::kPad: {
      onnx::NodeProto* p = new_node(n, "Pad");
      if (n.has_attr("pads") && !n.has_input(1)) {
        p->clear_input();
        p->add_input(n.input(0));
        p->add_input(add_i64_initializer(n.name + "_pads", n.attr_ints("pads")));
        double value = n.attr_float("value", 0.0);
        if (value != 0.0) {
          std::string name = fresh(n.name + "_value");
          detail::tensor_to_proto(Tensor::from_f32({}, {static_cast<float>(value)}), name,
                                  graph_->add_initializer());
          p->add_input(name);
        }
      }
      return write_attrs(n, p, {"pads", "value"});
    }
    case OpKind::kLSTM: {
      if (is_lstm_projection(n)) {
        if (!opts_.allow_sieve_extensions) {
          return unimplemented(
              "{}: LSTM with projection (proj_size={}, the LSTMP of Sak et al. 2014) has no "
              "standard ONNX form; export it with allow_sieve_extensions to write it as op "
              "LSTM of the custom domain \"{}\" (readable by Sieve only)",
              where(n), n.attr_int("proj_size", 0), kSieveDomain);
        }
        sieve_domain_ = true;
        onnx::NodeProto* p = new_node(n, "LSTM");
        p->set_domain(kSieveDomain);
        return write_attrs(n, p, {});
      }
      std::set<std::string> skip;
      if (n.attr_int("layout", 0) == 0) skip.insert("layout");  // LSTM-7 has no layout
      return write_attrs(n, new_node(n, "LSTM"), skip);
    }
    case OpKind::kMatMul:
    case OpKind::kConv:
    case OpKind::kMaxPool:
    case OpKind::kAveragePool:
    case OpKind::kGlobalAveragePool:
    case OpKind::kGlobalMaxPool:
    case OpKind::kRelu:
    case OpKind::kSigmoid:
    case OpKind::kTanh:
    case OpKind::kBatchNorm:
    case OpKind::kLRN:
    case OpKind::kAdd:
    case OpKind::kSub:
    case OpKind::kMul:
    case OpKind::kDiv:
    case OpKind::kConcat:
    case OpKind::kFlatten:
    case OpKind::kReshape:
    case OpKind::kTranspose:
    case OpKind::kDropout:
    case OpKind::kIdentity:
    case OpKind::kGRU: {
      std::set<std::string> skip;
      // allowzero=0 is the default; writing it would needlessly require opset 14.
      if (n.op == OpKind::kReshape && n.attr_int("allowzero", 0) == 0) skip.insert("allowzero");
      if ((n.op == OpKind::kGRU) && n.attr_int("layout", 0) == 0) skip.insert("layout");
      return write_attrs(n, new_node(n, std::string(ir::op_name(n.op))), skip);
    }
  }
  return internal_error("{}: unhandled op", where(n));
}

Result<std::string> Exporter::run() {
  if (g_.outputs.empty()) return invalid_argument("export: graph \"{}\" has no outputs", g_.name);
  // Shapes for value infos and for rewriting coerce_2d softmax; export works without them.
  shaped_ = g_;
  shaped_.values.clear();
  // On failure keep what inference filled before it stopped; value infos without a shape
  // are valid ONNX.
  Status inferred = ir::infer_shapes(shaped_);
  (void)inferred;
  for (const ir::Node& n : g_.nodes) {
    for (const auto& s : n.inputs) names_.insert(s);
    for (const auto& s : n.outputs) names_.insert(s);
    if ((n.op == OpKind::kLSTM || n.op == OpKind::kGRU) && n.attr_int("layout", 0) != 0) {
      opset_ = std::max<int64_t>(opset_, 14);
    }
    if (n.op == OpKind::kReshape && n.attr_int("allowzero", 0) != 0) {
      opset_ = std::max<int64_t>(opset_, 14);
    }
  }
  for (const auto& [k, t] : g_.initializers) names_.insert(k);

  model_.set_ir_version(onnx::IR_VERSION);
  model_.set_producer_name("sieve");
  model_.set_producer_version("0.1.0");
  graph_ = model_.mutable_graph();
  graph_->set_name(g_.name.empty() ? "sieve" : g_.name);

  for (const auto& [name, t] : g_.initializers) {
    if (t.frac_bits() != 0) {
      return unimplemented(
          "export: initializer \"{}\" is fixed point ({}, frac_bits={}); ONNX "
          "has no fixed-point type (convert it to f32 first)",
          name, dtype_name(t.dtype()), t.frac_bits());
    }
    detail::tensor_to_proto(t, name, graph_->add_initializer());
  }
  for (const ir::Node& n : g_.nodes) SIEVE_RETURN_IF_ERROR(add_node(n));
  for (const std::string& out : g_.outputs) fill_value_info(out, graph_->add_output());

  auto* os = model_.add_opset_import();
  os->set_domain("");
  os->set_version(opset_);
  if (sieve_domain_) {
    auto* s = model_.add_opset_import();
    s->set_domain(kSieveDomain);
    s->set_version(1);
  }
  if (opts_.check) {
    try {
      onnx::checker::check_model(model_);
    } catch (const std::exception& e) {
      return internal_error("export of graph \"{}\": the ONNX checker rejects the result: {}",
                            g_.name, e.what());
    }
  }
  std::string bytes;
  if (!model_.SerializeToString(&bytes)) {
    return internal_error(
        "export of graph \"{}\": protobuf serialization failed (a model "
        "over 2 GiB cannot be written as one ONNX file)",
        g_.name);
  }
  return bytes;
}

}  // namespace

Result<std::string> export_onnx_bytes(const ir::Graph& g, const ExportOptions& opts) {
  return Exporter(g, opts).run();
}

Status export_onnx(const ir::Graph& g, const std::string& path, const ExportOptions& opts) {
  auto bytes = export_onnx_bytes(g, opts);
  if (!bytes.ok()) return bytes.status().with_context(path);
  return write_file_atomic(path, *bytes);
}

}  // namespace sieve::io
