#include "sieve/app/report/fields.h"

#include <cmath>

namespace sieve::app::report {

std::string shown(const nlohmann::json& value) {
  std::string s = value.dump();
  if (s.size() > 60) s = s.substr(0, 57) + "...";
  return s;
}

std::string Field::child(std::string_view key) const {
  return path_.empty() ? std::string(key) : path_ + "." + std::string(key);
}

Status Field::error(std::string_view what) const {
  return invalid_argument("{}: {}: {}", *file_, path_.empty() ? "(top level)" : path_, what);
}

bool Field::has(std::string_view key) const {
  return value_->is_object() && value_->contains(key);
}

Result<Field> Field::at(std::string_view key) const {
  if (!value_->is_object())
    return error(fmt::format("expected an object with \"{}\", got {}", key, shown(*value_)));
  auto it = value_->find(key);
  if (it == value_->end()) return invalid_argument("{}: {}: missing", *file_, child(key));
  return Field(*file_, *it, child(key));
}

Result<std::vector<Field>> Field::items() const {
  if (!value_->is_array()) return error(fmt::format("expected a list, got {}", shown(*value_)));
  std::vector<Field> out;
  out.reserve(value_->size());
  for (size_t i = 0; i < value_->size(); ++i)
    out.emplace_back(*file_, (*value_)[i], fmt::format("{}[{}]", path_, i));
  return out;
}

Result<std::vector<Field>> Field::list(std::string_view key) const {
  SIEVE_ASSIGN_OR_RETURN(Field f, at(key));
  return f.items();
}

Result<std::vector<std::pair<std::string, Field>>> Field::members(std::string_view key) const {
  SIEVE_ASSIGN_OR_RETURN(Field f, at(key));
  if (!f.json().is_object())
    return f.error(fmt::format("expected an object, got {}", shown(f.json())));
  std::vector<std::pair<std::string, Field>> out;
  for (auto it = f.json().begin(); it != f.json().end(); ++it)
    out.emplace_back(it.key(), Field(*file_, it.value(), f.child(it.key())));
  return out;
}

Result<double> Field::number() const {
  if (!value_->is_number()) return error(fmt::format("expected a number, got {}", shown(*value_)));
  const double v = value_->get<double>();
  if (!std::isfinite(v)) return error(fmt::format("expected a finite number, got {}", v));
  return v;
}

Result<double> Field::number(std::string_view key) const {
  SIEVE_ASSIGN_OR_RETURN(Field f, at(key));
  return f.number();
}

Result<int64_t> Field::whole(int64_t max) const {
  SIEVE_ASSIGN_OR_RETURN(double v, number());
  // Compared as doubles before any conversion: a double past int64_t's range must not be cast.
  if (!(v >= 0 && v <= static_cast<double>(max)) || v != std::floor(v))
    return error(fmt::format("expected a whole number from 0 to {}, got {}", max, v));
  return static_cast<int64_t>(v);
}

Result<int64_t> Field::whole(std::string_view key, int64_t max) const {
  SIEVE_ASSIGN_OR_RETURN(Field f, at(key));
  return f.whole(max);
}

Result<std::optional<double>> Field::optional_number(std::string_view key) const {
  if (!has(key) || (*value_)[std::string(key)].is_null()) return std::optional<double>();
  SIEVE_ASSIGN_OR_RETURN(double v, number(key));
  return std::optional<double>(v);
}

Result<std::string> Field::string(std::string_view key) const {
  SIEVE_ASSIGN_OR_RETURN(Field f, at(key));
  if (!f.json().is_string())
    return f.error(fmt::format("expected a string, got {}", shown(f.json())));
  return f.json().get<std::string>();
}

Result<std::string> Field::optional_string(std::string_view key,
                                           const std::string& fallback) const {
  if (!has(key) || (*value_)[std::string(key)].is_null()) return fallback;
  return string(key);
}

}  // namespace sieve::app::report
