// Running an inference engine over a dataset's test split: the CPU engine (runtime/cpu/
// session.h, the fast one), the float reference, the 16-bit
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
  // Timing of the engine calls alone (no data loading, no model loading or packing): every
  // batch of the test split, after one untimed warm-up call on the first batch.
  int64_t batch = 0;          // examples per engine call (the last call may have fewer)
  int64_t batches = 0;        // engine calls timed
  double run_seconds = 0.0;   // their total wall time
  double images_per_second() const { return run_seconds > 0 ? examples / run_seconds : 0.0; }
  double ms_per_batch() const { return batches > 0 ? 1e3 * run_seconds / batches : 0.0; }
  // cpu engine: the ISA path, threads, the nodes run on the reference kernels, packed layers.
  std::string isa;
  int threads = 0;
  std::vector<std::string> fallback_ops;
  std::vector<std::string> layers;  // "node: kind, bytes"
  int64_t packed_bytes = 0;
  // cpu engine, memory (bytes; -1 where the OS does not report it, core/rss.h):
  //   plan_bytes        what the session accounts for at this batch: packed weights +
  //                     activations + scratch (Session::memory_bytes; the --max-memory check)
  //   load_peak_bytes   resident memory the load took at its peak (decoding and packing),
  //                     over the process's before it
  //   engine_peak_bytes resident memory the engine held at its peak: what the load kept plus
  //                     the peak of the first run at this batch (planning, buffers, one batch)
  // The model file's decoded CompressedModel and the dataset were resident before and are not
  // counted; the reference engines report none of these.
  int64_t plan_bytes = 0;
  int64_t load_peak_bytes = -1;
  int64_t engine_peak_bytes = -1;
};

// Options of the cpu engine (ignored by the others, but checked: threads >= 1).
struct EngineOptions {
  int threads = 1;
  std::string isa;               // "" / "auto": $SIEVE_ISA or the CPU's best (runtime/cpu/isa.h)
  int64_t max_memory_bytes = 0;  // 0: the memory limit (core/checked.h)
  bool int8 = false;             // the int8 route for block-sparse layers (runtime/cpu/session.h)
  // After each batch: examples done, examples in all (the CLI's progress bar).
  std::function<void(int64_t done, int64_t total)> progress;
};

// A functional engine supplied by the caller (Accelerator::functional_program's runner).
using EngineFn = std::function<Result<Tensor>(const compress::CompressedModel& model,
                                              const Tensor& input,
                                              std::map<std::string, int64_t>* counters)>;

// Engines: "cpu", "float", "ref-fixed16", and "<arch>-functional" for every arch of hw/archs.def whose
// engines() has "functional" (its default preset; an unknown engine is refused, listing them). A
// model without activation Q formats is calibrated on the first 256 training images (never the test
// split) for the fixed engines; the model is updated in place then. `limit` −1 = the whole test
// split. `custom`, when given, computes in place of an "<arch>-functional" engine's
// run_functional (`sieve simulate --functional --program`: the programs executed).
Result<EngineRun> evaluate_engine(compress::CompressedModel& model, const std::string& engine,
                                  const std::string& data, const std::string& data_dir,
                                  int64_t limit, int64_t batch = 250,
                                  const EngineFn& custom = {}, const EngineOptions& options = {});
// The engine names evaluate_engine knows, in order.
std::vector<std::string> engine_names();

}  // namespace sieve::hw
