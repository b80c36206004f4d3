#include "sieve/app/report/report.h"

#include <cmath>
#include <optional>

#include "sieve/app/report/fields.h"
#include "sieve/app/report/page.h"
#include "sieve/core/atomic_file.h"

namespace sieve::app::report {
namespace {

bool has_all(const nlohmann::json& j, std::initializer_list<const char*> keys) {
  if (!j.is_object()) return false;
  for (const char* k : keys)
    if (!j.contains(k)) return false;
  return true;
}

bool is_simulate_result(const nlohmann::json& j) {
  return has_all(j, {"arch", "total"}) && j["total"].is_object();
}

constexpr const char* kShapes =
    "compress --json (ratio_p, ratio_q, ratio_c, layers), simulate --json (arch, total), "
    "compare --json (archs), reproduce --json (a list of {figure, published, ours, kind}), "
    "sweep --out X.json (\"kind\": \"sieve-sweep\")";

// The page's style: one column, system fonts (nothing to fetch), tables striped, reproduce rows
// tinted by kind.
constexpr const char* kCss = R"css(
:root { --fg: #1d2330; --muted: #5b6476; --line: #d9dde5; --bg: #ffffff; --band: #f5f7fa; }
* { box-sizing: border-box; }
body { margin: 0; color: var(--fg); background: var(--bg);
  font: 15px/1.45 "DejaVu Sans", system-ui, sans-serif; }
main { max-width: 1040px; margin: 0 auto; padding: 24px 28px 64px; }
h1 { font-size: 1.7em; margin: 0.2em 0 0.3em; }
h2 { font-size: 1.3em; margin: 2.2em 0 0.5em; padding-top: 0.6em; border-top: 2px solid var(--line); }
h3 { font-size: 1.05em; margin: 1.6em 0 0.4em; }
p, li { max-width: 75ch; }
.muted, figcaption .note { color: var(--muted); }
code, .file { font-family: "DejaVu Sans Mono", ui-monospace, monospace; font-size: 0.9em; }
nav ul { padding-left: 1.2em; }
figure.chart { margin: 1.2em 0 1.8em; }
figure.chart svg.plot { display: block; width: 100%; height: auto; border: 1px solid var(--line); }
figcaption { margin-top: 0.4em; font-size: 0.92em; }
figcaption b { display: block; }
table { border-collapse: collapse; margin: 0.6em 0 1.2em; font-size: 0.88em; }
th, td { border-bottom: 1px solid var(--line); padding: 3px 8px; text-align: left; vertical-align: top; }
th { background: var(--band); }
td.n, th.n { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
tbody tr:nth-child(even) { background: #fafbfc; }
.wide { overflow-x: auto; }
.wide table { margin: 0.6em 0 1.2em; }
.scroll { max-height: 640px; overflow: auto; border: 1px solid var(--line); margin: 0.6em 0 1.2em; }
.scroll table { margin: 0; }
tr.kind-simulated td:first-child { border-left: 6px solid #4e79a7; }
tr.kind-formula-check td:first-child { border-left: 6px solid #59a14f; }
tr.kind-published-input td:first-child { border-left: 6px solid #edc948; }
tr.kind-improvement td:first-child { border-left: 6px solid #b07aa1; }
tr.kind-not-attempted td:first-child { border-left: 6px solid #bab0ac; }
tr.kind-not-attempted { color: var(--muted); }
tr.miss td:nth-child(5) { color: #b3261e; font-weight: bold; }
.legend span { display: inline-block; margin-right: 1.2em; }
.legend i { display: inline-block; width: 0.9em; height: 0.9em; margin-right: 0.3em; vertical-align: -0.1em; }
#render-warning { display: none; background: #fde7e6; border: 1px solid #b3261e; padding: 8px 12px; }
footer { margin-top: 3em; font-size: 0.85em; color: var(--muted); }
)css";

// The page's one script. Registered in <head>, so that it sees errors of anything after it.
// After load it records what the browser test reads (report.h) and shows a banner when a plot
// did not render.
constexpr const char* kScript = R"js(
(function () {
  var errors = [];
  var root = document.documentElement;
  window.addEventListener('error', function (e) {
    errors.push(String(e.message || e.type));
    root.setAttribute('data-errors', errors.join(' | '));
  }, true);
  window.addEventListener('load', function () {
    var figures = document.querySelectorAll('figure.chart');
    var empty = 0;
    for (var i = 0; i < figures.length; i++) {
      var svg = figures[i].querySelector('svg');
      var r = svg ? svg.getBoundingClientRect() : { width: 0, height: 0 };
      figures[i].setAttribute('data-rendered-size', Math.round(r.width) + 'x' + Math.round(r.height));
      if (!(r.width > 0 && r.height > 0)) empty++;
    }
    root.setAttribute('data-figures', String(figures.length));
    root.setAttribute('data-empty-figures', String(empty));
    root.setAttribute('data-errors', errors.join(' | '));
    if (empty > 0 || errors.length > 0) {
      var w = document.getElementById('render-warning');
      w.textContent = 'This page did not render completely: ' + empty + ' empty plot(s)' +
          (errors.length ? '; script errors: ' + errors.join(' | ') : '') + '.';
      w.style.display = 'block';
    }
  });
})();
)js";

std::string describe(const Input& in) {
  const nlohmann::json& d = in.doc;
  auto str = [&](const char* k) {
    return d.is_object() && d.contains(k) && d[k].is_string() ? d[k].get<std::string>() : "";
  };
  switch (in.kind) {
    case InputKind::kCompress: return "model " + str("model") + ", recipe " + str("recipe");
    case InputKind::kSimulate: return str("arch") + " on " + str("model");
    case InputKind::kCompare:
      return std::to_string(d["archs"].size()) + " designs on " + str("model");
    case InputKind::kReproduce: return std::to_string(d.size()) + " figures";
    case InputKind::kSweep:
      return std::to_string(d.contains("rows") && d["rows"].is_array() ? d["rows"].size() : 0) +
             " points";
  }
  return "";
}

}  // namespace

const char* input_kind_name(InputKind kind) {
  switch (kind) {
    case InputKind::kCompress: return "compress";
    case InputKind::kSimulate: return "simulate";
    case InputKind::kCompare: return "compare";
    case InputKind::kReproduce: return "reproduce";
    case InputKind::kSweep: return "sweep";
  }
  return "?";
}

Result<Input> classify_input(const std::string& path, nlohmann::json doc) {
  Input in;
  in.path = path;
  if (doc.is_array()) {
    if (doc.empty())
      return invalid_argument("{}: an empty JSON list is not a report input (expected one of: {})",
                              path, kShapes);
    for (size_t i = 0; i < doc.size(); ++i) {
      if (!has_all(doc[i], {"figure", "published", "ours", "kind"}))
        return invalid_argument(
            "{}: [{}]: a list whose items are not reproduce figures ({{figure, published, ours, "
            "kind}}): item {} is {}",
            path, i, i, shown(doc[i]));
    }
    in.kind = InputKind::kReproduce;
  } else if (doc.is_object() && doc.contains("kind")) {
    // Documents that name their kind: today only the sweep's.
    if (doc["kind"] != "sieve-sweep")
      return invalid_argument(
          "{}: kind: unknown report input kind {} (known: \"sieve-sweep\"; "
          "and, by their shape, {})",
          path, shown(doc["kind"]), kShapes);
    if (!doc.contains("version") || doc["version"] != 1)
      return invalid_argument(
          "{}: version: sweep output version {} is not supported (this sieve reads version 1)",
          path, doc.contains("version") ? shown(doc["version"]) : "(missing)");
    in.kind = InputKind::kSweep;
  } else if (has_all(doc, {"ratio_p", "ratio_q", "ratio_c", "layers"})) {
    in.kind = InputKind::kCompress;
  } else if (doc.is_object() && doc.contains("archs") && doc["archs"].is_array()) {
    in.kind = InputKind::kCompare;
  } else if (is_simulate_result(doc)) {
    in.kind = InputKind::kSimulate;
  } else {
    std::string what =
        doc.is_object() ? "an object with keys" : "a JSON " + std::string(doc.type_name());
    if (doc.is_object()) {
      size_t n = 0;
      for (auto it = doc.begin(); it != doc.end() && n < 8; ++it, ++n)
        what += (n ? ", " : " ") + it.key();
      if (doc.size() > 8) what += ", ...";
      if (doc.empty()) what = "an empty object";
    }
    return invalid_argument("{}: not a report input: {} matches none of: {}", path, what, kShapes);
  }
  in.doc = std::move(doc);
  return in;
}

Result<Input> load_input(const std::string& path) {
  Result<std::string> text = read_file(path);
  if (!text.ok()) return text.status().with_context("report input " + path);
  return parse_input(path, *text);
}

Result<Input> parse_input(const std::string& path, const std::string& text) {
  // Sieve's own outputs nest a few levels; a deeper document is not one of them, and refusing it
  // while parsing bounds the work of everything that walks it afterwards.
  constexpr int kMaxDepth = 64;
  bool too_deep = false;
  nlohmann::json doc;
  try {
    doc = nlohmann::json::parse(
        text, [&](int depth, nlohmann::json::parse_event_t, nlohmann::json&) {
          if (depth >= kMaxDepth) too_deep = true;  // depth counts from 0
          return !too_deep;
        });
  } catch (const nlohmann::json::exception& e) {  // a syntax error, or a number out of range
    // The sweep's other output format: say which one to use rather than where JSON broke.
    if (text.rfind("point,", 0) == 0)
      return invalid_argument(
          "{}: a sweep's CSV output: sieve report reads its JSON (sieve sweep SPEC --out X.json)",
          path);
    // e.what() carries the byte position and what the parser expected there.
    return invalid_argument("{}: cannot read as JSON: {}", path, e.what());
  }
  if (too_deep)
    return invalid_argument("{}: nested more than {} levels deep: not a report input", path,
                            kMaxDepth);
  return classify_input(path, std::move(doc));
}

Result<std::string> Page::figure(Plot plot) {
  ++figures_;
  plot.id = "fig" + std::to_string(figures_);
  std::string svg = "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 " +
                    std::to_string(plot.width) + " " + std::to_string(plot.height) + "\"></svg>";
  if (gnuplot_ != nullptr) {
    SIEVE_ASSIGN_OR_RETURN(svg, gnuplot_->render_svg(plot));
  }
  // The plot's own width is its widest: a small plot is not blown up to the column's width.
  std::string out = "<figure class=\"chart\" id=\"" + plot.id +
                    "\" style=\"max-width:" + std::to_string(plot.width) + "px\">\n" + svg +
                    "\n<figcaption><b>" + "Figure " + std::to_string(figures_) + ". " +
                    esc(plot.title) + "</b>";
  if (!plot.caption.empty()) out += "<span class=\"note\">" + plot.caption + "</span>";
  out += "</figcaption></figure>\n";
  return out;
}

std::string Page::table(const Table& t) {
  ++tables_;
  return "<div class=\"wide\">" + t.html() + "</div>\n";
}

const std::string& series_colour(size_t i) {
  // Tableau 10, then the lighter Tableau 20 partners: up to 20 designs without a repeat.
  static const std::vector<std::string> kColours = {
      "#4e79a7", "#f28e2b", "#e15759", "#76b7b2", "#59a14f", "#edc948", "#b07aa1",
      "#ff9da7", "#9c755f", "#bab0ac", "#a0cbe8", "#ffbe7d", "#8cd17d", "#b6992d",
      "#499894", "#86bcb6", "#d37295", "#fabfd2", "#d4a6c8", "#79706e"};
  return kColours[i % kColours.size()];
}

std::string tsv_label(const std::string& s) {
  if (s.empty()) return "-";
  std::string out = s;
  for (char& c : out)
    if (c == '\t' || c == '\n' || c == '\r') c = ' ';
  return out;
}

std::string tsv_number(double v) {
  return std::isfinite(v) ? fmt::format("{}", v) : "?";
}

Result<Report> render_report(const std::vector<Input>& inputs, const Options& options) {
  if (inputs.empty()) return invalid_argument("no report inputs");
  std::optional<Gnuplot> gnuplot;
  if (options.draw) {
    SIEVE_ASSIGN_OR_RETURN(gnuplot, Gnuplot::find(options.gnuplot));
  }
  Page page(gnuplot ? &*gnuplot : nullptr);

  Table list({"#", "file", "kind", "what"});
  for (size_t i = 0; i < inputs.size(); ++i)
    list.row({std::to_string(i + 1), "<span class=\"file\">" + esc(inputs[i].path) + "</span>",
              input_kind_name(inputs[i].kind), esc(describe(inputs[i]))});

  std::string body, toc;
  auto add = [&](const std::string& id, const std::string& title, const std::string& html) {
    toc += "<li><a href=\"#" + id + "\">" + esc(title) + "</a></li>\n";
    body += "<section id=\"" + id + "\">\n" + html + "</section>\n";
  };
  std::vector<const Input*> accel;
  for (const Input& in : inputs)
    if (in.kind == InputKind::kSimulate || in.kind == InputKind::kCompare) accel.push_back(&in);
  // Compression first, then the accelerators, the published figures and the sweeps: the order
  // of the flow (compress a model, simulate it, compare with the papers, explore designs).
  for (size_t i = 0; i < inputs.size(); ++i) {
    if (inputs[i].kind != InputKind::kCompress) continue;
    SIEVE_ASSIGN_OR_RETURN(std::string html, compress_section(inputs[i], i + 1, page));
    add("input" + std::to_string(i + 1), "Compression: " + describe(inputs[i]), html);
  }
  if (!accel.empty()) {
    SIEVE_ASSIGN_OR_RETURN(std::string html, accelerator_section(accel, page));
    add("accelerators", "Accelerators: time and energy", html);
  }
  for (size_t i = 0; i < inputs.size(); ++i) {
    if (inputs[i].kind != InputKind::kReproduce) continue;
    SIEVE_ASSIGN_OR_RETURN(std::string html, reproduce_section(inputs[i], i + 1, page));
    add("input" + std::to_string(i + 1), "Published figures: " + inputs[i].path, html);
  }
  for (size_t i = 0; i < inputs.size(); ++i) {
    if (inputs[i].kind != InputKind::kSweep) continue;
    SIEVE_ASSIGN_OR_RETURN(std::string html, sweep_section(inputs[i], i + 1, page));
    add("input" + std::to_string(i + 1), "Sweep: " + inputs[i].path, html);
  }

  Report r;
  r.html =
      "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
      "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
      "<title>" +
      esc(options.title) + "</title>\n<style>" + kCss + "</style>\n<script>" + kScript +
      "</script>\n</head>\n<body>\n<main>\n<h1>" + esc(options.title) + "</h1>\n" +
      "<div id=\"render-warning\" role=\"alert\"></div>\n"
      "<p class=\"muted\">Drawn by <code>sieve report</code> from " +
      std::to_string(inputs.size()) + " input" + (inputs.size() == 1 ? "" : "s") +
      ". The page is self-contained: its plots are inline SVG drawn by gnuplot.</p>\n" +
      page.table(list) + "<nav><b>Contents</b><ul>\n" + toc + "</ul></nav>\n" + body +
      "<footer>Plots: " + esc(gnuplot ? gnuplot->version() : "not drawn") +
      " (SVG terminal). Every number here is "
      "read from the inputs above or computed from them (ratios, shares).</footer>\n"
      "</main>\n</body>\n</html>\n";
  r.figures = page.figures();
  r.tables = page.tables();
  return r;
}

}  // namespace sieve::app::report
