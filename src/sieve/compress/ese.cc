#include "sieve/compress/ese.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>

#include "sieve/compress/prune/prune.h"

namespace sieve::compress {

namespace {

size_t sz(int64_t v) {
  return static_cast<size_t>(v);
}

Status check_view(std::span<const uint8_t> keep, int64_t rows, int64_t cols, int64_t pes) {
  if (rows < 1 || cols < 1 || static_cast<int64_t>(keep.size()) != rows * cols)
    return invalid_argument("a {} x {} matrix view needs {} mask entries, got {}", rows, cols,
                            rows * cols, keep.size());
  if (pes < 1 || pes > rows)
    return invalid_argument("pes = {} must be in [1, rows = {}]", pes, rows);
  return ok_status();
}

// The 2-D view [4H, cols] of an LSTM gate matrix [1, 4H, cols].
Shape view_2d(const Tensor& t) {
  const Shape& s = t.shape();
  return {t.numel() / s.back(), s.back()};
}

}  // namespace

Result<PeLoad> pe_load(std::span<const uint8_t> keep, int64_t rows, int64_t cols, int64_t pes) {
  SIEVE_RETURN_IF_ERROR(check_view(keep, rows, cols, pes));
  PeLoad l;
  l.nonzeros.assign(sz(pes), 0);
  for (int64_t r = 0; r < rows; ++r) {
    int64_t n = 0;
    for (int64_t c = 0; c < cols; ++c) n += keep[sz(r * cols + c)] != 0;
    l.nonzeros[sz(r % pes)] += n;
  }
  int64_t total = 0;
  for (int64_t n : l.nonzeros) {
    total += n;
    l.worst = std::max(l.worst, n);
  }
  l.mean = static_cast<double>(total) / static_cast<double>(pes);
  l.imbalance = total == 0 ? 1.0 : static_cast<double>(l.worst) / l.mean;
  return l;
}

Result<RelativeIndexCount> relative_index_count(std::span<const uint8_t> keep, int64_t rows,
                                                int64_t cols, int64_t pes, int index_bits) {
  SIEVE_RETURN_IF_ERROR(check_view(keep, rows, cols, pes));
  if (index_bits < 1 || index_bits > 16)
    return invalid_argument("index bits = {} must be in [1, 16]", index_bits);
  const int64_t span = int64_t{1} << index_bits;  // positions one padding entry covers
  RelativeIndexCount out;
  for (int64_t p = 0; p < pes; ++p) {
    int64_t zeros = 0;  // since the previous stored entry of this PE's stream
    for (int64_t c = 0; c < cols; ++c) {
      for (int64_t r = p; r < rows; r += pes) {
        if (keep[sz(r * cols + c)] == 0) {
          ++zeros;
          continue;
        }
        out.padding += zeros / span;
        ++out.nonzeros;
        zeros = 0;
      }
    }
  }
  return out;
}

Result<float> quantize_linear(std::span<float> values, int bits) {
  if (bits < 2 || bits > 16) return invalid_argument("weight bits = {} must be in [2, 16]", bits);
  float max_abs = 0.0f;
  for (float v : values) max_abs = std::max(max_abs, std::fabs(v));
  if (max_abs == 0.0f) return 0.0f;
  const float levels = static_cast<float>((1 << (bits - 1)) - 1);
  const float step = max_abs / levels;
  for (float& v : values) v = std::clamp(std::nearbyint(v / step), -levels, levels) * step;
  return step;
}

const char* lstm_prune_method_name(LstmPruneMethod m) {
  switch (m) {
    case LstmPruneMethod::kNone: return "none";
    case LstmPruneMethod::kUnbalanced: return "unbalanced";
    case LstmPruneMethod::kBalanced: return "balanced";
  }
  return "?";
}

Result<LstmPruneMethod> parse_lstm_prune_method(const std::string& name) {
  for (LstmPruneMethod m :
       {LstmPruneMethod::kNone, LstmPruneMethod::kUnbalanced, LstmPruneMethod::kBalanced})
    if (name == lstm_prune_method_name(m)) return m;
  return invalid_argument("unknown pruning \"{}\"; known: none, unbalanced, balanced", name);
}

std::vector<const uint8_t*> LstmMasks::per_parameter() const {
  std::vector<const uint8_t*> out(5, nullptr);
  if (!w.empty()) out[train::LstmClassifier::kW] = w.data<uint8_t>();
  if (!r.empty()) out[train::LstmClassifier::kR] = r.data<uint8_t>();
  return out;
}

Result<LstmMasks> prune_lstm(train::LstmClassifier& model, LstmPruneMethod method, double density,
                             int64_t pes, const LstmMasks& existing) {
  if (!(density > 0.0 && density <= 1.0))
    return invalid_argument("density = {} must be in (0, 1]", density);
  const int64_t rows = 4 * model.shape().hidden;
  if (pes < 1 || pes > rows)
    return invalid_argument("pes = {} must be in [1, {}] (the 4H rows of W and R)", pes, rows);
  if (method == LstmPruneMethod::kNone) return LstmMasks{};
  PruneSpec spec;
  spec.method = method == LstmPruneMethod::kBalanced ? "balanced" : "magnitude";
  spec.sparsity = 1.0 - density;
  spec.pes = pes;
  LstmMasks out;
  for (size_t k : {size_t{train::LstmClassifier::kW}, size_t{train::LstmClassifier::kR}}) {
    train::Parameter& p = model.parameters()[k];
    const Tensor& old = k == train::LstmClassifier::kW ? existing.w : existing.r;
    const Shape view = view_2d(p.value);
    Tensor w2 = p.value.reshaped(view);
    Tensor m2 = old.empty() ? Tensor() : old.reshaped(view);
    SIEVE_ASSIGN_OR_RETURN(Tensor mask, prune(w2, m2, spec, p.name));
    mask = mask.reshaped(p.value.shape());
    apply_mask(p.value, mask);
    (k == train::LstmClassifier::kW ? out.w : out.r) = std::move(mask);
  }
  return out;
}

Result<LstmCompression> lstm_compression(const train::LstmClassifier& model, const LstmMasks& masks,
                                         int64_t pes, int weight_bits, int index_bits) {
  if (weight_bits < 1 || weight_bits > 32)
    return invalid_argument("weight bits = {} must be in [1, 32]", weight_bits);
  LstmCompression c;
  for (size_t k : {size_t{train::LstmClassifier::kW}, size_t{train::LstmClassifier::kR}}) {
    const train::Parameter& p = model.parameters()[k];
    const Tensor& mask = k == train::LstmClassifier::kW ? masks.w : masks.r;
    LstmMatrixStats s;
    s.name.assign(1, k == train::LstmClassifier::kW ? 'W' : 'R');
    const Shape view = view_2d(p.value);
    s.rows = view[0];
    s.cols = view[1];
    std::vector<uint8_t> dense_keep;
    std::span<const uint8_t> keep;
    if (mask.empty()) {
      dense_keep.assign(sz(p.value.numel()), 1);
      keep = dense_keep;
    } else {
      if (mask.numel() != p.value.numel())
        return invalid_argument("mask of {} has {} entries, the weight {}", p.name, mask.numel(),
                                p.value.numel());
      keep = mask.span<uint8_t>();
    }
    SIEVE_ASSIGN_OR_RETURN(s.load, pe_load(keep, s.rows, s.cols, pes));
    SIEVE_ASSIGN_OR_RETURN(s.storage, relative_index_count(keep, s.rows, s.cols, pes, index_bits));
    s.density = static_cast<double>(s.storage.nonzeros) / static_cast<double>(p.value.numel());
    c.dense_bits += 32 * p.value.numel();
    c.compressed_bits += mask.empty() ? int64_t{weight_bits} * p.value.numel()
                                      : s.storage.bits(weight_bits, index_bits);
    c.matrices.push_back(std::move(s));
  }
  c.ratio = c.compressed_bits > 0
                ? static_cast<double>(c.dense_bits) / static_cast<double>(c.compressed_bits)
                : 0.0;
  return c;
}

Status quantize_lstm(train::LstmClassifier& model, int bits) {
  for (size_t k : {size_t{train::LstmClassifier::kW}, size_t{train::LstmClassifier::kR}}) {
    Result<float> step = quantize_linear(model.parameters()[k].value.span<float>(), bits);
    if (!step.ok()) return step.status();
  }
  return ok_status();
}

}  // namespace sieve::compress
