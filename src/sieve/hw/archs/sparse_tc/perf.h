// The sparse tensor core GPU's performance model: each FC / conv / LSTM layer is a GEMM
// (M = output rows, K = weight columns, N = output positions of one sample) run as thread-block
// tiles (CTAs) on the SMs' tensor cores, dense or on the N:M sparse path; the shared plan and
// tiled driver (hw/core/tiled_driver.h) stream its operands between HBM and the L2.
//
// Mechanics, per sub-operation of the plan (rows M', weight columns K', positions N'), every
// constant from SparseTcSpec (the preset):
//  * Tiles. The sub-GEMM is cut into ceil(M'/cta_m) x ceil(N'/cta_n) CTAs, one per SM at a
//    time. The sub-operations of a layer are one kernel, so CTAs stream over the SMs across
//    sub-operation boundaries: a sub-GEMM costs max(one CTA, CTAs x CTA cycles / n_sm) — its
//    share of the SMs' time, and a CTA's latency when it has fewer CTAs than SMs. The tail
//    of the last wave (wave quantization) is not modelled. A CTA's extent is min(M', cta_m) x
//    min(N', cta_n) rounded up to the MMA granularity (mma_m x mma_n: a GEMV still fills an
//    8-column MMA); every CTA is charged the first CTA's extent (edge CTAs are not faster).
//  * Main loop, ceil(K'/cta_k) steps, each the slowest of
//      math  = em·en·cta_k / (tensor_cores_per_sm · dense_macs_per_tc), divided by
//              sparse_m/sparse_n on the sparse path (2x for 2:4: half the K slots);
//      smem  = the bytes the warps read from shared memory / smem_bytes_per_clk: the A tile
//              (weights: em·cta_k values dense, em·cta_k·n/m on the sparse path, plus their
//              metadata, metadata_bits each) read by each of warps_n warp columns, the B tile
//              (activations, en·cta_k, all of them: the tensor core's mux selects the n of
//              every m it needs) by each of warps_m warp rows;
//      l2    = the A + metadata + B bytes every active CTA loads into shared memory per step,
//              over the L2's l2_bytes_per_clk shared by the SMs.
//    So the sparse path halves the math, not the activation feed: where the feed bounds the
//    loop, the speed-up falls below m/n.
//  * A CTA also waits cta_prologue_cycles before its first step (the first operand stages'
//    latency) and stages its em·en accumulators (accum_bits) through shared memory in its
//    epilogue; neither shrinks on the sparse path. A layer pays kernel_overhead_cycles once
//    (the driver's pipeline fill).
//  * Which layers run sparse: mode "sparse", a weight layer whose mask keeps at most sparse_n of
//    every sparse_m consecutive input channels (at a fixed output row and kernel position: the
//    K order of an implicit GEMM), with sparse_m dividing the input channels of a group
//    (LSTM: the columns). Any other layer runs dense: its note says why (nm_note()).
//  * Weights off chip: dense operand_bits per weight; sparse: n/m of the K slots, each a value
//    and its metadata (a group with fewer than n kept weights still stores n slots, zeros
//    included). MACs performed = the slots multiplied (dense: M·N·K).
//  * Pooling and other layers run on the CUDA cores: rows·positions·kh·kw (pooling) or rows
//    (other) operations over n_sm · cuda_cores_per_sm lanes.
//
// Action keys (priced by configs/energy/sparse-tc-a100.yaml; buffer and control names are
// hw/core/actions.h's):
//   tc_mac          one INT8 multiply-accumulate in a tensor core
//   mux_select      one activation selected by a metadata index (sparse path, per MAC)
//   metadata_read   one byte of metadata read from shared memory into a tensor core
//   smem_read       one operand byte read from shared memory by a warp
//   l2_read         one byte loaded from the L2 into shared memory
//   cuda_core_op    one operation of a pooling / other layer
//   control_cycle, nbin_fill, sb_fill, nbout_fill, nbout_drain (driver: L2 lines from / to HBM)
//
// Pure functions; thread-safe.
#pragma once

#include <cstdint>
#include <string>

#include "sieve/compiler/plan.h"
#include "sieve/hw/archs/sparse_tc/spec.h"
#include "sieve/hw/core/tiled_driver.h"
#include "sieve/hw/core/workload.h"

namespace sieve::hw::sparse_tc_arch {

// "" when `layer` can run on the sparse path of `spec`, else why not (e.g. "ip1: 3 of the 4
// weights from channel 0 (row 2, position 0) are kept; the sparse path allows 2").
std::string nm_note(const LayerWork& layer, const SparseTcSpec& spec);

// The cycles of one CTA and the waves of a sub-GEMM (exposed for the tests).
struct GemmTiming {
  int64_t tiles = 0, waves = 0, k_steps = 0;
  int64_t math = 0, smem = 0, l2 = 0;  // per main-loop step
  int64_t step = 0;                    // max of the three
  int64_t epilogue = 0;
  int64_t cta_cycles = 0;                            // prologue + k_steps · step + epilogue
  int64_t cycles = 0;                                // max(cta_cycles, tiles · cta_cycles / n_sm)
  int64_t a_bytes = 0, meta_bytes = 0, b_bytes = 0;  // one CTA, one step
};
GemmTiming gemm_timing(int64_t m, int64_t k, int64_t n, bool sparse, const SparseTcSpec& spec);

class SparseTcLayer : public TiledLayerModel {
 public:
  // sparse: the mode allows the sparse path; the layer takes it when nm_note() is empty.
  SparseTcLayer(const SparseTcSpec& spec, const LayerWork& layer, bool sparse);
  double weight_density() const override;
  WeightBytes weight_bytes(const TileRange& r) const override;
  TileCompute compute(const TileRange& r) const override;
  bool sparse() const { return sparse_; }
  const std::string& note() const { return note_; }

 private:
  const SparseTcSpec& spec_;
  const LayerWork& layer_;
  bool sparse_ = false;
  std::string note_;
};

DriverOptions driver_options(const SparseTcSpec& spec, bool weights_on_chip);
compiler::PlanRequest plan_request(const SparseTcSpec& spec);

}  // namespace sieve::hw::sparse_tc_arch
