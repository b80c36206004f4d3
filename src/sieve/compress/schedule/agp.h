// The gradual pruning schedule of Zhu & Gupta 2017 ("To prune, or not to prune", AGP):
//   s_t = s_f + (s_i − s_f) · (1 − (t − t0) / (n·Δt))³   for t0 <= t <= t0 + n·Δt,
// s_i before t0 and s_f after t0 + n·Δt. Pruning steps happen at t = t0, t0 + Δt, …, t0 + n·Δt,
// fast at first and slower as the network has fewer weights left.
// Thread-safety: pure functions.
#pragma once

#include <cstdint>
#include <vector>

namespace sieve::compress {

struct AgpSchedule {
  double initial_sparsity = 0.0;  // s_i
  double final_sparsity = 0.0;    // s_f
  int64_t start = 0;              // t0
  int64_t steps = 1;              // n (>= 1)
  int64_t interval = 1;           // Δt (>= 1)

  // s_t (clamped to [s_i, s_f] outside the ramp).
  double at(int64_t t) const;
  // The targets of the n pruning steps t = t0 + Δt, …, t0 + n·Δt (the last is s_f).
  std::vector<double> step_targets() const;
};

// s_t of the formula above.
double agp_sparsity(double initial, double final_sparsity, int64_t t, int64_t t0, int64_t steps,
                    int64_t interval);

}  // namespace sieve::compress
