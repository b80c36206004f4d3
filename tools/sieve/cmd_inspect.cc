// sieve inspect MODEL [--json] [--batch N]: one line per node (op, operands and results with
// shapes, attributes, parameters, MACs) and a summary. MODEL is a zoo name, a .onnx file or a
// .sieve file; for a .sieve file the sections (type, bytes, CRC32) and the compressed layers
// (shape, kept weights, bits, regions, index format, bytes) come first.
#include <fmt/format.h>

#include <cstdio>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <variant>

#include "command.h"
#include "sieve/app/model_loader.h"
#include "sieve/compress/irregularity.h"
#include "sieve/io/container/container.h"
#include "sieve/ir/cost.h"
#include "sieve/ir/dump.h"
#include "sieve/ir/shape_inference.h"
#include "sieve/zoo/zoo.h"

namespace sieve::cli {

namespace {

struct InspectArgs {
  std::string model;
  bool json = false;
  bool csv = false;
  int64_t batch = 1;
  bool local_convergence = false;
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
  const std::vector<ir::LayerStats> stats = ir::layer_stats(g);
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

std::string dims_str(const std::vector<int64_t>& v) {
  std::string s;
  for (int64_t d : v) s += (s.empty() ? "" : "x") + std::to_string(d);
  return s;
}

// A layer's pruning structure in a few words: "block 4x4", "block 2x2 stride 1x1", "nm 2:4",
// "balanced 8 groups", "magnitude", "none"; "-" when the file does not record it (version 1).
std::string structure_str(const io::SieveLayerInfo& l) {
  const compress::PruneStructure& st = l.structure;
  if (!st.recorded()) return "-";
  std::string s = st.method;
  if (st.method == "block") {
    s += " " + dims_str(l.block);
    if (st.stride != l.block) s += " stride " + dims_str(st.stride);
  }
  if (st.method == "nm") s += fmt::format(" {}:{}", st.n, st.m);
  if (st.method == "balanced") s += fmt::format(" {} groups", st.groups);
  return s;
}

nlohmann::json structure_json(const io::SieveLayerInfo& l) {
  const compress::PruneStructure& st = l.structure;
  if (!st.recorded()) return nullptr;  // a version-1 file
  nlohmann::json j = {{"method", st.method}};
  if (st.method == "block") {
    j["block"] = l.block;
    j["stride"] = st.stride;
  }
  if (st.method == "nm") {
    j["n"] = st.n;
    j["m"] = st.m;
  }
  if (st.method == "balanced") {
    j["groups"] = st.groups;
    j["group_axis"] = st.group_axis;
  }
  return j;
}

// The container's sections and layers, as text.
void print_sieve_info(const io::SieveFileInfo& info) {
  std::printf(".sieve format version %u, %llu bytes, %zu sections\n", info.version,
              static_cast<unsigned long long>(info.file_bytes), info.sections.size());
  std::printf("  %-10s %4s %10s %10s %8s\n", "section", "type", "offset", "bytes", "crc32");
  for (const io::SieveSectionInfo& s : info.sections) {
    std::printf("  %-10s %4u %10llu %10llu %08x\n", s.name.c_str(), s.type,
                static_cast<unsigned long long>(s.offset), static_cast<unsigned long long>(s.bytes),
                s.crc32);
  }
  std::printf("%zu compressed layers\n", info.layers.size());
  std::printf("  %-24s %-16s %-10s %10s %7s %4s %7s %-16s %9s %9s %9s %9s  %s\n", "weight", "shape",
              "block", "kept", "density", "bits", "regions", "index", "index_B", "codebk_B",
              "codes_B", "values_B", "structure");
  for (const io::SieveLayerInfo& l : info.layers) {
    const double numel = static_cast<double>(shape_numel(l.shape));
    const std::string regions =
        l.bits == 0 ? "-" : std::to_string(l.region_rows) + "x" + std::to_string(l.region_cols);
    std::printf("  %-24s %-16s %-10s %10lld %6.2f%% %4d %7s %-16s %9llu %9llu %9llu %9llu  %s\n",
                l.weight.c_str(), dims_str(l.shape).c_str(),
                l.block.empty() ? "-" : dims_str(l.block).c_str(), static_cast<long long>(l.kept),
                100.0 * static_cast<double>(l.kept) / numel, l.bits, regions.c_str(),
                io::mask_format_name(l.mask_format), static_cast<unsigned long long>(l.mask_bytes),
                static_cast<unsigned long long>(l.codebook_bytes),
                static_cast<unsigned long long>(l.code_bytes),
                static_cast<unsigned long long>(l.value_bytes), structure_str(l).c_str());
  }
  std::printf("\n");
}

nlohmann::json sieve_info_json(const io::SieveFileInfo& info) {
  nlohmann::json sections = nlohmann::json::array(), layers = nlohmann::json::array();
  for (const io::SieveSectionInfo& s : info.sections) {
    sections.push_back({{"name", s.name},
                        {"type", s.type},
                        {"offset", s.offset},
                        {"bytes", s.bytes},
                        {"crc32", fmt::format("{:08x}", s.crc32)}});
  }
  for (const io::SieveLayerInfo& l : info.layers) {
    layers.push_back({{"weight", l.weight},
                      {"node", l.node},
                      {"shape", l.shape},
                      {"block", l.block},
                      {"kept", l.kept},
                      {"bits", l.bits},
                      {"region_rows", l.region_rows},
                      {"region_cols", l.region_cols},
                      {"index_format", io::mask_format_name(l.mask_format)},
                      {"code_format", io::code_format_name(l.code_format)},
                      {"index_bytes", l.mask_bytes},
                      {"index_k", l.index_k},
                      {"index_entries", l.index_entries},
                      {"codebook_bytes", l.codebook_bytes},
                      {"code_bytes", l.code_bytes},
                      {"value_bytes", l.value_bytes},
                      {"structure", structure_json(l)}});
  }
  return {{"version", info.version},
          {"file_bytes", info.file_bytes},
          {"sections", sections},
          {"layers", layers}};
}

// Local convergence (SPEC §3.2) of every FC/Conv/LSTM weight next to a random initialisation
// of the same shape: windows of 4x4 (FC, LSTM) or 2x2x2x2 (conv), large = above the 90th
// percentile of |w|.
Result<nlohmann::json> local_convergence_json(const ir::Graph& g) {
  nlohmann::json out = nlohmann::json::array();
  for (const ir::Node& n : g.nodes) {
    // The weight matrices of the ops whose weight is always a trained one (ops.def), but an
    // LSTM's projection (a separate FC-shaped matrix).
    std::vector<std::string> weights;
    const ir::OpTraits& traits = ir::op_traits(n.op);
    if (traits.fixed_weight) {
      for (size_t i : traits.matrices.list()) {
        if (i != 8 || traits.category != ir::OpCategory::kLstm) weights.push_back(n.input(i));
      }
    }
    for (const std::string& w : weights) {
      const Tensor* t = g.initializer(w);
      if (t == nullptr || t->dtype() != DType::kF32 || t->rank() < 2) continue;
      nlohmann::json j = {{"weight", w}, {"shape", t->shape()}};
      const Tensor random = compress::random_init_like(t->shape(), 1);
      for (const auto& [key, tensor] :
           {std::pair<const char*, const Tensor*>{"trained", t}, {"random", &random}}) {
        auto lc = compress::local_convergence(*tensor);
        if (!lc.ok()) return lc.status().with_context(w);
        int64_t ge5 = 0, ge7 = 0;
        for (size_t c = 5; c < lc->histogram.size(); ++c) {
          ge5 += lc->histogram[c];
          if (c >= 7) ge7 += lc->histogram[c];
        }
        j["window"] = lc->window;
        j[key] = {{"max_large", lc->max_large},
                  {"windows", lc->windows},
                  {"windows_ge5", ge5},
                  {"windows_ge7", ge7},
                  {"histogram", lc->histogram}};
      }
      out.push_back(j);
    }
  }
  return out;
}

void print_local_convergence(const nlohmann::json& layers) {
  std::printf("local convergence (large = |w| above the 90th percentile)\n");
  std::printf("  %-24s %-16s %-8s %21s %21s\n", "weight", "shape", "window", "trained max/>=5/>=7",
              "random max/>=5/>=7");
  for (const nlohmann::json& l : layers) {
    auto dims = [](const nlohmann::json& v) {
      std::string s;
      for (const auto& d : v) s += (s.empty() ? "" : "x") + std::to_string(d.get<int64_t>());
      return s;
    };
    auto stat = [](const nlohmann::json& v) {
      return fmt::format("{}/{}/{}", v["max_large"].get<int64_t>(), v["windows_ge5"].get<int64_t>(),
                         v["windows_ge7"].get<int64_t>());
    };
    std::printf("  %-24s %-16s %-8s %21s %21s\n", l["weight"].get<std::string>().c_str(),
                dims(l["shape"]).c_str(), dims(l["window"]).c_str(), stat(l["trained"]).c_str(),
                stat(l["random"]).c_str());
  }
  std::printf("\n");
}

int run_inspect(const InspectArgs& args) {
  std::optional<io::SieveFileInfo> sieve_info;
  if (app::model_source(args.model) == app::ModelSource::kSieve) {
    Result<io::SieveFileInfo> info = io::read_sieve_info(args.model);
    if (!info.ok()) return fail(info.status());
    sieve_info = std::move(info.value());
  }
  // Weights are not needed to describe a zoo model: leave them zero (no memory traffic).
  Result<ir::Graph> loaded =
      app::load_model(args.model, {.batch = args.batch, .init_weights = args.local_convergence});
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
  nlohmann::json lc;
  if (args.local_convergence) {
    Result<nlohmann::json> r = local_convergence_json(g);
    if (!r.ok()) return fail(r.status().with_context(args.model));
    lc = std::move(r.value());
  }
  if (args.csv) {  // one row per node
    print_csv(graph_json(g, valid)["nodes"]);
    if (!valid.ok()) return fail(valid.with_context(args.model));
    return 0;
  }
  if (args.json) {
    nlohmann::json j = graph_json(g, valid);
    if (sieve_info) j["sieve"] = sieve_info_json(*sieve_info);
    if (args.local_convergence) j["local_convergence"] = lc;
    std::printf("%s\n", j.dump(2).c_str());
  } else {
    if (sieve_info) print_sieve_info(*sieve_info);
    if (args.local_convergence) print_local_convergence(lc);
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
  sub->add_option("MODEL", args.model,
                  "A zoo name (see `sieve zoo list`), a .onnx file or a .sieve file")
      ->required();
  sub->add_flag("--json", args.json, "Print JSON instead of text");
  add_csv_flag(sub, args.csv, "one row per node (the --json node fields)");
  sub->add_flag("--local-convergence", args.local_convergence,
                "Also print the local-convergence statistic of every FC/Conv/LSTM weight next to "
                "a random initialisation (zoo models get their random initial weights)");
  sub->add_option("--batch", args.batch,
                  "Batch size for zoo models and for model inputs whose batch dimension is open")
      ->check(CLI::PositiveNumber)
      ->default_val(1);
  on_run(sub, [] { return run_inspect(args); });
}

}  // namespace sieve::cli
