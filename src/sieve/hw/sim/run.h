// Running accelerator models end to end: build an architecture from a preset and overrides,
// simulate a workload, price the action counts with the architecture's energy table, and
// format the result (text tables and JSON) for `sieve simulate`, `sieve compare` and
// `sieve reproduce`.
//
// Value types; thread-safe (no shared state).
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "sieve/core/status.h"
#include "sieve/hw/core/arch.h"
#include "sieve/hw/core/stats.h"
#include "sieve/hw/core/workload.h"
#include "sieve/hw/energy/energy.h"

namespace sieve::hw {

struct ArchRun {
  std::string arch;                    // arch name, preset stem or .yaml path
  std::vector<std::string> overrides;  // "key=value"
  SimOptions options;
};

struct SimReport {
  SimResult result;
  EnergyBreakdown energy;                     // whole model
  std::vector<EnergyBreakdown> layer_energy;  // per layer, same order as result.layers
  std::string energy_table;                   // file the prices came from
  double total_time_ns() const;
  double offchip_energy_share() const;  // offchip_pj / total
};

Result<SimReport> run_sim(const Workload& w, const ArchRun& run);

// Per-layer and total table: cycles, time, MACs performed/skipped, off-chip bytes by kind,
// utilisation, stalls, energy (on/off chip).
std::string report_text(const SimReport& r);
nlohmann::json report_json(const SimReport& r);

// Side by side: one row per architecture (time and energy, each also as a multiple of the first
// architecture's, off-chip share), then per layer the time of each.
std::string compare_text(const std::vector<SimReport>& runs);
nlohmann::json compare_json(const std::vector<SimReport>& runs);

}  // namespace sieve::hw
