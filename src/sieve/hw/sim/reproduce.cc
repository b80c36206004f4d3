// The generic part of `sieve reproduce`: selection, the reproduced rule, and printing. Each
// publication's figures are computed in hw/sim/figures/<source>.cc.
#include "sieve/hw/sim/reproduce.h"

#include <fmt/format.h>

#include <cmath>
#include <map>
#include <set>

#include "sieve/hw/core/params.h"
#include "sieve/hw/energy/energy.h"

namespace sieve::hw {
namespace {

constexpr double kTolerance = 0.25;  // issue 4: within 25 % is reproduced

}  // namespace

const std::vector<FigureGroup>& figure_groups() {
  static const std::vector<FigureGroup> g = {
#define SIEVE_FIGURES(fn) figures::fn(),
#include "sieve/hw/sim/figures/figures.def"
#undef SIEVE_FIGURES
  };
  return g;
}

std::vector<std::string> figure_ids() {
  std::vector<std::string> ids;
  for (const FigureGroup& g : figure_groups())
    for (const FigureDef& d : g.figures) ids.push_back(d.id);
  return ids;
}

namespace {

// "configs/<c>.yaml: key" for every parameter of the group's configs (and each arch preset's
// energy table) whose source begins with "assumption".
Result<std::vector<std::string>> assumptions_of(const FigureGroup& g) {
  std::vector<std::string> out;
  auto add = [&out](const ParamSet& ps, const std::string& shown) {
    for (const Param& p : ps.params)
      if (p.source.starts_with("assumption") || p.source.starts_with("Assumption"))
        out.push_back(shown + ": " + p.name);
  };
  for (const std::string& c : g.configs) {
    const std::string path = config_dir() + "/" + c + ".yaml";
    SIEVE_ASSIGN_OR_RETURN(const ParamSet ps, read_params(path));
    add(ps, "configs/" + c + ".yaml");
    if (!ps.energy.empty()) {
      SIEVE_ASSIGN_OR_RETURN(const ParamSet e, energy_table_for(ps));
      add(e, "configs/energy/" + ps.energy + ".yaml");
    }
  }
  return out;
}

}  // namespace

Result<std::vector<FigureResult>> reproduce(const std::vector<std::string>& names,
                                            const ReproduceOptions& opt) {
  // Which figures: each name is an id or a prefix; none = every figure but the measured ones.
  std::set<std::string> chosen;
  for (const std::string& n : names) {
    bool any = false;
    for (const std::string& id : figure_ids())
      if (id == n || id.starts_with(n)) chosen.insert(id), any = true;
    if (!any) {
      std::string known;
      for (const std::string& id : figure_ids()) known += (known.empty() ? "" : ", ") + id;
      return invalid_argument("unknown figure \"{}\"; known: {}", n, known);
    }
  }
  if (names.empty())
    for (const FigureGroup& g : figure_groups())
      for (const FigureDef& d : g.figures)
        if (d.kind != kMeasured) chosen.insert(d.id);

  auto has_chosen = [&](const FigureGroup& g) {
    for (const FigureDef& d : g.figures)
      if (chosen.count(d.id) != 0) return true;
    return false;
  };
  int64_t groups = 0, done = 0;
  for (const FigureGroup& g : figure_groups()) groups += has_chosen(g) ? 1 : 0;

  std::vector<FigureResult> result;
  for (const FigureGroup& g : figure_groups()) {
    std::map<std::string, const FigureDef*> mine;
    for (const FigureDef& d : g.figures)
      if (chosen.count(d.id) != 0) mine[d.id] = &d;
    if (mine.empty()) continue;
    if (opt.progress) opt.progress(done++, groups, g.source);
    const FigureWanted want = [&](const std::string& prefix) {
      for (const auto& [id, d] : mine)
        if (id.starts_with(prefix)) return true;
      return false;
    };
    std::map<std::string, FigureResult> out;
    const FigureSetter set = [&](const std::string& id, nlohmann::json ours,
                                 const std::string& how) {
      auto it = mine.find(id);
      if (it == mine.end()) return;
      const FigureDef& d = *it->second;
      FigureResult f;
      f.figure = id;
      f.description = d.description;
      f.source = g.source;
      f.kind = d.kind;
      f.published = d.published;
      f.ours = std::move(ours);
      f.how = how;
      f.measured_here = d.kind == kMeasured;
      const bool numbers = f.published.is_number() && f.ours.is_number();
      if (numbers) f.deviation = f.ours.get<double>() / f.published.get<double>() - 1.0;
      if (d.kind == kImprovement && numbers) {
        f.reproduced = f.ours.get<double>() <= f.published.get<double>() * (1 + 1e-4);
      } else if (d.kind != kSimulated) {
        f.reproduced = false;  // shown, never counted
      } else if (numbers) {
        f.reproduced = std::fabs(f.deviation) <= kTolerance;
      } else {
        f.reproduced = !f.published.is_null() && f.published == f.ours;
      }
      out[id] = std::move(f);
    };
    SIEVE_RETURN_IF_ERROR(g.compute(want, opt, set).with_context(g.source));
    for (const auto& [id, d] : mine) {  // the coverage: what is not computed, and why
      if (d->kind != kNotAttempted) continue;
      FigureResult f;
      f.figure = id;
      f.description = d->description;
      f.source = g.source;
      f.kind = kNotAttempted;
      f.published = d->published;
      f.how = d->reason;
      out[id] = std::move(f);
    }
    SIEVE_ASSIGN_OR_RETURN(const std::vector<std::string> assumed, assumptions_of(g));
    for (const FigureDef& d : g.figures)
      if (out.count(d.id) != 0) {
        out.at(d.id).assumptions = assumed;
        result.push_back(std::move(out.at(d.id)));
      }
  }
  if (opt.progress) opt.progress(done, groups, "");
  return result;
}

std::string figures_text(const std::vector<FigureResult>& f) {
  std::string s = fmt::format("{:<32} {:>14} {:>14} {:>10}  {}\n", "figure", "published", "ours",
                              "deviation", "reproduced (±25 %)");
  int ok = 0, counted = 0;
  std::map<std::string, int> shown_only;  // rows by kind (the simulated ones not used)
  std::string source;
  for (const FigureResult& r : f) {
    if (r.source != source) {
      source = r.source;
      s += fmt::format("-- {}\n", source);
    }
    auto str = [](const nlohmann::json& j) {
      if (j.is_null()) return std::string("-");
      return j.is_number() ? fmt::format("{:.2f}", j.get<double>()) : j.get<std::string>();
    };
    const std::string dev = r.published.is_number() && r.ours.is_number()
                                ? fmt::format("{:>9.1f}%", 100.0 * r.deviation)
                                : "        -";
    // A simulated figure with no published value (a published curve read only for its shape)
    // is shown and not counted.
    const bool unpublished = r.kind == kSimulated && r.published.is_null();
    const std::string verdict =
        r.kind == kMeasured          ? "n/a: timed on this CPU"
        : r.kind == kFormulaCheck    ? "formula check (not counted)"
        : r.kind == kPublishedInput  ? "uses a published input (not counted)"
        : r.kind == kImprovement     ? (r.reproduced ? "improves on it (not counted)"
                                                     : "does not improve on it (not counted)")
        : r.kind == kNotAttempted    ? "not attempted: " + r.how
        : unpublished                ? "no published number (not counted)"
        : r.reproduced               ? "yes"
                                     : "NO";
    s += fmt::format("{:<32} {:>14} {:>14} {}  {}\n", r.figure, str(r.published), str(r.ours),
                     dev, verdict);
    const bool counts = r.kind == kSimulated && !unpublished;
    ok += counts && r.reproduced ? 1 : 0;
    counted += counts ? 1 : 0;
    ++shown_only[r.kind];
  }
  s += fmt::format("{} of {} simulated figures within tolerance", ok, counted);
  std::string others;
  for (const auto& [kind, n] : shown_only)
    if (kind != kSimulated) others += fmt::format("{}{} {}", others.empty() ? "" : ", ", n, kind);
  if (!others.empty()) s += " (not counted: " + others + ")";
  s += "\n";
  return s;
}

nlohmann::json figures_json(const std::vector<FigureResult>& f) {
  nlohmann::json a = nlohmann::json::array();
  for (const FigureResult& r : f)
    a.push_back({{"figure", r.figure},
                 {"description", r.description},
                 {"source", r.source},
                 {"kind", r.kind},
                 {"published", r.published},
                 {"ours", r.ours},
                 {"deviation", r.deviation},
                 {"reproduced", r.reproduced},
                 {"measured_here", r.measured_here},
                 {"how", r.how},
                 {"assumptions", r.assumptions}});
  return a;
}

}  // namespace sieve::hw
