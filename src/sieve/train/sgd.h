// Stochastic gradient descent with momentum and weight decay, learning-rate schedules, and the
// weight masks that keep pruned weights at exactly zero while a network is retrained.
//
// Update rule (PyTorch's SGD, which Caffe's matches up to where lr enters the velocity):
//   g = (grad + weight_decay * w) * mask;  v = momentum * v + g;  w = (w - lr * v) * mask.
// A pruned weight (mask 0) therefore gets no gradient, no decay, no velocity and stays 0.0f.
// Thread-safety: none.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "sieve/core/status.h"
#include "sieve/train/network.h"

namespace sieve::train {

enum class LrPolicy { kConstant, kStep, kCosine };

const char* lr_policy_name(LrPolicy p);  // "constant", "step", "cosine"
Result<LrPolicy> parse_lr_policy(const std::string& name);

struct LrSchedule {
  LrPolicy policy = LrPolicy::kCosine;
  double base_lr = 0.01;
  double min_lr = 0.0;        // cosine: the rate at the end of training
  double step_epochs = 10.0;  // step: multiply by gamma every step_epochs epochs
  double gamma = 0.1;
  double warmup_epochs = 0.0;  // linear ramp from base_lr / 10 over the first epochs

  // The rate after `epoch` (fractional) epochs of a run of `total_epochs`.
  double lr_at(double epoch, double total_epochs) const;
};

struct SgdOptions {
  double momentum = 0.9;
  double weight_decay = 5e-4;
  bool decay_biases = true;  // Caffe and PyTorch decay biases too unless told otherwise
};

class Sgd {
 public:
  explicit Sgd(SgdOptions options = {}) : options_(options) {}
  const SgdOptions& options() const { return options_; }

  // One update of every parameter. masks[i] (nullptr: no mask) is parameter i's keep-mask,
  // one byte per weight (0 = pruned).
  void step(std::vector<Parameter>& params, double lr, std::span<const uint8_t* const> masks);
  // Forgets the momentum (a new run starts from rest).
  void reset() { velocity_.clear(); }

 private:
  SgdOptions options_;
  std::vector<std::vector<float>> velocity_;  // one per parameter, in order
};

}  // namespace sieve::train
