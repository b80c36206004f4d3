// Linear: the packed weight of one weighted layer (a FullyConnected / MatMul weight, or one
// group of a convolution), in the 2-D view rows × cols (compress/model.h: rows = output
// neurons / channels, cols = inputs), with its bias. The CPU session packs every layer into one
// Linear per group at load time and calls it for every inference.
//
// Three variants:
//   * dense: OpenBLAS sgemm / sgemv on the decoded fp32 weights (unpruned layers, dense ONNX
//     models, and pruned layers whose kept blocks are too dense for the block-sparse kernels to
//     pay);
//   * bsr: the block-sparse kernels (runtime/kernels/bsr/bsr.h) on the layer's kept blocks, with
//     4/8-bit codes decoded through the codebooks in registers (linear_bsr.cc);
//   * nm: the N:M kernels (runtime/kernels/nm/nm.h) on an n:m-pruned fully connected layer's
//     packed values and offsets (linear_nm.cc).
//
// Two call forms, both over an output-row range [r0, r1) so that threads can split a layer:
//   cols_form: y[r, j] = bias[r] + Σ_c W[r, c] · x[c, j]   x [cols, n], y [rows, n] (conv:
//              n = output pixels, im2col columns; y comes out in NCHW order)
//   rows_form: Y[j, r] = bias[r] + Σ_c X[j, c] · W[r, c]   X [n, cols], Y [n, ldy] (FC: n =
//              batch)
// `relu` applies max(·, 0) to the written outputs in the same pass as the bias. Row ranges
// should start at multiples of row_granule() (the block height of a block-sparse layer; any
// range is correct, aligned ones are faster). Both forms write only the rows asked for and only
// read `x`; they may run concurrently on disjoint row ranges (each call with its own scratch).
// Thread-safety: immutable after construction.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "sieve/compress/model.h"
#include "sieve/core/status.h"
#include "sieve/runtime/cpu/isa.h"
#include "sieve/runtime/kernels/bsr/int8.h"

namespace sieve::runtime::cpu {

class Linear {
 public:
  virtual ~Linear() = default;
  int64_t rows() const { return rows_; }
  int64_t cols() const { return cols_; }

  virtual void cols_form(const float* x, int64_t n, float* y, int64_t r0, int64_t r1,
                         bool relu) const = 0;
  // `scratch`: rows_form_scratch(n) floats, private to the caller.
  virtual void rows_form(const float* x, int64_t n, float* y, int64_t ldy, int64_t r0,
                         int64_t r1, bool relu, float* scratch) const = 0;
  virtual int64_t rows_form_scratch(int64_t /*n*/) const { return 0; }
  // The int8 route's convolution form (kernels/bsr/int8.h, spmm_int8_u8): x already quantized
  // as a whole with `a`, [cols, n] u8; otherwise as cols_form. Only a Linear whose int8() is
  // true has it (the others abort).
  virtual bool int8() const { return false; }
  virtual void cols_form_u8(const uint8_t* xq, kernels::bsr::ActQuant a, int64_t n, float* y,
                            int64_t r0, int64_t r1, bool relu) const;
  virtual int64_t row_granule() const { return 1; }
  virtual std::string kind() const = 0;   // "dense" or "bsr ..." (block shape, bits)
  virtual int64_t bytes() const = 0;      // packed weights + bias

 protected:
  int64_t rows_ = 0, cols_ = 0;
};

// What a Linear is packed from: one group's rows of a layer's 2-D view.
struct LinearSource {
  int64_t rows = 0, cols = 0;
  std::vector<float> dense;  // rows × cols, the decoded weights (pruned positions 0)
  // Or, for make_bsr_linear only, the same weights in place (rows × cols, row-major), so that
  // packing a block-sparse layer does not copy its decoded fp32 weights first; ignored when
  // `dense` is not empty.
  const float* dense_view = nullptr;
  std::vector<float> bias;   // rows, or empty
  // The compressed layer these rows come from (rows [row0, row0 + rows) of its 2-D view), or
  // nullptr (an uncompressed weight).
  const compress::CompressedLayer* layer = nullptr;
  int64_t row0 = 0;
};

std::unique_ptr<Linear> make_dense_linear(LinearSource src);

// The block shape of a compressed layer in its 2-D view, as the packer uses it: from the
// recorded structure and block (compress/model.h), never from the mask.
//   block (stride == block or not recorded): br = block[0]; bc = the product of the trailing
//     block dims while they cover their whole dimension, times the first that does not (the
//     widest column run that stays contiguous in the row-major view);
//   filter: 1 × cols (a kept row is one block); channel: rows × (cols / shape[1]) (an input
//     channel's taps); every other method (magnitude, nm, balanced, a strided block): 16 × 1,
//     the recipes' output-row blocks.
struct BlockView {
  int64_t br = 1, bc = 1;
};
BlockView block_view(const compress::CompressedLayer& layer);

// The block-sparse variant; see the file comment. Returns nullptr (use dense) when the kept
// blocks are more than kBsrMaxBlockDensity of all blocks: a dense GEMM is faster there.
inline constexpr double kBsrMaxBlockDensity = 0.5;
// int8: the int8 route (kernels/bsr/int8.h); the caller has checked the ISA can run it.
Result<std::unique_ptr<Linear>> make_bsr_linear(const LinearSource& src, Isa isa, bool int8);

// The N:M variant (linear_nm.cc, kernels/nm/nm.h): a fully connected layer (rank-2 weight)
// whose recorded structure is nm with m dividing its columns, on the fp32 route. Returns
// nullptr (use the other variants) otherwise; a mask that breaks its n:m is an error.
Result<std::unique_ptr<Linear>> make_nm_linear(const LinearSource& src, Isa isa, bool int8);

}  // namespace sieve::runtime::cpu
