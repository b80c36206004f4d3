#include "sieve/compress/irregularity.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <random>

extern "C" {
#include <jbig.h>
}

namespace sieve::compress {

namespace {

void append_bytes(unsigned char* start, size_t len, void* file) {
  static_cast<std::string*>(file)->append(reinterpret_cast<const char*>(start), len);
}

// Rows of the image of a mask: dim 0 (the 2-D view of compress/model.h), except a rank-3
// recurrent weight [directions, gates·hidden, in], whose rows are directions·gates·hidden.
int64_t view_rows(const Shape& s) {
  if (s.size() < 2) return 1;
  if (s.size() == 3) return s[0] * s[1];
  return s[0];
}

}  // namespace

Result<std::string> jbig_encode(const uint8_t* pixels, int64_t rows, int64_t cols) {
  if (rows <= 0 || cols <= 0) {
    return invalid_argument("jbig: image of {} x {} pixels is empty", rows, cols);
  }
  // T.82 limits: 32-bit width/height (libjbig takes unsigned long; keep well inside).
  if (rows > std::numeric_limits<int32_t>::max() || cols > std::numeric_limits<int32_t>::max()) {
    return invalid_argument("jbig: image of {} x {} pixels is too large", rows, cols);
  }
  // PBM-style plane: rows of ceil(cols/8) bytes, most significant bit first, 1 = black.
  const int64_t stride = (cols + 7) / 8;
  std::vector<unsigned char> plane(static_cast<size_t>(stride * rows), 0);
  for (int64_t r = 0; r < rows; ++r) {
    unsigned char* line = plane.data() + r * stride;
    const uint8_t* px = pixels + r * cols;
    for (int64_t c = 0; c < cols; ++c) {
      if (px[c] != 0) line[c >> 3] |= static_cast<unsigned char>(0x80u >> (c & 7));
    }
  }
  std::string out;
  unsigned char* planes[1] = {plane.data()};
  jbg_enc_state s;
  // Library defaults: sequential coding, one resolution layer (as `pbmtojbg -q`).
  jbg_enc_init(&s, static_cast<unsigned long>(cols), static_cast<unsigned long>(rows), 1, planes,
               append_bytes, &out);
  jbg_enc_out(&s);
  jbg_enc_free(&s);
  return out;
}

Result<int64_t> jbig_bytes(const Tensor& mask) {
  if (mask.empty() || mask.numel() == 0) return invalid_argument("jbig: the mask is empty");
  if (mask.dtype() != DType::kU8) {
    return invalid_argument("jbig: the mask is {}, expected u8", dtype_name(mask.dtype()));
  }
  const int64_t rows = view_rows(mask.shape());
  SIEVE_ASSIGN_OR_RETURN(std::string bie,
                         jbig_encode(mask.data<uint8_t>(), rows, mask.numel() / rows));
  return static_cast<int64_t>(bie.size());
}

Result<int64_t> jbig_bytes(const CompressedLayer& layer) {
  if (!layer.mask.empty()) {
    auto r = jbig_bytes(layer.mask);
    if (!r.ok()) return r.status().with_context(fmt::format("layer '{}'", layer.weight));
    return r;
  }
  if (layer.numel() <= 0) return invalid_argument("layer '{}': empty weight", layer.weight);
  std::vector<uint8_t> ones(static_cast<size_t>(layer.numel()), 1);
  const int64_t rows = view_rows(layer.shape);
  SIEVE_ASSIGN_OR_RETURN(std::string bie, jbig_encode(ones.data(), rows, layer.numel() / rows));
  return static_cast<int64_t>(bie.size());
}

Result<double> r_irr(const std::vector<Tensor>& fine_masks,
                     const std::vector<Tensor>& coarse_masks) {
  if (fine_masks.size() != coarse_masks.size()) {
    return invalid_argument("r_irr: {} fine masks but {} coarse masks", fine_masks.size(),
                            coarse_masks.size());
  }
  if (fine_masks.empty()) return invalid_argument("r_irr: no masks");
  int64_t fine = 0, coarse = 0;
  for (size_t i = 0; i < fine_masks.size(); ++i) {
    if (fine_masks[i].shape() != coarse_masks[i].shape()) {
      return invalid_argument("r_irr: mask {}: fine shape {} differs from coarse shape {}", i,
                              shape_str(fine_masks[i].shape()), shape_str(coarse_masks[i].shape()));
    }
    auto f = jbig_bytes(fine_masks[i]);
    if (!f.ok()) return f.status().with_context(fmt::format("r_irr: fine mask {}", i));
    auto c = jbig_bytes(coarse_masks[i]);
    if (!c.ok()) return c.status().with_context(fmt::format("r_irr: coarse mask {}", i));
    fine += *f;
    coarse += *c;
  }
  return static_cast<double>(fine) / static_cast<double>(coarse);
}

Result<Irregularity> irregularity(const CompressedModel& fine, const CompressedModel& coarse) {
  if (fine.layers.empty()) return invalid_argument("irregularity: the fine model has no layers");
  Irregularity out;
  for (const CompressedLayer& f : fine.layers) {
    const CompressedLayer* c = coarse.find_layer(f.weight);
    if (c == nullptr) {
      return invalid_argument("irregularity: layer '{}' of the fine model is not in the coarse one",
                              f.weight);
    }
    if (c->shape != f.shape) {
      return invalid_argument("irregularity: layer '{}': fine shape {} differs from coarse {}",
                              f.weight, shape_str(f.shape), shape_str(c->shape));
    }
    IrregularityLayer l{.weight = f.weight};
    SIEVE_ASSIGN_OR_RETURN(l.fine_bytes, jbig_bytes(f));
    SIEVE_ASSIGN_OR_RETURN(l.coarse_bytes, jbig_bytes(*c));
    out.fine_bytes += l.fine_bytes;
    out.coarse_bytes += l.coarse_bytes;
    out.layers.push_back(std::move(l));
  }
  out.r_irr = static_cast<double>(out.fine_bytes) / static_cast<double>(out.coarse_bytes);
  return out;
}

Shape local_convergence_view(const Shape& shape) {
  if (shape.size() == 4) return shape;
  const int64_t n = shape_numel(shape);
  const int64_t last = shape.empty() ? 1 : shape.back();
  return {last == 0 ? 0 : n / last, last};
}

std::vector<int64_t> default_window(const Shape& shape) {
  if (shape.size() == 4) return {2, 2, 2, 2};
  return {4, 4};
}

Result<LocalConvergence> local_convergence(const Tensor& weight,
                                           const LocalConvergenceOptions& opts) {
  if (weight.empty() || weight.numel() == 0) {
    return invalid_argument("local convergence: the weight is empty");
  }
  if (weight.dtype() != DType::kF32) {
    return invalid_argument("local convergence: the weight is {}, expected f32",
                            dtype_name(weight.dtype()));
  }
  if (!(opts.percentile >= 0 && opts.percentile < 100)) {
    return invalid_argument("local convergence: percentile {} outside [0, 100)", opts.percentile);
  }
  if (opts.stride < 1) return invalid_argument("local convergence: stride {} < 1", opts.stride);
  LocalConvergence out;
  out.view = local_convergence_view(weight.shape());
  out.window = opts.window.empty() ? default_window(weight.shape()) : opts.window;
  if (out.window.size() != out.view.size()) {
    return invalid_argument("local convergence: window has {} dimensions, the weight view {} ({})",
                            out.window.size(), out.view.size(), shape_str(out.view));
  }
  out.window_size = 1;
  for (size_t d = 0; d < out.window.size(); ++d) {
    if (out.window[d] < 1) {
      return invalid_argument("local convergence: window extent {} < 1", out.window[d]);
    }
    out.window[d] = std::min(out.window[d], out.view[d]);
    out.window_size *= out.window[d];
  }

  // Threshold: the percentile of |w| by the nearest-rank method (the ceil(p/100·n)-th
  // smallest); large = strictly above it, so at most (100 − p) % of the weights are large.
  const std::span<const float> w = weight.span<float>();
  std::vector<float> mag(w.size());
  for (size_t i = 0; i < w.size(); ++i) mag[i] = std::fabs(w[i]);
  std::vector<float> sorted = mag;
  const double pos = std::ceil(opts.percentile / 100.0 * static_cast<double>(sorted.size()));
  const size_t rank = static_cast<size_t>(std::max(1.0, pos)) - 1;
  std::nth_element(sorted.begin(), sorted.begin() + static_cast<std::ptrdiff_t>(rank),
                   sorted.end());
  out.threshold = sorted[rank];

  // Indicator, then a separable box sum of width window[d] along each dimension in turn; the
  // result holds the large count of every window position (stride 1), subsampled by stride.
  std::vector<int32_t> cur(mag.size());
  for (size_t i = 0; i < mag.size(); ++i) {
    cur[i] = mag[i] > out.threshold ? 1 : 0;
    out.large += cur[i];
  }
  Shape dims = out.view;
  for (size_t d = 0; d < dims.size(); ++d) {
    const int64_t n = dims[d], k = out.window[d], m = n - k + 1;
    int64_t outer = 1, inner = 1;
    for (size_t e = 0; e < d; ++e) outer *= dims[e];
    for (size_t e = d + 1; e < dims.size(); ++e) inner *= dims[e];
    std::vector<int32_t> next(static_cast<size_t>(outer * m * inner));
    for (int64_t o = 0; o < outer; ++o) {
      for (int64_t in = 0; in < inner; ++in) {
        const int32_t* src = cur.data() + o * n * inner + in;
        int32_t* dst = next.data() + o * m * inner + in;
        int32_t s = 0;
        for (int64_t j = 0; j < k; ++j) s += src[j * inner];
        dst[0] = s;
        for (int64_t j = 1; j < m; ++j) {
          s += src[(j + k - 1) * inner] - src[(j - 1) * inner];
          dst[j * inner] = s;
        }
      }
    }
    cur.swap(next);
    dims[d] = m;
  }
  out.histogram.assign(static_cast<size_t>(out.window_size + 1), 0);
  // Visit positions whose every coordinate is a multiple of the stride.
  const int64_t total = shape_numel(dims);
  for (int64_t flat = 0; flat < total; ++flat) {
    bool on_grid = true;
    int64_t rem = flat;
    for (size_t d = dims.size(); d-- > 0;) {
      if ((rem % dims[d]) % opts.stride != 0) {
        on_grid = false;
        break;
      }
      rem /= dims[d];
    }
    if (!on_grid) continue;
    const int32_t c = cur[static_cast<size_t>(flat)];
    ++out.histogram[static_cast<size_t>(c)];
    ++out.windows;
    out.max_large = std::max<int64_t>(out.max_large, c);
  }
  return out;
}

Tensor random_init_like(const Shape& shape, uint64_t seed) {
  Tensor t(DType::kF32, shape);
  const int64_t rows = view_rows(shape);
  const int64_t n = shape_numel(shape);
  const int64_t fan_in = rows == 0 ? 0 : n / rows;
  const int64_t fan_out = shape.size() == 4 ? shape[0] * shape[2] * shape[3] : rows;
  const double a = std::sqrt(6.0 / static_cast<double>(std::max<int64_t>(1, fan_in + fan_out)));
  std::mt19937_64 rng(seed);
  std::uniform_real_distribution<double> u(-a, a);
  for (float& v : t.span<float>()) v = static_cast<float>(u(rng));
  return t;
}

}  // namespace sieve::compress
