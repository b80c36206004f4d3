// The int8 route of the BSR family (issue 11): a packed layer (bsr.h) re-packed once into int8
// weights, multiplied with u8 activations by integer dot products (AVX512-VNNI `vpdpbusd`,
// 64 multiply-adds per instruction; on AVX2, AVX-VNNI's or vpmaddwd) and scaled back to fp32
// per output row.
//
// Weights. Each fp32 codebook is quantized to int8 symmetrically with its own scale:
//   s_cb = max_e |cb[e]| / 127 (1 when the codebook is all 0),  q[e] = round(cb[e] / s_cb)
// (round half to even, so q is in [-127, 127] and a 0 entry stays exactly 0). 4-bit codes keep
// their nibbles and are decoded in registers through the 16-entry int8 codebook (`vpshufb`);
// 8-bit codes are stored as their int8 weights. A layer stored as fp32 values (bits = 0) is
// quantized per block row: s = max |w| over the block row / 127. Either way every kept block
// has one scale, and a block row's consecutive blocks of equal scale form a run.
//
// Activations are quantized on every call, per column j of x (per sample: a batch's results
// do not depend on what else is in the batch), to u8 with a zero point:
//   * when x[:, j] has no negative value (after a ReLU):   z = 0,   s_x = max_c x[c, j] / 255
//   * otherwise:                                           z = 128, s_x = max_c |x[c, j]| / 127
//   xq[c] = clamp(round(x[c, j] · (1 / s_x)) + z, 0, 255)  (round half to even; s_x = 1 when
//   x[:, j] is all 0). So 8 bits of resolution for non-negative inputs, 7 plus a sign otherwise.
// Then, per row r (Σ over the kept blocks of a run, in integers: exact):
//   acc   = Σ_runs  float(Σ_blocks Σ_c q[r, c] · xq[c]) · s_run      (fma per run, in order)
//   y[r]  = fma(fma(-z, wsum[r], acc), s_x, bias[r])
// where wsum[r] = Σ_runs s_run · Σ q[r, c] over the run (precomputed, the zero point's share).
// Every path computes exactly these operations in this order, so the AVX-512 VNNI path equals
// the scalar path bit for bit; the difference from the fp32 route is the quantization error
// (both roundings: |Δw| ≤ s_cb / 2, |Δx| ≤ s_x / 2 per position).
//
// Contracts:
//   * pack_int8() takes any BsrWeights; 4-bit codes keep the nibble form when bc % 8 == 0 or
//     the layer is grouped (16×1 blocks, below), else they are stored as int8 weights, 1 byte
//     each. cols ≤ 65536 (the int32 sums of a
//     run cannot overflow: 65536 · 255 · 127 < 2^31).
//   * spmm_int8() has the contract of spmm() (bsr.h): y = W·x + bias over block rows
//     [block_row_begin, block_row_end), x [cols, n] and y [rows, n] row-major, pure, any n;
//     x must be finite. Paths: kAvx512 needs avx512f, avx512bw and avx512vnni (int8_isa_check);
//     it runs br = 16 layers with whole column quads (bc % 4 == 0) or 16×1 blocks (grouped) in
//     VNNI; kAvx2 needs avx2 and fma and runs the same shapes 8 rows at a time, with AVX-VNNI's
//     vpdpbusd where the CPU has avxvnni and vpmovsxbw + vpmaddwd otherwise. Other block
//     shapes fall back to the scalar path on either.
//   * Thread-safety: BsrInt8Weights is immutable after packing; spmm_int8() on disjoint
//     block-row ranges may run concurrently.
#pragma once

#include <cstdint>
#include <vector>

#include "sieve/core/cpu.h"
#include "sieve/core/status.h"
#include "sieve/runtime/kernels/bsr/bsr.h"

