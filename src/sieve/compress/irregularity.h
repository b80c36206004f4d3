// Irregularity of sparse weights (SPEC §3) and the local-convergence statistic (SPEC §3.2).
//
// R(Irr) = JBIG(I_fine) / JBIG(I_coarse): each layer's keep mask is a bi-level image in the
// 2-D view of compress/model.h (rows × cols, black = kept weight), compressed with JBIG-KIT's
// T.82 encoder (libjbig) at the library's defaults: sequential coding, one resolution layer,
// typical prediction and deterministic prediction on (byte for byte what `pbmtojbg -q`
// writes; plain `pbmtojbg` adds resolution-reduction layers for images over 640 x 480). The
// bytes of the resulting BIE are summed over layers for each model and divided.
//
// Local convergence: a window of k weights per dimension slides (stride 1 by default) over
// the weight; a weight is "large" when |w| exceeds the given percentile (90) of the layer's
// |w|; the statistic is the histogram of large-weight counts per window and its maximum.
// Trained layers show windows crowded with large weights, random initialisation does not.
//
// Ownership: results are values. Thread-safety: all functions are reentrant.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "sieve/compress/model.h"
#include "sieve/core/status.h"
#include "sieve/core/tensor.h"

namespace sieve::compress {

// The JBIG BIE of a rows × cols bi-level image; `pixels` holds rows*cols bytes, non-zero =
// black. Errors: empty image, a size JBIG cannot hold.
Result<std::string> jbig_encode(const uint8_t* pixels, int64_t rows, int64_t cols);
// Byte size of the JBIG image of a u8 mask (any rank, in the 2-D view: rows = dim 0; a rank-3
// recurrent weight [dirs, gates·hidden, in] has dirs·gates·hidden rows).
Result<int64_t> jbig_bytes(const Tensor& mask);
// JBIG bytes of a layer's mask; a dense layer (empty mask) counts as all black.
Result<int64_t> jbig_bytes(const CompressedLayer& layer);

struct IrregularityLayer {
  std::string weight;
  int64_t fine_bytes = 0, coarse_bytes = 0;
};
struct Irregularity {
  std::vector<IrregularityLayer> layers;
  int64_t fine_bytes = 0, coarse_bytes = 0;
  double r_irr = 0;  // fine_bytes / coarse_bytes
};

// R(Irr) over masks paired by position (same count and shapes). Errors name the pair.
Result<double> r_irr(const std::vector<Tensor>& fine_masks,
                     const std::vector<Tensor>& coarse_masks);
// R(Irr) of two compressions of the same network, layers paired by weight name; every layer of
// `fine` must exist in `coarse` with the same shape.
Result<Irregularity> irregularity(const CompressedModel& fine, const CompressedModel& coarse);

struct LocalConvergenceOptions {
  // Window extent per dimension of `view` (below); empty = default_window(). Extents larger
  // than a dimension are clamped to it.
  std::vector<int64_t> window;
  double percentile = 90.0;  // "large" = |w| > this percentile of the layer's |w|
  int64_t stride = 1;        // window step in every dimension
};

struct LocalConvergence {
  Shape view;                      // the shape windows slide over
  std::vector<int64_t> window;     // after defaults and clamping
  int64_t window_size = 0;         // product of `window`
  float threshold = 0;             // |w| above this is large
  int64_t large = 0;               // number of large weights
  int64_t windows = 0;             // number of window positions
  std::vector<int64_t> histogram;  // [c] = windows with c large weights, c = 0..window_size
  int64_t max_large = 0;           // largest c with histogram[c] > 0
};

// The shape windows slide over and the default window (SPEC §3.2): a rank-4 conv weight keeps
// its 4 dimensions with k = 2 in each (2×2×2×2); anything else is viewed as 2-D
// [numel / last, last] (FC [out, in], LSTM [dirs·gates, in]) with k = 4 (4×4).
Shape local_convergence_view(const Shape& shape);
std::vector<int64_t> default_window(const Shape& shape);

// The statistic for an f32 weight. Errors: not f32, empty, bad window or percentile.
Result<LocalConvergence> local_convergence(const Tensor& weight,
                                           const LocalConvergenceOptions& opts = {});

// A randomly initialised weight of `shape` (uniform ±sqrt(6 / (fan_in + fan_out)), Glorot),
// for comparing against a trained layer.
Tensor random_init_like(const Shape& shape, uint64_t seed = 1);

}  // namespace sieve::compress
