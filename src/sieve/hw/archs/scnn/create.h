// The SCNN-family model behind the Accelerator interface, for SCNN's own create() and DCNN's
// (archs/scnn/dcnn.cc): one model, two dataflows (ScnnSpec::dataflow).
#pragma once

#include <memory>
#include <string>

#include "sieve/hw/archs/scnn/spec.h"
#include "sieve/hw/core/arch.h"

namespace sieve::hw::scnn_arch {

// An accelerator named `name` with the single mode `mode` running `spec`'s dataflow.
std::unique_ptr<Accelerator> make_model(const ScnnSpec& spec, const std::string& name,
                                        const std::string& mode);

}  // namespace sieve::hw::scnn_arch
