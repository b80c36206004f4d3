// The layer plan: the one mapping artifact of a layer on an accelerator. The compiler produces
// it in one place (make_plan) from a workload layer (workload.h) and the architecture's buffer
// model; every performance and functional model consumes it, and `sieve tile` and `sieve
// simulate --emit plan` print it, so the two agree by construction (docs/compiler.md).
//
// A plan holds:
//   - the geometry, lowered once from the layer (lower());
//   - the tiling and the reuse strategy (tiling.h's search, under the architecture's buffers,
//     index model, alignment filter and cost);
//   - the data placement: each buffer's occupancy by one sub-operation's segments, index bits
//     included (placement.h);
//   - the sub-operations in execution order, each with its element ranges, what is loaded and
//     stored around it (residency: a segment still on chip is not reloaded) and the exact bytes
//     of its neurons and partial sums. Weight bytes depend on the architecture's weight format
//     (values, codes, index): a plan carries the weight positions and the kept (non-zero) weights
//     of each segment from the layer's mask, and the architecture prices them.
// Layers the tiler does not cut (pooling and element-wise layers on an architecture that
// streams them through a vector unit, or "other" layers) get a streamed plan: chunks of output
// rows × channels, or flat element chunks.
//
// How an architecture maps what is not one-to-one is data too (MappingRules), named per
// architecture: grouped convolution (one group planned and repeated, or the groups side by
// side), LSTM (one step repeated, or the T steps as rows of one FC layer), pooling (tiled
// depthwise, or streamed).
//
// Pure functions and value types; thread-safe.
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <memory>
#include <string>
#include <vector>

#include "sieve/compiler/placement.h"
#include "sieve/compiler/tiling.h"
#include "sieve/compiler/workload.h"
#include "sieve/core/status.h"

