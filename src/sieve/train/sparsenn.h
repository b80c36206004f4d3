// SparseNN's output-sparsity predictor (Zhu, Jiang, Chen & Tsui, DATE 2018; the low-rank
// predictor of Davis & Arel, arXiv:1312.4461) on a multi-layer perceptron, and its training.
//
// For every hidden layer l with input a (n inputs) and weights W (m x n):
//     s = U·(V·a) + c          U: m x r, V: r x n, c: m  (the predictor, rank r)
//     p = step(s)              1 where s > 0, else 0   (the paper's sign(), as a 0/1 mask)
//     a' = p ∘ relu(W·a + b)
// so an output the predictor calls zero need not be computed (its row of W is skipped). The
// predictor has its own bias c (the layer's bias b folded in as W's extra input column, which
// is what W ≈ U·V approximates when the input is augmented with a constant 1); c costs m adds.
//
// Two ways to build U, V, c:
//   - kSvd: U = U_r·Σ_r, V = V_rᵀ from the truncated SVD of the trained W (Eigen's BDCSVD),
//     c = b. While W is retrained with the predictor in the forward pass, U and V are
//     recomputed from W once per epoch (Davis & Arel's static rule); they receive no gradient.
//   - kEndToEnd: U, V, c start from the SVD and are then trained with W by SGD, the predictor
//     in the forward pass. step() has zero derivative almost everywhere; its gradient is
//     approximated by the straight-through estimator of the hard sigmoid (Bengio, Léonard &
//     Courville 2013; Hubara et al. 2016): d step(s)/ds ≈ 1/2 for |s| < 1, else 0, i.e. the
//     derivative of clamp((s + 1)/2, 0, 1). The DATE paper states only that U, V are trained
//     end to end by back-propagation; this estimator is our choice and is documented as such.
//
// Gate::kSmooth replaces step(s) by clamp((s + 1)/2, 0, 1) in the forward pass too, so that
// every gradient backward() computes is the exact gradient of the forward (the numerical
// gradient tests use it); training and evaluation use Gate::kHard.
//
// The network is the zoo's SparseNN MLP shape: Flatten, then (FullyConnected, Relu)*, then a
// final FullyConnected producing the logits (softmax folded into the loss). Weights are read
// from and written back to an ir::Graph by initializer name.
// Thread-safety: none; one PredictedMlp per thread.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "sieve/core/status.h"
#include "sieve/core/tensor.h"
#include "sieve/ir/graph.h"
#include "sieve/train/sgd.h"

namespace sieve::train {

enum class PredictorMode { kNone, kSvd, kEndToEnd };
const char* predictor_mode_name(PredictorMode m);  // "none", "svd", "end-to-end"

enum class Gate { kHard, kSmooth };

struct MlpLayer {
  std::string name;  // the FullyConnected node
  int64_t in = 0, out = 0;
  Parameter w;  // [out, in]
  Parameter b;  // [out]
  bool hidden = false;  // followed by a Relu (and gated by a predictor when one is set)
};

struct LowRankPredictor {
  int64_t rank = 0;
  Parameter u;  // [out, rank]
  Parameter v;  // [rank, in]
  Parameter c;  // [out]
};

// Per hidden layer, measured over a data set (fractions in [0, 1]).
struct HiddenLayerStats {
  std::string name;
  int64_t in = 0, out = 0, rank = 0;
  double input_density = 0.0;      // non-zero inputs a of the layer (as run)
  double predicted_zero = 0.0;     // the seed's rho: outputs with p = 0 (0 without predictor)
  double output_zero = 0.0;        // outputs a' equal to 0 (predicted or by the ReLU)
  double relu_zero = 0.0;          // outputs with W·a + b <= 0 (what the ReLU alone zeroes)
  double missed = 0.0;             // outputs predicted zero whose relu was positive
};

struct MlpEval {
  double error = 0.0;  // top-1 test error in [0, 1]
  std::vector<HiddenLayerStats> layers;
};

struct PredictorFitOptions {
  int epochs = 5;
  int64_t batch = 100;
  LrSchedule lr;
  SgdOptions sgd;
  uint64_t seed = 1;
  // kEndToEnd only: adds penalty · (predicted non-zero outputs per example, summed over the
  // hidden layers) to the loss, through the same straight-through estimator, to trade
  // accuracy for predicted zeros. Not in the source (whose loss the seed does not give): 0 is
  // the plain end-to-end training.
  double sparsity_penalty = 0.0;
};

class PredictedMlp {
 public:
  // Reads the layers from `graph` (copies the weights). Refuses graphs of another shape,
  // naming the first node that does not fit.
  static Result<PredictedMlp> from_graph(const ir::Graph& graph);
  // A deep copy (weights, predictors and mode; not the forward buffers).
  PredictedMlp clone() const;
  // Writes W and b back into `graph` (same initializer names and shapes).
  Status write_weights(ir::Graph& graph) const;

