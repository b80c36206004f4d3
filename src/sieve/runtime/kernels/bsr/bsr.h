// Block-sparse weights (BSR) and the fp32 kernels that multiply them: the CPU runtime's family
// for pruned layers (issue 11). Coarse-grained pruning keeps whole blocks (the recipes' 16×1
// output-row blocks, or any block shape the container records), so a layer is stored as its kept
// blocks, block row by block row, and a kernel streams them once: no per-weight index.
//
// Weights are either fp32 values or local-quantization codes (4 or 8 bits) decoded in registers
// through the block's codebook (AVX-512: `vpermps` on a 16-entry table for 4-bit codes, two-table
// `vpermt2ps` steps for 8-bit; AVX2: the same on 8-lane tables; scalar: a table look-up).
//
// The product, for any n (batch, or output pixels of a convolution lowered by im2col):
//   y[r, j] = bias[r] + Σ_c W[r, c] · x[c, j]    for r in [0, rows), j in [0, n)
// x is [cols, n] and y is [rows, n], both row-major (j contiguous), so a convolution's output
// comes out in NCHW order and an FC layer at batch 1 is the n = 1 case.
// The int8 route (int8 weights, u8 activations, VNNI dot products) is in int8.h.
//
// Contracts:
//   * pack_bsr() takes the dense 2-D view of a layer (rows = output neurons / channels, cols =
//     inputs), a keep mask of the same size, the block shape, and optionally codes + codebooks.
//     A block is kept when any of its positions is kept; positions a kept block does not keep
//     are stored as weight 0 (code of value 0 is not assumed: they are stored as fp32 0 or as a
//     dedicated codebook entry, the packer's choice). Blocks at the right and bottom edges may be
//     ragged (rows % br, cols % bc); the kernels handle them.
//   * A block's codes use one codebook (`block_codebook`). When a block spans positions with
//     different codebooks (a local-quantization region boundary inside a block), pack_bsr()
//     stores that layer as fp32 values instead (bits = 0) and says so in `note`.
//   * spmm() runs on the ISA given; every ISA gives results equal to the scalar path within
//     float reassociation (the tests bound it at a few ulps of Σ|W·x|).
//   * Thread-safety: BsrWeights is immutable after packing; spmm() on disjoint block-row ranges
//     may run concurrently.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "sieve/core/cpu.h"
#include "sieve/core/status.h"

namespace sieve::runtime::kernels::bsr {

// The code paths of this family (and of the CPU runtime): chosen from the CPU's features at run
// time, forced by SIEVE_ISA (core/cpu.h) for tests.
enum class Isa { kScalar, kAvx2, kAvx512 };
const char* isa_name(Isa isa);  // "scalar", "avx2", "avx512"
// The best path `cpu` supports (AVX-512 needs avx512f; AVX2 needs avx2 + fma).
Isa best_isa(const CpuFeatures& cpu);
// A path by name for a CPU: unknown name, or a path the CPU lacks (the error names the missing
// feature, e.g. "avx512: the CPU has no avx512f"), is an error.
Result<Isa> isa_for(std::string_view name, const CpuFeatures& cpu);

struct BsrWeights {
  int64_t rows = 0, cols = 0;  // the dense 2-D view
  int64_t br = 1, bc = 1;      // block shape (rows × cols)
  int bits = 0;                // 0: fp32 `values`; 4 or 8: `codes` through `codebooks`
  // Block row i (rows [i·br, min(rows, (i+1)·br))) holds kept blocks [row_ptr[i], row_ptr[i+1]);
  // kept block k sits at block column col_blk[k] (cols [col_blk[k]·bc, ...)).
  std::vector<int64_t> row_ptr;
  std::vector<int32_t> col_blk;
  // bits == 0: br·bc floats per kept block, row-major within the block (ragged edge blocks are
  // padded with zeros to br·bc).
  std::vector<float> values;
  // bits 4/8: br·bc codes per kept block, row-major, one byte each (8-bit) or two per byte
  // (4-bit: low nibble first), padded like `values`; block_codebook[k] picks the codebook.
  // (4-bit codes are one nibble stream: position p of kept block k is nibble k·br·bc + p, so a
  // block with an odd br·bc, e.g. 1×1, starts mid-byte. Padded positions hold a code that
  // decodes to exactly 0 in the block's codebook: pack_bsr() sets an unused entry to 0 when
  // the codebook has no 0.)
  std::vector<uint8_t> codes;
  std::vector<int32_t> block_codebook;
  std::vector<float> codebooks;  // (1 << bits) floats per codebook
  std::vector<float> bias;       // rows floats, or empty (no bias)
  std::string note;              // why a layer was stored otherwise than asked ("" when not)

  int64_t block_rows() const { return (rows + br - 1) / br; }
  int64_t kept_blocks() const { return static_cast<int64_t>(col_blk.size()); }
  int64_t bytes() const;  // packed size: index + values or codes + codebooks + bias
};

struct PackInput {
  int64_t rows = 0, cols = 0;
  const float* dense = nullptr;   // rows × cols, the decoded weights (used when bits == 0)
  const uint8_t* mask = nullptr;  // rows × cols, non-zero = kept; nullptr = all kept
  int64_t br = 1, bc = 1;
  // Local quantization (optional): bits in {4, 8}; code[r·cols + c] of every position (pruned
  // positions ignored) and codebook_of[r·cols + c] its codebook; `codebooks` (1 << bits) floats
  // each. bits == 0: store fp32 values from `dense`.
  int bits = 0;
  const uint16_t* code = nullptr;
  const int32_t* codebook_of = nullptr;
  const std::vector<std::vector<float>>* codebooks = nullptr;
  const float* bias = nullptr;  // rows floats, or nullptr
};

// Errors: a block shape < 1, bits other than 0/4/8, a code past its codebook, a codebook of the
// wrong size; each names the field and the value.
Result<BsrWeights> pack_bsr(const PackInput& in);

// y = W·x + bias over block rows [block_row_begin, block_row_end) (all rows of those blocks);
// x: [cols, n], y: [rows, n] row-major. Pure: writes only those rows of y.
void spmm(const BsrWeights& w, const float* x, int64_t n, float* y, Isa isa,
          int64_t block_row_begin, int64_t block_row_end);
inline void spmm(const BsrWeights& w, const float* x, int64_t n, float* y, Isa isa) {
  spmm(w, x, n, y, isa, 0, w.block_rows());
}

}  // namespace sieve::runtime::kernels::bsr
