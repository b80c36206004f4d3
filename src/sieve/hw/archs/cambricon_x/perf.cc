#include "sieve/hw/archs/cambricon_x/perf.h"

#include <algorithm>
#include <bit>

#include "sieve/hw/core/actions.h"

namespace sieve::hw::cambricon_x_arch {
namespace {

int64_t ceil_div(int64_t a, int64_t b) {
  return (a + b - 1) / b;
}

// The IM slice's walk over a sorted stream of entry positions.
class Walker {
 public:
  Walker(int64_t begin, int64_t window, int64_t width)
      : s_(begin), window_(window), width_(width) {}
  void take(int64_t p) {
    if (cycles_ == 0) cycles_ = 1;
    if (k_ == width_) {  // the PE is full: the next cycle starts after the last selected entry
      ++cycles_;
      s_ = last_ + 1;
      k_ = 0;
    }
    if (p >= s_ + window_) {  // outside this cycle's window: slide (empty windows cost cycles)
      const int64_t n = (p - s_) / window_;
      cycles_ += n;
      s_ += n * window_;
      k_ = 0;
    }
    ++k_;
    last_ = p;
  }
  int64_t cycles() const { return cycles_; }

 private:
  int64_t s_, window_, width_;
  int64_t cycles_ = 0, k_ = 0, last_ = -1;
};

}  // namespace

RowWalk walk_row(const BitVec* mask, int64_t begin, int64_t end, const CambriconXSpec& spec) {
  RowWalk w;
  if (end <= begin) return w;
  const int64_t width = spec.multipliers_per_pe;
  if (mask == nullptr) {  // consecutive entries: min(width, window) per cycle
    w.entries = end - begin;
    w.cycles = ceil_div(w.entries, std::min(width, spec.im_window));
    return w;
  }
  Walker walker(begin, spec.im_window, width);
  const int64_t max_step = spec.max_step();
  int64_t prev = begin - 1;
  auto visit = [&](int64_t p) {
    const int64_t fill = (p - prev - 1) / max_step;
    for (int64_t j = 1; j <= fill; ++j) walker.take(prev + j * max_step);
    w.fillers += fill;
    w.entries += fill + 1;
    walker.take(p);
    prev = p;
  };
  const std::vector<uint64_t>& words = mask->words();
  for (int64_t wi = begin >> 6; wi <= (end - 1) >> 6; ++wi) {
    uint64_t x = words[static_cast<size_t>(wi)];
    if (wi == (begin >> 6)) x &= ~uint64_t{0} << (begin & 63);
    if (wi == ((end - 1) >> 6) && (end & 63) != 0) x &= (uint64_t{1} << (end & 63)) - 1;
    while (x != 0) {
      visit(wi * 64 + std::countr_zero(x));
      x &= x - 1;
    }
  }
  w.cycles = walker.cycles();
  return w;
}

CambriconXLayer::CambriconXLayer(const CambriconXSpec& spec, const LayerWork& layer, bool dense,
                                 bool dense_traffic)
    : spec_(spec), layer_(layer), dense_(dense), dense_traffic_(dense_traffic) {
  const int64_t bits_per_entry = spec.weight_bits + (dense ? 0 : spec.step_index_bits);
  if (layer.rows <= 0 || layer.cols <= 0) return;
  if (dense_traffic || dense) {
    density_ = dense_traffic ? 1.0 : static_cast<double>(bits_per_entry) / 16.0;
    return;
  }
  int64_t entries = 0;
  for (int64_t r = 0; r < layer.rows; ++r)
    entries += walk_row(&layer.weight_mask, r * layer.cols, (r + 1) * layer.cols, spec).entries;
  density_ = static_cast<double>(entries * bits_per_entry) /
             (16.0 * static_cast<double>(layer.rows * layer.cols));
}

int64_t CambriconXLayer::rows_per_group() const {
  return layer_.kind == LayerKind::kConv ? layer_.rows / std::max<int64_t>(1, layer_.group)
                                         : layer_.rows;
}

const std::vector<RowWalk>& CambriconXLayer::walks(const TileRange& r) const {
  auto key = std::make_tuple(r.group, r.ic_begin, r.ic_end);
  auto it = cache_.find(key);
  if (it != cache_.end()) return it->second;
  const int64_t rpg = rows_per_group();
  const int64_t cpc = cols_per_channel(layer_);
  std::vector<RowWalk> v(static_cast<size_t>(rpg));
  for (int64_t i = 0; i < rpg; ++i) {
    const int64_t base = (r.group * rpg + i) * layer_.cols;
    v[static_cast<size_t>(i)] = walk_row(dense_ ? nullptr : &layer_.weight_mask,
                                         base + r.ic_begin * cpc, base + r.ic_end * cpc, spec_);
  }
  return cache_.emplace(key, std::move(v)).first->second;
}

WeightBytes CambriconXLayer::weight_bytes(const TileRange& r) const {
  WeightBytes b;
  if (dense_traffic_) {
    b.values = ceil_div(r.rows() * r.channels() * cols_per_channel(layer_) * 16, 8);
    return b;
  }
  const std::vector<RowWalk>& w = walks(r);
  int64_t entries = 0;
  for (int64_t i = r.oc_begin; i < r.oc_end; ++i) entries += w[static_cast<size_t>(i)].entries;
  b.values = ceil_div(entries * spec_.weight_bits, 8);
  b.index = dense_ ? 0 : ceil_div(entries * spec_.step_index_bits, 8);
  return b;
}

TileCompute CambriconXLayer::compute(const TileRange& r) const {
  TileCompute c;
  switch (layer_.kind) {
    case LayerKind::kFullyConnected:
    case LayerKind::kConv:
    case LayerKind::kLstm: {
      const std::vector<RowWalk>& w = walks(r);
      std::vector<int64_t> load(static_cast<size_t>(spec_.n_pe), 0);
      int64_t busy = 0, entries = 0;
      for (int64_t i = r.oc_begin; i < r.oc_end; ++i) {
        const RowWalk& rw = w[static_cast<size_t>(i)];
        load[static_cast<size_t>((i - r.oc_begin) % spec_.n_pe)] += rw.cycles;
        busy += rw.cycles;
        entries += rw.entries;
      }
      const int64_t v = r.positions();
      c.cycles = v * *std::max_element(load.begin(), load.end());
      c.macs = v * entries;
      c.actions["pe_cycle"] = v * busy;
      c.actions[actions::kSbRead] = v * busy;
      c.actions["im_cycle"] = dense_ ? 0 : v * busy;
      break;
    }
    case LayerKind::kPool:
      c.cycles = ceil_div(r.rows(), spec_.n_pe) * r.positions() * layer_.kh * layer_.kw;
      c.actions["pe_cycle"] = r.rows() * r.positions() * layer_.kh * layer_.kw;
      break;
    case LayerKind::kOther:
      c.cycles = ceil_div(r.rows(), spec_.n_pe);
      c.actions["pe_cycle"] = r.rows();
      break;
  }
  c.actions[actions::kNbinRead] = c.cycles;
  c.actions[actions::kNboutAccess] = c.cycles;
  return c;
}

compiler::PlanRequest plan_request(const CambriconXSpec& spec) {
  return value_buffer_request(spec.nbin_bytes, spec.nbout_bytes, spec.sb_bytes, spec.ping_pong,
                              spec.neuron_bits);
}

DriverOptions driver_options(const CambriconXSpec& spec, bool weights_on_chip) {
  DriverOptions o;
  o.neuron_bytes = spec.neuron_bits / 8;
  o.nbin_line_bytes = spec.n_pe * o.neuron_bytes;
  o.nbout_line_bytes = spec.n_pe * o.neuron_bytes;
  // One PE's SB line: the entries of one cycle (values + step indexes).
  o.sb_line_bytes =
      std::max<int64_t>(1, spec.multipliers_per_pe * (spec.weight_bits + spec.step_index_bits) / 8);
  o.pipeline_fill = spec.pipeline_stages - 1;
  o.memory = spec.memory;
  o.weights_on_chip = weights_on_chip;
  return o;
}

}  // namespace sieve::hw::cambricon_x_arch
