// sieve tile --model M [--layer NAME] [--json] [--input-density X] [--ping-pong] [-p k=v]:
// the compiler's first stage (src/sieve/compiler/) on every conv, pooling, FC and LSTM layer of
// a model: the tiling that fits the on-chip buffers with the least off-chip traffic, the reuse
// it chooses and the three traffic figures of thesis §4.3.3 (MEM_i, MEM_o, MEM_s), plus what
// the sub-operations of the chosen reuse really move. M is a zoo name, a .onnx or a .sieve file;
// weight densities come from the .sieve masks (dense for zoo/ONNX models), input density is 1
// unless --input-density says otherwise. Buffer sizes come from the arch file
// (configs/archs/sieve-65nm.yaml: nbin_bytes, nibin_bytes, nbout_bytes, sb_bytes, sib_bytes,
// neuron_bits); each sub-op may use a whole buffer, or half with --ping-pong. See
// docs/compiler.md.
#include <fmt/format.h>

#include <cstdio>
#include <memory>
#include <nlohmann/json.hpp>
#include <set>
#include <string>
#include <vector>

#include "command.h"
#include "sieve/app/model_loader.h"
#include "sieve/compiler/placement.h"
#include "sieve/compiler/tiling.h"
#include "sieve/compress/model.h"
#include "sieve/hw/core/params.h"
#include "sieve/hw/core/workload.h"
#include "sieve/io/container/container.h"

