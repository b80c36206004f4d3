// The library API of the thesis' programming model (§4.3.1, code 4.1; docs/api.md): describe a
// network layer by layer with descriptors (descriptors.h), then build its program for an
// accelerator and simulate it.
//
//   api::Network net("lenet");
//   auto x  = api::TensorDescriptor::nchw("data", 1, 1, 28, 28);
//   auto w  = api::FilterDescriptor::conv("conv1.w", 20, 1, 5, 5).sparse_blocks(0.11, {16, 1, 1, 1});
//   auto y  = api::TensorDescriptor::nchw("conv1.y", 1, 20, 24, 24);
//   Status s = api::ConvForward(net, "conv1", api::ConvDescriptor{}, x, w, y);
//   ...
//   Result<api::BuiltProgram> p = api::build(net, {.arch = "sieve"});
//   Result<hw::SimReport> r = api::simulate(*p);
//
// The calls. Each appends one layer to the network and checks its descriptors against each
// other and against the layer before it; a refused call leaves the network as it was and its
// error names the call, the layer, the descriptor, the field and the value ("ConvForward conv2:
// filter \"conv2.w\" in_channels 10 does not match input tensor \"pool1.y\" channels 20").
//   * The layers form a chain: a layer's input is the previous layer's output (the same shape,
//     bits, sparse attribute, density and address); the first layer's input is the network's.
//     An inner product may read its input flattened (a vector of C·H·W).
//   * Every tensor of a network has the same N (the samples; the program is one sample's, the
//     simulation runs N).
//   * ActivationForward adds no code: the PEFU's nonlinear unit applies it as the previous
//     layer's outputs are written (thesis §4.2.1), as the simulators model it. It runs in place
//     (its output's address is its input's) and may change the density (ReLU makes zeros).
//   * LstmStep: one LSTM layer, `steps` steps of one step's code in a loop (the thesis models the
//     LSTM layer alone, Table 3.3): it must be the network's only layer.
//   * Layer names: letters, digits, '_' and '-', unique in the network, not "input" (the graph's
//     input); a weight drawn for layer
//     L is named "L.weight" (LSTM: "L.W", "L.R"), as the zoo names them, so a layer declared like
//     a thesis benchmark's layer gets the benchmark's mask for the same seed.
//
// Building. workload() turns the network into the compiler's workload (compiler/workload.h):
// an IR graph of the declared layers, their weights drawn at the declared block density
// (hw::draw_thesis_layer, as the thesis benchmarks), activations drawn at the declared densities
// (build_workload, seeded). build() then runs the same compiler as `sieve compile`
// (hw::compile_workload: the architecture's plans, code generation, linking) and places the
// tensors with a declared address there (the input, weights and output base registers of their
// layers); the others are laid out after every declared one. Two declared tensors that overlap
// are refused naming both. An architecture without a code generator (diannao, cambricon-x) is
// refused naming it. simulate() runs the architecture's performance model driven by the
// programs (or by the plans); cycles do not depend on addresses.
//
// Value types; thread-safe for distinct networks (a Network is not synchronised).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "sieve/api/descriptors.h"
#include "sieve/compiler/codegen/codegen.h"
#include "sieve/compiler/plan.h"
#include "sieve/core/status.h"
#include "sieve/hw/core/workload.h"
#include "sieve/hw/sim/run.h"

namespace sieve::api {

enum class LayerOp { kConv, kInnerProduct, kPooling, kActivation, kLstm };
const char* layer_op_name(LayerOp op);  // "ConvForward", "InnerProductForward", ...

// One recorded call.
struct LayerCall {
  LayerOp op = LayerOp::kConv;
  std::string name;
  TensorDescriptor x, y;
  FilterDescriptor w;  // conv, inner product, LSTM
  ConvDescriptor conv;
  PoolingDescriptor pool;
  ActivationDescriptor activation;
  LstmDescriptor lstm;
};

namespace detail {
struct NetworkAccess;  // api.cc: the calls append through it, after their checks
}  // namespace detail

// The handle: a network being described. Only the calls add layers.
class Network {
 public:
  explicit Network(std::string name = "network", uint64_t seed = 1)
      : name_(std::move(name)), seed_(seed) {}
  const std::string& name() const { return name_; }
  uint64_t seed() const { return seed_; }  // masks and activation bits
  const std::vector<LayerCall>& calls() const { return calls_; }

 private:
  friend struct detail::NetworkAccess;
  std::string name_;
  uint64_t seed_ = 1;
  std::vector<LayerCall> calls_;
};

// The thesis' ConvForward(conv, input, weight, output), on the network `net`.
Status ConvForward(Network& net, const std::string& layer, const ConvDescriptor& conv,
                   const TensorDescriptor& x, const FilterDescriptor& w,
                   const TensorDescriptor& y);
// y = W·x (x flattened when it is N×C×H×W).
Status InnerProductForward(Network& net, const std::string& layer, const TensorDescriptor& x,
                           const FilterDescriptor& w, const TensorDescriptor& y);
Status PoolingForward(Network& net, const std::string& layer, const PoolingDescriptor& pool,
                      const TensorDescriptor& x, const TensorDescriptor& y);
Status ActivationForward(Network& net, const std::string& layer,
                         const ActivationDescriptor& activation, const TensorDescriptor& x,
                         const TensorDescriptor& y);
// x: one step's input (a vector of lstm.input), w: FilterDescriptor::lstm(input, hidden),
// y: one step's output h_t (a vector of lstm.hidden); lstm.steps steps.
Status LstmStep(Network& net, const std::string& layer, const LstmDescriptor& lstm,
                const TensorDescriptor& x, const FilterDescriptor& w, const TensorDescriptor& y);

// The network as the compiler's workload: one layer per call but the activations, named as the
// calls; N samples.
Result<hw::Workload> workload(const Network& net);

struct BuildOptions {
  std::string arch = "sieve";           // arch name, preset stem (configs/archs) or .yaml path
  std::vector<std::string> overrides;   // "key=value" over the preset
  std::string mode;                     // "" = the architecture's default
  bool multi_issue = true;              // false: one instruction a word (the ablation)
};

struct BuiltProgram {
  std::string network, arch, preset, mode;
  BuildOptions options;
  hw::Workload workload;
  std::vector<compiler::LayerPlan> plans;               // one per workload layer
  std::vector<compiler::codegen::CompiledLayer> code;   // one per workload layer
  compiler::codegen::LinkedProgram linked;              // the whole program
  size_t words() const { return linked.program.words.size(); }
  std::string assembly() const;  // isa::disassemble with the layers' comments
  std::string binary() const;    // isa::encode (docs/formats/isa.md)
};

// The program of `net` on an architecture. Errors: an empty network, an architecture without
// a code generator (named), a layer no tiling fits (named by the planner), overlapping declared
// addresses (both tensors named).
Result<BuiltProgram> build(const Network& net, const BuildOptions& options = {});

// A few lines per layer: kind, words, instructions, syncs, the reuse and tiling of its plan,
// the DRAM addresses of its input, weights and output; then the instruction count per
// mnemonic.
std::string summary(const BuiltProgram& p);

// The architecture's performance model on the built network (its workload, options and mode):
// driven by the programs (program_driven, the default) or by the plans. Energy from the
// preset's energy table.
Result<hw::SimReport> simulate(const BuiltProgram& p, bool program_driven = true);

}  // namespace sieve::api
