// Loop tiling and data-reuse choice (thesis §4.3.3); see tiling.h and docs/compiler.md.
#include "sieve/compiler/tiling.h"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <limits>

#include "sieve/core/assert.h"

namespace sieve::compiler {
namespace {

int64_t ceil_div(int64_t a, int64_t b) {
  return (a + b - 1) / b;
}

// Input rows one output-row segment of `r` rows reads: (r − 1) × stride + kernel height.
int64_t rows_in(const LayerGeometry& g, int64_t r) {
  return (r - 1) * g.stride_h + g.kh;
}

// How many ic segments one oc segment meets, and how many oc segments one ic segment meets.
int64_t ic_per_oc(const Tiling& t) {
  return t.depthwise ? 1 : t.ic_seg_n;
}
int64_t oc_per_ic(const Tiling& t) {
  return t.depthwise ? 1 : t.oc_seg_n;
}
int64_t weight_segments(const Tiling& t) {
  return t.depthwise ? t.oc_seg_n : t.ic_seg_n * t.oc_seg_n;
}

// The loop dimensions and, per reuse, their order from outermost to innermost. The output
// column segment (ow) is always the outermost loop. Inside it, the reused operand's two
// dimensions are the outer loops; among the two possible orders we take the one that keeps
// partial sums on chip when a dimension has a single segment (output-reuse: the one that keeps
// weights, which are usually the larger operand).
enum Dim { kOc = 0, kOh = 1, kIc = 2, kOw = 3 };
std::array<Dim, 4> loop_order(Reuse r) {
  switch (r) {
    case Reuse::kInput: return {kOw, kOh, kIc, kOc};
    case Reuse::kOutput: return {kOw, kOc, kOh, kIc};
    case Reuse::kSynapse: return {kOw, kOc, kIc, kOh};
  }
  SIEVE_ASSERT(false, "unknown reuse");
  return {kOw, kOc, kOh, kIc};
}

int64_t dim_segments(const Tiling& t, Dim d) {
  switch (d) {
    case kOc: return t.oc_seg_n;
    case kOh: return t.oh_seg_n;
    case kIc: return t.ic_seg_n;
    case kOw: return t.ow_seg_n;
  }
  return 1;
}

// Dimension masks of the three operands' segment keys.
constexpr unsigned kInKey = (1u << kIc) | (1u << kOh) | (1u << kOw);
constexpr unsigned kSynKey = (1u << kIc) | (1u << kOc);
constexpr unsigned kOutKey = (1u << kOc) | (1u << kOh) | (1u << kOw);

// How many times the segment keyed by `key` changes along the loop nest (counting the first
// load): the product of the segment counts from the outermost loop down to the innermost loop
// that moves the key and has more than one segment. A depthwise tiling merges ic into oc at
// the position of the outer of the two.
double runs(const Tiling& t, Reuse r, unsigned key) {
  struct Loop {
    int64_t n;
    unsigned mask;
  };
  std::array<Loop, 4> loops{};
  int nloops = 0;
  bool merged = false;
  for (Dim d : loop_order(r)) {
    int64_t n = dim_segments(t, d);
    unsigned mask = 1u << d;
    if (t.depthwise && (d == kOc || d == kIc)) {
      if (merged) continue;
      merged = true;
      n = t.oc_seg_n;
      mask = (1u << kOc) | (1u << kIc);
    }
    loops[nloops++] = {n, mask};
  }
  int last = -1;
  for (int i = 0; i < nloops; ++i) {
    if ((loops[i].mask & key) != 0 && loops[i].n > 1) last = i;
  }
  double product = 1;
  for (int i = 0; i <= last; ++i) product *= static_cast<double>(loops[i].n);
  return product;
}

std::string geometry_string(const LayerGeometry& g) {
  return fmt::format(
      "layer in {}x{}x{}, kernel {}x{} stride {}x{}, out {}x{}x{}{} (input density {:.4f}, "
      "weight density {:.4f}, {} B/element)",
      g.in_c, g.in_h, g.in_w, g.kh, g.kw, g.stride_h, g.stride_w, g.out_c, g.out_h, g.out_w,
      g.depthwise ? ", depthwise" : "", g.in_density, g.w_density, g.bytes_per_element);
}

Status check_geometry(const LayerGeometry& g) {
  if (g.in_c < 1 || g.in_h < 1 || g.in_w < 1 || g.out_c < 1 || g.out_h < 1 || g.out_w < 1 ||
      g.kh < 1 || g.kw < 1 || g.stride_h < 1 || g.stride_w < 1) {
    return invalid_argument("tiling: every size and stride must be >= 1: {}", geometry_string(g));
  }
  if (!(g.in_density >= 0 && g.in_density <= 1) || !(g.w_density >= 0 && g.w_density <= 1)) {
    return invalid_argument("tiling: densities must lie in [0, 1]: {}", geometry_string(g));
  }
  if (!(g.bytes_per_element > 0)) {
    return invalid_argument("tiling: bytes per element must be > 0: {}", geometry_string(g));
  }
  if (g.depthwise && g.in_c != g.out_c) {
    return invalid_argument("tiling: a depthwise layer needs in_c == out_c: {}",
                            geometry_string(g));
  }
  return ok_status();
}

// Segment sizes worth searching for a dimension of `total`: the smallest size giving each
// segment count n = 1..total, i.e. ceil(total / n) — every divisor and the non-divisor sizes
// with a short last segment. Largest first. About 2·sqrt(total) values.
std::vector<int64_t> candidate_sizes(int64_t total) {
  std::vector<int64_t> sizes;
  int64_t n = 1;
  while (n <= total) {
    const int64_t s = ceil_div(total, n);
    sizes.push_back(s);
    // The next count whose size is smaller than s.
    const int64_t next_n = ceil_div(total, s - 1 > 0 ? s - 1 : 1);
    n = s == 1 ? total + 1 : std::max(n + 1, next_n);
  }
  return sizes;
}

Tiling make_tiling(const LayerGeometry& g, int64_t oc_size, int64_t oh_size, int64_t ic_size,
                   int64_t ow_n) {
  Tiling t;
  if (ow_n > 1) {
    t.ow_seg_size = ceil_div(g.out_w, ow_n);
    t.ow_seg_n = ceil_div(g.out_w, t.ow_seg_size);
  }
  t.oc_seg_size = oc_size;
  t.oc_seg_n = ceil_div(g.out_c, oc_size);
  t.oh_seg_size = oh_size;
  t.oh_seg_n = ceil_div(g.out_h, oh_size);
  t.depthwise = g.depthwise;
  if (g.depthwise) {
    t.ic_seg_size = oc_size;
    t.ic_seg_n = t.oc_seg_n;
  } else {
    t.ic_seg_size = ic_size;
    t.ic_seg_n = ceil_div(g.in_c, ic_size);
  }
  return t;
}

}  // namespace

const char* reuse_name(Reuse r) {
  switch (r) {
    case Reuse::kInput: return "input-reuse";
    case Reuse::kOutput: return "output-reuse";
    case Reuse::kSynapse: return "synapse-reuse";
  }
  return "?";
}

std::string Tiling::to_string() const {
  std::string s = fmt::format("oc {}x{}, oh {}x{}, ic {}x{}", oc_seg_n, oc_seg_size, oh_seg_n,
                              oh_seg_size, ic_seg_n, ic_seg_size);
  if (ow_seg_n > 1) s += fmt::format(", ow {}x{}", ow_seg_n, ow_seg_size);
  if (depthwise) s += " (depthwise)";
  return s;
}

int64_t segment_out_w(const LayerGeometry& g, const Tiling& t) {
  return t.ow_seg_n > 1 ? t.ow_seg_size : g.out_w;
}

int64_t segment_in_w(const LayerGeometry& g, const Tiling& t) {
  if (t.ow_seg_n <= 1) return g.in_w;
  return std::min(g.in_w, (t.ow_seg_size - 1) * g.stride_w + g.kw);
}

SegmentSizes segment_sizes(const LayerGeometry& g, const Tiling& t) {
  SegmentSizes s;
  const double ic = static_cast<double>(t.ic_seg_size);
  s.in = static_cast<double>(segment_in_w(g, t) * rows_in(g, t.oh_seg_size)) * ic * g.in_density;
  // A depthwise kernel has kh × kw weights per output channel.
  const double syn_ic = t.depthwise ? 1.0 : ic;
  s.syn = static_cast<double>(g.weights_per_channel()) * syn_ic *
          static_cast<double>(t.oc_seg_size) * g.w_density;
  s.out = static_cast<double>(segment_out_w(g, t) * t.oh_seg_size * t.oc_seg_size);
  return s;
}

double Traffic::of(Reuse r) const {
  switch (r) {
    case Reuse::kInput: return input_reuse;
    case Reuse::kOutput: return output_reuse;
    case Reuse::kSynapse: return synapse_reuse;
  }
  return 0;
}

Traffic offchip_traffic(const LayerGeometry& g, const Tiling& t) {
  const SegmentSizes s = segment_sizes(g, t);
  const double b = g.bytes_per_element;
  const auto ic_n = static_cast<double>(t.ic_seg_n);
  const auto oc_n = static_cast<double>(t.oc_seg_n);
  const auto oh_n = static_cast<double>(t.oh_seg_n);
  const auto ocpi = static_cast<double>(oc_per_ic(t));
  const auto icpo = static_cast<double>(ic_per_oc(t));
  Traffic tr;
  // Thesis §4.3.3: MEM_i, MEM_o, MEM_s (a depthwise layer meets one ic segment per oc segment).
  tr.input_reuse = ic_n * oh_n * (s.in + s.syn * ocpi + s.out * ocpi * 2) * b;
  tr.output_reuse = oc_n * oh_n * (s.out + s.in * icpo + s.syn * icpo) * b;
  tr.synapse_reuse =
      static_cast<double>(weight_segments(t)) * (s.syn + s.in * oh_n + s.out * oh_n * 2) * b;
  if (t.ow_seg_n > 1) {  // every column segment runs the whole loop nest
    const auto ow_n = static_cast<double>(t.ow_seg_n);
    tr.input_reuse *= ow_n;
    tr.output_reuse *= ow_n;
    tr.synapse_reuse *= ow_n;
  }
  return tr;
}

Traffic subop_traffic(const LayerGeometry& g, const Tiling& t) {
  const SegmentSizes s = segment_sizes(g, t);
  const double b = g.bytes_per_element;
  const double outputs = static_cast<double>(t.oc_seg_n * t.oh_seg_n * t.ow_seg_n);
  auto exact = [&](Reuse r) {
    const double out_runs = runs(t, r, kOutKey);
    return (s.in * runs(t, r, kInKey) + s.syn * runs(t, r, kSynKey) +
            s.out * (2 * out_runs - outputs)) *
           b;
  };
  Traffic tr;
  tr.input_reuse = exact(Reuse::kInput);
  tr.output_reuse = exact(Reuse::kOutput);
  tr.synapse_reuse = exact(Reuse::kSynapse);
  return tr;
}

bool fits(const LayerGeometry& g, const Tiling& t, const BufferCapacity& cap) {
  const SegmentSizes s = segment_sizes(g, t);
  const double b = g.bytes_per_element;
  return s.in * b <= static_cast<double>(cap.nbin) && s.out * b <= static_cast<double>(cap.nbout) &&
         s.syn * b <= static_cast<double>(cap.sb);
}

TilingPlan plan_with_tiling(const LayerGeometry& g, const Tiling& t) {
  TilingPlan p;
  p.tiling = t;
  p.traffic = offchip_traffic(g, t);
  p.reuse = Reuse::kOutput;
  // Ties: output, synapse, input (strictly less replaces).
  for (Reuse r : {Reuse::kSynapse, Reuse::kInput}) {
    if (p.traffic.of(r) < p.traffic.of(p.reuse)) p.reuse = r;
  }
  return p;
}

Result<TilingPlan> plan_layer(const LayerGeometry& g, const BufferCapacity& cap) {
  return plan_layer(g, cap, nullptr, nullptr);
}

Result<TilingPlan> plan_layer(const LayerGeometry& g, const BufferCapacity& cap,
                              const TilingFilter& accept) {
  return plan_layer(g, cap, accept, nullptr);
}

Result<TilingPlan> plan_layer(const LayerGeometry& g, const BufferCapacity& cap,
                              const TilingFilter& accept, const PlanCost& cost) {
  SIEVE_RETURN_IF_ERROR(check_geometry(g));
  const std::vector<int64_t> oc_sizes = candidate_sizes(g.out_c);
  const std::vector<int64_t> oh_sizes = candidate_sizes(g.out_h);
  const std::vector<int64_t> ic_sizes =
      g.depthwise ? std::vector<int64_t>{1} : candidate_sizes(g.in_c);
  const double b = g.bytes_per_element;
  bool refused = false;  // some tiling fit the value buffers but `accept` refused it
  int64_t last_ow_n = 1;
  for (int64_t ow_n = 1;; ow_n *= 2) {
    const int64_t ow_size = ceil_div(g.out_w, ow_n);
    last_ow_n = ow_n;
    bool found = false;
    TilingPlan best;
    double best_cost = 0, best_traffic = 0;
    for (int64_t oc : oc_sizes) {
      for (int64_t oh : oh_sizes) {
        // The output segment depends on oc, oh and the column cut only.
        if (static_cast<double>(ow_size * oh * oc) * b > static_cast<double>(cap.nbout)) continue;
        for (int64_t ic : ic_sizes) {
          const Tiling t = make_tiling(g, oc, oh, ic, ow_n);
          if (!fits(g, t, cap)) continue;
          if (accept && !accept(t)) {
            refused = true;
            continue;
          }
          TilingPlan p = plan_with_tiling(g, t);
          const double traffic = p.traffic.of(p.reuse);
          const double c = cost ? cost(p) : traffic;
          // Strictly less (with a relative margin against rounding) keeps the first found, which
          // has the larger segments and so the fewer sub-operations.
          if (!found || c < best_cost * (1 - 1e-12) ||
              (c <= best_cost * (1 + 1e-12) && traffic < best_traffic * (1 - 1e-12))) {
            found = true;
            best = p;
            best_cost = c;
            best_traffic = traffic;
          }
        }
      }
    }
    if (found) return best;
    if (ow_size <= 1) break;
  }
  if (refused) {
    return invalid_argument(
        "tiling: {}: every tiling that fits the value buffers (NBin {} B, NBout {} B, SB {} B) "
        "is refused by the architecture's filter (index buffers or alignment)",
        geometry_string(g), cap.nbin, cap.nbout, cap.sb);
  }
  const Tiling smallest = make_tiling(g, 1, 1, 1, last_ow_n);
  const SegmentSizes s = segment_sizes(g, smallest);
  return invalid_argument(
      "tiling: {} does not fit the buffers (NBin {} B, NBout {} B, SB {} B) even at the "
      "smallest tiling ({}): input segment {:.1f} B, output segment {:.1f} B, weight segment "
      "{:.1f} B",
      geometry_string(g), cap.nbin, cap.nbout, cap.sb, smallest.to_string(), s.in * b, s.out * b,
      s.syn * b);
}

std::vector<SubOp> sub_ops(const Tiling& t, Reuse r) {
  SIEVE_ASSERT(t.oc_seg_n >= 1 && t.oh_seg_n >= 1 && t.ic_seg_n >= 1, "bad tiling");
  SIEVE_ASSERT(!t.depthwise || t.ic_seg_n == t.oc_seg_n, "depthwise tiling with ic != oc cut");
  SIEVE_ASSERT(t.ow_seg_n >= 1, "bad column cut");
  const std::array<Dim, 4> order = loop_order(r);
  std::array<int64_t, 4> n{};
  for (Dim d : order) n[d] = dim_segments(t, d);

  std::vector<SubOp> ops;
  ops.reserve(static_cast<size_t>(
      t.ow_seg_n * (t.depthwise ? t.oc_seg_n * t.oh_seg_n : t.oc_seg_n * t.oh_seg_n * t.ic_seg_n)));
  std::array<int64_t, 4> i{};
  for (i[order[0]] = 0; i[order[0]] < n[order[0]]; ++i[order[0]]) {
    for (i[order[1]] = 0; i[order[1]] < n[order[1]]; ++i[order[1]]) {
      for (i[order[2]] = 0; i[order[2]] < n[order[2]]; ++i[order[2]]) {
        for (i[order[3]] = 0; i[order[3]] < n[order[3]]; ++i[order[3]]) {
          if (t.depthwise && i[kIc] != i[kOc]) continue;
          SubOp op;
          op.oc_seg = i[kOc];
          op.oh_seg = i[kOh];
          op.ic_seg = i[kIc];
          op.ow_seg = i[kOw];
          ops.push_back(op);
        }
      }
    }
  }

  // Flags from residency: NBin, SB and NBout each hold one segment.
  const int64_t ic_needed = ic_per_oc(t);
  std::vector<int64_t> ic_done(static_cast<size_t>(t.ow_seg_n * t.oc_seg_n * t.oh_seg_n), 0);
  for (size_t k = 0; k < ops.size(); ++k) {
    SubOp& op = ops[k];
    const SubOp* prev = k > 0 ? &ops[k - 1] : nullptr;
    const SubOp* next = k + 1 < ops.size() ? &ops[k + 1] : nullptr;
    auto same_out = [&](const SubOp* o) {
      return o != nullptr && o->oc_seg == op.oc_seg && o->oh_seg == op.oh_seg &&
             o->ow_seg == op.ow_seg;
    };
    op.load_input = prev == nullptr || prev->ic_seg != op.ic_seg || prev->oh_seg != op.oh_seg ||
                    prev->ow_seg != op.ow_seg;
    op.load_weights = prev == nullptr || prev->ic_seg != op.ic_seg || prev->oc_seg != op.oc_seg;
    int64_t& done =
        ic_done[static_cast<size_t>((op.ow_seg * t.oc_seg_n + op.oc_seg) * t.oh_seg_n + op.oh_seg)];
    op.load_psum = !same_out(prev) && done > 0;
    ++done;
    op.store_output = done == ic_needed;
    op.store_psum = !op.store_output && !same_out(next);
  }
  return ops;
}

}  // namespace sieve::compiler
