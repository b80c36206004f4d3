// Placeholder until the cambricon_x model lands: refuses to build.
#include "sieve/hw/archs/archs.h"

namespace sieve::hw::cambricon_x_arch {

Result<std::unique_ptr<Accelerator>> create(const ParamSet& params) {
  return Status(StatusCode::kUnimplemented,
                "architecture \"cambricon_x\" (" + params.file + ") is not implemented yet");
}

}  // namespace sieve::hw::cambricon_x_arch
