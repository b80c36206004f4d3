// The zoo registry (zoo.def) and the deterministic weight initialisation.
#include "sieve/zoo/zoo.h"

#include <cmath>
#include <set>
#include <string_view>

#include "sieve/zoo/families.h"

namespace sieve::zoo {

namespace {

using Builder = ir::Graph (*)(int64_t batch);

struct Entry {
  ModelInfo info;
  Builder builder;
};

const std::vector<Entry>& entries() {
  static const std::vector<Entry> kEntries = {
#define SIEVE_ZOO(name, builder, desc, source) {{name, desc, source}, &builder},
#include "sieve/zoo/zoo.def"
#undef SIEVE_ZOO
  };
  return kEntries;
}

std::string known_names() {
  std::string s;
  for (const Entry& e : entries()) {
    if (!s.empty()) s += ", ";
    s += e.info.name;
  }
  return s;
}

// splitmix64 (Steele, Lea and Flood, OOPSLA 2014): a small, fast generator whose whole state is
// one word, so each tensor gets its own stream from a hash of (seed, name).
class SplitMix64 {
 public:
  explicit SplitMix64(uint64_t seed) : state_(seed) {}
  uint64_t next() {
    uint64_t z = (state_ += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
  }
  // Uniform in [-bound, bound).
  float uniform(float bound) {
    // 24 random bits -> [0, 1) exactly representable in f32.
    float u = static_cast<float>(next() >> 40) * (1.0f / 16777216.0f);
    return (2.0f * u - 1.0f) * bound;
  }

 private:
  uint64_t state_;
};

uint64_t stream_seed(uint64_t seed, std::string_view name) {
  uint64_t h = 0xCBF29CE484222325ull;  // FNV-1a
  for (char c : name) {
    h ^= static_cast<unsigned char>(c);
    h *= 0x100000001B3ull;
  }
  SplitMix64 mix(seed ^ (h * 0x9E3779B97F4A7C15ull));
  return mix.next();
}

class Initializer {
 public:
  Initializer(ir::Graph& g, uint64_t seed) : g_(g), seed_(seed) {}

  // Fills initializer `value` of node `n` with U(-bound, bound).
  Status uniform(const ir::Node& n, const std::string& value, double bound) {
    SIEVE_ASSIGN_OR_RETURN(Tensor * t, claim(n, value));
    if (t == nullptr) return ok_status();
    SplitMix64 rng(stream_seed(seed_, value));
    const auto b = static_cast<float>(bound);
    for (float& v : t->span<float>()) v = rng.uniform(b);
    return ok_status();
  }

  Status constant(const ir::Node& n, const std::string& value, float c) {
    SIEVE_ASSIGN_OR_RETURN(Tensor * t, claim(n, value));
    if (t == nullptr) return ok_status();
    for (float& v : t->span<float>()) v = c;
    return ok_status();
  }

  // The f32 initializer tensor for `value` (nullptr: absent, not an initializer, or done).
  Result<Tensor*> claim(const ir::Node& n, const std::string& value) {
    if (value.empty() || done_.count(value) != 0) return static_cast<Tensor*>(nullptr);
    auto it = g_.initializers.find(value);
    if (it == g_.initializers.end()) return static_cast<Tensor*>(nullptr);
    if (it->second.dtype() != DType::kF32) {
      return invalid_argument("node \"{}\" ({}): parameter \"{}\" is {}, expected f32", n.name,
                              ir::op_name(n.op), value, dtype_name(it->second.dtype()));
    }
    done_.insert(value);
    return &it->second;
  }

  const Tensor* find(const std::string& value) const { return g_.initializer(value); }

