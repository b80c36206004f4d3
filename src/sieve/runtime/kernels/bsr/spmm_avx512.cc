// The AVX-512 path (compiled with -mavx512f -mfma; bsr.cc calls it only on a CPU with avx512f).
//
// n = 1 (an FC layer at batch 1): vectorised along the rows of a block, with the weights
// decoded in registers. Three kernels cover the recipes' shapes:
//   * 16×1 blocks: a block is one zmm of weights times the broadcast x[c]; 4-bit codes are one
//     broadcast qword shifted per lane (vpsrlvd) into vpermps indices (lane 2m holds row m and
//     lane 2m+1 row 8+m; the block row's sum is put back in order once at its end), 8-bit codes
//     are gathered from the codebook.
//   * 16×16 blocks with 4-bit codes: a 64-byte load at byte offset t (t = 0..3) puts the low
//     nibble of byte 4i+t in the low bits of lane i, ready for vpermps without any shuffle; the
//     high nibble needs one shift. Lane i then holds row i/2 and column 8(i%2)+2t+h, so x is
//     re-laid once per call in pairs (x[c], x[c+8]) and fetched with one vbroadcastsd per
//     (t, h). Per 16 weights: one vpermps, half a shift, one FMA.
//   * 16×16 blocks with fp32 values or 8-bit codes: one accumulator per row (x's 16 columns in
//     the lanes), reduced by a transpose tree at the end of the block row.
// n > 16 with 16×1 blocks (a convolution lowered by im2col): conv16x1 below.
// Other shapes, and other n > 1: a register-tiled kernel over a decoded fp32 block row,
// 8 rows × 48 columns of y in 24 zmm accumulators, each weight broadcast once per tile and
// x read in panels that stay in L2. Ragged tiles use masked loads and stores.
// GCC 12's AVX-512 intrinsics start from _mm512_undefined_*() values that -Wmaybe-uninitialized
// reports inside the intrinsics header (a known false positive): not in this file's own code.
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#endif
#include <immintrin.h>

#include <algorithm>
#include <cstring>
#include <vector>

#include "sieve/runtime/kernels/bsr/internal.h"

