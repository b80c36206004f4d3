#include "sieve/compress/schedule/sensitivity.h"

namespace sieve::compress {

Result<std::vector<SensitivityPoint>> sensitivity_sweep(
    const ir::Graph&, const SensitivityOptions&, const io::Dataset&,
    const std::function<void(const SensitivityPoint&)>&) {
  return unimplemented("sensitivity_sweep: not yet implemented");
}

std::string sensitivity_csv(const std::vector<SensitivityPoint>&) { return ""; }

Status write_sensitivity_csv(const std::string&, const std::vector<SensitivityPoint>&) {
  return unimplemented("write_sensitivity_csv: not yet implemented");
}

}  // namespace sieve::compress