 private:
  ir::Graph& g_;
  uint64_t seed_;
  std::set<std::string> done_;
};

Status rank_error(const ir::Node& n, const std::string& value, const Tensor& t,
                  const char* expected) {
  return invalid_argument("node \"{}\" ({}): weight \"{}\" has shape {}, expected {}", n.name,
                          ir::op_name(n.op), value, shape_str(t.shape()), expected);
}

// Kaiming-uniform with a = sqrt(5) (PyTorch's Linear/Conv default) reduces to
// U(-1/sqrt(fan_in), 1/sqrt(fan_in)); the bias uses the same bound.
Status init_weight_and_bias(Initializer& init, const ir::Node& n, int64_t fan_in) {
  const double bound = fan_in > 0 ? 1.0 / std::sqrt(static_cast<double>(fan_in)) : 0.0;
  const ir::OpTraits& t = ir::op_traits(n.op);
  SIEVE_RETURN_IF_ERROR(init.uniform(n, n.input(static_cast<size_t>(t.weight)), bound));
  return init.uniform(n, n.input(static_cast<size_t>(t.bias)), bound);
}

Status init_node(Initializer& init, const ir::Node& n) {
  switch (n.op) {
    case ir::OpKind::kFullyConnected: {
      const Tensor* w = init.find(n.input(1));
      if (w == nullptr) return ok_status();
      if (w->rank() != 2) return rank_error(n, n.input(1), *w, "rank 2");
      return init_weight_and_bias(init, n, ir::weight_matrix(n, w->shape()).cols);
    }
    case ir::OpKind::kConv: {
      const Tensor* w = init.find(n.input(1));
      if (w == nullptr) return ok_status();
      if (w->rank() < 3 || w->dim(0) == 0)
        return rank_error(n, n.input(1), *w, "[M, C/group, k...]");
      return init_weight_and_bias(init, n, ir::weight_matrix(n, w->shape()).cols);
    }
    case ir::OpKind::kMatMul: {
      const Tensor* w = init.find(n.input(1));
      if (w == nullptr || w->dtype() != DType::kF32) return ok_status();
      const int64_t fan_in = w->rank() >= 2 ? w->dim(-2) : w->dim(0);
      const double bound = fan_in > 0 ? 1.0 / std::sqrt(static_cast<double>(fan_in)) : 0.0;
      return init.uniform(n, n.input(1), bound);
    }
    case ir::OpKind::kBatchNorm:
      SIEVE_RETURN_IF_ERROR(init.constant(n, n.input(1), 1.0f));
      SIEVE_RETURN_IF_ERROR(init.constant(n, n.input(2), 0.0f));
      SIEVE_RETURN_IF_ERROR(init.constant(n, n.input(3), 0.0f));
      return init.constant(n, n.input(4), 1.0f);
    case ir::OpKind::kLSTM:
    case ir::OpKind::kGRU: {
      const int64_t h = n.attr_int("hidden_size", 0);
      if (h <= 0) {
        return invalid_argument("node \"{}\" ({}): attribute hidden_size={} must be positive",
                                n.name, ir::op_name(n.op), h);
      }
      const double bound = 1.0 / std::sqrt(static_cast<double>(h));
      // Every parameter operand (ops.def): W, R, B (and LSTM's P and W_proj).
      for (size_t i : ir::op_traits(n.op).params.list()) {
        SIEVE_RETURN_IF_ERROR(init.uniform(n, n.input(i), bound));
      }
      return ok_status();
    }
    case ir::OpKind::kInput:
    case ir::OpKind::kMaxPool:
    case ir::OpKind::kAveragePool:
    case ir::OpKind::kGlobalAveragePool:
    case ir::OpKind::kGlobalMaxPool:
    case ir::OpKind::kRelu:
    case ir::OpKind::kSigmoid:
    case ir::OpKind::kTanh:
    case ir::OpKind::kSoftmax:
    case ir::OpKind::kLogSoftmax:
    case ir::OpKind::kLRN:
    case ir::OpKind::kAdd:
    case ir::OpKind::kSub:
    case ir::OpKind::kMul:
    case ir::OpKind::kDiv:
    case ir::OpKind::kConcat:
    case ir::OpKind::kFlatten:
    case ir::OpKind::kReshape:
    case ir::OpKind::kTranspose:
    case ir::OpKind::kSqueeze:
    case ir::OpKind::kUnsqueeze:
    case ir::OpKind::kPad:
    case ir::OpKind::kDropout:
    case ir::OpKind::kIdentity: return ok_status();
  }
  return ok_status();
}

}  // namespace

const std::vector<ModelInfo>& model_infos() {
  static const std::vector<ModelInfo> kInfos = [] {
    std::vector<ModelInfo> v;
    for (const Entry& e : entries()) v.push_back(e.info);
    return v;
  }();
  return kInfos;
}

const ModelInfo* find_model(const std::string& name) {
  for (const ModelInfo& m : model_infos()) {
    if (m.name == name) return &m;
  }
  return nullptr;
}

std::vector<std::string> names() {
  std::vector<std::string> v;
  for (const Entry& e : entries()) v.push_back(e.info.name);
  return v;
}

Result<ir::Graph> build(const std::string& name, const BuildOptions& opts) {
  for (const Entry& e : entries()) {
    if (e.info.name != name) continue;
    if (opts.batch < 1) {
      return invalid_argument("zoo model \"{}\": batch={} must be at least 1", name, opts.batch);
    }
    ir::Graph g = e.builder(opts.batch);
    if (opts.init_weights) SIEVE_RETURN_IF_ERROR(init_weights(g, opts.seed));
    return g;
  }
  return not_found("unknown zoo model \"{}\"; known: {}", name, known_names());
}

Status init_weights(ir::Graph& g, uint64_t seed) {
  Initializer init(g, seed);
  for (const ir::Node& n : g.nodes) SIEVE_RETURN_IF_ERROR(init_node(init, n));
  return ok_status();
}

}  // namespace sieve::zoo
