// The int8 route on AVX512-VNNI (compiled with -mavx512f -mavx512bw -mavx512vnni; int8.cc calls
// it only on a CPU with all three, for br = 16 layers with bc % 4 == 0).
//
// Lane r of a zmm is row r of the block row; its 4 bytes are 4 consecutive columns (a quad),
// so one `vpdpbusd` does 16 rows × 4 columns = 64 multiply-adds against one broadcast dword of
// u8 activations. 4-bit codes: a 64-byte load holds two quads of all 16 rows (low and high
// nibbles); `vpand` / `vpsrlw` + `vpand` give the 4-bit indices and `vpshufb` looks them up in
// the block's 16-entry int8 codebook, broadcast to the 4 lanes of 128 bits. A 16×16 block is
// 2 loads, 4 vpshufb and 4 vpdpbusd. The int32 sums of a run are scaled into fp32 at its end
// (int8.h gives the exact sequence of operations, which the scalar path follows too).
// Cold weights: the blocks are one stream; it is prefetched kPrefetch bytes ahead.
// 4-bit decode: vpermb when the CPU has AVX512-VBMI (no masking), else vpand + vpshufb.
// GCC 12's AVX-512 intrinsics start from _mm512_undefined_*() values that -Wmaybe-uninitialized
// reports inside the intrinsics header (a known false positive): not in this file's own code.
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#endif
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

// Weights are one stream: each step prefetches the lines kPrefetch bytes ahead into L2
// (prefetcht2; t0 was slower cold, 4 KiB ahead measured best of 1.5 to 16 KiB).
constexpr int64_t kPrefetch = 4096;


inline __mmask16 lanes(int64_t m) {
  if (m <= 0) return 0;
  return m >= 16 ? static_cast<__mmask16>(0xFFFF) : static_cast<__mmask16>((1u << m) - 1);
}

// acc += vpdpbusd(u8 x, s8 w), in place: GCC 12 copies the accumulator of the intrinsic into a
// new register on every step of the unrolled loops below (a vector move on ports 0/5 that the
// decode needs), so the instruction is written out.
inline void dpbusd(__m512i& acc, __m512i x, __m512i w) {
  __asm__("vpdpbusd %2, %1, %0" : "+v"(acc) : "v"(x), "v"(w));
}

inline __m512i bcast4(const uint8_t* p) {
  int32_t v;
  std::memcpy(&v, p, 4);
  return _mm512_set1_epi32(v);
}

