// Placeholder until the diannao model lands: refuses to build.
#include "sieve/hw/archs/archs.h"

namespace sieve::hw::diannao_arch {

Result<std::unique_ptr<Accelerator>> create(const ParamSet& params) {
  return Status(StatusCode::kUnimplemented,
                "architecture \"diannao\" (" + params.file + ") is not implemented yet");
}

}  // namespace sieve::hw::diannao_arch
