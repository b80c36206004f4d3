// Running accelerator models end to end: build an architecture from a preset and overrides,
// simulate a workload, price the action counts with the architecture's energy table, and
// format the result (text tables and JSON) for `sieve simulate`, `sieve compare` and
// `sieve reproduce`.
//
// Value types; thread-safe (no shared state).
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "sieve/core/status.h"
#include "sieve/hw/core/arch.h"
#include "sieve/hw/core/stats.h"
#include "sieve/hw/core/workload.h"
#include "sieve/hw/energy/energy.h"

namespace sieve::hw {

struct ArchRun {
  std::string arch;                    // arch name, preset stem or .yaml path
  std::vector<std::string> overrides;  // "key=value"
  SimOptions options;
  // Drive the model by each layer's generated program (Accelerator::simulate_programs) on a
  // controller of this issue mode, instead of by the plans.
  bool program = false;
  IssueMode issue = IssueMode::kMulti;
};

struct SimReport {
  SimResult result;
  EnergyBreakdown energy;                     // whole model
  std::vector<EnergyBreakdown> layer_energy;  // per layer, same order as result.layers
  std::string energy_table;                   // file the prices came from
  double total_time_ns() const;
  double offchip_energy_share() const;  // offchip_pj / total
};

Result<SimReport> run_sim(const Workload& w, const ArchRun& run);
// The same with the preset `run.arch` names and its energy table already read (read_preset,
// energy_table_for): a sweep reads each file once, not once a point. `run.arch` is unused.
Result<SimReport> run_sim(const Workload& w, const ArchRun& run, const ParamSet& preset,
                          const ParamSet& energy_table);

// The plans the architecture of `run` makes for the layers of `w` (every layer, or only the one
// named `layer`: an unknown name is refused, listing the layers) — exactly the plans its
// simulate() runs. `sieve tile` and `sieve simulate --emit plan` print them.
struct PlanReport {
  std::string arch, preset, mode, model;
  std::vector<compiler::LayerPlan> layers;  // the layers the design runs, in order
  // The layers it cannot run (Accelerator::unsupported): name and reason, in order; not in
  // `layers`. Naming one of them as `layer` is refused with its reason.
  std::vector<std::pair<std::string, std::string>> unsupported;
};
Result<PlanReport> plan_workload(const Workload& w, const ArchRun& run,
                                 const std::string& layer = "");
// Text: a header line, then plan_text() of each layer; JSON: the header fields and
// plan_json() of each layer (sub-operations when with_sub_ops), plus the total traffic of the
// chosen reuses (thesis formulas and sub-op counts) over the tiled layers × their repeats.
std::string plans_text(const PlanReport& r, bool with_sub_ops);
nlohmann::json plans_json(const PlanReport& r, bool with_sub_ops);

// The code the architecture of `run` generates for the layers of `w` (every layer, or the one
// named `layer`), on the plans plan_workload() gives, packed for `issue`; layer i's tensors
// start in DRAM after layer i-1's. `linked` is all of it as one program (`sieve compile`).
// Refused for an architecture without a code generator.
struct CompileReport {
  std::string arch, preset, mode, model;
  std::vector<compiler::LayerPlan> plans;
  std::vector<compiler::codegen::CompiledLayer> code;
  compiler::codegen::LinkedProgram linked;
};
Result<CompileReport> compile_workload(const Workload& w, const ArchRun& run,
                                       const std::string& layer, IssueMode issue);
// Each layer's plan (with its sub-operations) and its code's layout and counts.
std::string compile_plan_text(const CompileReport& r);

// Per-layer and total table: cycles, time, MACs performed/skipped, off-chip bytes by kind,
// utilisation, stalls, energy (on/off chip). A layer the design cannot run prints its reason
// instead of numbers (JSON: "supported": false and "unsupported": the reason), and the total
// says how many layers it leaves out.
std::string report_text(const SimReport& r);
nlohmann::json report_json(const SimReport& r);

// Side by side: one row per architecture (time and energy, each also as a multiple of the first
// architecture's, off-chip share), then per layer the time of each ("unsupported" where an
// architecture cannot run the layer: its totals then cover fewer layers, which the row says,
// and the reasons follow the table; JSON: "unsupported_layers" per architecture).
std::string compare_text(const std::vector<SimReport>& runs);
nlohmann::json compare_json(const std::vector<SimReport>& runs);

}  // namespace sieve::hw
