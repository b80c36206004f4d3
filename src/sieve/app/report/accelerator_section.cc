// The accelerator section: every `sieve simulate --json` and `sieve compare --json` input
// together, grouped by benchmark (the model) and design, drawn as the thesis draws its
// Figs 5.3–5.8: speed-up and energy saving over the first design, per benchmark, and the
// energy breakdowns (on-chip vs off-chip, and on-chip by action).
#include <fmt/ranges.h>

#include <algorithm>
#include <cmath>
#include <map>
#include <set>

#include "sieve/app/report/fields.h"
#include "sieve/app/report/page.h"

namespace sieve::app::report {
namespace {

struct Design {
  std::string file, model, arch, preset, mode, label;
  double batch = 1;
  double time_ns = 0, energy_pj = 0, onchip_pj = 0, offchip_pj = 0;
  double unsupported = 0;
  std::vector<std::pair<std::string, double>> by_action;  // pJ
};

Result<Design> read_design(const Field& f, const std::string& model_fallback) {
  Design d;
  d.file = f.file();
  SIEVE_ASSIGN_OR_RETURN(d.arch, f.string("arch"));
  SIEVE_ASSIGN_OR_RETURN(d.model, f.optional_string("model", model_fallback));
  SIEVE_ASSIGN_OR_RETURN(d.preset, f.optional_string("preset", ""));
  SIEVE_ASSIGN_OR_RETURN(d.mode, f.optional_string("mode", ""));
  SIEVE_ASSIGN_OR_RETURN(std::optional<double> batch, f.optional_number("batch"));
  d.batch = batch.value_or(1);
  SIEVE_ASSIGN_OR_RETURN(std::optional<double> unsupported,
                         f.optional_number("unsupported_layers"));
  d.unsupported = unsupported.value_or(0);
  SIEVE_ASSIGN_OR_RETURN(Field total, f.at("total"));
  SIEVE_ASSIGN_OR_RETURN(d.time_ns, total.number("time_ns"));
  SIEVE_ASSIGN_OR_RETURN(Field energy, total.at("energy_pj"));
  SIEVE_ASSIGN_OR_RETURN(d.energy_pj, energy.number("total"));
  SIEVE_ASSIGN_OR_RETURN(d.onchip_pj, energy.number("onchip"));
  SIEVE_ASSIGN_OR_RETURN(d.offchip_pj, energy.number("offchip"));
  if (energy.has("by_action")) {
    SIEVE_ASSIGN_OR_RETURN(auto actions, energy.members("by_action"));
    for (const auto& [key, value] : actions) {
      SIEVE_ASSIGN_OR_RETURN(double pj, value.number());
      d.by_action.emplace_back(key, pj);
    }
  }
  if (d.time_ns < 0) return total.error(fmt::format("time_ns is negative: {}", d.time_ns));
  if (d.energy_pj < 0) return energy.error(fmt::format("total is negative: {}", d.energy_pj));
  return d;
}

// Labels: the arch name, unless results of one arch differ in preset or mode, then
// "arch preset/mode" for that arch; a label repeated within one benchmark gets " #2", " #3"...
void assign_labels(std::vector<Design>& designs) {
  std::map<std::string, std::set<std::pair<std::string, std::string>>> variants;
  for (const Design& d : designs) variants[d.arch].insert({d.preset, d.mode});
  std::map<std::pair<std::string, std::string>, int> seen;  // (model, label) -> count
  for (Design& d : designs) {
    std::string label = d.arch;
    if (variants[d.arch].size() > 1) label += " " + d.preset + "/" + d.mode;
    const int n = ++seen[{d.model, label}];
    if (n > 1) label += " #" + std::to_string(n);
    d.label = label;
  }
}

template <typename T>
void add_unique(std::vector<T>& v, const T& x) {
  if (std::find(v.begin(), v.end(), x) == v.end()) v.push_back(x);
}

// A width that gives each bar about `per_bar` pixels.
int chart_width(size_t bars, int per_bar = 26) {
  return std::clamp(static_cast<int>(160 + per_bar * bars), 560, 1500);
}

std::string title_list(const std::vector<std::string>& labels, size_t first_column,
                       const std::string& style_extra = "") {
  std::string s;
  for (size_t j = 0; j < labels.size(); ++j) {
    s += j ? ", \"\" using " : "\"data.tsv\" using ";
    s += std::to_string(first_column + j);
    if (j == 0) s += ":xtic(1)";
    s += " title " + gp_quote(labels[j]) + " lc rgb \"" + series_colour(j) + "\"" + style_extra;
  }
  return s;
}

// Benchmarks compared on the same designs: drawn together, over the group's first design.
struct Group {
  std::vector<std::string> labels;  // designs, in the order of the inputs
  std::vector<std::string> models;  // benchmarks
};

using Cells = std::map<std::pair<std::string, std::string>, const Design*>;

// A benchmark's name as the charts show it (the table keeps the full one): a model file by its
// file name, a thesis benchmark without "thesis:".
std::string short_model(const std::string& m) {
  const size_t slash = m.rfind('/');
  if (slash != std::string::npos) return m.substr(slash + 1);
  return m.rfind("thesis:", 0) == 0 ? m.substr(7) : m;
}

// The speed-up and energy-saving bars of a group (when it has two designs or more) and its
// two energy breakdowns.
Result<std::string> group_charts(const Group& g, const Cells& cell, const std::string& what,
                                 bool partial, Page& page) {
  const std::vector<std::string>& labels = g.labels;
  const std::vector<std::string>& models = g.models;
  const std::string& base_label = labels.front();
  auto at = [&](const std::string& m, const std::string& l) -> const Design* {
    auto it = cell.find({m, l});
    return it == cell.end() ? nullptr : it->second;
  };
  std::string html;
  for (int which = 0; which < 2 && labels.size() > 1; ++which) {
    std::string data;
    std::vector<std::vector<double>> logs(labels.size());
    double lo = 1, hi = 1;
    for (const std::string& m : models) {
      data += tsv_label(short_model(m));
      const Design& b = *at(m, base_label);
      for (size_t j = 0; j < labels.size(); ++j) {
        const Design& d = *at(m, labels[j]);
        const double v = which == 0 ? (d.time_ns > 0 ? b.time_ns / d.time_ns : NAN)
                                    : (d.energy_pj > 0 ? b.energy_pj / d.energy_pj : NAN);
        if (std::isfinite(v) && v > 0) {
          logs[j].push_back(std::log(v));
          lo = std::min(lo, v);
          hi = std::max(hi, v);
        }
        data += '\t';
        data += tsv_number(v);
      }
      data += "\n";
    }
    if (models.size() > 1) {
      data += "geo. mean";
      for (size_t j = 0; j < labels.size(); ++j) {
        double s = 0;
        for (double l : logs[j]) s += l;
        data += '\t';
        data += tsv_number(logs[j].empty() ? NAN : std::exp(s / logs[j].size()));
      }
      data += "\n";
    }
    Plot p;
    p.title = (which == 0 ? "Speed-up over " : "Energy saving over ") + base_label + what;
    p.caption = which == 0
                    ? "Time of " + esc(base_label) +
                          " over each design's time, per benchmark (higher is faster), as in "
                          "the thesis' Figs 5.3–5.5."
                    : "Energy of " + esc(base_label) +
                          " over each design's energy, per benchmark (higher is more frugal), as "
                          "in the thesis' Figs 5.6–5.8.";
    if (models.size() > 1) p.caption += " Last group: the geometric mean over the benchmarks.";
    const bool log_scale = hi / lo > 30;
    if (log_scale) p.caption += " Log scale.";
    const size_t groups = models.size() + (models.size() > 1 ? 1 : 0);
    p.width = chart_width(groups * (labels.size() + 1), 18);
    p.data = {{"data.tsv", data}};
    p.script = std::string(
                   "set style data histograms\nset style histogram clustered gap 1\n"
                   "set style fill solid 0.85 border -1\nset grid ytics\n") +
               (log_scale ? "set logscale y\n" : "set yrange [0:*]\n") + "set ylabel " +
               gp_quote(which == 0 ? "speed-up (×)" : "energy saving (×)") +
               "\nset key outside bottom center horizontal\n"
               "set xrange [-0.6:" +
               std::to_string(groups) +
               "-0.4]\nset offsets 0, 0, graph 0.06, 0\n"
               "set arrow from graph 0, first 1 to graph 1, first 1 nohead dt 2 lc rgb "
               "\"#555555\"\n" +
               (groups > 6 ? "set xtics rotate by -30 left\n" : "") + "plot " +
               title_list(labels, 2) + "\n";
    SIEVE_ASSIGN_OR_RETURN(std::string fig, page.figure(std::move(p)));
    html += fig;
  }

  // Energy breakdowns, each bar normalised to its benchmark's baseline energy: one group of
  // stacked bars per benchmark.
  std::vector<std::string> keys;  // on-chip action keys, by their summed normalised energy
  {
    std::map<std::string, double> weight;
    for (const std::string& m : models) {
      const double b = std::max(at(m, base_label)->energy_pj, 1e-300);
      for (const std::string& l : labels)
        for (const auto& [k, pj] : at(m, l)->by_action)
          if (k != "dram") weight[k] += pj / b;
    }
    std::vector<std::pair<double, std::string>> order;
    for (const auto& [k, w] : weight) order.emplace_back(-w, k);
    std::sort(order.begin(), order.end());
    for (const auto& [w, k] : order) keys.push_back(k);
  }
  constexpr size_t kMaxKeys = 9;
  const bool other = keys.size() > kMaxKeys;
  if (other) keys.resize(kMaxKeys);
  for (int which = 0; which < 2; ++which) {
    if (which == 1 && keys.empty()) break;
    Plot p;
    std::string plot = "plot ";
    for (size_t mi = 0; mi < models.size(); ++mi) {
      const std::string& m = models[mi];
      const double b = std::max(at(m, base_label)->energy_pj, 1e-300);
      std::string data;
      for (const std::string& label : labels) {
        const Design& d = *at(m, label);
        // "*": the design did not run every layer of this benchmark (see the partial-run note).
        data += tsv_label(label + (d.unsupported > 0 ? " *" : ""));
        if (which == 0) {
          data += '\t';
          data += tsv_number(d.onchip_pj / b) + "\t" + tsv_number(d.offchip_pj / b);
        } else {
          double rest = 0;
          for (const auto& [k, pj] : d.by_action)
            if (k != "dram" && std::find(keys.begin(), keys.end(), k) == keys.end()) rest += pj;
          for (const std::string& k : keys) {
            double v = 0;
            for (const auto& [dk, pj] : d.by_action)
              if (dk == k) v = pj;
            data += '\t';
            data += tsv_number(v / b);
          }
          if (other) {
            data += '\t';
            data += tsv_number(rest / b);
          }
        }
        data += "\n";
      }
      const std::string file = "e" + std::to_string(mi) + ".tsv";
      p.data.emplace_back(file, data);
      if (mi) plot += ", \\\n  ";
      plot +=
          "newhistogram " + gp_quote(short_model(m)) + ", " + gp_quote(file) + " using 2:xtic(1)";
      std::vector<std::string> series =
          which == 0 ? std::vector<std::string>{"on-chip", "off-chip (DRAM)"} : keys;
      if (which == 1 && other) series.push_back("other actions");
      for (size_t j = 0; j < series.size(); ++j) {
        if (j) plot += ", \"\" using " + std::to_string(j + 2);
        plot += mi == 0 ? " title " + gp_quote(series[j]) : std::string(" notitle");
        plot += " lc rgb \"" + (which == 0 ? series_colour(j * 2) : series_colour(j)) + "\"";
      }
    }
    p.title =
        (which == 0 ? "Energy breakdown: on-chip and off-chip" : "On-chip energy by action") + what;
    p.caption = std::string(which == 0 ? "Each design's energy split into on-chip (buffers, "
                                         "compute, control) and off-chip (DRAM) energy"
                                       : "Each design's on-chip energy by the action that spent "
                                         "it (the keys of energy_pj.by_action but dram; the "
                                         "smaller ones summed as other actions)") +
                ", as a fraction of the benchmark's " + esc(base_label) + " total energy (= 1)." +
                (partial ? " *: a partial run (see above)." : "");
    p.width = chart_width(models.size() * (labels.size() + 1), 30);
    p.height = which == 0 ? 380 : 440;
    p.script = std::string(
                   "set style data histograms\nset style histogram rowstacked "
                   "title offset 0,-1.5\nset style fill solid 0.85 border -1\n"
                   "set boxwidth 0.75\nset grid ytics\nset yrange [0:*]\n"
                   "set ylabel \"energy / baseline energy\"\n"
                   "set xtics rotate by -35 left\nset bmargin 8\n"
                   "set offsets 0, 0, graph 0.04, 0\n"
                   "set key outside right top vertical\n") +
               plot + "\n";
    SIEVE_ASSIGN_OR_RETURN(std::string fig, page.figure(std::move(p)));
    html += fig;
  }
  return html;
}

}  // namespace

Result<std::string> accelerator_section(const std::vector<const Input*>& inputs, Page& page) {
  std::vector<Design> designs;
  for (const Input* in : inputs) {
    const Field doc(in->path, in->doc);
    if (in->kind == InputKind::kSimulate) {
      SIEVE_ASSIGN_OR_RETURN(Design d, read_design(doc, ""));
      designs.push_back(std::move(d));
    } else {
      SIEVE_ASSIGN_OR_RETURN(std::string model, doc.optional_string("model", ""));
      SIEVE_ASSIGN_OR_RETURN(std::vector<Field> archs, doc.list("archs"));
      if (archs.empty()) return doc.error("archs: the list is empty: no design was compared");
      for (const Field& a : archs) {
        SIEVE_ASSIGN_OR_RETURN(Design d, read_design(a, model));
        designs.push_back(std::move(d));
      }
    }
  }
  assign_labels(designs);
  std::vector<std::string> models, labels;
  for (const Design& d : designs) {
    add_unique(models, d.model);
    add_unique(labels, d.label);
  }
  Cells cell;
  for (const Design& d : designs) cell[{d.model, d.label}] = &d;
  // Group the benchmarks by the set of designs they ran on (in input order): the thesis draws
  // one figure per set of rivals, and a benchmark compared on other designs would leave holes.
  std::vector<Group> groups;
  for (const std::string& m : models) {
    std::vector<std::string> ls;
    for (const Design& d : designs)
      if (d.model == m) add_unique(ls, d.label);
    auto same = [&](const Group& g) {
      return g.labels.size() == ls.size() &&
             std::is_permutation(g.labels.begin(), g.labels.end(), ls.begin());
    };
    auto it = std::find_if(groups.begin(), groups.end(), same);
    if (it == groups.end()) {
      groups.push_back(Group{ls, {m}});
    } else {
      it->models.push_back(m);
    }
  }

  std::string html =
      "<h2>Accelerators: time and energy</h2>\n<p class=\"muted\">" +
      std::to_string(designs.size()) + " simulation result" + (designs.size() == 1 ? "" : "s") +
      " of " + std::to_string(labels.size()) + " design" + (labels.size() == 1 ? "" : "s") +
      " on " + std::to_string(models.size()) + " benchmark" + (models.size() == 1 ? "" : "s") +
      " (<code>sieve simulate --json</code>, <code>sieve compare --json</code>). "
      "Benchmarks run on the same designs are drawn together; speed-up and "
      "energy saving are over the first of those designs, in the order of the "
      "inputs.</p>\n";
  std::string partial;
  for (const Design& d : designs)
    if (d.unsupported > 0)
      partial += (partial.empty() ? "" : "; ") + esc(d.label) + " on " + esc(d.model) + ": " +
                 num(d.unsupported) + " layer(s)";
  if (!partial.empty())
    html +=
        "<p><b>Partial runs.</b> These designs cannot run some layers; their time and "
        "energy count only the layers they run, so their bars flatter them: " +
        partial + ".</p>\n";

  for (size_t gi = 0; gi < groups.size(); ++gi) {
    const Group& g = groups[gi];
    std::string what;
    if (groups.size() > 1) {
      what = g.models.size() == 1 ? " on " + short_model(g.models.front())
                                  : " (" + std::to_string(g.labels.size()) + " designs, " +
                                        std::to_string(g.models.size()) + " benchmarks)";
      html += "<h3>" + esc(fmt::format("{}", fmt::join(g.labels, ", "))) + " on " +
              esc(g.models.size() == 1 ? short_model(g.models.front())
                                       : std::to_string(g.models.size()) + " benchmarks") +
              "</h3>\n";
    }
    SIEVE_ASSIGN_OR_RETURN(std::string charts, group_charts(g, cell, what, !partial.empty(), page));
    html += charts;
  }

  Table t({"benchmark", "design", "preset", "mode", "file", "batch", "time µs", "energy µJ",
           "on-chip µJ", "off-chip share", "speed-up", "energy saving", "unsupported layers"});
  t.numeric(5);
  for (const Group& g : groups)
    for (const std::string& m : g.models)
      for (const std::string& label : g.labels) {
        const Design& d = *cell.at({m, label});
        const Design& b = *cell.at({m, g.labels.front()});
        t.row({esc(m), esc(label), esc(d.preset), esc(d.mode),
               "<span class=\"file\">" + esc(d.file) + "</span>", num(d.batch),
               num(d.time_ns / 1e3), num(d.energy_pj / 1e6), num(d.onchip_pj / 1e6),
               d.energy_pj > 0 ? percent(d.offchip_pj / d.energy_pj) : "–",
               d.time_ns > 0 ? times(b.time_ns / d.time_ns) : "–",
               d.energy_pj > 0 ? times(b.energy_pj / d.energy_pj) : "–", num(d.unsupported)});
      }
  html +=
      "<h3>All results</h3>\n<p class=\"muted\">Speed-up and energy saving over the first "
      "design of the benchmark's group.</p>\n" +
      page.table(t);
  return html;
}

}  // namespace sieve::app::report
