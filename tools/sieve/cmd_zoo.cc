// sieve zoo list [--json]: the networks of the zoo with their parameters, MACs per inference
// (batch 1), input shape and description.
#include <fmt/format.h>

#include <algorithm>
#include <cstdio>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "command.h"
#include "sieve/ir/cost.h"
#include "sieve/zoo/zoo.h"

namespace sieve::cli {

namespace {

std::string grouped(int64_t v) {
  std::string digits = std::to_string(v);
  std::string out;
  for (size_t i = 0; i < digits.size(); ++i) {
    if (i != 0 && digits[i - 1] != '-' && (digits.size() - i) % 3 == 0) out += ',';
    out += digits[i];
  }
  return out;
}

struct Row {
  const zoo::ModelInfo* info;
  int64_t params;
  int64_t macs;
  Shape input_shape;
};

Result<Row> describe(const zoo::ModelInfo& info) {
  // Weights are not needed for counting: leave them as untouched zero pages.
  SIEVE_ASSIGN_OR_RETURN(ir::Graph g, zoo::build(info.name, {.batch = 1, .init_weights = false}));
  Row r{&info, g.num_parameters(), ir::total_macs(g), {}};
  for (const ir::Node& n : g.nodes) {
    if (n.op == ir::OpKind::kInput) {
      r.input_shape = n.attr_ints("shape");
      break;
    }
  }
  return r;
}

int run_list(bool json, bool csv) {
  std::vector<Row> rows;
  for (const zoo::ModelInfo& info : zoo::model_infos()) {
    Result<Row> r = describe(info);
    if (!r.ok()) return fail(r.status());
    rows.push_back(std::move(r).value());
  }
  if (json || csv) {
    nlohmann::json arr = nlohmann::json::array();
    for (const Row& r : rows) {
      arr.push_back({{"name", r.info->name},
                     {"params", r.params},
                     {"macs", r.macs},
                     {"input_shape", r.input_shape},
                     {"description", r.info->description},
                     {"source", r.info->source}});
    }
    if (csv)
      print_csv(arr);
    else
      std::printf("%s\n", arr.dump(2).c_str());
    return 0;
  }
  size_t name_w = 4, params_w = 6, macs_w = 4, shape_w = 5;
  for (const Row& r : rows) {
    name_w = std::max(name_w, r.info->name.size());
    params_w = std::max(params_w, grouped(r.params).size());
    macs_w = std::max(macs_w, grouped(r.macs).size());
    shape_w = std::max(shape_w, shape_str(r.input_shape).size());
  }
  std::string out = fmt::format("{:<{}}  {:>{}}  {:>{}}  {:<{}}  {}\n", "name", name_w, "params",
                                params_w, "MACs", macs_w, "input", shape_w, "description");
  for (const Row& r : rows) {
    out += fmt::format("{:<{}}  {:>{}}  {:>{}}  {:<{}}  {}\n", r.info->name, name_w,
                       grouped(r.params), params_w, grouped(r.macs), macs_w,
                       shape_str(r.input_shape), shape_w, r.info->description);
  }
  out +=
      "params: weights + biases (BatchNorm scale and shift; not running statistics); MACs: "
      "multiply-accumulates of conv/fc/recurrent layers per inference at batch 1 (lstm: per "
      "time step)\n";
  std::fputs(out.c_str(), stdout);
  return 0;
}

}  // namespace

void add_zoo_command(CLI::App& app) {
  auto* sub = app.add_subcommand("zoo", "The network zoo: published network shapes");
  sub->require_subcommand(1);
  auto* list = sub->add_subcommand(
      "list", "List the zoo's networks: parameters, MACs per inference, input shape");
  static bool json = false;
  list->add_flag("--json", json,
                 "Print a JSON array of {name, params, macs, input_shape, "
                 "description, source}");
  static bool csv = false;
  add_csv_flag(list, csv, "one row per network (the --json fields)");
  on_run(list, [] { return run_list(json, csv); });
}

}  // namespace sieve::cli
