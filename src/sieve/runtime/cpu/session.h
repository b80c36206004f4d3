// The CPU engine (issue 11): a session loads a compressed model (or a dense one: a
// CompressedModel without layers), packs every weighted layer once, and then runs inferences
// on batches of any size, many times, on a small thread pool.
//
// Load (Session::load):
//   * FullyConnected (trans_a = 0, alpha = beta = 1, 1-D bias), MatMul with a 2-D initializer
//     B, and 2-D Conv (any stride, padding, dilation, group): each group of the weight's 2-D
//     view (compress/model.h) becomes a Linear (linear.h). A compressed layer is read from the
//     container: its decoded weights (compress::decode_layer: mask, codes and codebooks), and
//     for the block-sparse variant its block shape and structure (linear.h, block_view), its
//     mask, codes and codebooks as stored. Nothing is re-derived from masks.
//   * Ops run natively: those above, MaxPool / AveragePool (2-D), GlobalAveragePool /
//     GlobalMaxPool, Relu (fused into the producing layer's output pass when that layer is its
//     only producer and it is the value's only reader), Softmax / LogSoftmax, Add of two values of
//     one shape, and the shape ops
//     Flatten, Reshape, Squeeze, Unsqueeze, Identity and Dropout (inference; views, no copy).
//   * Any other node (an op above with attributes outside what is listed, LRN, BatchNorm,
//     LSTM, ...) runs on the reference kernel (runtime::run_ref_node); fallback_ops() lists
//     those nodes, once, for the caller to report.
// Run (Session::run): input is the graph input's shape with any batch size in dim 0 (f32).
// The first run at a batch size plans it: shapes, a buffer per value with buffers reused once a
// value is dead, im2col scratch per worker. A batch whose plan needs more than
// max_memory_bytes (activations + scratch + packed weights) is refused before anything is
// allocated. Results equal the reference engine's (runtime/executor.h) within float
// rounding: sums run in float (OpenBLAS), not in double.
// Threads: `threads` workers (the caller included). Convolutions split the batch over workers,
// or, when the batch is smaller than the pool, the output channels; fully connected layers
// split the batch when it is large and the output neurons otherwise. OpenBLAS is set to one
// thread (process-wide, openblas_set_num_threads) when a session is loaded: the session's own
// pool is the only parallelism.
// Thread-safety: one run() at a time per session; sessions are independent otherwise.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "sieve/compress/model.h"
#include "sieve/core/cpu.h"
#include "sieve/core/status.h"
#include "sieve/core/tensor.h"
#include "sieve/runtime/cpu/isa.h"

namespace sieve::runtime::cpu {

struct SessionOptions {
  int threads = 1;  // >= 1
  Isa isa = Isa::kScalar;
  // The int8 route for block-sparse layers (kernels/bsr/int8.h: int8 weights, u8 activations
  // quantized per sample, integer dot products); dense layers stay fp32. On kAvx512 it needs
  // avx512bw and avx512vnni: load() refuses, naming the missing feature, on a CPU without them.
  bool int8 = false;
  // Memory a batch's plan may take (bytes); 0 = the memory limit (core/checked.h:
  // $SIEVE_MEMORY_LIMIT or the machine's memory).
  int64_t max_memory_bytes = 0;
  // The CPU features the int8 check uses; unset = cpu_features() (tests inject others).
  std::optional<CpuFeatures> cpu = std::nullopt;
  // n:m-pruned fully connected layers on the N:M kernels (kernels/nm/nm.h, linear_nm.cc)
  // instead of dense OpenBLAS / block-sparse. Off by default: on this machine's CPU they beat
  // OpenBLAS only on GEMVs larger than the caches (docs/RESULTS.md, "The CPU path for 2:4
  // weights").
  bool nm_kernels = false;
};

// One packed layer, for reports.
struct PackedLayer {
  std::string node;
  std::string kind;  // "dense", "bsr 16x1 4-bit", ...; groups > 1: "... ×g"
  int64_t bytes = 0;
  bool compressed = false;  // a CompressedLayer of the model
};

class Session {
 public:
  // Errors: threads < 1, max_memory_bytes < 0, a graph without exactly one input and at least
  // one output, a compressed layer that does not decode.
  static Result<std::unique_ptr<Session>> load(const compress::CompressedModel& model,
                                               const SessionOptions& options);
  ~Session();
  Session(const Session&) = delete;
  Session& operator=(const Session&) = delete;

  // The graph outputs, in graph order (owned: later runs do not touch them). Errors: input
  // rank or non-batch dims unlike the declared input, a non-f32 input, a batch over the memory
  // limit, a fallback node's error.
  Result<std::vector<Tensor>> run(const Tensor& input);
  // Bytes a run at batch `n` needs (plan buffers + scratch + packed weights); errors as run().
  Result<int64_t> memory_bytes(int64_t n);
  // ok when a run at batch `n` fits max_memory_bytes; else the error run() would give. Plans
  // without allocating.
  Status check_batch(int64_t n);

  // "node (Op)" of every node that runs on the reference kernels, in graph order.
  const std::vector<std::string>& fallback_ops() const;
  const std::vector<PackedLayer>& packed_layers() const;
  int64_t packed_bytes() const;
  Isa isa() const;
  int threads() const;

  struct Impl;

 private:
  explicit Session(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace sieve::runtime::cpu
