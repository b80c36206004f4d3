// Declarations of every architecture's create function, generated from hw/archs.def.
#pragma once

#include <memory>

#include "sieve/core/status.h"
#include "sieve/hw/core/arch.h"
#include "sieve/hw/core/params.h"

namespace sieve::hw {
#define SIEVE_ARCH(id, name, preset, desc) \
  namespace id##_arch {                    \
  Result<std::unique_ptr<Accelerator>> create(const ParamSet& params); \
  }
#include "sieve/hw/archs.def"
#undef SIEVE_ARCH
}  // namespace sieve::hw
