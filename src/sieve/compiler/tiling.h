// Loop tiling and data-reuse choice (thesis §4.3.3, SPEC §5) — the first stage of the compiler,
// kept apart from the simulators: it decides how a layer is cut into sub-operations that fit
// the on-chip buffers and in which order they run; the performance models of every
// architecture (Sieve, DianNao, Cambricon-X) use these decisions and count the exact bytes and
// cycles of each sub-operation on the real masks and activations.
//
// A layer is a (padded) input in_c × in_h × in_w, kernels kh × kw, an output out_c × out_h ×
// out_w (FC: every spatial size 1). It is cut along output channels (oc), output rows (oh) and
// input channels (ic) — the thesis' three dimensions. Segment sizes are in the thesis' units:
//   SegSize_in  = in_w × rows_in(oh_seg_size) × ic_seg_size × in_density        (elements)
//   SegSize_syn = kh × kw × ic_seg_size × oc_seg_size × w_density              (elements)
//   SegSize_out = out_w × oh_seg_size × oc_seg_size                           (elements)
// with rows_in(r) = (r − 1) × stride_h + kh, and the off-chip traffic of each reuse strategy
// (bytes; partial sums go out and come back, hence × 2):
//   input-reuse:   ic_n·oh_n · (In + Syn·oc_n + Out·oc_n·2) · bytes
//   output-reuse:  oc_n·oh_n · (Out + In·ic_n + Syn·ic_n) · bytes
//   synapse-reuse: ic_n·oc_n · (Syn + In·oh_n + Out·oh_n·2) · bytes
// VGG16 conv4_2 with tiles oc 4×128, oh 28×1, ic 16×32 gives 68.59, 47.85 and 30.03 MiB
// (the thesis' "MB") and chooses synapse-reuse.
//
// Output-column cut (not in the thesis). When one input slab of kernel height is wider than
// NBin allows (AlexNet conv1: 11 rows × 227 columns against a 2 KB half of DianNao's NBin), no
// (oc, oh, ic) tiling fits. The search then cuts the output columns into ow_seg_n = 2, 4, 8, ...
// segments (outermost loop; each column segment runs the whole (oc, oh, ic) loop nest as a layer
// of out_w = ow_seg_size columns reading in_w = (ow_seg_size − 1) × stride_w + kw input columns,
// so neighbouring segments re-load the kw − stride_w columns they share). With ow_seg_n = 1
// (every layer that fits uncut) segment_sizes, offchip_traffic, subop_traffic, fits and sub_ops
// are exactly the thesis' formulas above; with a cut, in_w/out_w in the formulas are those of one
// column segment and the traffic formulas are multiplied by ow_seg_n.
//
// The search (plan_layer) takes the architecture's view as two optional functions: `accept`
// (further buffers, e.g. the index buffers NIBin/SIB, or alignment) and `cost` (what to
// minimise; default: the chosen reuse's off-chip traffic). The Sieve model passes its estimate
// of time; DianNao/Cambricon-X use the default and an alignment `accept`.
//
// Pure functions; thread-safe.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "sieve/core/status.h"

