// The AVX2 + FMA paths of nm.h (compiled with -mavx2 -mfma).
#include <immintrin.h>

#include "sieve/runtime/kernels/nm/nm.h"

namespace sieve::runtime::kernels::nm::internal {
namespace {

float hsum(__m256 v) {
  __m128 s = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
  s = _mm_add_ps(s, _mm_movehl_ps(s, s));
  s = _mm_add_ss(s, _mm_shuffle_ps(s, s, 1));
  return _mm_cvtss_f32(s);
}

// n == 1 and n | 8: eight slots at a time, x gathered at their columns.
void gemv(const NmWeights& w, const float* x, float* y) {
  const int64_t spr = w.slots_per_row();
  const int per = static_cast<int>(w.n);
  // Column of slot i of a block of 8 (relative to the block's first group): (i / n)·m.
  alignas(32) int32_t base[8];
  for (int i = 0; i < 8; ++i) base[i] = static_cast<int32_t>((i / per) * w.m);
  const __m256i vbase = _mm256_load_si256(reinterpret_cast<const __m256i*>(base));
  const int64_t groups_per_block = 8 / w.n;
  for (int64_t r = 0; r < w.rows; ++r) {
    const float* v = w.values.data() + r * spr;
    const uint8_t* off = w.offsets.data() + r * spr;
    __m256 acc = _mm256_setzero_ps();
    int64_t s = 0;
    for (; s + 8 <= spr; s += 8) {
      const int32_t g0 = static_cast<int32_t>((s / 8) * groups_per_block * w.m);
      const __m256i o =
          _mm256_cvtepu8_epi32(_mm_loadl_epi64(reinterpret_cast<const __m128i*>(off + s)));
      const __m256i col = _mm256_add_epi32(_mm256_add_epi32(vbase, o), _mm256_set1_epi32(g0));
      const __m256 xv = _mm256_i32gather_ps(x, col, 4);
      acc = _mm256_fmadd_ps(_mm256_loadu_ps(v + s), xv, acc);
    }
    float sum = hsum(acc);
    for (; s < spr; ++s) sum += v[s] * x[(s / w.n) * w.m + off[s]];
    y[r] = (w.bias.empty() ? 0.0f : w.bias[static_cast<size_t>(r)]) + sum;
  }
}

}  // namespace

void spmm_avx2(const NmWeights& w, const float* x, int64_t ncols, float* y) {
  if (ncols == 1 && 8 % w.n == 0) {
    gemv(w, x, y);
    return;
  }
  if (ncols < 8) {
    spmm_scalar(w, x, ncols, y);
    return;
  }
  const int64_t spr = w.slots_per_row();
  for (int64_t r = 0; r < w.rows; ++r) {
    float* yr = y + r * ncols;
    const float b = w.bias.empty() ? 0.0f : w.bias[static_cast<size_t>(r)];
    const float* v = w.values.data() + r * spr;
    const uint8_t* off = w.offsets.data() + r * spr;
    int64_t j = 0;
    // 32 columns at a time (four accumulators), then 8, then a scalar tail.
    for (; j + 32 <= ncols; j += 32) {
      __m256 a0 = _mm256_set1_ps(b), a1 = a0, a2 = a0, a3 = a0;
      for (int64_t s = 0; s < spr; ++s) {
        const float* xr = x + ((s / w.n) * w.m + off[s]) * ncols + j;
        const __m256 vv = _mm256_set1_ps(v[s]);
        a0 = _mm256_fmadd_ps(vv, _mm256_loadu_ps(xr), a0);
        a1 = _mm256_fmadd_ps(vv, _mm256_loadu_ps(xr + 8), a1);
        a2 = _mm256_fmadd_ps(vv, _mm256_loadu_ps(xr + 16), a2);
        a3 = _mm256_fmadd_ps(vv, _mm256_loadu_ps(xr + 24), a3);
      }
      _mm256_storeu_ps(yr + j, a0);
      _mm256_storeu_ps(yr + j + 8, a1);
      _mm256_storeu_ps(yr + j + 16, a2);
      _mm256_storeu_ps(yr + j + 24, a3);
    }
    for (; j + 8 <= ncols; j += 8) {
      __m256 a = _mm256_set1_ps(b);
      for (int64_t s = 0; s < spr; ++s)
        a = _mm256_fmadd_ps(_mm256_set1_ps(v[s]),
                            _mm256_loadu_ps(x + ((s / w.n) * w.m + off[s]) * ncols + j), a);
      _mm256_storeu_ps(yr + j, a);
    }
    for (; j < ncols; ++j) {
      float a = b;
      for (int64_t s = 0; s < spr; ++s) a += v[s] * x[((s / w.n) * w.m + off[s]) * ncols + j];
      yr[j] = a;
    }
  }
}

}  // namespace sieve::runtime::kernels::nm::internal
