// SCNN (Parashar et al., ISCA 2017) behind the Accelerator interface, and its dense twin DCNN /
// DCNN-opt (archs/dcnn/create.cc, the same model with the dense dot-product dataflow).
// Mechanics and action keys: perf.h; plan: compiler/plan.h; event steps:
// hw/core/tiled_driver.h.
#include "sieve/hw/archs/scnn/create.h"

#include "sieve/hw/archs/archs.h"
#include "sieve/hw/archs/scnn/perf.h"

namespace sieve::hw::scnn_arch {
namespace {

class Scnn : public Accelerator {
 public:
  Scnn(ScnnSpec spec, std::string name, std::string mode)
      : spec_(spec), name_(std::move(name)), mode_(std::move(mode)) {}
  std::string arch() const override { return name_; }
  std::vector<std::string> modes() const override { return {mode_}; }
  int64_t multipliers() const override { return spec_.multipliers(); }
  double freq_ghz() const override { return spec_.freq_ghz; }

  Result<compiler::LayerPlan> plan(const LayerWork& l, const SimOptions& o) const override {
    SIEVE_RETURN_IF_ERROR(check_mode(o));
    const ScnnLayer model(spec_, l);
    compiler::PlanRequest req = plan_request(spec_, model, l);
    if (l.kind != LayerKind::kPool) req.weight_ratio = model.weight_density();
    Result<compiler::LayerPlan> p = compiler::make_plan(l, req);
    if (p.ok()) return p;
    // No whole-plane tiling fits the accumulators and the FIFO: the layer is planned without
    // the dataflow's filter (rows cut as the buffers allow), and the model runs its ranges.
    req.accept = nullptr;
    return compiler::make_plan(l, req);
  }

 protected:
  Result<SimResult> begin(const Workload& w, const SimOptions& o) const override {
    SIEVE_RETURN_IF_ERROR(check_mode(o));
    return result_header(*this, w, mode_);
  }
  Result<LayerStats> run_layer(const LayerWork& l, const compiler::LayerPlan& p,
                               const SimOptions& o, int64_t batch) const override {
    SIEVE_RETURN_IF_ERROR(check_mode(o));
    const ScnnLayer model(spec_, l);
    return run_tiled_batch(l, p, model, driver_options(spec_, o.weights_on_chip), spec_.freq_ghz,
                           batch, multipliers());
  }

 private:
  Status check_mode(const SimOptions& o) const {
    if (!o.mode.empty() && o.mode != mode_)
      return invalid_argument("{}: unknown mode \"{}\"; known: {}", name_, o.mode, mode_);
    return ok_status();
  }

  ScnnSpec spec_;
  std::string name_, mode_;
};

}  // namespace

std::unique_ptr<Accelerator> make_model(const ScnnSpec& spec, const std::string& name,
                                        const std::string& mode) {
  return std::make_unique<Scnn>(spec, name, mode);
}

Result<std::unique_ptr<Accelerator>> create(const ParamSet& params) {
  SIEVE_ASSIGN_OR_RETURN(ScnnSpec spec, parse_scnn_spec(params));
  std::unique_ptr<Accelerator> acc = make_model(spec, "scnn", "sparse");
  acc->set_params(params);
  return acc;
}

}  // namespace sieve::hw::scnn_arch
