// Data placement (thesis §4.3.2, SPEC §5 step 1): which tensor of a layer goes to which
// on-chip buffer, how many bytes one segment of a tiling (tiling.h) occupies there, and
// whether every segment fits — the value buffers NBin (input neurons), NBout (outputs and
// partial sums) and SB (weights) and the index buffers NIBin and SIB, which hold one bit per
// position (thesis §4.2.2: "direct indexing", 1 bit per element says whether it is zero). A
// coarse-grained (block-pruned) layer shares one SIB bit over a block of weights (thesis §3,
// §5.3: index sharing), so its weight index shrinks by the block size.
//
// Also maps a workload layer (hw/core/workload.h: geometry, masks) to the LayerGeometry the
// tiler needs: padded input, weight density from the mask, pooling as a depthwise layer without
// weights, grouped convolution as one group repeated, LSTM as one FC step repeated.
//
// Buffer sizes come from the arch parameter file (configs/archs/sieve-65nm.yaml: nbin_bytes,
// nibin_bytes, nbout_bytes, sb_bytes, sib_bytes); nothing here hard-codes them.
// Pure functions and value types; thread-safe.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "sieve/compiler/tiling.h"
#include "sieve/compiler/workload.h"
#include "sieve/core/status.h"
#include "sieve/hw/core/params.h"

namespace sieve::compiler {

enum class Buffer { kNBin, kNIBin, kNBout, kSB, kSIB };
const char* buffer_name(Buffer b);  // "NBin", "NIBin", "NBout", "SB", "SIB"

// Whole on-chip buffers, bytes.
struct BufferSizes {
  int64_t nbin = 0, nibin = 0, nbout = 0, sb = 0, sib = 0;
};
// Reads nbin_bytes, nibin_bytes, nbout_bytes, sb_bytes and sib_bytes (each >= 0) from an arch
// parameter set; a missing key is an error naming the file.
Result<BufferSizes> read_buffer_sizes(const hw::ParamSet& ps);
// What one sub-operation may use: every buffer whole, or half of each when the buffers are
// double-buffered (ping-pong: the next sub-op's segments load into the other half).
BufferSizes subop_share(const BufferSizes& whole, bool ping_pong);
// The value buffers only, for tiling.h's fits() and plan_layer().
BufferCapacity value_capacity(const BufferSizes& b);

// Which segments carry an index.
struct IndexModel {
  bool input_index = false;   // sparse input neurons: NIBin, 1 bit per input position
  bool weight_index = false;  // sparse weights: SIB, 1 bit per weights_per_bit weight positions
  int64_t weights_per_bit = 1;  // 1 = fine-grained; coarse-grained: the pruning block's size
};
// Index when a density is below 1 (a weightless layer has no weight index).
IndexModel index_for(const LayerGeometry& g, int64_t weights_per_bit = 1);

// One buffer's occupancy by one segment.
struct BufferUse {
  Buffer buffer = Buffer::kNBin;
  std::string holds;     // "input neurons", "input index", "outputs / partial sums", ...
  double bytes = 0;      // one segment (density-scaled values; index bits / 8)
  int64_t capacity = 0;  // the buffer's share for one sub-op
  bool fits() const { return bytes <= static_cast<double>(capacity); }
};
// The five buffers in the order NBin, NIBin, NBout, SB, SIB (an unused index buffer: 0 B).
std::vector<BufferUse> place(const LayerGeometry& g, const Tiling& t, const IndexModel& ix,
                             const BufferSizes& share);
bool fits_all(const LayerGeometry& g, const Tiling& t, const IndexModel& ix,
              const BufferSizes& share);
// plan_layer() restricted to tilings whose index segments fit NIBin and SIB too.
Result<LayerPlan> plan_placed(const LayerGeometry& g, const IndexModel& ix,
                              const BufferSizes& share);

// A workload layer as the tiler sees it.
struct LayerSpec {
  LayerGeometry geometry;
  IndexModel index;
  int64_t repeat = 1;  // the plan runs this many times (groups of a grouped conv, LSTM steps)
  std::string note;    // how the layer was mapped when not one-to-one ("" otherwise)
};
// Conv (padded input; groups: one group repeated, group == in_c == out_c: depthwise), pooling
// (depthwise, no weights), FC, LSTM (one step of the gate matrix, repeated per time step).
// Weight density = kept / positions of the mask. Other layers: unimplemented.
Result<LayerSpec> layer_spec(const LayerWork& w, double in_density, double bytes_per_element);

}  // namespace sieve::compiler
