#include "sieve/runtime/executor.h"

#include <fmt/format.h>

#include <map>
#include <set>
#include <utility>

#include "sieve/ir/shape_inference.h"
#include "sieve/runtime/kernels/ref/ref.h"
#include "sieve/runtime/kernels/ref/rnn.h"

namespace sieve::runtime {

namespace {

std::string label(const ir::Node& n) {
  return fmt::format("node \"{}\" ({})", n.name, ir::op_name(n.op));
}

// Adds "node "x" (Op): " to a message that does not name the node yet.
Status name_node(const Status& s, const ir::Node& n) {
  if (s.ok()) return s;
  const std::string l = label(n);
  if (s.message().find(l) != std::string::npos) return s;
  return s.with_context(l);
}

Result<std::vector<Tensor>> dispatch(const ir::Node& n, std::span<const Tensor* const> in,
                                     std::span<const ir::ValueInfo> out) {
  // No default: a new op in ops.def does not compile until it is handled here.
  switch (n.op) {
    case ir::OpKind::kInput:
      return failed_precondition("{}: Input nodes are fed by run_graph, not evaluated", label(n));
    case ir::OpKind::kFullyConnected: return ref::fully_connected(n, in, out);
    case ir::OpKind::kMatMul: return ref::matmul(n, in, out);
    case ir::OpKind::kConv: return ref::conv(n, in, out);
    case ir::OpKind::kMaxPool: return ref::max_pool(n, in, out);
    case ir::OpKind::kAveragePool: return ref::average_pool(n, in, out);
    case ir::OpKind::kGlobalAveragePool:
    case ir::OpKind::kGlobalMaxPool: return ref::global_pool(n, in, out);
    case ir::OpKind::kRelu:
    case ir::OpKind::kSigmoid:
    case ir::OpKind::kTanh: return ref::activation(n, in, out);
    case ir::OpKind::kSoftmax:
    case ir::OpKind::kLogSoftmax: return ref::softmax(n, in, out);
    case ir::OpKind::kBatchNorm: return ref::batch_norm(n, in, out);
    case ir::OpKind::kLRN: return ref::lrn(n, in, out);
    case ir::OpKind::kAdd:
    case ir::OpKind::kSub:
    case ir::OpKind::kMul:
    case ir::OpKind::kDiv: return ref::binary(n, in, out);
    case ir::OpKind::kConcat: return ref::concat(n, in, out);
    case ir::OpKind::kFlatten:
    case ir::OpKind::kReshape:
    case ir::OpKind::kSqueeze:
    case ir::OpKind::kUnsqueeze:
    case ir::OpKind::kIdentity: return ref::reshape_like(n, in, out);
    case ir::OpKind::kTranspose: return ref::transpose(n, in, out);
    case ir::OpKind::kPad: return ref::pad(n, in, out);
    case ir::OpKind::kDropout: return ref::dropout(n, in, out);
    case ir::OpKind::kLSTM: return ref::lstm(n, in);
    case ir::OpKind::kGRU: return ref::gru(n, in);
  }
  return internal_error("{}: op not handled by the reference engine", label(n));
}

}  // namespace

Result<std::vector<Tensor>> run_ref_node(const ir::Node& n, std::span<const Tensor* const> inputs) {
  for (size_t i = 0; i < inputs.size(); ++i) {
    if (inputs[i] != nullptr && inputs[i]->empty()) {
      return invalid_argument("{}: operand #{} is an empty (default-constructed) tensor", label(n),
                              i);
    }
  }
  // Shapes, dtypes and attributes are validated once, here; the kernels trust them.
  auto infos = ir::infer_node(n, inputs);
  if (!infos.ok()) return name_node(infos.status(), n);
  auto outs = dispatch(n, inputs, *infos);
  if (!outs.ok()) return name_node(outs.status(), n);
  if (outs->size() != infos->size()) {
    return internal_error("{}: the kernel returned {} tensors for {} outputs", label(n),
                          outs->size(), infos->size());
  }
  for (size_t j = 0; j < outs->size(); ++j) {
    const Tensor& t = (*outs)[j];
    const ir::ValueInfo& want = (*infos)[j];
    if (t.empty() && n.outputs[j].empty()) continue;  // unused optional output
    if (t.shape() != want.shape || t.dtype() != want.dtype) {
      return internal_error("{}: output #{} is {} {}, but shape inference gives {} {}", label(n), j,
                            dtype_name(t.dtype()), shape_str(t.shape()), dtype_name(want.dtype),
                            shape_str(want.shape));
    }
  }
  return outs;
}

Result<TensorMap> run_graph(const ir::Graph& g, const TensorMap& feeds, const RunOptions& opts) {
  // Feeds: every graph input exactly once, with its declared dtype and shape.
  std::set<std::string> inputs;
  for (const ir::Node& n : g.nodes) {
    if (n.op != ir::OpKind::kInput) continue;
    for (const std::string& name : n.outputs) {
      inputs.insert(name);
      auto it = feeds.find(name);
      if (it == feeds.end()) {
        std::string given;
        for (const auto& [k, v] : feeds) given += (given.empty() ? "" : ", ") + k;
        return invalid_argument("graph input \"{}\" is not fed (feeds given: {})", name,
                                given.empty() ? "none" : given);
      }
      const Tensor& t = it->second;
      const auto dtype = static_cast<DType>(n.attr_int("dtype", static_cast<int64_t>(DType::kF32)));
      if (t.dtype() != dtype) {
        return invalid_argument("graph input \"{}\": fed a {} tensor, declared {}", name,
                                dtype_name(t.dtype()), dtype_name(dtype));
      }
      const std::vector<int64_t> declared = n.attr_ints("shape");
      bool match = n.has_attr("shape") ? declared.size() == t.shape().size() : true;
      for (size_t d = 0; match && n.has_attr("shape") && d < declared.size(); ++d) {
        match = declared[d] == -1 || declared[d] == t.shape()[d];
      }
      if (!match) {
        return invalid_argument("graph input \"{}\": fed shape {}, declared {} (-1 = any)", name,
                                shape_str(t.shape()), shape_str(declared));
      }
    }
  }
  for (const auto& [name, t] : feeds) {
    if (inputs.count(name) == 0) {
      std::string known;
      for (const std::string& k : inputs) known += (known.empty() ? "" : ", ") + k;
      return invalid_argument("feed \"{}\" is not a graph input (inputs: {})", name,
                              known.empty() ? "none" : known);
    }
  }

  // The last node that reads each value; graph outputs are kept to the end.
  std::map<std::string, size_t> last_use;
  for (size_t i = 0; i < g.nodes.size(); ++i) {
    for (const std::string& v : g.nodes[i].inputs) {
      if (!v.empty()) last_use[v] = i;
    }
  }
  const std::set<std::string> graph_outputs(g.outputs.begin(), g.outputs.end());
  auto release = [&](TensorMap& env, const std::string& v, size_t at) {
    if (opts.keep_intermediates || graph_outputs.count(v) != 0) return;
    auto it = last_use.find(v);
    if (it == last_use.end() || it->second == at) env.erase(v);
  };

  TensorMap env;
  std::vector<const Tensor*> args;
  for (size_t idx = 0; idx < g.nodes.size(); ++idx) {
    const ir::Node& n = g.nodes[idx];
    if (n.op == ir::OpKind::kInput) {
      for (const std::string& name : n.outputs) env[name] = feeds.at(name);
      continue;
    }
    args.assign(n.inputs.size(), nullptr);
    for (size_t i = 0; i < n.inputs.size(); ++i) {
      const std::string& v = n.inputs[i];
      if (v.empty()) continue;
      auto it = env.find(v);
      if (it != env.end()) {
        args[i] = &it->second;
      } else if (const Tensor* t = g.initializer(v)) {
        args[i] = t;
      } else {
        return invalid_argument(
            "{}: input \"{}\" is not an initializer, a graph input or the "
            "output of an earlier node",
            label(n), v);
      }
    }
    auto outs = run_ref_node(n, args);
    if (!outs.ok()) return outs.status();
    for (size_t j = 0; j < n.outputs.size(); ++j) {
      if (n.outputs[j].empty()) continue;
      env[n.outputs[j]] = std::move((*outs)[j]);
    }
    // Free what no later node reads (including outputs nobody reads).
    for (const std::string& v : n.inputs) {
      if (!v.empty() && env.count(v) != 0) release(env, v, idx);
    }
    for (const std::string& v : n.outputs) {
      if (!v.empty() && last_use.count(v) == 0) release(env, v, idx);
    }
  }

  TensorMap result;
  if (opts.keep_intermediates) result = env;
  for (const std::string& out : g.outputs) {
    auto it = env.find(out);
    if (it != env.end()) {
      result[out] = it->second;
    } else if (const Tensor* t = g.initializer(out)) {
      result[out] = *t;
    } else {
      return invalid_argument("graph output \"{}\" is not produced by any node", out);
    }
  }
  return result;
}

}  // namespace sieve::runtime
