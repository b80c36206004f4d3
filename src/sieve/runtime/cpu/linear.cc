// The dense Linear (OpenBLAS) and the block view of a compressed layer.
#include "sieve/runtime/cpu/linear.h"

#include <cblas.h>

#include <algorithm>
#include <utility>

#include "sieve/runtime/kernels/blas/blas.h"

namespace sieve::runtime::cpu {

namespace {

// bias + relu over rows [r0, r1) of y, row r's n values at y + r * ld (cols form) ...
void epilogue_cols(float* y, int64_t n, int64_t r0, int64_t r1, const std::vector<float>& bias,
                   bool relu) {
  if (bias.empty() && !relu) return;
  for (int64_t r = r0; r < r1; ++r) {
    float* row = y + r * n;
    const float b = bias.empty() ? 0.0f : bias[static_cast<size_t>(r)];
    if (relu) {
      for (int64_t j = 0; j < n; ++j) row[j] = std::max(row[j] + b, 0.0f);
    } else {
      for (int64_t j = 0; j < n; ++j) row[j] += b;
    }
  }
}

// ... and over columns [r0, r1) of the n rows of Y (rows form).
void epilogue_rows(float* y, int64_t n, int64_t ldy, int64_t r0, int64_t r1,
                   const std::vector<float>& bias, bool relu) {
  if (bias.empty() && !relu) return;
  for (int64_t j = 0; j < n; ++j) {
    float* row = y + j * ldy;
    for (int64_t r = r0; r < r1; ++r) {
      const float v = row[r] + (bias.empty() ? 0.0f : bias[static_cast<size_t>(r)]);
      row[r] = relu ? std::max(v, 0.0f) : v;
    }
  }
}

class DenseLinear final : public Linear {
 public:
  explicit DenseLinear(LinearSource src) : w_(std::move(src.dense)), bias_(std::move(src.bias)) {
    rows_ = src.rows;
    cols_ = src.cols;
  }

  void cols_form(const float* x, int64_t n, float* y, int64_t r0, int64_t r1,
                 bool relu) const override {
    if (r1 <= r0 || n <= 0) return;
    const float* w = w_.data() + r0 * cols_;
    if (n == 1) {
      cblas_sgemv(CblasRowMajor, CblasNoTrans, static_cast<int>(r1 - r0), static_cast<int>(cols_),
                  1.0f, w, static_cast<int>(cols_), x, 1, 0.0f, y + r0, 1);
    } else {
      blas::sgemm(blas::Trans::kNo, blas::Trans::kNo, static_cast<int>(r1 - r0),
                  static_cast<int>(n), static_cast<int>(cols_), 1.0f, w, static_cast<int>(cols_),
                  x, static_cast<int>(n), 0.0f, y + r0 * n, static_cast<int>(n));
    }
    epilogue_cols(y, n, r0, r1, bias_, relu);
  }

  void rows_form(const float* x, int64_t n, float* y, int64_t ldy, int64_t r0, int64_t r1,
                 bool relu, float* /*scratch*/) const override {
    if (r1 <= r0 || n <= 0) return;
    const float* w = w_.data() + r0 * cols_;
    if (n == 1) {
      cblas_sgemv(CblasRowMajor, CblasNoTrans, static_cast<int>(r1 - r0), static_cast<int>(cols_),
                  1.0f, w, static_cast<int>(cols_), x, 1, 0.0f, y + r0, 1);
    } else {
      blas::sgemm(blas::Trans::kNo, blas::Trans::kYes, static_cast<int>(n),
                  static_cast<int>(r1 - r0), static_cast<int>(cols_), 1.0f, x,
                  static_cast<int>(cols_), w, static_cast<int>(cols_), 0.0f, y + r0,
                  static_cast<int>(ldy));
    }
    epilogue_rows(y, n, ldy, r0, r1, bias_, relu);
  }

  int64_t row_granule() const override { return 16; }
  std::string kind() const override { return "dense"; }
  int64_t bytes() const override {
    return static_cast<int64_t>((w_.size() + bias_.size()) * sizeof(float));
  }

 private:
  std::vector<float> w_;
  std::vector<float> bias_;
};

}  // namespace

std::unique_ptr<Linear> make_dense_linear(LinearSource src) {
  return std::make_unique<DenseLinear>(std::move(src));
}

BlockView block_view(const compress::CompressedLayer& layer) {
  const Shape& s = layer.shape;
  const std::string& method = layer.structure.method;
  const int64_t rows = layer.rows(), cols = layer.cols();
  if (method == "filter") return {1, std::max<int64_t>(cols, 1)};
  if (method == "channel" && s.size() >= 2 && s[1] > 0) return {std::max<int64_t>(rows, 1), cols / s[1]};
  const bool tiled = layer.structure.stride.empty() || layer.structure.stride == layer.block;
  const bool coarse = std::any_of(layer.block.begin(), layer.block.end(),
                                  [](int64_t b) { return b > 1; });
  const bool blocky = coarse && (method == "block" || method.empty());
  if (blocky && tiled && layer.block.size() == s.size() && !s.empty()) {
    BlockView v;
    v.br = std::clamp<int64_t>(layer.block[0], 1, std::max<int64_t>(rows, 1));
    v.bc = 1;
    for (size_t d = s.size(); d-- > 1;) {
      v.bc *= std::clamp<int64_t>(layer.block[d], 1, s[d]);
      if (layer.block[d] < s[d]) break;
    }
    return v;
  }
  return {std::min<int64_t>(16, std::max<int64_t>(rows, 1)), 1};
}

void Linear::cols_form_u8(const uint8_t*, kernels::bsr::ActQuant, int64_t, float*, int64_t,
                          int64_t, bool) const {
  SIEVE_ASSERT(false, "cols_form_u8 on a {} layer: only the int8 route has it", kind());
}

}  // namespace sieve::runtime::cpu
