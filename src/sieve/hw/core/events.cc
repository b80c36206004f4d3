#include "sieve/hw/core/events.h"

#include <algorithm>
#include <cmath>

namespace sieve::hw {
namespace {

int64_t transfer(int64_t bytes, double bw, int64_t startup) {
  if (bytes <= 0) return 0;
  return startup + static_cast<int64_t>(std::ceil(static_cast<double>(bytes) / bw));
}

}  // namespace

Status read_memory_spec(ParamReader& r, MemorySpec& m) {
  SIEVE_RETURN_IF_ERROR(r.get("dram_load_bytes_per_cycle", m.load_bytes_per_cycle, 1e-6, 1e9));
  SIEVE_RETURN_IF_ERROR(r.get("dram_store_bytes_per_cycle", m.store_bytes_per_cycle, 1e-6, 1e9));
  return r.get("dram_startup_cycles", m.startup_cycles, int64_t{0}, int64_t{1000000000});
}

int64_t load_cycles(int64_t bytes, const MemorySpec& m) {
  return transfer(bytes, m.load_bytes_per_cycle, m.startup_cycles);
}

int64_t store_cycles(int64_t bytes, const MemorySpec& m) {
  return transfer(bytes, m.store_bytes_per_cycle, m.startup_cycles);
}

StepSchedule schedule_steps(std::span<const TileEvents> tiles) {
  StepSchedule s;
  const int64_t n = static_cast<int64_t>(tiles.size());
  if (n == 0) return s;
  s.steps = n + 2;
  // Step k (1-based) runs Load k, Compute k-1 and Store k-2, each when it exists.
  for (int64_t k = 1; k <= n + 2; ++k) {
    int64_t len = 0;
    if (k <= n) len = std::max(len, tiles[static_cast<size_t>(k - 1)].load);
    if (k - 1 >= 1 && k - 1 <= n) len = std::max(len, tiles[static_cast<size_t>(k - 2)].compute);
    if (k - 2 >= 1 && k - 2 <= n) len = std::max(len, tiles[static_cast<size_t>(k - 3)].store);
    s.cycles += len;
  }
  for (const TileEvents& t : tiles) {
    s.load += t.load;
    s.compute += t.compute;
    s.store += t.store;
  }
  s.stall = s.cycles - s.compute;
  return s;
}

}  // namespace sieve::hw
