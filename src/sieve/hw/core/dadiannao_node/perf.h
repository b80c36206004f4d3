// DaDianNao's performance model: a node of dense NFU tiles fed by a central eDRAM that
// broadcasts the same input neurons to every tile.
//
// Mechanics (every constant from DaDianNaoSpec, i.e. the preset):
//  * FC / conv / LSTM. Each cycle NM broadcasts nfu_inputs input neurons (one brick) to all
//    tiles; each tile multiplies them by nfu_inputs × nfu_outputs synapses from its own SB and
//    accumulates nfu_outputs partial sums: the node computes filters_per_pass = n_tiles ·
//    nfu_outputs output rows at once. Rows are taken in passes of filters_per_pass, inputs in
//    chunks of nfu_inputs weight columns, so one (pass, output vector) of a tile with `cols`
//    weight columns takes ceil(cols / nfu_inputs) cycles whatever the values: a tile costs
//    ceil(rows / filters_per_pass) × vectors × ceil(cols / nfu_inputs) cycles. Zeros are
//    computed (macs_skipped = 0). A pass with fewer rows leaves tiles idle (they are not
//    counted busy).
//  * Pooling: NFU-1 bypassed; each tile takes nfu_outputs channels at one window offset per
//    cycle: ceil(channels / filters_per_pass) × positions × kh × kw cycles. Other layers:
//    ceil(elements / filters_per_pass) cycles.
//  * The NFU pipeline drains once per layer: pipeline_stages − 1 extra cycles.
//  * Residency (DaDianNao's premise, §3-4 of the paper: the node keeps synapses and neurons in
//    eDRAM instead of fetching them). A layer's dense synapses that fit in the n_tiles SBs are
//    resident (no weight loads; the plan's SB holds them all); its neurons stay in NM when input
//    and output fit there together (no neuron traffic), except the network's input, which is
//    loaded. Otherwise the shared tiled driver moves them through NM halves (ping-pong) with the
//    shared DRAM model.
//  * Weights and neurons are 16-bit with no index.
//
// Action keys (priced by configs/energy/dadiannao-28nm.yaml; buffer and control names are
// hw/core/actions.h's):
//   nfu_cycle     one tile's NFU busy one cycle (nfu_inputs × nfu_outputs multipliers +
//                 nfu_outputs adder trees + activation)
//   sb_read       one tile's SB read of nfu_inputs × nfu_outputs synapses (every busy FC /
//                 conv / LSTM NFU cycle)
//   nbin_read     one NM read of nfu_inputs neurons broadcast to the tiles (every cycle)
//   nbout_access  one tile's partial-sum update of nfu_outputs outputs (every busy NFU cycle)
//   control_cycle one cycle of the layer (control processor, instruction buffers, router)
//   nbin_fill, sb_fill, nbout_fill, nbout_drain   buffer lines written by loads / read by stores
//
// Pure functions; thread-safe.
#pragma once

#include <cstdint>

#include "sieve/compiler/plan.h"
#include "sieve/hw/core/dadiannao_node/spec.h"
#include "sieve/hw/core/tiled_driver.h"
#include "sieve/hw/core/workload.h"

namespace sieve::hw::dadiannao_arch {

// What the dense node does on one sub-operation (shared with the designs built on the node).
struct NodeWork {
  int64_t cycles = 0;       // node cycles
  int64_t tile_cycles = 0;  // Σ over tiles of busy NFU cycles
  int64_t macs = 0;
  bool synapses = false;  // the NFU multiplied synapses (FC / conv / LSTM)
};

// Busy tiles summed over the passes of `rows` output rows: Σ_pass ceil(rows in pass /
// nfu_outputs).
int64_t tile_passes(const DaDianNaoSpec& spec, int64_t rows);

// The dense node on sub-operation `r` of `layer` (rules above).
NodeWork dense_work(const DaDianNaoSpec& spec, const LayerWork& layer, const TileRange& r);

// The layer's dense synapses fit in the node's SBs / its input and output neurons fit in NM.
bool synapses_fit(const DaDianNaoSpec& spec, const LayerWork& layer);
bool neurons_fit(const DaDianNaoSpec& spec, const LayerWork& layer);

// The driver options of `layer` on the node (residency as above; `weights_on_chip`:
// SimOptions::weights_on_chip, every weight on chip whatever its size).
DriverOptions driver_options(const DaDianNaoSpec& spec, const LayerWork& layer,
                             bool weights_on_chip);
// NM as NBin and NBout (half each), the n_tiles SBs as SB; the SB holds every weight when the
// layer's synapses are resident.
compiler::PlanRequest plan_request(const DaDianNaoSpec& spec, const LayerWork& layer,
                                   bool weights_on_chip);

// The TiledLayerModel of one layer on DaDianNao.
class DaDianNaoLayer : public TiledLayerModel {
 public:
  DaDianNaoLayer(const DaDianNaoSpec& spec, const LayerWork& layer) : spec_(spec), layer_(layer) {}
  double weight_density() const override;
  WeightBytes weight_bytes(const TileRange& r) const override;
  TileCompute compute(const TileRange& r) const override;

 private:
  const DaDianNaoSpec& spec_;
  const LayerWork& layer_;
};

}  // namespace sieve::hw::dadiannao_arch
