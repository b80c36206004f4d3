// The thesis benchmarks: configs/benchmarks/thesis.yaml → plan → CompressedModel → Workload.
//
// Masks: a weight's block grid tiles it from the origin (partial edge blocks included, as the
// container's block bitmask and the block pruner do); exactly round((1 − s) · blocks) blocks are
// kept, chosen by selection sampling (Knuth, TAOCP vol. 2, Algorithm 3.4.2 S) so every subset of
// that size is equally likely. Codes are uniform over [0, 2^bits) and every region's codebook has
// 2^bits evenly spaced non-zero centroids within ±1/sqrt(fan_in) (the zoo's init range); the
// values are never used to time anything, only the counts and widths are.
#include "sieve/hw/workloads/thesis.h"

#include <fmt/format.h>
#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <fstream>
#include <optional>
#include <set>
#include <sstream>

#include "sieve/compiler/workload.h"
#include "sieve/core/atomic_file.h"
#include "sieve/core/block_grid.h"
#include "sieve/hw/core/params.h"
#include "sieve/io/yaml/yaml.h"
#include "sieve/ir/graph.h"
#include "sieve/zoo/zoo.h"

namespace sieve::hw {
namespace {

// The benchmark list, thesis Table 3.3 order (zoo.def names).
constexpr const char* kBenchmarks[] = {"alexnet",       "vgg16",     "lenet5", "lenet-300-100",
                                       "cifar10-quick", "resnet152", "lstm"};

uint64_t splitmix(uint64_t& state) {  // Steele, Lea and Flood, OOPSLA 2014
  uint64_t z = (state += 0x9E3779B97F4A7C15ULL);
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
  return z ^ (z >> 31);
}

uint64_t name_seed(uint64_t seed, const std::string& name) {
  uint64_t h = 1469598103934665603ULL;  // FNV-1a 64
  for (unsigned char c : name) h = (h ^ c) * 1099511628211ULL;
  uint64_t s = seed ^ h;
  return splitmix(s);
}

// ---- The config file ----------------------------------------------------------------------

struct Num {
  double value = 0;
  std::string source;
};
struct Ints {
  std::vector<int64_t> value;
  std::string source;
};
struct Spec {  // a layer type, a per-layer override or an EIE entry
  std::optional<Num> sparsity, bits, input_density, output_density, coded_bits;
  std::optional<Ints> block, regions;
};
struct Network {
  std::string zoo, description;
  Num first_input_density;
  std::map<std::string, Spec> types;   // conv, fc, lstm, pool
  std::map<std::string, Spec> layers;  // by node or weight name
};
struct EieEntry {
  std::string name, zoo;
  Spec spec;
};
struct Config {
  std::string file;
  std::map<std::string, Network> networks;
  std::vector<EieEntry> eie;
};

std::string keys_of(std::initializer_list<const char*> keys) {
  std::string s;
  for (const char* k : keys) s += (s.empty() ? "" : ", ") + std::string(k);
  return s;
}

Status check_keys(const YAML::Node& n, std::initializer_list<const char*> keys,
                  const std::string& where) {
  if (!n.IsMap()) return invalid_argument("{}: expected a mapping", where);
  for (const auto& kv : n) {
    const std::string k = kv.first.Scalar();  // load_yaml checked every key is a scalar
    if (std::none_of(keys.begin(), keys.end(), [&](const char* x) { return k == x; })) {
      return invalid_argument("{}: unknown key \"{}\"; known: {}", where, k, keys_of(keys));
    }
  }
  return ok_status();
}

// A scalar's text; `where` already names the file and the key.
Result<std::string> scalar(const YAML::Node& n, const std::string& where) {
  if (!n.IsScalar()) {
    return invalid_argument("{}: expected text, got {}", where, io::yaml_node_text(n));
  }
  return n.Scalar();
}

Result<std::string> source_of(const YAML::Node& n, const std::string& where) {
  SIEVE_RETURN_IF_ERROR(check_keys(n, {"value", "source"}, where));
  if (!n["value"] || !n["source"]) {
    return invalid_argument("{}: expected {{value: V, source: \"...\"}}", where);
  }
  SIEVE_ASSIGN_OR_RETURN(std::string src, scalar(n["source"], where + ".source"));
  if (src.empty()) return invalid_argument("{}: empty source", where);
  return src;
}

Result<Num> parse_num(const YAML::Node& n, const std::string& where) {
  SIEVE_ASSIGN_OR_RETURN(std::string src, source_of(n, where));
  Num out;
  out.source = src;
  try {
    out.value = n["value"].as<double>();
  } catch (const YAML::Exception&) {
    return invalid_argument("{}: value \"{}\" is not a number", where,
                            n["value"].IsScalar() ? n["value"].as<std::string>() : "(not scalar)");
  }
  if (!std::isfinite(out.value)) return invalid_argument("{}: value is not finite", where);
  return out;
}

Result<Ints> parse_ints(const YAML::Node& n, const std::string& where) {
  SIEVE_ASSIGN_OR_RETURN(std::string src, source_of(n, where));
  Ints out;
  out.source = src;
  if (!n["value"].IsSequence() || n["value"].size() == 0) {
    return invalid_argument("{}: value must be a list of sizes", where);
  }
  for (const auto& e : n["value"]) {
    int64_t v = 0;
    try {
      v = e.as<int64_t>();
    } catch (const YAML::Exception&) {
      return invalid_argument("{}: \"{}\" is not an integer", where,
                              e.IsScalar() ? e.as<std::string>() : "(not scalar)");
    }
    if (v < 1) return invalid_argument("{}: size {} (expected >= 1)", where, v);
    out.value.push_back(v);
  }
  return out;
}

Result<Spec> parse_spec(const YAML::Node& n, const std::string& where, bool eie) {
  if (eie) {
    SIEVE_RETURN_IF_ERROR(check_keys(
        n, {"zoo", "sparsity", "block", "bits", "regions", "input_density", "output_density"},
        where));
  } else {
    SIEVE_RETURN_IF_ERROR(check_keys(
        n, {"sparsity", "block", "bits", "regions", "input_density", "coded_bits"}, where));
  }
  Spec s;
  auto num = [&](const char* key, std::optional<Num>& out) -> Status {
    if (!n[key]) return ok_status();
    SIEVE_ASSIGN_OR_RETURN(Num v, parse_num(n[key], where + "." + key));
    out = v;
    return ok_status();
  };
  auto ints = [&](const char* key, std::optional<Ints>& out) -> Status {
    if (!n[key]) return ok_status();
    SIEVE_ASSIGN_OR_RETURN(Ints v, parse_ints(n[key], where + "." + key));
    out = v;
    return ok_status();
  };
  SIEVE_RETURN_IF_ERROR(num("sparsity", s.sparsity));
  SIEVE_RETURN_IF_ERROR(num("bits", s.bits));
  SIEVE_RETURN_IF_ERROR(num("input_density", s.input_density));
  SIEVE_RETURN_IF_ERROR(num("output_density", s.output_density));
  SIEVE_RETURN_IF_ERROR(num("coded_bits", s.coded_bits));
  SIEVE_RETURN_IF_ERROR(ints("block", s.block));
  SIEVE_RETURN_IF_ERROR(ints("regions", s.regions));
  for (const auto* d : {&s.sparsity, &s.input_density, &s.output_density}) {
    if (*d && !((*d)->value >= 0.0 && (*d)->value <= 1.0)) {
      return invalid_argument("{}: {} is outside [0, 1]", where, (*d)->value);
    }
  }
  if (s.bits &&
      (s.bits->value < 1 || s.bits->value > 16 || s.bits->value != std::floor(s.bits->value))) {
    return invalid_argument("{}.bits: {} (expected an integer in 1..16)", where, s.bits->value);
  }
  if (s.regions && s.regions->value.size() != 2) {
    return invalid_argument("{}.regions: expected [rows, cols]", where);
  }
  return s;
}

Result<Config> parse_config(const std::string& yaml, const std::string& file) {
  Config c;
  c.file = file;
  // Refuses duplicate keys and keys that are maps or lists, so .Scalar() on keys is safe below.
  SIEVE_ASSIGN_OR_RETURN(YAML::Node root, io::load_yaml(yaml, c.file));
  try {
    SIEVE_RETURN_IF_ERROR(check_keys(root, {"description", "networks", "eie_fc"}, c.file));
    if (!root["networks"] || !root["networks"].IsMap()) {
      return invalid_argument("{}: \"networks\" must be a mapping", c.file);
    }
    for (const auto& kv : root["networks"]) {
      const std::string name = kv.first.Scalar();
      const std::string where = c.file + ": networks." + name;
      const YAML::Node& n = kv.second;
      SIEVE_RETURN_IF_ERROR(check_keys(
          n, {"zoo", "description", "first_input_density", "conv", "fc", "lstm", "pool", "layers"},
          where));
      Network net;
      if (!n["zoo"] || !n["first_input_density"]) {
        return invalid_argument("{}: needs \"zoo\" and \"first_input_density\"", where);
      }
      SIEVE_ASSIGN_OR_RETURN(net.zoo, scalar(n["zoo"], where + ".zoo"));
      if (n["description"]) {
        SIEVE_ASSIGN_OR_RETURN(net.description,
                               scalar(n["description"], where + ".description"));
      }
      SIEVE_ASSIGN_OR_RETURN(net.first_input_density,
                             parse_num(n["first_input_density"], where + ".first_input_density"));
      for (const char* t : {"conv", "fc", "lstm", "pool"}) {
        if (!n[t]) continue;
        SIEVE_ASSIGN_OR_RETURN(net.types[t], parse_spec(n[t], where + "." + t, false));
      }
      if (n["layers"]) {
        if (!n["layers"].IsMap()) return invalid_argument("{}.layers: expected a mapping", where);
        for (const auto& l : n["layers"]) {
          const std::string ln = l.first.Scalar();
          SIEVE_ASSIGN_OR_RETURN(net.layers[ln],
                                 parse_spec(l.second, where + ".layers." + ln, false));
        }
      }
      c.networks[name] = std::move(net);
    }
    if (root["eie_fc"]) {
      if (!root["eie_fc"].IsMap())
        return invalid_argument("{}: eie_fc: expected a mapping", c.file);
      for (const auto& kv : root["eie_fc"]) {
        EieEntry e;
        e.name = kv.first.Scalar();
        const std::string where = c.file + ": eie_fc." + e.name;
        SIEVE_ASSIGN_OR_RETURN(e.spec, parse_spec(kv.second, where, true));
        if (!kv.second["zoo"]) return invalid_argument("{}: needs \"zoo\"", where);
        SIEVE_ASSIGN_OR_RETURN(e.zoo,
                               scalar(kv.second["zoo"], where + ".zoo"));
        if (!e.spec.sparsity || !e.spec.block || !e.spec.bits || !e.spec.input_density ||
            !e.spec.output_density) {
          return invalid_argument(
              "{}: needs sparsity, block, bits, input_density and "
              "output_density",
              where);
        }
        c.eie.push_back(std::move(e));
      }
    }
  } catch (const YAML::Exception& e) {
    return invalid_argument("{}: {}", c.file, e.what());
  }
  for (const char* b : kBenchmarks) {
    if (c.networks.count(b) == 0) {
      return invalid_argument("{}: networks.{} is missing (every thesis benchmark needs an entry)",
                              c.file, b);
    }
  }
  return c;
}

Result<Config> load_config() {
  const std::string file = thesis_config_path();
  SIEVE_ASSIGN_OR_RETURN(std::string text, read_file(file));  // a directory is refused as one
  return parse_config(text, file);
}

// ---- Plans --------------------------------------------------------------------------------

Status resolve_layer(ThesisLayer& l, const Spec& type, const Spec* over, const std::string& where) {
  auto pick_num = [&](const std::optional<Num> Spec::*f, const char* key, bool required,
                      Num& out) -> Status {
    if (over != nullptr && (over->*f)) {
      out = *(over->*f);
    } else if ((type.*f)) {
      out = *(type.*f);
    } else if (required) {
      return invalid_argument("{}: no {} for layer \"{}\" (type {})", where, key, l.node, l.type);
    } else {
      return ok_status();
    }
    l.sources[key] = out.source;
    return ok_status();
  };
  auto pick_ints = [&](const std::optional<Ints> Spec::*f, const char* key, Ints& out) -> Status {
    if (over != nullptr && (over->*f)) {
      out = *(over->*f);
    } else if ((type.*f)) {
      out = *(type.*f);
    } else {
      return invalid_argument("{}: no {} for layer \"{}\" (type {})", where, key, l.node, l.type);
    }
    l.sources[key] = out.source;
    return ok_status();
  };
  Num sp, bits, coded;
  Ints block, regions;
  SIEVE_RETURN_IF_ERROR(pick_num(&Spec::sparsity, "sparsity", true, sp));
  SIEVE_RETURN_IF_ERROR(pick_num(&Spec::bits, "bits", true, bits));
  SIEVE_RETURN_IF_ERROR(pick_num(&Spec::coded_bits, "coded_bits", false, coded));
  SIEVE_RETURN_IF_ERROR(pick_ints(&Spec::block, "block", block));
  SIEVE_RETURN_IF_ERROR(pick_ints(&Spec::regions, "regions", regions));
  l.sparsity = sp.value;
  l.bits = static_cast<int>(bits.value);
  l.coded_bits = coded.value;
  // Blocks are given over the 2-D view for LSTM matrices ([1, r, c] weights): pad with 1.
  std::vector<int64_t> b = block.value;
  while (b.size() < l.shape.size()) b.insert(b.begin(), 1);
  if (b.size() != l.shape.size()) {
    return invalid_argument("{}: block [{}] for layer \"{}\" does not fit its weight {}", where,
                            fmt::join(block.value, ", "), l.node, shape_str(l.shape));
  }
  // A block larger than the weight (a 16-row block on a 10-output classifier) is clipped to it:
  // the whole dimension is one block.
  for (size_t d = 0; d < b.size(); ++d) b[d] = std::min(b[d], l.shape[d]);
  l.block = b;
  l.region_rows = regions.value[0];
  l.region_cols = regions.value[1];
  const int64_t rows = l.shape.empty() ? 0 : l.shape[0];
  const int64_t cols = rows == 0 ? 0 : shape_numel(l.shape) / rows;
  if (l.region_rows > rows || l.region_cols > cols) {
    return invalid_argument("{}: region grid {}x{} for layer \"{}\" exceeds its {}x{} 2-D view",
                            where, l.region_rows, l.region_cols, l.node, rows, cols);
  }
  return ok_status();
}

// True when `value` is the network input or reached from it through reshapes only.
bool reads_network_input(const ir::Graph& g, std::string value) {
  for (;;) {
    const ir::Node* p = g.producer(value);
    if (p == nullptr) return false;
    if (p->op == ir::OpKind::kInput) return true;
    const bool reshape = p->op == ir::OpKind::kFlatten || p->op == ir::OpKind::kReshape ||
                         p->op == ir::OpKind::kIdentity || p->op == ir::OpKind::kSqueeze ||
                         p->op == ir::OpKind::kUnsqueeze || p->op == ir::OpKind::kDropout;
    if (!reshape) return false;
    value = p->input(0);
  }
}

Result<ThesisBenchmark> make_plan(const Config& cfg, const std::string& name, ir::Graph* graph) {
  auto it = cfg.networks.find(name);
  if (it == cfg.networks.end() || std::none_of(std::begin(kBenchmarks), std::end(kBenchmarks),
                                               [&](const char* b) { return name == b; })) {
    return invalid_argument("unknown thesis benchmark \"{}\"; known: {}", name,
                            fmt::join(thesis_benchmarks(), ", "));
  }
  const Network& net = it->second;
  const std::string where = cfg.file + ": networks." + name;
  zoo::BuildOptions bo;
  bo.batch = 1;
  bo.init_weights = false;
  auto built = zoo::build(net.zoo, bo);
  if (!built.ok()) return built.status().with_context(where + ".zoo");
  ir::Graph g = std::move(built).value();
  ThesisBenchmark plan;
  plan.name = name;
  plan.zoo_model = net.zoo;
  plan.description = net.description;
  std::set<std::string> used_overrides;
  auto density = [&](const std::string& layer, const std::string& node, const char* type,
                     const std::string& input) -> Status {
    const Spec* over = nullptr;
    if (auto o = net.layers.find(node); o != net.layers.end()) over = &o->second;
    if (over != nullptr && over->input_density) {
      used_overrides.insert(node);
      plan.input_density[layer] = over->input_density->value;
      plan.density_sources[layer] = over->input_density->source;
    } else if (reads_network_input(g, input)) {
      plan.input_density[layer] = net.first_input_density.value;
      plan.density_sources[layer] = net.first_input_density.source;
    } else {
      auto t = net.types.find(type);
      if (t == net.types.end() || !t->second.input_density) {
        return invalid_argument("{}: no {}.input_density for layer \"{}\"", where, type, layer);
      }
      plan.input_density[layer] = t->second.input_density->value;
      plan.density_sources[layer] = t->second.input_density->source;
    }
    return ok_status();
  };
  for (const ir::Node& n : g.nodes) {
    // The layer's type is its hardware layer kind (from the op's category, ops.def); its
    // weights are the op's weight matrices (LSTM: W, R and, with a projection, W_proj).
    const ir::OpTraits& traits = ir::op_traits(n.op);
    const compiler::LayerKind kind = compiler::layer_kind(traits.category);
    if (kind == compiler::LayerKind::kPool) {
      SIEVE_RETURN_IF_ERROR(density(n.name, n.name, compiler::layer_kind_name(kind), n.input(0)));
      continue;
    }
    if (kind == compiler::LayerKind::kOther || !traits.fixed_weight) continue;
    const char* type = compiler::layer_kind_name(kind);
    std::vector<std::string> weights;
    for (size_t i : traits.matrices.list()) {
      if (n.has_input(i)) weights.push_back(n.input(i));
    }
    SIEVE_RETURN_IF_ERROR(density(n.name, n.name, type, n.input(0)));
    if (n.op == ir::OpKind::kLSTM && n.has_input(8)) {
      // The projection is the workload layer "<node>/proj" (one time step in the zoo).
      plan.input_density[n.name + "/proj"] = plan.input_density[n.name];
      plan.density_sources[n.name + "/proj"] = plan.density_sources[n.name];
    }
    auto t = net.types.find(type);
    if (t == net.types.end()) {
      return invalid_argument("{}: the network has {} layers but no \"{}\" entry", where, type,
                              type);
    }
    for (const std::string& wname : weights) {
      ThesisLayer l;
      l.node = n.name;
      l.weight = wname;
      l.type = type;
      const Tensor* w = g.initializer(wname);
      if (w == nullptr) return invalid_argument("{}: weight \"{}\" not in the graph", where, wname);
      l.shape = w->shape();
      const Spec* over = nullptr;
      for (const std::string& key : {wname, n.name}) {
        if (auto o = net.layers.find(key); o != net.layers.end() && over == nullptr) {
          over = &o->second;
          used_overrides.insert(key);
        }
      }
      SIEVE_RETURN_IF_ERROR(resolve_layer(l, t->second, over, where));
      plan.layers.push_back(std::move(l));
    }
  }
  for (const auto& [key, spec] : net.layers) {
    if (used_overrides.count(key) == 0) {
      std::string known;
      for (const ThesisLayer& l : plan.layers) known += (known.empty() ? "" : ", ") + l.node;
      return invalid_argument("{}.layers: \"{}\" is not a layer of {}; layers: {}", where, key,
                              net.zoo, known);
    }
  }
  if (graph != nullptr) *graph = std::move(g);
  return plan;
}

void record(compress::CompressedModel& m, const ThesisLayer& l) {
  auto put = [&](const char* field, const std::string& value) {
    auto src = l.sources.find(field);
    m.metadata[fmt::format("thesis.{}.{}", l.weight, field)] =
        src == l.sources.end() ? value : fmt::format("{} ({})", value, src->second);
  };
  put("sparsity", fmt::format("{}", l.sparsity));
  put("block", fmt::format("[{}]", fmt::join(l.block, ", ")));
  put("bits", fmt::format("{}", l.bits));
  put("regions", fmt::format("{}x{}", l.region_rows, l.region_cols));
  if (l.coded_bits > 0) put("coded_bits", fmt::format("{}", l.coded_bits));
  m.metadata[fmt::format("thesis.{}.kept_blocks", l.weight)] =
      fmt::format("{} of {}", l.kept_blocks, l.blocks);
}

}  // namespace

// ---- Masks and codes ----------------------------------------------------------------------

Result<compress::CompressedLayer> draw_thesis_layer(ThesisLayer& l, uint64_t seed) {
  compress::CompressedLayer cl;
  cl.node = l.node;
  cl.weight = l.weight;
  cl.shape = l.shape;
  cl.block = l.block;
  const size_t r = l.shape.size();
  SIEVE_ASSIGN_OR_RETURN(const BlockGrid grid, BlockGrid::make(l.shape, l.block, {}, l.weight));
  l.blocks = grid.blocks();
  l.kept_blocks = std::llround((1.0 - l.sparsity) * static_cast<double>(l.blocks));
  const int64_t numel = shape_numel(l.shape);
  if (l.sparsity > 0.0) {
    // Selection sampling: block i is kept with probability (needed) / (remaining).
    uint64_t state = name_seed(seed, l.weight);
    std::vector<uint8_t> keep(static_cast<size_t>(l.blocks), 0);
    int64_t need = l.kept_blocks;
    for (int64_t i = 0; i < l.blocks && need > 0; ++i) {
      const double u = static_cast<double>(splitmix(state) >> 11) * 0x1.0p-53;
      if (static_cast<double>(l.blocks - i) * u < static_cast<double>(need)) {
        keep[static_cast<size_t>(i)] = 1;
        --need;
      }
    }
    SIEVE_ASSERT(need == 0, "selection sampling kept too few blocks of {}", l.weight);
    cl.mask = Tensor(DType::kU8, l.shape);
    uint8_t* m = cl.mask.data<uint8_t>();
    grid.for_each_run([&](int64_t begin, int64_t end, int64_t b) {
      if (keep[static_cast<size_t>(b)] != 0) {
        std::memset(m + begin, 1, static_cast<size_t>(end - begin));
      }
    });
    l.kept = 0;
    for (int64_t i = 0; i < numel; ++i) l.kept += m[i];
    cl.structure.method = "block";  // whole blocks of a tiling are drawn
    cl.structure.stride = grid.stride();
  } else {
    l.kept = numel;
  }
  if (l.bits == 0) {
    // Not quantized (the library API's dense-width weights): the kept values as f32, all
    // equal; only their count and width are ever timed.
    cl.values.assign(static_cast<size_t>(l.kept), 0.5f);
    return cl;
  }
  cl.bits = l.bits;
  cl.region_rows = l.region_rows;
  cl.region_cols = l.region_cols;
  const int64_t entries = int64_t{1} << l.bits;
  // Fan-in: cols of the 2-D view; an LSTM matrix [1, rows, cols] has rows in dim 1.
  const int64_t fan_in =
      numel / std::max<int64_t>(r == 3 ? l.shape[0] * l.shape[1] : l.shape[0], 1);
  const double range = 1.0 / std::sqrt(static_cast<double>(std::max<int64_t>(fan_in, 1)));
  std::vector<float> book(static_cast<size_t>(entries));
  for (int64_t j = 0; j < entries; ++j) {
    book[static_cast<size_t>(j)] = static_cast<float>(
        range * (-1.0 + 2.0 * (static_cast<double>(j) + 0.5) / static_cast<double>(entries)));
  }
  cl.codebooks.assign(static_cast<size_t>(l.region_rows * l.region_cols), book);
  cl.codes.resize(static_cast<size_t>(l.kept));
  uint64_t state = name_seed(seed ^ 0xC0DE5ULL, l.weight);
  const uint64_t mask = static_cast<uint64_t>(entries - 1);
  size_t k = 0;
  for (; k + 4 <= cl.codes.size(); k += 4) {  // four 16-bit codes per draw
    const uint64_t x = splitmix(state);
    for (size_t j = 0; j < 4; ++j) cl.codes[k + j] = static_cast<uint16_t>((x >> (16 * j)) & mask);
  }
  for (; k < cl.codes.size(); ++k) cl.codes[k] = static_cast<uint16_t>(splitmix(state) & mask);
  return cl;
}

double ThesisLayer::weight_sparsity() const {
  const int64_t n = shape_numel(shape);
  return n == 0 ? 0.0 : 1.0 - static_cast<double>(kept) / static_cast<double>(n);
}

std::vector<std::string> thesis_benchmarks() {
  return std::vector<std::string>(std::begin(kBenchmarks), std::end(kBenchmarks));
}

std::string thesis_config_path() {
  return config_dir() + "/benchmarks/thesis.yaml";
}

Status check_thesis_config(const std::string& yaml, const std::string& file) {
  return parse_config(yaml, file).status();
}

Result<ThesisBenchmark> thesis_benchmark(const std::string& name) {
  SIEVE_ASSIGN_OR_RETURN(Config cfg, load_config());
  return make_plan(cfg, name, nullptr);
}

Result<compress::CompressedModel> thesis_model(const std::string& name, uint64_t seed,
                                               ThesisBenchmark* plan_out) {
  SIEVE_ASSIGN_OR_RETURN(Config cfg, load_config());
  ir::Graph g;
  SIEVE_ASSIGN_OR_RETURN(ThesisBenchmark plan, make_plan(cfg, name, &g));
  compress::CompressedModel m;
  m.graph = std::move(g);
  m.graph.name = name;
  for (ThesisLayer& l : plan.layers) {
    SIEVE_ASSIGN_OR_RETURN(compress::CompressedLayer cl, draw_thesis_layer(l, seed));
    m.layers.push_back(std::move(cl));
    record(m, l);
  }
  m.metadata["benchmark"] = name;
  m.metadata["seed"] = fmt::format("{}", seed);
  m.metadata["source"] =
      "thesis Tables 3.2, 3.3, 3.5 via configs/benchmarks/thesis.yaml: coarse-grained masks drawn "
      "at random at the published sparsity and random codes of the published width (no ImageNet "
      "and no trained weights here)";
  if (plan_out != nullptr) *plan_out = std::move(plan);
  return m;
}

Result<WorkloadOptions> thesis_workload_options(const std::string& name, uint64_t seed,
                                                int64_t batch) {
  if (batch < 1) return invalid_argument("batch={} (expected >= 1)", batch);
  SIEVE_ASSIGN_OR_RETURN(ThesisBenchmark plan, thesis_benchmark(name));
  WorkloadOptions o;
  o.input_density = plan.input_density;
  o.default_input_density = 1.0;
  o.default_output_density = 1.0;  // the network's outputs (logits, the LSTM state): dense
  o.synthetic_batch = batch;
  o.seed = seed;
  return o;
}

Result<Workload> thesis_workload(const std::string& name, uint64_t seed, int64_t batch) {
  ThesisBenchmark plan;
  SIEVE_ASSIGN_OR_RETURN(compress::CompressedModel m, thesis_model(name, seed, &plan));
  SIEVE_ASSIGN_OR_RETURN(WorkloadOptions o, thesis_workload_options(name, seed, batch));
  SIEVE_ASSIGN_OR_RETURN(Workload w, build_workload(m, o));
  w.model = name;
  w.notes["benchmark"] = fmt::format("thesis benchmark {} ({})", name, plan.description);
  w.notes["weights"] =
      "coarse-grained masks at the published sparsity (thesis Table 3.3; AlexNet Table 3.5), "
      "blocks chosen at random (seeded); random codes of the published width";
  w.notes["activations"] = fmt::format(
      "synthetic: seeded Bernoulli bits at 1 − DNS of thesis Table 3.2 (seed {}); there is no "
      "ImageNet here, so no real activations",
      seed);
  return w;
}

Result<Workload> eie_fc_workload(uint64_t seed) {
  SIEVE_ASSIGN_OR_RETURN(Config cfg, load_config());
  if (cfg.eie.empty()) return invalid_argument("{}: no eie_fc entries", cfg.file);
  Workload out;
  out.model = "eie-fc";
  out.batch = 1;
  for (const EieEntry& e : cfg.eie) {
    const std::string where = cfg.file + ": eie_fc." + e.name;
    zoo::BuildOptions bo;
    bo.init_weights = false;
    auto g = zoo::build(e.zoo, bo);
    if (!g.ok()) return g.status().with_context(where + ".zoo");
    const ir::Node* fc = nullptr;
    for (const ir::Node& n : g->nodes) {
      const ir::OpTraits& t = ir::op_traits(n.op);
      if (compiler::layer_kind(t.category) == compiler::LayerKind::kFullyConnected &&
          t.fixed_weight) {
        fc = &n;
      }
    }
    if (fc == nullptr) return invalid_argument("{}: zoo model {} has no FC layer", where, e.zoo);
    ThesisLayer l;
    l.node = fc->name;
    l.weight = fc->input(static_cast<size_t>(ir::op_traits(fc->op).weight));
    l.type = compiler::layer_kind_name(compiler::LayerKind::kFullyConnected);
    l.shape = g->initializer(l.weight)->shape();
    SIEVE_RETURN_IF_ERROR(resolve_layer(l, e.spec, nullptr, where));
    SIEVE_ASSIGN_OR_RETURN(compress::CompressedLayer cl, draw_thesis_layer(l, seed));
    compress::CompressedModel m;
    m.graph = std::move(*g);
    m.layers.push_back(std::move(cl));
    WorkloadOptions o;
    o.input_density[l.node] = e.spec.input_density->value;
    o.default_output_density = e.spec.output_density->value;
    o.seed = name_seed(seed, e.name);
    SIEVE_ASSIGN_OR_RETURN(Workload w, build_workload(m, o));
    for (LayerWork& lw : w.layers) {
      lw.name = e.name;
      out.layers.push_back(std::move(lw));
    }
    out.notes["layer." + e.name] = fmt::format(
        "{}: weights {:.2f} % sparse ({}), blocks [{}], {} bits; input density {} ({})", e.zoo,
        100.0 * l.weight_sparsity(), e.spec.sparsity->source, fmt::join(l.block, ", "), l.bits,
        e.spec.input_density->value, e.spec.input_density->source);
  }
  out.notes["benchmark"] = "thesis Table 5.2: the FC layers compared with EIE";
  out.notes["activations"] =
      "synthetic: seeded Bernoulli bits at EIE's activation densities (Han et al., ISCA 2016, "
      "Table III)";
  return out;
}

}  // namespace sieve::hw
