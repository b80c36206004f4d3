// The workload types under the names the hardware models use. The compiler owns them
// (compiler/workload.h: what a model simulates, and the input of the layer plan); the hardware
// side sits above the compiler and reads them, so they are declared there and named here.
#pragma once

#include "sieve/compiler/workload.h"

namespace sieve::hw {

using compiler::BitRank;
using compiler::BitVec;
using compiler::build_workload;
using compiler::kMaxSyntheticBatch;
using compiler::LayerKind;
using compiler::layer_kind_name;
using compiler::LayerWork;
using compiler::Workload;
using compiler::WorkloadOptions;

}  // namespace sieve::hw
