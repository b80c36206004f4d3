#include "sieve/hw/energy/energy.h"

#include <fmt/format.h>

#include <filesystem>

#include "sieve/hw/area/area.h"

namespace sieve::hw {

EnergyBreakdown& EnergyBreakdown::operator+=(const EnergyBreakdown& o) {
  for (const auto& [k, v] : o.pj) pj[k] += v;
  onchip_pj += o.onchip_pj;
  offchip_pj += o.offchip_pj;
  return *this;
}

Result<EnergyBreakdown> layer_energy(const LayerStats& layer, const ParamSet& table) {
  EnergyBreakdown e;
  for (const auto& [key, count] : layer.actions) {
    const Param* p = table.find(key);
    if (p == nullptr)
      return invalid_argument("{}: no energy entry for action \"{}\" (counted in layer {})",
                              table.file, key, layer.name);
    const double pj = static_cast<double>(count) * p->value;
    e.pj[key] += pj;
    e.onchip_pj += pj;
  }
  const int64_t bytes = layer.offchip.total();
  if (bytes > 0) {
    const Param* p = table.find("dram_bit");
    if (p == nullptr)
      return invalid_argument("{}: no energy entry \"dram_bit\" for off-chip traffic", table.file);
    e.offchip_pj = static_cast<double>(bytes) * 8.0 * p->value;
    e.pj["dram"] += e.offchip_pj;
  }
  return e;
}

Result<EnergyBreakdown> total_energy(const SimResult& r, const ParamSet& table,
                                     std::vector<EnergyBreakdown>* per_layer) {
  EnergyBreakdown total;
  if (per_layer != nullptr) per_layer->clear();
  for (const LayerStats& l : r.layers) {
    SIEVE_ASSIGN_OR_RETURN(EnergyBreakdown e, layer_energy(l, table));
    total += e;
    if (per_layer != nullptr) per_layer->push_back(std::move(e));
  }
  return total;
}

Result<ParamSet> energy_table_for(const ParamSet& preset) {
  if (preset.energy.empty())
    return invalid_argument("{}: no \"energy\" key naming the preset's energy table", preset.file);
  std::string path = config_dir() + "/energy/" + preset.energy + ".yaml";
  if (preset.energy.ends_with(".yaml")) {
    const std::filesystem::path p(preset.energy);
    path = p.is_absolute() ? p.string()
                           : (std::filesystem::path(preset.file).parent_path() / p).string();
  }
  Result<ParamSet> t = read_params(path);
  if (!t.ok()) return t.status().with_context(preset.file + ": energy: " + preset.energy);
  return t;
}

Result<ParamSet> priced_for_configuration(ParamSet table, const ParamSet& configured) {
  // A configuration changed by overrides is priced at its own module power (hw/area/area.h),
  // not at the power the table's reference configuration was published with.
  SIEVE_ASSIGN_OR_RETURN(const auto factors, area::energy_scale_factors(configured));
  for (Param& p : table.params) {
    const auto f = factors.find(p.name);
    if (f == factors.end() || f->second == 1.0) continue;
    p.value *= f->second;
    p.source += fmt::format(" (× {:.4g} by the area model for this configuration)", f->second);
  }
  return table;
}

}  // namespace sieve::hw