  const std::vector<MlpLayer>& layers() const { return layers_; }
  std::vector<MlpLayer>& layers() { return layers_; }
  const std::vector<LowRankPredictor>& predictors() const { return preds_; }
  std::vector<LowRankPredictor>& predictors() { return preds_; }
  PredictorMode mode() const { return mode_; }

  // Installs rank-`rank` predictors on every hidden layer, initialised from the truncated SVD
  // of the current W, and sets the mode (kNone removes them). A rank of 0 or above
  // min(out, in) of a layer is refused with a message naming that layer.
  Status set_predictors(PredictorMode mode, int64_t rank);
  // Recomputes U, V, c of every predictor from the truncated SVD of the current W and b.
  void refresh_svd();

  // Forward pass on n examples x [n, in0]; returns logits [n, classes], valid until the next
  // call. The predictors gate their layers when a mode other than kNone is set.
  const float* forward(const float* x, int64_t n, Gate gate = Gate::kHard);
  // Gradients of the loss with respect to every parameter, given dlogits [n, classes] of the
  // last forward. Parameter grads are overwritten. Predictor gradients are computed only in
  // kEndToEnd (with the straight-through estimator under Gate::kHard, exact under kSmooth).
  // input_grad, when not null, receives d(loss)/dx [n, in0].
  void backward(const float* dlogits, float* input_grad = nullptr);
  // The penalty per predicted non-zero output that backward() adds (kEndToEnd; fit() sets it
  // from PredictorFitOptions::sparsity_penalty).
  void set_sparsity_penalty(double p) { penalty_ = p; }

  // Every trained parameter of the current mode (W, b of every layer; U, V, c in kEndToEnd).
  std::vector<Parameter*> trainable();

  // Trains with minibatch SGD and softmax cross-entropy (images [N, ...] f32, N labels). In
  // kSvd the predictors are recomputed from W at the start of every epoch.
  Status fit(const Tensor& images, std::span<const uint8_t> labels,
             const PredictorFitOptions& options);
  // Test error and the per-hidden-layer statistics (hard gate).
  Result<MlpEval> evaluate(const Tensor& images, std::span<const uint8_t> labels,
                           int64_t batch = 500);

  // Multiply-accumulates per example of the dense network (sum of in·out) and of the
  // predictors (sum of rank·(in + out)).
  int64_t dense_macs() const;
  int64_t predictor_macs() const;

 private:
  std::vector<MlpLayer> layers_;
  std::vector<LowRankPredictor> preds_;  // one per hidden layer, when mode_ != kNone
  PredictorMode mode_ = PredictorMode::kNone;
  // Per-forward buffers: acts_[l] is the input of layer l ([n, in]); z_ pre-activations,
  // t_ = V·a, s_ predictor outputs, p_ gates.
  int64_t n_ = 0;
  Gate gate_ = Gate::kHard;
  double penalty_ = 0.0;
  std::vector<std::vector<float>> acts_, z_, t_, s_, p_;
  std::vector<float> logits_;
};

}  // namespace sieve::train
