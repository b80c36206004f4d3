#include "sieve/hw/area/area.h"

#include <fmt/format.h>

#include <cmath>
#include <filesystem>
#include <set>

#include "sieve/core/atomic_file.h"
#include "sieve/hw/area/expr.h"
#include "sieve/hw/area/sram.h"
#include "sieve/io/yaml/yaml.h"

namespace sieve::hw::area {
namespace {

// Logic scaled further than this either way is an extrapolation (a warning).
constexpr double kMaxLogicScale = 4.0;

struct Reference {
  double area_mm2 = 0, power_mw = 0, freq_ghz = 0, scale = 0;
  int64_t capacity = 0, width = 0, banks = 1, ports = 1, parallel = 1;
  std::string source;
};

struct ModuleSpec {
  std::string name, kind;
  std::vector<std::string> tags, energy;
  std::string capacity, width, banks = "1", ports = "1", parallel = "1", scale;
  Reference ref;
};

struct AreaConfig {
  std::string file, arch, tech, description;
  std::vector<ModuleSpec> modules;
  double published_area = 0, published_power = 0;
  std::string published_source;
};

Result<double> number_at(const YAML::Node& n, const std::string& file, const std::string& where) {
  SIEVE_ASSIGN_OR_RETURN(const std::string s, io::yaml_scalar(n, file, where, "a number"));
  char* end = nullptr;
  const double v = std::strtod(s.c_str(), &end);
  if (s.empty() || end == nullptr || *end != '\0' || !std::isfinite(v))
    return invalid_argument("{}: {}: expected a number, got \"{}\"", file, where, s);
  return v;
}

Result<std::vector<std::string>> strings_at(const YAML::Node& n, const std::string& file,
                                            const std::string& where) {
  std::vector<std::string> out;
  if (!n.IsSequence())
    return invalid_argument("{}: {}: expected a list, got {}", file, where, io::yaml_node_text(n));
  for (size_t i = 0; i < n.size(); ++i) {
    SIEVE_ASSIGN_OR_RETURN(std::string s, io::yaml_scalar(n[i], file, where));
    out.push_back(std::move(s));
  }
  return out;
}

Status unknown_key(const std::string& file, const std::string& where, const std::string& key,
                   const std::set<std::string>& known) {
  std::string list;
  for (const std::string& k : known) list += (list.empty() ? "" : ", ") + k;
  return invalid_argument("{}: {}: unknown key \"{}\"; known: {}", file, where, key, list);
}

Result<Reference> parse_reference(const YAML::Node& n, const std::string& file,
                                  const std::string& where, const std::string& kind) {
  if (!n.IsMap()) return invalid_argument("{}: {}: expected a map", file, where);
  static const std::set<std::string> kKnown = {"area_mm2", "power_mw", "freq_ghz", "scale",
                                               "capacity", "width",    "banks",    "ports",
                                               "parallel", "source"};
  Reference r;
  for (const auto& kv : n) {
    const auto key = kv.first.as<std::string>();
    if (kKnown.count(key) == 0) return unknown_key(file, where, key, kKnown);
    const std::string at = where + "." + key;
    if (key == "source") {
      SIEVE_ASSIGN_OR_RETURN(r.source, io::yaml_scalar(kv.second, file, at));
      continue;
    }
    SIEVE_ASSIGN_OR_RETURN(const double v, number_at(kv.second, file, at));
    if (key == "area_mm2") r.area_mm2 = v;
    if (key == "power_mw") r.power_mw = v;
    if (key == "freq_ghz") r.freq_ghz = v;
    if (key == "scale") r.scale = v;
    if (key == "capacity") r.capacity = static_cast<int64_t>(v);
    if (key == "width") r.width = static_cast<int64_t>(v);
    if (key == "banks") r.banks = static_cast<int64_t>(v);
    if (key == "ports") r.ports = static_cast<int64_t>(v);
    if (key == "parallel") r.parallel = static_cast<int64_t>(v);
  }
  if (r.source.empty()) return invalid_argument("{}: {}: a reference needs a source", file, where);
  if (r.area_mm2 <= 0 || r.power_mw < 0 || r.freq_ghz <= 0)
    return invalid_argument("{}: {}: area_mm2 (> 0), power_mw (>= 0) and freq_ghz (> 0) are "
                            "required, got {} / {} / {}",
                            file, where, r.area_mm2, r.power_mw, r.freq_ghz);
  if (kind == "logic" && r.scale <= 0)
    return invalid_argument("{}: {}: a logic reference needs scale > 0, got {}", file, where,
                            r.scale);
  if (kind == "sram" && (r.capacity <= 0 || r.width <= 0))
    return invalid_argument("{}: {}: an SRAM reference needs capacity and width (> 0)", file,
                            where);
  return r;
}

Result<AreaConfig> parse_config(const std::string& text, const std::string& path) {
  SIEVE_ASSIGN_OR_RETURN(const YAML::Node root, io::load_yaml(text, path));
  AreaConfig c;
  c.file = path;
  static const std::set<std::string> kTop = {"arch", "tech", "description", "modules",
                                             "published"};
  if (!root.IsMap()) return invalid_argument("{}: expected a map at the top", path);
  for (const auto& kv : root) {
    const auto key = kv.first.as<std::string>();
    if (kTop.count(key) == 0) return unknown_key(path, "top level", key, kTop);
  }
  SIEVE_ASSIGN_OR_RETURN(c.arch, io::yaml_scalar(root["arch"], path, "arch"));
  SIEVE_ASSIGN_OR_RETURN(c.tech, io::yaml_scalar(root["tech"], path, "tech"));
  if (root["description"]) {
    SIEVE_ASSIGN_OR_RETURN(c.description, io::yaml_scalar(root["description"], path, "description"));
  }
  if (const YAML::Node pub = root["published"]) {
    static const std::set<std::string> kPub = {"area_mm2", "power_mw", "source"};
    for (const auto& kv : pub) {
      const auto key = kv.first.as<std::string>();
      if (kPub.count(key) == 0) return unknown_key(path, "published", key, kPub);
    }
    if (pub["area_mm2"]) {
      SIEVE_ASSIGN_OR_RETURN(c.published_area, number_at(pub["area_mm2"], path, "published.area_mm2"));
    }
    if (pub["power_mw"]) {
      SIEVE_ASSIGN_OR_RETURN(c.published_power, number_at(pub["power_mw"], path, "published.power_mw"));
    }
    SIEVE_ASSIGN_OR_RETURN(c.published_source, io::yaml_scalar(pub["source"], path, "published.source"));
  }
  const YAML::Node mods = root["modules"];
  if (!mods || !mods.IsSequence() || mods.size() == 0)
    return invalid_argument("{}: modules: expected a non-empty list", path);
  static const std::set<std::string> kMod = {"name",  "kind",  "tags",     "energy",
                                             "capacity", "width", "banks", "ports",
                                             "parallel", "scale", "reference"};
  std::set<std::string> names;
  for (size_t i = 0; i < mods.size(); ++i) {
    const YAML::Node m = mods[i];
    const std::string where = fmt::format("modules[{}]", i);
    if (!m.IsMap()) return invalid_argument("{}: {}: expected a map", path, where);
    for (const auto& kv : m) {
      const auto key = kv.first.as<std::string>();
      if (kMod.count(key) == 0) return unknown_key(path, where, key, kMod);
    }
    ModuleSpec s;
    SIEVE_ASSIGN_OR_RETURN(s.name, io::yaml_scalar(m["name"], path, where + ".name"));
    if (!names.insert(s.name).second)
      return invalid_argument("{}: {}: module \"{}\" appears twice", path, where, s.name);
    const std::string at = fmt::format("module {}", s.name);
    SIEVE_ASSIGN_OR_RETURN(s.kind, io::yaml_scalar(m["kind"], path, at + ".kind"));
    if (s.kind != "sram" && s.kind != "logic")
      return invalid_argument("{}: {}.kind: \"{}\" is not sram or logic", path, at, s.kind);
    if (m["tags"]) {
      SIEVE_ASSIGN_OR_RETURN(s.tags, strings_at(m["tags"], path, at + ".tags"));
    }
    if (m["energy"]) {
      SIEVE_ASSIGN_OR_RETURN(s.energy, strings_at(m["energy"], path, at + ".energy"));
    }
    if (s.kind == "sram") {
      SIEVE_ASSIGN_OR_RETURN(s.capacity, io::yaml_scalar(m["capacity"], path, at + ".capacity"));
      SIEVE_ASSIGN_OR_RETURN(s.width, io::yaml_scalar(m["width"], path, at + ".width"));
      if (m["banks"]) {
        SIEVE_ASSIGN_OR_RETURN(s.banks, io::yaml_scalar(m["banks"], path, at + ".banks"));
      }
      if (m["ports"]) {
        SIEVE_ASSIGN_OR_RETURN(s.ports, io::yaml_scalar(m["ports"], path, at + ".ports"));
      }
      if (m["parallel"]) {
        SIEVE_ASSIGN_OR_RETURN(s.parallel, io::yaml_scalar(m["parallel"], path, at + ".parallel"));
      }
      if (m["scale"]) return invalid_argument("{}: {}: an SRAM has no scale (it is sized by capacity and width)", path, at);
    } else {
      SIEVE_ASSIGN_OR_RETURN(s.scale, io::yaml_scalar(m["scale"], path, at + ".scale"));
      for (const char* k : {"capacity", "width", "banks", "ports", "parallel"})
        if (m[k]) return invalid_argument("{}: {}: logic has no {} (use scale)", path, at, k);
    }
    SIEVE_ASSIGN_OR_RETURN(s.ref, parse_reference(m["reference"], path, at + ".reference", s.kind));
    c.modules.push_back(std::move(s));
  }
  return c;
}

Result<AreaConfig> load_config(const std::string& path) {
  SIEVE_ASSIGN_OR_RETURN(const std::string text, read_file(path));
  return parse_config(text, path);
}

Result<int64_t> int_expr(const std::string& e, const ParamSet& ps, const std::string& where) {
  SIEVE_ASSIGN_OR_RETURN(const double v, eval_expr(e, ps, where));
  if (v != std::floor(v) || v < 0)
    return invalid_argument("{}: expression \"{}\" = {} is not a whole number", where, e, v);
  return static_cast<int64_t>(v);
}

double freq_of(const ParamSet& ps) {
  const Param* f = ps.find("freq_ghz");
  return f != nullptr && f->value > 0 ? f->value : 1.0;
}

Result<AreaReport> compute(const AreaConfig& c, const ParamSet& ps) {
  const std::string tech_path = config_dir() + "/area/" + c.tech + ".yaml";
  SIEVE_ASSIGN_OR_RETURN(const ParamSet tech_ps, read_params(tech_path));
  SIEVE_ASSIGN_OR_RETURN(const SramTech tech, parse_sram_tech(tech_ps));
  AreaReport r;
  r.arch = c.arch;
  r.file = c.file;
  r.preset = std::filesystem::path(ps.file).stem().string();
  r.description = c.description;
  r.published_area_mm2 = c.published_area;
  r.published_power_mw = c.published_power;
  r.published_source = c.published_source;
  const double f = freq_of(ps);
  for (const ModuleSpec& s : c.modules) {
    ModuleArea m;
    m.name = s.name;
    m.kind = s.kind;
    m.tags = s.tags;
    m.energy = s.energy;
    m.source = s.ref.source;
    m.ref_area_mm2 = s.ref.area_mm2;
    m.ref_power_mw = s.ref.power_mw;
    const std::string where = fmt::format("{}: module {}", c.file, s.name);
    double area_ratio = 1, energy_ratio = 1;
    if (s.kind == "sram") {
      SramShape now, ref;
      SIEVE_ASSIGN_OR_RETURN(now.capacity_bytes, int_expr(s.capacity, ps, where + ".capacity"));
      SIEVE_ASSIGN_OR_RETURN(now.width_bits, int_expr(s.width, ps, where + ".width"));
      SIEVE_ASSIGN_OR_RETURN(now.banks, int_expr(s.banks, ps, where + ".banks"));
      SIEVE_ASSIGN_OR_RETURN(now.ports, int_expr(s.ports, ps, where + ".ports"));
      ref = {s.ref.capacity, s.ref.width, s.ref.banks, s.ref.ports};
      SIEVE_ASSIGN_OR_RETURN(const SramEstimate e_now, estimate_sram(tech, now, where));
      SIEVE_ASSIGN_OR_RETURN(const SramEstimate e_ref, estimate_sram(tech, ref, where + " (reference)"));
      SIEVE_ASSIGN_OR_RETURN(const int64_t par, int_expr(s.parallel, ps, where + ".parallel"));
      area_ratio = e_now.area_mm2 / e_ref.area_mm2;
      // One action reads `parallel` banks at once (Sieve's SB: one line of every PE's bank).
      energy_ratio = e_now.access_pj * static_cast<double>(par) /
                     (e_ref.access_pj * static_cast<double>(s.ref.parallel));
      m.estimate_area_mm2 = e_now.area_mm2;
      m.estimate_access_pj = e_now.access_pj;
    } else {
      SIEVE_ASSIGN_OR_RETURN(const double q, eval_expr(s.scale, ps, where + ".scale"));
      if (q <= 0) return invalid_argument("{}.scale: \"{}\" = {} must be > 0", where, s.scale, q);
      area_ratio = energy_ratio = q / s.ref.scale;
      if (area_ratio > kMaxLogicScale || area_ratio < 1.0 / kMaxLogicScale)
        r.warnings.push_back(fmt::format(
            "{}: logic scaled ×{:.3g} from its reference ({} = {} against {}): an extrapolation "
            "of a linear scaling law beyond ×{} either way",
            s.name, area_ratio, s.scale, q, s.ref.scale, kMaxLogicScale));
    }
    m.scale = area_ratio;
    m.area_mm2 = s.ref.area_mm2 * area_ratio;
    m.power_per_ghz = s.ref.power_mw / s.ref.freq_ghz * energy_ratio;
    m.power_mw = m.power_per_ghz * f;
    r.area_mm2 += m.area_mm2;
    r.power_mw += m.power_mw;
    r.modules.push_back(std::move(m));
  }
  return r;
}

}  // namespace

double AreaReport::area_of(const std::string& tag) const {
  double a = 0;
  for (const ModuleArea& m : modules)
    for (const std::string& t : m.tags)
      if (t == tag) a += m.area_mm2;
  return a;
}

double AreaReport::power_of(const std::string& tag) const {
  double p = 0;
  for (const ModuleArea& m : modules)
    for (const std::string& t : m.tags)
      if (t == tag) p += m.power_mw;
  return p;
}

const ModuleArea* AreaReport::module(const std::string& name) const {
  for (const ModuleArea& m : modules)
    if (m.name == name) return &m;
  return nullptr;
}

std::string area_config_for(const ParamSet& preset) {
  const std::string stem = std::filesystem::path(preset.file).stem().string();
  const std::string path = config_dir() + "/area/" + stem + ".yaml";
  return std::filesystem::exists(path) ? path : std::string();
}

Result<AreaReport> area_report(const ParamSet& preset) {
  const std::string path = area_config_for(preset);
  if (path.empty())
    return not_found("{}: no area model: {}/area/{}.yaml does not exist", preset.file,
                     config_dir(), std::filesystem::path(preset.file).stem().string());
  return area_report_from(path, preset);
}

Result<AreaReport> area_report_from(const std::string& path, const ParamSet& preset) {
  SIEVE_ASSIGN_OR_RETURN(const std::string text, read_file(path));
  return area_report_from_text(text, path, preset);
}

Result<AreaReport> area_report_from_text(const std::string& yaml, const std::string& path,
                                         const ParamSet& preset) {
  SIEVE_ASSIGN_OR_RETURN(const AreaConfig c, parse_config(yaml, path));
  if (!preset.arch.empty() && c.arch != preset.arch)
    return invalid_argument("{}: arch \"{}\" does not match the preset {}'s \"{}\"", path, c.arch,
                            preset.file, preset.arch);
  return compute(c, preset);
}

Result<std::map<std::string, double>> energy_scale_factors(const ParamSet& preset) {
  std::map<std::string, double> out;
  // The preset's own configuration is priced as tabled: no file is touched (every simulation
  // comes through here).
  bool changed = false;
  for (const Param& p : preset.params) changed |= p.overridden;
  if (!changed) return out;
  const std::string path = area_config_for(preset);
  if (path.empty()) return out;
  SIEVE_ASSIGN_OR_RETURN(const AreaConfig c, load_config(path));
  SIEVE_ASSIGN_OR_RETURN(const ParamSet defaults, read_params(preset.file));
  SIEVE_ASSIGN_OR_RETURN(const AreaReport now, compute(c, preset));
  SIEVE_ASSIGN_OR_RETURN(const AreaReport base, compute(c, defaults));
  for (size_t i = 0; i < now.modules.size(); ++i) {
    const double b = base.modules[i].power_per_ghz;
    const double factor = b > 0 ? now.modules[i].power_per_ghz / b : 1.0;
    for (const std::string& k : now.modules[i].energy) out[k] = factor;
  }
  return out;
}

}  // namespace sieve::hw::area
