// The Sieve accelerator's performance model: event-driven across sub-operations (thesis §5.1.2,
// SPEC §6), cycle-level inside each sub-operation's compute (NSM → SSM → PEFU on the tile's
// real masks and activations). Every constant comes from the Spec (configs/archs/sieve-65nm.yaml);
// there is no fitted utilisation.
//
// Mapping. The rows of a layer's 2-D weight view (output neurons / channels / LSTM gate rows)
// go in groups of T_n, one row per PE; a group never straddles a conv group or an output-channel
// segment. The group's synapse index S is the OR of its rows' masks (exact when pruning blocks
// span >= T_n aligned rows; finer masks cost the union). Each PE's SB holds, per group, the
// weights at the union positions at the aligned code width (4/8/16 bits; 16 when the WDM is
// off); the SIB holds one index bit per column per group, shared by the T_n PEs; codebooks
// (LUT entries, 16 bits each) are loaded once per layer with the first sub-operation.
//
// The walk (compute of one group on one input vector over columns [b, e)). Positions are scanned
// in order; one cycle covers positions [p, q) where q is the first of
//   * p + nsm_window (the NSM sees 16·T_m neurons a cycle from NBin/NIBin/SIB),
//   * the position of the (ssm_window + 1)-th stored weight (S bit) from p (the SSM reads
//     4·T_m weights a cycle from the SB),
//   * the position of the (pairs_per_cycle + 1)-th selected pair (N and S bits both set) from p
//     (the PEFU multiplies T_m pairs a cycle; NSM and SSM select 16),
//   * e;
// the next cycle starts at q. A window with nothing selected still costs its cycle (the NSM has
// to look at it); an empty range costs nothing. Modes put all-ones strings in place of the
// index that is off, so dense mode degenerates to ceil((e - b) / T_m) cycles. All T_n PEs of a
// group share the selected neurons and synapse flags (balanced load), so cycles(group, vector)
// is the walk length. Conv: one vector per output pixel, [c, ky, kx] over the group's input
// channels, padding = zero neuron; FC: one vector; LSTM: one vector [x_t; h_{t-1}] per timestep
// (a timestep is an FC pass; weights are not reused across timesteps because h_t depends on the
// whole previous step). ReLU and the gate nonlinearities run in the PEFU's nonlinear unit.
//
// Vector unit (Main Block FU, vector_lanes operations a cycle): pooling costs
// ceil(outputs × kh·kw / lanes) per tile whatever the sparsity (max/avg look at every window
// element); other element-wise layers ceil(outputs / lanes); the LSTM cell update 5 operations
// per hidden unit per timestep (c = f⊙c + i⊙g: 2 mul + 1 add; tanh(c); o⊙tanh(c)).
// Encoder: each output channel's rows of a stored segment are walked with window
// encoder_window and select encoder_select (non-zeros); it runs beside the PEs.
//
// Tiling. The compiler decides (compiler/plan.h, tiling.h): compiler::make_plan searches the
// tilings (output channels, rows, input channels; output columns too when an uncut input slab does
// not fit NBin) with half of each ping-pong buffer (NBin/2, NBout/2, SB/2) and the layer's measured
// densities: input density = non-zero fraction when the neuron index is on (else 1); weight
// density = union-stored fraction × aligned code bits / 16 (16-bit elements, as the thesis'
// formulas count them). This model supplies only two functions: `accept`, the index buffers'
// bound (NIBin half ≥ one bit per input position of the segment; SIB half ≥ one bit per weight
// column per T_n-row group), and `cost`, its estimate of a tiling's time,
//   max(traffic / load bandwidth + sub-ops × t_start, groups × pixels × ic segments ×
//       ceil(segment columns / rate)),
// rate = positions the walk advances a cycle at the average densities (traffic alone would cut
// a 4096-wide FC layer into 64-column slices whose walks restart at every slice).
// compiler::sub_ops gives the execution order (column segment outermost). Each sub-operation
// then counts EXACT bytes from the masks and activations in its ranges:
//   input      neuron index on: non-zeros × neuron_bits/8 + positions/8 (bit string);
//              off: positions × neuron_bits/8 (padding is generated on chip, never loaded);
//              whole input rows, or with a column cut the columns the segment reads
//   weights    per group: rows × union-stored × aligned bits/8 + columns/8 (index); dense
//              weights: rows × columns × 2 B; SimOptions::dense_weight_traffic loads the dense
//              form while computing sparse; SimOptions::weights_on_chip loads none
//   psums      psum_bits/8 per output element, stored and reloaded across input segments
//   outputs    Encoder on: non-zeros × neuron_bits/8 + positions/8; off: positions × 2 B
// Load i = load_cycles(bytes), Store i = store_cycles(bytes), Compute i = max(Σ walks over
// (groups in the oc segment) × (pixels in the oh, ow segments) on the ic segment's columns, vector
// events, Encoder); hw::schedule_steps gives the layer time (N + 2 steps). Batch: samples run one
// after another, each with its own tiles (no weight reuse across samples); per-layer numbers are
// totals over the batch.
//
// Action keys (one count = the whole module busy one cycle; configs/energy/sieve-65nm.yaml
// prices each at its thesis Table 5.1 power / 1 GHz; buffer and control names are the shared
// vocabulary of hw/core/actions.h):
//   nbin_read     walk cycles;  nbin_fill   input bytes loaded / NBin width (nsm_window neurons)
//   nibin_read    walk cycles with the neuron index on;  nibin_fill  index bytes loaded / width
//   sib_read      walk cycles with the synapse index on;  sib_fill  index bytes loaded / width
//   sb_read       walk cycles;  sb_fill  weight bytes loaded / SB width (T_n × ssm_window × 16 bit)
//   nbout_access  one per (group, vector, ic segment) result written, one more per partial sum
//                 read back; + vector-unit cycles
//   nbout_fill    partial-sum bytes reloaded / NBout width
//   nbout_drain   partial-sum and output bytes (and the Encoder's index) stored / NBout width
//   control_cycle every cycle of the layer (the CP)
//   nsm_cycle, ssm_cycle, wdm_cycle   walk cycles while that module is on
//   pefu_cycle    walk cycles
//   encoder_cycle Encoder cycles (when on)
//   vector_cycle  vector-unit cycles (pooling, element-wise, LSTM cell update)
//
// Pure functions; thread-safe.
#pragma once