namespace sieve::compiler {

enum class Reuse { kInput, kOutput, kSynapse };
const char* reuse_name(Reuse r);  // "input-reuse", "output-reuse", "synapse-reuse"

struct LayerGeometry {
  int64_t in_c = 1, in_h = 1, in_w = 1;  // padded input
  int64_t out_c = 1, out_h = 1, out_w = 1;
  int64_t kh = 1, kw = 1, stride_h = 1, stride_w = 1;
  // Weights per (output channel, input channel): kh·kw, or fewer when kh × kw is the extent of a
  // dilated kernel ((k − 1)·d + 1 rows). 0 = kh·kw.
  int64_t kernel_weights = 0;
  int64_t weights_per_channel() const { return kernel_weights > 0 ? kernel_weights : kh * kw; }
  double in_density = 1.0;         // fraction of input neurons stored (sparse neurons: non-zeros)
  double w_density = 1.0;          // fraction of weights stored
  double bytes_per_element = 2.0;  // the thesis' formulas count 16-bit elements
  // Output channel c reads input channel c only (pooling, depthwise conv; in_c == out_c): the
  // input channels are cut with the output channels and each oc segment meets one ic segment.
  bool depthwise = false;
};

// On-chip capacity available to one sub-operation, bytes (one half of each ping-pong buffer
// when the buffers are double-buffered; the caller decides).
struct BufferCapacity {
  int64_t nbin = 0;
  int64_t nbout = 0;
  int64_t sb = 0;
};

struct Tiling {
  int64_t oc_seg_n = 1, oc_seg_size = 1;
  int64_t oh_seg_n = 1, oh_seg_size = 1;
  int64_t ic_seg_n = 1, ic_seg_size = 1;
  bool depthwise = false;  // ic cut == oc cut; only the sub-ops with ic_seg == oc_seg exist
  // Output columns: ow_seg_n segments of ow_seg_size columns (the last may be short), the
  // outermost loop. ow_seg_n == 1: the whole width (ow_seg_size is then not read).
  int64_t ow_seg_n = 1, ow_seg_size = 0;
  // "oc 4x128, oh 28x1, ic 16x32"; with a column cut ", ow 4x57" is appended.
  std::string to_string() const;
};

// Output and input columns of one column segment of `t` (the whole width when ow_seg_n == 1):
// out_w = ow_seg_size, in_w = min(g.in_w, (ow_seg_size − 1) × stride_w + kw).
int64_t segment_out_w(const LayerGeometry& g, const Tiling& t);
int64_t segment_in_w(const LayerGeometry& g, const Tiling& t);

struct SegmentSizes {
  double in = 0, syn = 0, out = 0;  // elements, density-scaled (see above)
};
SegmentSizes segment_sizes(const LayerGeometry& g, const Tiling& t);

struct Traffic {
  double input_reuse = 0, output_reuse = 0, synapse_reuse = 0;  // bytes
  double of(Reuse r) const;
};
Traffic offchip_traffic(const LayerGeometry& g, const Tiling& t);
// What the sub_ops() of each reuse really move, segment-granular (bytes): a segment still on
// chip from the previous sub-op is not reloaded, and partial sums are reloaded only when
// resumed (not before an output segment's first input-channel segment). Never more than
// offchip_traffic(), which counts a round trip of partial sums for every sub-op; for shapes
// with every segment count >= 2 the difference is exactly one load of each output segment
// under input- and synapse-reuse (docs/compiler.md).
Traffic subop_traffic(const LayerGeometry& g, const Tiling& t);

// Whether every segment (density-scaled, × bytes_per_element) fits its buffer.
bool fits(const LayerGeometry& g, const Tiling& t, const BufferCapacity& cap);

struct TilingPlan {
  Tiling tiling;
  Reuse reuse = Reuse::kOutput;
  Traffic traffic;
};

// The reuse with the least traffic for a given tiling (ties: output, synapse, input).
TilingPlan plan_with_tiling(const LayerGeometry& g, const Tiling& t);

using TilingFilter = std::function<bool(const Tiling&)>;
// What the search minimises for a candidate (tiling, its least-traffic reuse and traffic).
using PlanCost = std::function<double(const TilingPlan&)>;

// The tiling search. For column cuts ow_seg_n = 1, 2, 4, ... (until one column per segment)
// it enumerates, per dimension, the smallest segment size of every segment count (every
// ceil(total / n)), keeps the tilings whose segments fit `cap` and that `accept` admits (when
// given), and stops at the first column cut where any is kept: it returns the kept tiling of
// least `cost` (default: traffic of its reuse); ties (relative 1e-12) go to less traffic, then to
// the one found first (larger segments, fewer sub-operations). The reuse is plan_with_tiling's.
// Fails with a message naming the layer geometry when even the smallest tiling does not fit, or
// saying that `accept` refused every tiling that fits the value buffers.
Result<TilingPlan> plan_layer(const LayerGeometry& g, const BufferCapacity& cap);
Result<TilingPlan> plan_layer(const LayerGeometry& g, const BufferCapacity& cap,
                              const TilingFilter& accept);
Result<TilingPlan> plan_layer(const LayerGeometry& g, const BufferCapacity& cap,
                              const TilingFilter& accept, const PlanCost& cost);

// The sub-operations of a plan in execution order. Each names its segments and what moves
// off chip around it: the perf models turn that into exact bytes from the masks.
struct SubOp {
  int64_t oc_seg = 0, oh_seg = 0, ic_seg = 0;
  int64_t ow_seg = 0;         // output-column segment (0 without a column cut)
  bool load_input = false;    // input segment (ic, oh, ow) loaded before this sub-op
  bool load_weights = false;  // weight segment (ic, oc) loaded
  bool load_psum = false;     // partial sums of (oc, oh, ow) reloaded (not the first ic seg)
  bool store_output = false;  // (oc, oh, ow) finished: outputs stored
  bool store_psum = false;    // (oc, oh, ow) not finished: partial sums stored
};
// The column segment is the outermost loop; inside it the reuse's (oc, oh, ic) order. A weight
// segment still on chip when the next column segment starts is not reloaded.
std::vector<SubOp> sub_ops(const Tiling& t, Reuse r);

// The element ranges of segment i of a dimension cut into n segments of `size` (the last may
// be short): [i·size, min((i+1)·size, total)).
inline int64_t seg_begin(int64_t i, int64_t size) {
  return i * size;
}
inline int64_t seg_end(int64_t i, int64_t size, int64_t total) {
  return (i + 1) * size < total ? (i + 1) * size : total;
}

}  // namespace sieve::compiler
