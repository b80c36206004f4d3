#include "sieve/hw/core/params.h"

#include <yaml-cpp/yaml.h>

#include <cmath>
#include <cstdlib>
#include <sstream>

#include "sieve/core/atomic_file.h"
#include "sieve/io/yaml/yaml.h"

namespace sieve::hw {
namespace {

std::string join_names(const std::vector<Param>& ps) {
  std::string s;
  for (const Param& p : ps) s += (s.empty() ? "" : ", ") + p.name;
  return s;
}

Result<double> parse_number(const std::string& text) {
  if (text == "true") return 1.0;
  if (text == "false") return 0.0;
  char* end = nullptr;
  double v = std::strtod(text.c_str(), &end);
  if (text.empty() || end != text.c_str() + text.size() || !std::isfinite(v))
    return invalid_argument("not a number");
  return v;
}

}  // namespace

const Param* ParamSet::find(const std::string& name) const {
  for (const Param& p : params)
    if (p.name == name) return &p;
  return nullptr;
}

Result<ParamSet> parse_params(const std::string& yaml, const std::string& file) {
  // load_yaml refuses keys that are maps or lists and duplicate keys, so the .Scalar() calls on
  // keys below cannot throw.
  SIEVE_ASSIGN_OR_RETURN(YAML::Node root, io::load_yaml(yaml, file));
  if (!root.IsMap()) {
    return invalid_argument("{}: expected a mapping at the top level, got {}", file,
                            io::yaml_node_text(root));
  }
  ParamSet ps;
  ps.file = file;
  bool have_params = false;
  for (const auto& kv : root) {
    const std::string key = kv.first.Scalar();
    if (key == "arch") {
      SIEVE_ASSIGN_OR_RETURN(ps.arch, io::yaml_scalar(kv.second, file, "arch", "an arch name"));
    } else if (key == "energy") {
      SIEVE_ASSIGN_OR_RETURN(ps.energy,
                             io::yaml_scalar(kv.second, file, "energy", "an energy table name"));
      if (ps.energy.empty())
        return invalid_argument(
            "{}: energy: \"\" (expected the name of a table in "
            "configs/energy/, e.g. sieve-65nm)",
            file);
    } else if (key == "description") {
      SIEVE_ASSIGN_OR_RETURN(ps.description,
                             io::yaml_scalar(kv.second, file, "description", "text"));
    } else if (key == "params") {
      have_params = true;
      if (!kv.second.IsMap())
        return invalid_argument("{}: \"params\" must be a mapping of name: {{value, source}}",
                                file);
      for (const auto& e : kv.second) {
        Param p;
        p.name = e.first.Scalar();
        const std::string where = fmt::format("{}: params.{}", file, p.name);
        if (ps.find(p.name) != nullptr) return invalid_argument("{}: defined twice", where);
        if (!e.second.IsMap())
          return invalid_argument("{}: expected {{value: V, source: \"...\"}}", where);
        bool have_value = false;
        for (const auto& f : e.second) {
          const std::string fk = f.first.Scalar();
          if (fk == "value") {
            if (!f.second.IsScalar()) {
              return invalid_argument("{}.value: expected a number, got {}", where,
                                      io::yaml_node_text(f.second));
            }
            Result<double> v = parse_number(f.second.Scalar());
            if (!v.ok())
              return invalid_argument("{}.value: \"{}\" is not a number", where, f.second.Scalar());
            p.value = *v;
            have_value = true;
          } else if (fk == "source") {
            SIEVE_ASSIGN_OR_RETURN(
                p.source, io::yaml_scalar(f.second, file, "params." + p.name + ".source", "text"));
          } else {
            return invalid_argument("{}: unknown field \"{}\"; known: value, source", where, fk);
          }
        }
        if (!have_value) return invalid_argument("{}: no value", where);
        if (p.source.empty())
          return invalid_argument("{}: no source (every constant cites where it comes from)",
                                  where);
        ps.params.push_back(std::move(p));
      }
    } else {
      return invalid_argument(
          "{}: unknown top-level key \"{}\"; known: arch, energy, description, "
          "params",
          file, key);
    }
  }
  if (!have_params) return invalid_argument("{}: no \"params\" mapping", file);
  if (!ps.arch.empty() && ps.energy.empty())
    return invalid_argument(
        "{}: arch {} has no \"energy\" key (a preset names its energy table "
        "in configs/energy/, e.g. energy: {}-65nm)",
        file, ps.arch, ps.arch);
  if (ps.arch.empty() && !ps.energy.empty())
    return invalid_argument(
        "{}: \"energy: {}\" without \"arch\" (only a preset names an "
        "energy table)",
        file, ps.energy);
  return ps;
}

Result<ParamSet> read_params(const std::string& path) {
  // read_file refuses a directory by name (an ifstream would read it as an empty file).
  SIEVE_ASSIGN_OR_RETURN(std::string text, read_file(path));
  return parse_params(text, path);
}

Status apply_overrides(ParamSet& ps, const std::vector<std::string>& overrides) {
  for (const std::string& o : overrides) {
    size_t eq = o.find('=');
    if (eq == std::string::npos || eq == 0)
      return invalid_argument("override \"{}\": expected key=value", o);
    const std::string key = o.substr(0, eq);
    const std::string val = o.substr(eq + 1);
    Param* p = nullptr;
    for (Param& q : ps.params)
      if (q.name == key) p = &q;
    if (p == nullptr)
      return invalid_argument("override \"{}\": unknown parameter \"{}\" in {}; known: {}", o, key,
                              ps.file, join_names(ps.params));
    Result<double> v = parse_number(val);
    if (!v.ok()) return invalid_argument("override \"{}\": \"{}\" is not a number", o, val);
    p->value = *v;
    p->overridden = true;
    p->source = "command-line override (was: " + p->source + ")";
  }
  return ok_status();
}

std::string config_dir() {
  if (const char* d = std::getenv("SIEVE_CONFIG_DIR"); d != nullptr && *d != '\0') return d;
  return std::string(SIEVE_SOURCE_DIR) + "/configs";
}

const Param* ParamReader::take(const std::string& name, Status& st) {
  asked_.push_back(name);
  for (size_t i = 0; i < ps_.params.size(); ++i) {
    if (ps_.params[i].name == name) {
      used_[i] = true;
      return &ps_.params[i];
    }
  }
  st = invalid_argument("{}: missing parameter \"{}\"", ps_.file, name);
  return nullptr;
}

Status ParamReader::get(const std::string& name, double& out, double min, double max) {
  Status st;
  const Param* p = take(name, st);
  if (p == nullptr) return st;
  if (!(p->value >= min && p->value <= max))
    return invalid_argument("{}: parameter \"{}\" = {} out of range [{}, {}]", ps_.file, name,
                            p->value, min, max);
  out = p->value;
  return ok_status();
}

Status ParamReader::get(const std::string& name, int64_t& out, int64_t min, int64_t max) {
  double v = 0;
  SIEVE_RETURN_IF_ERROR(get(name, v, static_cast<double>(min), static_cast<double>(max)));
  if (v != std::floor(v))
    return invalid_argument("{}: parameter \"{}\" = {} must be an integer", ps_.file, name, v);
  out = static_cast<int64_t>(v);
  return ok_status();
}

Status ParamReader::get(const std::string& name, int& out, int min, int max) {
  int64_t v = 0;
  SIEVE_RETURN_IF_ERROR(get(name, v, min, max));
  out = static_cast<int>(v);
  return ok_status();
}

Status ParamReader::get(const std::string& name, bool& out) {
  int64_t v = 0;
  SIEVE_RETURN_IF_ERROR(get(name, v, 0, 1));
  out = v != 0;
  return ok_status();
}

Status ParamReader::finish() const {
  for (size_t i = 0; i < ps_.params.size(); ++i) {
    if (used_[i]) continue;
    std::string known;
    for (const std::string& a : asked_) known += (known.empty() ? "" : ", ") + a;
    return invalid_argument("{}: unknown parameter \"{}\" (value {}); known: {}", ps_.file,
                            ps_.params[i].name, ps_.params[i].value, known);
  }
  return ok_status();
}

}  // namespace sieve::hw
