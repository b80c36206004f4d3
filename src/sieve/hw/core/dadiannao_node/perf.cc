#include "sieve/hw/core/dadiannao_node/perf.h"

#include <algorithm>

#include "sieve/hw/core/actions.h"

namespace sieve::hw::dadiannao_arch {
namespace {

int64_t ceil_div(int64_t a, int64_t b) {
  return (a + b - 1) / b;
}

}  // namespace

int64_t tile_passes(const DaDianNaoSpec& spec, int64_t rows) {
  int64_t busy = 0;
  const int64_t per_pass = spec.filters_per_pass();
  for (int64_t done = 0; done < rows; done += per_pass)
    busy += ceil_div(std::min(per_pass, rows - done), spec.nfu_outputs);
  return busy;
}

NodeWork dense_work(const DaDianNaoSpec& spec, const LayerWork& layer, const TileRange& r) {
  NodeWork w;
  const int64_t per_pass = spec.filters_per_pass();
  switch (layer.kind) {
    case LayerKind::kFullyConnected:
    case LayerKind::kConv:
    case LayerKind::kLstm: {
      const int64_t cols = r.channels() * cols_per_channel(layer);
      if (r.rows() <= 0 || cols <= 0 || r.positions() <= 0) return w;
      const int64_t chunks = ceil_div(cols, spec.nfu_inputs) * r.positions();
      w.cycles = ceil_div(r.rows(), per_pass) * chunks;
      w.tile_cycles = tile_passes(spec, r.rows()) * chunks;
      w.macs = r.rows() * cols * r.positions();
      w.synapses = true;
      break;
    }
    case LayerKind::kPool: {
      const int64_t window = r.positions() * layer.kh * layer.kw;
      w.cycles = ceil_div(r.rows(), per_pass) * window;
      w.tile_cycles = tile_passes(spec, r.rows()) * window;
      break;
    }
    case LayerKind::kOther:
      w.cycles = ceil_div(r.rows(), per_pass);
      w.tile_cycles = tile_passes(spec, r.rows());
      break;
  }
  return w;
}

bool synapses_fit(const DaDianNaoSpec& spec, const LayerWork& layer) {
  return ceil_div(layer.rows * layer.cols * spec.weight_bits, 8) <= spec.sb_bytes();
}

bool neurons_fit(const DaDianNaoSpec& spec, const LayerWork& layer) {
  return (layer.input_size() + layer.output_size()) * (spec.neuron_bits / 8) <= spec.nm_bytes;
}

DriverOptions driver_options(const DaDianNaoSpec& spec, const LayerWork& layer,
                             bool weights_on_chip) {
  DriverOptions o;
  o.neuron_bytes = spec.neuron_bits / 8;
  o.nbin_line_bytes = spec.nfu_inputs * o.neuron_bytes;
  o.nbout_line_bytes = spec.nfu_outputs * o.neuron_bytes;
  o.sb_line_bytes = std::max<int64_t>(1, spec.nfu_inputs * spec.nfu_outputs * spec.weight_bits / 8);
  o.pipeline_fill = spec.pipeline_stages - 1;
  o.memory = spec.memory;
  o.weights_on_chip = weights_on_chip || (spec.synapses_resident && synapses_fit(spec, layer));
  const bool in_nm = spec.neurons_resident && neurons_fit(spec, layer);
  o.inputs_on_chip = in_nm && !layer.reads_network_input;
  o.outputs_on_chip = in_nm;
  return o;
}

compiler::PlanRequest plan_request(const DaDianNaoSpec& spec, const LayerWork& layer,
                                   bool weights_on_chip) {
  compiler::PlanRequest r = value_buffer_request(spec.nm_bytes / 2, spec.nm_bytes / 2,
                                                 spec.sb_bytes(), spec.ping_pong, spec.neuron_bits);
  r.buffers.sb_holds_all_weights =
      weights_on_chip || (spec.synapses_resident && synapses_fit(spec, layer));
  return r;
}

double DaDianNaoLayer::weight_density() const {
  return static_cast<double>(spec_.weight_bits) / 16.0;
}

WeightBytes DaDianNaoLayer::weight_bytes(const TileRange& r) const {
  WeightBytes w;
  w.values = ceil_div(r.rows() * r.channels() * cols_per_channel(layer_) * spec_.weight_bits, 8);
  return w;
}

TileCompute DaDianNaoLayer::compute(const TileRange& r) const {
  const NodeWork w = dense_work(spec_, layer_, r);
  TileCompute c;
  c.cycles = w.cycles;
  c.macs = w.macs;
  c.actions["nfu_cycle"] = w.tile_cycles;
  if (w.synapses) c.actions[actions::kSbRead] = w.tile_cycles;
  c.actions[actions::kNbinRead] = w.cycles;
  c.actions[actions::kNboutAccess] = w.tile_cycles;
  return c;
}

}  // namespace sieve::hw::dadiannao_arch
