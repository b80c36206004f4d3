// DianNao's performance model: a dense NFU that computes every multiplication, zeros included.
//
// Mechanics (every constant from DianNaoSpec, i.e. the preset):
//  * FC / conv / LSTM. Per cycle NBin delivers T_n input neurons, SB delivers T_n × T_n 16-bit
//    weights, and the NFU multiplies them (NFU-1), reduces each row of T_n products in its adder
//    tree (NFU-2) and accumulates into T_n outputs. Output rows are taken in groups of T_n,
//    inputs in chunks of T_n, so one (row group, output vector) of a tile with `cols` weight
//    columns takes ceil(cols / T_n) cycles whatever the values: a tile costs
//    ceil(rows / T_n) × vectors × ceil(cols / T_n) cycles (vectors = output positions of a conv
//    tile, timesteps of an LSTM tile, 1 for FC). Zeros are computed: macs_skipped = 0.
//    Grouped convolutions run group by group (a row group never mixes two groups' inputs).
//  * Pooling runs on NFU-2/NFU-3 with NFU-1 bypassed: per cycle NBin delivers T_n neurons, one
//    per channel at the same window offset, and the T_n outputs of those channels are updated:
//    ceil(channels / T_n) × positions × kh × kw cycles. "Other" layers (element-wise):
//    ceil(elements / T_n) cycles.
//  * The NFU pipeline drains once per layer: pipeline_stages − 1 extra cycles.
//  * Weights are dense 16-bit with no index; neurons are dense 16-bit in and out.
//  * Buffers NBin, NBout, SB with ping-pong halves; the plan comes from the compiler
//  (compiler/plan.h:
//    grouped conv one group repeated, LSTM steps as rows, pooling tiled depthwise, other layers
//    in flat chunks; the faster of the least-traffic and the T_n-aligned plan), the event steps
//    and the DRAM model are the shared tiled driver's (hw/core/tiled_driver.h).
//
// Action keys (priced by configs/energy/diannao-65nm.yaml; buffer and control names are
// hw/core/actions.h's):
//   nbin_read     one T_n-neuron NBin read (every NFU cycle)
//   sb_read       one T_n × T_n-weight SB read (every FC / conv / LSTM NFU cycle)
//   nbout_access  one T_n-output NBout read-modify-write of partial sums (every NFU cycle)
//   nfu_cycle     one cycle of the NFU (T_n² multipliers + T_n adder trees + activation)
//   control_cycle one cycle of the layer (control processor, DMA/AXI mux, other logic)
//   nbin_fill, sb_fill, nbout_fill, nbout_drain   buffer lines written by loads / read by stores
//
// Pure functions; thread-safe.
#pragma once

#include <cstdint>

#include "sieve/compiler/plan.h"
#include "sieve/hw/archs/diannao/spec.h"
#include "sieve/hw/core/tiled_driver.h"
#include "sieve/hw/core/workload.h"

namespace sieve::hw::diannao_arch {

// Cycles of the dense NFU on `rows` output rows × `cols` weight columns for `vectors` output
// vectors: ceil(rows / tn) × vectors × ceil(cols / tn).
int64_t nfu_cycles(int64_t rows, int64_t cols, int64_t vectors, int64_t tn);

// The TiledLayerModel of one layer on DianNao.
class DianNaoLayer : public TiledLayerModel {
 public:
  DianNaoLayer(const DianNaoSpec& spec, const LayerWork& layer) : spec_(spec), layer_(layer) {}
  double weight_density() const override;
  WeightBytes weight_bytes(const TileRange& r) const override;
  TileCompute compute(const TileRange& r) const override;

 private:
  const DianNaoSpec& spec_;
  const LayerWork& layer_;
};

DriverOptions driver_options(const DianNaoSpec& spec, bool weights_on_chip);
// The buffers and mapping rules of the spec (no index buffers).
compiler::PlanRequest plan_request(const DianNaoSpec& spec);

}  // namespace sieve::hw::diannao_arch
