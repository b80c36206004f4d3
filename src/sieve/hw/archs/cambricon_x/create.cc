// Cambricon-X (Zhang et al., MICRO 2016) behind the Accelerator interface: the weight-sparse
// baseline. Mechanics and action keys: perf.h; plan: compiler/plan.h; event steps:
// hw/core/tiled_driver.h.
#include "sieve/hw/archs/archs.h"
#include "sieve/hw/archs/cambricon_x/perf.h"
#include "sieve/hw/archs/cambricon_x/spec.h"

namespace sieve::hw::cambricon_x_arch {
namespace {

class CambriconX : public Accelerator {
 public:
  explicit CambriconX(CambriconXSpec spec) : spec_(spec) {}
  std::string arch() const override { return "cambricon-x"; }
  std::vector<std::string> modes() const override { return {"weight-sparse", "dense"}; }
  int64_t multipliers() const override { return spec_.multipliers(); }
  double freq_ghz() const override { return spec_.freq_ghz; }

  Result<compiler::LayerPlan> plan(const LayerWork& l, const SimOptions& o) const override {
    SIEVE_ASSIGN_OR_RETURN(const std::string mode, resolve_mode(o));
    // Segments aligned to the PEs: one row per PE, dense stretches in chunks of the PE width.
    return plan_faster(l, plan_request(spec_), spec_.n_pe, spec_.multipliers_per_pe,
                       layer_model(l, mode, o), driver_options(spec_, o.weights_on_chip),
                       spec_.freq_ghz);
  }

 protected:
  Result<SimResult> begin(const Workload& w, const SimOptions& o) const override {
    SIEVE_ASSIGN_OR_RETURN(const std::string mode, resolve_mode(o));
    return result_header(*this, w, mode);
  }
  Result<LayerStats> run_layer(const LayerWork& l, const compiler::LayerPlan& p,
                               const SimOptions& o, int64_t batch) const override {
    SIEVE_ASSIGN_OR_RETURN(const std::string mode, resolve_mode(o));
    return run_tiled_batch(l, p, layer_model(l, mode, o), driver_options(spec_, o.weights_on_chip),
                           spec_.freq_ghz, batch, multipliers());
  }

 private:
  CambriconXLayer layer_model(const LayerWork& l, const std::string& mode,
                              const SimOptions& o) const {
    const bool dense = mode == "dense";
    return CambriconXLayer(spec_, l, dense, o.dense_weight_traffic && !dense);
  }

  CambriconXSpec spec_;
};

}  // namespace

Result<std::unique_ptr<Accelerator>> create(const ParamSet& params) {
  SIEVE_ASSIGN_OR_RETURN(CambriconXSpec spec, parse_spec(params));
  std::unique_ptr<Accelerator> acc = std::make_unique<CambriconX>(spec);
  acc->set_params(params);
  return acc;
}

}  // namespace sieve::hw::cambricon_x_arch
