// The thesis' CPU baselines, recomputed on this machine (issue 11, item 6; SPEC §7: the
// accelerator is 44.8× faster than CPU-Caffe (dense) and 331.1× faster than "CPU-Sparse").
//
// Every matrix layer of a workload (conv, FC, LSTM; the zoo shapes with the layer's own
// coarse-grained mask at the published sparsity) is timed, one thread, batch 1, on three CPU
// configurations in one run:
//   * dense: OpenBLAS SGEMM (core type fixed, runtime/kernels/blas) on the dense weights — what
//     CPU-Caffe does;
//   * CSR: Eigen's SparseMatrix<float, RowMajor> times the dense input — a fine-grained sparse
//     library that stores one index per kept weight and cannot use the blocks (the thesis'
//     CPU-Sparse);
//   * blocks: Sieve's runtime kernel (runtime/kernels/bsr) on the layer's blocks and its local-
//     quantization code width (4-bit codes for widths up to 4, 8-bit up to 8, fp32 above).
// What is timed is the layer's matrix product only, the same for all three: conv as the GEMM
// of its im2col'd input (im2col excluded), FC at batch 1 (n = 1), LSTM one step × T steps.
// Pooling and element-wise layers are not timed (all three would share them). Weights and
// inputs are random (a fixed seed): the time depends on shapes and masks, not values.
//
// Thread-safety: sets OpenBLAS to one thread for the run (process-wide) and restores it.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "sieve/compiler/workload.h"
#include "sieve/core/status.h"
#include "sieve/runtime/kernels/bsr/bsr.h"

namespace sieve::app {

struct CpuTimes {
  double dense_s = 0, csr_s = 0, blocks_s = 0;  // seconds per inference
};

struct CpuLayerTime {
  std::string layer, kind;     // kind: "conv", "fc", "lstm"
  int64_t rows = 0, cols = 0;  // the weight's 2-D view (all groups)
  int64_t n = 0;               // columns of the input per group product (output pixels, or 1)
  int64_t repeats = 1;         // products per inference (LSTM steps)
  double density = 1;          // kept weights / all
  int64_t block_rows = 1, block_cols = 1, bits = 0;  // what the blocks kernel ran
  CpuTimes t;
};

struct CpuModelTime {
  std::string model;
  std::vector<CpuLayerTime> layers;
  CpuTimes total;
};

struct CpuBaselineOptions {
  double min_seconds = 0.02;  // per configuration and layer: repeat until this much time
  runtime::kernels::bsr::Isa isa = runtime::kernels::bsr::Isa::kScalar;  // the blocks kernel's path
  uint64_t seed = 1;
};

// Times every conv / FC / LSTM layer of `w` (its first sample's masks). Errors: a layer whose
// block the kernel refuses (the message names the layer).
Result<CpuModelTime> time_cpu_baselines(const compiler::Workload& w,
                                        const CpuBaselineOptions& options);

// A per-layer table (ms) and the totals, with the CPU and the ISA path in the header line.
std::string cpu_baselines_text(const CpuModelTime& m, const std::string& cpu,
                               const std::string& isa);

}  // namespace sieve::app
