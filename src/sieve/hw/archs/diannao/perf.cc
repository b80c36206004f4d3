#include "sieve/hw/archs/diannao/perf.h"

#include <algorithm>

#include "sieve/hw/core/actions.h"

namespace sieve::hw::diannao_arch {
namespace {

int64_t ceil_div(int64_t a, int64_t b) {
  return (a + b - 1) / b;
}

}  // namespace

int64_t nfu_cycles(int64_t rows, int64_t cols, int64_t vectors, int64_t tn) {
  if (rows <= 0 || cols <= 0 || vectors <= 0) return 0;
  return ceil_div(rows, tn) * vectors * ceil_div(cols, tn);
}

double DianNaoLayer::weight_density() const {
  return static_cast<double>(spec_.weight_bits) / 16.0;
}

WeightBytes DianNaoLayer::weight_bytes(const TileRange& r) const {
  WeightBytes w;
  w.values = ceil_div(r.rows() * r.channels() * cols_per_channel(layer_) * spec_.weight_bits, 8);
  return w;
}

TileCompute DianNaoLayer::compute(const TileRange& r) const {
  TileCompute c;
  const int64_t tn = spec_.tn;
  switch (layer_.kind) {
    case LayerKind::kFullyConnected:
    case LayerKind::kConv:
    case LayerKind::kLstm: {
      const int64_t cols = r.channels() * cols_per_channel(layer_);
      c.cycles = nfu_cycles(r.rows(), cols, r.positions(), tn);
      c.macs = r.rows() * cols * r.positions();
      c.actions[actions::kSbRead] = c.cycles;
      break;
    }
    case LayerKind::kPool:
      c.cycles = ceil_div(r.rows(), tn) * r.positions() * layer_.kh * layer_.kw;
      break;
    case LayerKind::kOther: c.cycles = ceil_div(r.rows(), tn); break;
  }
  c.actions[actions::kNbinRead] = c.cycles;
  c.actions[actions::kNboutAccess] = c.cycles;
  c.actions["nfu_cycle"] = c.cycles;
  return c;
}

compiler::PlanRequest plan_request(const DianNaoSpec& spec) {
  return value_buffer_request(spec.nbin_bytes, spec.nbout_bytes, spec.sb_bytes, spec.ping_pong,
                              spec.neuron_bits);
}

DriverOptions driver_options(const DianNaoSpec& spec, bool weights_on_chip) {
  DriverOptions o;
  o.neuron_bytes = spec.neuron_bits / 8;
  o.nbin_line_bytes = spec.tn * o.neuron_bytes;
  o.nbout_line_bytes = spec.tn * o.neuron_bytes;
  o.sb_line_bytes = std::max<int64_t>(1, spec.tn * spec.tn * spec.weight_bits / 8);
  o.pipeline_fill = spec.pipeline_stages - 1;
  o.memory = spec.memory;
  o.weights_on_chip = weights_on_chip;
  return o;
}

}  // namespace sieve::hw::diannao_arch
