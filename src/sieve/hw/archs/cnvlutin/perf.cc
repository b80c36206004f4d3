#include "sieve/hw/archs/cnvlutin/perf.h"

#include <algorithm>

#include "sieve/hw/core/dadiannao_node/perf.h"
#include "sieve/hw/core/actions.h"

namespace sieve::hw::cnvlutin_arch {
namespace {

int64_t ceil_div(int64_t a, int64_t b) {
  return (a + b - 1) / b;
}

// Deals bricks to lanes in order (brick k to lane k mod lanes) and closes a step every
// lanes × sync bricks: each lane works through the non-zeros of its `sync` bricks, and the step
// lasts as long as the busiest lane.
class Steps {
 public:
  Steps(int64_t lanes, int64_t sync)
      : lanes_(lanes), per_step_(lanes * sync), lane_(static_cast<size_t>(lanes), 0) {}
  void brick(int64_t nnz, bool stored) {
    cost_.nonzeros += nnz;
    if (stored) ++cost_.bricks;
    lane_[static_cast<size_t>(in_step_ % lanes_)] += nnz;
    if (++in_step_ == per_step_) close();
  }
  WindowCost finish() {
    if (in_step_ > 0) close();
    return cost_;
  }

 private:
  void close() {
    // The slowest lane; a dispatch at least.
    cost_.cycles += std::max<int64_t>(1, *std::max_element(lane_.begin(), lane_.end()));
    std::fill(lane_.begin(), lane_.end(), 0);
    in_step_ = 0;
  }
  int64_t lanes_, per_step_;
  std::vector<int64_t> lane_;
  int64_t in_step_ = 0;
  WindowCost cost_;
};

}  // namespace

WindowCost window_cost(const std::vector<int64_t>& brick_nnz, int64_t lanes, int64_t sync) {
  Steps s(lanes, sync);
  for (int64_t n : brick_nnz) s.brick(n, true);
  return s.finish();
}

std::string dadiannao_reason(const LayerWork& layer) {
  switch (layer.kind) {
    case LayerKind::kConv:
      return layer.reads_network_input
                 ? "run as DaDianNao: the first layer reads the network's input, which no output "
                   "encoder wrote in ZFNAf"
                 : "";
    case LayerKind::kFullyConnected:
      return "run as DaDianNao: Cnvlutin skips zero neurons in conv layers only";
    case LayerKind::kLstm:
      return "run as DaDianNao: an LSTM is FC layers, and Cnvlutin skips zeros in conv layers only";
    case LayerKind::kPool:
    case LayerKind::kOther: return "run as DaDianNao: no multiplications to skip";
  }
  return "";
}

CnvlutinLayer::CnvlutinLayer(const CnvlutinSpec& spec, const LayerWork& layer, int64_t sample,
                             bool dense)
    : spec_(spec), layer_(layer) {
  zfnaf_ = !dense && dadiannao_reason(layer).empty();
  if (sample >= 0 && sample < static_cast<int64_t>(layer.input_nz.size()))
    input_ = &layer.input_nz[static_cast<size_t>(sample)];
}

double CnvlutinLayer::weight_density() const {
  return static_cast<double>(spec_.node.weight_bits) / 16.0;
}

WeightBytes CnvlutinLayer::weight_bytes(const TileRange& r) const {
  WeightBytes w;
  w.values =
      ceil_div(r.rows() * r.channels() * cols_per_channel(layer_) * spec_.node.weight_bits, 8);
  return w;
}

const std::vector<WindowCost>& CnvlutinLayer::windows(const TileRange& r) const {
  const auto key = std::make_tuple(r.group, r.ic_begin, r.ic_end);
  if (auto it = cache_.find(key); it != cache_.end()) return it->second;
  const LayerWork& l = layer_;
  const int64_t H = l.in_h, W = l.in_w, B = spec_.brick_neurons;
  const int64_t cg = l.in_c / std::max<int64_t>(1, l.group);
  const int64_t c0 = r.group * cg + r.ic_begin, nch = r.ic_end - r.ic_begin;
  const int64_t nb = ceil_div(nch, B);
  // Non-zeros of every brick of the range at every input position.
  std::vector<int64_t> nnz(static_cast<size_t>(nb * H * W), 0);
  for (int64_t c = 0; c < nch; ++c) {
    int64_t* row = &nnz[static_cast<size_t>((c / B) * H * W)];
    const int64_t base = (c0 + c) * H * W;
    for (int64_t p = 0; p < H * W; ++p)
      row[p] += (input_ == nullptr || input_->get(base + p)) ? 1 : 0;
  }
  std::vector<WindowCost> v(static_cast<size_t>(l.out_h * l.out_w));
  for (int64_t oy = 0; oy < l.out_h; ++oy) {
    for (int64_t ox = 0; ox < l.out_w; ++ox) {
      Steps s(spec_.lanes(), spec_.lane_sync_bricks);
      for (int64_t ky = 0; ky < l.kh; ++ky) {
        const int64_t y = oy * l.stride_h - l.pad_top + ky * l.dilation_h;
        for (int64_t kx = 0; kx < l.kw; ++kx) {
          const int64_t x = ox * l.stride_w - l.pad_left + kx * l.dilation_w;
          const bool inside = y >= 0 && y < H && x >= 0 && x < W;
          for (int64_t b = 0; b < nb; ++b)
            s.brick(inside ? nnz[static_cast<size_t>((b * H + y) * W + x)] : 0, inside);
        }
      }
      v[static_cast<size_t>(oy * l.out_w + ox)] = s.finish();
    }
  }
  return cache_.emplace(key, std::move(v)).first->second;
}

TileCompute CnvlutinLayer::compute(const TileRange& r) const {
  TileCompute c;
  const dadiannao_arch::DaDianNaoSpec& node = spec_.node;
  // The output encoder writes the final outputs of conv and pooling layers in ZFNAf (a conv
  // layer's outputs are final in its last input-channel segment).
  const int64_t cg = layer_.in_c / std::max<int64_t>(1, layer_.group);
  if (layer_.kind == LayerKind::kPool || (layer_.kind == LayerKind::kConv && r.ic_end == cg))
    c.actions["encoder_neuron"] = r.rows() * r.positions();
  if (!zfnaf_) {
    const dadiannao_arch::NodeWork w = dadiannao_arch::dense_work(node, layer_, r);
    c.cycles = w.cycles;
    c.macs = w.macs;
    c.actions["subunit_cycle"] = w.tile_cycles * spec_.lanes();
    if (w.synapses) c.actions[actions::kSbRead] = w.tile_cycles * spec_.lanes();
    c.actions[actions::kNbinRead] = w.cycles;
    c.actions[actions::kNboutAccess] = w.tile_cycles;
    return c;
  }
  const std::vector<WindowCost>& win = windows(r);
  WindowCost sum;
  for (int64_t oy = r.oh_begin; oy < r.oh_end; ++oy) {
    for (int64_t ox = r.ow_begin; ox < r.ow_end; ++ox) {
      const WindowCost& w = win[static_cast<size_t>(oy * layer_.out_w + ox)];
      sum.cycles += w.cycles;
      sum.nonzeros += w.nonzeros;
      sum.bricks += w.bricks;
    }
  }
  const int64_t passes = ceil_div(r.rows(), node.filters_per_pass());
  const int64_t busy_tiles = dadiannao_arch::tile_passes(node, r.rows());
  c.cycles = passes * sum.cycles;
  c.macs = r.rows() * sum.nonzeros;
  c.actions["subunit_cycle"] = busy_tiles * sum.nonzeros;
  c.actions[actions::kSbRead] = busy_tiles * sum.nonzeros;
  c.actions[actions::kNbinRead] = passes * sum.bricks;
  c.actions[actions::kNboutAccess] = busy_tiles * sum.cycles;
  return c;
}

}  // namespace sieve::hw::cnvlutin_arch
