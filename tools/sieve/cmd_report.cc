// sieve report INPUT.json... -o report.html: one self-contained HTML page (plots by gnuplot's
// SVG terminal, inline) from the JSON of compress, simulate, compare, reproduce and sweep
// (src/sieve/app/report/report.h). Every input is read and recognised before anything is drawn,
// so a bad one is refused (exit 1, naming the file) without running gnuplot; the page is
// written atomically.
#include <cstdio>
#include <memory>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "command.h"
#include "sieve/app/report/report.h"
#include "sieve/core/atomic_file.h"

namespace sieve::cli {
namespace {

struct ReportArgs {
  std::vector<std::string> inputs;
  std::string out;
  std::string gnuplot = "gnuplot";
  std::string title = "Sieve report";
  bool json = false;
};

int run(const ReportArgs& a) {
  std::vector<app::report::Input> inputs;
  for (const std::string& path : a.inputs) {
    Result<app::report::Input> in = app::report::load_input(path);
    if (!in.ok()) return fail(in.status());
    inputs.push_back(std::move(in).value());
  }
  app::report::Options opts;
  opts.gnuplot = a.gnuplot;
  opts.title = a.title;
  Result<app::report::Report> r = app::report::render_report(inputs, opts);
  if (!r.ok()) return fail(r.status());
  Status s = write_file_atomic(a.out, r->html);
  if (!s.ok()) return fail(s.with_context("-o " + a.out));
  if (a.json) {
    nlohmann::json j = {{"out", a.out}, {"figures", r->figures}, {"tables", r->tables},
                        {"inputs", nlohmann::json::array()}};
    for (const app::report::Input& in : inputs)
      j["inputs"].push_back({{"path", in.path}, {"kind", app::report::input_kind_name(in.kind)}});
    std::printf("%s\n", j.dump(2).c_str());
    return 0;
  }
  std::printf("%s: %zu input%s, %d figure%s, %d table%s\n", a.out.c_str(), inputs.size(),
              inputs.size() == 1 ? "" : "s", r->figures, r->figures == 1 ? "" : "s", r->tables,
              r->tables == 1 ? "" : "s");
  return 0;
}

}  // namespace

void add_report_command(CLI::App& app) {
  auto a = std::make_shared<ReportArgs>();
  CLI::App* sub = app.add_subcommand(
      "report",
      "One self-contained HTML page with plots (gnuplot SVG, inline) from the --json outputs of "
      "compress, simulate, compare, reproduce and sweep; each input's kind is recognised from "
      "its JSON");
  sub->add_option(
         "inputs", a->inputs,
         "JSON files: sieve compress/simulate/compare/reproduce --json, sweep --out X.json")
      ->required();
  sub->add_option("-o,--out", a->out, "the HTML file to write (replaced atomically)")->required();
  sub->add_flag("--json", a->json, "print {out, figures, tables, inputs: [{path, kind}]}");
  sub->add_option("--gnuplot", a->gnuplot, "the gnuplot program (Debian: gnuplot-nox)")
      ->capture_default_str();
  sub->add_option("--title", a->title, "the page's title")->capture_default_str();
  on_run(sub, [a] { return run(*a); });
}

}  // namespace sieve::cli
