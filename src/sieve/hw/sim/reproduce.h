// `sieve reproduce`: recomputes published figures — the thesis' headline figures (SPEC §7) and
// those of each modelled rival's own paper — from our own models, and prints each beside the
// published value with its deviation, grouped by source.
//
// Every figure is computed, never looked up: the seven thesis benchmarks (hw/workloads/thesis.h:
// zoo shapes, coarse-grained masks at the published sparsity, synthetic activations at the
// published dynamic sparsity — there is no ImageNet here) are simulated on Sieve, DianNao and
// Cambricon-X; Table 5.2 uses the six EIE FC layers with every weight on chip; Fig 5.9 sweeps one
// conv and one FC layer; the tiling example runs the compiler on VGG16 conv4_2. Aggregates over
// benchmarks are geometric means. A figure is "reproduced" when it lies within 25 % of the
// published one (SPEC §9 / issue tolerance).
//
// Thread-safety: reentrant; runs simulations on up to `threads` threads.
#pragma once

#include <nlohmann/json.hpp>

#include <functional>
#include <string>
#include <vector>

#include "sieve/core/status.h"

namespace sieve::hw {

// What a row is. Only "simulated" rows are counted as reproduced or not:
//   "simulated"      computed by running our models on the benchmark;
//   "formula-check"  a published formula run on the publication's own inputs: exact by
//                    construction, so it checks our arithmetic, not our models (shown, not
//                    counted);
//   "measured"       timed on this machine's CPU: another CPU than the publication's (shown, not
//                    counted; computed only when named);
//   "published-input" ours takes a published number as an input (e.g. our EIE against the
//                    thesis' printed Sieve times): it isolates one model, but is not ours alone
//                    (shown, not counted);
//   "improvement"    the published value is a bound ours is meant to beat (a searched tiling no
//                    worse than the thesis'): shown with whether it does, not counted as a
//                    reproduction;
//   "not-attempted"  a published figure we do not compute yet: listed with the reason (in
//                    `how`), so the table shows its own coverage.
inline constexpr const char* kSimulated = "simulated";
inline constexpr const char* kFormulaCheck = "formula-check";
inline constexpr const char* kMeasured = "measured";
inline constexpr const char* kPublishedInput = "published-input";
inline constexpr const char* kImprovement = "improvement";
inline constexpr const char* kNotAttempted = "not-attempted";

struct FigureResult {
  std::string figure;        // id, e.g. "speedup-vs-diannao"
  std::string description;   // what it is and where it is published
  std::string source;        // the publication the figure comes from (its group's source)
  std::string kind = kSimulated;
  nlohmann::json published;  // number (or string for a choice)
  nlohmann::json ours;
  double deviation = 0;        // ours / published − 1 (numbers only)
  bool reproduced = false;     // simulated, and |deviation| ≤ 25 % (or the same choice);
                               // improvement: ours ≤ published (not counted either way)
  bool measured_here = false;  // kind == "measured"
  std::string how;             // how ours was computed
  // The assumed constants it depends on ("configs/archs/sieve-65nm.yaml: vector_lanes"), from
  // its group's configs (FigureGroup::configs): every parameter whose source says
  // "assumption".
  std::vector<std::string> assumptions;
};

struct ReproduceOptions {
  uint64_t seed = 1;
  int threads = 2;
  std::vector<std::string> benchmarks;  // empty = all seven
  // "key=value" applied to every architecture (e.g. the shared DRAM parameters, for a
  // sensitivity study); each arch must know the key.
  std::vector<std::string> overrides;
  // Called before each publication's group is computed and once after the last: groups done,
  // groups chosen, and the source of the group about to run ("" after the last).
  std::function<void(int64_t done, int64_t total, const std::string& source)> progress;
};

// A publication's figures: one group per source, defined in its own file under hw/sim/figures/
// and listed, one line each, in hw/sim/figures/figures.def (the print order). Adding a
// publication's figures is that file and that line.
struct FigureDef {
  std::string id;  // unique over all groups; "<group prefix>-..." keeps prefixes selective
  std::string description;
  // Number, string (a choice), or null (no published value: a point of a published curve whose
  // numbers the paper does not print; shown, never counted as reproduced or not).
  nlohmann::json published;
  std::string kind = kSimulated;
  std::string reason = {};  // kind "not-attempted": why (becomes the row's `how`)
};
// Reports one figure's value and how it was computed (ignored for ids not asked for).
using FigureSetter =
    std::function<void(const std::string& id, nlohmann::json ours, const std::string& how)>;
// True when a figure whose id starts with `prefix` is asked for (to skip unneeded simulations).
using FigureWanted = std::function<bool(const std::string& prefix)>;
struct FigureGroup {
  std::string source;  // e.g. "Sieve thesis (SPEC §7)", "EIE (Han et al., ISCA 2016)"
  std::vector<FigureDef> figures;
  // Computes the wanted figures, each reported through the setter; an error stops reproduce.
  std::function<Status(const FigureWanted&, const ReproduceOptions&, const FigureSetter&)> compute;
  // The configs its figures run, relative to configs/ without ".yaml" ("archs/sieve-65nm",
  // "area/tech-65nm"); an arch preset brings its energy table. Their parameters whose source
  // begins with "assumption" are each figure's `assumptions` in reproduce --json.
  std::vector<std::string> configs = {};
};
namespace figures {
#define SIEVE_FIGURES(fn) FigureGroup fn();
#include "sieve/hw/sim/figures/figures.def"
#undef SIEVE_FIGURES
}  // namespace figures
const std::vector<FigureGroup>& figure_groups();  // figures.def's groups, in its order

// Figure ids, in print order; a prefix selects several ("table5.2" → its six figures). The
// "cpu" figures (the thesis' CPU baselines timed on this machine, app/cpu_baselines.h) runs only
// when named: it takes a minute and its numbers depend on the host.
std::vector<std::string> figure_ids();

// The figures named (ids or prefixes; empty = all). Unknown names are refused listing the ids.
Result<std::vector<FigureResult>> reproduce(const std::vector<std::string>& names,
                                            const ReproduceOptions& opt);

std::string figures_text(const std::vector<FigureResult>& f);
nlohmann::json figures_json(const std::vector<FigureResult>& f);

}  // namespace sieve::hw
