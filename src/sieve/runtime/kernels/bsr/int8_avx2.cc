// The int8 route on AVX2 (compiled with -mavx2 -mfma; int8.cc calls it only on a CPU with
// both, for br = 16 layers with bc % 4 == 0 or grouped 16×1 blocks).
//
// A 16-row block row is two halves of 8 rows: lane r of a ymm is row r of the half, its 4 bytes
// a column quad (the VNNI order of int8.h: a quad's 64 bytes are rows 0..7, then rows 8..15).
// Two dot products, both exact in int32 (so both equal the scalar path bit for bit):
//   * AVX-VNNI (`vpdpbusd` on ymm, the VEX form; Alder Lake and later, Zen 5): 8 rows × 4
//     columns = 32 multiply-adds per instruction against one broadcast dword of u8 activations.
//   * Without it (Haswell to Zen 3): weights sign-extended to int16 (`vpmovsxbw`), activations
//     zero-extended, `vpmaddwd` into int32 pairs, and the pairs added once per run (`vphaddd`
//     + one permute). `vpmaddubsw` would be one instruction less but saturates: two products
//     255 · 127 overflow int16.
// 4-bit codes are decoded with `vpand` / `vpsrlw` + `vpshufb` through the block's 16-entry int8
// codebook (broadcast to both 128-bit lanes). Activations are quantized 8 at a time with the
// operations of int8.cc's quantize_activations (max and min are exact in any order).
#include <immintrin.h>

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <vector>

#include "sieve/runtime/kernels/bsr/internal.h"

