// sieve onnx-test: runs ONNX backend conformance cases through the importer and the reference
// engine. One line per case (PASS / FAIL / SKIP with the reason; unsupported ops are named),
// then "N passed, M failed[, K skipped]". Exit status 1 if any case failed (with --strict, if
// any was skipped too), 77 if cases were named but the ONNX test data is not installed (ctest
// reports that as skipped), 0 otherwise.
#include <cmath>
#include <cstdio>
#include <memory>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "command.h"
#include "sieve/app/onnx_conformance.h"

namespace sieve::cli {

namespace {

constexpr int kExitNoTestData = 77;

struct OnnxTestArgs {
  std::vector<std::string> cases;
  std::string list;
  std::string data_dir;
  bool verbose = false;
  bool strict = false;
  bool round_trip = false;
  bool json = false;
  bool csv = false;
  double rtol = 1e-3;
  double atol = 1e-7;
};

int run_onnx_test(const OnnxTestArgs& a) {
  std::vector<std::string> names = a.cases;
  if (!a.list.empty()) {
    auto listed = app::read_case_list(a.list);
    if (!listed.ok()) return fail(listed.status());
    names.insert(names.end(), listed->begin(), listed->end());
  }
  if (names.empty()) {
    return fail(
        invalid_argument("onnx-test: no cases given (pass case directories, folders of "
                         "cases, case names, or --list FILE)"));
  }
  std::string data_dir = a.data_dir;
  bool data_missing = false;
  if (data_dir.empty()) {
    auto d = app::default_onnx_testdata_dir();
    if (d.ok()) {
      data_dir = *d;
    } else {
      data_missing = true;
    }
  }
  std::vector<std::string> paths;
  for (const std::string& n : names) {
    auto p = app::resolve_case(n, data_dir);
    if (!p.ok()) {
      if (data_missing) {
        std::printf("SKIP %s: ONNX test data not installed (libonnx-testdata)\n", n.c_str());
        std::printf("0 passed, 0 failed, %zu skipped\n", names.size());
        return kExitNoTestData;
      }
      return fail(p.status());
    }
    paths.push_back(*p);
  }
  auto cases = app::expand_cases(paths);
  if (!cases.ok()) return fail(cases.status());

  // !(in range) so that NaN fails too.
  for (const auto& [name, v] : {std::pair{"--rtol", a.rtol}, std::pair{"--atol", a.atol}}) {
    if (!(v >= 0 && std::isfinite(v))) {
      return fail(invalid_argument("{} {} must be a finite number >= 0", name, v));
    }
  }
  app::ConformanceOptions opts;
  opts.rtol = a.rtol;
  opts.atol = a.atol;
  opts.verbose = a.verbose;
  opts.round_trip = a.round_trip;
  int passed = 0;
  int failed = 0;
  int skipped = 0;
  // --json / --csv: one row per case, printed at the end instead of the lines.
  const bool table = a.json || a.csv;
  nlohmann::json rows = nlohmann::json::array();
  for (const std::string& dir : *cases) {
    app::CaseResult r = app::run_conformance_case(dir, opts);
    if (table) {
      std::string outcome = "pass";
      if (r.outcome == app::CaseOutcome::kPass) {
        ++passed;
      } else if (r.outcome == app::CaseOutcome::kFail || a.strict) {
        outcome = "fail";
        ++failed;
      } else {
        outcome = "skip";
        ++skipped;
      }
      rows.push_back({{"name", r.name},
                      {"outcome", outcome},
                      {"reason", r.reason},
                      {"data_sets", r.data_sets},
                      {"seconds", r.seconds}});
      continue;
    }
    switch (r.outcome) {
      case app::CaseOutcome::kPass:
        ++passed;
        if (a.verbose) {
          std::printf("PASS %s (%d data set%s, %.3fs)\n", r.name.c_str(), r.data_sets,
                      r.data_sets == 1 ? "" : "s", r.seconds);
        } else {
          std::printf("PASS %s\n", r.name.c_str());
        }
        break;
      case app::CaseOutcome::kFail:
        ++failed;
        std::printf("FAIL %s: %s\n", r.name.c_str(), r.reason.c_str());
        break;
      case app::CaseOutcome::kSkip:
        if (a.strict) {
          ++failed;
          std::printf("FAIL %s: %s\n", r.name.c_str(), r.reason.c_str());
        } else {
          ++skipped;
          std::printf("SKIP %s: %s\n", r.name.c_str(), r.reason.c_str());
        }
        break;
    }
    if (a.verbose && !r.log.empty()) std::fputs(r.log.c_str(), stdout);
    std::fflush(stdout);
  }
  if (a.csv) {
    print_csv(rows, {"name", "outcome"});
  } else if (a.json) {
    const nlohmann::json j = {
        {"passed", passed}, {"failed", failed}, {"skipped", skipped}, {"cases", rows}};
    std::printf("%s\n", j.dump(2).c_str());
  } else if (skipped > 0) {
    std::printf("%d passed, %d failed, %d skipped\n", passed, failed, skipped);
  } else {
    std::printf("%d passed, %d failed\n", passed, failed);
  }
  return failed > 0 ? 1 : 0;
}

}  // namespace

void add_onnx_test_command(CLI::App& app) {
  auto args = std::make_shared<OnnxTestArgs>();
  auto* sub = app.add_subcommand(
      "onnx-test",
      "Run ONNX conformance cases (model.onnx + test_data_set_*) on the reference "
      "engine");
  sub->add_option("cases", args->cases,
                  "Case directories, folders of cases, or case names such as node/test_relu "
                  "(looked up in the ONNX test data)");
  sub->add_option("--list", args->list, "File listing cases, one per line ('#' comments)");
  sub->add_option("--data-dir", args->data_dir,
                  "ONNX test data folder (default: found with dpkg -L libonnx-testdata)");
  sub->add_flag("-v,--verbose", args->verbose, "Print per-output details and timings");
  sub->add_flag("--strict", args->strict, "Count unsupported cases (skipped) as failures");
  sub->add_flag("--round-trip", args->round_trip,
                "Export each imported model to ONNX and import it back before running it");
  sub->add_flag("--json", args->json,
                "print {passed, failed, skipped, cases: [{name, outcome, reason, data_sets, "
                "seconds}]} at the end instead of one line per case");
  add_csv_flag(sub, args->csv, "one row per case (the --json case fields)");
  sub->add_option("--rtol", args->rtol, "Relative tolerance (default 1e-3)");
  sub->add_option("--atol", args->atol, "Absolute tolerance (default 1e-7)");
  on_run(sub, [args] { return run_onnx_test(*args); });
}

}  // namespace sieve::cli
