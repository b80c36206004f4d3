#include "sieve/runtime/kernels/nm/nm.h"

#include <algorithm>
#include <bit>

namespace sieve::runtime::kernels::nm {

int64_t NmWeights::bytes() const {
  const int bits = m <= 2 ? 1 : static_cast<int>(std::bit_width(static_cast<uint64_t>(m - 1)));
  const int64_t v = static_cast<int64_t>(values.size());
  return v * 4 + (v * bits + 7) / 8 + static_cast<int64_t>(bias.size()) * 4;
}

Result<NmWeights> pack_nm(const NmPackInput& in) {
  if (in.n > in.m) return invalid_argument("n:m = {}:{}: n exceeds m", in.n, in.m);
  if (in.n < 1 || in.m > 256)
    return invalid_argument("n:m = {}:{}: needs 1 <= n <= m <= 256", in.n, in.m);
  if (in.rows < 1 || in.cols < 1)
    return invalid_argument("a {} x {} weight has no rows or columns", in.rows, in.cols);
  if (in.cols % in.m != 0)
    return invalid_argument("m = {} does not divide the row length {}", in.m, in.cols);
  NmWeights w;
  w.rows = in.rows;
  w.cols = in.cols;
  w.n = in.n;
  w.m = in.m;
  const int64_t slots = w.slots_per_row() * w.rows;
  w.values.reserve(static_cast<size_t>(slots));
  w.offsets.reserve(static_cast<size_t>(slots));
  for (int64_t r = 0; r < in.rows; ++r) {
    for (int64_t c0 = 0; c0 < in.cols; c0 += in.m) {
      int64_t kept = 0;
      int64_t last = -1;
      for (int64_t j = 0; j < in.m; ++j) {
        const int64_t i = r * in.cols + c0 + j;
        const bool keep = in.mask != nullptr ? in.mask[i] != 0 : in.dense[i] != 0.0f;
        if (!keep) continue;
        if (++kept > in.n)
          return invalid_argument(
              "row {}, columns {}..{} keep more than {} weights, n:m = {}:{} "
              "allows {}",
              r, c0, c0 + in.m - 1, in.n, in.n, in.m, in.n);
        w.values.push_back(in.dense[i]);
        w.offsets.push_back(static_cast<uint8_t>(j));
        last = j;
      }
      // Pad to n slots with zeros (any offset: they add nothing).
      for (; kept < in.n; ++kept) {
        w.values.push_back(0.0f);
        w.offsets.push_back(static_cast<uint8_t>(last < 0 ? 0 : last));
      }
    }
  }
  if (in.bias != nullptr) w.bias.assign(in.bias, in.bias + in.rows);
  return w;
}

namespace internal {

void spmm_scalar(const NmWeights& w, const float* x, int64_t ncols, float* y, int64_t r0,
                 int64_t r1) {
  const int64_t spr = w.slots_per_row();
  for (int64_t r = r0; r < r1; ++r) {
    float* yr = y + r * ncols;
    const float b = w.bias.empty() ? 0.0f : w.bias[static_cast<size_t>(r)];
    for (int64_t j = 0; j < ncols; ++j) yr[j] = b;
    const float* v = w.values.data() + r * spr;
    const uint8_t* off = w.offsets.data() + r * spr;
    for (int64_t s = 0; s < spr; ++s) {
      const float* xr = x + ((s / w.n) * w.m + off[s]) * ncols;
      for (int64_t j = 0; j < ncols; ++j) yr[j] += v[s] * xr[j];
    }
  }
}

}  // namespace internal

void spmm(const NmWeights& w, const float* x, int64_t ncols, float* y, Isa isa, int64_t r0,
          int64_t r1) {
  r0 = std::max<int64_t>(0, r0);
  r1 = std::min(w.rows, r1);
  if (r1 <= r0) return;
  if (isa == Isa::kScalar) {
    internal::spmm_scalar(w, x, ncols, y, r0, r1);
  } else {
    internal::spmm_avx2(w, x, ncols, y, r0, r1);
  }
}

}  // namespace sieve::runtime::kernels::nm
