// Fuzz target: the area model's config parser and its sizing expressions (hw/area/area.h,
// hw/area/expr.h), as `sieve area` reads configs/area/<preset>.yaml: the document is an area
// config computed against the Sieve preset with up to eight `-p` overrides (fuzz.h
// split_parts), so bad modules, references, expressions and SRAM shapes all reach the checks.
#include "fuzz/fuzz.h"
#include "sieve/hw/area/area.h"
#include "sieve/hw/core/arch.h"

namespace sieve::fuzz {

Status area(std::string_view input) {
  const Parts parts = split_parts(input);
  Result<std::unique_ptr<hw::Accelerator>> acc = hw::make_accelerator("sieve", parts.overrides);
  if (!acc.ok()) return acc.status();
  Result<hw::area::AreaReport> r =
      hw::area::area_report_from_text(parts.document, "fuzz-area.yaml", acc.value()->params());
  if (!r.ok()) return r.status();
  (void)r.value().area_of("sparse");
  return ok_status();
}

}  // namespace sieve::fuzz

SIEVE_FUZZ_ENTRY(area)
