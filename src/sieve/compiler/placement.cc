// Data placement: buffers, segment occupancy, workload layer → tiler geometry (placement.h).
#include "sieve/compiler/placement.h"

#include <fmt/format.h>

#include <cmath>

#include "sieve/compiler/workload.h"

namespace sieve::compiler {

const char* buffer_name(Buffer b) {
  switch (b) {
    case Buffer::kNBin:
      return "NBin";
    case Buffer::kNIBin:
      return "NIBin";
    case Buffer::kNBout:
      return "NBout";
    case Buffer::kSB:
      return "SB";
    case Buffer::kSIB:
      return "SIB";
  }
  return "?";
}

Result<BufferSizes> read_buffer_sizes(const hw::ParamSet& ps) {
  BufferSizes b;
  auto get = [&](const char* name, int64_t& out) -> Status {
    const hw::Param* p = ps.find(name);
    if (p == nullptr) {
      return invalid_argument("{}: no parameter \"{}\" (the on-chip buffer sizes are "
                              "nbin_bytes, nibin_bytes, nbout_bytes, sb_bytes, sib_bytes)",
                              ps.file, name);
    }
    if (!(p->value >= 0) || p->value != std::floor(p->value) || p->value > 1e15) {
      return invalid_argument("{}: {} = {} (expected a whole number of bytes >= 0)", ps.file,
                              name, p->value);
    }
    out = static_cast<int64_t>(p->value);
    return ok_status();
  };
  SIEVE_RETURN_IF_ERROR(get("nbin_bytes", b.nbin));
  SIEVE_RETURN_IF_ERROR(get("nibin_bytes", b.nibin));
  SIEVE_RETURN_IF_ERROR(get("nbout_bytes", b.nbout));
  SIEVE_RETURN_IF_ERROR(get("sb_bytes", b.sb));
  SIEVE_RETURN_IF_ERROR(get("sib_bytes", b.sib));
  return b;
}

BufferSizes subop_share(const BufferSizes& whole, bool ping_pong) {
  if (!ping_pong) return whole;
  return {whole.nbin / 2, whole.nibin / 2, whole.nbout / 2, whole.sb / 2, whole.sib / 2};
}

BufferCapacity value_capacity(const BufferSizes& b) { return {b.nbin, b.nbout, b.sb}; }

IndexModel index_for(const LayerGeometry& g, int64_t weights_per_bit) {
  IndexModel ix;
  ix.input_index = g.in_density < 1;
  ix.weight_index = g.w_density > 0 && g.w_density < 1;
  ix.weights_per_bit = weights_per_bit < 1 ? 1 : weights_per_bit;
  return ix;
}

std::vector<BufferUse> place(const LayerGeometry& g, const Tiling& t, const IndexModel& ix,
                             const BufferSizes& share) {
  const SegmentSizes values = segment_sizes(g, t);
  // Positions (density 1) for the index bits.
  LayerGeometry dense = g;
  dense.in_density = 1;
  dense.w_density = 1;
  const SegmentSizes positions = segment_sizes(dense, t);
  const double b = g.bytes_per_element;
  const double in_index = ix.input_index ? positions.in / 8 : 0;
  const double w_index =
      ix.weight_index
          ? std::ceil(positions.syn / static_cast<double>(ix.weights_per_bit)) / 8
          : 0;
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

Result<LayerPlan> plan_placed(const LayerGeometry& g, const IndexModel& ix,
                              const BufferSizes& share) {
  if (!ix.input_index && !ix.weight_index) return plan_layer(g, value_capacity(share));
  return plan_layer(g, value_capacity(share),
                    [&](const Tiling& t) { return fits_all(g, t, ix, share); });
}

Result<LayerSpec> layer_spec(const LayerWork& w, double in_density,
                             double bytes_per_element) {
  LayerSpec s;
  LayerGeometry& g = s.geometry;
  g.in_density = in_density;
  g.bytes_per_element = bytes_per_element;
  const int64_t positions = w.rows * w.cols;
  g.w_density = positions > 0 ? static_cast<double>(w.weight_mask.count()) /
                                    static_cast<double>(positions)
                              : 0.0;
  int64_t block = 1;
  for (int64_t d : w.block) block *= d;
  switch (w.kind) {
    case LayerKind::kConv:
    case LayerKind::kPool: {
      g.in_c = w.in_c;
      g.out_c = w.out_c;
      g.in_h = w.in_h + w.pad_top + w.pad_bottom;
      g.in_w = w.in_w + w.pad_left + w.pad_right;
      g.out_h = w.out_h;
      g.out_w = w.out_w;
      // A dilated kernel reads (k − 1)·d + 1 rows; it is planned as a dense kernel that size.
      g.kh = (w.kh - 1) * w.dilation_h + 1;
      g.kw = (w.kw - 1) * w.dilation_w + 1;
      g.stride_h = w.stride_h;
      g.stride_w = w.stride_w;
      if (w.dilation_h > 1 || w.dilation_w > 1) {
        s.note = fmt::format("dilation {}x{}: planned as a {}x{} kernel", w.dilation_h,
                             w.dilation_w, g.kh, g.kw);
      }
      if (w.kind == LayerKind::kPool) {
        g.depthwise = true;
        g.w_density = 0;
        if (g.in_c != g.out_c) {
          return invalid_argument("layer \"{}\": pooling with {} input and {} output channels",
                                  w.name, g.in_c, g.out_c);
        }
      } else if (w.group > 1 && w.group == w.in_c && w.group == w.out_c) {
        g.depthwise = true;
      } else if (w.group > 1) {
        if (w.in_c % w.group != 0 || w.out_c % w.group != 0) {
          return invalid_argument("layer \"{}\": group {} does not divide {} -> {} channels",
                                  w.name, w.group, w.in_c, w.out_c);
        }
        g.in_c = w.in_c / w.group;
        g.out_c = w.out_c / w.group;
        s.repeat = w.group;
        s.note = (s.note.empty() ? "" : s.note + "; ") +
                 fmt::format("group {}: one group planned, run {} times", w.group, w.group);
      }
      break;
    }
    case LayerKind::kFullyConnected:
      g.in_c = w.cols;
      g.out_c = w.rows;
      break;
    case LayerKind::kLstm:
      // Per time step the gates are one FC layer over [x_t; h_{t-1}].
      g.in_c = w.cols;
      g.out_c = w.rows;
      s.repeat = w.timesteps;
      s.note = fmt::format("LSTM: one step of the {}x{} gate matrix, run {} times", w.rows,
                           w.cols, w.timesteps);
      break;
    case LayerKind::kOther:
      return unimplemented("layer \"{}\": the tiler handles conv, pooling, FC and LSTM layers",
                           w.name);
  }
  if (g.in_c < 1 || g.out_c < 1) {
    return invalid_argument("layer \"{}\": {} -> {} channels", w.name, g.in_c, g.out_c);
  }
  s.index = index_for(g, block);
  return s;
}

}  // namespace sieve::compiler
