// Fuzz target: the parameter-file parser (hw/core/params.h) with `-p key=value` overrides, for
// the three kinds of file it reads:
//   - arch presets (configs/archs/*.yaml, `arch:` set): parse_params, then
//     make_accelerator_from, as `sieve simulate --arch P -p K=V` does (overrides applied, the
//     model created, every parameter range-checked);
//   - energy tables (configs/energy/*.yaml, no `arch:`): parse_params, apply_overrides, then
//     the energy of a layer that counts one of every action the table names (layer_energy);
//   - the benchmark statistics (configs/benchmarks/thesis.yaml, a `networks:` mapping):
//     check_thesis_config, the checks every thesis benchmark makes.
// The input is a YAML document and up to eight overrides (fuzz.h split_parts).
#include "fuzz/fuzz.h"
#include "sieve/hw/core/arch.h"
#include "sieve/hw/core/params.h"
#include "sieve/hw/energy/energy.h"
#include "sieve/hw/workloads/thesis.h"

namespace sieve::fuzz {

Status params(std::string_view input) {
  const Parts parts = split_parts(input);
  Status benchmarks = invalid_argument("not a benchmark file");
  if (parts.document.find("networks") != std::string::npos) {
    benchmarks = hw::check_thesis_config(parts.document, "fuzz-benchmarks.yaml");
  }
  Result<hw::ParamSet> ps = hw::parse_params(parts.document, "fuzz.yaml");
  if (!ps.ok()) return benchmarks.ok() ? benchmarks : ps.status();
  if (!ps.value().arch.empty()) {
    Result<std::unique_ptr<hw::Accelerator>> acc =
        hw::make_accelerator_from(ps.value(), parts.overrides);
    if (!acc.ok()) return acc.status();
    (void)acc.value()->modes();
    (void)acc.value()->multipliers();
    return ok_status();
  }
  hw::ParamSet& table = ps.value();
  SIEVE_RETURN_IF_ERROR(hw::apply_overrides(table, parts.overrides));
  hw::LayerStats layer;
  layer.name = "fc1";
  for (const hw::Param& p : table.params) layer.actions[p.name] = 1000;
  layer.offchip.weights = 64;
  Result<hw::EnergyBreakdown> e = hw::layer_energy(layer, table);
  return e.ok() ? ok_status() : e.status();
}

}  // namespace sieve::fuzz

SIEVE_FUZZ_ENTRY(params)
