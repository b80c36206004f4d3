#include "sieve/compress/schedule/agp.h"

#include <algorithm>

#include "sieve/core/assert.h"

namespace sieve::compress {

double agp_sparsity(double initial, double final_sparsity, int64_t t, int64_t t0, int64_t steps,
                    int64_t interval) {
  SIEVE_ASSERT(steps >= 1 && interval >= 1, "AGP needs steps >= 1 and interval >= 1");
  if (t <= t0) return initial;
  const double span = static_cast<double>(steps) * static_cast<double>(interval);
  const double progress = std::min(1.0, static_cast<double>(t - t0) / span);
  const double left = 1.0 - progress;
  return final_sparsity + (initial - final_sparsity) * left * left * left;
}

double AgpSchedule::at(int64_t t) const {
  return agp_sparsity(initial_sparsity, final_sparsity, t, start, steps, interval);
}

std::vector<double> AgpSchedule::step_targets() const {
  std::vector<double> out;
  for (int64_t i = 1; i <= steps; ++i) out.push_back(at(start + i * interval));
  // The last step reaches s_f exactly (no rounding drift).
  if (!out.empty()) out.back() = final_sparsity;
  return out;
}

}  // namespace sieve::compress