namespace sieve::cli {

namespace {

constexpr double kMiB = 1024.0 * 1024.0;

struct TileArgs {
  std::string model;
  std::string layer;
  bool json = false;
  double input_density = 1.0;
  bool ping_pong = false;
  std::string arch_file;
  std::vector<std::string> overrides;
};

// The parameters `sieve tile` reads; other keys of the arch file are not ours to override.
const std::set<std::string>& tile_params() {
  static const std::set<std::string> k = {"nbin_bytes", "nibin_bytes", "nbout_bytes",
                                          "sb_bytes",   "sib_bytes",   "neuron_bits"};
  return k;
}

Result<compress::CompressedModel> load(const std::string& spec) {
  if (app::model_source(spec) == app::ModelSource::kSieve) return io::read_sieve(spec);
  // Zoo and ONNX models are dense: every weight kept. Weights stay zero (only shapes matter).
  SIEVE_ASSIGN_OR_RETURN(ir::Graph g, app::load_model(spec, {.init_weights = false}));
  compress::CompressedModel m;
  m.graph = std::move(g);
  return m;
}

struct Row {
  const hw::LayerWork* work = nullptr;
  compiler::LayerSpec spec;
  compiler::LayerPlan plan;
  compiler::Traffic moved;  // subop_traffic of the plan's tiling
  int64_t sub_ops = 0;
  std::vector<compiler::BufferUse> use;
};

nlohmann::json traffic_json(const compiler::Traffic& t) {
  return {{"input_reuse", t.input_reuse},
          {"output_reuse", t.output_reuse},
          {"synapse_reuse", t.synapse_reuse}};
}

nlohmann::json row_json(const Row& r) {
  const compiler::LayerGeometry& g = r.spec.geometry;
  const compiler::Tiling& t = r.plan.tiling;
  nlohmann::json buffers = nlohmann::json::array();
  for (const compiler::BufferUse& u : r.use) {
    buffers.push_back({{"buffer", compiler::buffer_name(u.buffer)},
                       {"holds", u.holds},
                       {"bytes", u.bytes},
                       {"capacity", u.capacity}});
  }
  const compiler::SegmentSizes s = compiler::segment_sizes(g, t);
  return {
      {"name", r.work->name},
      {"kind", hw::layer_kind_name(r.work->kind)},
      {"geometry",
       {{"in", {g.in_c, g.in_h, g.in_w}},
        {"out", {g.out_c, g.out_h, g.out_w}},
        {"kernel", {g.kh, g.kw}},
        {"stride", {g.stride_h, g.stride_w}},
        {"depthwise", g.depthwise},
        {"in_density", g.in_density},
        {"w_density", g.w_density},
        {"bytes_per_element", g.bytes_per_element}}},
      {"tiling",
       {{"oc", {t.oc_seg_n, t.oc_seg_size}},
        {"oh", {t.oh_seg_n, t.oh_seg_size}},
        {"ic", {t.ic_seg_n, t.ic_seg_size}},
        {"text", t.to_string()}}},
      {"segments", {{"in", s.in}, {"syn", s.syn}, {"out", s.out}}},
      {"reuse", compiler::reuse_name(r.plan.reuse)},
      {"traffic_bytes", traffic_json(r.plan.traffic)},
      {"moved_bytes", traffic_json(r.moved)},
      {"sub_ops", r.sub_ops},
      {"repeat", r.spec.repeat},
      {"note", r.spec.note},
      {"buffers", buffers},
  };
}

int run_tile(const TileArgs& a) {
  if (!(a.input_density > 0 && a.input_density <= 1)) {
    return fail(invalid_argument("--input-density {} (expected 0 < X <= 1)", a.input_density));
  }
  for (const std::string& o : a.overrides) {
    const std::string key = o.substr(0, o.find('='));
    if (tile_params().count(key) == 0) {
      return fail(invalid_argument(
          "-p {}: sieve tile reads only nbin_bytes, nibin_bytes, nbout_bytes, sb_bytes, "
          "sib_bytes and neuron_bits",
          o));
    }
  }
  const std::string arch_file =
      a.arch_file.empty() ? hw::config_dir() + "/archs/sieve-65nm.yaml" : a.arch_file;
  Result<hw::ParamSet> ps = hw::read_params(arch_file);
  if (!ps.ok()) return fail(ps.status());
  if (Status s = hw::apply_overrides(*ps, a.overrides); !s.ok()) return fail(s);
  Result<compiler::BufferSizes> whole = compiler::read_buffer_sizes(*ps);
  if (!whole.ok()) return fail(whole.status());
  const hw::Param* bits = ps->find("neuron_bits");
  if (bits == nullptr || !(bits->value >= 1 && bits->value <= 64)) {
    return fail(invalid_argument("{}: neuron_bits missing or out of range (1..64)", arch_file));
  }
  const double bytes_per_element = bits->value / 8;
  const compiler::BufferSizes share = compiler::subop_share(*whole, a.ping_pong);

  Result<compress::CompressedModel> model = load(a.model);
  if (!model.ok()) return fail(model.status());
  Result<hw::Workload> w = hw::build_workload(*model, {});
  if (!w.ok()) return fail(w.status().with_context("model \"" + a.model + "\""));

  std::vector<Row> rows;
  std::string known;
  for (const hw::LayerWork& lw : w->layers) {
    known += (known.empty() ? "" : ", ") + lw.name;
    if (!a.layer.empty() && lw.name != a.layer) continue;
    Row r;
    r.work = &lw;
    Result<compiler::LayerSpec> spec = compiler::layer_spec(lw, a.input_density, bytes_per_element);
    if (!spec.ok()) {
      if (spec.status().code() == StatusCode::kUnimplemented && a.layer.empty()) continue;
      return fail(spec.status());
    }
    r.spec = *spec;
    Result<compiler::LayerPlan> plan =
        compiler::plan_placed(r.spec.geometry, r.spec.index, share);
    if (!plan.ok()) return fail(plan.status().with_context("layer \"" + lw.name + "\""));
    r.plan = *plan;
    r.moved = compiler::subop_traffic(r.spec.geometry, r.plan.tiling);
    const compiler::Tiling& t = r.plan.tiling;
    r.sub_ops = static_cast<int64_t>(compiler::sub_ops(t, r.plan.reuse).size());
    r.use = compiler::place(r.spec.geometry, t, r.spec.index, share);
    rows.push_back(std::move(r));
  }
  if (!a.layer.empty() && rows.empty()) {
    return fail(not_found("model \"{}\" has no layer \"{}\"; layers: {}", a.model, a.layer, known));
  }

  double total = 0, total_moved = 0;
  for (const Row& r : rows) {
    total += r.plan.traffic.of(r.plan.reuse) * static_cast<double>(r.spec.repeat);
    total_moved += r.moved.of(r.plan.reuse) * static_cast<double>(r.spec.repeat);
  }

  if (a.json) {
    nlohmann::json layers = nlohmann::json::array();
    for (const Row& r : rows) layers.push_back(row_json(r));
    nlohmann::json j = {
        {"model", a.model},
        {"arch_file", arch_file},
        {"ping_pong", a.ping_pong},
        {"input_density", a.input_density},
        {"buffers_per_sub_op",
         {{"nbin", share.nbin},
          {"nibin", share.nibin},
          {"nbout", share.nbout},
          {"sb", share.sb},
          {"sib", share.sib}}},
        {"layers", layers},
        {"total_traffic_bytes", total},
        {"total_moved_bytes", total_moved},
    };
    std::printf("%s\n", j.dump(2).c_str());
    return 0;
  }

  std::printf(
      "%s: buffers per sub-op NBin %lld B, NIBin %lld B, NBout %lld B, SB %lld B, SIB %lld B "
      "(%s), %g-bit elements, input density %g\n",
      a.model.c_str(), static_cast<long long>(share.nbin), static_cast<long long>(share.nibin),
      static_cast<long long>(share.nbout), static_cast<long long>(share.sb),
      static_cast<long long>(share.sib), a.ping_pong ? "ping-pong: half of each" : "whole buffers",
      bits->value, a.input_density);
  std::printf("%-14s %-5s %-14s %-5s %-13s %6s  %-38s %-13s %9s %9s %9s %9s %8s\n", "layer",
              "kind", "in (padded)", "k/s", "out", "w_dens", "tiling", "reuse", "MEM_i MiB",
              "MEM_o MiB", "MEM_s MiB", "moved MiB", "sub-ops");
  for (const Row& r : rows) {
    const compiler::LayerGeometry& g = r.spec.geometry;
    const std::string in = fmt::format("{}x{}x{}", g.in_c, g.in_h, g.in_w);
    const std::string ks = fmt::format("{}/{}", g.kh, g.stride_h);
    const std::string out = fmt::format("{}x{}x{}", g.out_c, g.out_h, g.out_w);
    std::printf("%-14s %-5s %-14s %-5s %-13s %6.4f  %-38s %-13s %9.3f %9.3f %9.3f %9.3f %8lld\n",
                r.work->name.c_str(), hw::layer_kind_name(r.work->kind), in.c_str(), ks.c_str(),
                out.c_str(), g.w_density, r.plan.tiling.to_string().c_str(),
                compiler::reuse_name(r.plan.reuse), r.plan.traffic.input_reuse / kMiB,
                r.plan.traffic.output_reuse / kMiB, r.plan.traffic.synapse_reuse / kMiB,
                r.moved.of(r.plan.reuse) / kMiB, static_cast<long long>(r.sub_ops));
    if (!r.spec.note.empty()) std::printf("%-14s   note: %s\n", "", r.spec.note.c_str());
  }
  std::printf("total off-chip traffic (chosen reuse, thesis formulas): %.3f MiB; moved by the "
              "sub-ops: %.3f MiB\n",
              total / kMiB, total_moved / kMiB);
  return 0;
}

}  // namespace

void add_tile_command(CLI::App& app) {
  auto a = std::make_shared<TileArgs>();
  CLI::App* sub = app.add_subcommand(
      "tile", "Loop tiling and data reuse per layer (thesis §4.3.3): tiling, reuse, traffic");
  sub->add_option("--model,-m", a->model, "zoo name, .onnx or .sieve file")->required();
  sub->add_option("--layer", a->layer, "only this layer (graph node name)");
  sub->add_flag("--json", a->json, "JSON instead of a table");
  sub->add_option("--input-density", a->input_density,
                  "fraction of non-zero input neurons of every layer (default 1)");
  sub->add_flag("--ping-pong", a->ping_pong,
                "double-buffered: each sub-op gets half of every buffer");
  sub->add_option("--arch-file", a->arch_file,
                  "arch parameter file (default <configs>/archs/sieve-65nm.yaml)");
  sub->add_option("-p,--param", a->overrides,
                  "override a buffer parameter, e.g. -p nbin_bytes=4096 (repeatable)");
  on_run(sub, [a]() { return run_tile(*a); });
}

}  // namespace sieve::cli
