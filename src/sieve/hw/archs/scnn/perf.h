// SCNN's performance model (PT-IS-CP-sparse) and that of its dense twins DCNN / DCNN-opt
// (PT-IS-DP-dense), as TiledLayerModels of the shared driver (hw/core/tiled_driver.h).
//
// Mapping (both dataflows; every constant from ScnnSpec, i.e. the preset):
//  * Planar tiling (conv, pooling). The input plane H × W is cut into pe_rows × pe_cols tiles
//    of ceil(H / pe_rows) × ceil(W / pe_cols) (the last row/column of PEs may get less, or
//    nothing); PE (py, px) holds its tile of every input channel and owns the output tile
//    ceil(out_h / pe_rows) × ceil(out_w / pe_cols) at the same grid position.
//  * Output-channel groups. A sub-operation of the plan is one group of Kc output channels (its
//    oc range) over an input-channel range and the whole plane: the plan is asked for whole
//    planes (no output-row or -column cut), for Kc × (the largest accumulator region of a PE)
//    ≤ acc_banks × acc_bank_entries, and, on SCNN, for Kc·kh·kw·(weight density) ≤ F ×
//    weight_fifo_entries (a group's weights of one input channel fit the weight FIFO).
//  * Accumulator region and halo. The outputs a PE's inputs reach (its output tile grown by the
//    kernel, clipped to the plane) are accumulated locally; those outside its own tile are its
//    halo, sent to the neighbours at the end of each group: Kc × halo positions partial sums at
//    halo_words_per_cycle, after which the PE drains its own outputs to the OARAM, acc_banks
//    entries per cycle. Every PE waits for the slowest at the group's end (a barrier).
//  * FC and LSTM layers (no plane): output rows are interleaved over the PEs (row k to PE
//    k mod n_pe); every PE reads every input activation (broadcast) and its rows' weights.
//
// SCNN (kCartesianSparse), per PE, group and input channel c:
//  * weights of the group's channel c, non-zeros only, in (kernel row, kernel column, output
//    channel) order (output channel fastest), cut into vectors of F; the PE's non-zero
//    activations of channel c in raster order, cut into vectors of I. Strided convolutions
//    pair each activation only with the weights of its stride phase (every product is a
//    valid one: ((y + pad) − r·dilation) divisible by the stride).
//  * every weight vector meets every activation vector (the Cartesian product): one step of F × I
//    products each. A product's coordinate is computed (output channel, x − s, y − r) and it
//    crosses the scatter crossbar to its accumulator bank. Bank of an output (k, oy, ox):
//    (k mod F) + F · ((⌊k / F⌋ · P + (oy − oy0) · Wr + (ox − ox0)) mod lanes), with lanes =
//    acc_banks / F, Wr × Hr the largest accumulator region of the layer's PEs, P = Wr·Hr, and
//    (oy0, ox0) the region's corner (FC: position = the step row, P = positions).
//  * Bank conflicts: a bank takes one access per cycle, so a step whose products put n_b
//    accesses on bank b takes max(1, max_b n_b) cycles: each extra access to a bank costs exactly
//    one cycle (banks work in parallel). step_cycles() below is the rule.
//  * Products that land outside the output plane (the edges of a padded conv) are multiplied
//    and discarded: they count as multiplies ("mul") but not as MACs performed.
//  * Bytes: weights of each (group, input channel) block as 16-bit values plus an index_bits
//    zero-run per stored value (a run longer than 2^index_bits − 1 zeros stores a padding zero;
//    padding counted); activations in and out in the same format per channel plane (values in
//    LayerStats::offchip.neurons, runs in neuron_index).
//  Efficiency (exact, not sampled): a step's cycles depend only on the activation vector's
//  position classes up to a common rotation and on the weight vector's (bank class, rotation)
//  shape. Per (group, channel, phase) each distinct activation pattern is costed once against
//  each distinct weight shape (a vector whose F weights lie in F different classes costs the
//  pattern's own peak), and each PE sums the costs of the patterns it holds, by multiplicity.
//
// DCNN (kDotProductDense), per PE and group: each cycle one input position's I input channels
// meet F output channels at one kernel tap (F dot products of length I into F accumulators).
// Cycles = Σ over taps of (the PE's input positions that tap maps into the output plane) ×
// ceil(Kc / F) × ceil(channels / I); no crossbar and no bank conflicts; padding is never
// multiplied. Weights and activations travel dense; DCNN-opt (zero_gating,
// compress_activations) counts only non-zero products as multiplies ("mul", the rest
// "mul_gated") and moves activations off chip in the zero-run format. Same timing.
//
// Pooling: the post-processing unit of each PE reads I window elements per cycle of its output
// tile. Other layers: n_pe × I elements per cycle.
//
// Action keys (priced by configs/energy/scnn-16nm.yaml and dcnn-16nm.yaml; buffer and control
// names are hw/core/actions.h's):
//   mul            one multiply (16 bit)                    mul_gated  a zero-gated multiply
//   xbar_transfer  one product through the scatter crossbar (SCNN)
//   coord_compute  one product's output coordinate (SCNN)
//   nbout_access   SCNN: one accumulator bank read-modify-write; DCNN: one cycle of the F
//                  accumulators of a PE
//   add            DCNN: one adder of the dot-product trees (F × (I − 1) per cycle)
//   nbin_read      one IARAM read of an activation vector (I values; SCNN with their indexes)
//   sb_read        one weight read: SCNN one weight-FIFO vector of F; DCNN F × I weights
//   halo_word      one partial sum sent to a neighbouring PE
//   acc_drain      one accumulator entry drained to the OARAM (ReLU, compression)
//   oaram_write    one (compressed) output value written to the OARAM
//   ppu_op         one pooling element read by the post-processing unit
//   control_cycle, nbin_fill, sb_fill, nbout_fill, nbout_drain (the driver's)
//
// Thread-safety: a ScnnLayer caches per-channel activation data and is used by one thread.
#pragma once