// quantize_activations() (int8.cc) for a contiguous column: the same operations, 16 lanes at a
// time (max and min are exact in any order; the rest is per element).
ActQuant quantize16(const float* x, int64_t cols, uint8_t* xq) {
  __m512 mx = _mm512_setzero_ps(), mn = _mm512_setzero_ps();
  int64_t c = 0;
  for (; c + 16 <= cols; c += 16) {
    const __m512 v = _mm512_loadu_ps(x + c);
    mx = _mm512_max_ps(mx, v);
    mn = _mm512_min_ps(mn, v);
  }
  if (c < cols) {
    const __m512 v = _mm512_maskz_loadu_ps(lanes(cols - c), x + c);  // zeros: neutral here
    mx = _mm512_max_ps(mx, v);
    mn = _mm512_min_ps(mn, v);
  }
  const float fmx = _mm512_reduce_max_ps(mx), fmn = _mm512_reduce_min_ps(mn);
  ActQuant a;
  const bool nonneg = fmn >= 0.0f;
  const float amax = std::max(fmx, -fmn);
  a.zero_point = nonneg ? 0 : 128;
  a.scale = amax > 0.0f ? amax / (nonneg ? 255.0f : 127.0f) : 1.0f;
  const __m512 inv = _mm512_set1_ps(1.0f / a.scale), z = _mm512_set1_ps(static_cast<float>(a.zero_point));
  const __m512 lo = _mm512_setzero_ps(), hi = _mm512_set1_ps(255.0f);
  for (c = 0; c < cols; c += 16) {
    const __mmask16 m = lanes(cols - c);
    const __m512 v = _mm512_maskz_loadu_ps(m, x + c);
    __m512 q = _mm512_roundscale_ps(_mm512_mul_ps(v, inv), _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
    q = _mm512_min_ps(_mm512_max_ps(_mm512_add_ps(q, z), lo), hi);
    // 16 bytes even for a partial last group: xq has 64 bytes of padding (int8.cc).
    _mm_storeu_si128(reinterpret_cast<__m128i*>(xq + c), _mm512_cvtepi32_epi8(_mm512_cvtps_epi32(q)));
  }
  return a;
}

// The int32 sums of 16×16 4-bit blocks [k, ke) (one run): 8 accumulators, two blocks per step.
// Decode: 16 nibbles → int8 through the 16-entry codebook. vpshufb needs the index's bits 4..7
// cleared (vpand); vpermb (VBMI) reads only bits 0..5, so with the codebook repeated 4 times in
// its 64-byte table the other nibble's bits do not matter and the masking goes: per block, 4
// lookups, 2 shifts and 4 dot products on ports 0 and 5 instead of 4 more vpand.
#define SIEVE_INT8_RUN16X16(NAME, ATTR, LO, HI, HI2)                                               \
  ATTR __m512i NAME(const uint8_t* base, const int32_t* col_blk, const uint8_t* xq, __m512i tbl, \
                    int64_t k, int64_t ke) {                                                     \
    [[maybe_unused]] const __m512i low4 = _mm512_set1_epi8(0x0F);                               \
    /* vpmultishiftqb: byte i of each qword from bits 8i+4 .. 8i+11 (its high nibble) */         \
    [[maybe_unused]] const __m512i shift4 = _mm512_set1_epi64(0x3C342C241C140C04);              \
    __m512i a0 = _mm512_setzero_si512(), a1 = a0, a2 = a0, a3 = a0, a4 = a0, a5 = a0, a6 = a0,   \
            a7 = a0;                                                                             \
    const uint8_t* p = base + k * 128;                                                           \
    for (; k + 2 <= ke; k += 2, p += 256) {                                                      \
      for (int64_t line = 0; line < 256; line += 64) { /* never faults */                        \
        _mm_prefetch(reinterpret_cast<const char*>(p + kPrefetch + line), _MM_HINT_T2);          \
      }                                                                                          \
      const uint8_t* xa = xq + int64_t{col_blk[k]} * 16;                                         \
      const uint8_t* xb = xq + int64_t{col_blk[k + 1]} * 16;                                     \
      const __m512i v0 = _mm512_load_si512(p), v1 = _mm512_load_si512(p + 64);                   \
      const __m512i v2 = _mm512_load_si512(p + 128), v3 = _mm512_load_si512(p + 192);            \
      dpbusd(a0, bcast4(xa), LO(v0));                                          \
      dpbusd(a1, bcast4(xa + 4), HI(v0));                                      \
      dpbusd(a2, bcast4(xa + 8), LO(v1));                                      \
      dpbusd(a3, bcast4(xa + 12), HI2(v1));                                    \
      dpbusd(a4, bcast4(xb), LO(v2));                                          \
      dpbusd(a5, bcast4(xb + 4), HI(v2));                                      \
      dpbusd(a6, bcast4(xb + 8), LO(v3));                                      \
      dpbusd(a7, bcast4(xb + 12), HI2(v3));                                    \
    }                                                                                            \
    if (k < ke) {                                                                                \
      const uint8_t* xa = xq + int64_t{col_blk[k]} * 16;                                         \
      const __m512i v0 = _mm512_load_si512(p), v1 = _mm512_load_si512(p + 64);                   \
      dpbusd(a0, bcast4(xa), LO(v0));                                          \
      dpbusd(a1, bcast4(xa + 4), HI(v0));                                      \
      dpbusd(a2, bcast4(xa + 8), LO(v1));                                      \
      dpbusd(a3, bcast4(xa + 12), HI2(v1));                                    \
    }                                                                                            \
    return _mm512_add_epi32(                                                                     \
        _mm512_add_epi32(_mm512_add_epi32(a0, a1), _mm512_add_epi32(a2, a3)),                    \
        _mm512_add_epi32(_mm512_add_epi32(a4, a5), _mm512_add_epi32(a6, a7)));                   \
  }

#define SIEVE_SHUFB_LO(v) _mm512_shuffle_epi8(tbl, _mm512_and_si512((v), low4))
#define SIEVE_SHUFB_HI(v) _mm512_shuffle_epi8(tbl, _mm512_and_si512(_mm512_srli_epi16((v), 4), low4))
#define SIEVE_PERMB_LO(v) _mm512_permutexvar_epi8((v), tbl)
#define SIEVE_PERMB_HI(v) _mm512_permutexvar_epi8(_mm512_srli_epi16((v), 4), tbl)
#define SIEVE_PERMB_HI2(v) _mm512_permutexvar_epi8(_mm512_multishift_epi64_epi8(shift4, (v)), tbl)
// tbl: the codebook in each 16-byte lane (vpshufb), which is also 4 copies for vpermb.
SIEVE_INT8_RUN16X16(run16x16_shufb, , SIEVE_SHUFB_LO, SIEVE_SHUFB_HI, SIEVE_SHUFB_HI)
SIEVE_INT8_RUN16X16(run16x16_permb, __attribute__((target("avx512vbmi"))), SIEVE_PERMB_LO,
                    SIEVE_PERMB_HI, SIEVE_PERMB_HI2)
#undef SIEVE_SHUFB_LO
#undef SIEVE_SHUFB_HI
#undef SIEVE_PERMB_LO
#undef SIEVE_PERMB_HI
#undef SIEVE_PERMB_HI2
#undef SIEVE_INT8_RUN16X16

// One column: y_col[r] for the rows of block rows [b0, b1), xq quantized.
template <bool kNibbles>
void column(const BsrInt8Weights& w, const uint8_t* xq, ActQuant a, float* yc, int64_t ystride,
            int64_t b0, int64_t b1, bool vbmi) {
  const __m512i low4 = _mm512_set1_epi8(0x0F);
  const uint8_t* base = reinterpret_cast<const uint8_t*>(w.data.data());
  const int64_t bb = w.block_bytes(), bc = w.bc, quads = w.quads;
  const __m512 z = _mm512_set1_ps(static_cast<float>(a.zero_point)), sx = _mm512_set1_ps(a.scale);
  for (int64_t bi = b0; bi < b1; ++bi) {
    __m512 acc = _mm512_setzero_ps();
    int64_t k = w.grouped ? w.vrow_ptr[static_cast<size_t>(bi)] : w.row_ptr[static_cast<size_t>(bi)];
    for (int64_t u = w.run_ptr[static_cast<size_t>(bi)]; u < w.run_ptr[static_cast<size_t>(bi + 1)]; ++u) {
      const int64_t ke = w.run_end[static_cast<size_t>(u)];
      __m512i s[8];
      for (__m512i& v : s) v = _mm512_setzero_si512();
      __m512i tbl = _mm512_setzero_si512();
      if constexpr (kNibbles) {
        tbl = _mm512_broadcast_i32x4(_mm_loadu_si128(reinterpret_cast<const __m128i*>(
            w.qcodebooks.data() + int64_t{w.block_codebook[static_cast<size_t>(k)]} * 16)));
      }
      if (kNibbles && quads == 4) {  // 16×16 blocks, the FC case
        const __m512i t = vbmi ? run16x16_permb(base, w.col_blk.data(), xq, tbl, k, ke)
                               : run16x16_shufb(base, w.col_blk.data(), xq, tbl, k, ke);
        acc = _mm512_fmadd_ps(_mm512_cvtepi32_ps(t), _mm512_set1_ps(w.run_scale[static_cast<size_t>(u)]), acc);
        k = ke;
        continue;
      } else if (w.grouped) {  // 16×1 blocks, 8 per virtual 16×8 block: x gathered per column
        for (; k < ke; ++k) {
          const uint8_t* blk = base + k * bb;
          const int32_t* vc = w.vcols.data() + 8 * k;
          _mm_prefetch(reinterpret_cast<const char*>(blk + kPrefetch), _MM_HINT_T2);  // never faults
          const __m512i x0 = _mm512_set1_epi32(static_cast<int32_t>(
              uint32_t{xq[vc[0]]} | uint32_t{xq[vc[1]]} << 8 | uint32_t{xq[vc[2]]} << 16 | uint32_t{xq[vc[3]]} << 24));
          const __m512i x1 = _mm512_set1_epi32(static_cast<int32_t>(
              uint32_t{xq[vc[4]]} | uint32_t{xq[vc[5]]} << 8 | uint32_t{xq[vc[6]]} << 16 | uint32_t{xq[vc[7]]} << 24));
          __m512i& s0 = s[(k & 1) * 2];
          __m512i& s1 = s[(k & 1) * 2 + 1];
          if constexpr (kNibbles) {
            const __m512i v = _mm512_load_si512(blk);
            dpbusd(s0, x0, _mm512_shuffle_epi8(tbl, _mm512_and_si512(v, low4)));
            dpbusd(s1, x1, _mm512_shuffle_epi8(tbl, _mm512_and_si512(_mm512_srli_epi16(v, 4), low4)));
          } else {
            _mm_prefetch(reinterpret_cast<const char*>(blk + kPrefetch + 64), _MM_HINT_T2);
            dpbusd(s0, x0, _mm512_load_si512(blk));
            dpbusd(s1, x1, _mm512_load_si512(blk + 64));
          }
        }
      } else {
        for (; k < ke; ++k) {
          const uint8_t* blk = base + k * bb;
          const uint8_t* xb = xq + int64_t{w.col_blk[static_cast<size_t>(k)]} * bc;
          for (int64_t line = 0; line < bb; line += 64) {  // never faults
            _mm_prefetch(reinterpret_cast<const char*>(blk + kPrefetch + line), _MM_HINT_T2);
          }
          if constexpr (kNibbles) {
            for (int64_t pr = 0; pr < quads / 2; ++pr) {
              const __m512i v = _mm512_load_si512(blk + 64 * pr);
              const __m512i wl = _mm512_shuffle_epi8(tbl, _mm512_and_si512(v, low4));
              const __m512i wh = _mm512_shuffle_epi8(tbl, _mm512_and_si512(_mm512_srli_epi16(v, 4), low4));
              s[(2 * pr) & 7] = _mm512_dpbusd_epi32(s[(2 * pr) & 7], bcast4(xb + 8 * pr), wl);
              s[(2 * pr + 1) & 7] = _mm512_dpbusd_epi32(s[(2 * pr + 1) & 7], bcast4(xb + 8 * pr + 4), wh);
            }
          } else {
            for (int64_t q = 0; q < quads; ++q) {
              s[q & 7] = _mm512_dpbusd_epi32(s[q & 7], bcast4(xb + 4 * q), _mm512_load_si512(blk + 64 * q));
            }
          }
        }
      }
      const __m512i t = _mm512_add_epi32(
          _mm512_add_epi32(_mm512_add_epi32(s[0], s[1]), _mm512_add_epi32(s[2], s[3])),
          _mm512_add_epi32(_mm512_add_epi32(s[4], s[5]), _mm512_add_epi32(s[6], s[7])));
      acc = _mm512_fmadd_ps(_mm512_cvtepi32_ps(t), _mm512_set1_ps(w.run_scale[static_cast<size_t>(u)]), acc);
    }
    const int64_t r0 = bi * 16;
    const __mmask16 m = lanes(w.rows - r0);
    const __m512 tz = _mm512_fnmadd_ps(z, _mm512_maskz_loadu_ps(m, w.wsum.data() + r0), acc);
    const __m512 b = w.bias.empty() ? _mm512_setzero_ps() : _mm512_maskz_loadu_ps(m, w.bias.data() + r0);
    const __m512 yv = _mm512_fmadd_ps(tz, sx, b);
    if (ystride == 1) {
      _mm512_mask_storeu_ps(yc + r0, m, yv);
    } else {
      alignas(64) float tmp[16];
      _mm512_store_ps(tmp, yv);
      for (int64_t r = 0; r < std::min<int64_t>(16, w.rows - r0); ++r) yc[(r0 + r) * ystride] = tmp[r];
    }
  }
}

// ---- spmm_int8_u8: x already quantized, one scale for all columns ---------------------------

// Pixel quads of 16 pixels: lane i holds (x0[i], x1[i], x2[i], x3[i]), the bytes of pixel i in
// 4 rows of a panel (16 bytes each, 16-byte aligned).
[[gnu::always_inline]] inline __m512i pixel_quads(const uint8_t* x0, const uint8_t* x1, const uint8_t* x2,
                           const uint8_t* x3, __mmask64 m) {
  (void)m;  // the panel is whole: pixels past n are 0 there
  const __m128i a = _mm_load_si128(reinterpret_cast<const __m128i*>(x0));
  const __m128i b = _mm_load_si128(reinterpret_cast<const __m128i*>(x1));
  const __m128i c = _mm_load_si128(reinterpret_cast<const __m128i*>(x2));
  const __m128i d = _mm_load_si128(reinterpret_cast<const __m128i*>(x3));
  const __m128i ab0 = _mm_unpacklo_epi8(a, b), ab1 = _mm_unpackhi_epi8(a, b);
  const __m128i cd0 = _mm_unpacklo_epi8(c, d), cd1 = _mm_unpackhi_epi8(c, d);
  const __m256i lo = _mm256_inserti128_si256(
      _mm256_castsi128_si256(_mm_unpacklo_epi16(ab0, cd0)), _mm_unpackhi_epi16(ab0, cd0), 1);
  const __m256i hi = _mm256_inserti128_si256(
      _mm256_castsi128_si256(_mm_unpacklo_epi16(ab1, cd1)), _mm_unpackhi_epi16(ab1, cd1), 1);
  return _mm512_inserti64x4(_mm512_castsi256_si512(lo), hi, 1);
}

// The same with VBMI: the 4 rows in one zmm (3 inserts) and one vpermb. Written out in asm:
// this file is not compiled for avx512vbmi, and the caller runs it only on a CPU that has it.
[[gnu::always_inline]] inline __m512i pixel_quads_vbmi(const uint8_t* x0, const uint8_t* x1,
                                                       const uint8_t* x2, const uint8_t* x3,
                                                       __m512i transpose) {
  __m512i t = _mm512_castsi128_si512(_mm_load_si128(reinterpret_cast<const __m128i*>(x0)));
  t = _mm512_inserti32x4(t, _mm_load_si128(reinterpret_cast<const __m128i*>(x1)), 1);
  t = _mm512_inserti32x4(t, _mm_load_si128(reinterpret_cast<const __m128i*>(x2)), 2);
  t = _mm512_inserti32x4(t, _mm_load_si128(reinterpret_cast<const __m128i*>(x3)), 3);
  __m512i q;
  __asm__("vpermb %1, %2, %0" : "=v"(q) : "v"(t), "v"(transpose));
  return q;
}

// vpermb's index for pixel_quads_vbmi: byte 4i + j of the result is byte 16j + i of the rows.
inline __m512i quads_index() {
  alignas(64) uint8_t idx[64];
  for (int i = 0; i < 16; ++i)
    for (int j = 0; j < 4; ++j) idx[4 * i + j] = static_cast<uint8_t>(16 * j + i);
  return _mm512_load_si512(idx);
}

thread_local std::vector<BsrInt8Weights::Line> t_wdec;     // a block row's virtual blocks as int8 weights
thread_local std::vector<uint8_t> t_zrow;   // a 16-pixel panel of x, and a row of zeros

// The int32 sums of virtual blocks [k, ke) (one run) for 16 pixels from p0, into acc[row]:
// 16 named accumulators (an array indexed in loops ends up on the stack).
// x's row c (c ≥ cols: a grouped layer's empty column, the row of zeros).
struct XRows {
  const uint8_t* xq;
  int64_t n, cols;
  const uint8_t* zero;
  [[gnu::always_inline]] const uint8_t* operator()(int32_t c) const {
    return c < cols ? xq + int64_t{c} * n : zero;
  }
};

template <bool kVbmi>
void run_pixels(const BsrInt8Weights& w, const uint8_t* wb, int64_t k, int64_t ke, const XRows& row,
                int64_t p0, __mmask64 mx, int32_t (*acc)[16]) {
  [[maybe_unused]] const __m512i transpose = quads_index();
  __m512i a0 = _mm512_setzero_si512(), a1 = a0, a2 = a0, a3 = a0, a4 = a0, a5 = a0, a6 = a0,
          a7 = a0, a8 = a0, a9 = a0, a10 = a0, a11 = a0, a12 = a0, a13 = a0, a14 = a0, a15 = a0;
  for (; k < ke; ++k) {
    const int32_t* vc = w.vcols.data() + 8 * k;
    __m512i x0, x1;
    if constexpr (kVbmi) {
      x0 = pixel_quads_vbmi(row(vc[0]) + p0, row(vc[1]) + p0, row(vc[2]) + p0, row(vc[3]) + p0, transpose);
      x1 = pixel_quads_vbmi(row(vc[4]) + p0, row(vc[5]) + p0, row(vc[6]) + p0, row(vc[7]) + p0, transpose);
    } else {
      x0 = pixel_quads(row(vc[0]) + p0, row(vc[1]) + p0, row(vc[2]) + p0, row(vc[3]) + p0, mx);
      x1 = pixel_quads(row(vc[4]) + p0, row(vc[5]) + p0, row(vc[6]) + p0, row(vc[7]) + p0, mx);
    }
    const uint8_t* wk = wb + k * 128;
// The row's 4 weights are broadcast by the instruction's memory operand ({1to16}): GCC does not
// fold the broadcast into vpdpbusd itself, which costs a load uop per row.
#define SIEVE_ROW(R)                                                                     \
  __asm__("vpdpbusd %2%{1to16%}, %1, %0"                                                 \
          : "+v"(a##R)                                                                   \
          : "v"(x0), "m"(*reinterpret_cast<const int32_t*>(wk + 4 * (R))));              \
  __asm__("vpdpbusd %2%{1to16%}, %1, %0"                                                 \
          : "+v"(a##R)                                                                   \
          : "v"(x1), "m"(*reinterpret_cast<const int32_t*>(wk + 64 + 4 * (R))));
    SIEVE_ROW(0) SIEVE_ROW(1) SIEVE_ROW(2) SIEVE_ROW(3) SIEVE_ROW(4) SIEVE_ROW(5) SIEVE_ROW(6)
    SIEVE_ROW(7) SIEVE_ROW(8) SIEVE_ROW(9) SIEVE_ROW(10) SIEVE_ROW(11) SIEVE_ROW(12)
    SIEVE_ROW(13) SIEVE_ROW(14) SIEVE_ROW(15)
#undef SIEVE_ROW
  }
  const __m512i all[16] = {a0, a1, a2, a3, a4, a5, a6, a7, a8, a9, a10, a11, a12, a13, a14, a15};
  for (int r = 0; r < 16; ++r) _mm512_store_si512(acc[r], all[r]);
}

// Grouped 16×1 layers, n ≥ 16: 16 output pixels in the lanes, the block row's 16 rows in 16
// accumulators. A virtual block (8 columns of x) is two pixel-quad vectors and 32 vpdpbusd,
// each against one row's 4 weights broadcast from memory. A run's int32 sums go into y as
// fp32 (fma by the run's scale, in run order), and the zero point, the activation scale and
// the bias are applied last: the scalar path's operations, in its order.
// Loop order: 16-pixel panels outside, block rows inside. A panel of x (16 bytes of each row,
// cols + 1 rows with a row of zeros for the empty columns: 37 KB for conv3_2's 2,304) is packed
// once and stays in L1 over all block rows; reading x in place instead touches a 64-byte line
// per row and panel, which does not stay in L1 across the block rows and measured several
// times slower. 4-bit weights are decoded once per call (128 bytes per virtual block).
void pixels16(const BsrInt8Weights& w, const uint8_t* xq, ActQuant a, int64_t n, float* y,
              int64_t b0, int64_t b1, bool vbmi) {
  const __m512i low4 = _mm512_set1_epi8(0x0F);
  const uint8_t* base = reinterpret_cast<const uint8_t*>(w.data.data());
  const int64_t kv0 = w.vrow_ptr[static_cast<size_t>(b0)], kv1 = w.vrow_ptr[static_cast<size_t>(b1)];
  const uint8_t* wb = base;  // virtual block k at wb + k·128 (quad 0, then quad 1)
  if (w.bits == 4) {
    t_wdec.resize(static_cast<size_t>(std::max<int64_t>(1, (kv1 - kv0) * 2)));
    for (int64_t k = kv0; k < kv1; ++k) {
      const __m512i tbl = _mm512_broadcast_i32x4(_mm_loadu_si128(reinterpret_cast<const __m128i*>(
          w.qcodebooks.data() + int64_t{w.block_codebook[static_cast<size_t>(k)]} * 16)));
      const __m512i v = _mm512_load_si512(base + k * 64);
      BsrInt8Weights::Line* out = t_wdec.data() + (k - kv0) * 2;
      _mm512_store_si512(out, _mm512_shuffle_epi8(tbl, _mm512_and_si512(v, low4)));
      _mm512_store_si512(out + 1, _mm512_shuffle_epi8(tbl, _mm512_and_si512(_mm512_srli_epi16(v, 4), low4)));
    }
    wb = reinterpret_cast<const uint8_t*>(t_wdec.data()) - kv0 * 128;
  }
  t_zrow.assign(static_cast<size_t>((w.cols + 1) * 16 + 64), 0);  // the panel
  uint8_t* panel = t_zrow.data();
  const XRows row{panel, 16, w.cols, panel + w.cols * 16};
  const __m512 z = _mm512_set1_ps(static_cast<float>(a.zero_point)), sx = _mm512_set1_ps(a.scale);
  for (int64_t p0 = 0; p0 < n; p0 += 16) {
    const int64_t np = std::min<int64_t>(16, n - p0);
    const __mmask64 mx = np == 16 ? 0xFFFF : (uint64_t{1} << np) - 1;
    const __mmask16 my = static_cast<__mmask16>(mx);
    for (int64_t c = 0; c < w.cols; ++c)  // pixels past n: 0
      _mm_store_si128(reinterpret_cast<__m128i*>(panel + c * 16),
                      _mm512_castsi512_si128(_mm512_maskz_loadu_epi8(mx, xq + c * n + p0)));
    for (int64_t bi = b0; bi < b1; ++bi) {
      const int64_t r0 = bi * 16, rh = std::min<int64_t>(16, w.rows - r0);
      int64_t k = w.vrow_ptr[static_cast<size_t>(bi)];
      bool first = true;
      for (int64_t u = w.run_ptr[static_cast<size_t>(bi)]; u < w.run_ptr[static_cast<size_t>(bi + 1)]; ++u) {
        const int64_t ke = w.run_end[static_cast<size_t>(u)];
        alignas(64) int32_t acc[16][16];
        if (vbmi)
          run_pixels<true>(w, wb, k, ke, row, 0, 0xFFFF, acc);
        else
          run_pixels<false>(w, wb, k, ke, row, 0, 0xFFFF, acc);
        k = ke;
        const __m512 s = _mm512_set1_ps(w.run_scale[static_cast<size_t>(u)]);
        for (int64_t r = 0; r < rh; ++r) {
          float* yr = y + (r0 + r) * n + p0;
          const __m512 prev = first ? _mm512_setzero_ps() : _mm512_maskz_loadu_ps(my, yr);
          _mm512_mask_storeu_ps(yr, my, _mm512_fmadd_ps(_mm512_cvtepi32_ps(_mm512_load_si512(acc[r])), s, prev));
        }
        first = false;
      }
      for (int64_t r = 0; r < rh; ++r) {
        float* yr = y + (r0 + r) * n + p0;
        const __m512 acc = first ? _mm512_setzero_ps() : _mm512_maskz_loadu_ps(my, yr);
        const __m512 t = _mm512_fnmadd_ps(z, _mm512_set1_ps(w.wsum[static_cast<size_t>(r0 + r)]), acc);
        const __m512 b = _mm512_set1_ps(w.bias.empty() ? 0.0f : w.bias[static_cast<size_t>(r0 + r)]);
        _mm512_mask_storeu_ps(yr, my, _mm512_fmadd_ps(t, sx, b));
      }
    }
  }
}

}  // namespace

void spmm_int8_u8_avx512vnni(const BsrInt8Weights& w, const uint8_t* xq, ActQuant a, int64_t n,
                             float* y, int64_t b0, int64_t b1, bool vbmi) {
  if (w.grouped && n >= 16) {
    pixels16(w, xq, a, n, y, b0, b1, vbmi);
    return;
  }
  // Column by column: x's column j gathered into the layout the spmm_int8 kernels read.
  const int64_t nbc = (w.cols + w.bc - 1) / w.bc;
  t_xq.assign(static_cast<size_t>(std::max(nbc * w.bc, w.xpad + 1) + 64), 0);
  for (int64_t j = 0; j < n; ++j) {
    for (int64_t c = 0; c < w.cols; ++c) t_xq[static_cast<size_t>(c)] = xq[c * n + j];
    if (w.bits == 4) {
      column<true>(w, t_xq.data(), a, y + j, n, b0, b1, vbmi);
    } else {
      column<false>(w, t_xq.data(), a, y + j, n, b0, b1, vbmi);
    }
  }
}

void spmm_int8_avx512vnni(const BsrInt8Weights& w, const float* x, int64_t n, float* y,
                          int64_t b0, int64_t b1, bool vbmi) {
  const int64_t nbc = (w.cols + w.bc - 1) / w.bc;
  // Past cols the weights are 0: the padding of xq only has to be readable.
  // xq[xpad] stays 0: a grouped layer's empty columns read it.
  t_xq.assign(static_cast<size_t>(std::max(nbc * w.bc, w.xpad + 1) + 64), 0);
  if (n > 1) t_xcol.resize(static_cast<size_t>(w.cols));
  for (int64_t j = 0; j < n; ++j) {
    const float* xc = x;
    if (n > 1) {
      for (int64_t c = 0; c < w.cols; ++c) t_xcol[static_cast<size_t>(c)] = x[c * n + j];
      xc = t_xcol.data();
    }
    const ActQuant a = quantize16(xc, w.cols, t_xq.data());
    if (w.bits == 4) {
      column<true>(w, t_xq.data(), a, y + j, n, b0, b1, vbmi);
    } else {
      column<false>(w, t_xq.data(), a, y + j, n, b0, b1, vbmi);
    }
  }
}

}  // namespace sieve::runtime::kernels::bsr::detail
