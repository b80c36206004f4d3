#include "sieve/train/sgd.h"

#include <algorithm>
#include <cmath>
#include <numbers>

namespace sieve::train {

const char* lr_policy_name(LrPolicy p) {
  switch (p) {
    case LrPolicy::kConstant: return "constant";
    case LrPolicy::kStep: return "step";
    case LrPolicy::kCosine: return "cosine";
  }
  return "?";
}

Result<LrPolicy> parse_lr_policy(const std::string& name) {
  for (LrPolicy p : {LrPolicy::kConstant, LrPolicy::kStep, LrPolicy::kCosine}) {
    if (name == lr_policy_name(p)) return p;
  }
  return invalid_argument("unknown learning-rate schedule \"{}\"; known: constant, step, cosine",
                          name);
}

double LrSchedule::lr_at(double epoch, double total_epochs) const {
  double lr = base_lr;
  switch (policy) {
    case LrPolicy::kConstant: break;
    case LrPolicy::kStep:
      if (step_epochs > 0) lr = base_lr * std::pow(gamma, std::floor(epoch / step_epochs));
      break;
    case LrPolicy::kCosine: {
      const double t = total_epochs > 0 ? std::clamp(epoch / total_epochs, 0.0, 1.0) : 0.0;
      lr = min_lr + 0.5 * (base_lr - min_lr) * (1.0 + std::cos(std::numbers::pi * t));
      break;
    }
  }
  if (warmup_epochs > 0 && epoch < warmup_epochs) {
    const double f = 0.1 + 0.9 * epoch / warmup_epochs;
    lr = std::min(lr, base_lr * f);
  }
  return lr;
}

void Sgd::step(std::vector<Parameter>& params, double lr, std::span<const uint8_t* const> masks) {
  if (velocity_.size() != params.size()) {
    velocity_.assign(params.size(), {});
    for (size_t i = 0; i < params.size(); ++i) {
      velocity_[i].assign(static_cast<size_t>(params[i].value.numel()), 0.0f);
    }
  }
  const float mu = static_cast<float>(options_.momentum);
  const float rate = static_cast<float>(lr);
  for (size_t i = 0; i < params.size(); ++i) {
    Parameter& p = params[i];
    float* w = p.value.data<float>();
    const float* g = p.grad.data();
    float* v = velocity_[i].data();
    const float wd =
        (p.is_bias && !options_.decay_biases) ? 0.0f : static_cast<float>(options_.weight_decay);
    const int64_t count = p.value.numel();
    const uint8_t* mask = i < masks.size() ? masks[i] : nullptr;
    if (mask == nullptr) {
      for (int64_t k = 0; k < count; ++k) {
        v[k] = mu * v[k] + (g[k] + wd * w[k]);
        w[k] -= rate * v[k];
      }
    } else {
      for (int64_t k = 0; k < count; ++k) {
        if (mask[k] == 0) {
          v[k] = 0.0f;
          w[k] = 0.0f;
          continue;
        }
        v[k] = mu * v[k] + (g[k] + wd * w[k]);
        w[k] -= rate * v[k];
      }
    }
  }
}

}  // namespace sieve::train