namespace sieve::compiler {

// Grouped convolution (group > 1, not depthwise).
enum class GroupMapping {
  kOneGroupRepeated,  // in_c/group -> out_c/group, the plan's sub-ops run once per group
  kGroupsSideBySide,  // in_c/group -> out_c: every output channel in one plan, each reading
                      // its own group's input channels (the ic segment is within a group)
};
// LSTM layers.
enum class LstmMapping {
  kOneStepRepeated,  // one FC step of the gate matrix over [x_t; h_{t-1}], run T times
  kStepsAsRows,      // the T step vectors as T output rows of one FC layer (in_h = out_h = T)
};
// Pooling layers.
enum class PoolMapping {
  kTiledDepthwise,  // tiled like a depthwise conv without weights
  kStreamedRows,    // streamed through the vector unit in chunks of output rows × channels
};
// Layers that are neither conv, FC, LSTM nor pooling.
enum class OtherMapping {
  kFlatChunks,    // flat element chunks that fit the input and output buffers
  kStreamedRows,  // as pooling's kStreamedRows, one element a window
};
const char* group_mapping_name(GroupMapping m);  // "one-group-repeated", "groups-side-by-side"
const char* lstm_mapping_name(LstmMapping m);    // "one-step-repeated", "steps-as-rows"
const char* pool_mapping_name(PoolMapping m);    // "tiled-depthwise", "streamed-rows"
const char* other_mapping_name(OtherMapping m);  // "flat-chunks", "streamed-rows"

struct MappingRules {
  GroupMapping groups = GroupMapping::kOneGroupRepeated;
  LstmMapping lstm = LstmMapping::kOneStepRepeated;
  PoolMapping pool = PoolMapping::kTiledDepthwise;
  OtherMapping other = OtherMapping::kFlatChunks;
};

// The on-chip buffers as the architecture's validated spec defines them.
struct BufferModel {
  BufferSizes whole;         // bytes of NBin, NIBin, NBout, SB, SIB (an absent buffer: 0)
  bool ping_pong = true;     // each sub-op uses half of every buffer
  int64_t neuron_bits = 16;  // input neurons, outputs and partial sums in the tiler's formulas
  // The SB holds every weight of the layer (the thesis' Table 5.2 setting on Sieve): it does
  // not bound the tiling and weight traffic does not steer it.
  bool sb_holds_all_weights = false;
};

// What the architecture tells the planner about one layer.
struct PlanRequest {
  BufferModel buffers;
  MappingRules rules;
  // Fraction of input neurons stored (the non-zero fraction when the architecture stores a
  // sparse input; 1 otherwise), in (0, 1].
  double in_density = 1.0;
  // Stored weight bytes per weight position, as a multiple of a neuron's bytes (16-bit dense
  // weights and 16-bit neurons: 1; 8-bit codes at 25 % kept: 0.125). Above 1 (an index on a
  // nearly dense layer) the SB capacity is divided by it instead, which admits the same tilings.
  double weight_ratio = 1.0;
  IndexModel index;     // which index buffers the segments use, and how bits are shared
  TilingFilter accept;  // further rule (alignment to the datapath), optional
  PlanCost cost;        // what the search minimises (default: the reuse's off-chip traffic)
  // Optional: a rank index of the layer's weight_mask (that very mask), to count the kept
  // weights of each weight segment in constant time. Changes no number.
  std::shared_ptr<const BitRank> weight_rank;
};

// The geometry of a layer for the tiler, lowered once.
struct Lowered {
  LayerGeometry geometry;  // in_w = the input columns the output columns read (padded)
  int64_t repeat = 1;      // the sub-ops run this many times (groups, LSTM steps)
  bool repeat_is_group = false;  // repetition r is conv group r (one-group-repeated)
  std::string mapping;     // the rule that applied: "conv", "groups-side-by-side", ...
  std::string note;        // how the layer was mapped when not one-to-one ("" otherwise)
  // The layer's real (unpadded) input and its padding, for exact input bytes.
  int64_t in_h = 1, in_w = 1, pad_top = 0, pad_left = 0;
  int64_t cols_per_channel = 1;  // weight-matrix columns per input channel (conv: kh·kw)
  bool streamed = false;         // not tiled: see StreamedPlan
};
// Conv, pooling, FC, LSTM (and streamed kinds) under `rules`; densities are not set here.
// Errors name the layer: a group that does not divide the channels, no channels.
Result<Lowered> lower(const LayerWork& w, const MappingRules& rules);

// One sub-operation of a tiled plan.
struct PlannedSubOp {
  SubOp op;  // segment indices and load/store flags (tiling.h)
  // Element ranges: output channels and input channels (within a conv group), output rows and
  // columns.
  int64_t oc_begin = 0, oc_end = 0, ic_begin = 0, ic_end = 0;
  int64_t oh_begin = 0, oh_end = 1, ow_begin = 0, ow_end = 1;
  // Elements moved (0 when the flag is off): real input neurons loaded (padding is generated
  // on chip), partial sums reloaded, outputs stored, partial sums stored.
  int64_t input_elems = 0, psum_load_elems = 0, output_elems = 0, psum_store_elems = 0;
  // The weight segment (when loaded): positions and kept weights of the first repetition's
  // rows × columns (group 0), from the layer's mask.
  int64_t weight_positions = 0, weight_kept = 0;
  int64_t rows() const { return oc_end - oc_begin; }
  int64_t channels() const { return ic_end - ic_begin; }
  int64_t positions() const { return (oh_end - oh_begin) * (ow_end - ow_begin); }
};

// A streamed layer's chunks (pooling / element-wise through a vector unit).
struct StreamedPlan {
  std::string rule;                // "streamed-rows" or "flat-chunks"
  int64_t rows_per_chunk = 0;      // streamed-rows: output rows per chunk
  int64_t channels_per_chunk = 0;  // streamed-rows: channels per chunk
  int64_t chunks = 0;              // flat-chunks: number of chunks (else rows × channel chunks)
};

// One chunk of a streamed-rows plan: channels [c0, c1), output rows [oy0, oy1), and the input
// rows [r0, r1) they read (clipped to the map; padding rows are not stored). ci, ri: the
// chunk's channel-chunk and row-chunk index. The code generator and the performance models
// walk the same chunks, in this order (channel chunks outer, row chunks inner).
struct StreamChunk {
  int64_t c0 = 0, c1 = 0, oy0 = 0, oy1 = 0, r0 = 0, r1 = 0;
  int64_t ci = 0, ri = 0;
};
std::vector<StreamChunk> stream_chunks(const LayerWork& l, const StreamedPlan& p);

struct LayerPlan {
  std::string layer;  // the workload layer's name
  std::string kind;   // "conv", "fc", "pool", "lstm", "other"
  // The layer's pruning structure from the container ("" when not recorded): "block 16x1",
  // "nm 2:4", "balanced 8 groups", "magnitude", "none".
  std::string pruning;
  Lowered lowered;
  bool tiled = false;
  // Tiled layers:
  IndexModel index;
  BufferSizes share;  // what one sub-op may use
  TilingPlan choice;  // tiling, reuse, the three traffic figures
  Traffic moved;      // what the sub-ops of each reuse really move (subop_traffic)
  std::vector<BufferUse> placement;
  std::vector<PlannedSubOp> sub_ops;
  // Streamed layers:
  StreamedPlan streamed;
};

// The plan of one layer. Fails, naming the layer, the buffers and the bytes, when no tiling
// fits; an unknown layer kind is streamed or refused as the rules say.
Result<LayerPlan> make_plan(const LayerWork& w, const PlanRequest& req);

// Text (a few lines; with sub_ops, one line per sub-operation) and JSON (every field, the
// sub-operations when with_sub_ops).
std::string plan_text(const LayerPlan& p, bool with_sub_ops = false);
nlohmann::json plan_json(const LayerPlan& p, bool with_sub_ops = true);

}  // namespace sieve::compiler
