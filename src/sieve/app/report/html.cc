#include "sieve/app/report/html.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>

namespace sieve::app::report {

std::string esc(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (char c : s) {
    switch (c) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += "&quot;"; break;
      case '\'': out += "&#39;"; break;
      default: out += c;
    }
  }
  return out;
}

std::string num(double v) {
  if (!std::isfinite(v)) return "–";
  if (v == 0) return "0";
  const double a = std::fabs(v);
  if (a >= 1e12 || a < 1e-3) return fmt::format("{:.4g}", v);
  if (a >= 1e4) return fmt::format("{:.0f}", v);  // bytes, cycles, pJ: whole numbers read best
  // Four significant digits without an exponent, trailing zeros dropped.
  const int digits = std::max(0, 3 - static_cast<int>(std::floor(std::log10(a))));
  std::string s = fmt::format("{:.{}f}", v, digits);
  if (s.find('.') != std::string::npos) {
    while (s.back() == '0') s.pop_back();
    if (s.back() == '.') s.pop_back();
  }
  return s;
}

std::string times(double v) {
  return num(v) + "×";
}

std::string percent(double fraction) {
  if (!std::isfinite(fraction)) return "–";
  return fmt::format("{:.1f} %", 100.0 * fraction);
}

std::string signed_percent(double fraction) {
  if (!std::isfinite(fraction)) return "–";
  const double p = 100.0 * fraction;
  // U+2212 minus sign reads better than a hyphen in a table of numbers.
  if (p < 0) return fmt::format("\u2212{:.1f} %", -p);
  return fmt::format("+{:.1f} %", p);
}

Table::Table(std::vector<std::string> header, std::string cls)
    : header_(std::move(header)), cls_(std::move(cls)) {}

void Table::row(const std::vector<std::string>& cells, const std::string& cls) {
  rows_.emplace_back(cells, cls);
}

std::string Table::html() const {
  std::string out = cls_.empty() ? "<table>" : "<table class=\"" + esc(cls_) + "\">";
  out += "<thead><tr>";
  for (size_t i = 0; i < header_.size(); ++i)
    out += (i >= numeric_from_ && i < numeric_to_ ? "<th class=\"n\">" : "<th>") + header_[i] +
           "</th>";
  out += "</tr></thead><tbody>\n";
  for (const auto& [cells, cls] : rows_) {
    out += cls.empty() ? "<tr>" : "<tr class=\"" + esc(cls) + "\">";
    for (size_t i = 0; i < cells.size(); ++i)
      out += (i >= numeric_from_ && i < numeric_to_ ? "<td class=\"n\">" : "<td>") + cells[i] +
             "</td>";
    out += "</tr>\n";
  }
  out += "</tbody></table>\n";
  return out;
}

}  // namespace sieve::app::report
