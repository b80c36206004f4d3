// The sweep section: one `sieve sweep --out X.json` result (docs/formats/sweep.md, version 1):
// a scatter plot of two metrics with the Pareto front, a heat map of a metric over the two axes
// with the most values, a sensitivity curve when only one axis varies, and the front as a table.
#include <fmt/ranges.h>

#include <algorithm>
#include <cmath>
#include <map>

#include "sieve/app/report/fields.h"
#include "sieve/app/report/page.h"

namespace sieve::app::report {
namespace {

struct Point {
  int64_t index = 0;
  std::vector<nlohmann::json> axis;  // one value per axis
  std::vector<double> metric;        // NAN where null
  std::string error;
  bool pareto = false;
};

std::string axis_text(const nlohmann::json& v) {
  if (v.is_string()) return v.get<std::string>();
  if (v.is_number()) return num(v.get<double>());
  return v.dump();
}

// An axis's distinct values in order: numbers ascending, otherwise as they first appear.
std::vector<nlohmann::json> distinct(const std::vector<const Point*>& pts, size_t a) {
  std::vector<nlohmann::json> v;
  for (const Point* p : pts)
    if (std::find(v.begin(), v.end(), p->axis[a]) == v.end()) v.push_back(p->axis[a]);
  if (std::all_of(v.begin(), v.end(), [](const nlohmann::json& x) { return x.is_number(); }))
    std::sort(v.begin(), v.end(), [](const nlohmann::json& x, const nlohmann::json& y) {
      return x.get<double>() < y.get<double>();
    });
  return v;
}

size_t position(const std::vector<nlohmann::json>& values, const nlohmann::json& v) {
  return static_cast<size_t>(std::find(values.begin(), values.end(), v) - values.begin());
}

// gnuplot tics for category positions 0..n-1, at most about 24 labels.
std::string category_tics(const char* axis, const std::vector<nlohmann::json>& values) {
  const size_t step = std::max<size_t>(1, (values.size() + 23) / 24);
  std::string s = std::string("set ") + axis + "tics (";
  for (size_t i = 0; i < values.size(); i += step)
    s += (i ? ", " : "") + gp_quote(axis_text(values[i])) + " " + std::to_string(i);
  return s + ")\n";
}

std::string log_if_wide(const char* axis, double lo, double hi) {
  return lo > 0 && hi / lo > 30 ? std::string("set logscale ") + axis + "\n" : "";
}

}  // namespace

Result<std::string> sweep_section(const Input& input, int index, Page& page) {
  const Field doc(input.path, input.doc);
  std::vector<std::string> axes, metrics, pareto;
  for (auto [key, out] : {std::pair{"axes", &axes}, {"metrics", &metrics}, {"pareto", &pareto}}) {
    if (std::string(key) == "pareto" && !doc.has(key)) continue;
    SIEVE_ASSIGN_OR_RETURN(std::vector<Field> list, doc.list(key));
    for (const Field& f : list) {
      if (!f.json().is_string()) return f.error("expected a string, got " + shown(f.json()));
      out->push_back(f.json().get<std::string>());
    }
  }
  if (metrics.empty()) return doc.error("metrics: the list is empty");
  bool complete = true;
  if (doc.has("complete")) {
    SIEVE_ASSIGN_OR_RETURN(Field c, doc.at("complete"));
    if (!c.json().is_boolean()) return c.error("expected true or false, got " + shown(c.json()));
    complete = c.json().get<bool>();
  }
  SIEVE_ASSIGN_OR_RETURN(std::vector<Field> row_fields, doc.list("rows"));
  std::vector<Point> points;
  int failed = 0;
  for (const Field& r : row_fields) {
    Point p;
    SIEVE_ASSIGN_OR_RETURN(p.index, r.whole("point", int64_t{1} << 53));
    for (const std::string& a : axes) {
      SIEVE_ASSIGN_OR_RETURN(Field v, r.at(a));
      if (!v.json().is_number() && !v.json().is_string())
        return v.error("expected a number or a string, got " + shown(v.json()));
      p.axis.push_back(v.json());
    }
    SIEVE_ASSIGN_OR_RETURN(p.error, r.optional_string("error", ""));
    for (const std::string& m : metrics) {
      SIEVE_ASSIGN_OR_RETURN(std::optional<double> v, r.optional_number(m));
      p.metric.push_back(v.value_or(NAN));
    }
    if (!pareto.empty() && r.has("pareto")) {
      const nlohmann::json& v = r.json()["pareto"];
      if (!v.is_boolean() && !v.is_null())
        return Field(r.file(), v, r.path() + ".pareto").error("expected true, false or null");
      p.pareto = v.is_boolean() && v.get<bool>();
    }
    if (!p.error.empty()) ++failed;
    points.push_back(std::move(p));
  }
  auto metric_index = [&](const std::string& name) -> Result<size_t> {
    auto it = std::find(metrics.begin(), metrics.end(), name);
    if (it == metrics.end())
      return doc.error(fmt::format("pareto: \"{}\" is not one of the metrics", name));
    return static_cast<size_t>(it - metrics.begin());
  };

  std::string html =
      "<h2>Sweep: " + esc(input.path) + "</h2>\n<p class=\"muted\">Input " + std::to_string(index) +
      " (<code>sieve sweep --out X.json</code>): " + std::to_string(points.size()) + " points" +
      (complete ? "" : " (an unfinished sweep: the rows written so far)") + ", " +
      std::to_string(failed) + " failed. Axes: " + esc(fmt::format("{}", fmt::join(axes, ", "))) +
      ". Metrics: " + esc(fmt::format("{}", fmt::join(metrics, ", "))) + ".</p>\n";
  std::vector<const Point*> ok;
  for (const Point& p : points)
    if (p.error.empty()) ok.push_back(&p);
  if (ok.empty()) return html + "<p>No point finished without an error: nothing to draw.</p>\n";

  // Scatter of two metrics with the Pareto front: the sweep's own front when it has one,
  // otherwise the two-metric front computed here (both minimised).
  if (metrics.size() >= 2 || pareto.size() >= 2) {
    size_t ia = 0, ib = 1;
    if (pareto.size() >= 2) {
      SIEVE_ASSIGN_OR_RETURN(ia, metric_index(pareto[0]));
      SIEVE_ASSIGN_OR_RETURN(ib, metric_index(pareto[1]));
    }
    std::vector<std::pair<double, double>> all, front;
    for (const Point* p : ok) {
      const double a = p->metric[ia], b = p->metric[ib];
      if (!std::isfinite(a) || !std::isfinite(b)) continue;
      all.emplace_back(a, b);
      if (!pareto.empty()) {
        if (p->pareto) front.emplace_back(a, b);
      }
    }
    if (pareto.empty()) {
      std::vector<std::pair<double, double>> sorted = all;
      std::sort(sorted.begin(), sorted.end());
      double best = INFINITY;
      for (const auto& [a, b] : sorted)
        if (b < best) {
          front.emplace_back(a, b);
          best = b;
        }
    }
    std::sort(front.begin(), front.end());
    if (!all.empty()) {
      double alo = INFINITY, ahi = -INFINITY, blo = INFINITY, bhi = -INFINITY;
      std::string data_all, data_front;
      for (const auto& [a, b] : all) {
        data_all += tsv_number(a) + "\t" + tsv_number(b) + "\n";
        alo = std::min(alo, a), ahi = std::max(ahi, a), blo = std::min(blo, b),
        bhi = std::max(bhi, b);
      }
      for (const auto& [a, b] : front) data_front += tsv_number(a) + "\t" + tsv_number(b) + "\n";
      if (data_front.empty()) data_front = "?\t?\n";
      const bool front_2d = pareto.size() <= 2;
      Plot p;
      p.title = metrics[ib] + " against " + metrics[ia] + ", with the Pareto front";
      p.caption = pareto.empty()
                      ? "Every point that finished; red: the points no other beats on both "
                        "metrics (both minimised), computed here."
                      : "Every point that finished; red: the sweep's Pareto points (--pareto " +
                            esc(fmt::format("{}", fmt::join(pareto, ","))) +
                            (front_2d ? ")."
                                      : "; non-dominated over all its metrics, so some "
                                        "look dominated in this projection).");
      p.data = {{"all.tsv", data_all}, {"front.tsv", data_front}};
      p.script = log_if_wide("x", alo, ahi) + log_if_wide("y", blo, bhi) +
                 "set grid\nset offsets graph 0.03, graph 0.03, graph 0.05, graph 0.05\n"
                 "set xlabel " +
                 gp_quote(metrics[ia]) + "\nset ylabel " + gp_quote(metrics[ib]) +
                 "\nset key outside bottom center horizontal\n"
                 "plot \"all.tsv\" using 1:2 with points pt 7 ps 0.6 lc rgb \"#9aa5b8\" "
                 "title \"points\", \"front.tsv\" using 1:2 with " +
                 (front_2d ? "linespoints lw 2" : "points") +
                 " pt 7 ps 1.1 lc rgb \"#e15759\" title \"Pareto front\"\n";
      SIEVE_ASSIGN_OR_RETURN(std::string fig, page.figure(std::move(p)));
      html += fig;
    }
  }

  // The axes that vary, by their number of values.
  std::vector<std::pair<size_t, size_t>> varying;  // (axis, its number of values)
  std::vector<std::vector<nlohmann::json>> values(axes.size());
  for (size_t a = 0; a < axes.size(); ++a) {
    values[a] = distinct(ok, a);
    if (values[a].size() > 1) varying.emplace_back(a, values[a].size());
  }
  std::stable_sort(varying.begin(), varying.end(),
                   [](const auto& x, const auto& y) { return x.second > y.second; });
  size_t im = 0;
  if (!pareto.empty()) {
    SIEVE_ASSIGN_OR_RETURN(im, metric_index(pareto[0]));
  }

  if (varying.size() >= 2) {
    size_t ax = varying[0].first, ay = varying[1].first;
    if (ax > ay) std::swap(ax, ay);  // spec order: the earlier axis across
    std::map<std::pair<size_t, size_t>, double> cell;
    for (const Point* p : ok) {
      const double v = p->metric[im];
      if (!std::isfinite(v)) continue;
      const auto key =
          std::make_pair(position(values[ax], p->axis[ax]), position(values[ay], p->axis[ay]));
      auto it = cell.find(key);
      if (it == cell.end() || v < it->second) cell[key] = v;
    }
    if (!cell.empty()) {
      double lo = INFINITY, hi = -INFINITY;
      std::string data;
      for (const auto& [k, v] : cell) {
        data +=
            std::to_string(k.first) + "\t" + std::to_string(k.second) + "\t" + tsv_number(v) + "\n";
        lo = std::min(lo, v);
        hi = std::max(hi, v);
      }
      Plot p;
      p.title = metrics[im] + " over " + axes[ax] + " and " + axes[ay];
      p.caption =
          "Colour: " + esc(metrics[im]) + " (blue is lower, red higher)" +
          (varying.size() > 2 ? "; each cell the lowest over the other axes that vary" : "") +
          "; blank cells: no finished point.";
      p.width = std::clamp(static_cast<int>(260 + 22 * values[ax].size()), 560, 1200);
      p.height = std::clamp(static_cast<int>(160 + 18 * values[ay].size()), 320, 900);
      p.data = {{"cells.tsv", data}};
      p.script = category_tics("x", values[ax]) + category_tics("y", values[ay]) +
                 log_if_wide("cb", lo, hi) + "set xlabel " + gp_quote(axes[ax]) + "\nset ylabel " +
                 gp_quote(axes[ay]) + "\nset cblabel " + gp_quote(metrics[im]) +
                 "\nset xrange [-0.5:" + std::to_string(values[ax].size()) +
                 "-0.5]\nset yrange [-0.5:" + std::to_string(values[ay].size()) + "-0.5]\n" +
                 (values[ax].size() > 8 ? "set xtics rotate by -40 left\n" : "") +
                 "set palette rgb 33,13,10\nunset key\nset style fill solid 1.0 noborder\n"
                 "plot \"cells.tsv\" using 1:2:($1-0.5):($1+0.5):($2-0.5):($2+0.5):3 with "
                 "boxxyerror fc palette\n";
      SIEVE_ASSIGN_OR_RETURN(std::string fig, page.figure(std::move(p)));
      html += fig;
    }
  }

  // One numeric axis varies: the sensitivity curve of every metric (as the thesis' Fig 5.9),
  // each relative to its value at the axis's first value.
  // (Every value a number: a hand-edited axis may mix numbers and text.)
  if (varying.size() == 1 &&
      std::all_of(values[varying[0].first].begin(), values[varying[0].first].end(),
                  [](const nlohmann::json& v) { return v.is_number(); })) {
    const size_t a = varying[0].first;
    std::string data;
    std::vector<double> first(metrics.size(), NAN);
    for (const nlohmann::json& v : values[a]) {
      const Point* p = nullptr;
      for (const Point* q : ok)
        if (q->axis[a] == v) {
          p = q;
          break;
        }
      if (p == nullptr) continue;
      data += tsv_number(v.get<double>());
      for (size_t m = 0; m < metrics.size(); ++m) {
        const double x = p->metric[m];
        if (!std::isfinite(first[m]) && std::isfinite(x) && x != 0) first[m] = x;
        data += '\t';
        data += tsv_number(std::isfinite(first[m]) ? x / first[m] : NAN);
      }
      data += "\n";
    }
    Plot p;
    p.title = "Sensitivity to " + axes[a];
    p.caption = "Each metric relative to its value at " + esc(axes[a]) + " = " +
                esc(axis_text(values[a].front())) + ", as in the thesis' Fig 5.9.";
    p.data = {{"curve.tsv", data}};
    std::string plot = "plot ";
    for (size_t m = 0; m < metrics.size(); ++m)
      plot += (m ? ", " : "") + std::string("\"curve.tsv\" using 1:") + std::to_string(m + 2) +
              " with linespoints lw 2 pt 7 lc rgb \"" + series_colour(m) + "\" title " +
              gp_quote(metrics[m]);
    p.script = log_if_wide("x", values[a].front().get<double>(), values[a].back().get<double>()) +
               "set grid\nset autoscale xfix\nset offsets graph 0.03, graph 0.03, graph 0.05, "
               "graph 0.05\nset xlabel " +
               gp_quote(axes[a]) +
               "\nset ylabel \"relative to the first value\"\n"
               "set key outside bottom center horizontal\n" +
               plot + "\n";
    SIEVE_ASSIGN_OR_RETURN(std::string fig, page.figure(std::move(p)));
    html += fig;
  }

  // The Pareto points (or, without --pareto, the 20 best on the first metric).
  std::vector<const Point*> listed;
  std::string heading;
  if (!pareto.empty()) {
    for (const Point* p : ok)
      if (p->pareto) listed.push_back(p);
    heading = "The Pareto points (" + std::to_string(listed.size()) + ")";
  } else {
    listed = ok;
    std::stable_sort(listed.begin(), listed.end(),
                     [&](const Point* x, const Point* y) { return x->metric[0] < y->metric[0]; });
    if (listed.size() > 20) listed.resize(20);
    heading = "The " + std::to_string(listed.size()) + " points lowest on " + metrics[0];
  }
  const size_t shown_rows = std::min<size_t>(listed.size(), 200);
  std::vector<std::string> header = {"point"};
  for (const std::string& a : axes) header.push_back(esc(a));
  for (const std::string& m : metrics) header.push_back(esc(m));
  Table t(header);
  t.numeric(1 + axes.size());
  for (size_t i = 0; i < shown_rows; ++i) {
    std::vector<std::string> cells = {std::to_string(listed[i]->index)};
    for (const nlohmann::json& v : listed[i]->axis) cells.push_back(esc(axis_text(v)));
    for (double m : listed[i]->metric) cells.push_back(num(m));
    t.row(cells);
  }
  html += "<h3>" + esc(heading) + "</h3>\n";
  if (shown_rows < listed.size())
    html += "<p class=\"muted\">The first " + std::to_string(shown_rows) + " shown.</p>\n";
  html += "<div class=\"scroll\">" + page.table(t) + "</div>\n";
  if (failed > 0) {
    Table e({"point", "error"});
    int n = 0;
    for (const Point& p : points)
      if (!p.error.empty() && n++ < 20) e.row({std::to_string(p.index), esc(p.error)});
    html += "<h3>Failed points (" + std::to_string(failed) + (failed > 20 ? ", first 20" : "") +
            ")</h3>\n" + page.table(e);
  }
  return html;
}

}  // namespace sieve::app::report
