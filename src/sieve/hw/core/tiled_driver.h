// The tiled-layer driver: a layer's plan (compiler/plan.h) run as Load / Compute / Store event
// triples, one per sub-operation, in N + 2 event steps (events.h). An architecture supplies a
// TiledLayerModel (what one sub-operation's weights cost to load and its compute costs); the
// driver supplies everything else, so that a comparison between architectures isolates their
// microarchitectures. DianNao and Cambricon-X run on it; Sieve's model runs its per-sample
// cells through the same loop (plan_events) and the same event rule.
//
// What the driver does, per layer:
//  * Sub-operations come from the plan, in its order, with its ranges and its residency
//    (a segment still on chip is not reloaded). A plan whose layer is repeated (a grouped conv
//    planned as one group: repeat = groups) runs its sub-ops once per group, rows and input
//    channels offset by the group. Streamed layers (flat chunks) are cut into the plan's chunks.
//  * Bytes, exactly: a loaded input segment counts the real (unpadded) input neurons it covers
//    (the plan's input_elems; padding is generated on chip), priced dense unless the model
//    prices them (TiledLayerModel::input_bytes / output_bytes: compressed neurons, their index
//    counted as neuron_index); weight segments are priced by the model (dense 16-bit for DianNao, values + step index for Cambricon-X); partial sums and
//    outputs are `neuron_bytes` per element. Weights on chip (DriverOptions::weights_on_chip):
//    no weight loads.
//  * Buffer fills, in the shared action vocabulary (hw/core/actions.h): every byte loaded into
//    or stored from a buffer is an access of its line, ceil(bytes / line_bytes) per event:
//    "nbin_fill", "sb_fill", "nbout_fill" (partial sums reloaded), "nbout_drain" (outputs and
//    partial sums stored).
//  * The model gives each sub-operation's compute cycles, its MACs performed and its on-chip
//    actions; the driver adds `pipeline_fill` cycles once per layer (the NFU's drain).
//
// Choosing among plans. plan_faster() makes the two plans an architecture with a fixed-width
// datapath considers, the least-traffic plan and the least-traffic ALIGNED plan (segments
// multiples of the datapath widths, so that no sub-operation wastes a partial row group or
// input chunk), runs both, and returns the faster: the model is the compiler's cost oracle.
//
// Pure functions over immutable inputs; thread-safe.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "sieve/compiler/plan.h"
#include "sieve/core/status.h"
#include "sieve/hw/core/arch.h"
#include "sieve/hw/core/events.h"
#include "sieve/hw/core/stats.h"
#include "sieve/hw/core/workload.h"

