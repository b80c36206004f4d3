// DaDianNao (Chen et al., MICRO 2014) behind the Accelerator interface: one node, the dense
// baseline of Cnvlutin and EIE. Mechanics and action keys: perf.h; plan: compiler/plan.h; event
// steps: hw/core/tiled_driver.h.
#include "sieve/hw/archs/archs.h"
#include "sieve/hw/core/dadiannao_node/perf.h"
#include "sieve/hw/core/dadiannao_node/spec.h"

namespace sieve::hw::dadiannao_arch {
namespace {

class DaDianNao : public Accelerator {
 public:
  explicit DaDianNao(DaDianNaoSpec spec) : spec_(spec) {}
  std::string arch() const override { return "dadiannao"; }
  std::vector<std::string> modes() const override { return {"dense"}; }
  int64_t multipliers() const override { return spec_.multipliers(); }
  double freq_ghz() const override { return spec_.freq_ghz; }

  Result<compiler::LayerPlan> plan(const LayerWork& l, const SimOptions& o) const override {
    SIEVE_RETURN_IF_ERROR(check_mode(o));
    // Segments aligned to the node: row groups of one pass, input chunks of one brick.
    return plan_faster(l, plan_request(spec_, l, o.weights_on_chip), spec_.filters_per_pass(),
                       spec_.nfu_inputs, DaDianNaoLayer(spec_, l),
                       driver_options(spec_, l, o.weights_on_chip), spec_.freq_ghz);
  }

 protected:
  Result<SimResult> begin(const Workload& w, const SimOptions& o) const override {
    SIEVE_RETURN_IF_ERROR(check_mode(o));
    return result_header(*this, w, "dense");
  }
  Result<LayerStats> run_layer(const LayerWork& l, const compiler::LayerPlan& p,
                               const SimOptions& o, int64_t batch) const override {
    return run_tiled_batch(l, p, DaDianNaoLayer(spec_, l),
                           driver_options(spec_, l, o.weights_on_chip), spec_.freq_ghz, batch,
                           multipliers());
  }

 private:
  Status check_mode(const SimOptions& o) const { return resolve_mode(o).status(); }

  DaDianNaoSpec spec_;
};

}  // namespace

Result<std::unique_ptr<Accelerator>> create(const ParamSet& params) {
  SIEVE_ASSIGN_OR_RETURN(DaDianNaoSpec spec, parse_spec(params));
  std::unique_ptr<Accelerator> acc = std::make_unique<DaDianNao>(spec);
  acc->set_params(params);
  return acc;
}

}  // namespace sieve::hw::dadiannao_arch
