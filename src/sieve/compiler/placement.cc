// Data placement: buffers, segment occupancy, workload layer → tiler geometry (placement.h).
#include "sieve/compiler/placement.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>

#include "sieve/compiler/workload.h"

namespace sieve::compiler {

const char* buffer_name(Buffer b) {
  switch (b) {
    case Buffer::kNBin: return "NBin";
    case Buffer::kNIBin: return "NIBin";
    case Buffer::kNBout: return "NBout";
    case Buffer::kSB: return "SB";
    case Buffer::kSIB: return "SIB";
  }
  return "?";
}

BufferSizes subop_share(const BufferSizes& whole, bool ping_pong) {
  if (!ping_pong) return whole;
  return {whole.nbin / 2, whole.nibin / 2, whole.nbout / 2, whole.sb / 2, whole.sib / 2};
}

BufferCapacity value_capacity(const BufferSizes& b) {
  return {b.nbin, b.nbout, b.sb};
}

IndexModel index_for(const LayerGeometry& g, int64_t rows_per_bit, int64_t cols_per_bit) {
  IndexModel ix;
  ix.input_index = g.in_density < 1;
  ix.weight_index = g.w_density > 0 && g.w_density < 1;
  ix.rows_per_bit = rows_per_bit < 1 ? 1 : rows_per_bit;
  ix.cols_per_bit = cols_per_bit < 1 ? 1 : cols_per_bit;
  return ix;
}

namespace {
int64_t ceil_div(int64_t a, int64_t b) {
  return (a + b - 1) / b;
}
}  // namespace

int64_t weight_index_bits(const LayerGeometry& g, const Tiling& t, const IndexModel& ix) {
  if (!ix.weight_index) return 0;
  // Columns of one row of the segment: the kernel's weights per input channel (depthwise: one
  // channel).
  const int64_t cols = g.weights_per_channel() * (t.depthwise ? 1 : t.ic_seg_size);
  return ceil_div(t.oc_seg_size, ix.rows_per_bit) * ceil_div(cols, ix.cols_per_bit);
}

int64_t input_index_bits(const LayerGeometry& g, const Tiling& t, const IndexModel& ix) {
  if (!ix.input_index) return 0;
  // The input rows one output-row segment reads, within the (padded) input.
  const int64_t rows = std::min(g.in_h, (t.oh_seg_size - 1) * g.stride_h + g.kh);
  return segment_in_w(g, t) * rows * t.ic_seg_size;
}

std::vector<BufferUse> place(const LayerGeometry& g, const Tiling& t, const IndexModel& ix,
                             const BufferSizes& share) {
  const SegmentSizes values = segment_sizes(g, t);
  const double b = g.bytes_per_element;
  const double in_index = static_cast<double>(input_index_bits(g, t, ix)) / 8;
  const double w_index = static_cast<double>(weight_index_bits(g, t, ix)) / 8;
  return {
      {Buffer::kNBin, "input neurons", values.in * b, share.nbin},
      {Buffer::kNIBin, "input index", in_index, share.nibin},
      {Buffer::kNBout, "outputs / partial sums", values.out * b, share.nbout},
      {Buffer::kSB, "weights", values.syn * b, share.sb},
      {Buffer::kSIB, "weight index", w_index, share.sib},
  };
}

bool fits_all(const LayerGeometry& g, const Tiling& t, const IndexModel& ix,
              const BufferSizes& share) {
  for (const BufferUse& u : place(g, t, ix, share)) {
    if (!u.fits()) return false;
  }
  return true;
}

Result<TilingPlan> plan_placed(const LayerGeometry& g, const IndexModel& ix,
                               const BufferSizes& share) {
  if (!ix.input_index && !ix.weight_index) return plan_layer(g, value_capacity(share));
  return plan_layer(g, value_capacity(share),
                    [&](const Tiling& t) { return fits_all(g, t, ix, share); });
}

}  // namespace sieve::compiler
