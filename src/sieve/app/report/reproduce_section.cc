// The published-figures section: one `sieve reproduce --json` list (hw/sim/reproduce.h): a
// table of published, ours and deviation coloured by kind, and a chart of ours / published
// for the simulated figures.
#include <cmath>
#include <map>

#include "sieve/app/report/fields.h"
#include "sieve/app/report/page.h"

namespace sieve::app::report {
namespace {

struct Row {
  std::string figure, description, kind, source, how;
  nlohmann::json published, ours;  // numbers, or strings for a choice; ours may be null
  std::optional<double> deviation;
  bool reproduced = false;
  size_t assumptions = 0;
};

// The kinds reproduce.h defines, in the order the legend lists them.
const std::vector<std::pair<std::string, std::string>>& kinds() {
  static const std::vector<std::pair<std::string, std::string>> k = {
      {"simulated", "our simulation against the published figure"},
      {"formula-check", "a published formula recomputed"},
      {"published-input", "ours against a figure computed from published inputs"},
      {"improvement", "a change of ours, not a reproduction"},
      {"not-attempted", "not attempted yet (the description says why)"}};
  return k;
}

std::string value_text(const nlohmann::json& v) {
  if (v.is_null()) return "–";
  if (v.is_number()) return num(v.get<double>());
  if (v.is_string()) return esc(v.get<std::string>());
  return esc(shown(v));
}

}  // namespace

Result<std::string> reproduce_section(const Input& input, int index, Page& page) {
  const Field doc(input.path, input.doc);
  SIEVE_ASSIGN_OR_RETURN(std::vector<Field> items, doc.items());
  std::vector<Row> rows;
  std::map<std::string, int> count;
  int simulated = 0, reproduced = 0;
  for (const Field& f : items) {
    Row r;
    SIEVE_ASSIGN_OR_RETURN(r.figure, f.string("figure"));
    SIEVE_ASSIGN_OR_RETURN(r.kind, f.string("kind"));
    SIEVE_ASSIGN_OR_RETURN(r.description, f.optional_string("description", ""));
    SIEVE_ASSIGN_OR_RETURN(r.source, f.optional_string("source", ""));
    SIEVE_ASSIGN_OR_RETURN(r.how, f.optional_string("how", ""));
    SIEVE_ASSIGN_OR_RETURN(r.deviation, f.optional_number("deviation"));
    SIEVE_ASSIGN_OR_RETURN(Field pub, f.at("published"));
    SIEVE_ASSIGN_OR_RETURN(Field ours, f.at("ours"));
    r.published = pub.json();
    r.ours = ours.json();
    for (const Field* v : {&pub, &ours})
      if (!(v->json().is_number() || v->json().is_string() || v->json().is_null()))
        return v->error("expected a number, a string or null, got " + shown(v->json()));
    if (f.has("reproduced")) {
      SIEVE_ASSIGN_OR_RETURN(Field rep, f.at("reproduced"));
      if (!rep.json().is_boolean())
        return rep.error("expected true or false, got " + shown(rep.json()));
      r.reproduced = rep.json().get<bool>();
    }
    if (f.has("assumptions") && f.json()["assumptions"].is_array())
      r.assumptions = f.json()["assumptions"].size();
    bool known = false;
    for (const auto& [k, _] : kinds()) known = known || k == r.kind;
    if (!known) {
      std::string list;
      for (const auto& [k, _] : kinds()) list += (list.empty() ? "" : ", ") + k;
      return Field(f.file(), f.json()["kind"], f.path() + ".kind")
          .error(fmt::format("unknown kind \"{}\" (known: {})", r.kind, list));
    }
    ++count[r.kind];
    if (r.kind == "simulated") {
      ++simulated;
      reproduced += r.reproduced ? 1 : 0;
    }
    rows.push_back(std::move(r));
  }

  std::string html = "<h2>Published figures beside ours</h2>\n<p class=\"muted\">Input " +
                     std::to_string(index) + ": <span class=\"file\">" + esc(input.path) +
                     "</span> (<code>sieve reproduce --json</code>), " +
                     std::to_string(rows.size()) + " figures.";
  if (simulated > 0)
    html += " Reproduced within tolerance: " + std::to_string(reproduced) + " of the " +
            std::to_string(simulated) + " simulated figures.";
  html += "</p>\n<p class=\"legend\">";
  for (size_t i = 0; i < kinds().size(); ++i) {
    const auto& [k, what] = kinds()[i];
    if (!count.count(k)) continue;
    static const char* kColours[] = {"#4e79a7", "#59a14f", "#edc948", "#b07aa1", "#bab0ac"};
    html += "<span><i style=\"background:" + std::string(kColours[i]) + "\"></i><b>" + esc(k) +
            "</b> (" + std::to_string(count[k]) + "): " + esc(what) + "</span> ";
  }
  html += "</p>\n";

  // Ours / published for the simulated figures with two positive numbers, as horizontal bars
  // from 1 on a log axis (a figure twice too high and one half too low are equally far from 1),
  // top to bottom in the input's order (the y range runs downwards).
  std::string data;
  int bars = 0;
  for (const Row& r : rows) {
    if (r.kind != "simulated" || !r.published.is_number() || !r.ours.is_number()) continue;
    const double p = r.published.get<double>(), o = r.ours.get<double>();
    if (!(p > 0 && o > 0)) continue;
    data +=
        tsv_label(r.figure) + "\t" + tsv_number(o / p) + "\t" + (r.reproduced ? "1" : "0") + "\n";
    ++bars;
  }
  if (bars > 0) {
    Plot p;
    p.title = "Ours / published, per simulated figure";
    p.caption =
        "Each simulated figure's value from our models over the published one, on a log "
        "axis (1: equal). Blue: reproduced within the figure's tolerance; red: not.";
    p.width = 860;
    p.height = std::clamp(90 + 15 * bars, 240, 3000);
    p.data = {{"ratio.tsv", data}};
    p.script =
        "set logscale x\nset grid xtics\nset xlabel \"ours / published\"\nunset key\n"
        "set ytics scale 0 font \",9\"\nset yrange [" +
        std::to_string(bars) +
        "-0.3:-0.7]\nset lmargin 34\nset style fill solid 0.85 border -1\n"
        "set arrow from first 1, graph 0 to first 1, graph 1 nohead lc rgb \"#333333\"\n"
        "plot \"ratio.tsv\" using 2:0:($2 < 1 ? $2 : 1):($2 < 1 ? 1 : $2):($0 - 0.38):($0 + 0.38):"
        "($3 > 0 ? 0x4e79a7 : 0xe15759):ytic(1) with boxxyerror lc rgb variable\n";
    SIEVE_ASSIGN_OR_RETURN(std::string fig, page.figure(std::move(p)));
    html += fig;
  }

  Table t(
      {"figure", "kind", "published", "ours", "deviation", "reproduced", "description", "source"});
  t.numeric(2, 5);
  for (const Row& r : rows) {
    const bool sim = r.kind == "simulated";
    std::string figure = "<span title=\"" + esc(r.how) + "\">" + esc(r.figure) + "</span>";
    if (r.assumptions > 0)
      figure +=
          " <span class=\"muted\" title=\"configuration constants whose source says "
          "assumption\">(" +
          std::to_string(r.assumptions) + " assumed)</span>";
    const std::string dev =
        r.deviation && !r.ours.is_null() ? signed_percent(*r.deviation) : std::string("–");
    t.row({figure, esc(r.kind), value_text(r.published), value_text(r.ours), dev,
           sim ? (r.reproduced ? "yes" : "no") : "–", esc(r.description), esc(r.source)},
          "kind-" + r.kind + (sim && !r.reproduced ? " miss" : ""));
  }
  html += "<div class=\"scroll\">" + page.table(t) + "</div>\n";
  return html;
}

}  // namespace sieve::app::report
