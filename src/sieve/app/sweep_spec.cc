// sieve sweep's spec parser and plan (sweep.h): axes, ranges, sampling and metrics, validated
// whole before any point runs. Kept apart from the evaluator (sweep.cc), which simulates, so that
// the parser builds and is fuzzed (fuzz/sweep.cc) without the simulators.

#include "sieve/app/sweep.h"

#include <fmt/format.h>

#include <algorithm>
#include <charconv>
#include <cmath>
#include <filesystem>
#include <limits>
#include <map>
#include <optional>
#include <random>
#include <set>
#include <tuple>

#include "sieve/app/model_loader.h"
#include "sieve/app/sweep_metric.h"
#include "sieve/compress/recipe.h"
#include "sieve/compress/report.h"
#include "sieve/core/atomic_file.h"
#include "sieve/hw/core/arch.h"
#include "sieve/hw/sim/inputs.h"
#include "sieve/hw/sim/run.h"
#include "sieve/hw/workloads/thesis.h"
#include "sieve/io/yaml/yaml.h"
#include "sieve/zoo/zoo.h"

namespace sieve::app {
using namespace sweep_detail;  // NOLINT: defined at the end of the anonymous namespace below

namespace {

// More values on one axis are refused (the product or the sample is bounded by --max-points;
// this bounds the memory of one axis's list whatever the sampling).
constexpr int64_t kMaxAxisValues = 1000000;

const std::vector<std::string>& top_level_keys() {
  static const std::vector<std::string> k = {"axes",   "sampling", "metrics", "recipe",
                                             "data",   "data_dir", "limit",   "validation"};
  return k;
}

const std::vector<std::string>& axis_keys() {
  static const std::vector<std::string> k = {"arch",  "param.<key>", "model",        "mode",
                                             "batch", "seed",        "input_density", "set.<key>"};
  return k;
}

// The axes of a compression sweep (a spec with a recipe).
const std::vector<std::string>& compress_axis_keys() {
  static const std::vector<std::string> k = {"model", "set.<key>"};
  return k;
}

template <typename... Args>
Status spec_error(const std::string& file, const std::string& where, fmt::format_string<Args...> f,
                  Args&&... args) {
  return invalid_argument("{}: {}: {}", file, where, fmt::format(f, std::forward<Args>(args)...));
}

// A YAML scalar as a JSON number: an integer when it is one, else a finite double.
std::optional<nlohmann::json> parse_number(const std::string& s) {
  if (s.empty()) return std::nullopt;
  const char* b = s.data();
  const char* e = s.data() + s.size();
  if (*b == '+') ++b;
  int64_t i = 0;
  if (auto [p, ec] = std::from_chars(b, e, i); ec == std::errc() && p == e) return i;
  double d = 0;
  if (auto [p, ec] = std::from_chars(b, e, d); ec == std::errc() && p == e && std::isfinite(d))
    return d;
  return std::nullopt;
}

bool is_integer(const nlohmann::json& v) {
  return v.is_number_integer();
}

Result<nlohmann::json> number_at(const std::string& file, const std::string& where,
                                 const YAML::Node& n) {
  if (!n.IsScalar())
    return spec_error(file, where, "expected a number, got {}", io::yaml_node_text(n));
  std::optional<nlohmann::json> v = parse_number(n.Scalar());
  if (!v) return spec_error(file, where, "expected a number, got \"{}\"", n.Scalar());
  return *v;
}

// A computed range value without its floating-point residue (0.1 + 8 × 0.1 is 0.9, not
// 0.8999999999999999): 12 significant digits, far below any meaningful step.
double tidy(double v) {
  return std::stod(fmt::format("{:.12g}", v));
}

// A range {from, to, step} or {from, to, count[, scale: linear|log]}.
Result<std::vector<nlohmann::json>> parse_range(const std::string& file, const std::string& where,
                                                const YAML::Node& n) {
  static const std::vector<std::string> valid = {"from", "to", "step", "count", "scale"};
  for (const auto& kv : n) {
    const std::string k = kv.first.Scalar();
    if (std::find(valid.begin(), valid.end(), k) == valid.end())
      return spec_error(file, where + "." + k, "unknown key \"{}\"; valid keys: {}", k,
                        fmt::join(valid, ", "));
  }
  if (!n["from"] || !n["to"])
    return spec_error(file, where, "a range needs from and to (and step, or count)");
  if (static_cast<bool>(n["step"]) == static_cast<bool>(n["count"]))
    return spec_error(file, where, "a range takes either step or count, not {}",
                      n["step"] ? "both" : "neither");
  SIEVE_ASSIGN_OR_RETURN(nlohmann::json from, number_at(file, where + ".from", n["from"]));
  SIEVE_ASSIGN_OR_RETURN(nlohmann::json to, number_at(file, where + ".to", n["to"]));
  const double a = from.get<double>(), b = to.get<double>();
  std::vector<nlohmann::json> out;
  if (n["step"]) {
    if (n["scale"]) return spec_error(file, where + ".scale", "scale goes with count, not step");
    SIEVE_ASSIGN_OR_RETURN(nlohmann::json step, number_at(file, where + ".step", n["step"]));
    const double s = step.get<double>();
    if (s == 0) return spec_error(file, where + ".step", "step 0 never reaches {}", to.dump());
    const double span = (b - a) / s;
    if (span < -1e-9)
      return spec_error(file, where, "empty range: from {} to {} by step {}", from.dump(),
                        to.dump(), step.dump());
    const double count = std::floor(span + 1e-9) + 1;
    if (count > static_cast<double>(kMaxAxisValues))
      return spec_error(file, where, "{} values; at most {} on one axis", count, kMaxAxisValues);
    const bool ints = is_integer(from) && is_integer(to) && is_integer(step);
    for (int64_t k = 0; k < static_cast<int64_t>(count); ++k) {
      if (ints)
        out.emplace_back(from.get<int64_t>() + k * step.get<int64_t>());
      else
        out.emplace_back(tidy(a + static_cast<double>(k) * s));
    }
    return out;
  }
  SIEVE_ASSIGN_OR_RETURN(nlohmann::json cnt, number_at(file, where + ".count", n["count"]));
  if (!is_integer(cnt) || cnt.get<int64_t>() < 1)
    return spec_error(file, where + ".count", "expected a positive integer, got {}", cnt.dump());
  const int64_t count = cnt.get<int64_t>();
  if (count > kMaxAxisValues)
    return spec_error(file, where + ".count", "{} values; at most {} on one axis", count,
                      kMaxAxisValues);
  std::string scale = "linear";
  if (n["scale"]) {
    SIEVE_ASSIGN_OR_RETURN(scale, io::yaml_scalar(n["scale"], file, where + ".scale"));
    if (scale != "linear" && scale != "log")
      return spec_error(file, where + ".scale", "expected linear or log, got \"{}\"", scale);
  }
  if (scale == "log" && !(a > 0 && b > 0))
    return spec_error(file, where, "a log range needs from and to above 0, got {} and {}",
                      from.dump(), to.dump());
  // Integer endpoints give integers (rounded, repeats dropped): buffer sizes and bandwidths.
  const bool ints = is_integer(from) && is_integer(to);
  for (int64_t k = 0; k < count; ++k) {
    const double t = count == 1 ? 0.0 : static_cast<double>(k) / static_cast<double>(count - 1);
    double v = scale == "log" ? a * std::pow(b / a, t) : a + (b - a) * t;
    if (k == count - 1 && count > 1) v = b;
    if (ints) {
      const auto r = static_cast<int64_t>(std::llround(v));
      if (out.empty() || out.back().get<int64_t>() != r) out.emplace_back(r);
    } else {
      out.emplace_back(tidy(v));
    }
  }
  return out;
}

// The values of one axis: a list, a range, or one scalar.
Result<std::vector<nlohmann::json>> parse_values(const std::string& file, const std::string& where,
                                                 const YAML::Node& n, bool numeric) {
  std::vector<nlohmann::json> out;
  if (n.IsMap()) {
    if (!numeric)
      return spec_error(file, where, "a range needs a numeric axis; list the values instead");
    return parse_range(file, where, n);
  }
  std::vector<YAML::Node> items;
  if (n.IsSequence()) {
    for (const auto& it : n) items.push_back(it);
    if (items.empty()) return spec_error(file, where, "empty list: give at least one value");
  } else if (n.IsScalar()) {
    items.push_back(n);
  } else {
    return spec_error(file, where, "expected a value, a list or a range, got {}",
                      io::yaml_node_text(n));
  }
  if (static_cast<int64_t>(items.size()) > kMaxAxisValues)
    return spec_error(file, where, "{} values; at most {} on one axis", items.size(),
                      kMaxAxisValues);
  for (size_t i = 0; i < items.size(); ++i) {
    const std::string w = fmt::format("{}[{}]", where, i);
    if (numeric) {
      SIEVE_ASSIGN_OR_RETURN(nlohmann::json v, number_at(file, w, items[i]));
      out.push_back(std::move(v));
    } else {
      SIEVE_ASSIGN_OR_RETURN(std::string s, io::yaml_scalar(items[i], file, w));
      if (s.empty()) return spec_error(file, w, "empty value");
      out.emplace_back(s);
    }
  }
  return out;
}

// ---- metrics -------------------------------------------------------------------------------

// The named metrics, each with what it is (sweep_metric_names lists the same, for help texts).
struct BuiltinMetric {
  const char* name;
  Builtin builtin;
  const char* what;
};

const std::vector<BuiltinMetric>& builtin_table() {
  static const std::vector<BuiltinMetric> t = {
      {"cycles", Builtin::kCycles, "total cycles over the layers the design runs"},
      {"time_ns", Builtin::kTimeNs, "total time (ns)"},
      {"energy_pj", Builtin::kEnergyPj, "total energy (pJ), on and off chip"},
      {"onchip_energy_pj", Builtin::kOnchipEnergyPj, "on-chip energy (pJ)"},
      {"offchip_energy_pj", Builtin::kOffchipEnergyPj, "off-chip energy (pJ)"},
      {"offchip_bytes", Builtin::kOffchipBytes, "off-chip bytes moved, every kind"},
      {"macs_performed", Builtin::kMacsPerformed, "multiply-accumulates performed"},
      {"macs_skipped", Builtin::kMacsSkipped,
       "multiply-accumulates skipped (zero weight or neuron)"},
      {"utilization", Builtin::kUtilization, "MACs performed / (multipliers x cycles)"},
      {"stall_cycles", Builtin::kStallCycles, "cycles the units waited for memory"},
      {"unsupported_layers", Builtin::kUnsupportedLayers,
       "layers the design cannot run (left out of the totals)"},
      {"area_mm2", Builtin::kAreaMm2,
       "the configuration's area, mm² (sieve area; designs with an area config)"},
      {"power_mw", Builtin::kPowerMw, "the configuration's power, mW (sieve area)"},
  };
  return t;
}

std::string steps_text(const std::vector<PathStep>& steps, size_t n) {
  std::string s;
  for (size_t i = 0; i < n && i < steps.size(); ++i) {
    const PathStep& p = steps[i];
    if (p.kind == PathStep::kKey)
      s += (s.empty() ? "" : ".") + p.key;
    else if (p.kind == PathStep::kIndex)
      s += fmt::format("[{}]", p.index);
    else
      s += "[" + p.key + "]";
  }
  return s;
}

// "layers[0].cycles", "total.offchip_bytes.weights", "layers[conv1_1].energy_pj.total".
Result<std::vector<PathStep>> parse_path(const std::string& path) {
  std::vector<PathStep> out;
  size_t i = 0;
  auto is_key_char = [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) != 0 || c == '_' || c == '-';
  };
  while (i < path.size()) {
    if (path[i] == '[') {
      const size_t close = path.find(']', i);
      if (close == std::string::npos || close == i + 1)
        return invalid_argument("\"{}\": '[' at {} without an index or a name and ']'", path, i);
      const std::string in = path.substr(i + 1, close - i - 1);
      PathStep st;
      int64_t idx = 0;
      if (auto [p, ec] = std::from_chars(in.data(), in.data() + in.size(), idx);
          ec == std::errc() && p == in.data() + in.size()) {
        if (idx < 0) return invalid_argument("\"{}\": negative index {}", path, idx);
        st.kind = PathStep::kIndex;
        st.index = idx;
      } else {
        st.kind = PathStep::kName;
        st.key = in;
      }
      out.push_back(st);
      i = close + 1;
      if (i < path.size() && path[i] != '.' && path[i] != '[')
        return invalid_argument("\"{}\": expected '.' or '[' after ']' at {}", path, i);
      if (i < path.size() && path[i] == '.') {
        ++i;
        if (i == path.size()) return invalid_argument("\"{}\": ends with '.'", path);
      }
      continue;
    }
    size_t j = i;
    while (j < path.size() && is_key_char(path[j])) ++j;
    if (j == i) return invalid_argument("\"{}\": unexpected '{}' at {}", path, path[i], i);
    out.push_back({PathStep::kKey, path.substr(i, j - i), 0});
    i = j;
    if (i < path.size() && path[i] == '.') {
      ++i;
      if (i == path.size()) return invalid_argument("\"{}\": ends with '.'", path);
    } else if (i < path.size() && path[i] != '[') {
      return invalid_argument("\"{}\": unexpected '{}' at {}", path, path[i], i);
    }
  }
  if (out.empty()) return invalid_argument("empty path");
  return out;
}

// What `sieve simulate --json` prints, for checking paths before any point runs: report_json of
// a one-layer report, plus the keys simulate adds (its timing key excluded: not deterministic).
const nlohmann::json& report_schema() {
  static const nlohmann::json schema = [] {
    hw::SimReport r;
    r.result.layers.emplace_back();
    r.layer_energy.emplace_back();
    nlohmann::json j = hw::report_json(r);
    j["notes"] = nlohmann::json::object();
    j["driven_by"] = "plan";
    return j;
  }();
  return schema;
}

// What `sieve compress --json` prints: report_json of a one-layer report, plus the key the
// command adds.
const nlohmann::json& compress_schema() {
  static const nlohmann::json schema = [] {
    compress::Report r;
    r.layers.emplace_back();
    r.file_bytes = 0;  // the file's keys are numbers, not null
    r.schedule.emplace_back();
    nlohmann::json j = compress::report_json(r);
    j["out"] = "";
    return j;
  }();
  return schema;
}

// Checks a path against the schema: keys and list-ness; any index or name of a list is taken
// (the layers differ per model), and maps keyed by action names are not checked past them.
Status check_path(const std::vector<PathStep>& steps, bool compress) {
  const nlohmann::json* j = compress ? &compress_schema() : &report_schema();
  const char* const output = compress ? "`sieve compress --json`" : "`sieve simulate --json`";
  for (size_t s = 0; s < steps.size(); ++s) {
    const PathStep& p = steps[s];
    const std::string at = s == 0 ? "the top level" : steps_text(steps, s);
    if (p.kind == PathStep::kKey) {
      if (!j->is_object()) return invalid_argument("{} is not an object", at);
      if (s > 0 && steps[s - 1].kind == PathStep::kKey &&
          (steps[s - 1].key == "actions" || steps[s - 1].key == "by_action" ||
           steps[s - 1].key == "notes" || steps[s - 1].key == "index_formats" ||
           steps[s - 1].key == "sections"))
        return ok_status();  // keyed by action names or note names: checked per point
      auto it = j->find(p.key);
      if (it == j->end()) {
        std::vector<std::string> keys;
        for (auto k = j->begin(); k != j->end(); ++k) keys.push_back(k.key());
        return invalid_argument("no key \"{}\" in {} of {}; keys: {}", p.key, at, output,
                                fmt::join(keys, ", "));
      }
      j = &*it;
    } else {
      if (!j->is_array()) return invalid_argument("{} is not a list", at);
      j = &(*j)[0];
    }
  }
  if (j->is_object() || j->is_array()) {
    std::vector<std::string> keys;
    if (j->is_object())
      for (auto k = j->begin(); k != j->end(); ++k) keys.push_back(k.key());
    return invalid_argument(
        "{} is {}, not a value{}", steps_text(steps, steps.size()),
        j->is_object() ? "an object" : "a list",
        keys.empty() ? "" : fmt::format("; its keys: {}", fmt::join(keys, ", ")));
  }
  return ok_status();
}

// ---- sampling ------------------------------------------------------------------------------

// Deterministic draws: mt19937_64's output is fixed by the standard; the distributions are
// ours (the standard library's differ between implementations).
uint64_t uniform_below(std::mt19937_64& g, uint64_t n) {
  const uint64_t lim =
      std::numeric_limits<uint64_t>::max() - std::numeric_limits<uint64_t>::max() % n;
  uint64_t x = 0;
  do {
    x = g();
  } while (x >= lim);
  return x % n;
}

double uniform01(std::mt19937_64& g) {
  return static_cast<double>(g() >> 11) * 0x1.0p-53;
}

uint64_t fnv1a(uint64_t h, std::string_view s) {
  for (char c : s) {
    h ^= static_cast<unsigned char>(c);
    h *= 0x100000001b3ULL;
  }
  return h;
}

}  // namespace

