// The one interface every accelerator model implements, and the registry (hw/archs.def).
//
// An architecture is built from a validated preset (configs/archs/<preset>.yaml, whose `arch:`
// names the model) plus `-p key=value` overrides, and simulates a Workload into per-layer
// statistics (hw/core/stats.h). Energy is not computed here: see hw/energy/energy.h.
//
// simulate() plans each layer (plan()) and runs that plan (run_layer()), so every number an
// architecture reports comes from the plan `sieve tile` and `sieve simulate --emit plan` print.
//
// Adding an architecture: a folder src/sieve/hw/archs/<name>/ with a create function, a preset
// in configs/archs/, an energy table in configs/energy/, and one SIEVE_ARCH line in archs.def.
//
// Accelerator objects are immutable after creation; simulate() is const and thread-safe.
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "sieve/compiler/plan.h"
#include "sieve/compress/model.h"
#include "sieve/core/status.h"
#include "sieve/core/tensor.h"
#include "sieve/compiler/codegen/codegen.h"
#include "sieve/hw/core/memo.h"
#include "sieve/hw/core/params.h"
#include "sieve/hw/core/program_timing.h"
#include "sieve/hw/core/stats.h"
#include "sieve/hw/core/workload.h"

namespace sieve::hw {

struct SimOptions {
  // Operating mode; "" = the architecture's default (its first entry in modes()). The Sieve
  // design's modes switch its modules on and off: "sparse" (NSM + SSM + WDM + Encoder),
  // "dense" (ACC-dense), "weight-sparse", "neuron-sparse", and "no-quant" (WDM off: 16-bit
  // weights).
  std::string mode;
  // Sieve's thesis §5.3.4 / Table 5.2 setting: every weight already on chip (no weight loads).
  bool weights_on_chip = false;
  // For the thesis' speedup decomposition (§5.3.2: 4.32× = 2.06× × 1.44× × 1.46×): exploit
  // sparsity in compute only, loading weights as if dense 16-bit with no index. Models that do
  // not compress weights ignore it.
  bool dense_weight_traffic = false;
  // Optional (hw/core/memo.h): results shared by the simulations of one workload, computed once
  // per plan (a sweep keeps one per workload). Null: none. Changes no number.
  std::shared_ptr<SimMemo> memo;
};

class Accelerator {
 public:
  virtual ~Accelerator() = default;
  virtual std::string arch() const = 0;                // e.g. "sieve"
  virtual std::vector<std::string> modes() const = 0;  // first = default
  // The mode `o` asks for: o.mode, or modes().front() when empty. One modes() does not list is
  // refused: "<arch>: unknown mode \"x\"; known: a, b".
  Result<std::string> resolve_mode(const SimOptions& o) const;
  virtual int64_t multipliers() const = 0;
  virtual double freq_ghz() const = 0;
  // The engines this model offers besides performance: "functional" when it also computes the
  // outputs (run_functional; `sieve run --engine <arch>-functional`). Default: none.
  virtual std::vector<std::string> engines() const { return {}; }
  // The functional engine: the compressed model run on `input` (a batch) as the hardware
  // computes it, bit for bit; its event counts are added to `counters` (when given). Refused
  // when engines() has no "functional".
  virtual Result<Tensor> run_functional(const compress::CompressedModel& model, const Tensor& input,
                                        std::map<std::string, int64_t>* counters) const;

  // The functional engine driven by programs: a runner that executes each layer's program
  // (compile()'s, on the plans of `w` in the mode of `o`, packed for `issue`) instruction by
  // instruction over the model's data, bit for bit like run_functional (Sieve:
  // archs/sieve/program_exec.h). The programs are generated here, once; the runner (called with
  // the same model, a batch at a time) adds its event counts to `counters`. Default: refused.
  using ProgramRunner = std::function<Result<Tensor>(
      const compress::CompressedModel& model, const Tensor& input,
      std::map<std::string, int64_t>* counters)>;
  virtual Result<ProgramRunner> functional_program(const Workload& w, const SimOptions& o,
                                                   IssueMode issue) const;

