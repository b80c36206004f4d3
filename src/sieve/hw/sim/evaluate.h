// Running an inference engine over a dataset's test split: the float reference, the 16-bit
// fixed-point reference (runtime/fixed16/fixed16.h) or the Sieve accelerator's functional
// model (hw/archs/sieve/functional.h). Shared by `sieve run` and `sieve simulate --functional`
// so both write the same final-layer outputs (docs/formats/outputs.md).
//
// Thread-safety: reentrant.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "sieve/compress/model.h"
#include "sieve/core/status.h"
#include "sieve/core/tensor.h"
#include "sieve/hw/archs/sieve/functional.h"

namespace sieve::hw {

struct EngineRun {
  Tensor outputs;  // [N, width]: f32 (float engine) or i16 with frac bits (fixed engines)
  int64_t examples = 0;
  int64_t correct = 0;
  double accuracy() const {
    return examples > 0 ? static_cast<double>(correct) / static_cast<double>(examples) : 0.0;
  }
  std::vector<std::string> notes;          // e.g. activation formats calibrated
  sieve_arch::FunctionalStats functional;  // sieve-functional only
};

// Engines: "float", "ref-fixed16", "sieve-functional". A model without activation Q formats
// is calibrated on the first 256 training images (never the test split) for the fixed engines;
// the model is updated in place then. `limit` −1 = the whole test split.
Result<EngineRun> evaluate_engine(compress::CompressedModel& model, const std::string& engine,
                                  const std::string& data, const std::string& data_dir,
                                  int64_t limit, int64_t batch = 250);

}  // namespace sieve::hw
