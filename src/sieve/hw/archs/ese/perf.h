// ESE's performance model: an LSTM's gate matrices and its projection, one time step after
// another, on the PEs of a channel, with the scheduler that overlaps the input product of the
// next step with the element-wise phase of this one. Han et al., FPGA 2017 (seed 002: "a
// scheduler that encodes and partitions the compressed model to each PE for parallelism, and
// schedules the complicated LSTM data flow"); the mechanisms below are ours where the seed is
// silent, and each one says so.
//
// Mechanics (every constant from EseSpec, i.e. the preset):
//  * Layout: EIE's interleaved CSC (hw/core/csc.h): row i of a matrix on PE i mod
//    pes_per_channel; padding entries for gaps longer than 2^index_bits − 1 are stored and
//    multiplied like non-zeros.
//  * Matrix × vector (spmv_cost): the vector is dense (an LSTM's x_t and y_{t−1}; ESE skips no
//    zero activation, an assumption: its speech features and recurrent outputs are dense). Its
//    elements are broadcast one per cycle to the channel's PEs, and PE p spends
//    max(1, ⌈e_{p,c} / macs_per_pe⌉) cycles on column c, e_{p,c} its entries in that column. The
//    activation queues are taken as deep enough to absorb the per-column imbalance (an
//    assumption, EIE's 8-deep queues nearly do; hw/archs/eie models them exactly), so the
//    product takes max_p Σ_c of those cycles, plus pe_pipeline_stages to drain: the busiest PE
//    sets the time. That is why ESE prunes with load balance (compress pass `balanced`): equal
//    non-zeros per PE make the maximum the mean.
//  * Element-wise phase (elemwise_cycles): the gate non-linearities, peepholes, c_t and m_t of
//    H cells through a pipelined unit of elemwise_lanes lanes: ⌈H / lanes⌉ + elemwise_latency.
//  * Scheduler (lstm_cycles), per channel over T steps with S_x the input product W_x·x_t, S_r
//    the recurrent product W_r·y_{t−1} and E the element-wise phase:
//      serial     T · (S_x + S_r + E)
//      scheduled  S_x + T · S_r + (T − 1) · max(E, S_x) + E
//    S_x does not depend on the recurrence, so the PEs compute W_x·x_{t+1} while the element-wise
//    unit finishes step t; S_r must wait for y_{t−1}. An LSTM with a projection (Sak et al.
//    2014) runs W_proj·m_t as a separate FC layer "<node>/proj@t" after each step's element-wise
//    phase, so a step costs S_r + max(E, S_x) + S_p in steady state, its parts in two layers.
//  * Channels: the n_channels channels run the same weights in lockstep, one sample (speech
//    stream) each; a batch runs in ⌈batch / n_channels⌉ rounds. The weights are read once per
//    round and broadcast to the channels (one copy in block RAM; an assumption consistent
//    with the seed's 282 GOPS over 32 channels, see docs/hardware.md).
//  * Off chip: the compressed weights (entries × (weight_bits + index_bits) and one
//    pointer_bits pointer per PE per column) load once per layer unless
//    SimOptions::weights_on_chip; an LSTM projection's steps after the first reuse step 0's.
//    Inputs and outputs stream through double buffers under the compute (scheduled) or after
//    it (serial).
//
// Action keys (priced by configs/energy/ese-xcku060.yaml; shared names are hw/core/actions.h's):
//   mac              one multiply-accumulate (non-zeros and paddings), per sample
//   act_rw           one accumulator read-modify-write (one per MAC)
//   sb_read          one CSC entry read from the weight block RAM (once per round: shared)
//   ptr_read         one PE's column-pointer pair read (per column per PE, once per round)
//   act_queue_push   one activation pushed into one PE's queue (per column per PE per sample)
//   elemwise_cell    one cell's element-wise work for one step of one sample
//   pe_cycle         one PE clocked for one cycle (every channel's PEs, stalls included)
//   control_cycle    one cycle of the layer
//   nbin_fill / nbout_drain / sb_fill  one neuron-bits word in / out, one 64-bit weight line in
//
// Pure functions; thread-safe.
#pragma once

#include <cstdint>

#include "sieve/hw/archs/ese/spec.h"
#include "sieve/hw/core/csc.h"
#include "sieve/hw/core/stats.h"
#include "sieve/hw/core/workload.h"

namespace sieve::hw::ese_arch {

// One matrix × dense vector on one channel: columns [c0, c1) of the layout `c`.
struct SpmvCost {
  int64_t cycles = 0;    // 0 for an empty column range
  int64_t entries = 0;   // over the PEs: non-zeros + paddings (the MACs)
  int64_t paddings = 0;
  int64_t worst_pe = 0;  // entries of the busiest PE
  int64_t columns = 0;
  int64_t n_pe = 0;
  // Load imbalance: the busiest PE's entries over the mean PE's (1 when there are none).
  double imbalance() const;
};
SpmvCost spmv_cost(const EseSpec& spec, const CscCounts& c, int64_t c0, int64_t c1);

// The element-wise phase of one step of `hidden` cells: ⌈hidden / lanes⌉ + latency.
int64_t elemwise_cycles(const EseSpec& spec, int64_t hidden);

// The scheduler rule above: cycles of `steps` steps of the gate matrices on one channel.
int64_t lstm_cycles(int64_t sx, int64_t sr, int64_t e, int64_t steps, bool scheduled);

// An LSTM (gates) or FC layer for `batch` samples, as simulate() reports it.
LayerStats run_layer(const EseSpec& spec, const LayerWork& l, int64_t batch, bool scheduled,
                     bool load_weights);

}  // namespace sieve::hw::ese_arch