namespace sieve::runtime::kernels::bsr {

struct BsrInt8Weights {
  struct alignas(64) Line {
    uint8_t b[64];
  };
  int64_t rows = 0, cols = 0, br = 1, bc = 1;
  int64_t quads = 0;  // column quads per block: (bc + 3) / 4
  // 4: nibble codes through `qcodebooks`; 8: int8 weights.
  int bits = 8;
  std::vector<int64_t> row_ptr;  // as in BsrWeights
  std::vector<int32_t> col_blk;
  // Per kept block (block_bytes() each, from a 64-byte aligned start), in the VNNI order: for
  // each column quad q, for each row r of the block, the 4 weights (r, 4q .. 4q+3) (zero past
  // bc). bits 8: one int8 each. bits 4: quads in pairs (2p, 2p+1) share bytes: byte b of row r
  // of pair p holds the code of (r, 8p + b) in its low nibble and of (r, 8p + 4 + b) in its high.
  std::vector<Line> data;
  std::vector<int32_t> block_codebook;  // bits 4: the int8 codebook of each kept block
  std::vector<int8_t> qcodebooks;       // bits 4: 16 per codebook
  // Runs: block row i has runs [run_ptr[i], run_ptr[i+1]); run u ends before kept block
  // run_end[u] and has scale run_scale[u].
  std::vector<int64_t> run_ptr, run_end;
  std::vector<float> run_scale;
  std::vector<float> wsum;  // rows: Σ_runs s_run · Σ q[r, c]
  std::vector<float> bias;  // rows, or empty
  // 16×1 blocks (br = 16, bc = 1, the recipes' shape) are stored grouped: each run's kept
  // blocks, 8 at a time, form a virtual 16×8 block (quads = 2, the layout above) whose column
  // c multiplies x[vcols[8v + c]]; a short last group points its empty columns at xq[xpad],
  // which is always 0 (so their weights, whatever they decode to, add nothing). run_end then
  // counts virtual blocks, and block row i has virtual blocks [vrow_ptr[i], vrow_ptr[i+1]).
  bool grouped = false;
  std::vector<int32_t> vcols;
  std::vector<int64_t> vrow_ptr;
  int64_t xpad = 0;  // the index of the 0 byte past the quantized x (≥ cols rounded up to 16)

  int64_t block_rows() const { return (rows + br - 1) / br; }
  int64_t block_bytes() const { return bits == 4 ? quads / 2 * br * 4 : quads * br * 4; }
  const uint8_t* block(int64_t k) const { return reinterpret_cast<const uint8_t*>(data.data()) + k * block_bytes(); }
  int64_t bytes() const;  // packed size
};

// Errors: cols > 65536 (names it).
Result<BsrInt8Weights> pack_int8(const BsrWeights& w);

// OK when `cpu` runs `isa`'s int8 path, else FailedPrecondition naming the missing feature
// (kAvx512: avx512f, avx512bw, avx512vnni; kAvx2: avx2 and fma, like spmm()).
Status int8_isa_check(Isa isa, const CpuFeatures& cpu);

void spmm_int8(const BsrInt8Weights& w, const float* x, int64_t n, float* y, Isa isa,
               int64_t block_row_begin, int64_t block_row_end);
inline void spmm_int8(const BsrInt8Weights& w, const float* x, int64_t n, float* y, Isa isa) {
  spmm_int8(w, x, n, y, isa, 0, w.block_rows());
}

// The quantization of one column of activations (above): xq[c] for c < cols, its s_x and z.
// Exposed for the tests and for the engine's accuracy reports; also quantizes a whole tensor
// (stride 1) with the same rule, for spmm_int8_u8.
struct ActQuant {
  float scale = 1.0f;
  int zero_point = 0;
};
ActQuant quantize_activations(const float* x, int64_t cols, int64_t stride, uint8_t* xq);

// The int8 route on activations already quantized, all columns with one ActQuant: a
// convolution's im2col of one image, lowered after the image was quantized once (the padding
// is a.zero_point, the quantized 0), so the lowering moves bytes instead of floats and every
// output pixel sees the same input scale. xq is [cols, n] u8 row-major (pixel j of row c at
// xq[c·n + j]). Result: the formula above with s_x = a.scale and z = a.zero_point for every
// column, in the same order of operations, so every path equals the scalar one bit for bit.
// Paths: kAvx512 with grouped 16×1 blocks and n ≥ 16 runs a kernel with the output pixels in
// the lanes (per 16 pixels, 4 rows of x are interleaved into one vector of pixel quads — with
// vpermb where the CPU has avx512vbmi — and each of the block row's 16 rows is one vpdpbusd
// against its 4 weights broadcast); other shapes and paths take each column in turn through
// the spmm_int8 kernels. Thread-safety and row ranges as spmm_int8.
void spmm_int8_u8(const BsrInt8Weights& w, const uint8_t* xq, ActQuant a, int64_t n, float* y,
                  Isa isa, int64_t block_row_begin, int64_t block_row_end);

}  // namespace sieve::runtime::kernels::bsr
