// The tiled-layer driver shared by the DianNao and Cambricon-X models: a layer is cut by the
// compiler's loop tiling (compiler/tiling.h) to fit the architecture's OWN buffers, each
// sub-operation becomes a Load / Compute / Store event triple, and the layer runs in N + 2
// event steps (hw/core/events.h) — the same rule as the Sieve model, so that a comparison
// isolates the microarchitectures. Cambricon-X is the DianNao group's sparse successor and keeps
// DianNao's NBin / NBout / SB organisation, which is why this file lives in diannao/.
//
// What the driver does, per layer (every number comes from DriverOptions or the layer):
//  * Geometry. Conv layers are planned per convolution group (group > 1: every group is a layer
//    of its own, rows offset by the group); FC layers are in_c = cols, out_c = rows; LSTM layers
//    are an FC layer applied to T timestep vectors (in_h = out_h = T); pooling layers are planned
//    depthwise (input channels cut with the output channels); "other" layers are cut into flat
//    element chunks that fit half of NBin and half of NBout.
//  * Buffers. Each sub-operation gets half of every buffer when ping_pong is set (Load i+1 fills
//    the other half while Compute i runs), the whole buffer otherwise. The tiling sees the
//    model's weight_density() (stored / dense 16-bit bytes); above 1 (an index on a nearly
//    dense layer) the SB capacity is divided by it instead, which admits the same tilings.
//  * Output-column cut. The thesis' tiling cuts output channels, output rows and input channels
//    only; an input row wider than half an NBin (DianNao: 1 KB = 512 neurons, e.g. AlexNet
//    conv1's 227-wide rows) cannot fit at all. compiler::plan_layer then cuts the output columns
//    into 2, 4, 8, ... segments until a plan fits (tiling.h); the driver runs the compiler's
//    sub-operations, whose ow_seg names the column segment, and counts the input columns each
//    segment reads (overlapping columns are loaded once per segment). There is no tiling logic
//    here beyond the choice between two compiler plans below.
//  * Bytes, exactly: a loaded input segment counts the real (unpadded) input neurons it covers
//    (padding is generated on chip); weight segments are priced by the model (dense 16-bit for
//    DianNao, values + step index for Cambricon-X); partial sums and outputs are
//    `neuron_bytes` per element. Weights on chip (SimOptions::weights_on_chip): no weight loads.
//  * Buffer fills: every byte loaded into or stored from a buffer is an access of its line
//    (actions "nbin_fill", "sb_fill", "nbout_fill" for partial sums reloaded, "nbout_drain" for
//    outputs and partial sums stored), ceil(bytes / line_bytes) per event.
//  * Alignment. Two candidate plans are simulated and the faster runs: the compiler's
//    least-traffic plan (compiler::plan_layer with the default cost) and its least-traffic
//    ALIGNED plan (plan_layer's `accept` filter: segments multiples of the datapath widths
//    DriverOptions::oc_align rows and ic_align weight columns, so that no sub-operation wastes
//    a partial row group or input chunk), each at the first column cut where one fits.
//  * The model gives each sub-operation's compute cycles, its MACs performed and its on-chip
//    actions; the driver adds `pipeline_fill` cycles once per layer (the NFU's drain).
//
// Pure functions over immutable inputs; thread-safe.
#pragma once

#include <cstdint>
#include <map>
#include <string>

#include "sieve/compiler/tiling.h"
#include "sieve/core/assert.h"
#include "sieve/core/status.h"
#include "sieve/hw/core/arch.h"
#include "sieve/hw/core/events.h"
#include "sieve/hw/core/stats.h"
#include "sieve/hw/core/workload.h"