namespace sweep_detail {

std::string value_text(const nlohmann::json& v) {
  return v.is_string() ? v.get<std::string>() : v.dump();
}

// The value at `steps` in `j`, or why there is none.
Result<nlohmann::json> follow(const nlohmann::json& root, const std::vector<PathStep>& steps) {
  const nlohmann::json* j = &root;
  for (size_t s = 0; s < steps.size(); ++s) {
    const PathStep& p = steps[s];
    const std::string at = s == 0 ? "the top level" : steps_text(steps, s);
    if (p.kind == PathStep::kKey) {
      if (!j->is_object()) return not_found("{} is not an object", at);
      auto it = j->find(p.key);
      if (it == j->end()) {
        std::vector<std::string> keys;
        for (auto k = j->begin(); k != j->end(); ++k) keys.push_back(k.key());
        return not_found("no key \"{}\" in {}; keys: {}", p.key, at, fmt::join(keys, ", "));
      }
      j = &*it;
    } else if (p.kind == PathStep::kIndex) {
      if (!j->is_array()) return not_found("{} is not a list", at);
      if (p.index >= static_cast<int64_t>(j->size()))
        return not_found("index {} past the end of {} ({} entries)", p.index, at, j->size());
      j = &(*j)[static_cast<size_t>(p.index)];
    } else {
      if (!j->is_array()) return not_found("{} is not a list", at);
      const nlohmann::json* found = nullptr;
      std::vector<std::string> names;
      for (const nlohmann::json& e : *j) {
        // Entries are named by "name" (simulate's layers) or "node" (compress's layers).
        const char* key = e.is_object() && e.contains("name") ? "name" : "node";
        if (!e.is_object() || !e.contains(key) || !e[key].is_string()) continue;
        names.push_back(e[key].get<std::string>());
        if (names.back() == p.key) found = &e;
      }
      if (found == nullptr)
        return not_found("no entry named \"{}\" in {}; names: {}", p.key, at,
                         fmt::join(names, ", "));
      j = found;
    }
  }
  if (j->is_object() || j->is_array())
    return not_found("{} is {}, not a value", steps_text(steps, steps.size()),
                     j->is_object() ? "an object" : "a list");
  return *j;
}

Result<Metric> make_metric(const std::string& name, bool compress) {
  Metric m{name, Builtin::kPath, {}};
  if (!compress)
    for (const BuiltinMetric& b : builtin_table())
      if (name == b.name) {
        m.builtin = b.builtin;
        return m;
      }
  SIEVE_ASSIGN_OR_RETURN(m.path, parse_path(name));
  SIEVE_RETURN_IF_ERROR(check_path(m.path, compress));
  return m;
}

}  // namespace sweep_detail

