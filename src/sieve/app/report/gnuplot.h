// Drawing one plot with gnuplot's SVG terminal, as a subprocess.
//
// Contract: render_svg writes the plot's data files and script into a fresh temporary folder,
// runs `<gnuplot> plot.gp` there (stdin /dev/null, stdout and stderr captured), reads the SVG it
// wrote, removes the folder, and returns the <svg> element ready to inline in HTML: the XML
// prolog dropped, <title> set to the plot's title, every id (and every reference to one) prefixed
// with "<Plot::id>-". The script the caller gives is preceded by the terminal set-up (size,
// "dynamic" so the plot scales to its container, "noenhanced" so that underscores in layer and
// action names stay literal, DejaVu Sans, white background), `set datafile separator "\t"` and
// `set datafile missing "?"`: data files are tab-separated, "?" marks a missing value.
// Errors: gnuplot not startable (FailedPrecondition naming the program and the Debian package);
// gnuplot exiting non-zero or writing no SVG (Internal, with the plot's title and gnuplot's
// stderr). gnuplot runs with LC_NUMERIC=C (LC_ALL removed), so that it reads the data files'
// numbers whatever the locale. Thread-safety: reentrant.
#pragma once

#include <string>
#include <utility>
#include <vector>

#include "sieve/core/status.h"

namespace sieve::app::report {

struct Plot {
  std::string id;     // the figure's HTML id ("fig3"); prefixes the SVG's ids
  std::string title;  // shown as the figure's caption heading and as the SVG <title>
  std::string caption;
  int width = 760, height = 380;  // the SVG's viewBox; the page scales it to the column
  std::vector<std::pair<std::string, std::string>> data;  // file name (no '/'), contents
  std::string script;  // gnuplot commands; data files by their names
};

class Gnuplot {
 public:
  // Resolves `program` (report::find_program) and reads its version; missing: FailedPrecondition.
  static Result<Gnuplot> find(const std::string& program);

  const std::string& path() const { return path_; }
  const std::string& version() const { return version_; }  // "gnuplot 5.4 patchlevel 4"

  Result<std::string> render_svg(const Plot& plot) const;

 private:
  std::string path_;
  std::string version_;
};

// A string as a gnuplot double-quoted string literal (backslash, quote escaped).
std::string gp_quote(const std::string& s);

// The SVG post-processing of render_svg (public for its test): drops everything before "<svg",
// sets <title>, prefixes ids and references "#id" / "url(#id)" with "<prefix>-".
std::string inline_svg(const std::string& svg, const std::string& prefix, const std::string& title);

}  // namespace sieve::app::report
