// The text dump of a Graph. Parameter and MAC counts come from layer_stats (ir/cost.h: one
// cost model of a node, so `sieve zoo list` and `sieve inspect` always agree).
#include "sieve/ir/dump.h"

#include <fmt/format.h>

#include <algorithm>
#include <cstdio>
#include <variant>

#include "sieve/ir/cost.h"
#include "sieve/ir/shape_inference.h"

namespace sieve::ir {

namespace {

std::string grouped(int64_t v) {
  if (v < 0) return "?";
  std::string digits = std::to_string(v);
  std::string out;
  for (size_t i = 0; i < digits.size(); ++i) {
    if (i != 0 && (digits.size() - i) % 3 == 0) out += ',';
    out += digits[i];
  }
  return out;
}

std::string fmt_double(double v) {
  char buf[32];
  std::snprintf(buf, sizeof(buf), "%g", v);
  return buf;
}

std::string fmt_attr(const Attr& a) {
  struct Visitor {
    std::string operator()(int64_t v) const { return std::to_string(v); }
    std::string operator()(double v) const { return fmt_double(v); }
    std::string operator()(const std::string& v) const { return "\"" + v + "\""; }
    std::string operator()(const std::vector<int64_t>& v) const {
      return fmt::format("[{}]", fmt::join(v, ","));
    }
    std::string operator()(const std::vector<double>& v) const {
      std::vector<std::string> s;
      for (double d : v) s.push_back(fmt_double(d));
      return fmt::format("[{}]", fmt::join(s, ","));
    }
    std::string operator()(const std::vector<std::string>& v) const {
      std::vector<std::string> s;
      for (const std::string& x : v) s.push_back("\"" + x + "\"");
      return fmt::format("[{}]", fmt::join(s, ","));
    }
  };
  return std::visit(Visitor{}, a);
}

std::string value_str(const Graph& g, const std::string& v) {
  if (v.empty()) return "_";
  auto it = g.values.find(v);
  if (it != g.values.end()) return v + shape_str(it->second.shape);
  if (const Tensor* t = g.initializer(v)) return v + shape_str(t->shape());
  return v + "[?]";
}

bool has_all_shapes(const Graph& g) {
  for (const Node& n : g.nodes) {
    for (const std::string& o : n.outputs) {
      if (!o.empty() && g.values.count(o) == 0) return false;
    }
  }
  return true;
}

std::string join_values(const Graph& g, const std::vector<std::string>& vs) {
  std::vector<std::string> s;
  for (const std::string& v : vs) s.push_back(value_str(g, v));
  return fmt::format("{}", fmt::join(s, ", "));
}

}  // namespace

std::string dump(const Graph& graph) {
  const Graph* g = &graph;
  Graph shaped;
  std::string shape_error;
  if (!has_all_shapes(graph)) {
    shaped = graph;  // tensors share storage
    Status s = infer_shapes(shaped);
    if (!s.ok()) shape_error = s.to_string();
    g = &shaped;
  }
  const std::vector<LayerStats> stats = layer_stats(*g);

  size_t name_w = 4, op_w = 2, params_w = 6, macs_w = 4;
  int64_t total_params = 0, total_macs = 0;
  bool macs_unknown = false;
  for (size_t i = 0; i < g->nodes.size(); ++i) {
    name_w = std::max(name_w, g->nodes[i].name.size());
    op_w = std::max(op_w, op_name(g->nodes[i].op).size());
    params_w = std::max(params_w, grouped(stats[i].params).size());
    macs_w = std::max(macs_w, grouped(stats[i].macs).size());
    total_params += stats[i].params;
    if (stats[i].macs >= 0) {
      total_macs += stats[i].macs;
    } else {
      macs_unknown = true;
    }
  }

  std::string out = fmt::format("graph \"{}\": {} nodes, {} initializers\n", g->name,
                                g->nodes.size(), g->initializers.size());
  out += fmt::format("{:<{}}  {:<{}}  {:>{}}  {:>{}}  inputs -> outputs  attributes\n", "node",
                     name_w, "op", op_w, "params", params_w, "MACs", macs_w);
  for (size_t i = 0; i < g->nodes.size(); ++i) {
    const Node& n = g->nodes[i];
    std::string line =
        fmt::format("{:<{}}  {:<{}}  {:>{}}  {:>{}}  ", n.name, name_w, op_name(n.op), op_w,
                    grouped(stats[i].params), params_w, grouped(stats[i].macs), macs_w);
    if (!n.inputs.empty()) line += join_values(*g, n.inputs) + " ";
    line += "-> " + join_values(*g, n.outputs);
    if (!n.attrs.empty()) {
      std::vector<std::string> attrs;
      for (const auto& [k, a] : n.attrs) {
        // An Input's dtype is a DType number: print its name.
        const int64_t* code = std::get_if<int64_t>(&a);
        if (n.op == OpKind::kInput && k == "dtype" && code != nullptr && *code >= 0 &&
            *code <= static_cast<int64_t>(DType::kI64)) {
          attrs.push_back(k + "=" + dtype_name(static_cast<DType>(*code)));
        } else {
          attrs.push_back(k + "=" + fmt_attr(a));
        }
      }
      line += fmt::format("  {}", fmt::join(attrs, " "));
    }
    out += line + "\n";
  }
  std::vector<std::string> ins = g->input_names();
  out += fmt::format("total: {} nodes, {} parameters, {} MACs{}; inputs {}; outputs {}\n",
                     g->nodes.size(), grouped(total_params), grouped(total_macs),
                     macs_unknown ? " (some unknown)" : "", join_values(*g, ins),
                     join_values(*g, g->outputs));
  if (!shape_error.empty()) out += "shape inference failed: " + shape_error + "\n";
  return out;
}

}  // namespace sieve::ir
