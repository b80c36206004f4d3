// The sparse tensor core GPU's configuration (configs/archs/sparse-tc-a100.yaml), parsed and
// range-checked.
//
// An A100-like GPU (NVIDIA A100 Tensor Core GPU Architecture whitepaper, 2020; seed 001 "Nvidia
// Tensor Core: M:N Sparsity"): n_sm streaming multiprocessors, each with tensor_cores_per_sm
// tensor cores of dense_macs_per_tc INT8 multiply-accumulates per clock, fed from shared memory
// (smem_bytes_per_clk per SM) that thread-block tiles (CTAs) fill from the L2 (l2_bytes_per_clk
// shared by the SMs), and an HBM off-chip memory. A layer whose weights keep at most sparse_n of
// every sparse_m consecutive input channels runs on the sparse path: values packed left, each
// with a metadata_bits index that selects one of sparse_m activations in the tensor core's
// operand mux, twice the math rate for 2:4. Every constant the model uses is a field here and
// comes from the preset with its source. Value type; thread-safe.
#pragma once

#include <cstdint>

#include "sieve/core/status.h"
#include "sieve/hw/core/events.h"
#include "sieve/hw/core/params.h"

namespace sieve::hw::sparse_tc_arch {

struct SparseTcSpec {
  int64_t n_sm = 108;
  int64_t tensor_cores_per_sm = 4;
  int64_t dense_macs_per_tc = 512;  // INT8 MACs per tensor core per clock, dense
  int64_t cuda_cores_per_sm = 64;   // pooling and element-wise layers
  double freq_ghz = 1.41;
  // The structured-sparsity pattern the tensor core executes, and its index width.
  int64_t sparse_n = 2, sparse_m = 4;
  int64_t metadata_bits = 2;  // per stored value, >= ceil(log2 sparse_m)
  int64_t operand_bits = 8;   // weights and activations (INT8)
  int64_t accum_bits = 32;    // the C tile staged through shared memory in the epilogue
  // The thread-block tile (CTA) and its warp layout; the MMA instruction's granularity.
  int64_t cta_m = 128, cta_n = 256, cta_k = 64;
  int64_t warps_m = 2, warps_n = 4;
  int64_t mma_m = 16, mma_n = 8;
  int64_t smem_bytes_per_clk = 128;    // per SM
  int64_t l2_bytes_per_clk = 5120;     // shared by all SMs
  int64_t cta_prologue_cycles = 0;     // first operand stages' latency, per CTA wave
  int64_t kernel_overhead_cycles = 0;  // once per layer (kernel launch and tail)
  int64_t line_bytes = 128;            // one L2 line (the driver's fill / drain actions)
  // The plan's view of the on-chip memory (the L2 split between the operands).
  int64_t nbin_bytes = 0, nbout_bytes = 0, sb_bytes = 0;
  bool ping_pong = true;
  MemorySpec memory;

  int64_t macs_per_sm() const { return tensor_cores_per_sm * dense_macs_per_tc; }
  int64_t multipliers() const { return n_sm * macs_per_sm(); }
  int64_t operand_bytes() const { return operand_bits / 8; }
};

// Refuses, naming the file, key and value: any key out of range, sparse_n > sparse_m,
// metadata_bits < ceil(log2 sparse_m), operand_bits not a whole number of bytes, a warp layout
// that does not divide the CTA tile.
Result<SparseTcSpec> parse_spec(const ParamSet& ps);

}  // namespace sieve::hw::sparse_tc_arch
