// DianNao (Chen et al., ASPLOS 2014) behind the Accelerator interface: the dense baseline.
// Mechanics and action keys: perf.h; plan: compiler/plan.h; event steps: hw/core/tiled_driver.h.
#include "sieve/hw/archs/archs.h"
#include "sieve/hw/archs/diannao/perf.h"
#include "sieve/hw/archs/diannao/spec.h"

namespace sieve::hw::diannao_arch {
namespace {

class DianNao : public Accelerator {
 public:
  explicit DianNao(DianNaoSpec spec) : spec_(spec) {}
  std::string arch() const override { return "diannao"; }
  std::vector<std::string> modes() const override { return {"dense"}; }
  int64_t multipliers() const override { return spec_.multipliers(); }
  double freq_ghz() const override { return spec_.freq_ghz; }

  Result<compiler::LayerPlan> plan(const LayerWork& l, const SimOptions& o) const override {
    SIEVE_RETURN_IF_ERROR(check_mode(o));
    // Segments aligned to the NFU: row groups of T_n, input chunks of T_n.
    return plan_faster(l, plan_request(spec_), spec_.tn, spec_.tn, DianNaoLayer(spec_, l),
                       driver_options(spec_, o.weights_on_chip), spec_.freq_ghz);
  }

 protected:
  Result<SimResult> begin(const Workload& w, const SimOptions& o) const override {
    SIEVE_RETURN_IF_ERROR(check_mode(o));
    return result_header(*this, w, "dense");
  }
  Result<LayerStats> run_layer(const LayerWork& l, const compiler::LayerPlan& p,
                               const SimOptions& o, int64_t batch) const override {
    return run_tiled_batch(l, p, DianNaoLayer(spec_, l), driver_options(spec_, o.weights_on_chip),
                           spec_.freq_ghz, batch, multipliers());
  }

 private:
  Status check_mode(const SimOptions& o) const { return resolve_mode(o).status(); }

  DianNaoSpec spec_;
};

}  // namespace

Result<std::unique_ptr<Accelerator>> create(const ParamSet& params) {
  SIEVE_ASSIGN_OR_RETURN(DianNaoSpec spec, parse_spec(params));
  std::unique_ptr<Accelerator> acc = std::make_unique<DianNao>(spec);
  acc->set_params(params);
  return acc;
}

}  // namespace sieve::hw::diannao_arch
