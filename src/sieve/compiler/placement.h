// Data placement (thesis §4.3.2, SPEC §5 step 1): which tensor of a layer goes to which
// on-chip buffer, how many bytes one segment of a tiling (tiling.h) occupies there, and
// whether every segment fits — the value buffers NBin (input neurons), NBout (outputs and
// partial sums) and SB (weights) and the index buffers NIBin and SIB, which hold one bit per
// position (thesis §4.2.2: "direct indexing", 1 bit per element says whether it is zero). A
// coarse-grained (block-pruned) layer shares one SIB bit over a block of weights (thesis §3,
// §5.3: index sharing), so its weight index shrinks by the block size.
//
// Buffer sizes come from the architecture's validated spec (plan.h BufferModel); nothing here
// hard-codes them. The layer plan (plan.h) is built on these functions.
// Pure functions and value types; thread-safe.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "sieve/compiler/tiling.h"
#include "sieve/compiler/workload.h"
#include "sieve/core/status.h"

namespace sieve::compiler {

enum class Buffer { kNBin, kNIBin, kNBout, kSB, kSIB };
const char* buffer_name(Buffer b);  // "NBin", "NIBin", "NBout", "SB", "SIB"

// Whole on-chip buffers, bytes.
struct BufferSizes {
  int64_t nbin = 0, nibin = 0, nbout = 0, sb = 0, sib = 0;
};
// What one sub-operation may use: every buffer whole, or half of each when the buffers are
// double-buffered (ping-pong: the next sub-op's segments load into the other half).
BufferSizes subop_share(const BufferSizes& whole, bool ping_pong);
// The value buffers only, for tiling.h's fits() and plan_layer().
BufferCapacity value_capacity(const BufferSizes& b);

// Which segments carry an index.
// The SIB holds one bit per block of rows_per_bit output rows × cols_per_bit weight columns
// (the 2-D weight view: columns = kh·kw per input channel): bits of a weight segment =
// ceil(oc_seg_size / rows_per_bit) × ceil(columns / cols_per_bit). Fine-grained: 1 × 1; a
// coarse-grained 16×1 block: 16 × 1; Sieve shares one bit per column over its T_n PEs' rows
// (rows_per_bit = T_n) whatever the block.
struct IndexModel {
  bool input_index = false;   // sparse input neurons: NIBin, 1 bit per input position
  bool weight_index = false;  // sparse weights: SIB
  int64_t rows_per_bit = 1;
  int64_t cols_per_bit = 1;
};
// Index when a density is below 1 (a weightless layer has no weight index).
IndexModel index_for(const LayerGeometry& g, int64_t rows_per_bit = 1, int64_t cols_per_bit = 1);
// Bits of the weight index of one segment of `t` (0 without a weight index).
int64_t weight_index_bits(const LayerGeometry& g, const Tiling& t, const IndexModel& ix);
// Bits of the input index of one segment of `t` (0 without an input index).
int64_t input_index_bits(const LayerGeometry& g, const Tiling& t, const IndexModel& ix);

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
Result<TilingPlan> plan_placed(const LayerGeometry& g, const IndexModel& ix,
                               const BufferSizes& share);

}  // namespace sieve::compiler
