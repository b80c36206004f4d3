// The AVX2 path (compiled with -mavx2 -mfma; bsr.cc calls it only on a CPU with avx2 and fma).
//
// 4-bit codes are decoded in registers on 8-lane tables: a broadcast dword shifted per lane
// (vpsrlvd) gives 8 codes in order, two vpermps look them up in the codebook's halves and the
// code's bit 3 (shifted into the sign bit) blends them. 8-bit codes are gathered.
// n = 1: 16×1 blocks are two ymm of weights times the broadcast x[c]; 16×16 blocks keep one
// accumulator per row (8 rows per pass, x's 16 columns in two ymm), reduced by hadd at the end
// of the block row. Other shapes and n > 1: the register-tiled kernel of the AVX-512 path on
// ymm (4 rows × 24 columns of y in 12 accumulators) over a decoded block row.
#include <immintrin.h>

#include <algorithm>
#include <cstring>
#include <vector>

#include "sieve/runtime/kernels/bsr/internal.h"

namespace sieve::runtime::kernels::bsr::detail {
namespace {

thread_local std::vector<float> t_block_row;
thread_local std::vector<float> t_x;

// Lanes [0, m) on (sign bit set).
inline __m256i lanes(int64_t m) {
  const int32_t k = static_cast<int32_t>(std::clamp<int64_t>(m, 0, 8));
  return _mm256_cmpgt_epi32(_mm256_set1_epi32(k), _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7));
}

const float* codebook_of(const BsrWeights& w, int64_t k) {
  return w.codebooks.data() +
         static_cast<int64_t>(w.block_codebook[static_cast<size_t>(k)]) * (int64_t{1} << w.bits);
}

// 8 weights from 8 4-bit codes (one dword, low nibble first) through a 16-entry codebook.
inline __m256 decode8_c4(uint32_t dword, __m256 cb_lo, __m256 cb_hi) {
  const __m256i idx = _mm256_srlv_epi32(_mm256_set1_epi32(static_cast<int32_t>(dword)),
                                        _mm256_setr_epi32(0, 4, 8, 12, 16, 20, 24, 28));
  return _mm256_blendv_ps(_mm256_permutevar8x32_ps(cb_lo, idx), _mm256_permutevar8x32_ps(cb_hi, idx),
                          _mm256_castsi256_ps(_mm256_slli_epi32(idx, 28)));
}

inline uint32_t load_u32(const uint8_t* p) {
  uint32_t v;
  std::memcpy(&v, p, 4);
  return v;
}

// 8 weights from 8 8-bit codes.
inline __m256 decode8_c8(const uint8_t* c, const float* cb) {
  return _mm256_i32gather_ps(cb, _mm256_cvtepu8_epi32(_mm_loadl_epi64(reinterpret_cast<const __m128i*>(c))),
                             4);
}

// y[r0 .. r0+8) (the valid ones) = v + bias.
inline void store_rows8(const BsrWeights& w, int64_t r0, __m256 v, float* y) {
  const __m256i m = lanes(w.rows - r0);
  if (!w.bias.empty()) v = _mm256_add_ps(v, _mm256_maskload_ps(w.bias.data() + r0, m));
  _mm256_maskstore_ps(y + r0, m, v);
}

// ---- n = 1, 16×1 blocks ----------------------------------------------------------------------
template <int kBits>
void n1_16x1(const BsrWeights& w, const float* x, float* y, int64_t b0, int64_t b1) {
  for (int64_t bi = b0; bi < b1; ++bi) {
    __m256 acc[4] = {_mm256_setzero_ps(), _mm256_setzero_ps(), _mm256_setzero_ps(),
                     _mm256_setzero_ps()};
    const int64_t k0 = w.row_ptr[static_cast<size_t>(bi)], k1 = w.row_ptr[static_cast<size_t>(bi + 1)];
    auto one = [&](int64_t k, __m256& a_lo, __m256& a_hi) {
      __m256 lo, hi;
      if constexpr (kBits == 0) {
        lo = _mm256_loadu_ps(w.values.data() + k * 16);
        hi = _mm256_loadu_ps(w.values.data() + k * 16 + 8);
      } else if constexpr (kBits == 4) {
        const float* cb = codebook_of(w, k);
        const __m256 cb_lo = _mm256_loadu_ps(cb), cb_hi = _mm256_loadu_ps(cb + 8);
        lo = decode8_c4(load_u32(w.codes.data() + k * 8), cb_lo, cb_hi);
        hi = decode8_c4(load_u32(w.codes.data() + k * 8 + 4), cb_lo, cb_hi);
      } else {
        const float* cb = codebook_of(w, k);
        lo = decode8_c8(w.codes.data() + k * 16, cb);
        hi = decode8_c8(w.codes.data() + k * 16 + 8, cb);
      }
      const __m256 xv = _mm256_set1_ps(x[w.col_blk[static_cast<size_t>(k)]]);
      a_lo = _mm256_fmadd_ps(lo, xv, a_lo);
      a_hi = _mm256_fmadd_ps(hi, xv, a_hi);
    };
    int64_t k = k0;
    for (; k + 2 <= k1; k += 2) {
      one(k, acc[0], acc[1]);
      one(k + 1, acc[2], acc[3]);
    }
    for (; k < k1; ++k) one(k, acc[0], acc[1]);
    store_rows8(w, bi * 16, _mm256_add_ps(acc[0], acc[2]), y);
    store_rows8(w, bi * 16 + 8, _mm256_add_ps(acc[1], acc[3]), y);
  }
}

// Lane r of the result = the sum of the lanes of v[r].
inline __m256 reduce8(const __m256* v) {
  const __m256 t0 = _mm256_hadd_ps(v[0], v[1]), t1 = _mm256_hadd_ps(v[2], v[3]);
  const __m256 t2 = _mm256_hadd_ps(v[4], v[5]), t3 = _mm256_hadd_ps(v[6], v[7]);
  const __m256 u0 = _mm256_hadd_ps(t0, t1), u1 = _mm256_hadd_ps(t2, t3);
  return _mm256_add_ps(_mm256_permute2f128_ps(u0, u1, 0x20), _mm256_permute2f128_ps(u0, u1, 0x31));
}

// ---- n = 1, 16×16 blocks: one accumulator per row, 8 rows per pass --------------------------
template <int kBits>
void n1_16x16(const BsrWeights& w, const float* x, float* y, int64_t b0, int64_t b1) {
  const int64_t padded = (w.cols + 15) / 16 * 16;
  const float* xp = x;
  if (padded != w.cols) {
    t_x.assign(static_cast<size_t>(padded), 0.0f);
    std::copy(x, x + w.cols, t_x.begin());
    xp = t_x.data();
  }
  for (int64_t bi = b0; bi < b1; ++bi) {
    for (int half = 0; half < 2; ++half) {
      __m256 acc[8];
      for (__m256& a : acc) a = _mm256_setzero_ps();
      for (int64_t k = w.row_ptr[static_cast<size_t>(bi)]; k < w.row_ptr[static_cast<size_t>(bi + 1)];
           ++k) {
        const float* xs = xp + int64_t{w.col_blk[static_cast<size_t>(k)]} * 16;
        const __m256 x_lo = _mm256_loadu_ps(xs), x_hi = _mm256_loadu_ps(xs + 8);
        if constexpr (kBits == 0) {
          const float* v = w.values.data() + k * 256 + half * 128;
          for (int r = 0; r < 8; ++r) {
            acc[r] = _mm256_fmadd_ps(_mm256_loadu_ps(v + 16 * r), x_lo, acc[r]);
            acc[r] = _mm256_fmadd_ps(_mm256_loadu_ps(v + 16 * r + 8), x_hi, acc[r]);
          }
        } else if constexpr (kBits == 4) {
          const float* cb = codebook_of(w, k);
          const __m256 cb_lo = _mm256_loadu_ps(cb), cb_hi = _mm256_loadu_ps(cb + 8);
          const uint8_t* c = w.codes.data() + k * 128 + half * 64;
          for (int r = 0; r < 8; ++r) {
            acc[r] = _mm256_fmadd_ps(decode8_c4(load_u32(c + 8 * r), cb_lo, cb_hi), x_lo, acc[r]);
            acc[r] = _mm256_fmadd_ps(decode8_c4(load_u32(c + 8 * r + 4), cb_lo, cb_hi), x_hi, acc[r]);
          }
        } else {
          const float* cb = codebook_of(w, k);
          const uint8_t* c = w.codes.data() + k * 256 + half * 128;
          for (int r = 0; r < 8; ++r) {
            acc[r] = _mm256_fmadd_ps(decode8_c8(c + 16 * r, cb), x_lo, acc[r]);
            acc[r] = _mm256_fmadd_ps(decode8_c8(c + 16 * r + 8, cb), x_hi, acc[r]);
          }
        }
      }
      store_rows8(w, bi * 16 + half * 8, reduce8(acc), y);
    }
  }
}

// ---- any shape, any n: register tiles over a decoded block row -------------------------------
void decode_blocks(const BsrWeights& w, int64_t k0, int64_t k1, float* out) {
  const int64_t size = w.br * w.bc;
  if (w.bits == 4 && size % 8 == 0) {
    for (int64_t k = k0; k < k1; ++k, out += size) {
      const float* cb = codebook_of(w, k);
      const __m256 cb_lo = _mm256_loadu_ps(cb), cb_hi = _mm256_loadu_ps(cb + 8);
      const uint8_t* c = w.codes.data() + k * size / 2;
      for (int64_t p = 0; p < size; p += 8) _mm256_storeu_ps(out + p, decode8_c4(load_u32(c + p / 2), cb_lo, cb_hi));
    }
    return;
  }
  if (w.bits == 8 && size % 8 == 0) {
    for (int64_t k = k0; k < k1; ++k, out += size) {
      const float* cb = codebook_of(w, k);
      const uint8_t* c = w.codes.data() + k * size;
      for (int64_t p = 0; p < size; p += 8) _mm256_storeu_ps(out + p, decode8_c8(c + p, cb));
    }
    return;
  }
  for (int64_t k = k0; k < k1; ++k, out += size) decode_block_scalar(w, k, out);
}

struct TileArgs {
  const float* wrow;
  int64_t bsize, bc, nblk, cols, n;
  const int32_t* col_blk;
  const float* x;
  float* y;
  const float* bias;
};

template <int R, int NV>
void tile(const TileArgs& a, int64_t j0) {
  __m256 acc[R][NV];
  __m256i m[NV];
  for (int v = 0; v < NV; ++v) m[v] = lanes(a.n - j0 - 8 * v);
  for (int r = 0; r < R; ++r)
    for (int v = 0; v < NV; ++v) acc[r][v] = _mm256_setzero_ps();
  for (int64_t kk = 0; kk < a.nblk; ++kk) {
    const float* wb = a.wrow + kk * a.bsize;
    const int64_t c0 = int64_t{a.col_blk[kk]} * a.bc;
    const int64_t cw = std::min(a.bc, a.cols - c0);
    for (int64_t c = 0; c < cw; ++c) {
      const float* xr = a.x + (c0 + c) * a.n + j0;
      __m256 xv[NV];
      for (int v = 0; v < NV; ++v) xv[v] = _mm256_maskload_ps(xr + 8 * v, m[v]);
      for (int r = 0; r < R; ++r) {
        const __m256 wv = _mm256_broadcast_ss(wb + r * a.bc + c);
        for (int v = 0; v < NV; ++v) acc[r][v] = _mm256_fmadd_ps(wv, xv[v], acc[r][v]);
      }
    }
  }
  for (int r = 0; r < R; ++r) {
    const __m256 b = a.bias != nullptr ? _mm256_set1_ps(a.bias[r]) : _mm256_setzero_ps();
    for (int v = 0; v < NV; ++v) {
      _mm256_maskstore_ps(a.y + r * a.n + j0 + 8 * v, m[v], _mm256_add_ps(acc[r][v], b));
    }
  }
}

using TileFn = void (*)(const TileArgs&, int64_t);
template <int NV>
constexpr TileFn kTiles[4] = {tile<1, NV>, tile<2, NV>, tile<3, NV>, tile<4, NV>};

void tiled(const BsrWeights& w, const float* x, int64_t n, float* y, int64_t b0, int64_t b1) {
  const int nv = n > 16 ? 3 : n > 8 ? 2 : 1;
  const TileFn* fns = nv == 3 ? kTiles<3> : nv == 2 ? kTiles<2> : kTiles<1>;
  const int64_t tw = 8 * nv;
  const int64_t panel = std::max<int64_t>(tw, (int64_t{1} << 20) / (4 * std::max<int64_t>(1, w.cols)) / tw * tw);
  const int64_t bsize = w.br * w.bc;
  int64_t widest = 0;
  for (int64_t bi = b0; bi < b1; ++bi) {
    widest = std::max(widest, w.row_ptr[static_cast<size_t>(bi + 1)] - w.row_ptr[static_cast<size_t>(bi)]);
  }
  if (w.bits != 0) t_block_row.resize(static_cast<size_t>(widest * bsize));
  for (int64_t p0 = 0; p0 < n; p0 += panel) {
    const int64_t p1 = std::min(n, p0 + panel);
    for (int64_t bi = b0; bi < b1; ++bi) {
      const int64_t k0 = w.row_ptr[static_cast<size_t>(bi)], k1 = w.row_ptr[static_cast<size_t>(bi + 1)];
      const float* wrow = w.values.data() + k0 * bsize;
      if (w.bits != 0) {
        decode_blocks(w, k0, k1, t_block_row.data());
        wrow = t_block_row.data();
      }
      const int64_t r0 = bi * w.br, vr = std::min(w.br, w.rows - r0);
      for (int64_t rr = 0; rr < vr; rr += 4) {
        const int64_t rg = std::min<int64_t>(4, vr - rr);
        TileArgs a{wrow + rr * w.bc, bsize, w.bc, k1 - k0, w.cols, n, w.col_blk.data() + k0, x,
                   y + (r0 + rr) * n, w.bias.empty() ? nullptr : w.bias.data() + r0 + rr};
        for (int64_t j0 = p0; j0 < p1; j0 += tw) fns[rg - 1](a, j0);
      }
    }
  }
}

}  // namespace

void spmm_avx2(const BsrWeights& w, const float* x, int64_t n, float* y, int64_t b0, int64_t b1) {
  if (n == 1 && w.br == 16 && w.bc == 1) {
    if (w.bits == 0) return n1_16x1<0>(w, x, y, b0, b1);
    if (w.bits == 4) return n1_16x1<4>(w, x, y, b0, b1);
    return n1_16x1<8>(w, x, y, b0, b1);
  }
  if (n == 1 && w.br == 16 && w.bc == 16) {
    if (w.bits == 0) return n1_16x16<0>(w, x, y, b0, b1);
    if (w.bits == 4) return n1_16x16<4>(w, x, y, b0, b1);
    return n1_16x16<8>(w, x, y, b0, b1);
  }
  tiled(w, x, n, y, b0, b1);
}

}  // namespace sieve::runtime::kernels::bsr::detail
