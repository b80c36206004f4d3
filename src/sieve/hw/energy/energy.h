// Energy: a pure function of a model's action counts and an energy table (Timeloop/Accelergy
// style). Tables live in configs/energy/<table>.yaml in the params format (hw/core/params.h),
// one per preset (the preset's `energy:` key names it); action names shared between
// architectures are hw/core/actions.h's:
// every entry is `action_key: {value: pJ per action, source: "..."}`.
//
// energy(layer) = Σ_k actions[k] · pJ[k] + 8 · offchip.total() · pJ["dram_bit"].
// An action key with no table entry is an error naming the key and the table file (a model
// must not silently count something that costs nothing). Thread-safe, no state.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "sieve/core/status.h"
#include "sieve/hw/core/params.h"
#include "sieve/hw/core/stats.h"

namespace sieve::hw {

struct EnergyBreakdown {
  std::map<std::string, double> pj;  // per action key, plus "dram" for off-chip traffic
  double onchip_pj = 0;
  double offchip_pj = 0;
  double total_pj() const { return onchip_pj + offchip_pj; }
  EnergyBreakdown& operator+=(const EnergyBreakdown& o);
};

Result<EnergyBreakdown> layer_energy(const LayerStats& layer, const ParamSet& table);
// Sum over the result's layers; per-layer breakdowns in `per_layer` when not null.
Result<EnergyBreakdown> total_energy(const SimResult& r, const ParamSet& table,
                                     std::vector<EnergyBreakdown>* per_layer = nullptr);

// The energy table a preset names (`energy:`): configs/energy/<energy>.yaml, or a path ending
// in .yaml relative to the preset's folder. A preset without one is refused, naming its file.
// The table as written (no configuration applied).
Result<ParamSet> energy_table_for(const ParamSet& preset);

// `table` priced for `configured` (a preset with its overrides applied, e.g. an Accelerator's
// params()): when the preset has an area model (configs/area/<preset stem>.yaml) and
// overridden params, each price a module lists is scaled by that module's power per cycle now
// over at the preset's defaults (area::energy_scale_factors), and its source says so. run_sim
// applies it to every simulation; without overrides the table is returned unchanged.
Result<ParamSet> priced_for_configuration(ParamSet table, const ParamSet& configured);

}  // namespace sieve::hw
