// Small HTML builders of the report page: escaping, number formatting, tables.
//
// Numbers are formatted by fmt (locale-independent), so the page is the same under any LC_ALL.
// Thread-safety: value types, reentrant.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace sieve::app::report {

// Escapes & < > " ' for text and attribute values.
std::string esc(std::string_view s);

// A number for people: 4 significant digits ("0.1234", "12.35"), whole numbers from 10^4 to
// 10^12 ("1722000"), an exponent beyond ("1.235e+12", "1.2e-05").
std::string num(double v);
// A ratio or speed-up: "12.3×".
std::string times(double v);
// A fraction as a percentage: "12.3 %".
std::string percent(double fraction);
// A signed deviation as a percentage: "+4.2 %", "−12 %".
std::string signed_percent(double fraction);

// <table> with a header row; cells are HTML (escape text yourself); a row may carry a class.
class Table {
 public:
  explicit Table(std::vector<std::string> header, std::string cls = "");
  void row(const std::vector<std::string>& cells, const std::string& cls = "");
  // Columns [from, to) are right-aligned numbers.
  void numeric(size_t from, size_t to = static_cast<size_t>(-1)) {
    numeric_from_ = from;
    numeric_to_ = to;
  }
  std::string html() const;
  size_t rows() const { return rows_.size(); }

 private:
  std::vector<std::string> header_;
  std::string cls_;
  std::vector<std::pair<std::vector<std::string>, std::string>> rows_;
  size_t numeric_from_ = static_cast<size_t>(-1);
  size_t numeric_to_ = static_cast<size_t>(-1);
};

}  // namespace sieve::app::report
