// Fuzz target: the sweep spec parser (app/sweep.h parse_sweep_spec), which validates a whole
// spec before any point runs: axes, ranges, sampling, metrics and the point count. Nothing is
// simulated here.
#include "fuzz/fuzz.h"
#include "sieve/app/sweep.h"

namespace sieve::fuzz {

Status sweep(std::string_view input) {
  app::SweepOptions opt;
  opt.max_points = 100000;
  Result<app::SweepPlan> p = app::parse_sweep_spec(std::string(input), "fuzz-sweep.yaml", opt);
  if (!p.ok()) return p.status();
  (void)p.value().size();
  return ok_status();
}

}  // namespace sieve::fuzz

SIEVE_FUZZ_ENTRY(sweep)
