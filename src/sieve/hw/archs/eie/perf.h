// EIE's performance model: one sparse matrix × sparse vector per sample (per time step for an
// LSTM's gate matrix), cycle by cycle at the level of the activation queues.
//
// Mechanics (every constant from EieSpec, i.e. the preset; Han et al., ISCA 2016, §III–IV):
//  * Layout: the interleaved CSC of csc.h, from the layer's mask; padding zeros are entries.
//  * Broadcast: the CCU's LNZD tree finds the non-zero input activations in order and
//    broadcasts one per cycle (zero activations are skipped and cost no cycle); the first one
//    leaves the tree after lnzd_levels() cycles. Broadcast k is pushed into every PE's
//    activation queue at cycle b_k = max(b_{k−1} + 1, max over PEs of s_{p, k−D}) (D =
//    queue_depth): when a PE's queue is full (it has not yet popped activation k − D) the
//    broadcast stalls for every PE. A pop and a push may share a cycle.
//  * PE: PE p pops activation k at s_{p,k} = max(b_k + 1, f_{p,k−1}) and spends
//    c_{p,k} = max(1, lines, entries) cycles on it: one cycle for the pointer read unit (p_j and
//    p_{j+1} from the even and odd banks), the sparse-matrix read unit's 64-bit lines (8 entries
//    each) and one multiply-accumulate per entry in the arithmetic unit (codebook decode, 16-bit
//    multiply, accumulate; the bypass of consecutive adds to one accumulator keeps it at one a
//    cycle) — the units are pipelined, so the slowest sets the rate; f_{p,k} = s_{p,k} + c_{p,k}.
//    The entries are those PE p holds in column j_k: load imbalance is the actual non-zeros (and
//    paddings) per PE per column, absorbed by the queues up to their depth.
//  * Layer: cycles = max over PEs of the last f + pipeline_stages − 1 (the last entry drains
//    through the arithmetic and write-back stages); an all-zero input costs lnzd_levels().
//    Samples (and LSTM time steps) run one after another. The activations are on chip (the
//    paper's setting: the previous layer's outputs stay in the PEs' destination registers,
//    which become the next layer's source): no off-chip traffic is timed or counted.
//
// Action keys (priced by configs/energy/eie-45nm.yaml; buffer and control names are
// hw/core/actions.h's):
//   act_queue_push   one activation pushed into one PE's queue (n_pe per broadcast)
//   ptr_read         one PE's pointer-pair read (one per broadcast per PE)
//   spmat_read       one 64-bit sparse-matrix SRAM line read
//   arith_mac        one multiply-accumulate (non-zeros and paddings), codebook decode included
//   act_rw           one destination-accumulator read-modify-write (one per MAC)
//   filter_op        one output activation through the ReLU / non-zero filter
//   lnzd_stall_cycle one cycle the broadcast waited for a full queue
//   control_cycle    one cycle of the layer (the CCU)
//   nbin_fill        one line (one activation per PE) of input activations written into the
//                    PEs' source activation registers
//   nbout_drain      one line of output activations read from the destination registers
//
// Pure functions; thread-safe.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "sieve/hw/core/csc.h"
#include "sieve/hw/archs/eie/spec.h"
#include "sieve/hw/core/stats.h"
#include "sieve/hw/core/workload.h"

namespace sieve::hw::eie_arch {

// The timing of one matrix × vector.
struct SpmvTiming {
  int64_t cycles = 0;
  int64_t broadcasts = 0;        // non-zero activations broadcast
  int64_t stall_cycles = 0;      // cycles the broadcast waited for a full queue
  int64_t pe_busy_cycles = 0;    // Σ over PEs and broadcasts of c_{p,k}
  int64_t entries = 0;           // MACs: entries processed (non-zeros + paddings)
  int64_t paddings = 0;          // paddings among them
  int64_t spmat_reads = 0;       // SRAM lines read
  // Σ busy / (n_pe × (last f − first pop)): the fraction of PE cycles doing work while the
  // layer computes (the paper's load-balance efficiency); 1 with no broadcast.
  double load_efficiency() const;
  int64_t span = 0;  // last f − first s (0 with no broadcast)
  int64_t n_pe = 0;  // PEs (for load_efficiency)
  SpmvTiming& operator+=(const SpmvTiming& o);
};

// A layer's layout with what the timing needs per (PE, column): entries, paddings, lines.
class EieLayer {
 public:
  EieLayer(const EieSpec& spec, const LayerWork& layer);
  const CscCounts& counts() const { return counts_; }
  // The layer's columns (weight-matrix cols) and time steps (1 for FC).
  int64_t cols() const { return counts_.cols; }
  // One matrix × vector with the non-zero input columns `nz_cols` (increasing).
  SpmvTiming spmv(const std::vector<int64_t>& nz_cols) const;
  // Every sample (and time step) of the layer's input_nz, in order.
  SpmvTiming run_all() const;
  // The statistics of the whole layer (batch samples), as the arch reports them.
  LayerStats stats() const;

 private:
  const EieSpec& spec_;
  const LayerWork& layer_;
  CscCounts counts_;
  std::vector<int32_t> lines_;  // [pe * cols + col]
};

}  // namespace sieve::hw::eie_arch