#include <cstdint>
#include <memory>
#include <vector>

#include "sieve/compiler/plan.h"
#include "sieve/hw/archs/scnn/spec.h"
#include "sieve/hw/core/tiled_driver.h"
#include "sieve/hw/core/workload.h"

namespace sieve::hw::scnn_arch {

// The scatter rule: cycles of one step whose products go to banks `banks` (one entry per
// product): max(1, the largest number of products on one bank).
int64_t step_cycles(const std::vector<int64_t>& banks, int64_t n_banks);

// Zero-run format: stored entries (non-zeros plus padding zeros) of bits [begin, end) of `nz`
// when a run of more than `max_run` zeros needs a padding zero.
int64_t zero_run_entries(const BitVec& nz, int64_t begin, int64_t end, int64_t max_run);

class ScnnLayer : public TiledLayerModel {
 public:
  ScnnLayer(const ScnnSpec& spec, const LayerWork& layer);
  ~ScnnLayer() override;
  double weight_density() const override { return weight_ratio_; }
  WeightBytes weight_bytes(const TileRange& r) const override;
  TileCompute compute(const TileRange& r) const override;
  NeuronBytes input_bytes(const TileRange& r, int64_t elems, int64_t neuron_bytes) const override;
  NeuronBytes output_bytes(const TileRange& r, int64_t elems, int64_t neuron_bytes) const override;

  // The largest accumulator region of one PE, in output positions (conv/pool: its tile grown by
  // the kernel's reach; FC/LSTM: the step rows), and the fraction of input neurons non-zero.
  int64_t region_positions() const { return region_h_ * region_w_; }
  double input_density() const { return in_density_; }
  double kept_fraction() const { return kept_fraction_; }

  struct Channel;  // per-channel activation vectors and counts (perf.cc)

 private:
  bool planar() const;
  const Channel& channel(int64_t c) const;
  TileCompute compute_conv(const TileRange& r) const;
  TileCompute compute_fc(const TileRange& r) const;
  int64_t conv_useful(int64_t row, int64_t c, int64_t c_local, int64_t r, int64_t s,
                      const Channel& ch) const;
  void halo_and_drain(const TileRange& r, int64_t rows, TileCompute& t) const;
  int64_t output_nonzeros(const TileRange& r) const;

  const ScnnSpec& spec_;
  const LayerWork& layer_;
  bool sparse_;  // SCNN's dataflow
  double weight_ratio_ = 1.0, in_density_ = 1.0, kept_fraction_ = 1.0;
  int64_t tile_h_ = 1, tile_w_ = 1, out_tile_h_ = 1, out_tile_w_ = 1;
  int64_t region_h_ = 1, region_w_ = 1;
  int64_t max_halo_ = 0, max_own_ = 1;  // positions, over PEs
  int64_t total_halo_ = 0;               // positions, summed over PEs
  mutable std::vector<std::unique_ptr<Channel>> channels_;
};

DriverOptions driver_options(const ScnnSpec& spec, bool weights_on_chip);
// The plan request of a layer: IARAM (all PEs) as NBin at the layer's stored input density,
// the accumulators as NBout, weights streamed (the SB does not bound the tiling), no ping-pong
// halves, and the filter of the mapping above (the weight-FIFO bound only when `fifo_bound`).
compiler::PlanRequest plan_request(const ScnnSpec& spec, const ScnnLayer& model,
                                   const LayerWork& layer, bool fifo_bound = true);

}  // namespace sieve::hw::scnn_arch
