// Code generation: a layer plan (plan.h) turned into a Sieve program (isa/isa.h), thesis §4.3.2
// "instruction generation". docs/compiler.md, "Code generation", is the long form.
//
// What the generator decides:
//   * DRAM layout. Each tensor of the layer (input, weights, codebook, partial sums, outputs,
//     LSTM gates and cell) is a region addressed through its own base register (r1..r7, set by
//     `sset` at the start of the layer's code). Inside it every segment the plan moves (an
//     input segment (oc, oh, ic, ow), a weight segment (oc, ic), a partial-sum or output segment
//     (oc, oh, ow)) has its own range, reserved at its dense size (plus its bit string when it
//     is stored encoded). An encoded segment (idx=1) moves its encoded length, which depends on
//     the data; `bytes` is what the buffer half can take (the smaller of the reservation and
//     the half).
//   * Placement and ping-pong halves. A load goes to the other half of its buffer than the
//     previous load of that buffer (a segment still on chip stays where it is); an output
//     segment gets a new NBout half when it starts and keeps it while the input-channel
//     segments accumulate into it (`mxv acc=1`). The codebook goes to LUT half 0 with the
//     first weight load.
//   * Instructions and their order. Per sub-operation: its loads (input, codebook, weights,
//     partial sums), one `mxv` (all its T_n-row groups × output pixels over its input columns;
//     flags from the mode), its stores (partial sums or outputs, through the Encoder when on).
//     Program order is software-pipelined in the thesis' N + 2 steps: step s holds the stores
//     of sub-op s - 2, the compute of s - 1 and the loads of s (in this order), so that the bundler (deps.h) can
//     issue them together where the dependences allow.
//   * Streamed pooling: per chunk of the plan (channels × output rows), a load, a `pmax` or
//     `pavg`, a store, pipelined the same way.
//   * LSTM (one step repeated): a loop over the T steps (`bnz` on a counter in r8, the input,
//     and output base registers advanced by `saddi`), each step the gate matrix's sub-ops, then
//     the cell update in chunks that fit an NBout half (the i, f, g, o gate rows and c_{t-1}
//     loaded, `lstm`, c_t and h_t stored). The loop head is a full barrier. The recurrence
//     (h_t into the next step's input) is not an instruction: the next step's input segment
//     is read from the input tensor's step t+1 (the host or the previous layer fills it).
//
// Errors are values naming the layer: a layer kind without code (other / element-wise layers),
// a pooling window or stride past its 4-bit field, a value past its field (validate()).
//
// Pure functions; thread-safe.
#pragma once

#include <array>
#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "sieve/compiler/codegen/deps.h"
#include "sieve/compiler/isa/isa.h"
#include "sieve/compiler/plan.h"
#include "sieve/compiler/workload.h"
#include "sieve/core/status.h"

namespace sieve::compiler::codegen {

// The datapath facts the generator needs, from the architecture's spec and mode.
struct Target {
  std::string arch = "sieve";
  int64_t tn = 16;  // output neurons (rows) a PE group computes: one `mxv` group
  int64_t neuron_bits = 16, psum_bits = 16;
  int64_t weight_bits = 16;   // stored bits of one weight (aligned code width, or 16)
  bool neuron_index = false;  // inputs stored as non-zeros + bit string (NSM reads NIBin)
  bool synapse_index = false; // weights stored as kept weights + bit string (SSM reads SIB)
  bool wdm = false;           // weights are local-quantization codes (WDM + LUT)
  bool encoder = false;       // outputs compressed by the Encoder as they are stored
  int64_t lut_bytes = 0;      // the layer's codebook, bytes (wdm; 0 = none)
  int64_t buffer_half[6] = {};  // bytes of one half of nbin, nibin, nbout, sb, sib, lut
};

enum class TensorId : uint8_t { kInput, kWeights, kCodebook, kPartialSums, kOutput, kGates, kCell };
inline constexpr int kTensors = 7;
const char* tensor_name(TensorId t);  // "input", "weights", "codebook", "psum", "output", ...
// The base register of a tensor: r1 + its index. r8 counts LSTM steps.
inline int base_register(TensorId t) {
  return 1 + static_cast<int>(t);
}
inline constexpr int kStepCounter = 8;

// One DRAM segment: what one load or store moves.
struct Segment {
  TensorId tensor = TensorId::kInput;
  int64_t offset = 0;  // from the tensor's base (within one LSTM step)
  int64_t bytes = 0;   // reserved
  // Which segment of the plan: tiled layers (oc, oh, ic, ow) as in SubOp (ic unused for
  // outputs and partial sums, oh/ow for weights); streamed pooling: oc = channel chunk,
  // oh = row chunk; LSTM cell update: oc = unit chunk (its h segment).
  int64_t oc = 0, oh = 0, ic = 0, ow = 0, part = 0;
  int64_t begin = 0, end = 0;  // LSTM h: the units [begin, end) of the chunk
};

struct Layout {
  std::array<int64_t, kTensors> base{};         // DRAM address of each tensor
  std::array<int64_t, kTensors> step_bytes{};   // bytes of one LSTM step (the whole tensor else)
  std::array<int64_t, kTensors> step_stride{};  // bytes between steps (0: not per step)
  std::vector<Segment> segments;
  int64_t end = 0;  // first DRAM byte after the layer's tensors
  // The segment starting at `offset` of tensor t (within a step); nullptr when none does.
  const Segment* find(TensorId t, int64_t offset) const;
  // The tensor whose base register is r; false when r is none.
  static bool tensor_of_register(int r, TensorId* t);

  // Where a `ld`/`st` with base register `base` and address `addr` points, with the registers
  // `regs` as its word sees them, in a layer whose loop runs `steps` steps: the tensor, the LSTM
  // step (0 when the tensor is not per step) and the offset within that step. Errors: a register
  // that is no tensor's base, a step outside [0, steps), an offset outside the tensor.
  struct Address {
    TensorId tensor = TensorId::kInput;
    int64_t step = 0, offset = 0;
  };
  Result<Address> resolve(int base, int64_t addr, const std::array<int64_t, 16>& regs,
                          int64_t steps) const;

  std::map<std::pair<int, int64_t>, size_t> index;  // (tensor, offset) -> segment
};

struct CompiledLayer {
  std::string layer;
  int64_t steps = 1;  // LSTM steps the loop runs (1 else)
  Layout layout;
  std::vector<Item> items;  // program order, before packing
  Packed packed;            // the words
  int64_t instructions() const { return static_cast<int64_t>(items.size()); }
};

struct CodegenOptions {
  bool multi_issue = true;  // false: one instruction a word (the single-issue ablation)
  int64_t dram_base = 0;    // where the layer's tensors start
};

// The code of one layer on `plan` (make_plan's, for this target's architecture). The program
// starts by setting the base registers and ends with `halt`.
Result<CompiledLayer> generate(const LayerWork& layer, const LayerPlan& plan, const Target& target,
                               const CodegenOptions& options = {});

// Several layers' code as one program, in order, each after a full barrier (a layer reads what
// the previous one stored); branch targets relocated. `halt` only at the end. first_word[i] is
// where layer i starts.
struct LinkedProgram {
  isa::Program program;
  std::vector<size_t> first_word;
  std::map<size_t, std::string> comments;
};
LinkedProgram link(const std::vector<CompiledLayer>& layers);

// The layout and counts as text, for `sieve compile -emit=plan` (after the plan's own text).
std::string layout_text(const CompiledLayer& c);

}  // namespace sieve::compiler::codegen
