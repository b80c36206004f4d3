// The accelerator section: every `sieve simulate --json` and `sieve compare --json` input
// together, grouped by benchmark (the model) and design, drawn as the thesis draws its
// Figs 5.3–5.8: speed-up and energy saving over the first design, per benchmark, and the
// energy breakdowns (on-chip vs off-chip, and on-chip by action).
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
  // cell[(model, label)] -> design
  std::map<std::pair<std::string, std::string>, const Design*> cell;
  for (const Design& d : designs) cell[{d.model, d.label}] = &d;
  // Each benchmark's baseline: the first design overall when the benchmark has it, otherwise the
  // benchmark's own first design.
  std::map<std::string, const Design*> base;
  bool uniform_base = true;
  for (const std::string& m : models) {
    auto it = cell.find({m, labels.front()});
    if (it != cell.end()) {
      base[m] = it->second;
    } else {
      uniform_base = false;
      for (const Design& d : designs)
        if (d.model == m) {
          base[m] = &d;
          break;
        }
    }
  }
  const std::string base_text =
      uniform_base ? labels.front() : "each benchmark's first design (" + labels.front() +
                                          " where it ran)";

  std::string html = "<h2>Accelerators: time and energy</h2>\n<p class=\"muted\">" +
                     std::to_string(designs.size()) + " simulation result" +
                     (designs.size() == 1 ? "" : "s") + " of " + std::to_string(labels.size()) +
                     " design" + (labels.size() == 1 ? "" : "s") + " on " +
                     std::to_string(models.size()) + " benchmark" +
                     (models.size() == 1 ? "" : "s") +
                     " (<code>sieve simulate --json</code>, <code>sieve compare --json</code>). "
                     "Speed-up and energy saving are over " +
                     esc(base_text) + ".</p>\n";
  std::string partial;
  for (const Design& d : designs)
    if (d.unsupported > 0)
      partial += (partial.empty() ? "" : "; ") + esc(d.label) + " on " + esc(d.model) + ": " +
                 num(d.unsupported) + " layer(s)";
  if (!partial.empty())
    html += "<p><b>Partial runs.</b> These designs cannot run some layers; their time and "
            "energy count only the layers they run, so their bars flatter them: " +
            partial + ".</p>\n";

  // Speed-up and energy saving per benchmark and design, with the geometric mean over the
  // benchmarks where a design ran (when there are several).
  const bool any_pair = designs.size() > models.size();
  for (int which = 0; which < 2 && any_pair; ++which) {
    std::string data;
    std::vector<std::vector<double>> logs(labels.size());
    double lo = 1, hi = 1;
    for (const std::string& m : models) {
      data += tsv_label(m);
      for (size_t j = 0; j < labels.size(); ++j) {
        auto it = cell.find({m, labels[j]});
        double v = NAN;
        if (it != cell.end()) {
          const Design& d = *it->second;
          const Design& b = *base[m];
          v = which == 0 ? (d.time_ns > 0 ? b.time_ns / d.time_ns : NAN)
                         : (d.energy_pj > 0 ? b.energy_pj / d.energy_pj : NAN);
          if (std::isfinite(v) && v > 0) {
            logs[j].push_back(std::log(v));
            lo = std::min(lo, v);
            hi = std::max(hi, v);
          }
        }
        data += "\t" + tsv_number(v);
      }
      data += "\n";
    }
    if (models.size() > 1) {
      data += "geo. mean";
      for (size_t j = 0; j < labels.size(); ++j) {
        double s = 0;
        for (double l : logs[j]) s += l;
        data += "\t" + tsv_number(logs[j].empty() ? NAN : std::exp(s / logs[j].size()));
      }
      data += "\n";
    }
    Plot p;
    p.title = which == 0 ? "Speed-up over " + base_text : "Energy saving over " + base_text;
    p.caption = which == 0
                    ? "Time of the baseline over each design's time, per benchmark (higher is "
                      "faster), as in the thesis' Figs 5.3–5.5."
                    : "Energy of the baseline over each design's energy, per benchmark (higher "
                      "is more frugal), as in the thesis' Figs 5.6–5.8.";
    if (models.size() > 1) p.caption += " Last group: the geometric mean over the benchmarks.";
    const bool log_scale = hi / lo > 30;
    if (log_scale) p.caption += " Log scale.";
    p.width = chart_width((models.size() + 1) * (labels.size() + 1), 18);
    p.data = {{"data.tsv", data}};
    p.script = std::string("set style data histograms\nset style histogram clustered gap 1\n"
                           "set style fill solid 0.85 border -1\nset grid ytics\n") +
               (log_scale ? "set logscale y\n" : "set yrange [0:*]\n") +
               "set ylabel " + gp_quote(which == 0 ? "speed-up (×)" : "energy saving (×)") +
               "\nset key outside bottom center horizontal\n"
               "set xrange [-0.6:" + std::to_string(models.size() + (models.size() > 1 ? 1 : 0)) +
               "-0.4]\nset offsets 0, 0, graph 0.06, 0\n"
               "set arrow from graph 0, first 1 to graph 1, first 1 nohead dt 2 lc rgb "
               "\"#555555\"\n" +
               (models.size() > 6 ? "set xtics rotate by -30 left\n" : "") + "plot " +
               title_list(labels, 2) + "\n";
    SIEVE_ASSIGN_OR_RETURN(std::string fig, page.figure(std::move(p)));
    html += fig;
  }

  // Energy breakdowns, each bar normalised to its benchmark's baseline energy: one group of
  // stacked bars per benchmark.
  std::vector<std::string> keys;  // on-chip action keys, by their summed normalised energy
  {
    std::map<std::string, double> weight;
    for (const Design& d : designs)
      for (const auto& [k, pj] : d.by_action)
        if (k != "dram") weight[k] += pj / std::max(base[d.model]->energy_pj, 1e-300);
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
      const double b = std::max(base[m]->energy_pj, 1e-300);
      std::string data;
      for (const std::string& label : labels) {
        auto it = cell.find({m, label});
        if (it == cell.end()) continue;
        const Design& d = *it->second;
        // "*": the design did not run every layer of this benchmark (see the partial-run note).
        data += tsv_label(label + (d.unsupported > 0 ? " *" : ""));
        if (which == 0) {
          data += "\t" + tsv_number(d.onchip_pj / b) + "\t" + tsv_number(d.offchip_pj / b);
        } else {
          double rest = 0;
          for (const auto& [k, pj] : d.by_action)
            if (k != "dram" && std::find(keys.begin(), keys.end(), k) == keys.end()) rest += pj;
          for (const std::string& k : keys) {
            double v = 0;
            for (const auto& [dk, pj] : d.by_action)
              if (dk == k) v = pj;
            data += "\t" + tsv_number(v / b);
          }
          if (other) data += "\t" + tsv_number(rest / b);
        }
        data += "\n";
      }
      const std::string file = "e" + std::to_string(mi) + ".tsv";
      p.data.emplace_back(file, data);
      if (mi) plot += ", \\\n  ";
      plot += "newhistogram " + gp_quote(m) + ", " + gp_quote(file) + " using 2:xtic(1)";
      std::vector<std::string> series =
          which == 0 ? std::vector<std::string>{"on-chip", "off-chip (DRAM)"} : keys;
      if (which == 1 && other) series.push_back("other actions");
      for (size_t j = 0; j < series.size(); ++j) {
        if (j) plot += ", \"\" using " + std::to_string(j + 2);
        plot += mi == 0 ? " title " + gp_quote(series[j]) : std::string(" notitle");
        plot += " lc rgb \"" + (which == 0 ? series_colour(j * 2) : series_colour(j)) + "\"";
      }
    }
    p.title = which == 0 ? "Energy breakdown: on-chip and off-chip"
                         : "On-chip energy by action";
    p.caption = std::string(which == 0 ? "Each design's energy split into on-chip (buffers, "
                                         "compute, control) and off-chip (DRAM) energy"
                                       : "Each design's on-chip energy by the action that spent "
                                         "it (the keys of energy_pj.by_action but dram; the "
                                         "smaller ones summed as other actions)") +
                ", as a fraction of the benchmark's " +
                (uniform_base ? labels.front() : "baseline") + " total energy (= 1)." +
                (partial.empty() ? "" : " *: a partial run (see above).");
    p.width = chart_width(designs.size() + 2 * models.size(), 30);
    p.height = which == 0 ? 380 : 440;
    p.script = std::string("set style data histograms\nset style histogram rowstacked "
                           "title offset 0,-1.5\nset style fill solid 0.85 border -1\n"
                           "set boxwidth 0.75\nset grid ytics\nset yrange [0:*]\n"
                           "set ylabel \"energy / baseline energy\"\n"
                           "set xtics rotate by -35 left\nset bmargin 8\nset offsets 0, 0, graph 0.04, 0\n"
                           "set key outside right top vertical\n") +
               plot + "\n";
    SIEVE_ASSIGN_OR_RETURN(std::string fig, page.figure(std::move(p)));
    html += fig;
  }

  Table t({"benchmark", "design", "preset", "mode", "file", "batch", "time µs", "energy µJ",
           "on-chip µJ", "off-chip share", "speed-up", "energy saving", "unsupported layers"});
  t.numeric(5);
  for (const std::string& m : models)
    for (const std::string& label : labels) {
      auto it = cell.find({m, label});
      if (it == cell.end()) continue;
      const Design& d = *it->second;
      const Design& b = *base[m];
      t.row({esc(m), esc(label), esc(d.preset), esc(d.mode),
             "<span class=\"file\">" + esc(d.file) + "</span>", num(d.batch),
             num(d.time_ns / 1e3), num(d.energy_pj / 1e6), num(d.onchip_pj / 1e6),
             d.energy_pj > 0 ? percent(d.offchip_pj / d.energy_pj) : "–",
             d.time_ns > 0 ? times(b.time_ns / d.time_ns) : "–",
             d.energy_pj > 0 ? times(b.energy_pj / d.energy_pj) : "–", num(d.unsupported)});
    }
  html += "<h3>All results</h3>\n" + page.table(t);
  return html;
}

}  // namespace sieve::app::report
