#include "sieve/io/csv/csv.h"

#include <map>
#include <set>

namespace sieve::io {

std::string csv_cell(const nlohmann::json& v) {
  if (v.is_null()) return "";
  if (v.is_boolean()) return v.get<bool>() ? "1" : "0";
  const std::string s = v.is_string() ? v.get<std::string>() : v.dump();
  if (s.find_first_of(",\"\n\r") == std::string::npos) return s;
  std::string q = "\"";
  for (char c : s) {
    if (c == '"') q += '"';
    q += c;
  }
  return q + "\"";
}

std::string csv_row(const std::vector<nlohmann::json>& cells) {
  std::string line;
  for (size_t i = 0; i < cells.size(); ++i) {
    if (i > 0) line += ',';
    line += csv_cell(cells[i]);
  }
  line += '\n';
  return line;
}

namespace {

// Nested objects as dotted keys, in the object's order (nlohmann keeps keys sorted).
void flatten(const nlohmann::json& j, const std::string& prefix,
             std::vector<std::pair<std::string, nlohmann::json>>& out) {
  for (auto it = j.begin(); it != j.end(); ++it) {
    const std::string key = prefix.empty() ? it.key() : prefix + "." + it.key();
    if (it->is_object() && !it->empty())
      flatten(*it, key, out);
    else
      out.emplace_back(key, *it);
  }
}

}  // namespace

std::string csv_table(const nlohmann::json& rows, const std::vector<std::string>& first) {
  std::vector<std::string> columns;
  std::map<std::string, size_t> index;
  std::set<std::string> present;
  if (rows.is_array())
    for (const nlohmann::json& r : rows)
      if (r.is_object())
        for (const std::string& f : first)
          if (r.contains(f)) present.insert(f);
  for (const std::string& f : first)
    if (present.count(f) != 0 && index.emplace(f, columns.size()).second) columns.push_back(f);
  std::vector<std::vector<std::pair<std::string, nlohmann::json>>> flat;
  if (rows.is_array())
    for (const nlohmann::json& r : rows) {
      flat.emplace_back();
      if (r.is_object())
        flatten(r, "", flat.back());
      else
        flat.back().emplace_back("value", r);
      for (const auto& [k, v] : flat.back())
        if (index.emplace(k, columns.size()).second) columns.push_back(k);
    }
  std::vector<nlohmann::json> header(columns.begin(), columns.end());
  std::string out = csv_row(header);
  for (const auto& row : flat) {
    std::vector<nlohmann::json> cells(columns.size());
    for (const auto& [k, v] : row) cells[index.at(k)] = v;
    out += csv_row(cells);
  }
  return out;
}

}  // namespace sieve::io
