// Running an inference engine over a dataset's test split: the float reference, the 16-bit
// fixed-point reference (runtime/fixed16/fixed16.h) or the functional model of an
// accelerator that has one (Accelerator::engines(): "<arch>-functional", e.g. Sieve's). Shared by
// `sieve run` and `sieve simulate --functional` so both write the same final-layer outputs
// (docs/formats/outputs.md).
//
// Thread-safety: reentrant.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <vector>

#include "sieve/compress/model.h"
#include "sieve/core/status.h"
#include "sieve/core/tensor.h"

namespace sieve::hw {

struct EngineRun {
  Tensor outputs;  // [N, width]: f32 (float engine) or i16 with frac bits (fixed engines)
  int64_t examples = 0;
  int64_t correct = 0;
  double accuracy() const {
    return examples > 0 ? static_cast<double>(correct) / static_cast<double>(examples) : 0.0;
  }
  std::vector<std::string> notes;             // e.g. activation formats calibrated
  std::map<std::string, int64_t> functional;  // <arch>-functional: the model's event counts
};

// A functional engine supplied by the caller (Accelerator::functional_program's runner).
using EngineFn = std::function<Result<Tensor>(const compress::CompressedModel& model,
                                              const Tensor& input,
                                              std::map<std::string, int64_t>* counters)>;

// Engines: "float", "ref-fixed16", and "<arch>-functional" for every arch of hw/archs.def whose
// engines() has "functional" (its default preset; an unknown engine is refused, listing them). A
// model without activation Q formats is calibrated on the first 256 training images (never the test
// split) for the fixed engines; the model is updated in place then. `limit` −1 = the whole test
// split. `custom`, when given, computes in place of an "<arch>-functional" engine's
// run_functional (`sieve simulate --functional --program`: the programs executed).
Result<EngineRun> evaluate_engine(compress::CompressedModel& model, const std::string& engine,
                                  const std::string& data, const std::string& data_dir,
                                  int64_t limit, int64_t batch = 250,
                                  const EngineFn& custom = {});
// The engine names evaluate_engine knows, in order.
std::vector<std::string> engine_names();

}  // namespace sieve::hw