  // The plan of one layer: the compiler's make_plan (compiler/plan.h) under this
  // architecture's buffer model, mapping rules, index model and cost, in the mode and setting of
  // `o`. `sieve tile` prints it; simulate() runs exactly it.
  virtual Result<compiler::LayerPlan> plan(const LayerWork& layer, const SimOptions& o) const = 0;

  // Why this design cannot run `layer` in the setting of `o`, or "" when it can (the default:
  // every layer). A design that runs only some layer kinds (EIE: FC layers) or only layers
  // that fit its storage says so here, per layer, with the reason a user reads; simulate()
  // then records the layer as unsupported (LayerStats::unsupported) instead of planning and
  // running it, and plan_workload / `sieve tile` list it with its reason. plan() and
  // run_layer() are never called on such a layer.
  virtual std::string unsupported(const LayerWork& layer, const SimOptions& o) const;

  // Every layer of `w`, in order: plan(), then run_layer() on that plan; a layer the design
  // cannot run (unsupported()) is recorded with its reason and no numbers.
  Result<SimResult> simulate(const Workload& w, const SimOptions& o) const;

  // The program of one layer on its plan (compiler/codegen/codegen.h), in the mode of `o`.
  // Default: refused, naming the architecture ("has no code generator").
  virtual Result<compiler::codegen::CompiledLayer> compile(
      const LayerWork& layer, const compiler::LayerPlan& plan, const SimOptions& o,
      const compiler::codegen::CodegenOptions& c) const;
  // simulate() driven by programs: every layer planned, compiled (one instruction a word for
  // single issue) and its program run on the model (program_timing.h). Refused where compile()
  // is.
  Result<SimResult> simulate_programs(const Workload& w, const SimOptions& o,
                                      IssueMode issue) const;

 protected:
  // The result's header for workload `w` in mode `o.mode` (an unknown mode is refused here,
  // naming the known ones).
  virtual Result<SimResult> begin(const Workload& w, const SimOptions& o) const = 0;
  // One layer on its plan, all `batch` samples of the workload.
  virtual Result<LayerStats> run_layer(const LayerWork& layer, const compiler::LayerPlan& plan,
                                       const SimOptions& o, int64_t batch) const = 0;
  // One layer driven by its program (compile()'s for this plan). Default: refused.
  virtual Result<LayerStats> run_layer_program(const LayerWork& layer,
                                               const compiler::LayerPlan& plan,
                                               const compiler::codegen::CompiledLayer& code,
                                               const SimOptions& o, int64_t batch,
                                               IssueMode issue) const;

 public:
  const ParamSet& params() const { return params_; }
  void set_params(ParamSet p) { params_ = std::move(p); }

 private:
  ParamSet params_;
};

using CreateFn = Result<std::unique_ptr<Accelerator>> (*)(const ParamSet&);

struct ArchInfo {
  std::string name;            // CLI name: "sieve", "cambricon-x"
  std::string default_preset;  // "sieve-65nm"
  std::string description;
  CreateFn create;
};

const std::vector<ArchInfo>& archs();  // from archs.def, in list order

// `name` is an arch name (its default preset) or a preset file stem in configs/archs, or a path
// to a .yaml preset. Unknown names are refused listing the known archs and presets.
Result<std::unique_ptr<Accelerator>> make_accelerator(const std::string& name,
                                                      const std::vector<std::string>& overrides);
// The preset `name` stands for (as make_accelerator resolves it), read and checked but not yet
// built into a model: for callers that build many models from one preset (`sieve sweep`).
Result<ParamSet> read_preset(const std::string& name);
// The same from a parsed preset (parse_params; its `file` names it in errors): `overrides`
// applied, then the model its `arch:` names created, which checks every parameter's range and
// refuses unused ones.
Result<std::unique_ptr<Accelerator>> make_accelerator_from(
    ParamSet ps, const std::vector<std::string>& overrides);

}  // namespace sieve::hw
