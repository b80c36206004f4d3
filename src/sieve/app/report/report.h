// sieve report: one self-contained HTML page drawn from the JSON that `sieve compress --json`,
// `simulate --json`, `compare --json`, `reproduce --json` and `sweep --out X.json` print.
//
// Contract:
// - An input's kind is recognised from its JSON shape alone (these documents carry no kind
//   field, except the sweep's "kind": "sieve-sweep" with its "version"):
//     compress   an object with ratio_p, ratio_q, ratio_c and a list `layers`
//     simulate   an object with `arch` and a `total` object
//     compare    an object with a list `archs` of simulate results
//     reproduce  a non-empty list of objects with figure, published, ours, kind
//     sweep      an object with "kind": "sieve-sweep" and "version": 1
//   Anything else (unreadable JSON, an unknown shape, a sweep of another version) is refused
//   with a message that names the file; a recognised input with a missing or mistyped field is
//   refused naming the file, the field's path (e.g. `archs[1].total.time_ns`) and the value.
// - The page has no external reference: CSS and its one script are inline, every plot is an
//   inline <svg> drawn by gnuplot's SVG terminal (run as a subprocess on a temporary data file
//   and script; the temporary folder is removed afterwards). Element ids inside each plot are
//   prefixed with the figure's id, so that several plots live in one document.
// - gnuplot missing (not on PATH, or `Options::gnuplot` not executable) is a FailedPrecondition
//   naming the program and the Debian package; a gnuplot run that fails is an Internal error
//   with gnuplot's own message and the figure's title.
// - The output depends only on the inputs (in order), the options and the gnuplot version: no
//   times, no host names, no absolute paths beyond the input paths as given.
// - The page's inline script records, after load, each plot's rendered size in the figure's
//   `data-rendered-size` attribute, the number of plots and of empty ones in <html>'s
//   `data-figures` / `data-empty-figures`, and any script error in `data-errors` (read by the
//   headless-browser test, tests/e2e/report_browser.py; a reader sees a warning banner instead).
//
// Thread-safety: reentrant (each render uses its own temporary folder).
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "sieve/core/status.h"

namespace sieve::app::report {

enum class InputKind { kCompress, kSimulate, kCompare, kReproduce, kSweep };

// "compress", "simulate", "compare", "reproduce", "sweep".
const char* input_kind_name(InputKind kind);

struct Input {
  std::string path;  // as given: the name errors and the page use
  InputKind kind = InputKind::kCompress;
  nlohmann::json doc;
};

// The kind of `doc` (read from `path`); an unknown shape or a sweep of another version is
// InvalidArgument naming `path` and what was expected.
Result<Input> classify_input(const std::string& path, nlohmann::json doc);

// Reads and parses `path`, then classify_input. A missing file is NotFound, JSON that does not
// parse is InvalidArgument with the parser's position (a sweep's CSV, which starts "point,", is
// told to use the sweep's JSON instead); all name the file.
Result<Input> load_input(const std::string& path);
// The same on the file's contents `text` (the fuzz target's entry).
Result<Input> parse_input(const std::string& path, const std::string& text);

struct Options {
  std::string gnuplot = "gnuplot";  // a program on PATH, or a path
  std::string title = "Sieve report";
  // false: gnuplot is neither looked for nor run, and each plot is an empty placeholder <svg>;
  // every input field is still read and checked (the fuzz target fuzz/report.cc uses this).
  bool draw = true;
};

struct Report {
  std::string html;
  int figures = 0;  // inline SVG plots
  int tables = 0;
};

// Renders the page. Fails on the first input field that is missing or mistyped (see above),
// when gnuplot is missing, or when a gnuplot run fails.
Result<Report> render_report(const std::vector<Input>& inputs, const Options& options = {});

// Where `program` resolves: itself when it contains a '/', else the first executable
// "<dir>/<program>" on PATH. Empty when there is none.
std::string find_program(const std::string& program);

}  // namespace sieve::app::report
