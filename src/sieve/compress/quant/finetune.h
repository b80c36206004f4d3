// Retraining of quantized layers (Deep Compression §3.2 "trained quantization"; TTQ):
//
// finetune_centroids runs E epochs of train::Trainer over a CompressedModel. After every
// minibatch the gradients of the weights sharing a centroid are summed
// (∂L/∂C_k = Σ_{code(i)=k} ∂L/∂W_i), the centroid is moved by −lr · centroid_lr_scale · that
// sum (with its own momentum), and the layer's weights are re-projected (W_i = C_code(i),
// pruned positions stay zero). Codes never change. Parameters that are not quantized layers
// (biases, unquantized layers) are trained by the Trainer's SGD as usual, masks kept.
//
// finetune_ternary trains TTQ layers (bits = 2 with a {−W_n, 0, W_p} codebook, see
// quantize.h): full-precision latent weights get the scaled gradients (×W_p, ×1, ×W_n by
// region of the ternary value), the scales W_p/W_n get the summed gradients of their weights,
// and the codes are recomputed from the latent weights with the layer's threshold each step.
// The model's other quantized layers get finetune_centroids' treatment in the same run.
//
// On return model.layers hold the trained codebooks/codes and model.graph's initializers the
// decoded weights (biases included). Thread-safety: none (drives a Trainer).
#pragma once

#include <cstdint>
#include <span>

#include "sieve/compress/model.h"
#include "sieve/core/status.h"
#include "sieve/core/tensor.h"
#include "sieve/train/trainer.h"

namespace sieve::compress::quant {

struct FinetuneOptions {
  train::FitOptions fit;  // epochs, batch, lr schedule, SGD for the other parameters
  train::TrainerOptions trainer;
  double centroid_lr_scale = 1.0;  // centroid step = lr · scale · summed gradient
  double centroid_momentum = 0.9;
  double ternary_threshold = 0.05;  // finetune_ternary: Δ = t · max|latent w|
};

Result<train::FitSummary> finetune_centroids(CompressedModel& model, const Tensor& images,
                                             std::span<const uint8_t> labels,
                                             const FinetuneOptions& options,
                                             const train::ProgressCallback& progress = {});

// `dense` supplies the initial latent (full-precision) weights of the ternary layers (by
// initializer name); layers absent from it start from their decoded weights.
Result<train::FitSummary> finetune_ternary(CompressedModel& model, const ir::Graph& dense,
                                           const Tensor& images, std::span<const uint8_t> labels,
                                           const FinetuneOptions& options,
                                           const train::ProgressCallback& progress = {});

}  // namespace sieve::compress::quant
