// What the per-ISA files of the BSR family share: the one entry point each ISA file defines,
// and the scalar block decoder every path falls back on. Not part of the family's API (bsr.h).
//
// Each spmm_<isa>.cc is compiled with its own instruction-set flags (CMakeLists.txt); only
// bsr.cc (dispatch) and spmm_scalar.cc are compiled for the x86-64 baseline, so nothing built
// with AVX2 or AVX-512 flags runs before the dispatch has checked the CPU.
#pragma once

#include <cstdint>

#include "sieve/runtime/kernels/bsr/bsr.h"
#include "sieve/runtime/kernels/bsr/int8.h"

namespace sieve::runtime::kernels::bsr::detail {

// The kernels of one path over block rows [b0, b1); the arguments are already checked.
void spmm_scalar(const BsrWeights& w, const float* x, int64_t n, float* y, int64_t b0, int64_t b1);
void spmm_avx2(const BsrWeights& w, const float* x, int64_t n, float* y, int64_t b0, int64_t b1);
void spmm_avx512(const BsrWeights& w, const float* x, int64_t n, float* y, int64_t b0, int64_t b1);
// The int8 route (int8.h): the scalar path (int8.cc), the AVX512-VNNI one
// (int8_avx512vnni.cc, br == 16 and bc % 4 == 0 only; `vbmi`: decode 4-bit codes with
// vpermb, which needs avx512vbmi, instead of vpand + vpshufb; the results are the same).
void spmm_int8_scalar(const BsrInt8Weights& w, const float* x, int64_t n, float* y, int64_t b0,
                      int64_t b1);
void spmm_int8_avx512vnni(const BsrInt8Weights& w, const float* x, int64_t n, float* y,
                          int64_t b0, int64_t b1, bool vbmi);
// The AVX2 one (int8_avx2.cc, the same shapes; `vnni`: AVX-VNNI's vpdpbusd, which needs avxvnni,
// instead of vpmovsxbw + vpmaddwd; the results are the same).
void spmm_int8_avx2(const BsrInt8Weights& w, const float* x, int64_t n, float* y, int64_t b0,
                    int64_t b1, bool vnni);
// spmm_int8_u8 (int8.h) on each path: the scalar one, and the AVX-512 and AVX2 ones (any
// shape the path's spmm_int8 takes; `vbmi` / `vnni` as there).
void spmm_int8_u8_scalar(const BsrInt8Weights& w, const uint8_t* xq, ActQuant a, int64_t n,
                         float* y, int64_t b0, int64_t b1);
void spmm_int8_u8_avx512vnni(const BsrInt8Weights& w, const uint8_t* xq, ActQuant a, int64_t n,
                             float* y, int64_t b0, int64_t b1, bool vbmi);
void spmm_int8_u8_avx2(const BsrInt8Weights& w, const uint8_t* xq, ActQuant a, int64_t n,
                       float* y, int64_t b0, int64_t b1, bool vnni);

// Code of position p (row-major, padded to br·bc) of kept block k: 4-bit codes are one nibble
// stream (bsr.h).
inline unsigned block_code(const BsrWeights& w, int64_t k, int64_t p) {
  const int64_t i = k * w.br * w.bc + p;
  if (w.bits == 8) return w.codes[static_cast<size_t>(i)];
  return (w.codes[static_cast<size_t>(i >> 1)] >> ((i & 1) * 4)) & 0xFu;
}

// The br·bc weights of kept block k as fp32, row-major, into out.
inline void decode_block_scalar(const BsrWeights& w, int64_t k, float* out) {
  const int64_t size = w.br * w.bc;
  if (w.bits == 0) {
    const float* v = w.values.data() + k * size;
    for (int64_t p = 0; p < size; ++p) out[p] = v[p];
    return;
  }
  const float* cb =
      w.codebooks.data() + static_cast<int64_t>(w.block_codebook[static_cast<size_t>(k)]) *
                               (int64_t{1} << w.bits);
  for (int64_t p = 0; p < size; ++p) out[p] = cb[block_code(w, k, p)];
}

}  // namespace sieve::runtime::kernels::bsr::detail