namespace sieve::hw::diannao_arch {

// One sub-operation's ranges. Rows (output channels) and input channels are within the
// convolution group `group`; for "other" layers oc = ic = a flat element range.
struct TileRange {
  int64_t group = 0;
  int64_t oc_begin = 0, oc_end = 0;
  int64_t ic_begin = 0, ic_end = 0;
  int64_t oh_begin = 0, oh_end = 1;
  int64_t ow_begin = 0, ow_end = 1;
  int64_t rows() const { return oc_end - oc_begin; }
  int64_t channels() const { return ic_end - ic_begin; }
  int64_t positions() const { return (oh_end - oh_begin) * (ow_end - ow_begin); }
};

struct TileCompute {
  int64_t cycles = 0;
  int64_t macs = 0;                        // multiply-accumulates performed
  std::map<std::string, int64_t> actions;  // on-chip actions of the compute event
};

struct WeightBytes {
  int64_t values = 0;
  int64_t index = 0;
};

// What an architecture contributes to the driver, for one layer.
class TiledLayerModel {
 public:
  virtual ~TiledLayerModel() = default;
  // Stored weight bytes / dense 16-bit weight bytes of the layer (the tiling's w_density).
  virtual double weight_density() const = 0;
  // Off-chip bytes of the weight segment (rows × input channels of the range).
  virtual WeightBytes weight_bytes(const TileRange& r) const = 0;
  virtual TileCompute compute(const TileRange& r) const = 0;
};

struct DriverOptions {
  int64_t nbin_bytes = 0, nbout_bytes = 0, sb_bytes = 0;
  bool ping_pong = true;
  // Width of one access of each buffer, bytes (for the fill / drain action counts).
  int64_t nbin_line_bytes = 1, nbout_line_bytes = 1, sb_line_bytes = 1;
  int64_t neuron_bytes = 2;  // input neurons, outputs and partial sums
  int64_t pipeline_fill = 0;
  // Segment alignment the compiler prefers: output-channel segments a multiple of oc_align rows
  // and input-channel segments a multiple of ic_align weight columns (the datapath widths), so
  // that no sub-operation wastes a partial row group or input chunk. Tilings that are not
  // aligned are used only when no aligned tiling fits.
  int64_t oc_align = 1, ic_align = 1;
  MemorySpec memory;
  bool weights_on_chip = false;
};

// Simulates one sample of `layer`. Fills cycles, time (at freq_ghz), MACs (dense from the
// layer, performed from the model, skipped = dense - performed), off-chip bytes, actions,
// event timing and tile count. Fails when no tiling fits the buffers.
Result<LayerStats> run_tiled_layer(const LayerWork& layer, const TiledLayerModel& model,
                                   const DriverOptions& options, double freq_ghz);

// Multiplies every count of a one-sample LayerStats by `batch` (samples run one after another).
void scale_by_batch(LayerStats& s, int64_t batch);

// A SimResult's header for `acc` running `w` in `mode` (preset stem, batch ≥ 1, multipliers).
SimResult result_header(const Accelerator& acc, const Workload& w, const std::string& mode);

// Every layer of `w` through run_tiled_layer with the model `make_model(layer)` returns; each
// layer's control unit runs every cycle ("control_cycle"), counts are scaled by the batch and
// utilisation is set. Appends to res.layers.
template <typename MakeModel>
Status run_tiled_workload(const Workload& w, const DriverOptions& options, double freq_ghz,
                          MakeModel make_model, SimResult& res) {
  for (const LayerWork& l : w.layers) {
    const auto model = make_model(l);
    SIEVE_ASSIGN_OR_RETURN(LayerStats s, run_tiled_layer(l, model, options, freq_ghz));
    s.actions["control_cycle"] = s.cycles;
    scale_by_batch(s, res.batch);
    if (s.cycles > 0)
      s.utilization = static_cast<double>(s.macs_performed) /
                      (static_cast<double>(res.multipliers) * static_cast<double>(s.cycles));
    res.layers.push_back(std::move(s));
  }
  return ok_status();
}

// Weight-matrix columns per input channel: kh·kw for conv (cols are [c, ky, kx] row-major, so
// input channels [a, b) are the contiguous columns [a·kh·kw, b·kh·kw)), 1 otherwise.
inline int64_t cols_per_channel(const LayerWork& l) {
  return l.kind == LayerKind::kConv ? l.kh * l.kw : 1;
}

}  // namespace sieve::hw::diannao_arch
