// The area and power model (`sieve area`): per module of an accelerator, area (mm²) and power
// (mW) for the configuration in its preset, overrides included, from configs/area/<preset>.yaml.
//
// Each module is anchored to a published reference (thesis Table 5.1 for Sieve; for the rivals,
// their papers' totals and, where no per-module figure exists, a Sieve module of the same kind
// and technology) and scaled from it by the quantity that sizes it:
//   * SRAM (kind sram: capacity, width, banks, ports as expressions over the preset's params):
//     area × A(shape) / A(reference shape) and power × E(shape)·parallel / (E(reference)·
//     parallel_ref) ×
//     f / f_ref, with A and E the analytical SRAM model (hw/area/sram.h); that model's absolute
//     area and access energy are reported beside the anchored ones as an independent estimate;
//   * logic (kind logic: `scale`, an expression such as "tn*tm" for multipliers or
//     "nsm_window*nsm_select" for a selector): area × s / s_ref, power × s / s_ref × f / f_ref.
// At the reference configuration a module is its reference exactly, so the default Sieve preset
// gives Table 5.1 by construction (a formula check, never counted as a reproduced result). A
// logic module scaled by more than 4× either way is computed with a warning naming the
// extrapolation; an SRAM outside the analytical model's range is refused with the range.
//
// Energy (hw/energy) prices each action key a module lists (`energy:`) at the energy table's
// value × (module power per cycle now / at the preset's defaults), so a changed configuration is
// no longer priced at the reference power (energy_scale_factors).
//
// Config format: docs/hardware.md, "Area and power". Pure functions; thread-safe.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "sieve/core/status.h"
#include "sieve/hw/core/params.h"

namespace sieve::hw::area {

struct ModuleArea {
  std::string name;
  std::string kind;               // "sram" or "logic"
  std::vector<std::string> tags;  // e.g. "sparse", "index", "buffer"
  double area_mm2 = 0, power_mw = 0;
  double ref_area_mm2 = 0, ref_power_mw = 0;
  double scale = 1;               // area / reference area
  std::string source;             // the reference's citation
  std::vector<std::string> energy;  // action keys it prices
  // SRAM only: the analytical model's own figures for this shape (not anchored).
  double estimate_area_mm2 = 0, estimate_access_pj = 0;
  double power_per_ghz = 0;       // power_mw / freq_ghz: energy per cycle in pJ
};

struct AreaReport {
  std::string arch, preset, file;  // arch name, preset stem, area config path
  std::string description;
  std::vector<ModuleArea> modules;
  double area_mm2 = 0, power_mw = 0;
  // The published totals of the design (0 when none), with their source.
  double published_area_mm2 = 0, published_power_mw = 0;
  std::string published_source;
  std::vector<std::string> warnings;  // extrapolations, each naming the module and the ratio
  // Σ area / power over the modules carrying `tag`.
  double area_of(const std::string& tag) const;
  double power_of(const std::string& tag) const;
  const ModuleArea* module(const std::string& name) const;
};

// The area config of a preset: configs/area/<preset stem>.yaml under config_dir() (the stem of
// ps.file). "" when the design has none.
std::string area_config_for(const ParamSet& preset);

// The report for `preset` (its params as overridden). Refused: no area config for the preset
// (naming the file looked for), a bad config (file, module, field, value), an SRAM outside the
// model's range.
Result<AreaReport> area_report(const ParamSet& preset);
// The same from an explicit area config file (tests, and configs kept outside configs/area),
// or from its text (`file` names it in errors; the fuzz target).
Result<AreaReport> area_report_from(const std::string& config_path, const ParamSet& preset);
Result<AreaReport> area_report_from_text(const std::string& yaml, const std::string& file,
                                         const ParamSet& preset);

// Per energy-table key, the factor its price takes for `preset`'s configuration: module power
// per cycle with the preset's params as given over the same with the preset file's defaults.
// Empty when the design has no area config (prices unchanged).
Result<std::map<std::string, double>> energy_scale_factors(const ParamSet& preset);

}  // namespace sieve::hw::area
