#include "sieve/hw/core/stats.h"

namespace sieve::hw {

OffchipBytes& OffchipBytes::operator+=(const OffchipBytes& o) {
  weights += o.weights;
  weight_index += o.weight_index;
  neurons += o.neurons;
  neuron_index += o.neuron_index;
  partial_sums += o.partial_sums;
  return *this;
}

LayerStats SimResult::total() const {
  LayerStats t;
  t.name = "total";
  t.kind = "total";
  for (const LayerStats& l : layers) {
    if (!l.unsupported.empty()) continue;
    t.cycles += l.cycles;
    t.time_ns += l.time_ns;
    t.macs_dense += l.macs_dense;
    t.macs_performed += l.macs_performed;
    t.macs_skipped += l.macs_skipped;
    t.offchip += l.offchip;
    for (const auto& [k, v] : l.actions) t.actions[k] += v;
    t.load_cycles += l.load_cycles;
    t.compute_cycles += l.compute_cycles;
    t.store_cycles += l.store_cycles;
    t.stall_cycles += l.stall_cycles;
    t.tiles += l.tiles;
  }
  if (multipliers > 0 && t.cycles > 0)
    t.utilization = static_cast<double>(t.macs_performed) /
                    (static_cast<double>(multipliers) * static_cast<double>(t.cycles));
  return t;
}

int64_t SimResult::unsupported_layers() const {
  int64_t n = 0;
  for (const LayerStats& l : layers) n += l.unsupported.empty() ? 0 : 1;
  return n;
}

}  // namespace sieve::hw
