// The report page under construction and its sections (internal to app/report).
//
// Each section function reads its inputs through Field (fields.h), so a missing or mistyped
// field fails the whole report naming the file and the field; it returns the section's HTML and
// draws its plots through Page::figure. Thread-safety: a Page is used by one thread.
#pragma once

#include <string>
#include <vector>

#include "sieve/app/report/gnuplot.h"
#include "sieve/app/report/html.h"
#include "sieve/app/report/report.h"
#include "sieve/core/status.h"

namespace sieve::app::report {

class Page {
 public:
  // gnuplot null: plots are not drawn (report::Options::draw false).
  explicit Page(const Gnuplot* gnuplot) : gnuplot_(gnuplot) {}

  // Draws `plot` (its id is assigned here: "fig1", "fig2", ...) and returns the <figure>.
  Result<std::string> figure(Plot plot);
  // The table's HTML, counted.
  std::string table(const Table& t);

  int figures() const { return figures_; }
  int tables() const { return tables_; }

 private:
  const Gnuplot* gnuplot_;
  int figures_ = 0;
  int tables_ = 0;
};

// One colour per series, cycled after 20 (Tableau 10, then Tableau 20's lighter partners).
const std::string& series_colour(size_t i);
// A label made safe for a tab-separated gnuplot data file (tabs and newlines become spaces;
// empty becomes "-").
std::string tsv_label(const std::string& s);
// A number in a data file: shortest round-trip text (fmt), or "?" (missing) when not finite.
std::string tsv_number(double v);

Result<std::string> compress_section(const Input& input, int index, Page& page);
// All simulate and compare inputs together: bars per benchmark (model) and design.
Result<std::string> accelerator_section(const std::vector<const Input*>& inputs, Page& page);
Result<std::string> reproduce_section(const Input& input, int index, Page& page);
Result<std::string> sweep_section(const Input& input, int index, Page& page);

}  // namespace sieve::app::report
