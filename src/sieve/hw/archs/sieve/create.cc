// Placeholder until the sieve model lands: refuses to build.
#include "sieve/hw/archs/archs.h"

namespace sieve::hw::sieve_arch {

Result<std::unique_ptr<Accelerator>> create(const ParamSet& params) {
  return Status(StatusCode::kUnimplemented,
                "architecture \"sieve\" (" + params.file + ") is not implemented yet");
}

}  // namespace sieve::hw::sieve_arch
