// Fuzz target: the report's input reader (app/report/report.h): JSON parsing, the recognition of
// the input's kind by its shape, and every section's reading of its fields, as `sieve report`
// does them, with the plots not drawn (Options::draw false: no gnuplot subprocess per input).
// An accepted input must give a page that names the input.
#include "fuzz/fuzz.h"
#include "sieve/app/report/report.h"
#include "sieve/core/assert.h"

namespace sieve::fuzz {

Status report(std::string_view input) {
  Result<app::report::Input> in = app::report::parse_input("fuzz.json", std::string(input));
  if (!in.ok()) return in.status();
  app::report::Options opt;
  opt.draw = false;
  Result<app::report::Report> r = app::report::render_report({std::move(*in)}, opt);
  if (!r.ok()) return r.status();
  SIEVE_ASSERT(r.value().html.find("fuzz.json") != std::string::npos,
               "an accepted report input is not named on its page");
  return ok_status();
}

}  // namespace sieve::fuzz

SIEVE_FUZZ_ENTRY(report)
