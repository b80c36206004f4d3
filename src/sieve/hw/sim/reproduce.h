// `sieve reproduce`: recomputes the thesis' headline figures (SPEC §7) from our own models and
// prints each beside the published value with its deviation.
//
// Every figure is computed, never looked up: the seven thesis benchmarks (hw/workloads/thesis.h:
// zoo shapes, coarse-grained masks at the published sparsity, synthetic activations at the
// published dynamic sparsity — there is no ImageNet here) are simulated on Sieve, DianNao and
// Cambricon-X; Table 5.2 uses the six EIE FC layers with every weight on chip; Fig 5.9 sweeps one
// conv and one FC layer; the tiling example runs the compiler on VGG16 conv4_2. Aggregates over
// benchmarks are geometric means. A figure is "reproduced" when it lies within 25 % of the
// published one (SPEC §9 / issue tolerance).
//
// Thread-safety: reentrant; runs simulations on up to `threads` threads.
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "sieve/core/status.h"

namespace sieve::hw {

struct FigureResult {
  std::string figure;        // id, e.g. "speedup-vs-diannao"
  std::string description;   // what it is and where it is published
  nlohmann::json published;  // number (or string for a choice)
  nlohmann::json ours;
  double deviation = 0;     // ours / published − 1 (numbers only)
  bool reproduced = false;  // |deviation| ≤ 25 % (or the same choice)
  bool measured_here = false;  // timed on this machine's CPU: never counted as reproduced
  std::string how;          // how ours was computed
};

struct ReproduceOptions {
  uint64_t seed = 1;
  int threads = 2;
  std::vector<std::string> benchmarks;  // empty = all seven
  // "key=value" applied to every architecture (e.g. the shared DRAM parameters, for a
  // sensitivity study); each arch must know the key.
  std::vector<std::string> overrides;
};

// Figure ids, in print order; a prefix selects a group ("table5.2" → its six figures). The
// "cpu" group (the thesis' CPU baselines timed on this machine, app/cpu_baselines.h) runs only
// when named: it takes a minute and its numbers depend on the host.
std::vector<std::string> figure_ids();

// The figures named (ids or prefixes; empty = all). Unknown names are refused listing the ids.
Result<std::vector<FigureResult>> reproduce(const std::vector<std::string>& names,
                                            const ReproduceOptions& opt);

std::string figures_text(const std::vector<FigureResult>& f);
nlohmann::json figures_json(const std::vector<FigureResult>& f);

}  // namespace sieve::hw