namespace sieve::hw {

// One sub-operation's ranges. Rows (output channels) and input channels are within the
// convolution group `group`; for flat chunks oc = ic = a flat element range.
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

// Off-chip bytes of neurons moved by one sub-operation: values and their index (a compressed
// format's zero runs or bit strings; 0 for dense neurons).
struct NeuronBytes {
  int64_t values = 0;
  int64_t index = 0;
};

// What an architecture contributes to the driver, for one layer.
class TiledLayerModel {
 public:
  virtual ~TiledLayerModel() = default;
  // Stored weight bytes / dense 16-bit weight bytes of the layer (the plan's weight ratio).
  virtual double weight_density() const = 0;
  // Off-chip bytes of the weight segment (rows × input channels of the range).
  virtual WeightBytes weight_bytes(const TileRange& r) const = 0;
  virtual TileCompute compute(const TileRange& r) const = 0;
  // Off-chip bytes of the `elems` real input neurons a sub-operation of range `r` loads, and of
  // the `elems` outputs it stores (`neuron_bytes` per dense neuron). Default: dense, no index.
  // An architecture that keeps neurons compressed off chip (SCNN's zero-run format, DCNN-opt)
  // prices them from the workload's non-zeros here; partial sums always travel dense.
  virtual NeuronBytes input_bytes(const TileRange& r, int64_t elems, int64_t neuron_bytes) const;
  virtual NeuronBytes output_bytes(const TileRange& r, int64_t elems, int64_t neuron_bytes) const;
};

struct DriverOptions {
  // Width of one access of each buffer, bytes (for the fill / drain action counts).
  int64_t nbin_line_bytes = 1, nbout_line_bytes = 1, sb_line_bytes = 1;
  int64_t neuron_bytes = 2;  // input neurons, outputs and partial sums
  int64_t pipeline_fill = 0;
  MemorySpec memory;
  bool weights_on_chip = false;
  // The layer's input neurons already sit in on-chip memory (a previous layer wrote them there):
  // no input loads. Its outputs and partial sums stay on chip: no output or partial-sum traffic.
  // Buffer fills and drains are counted only for bytes that move off chip.
  bool inputs_on_chip = false;
  bool outputs_on_chip = false;
};

// The one loop every architecture runs a tiled plan through: the sub-operations in the plan's
// order, `repeats` times (repetition index passed on), each turned into its Load / Compute /
// Store event times by `events` (the architecture counts its bytes and cycles there). The
// result goes to schedule_steps (events.h: N + 2 steps). Sieve calls it once per sample pass
// with its per-sample cells; run_tiled_layer below calls it with a TiledLayerModel.
using SubOpEvents = std::function<TileEvents(const compiler::PlannedSubOp&, int64_t repeat)>;
std::vector<TileEvents> plan_events(const compiler::LayerPlan& plan, int64_t repeats,
                                    const SubOpEvents& events);

// Simulates one sample of `layer` on `plan`. Fills cycles, time (at freq_ghz), MACs (dense
// from the layer, performed from the model, skipped = dense - performed), off-chip bytes,
// actions, event timing and tile count.
LayerStats run_tiled_layer(const LayerWork& layer, const compiler::LayerPlan& plan,
                           const TiledLayerModel& model, const DriverOptions& options,
                           double freq_ghz);

// The faster of the least-traffic plan and the least-traffic plan whose segments are multiples
// of oc_align rows and ic_align weight columns (when one fits), each run through the driver.
// `request` holds the buffers and rules; its weight ratio is set from the model here.
Result<compiler::LayerPlan> plan_faster(const LayerWork& layer, compiler::PlanRequest request,
                                        int64_t oc_align, int64_t ic_align,
                                        const TiledLayerModel& model, const DriverOptions& options,
                                        double freq_ghz);

// The plan request of an architecture with DianNao's organisation (NBin, NBout, SB; no index
// buffers; the step indexes of Cambricon-X travel with the weights in the SB): those buffers,
// and the mapping rules of its published dataflow — a grouped conv one group at a time, the
// LSTM's T step vectors as rows of one FC layer, pooling tiled depthwise, other layers in flat
// chunks.
compiler::PlanRequest value_buffer_request(int64_t nbin_bytes, int64_t nbout_bytes,
                                           int64_t sb_bytes, bool ping_pong,
                                           int64_t neuron_bits);

// Multiplies every count of a one-sample LayerStats by `batch` (samples run one after another).
void scale_by_batch(LayerStats& s, int64_t batch);

// A SimResult's header for `acc` running `w` in `mode` (preset stem, batch ≥ 1, multipliers).
SimResult result_header(const Accelerator& acc, const Workload& w, const std::string& mode);

// run_tiled_layer for every sample: the control unit runs every cycle ("control_cycle"), counts
// are scaled by the batch and utilisation is set against `multipliers`.
LayerStats run_tiled_batch(const LayerWork& layer, const compiler::LayerPlan& plan,
                           const TiledLayerModel& model, const DriverOptions& options,
                           double freq_ghz, int64_t batch, int64_t multipliers);

// run_tiled_batch for a model whose compute depends on each sample's activations: the layer run
// once per sample s = 0 .. batch − 1 through the model `model_of(s)` returns, the samples' counts
// summed (samples run one after another). Control unit and utilisation as run_tiled_batch.
using SampleModel = std::function<std::unique_ptr<TiledLayerModel>(int64_t sample)>;
LayerStats run_tiled_samples(const LayerWork& layer, const compiler::LayerPlan& plan,
                             const SampleModel& model_of, const DriverOptions& options,
                             double freq_ghz, int64_t batch, int64_t multipliers);

// Weight-matrix columns per input channel: kh·kw for conv (cols are [c, ky, kx] row-major, so
// input channels [a, b) are the contiguous columns [a·kh·kw, b·kh·kw)), 1 otherwise.
inline int64_t cols_per_channel(const LayerWork& l) {
  return l.kind == LayerKind::kConv ? l.kh * l.kw : 1;
}

}  // namespace sieve::hw
