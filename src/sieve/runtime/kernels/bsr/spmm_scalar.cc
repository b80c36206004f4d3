// The portable path: any block shape, any bits, any n, on the x86-64 baseline (what the
// compiler makes of these loops with SSE2). Each kept block is decoded through a table look-up
// into fp32 once, then multiplied into the rows of y.
#include <algorithm>
#include <vector>

#include "sieve/runtime/kernels/bsr/internal.h"

namespace sieve::runtime::kernels::bsr::detail {

void spmm_scalar(const BsrWeights& w, const float* x, int64_t n, float* y, int64_t b0, int64_t b1) {
  std::vector<float> blk(static_cast<size_t>(w.br * w.bc));
  for (int64_t bi = b0; bi < b1; ++bi) {
    const int64_t r0 = bi * w.br, rh = std::min(w.br, w.rows - r0);
    for (int64_t r = 0; r < rh; ++r) {
      float* yr = y + (r0 + r) * n;
      const float b = w.bias.empty() ? 0.0f : w.bias[static_cast<size_t>(r0 + r)];
      std::fill(yr, yr + n, b);
    }
    for (int64_t k = w.row_ptr[static_cast<size_t>(bi)]; k < w.row_ptr[static_cast<size_t>(bi + 1)];
         ++k) {
      decode_block_scalar(w, k, blk.data());
      const int64_t c0 = int64_t{w.col_blk[static_cast<size_t>(k)]} * w.bc;
      const int64_t cw = std::min(w.bc, w.cols - c0);
      for (int64_t r = 0; r < rh; ++r) {
        float* yr = y + (r0 + r) * n;
        for (int64_t c = 0; c < cw; ++c) {
          const float wv = blk[static_cast<size_t>(r * w.bc + c)];
          const float* xr = x + (c0 + c) * n;
          for (int64_t j = 0; j < n; ++j) yr[j] += wv * xr[j];
        }
      }
    }
  }
}

}  // namespace sieve::runtime::kernels::bsr::detail
