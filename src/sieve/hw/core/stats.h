// What an accelerator model returns: per-layer statistics and action counts.
//
// Models count actions; they never compute energy. Energy is a pure function of these counts
// and an energy table (hw/energy/energy.h): every key in `actions` must have an entry in the
// architecture's table. Action keys are snake_case "<unit>_<action>", e.g. "nbin_read"
// (one full-width NBin access), "sb_read", "mac" (one multiply-accumulate performed),
// "nsm_cycle" (one cycle the NSM is busy), "dram_read_bit". Each model documents its keys in
// its header.
//
// Value types; no shared state.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

namespace sieve::hw {

// Off-chip traffic by data kind, in bytes (loads and stores together; partial sums written and
// read back both count).
struct OffchipBytes {
  int64_t weights = 0;
  int64_t weight_index = 0;
  int64_t neurons = 0;       // input neurons loaded and output neurons stored
  int64_t neuron_index = 0;  // bit strings of sparse neurons (Encoder output)
  int64_t partial_sums = 0;  // partial sums stored and reloaded across input tiles
  int64_t total() const { return weights + weight_index + neurons + neuron_index + partial_sums; }
  OffchipBytes& operator+=(const OffchipBytes& o);
};

struct LayerStats {
  std::string name;  // graph node name
  std::string kind;  // "fc", "conv", "pool", "lstm", "other"
  int64_t cycles = 0;
  double time_ns = 0;
  // Work: multiply-accumulates of the dense layer; those performed; those skipped (zero
  // weight or zero neuron) — performed + skipped == dense.
  int64_t macs_dense = 0;
  int64_t macs_performed = 0;
  int64_t macs_skipped = 0;
  OffchipBytes offchip;
  std::map<std::string, int64_t> actions;  // energy-relevant action counts (see above)
  // Timing breakdown: the sum over steps of the Load, Compute and Store event times, and the
  // cycles in which the functional units waited for memory (step length minus compute).
  int64_t load_cycles = 0;
  int64_t compute_cycles = 0;
  int64_t store_cycles = 0;
  int64_t stall_cycles = 0;
  int64_t tiles = 0;       // sub-operations (events run in tiles + 2 steps)
  std::string reuse;       // data-reuse strategy the compiler chose ("" if none)
  std::string tiling;      // the plan's tiling (compiler Tiling::to_string; "" when streamed)
  double utilization = 0;  // macs_performed / (multipliers × cycles)
  // How the design ran this layer when not in its own way ("" otherwise), e.g. a sparse design
  // that runs a layer as its dense baseline says so and why.
  std::string note;
};

struct SimResult {
  std::string arch;    // model name ("sieve", "diannao", ...)
  std::string preset;  // configuration file stem
  std::string mode;    // e.g. "sparse", "dense", "weight-sparse", "neuron-sparse"
  std::string model;   // benchmark / model name
  double freq_ghz = 1.0;
  int64_t batch = 1;  // samples simulated; per-layer numbers are totals over the batch
  std::vector<LayerStats> layers;

  LayerStats total() const;  // sums (name "total"; utilization recomputed needs multipliers)
  int64_t multipliers = 0;   // for utilization
};

}  // namespace sieve::hw