const std::vector<std::pair<std::string, std::string>>& sweep_metric_names() {
  static const std::vector<std::pair<std::string, std::string>> t = [] {
    std::vector<std::pair<std::string, std::string>> v;
    for (const BuiltinMetric& b : builtin_table()) v.emplace_back(b.name, b.what);
    return v;
  }();
  return t;
}

// ---- the plan ------------------------------------------------------------------------------

std::vector<int64_t> SweepPlan::point(int64_t i) const {
  std::vector<int64_t> idx(axes_.size());
  if (sampling_ != SweepSampling::kProduct) {
    for (size_t a = 0; a < axes_.size(); ++a)
      idx[a] = drawn_[static_cast<size_t>(i) * axes_.size() + a];
    return idx;
  }
  // Mixed radix, the last axis fastest: the order of nested loops in spec order.
  for (size_t a = axes_.size(); a-- > 0;) {
    const auto n = static_cast<int64_t>(axes_[a].values.size());
    idx[a] = i % n;
    i /= n;
  }
  return idx;
}

std::vector<std::string> SweepPlan::columns() const {
  std::vector<std::string> c = {"point"};
  for (const SweepAxis& a : axes_) c.push_back(a.key);
  for (const std::string& m : metrics_) c.push_back(m);
  c.emplace_back("error");
  if (!pareto_.empty()) c.emplace_back("pareto");
  return c;
}

