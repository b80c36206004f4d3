#include "sieve/compress/recipe.h"

#include <fmt/format.h>
#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <limits>
#include <sstream>

#include "sieve/core/atomic_file.h"
#include "sieve/io/yaml/yaml.h"

namespace sieve::compress {

namespace {

// Parsing context: the origin (file) for messages.
struct Ctx {
  std::string origin;

  template <typename... A>
  Status error(const std::string& path, fmt::format_string<A...> f, A&&... a) const {
    return invalid_argument("{}: {}: {}", origin, path, fmt::format(f, std::forward<A>(a)...));
  }
};

std::string join_path(const std::string& parent, const std::string& key) {
  return parent.empty() ? key : parent + "." + key;
}

std::string node_text(const YAML::Node& n) {
  if (n.IsScalar()) return "\"" + n.Scalar() + "\"";
  YAML::Emitter e;
  e << YAML::Flow << n;
  return e.c_str();
}

// The node must be a map whose keys are all in `valid`.
Status check_map(const Ctx& c, const YAML::Node& n, const std::string& path,
                 const std::vector<std::string>& valid) {
  if (!n.IsMap()) {
    return c.error(path.empty() ? "(top level)" : path, "expected a mapping, got {}",
                   node_text(n));
  }
  for (const auto& kv : n) {
    const std::string key = kv.first.Scalar();
    if (std::find(valid.begin(), valid.end(), key) == valid.end()) {
      return c.error(join_path(path, key), "unknown key \"{}\"; valid keys: {}", key,
                     fmt::join(valid, ", "));
    }
  }
  return ok_status();
}

Result<double> get_double(const Ctx& c, const YAML::Node& n, const std::string& path) {
  if (!n.IsScalar()) return c.error(path, "expected a number, got {}", node_text(n));
  std::string s = n.Scalar();
  double scale = 1.0;
  if (!s.empty() && s.back() == '%') {
    s.pop_back();
    scale = 0.01;
  }
  try {
    size_t used = 0;
    const double v = std::stod(s, &used);
    if (used != s.size() || !std::isfinite(v)) throw std::invalid_argument(s);
    return v * scale;
  } catch (const std::exception&) {
    return c.error(path, "expected a number, got \"{}\"", n.Scalar());
  }
}

Result<int64_t> get_int(const Ctx& c, const YAML::Node& n, const std::string& path) {
  if (!n.IsScalar()) return c.error(path, "expected an integer, got {}", node_text(n));
  const std::string& s = n.Scalar();
  try {
    size_t used = 0;
    const long long v = std::stoll(s, &used);
    if (used != s.size()) throw std::invalid_argument(s);
    return static_cast<int64_t>(v);
  } catch (const std::exception&) {
    return c.error(path, "expected an integer, got \"{}\"", s);
  }
}

// Counts stored as int are refused past INT_MAX instead of wrapping.
constexpr int64_t kIntMax = std::numeric_limits<int>::max();

Result<bool> get_bool(const Ctx& c, const YAML::Node& n, const std::string& path) {
  if (n.IsScalar()) {
    const std::string& s = n.Scalar();
    if (s == "true" || s == "yes" || s == "on") return true;
    if (s == "false" || s == "no" || s == "off") return false;
  }
  return c.error(path, "expected true or false, got {}", node_text(n));
}

Result<std::string> get_string(const Ctx& c, const YAML::Node& n, const std::string& path) {
  if (!n.IsScalar()) return c.error(path, "expected a string, got {}", node_text(n));
  return n.Scalar();
}

// Block / stride / region sizes: a list of positive integers, or one integer.
Result<std::vector<int64_t>> get_sizes(const Ctx& c, const YAML::Node& n,
                                       const std::string& path) {
  std::vector<int64_t> out;
  if (n.IsScalar()) {
    SIEVE_ASSIGN_OR_RETURN(int64_t v, get_int(c, n, path));
    out.push_back(v);
  } else if (n.IsSequence()) {
    for (size_t i = 0; i < n.size(); ++i) {
      SIEVE_ASSIGN_OR_RETURN(int64_t v, get_int(c, n[i], fmt::format("{}[{}]", path, i)));
      out.push_back(v);
    }
  } else {
    return c.error(path, "expected a list of sizes such as [4, 4], got {}", node_text(n));
  }
  if (out.empty()) return c.error(path, "expected at least one size, got []");
  for (int64_t v : out) {
    if (v < 1) return c.error(path, "sizes must be >= 1, got {}", node_text(n));
  }
  return out;
}

Status check_range(const Ctx& c, const std::string& path, double v, double lo, double hi,
                   bool hi_open) {
  // Written so that NaN fails too (get_double already refuses it; overrides and callers may not).
  if (!(v >= lo && v <= hi) || (hi_open && v == hi)) {
    return c.error(path, "value {} outside {}{}, {}{}", v, "[", lo, hi, hi_open ? ")" : "]");
  }
  return ok_status();
}

// The one parser of pruning settings (PruneSpec, compress/prune/prune.h): its keys, methods
// (passes.def) and criteria come from there.
Status parse_prune(const Ctx& c, const YAML::Node& n, const std::string& path, PruneSpec& p) {
  SIEVE_RETURN_IF_ERROR(check_map(c, n, path, prune_spec_keys()));
  for (const auto& kv : n) {
    const std::string key = kv.first.Scalar();
    const std::string kp = join_path(path, key);
    const YAML::Node& v = kv.second;
    if (key == "method") {
      SIEVE_ASSIGN_OR_RETURN(p.method, get_string(c, v, kp));
      const auto& ms = prune_methods();
      if (std::find(ms.begin(), ms.end(), p.method) == ms.end()) {
        return c.error(kp, "unknown pruning method \"{}\"; known: {}", p.method,
                       fmt::join(ms, ", "));
      }
    } else if (key == "block") {
      SIEVE_ASSIGN_OR_RETURN(p.block, get_sizes(c, v, kp));
    } else if (key == "stride") {
      SIEVE_ASSIGN_OR_RETURN(p.stride, get_sizes(c, v, kp));
    } else if (key == "criterion") {
      SIEVE_ASSIGN_OR_RETURN(const std::string name, get_string(c, v, kp));
      Result<BlockCriterion> crit = parse_block_criterion(name);
      if (!crit.ok()) return c.error(kp, "{}", crit.status().message());
      p.criterion = *crit;
    } else if (key == "sparsity") {
      SIEVE_ASSIGN_OR_RETURN(p.sparsity, get_double(c, v, kp));
      SIEVE_RETURN_IF_ERROR(check_range(c, kp, p.sparsity, 0.0, 1.0, true));
    } else if (key == "quality") {
      SIEVE_ASSIGN_OR_RETURN(p.quality, get_double(c, v, kp));
      SIEVE_RETURN_IF_ERROR(check_range(c, kp, p.quality, 0.0, 100.0, false));
    } else if (key == "n" || key == "m" || key == "pes") {
      SIEVE_ASSIGN_OR_RETURN(int64_t x, get_int(c, v, kp));
      if (x < (key == "n" ? 0 : 1)) return c.error(kp, "value {} too small", x);
      (key == "n" ? p.n : key == "m" ? p.m : p.pes) = x;
    } else if (key == "gates") {
      // Checked against the layer's op (its gate names) with the model, not here.
      if (!v.IsSequence() || v.size() == 0)
        return c.error(kp, "expected a list of gate names such as [i, f], got {}", node_text(v));
      p.gates.clear();
      for (size_t i = 0; i < v.size(); ++i) {
        SIEVE_ASSIGN_OR_RETURN(std::string g, get_string(c, v[i], fmt::format("{}[{}]", kp, i)));
        p.gates.push_back(std::move(g));
      }
    }
    p.given.insert(key);
  }
  if (p.given.count("sparsity") && p.given.count("quality")) {
    return c.error(path, "give either sparsity or quality, not both");
  }
  if (p.given.count("n") && p.given.count("m") && p.n > p.m) {
    return c.error(join_path(path, "n"), "n = {} exceeds m = {}", p.n, p.m);
  }
  return ok_status();
}

const std::vector<std::string> kQuantLayerKeys = {"bits", "regions", "ttq"};

Status parse_quant_layer(const Ctx& c, const YAML::Node& n, const std::string& path,
                         QuantSettings& q) {
  SIEVE_RETURN_IF_ERROR(check_map(c, n, path, kQuantLayerKeys));
  for (const auto& kv : n) {
    const std::string key = kv.first.Scalar();
    const std::string kp = join_path(path, key);
    if (key == "bits") {
      SIEVE_ASSIGN_OR_RETURN(int64_t b, get_int(c, kv.second, kp));
      if (b < 0 || b > 16) return c.error(kp, "bits {} outside 0..16 (0 = keep f32)", b);
      q.bits = static_cast<int>(b);
    } else if (key == "regions") {
      SIEVE_ASSIGN_OR_RETURN(std::vector<int64_t> r, get_sizes(c, kv.second, kp));
      if (r.size() > 2) return c.error(kp, "expected [rows, cols], got {}", node_text(kv.second));
      q.region_rows = r[0];
      q.region_cols = r.size() > 1 ? r[1] : 1;
    } else if (key == "ttq") {
      SIEVE_ASSIGN_OR_RETURN(q.ttq, get_bool(c, kv.second, kp));
    }
    q.given.insert(key);
  }
  return ok_status();
}

QuantSettings merge(QuantSettings base, const QuantSettings& o) {
  for (const std::string& k : o.given) {
    if (k == "bits") base.bits = o.bits;
    if (k == "regions") {
      base.region_rows = o.region_rows;
      base.region_cols = o.region_cols;
    }
    if (k == "ttq") base.ttq = o.ttq;
    base.given.insert(k);
  }
  return base;
}

Status parse_top(const Ctx& c, const YAML::Node& root, Recipe& r) {
  SIEVE_RETURN_IF_ERROR(check_map(c, root, "",
                                  {"name", "model", "description", "seed", "dense", "retrain",
                                   "prune", "quant", "coding", "dsd", "sensitivity",
                                   "irregularity", "validation", "distill"}));
  for (const auto& kv : root) {
    const std::string key = kv.first.Scalar();
    const YAML::Node& v = kv.second;
    if (key == "name") {
      SIEVE_ASSIGN_OR_RETURN(r.name, get_string(c, v, key));
    } else if (key == "model") {
      SIEVE_ASSIGN_OR_RETURN(r.model, get_string(c, v, key));
    } else if (key == "description") {
      SIEVE_ASSIGN_OR_RETURN(r.description, get_string(c, v, key));
    } else if (key == "seed") {
      SIEVE_ASSIGN_OR_RETURN(int64_t s, get_int(c, v, key));
      if (s < 0) return c.error(key, "seed {} is negative", s);
      r.seed = static_cast<uint64_t>(s);
    } else if (key == "validation") {
      SIEVE_ASSIGN_OR_RETURN(r.validation, get_int(c, v, key));
      if (r.validation < 0) return c.error(key, "value {} is negative", r.validation);
    } else if (key == "dense") {
      SIEVE_RETURN_IF_ERROR(check_map(c, v, key, {"epochs", "lr"}));
      if (v["epochs"]) {
        SIEVE_ASSIGN_OR_RETURN(int64_t e, get_int(c, v["epochs"], "dense.epochs"));
        if (e < 0) return c.error("dense.epochs", "value {} is negative", e);
        if (e > kIntMax) return c.error("dense.epochs", "value {} outside 0..{}", e, kIntMax);
        r.dense_epochs = static_cast<int>(e);
      }
      if (v["lr"]) {
        SIEVE_ASSIGN_OR_RETURN(r.dense_lr, get_double(c, v["lr"], "dense.lr"));
        if (r.dense_lr < 0) return c.error("dense.lr", "value {} is negative", r.dense_lr);
      }
    } else if (key == "retrain") {
      SIEVE_RETURN_IF_ERROR(check_map(c, v, key,
                                      {"steps", "initial_sparsity", "epochs", "final_epochs",
                                       "lr", "schedule", "batch", "momentum", "weight_decay"}));
      for (const auto& e : v) {
        const std::string k = e.first.Scalar();
        const std::string kp = "retrain." + k;
        if (k == "schedule") {
          SIEVE_ASSIGN_OR_RETURN(r.retrain_schedule, get_string(c, e.second, kp));
          if (r.retrain_schedule != "constant" && r.retrain_schedule != "cosine") {
            return c.error(kp, "unknown schedule \"{}\"; known: constant, cosine",
                           r.retrain_schedule);
          }
        } else if (k == "steps" || k == "epochs" || k == "final_epochs" || k == "batch") {
          SIEVE_ASSIGN_OR_RETURN(int64_t x, get_int(c, e.second, kp));
          if (x < (k == "steps" || k == "batch" ? 1 : 0)) {
            return c.error(kp, "value {} too small", x);
          }
          if (k != "batch" && x > kIntMax) {
            return c.error(kp, "value {} outside {}..{}", x, k == "steps" ? 1 : 0, kIntMax);
          }
          if (k == "steps") r.steps = static_cast<int>(x);
          if (k == "epochs") r.retrain_epochs = static_cast<int>(x);
          if (k == "final_epochs") r.final_epochs = static_cast<int>(x);
          if (k == "batch") r.batch = x;
        } else {
          SIEVE_ASSIGN_OR_RETURN(double x, get_double(c, e.second, kp));
          if (k == "initial_sparsity") {
            SIEVE_RETURN_IF_ERROR(check_range(c, kp, x, 0.0, 1.0, true));
            r.initial_sparsity = x;
          } else if (k == "lr") {
            if (!(x > 0)) return c.error(kp, "learning rate {} must be positive", x);
            r.retrain_lr = x;
          } else if (k == "momentum") {
            SIEVE_RETURN_IF_ERROR(check_range(c, kp, x, 0.0, 1.0, true));
            r.momentum = x;
          } else {
            if (x < 0) return c.error(kp, "value {} is negative", x);
            r.weight_decay = x;
          }
        }
      }
    } else if (key == "prune") {
      SIEVE_RETURN_IF_ERROR(check_map(c, v, key, {"fc", "conv", "layers"}));
      if (v["fc"]) {
        SIEVE_RETURN_IF_ERROR(parse_prune(c, v["fc"], "prune.fc", r.prune_fc));
      }
      if (v["conv"]) {
        SIEVE_RETURN_IF_ERROR(parse_prune(c, v["conv"], "prune.conv", r.prune_conv));
      }
      if (v["layers"]) {
        if (!v["layers"].IsMap()) {
          return c.error("prune.layers", "expected a mapping of node names, got {}",
                         node_text(v["layers"]));
        }
        for (const auto& l : v["layers"]) {
          const std::string name = l.first.Scalar();
          PruneSpec p;
          SIEVE_RETURN_IF_ERROR(parse_prune(c, l.second, "prune.layers." + name, p));
          r.prune_layers[name] = p;
        }
      }
    } else if (key == "quant") {
      SIEVE_RETURN_IF_ERROR(check_map(
          c, v, key, {"enabled", "fc", "conv", "layers", "finetune", "calibration"}));
      if (v["enabled"]) {
        SIEVE_ASSIGN_OR_RETURN(r.quant_enabled, get_bool(c, v["enabled"], "quant.enabled"));
      }
      if (v["fc"]) {
        SIEVE_RETURN_IF_ERROR(parse_quant_layer(c, v["fc"], "quant.fc", r.quant_fc));
      }
      if (v["conv"]) {
        SIEVE_RETURN_IF_ERROR(parse_quant_layer(c, v["conv"], "quant.conv", r.quant_conv));
      }
      if (v["layers"]) {
        if (!v["layers"].IsMap()) {
          return c.error("quant.layers", "expected a mapping of node names, got {}",
                         node_text(v["layers"]));
        }
        for (const auto& l : v["layers"]) {
          const std::string name = l.first.Scalar();
          QuantSettings q;
          SIEVE_RETURN_IF_ERROR(parse_quant_layer(c, l.second, "quant.layers." + name, q));
          r.quant_layers[name] = q;
        }
      }
      if (v["finetune"]) {
        const YAML::Node& f = v["finetune"];
        SIEVE_RETURN_IF_ERROR(check_map(c, f, "quant.finetune", {"epochs", "lr"}));
        if (f["epochs"]) {
          SIEVE_ASSIGN_OR_RETURN(int64_t e, get_int(c, f["epochs"], "quant.finetune.epochs"));
          if (e < 0) return c.error("quant.finetune.epochs", "value {} is negative", e);
          if (e > kIntMax) {
            return c.error("quant.finetune.epochs", "value {} outside 0..{}", e, kIntMax);
          }
          r.finetune_epochs = static_cast<int>(e);
        }
        if (f["lr"]) {
          SIEVE_ASSIGN_OR_RETURN(r.finetune_lr, get_double(c, f["lr"], "quant.finetune.lr"));
          if (!(r.finetune_lr > 0)) {
            return c.error("quant.finetune.lr", "learning rate {} must be positive",
                           r.finetune_lr);
          }
        }
      }
      if (v["calibration"]) {
        SIEVE_ASSIGN_OR_RETURN(r.calibration_examples,
                               get_int(c, v["calibration"], "quant.calibration"));
        if (r.calibration_examples < 0) {
          return c.error("quant.calibration", "value {} is negative", r.calibration_examples);
        }
      }
    } else if (key == "coding") {
      SIEVE_RETURN_IF_ERROR(check_map(c, v, key, {"huffman"}));
      if (v["huffman"]) {
        SIEVE_ASSIGN_OR_RETURN(r.huffman, get_bool(c, v["huffman"], "coding.huffman"));
      }
    } else if (key == "distill") {
      SIEVE_RETURN_IF_ERROR(check_map(c, v, key, {"enabled", "alpha", "temperature"}));
      r.distill = true;  // a distill: section turns it on unless it says enabled: false
      if (v["enabled"]) {
        SIEVE_ASSIGN_OR_RETURN(r.distill, get_bool(c, v["enabled"], "distill.enabled"));
      }
      if (v["alpha"]) {
        SIEVE_ASSIGN_OR_RETURN(r.distill_alpha, get_double(c, v["alpha"], "distill.alpha"));
        SIEVE_RETURN_IF_ERROR(check_range(c, "distill.alpha", r.distill_alpha, 0.0, 1.0, false));
      }
      if (v["temperature"]) {
        SIEVE_ASSIGN_OR_RETURN(r.distill_temperature,
                               get_double(c, v["temperature"], "distill.temperature"));
        if (!(r.distill_temperature > 0)) {
          return c.error("distill.temperature", "value {} must be positive",
                         r.distill_temperature);
        }
      }
    } else if (key == "dsd") {
      SIEVE_RETURN_IF_ERROR(check_map(c, v, key, {"enabled", "dense_epochs", "lr"}));
      if (v["enabled"]) {
        SIEVE_ASSIGN_OR_RETURN(r.dsd, get_bool(c, v["enabled"], "dsd.enabled"));
      }
      if (v["dense_epochs"]) {
        SIEVE_ASSIGN_OR_RETURN(int64_t e, get_int(c, v["dense_epochs"], "dsd.dense_epochs"));
        if (e < 1) return c.error("dsd.dense_epochs", "value {} must be >= 1", e);
        if (e > kIntMax) return c.error("dsd.dense_epochs", "value {} outside 1..{}", e, kIntMax);
        r.dsd_dense_epochs = static_cast<int>(e);
      }
      if (v["lr"]) {
        SIEVE_ASSIGN_OR_RETURN(r.dsd_lr, get_double(c, v["lr"], "dsd.lr"));
        if (!(r.dsd_lr > 0)) return c.error("dsd.lr", "learning rate {} must be positive", r.dsd_lr);
      }
    } else if (key == "sensitivity") {
      SIEVE_RETURN_IF_ERROR(check_map(c, v, key, {"enabled", "sparsities", "csv"}));
      if (v["enabled"]) {
        SIEVE_ASSIGN_OR_RETURN(r.sensitivity, get_bool(c, v["enabled"], "sensitivity.enabled"));
      }
      if (v["sparsities"]) {
        const YAML::Node& s = v["sparsities"];
        if (!s.IsSequence() || s.size() == 0) {
          return c.error("sensitivity.sparsities", "expected a list of fractions, got {}",
                         node_text(s));
        }
        r.sensitivity_sparsities.clear();
        for (size_t i = 0; i < s.size(); ++i) {
          const std::string kp = fmt::format("sensitivity.sparsities[{}]", i);
          SIEVE_ASSIGN_OR_RETURN(double x, get_double(c, s[i], kp));
          SIEVE_RETURN_IF_ERROR(check_range(c, kp, x, 0.0, 1.0, true));
          r.sensitivity_sparsities.push_back(x);
        }
      }
      if (v["csv"]) {
        SIEVE_ASSIGN_OR_RETURN(r.sensitivity_csv, get_string(c, v["csv"], "sensitivity.csv"));
      }
    } else if (key == "irregularity") {
      SIEVE_RETURN_IF_ERROR(check_map(c, v, key, {"reference"}));
      if (v["reference"]) {
        SIEVE_ASSIGN_OR_RETURN(r.irregularity_reference,
                               get_string(c, v["reference"], "irregularity.reference"));
      }
    }
  }
  return ok_status();
}

}  // namespace

std::string_view recipe_section(ir::OpKind op) {
  return ir::op_category(op) == ir::OpCategory::kConv ? "conv" : "fc";
}

PruneSpec Recipe::prune_for(const std::string& node, ir::OpKind op) const {
  const PruneSpec& base = recipe_section(op) == "conv" ? prune_conv : prune_fc;
  auto it = prune_layers.find(node);
  PruneSpec p = it == prune_layers.end() ? base : base.merged(it->second);
  if (!p.gates.empty()) p.gate_order = gate_names(op);
  return p;
}

QuantSettings Recipe::quant_for(const std::string& node, ir::OpKind op) const {
  QuantSettings base = recipe_section(op) == "conv" ? quant_conv : quant_fc;
  auto it = quant_layers.find(node);
  return it == quant_layers.end() ? base : merge(base, it->second);
}

std::vector<std::string> Recipe::named_layers() const {
  std::vector<std::string> out;
  for (const auto& [k, v] : prune_layers) out.push_back(k);
  for (const auto& [k, v] : quant_layers) {
    if (!prune_layers.count(k)) out.push_back(k);
  }
  return out;
}

namespace {

// Applies one "a.b.c=value" override to the recipe's YAML tree.
Status apply_override(YAML::Node& root, const std::string& origin, const std::string& text) {
  const size_t eq = text.find('=');
  if (eq == std::string::npos || eq == 0) {
    return invalid_argument("{}: override \"{}\": expected KEY.PATH=VALUE", origin, text);
  }
  const std::string path = text.substr(0, eq);
  std::vector<std::string> keys;
  for (size_t b = 0;;) {
    const size_t e = path.find('.', b);
    keys.push_back(path.substr(b, e == std::string::npos ? std::string::npos : e - b));
    if (keys.back().empty()) {
      return invalid_argument("{}: override \"{}\": empty key in \"{}\"", origin, text, path);
    }
    if (e == std::string::npos) break;
    b = e + 1;
  }
  YAML::Node value;
  try {
    value = YAML::Load(text.substr(eq + 1));
  } catch (const YAML::Exception& e) {
    return invalid_argument("{}: override \"{}\": the value is not YAML: {}", origin, text,
                            e.msg);
  }
  // Node assignment copies values in yaml-cpp; reset() moves the cursor instead.
  YAML::Node cur;
  cur.reset(root);
  std::string walked;
  for (size_t i = 0; i + 1 < keys.size(); ++i) {
    walked = join_path(walked, keys[i]);
    YAML::Node next = cur[keys[i]];
    if (!next || next.IsNull()) {
      cur[keys[i]] = YAML::Node(YAML::NodeType::Map);
      next.reset(cur[keys[i]]);
    } else if (!next.IsMap()) {
      return invalid_argument("{}: override \"{}\": {} is {}, not a map", origin, text, walked,
                              node_text(next));
    }
    cur.reset(next);
  }
  cur[keys.back()] = value;
  return ok_status();
}

}  // namespace

Result<Recipe> parse_recipe(const std::string& yaml, const std::string& origin,
                            const std::vector<std::string>& overrides) {
  const Ctx c{origin};
  // load_yaml refuses duplicate keys, keys that are maps or lists, and absurd nesting, so every
  // key below is a scalar (.Scalar() cannot throw).
  SIEVE_ASSIGN_OR_RETURN(YAML::Node root, io::load_yaml(yaml, origin));
  if (!overrides.empty() && (!root || root.IsNull())) root = YAML::Node(YAML::NodeType::Map);
  if (!overrides.empty() && !root.IsMap()) {
    return invalid_argument("{}: the recipe is not a map of keys", origin);
  }
  for (const std::string& ov : overrides) {
    try {
      SIEVE_RETURN_IF_ERROR(apply_override(root, origin, ov));
    } catch (const YAML::Exception& e) {
      return invalid_argument("{}: override \"{}\": {}", origin, ov, e.msg);
    }
  }
  if (!overrides.empty()) SIEVE_RETURN_IF_ERROR(io::check_yaml_tree(root, origin));
  if (!root || root.IsNull()) return invalid_argument("{}: the recipe is empty", origin);
  Recipe r;
  r.path = origin == "<string>" ? "" : origin;
  try {
    SIEVE_RETURN_IF_ERROR(parse_top(c, root, r));
  } catch (const YAML::Exception& e) {
    return invalid_argument("{}: line {}: {}", origin, e.mark.line + 1, e.msg);
  }
  if (r.name.empty()) {
    r.name = r.path.empty() ? "recipe" : std::filesystem::path(r.path).stem().string();
  }
  return r;
}

Result<Recipe> load_recipe(const std::string& path, const std::vector<std::string>& overrides) {
  // read_file refuses a directory by name (an ifstream reads it as an empty recipe).
  Result<std::string> text = read_file(path);
  if (!text.ok()) return text.status().with_context("recipe");
  return parse_recipe(*text, path, overrides);
}

}  // namespace sieve::compress
