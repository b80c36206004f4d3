// Training of a one-layer LSTM classifier: forward and backward through time (BPTT).
//
// The model reads a sequence x [n, T, I] (batch first; Fashion-MNIST images are read as T = 28
// steps of I = 28 pixels, one image row per step), runs one forward LSTM layer of hidden size H
// from zero initial state, and classifies its last hidden state h_T with a fully connected layer
// (logits = h_T · fc_wᵀ + fc_b; softmax folded into the loss).
//
// The LSTM follows the ONNX LSTM operator as Sieve's IR and reference runtime define it
// (runtime/kernels/ref/rnn.h), default activations, no peepholes, no projection, no clip:
//   W [1, 4H, I], R [1, 4H, H], B [1, 8H] = [Wb, Rb]; gate rows in the ONNX order i, o, f, c;
//   a = x_t·Wᵀ + h_{t-1}·Rᵀ + Wb + Rb
//   i = σ(a_i), o = σ(a_o), f = σ(a_f), g = tanh(a_c)
//   c_t = f ⊙ c_{t-1} + i ⊙ g,   h_t = o ⊙ tanh(c_t)
// so the trained W, R, B run unchanged in an ONNX LSTM node with layout = 1 (a test checks the
// forward against the reference kernel).
//
// Initialisation: every weight and bias Uniform(-1/√H, 1/√H) (PyTorch's nn.LSTM rule), then
// Wb's forget-gate rows set to 1 (Jozefowicz, Zaremba & Sutskever 2015) so that the cell keeps
// its state early in training; fc like the LSTM.
// Thread-safety: none; one LstmClassifier per thread.
#pragma once

#include <cstdint>
#include <span>
#include <vector>

#include "sieve/core/status.h"
#include "sieve/core/tensor.h"
#include "sieve/ir/graph.h"
#include "sieve/train/network.h"
#include "sieve/train/sgd.h"

namespace sieve::train {

struct LstmShape {
  int64_t steps = 28;   // T
  int64_t input = 28;   // I, values per step
  int64_t hidden = 64;  // H
  int64_t classes = 10;
};

struct LstmFitOptions {
  int epochs = 2;
  int64_t batch = 64;
  LrSchedule lr{.policy = LrPolicy::kCosine, .base_lr = 0.1};
  SgdOptions sgd{.momentum = 0.9, .weight_decay = 0.0, .decay_biases = false};
  // Rescales the gradient of every minibatch to at most this global L2 norm (0: never), the
  // usual guard against exploding gradients through time (Pascanu, Mikolov & Bengio 2013).
  double clip_norm = 5.0;
  uint64_t seed = 1;
  // Mean training loss of each epoch, appended when not null.
  std::vector<double>* epoch_loss = nullptr;
};

struct LstmEval {
  double error = 0.0;  // top-1 error in [0, 1]
  double loss = 0.0;   // mean cross-entropy
};

class LstmClassifier {
 public:
  // Parameter indices in parameters().
  enum : size_t { kW = 0, kR = 1, kB = 2, kFcW = 3, kFcB = 4 };

  // A freshly initialised model; every dimension must be positive.
  static Result<LstmClassifier> create(const LstmShape& shape, uint64_t seed);

  // A deep copy: its parameters do not share storage with this model's (a plain copy of an
  // LstmClassifier shares the parameter tensors, as Tensor copies do).
  LstmClassifier clone() const;

  const LstmShape& shape() const { return shape_; }
  // "lstm.W" [1,4H,I], "lstm.R" [1,4H,H], "lstm.B" [1,8H], "fc.weight" [C,H], "fc.bias" [C].
  std::vector<Parameter>& parameters() { return params_; }
  const std::vector<Parameter>& parameters() const { return params_; }

  // Forward pass on n sequences x [n, T, I]; returns logits [n, C], valid until the next call.
  // Keeps the gates and states of every step for backward().
  const float* forward(const float* x, int64_t n);
  // Last hidden state h_T [n, H] of the last forward.
  const float* last_hidden() const;
  // Back-propagation through time of dlogits [n, C] (the last forward's n). Parameter
  // gradients are OVERWRITTEN; input_grad, when not null, receives d(loss)/dx [n, T, I].
  void backward(const float* dlogits, float* input_grad = nullptr);

  // Minibatch SGD on softmax cross-entropy. `sequences` holds N examples of T·I values each
  // (any shape with that many values per example, e.g. images [N, 1, 28, 28]); one label each.
  // Refused, with both numbers, when an example does not hold exactly T·I values (a data set
  // too short for the sequence length) or the label count differs. `masks` (optional, one per
  // parameter, nullptr for none) keep pruned weights at zero (train::Sgd).
  Status fit(const Tensor& sequences, std::span<const uint8_t> labels,
             const LstmFitOptions& options, std::span<const uint8_t* const> masks = {});
  // The model as an IR graph for a batch of `batch` sequences: Input "input" [batch, T, I] ->
  // LSTM "lstm" (layout 1, W, R, B unchanged; outputs "lstm.Y", "lstm.Y_h") -> Flatten
  // "flatten" of Y_h [batch, 1, H] -> FullyConnected "fc" [batch, C], shapes inferred. The
  // weights are copied (the graph does not share this model's storage).
  Result<ir::Graph> to_graph(int64_t batch = 1) const;

  Result<LstmEval> evaluate(const Tensor& sequences, std::span<const uint8_t> labels,
                            int64_t batch = 500);

 private:
  Status check_data(const char* what, const Tensor& sequences, size_t labels) const;

  LstmShape shape_;
  std::vector<Parameter> params_;
  // Per-forward state: x_ [n, T, I] (a copy), act_ [T, n, 4H] gate outputs (i, o, f, g),
  // h_ and c_ [T+1, n, H] with step 0 the zero initial state.
  int64_t n_ = 0;
  std::vector<float> x_, act_, h_, c_, logits_;
};

}  // namespace sieve::train