uint64_t SweepPlan::fingerprint() const {
  uint64_t h = 0xcbf29ce484222325ULL;
  if (kind_ == SweepKind::kCompress) h = fnv1a(fnv1a(h, compress_.recipe), "\x1d");
  for (const std::string& c : columns()) h = fnv1a(fnv1a(h, c), "\x1f");
  for (int64_t i = 0; i < size_; ++i) {
    const std::vector<int64_t> p = point(i);
    for (size_t a = 0; a < axes_.size(); ++a)
      h = fnv1a(fnv1a(h, axes_[a].values[static_cast<size_t>(p[a])].dump()), "\x1f");
    h = fnv1a(h, "\x1e");
  }
  return h;
}

Result<SweepPlan> parse_sweep_spec(const std::string& text, const std::string& file,
                                   const SweepOptions& opt) {
  SIEVE_ASSIGN_OR_RETURN(YAML::Node root, io::load_yaml(text, file));
  if (!root.IsMap())
    return invalid_argument("{}: expected a mapping with keys {}, got {}", file,
                            fmt::join(top_level_keys(), ", "), io::yaml_node_text(root));
  for (const auto& kv : root) {
    const std::string k = kv.first.Scalar();
    if (std::find(top_level_keys().begin(), top_level_keys().end(), k) == top_level_keys().end())
      return invalid_argument("{}: unknown key \"{}\"; valid keys: {}", file, k,
                              fmt::join(top_level_keys(), ", "));
  }
  SweepPlan plan;
  plan.file_ = file;

  // A recipe makes it a compression sweep, with the settings `sieve compress` takes.
  if (const YAML::Node r = root["recipe"]) {
    plan.kind_ = SweepKind::kCompress;
    SweepCompress& c = plan.compress_;
    SIEVE_ASSIGN_OR_RETURN(c.recipe, io::yaml_scalar(r, file, "recipe"));
    if (const YAML::Node d = root["data"]) {
      SIEVE_ASSIGN_OR_RETURN(c.data, io::yaml_scalar(d, file, "data"));
      if (c.data != "fashion-mnist" && c.data != "none")
        return spec_error(file, "data", "expected fashion-mnist or none, got \"{}\"", c.data);
    }
    if (const YAML::Node d = root["data_dir"]) {
      SIEVE_ASSIGN_OR_RETURN(c.data_dir, io::yaml_scalar(d, file, "data_dir"));
    }
    for (const auto& [key, target, least] :
         {std::tuple{"limit", &c.limit, int64_t{1}}, std::tuple{"validation", &c.validation, int64_t{0}}}) {
      const YAML::Node n = root[key];
      if (!n) continue;
      SIEVE_ASSIGN_OR_RETURN(nlohmann::json v, number_at(file, key, n));
      if (!v.is_number_integer() || v.get<int64_t>() < least)
        return spec_error(file, key, "expected an integer of at least {}, got {}", least,
                          v.dump());
      *target = v.get<int64_t>();
    }
  } else {
    for (const char* key : {"data", "data_dir", "limit", "validation"})
      if (root[key])
        return spec_error(file, key,
                          "only a compression sweep (a spec with a recipe: key) takes {}", key);
  }
  const bool compressing = plan.kind_ == SweepKind::kCompress;

  // Axes, in spec order.
  const YAML::Node axes = root["axes"];
  if (!axes || !axes.IsMap() || axes.size() == 0)
    return invalid_argument("{}: axes: expected a mapping of axes ({}), got {}", file,
                            fmt::join(axis_keys(), ", "),
                            axes ? io::yaml_node_text(axes) : std::string("nothing"));
  std::set<std::string> seen;
  auto add_axis = [&](const std::string& key, const YAML::Node& v) -> Status {
    const bool numeric = key != "arch" && key != "model" && key != "mode";
    const std::string where = "axes." + key;
    if (!seen.insert(key).second) return spec_error(file, where, "axis given twice");
    if (key.starts_with("param.") && key.size() == 6)
      return spec_error(file, where, "param. needs a preset key, e.g. param.sb_bytes");
    if (key.starts_with("set.")) {  // recipe values: numbers where they read as one, else text
      if (key.size() == 4)
        return spec_error(file, where, "set. needs a recipe key, e.g. set.prune.fc.sparsity");
      std::vector<nlohmann::json> values;
      if (v.IsMap()) {
        SIEVE_ASSIGN_OR_RETURN(values, parse_values(file, where, v, true));
      } else {
        SIEVE_ASSIGN_OR_RETURN(values, parse_values(file, where, v, false));
        for (nlohmann::json& x : values)
          if (std::optional<nlohmann::json> n = parse_number(x.get<std::string>())) x = *n;
      }
      plan.axes_.push_back({key, std::move(values)});
      return ok_status();
    }
    SIEVE_ASSIGN_OR_RETURN(std::vector<nlohmann::json> values,
                           parse_values(file, where, v, numeric));
    if (key == "batch" || key == "seed") {
      for (const nlohmann::json& x : values)
        if (!x.is_number_integer() || x.get<int64_t>() < (key == "batch" ? 1 : 0))
          return spec_error(file, where, "expected {} integers, got {}",
                            key == "batch" ? "positive" : "non-negative", x.dump());
    }
    if (key == "input_density") {
      for (const nlohmann::json& x : values)
        if (!(x.get<double>() > 0 && x.get<double>() <= 1))
          return spec_error(file, where, "expected densities in (0, 1], got {}", x.dump());
    }
    plan.axes_.push_back({key, std::move(values)});
    return ok_status();
  };
  for (const auto& kv : axes) {
    const std::string key = kv.first.Scalar();
    if (key == "param" && kv.second.IsMap()) {  // param: {key: values, ...}
      for (const auto& p : kv.second)
        SIEVE_RETURN_IF_ERROR(add_axis("param." + p.first.Scalar(), p.second));
      continue;
    }
    if (compressing && key != "model" && !key.starts_with("set."))
      return spec_error(file, "axes." + key,
                        "a compression sweep (a spec with a recipe) has no axis \"{}\"; its "
                        "axes: {}",
                        key, fmt::join(compress_axis_keys(), ", "));
    if (!compressing && (key.starts_with("set.") || key == "set"))
      return spec_error(file, "axes." + key,
                        "recipe keys are axes of a compression sweep: name its recipe (recipe: "
                        "FILE) at the top level");
    if (std::find(axis_keys().begin(), axis_keys().end(), key) == axis_keys().end() &&
        !key.starts_with("param.") && !key.starts_with("set."))
      return spec_error(file, "axes." + key, "unknown axis \"{}\"; valid axes: {}", key,
                        fmt::join(axis_keys(), ", "));
    SIEVE_RETURN_IF_ERROR(add_axis(key, kv.second));
  }
  auto axis = [&](const std::string& key) -> const SweepAxis* {
    for (const SweepAxis& a : plan.axes_)
      if (a.key == key) return &a;
    return nullptr;
  };
  if (axis("model") == nullptr)
    return spec_error(file, "axes",
                      "no model axis: name at least one model (zoo name, "
                      "thesis:<name>, .sieve or .onnx file)");

  if (compressing) {
    // The recipe as given, then with each override of each set axis (a key the recipe lacks, or
    // a value of the wrong kind, is refused naming the axis).
    Result<compress::Recipe> base = compress::load_recipe(plan.compress_.recipe);
    if (!base.ok()) return base.status().with_context(file + ": recipe");
    for (const SweepAxis& a : plan.axes_) {
      if (!a.key.starts_with("set.")) continue;
      for (const nlohmann::json& v : a.values) {
        const std::string o = a.key.substr(4) + "=" + value_text(v);
        Result<compress::Recipe> r = compress::load_recipe(plan.compress_.recipe, {o});
        if (!r.ok()) return spec_error(file, "axes." + a.key, "{}", r.status().message());
      }
    }
    // Models: what `sieve compress --model` takes (a zoo name or an .onnx file).
    for (const nlohmann::json& mv : axis("model")->values) {
      const std::string m = mv.get<std::string>();
      if (model_source(m) == ModelSource::kOnnx) {
        if (!std::filesystem::exists(m))
          return spec_error(file, "axes.model", "no such file \"{}\"", m);
      } else if (model_source(m) != ModelSource::kZoo || zoo::find_model(m) == nullptr) {
        return spec_error(file, "axes.model",
                          "\"{}\": a compression sweep takes zoo models and .onnx files; zoo: {}",
                          m, fmt::join(zoo::names(), ", "));
      }
    }
  } else {
    // Archs: each a known arch or preset; every param key one of each arch's preset; every mode
    // one of each arch's modes.
    const std::vector<nlohmann::json> archs =
        axis("arch") != nullptr ? axis("arch")->values : std::vector<nlohmann::json>{"sieve"};
    for (const nlohmann::json& av : archs) {
      const std::string arch = av.get<std::string>();
      Result<hw::ParamSet> ps = hw::read_preset(arch);
      if (!ps.ok()) return ps.status().with_context(file + ": axes.arch");
      for (const SweepAxis& a : plan.axes_) {
        if (!a.key.starts_with("param.")) continue;
        const std::string key = a.key.substr(6);
        if (ps->find(key) == nullptr) {
          std::vector<std::string> names;
          for (const hw::Param& p : ps->params) names.push_back(p.name);
          return spec_error(file, "axes." + a.key,
                            "arch \"{}\" (preset {}) has no parameter \"{}\"; its parameters: {}",
                            arch, ps->file, key, fmt::join(names, ", "));
        }
      }
      if (const SweepAxis* m = axis("mode")) {
        Result<std::unique_ptr<hw::Accelerator>> acc = hw::make_accelerator_from(*ps, {});
        if (!acc.ok()) return acc.status().with_context(file + ": axes.arch");
        const std::vector<std::string> modes = (*acc)->modes();
        for (const nlohmann::json& mv : m->values)
          if (std::find(modes.begin(), modes.end(), mv.get<std::string>()) == modes.end())
            return spec_error(file, "axes.mode", "arch \"{}\" has no mode \"{}\"; its modes: {}",
                              arch, mv.get<std::string>(), fmt::join(modes, ", "));
      }
    }
    // Models: a known thesis benchmark or zoo name, or an existing file.
    for (const nlohmann::json& mv : axis("model")->values) {
      const std::string m = mv.get<std::string>();
      if (hw::is_thesis_benchmark(m)) {
        Result<hw::ThesisBenchmark> b = hw::thesis_benchmark(m.substr(7));
        if (!b.ok()) return b.status().with_context(file + ": axes.model");
      } else if (m.starts_with("eie:")) {
        continue;  // checked when the workload is built
      } else if (model_source(m) != ModelSource::kZoo) {
        if (!std::filesystem::exists(m))
          return spec_error(file, "axes.model", "no such file \"{}\"", m);
      } else if (zoo::find_model(m) == nullptr) {
        return spec_error(file, "axes.model",
                          "\"{}\" is no zoo model, thesis:<name> or .sieve/.onnx file; zoo: {}", m,
                          fmt::join(zoo::names(), ", "));
      }
    }
  }

  // Metrics.
  const YAML::Node metrics = root["metrics"];
  if (!metrics) {
    plan.metrics_ = compressing ? std::vector<std::string>{"accuracy", "ratio_c", "file_ratio"}
                                : std::vector<std::string>{"cycles", "time_ns", "energy_pj",
                                                           "offchip_bytes"};
  } else {
    if (!metrics.IsSequence() || metrics.size() == 0)
      return invalid_argument("{}: metrics: expected a non-empty list, got {}", file,
                              io::yaml_node_text(metrics));
    for (size_t i = 0; i < metrics.size(); ++i) {
      const std::string where = fmt::format("metrics[{}]", i);
      SIEVE_ASSIGN_OR_RETURN(std::string name, io::yaml_scalar(metrics[i], file, where));
      if (std::find(plan.metrics_.begin(), plan.metrics_.end(), name) != plan.metrics_.end())
        return spec_error(file, where, "metric \"{}\" listed twice", name);
      Result<Metric> m = make_metric(name, compressing);
      if (!m.ok() && compressing)
        return spec_error(file, where, "\"{}\" is no path in `sieve compress --json` output: {}",
                          name, m.status().message());
      if (!m.ok()) {
        std::vector<std::string> names;
        for (const auto& [n, what] : sweep_metric_names()) names.push_back(n);
        return spec_error(file, where,
                          "\"{}\" is no metric ({}) and no path in `sieve simulate --json` "
                          "output: {}",
                          name, fmt::join(names, ", "), m.status().message());
      }
      plan.metrics_.push_back(name);
    }
  }
  if (compressing && !opt.pareto.empty())
    return invalid_argument(
        "--pareto: {} is a compression sweep, whose metrics (accuracy, ratios) are maximised; "
        "--pareto minimises simulation metrics",
        file);
  for (const std::string& p : opt.pareto) {
    const std::string name = p == "time"     ? "time_ns"
                             : p == "energy" ? "energy_pj"
                             : p == "area"   ? "area_mm2"
                                             : p;
    if (std::find(plan.metrics_.begin(), plan.metrics_.end(), name) == plan.metrics_.end()) {
      Result<Metric> m = make_metric(name);
      if (!m.ok())
        return invalid_argument("--pareto {}: expected time, energy or a metric of {} ({})", p,
                                file, fmt::join(plan.metrics_, ", "));
      plan.metrics_.push_back(name);
    }
    if (std::find(plan.pareto_.begin(), plan.pareto_.end(), name) != plan.pareto_.end())
      return invalid_argument("--pareto: {} given twice", p);
    plan.pareto_.push_back(name);
  }

  // Sampling and the point count.
  constexpr uint64_t kHuge = uint64_t{1} << 62;
  uint64_t product = 1;
  for (const SweepAxis& a : plan.axes_) {
    const auto n = static_cast<uint64_t>(a.values.size());
    product = product > kHuge / n ? kHuge : product * n;
  }
  const std::string product_text =
      product >= kHuge ? std::string("more than 4e18") : fmt::format("{}", product);
  const YAML::Node sampling = root["sampling"];
  std::string method = "product";
  int64_t points = 0;
  uint64_t seed = 1;
  if (sampling) {
    static const std::vector<std::string> methods = {"product", "random", "latin-hypercube"};
    static const std::vector<std::string> valid = {"method", "points", "seed"};
    if (sampling.IsScalar()) {
      method = sampling.Scalar();
    } else if (sampling.IsMap()) {
      for (const auto& kv : sampling) {
        const std::string k = kv.first.Scalar();
        if (std::find(valid.begin(), valid.end(), k) == valid.end())
          return spec_error(file, "sampling." + k, "unknown key \"{}\"; valid keys: {}", k,
                            fmt::join(valid, ", "));
      }
      if (!sampling["method"])
        return spec_error(file, "sampling", "no method: expected one of {}",
                          fmt::join(methods, ", "));
      SIEVE_ASSIGN_OR_RETURN(method, io::yaml_scalar(sampling["method"], file, "sampling.method"));
      if (sampling["points"]) {
        SIEVE_ASSIGN_OR_RETURN(nlohmann::json v,
                               number_at(file, "sampling.points", sampling["points"]));
        if (!v.is_number_integer() || v.get<int64_t>() < 1)
          return spec_error(file, "sampling.points", "expected a positive integer, got {}",
                            v.dump());
        points = v.get<int64_t>();
      }
      if (sampling["seed"]) {
        SIEVE_ASSIGN_OR_RETURN(nlohmann::json v,
                               number_at(file, "sampling.seed", sampling["seed"]));
        if (!v.is_number_integer() || v.get<int64_t>() < 0)
          return spec_error(file, "sampling.seed", "expected a non-negative integer, got {}",
                            v.dump());
        seed = static_cast<uint64_t>(v.get<int64_t>());
      }
    } else {
      return spec_error(file, "sampling", "expected a method or a mapping, got {}",
                        io::yaml_node_text(sampling));
    }
    if (std::find(methods.begin(), methods.end(), method) == methods.end())
      return spec_error(file, "sampling.method", "unknown method \"{}\"; valid: {}", method,
                        fmt::join(methods, ", "));
    if (method == "product" && (sampling.IsMap() && (sampling["points"] || sampling["seed"])))
      return spec_error(file, "sampling", "product takes no points or seed (it runs all {})",
                        product_text);
    if (method != "product" && points == 0)
      return spec_error(file, "sampling.points", "{} sampling needs points", method);
  }
  if (method == "product") {
    if (product > static_cast<uint64_t>(opt.max_points))
      return invalid_argument(
          "{}: the product of the axes has {} points, above the limit of {}; pass "
          "--max-points {} to run them all, or sample (sampling: {{method: random, points: N}})",
          file, product_text, opt.max_points, product_text);
    plan.sampling_ = SweepSampling::kProduct;
    plan.size_ = static_cast<int64_t>(product);
    return plan;
  }
  if (points > opt.max_points)
    return invalid_argument("{}: sampling.points {} is above the limit of {}; pass --max-points {}",
                            file, points, opt.max_points, points);
  std::mt19937_64 g(seed);
  const size_t na = plan.axes_.size();
  plan.size_ = points;
  plan.drawn_.resize(static_cast<size_t>(points) * na);
  if (method == "random") {
    plan.sampling_ = SweepSampling::kRandom;
    if (static_cast<uint64_t>(points) > product)
      return spec_error(file, "sampling.points",
                        "{} distinct random points asked of a product of only {}; use "
                        "method: product",
                        points, product_text);
    // Distinct points, in product order. Below 2^62 points: Floyd's sampling of product
    // indices; above, tuples drawn until distinct (collisions are then vanishingly rare).
    std::vector<std::vector<int64_t>> tuples;
    if (product < kHuge) {
      std::set<uint64_t> chosen;
      for (uint64_t j = product - static_cast<uint64_t>(points); j < product; ++j) {
        const uint64_t t = uniform_below(g, j + 1);
        if (!chosen.insert(t).second) chosen.insert(j);
      }
      for (uint64_t idx : chosen) {
        std::vector<int64_t> p(na);
        for (size_t a = na; a-- > 0;) {
          const auto n = static_cast<uint64_t>(plan.axes_[a].values.size());
          p[a] = static_cast<int64_t>(idx % n);
          idx /= n;
        }
        tuples.push_back(std::move(p));
      }
    } else {
      std::set<std::vector<int64_t>> chosen;
      while (static_cast<int64_t>(chosen.size()) < points) {
        std::vector<int64_t> p(na);
        for (size_t a = 0; a < na; ++a)
          p[a] = static_cast<int64_t>(uniform_below(g, plan.axes_[a].values.size()));
        chosen.insert(std::move(p));
      }
      tuples.assign(chosen.begin(), chosen.end());
    }
    for (size_t i = 0; i < tuples.size(); ++i)
      std::copy(tuples[i].begin(), tuples[i].end(),
                plan.drawn_.begin() + static_cast<std::ptrdiff_t>(i * na));
    return plan;
  }
  // Latin hypercube: each axis cut into `points` strata, one point per stratum, strata paired
  // across axes by independent permutations; a stratum maps to the value its draw falls on.
  plan.sampling_ = SweepSampling::kLatinHypercube;
  for (size_t a = 0; a < na; ++a) {
    std::vector<int64_t> perm(static_cast<size_t>(points));
    for (int64_t j = 0; j < points; ++j) perm[static_cast<size_t>(j)] = j;
    for (int64_t j = points - 1; j > 0; --j)
      std::swap(perm[static_cast<size_t>(j)], perm[uniform_below(g, static_cast<uint64_t>(j) + 1)]);
    const auto n = static_cast<double>(plan.axes_[a].values.size());
    for (int64_t j = 0; j < points; ++j) {
      const double u = (static_cast<double>(perm[static_cast<size_t>(j)]) + uniform01(g)) /
                       static_cast<double>(points);
      plan.drawn_[static_cast<size_t>(j) * na + a] =
          std::min(static_cast<int64_t>(u * n), static_cast<int64_t>(n) - 1);
    }
  }
  return plan;
}

Result<SweepPlan> read_sweep_spec(const std::string& path, const SweepOptions& opt) {
  Result<std::string> text = read_file(path);
  if (!text.ok()) return text.status();
  return parse_sweep_spec(*text, path, opt);
}

}  // namespace sieve::app
