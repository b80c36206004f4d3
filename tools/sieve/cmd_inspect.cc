// sieve inspect MODEL [--json] [--batch N]: one line per node (op, operands and results with
// shapes, attributes, parameters, MACs) and a summary. MODEL is a zoo name or a .onnx file.
#include <cstdio>
#include <nlohmann/json.hpp>
#include <string>
#include <variant>

#include "command.h"
#include "sieve/io/model_loader.h"
#include "sieve/ir/dump.h"
#include "sieve/ir/shape_inference.h"
#include "sieve/zoo/zoo.h"

namespace sieve::cli {

namespace {

struct InspectArgs {
  std::string model;
  bool json = false;
  int64_t batch = 1;
};

nlohmann::json attr_json(const ir::Attr& a) {
  return std::visit([](const auto& v) { return nlohmann::json(v); }, a);
}

nlohmann::json value_json(const ir::Graph& g, const std::string& v) {
  nlohmann::json j = {{"name", v}};
  if (v.empty()) return j;
  auto it = g.values.find(v);
  if (it != g.values.end()) {
    j["shape"] = it->second.shape;
    j["dtype"] = dtype_name(it->second.dtype);
  } else if (const Tensor* t = g.initializer(v)) {
    j["shape"] = t->shape();
    j["dtype"] = dtype_name(t->dtype());
  }
  if (g.is_initializer(v)) j["initializer"] = true;
  return j;
}

nlohmann::json graph_json(const ir::Graph& g, const Status& shapes) {
  const std::vector<zoo::LayerStats> stats = zoo::layer_stats(g);
  nlohmann::json nodes = nlohmann::json::array();
  int64_t params = 0, macs = 0;
  for (size_t i = 0; i < g.nodes.size(); ++i) {
    const ir::Node& n = g.nodes[i];
    nlohmann::json ins = nlohmann::json::array(), outs = nlohmann::json::array();
    for (const std::string& v : n.inputs) ins.push_back(value_json(g, v));
    for (const std::string& v : n.outputs) outs.push_back(value_json(g, v));
    nlohmann::json attrs = nlohmann::json::object();
    for (const auto& [k, a] : n.attrs) attrs[k] = attr_json(a);
    nodes.push_back({{"name", n.name},
                     {"op", std::string(ir::op_name(n.op))},
                     {"inputs", ins},
                     {"outputs", outs},
                     {"attributes", attrs},
                     {"params", stats[i].params},
                     {"macs", stats[i].macs}});
    params += stats[i].params;
    if (stats[i].macs > 0) macs += stats[i].macs;
  }
  nlohmann::json ins = nlohmann::json::array(), outs = nlohmann::json::array();
  for (const std::string& v : g.input_names()) ins.push_back(value_json(g, v));
  for (const std::string& v : g.outputs) outs.push_back(value_json(g, v));
  nlohmann::json j = {{"name", g.name}, {"params", params}, {"macs", macs},
                      {"inputs", ins},  {"outputs", outs},  {"nodes", nodes}};
  if (!shapes.ok()) j["error"] = shapes.to_string();
  return j;
}

int run_inspect(const InspectArgs& args) {
  // Weights are not needed to describe a zoo model: leave them zero (no memory traffic).
  Result<ir::Graph> loaded =
      io::load_model(args.model, {.batch = args.batch, .init_weights = false});
  if (!loaded.ok()) return fail(loaded.status());
  ir::Graph& g = loaded.value();
  // An imported model may leave the batch dimension open (-1): count it at --batch.
  for (ir::Node& n : g.nodes) {
    if (n.op != ir::OpKind::kInput) continue;
    std::vector<int64_t> shape = n.attr_ints("shape");
    if (!shape.empty() && shape[0] < 0) {
      shape[0] = args.batch;
      n.attrs["shape"] = shape;
    }
  }
  const Status valid = ir::verify(g);
  if (args.json) {
    std::printf("%s\n", graph_json(g, valid).dump(2).c_str());
  } else {
    std::fputs(ir::dump(g).c_str(), stdout);
  }
  if (!valid.ok()) return fail(valid.with_context(args.model));
  return 0;
}

}  // namespace

void add_inspect_command(CLI::App& app) {
  static InspectArgs args;
  auto* sub = app.add_subcommand(
      "inspect", "Print a model node by node: op, operands and shapes, attributes, params, MACs");
  sub->add_option("MODEL", args.model, "A zoo name (see `sieve zoo list`) or a .onnx file")
      ->required();
  sub->add_flag("--json", args.json, "Print JSON instead of text");
  sub->add_option("--batch", args.batch,
                  "Batch size for zoo models and for model inputs whose batch dimension is open")
      ->check(CLI::PositiveNumber)
      ->default_val(1);
  on_run(sub, [] { return run_inspect(args); });
}

}  // namespace sieve::cli
