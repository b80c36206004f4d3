#include "sieve/compress/prune/prune.h"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <cstring>
#include <functional>

#include "sieve/core/block_grid.h"

namespace sieve::compress {

const char* block_criterion_name(BlockCriterion c) {
  switch (c) {
    case BlockCriterion::kMean: return "mean";
    case BlockCriterion::kMax: return "max";
  }
  return "?";
}

std::string PruneSpec::to_string() const {
  std::string s = method;
  if (method == "block") {
    s += fmt::format(" {}",
                     block.empty() ? std::string("1") : fmt::format("{}", fmt::join(block, "x")));
    if (!stride.empty()) s += fmt::format(" stride {}", fmt::join(stride, "x"));
    s += fmt::format(" {}", block_criterion_name(criterion));
  }
  if (method == "nm") s += fmt::format(" {}:{}", n, m);
  if (method == "balanced") s += fmt::format(" pes {}", pes);
  if (sparsity >= 0 && method != "nm") s += fmt::format(" sparsity {:g}", sparsity);
  if (quality >= 0) s += fmt::format(" quality {:g}", quality);
  if (!gates.empty()) s += fmt::format(" gates {}", fmt::join(gates, ","));
  return s;
}

const std::vector<std::string>& gate_names(ir::OpKind op) {
  static const std::vector<std::string> kLstm = {"i", "o", "f", "c"};
  static const std::vector<std::string> kGru = {"z", "r", "h"};
  static const std::vector<std::string> kNone;
  if (op == ir::OpKind::kLSTM) return kLstm;
  if (op == ir::OpKind::kGRU) return kGru;
  return kNone;
}

namespace {

std::string known_methods() {
  std::vector<std::string> names;
  for (const PassInfo& p : prune_passes()) names.emplace_back(p.name);
  return fmt::format("{}", fmt::join(names, ", "));
}

int64_t nearest_count(double x) {  // nearest whole number, ties down
  return static_cast<int64_t>(std::ceil(x - 0.5));
}

// Offsets of a u8 keep mask, or all-keep for an empty mask.
std::vector<uint8_t> keep_vector(const Tensor& mask, int64_t numel) {
  if (mask.empty()) return std::vector<uint8_t>(static_cast<size_t>(numel), 1);
  std::vector<uint8_t> k(static_cast<size_t>(numel));
  const uint8_t* m = mask.data<uint8_t>();
  for (int64_t i = 0; i < numel; ++i) k[static_cast<size_t>(i)] = m[i] != 0;
  return k;
}

Tensor to_mask(const Shape& shape, const std::vector<uint8_t>& keep) {
  Tensor t(DType::kU8, shape);
  std::copy(keep.begin(), keep.end(), t.data<uint8_t>());
  return t;
}

Status check_inputs(const Tensor& weight, const Tensor& mask) {
  if (weight.dtype() != DType::kF32) {
    return invalid_argument("weight is {}, pruners take f32", dtype_name(weight.dtype()));
  }
  if (!mask.empty() && (mask.dtype() != DType::kU8 || mask.shape() != weight.shape())) {
    return invalid_argument("mask {} {} does not match weight f32 {}", dtype_name(mask.dtype()),
                            shape_str(mask.shape()), shape_str(weight.shape()));
  }
  return ok_status();
}

// Standard deviation of the masked weights over every position (pruned ones as 0).
double masked_std(const float* w, const std::vector<uint8_t>& keep) {
  const size_t n = keep.size();
  if (n == 0) return 0.0;
  double sum = 0.0, sq = 0.0;
  for (size_t i = 0; i < n; ++i) {
    const double v = keep[i] ? w[i] : 0.0;
    sum += v;
    sq += v * v;
  }
  const double mean = sum / static_cast<double>(n);
  return std::sqrt(std::max(0.0, sq / static_cast<double>(n) - mean * mean));
}

// Greedy selection shared by the pruners: candidates in ascending (score, position) order, each
// with the number of still-kept elements it would remove. Returns how many to prune so that
// already + removed is nearest to target (ties: fewer). `gain(i)` must reflect earlier picks
// when candidates overlap, so selection and application are interleaved through `apply(i)`.
template <typename Gain, typename Apply>
void prune_nearest(const std::vector<int64_t>& order, int64_t already, double target, Gain gain,
                   Apply apply) {
  int64_t cur = already;
  for (int64_t c : order) {
    const int64_t g = gain(c);
    if (g == 0) {
      apply(c);
      continue;
    }
    const double before = std::abs(static_cast<double>(cur) - target);
    const double after = std::abs(static_cast<double>(cur + g) - target);
    if (!(after < before)) break;
    apply(c);
    cur += g;
  }
}

// Sorted candidate order: ascending score, ties by index.
std::vector<int64_t> ascending(const std::vector<double>& score,
                               const std::vector<int64_t>& candidates) {
  std::vector<int64_t> order = candidates;
  std::stable_sort(order.begin(), order.end(), [&](int64_t a, int64_t b) {
    return score[static_cast<size_t>(a)] < score[static_cast<size_t>(b)];
  });
  return order;
}

}  // namespace

std::vector<int64_t> full_block(const PruneSpec& spec, const Shape& weight_shape) {
  std::vector<int64_t> b(weight_shape.size(), 1);
  for (size_t i = 0; i < spec.block.size() && i < b.size(); ++i) b[i] = spec.block[i];
  return b;
}

std::vector<int64_t> full_stride(const PruneSpec& spec, const Shape& weight_shape) {
  if (spec.stride.empty()) return full_block(spec, weight_shape);
  std::vector<int64_t> s(weight_shape.size(), 1);
  for (size_t i = 0; i < spec.stride.size() && i < s.size(); ++i) s[i] = spec.stride[i];
  return s;
}

const std::vector<std::string>& prune_spec_keys() {
  static const std::vector<std::string> kKeys = {
      "method", "block", "stride", "criterion", "sparsity", "quality", "n", "m", "pes", "gates"};
  return kKeys;
}

const std::vector<std::string>& prune_methods() {
  static const std::vector<std::string> kMethods = [] {
    std::vector<std::string> m = {"none"};
    for (const PassInfo& p : prune_passes()) m.emplace_back(p.name);
    return m;
  }();
  return kMethods;
}

Result<BlockCriterion> parse_block_criterion(const std::string& name) {
  for (BlockCriterion c : {BlockCriterion::kMean, BlockCriterion::kMax}) {
    if (name == block_criterion_name(c)) return c;
  }
  return invalid_argument("unknown criterion \"{}\"; known: mean, max", name);
}

PruneSpec PruneSpec::merged(const PruneSpec& o) const {
  PruneSpec base = *this;
  for (const std::string& k : o.given) {
    if (k == "method") base.method = o.method;
    if (k == "block") base.block = o.block;
    if (k == "stride") base.stride = o.stride;
    if (k == "criterion") base.criterion = o.criterion;
    if (k == "sparsity") {
      base.sparsity = o.sparsity;
      base.quality = -1.0;
    }
    if (k == "quality") {
      base.quality = o.quality;
      base.sparsity = -1.0;
    }
    if (k == "n") base.n = o.n;
    if (k == "m") base.m = o.m;
    if (k == "pes") base.pes = o.pes;
    if (k == "gates") base.gates = o.gates;
    base.given.insert(k);
  }
  return base;
}

PruneSpec PruneSpec::resolved() const {
  PruneSpec s = *this;
  if (s.sparsity < 0 && s.quality < 0) s.sparsity = 0.0;
  if (s.method != "block") {
    s.block.clear();
    s.stride.clear();
  }
  return s;
}

std::vector<int64_t> structure_block(const PruneSpec& spec, const Shape& weight_shape) {
  if (spec.method == "block") return full_block(spec, weight_shape);
  return std::vector<int64_t>(weight_shape.size(), 1);
}

PruneStructure prune_structure(const PruneSpec& spec, const Shape& weight_shape) {
  PruneStructure st;
  st.method = spec.method;
  if (spec.method == "block") st.stride = full_stride(spec, weight_shape);
  if (spec.method == "nm") {
    st.n = spec.n;
    st.m = spec.m;
  }
  if (spec.method == "balanced") {
    st.groups = spec.pes;
    st.group_axis = 0;
  }
  return st;
}

namespace {

// The gate blocks `spec.gates` selects, as indices into spec.gate_order, in gate order, and the
// shape [dirs · |gates| · H, I] of the selected rows.
struct GateRows {
  std::vector<int64_t> blocks;
  int64_t dirs = 0, hidden = 0, cols = 0;
  Shape view() const { return {dirs * static_cast<int64_t>(blocks.size()) * hidden, cols}; }
};

Result<GateRows> gate_rows(const PruneSpec& spec, const Shape& shape, const std::string& layer) {
  if (spec.gate_order.empty()) {
    return invalid_argument("layer {}: gates = {} given, but the layer has no gates", layer,
                            fmt::join(spec.gates, ", "));
  }
  std::vector<std::string> unknown;
  for (const std::string& g : spec.gates) {
    if (std::find(spec.gate_order.begin(), spec.gate_order.end(), g) == spec.gate_order.end())
      unknown.push_back(g);
  }
  if (!unknown.empty()) {
    const bool extra = std::any_of(unknown.begin(), unknown.end(), [](const std::string& g) {
      return g == "proj" || g == "peephole";
    });
    return invalid_argument("layer {}: gates = {}: no gate{} {} (its gates: {}){}", layer,
                            fmt::join(spec.gates, ", "), unknown.size() > 1 ? "s" : "",
                            fmt::join(unknown, ", "), fmt::join(spec.gate_order, ", "),
                            extra ? "; the projection W_proj and the peepholes P are not gate "
                                    "rows of W and are never pruned"
                                  : "");
  }
  GateRows gr;
  for (size_t b = 0; b < spec.gate_order.size(); ++b) {
    const auto n = std::count(spec.gates.begin(), spec.gates.end(), spec.gate_order[b]);
    if (n > 1) {
      return invalid_argument("layer {}: gates = {}: gate {} is named twice", layer,
                              fmt::join(spec.gates, ", "), spec.gate_order[b]);
    }
    if (n == 1) gr.blocks.push_back(static_cast<int64_t>(b));
  }
  const int64_t g = static_cast<int64_t>(spec.gate_order.size());
  if (shape.size() != 3 || shape[1] % g != 0 || shape[1] == 0) {
    return invalid_argument("layer {}: gates need a weight [dirs, {} x hidden, input], got {}",
                            layer, g, shape_str(shape));
  }
  gr.dirs = shape[0];
  gr.hidden = shape[1] / g;
  gr.cols = shape[2];
  return gr;
}

}  // namespace

Status validate_prune_spec(const PruneSpec& spec, const Shape& shape, const std::string& layer) {
  const std::string& mth = spec.method;
  if (mth == "none") return ok_status();
  if (!spec.gates.empty()) {
    SIEVE_ASSIGN_OR_RETURN(GateRows gr, gate_rows(spec, shape, layer));
    PruneSpec rest = spec;
    rest.gates.clear();
    return validate_prune_spec(rest, gr.view(), layer);
  }
  if (!find_prune_pass(mth).ok()) {
    return invalid_argument("layer {}: unknown pruning method \"{}\"; known: {}", layer, mth,
                            known_methods());
  }
  const bool has_s = spec.sparsity >= 0.0, has_q = spec.quality >= 0.0;
  if (std::isnan(spec.sparsity) || spec.sparsity > 1.0 || std::isnan(spec.quality)) {
    return invalid_argument("layer {}: sparsity = {} is outside [0, 1]", layer, spec.sparsity);
  }
  if (mth == "magnitude" || mth == "block") {
    if (has_s == has_q) {
      return invalid_argument("layer {}: method {} needs exactly one of sparsity and quality{}",
                              layer, mth, has_s ? " (both given)" : " (neither given)");
    }
  } else if (mth == "nm") {
    if (has_q) return invalid_argument("layer {}: method nm does not take quality", layer);
  } else {
    if (!has_s) return invalid_argument("layer {}: method {} needs sparsity", layer, mth);
    if (has_q) return invalid_argument("layer {}: method {} does not take quality", layer, mth);
  }
  if (shape.empty()) return invalid_argument("layer {}: cannot prune a scalar", layer);
  for (int64_t d : shape) {
    if (d < 1)
      return invalid_argument("layer {}: weight shape {} is empty", layer, shape_str(shape));
  }
  const bool blocky = mth == "block";
  if (blocky && shape.size() > 8) {
    return invalid_argument("layer {}: block pruning supports rank <= 8, the weight is {}", layer,
                            shape_str(shape));
  }
  if (!blocky && (!spec.block.empty() || !spec.stride.empty())) {
    const bool ones =
        std::all_of(spec.block.begin(), spec.block.end(), [](int64_t v) { return v == 1; }) &&
        std::all_of(spec.stride.begin(), spec.stride.end(), [](int64_t v) { return v == 1; });
    if (!ones) {
      return invalid_argument("layer {}: block/stride apply to method block only (method is {})",
                              layer, mth);
    }
  }
  auto check_dims = [&](const std::vector<int64_t>& v, const char* field, bool cap) -> Status {
    if (v.size() > shape.size()) {
      return invalid_argument("layer {}: {} = {} has {} sizes, the weight {} has rank {}", layer,
                              field, fmt::join(v, "x"), v.size(), shape_str(shape), shape.size());
    }
    for (size_t i = 0; i < v.size(); ++i) {
      if (v[i] < 1) {
        return invalid_argument("layer {}: {}[{}] = {} must be >= 1", layer, field, i, v[i]);
      }
      if (cap && v[i] > shape[i]) {
        return invalid_argument(
            "layer {}: {}[{}] = {} exceeds the weight's dimension {} ({} of "
            "{})",
            layer, field, i, v[i], i, shape[i], shape_str(shape));
      }
    }
    return ok_status();
  };
  SIEVE_RETURN_IF_ERROR(check_dims(spec.block, "block", true));
  SIEVE_RETURN_IF_ERROR(check_dims(spec.stride, "stride", false));
  if (mth == "nm" || mth == "channel") {
    if (shape.size() < 2) {
      return invalid_argument("layer {}: method {} needs a weight of rank >= 2, got {}", layer, mth,
                              shape_str(shape));
    }
  }
  if (mth == "nm" && (spec.m < 1 || spec.n < 0 || spec.n > spec.m)) {
    return invalid_argument("layer {}: n:m = {}:{} needs m >= 1 and 0 <= n <= m", layer, spec.n,
                            spec.m);
  }
  if (mth == "balanced" && (spec.pes < 1 || spec.pes > shape[0])) {
    return invalid_argument("layer {}: pes = {} must be in [1, rows = {}]", layer, spec.pes,
                            shape[0]);
  }
  return ok_status();
}

// ---- pruners -------------------------------------------------------------------------------

Result<Tensor> prune_magnitude(const Tensor& weight, const Tensor& mask, const PruneSpec& spec) {
  SIEVE_RETURN_IF_ERROR(check_inputs(weight, mask));
  const int64_t n = weight.numel();
  const float* w = weight.data<float>();
  std::vector<uint8_t> keep = keep_vector(mask, n);
  if (spec.quality >= 0.0) {
    const double thr = spec.quality * masked_std(w, keep);
    for (int64_t i = 0; i < n; ++i) {
      if (std::abs(static_cast<double>(w[i])) < thr) keep[static_cast<size_t>(i)] = 0;
    }
    return to_mask(weight.shape(), keep);
  }
  // Keys (|w| bits, position): non-negative floats order like their bit patterns, so the key
  // order is (magnitude, position), a strict total order: selection is deterministic and
  // nth_element (linear) suffices instead of a sort.
  SIEVE_ASSERT(n < (int64_t{1} << 32), "layer of {} weights is too large", n);
  std::vector<uint64_t> keys;
  keys.reserve(static_cast<size_t>(n));
  int64_t already = 0;
  for (int64_t i = 0; i < n; ++i) {
    if (!keep[static_cast<size_t>(i)]) {
      ++already;
      continue;
    }
    const float a = std::abs(w[i]);
    uint32_t bits = 0;
    std::memcpy(&bits, &a, sizeof bits);
    keys.push_back((uint64_t{bits} << 32) | static_cast<uint64_t>(i));
  }
  const int64_t target = std::max(already, nearest_count(spec.sparsity * static_cast<double>(n)));
  const int64_t extra = std::min<int64_t>(target - already, static_cast<int64_t>(keys.size()));
  if (extra > 0) {
    std::nth_element(keys.begin(), keys.begin() + (extra - 1), keys.end());
    for (int64_t k = 0; k < extra; ++k) {
      keep[static_cast<size_t>(keys[static_cast<size_t>(k)] & 0xffffffffu)] = 0;
    }
  }
  return to_mask(weight.shape(), keep);
}

Result<Tensor> prune_block(const Tensor& weight, const Tensor& mask, const PruneSpec& spec) {
  SIEVE_RETURN_IF_ERROR(check_inputs(weight, mask));
  const Shape& shape = weight.shape();
  const std::vector<int64_t> ones(shape.size(), 1);
  if (full_block(spec, shape) == ones && full_stride(spec, shape) == ones) {
    // Blocks of one weight: the same selection as fine-grained magnitude pruning, faster.
    return prune_magnitude(weight, mask, spec);
  }
  const int64_t n = weight.numel();
  const float* w = weight.data<float>();
  std::vector<uint8_t> keep = keep_vector(mask, n);
  SIEVE_ASSIGN_OR_RETURN(const BlockGrid grid,
                         BlockGrid::make(shape, full_block(spec, shape), full_stride(spec, shape)));

  std::vector<double> score(static_cast<size_t>(grid.blocks()));
  std::vector<int64_t> candidates;
  for (int64_t b = 0; b < grid.blocks(); ++b) {
    double sum = 0.0, mx = 0.0;
    int64_t count = 0, kept = 0;
    grid.for_each_element(b, [&](int64_t i) {
      const double a = keep[static_cast<size_t>(i)] ? std::abs(static_cast<double>(w[i])) : 0.0;
      sum += a;
      mx = std::max(mx, a);
      ++count;
      kept += keep[static_cast<size_t>(i)];
    });
    score[static_cast<size_t>(b)] =
        spec.criterion == BlockCriterion::kMean ? sum / static_cast<double>(count) : mx;
    if (kept > 0) candidates.push_back(b);  // fully pruned blocks are skipped
  }
  auto zero_block = [&](int64_t b) {
    grid.for_each_element(b, [&](int64_t i) { keep[static_cast<size_t>(i)] = 0; });
  };
  if (spec.quality >= 0.0) {
    const double thr = spec.quality * masked_std(w, keep);
    for (int64_t b : candidates) {
      if (score[static_cast<size_t>(b)] < thr) zero_block(b);
    }
    return to_mask(shape, keep);
  }
  int64_t already = 0;
  for (uint8_t k : keep) already += k == 0;
  const std::vector<int64_t> order = ascending(score, candidates);
  prune_nearest(
      order, already, spec.sparsity * static_cast<double>(n),
      [&](int64_t b) {
        int64_t g = 0;
        grid.for_each_element(b, [&](int64_t i) { g += keep[static_cast<size_t>(i)]; });
        return g;
      },
      zero_block);
  return to_mask(shape, keep);
}

Result<Tensor> prune_nm(const Tensor& weight, const Tensor& mask, const PruneSpec& spec) {
  SIEVE_RETURN_IF_ERROR(check_inputs(weight, mask));
  const Shape& shape = weight.shape();
  if (shape.size() < 2) return invalid_argument("nm needs rank >= 2, got {}", shape_str(shape));
  const int64_t rows = shape[0], chans = shape[1];
  const int64_t inner = weight.numel() / (rows * chans);  // kernel positions
  const float* w = weight.data<float>();
  std::vector<uint8_t> keep = keep_vector(mask, weight.numel());
  std::vector<uint8_t> chosen(keep.size(), 0);
  std::vector<int64_t> group;
  for (int64_t r = 0; r < rows; ++r) {
    for (int64_t k = 0; k < inner; ++k) {
      for (int64_t c0 = 0; c0 < chans; c0 += spec.m) {
        group.clear();
        for (int64_t c = c0; c < std::min(chans, c0 + spec.m); ++c) {
          group.push_back((r * chans + c) * inner + k);
        }
        auto mag = [&](int64_t i) { return keep[static_cast<size_t>(i)] ? std::abs(w[i]) : 0.0f; };
        std::stable_sort(group.begin(), group.end(),
                         [&](int64_t a, int64_t b) { return mag(a) > mag(b); });
        const int64_t take = std::min<int64_t>(spec.n, static_cast<int64_t>(group.size()));
        for (int64_t j = 0; j < take; ++j)
          chosen[static_cast<size_t>(group[static_cast<size_t>(j)])] = 1;
      }
    }
  }
  for (size_t i = 0; i < keep.size(); ++i) keep[i] = keep[i] && chosen[i];
  return to_mask(shape, keep);
}

namespace {

// Prunes whole slices: slice_of(i) gives the slice of element i (count slices).
Result<Tensor> prune_slices(const Tensor& weight, const Tensor& mask, const PruneSpec& spec,
                            int64_t slices, const std::function<int64_t(int64_t)>& slice_of) {
  SIEVE_RETURN_IF_ERROR(check_inputs(weight, mask));
  const int64_t n = weight.numel();
  const float* w = weight.data<float>();
  std::vector<uint8_t> keep = keep_vector(mask, n);
  std::vector<double> l1(static_cast<size_t>(slices), 0.0);
  std::vector<int64_t> kept(static_cast<size_t>(slices), 0);
  for (int64_t i = 0; i < n; ++i) {
    const size_t s = static_cast<size_t>(slice_of(i));
    if (keep[static_cast<size_t>(i)]) {
      l1[s] += std::abs(static_cast<double>(w[i]));
      ++kept[s];
    }
  }
  std::vector<int64_t> candidates;
  int64_t already = 0;
  for (int64_t s = 0; s < slices; ++s) {
    if (kept[static_cast<size_t>(s)] > 0) {
      candidates.push_back(s);
    } else {
      ++already;
    }
  }
  const int64_t target =
      std::max(already, nearest_count(spec.sparsity * static_cast<double>(slices)));
  const std::vector<int64_t> order = ascending(l1, candidates);
  std::vector<uint8_t> drop(static_cast<size_t>(slices), 0);
  for (int64_t k = 0; k < target - already && k < static_cast<int64_t>(order.size()); ++k) {
    drop[static_cast<size_t>(order[static_cast<size_t>(k)])] = 1;
  }
  for (int64_t i = 0; i < n; ++i) {
    if (drop[static_cast<size_t>(slice_of(i))]) keep[static_cast<size_t>(i)] = 0;
  }
  return to_mask(weight.shape(), keep);
}

}  // namespace

Result<Tensor> prune_filter(const Tensor& weight, const Tensor& mask, const PruneSpec& spec) {
  const int64_t rows = weight.shape().empty() ? 1 : weight.shape()[0];
  const int64_t cols = weight.numel() / std::max<int64_t>(rows, 1);
  return prune_slices(weight, mask, spec, rows, [cols](int64_t i) { return i / cols; });
}

Result<Tensor> prune_channel(const Tensor& weight, const Tensor& mask, const PruneSpec& spec) {
  const Shape& shape = weight.shape();
  if (shape.size() < 2) {
    return invalid_argument("channel pruning needs rank >= 2, got {}", shape_str(shape));
  }
  const int64_t chans = shape[1];
  const int64_t inner = weight.numel() / (shape[0] * chans);
  return prune_slices(weight, mask, spec, chans,
                      [chans, inner](int64_t i) { return (i / inner) % chans; });
}

Result<Tensor> prune_balanced(const Tensor& weight, const Tensor& mask, const PruneSpec& spec) {
  SIEVE_RETURN_IF_ERROR(check_inputs(weight, mask));
  const Shape& shape = weight.shape();
  const int64_t n = weight.numel();
  const int64_t rows = shape.empty() ? 1 : shape[0];
  const int64_t cols = n / std::max<int64_t>(rows, 1);
  const int64_t pes = spec.pes;
  if (pes < 1 || pes > rows) {
    return invalid_argument("pes = {} must be in [1, rows = {}]", pes, rows);
  }
  const float* w = weight.data<float>();
  std::vector<uint8_t> keep = keep_vector(mask, n);
  // Keys of the still-kept elements per PE: (|w| bits, inverted position), so that in
  // ascending key order the smallest magnitudes come first and, among equal magnitudes, the
  // higher positions: pruning a prefix keeps the largest, lower positions winning ties.
  SIEVE_ASSERT(n < (int64_t{1} << 32), "layer of {} weights is too large", n);
  std::vector<std::vector<uint64_t>> pe(static_cast<size_t>(pes));
  for (int64_t r = 0; r < rows; ++r) {
    auto& v = pe[static_cast<size_t>(r % pes)];
    for (int64_t c = 0; c < cols; ++c) {
      const int64_t i = r * cols + c;
      if (!keep[static_cast<size_t>(i)]) continue;
      const float a = std::abs(w[i]);
      uint32_t bits = 0;
      std::memcpy(&bits, &a, sizeof bits);
      v.push_back((uint64_t{bits} << 32) | (0xffffffffu - static_cast<uint64_t>(i)));
    }
  }
  const double want = (1.0 - spec.sparsity) * static_cast<double>(n) / static_cast<double>(pes);
  int64_t k = static_cast<int64_t>(std::floor(want + 0.5));
  for (const auto& v : pe) k = std::min<int64_t>(k, static_cast<int64_t>(v.size()));
  k = std::max<int64_t>(k, 0);
  for (auto& v : pe) {
    const size_t drop = v.size() - static_cast<size_t>(k);
    if (drop == 0) continue;
    std::nth_element(v.begin(), v.begin() + static_cast<std::ptrdiff_t>(drop - 1), v.end());
    for (size_t j = 0; j < drop; ++j) {
      keep[static_cast<size_t>(0xffffffffu - (v[j] & 0xffffffffu))] = 0;
    }
  }
  return to_mask(shape, keep);
}

// ---- registry and helpers -----------------------------------------------------------------

const std::vector<PassInfo>& prune_passes() {
  static const std::vector<PassInfo> kPasses = {
#define SIEVE_PASS(name, id, fn, desc) PassInfo{#name, id, &fn, desc},
#include "sieve/compress/passes.def"
  };
  return kPasses;
}

Result<PassInfo> find_prune_pass(const std::string& method) {
  for (const PassInfo& p : prune_passes()) {
    if (method == p.name) return p;
  }
  return not_found("unknown pruning method \"{}\"; known: {}", method, known_methods());
}

Result<PassInfo> find_prune_pass(uint8_t id) {
  for (const PassInfo& p : prune_passes()) {
    if (id == p.id) return p;
  }
  return not_found("no pruning method has number {}", id);
}

Result<Tensor> prune(const Tensor& weight, const Tensor& mask, const PruneSpec& spec,
                     const std::string& layer) {
  SIEVE_RETURN_IF_ERROR(validate_prune_spec(spec, weight.shape(), layer));
  if (spec.method == "none") return mask;
  if (!spec.gates.empty()) {
    // The selected gates' rows as one 2-D matrix, pruned by the spec without gates, then
    // written back; the other rows keep the existing mask.
    SIEVE_RETURN_IF_ERROR(check_inputs(weight, mask));
    SIEVE_ASSIGN_OR_RETURN(GateRows gr, gate_rows(spec, weight.shape(), layer));
    const int64_t g = static_cast<int64_t>(spec.gate_order.size());
    const int64_t block = gr.hidden * gr.cols;  // one gate block of one direction
    std::vector<uint8_t> keep = keep_vector(mask, weight.numel());
    Tensor sub_w(DType::kF32, gr.view());
    Tensor sub_m(DType::kU8, gr.view());
    auto for_each_block = [&](auto&& fn) {
      int64_t k = 0;
      for (int64_t d = 0; d < gr.dirs; ++d)
        for (int64_t b : gr.blocks) fn((d * g + b) * block, (k++) * block);
    };
    for_each_block([&](int64_t from, int64_t to) {
      std::copy_n(weight.data<float>() + from, block, sub_w.data<float>() + to);
      std::copy_n(keep.data() + from, block, sub_m.data<uint8_t>() + to);
    });
    PruneSpec rest = spec;
    rest.gates.clear();
    Result<Tensor> sub = prune(sub_w, sub_m, rest, layer);
    if (!sub.ok()) return sub.status();
    for_each_block([&](int64_t from, int64_t to) {
      std::copy_n(sub->data<uint8_t>() + to, block, keep.data() + from);
    });
    return to_mask(weight.shape(), keep);
  }
  SIEVE_ASSIGN_OR_RETURN(PassInfo pass, find_prune_pass(spec.method));
  Result<Tensor> r = pass.fn(weight, mask, spec);
  if (!r.ok()) return r.status().with_context("layer " + layer);
  return r;
}

double mask_sparsity(const Tensor& mask) {
  if (mask.empty() || mask.numel() == 0) return 0.0;
  int64_t zeros = 0;
  for (uint8_t m : mask.span<uint8_t>()) zeros += m == 0;
  return static_cast<double>(zeros) / static_cast<double>(mask.numel());
}

void apply_mask(Tensor& weight, const Tensor& mask) {
  if (mask.empty()) return;
  SIEVE_ASSERT(weight.numel() == mask.numel(), "mask {} does not match weight {}",
               shape_str(mask.shape()), shape_str(weight.shape()));
  float* w = weight.data<float>();
  const uint8_t* m = mask.data<uint8_t>();
  for (int64_t i = 0; i < weight.numel(); ++i) {
    if (!m[i]) w[i] = 0.0f;
  }
}

}  // namespace sieve::compress