#include <cstdint>

#include "sieve/compiler/codegen/codegen.h"
#include "sieve/compiler/plan.h"
#include "sieve/core/status.h"
#include "sieve/hw/archs/sieve/spec.h"
#include "sieve/hw/core/arch.h"
#include "sieve/hw/core/program_timing.h"
#include "sieve/hw/core/stats.h"
#include "sieve/hw/core/workload.h"

namespace sieve::hw::sieve_arch {

struct WalkLimits {
  int64_t window = 256;  // positions per cycle (NSM)
  int64_t stored = 64;   // stored weights (S bits) per cycle (SSM)
  int64_t pairs = 16;    // selected pairs (N and S bits) per cycle (PEFU)
};

struct WalkResult {
  int64_t cycles = 0;
  int64_t stored = 0;  // S bits in the range
  int64_t pairs = 0;   // N and S bits in the range (multiplications per PE)
};

// The walk over positions [b, e) of the bit strings s (synapse index) and n (neuron index), bit
// i = word i/64, bit i%64; nullptr stands for all ones. Limits must be >= 1.
WalkResult walk(const uint64_t* s, const uint64_t* n, int64_t b, int64_t e, const WalkLimits& l);

// Index (0..63) of the k-th (0-based) set bit of w; k < popcount(w). select_bit (and walk) use
// BMI2 PDEP when the CPU has it (checked at run time through core/cpu.h, so SIEVE_ISA=generic
// turns it off), else the portable byte-table version; both give the same answers.
int select_bit(uint64_t w, int k);
int select_bit_portable(uint64_t w, int k);
// The PDEP version, callable only when select_bit_pdep_available() (the CPU has BMI2, whatever
// SIEVE_ISA says); lets a test compare both versions on one machine.
bool select_bit_pdep_available();
int select_bit_pdep(uint64_t w, int k);
// Whether select_bit and walk use PDEP in this process.
bool select_bit_uses_pdep();

// Limits of the matrix walk in a mode: window nsm_window, stored ssm_window, pairs
// pairs_per_cycle().
WalkLimits matrix_limits(const Spec& spec);

// The plan of one layer in `mode` (compiler/plan.h): Sieve's buffers (spec.buffer_model()), its
// mapping rules (conv groups side by side, LSTM one step at a time, pooling and element-wise
// layers streamed through the vector unit), its index model (NIBin: a bit per input position
// when the neuron index is on; SIB: a bit per weight column per T_n-row group when the synapse
// index is on) and its estimate of time as the cost (see "Tiling" above).
Result<compiler::LayerPlan> plan_layer(const Spec& spec, Mode mode, const SimOptions& opt,
                                       const LayerWork& layer);

// One layer over all samples of its workload, on `plan` (plan_layer's).
Result<LayerStats> simulate_layer(const Spec& spec, Mode mode, const SimOptions& opt,
                                  const LayerWork& layer, const compiler::LayerPlan& plan,
                                  int64_t batch);

// The same layer driven by its program (compiler/codegen/codegen.h, generated for this layer,
// plan, mode and spec): the instruction stream is timed by hw::time_program
// (hw/core/program_timing.h), each instruction costing what this model counts for the segment or
// cell it names (bytes of the segment a load or store moves, walk cycles of the cell an `mxv`
// computes, Encoder cycles with `enc`, vector cycles of a pooling chunk or an LSTM cell-update
// chunk). Every count but the cycles (and control_cycle, which follows them) is the plan-driven
// one. Refused with weights on chip or dense weight traffic (the program moves the preset's own
// weights).
Result<LayerStats> simulate_layer_program(const Spec& spec, Mode mode, const SimOptions& opt,
                                          const LayerWork& layer, const compiler::LayerPlan& plan,
                                          const compiler::codegen::CompiledLayer& code,
                                          int64_t batch, IssueMode issue);

// What the code generator needs of Sieve for a layer in a mode: T_n, the bit widths, the mode's
// switches (index buffers, WDM, Encoder), the codebook bytes and the buffer halves.
compiler::codegen::Target codegen_target(const Spec& spec, Mode mode, const LayerWork& layer);

}  // namespace sieve::hw::sieve_arch