namespace sieve::runtime::kernels::bsr::detail {
namespace {

thread_local std::vector<uint8_t> t_xq;
thread_local std::vector<float> t_xcol;

inline __m256i bcast4(const uint8_t* p) {
  int32_t v;
  std::memcpy(&v, p, 4);
  return _mm256_set1_epi32(v);
}

inline __m256i dword_of(const uint8_t* xq, const int32_t* vc) {
  return _mm256_set1_epi32(static_cast<int32_t>(uint32_t{xq[vc[0]]} | uint32_t{xq[vc[1]]} << 8 |
                                                uint32_t{xq[vc[2]]} << 16 |
                                                uint32_t{xq[vc[3]]} << 24));
}

// The int32 sums of 8 rows: add(x, w) adds Σ_{i<4} x.byte[i] · w.row[r].byte[i] to row r, where
// x is a broadcast dword of u8 and w holds 8 rows × 4 s8; sum() gives the 8 row sums.
// The VEX form is written out: the intrinsic needs the avxvnni target, which this file is not
// compiled for (it runs on AVX2 CPUs without it), and without `{vex}` the assembler would pick
// the EVEX form, which needs AVX-512. "x": ymm0..15 only, which VEX can encode.
struct VnniAcc {
  __m256i a = _mm256_setzero_si256();
  void add(__m256i x, __m256i w) { __asm__("%{vex%} vpdpbusd %2, %1, %0" : "+x"(a) : "x"(x), "x"(w)); }
  __m256i sum() const { return a; }
};

struct MaddAcc {
  // a0: rows 0..3, a1: rows 4..7, two int32 partial sums per row (see sum()).
  __m256i a0 = _mm256_setzero_si256(), a1 = _mm256_setzero_si256();
  void add(__m256i x, __m256i w) {
    // The 4 activation bytes as 4 int16, repeated: (x0, x1, x2, x3) per row.
    const __m256i x16 = _mm256_cvtepu8_epi16(_mm256_castsi256_si128(x));
    const __m256i w0 = _mm256_cvtepi8_epi16(_mm256_castsi256_si128(w));
    const __m256i w1 = _mm256_cvtepi8_epi16(_mm256_extracti128_si256(w, 1));
    a0 = _mm256_add_epi32(a0, _mm256_madd_epi16(w0, x16));
    a1 = _mm256_add_epi32(a1, _mm256_madd_epi16(w1, x16));
  }
  __m256i sum() const {
    // Per 128-bit lane, a0 holds (r, r, r+1, r+1) and a1 (r+4, r+4, r+5, r+5): vphaddd gives
    // lanes (0, 1, 4, 5 | 2, 3, 6, 7), and the permute puts them in row order.
    return _mm256_permutevar8x32_epi32(_mm256_hadd_epi32(a0, a1),
                                       _mm256_setr_epi32(0, 1, 4, 5, 2, 3, 6, 7));
  }
};

// quantize_activations() (int8.cc) for a contiguous column, 8 lanes at a time.
ActQuant quantize8(const float* x, int64_t cols, uint8_t* xq) {
  __m256 mx = _mm256_setzero_ps(), mn = _mm256_setzero_ps();
  int64_t c = 0;
  for (; c + 8 <= cols; c += 8) {
    const __m256 v = _mm256_loadu_ps(x + c);
    mx = _mm256_max_ps(mx, v);
    mn = _mm256_min_ps(mn, v);
  }
  float fmx = 0.0f, fmn = 0.0f;
  alignas(32) float t[8];
  _mm256_store_ps(t, mx);
  for (float v : t) fmx = std::max(fmx, v);
  _mm256_store_ps(t, mn);
  for (float v : t) fmn = std::min(fmn, v);
  for (int64_t i = c; i < cols; ++i) fmx = std::max(fmx, x[i]), fmn = std::min(fmn, x[i]);
  ActQuant a;
  const bool nonneg = fmn >= 0.0f;
  const float amax = std::max(fmx, -fmn);
  a.zero_point = nonneg ? 0 : 128;
  a.scale = amax > 0.0f ? amax / (nonneg ? 255.0f : 127.0f) : 1.0f;
  const float inv_s = 1.0f / a.scale, zf = static_cast<float>(a.zero_point);
  const __m256 inv = _mm256_set1_ps(inv_s), z = _mm256_set1_ps(zf);
  const __m256 lo = _mm256_setzero_ps(), hi = _mm256_set1_ps(255.0f);
  for (c = 0; c + 8 <= cols; c += 8) {
    __m256 q = _mm256_round_ps(_mm256_mul_ps(_mm256_loadu_ps(x + c), inv),
                               _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
    q = _mm256_min_ps(_mm256_max_ps(_mm256_add_ps(q, z), lo), hi);
    const __m256i i32 = _mm256_cvtps_epi32(q);
    const __m128i p16 =
        _mm_packus_epi32(_mm256_castsi256_si128(i32), _mm256_extracti128_si256(i32, 1));
    _mm_storel_epi64(reinterpret_cast<__m128i*>(xq + c), _mm_packus_epi16(p16, p16));
  }
  for (; c < cols; ++c) {  // as the scalar path, for the last cols % 8
    const float v = std::nearbyint(x[c] * inv_s) + zf;
    xq[c] = static_cast<uint8_t>(std::clamp(v, 0.0f, 255.0f));
  }
  return a;
}

// One column: y_col[r] for the rows of block rows [b0, b1), xq quantized. Acc: VnniAcc or
// MaddAcc; the 16 rows are two halves, each with two accumulators (even and odd steps).
template <class Acc, bool kNibbles>
void column(const BsrInt8Weights& w, const uint8_t* xq, ActQuant a, float* yc, int64_t ystride,
            int64_t b0, int64_t b1) {
  const __m256i low4 = _mm256_set1_epi8(0x0F);
  const uint8_t* base = reinterpret_cast<const uint8_t*>(w.data.data());
  const int64_t bb = w.block_bytes(), bc = w.bc, quads = w.quads;
  const __m256 z = _mm256_set1_ps(static_cast<float>(a.zero_point)), sx = _mm256_set1_ps(a.scale);
  for (int64_t bi = b0; bi < b1; ++bi) {
    __m256 acc_lo = _mm256_setzero_ps(), acc_hi = _mm256_setzero_ps();
    int64_t k = w.grouped ? w.vrow_ptr[static_cast<size_t>(bi)] : w.row_ptr[static_cast<size_t>(bi)];
    for (int64_t u = w.run_ptr[static_cast<size_t>(bi)]; u < w.run_ptr[static_cast<size_t>(bi + 1)];
         ++u) {
      const int64_t ke = w.run_end[static_cast<size_t>(u)];
      Acc lo0, lo1, hi0, hi1;
      __m256i tbl = _mm256_setzero_si256();
      if constexpr (kNibbles) {
        tbl = _mm256_broadcastsi128_si256(_mm_loadu_si128(reinterpret_cast<const __m128i*>(
            w.qcodebooks.data() + int64_t{w.block_codebook[static_cast<size_t>(k)]} * 16)));
      }
      // One 64-byte line of int8 weights (rows 0..7, rows 8..15) times the dword x.
      auto line = [&](const uint8_t* p, __m256i x, Acc& l, Acc& h) {
        l.add(x, _mm256_load_si256(reinterpret_cast<const __m256i*>(p)));
        h.add(x, _mm256_load_si256(reinterpret_cast<const __m256i*>(p + 32)));
      };
      // One 64-byte line of nibbles: the low nibbles are quad xa's weights, the high ones xb's.
      auto nibbles = [&](const uint8_t* p, __m256i xa, __m256i xb) {
        const __m256i v0 = _mm256_load_si256(reinterpret_cast<const __m256i*>(p));
        const __m256i v1 = _mm256_load_si256(reinterpret_cast<const __m256i*>(p + 32));
        lo0.add(xa, _mm256_shuffle_epi8(tbl, _mm256_and_si256(v0, low4)));
        hi0.add(xa, _mm256_shuffle_epi8(tbl, _mm256_and_si256(v1, low4)));
        lo1.add(xb, _mm256_shuffle_epi8(tbl, _mm256_and_si256(_mm256_srli_epi16(v0, 4), low4)));
        hi1.add(xb, _mm256_shuffle_epi8(tbl, _mm256_and_si256(_mm256_srli_epi16(v1, 4), low4)));
      };
      for (; k < ke; ++k) {
        const uint8_t* blk = base + k * bb;
        if (w.grouped) {  // a virtual 16×8 block: columns gathered from vcols
          const int32_t* vc = w.vcols.data() + 8 * k;
          const __m256i x0 = dword_of(xq, vc), x1 = dword_of(xq, vc + 4);
          if constexpr (kNibbles) {
            nibbles(blk, x0, x1);
          } else {
            line(blk, x0, lo0, hi0);
            line(blk + 64, x1, lo1, hi1);
          }
          continue;
        }
        const uint8_t* xb = xq + int64_t{w.col_blk[static_cast<size_t>(k)]} * bc;
        if constexpr (kNibbles) {
          for (int64_t pr = 0; pr < quads / 2; ++pr)
            nibbles(blk + 64 * pr, bcast4(xb + 8 * pr), bcast4(xb + 8 * pr + 4));
        } else {
          for (int64_t q = 0; q < quads; ++q) {
            if (q % 2 == 0)
              line(blk + 64 * q, bcast4(xb + 4 * q), lo0, hi0);
            else
              line(blk + 64 * q, bcast4(xb + 4 * q), lo1, hi1);
          }
        }
      }
      const __m256 s = _mm256_set1_ps(w.run_scale[static_cast<size_t>(u)]);
      acc_lo = _mm256_fmadd_ps(
          _mm256_cvtepi32_ps(_mm256_add_epi32(lo0.sum(), lo1.sum())), s, acc_lo);
      acc_hi = _mm256_fmadd_ps(
          _mm256_cvtepi32_ps(_mm256_add_epi32(hi0.sum(), hi1.sum())), s, acc_hi);
    }
    const int64_t r0 = bi * 16, rh = std::min<int64_t>(16, w.rows - r0);
    alignas(32) float ws[16] = {}, bs[16] = {}, out[16];
    std::memcpy(ws, w.wsum.data() + r0, static_cast<size_t>(rh) * sizeof(float));
    if (!w.bias.empty()) std::memcpy(bs, w.bias.data() + r0, static_cast<size_t>(rh) * sizeof(float));
    _mm256_store_ps(out, _mm256_fmadd_ps(_mm256_fnmadd_ps(z, _mm256_load_ps(ws), acc_lo), sx,
                                         _mm256_load_ps(bs)));
    _mm256_store_ps(out + 8, _mm256_fmadd_ps(_mm256_fnmadd_ps(z, _mm256_load_ps(ws + 8), acc_hi),
                                             sx, _mm256_load_ps(bs + 8)));
    for (int64_t r = 0; r < rh; ++r) yc[(r0 + r) * ystride] = out[r];
  }
}

template <class Acc>
void run_columns(const BsrInt8Weights& w, const float* x, int64_t n, float* y, int64_t b0,
                 int64_t b1) {
  const int64_t nbc = (w.cols + w.bc - 1) / w.bc;
  // Past cols the weights are 0: the padding of xq only has to be readable; xq[xpad] stays 0
  // (a grouped layer's empty columns read it).
  t_xq.assign(static_cast<size_t>(std::max(nbc * w.bc, w.xpad + 1) + 64), 0);
  if (n > 1) t_xcol.resize(static_cast<size_t>(w.cols));
  for (int64_t j = 0; j < n; ++j) {
    const float* xc = x;
    if (n > 1) {
      for (int64_t c = 0; c < w.cols; ++c) t_xcol[static_cast<size_t>(c)] = x[c * n + j];
      xc = t_xcol.data();
    }
    const ActQuant a = quantize8(xc, w.cols, t_xq.data());
    if (w.bits == 4)
      column<Acc, true>(w, t_xq.data(), a, y + j, n, b0, b1);
    else
      column<Acc, false>(w, t_xq.data(), a, y + j, n, b0, b1);
  }
}

// ---- spmm_int8_u8: x already quantized, one scale for all columns ---------------------------
// Grouped 16×1 layers, n ≥ 8: 8 output pixels in the lanes (int8_avx512vnni.cc's pixels16 at
// half the width). Sixteen ymm registers do not hold 16 rows, so a block row is taken in passes
// of R rows (8 with AVX-VNNI, 4 with vpmaddwd, whose sums take two registers per row), each
// rebuilding the pixel quads of x from an 8-pixel panel that stays in L1.

thread_local std::vector<uint8_t> t_panel;  // 8 pixels of each row of x, and a row of zeros
thread_local std::vector<int8_t> t_wdec;    // the virtual blocks' weights as int8 (4-bit codes)

// Lane i of the result: (x0[i], x1[i], x2[i], x3[i]) for the 8 pixels of a panel's 4 rows.
inline __m256i pixel_quads8(const uint8_t* x0, const uint8_t* x1, const uint8_t* x2,
                            const uint8_t* x3) {
  const __m128i a = _mm_loadl_epi64(reinterpret_cast<const __m128i*>(x0));
  const __m128i b = _mm_loadl_epi64(reinterpret_cast<const __m128i*>(x1));
  const __m128i c = _mm_loadl_epi64(reinterpret_cast<const __m128i*>(x2));
  const __m128i d = _mm_loadl_epi64(reinterpret_cast<const __m128i*>(x3));
  const __m128i ab = _mm_unpacklo_epi8(a, b), cd = _mm_unpacklo_epi8(c, d);
  return _mm256_inserti128_si256(_mm256_castsi128_si256(_mm_unpacklo_epi16(ab, cd)),
                                 _mm_unpackhi_epi16(ab, cd), 1);
}

inline __m256i bcast_w(const int8_t* p) {
  int32_t v;
  std::memcpy(&v, p, 4);
  return _mm256_set1_epi32(v);
}

// AVX-VNNI: x as it is, one register per row.
struct VnniPix {
  static constexpr int kRows = 8;
  struct X {
    __m256i q;
  };
  static X prepare(__m256i q) { return {q}; }
  struct Acc {
    __m256i a = _mm256_setzero_si256();
    void add(const X& x, const int8_t* w) {
      const __m256i wv = bcast_w(w);
      __asm__("%{vex%} vpdpbusd %2, %1, %0" : "+x"(a) : "x"(x.q), "x"(wv));
    }
    __m256i sum() const { return a; }
  };
};

// vpmaddwd: x zero-extended to int16 once per quad vector (pixels 0..3 and 4..7), the 4 weights
// sign-extended and repeated; two registers of int32 pairs per row, added once per run.
struct MaddPix {
  static constexpr int kRows = 4;
  struct X {
    __m256i lo, hi;
  };
  static X prepare(__m256i q) {
    return {_mm256_cvtepu8_epi16(_mm256_castsi256_si128(q)),
            _mm256_cvtepu8_epi16(_mm256_extracti128_si256(q, 1))};
  }
  struct Acc {
    __m256i a0 = _mm256_setzero_si256(), a1 = _mm256_setzero_si256();
    void add(const X& x, const int8_t* w) {
      int32_t v;
      std::memcpy(&v, w, 4);
      const __m256i w16 = _mm256_cvtepi8_epi16(_mm_set1_epi32(v));
      a0 = _mm256_add_epi32(a0, _mm256_madd_epi16(x.lo, w16));
      a1 = _mm256_add_epi32(a1, _mm256_madd_epi16(x.hi, w16));
    }
    __m256i sum() const {  // as MaddAcc::sum: lanes (0, 1, 4, 5 | 2, 3, 6, 7) put in order
      return _mm256_permutevar8x32_epi32(_mm256_hadd_epi32(a0, a1),
                                         _mm256_setr_epi32(0, 1, 4, 5, 2, 3, 6, 7));
    }
  };
};

// The int32 sums of rows [rr, rr + P::kRows) of virtual blocks [k, ke) for the panel's 8
// pixels, into acc[row].
template <class P>
void run_pixels8(const BsrInt8Weights& w, const int8_t* wb, int64_t k, int64_t ke,
                 const uint8_t* panel, int rr, int32_t (*acc)[8]) {
  // Named accumulators (an array, indexed in loops, ends up on the stack around the asm).
  typename P::Acc a0, a1, a2, a3, a4, a5, a6, a7;
  const uint8_t* zero = panel + w.cols * 8;
  auto row = [&](int32_t c) { return c < w.cols ? panel + int64_t{c} * 8 : zero; };
  for (; k < ke; ++k) {
    const int32_t* vc = w.vcols.data() + 8 * k;
    const typename P::X x0 = P::prepare(pixel_quads8(row(vc[0]), row(vc[1]), row(vc[2]), row(vc[3])));
    const typename P::X x1 = P::prepare(pixel_quads8(row(vc[4]), row(vc[5]), row(vc[6]), row(vc[7])));
    const int8_t* wk = wb + k * 128 + 4 * rr;
#define SIEVE_ROW(R)                  \
  if constexpr ((R) < P::kRows) {     \
    a##R.add(x0, wk + 4 * (R));       \
    a##R.add(x1, wk + 64 + 4 * (R));  \
  }
    SIEVE_ROW(0) SIEVE_ROW(1) SIEVE_ROW(2) SIEVE_ROW(3)
    SIEVE_ROW(4) SIEVE_ROW(5) SIEVE_ROW(6) SIEVE_ROW(7)
#undef SIEVE_ROW
  }
#define SIEVE_STORE(R) \
  if constexpr ((R) < P::kRows) _mm256_store_si256(reinterpret_cast<__m256i*>(acc[rr + (R)]), a##R.sum());
  SIEVE_STORE(0) SIEVE_STORE(1) SIEVE_STORE(2) SIEVE_STORE(3)
  SIEVE_STORE(4) SIEVE_STORE(5) SIEVE_STORE(6) SIEVE_STORE(7)
#undef SIEVE_STORE
}

template <class P>
void pixels8(const BsrInt8Weights& w, const uint8_t* xq, ActQuant a, int64_t n, float* y,
             int64_t b0, int64_t b1) {
  const __m256i low4 = _mm256_set1_epi8(0x0F);
  const uint8_t* base = reinterpret_cast<const uint8_t*>(w.data.data());
  const int64_t kv0 = w.vrow_ptr[static_cast<size_t>(b0)], kv1 = w.vrow_ptr[static_cast<size_t>(b1)];
  const int8_t* wb = reinterpret_cast<const int8_t*>(base);  // virtual block k at wb + k·128
  if (w.bits == 4) {
    t_wdec.resize(static_cast<size_t>(std::max<int64_t>(1, (kv1 - kv0) * 128)));
    for (int64_t k = kv0; k < kv1; ++k) {
      const __m256i tbl = _mm256_broadcastsi128_si256(_mm_loadu_si128(reinterpret_cast<const __m128i*>(
          w.qcodebooks.data() + int64_t{w.block_codebook[static_cast<size_t>(k)]} * 16)));
      int8_t* out = t_wdec.data() + (k - kv0) * 128;
      for (int h = 0; h < 2; ++h) {
        const __m256i v = _mm256_load_si256(reinterpret_cast<const __m256i*>(base + k * 64 + 32 * h));
        _mm256_storeu_si256(reinterpret_cast<__m256i*>(out + 32 * h),
                            _mm256_shuffle_epi8(tbl, _mm256_and_si256(v, low4)));
        _mm256_storeu_si256(reinterpret_cast<__m256i*>(out + 64 + 32 * h),
                            _mm256_shuffle_epi8(tbl, _mm256_and_si256(_mm256_srli_epi16(v, 4), low4)));
      }
    }
    wb = t_wdec.data() - kv0 * 128;
  }
  t_panel.assign(static_cast<size_t>((w.cols + 1) * 8 + 32), 0);
  uint8_t* panel = t_panel.data();
  const __m256 z = _mm256_set1_ps(static_cast<float>(a.zero_point)), sx = _mm256_set1_ps(a.scale);
  for (int64_t p0 = 0; p0 < n; p0 += 8) {
    const int64_t np = std::min<int64_t>(8, n - p0);
    const __m256i my = _mm256_cmpgt_epi32(_mm256_set1_epi32(static_cast<int>(np)),
                                          _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7));
    for (int64_t c = 0; c < w.cols; ++c) {  // pixels past n: 0
      uint64_t v = 0;
      std::memcpy(&v, xq + c * n + p0, static_cast<size_t>(np));
      std::memcpy(panel + c * 8, &v, 8);
    }
    for (int64_t bi = b0; bi < b1; ++bi) {
      const int64_t r0 = bi * 16, rh = std::min<int64_t>(16, w.rows - r0);
      int64_t k = w.vrow_ptr[static_cast<size_t>(bi)];
      bool first = true;
      for (int64_t u = w.run_ptr[static_cast<size_t>(bi)]; u < w.run_ptr[static_cast<size_t>(bi + 1)]; ++u) {
        const int64_t ke = w.run_end[static_cast<size_t>(u)];
        alignas(32) int32_t acc[16][8];
        for (int rr = 0; rr < 16; rr += P::kRows) run_pixels8<P>(w, wb, k, ke, panel, rr, acc);
        k = ke;
        const __m256 s = _mm256_set1_ps(w.run_scale[static_cast<size_t>(u)]);
        for (int64_t r = 0; r < rh; ++r) {
          float* yr = y + (r0 + r) * n + p0;
          const __m256 prev = first ? _mm256_setzero_ps() : _mm256_maskload_ps(yr, my);
          const __m256 sum = _mm256_cvtepi32_ps(_mm256_load_si256(reinterpret_cast<const __m256i*>(acc[r])));
          _mm256_maskstore_ps(yr, my, _mm256_fmadd_ps(sum, s, prev));
        }
        first = false;
      }
      for (int64_t r = 0; r < rh; ++r) {
        float* yr = y + (r0 + r) * n + p0;
        const __m256 acc = first ? _mm256_setzero_ps() : _mm256_maskload_ps(yr, my);
        const __m256 t = _mm256_fnmadd_ps(z, _mm256_set1_ps(w.wsum[static_cast<size_t>(r0 + r)]), acc);
        const __m256 b = _mm256_set1_ps(w.bias.empty() ? 0.0f : w.bias[static_cast<size_t>(r0 + r)]);
        _mm256_maskstore_ps(yr, my, _mm256_fmadd_ps(t, sx, b));
      }
    }
  }
}

}  // namespace

void spmm_int8_u8_avx2(const BsrInt8Weights& w, const uint8_t* xq, ActQuant a, int64_t n,
                       float* y, int64_t b0, int64_t b1, bool vnni) {
  if (w.grouped && n >= 8) {
    if (vnni)
      pixels8<VnniPix>(w, xq, a, n, y, b0, b1);
    else
      pixels8<MaddPix>(w, xq, a, n, y, b0, b1);
    return;
  }
  // Column by column: x's column j gathered into the layout the spmm_int8 kernels read.
  const int64_t nbc = (w.cols + w.bc - 1) / w.bc;
  t_xq.assign(static_cast<size_t>(std::max(nbc * w.bc, w.xpad + 1) + 64), 0);
  for (int64_t j = 0; j < n; ++j) {
    for (int64_t c = 0; c < w.cols; ++c) t_xq[static_cast<size_t>(c)] = xq[c * n + j];
    if (vnni) {
      if (w.bits == 4)
        column<VnniAcc, true>(w, t_xq.data(), a, y + j, n, b0, b1);
      else
        column<VnniAcc, false>(w, t_xq.data(), a, y + j, n, b0, b1);
    } else {
      if (w.bits == 4)
        column<MaddAcc, true>(w, t_xq.data(), a, y + j, n, b0, b1);
      else
        column<MaddAcc, false>(w, t_xq.data(), a, y + j, n, b0, b1);
    }
  }
}

void spmm_int8_avx2(const BsrInt8Weights& w, const float* x, int64_t n, float* y, int64_t b0,
                    int64_t b1, bool vnni) {
  if (vnni)
    run_columns<VnniAcc>(w, x, n, y, b0, b1);
  else
    run_columns<MaddAcc>(w, x, n, y, b0, b1);
}

}  // namespace sieve::runtime::kernels::bsr::detail
