// The Sieve accelerator as an hw::Accelerator: a validated Spec plus the performance model of
// perf.h. Immutable after creation; simulate() is const and thread-safe.
#include <algorithm>
#include <filesystem>
#include <memory>

#include "sieve/hw/archs/archs.h"
#include "sieve/hw/archs/sieve/functional.h"
#include "sieve/hw/archs/sieve/perf.h"
#include "sieve/hw/archs/sieve/program_exec.h"
#include "sieve/hw/archs/sieve/spec.h"

namespace sieve::hw::sieve_arch {
namespace {

class SieveAccelerator final : public Accelerator {
 public:
  SieveAccelerator(Spec spec, std::string preset) : spec_(spec), preset_(std::move(preset)) {}
  std::string arch() const override { return "sieve"; }
  std::vector<std::string> modes() const override { return mode_names(); }
  int64_t multipliers() const override { return spec_.tn * spec_.tm; }
  double freq_ghz() const override { return spec_.freq_ghz; }
  std::vector<std::string> engines() const override { return {"functional"}; }
  Result<Tensor> run_functional(const compress::CompressedModel& model, const Tensor& input,
                                std::map<std::string, int64_t>* counters) const override {
    FunctionalStats st;
    SIEVE_ASSIGN_OR_RETURN(Tensor y, sieve_arch::run_functional(model, input, {}, {}, &st));
    if (counters != nullptr) {
      (*counters)["nsm_selections"] += st.nsm_selections;
      (*counters)["selected"] += st.selected;
      (*counters)["multiplies"] += st.multiplies;
      (*counters)["pefu_cycles"] += st.pefu_cycles;
      (*counters)["encoded"] += st.encoded;
      (*counters)["encoded_nonzero"] += st.encoded_nonzero;
    }
    return y;
  }

  Result<ProgramRunner> functional_program(const Workload& w, const SimOptions& o,
                                           IssueMode issue) const override {
    SIEVE_ASSIGN_OR_RETURN(Mode mode, parse_mode(o.mode));
    if (o.weights_on_chip || o.dense_weight_traffic)
      return invalid_argument("sieve: programs are generated for the preset's own weight "
                              "traffic; --weights-on-chip has no program to execute");
    SIEVE_ASSIGN_OR_RETURN(ModelPrograms p,
                           compile_programs(spec_, mode, w, issue == IssueMode::kMulti));
    auto programs = std::make_shared<const ModelPrograms>(std::move(p));
    ProgramExecOptions po;
    po.mode = mode;
    po.multi_issue = issue == IssueMode::kMulti;
    const Spec spec = spec_;
    return ProgramRunner([programs, po, spec](const compress::CompressedModel& model,
                                              const Tensor& input,
                                              std::map<std::string, int64_t>* counters)
                             -> Result<Tensor> {
      ProgramExecStats st;
      SIEVE_ASSIGN_OR_RETURN(Tensor y,
                             run_functional_program(model, input, spec, *programs, po, {}, &st));
      if (counters != nullptr) {
        (*counters)["nsm_selections"] += st.datapath.nsm_selections;
        (*counters)["selected"] += st.datapath.selected;
        (*counters)["multiplies"] += st.datapath.multiplies;
        (*counters)["pefu_cycles"] += st.datapath.pefu_cycles;
        (*counters)["encoded"] += st.datapath.encoded;
        (*counters)["encoded_nonzero"] += st.datapath.encoded_nonzero;
        (*counters)["program_runs"] += st.runs;
        (*counters)["words_issued"] += st.words;
        (*counters)["instructions"] += st.instructions;
        (*counters)["loads"] += st.loads;
        (*counters)["stores"] += st.stores;
        (*counters)["mxv"] += st.mxv;
        (*counters)["vector_ops"] += st.vector_ops;
      }
      return y;
    });
  }

  Result<compiler::LayerPlan> plan(const LayerWork& l, const SimOptions& o) const override {
    SIEVE_ASSIGN_OR_RETURN(Mode mode, parse_mode(o.mode));
    return plan_layer(spec_, mode, o, l);
  }

  Result<compiler::codegen::CompiledLayer> compile(
      const LayerWork& l, const compiler::LayerPlan& p, const SimOptions& o,
      const compiler::codegen::CodegenOptions& c) const override {
    SIEVE_ASSIGN_OR_RETURN(Mode mode, parse_mode(o.mode));
    if (o.weights_on_chip)
      return invalid_argument("sieve: layer {}: no code with --weights-on-chip (the program "
                              "loads the weights)",
                              l.name);
    return compiler::codegen::generate(l, p, codegen_target(spec_, mode, l), c);
  }

 protected:
  Result<SimResult> begin(const Workload& w, const SimOptions& o) const override {
    SIEVE_ASSIGN_OR_RETURN(Mode mode, parse_mode(o.mode));
    SimResult r;
    r.arch = "sieve";
    r.preset = preset_;
    r.mode = mode_name(mode);
    r.model = w.model;
    r.freq_ghz = spec_.freq_ghz;
    r.batch = std::max<int64_t>(1, w.batch);
    r.multipliers = spec_.tn * spec_.tm;
    return r;
  }
  Result<LayerStats> run_layer(const LayerWork& l, const compiler::LayerPlan& p,
                               const SimOptions& o, int64_t batch) const override {
    SIEVE_ASSIGN_OR_RETURN(Mode mode, parse_mode(o.mode));
    return simulate_layer(spec_, mode, o, l, p, batch);
  }
  Result<LayerStats> run_layer_program(const LayerWork& l, const compiler::LayerPlan& p,
                                       const compiler::codegen::CompiledLayer& code,
                                       const SimOptions& o, int64_t batch,
                                       IssueMode issue) const override {
    SIEVE_ASSIGN_OR_RETURN(Mode mode, parse_mode(o.mode));
    return simulate_layer_program(spec_, mode, o, l, p, code, batch, issue);
  }

 private:
  Spec spec_;
  std::string preset_;
};

}  // namespace

Result<std::unique_ptr<Accelerator>> create(const ParamSet& params) {
  SIEVE_ASSIGN_OR_RETURN(Spec spec, parse_spec(params));
  std::unique_ptr<Accelerator> acc =
      std::make_unique<SieveAccelerator>(spec, std::filesystem::path(params.file).stem().string());
  acc->set_params(params);
  return acc;
}

}  // namespace sieve::hw::sieve_arch
