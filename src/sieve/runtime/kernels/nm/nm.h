// N:M structured-sparse weights (2:4 and the other N:M patterns of compress/prune's nm pass) and
// the fp32 kernels that multiply them: the CPU runtime's family for the A100's sparse format.
// Each row keeps, in every group of m consecutive columns, exactly n slots: the kept values
// "packed left" in group order, each with its offset in the group (0..m−1; the container stores
// it in ceil(log2 m) bits, docs/formats/container.md mask format 8; here one byte, which the
// kernels read directly). A group keeping fewer than n weights is padded with zero values.
//
// The product (as bsr.h): y[r, j] = bias[r] + Σ_c W[r, c] · x[c, j], x [cols, n] and y [rows, n]
// row-major (j contiguous).
//
// Paths (bsr::Isa, chosen as bsr.h's are, forced by SIEVE_ISA): scalar; AVX2 — batched
// (n >= 8): per row, each slot's value broadcast against 8 columns of its x row; GEMV (n == 1):
// 8 slots at a time, x gathered by the slots' columns (when n divides 8; else the scalar loop).
// The AVX-512 path runs the AVX2 code (no AVX-512 kernel of its own). Every path equals the
// scalar one within float reassociation.
//
// Thread-safety: NmWeights is immutable after packing; spmm() is pure.
#pragma once

#include <cstdint>
#include <vector>

#include "sieve/core/status.h"
#include "sieve/runtime/kernels/bsr/bsr.h"

namespace sieve::runtime::kernels::nm {

using bsr::Isa;

struct NmWeights {
  int64_t rows = 0, cols = 0;
  int64_t n = 0, m = 0;
  std::vector<float> values;     // rows × (cols / m) × n, row by row, group by group
  std::vector<uint8_t> offsets;  // one per value: its column within the group
  std::vector<float> bias;       // rows floats, or empty

  int64_t slots_per_row() const { return cols / m * n; }
  // The stored size in the container's layout: fp32 values, ceil(log2 m)-bit offsets, bias.
  int64_t bytes() const;
};

struct NmPackInput {
  int64_t rows = 0, cols = 0;
  const float* dense = nullptr;   // rows × cols
  const uint8_t* mask = nullptr;  // rows × cols, non-zero = kept; nullptr: |w| != 0 is kept
  int64_t n = 2, m = 4;
  const float* bias = nullptr;  // rows floats, or nullptr
};

// Refused, naming the values: n > m or n < 1 ("n:m = 5:4: n exceeds m"), m > 256, an m that does
// not divide the row length ("m = 4 does not divide the row length 10"), a group keeping more
// than n ("row 3, columns 8..11 keep 3 weights, n:m = 2:4 allows 2").
Result<NmWeights> pack_nm(const NmPackInput& in);

// y = W·x + bias for rows [r0, r1); x: [cols, ncols], y: [rows, ncols] (only those rows are
// written). Disjoint row ranges may run concurrently.
void spmm(const NmWeights& w, const float* x, int64_t ncols, float* y, Isa isa, int64_t r0,
          int64_t r1);
inline void spmm(const NmWeights& w, const float* x, int64_t ncols, float* y, Isa isa) {
  spmm(w, x, ncols, y, isa, 0, w.rows);
}

namespace internal {
void spmm_scalar(const NmWeights& w, const float* x, int64_t ncols, float* y, int64_t r0,
                 int64_t r1);
void spmm_avx2(const NmWeights& w, const float* x, int64_t ncols, float* y, int64_t r0, int64_t r1);
}  // namespace internal

}  // namespace sieve::runtime::kernels::nm
