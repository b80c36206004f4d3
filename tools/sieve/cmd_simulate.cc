// sieve simulate / sieve compare: run a compressed model on accelerator models.
//
//   sieve simulate --arch sieve --model F.sieve [--data fashion-mnist --limit N] [--json]
//   sieve simulate --arch sieve --model F.sieve --data fashion-mnist --functional --dump-outputs P
//   sieve simulate ... --functional --program multi|single   (the functional model executes the
//                                                             programs the timing ran)
//   sieve compare --archs sieve,diannao,cambricon-x --model thesis:vgg16 [--json]
//   sieve compare --archs all --model thesis:alexnet
#include <fmt/format.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <memory>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>

#include "command.h"
#include "sieve/core/progress.h"
#include "sieve/hw/sim/evaluate.h"
#include "sieve/hw/sim/inputs.h"
#include "sieve/hw/sim/run.h"
#include "sieve/io/outputs/outputs.h"
#include "sim_args.h"

namespace sieve::cli {
namespace {

int run_simulate(SimArgs& a) {
  if (a.emit == "plan") {
    if (a.functional) return fail(invalid_argument("--emit plan: --functional does not apply"));
    return print_plans(a);
  }
  if (a.emit != "stats")
    return fail(invalid_argument("--emit \"{}\": expected stats or plan", a.emit));
  if (!a.layer.empty()) return fail(invalid_argument("--layer needs --emit plan"));
  compress::CompressedModel model;
  std::string functional_engine;
  std::unique_ptr<hw::Accelerator> functional_acc;
  if (a.dump_outputs_opt != nullptr && a.dump_outputs_opt->count() > 0 && a.dump_outputs.empty()) {
    return fail(invalid_argument("--dump-outputs \"\": the path is empty"));
  }
  if (a.functional) {
    Result<std::unique_ptr<hw::Accelerator>> acc = hw::make_accelerator(a.arch, a.params);
    if (!acc.ok()) return fail(acc.status().with_context("--arch " + a.arch));
    const std::vector<std::string> engines = (*acc)->engines();
    if (std::find(engines.begin(), engines.end(), "functional") == engines.end())
      return fail(
          invalid_argument("--functional: arch \"{}\" has no functional model (archs "
                           "with one: the engines <arch>-functional of sieve run)",
                           a.arch));
    functional_engine = (*acc)->arch() + "-functional";
    functional_acc = std::move(*acc);
    if (a.req.data.empty())
      return fail(invalid_argument("--functional needs --data (real inputs to compute on)"));
  } else if (!a.dump_outputs.empty()) {
    return fail(invalid_argument("--dump-outputs needs --functional"));
  }
  Result<hw::Workload> w = workload_for(a, &model);
  if (!w.ok()) return fail(w.status());
  hw::ArchRun run{a.arch, a.params, {}};
  run.options.mode = a.mode;
  run.options.weights_on_chip = a.weights_on_chip;
  if (!a.program.empty()) {
    if (a.program != "multi" && a.program != "single")
      return fail(invalid_argument("--program \"{}\": expected multi or single", a.program));
    run.program = true;
    run.issue = a.program == "multi" ? hw::IssueMode::kMulti : hw::IssueMode::kSingle;
  }
  const auto t0 = std::chrono::steady_clock::now();
  Result<hw::SimReport> r = hw::run_sim(*w, run);
  if (!r.ok()) return fail(r.status().with_context("--arch " + a.arch));
  const double perf_s =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  nlohmann::json functional;
  if (a.functional) {
    // With --program, the functional model executes the same programs the timing ran.
    hw::EngineFn programs;
    if (run.program) {
      Result<hw::Accelerator::ProgramRunner> runner =
          functional_acc->functional_program(*w, run.options, run.issue);
      if (!runner.ok()) return fail(runner.status().with_context("functional model"));
      programs = std::move(*runner);
    }
    Progress bar("functional model", 0, "images");
    hw::EngineOptions eo;
    eo.progress = [&](int64_t done, int64_t total) {
      if (done <= 250) bar.restart("functional model", total);
      bar.update(done);
    };
    Result<hw::EngineRun> f = hw::evaluate_engine(model, functional_engine, a.req.data,
                                                  a.req.data_dir, a.req.limit, 250, programs, eo);
    bar.clear();
    if (!f.ok()) return fail(f.status().with_context("functional model"));
    if (!a.dump_outputs.empty()) {
      Status st = io::write_outputs(a.dump_outputs, f->outputs);
      if (!st.ok()) return fail(st.with_context("--dump-outputs"));
    }
    functional = {{"examples", f->examples},
                  {"correct", f->correct},
                  {"test_accuracy", f->accuracy()},
                  {"notes", f->notes},
                  {"executed",
                   run.program ? std::string("programs, ") + hw::issue_mode_name(run.issue)
                               : std::string("layers")}};
    for (const auto& [k, v] : f->functional) functional[k] = v;
    if (!a.dump_outputs.empty()) functional["dump_outputs"] = a.dump_outputs;
  }
  if (a.csv) {  // one row per layer, then the total
    const nlohmann::json j = hw::report_json(*r);
    nlohmann::json rows = j["layers"];
    nlohmann::json total = j["total"];
    total["name"] = "total";
    rows.push_back(std::move(total));
    print_csv(rows);
    return 0;
  }
  if (a.json) {
    nlohmann::json j = hw::report_json(*r);
    j["notes"] = w->notes;
    j["simulation_seconds"] = perf_s;
    j["driven_by"] = run.program ? std::string("program, ") + hw::issue_mode_name(run.issue)
                                 : std::string("plan");
    if (a.functional) j["functional"] = functional;
    std::printf("%s\n", j.dump(2).c_str());
  } else {
    if (run.program)
      std::printf("driven by each layer's program (sieve compile), %s controller\n",
                  hw::issue_mode_name(run.issue));
    std::printf("%s", hw::report_text(*r).c_str());
    for (const auto& [k, v] : w->notes) std::printf("%s: %s\n", k.c_str(), v.c_str());
    if (a.functional) std::printf("functional: %s\n", functional.dump().c_str());
    std::printf("(performance simulation %.2f s)\n", perf_s);
  }
  return 0;
}

int run_compare(SimArgs& a) {
  Result<hw::Workload> w = workload_for(a, nullptr);
  if (!w.ok()) return fail(w.status());
  std::vector<hw::SimReport> reports;
  std::string names = a.archs;
  if (names == "all") {  // every registered design; each reports the layers it cannot run
    names.clear();
    for (const hw::ArchInfo& info : hw::archs()) names += (names.empty() ? "" : ",") + info.name;
  }
  std::stringstream ss(names);
  std::string arch;
  while (std::getline(ss, arch, ',')) {
    if (arch.empty()) continue;
    hw::ArchRun run{arch, {}, {}};
    // -p overrides apply to every arch that has the key; arch-specific ones use arch.key=value.
    for (const std::string& p : a.params) {
      const size_t dot = p.find('.'), eq = p.find('=');
      if (dot != std::string::npos && dot < eq) {
        if (p.substr(0, dot) == arch) run.overrides.push_back(p.substr(dot + 1));
      } else {
        run.overrides.push_back(p);
      }
    }
    run.options.mode = a.mode;
    run.options.weights_on_chip = a.weights_on_chip;
    Result<hw::SimReport> r = hw::run_sim(*w, run);
    if (!r.ok()) return fail(r.status().with_context("--archs " + arch));
    reports.push_back(std::move(*r));
  }
  if (reports.empty()) return fail(invalid_argument("--archs \"{}\" names no arch", a.archs));
  if (a.csv) {  // one row per arch: its totals
    nlohmann::json rows = nlohmann::json::array();
    for (const nlohmann::json& r : hw::compare_json(reports)) {
      nlohmann::json row = {{"arch", r["arch"]},
                            {"preset", r["preset"]},
                            {"mode", r["mode"]},
                            {"time_vs_first", r["time_vs_first"]},
                            {"energy_vs_first", r["energy_vs_first"]},
                            {"unsupported_layers", r["unsupported_layers"].size()}};
      row["total"] = r["total"];
      rows.push_back(std::move(row));
    }
    print_csv(rows, {"arch", "preset", "mode"});
    return 0;
  }
  if (a.json) {
    nlohmann::json j = {
        {"model", a.req.model}, {"notes", w->notes}, {"archs", hw::compare_json(reports)}};
    std::printf("%s\n", j.dump(2).c_str());
  } else {
    std::printf("%s", hw::compare_text(reports).c_str());
    for (const auto& [k, v] : w->notes) std::printf("%s: %s\n", k.c_str(), v.c_str());
  }
  return 0;
}

}  // namespace

void add_simulate_command(CLI::App& app) {
  auto a = std::make_shared<SimArgs>();
  auto* sub = app.add_subcommand("simulate", "Simulate a model on an accelerator model");
  sub->add_option("--arch", a->arch, "arch name, preset (configs/archs) or .yaml file")
      ->capture_default_str();
  add_workload_options(sub, *a);
  add_csv_flag(sub, a->csv, "one row per layer and a last row \"total\" (stats only)");
  sub->add_flag("--functional", a->functional,
                "also run the bit-exact functional model (sieve) on the --data inputs; with "
                "--program it executes each layer's program instruction by instruction");
  a->dump_outputs_opt =
      sub->add_option("--dump-outputs", a->dump_outputs,
                      "with --functional: write the final-layer outputs (docs/formats/outputs.md)");
  sub->add_option("--emit", a->emit,
                  "what to print: stats (simulate), or plan (the layer plans the simulation "
                  "runs, as sieve tile prints them)")
      ->capture_default_str();
  add_plan_options(sub, *a);
  sub->add_option("--program", a->program,
                  "drive the model by each layer's generated program (sieve compile) on a "
                  "multi-issue or single-issue controller, instead of by the plan: multi, single");
  on_run(sub, [a] { return run_simulate(*a); });
}

void add_compare_command(CLI::App& app) {
  auto a = std::make_shared<SimArgs>();
  auto* sub =
      app.add_subcommand("compare", "Simulate a model on several accelerators side by side");
  sub->add_option("--archs", a->archs,
                  "comma-separated arch names or presets, or \"all\" (every registered arch; "
                  "layers an arch cannot run are listed with the reason)")
      ->capture_default_str();
  add_workload_options(sub, *a);
  add_csv_flag(sub, a->csv, "one row per arch with its totals");
  on_run(sub, [a] { return run_compare(*a); });
}

}  // namespace sieve::cli
