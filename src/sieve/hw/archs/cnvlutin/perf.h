// Cnvlutin's performance model: DaDianNao's node whose NFUs are split into decoupled per-lane
// subunits that skip zero input neurons of conv layers, read in the zero-free neuron array
// format (ZFNAf).
//
// Mechanics (every constant from CnvlutinSpec, i.e. the preset; the node's from DaDianNao's):
//  * ZFNAf. A conv layer's input neurons are stored in bricks: brick_neurons consecutive input
//    channels (of the tile's channel range, within its group) at one input position. A brick
//    keeps its non-zero values, each with an offset_bits offset (its channel within the brick),
//    written by the previous layer's output encoder (encoder_neuron below). Positions of the
//    padding hold no brick entries.
//  * Slices and subunits. Each tile's NFU is split into lanes() subunits, one per neuron lane;
//    subunit j owns slice j of the SB (the synapses of the tile's nfu_outputs filters for the
//    neurons its lane sees) and multiplies one (value, offset) per cycle by nfu_outputs
//    synapses, the offset selecting them. The bricks of one window are dealt to the lanes in
//    order — kernel position (ky, kx) outer, channel brick inner; brick k goes to lane
//    k mod lanes() — so a window of kh·kw·ceil(C/brick_neurons) bricks runs in
//    ceil(bricks / lanes()) brick steps; with C a multiple of lanes()·brick_neurons each
//    kernel position's channel bricks are one step, one brick per lane (the paper's slices).
//  * Timing from the actual non-zeros. In a brick step every lane processes the non-zeros of
//    its brick, one per cycle; the lanes meet at the end of the step (the dispatcher hands out
//    the next set of bricks then), so the step lasts as long as its lane with the most
//    non-zeros: max over lanes of nnz(brick), at least one cycle (the dispatch). With
//    lane_sync_bricks = s > 1 (a sensitivity knob: lanes buffering s bricks) a step is s bricks
//    a lane and lasts as long as the lane with the most non-zeros over its s bricks. A window costs
//    the sum of its steps; a tile costs passes × Σ over its output positions (passes =
//    ceil(rows / filters_per_pass) as on DaDianNao: every tile sees the same bricks). The
//    non-zeros are the workload's (LayerWork::input_nz of each sample): no efficiency constant.
//  * Layers that are not in ZFNAf run exactly as on DaDianNao (hw/core/dadiannao_node/perf.h), and their
//    LayerStats::note says so: the first conv layer (it reads the network's input, which no
//    output encoder wrote), FC and LSTM layers (Cnvlutin targets conv layers), pooling and other
//    layers. Mode "dense" runs every layer so.
//  * Buffers, residency, plan and DRAM: DaDianNao's (hw/core/dadiannao_node/perf.h). Off-chip neuron bytes
//    stay 16-bit per neuron: the offsets live with the bricks in NM (not modelled off chip).
//
// Action keys (priced by configs/energy/cnvlutin-28nm.yaml; buffer and control names are
// hw/core/actions.h's):
//   subunit_cycle  one subunit busy one cycle (nfu_outputs multipliers and its share of the
//                  adder trees): one per non-zero neuron per busy tile in ZFNAf, lanes() per NFU
//                  cycle otherwise
//   sb_read        one subunit's SB-slice read of nfu_outputs synapses (one per subunit_cycle
//                  of FC / conv / LSTM layers)
//   nbin_read      one brick (brick_neurons neurons, with their offsets in ZFNAf) read from NM
//                  and dispatched to the tiles
//   nbout_access   one tile's partial-sum update of nfu_outputs outputs (every cycle a tile is
//                  busy)
//   encoder_neuron one output neuron passed through the output encoder into ZFNAf (outputs of
//                  conv and pooling layers, which later conv layers read)
//   control_cycle  one cycle of the layer
//   nbin_fill, sb_fill, nbout_fill, nbout_drain   buffer lines written by loads / read by stores
//
// Pure functions; a CnvlutinLayer caches its window costs and is used by one thread.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <tuple>
#include <vector>

#include "sieve/hw/archs/cnvlutin/spec.h"
#include "sieve/hw/core/tiled_driver.h"
#include "sieve/hw/core/workload.h"

namespace sieve::hw::cnvlutin_arch {

// One window's cost in brick steps.
struct WindowCost {
  int64_t cycles = 0;  // Σ over its steps of max(1, max over lanes of nnz)
  int64_t nonzeros = 0;
  int64_t bricks = 0;  // bricks read (positions inside the input map)
};

// The brick-step rule on one window: `brick_nnz` lists the non-zeros of its bricks in dispatch
// order (brick k to lane k mod lanes); a step is `sync` bricks a lane (the preset's
// lane_sync_bricks) and lasts max(1, max over lanes of its bricks' non-zeros).
WindowCost window_cost(const std::vector<int64_t>& brick_nnz, int64_t lanes, int64_t sync = 1);

// Whether Cnvlutin runs `layer` in ZFNAf (conv, not reading the network's input), and if not,
// why ("" when it does).
std::string dadiannao_reason(const LayerWork& layer);

class CnvlutinLayer : public TiledLayerModel {
 public:
  // `sample` selects the activations (LayerWork::input_nz; none: every neuron non-zero);
  // dense: run as DaDianNao (mode "dense").
  CnvlutinLayer(const CnvlutinSpec& spec, const LayerWork& layer, int64_t sample, bool dense);
  double weight_density() const override;
  WeightBytes weight_bytes(const TileRange& r) const override;
  TileCompute compute(const TileRange& r) const override;
  bool zfnaf() const { return zfnaf_; }

 private:
  // Per output position (row-major out_h × out_w) of the tile's group and channel range.
  const std::vector<WindowCost>& windows(const TileRange& r) const;

  const CnvlutinSpec& spec_;
  const LayerWork& layer_;
  const BitVec* input_ = nullptr;  // the sample's non-zero input neurons, or none (dense)
  bool zfnaf_ = false;
  mutable std::map<std::tuple<int64_t, int64_t, int64_t>, std::vector<WindowCost>> cache_;
};

}  // namespace sieve::hw::cnvlutin_arch
