#include "sieve/hw/sim/run.h"

#include <fmt/format.h>

#include <filesystem>

namespace sieve::hw {

double SimReport::total_time_ns() const {
  double t = 0;
  for (const LayerStats& l : result.layers) t += l.time_ns;
  return t;
}

double SimReport::offchip_energy_share() const {
  const double total = energy.total_pj();
  return total > 0 ? energy.offchip_pj / total : 0.0;
}

Result<PlanReport> plan_workload(const Workload& w, const ArchRun& run, const std::string& layer) {
  SIEVE_ASSIGN_OR_RETURN(std::unique_ptr<Accelerator> acc,
                         make_accelerator(run.arch, run.overrides));
  PlanReport r;
  r.arch = acc->arch();
  r.preset = std::filesystem::path(acc->params().file).stem().string();
  r.mode = run.options.mode.empty() ? acc->modes().front() : run.options.mode;
  r.model = w.model;
  std::string known;
  for (const LayerWork& l : w.layers) {
    known += (known.empty() ? "" : ", ") + l.name;
    if (!layer.empty() && l.name != layer) continue;
    if (std::string why = acc->unsupported(l, run.options); !why.empty()) {
      if (!layer.empty())
        return invalid_argument("{}: cannot run layer \"{}\": {}", r.arch, l.name, why);
      r.unsupported.emplace_back(l.name, std::move(why));
      continue;
    }
    SIEVE_ASSIGN_OR_RETURN(compiler::LayerPlan p, acc->plan(l, run.options));
    r.layers.push_back(std::move(p));
  }
  if (!layer.empty() && r.layers.empty())
    return not_found("model \"{}\" has no layer \"{}\"; layers: {}", w.model, layer, known);
  return r;
}

Result<CompileReport> compile_workload(const Workload& w, const ArchRun& run,
                                       const std::string& layer, IssueMode issue) {
  SIEVE_ASSIGN_OR_RETURN(PlanReport plans, plan_workload(w, run, layer));
  SIEVE_ASSIGN_OR_RETURN(std::unique_ptr<Accelerator> acc,
                         make_accelerator(run.arch, run.overrides));
  CompileReport r;
  r.arch = plans.arch;
  r.preset = plans.preset;
  r.mode = plans.mode;
  r.model = plans.model;
  compiler::codegen::CodegenOptions copt;
  copt.multi_issue = issue == IssueMode::kMulti;
  size_t next = 0;
  for (const LayerWork& l : w.layers) {
    if (!layer.empty() && l.name != layer) continue;
    if (next >= plans.layers.size() || plans.layers[next].layer != l.name) continue;  // unsupported
    const compiler::LayerPlan& p = plans.layers[next++];
    SIEVE_ASSIGN_OR_RETURN(compiler::codegen::CompiledLayer c,
                           acc->compile(l, p, run.options, copt));
    copt.dram_base = c.layout.end;
    r.code.push_back(std::move(c));
  }
  r.plans = std::move(plans.layers);
  r.linked = compiler::codegen::link(r.code);
  return r;
}

std::string compile_plan_text(const CompileReport& r) {
  std::string s = fmt::format("code of {} on {} (preset {}, mode {}): {} words\n", r.model,
                              r.arch, r.preset, r.mode, r.linked.program.words.size());
  for (size_t i = 0; i < r.plans.size(); ++i) {
    s += compiler::plan_text(r.plans[i], true);
    s += fmt::format("words [{}, {})\n", r.linked.first_word[i],
                     i + 1 < r.plans.size() ? r.linked.first_word[i + 1]
                                            : r.linked.program.words.size());
    s += compiler::codegen::layout_text(r.code[i]);
  }
  return s;
}

namespace {

// Traffic of the chosen reuses over the tiled layers × their repeats: thesis formulas, sub-ops.
std::pair<double, double> total_traffic(const PlanReport& r) {
  double formula = 0, moved = 0;
  for (const compiler::LayerPlan& p : r.layers) {
    if (!p.tiled) continue;
    const auto rep = static_cast<double>(p.lowered.repeat);
    formula += p.choice.traffic.of(p.choice.reuse) * rep;
    moved += p.moved.of(p.choice.reuse) * rep;
  }
  return {formula, moved};
}

}  // namespace

std::string plans_text(const PlanReport& r, bool with_sub_ops) {
  std::string s =
      fmt::format("plans of {} on {} (preset {}, mode {})\n", r.model, r.arch, r.preset, r.mode);
  for (const compiler::LayerPlan& p : r.layers) s += compiler::plan_text(p, with_sub_ops);
  for (const auto& [name, why] : r.unsupported)
    s += fmt::format("layer {}: not run by {}: {}\n", name, r.arch, why);
  const auto [formula, moved] = total_traffic(r);
  s += fmt::format(
      "total off-chip traffic of the tiled layers (chosen reuse): thesis formulas "
      "{:.3f} MiB, moved by the sub-ops {:.3f} MiB\n",
      formula / (1024.0 * 1024.0), moved / (1024.0 * 1024.0));
  return s;
}

nlohmann::json plans_json(const PlanReport& r, bool with_sub_ops) {
  nlohmann::json layers = nlohmann::json::array();
  for (const compiler::LayerPlan& p : r.layers)
    layers.push_back(compiler::plan_json(p, with_sub_ops));
  const auto [formula, moved] = total_traffic(r);
  nlohmann::json unsupported = nlohmann::json::array();
  for (const auto& [name, why] : r.unsupported)
    unsupported.push_back({{"name", name}, {"unsupported", why}});
  return {{"model", r.model},          {"arch", r.arch},
          {"unsupported_layers", unsupported},
          {"preset", r.preset},        {"mode", r.mode},
          {"layers", layers},          {"total_traffic_bytes", formula},
          {"total_moved_bytes", moved}};
}

Result<SimReport> run_sim(const Workload& w, const ArchRun& run) {
  SIEVE_ASSIGN_OR_RETURN(ParamSet preset, read_preset(run.arch));
  SIEVE_ASSIGN_OR_RETURN(ParamSet table, energy_table_for(preset));
  return run_sim(w, run, preset, table);
}

Result<SimReport> run_sim(const Workload& w, const ArchRun& run, const ParamSet& preset,
                          const ParamSet& energy_table) {
  SIEVE_ASSIGN_OR_RETURN(std::unique_ptr<Accelerator> acc,
                         make_accelerator_from(preset, run.overrides));
  SimReport r;
  if (run.program) {
    SIEVE_ASSIGN_OR_RETURN(r.result, acc->simulate_programs(w, run.options, run.issue));
  } else {
    SIEVE_ASSIGN_OR_RETURN(r.result, acc->simulate(w, run.options));
  }
  if (r.result.arch.empty()) r.result.arch = acc->arch();
  if (r.result.model.empty()) r.result.model = w.model;
  if (r.result.multipliers == 0) r.result.multipliers = acc->multipliers();
  if (r.result.preset.empty()) r.result.preset = acc->params().file;
  r.energy_table = energy_table.file;
  // Prices for this configuration (hw/area). A configuration the area model cannot size (e.g.
  // an SRAM below its valid range) still simulates, at the tabled prices, and says so where
  // the report names its prices.
  Result<ParamSet> priced = priced_for_configuration(energy_table, acc->params());
  if (!priced.ok())
    r.energy_table += " (at the tabled prices: the area model cannot price this configuration: " +
                      priced.status().message() + ")";
  SIEVE_ASSIGN_OR_RETURN(r.energy, total_energy(r.result, priced.ok() ? *priced : energy_table,
                                                &r.layer_energy));
  return r;
}

namespace {

std::string human_bytes(int64_t b) {
  if (b >= (int64_t{1} << 20)) return fmt::format("{:.2f} MiB", static_cast<double>(b) / (1 << 20));
  if (b >= 1024) return fmt::format("{:.1f} KiB", static_cast<double>(b) / 1024);
  return fmt::format("{} B", b);
}

std::string human_time(double ns) {
  if (ns >= 1e6) return fmt::format("{:.3f} ms", ns / 1e6);
  if (ns >= 1e3) return fmt::format("{:.2f} us", ns / 1e3);
  return fmt::format("{:.0f} ns", ns);
}

std::string human_energy(double pj) {
  if (pj >= 1e9) return fmt::format("{:.3f} mJ", pj / 1e9);
  if (pj >= 1e6) return fmt::format("{:.3f} uJ", pj / 1e6);
  if (pj >= 1e3) return fmt::format("{:.2f} nJ", pj / 1e3);
  return fmt::format("{:.0f} pJ", pj);
}

std::string layer_row(const LayerStats& l, const EnergyBreakdown& e) {
  if (!l.unsupported.empty())
    return fmt::format("{:<16} {:<5} unsupported: {}\n", l.name, l.kind, l.unsupported);
  return fmt::format(
      "{:<16} {:<5} {:>12} {:>11} {:>12} {:>12} {:>11} {:>6.1f}% {:>10} {:>11} {:>11}\n", l.name,
      l.kind, l.cycles, human_time(l.time_ns), l.macs_performed, l.macs_skipped,
      human_bytes(l.offchip.total()), 100.0 * l.utilization, l.stall_cycles,
      human_energy(e.onchip_pj), human_energy(e.offchip_pj));
}

nlohmann::json layer_json(const LayerStats& l, const EnergyBreakdown& e) {
  if (!l.unsupported.empty())
    return {{"name", l.name}, {"kind", l.kind}, {"supported", false}, {"unsupported", l.unsupported}};
  nlohmann::json j = {{"name", l.name},
                      {"kind", l.kind},
                      {"cycles", l.cycles},
                      {"time_ns", l.time_ns},
                      {"macs_dense", l.macs_dense},
                      {"macs_performed", l.macs_performed},
                      {"macs_skipped", l.macs_skipped},
                      {"offchip_bytes",
                       {{"weights", l.offchip.weights},
                        {"weight_index", l.offchip.weight_index},
                        {"neurons", l.offchip.neurons},
                        {"neuron_index", l.offchip.neuron_index},
                        {"partial_sums", l.offchip.partial_sums},
                        {"total", l.offchip.total()}}},
                      {"actions", l.actions},
                      {"load_cycles", l.load_cycles},
                      {"compute_cycles", l.compute_cycles},
                      {"store_cycles", l.store_cycles},
                      {"stall_cycles", l.stall_cycles},
                      {"tiles", l.tiles},
                      {"reuse", l.reuse},
                      {"tiling", l.tiling},
                      {"utilization", l.utilization},
                      {"energy_pj",
                       {{"onchip", e.onchip_pj},
                        {"offchip", e.offchip_pj},
                        {"total", e.total_pj()},
                        {"by_action", e.pj}}}};
  if (!l.note.empty()) j["note"] = l.note;
  return j;
}

}  // namespace

std::string report_text(const SimReport& r) {
  std::string out =
      fmt::format("{} ({}, mode {}) on {} — batch {}, {:.2f} GHz\n", r.result.arch, r.result.preset,
                  r.result.mode, r.result.model, r.result.batch, r.result.freq_ghz);
  out += fmt::format("{:<16} {:<5} {:>12} {:>11} {:>12} {:>12} {:>11} {:>7} {:>10} {:>11} {:>11}\n",
                     "layer", "kind", "cycles", "time", "MACs done", "MACs skipped", "off-chip",
                     "util", "stalls", "E on-chip", "E off-chip");
  for (size_t i = 0; i < r.result.layers.size(); ++i)
    out += layer_row(r.result.layers[i], r.layer_energy[i]);
  out += layer_row(r.result.total(), r.energy);
  if (const int64_t n = r.result.unsupported_layers(); n > 0)
    out += fmt::format("total: over the {} layers {} runs; {} layer(s) unsupported (above)\n",
                       static_cast<int64_t>(r.result.layers.size()) - n, r.result.arch, n);
  for (const LayerStats& l : r.result.layers)
    if (!l.note.empty()) out += fmt::format("  {}: {}\n", l.name, l.note);
  const LayerStats t = r.result.total();
  out += fmt::format(
      "off-chip: weights {}, weight index {}, neurons {}, neuron index {}, partial sums {}\n",
      human_bytes(t.offchip.weights), human_bytes(t.offchip.weight_index),
      human_bytes(t.offchip.neurons), human_bytes(t.offchip.neuron_index),
      human_bytes(t.offchip.partial_sums));
  out += fmt::format("energy {} ({:.1f}% off-chip; prices from {})\n",
                     human_energy(r.energy.total_pj()), 100.0 * r.offchip_energy_share(),
                     r.energy_table);
  return out;
}

nlohmann::json report_json(const SimReport& r) {
  nlohmann::json layers = nlohmann::json::array();
  for (size_t i = 0; i < r.result.layers.size(); ++i)
    layers.push_back(layer_json(r.result.layers[i], r.layer_energy[i]));
  return {{"arch", r.result.arch},
          {"preset", r.result.preset},
          {"mode", r.result.mode},
          {"model", r.result.model},
          {"batch", r.result.batch},
          {"freq_ghz", r.result.freq_ghz},
          {"energy_table", r.energy_table},
          {"layers", layers},
          {"total", layer_json(r.result.total(), r.energy)},
          {"unsupported_layers", r.result.unsupported_layers()},
          {"offchip_energy_share", r.offchip_energy_share()}};
}

std::string compare_text(const std::vector<SimReport>& runs) {
  if (runs.empty()) return "";
  std::string out = fmt::format("{} — batch {}\n", runs[0].result.model, runs[0].result.batch);
  out += fmt::format("{:<14} {:<14} {:>12} {:>10} {:>12} {:>12} {:>9}\n", "arch", "mode", "time",
                     "time/first", "energy", "energy/first", "off-chip");
  const double t0 = runs[0].total_time_ns();
  const double e0 = runs[0].energy.total_pj();
  for (const SimReport& r : runs) {
    const double t = r.total_time_ns(), e = r.energy.total_pj();
    const int64_t n = r.result.unsupported_layers();
    out += fmt::format("{:<14} {:<14} {:>12} {:>9.2f}x {:>12} {:>11.2f}x {:>8.1f}%{}\n",
                       r.result.arch, r.result.mode, human_time(t), t0 > 0 ? t / t0 : 0.0,
                       human_energy(e), e0 > 0 ? e / e0 : 0.0, 100.0 * r.offchip_energy_share(),
                       n > 0 ? fmt::format("  (without {} unsupported layer(s))", n) : "");
  }
  out += fmt::format(
      "(time/first and energy/first: how many times the first arch's ({}))\nper layer "
      "time:\n{:<16}",
      runs[0].result.arch, "layer");
  for (const SimReport& r : runs) out += fmt::format(" {:>14}", r.result.arch);
  out += "\n";
  for (size_t i = 0; i < runs[0].result.layers.size(); ++i) {
    out += fmt::format("{:<16}", runs[0].result.layers[i].name);
    for (const SimReport& r : runs) {
      std::string cell = "-";
      if (i < r.result.layers.size())
        cell = r.result.layers[i].unsupported.empty() ? human_time(r.result.layers[i].time_ns)
                                                      : std::string("unsupported");
      out += fmt::format(" {:>14}", cell);
    }
    out += "\n";
  }
  for (const SimReport& r : runs)
    for (const LayerStats& l : r.result.layers)
      if (!l.unsupported.empty())
        out += fmt::format("{} does not run {}: {}\n", r.result.arch, l.name, l.unsupported);
  // How a design ran a layer when not in its own way (LayerStats::note).
  for (const SimReport& r : runs)
    for (const LayerStats& l : r.result.layers)
      if (!l.note.empty()) out += fmt::format("{} {}: {}\n", r.result.arch, l.name, l.note);
  return out;
}

nlohmann::json compare_json(const std::vector<SimReport>& runs) {
  nlohmann::json arr = nlohmann::json::array();
  const double t0 = runs.empty() ? 0 : runs[0].total_time_ns();
  const double e0 = runs.empty() ? 0 : runs[0].energy.total_pj();
  for (const SimReport& r : runs) {
    nlohmann::json j = report_json(r);
    const double t = r.total_time_ns(), e = r.energy.total_pj();
    j["time_vs_first"] = t0 > 0 ? t / t0 : 0.0;
    j["energy_vs_first"] = e0 > 0 ? e / e0 : 0.0;
    arr.push_back(std::move(j));
  }
  return arr;
}

}  // namespace sieve::hw
