// The program executor: the functional model of the Sieve accelerator driven by the generated
// programs (compiler/codegen/codegen.h) instead of by whole layers. Each matrix, pooling and
// LSTM layer's program runs instruction by instruction over real data, and the outputs equal
// the fixed-point reference (runtime/fixed16, engine `ref-fixed16`) bit for bit, as
// run_functional's do. docs/compiler.md, "Executing programs", is the long form.
//
// The machine state, at the granularity of the plan's segments:
//   * DRAM. Each tensor of the layer's Layout is modelled by what was put there: the input (the
//     layer's input activations, placed by the host or the previous layer; an LSTM step's input
//     [x_t; r_{t-1}] takes r_{t-1} from the h_{t-1} the program stored at step t-1, through the
//     projection layer's own program when the LSTM has one), the weights and codebook (the
//     compressed layer), partial sums, outputs, LSTM gates and cell (what the program stored;
//     the cell starts at zero). An address is a tensor (its base register) and an offset, which
//     must be a segment of the Layout (input, weights, psum, output) or an element of the dense
//     gates and cell tensors; the LSTM step comes from the per-step base registers.
//   * Buffer halves. `ld` puts the DRAM segment it names into the half it names (NBin: the
//     segment's input positions; SB: the segment's weights as the PE array holds them, decoded
//     once per layer; NBout: a partial-sum segment, or gate and cell elements at `off`; LUT: the
//     codebook). What an instruction computes on is whatever its halves hold.
//   * `mxv` computes the tile its halves name: the weight segment's rows × the input segment's
//     output pixels × the weight segment's input columns (checked against the operands col,
//     cols, groups, vecs), through datapath.h's NSM → SSM → WDM → PEFU. With acc=0 the
//     accumulators start at the bias (the bias enters with the first input-channel segment
//     of an output segment, as the PEFU's accumulator starts at it in run_functional); with
//     acc=1 they add to the partial sums the NBout half holds, which must be the same output
//     segment (oc, oh, ow) and LSTM step.
//   * `st` of a partial-sum segment keeps the exact int64 accumulators (and which input columns
//     they hold). The performance model charges psum_bits (16) per partial sum for the traffic,
//     as the thesis' formulas do; an exact accumulator is what keeps the result bit-exact (the
//     reference rounds once, at the end). `st` of an output segment is the PEFU's function
//     stage: requantization to the output's Q format, then the activation (ReLU when the layer's
//     only reader is a Relu, as run_functional fuses it); the accumulated columns must then be
//     exactly the layer's, once each. LSTM gate rows are stored as accumulators too.
//   * `pmax` / `pavg` pool the chunk NBin half `src` holds into NBout half `dst` with the
//     reference's kernels (fixed16::max_pool, average_pool); `lstm` runs fixed16::lstm_pointwise
//     unit by unit on the gate and cell elements its NBout half holds; `sset`, `saddi`, `sadd`,
//     `smul`, `jmp`, `bnz`, `halt` are control; `sync` changes nothing (a word's instructions take
//     effect in slot order when it issues, which the packer's dependence rules make equal to the
//     program order).
//
// Errors are values naming the layer, the word and the instruction: an instruction whose half
// holds no segment or the wrong kind of one, an `mxv` whose input and weight segments disagree
// or whose operands do not match them, acc=1 on another output segment, an input position the
// resident input segment does not hold, an address that is no segment, a partial sum loaded
// before it was stored, an output stored before all its input columns were accumulated, an
// output segment never stored at `halt`, a program that runs off its end.
//
// Ops without code (shape ops, Relu not fused, Softmax, ...) run as run_functional runs them.
//
// Thread-safety: pure functions of their arguments.
#pragma once

#include <cstdint>
#include <map>
#include <string>

#include "sieve/compiler/codegen/codegen.h"
#include "sieve/compiler/plan.h"
#include "sieve/compiler/workload.h"
#include "sieve/compress/model.h"
#include "sieve/core/status.h"
#include "sieve/core/tensor.h"
#include "sieve/hw/archs/sieve/functional.h"
#include "sieve/hw/archs/sieve/spec.h"
#include "sieve/runtime/fixed16/fixed16.h"

namespace sieve::hw::sieve_arch {

// One layer's program with what it was generated from.
struct LayerProgram {
  compiler::LayerWork work;
  compiler::LayerPlan plan;
  compiler::codegen::CompiledLayer code;
};

// The programs of a model's layers by workload layer name: the graph node's name, and for an
// LSTM's projection "<node>/proj" (one step) or "<node>/proj@t".
struct ModelPrograms {
  std::map<std::string, LayerProgram> layers;
};

// Plans (plan_layer) and generates (codegen_target) the program of every layer of `w` in
// `mode`, one instruction a word unless multi_issue; layer i's tensors after layer i-1's.
Result<ModelPrograms> compile_programs(const Spec& spec, Mode mode, const compiler::Workload& w,
                                       bool multi_issue);

struct ProgramExecOptions {
  Mode mode = Mode::kSparse;
  bool multi_issue = true;
  runtime::fixed16::Options fixed;
  int64_t max_words = int64_t{1} << 32;  // per program run: a program that does not halt
};

struct ProgramExecStats {
  FunctionalStats datapath;  // the blocks' counts, as run_functional's
  int64_t runs = 0;          // program runs (one per layer per sample)
  int64_t words = 0;         // words issued (a loop's words once per iteration)
  int64_t instructions = 0;  // instructions executed
  int64_t loads = 0, stores = 0, mxv = 0, vector_ops = 0;
};

// Runs `model` on `input` (f32, the graph input's shape with any batch size) with every
// matrix, pooling and LSTM layer executed by its program in `programs` (compile_programs' for
// this model; a layer without one is an error). Returns what run_functional returns; `hook`
// sees every activation value.
Result<Tensor> run_functional_program(const compress::CompressedModel& model, const Tensor& input,
                                      const Spec& spec, const ModelPrograms& programs,
                                      const ProgramExecOptions& options = {},
                                      const runtime::fixed16::ValueHook& hook = {},
                                      ProgramExecStats* stats = nullptr);

// The same with the programs compiled here, from the model's workload with dense synthetic
// activations (the plans do not depend on the data except through densities).
Result<Tensor> run_functional_program(const compress::CompressedModel& model, const Tensor& input,
                                      const Spec& spec, const ProgramExecOptions& options = {},
                                      const runtime::fixed16::ValueHook& hook = {},
                                      ProgramExecStats* stats = nullptr);

}  // namespace sieve::hw::sieve_arch
