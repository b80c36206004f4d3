// Checked reads of a report input's JSON: each read that fails names the file, the field's path
// inside the document (`archs[1].total.time_ns`) and the value found, so that a hand-edited or
// truncated input is refused with a message the user can act on.
//
// A Field is a view (file name, JSON value, path); it does not own the document, which must
// outlive it. Thread-safety: value type, reentrant.
#pragma once

#include <cstddef>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "sieve/core/status.h"

namespace sieve::app::report {

class Field {
 public:
  Field(const std::string& file, const nlohmann::json& value, std::string path = "")
      : file_(&file), value_(&value), path_(std::move(path)) {}

  const nlohmann::json& json() const { return *value_; }
  const std::string& path() const { return path_; }
  const std::string& file() const { return *file_; }
  bool has(std::string_view key) const;

  // The member `key` of this object; missing (or this not an object) is an error.
  Result<Field> at(std::string_view key) const;
  // This value's items; not a list is an error.
  Result<std::vector<Field>> items() const;
  Result<std::vector<Field>> list(std::string_view key) const;
  // An object's members in the document's order (nlohmann::json sorts keys: this order).
  Result<std::vector<std::pair<std::string, Field>>> members(std::string_view key) const;

  Result<double> number() const;
  Result<double> number(std::string_view key) const;
  // A whole number in [0, max] (an index, a count); a fraction, a negative or a larger number is
  // an error naming the value.
  Result<int64_t> whole(int64_t max) const;
  Result<int64_t> whole(std::string_view key, int64_t max) const;
  // null or absent: nullopt; any other non-number: an error.
  Result<std::optional<double>> optional_number(std::string_view key) const;
  Result<std::string> string(std::string_view key) const;
  // Absent or null: `fallback`; a string: it; anything else: an error.
  Result<std::string> optional_string(std::string_view key, const std::string& fallback) const;

  // "<file>: <path>: <what>" as InvalidArgument.
  Status error(std::string_view what) const;

 private:
  std::string child(std::string_view key) const;
  const std::string* file_;
  const nlohmann::json* value_;
  std::string path_;
};

// The value as the message shows it: JSON text, cut to 60 characters.
std::string shown(const nlohmann::json& value);

}  // namespace sieve::app::report
