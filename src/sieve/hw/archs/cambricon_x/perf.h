// Cambricon-X's performance model: weight sparsity through step indexes and a per-PE Indexing
// Module, dense neurons, asynchronous PEs.
//
// Mechanics (every constant from CambriconXSpec, i.e. the preset):
//  * Storage. Each output row's non-zero weights are stored as 16-bit values plus one step
//    index entry each (the distance from the previous stored entry; the first counts from the
//    segment's first column − 1). A step longer than max_step = 2^step_index_bits − 1 is
//    bridged by filler entries (a stored zero weight with a max_step step): a step s costs
//    (s − 1) / max_step fillers. The index restarts at every tile's first input channel (each
//    SB segment is self-contained). Any mask works: every row has its own index.
//  * Neurons are dense 16-bit in and out: no neuron sparsity, no output compression; zero
//    activations are multiplied (macs_skipped counts only pruned weights).
//  * PE walk. Row r is served by PE (r − tile's first row) mod n_pe. The PE's IM slice walks
//    the row's entries (non-zeros and fillers) in order, from the neurons the buffer controller
//    broadcasts: per cycle it scans at most im_window neuron positions, starting at the cycle's
//    window start, and selects at most multipliers_per_pe entries; the next cycle starts right
//    after the last selected entry when the PE was full, else at the end of the window (an empty
//    window costs a cycle). The PE multiplies the selected entries and reduces them in its adder
//    tree. Cycles of one PE on one row vector = its walk; an empty row costs nothing.
//  * Asynchronous PEs, barrier per tile: within a sub-operation every PE runs through its rows
//    for every output vector of the tile on its own; the tile's compute event ends when the
//    slowest PE ends: cycles = vectors × max over PEs of Σ walk(its rows). A row group with one
//    dense row is therefore as slow as a dense group; PEs never wait for each other inside a
//    tile (the paper's asynchrony), and they meet at every tile boundary (the ping-pong swap).
//  * Pooling / other layers: as DianNao (one input neuron per PE per cycle from NBin).
//  * The pipeline drains once per layer: pipeline_stages − 1 cycles.
//  * Mode "dense": the mask is ignored (every weight stored, no index, IM idle): the same
//    datapath as DianNao's NFU with T_n = n_pe.
//
// Action keys (priced by configs/energy/cambricon-x-65nm.yaml; buffer and control names are
// hw/core/actions.h's):
//   pe_cycle      one PE busy one cycle (multipliers_per_pe multipliers + adder tree)
//   sb_read       one read of a PE's synapse buffer (values + indexes of one cycle)
//   im_cycle      one IM slice busy one cycle (step accumulation + neuron selection)
//   nbin_read     one cycle of the buffer controller streaming NBin to the IMs
//   nbout_access  one cycle of NBout collecting outputs / partial sums
//   control_cycle one cycle of the layer (control processor, DMA, other logic)
//   nbin_fill, sb_fill, nbout_fill, nbout_drain   buffer lines written by loads / read by stores
//
// Pure functions; thread-safe (a CambriconXLayer caches walks and is used by one thread).
#pragma once

#include <cstdint>
#include <map>
#include <tuple>
#include <vector>

#include "sieve/compiler/plan.h"
#include "sieve/hw/archs/cambricon_x/spec.h"
#include "sieve/hw/core/tiled_driver.h"
#include "sieve/hw/core/workload.h"

namespace sieve::hw::cambricon_x_arch {

struct RowWalk {
  int64_t entries = 0;  // non-zeros + fillers stored
  int64_t fillers = 0;
  int64_t cycles = 0;  // IM/PE cycles for one output vector
};

// Walks mask bits [begin, end) (one row's columns of one tile). `mask == nullptr`: every
// position is a weight (dense mode, no fillers).
RowWalk walk_row(const BitVec* mask, int64_t begin, int64_t end, const CambriconXSpec& spec);

class CambriconXLayer : public TiledLayerModel {
 public:
  // dense: ignore the mask (mode "dense"); dense_traffic: load weights as dense 16-bit with no
  // index (SimOptions::dense_weight_traffic) while computing sparse.
  CambriconXLayer(const CambriconXSpec& spec, const LayerWork& layer, bool dense,
                  bool dense_traffic);
  double weight_density() const override { return density_; }
  WeightBytes weight_bytes(const TileRange& r) const override;
  TileCompute compute(const TileRange& r) const override;

 private:
  const std::vector<RowWalk>& walks(const TileRange& r) const;
  int64_t rows_per_group() const;

  const CambriconXSpec& spec_;
  const LayerWork& layer_;
  bool dense_, dense_traffic_;
  double density_ = 1.0;
  mutable std::map<std::tuple<int64_t, int64_t, int64_t>, std::vector<RowWalk>> cache_;
};

DriverOptions driver_options(const CambriconXSpec& spec, bool weights_on_chip);
// The buffers and mapping rules of the spec (DianNao's organisation: no index buffers; the step
// indexes travel with the weights in the SB).
compiler::PlanRequest plan_request(const CambriconXSpec& spec);

}  // namespace sieve::hw::cambricon_x_arch
