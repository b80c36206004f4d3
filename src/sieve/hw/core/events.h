// The event-driven timing rule of the thesis' performance simulator (SPEC §6, thesis §5.1.2).
//
// A layer tiled into N sub-operations runs in N + 2 steps separated by Synchronize events:
// step 1 = Load 1; step i+1 = max(Load i+1, Compute i, Store i-1); step N+2 = Store N. Load and
// Store events cost t_start + bytes / bandwidth (zero bytes cost nothing); Compute i is the
// longest of the tile's matrix, vector and scalar compute events. Ping-pong buffers are what
// let Load i+1 overlap Compute i. Pure functions; thread-safe.
#pragma once

#include <cstdint>
#include <span>

#include "sieve/core/status.h"
#include "sieve/hw/core/params.h"

namespace sieve::hw {

struct MemorySpec {
  double load_bytes_per_cycle = 0;   // off-chip load bandwidth
  double store_bytes_per_cycle = 0;  // off-chip store bandwidth (dual-port memory)
  int64_t startup_cycles = 0;        // t_start of every transfer
};

// Reads the shared off-chip memory keys of a preset: dram_load_bytes_per_cycle,
// dram_store_bytes_per_cycle, dram_startup_cycles.
Status read_memory_spec(ParamReader& r, MemorySpec& m);

// t_start + ceil(bytes / bw); 0 when bytes == 0.
int64_t load_cycles(int64_t bytes, const MemorySpec& m);
int64_t store_cycles(int64_t bytes, const MemorySpec& m);

struct TileEvents {
  int64_t load = 0;     // cycles of Load i
  int64_t compute = 0;  // cycles of Compute i (max of its matrix/vector/scalar events)
  int64_t store = 0;    // cycles of Store i
};

struct StepSchedule {
  int64_t cycles = 0;                        // sum of the N + 2 step lengths
  int64_t steps = 0;                         // N + 2 (0 for no tiles)
  int64_t load = 0, compute = 0, store = 0;  // sums of the event times
  int64_t stall = 0;  // cycles of steps not spent computing: cycles - compute
};

StepSchedule schedule_steps(std::span<const TileEvents> tiles);

}  // namespace sieve::hw
