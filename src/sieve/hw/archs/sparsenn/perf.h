// SparseNN's performance model: input sparsity (only non-zero activations are broadcast) and
// output sparsity (rows the low-rank predictor calls zero are skipped) on 64 PEs joined by an
// H-tree of routers.
//
// Mechanics (every constant from SparseNNSpec, i.e. the preset):
//  * Mapping. Output row j of W (and of U, and its predictor sign bit) lives in PE j mod n_pe;
//    input activation i lives in PE i mod n_pe (each PE stores a subset of the activations and
//    broadcasts its non-zero ones through the tree).
//  * W phase (row-based). Every non-zero input climbs the tree: each router has `fanout` input
//    ports buffering router_buffer_depth activations each, and per cycle grants ONE of its port
//    heads, the one with the smallest index (smallest-index-first arbitration), into its
//    parent's port when that port has room (buffered flow control; one cycle per hop). The
//    root's grant is broadcast down the tree (one cycle per level, no contention) into every
//    PE's FIFO (pe_fifo_depth); the root grants only when every FIFO has room for it. Arrival
//    order is whatever the arbitration yields (out of order across subtrees); the products are
//    summed in any order. A PE takes one activation from its FIFO per cycle when idle and spends
//    max(1, ceil(w / macs_per_pe)) cycles on it, w = its rows (those predicted non-zero when the
//    predictor is on) whose weight in that column is non-zero. The phase ends when the last PE
//    has consumed the last activation.
//  * Predictor (mode "input-output", on every FC layer whose outputs contain zeros, i.e. that
//    feeds a ReLU; rank r = min(predictor_rank, rows, cols)):
//      V phase (column-based): PE k multiplies its local non-zero inputs by its r-long columns
//      of V: nnz_k · ceil(r / macs_per_pe) cycles; the r partial sums of every PE are reduced
//      in the tree, each router adding its children's vectors in its pipeline: r + levels ·
//      router_stages cycles after the slowest PE.
//      U phase (row-based): the r sums are broadcast from the root (r + levels cycles) and each
//      PE computes its rows of U·(V·a): ceil(rows_k · r / macs_per_pe) cycles, writing one sign
//      bit per row.
//    The set the predictor calls non-zero is the layer's output_nz (the workload's non-zero
//    outputs): a' = p ∘ relu(W·a), so the rows computed are taken to be the non-zero outputs
//    (rows predicted 1 whose ReLU is 0 are not in the workload; with a measured prediction the
//    output density given is the predicted one).
//  * Mode "input-only" (EIE-like): the same datapath, no predictor, every row computed.
//  * Other layer kinds are not run (SparseNN accelerates fully connected layers).
//
// Action keys (priced by configs/energy/sparsenn-65nm.yaml):
//   mac          one multiply-accumulate of W          pred_mac     one of U or V
//   w_read       one W weight read from a PE's memory  uv_read      one U or V weight read
//   fifo_access  one write or read of a PE's activation FIFO
//   router_hop   one activation or partial sum passing one router (up, down or reduced)
//   router_add   one addition in a reduction router    out_write    one output activation written
//   pe_cycle     one PE clocked one cycle (clock tree, leakage, control of the PE)
//   control_cycle one cycle of the layer (the top controller)
//   nbin_fill    one line (an activation per PE) of a layer's inputs written from DRAM into the
//                PEs' activation memories;  nbout_drain  one line of outputs read out to DRAM
//
// Pure functions; thread-safe.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <vector>

#include "sieve/hw/archs/sparsenn/spec.h"
#include "sieve/hw/core/workload.h"

namespace sieve::hw::sparsenn_arch {

struct Grant {
  int64_t cycle = 0;  // the cycle the root granted it
  int64_t index = 0;  // the activation's index
};

struct BroadcastRun {
  std::vector<Grant> grants;  // the root's grants in order
  int64_t cycles = 0;         // until the last PE finished its last activation
  int64_t fifo_stalls = 0;    // cycles the root held a head back because a PE FIFO was full
};

// The W phase's broadcast: sources[k] lists the activations PE k holds (in the order it offers
// them); work(k, index) is the MACs PE k spends on activation `index`. sources.size() == n_pe.
BroadcastRun broadcast(const SparseNNSpec& spec, const std::vector<std::vector<int64_t>>& sources,
                       const std::function<int64_t(int64_t pe, int64_t index)>& work);

struct SampleCost {
  int64_t cycles = 0;
  int64_t v_cycles = 0, u_cycles = 0, w_cycles = 0;
  int64_t macs = 0, pred_macs = 0;
  int64_t broadcasts = 0;  // non-zero activations sent through the tree
  int64_t rows_computed = 0;
  int64_t fifo_stalls = 0;
  std::map<std::string, int64_t> actions;
};

// One sample of an FC layer: its non-zero inputs `in_nz` (layer.cols bits) and, with the
// predictor, the rows computed `out_nz` (nullptr: every row; no predictor).
SampleCost run_sample(const SparseNNSpec& spec, const LayerWork& layer, const BitVec& in_nz,
                      const BitVec* out_nz);

// Whether the predictor runs on `layer`: an FC layer some of whose outputs are zero (it feeds a
// ReLU) in some sample.
bool predicted_layer(const LayerWork& layer);

}  // namespace sieve::hw::sparsenn_arch
