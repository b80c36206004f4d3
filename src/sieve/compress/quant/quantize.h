// Weight quantization of a CompressedLayer: per-layer k-means weight sharing (Deep
// Compression; a 1×1 region grid), local quantization (Cambricon-S: a region grid over the
// layer's 2-D view, k-means in each region, one codebook per region), trained ternary
// quantization's projection (TTQ, Zhu et al. 2017: threshold t·max|w|, scales W_p and W_n),
// and the unquantized f32 form. Each fills the layer's bits/region grid/codebooks/codes (or
// values) from a dense weight and the layer's keep mask (layer.mask; empty = dense).
//
// Codebooks: region r (region-major, CompressedLayer::region_of) gets min(2^bits, kept weights
// in r) centroids (an empty region gets an empty codebook); codes index it.
// Thread-safety: pure functions on the arguments.
#pragma once

#include <cstdint>
#include <span>
#include <vector>

#include "sieve/compress/model.h"
#include "sieve/compress/quant/kmeans.h"
#include "sieve/core/status.h"
#include "sieve/core/tensor.h"
#include "sieve/ir/op.h"

namespace sieve::compress::quant {

// Default bits per weight of a layer by the op using it (its traits, ops.def): conv 8, every
// other op with a weight 4 (FullyConnected, MatMul, LSTM/GRU: Cambricon-S), anything else 8.
int default_bits(ir::OpKind op);

struct QuantizeOptions {
  int bits = 4;             // 1..16
  int64_t region_rows = 1;  // region grid over the 2-D view (1×1 = Deep Compression)
  int64_t region_cols = 1;
  KMeansOptions kmeans = {};
};

// k-means quantization of `weight` (f32, shape layer.shape) at the kept positions of
// layer.mask. Sets layer.bits, region_rows/cols, codebooks, codes; clears layer.values.
Status quantize_layer(CompressedLayer& layer, const Tensor& weight, const QuantizeOptions& options);

// Unquantized: layer.bits = 0, layer.values = the kept weights (row-major), no codebooks.
Status store_unquantized(CompressedLayer& layer, const Tensor& weight);

// Ternary projection (TTQ): Δ = threshold · max|w| over the kept weights; kept weights with
// w > Δ get code 2 (+W_p), w < −Δ code 0 (−W_n), the rest code 1 (0). bits = 2, one region,
// codebook {−W_n, 0, W_p}. W_p / W_n are the given scales, or when ≤ 0 the mean |w| of the
// weights above / below the threshold (1e-3·max|w| if there are none).
struct TernaryOptions {
  double threshold = 0.05;
  float w_p = 0.0f;
  float w_n = 0.0f;
};
Status ternarize_layer(CompressedLayer& layer, const Tensor& weight, const TernaryOptions& options);

// Sum over kept weights of (decoded − original)², and the maximum |decoded − original|.
struct QuantError {
  double sse = 0.0;
  double max_abs = 0.0;
};
Result<QuantError> quantization_error(const CompressedLayer& layer, const Tensor& weight);

}  // namespace sieve::compress::quant
