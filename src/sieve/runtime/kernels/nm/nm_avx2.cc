// The AVX2 + FMA paths of nm.h (compiled with -mavx2 -mfma).
#include <immintrin.h>

#include <algorithm>

#include "sieve/runtime/kernels/nm/nm.h"

namespace sieve::runtime::kernels::nm::internal {
namespace {

float hsum(__m256 v) {
  __m128 s = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
  s = _mm_add_ps(s, _mm_movehl_ps(s, s));
  s = _mm_add_ss(s, _mm_shuffle_ps(s, s, 1));
  return _mm_cvtss_f32(s);
}

// n == 1 and n | 8: eight slots at a time. Their columns lie in (8 / n) groups; when those
// span 16 columns (2:4, 1:2, 4:8) x is read as two contiguous 8-float vectors and each slot's
// value picked by an in-register permute (the operand selection of the sparse tensor core);
// otherwise x is gathered at the slots' columns.
void gemv(const NmWeights& w, const float* x, float* y, int64_t r0, int64_t r1) {
  const int64_t spr = w.slots_per_row();
  const int per = static_cast<int>(w.n);
  // Column of slot i of a block of 8, relative to the block's first group: (i / n)·m.
  alignas(32) int32_t base[8];
  for (int i = 0; i < 8; ++i) base[i] = static_cast<int32_t>((i / per) * w.m);
  const __m256i vbase = _mm256_load_si256(reinterpret_cast<const __m256i*>(base));
  const int64_t span = (8 / w.n) * w.m;  // columns one block of 8 slots covers
  const bool permute = span == 16;
  const __m256i seven = _mm256_set1_epi32(7);
  for (int64_t r = r0; r < r1; ++r) {
    const float* v = w.values.data() + r * spr;
    const uint8_t* off = w.offsets.data() + r * spr;
    __m256 acc = _mm256_setzero_ps();
    int64_t s = 0;
    for (int64_t c0 = 0; s + 8 <= spr; s += 8, c0 += span) {
      const __m256i o =
          _mm256_cvtepu8_epi32(_mm_loadl_epi64(reinterpret_cast<const __m128i*>(off + s)));
      const __m256i col = _mm256_add_epi32(vbase, o);  // 0..span-1
      __m256 xv;
      if (permute) {
        const __m256 lo = _mm256_permutevar8x32_ps(_mm256_loadu_ps(x + c0), col);
        const __m256 hi =
            _mm256_permutevar8x32_ps(_mm256_loadu_ps(x + c0 + 8), _mm256_and_si256(col, seven));
        xv = _mm256_blendv_ps(lo, hi, _mm256_castsi256_ps(_mm256_cmpgt_epi32(col, seven)));
      } else {
        xv = _mm256_i32gather_ps(x + c0, col, 4);
      }
      acc = _mm256_fmadd_ps(_mm256_loadu_ps(v + s), xv, acc);
    }
    float sum = hsum(acc);
    for (; s < spr; ++s) sum += v[s] * x[(s / w.n) * w.m + off[s]];
    y[r] = (w.bias.empty() ? 0.0f : w.bias[static_cast<size_t>(r)]) + sum;
  }
}

}  // namespace

void spmm_avx2(const NmWeights& w, const float* x, int64_t ncols, float* y, int64_t r0,
               int64_t r1) {
  if (ncols == 1 && 8 % w.n == 0) {
    gemv(w, x, y, r0, r1);
    return;
  }
  if (ncols < 8) {
    spmm_scalar(w, x, ncols, y, r0, r1);
    return;
  }
  const int64_t spr = w.slots_per_row();
  // Panels of 64 columns of x (K x 64 floats stay in L2 while every row runs over them), then
  // per row 32 columns at a time (four accumulators), then 8, then a scalar tail.
  constexpr int64_t kPanel = 64;
  for (int64_t p0 = 0; p0 < ncols; p0 += kPanel) {
    const int64_t p1 = std::min(ncols, p0 + kPanel);
    for (int64_t r = r0; r < r1; ++r) {
      float* yr = y + r * ncols;
      const float b = w.bias.empty() ? 0.0f : w.bias[static_cast<size_t>(r)];
      const float* v = w.values.data() + r * spr;
      const uint8_t* off = w.offsets.data() + r * spr;
      int64_t j = p0;
      for (; j + 32 <= p1; j += 32) {
        __m256 a0 = _mm256_set1_ps(b), a1 = a0, a2 = a0, a3 = a0;
        const float* xj = x + j;
        for (int64_t g = 0, s = 0; s < spr; ++g) {
          const float* xg = xj + g * w.m * ncols;
          for (int64_t e = 0; e < w.n; ++e, ++s) {
            const float* xr = xg + off[s] * ncols;
            const __m256 vv = _mm256_set1_ps(v[s]);
            a0 = _mm256_fmadd_ps(vv, _mm256_loadu_ps(xr), a0);
            a1 = _mm256_fmadd_ps(vv, _mm256_loadu_ps(xr + 8), a1);
            a2 = _mm256_fmadd_ps(vv, _mm256_loadu_ps(xr + 16), a2);
            a3 = _mm256_fmadd_ps(vv, _mm256_loadu_ps(xr + 24), a3);
          }
        }
        _mm256_storeu_ps(yr + j, a0);
        _mm256_storeu_ps(yr + j + 8, a1);
        _mm256_storeu_ps(yr + j + 16, a2);
        _mm256_storeu_ps(yr + j + 24, a3);
      }
      for (; j + 8 <= p1; j += 8) {
        __m256 a = _mm256_set1_ps(b);
        for (int64_t s = 0; s < spr; ++s)
          a = _mm256_fmadd_ps(_mm256_set1_ps(v[s]),
                              _mm256_loadu_ps(x + ((s / w.n) * w.m + off[s]) * ncols + j), a);
        _mm256_storeu_ps(yr + j, a);
      }
      for (; j < p1; ++j) {
        float a = b;
        for (int64_t s = 0; s < spr; ++s) a += v[s] * x[((s / w.n) * w.m + off[s]) * ncols + j];
        yr[j] = a;
      }
    }
  }
}

}  // namespace sieve::runtime::kernels::nm::internal
