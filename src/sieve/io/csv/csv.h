// CSV (RFC 4180) from JSON values: what `--csv` prints on the tabular commands (simulate,
// compare, reproduce, area, inspect, cpu-baselines, zoo list) and what `sieve sweep` writes.
//
// Contract:
// - A cell: null is empty, a boolean is 1 or 0, a string is itself, a number is what JSON
//   prints (integers without a point, doubles in their shortest round-trip form), a list or an
//   object is its compact JSON. A cell holding a comma, a double quote, CR or LF is quoted,
//   its quotes doubled.
// - Rows end with "\n". Nothing depends on the locale.
// - csv_table flattens each row object: nested objects become dotted columns ("energy_pj.total"),
//   lists stay one cell. The columns are the union of every row's, in order of first appearance
//   (after the `first` ones);
//   a row without a column leaves its cell empty.
// Thread-safety: pure functions.
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

namespace sieve::io {

std::string csv_cell(const nlohmann::json& v);
std::string csv_row(const std::vector<nlohmann::json>& cells);
// A header line and one line per element of `rows` (a list of objects; anything else is one
// column "value"). The columns named in `first` that exist come first, in that order (JSON
// objects keep their keys sorted, which would put a row's name anywhere).
std::string csv_table(const nlohmann::json& rows, const std::vector<std::string>& first = {});

}  // namespace sieve::io