namespace sieve::runtime::kernels::bsr::detail {
namespace {

// Per-thread scratch (spmm may run on several threads at once): a decoded block row, and x
// re-laid for the n = 1 kernels.
thread_local std::vector<float> t_block_row;
thread_local std::vector<float> t_x;

inline __mmask16 lanes(int64_t m) {
  if (m <= 0) return 0;
  return m >= 16 ? static_cast<__mmask16>(0xFFFF) : static_cast<__mmask16>((1u << m) - 1);
}

const float* codebook_of(const BsrWeights& w, int64_t k) {
  return w.codebooks.data() +
         static_cast<int64_t>(w.block_codebook[static_cast<size_t>(k)]) * (int64_t{1} << w.bits);
}

// y[r0 .. r0+16) (the valid ones) = v + bias.
inline void store_rows(const BsrWeights& w, int64_t r0, __m512 v, float* y) {
  const __mmask16 m = lanes(w.rows - r0);
  if (!w.bias.empty()) v = _mm512_add_ps(v, _mm512_maskz_loadu_ps(m, w.bias.data() + r0));
  _mm512_mask_storeu_ps(y + r0, m, v);
}

// Lane r of the result = the sum of the lanes of v[r].
inline __m512 reduce16(const __m512* v) {
  __m512 t[8], u[4];
  for (int i = 0; i < 8; ++i) {
    t[i] = _mm512_add_ps(_mm512_unpacklo_ps(v[2 * i], v[2 * i + 1]),
                         _mm512_unpackhi_ps(v[2 * i], v[2 * i + 1]));
  }
  for (int i = 0; i < 4; ++i) {
    const __m512d a = _mm512_castps_pd(t[2 * i]), b = _mm512_castps_pd(t[2 * i + 1]);
    u[i] = _mm512_add_ps(_mm512_castpd_ps(_mm512_unpacklo_pd(a, b)),
                         _mm512_castpd_ps(_mm512_unpackhi_pd(a, b)));
  }
  const __m512 p = _mm512_add_ps(_mm512_shuffle_f32x4(u[0], u[1], _MM_SHUFFLE(2, 0, 2, 0)),
                                 _mm512_shuffle_f32x4(u[0], u[1], _MM_SHUFFLE(3, 1, 3, 1)));
  const __m512 q = _mm512_add_ps(_mm512_shuffle_f32x4(u[2], u[3], _MM_SHUFFLE(2, 0, 2, 0)),
                                 _mm512_shuffle_f32x4(u[2], u[3], _MM_SHUFFLE(3, 1, 3, 1)));
  return _mm512_add_ps(_mm512_shuffle_f32x4(p, q, _MM_SHUFFLE(2, 0, 2, 0)),
                       _mm512_shuffle_f32x4(p, q, _MM_SHUFFLE(3, 1, 3, 1)));
}

// x, zero-padded to whole block columns (the padded weights are 0, and so is what they meet).
const float* padded_x(const BsrWeights& w, const float* x) {
  const int64_t padded = (w.cols + w.bc - 1) / w.bc * w.bc;
  if (padded == w.cols) return x;
  t_x.assign(static_cast<size_t>(padded), 0.0f);
  std::copy(x, x + w.cols, t_x.begin());
  return t_x.data();
}

// ---- n = 1, 16×1 blocks ----------------------------------------------------------------------
template <int kBits>
void n1_16x1(const BsrWeights& w, const float* x, float* y, int64_t b0, int64_t b1) {
  // 4-bit: lane 2m takes code m (low dword, shifted 4m), lane 2m+1 code 8+m (high dword).
  const __m512i shifts = _mm512_set_epi32(28, 28, 24, 24, 20, 20, 16, 16, 12, 12, 8, 8, 4, 4, 0, 0);
  const __m512i unpermute =
      _mm512_set_epi32(15, 13, 11, 9, 7, 5, 3, 1, 14, 12, 10, 8, 6, 4, 2, 0);
  const int32_t* colblk = w.col_blk.data();
  for (int64_t bi = b0; bi < b1; ++bi) {
    __m512 acc[4] = {_mm512_setzero_ps(), _mm512_setzero_ps(), _mm512_setzero_ps(),
                     _mm512_setzero_ps()};
    const int64_t k0 = w.row_ptr[static_cast<size_t>(bi)], k1 = w.row_ptr[static_cast<size_t>(bi + 1)];
    auto one = [&](int64_t k, __m512& a) {
      __m512 wv;
      if constexpr (kBits == 0) {
        wv = _mm512_loadu_ps(w.values.data() + k * 16);
      } else if constexpr (kBits == 4) {
        int64_t q;
        std::memcpy(&q, w.codes.data() + k * 8, 8);
        const __m512i idx = _mm512_srlv_epi32(_mm512_set1_epi64(q), shifts);
        wv = _mm512_permutexvar_ps(idx, _mm512_loadu_ps(codebook_of(w, k)));
      } else {
        const __m512i idx = _mm512_cvtepu8_epi32(
            _mm_loadu_si128(reinterpret_cast<const __m128i*>(w.codes.data() + k * 16)));
        wv = _mm512_i32gather_ps(idx, codebook_of(w, k), 4);
      }
      a = _mm512_fmadd_ps(wv, _mm512_set1_ps(x[colblk[k]]), a);
    };
    int64_t k = k0;
    for (; k + 4 <= k1; k += 4) {
      one(k, acc[0]);
      one(k + 1, acc[1]);
      one(k + 2, acc[2]);
      one(k + 3, acc[3]);
    }
    for (; k < k1; ++k) one(k, acc[0]);
    __m512 s = _mm512_add_ps(_mm512_add_ps(acc[0], acc[1]), _mm512_add_ps(acc[2], acc[3]));
    if constexpr (kBits == 4) s = _mm512_permutexvar_ps(unpermute, s);
    store_rows(w, bi * 16, s, y);
  }
}

// ---- n = 1, 16×16 blocks, fp32 values or 8-bit codes: one accumulator per row ---------------
template <int kBits>
void n1_16x16_rows(const BsrWeights& w, const float* x, float* y, int64_t b0, int64_t b1) {
  const float* xp = padded_x(w, x);
  for (int64_t bi = b0; bi < b1; ++bi) {
    __m512 acc[16];
    for (__m512& a : acc) a = _mm512_setzero_ps();
    for (int64_t k = w.row_ptr[static_cast<size_t>(bi)]; k < w.row_ptr[static_cast<size_t>(bi + 1)];
         ++k) {
      const __m512 xs = _mm512_loadu_ps(xp + int64_t{w.col_blk[static_cast<size_t>(k)]} * 16);
      if constexpr (kBits == 0) {
        const float* v = w.values.data() + k * 256;
        for (int r = 0; r < 16; ++r) acc[r] = _mm512_fmadd_ps(_mm512_loadu_ps(v + 16 * r), xs, acc[r]);
      } else {
        const uint8_t* c = w.codes.data() + k * 256;
        const float* cb = codebook_of(w, k);
        for (int r = 0; r < 16; ++r) {
          const __m512i idx =
              _mm512_cvtepu8_epi32(_mm_loadu_si128(reinterpret_cast<const __m128i*>(c + 16 * r)));
          acc[r] = _mm512_fmadd_ps(_mm512_i32gather_ps(idx, cb, 4), xs, acc[r]);
        }
      }
    }
    store_rows(w, bi * 16, reduce16(acc), y);
  }
}

// ---- n = 1, 16×16 blocks, 4-bit codes: offset loads straight into vpermps -------------------
inline double load_f64(const float* p) {
  double d;
  std::memcpy(&d, p, sizeof d);
  return d;
}

void n1_16x16_c4(const BsrWeights& w, const float* x, float* y, int64_t b0, int64_t b1) {
  // x re-laid per block column j: (x[16j+m], x[16j+8+m]) for m = 0..7, zero past cols.
  const int64_t nbc = (w.cols + 15) / 16;
  t_x.assign(static_cast<size_t>(nbc * 16), 0.0f);
  float* xq = t_x.data();
  for (int64_t c = 0; c < w.cols; ++c) {
    const int64_t j = c / 16, m = c % 16;
    xq[j * 16 + (m % 8) * 2 + m / 8] = x[c];
  }
  const __m512i even = _mm512_set_epi32(30, 28, 26, 24, 22, 20, 18, 16, 14, 12, 10, 8, 6, 4, 2, 0);
  const __m512i odd = _mm512_set_epi32(31, 29, 27, 25, 23, 21, 19, 17, 15, 13, 11, 9, 7, 5, 3, 1);
  const uint8_t* codes_end = w.codes.data() + w.codes.size();
  alignas(64) uint8_t last[192] = {};
  for (int64_t bi = b0; bi < b1; ++bi) {
    __m512 acc[8];
    for (__m512& a : acc) a = _mm512_setzero_ps();
    for (int64_t k = w.row_ptr[static_cast<size_t>(bi)]; k < w.row_ptr[static_cast<size_t>(bi + 1)];
         ++k) {
      const uint8_t* c = w.codes.data() + k * 128;
      // Cold weights: the codes are one stream, prefetched 4 KiB ahead into L2 (never faults).
      _mm_prefetch(reinterpret_cast<const char*>(c + 4096), _MM_HINT_T2);
      _mm_prefetch(reinterpret_cast<const char*>(c + 4096 + 64), _MM_HINT_T2);
      if (c + 131 > codes_end) {  // the loads at offsets 1..3 read 3 bytes past the block
        std::memcpy(last, c, 128);
        c = last;
      }
      const __m512 cb = _mm512_loadu_ps(codebook_of(w, k));
      const float* xs = xq + int64_t{w.col_blk[static_cast<size_t>(k)]} * 16;
      __m512 xv[8];
      for (int i = 0; i < 8; ++i) xv[i] = _mm512_castpd_ps(_mm512_set1_pd(load_f64(xs + 2 * i)));
      for (int half = 0; half < 2; ++half) {
        for (int t = 0; t < 4; ++t) {
          const __m512i d = _mm512_loadu_si512(c + 64 * half + t);
          __m512& a = acc[half * 4 + t];
          a = _mm512_fmadd_ps(_mm512_permutexvar_ps(d, cb), xv[2 * t], a);
          a = _mm512_fmadd_ps(_mm512_permutexvar_ps(_mm512_srli_epi32(d, 4), cb), xv[2 * t + 1], a);
        }
      }
    }
    // Lane i of the rows-0..7 (8..15) sum holds half of row i/2 (8 + i/2).
    const __m512 lo = _mm512_add_ps(_mm512_add_ps(acc[0], acc[1]), _mm512_add_ps(acc[2], acc[3]));
    const __m512 hi = _mm512_add_ps(_mm512_add_ps(acc[4], acc[5]), _mm512_add_ps(acc[6], acc[7]));
    const __m512 s = _mm512_add_ps(_mm512_permutex2var_ps(lo, even, hi),
                                   _mm512_permutex2var_ps(lo, odd, hi));
    store_rows(w, bi * 16, s, y);
  }
}

// ---- any shape, any n: register tiles over a decoded block row -------------------------------

// Kept blocks [k0, k1) decoded into out (br·bc floats each, row-major).
void decode_blocks(const BsrWeights& w, int64_t k0, int64_t k1, float* out) {
  const int64_t size = w.br * w.bc;
  if (w.bits == 4 && size % 16 == 0) {
    const __m512i dup = _mm512_set_epi32(7, 7, 6, 6, 5, 5, 4, 4, 3, 3, 2, 2, 1, 1, 0, 0);
    const __m512i shifts = _mm512_set_epi32(4, 0, 4, 0, 4, 0, 4, 0, 4, 0, 4, 0, 4, 0, 4, 0);
    for (int64_t k = k0; k < k1; ++k, out += size) {
      const __m512 cb = _mm512_loadu_ps(codebook_of(w, k));
      const uint8_t* c = w.codes.data() + k * size / 2;
      for (int64_t p = 0; p < size; p += 16) {
        const __m512i b = _mm512_cvtepu8_epi32(
            _mm_loadl_epi64(reinterpret_cast<const __m128i*>(c + p / 2)));
        const __m512i idx = _mm512_srlv_epi32(_mm512_permutexvar_epi32(dup, b), shifts);
        _mm512_storeu_ps(out + p, _mm512_permutexvar_ps(idx, cb));
      }
    }
    return;
  }
  if (w.bits == 8 && size % 16 == 0) {
    for (int64_t k = k0; k < k1; ++k, out += size) {
      const float* cb = codebook_of(w, k);
      const uint8_t* c = w.codes.data() + k * size;
      for (int64_t p = 0; p < size; p += 16) {
        const __m512i idx =
            _mm512_cvtepu8_epi32(_mm_loadu_si128(reinterpret_cast<const __m128i*>(c + p)));
        _mm512_storeu_ps(out + p, _mm512_i32gather_ps(idx, cb, 4));
      }
    }
    return;
  }
  for (int64_t k = k0; k < k1; ++k, out += size) decode_block_scalar(w, k, out);
}

struct TileArgs {
  const float* wrow;  // decoded block row (br·bc floats per block), at the tile's first row
  int64_t bsize, bc, nblk, cols, n;
  const int32_t* col_blk;
  const float* xt;    // the tile's columns of x, packed: cols rows of 16·NV floats
  float* y;           // row of y of the tile's first row
  const float* bias;  // at the tile's first row, or nullptr
  bool first;         // y = bias + Σ (else y += Σ: a later chunk of the columns)
};

// y[R rows, j0 .. j0 + 16·NV) = Σ over the block row's blocks, + bias.
template <int R, int NV>
void tile(const TileArgs& a, int64_t j0) {
  __m512 acc[R][NV];
  for (int r = 0; r < R; ++r) {
    const __m512 b = !a.first            ? _mm512_setzero_ps()
                     : a.bias != nullptr ? _mm512_set1_ps(a.bias[r])
                                         : _mm512_setzero_ps();
    for (int v = 0; v < NV; ++v) {
      acc[r][v] = a.first ? b : _mm512_maskz_loadu_ps(lanes(a.n - j0 - 16 * v), a.y + r * a.n + j0 + 16 * v);
    }
  }
  for (int64_t kk = 0; kk < a.nblk; ++kk) {
    const float* wb = a.wrow + kk * a.bsize;
    const int64_t c0 = int64_t{a.col_blk[kk]} * a.bc;
    const int64_t cw = std::min(a.bc, a.cols - c0);
    const float* xr = a.xt + c0 * (16 * NV);
    for (int64_t c = 0; c < cw; ++c, xr += 16 * NV) {
      __m512 xv[NV];
      for (int v = 0; v < NV; ++v) xv[v] = _mm512_loadu_ps(xr + 16 * v);
      for (int r = 0; r < R; ++r) {
        const __m512 wv = _mm512_set1_ps(wb[r * a.bc + c]);
        for (int v = 0; v < NV; ++v) acc[r][v] = _mm512_fmadd_ps(wv, xv[v], acc[r][v]);
      }
    }
  }
  for (int r = 0; r < R; ++r) {
    for (int v = 0; v < NV; ++v) {
      _mm512_mask_storeu_ps(a.y + r * a.n + j0 + 16 * v, lanes(a.n - j0 - 16 * v), acc[r][v]);
    }
  }
}

using TileFn = void (*)(const TileArgs&, int64_t);
template <int NV>
constexpr TileFn kTiles[8] = {tile<1, NV>, tile<2, NV>, tile<3, NV>, tile<4, NV>,
                              tile<5, NV>, tile<6, NV>, tile<7, NV>, tile<8, NV>};

// x[:, j0 .. j0 + tw) into out as cols rows of tw floats (zeros past n): a tile then reads x
// as one stream instead of touching a page per row of x.
void pack_x_tile(const float* x, int64_t cols, int64_t n, int64_t j0, int64_t tw, float* out) {
  const int64_t m = std::min(tw, n - j0);
  for (int64_t c = 0; c < cols; ++c, out += tw) {
    const float* xr = x + c * n + j0;
    for (int64_t v = 0; v < tw; v += 16) {
      _mm512_storeu_ps(out + v, _mm512_maskz_loadu_ps(lanes(m - v), xr + v));
    }
  }
}

// Loop order: tiles of n (x packed per tile), then chunks of the columns whose packed x fits
// in L1 (about 24 KiB), then block rows; each (block row, tile) accumulates chunk by chunk in y.
void tiled(const BsrWeights& w, const float* x, int64_t n, float* y, int64_t b0, int64_t b1) {
  const int nv = n > 32 ? 3 : n > 16 ? 2 : 1;
  const TileFn* fns = nv == 3 ? kTiles<3> : nv == 2 ? kTiles<2> : kTiles<1>;
  const int64_t tw = 16 * nv;
  const int64_t bsize = w.br * w.bc;
  const int64_t nbc = (w.cols + w.bc - 1) / w.bc;
  const int64_t chunk = std::max<int64_t>(1, (int64_t{24} << 10) / (4 * tw * w.bc));  // block columns
  const int64_t nrows = b1 - b0;
  int64_t widest = 0;
  for (int64_t bi = b0; bi < b1; ++bi) {
    widest = std::max(widest, w.row_ptr[static_cast<size_t>(bi + 1)] - w.row_ptr[static_cast<size_t>(bi)]);
  }
  // Codes: the block rows are decoded once per tile when they fit in about 1 MiB together,
  // else once per (tile, chunk, block row).
  const float* wdec = w.values.data() + w.row_ptr[static_cast<size_t>(b0)] * bsize;
  const int64_t kept = w.row_ptr[static_cast<size_t>(b1)] - w.row_ptr[static_cast<size_t>(b0)];
  const bool decode_all = w.bits != 0 && kept * bsize * 4 <= (int64_t{1} << 20);
  if (w.bits != 0) {
    t_block_row.resize(static_cast<size_t>(std::max<int64_t>(1, decode_all ? kept * bsize : widest * bsize)));
    if (decode_all) {
      decode_blocks(w, w.row_ptr[static_cast<size_t>(b0)], w.row_ptr[static_cast<size_t>(b1)], t_block_row.data());
      wdec = t_block_row.data();
    }
  }
  t_x.resize(static_cast<size_t>(std::max<int64_t>(1, tw * w.cols)));
  std::vector<int64_t> cursor(static_cast<size_t>(nrows));
  for (int64_t j0 = 0; j0 < n; j0 += tw) {
    pack_x_tile(x, w.cols, n, j0, tw, t_x.data());
    for (int64_t i = 0; i < nrows; ++i) cursor[static_cast<size_t>(i)] = w.row_ptr[static_cast<size_t>(b0 + i)];
    for (int64_t cb0 = 0; cb0 < std::max<int64_t>(nbc, 1); cb0 += chunk) {
      const int64_t cb1 = cb0 + chunk;
      for (int64_t bi = b0; bi < b1; ++bi) {
        int64_t& cur = cursor[static_cast<size_t>(bi - b0)];
        const int64_t ka = cur, kend = w.row_ptr[static_cast<size_t>(bi + 1)];
        int64_t kb = ka;
        while (kb < kend && w.col_blk[static_cast<size_t>(kb)] < cb1) ++kb;
        cur = kb;
        const bool first = cb0 == 0;
        if (ka == kb && !first) continue;
        const float* wrow = wdec + (ka - w.row_ptr[static_cast<size_t>(b0)]) * bsize;
        if (w.bits != 0 && !decode_all) {
          decode_blocks(w, ka, kb, t_block_row.data());
          wrow = t_block_row.data();
        }
        const int64_t r0 = bi * w.br, vr = std::min(w.br, w.rows - r0);
        for (int64_t rr = 0; rr < vr; rr += 8) {
          const int64_t rg = std::min<int64_t>(8, vr - rr);
          TileArgs a{wrow + rr * w.bc, bsize, w.bc, kb - ka, w.cols, n, w.col_blk.data() + ka,
                     t_x.data(), y + (r0 + rr) * n,
                     w.bias.empty() ? nullptr : w.bias.data() + r0 + rr, first};
          fns[rg - 1](a, j0);
        }
      }
    }
  }
}

// ---- n > 1, 16×1 blocks: the conv (im2col GEMM) kernel ------------------------------------
// A block is 16 weights of one column of W, one per row. Per block row and 48-column tile of y,
// the rows are taken in two halves of 8: 8 rows × 3 zmm = 24 accumulators stay in registers
// over the whole block row, and each kept block costs 3 loads of its x row (packed per tile,
// contiguous), 8 broadcast weights and 24 FMAs, with no per-block loop or bounds work. Packing
// x is a separate pass per tile (about 1.8 ms of conv3_2's 12 to 13): prefetching the next tile
// into L2 during the FMAs measured 0.5 to 1.5 ms slower, packing it interleaved with them
// 2.5 ms slower, and reading x unpacked (a page per row of x) 1.6× slower.
//
// Zero activations, by column blocks: packing a tile notes which rows of x are zero over the
// whole tile (a column of W whose 48 products are all 0). When at least 1/16 of the rows are,
// each block row's kept blocks are first filtered to those meeting a non-zero x row and only
// these are multiplied (the sum is the same: the skipped products are ±0). With activations
// that are zero independently of each other (50 % after a ReLU, no structure), a 48-wide row
// segment is all zero with probability 2^-48, so nothing is skipped and only the scan is paid;
// it pays where zeros come in spatial runs (whole dead channels, blobs of a ReLU map).
template <int R, bool kList>
void half16x1(const float* v, const int32_t* col, const int32_t* list, int64_t nblk,
              const float* xt, float* y, int64_t n, int64_t j0, const float* bias) {
  constexpr int NV = 3;
  __m512 acc[R][NV];
  for (int r = 0; r < R; ++r) {
    const __m512 b = bias != nullptr ? _mm512_set1_ps(bias[r]) : _mm512_setzero_ps();
    for (int q = 0; q < NV; ++q) acc[r][q] = b;
  }
  for (int64_t i = 0; i < nblk; ++i) {
    const int64_t k = kList ? list[i] : i;
    const float* xr = xt + int64_t{col[k]} * (16 * NV);
    const __m512 x0 = _mm512_loadu_ps(xr), x1 = _mm512_loadu_ps(xr + 16),
                 x2 = _mm512_loadu_ps(xr + 32);
    const float* wb = v + k * 16;
    for (int r = 0; r < R; ++r) {
      const __m512 wv = _mm512_set1_ps(wb[r]);
      acc[r][0] = _mm512_fmadd_ps(wv, x0, acc[r][0]);
      acc[r][1] = _mm512_fmadd_ps(wv, x1, acc[r][1]);
      acc[r][2] = _mm512_fmadd_ps(wv, x2, acc[r][2]);
    }
  }
  for (int r = 0; r < R; ++r) {
    for (int q = 0; q < NV; ++q) {
      _mm512_mask_storeu_ps(y + r * n + j0 + 16 * q, lanes(n - j0 - 16 * q), acc[r][q]);
    }
  }
}

using HalfFn = void (*)(const float*, const int32_t*, const int32_t*, int64_t, const float*,
                        float*, int64_t, int64_t, const float*);
template <bool kList>
constexpr HalfFn kHalves[8] = {half16x1<1, kList>, half16x1<2, kList>, half16x1<3, kList>,
                               half16x1<4, kList>, half16x1<5, kList>, half16x1<6, kList>,
                               half16x1<7, kList>, half16x1<8, kList>};

thread_local std::vector<uint8_t> t_zero;   // per row of x: all zero over the tile
thread_local std::vector<int32_t> t_list;   // a block row's blocks that meet non-zero x

// pack_x_tile() for 48 columns, noting the rows of x that are zero over the tile; returns
// their count.
int64_t pack_x_tile48(const float* x, int64_t cols, int64_t n, int64_t j0, float* out,
                      uint8_t* zero) {
  const int64_t m = std::min<int64_t>(48, n - j0);
  const __mmask16 m0 = lanes(m), m1 = lanes(m - 16), m2 = lanes(m - 32);
  int64_t count = 0;
  for (int64_t c = 0; c < cols; ++c, out += 48) {
    const float* xr = x + c * n + j0;
    const __m512 a = _mm512_maskz_loadu_ps(m0, xr), b = _mm512_maskz_loadu_ps(m1, xr + 16),
                 d = _mm512_maskz_loadu_ps(m2, xr + 32);
    _mm512_storeu_ps(out, a);
    _mm512_storeu_ps(out + 16, b);
    _mm512_storeu_ps(out + 32, d);
    const __mmask16 nz = _mm512_cmp_ps_mask(a, _mm512_setzero_ps(), _CMP_NEQ_UQ) |
                         _mm512_cmp_ps_mask(b, _mm512_setzero_ps(), _CMP_NEQ_UQ) |
                         _mm512_cmp_ps_mask(d, _mm512_setzero_ps(), _CMP_NEQ_UQ);
    zero[c] = nz == 0;
    count += nz == 0;
  }
  return count;
}

void conv16x1(const BsrWeights& w, const float* x, int64_t n, float* y, int64_t b0, int64_t b1) {
  constexpr int64_t tw = 48;
  const int64_t k0 = w.row_ptr[static_cast<size_t>(b0)], k1 = w.row_ptr[static_cast<size_t>(b1)];
  const float* vals = w.values.data();
  if (w.bits != 0) {  // decoded once per call: 64 bytes per kept block
    t_block_row.resize(static_cast<size_t>(std::max<int64_t>(1, (k1 - k0) * 16)));
    decode_blocks(w, k0, k1, t_block_row.data());
    vals = t_block_row.data() - k0 * 16;
  }
  t_x.resize(static_cast<size_t>(std::max<int64_t>(1, tw * w.cols)));
  t_zero.resize(static_cast<size_t>(std::max<int64_t>(1, w.cols)));
  int64_t widest = 0;
  for (int64_t bi = b0; bi < b1; ++bi) {
    widest = std::max(widest, w.row_ptr[static_cast<size_t>(bi + 1)] - w.row_ptr[static_cast<size_t>(bi)]);
  }
  t_list.resize(static_cast<size_t>(std::max<int64_t>(1, widest)));
  for (int64_t j0 = 0; j0 < n; j0 += tw) {
    const int64_t zeros = pack_x_tile48(x, w.cols, n, j0, t_x.data(), t_zero.data());
    const bool skip = zeros * 16 >= w.cols && zeros > 0;
    for (int64_t bi = b0; bi < b1; ++bi) {
      const int64_t ka = w.row_ptr[static_cast<size_t>(bi)], kb = w.row_ptr[static_cast<size_t>(bi + 1)];
      const int32_t* col = w.col_blk.data() + ka;
      int64_t nblk = kb - ka;
      if (skip) {
        int64_t m = 0;
        for (int64_t i = 0; i < nblk; ++i) {
          t_list[static_cast<size_t>(m)] = static_cast<int32_t>(i);
          m += t_zero[static_cast<size_t>(col[i])] == 0;
        }
        nblk = m;
      }
      const int64_t r0 = bi * 16, vr = std::min<int64_t>(16, w.rows - r0);
      for (int64_t rr = 0; rr < vr; rr += 8) {
        const int64_t rg = std::min<int64_t>(8, vr - rr);
        (skip ? kHalves<true> : kHalves<false>)[rg - 1](
            vals + ka * 16 + rr, col, t_list.data(), nblk, t_x.data(), y + (r0 + rr) * n, n, j0,
            w.bias.empty() ? nullptr : w.bias.data() + r0 + rr);
      }
    }
  }
}

}  // namespace

void spmm_avx512(const BsrWeights& w, const float* x, int64_t n, float* y, int64_t b0, int64_t b1) {
  if (n == 1 && w.br == 16 && w.bc == 1) {
    if (w.bits == 0) return n1_16x1<0>(w, x, y, b0, b1);
    if (w.bits == 4) return n1_16x1<4>(w, x, y, b0, b1);
    return n1_16x1<8>(w, x, y, b0, b1);
  }
  if (n == 1 && w.br == 16 && w.bc == 16) {
    if (w.bits == 4) return n1_16x16_c4(w, x, y, b0, b1);
    if (w.bits == 0) return n1_16x16_rows<0>(w, x, y, b0, b1);
    return n1_16x16_rows<8>(w, x, y, b0, b1);
  }
  if (n > 16 && w.br == 16 && w.bc == 1) return conv16x1(w, x, n, y, b0, b1);
  tiled(w, x, n, y, b0, b1);
}

}  // namespace sieve::runtime::kernels::bsr::detail
