// An A100-like GPU with N:M sparse tensor cores behind the Accelerator interface. Mechanics and
// action keys: perf.h; plan: compiler/plan.h; event steps: hw/core/tiled_driver.h.
#include "sieve/hw/archs/archs.h"
#include "sieve/hw/archs/sparse_tc/perf.h"
#include "sieve/hw/archs/sparse_tc/spec.h"

namespace sieve::hw::sparse_tc_arch {
namespace {

class SparseTc : public Accelerator {
 public:
  explicit SparseTc(SparseTcSpec spec) : spec_(spec) {}
  std::string arch() const override { return "sparse-tc"; }
  std::vector<std::string> modes() const override { return {"sparse", "dense"}; }
  int64_t multipliers() const override { return spec_.multipliers(); }
  double freq_ghz() const override { return spec_.freq_ghz; }

  Result<compiler::LayerPlan> plan(const LayerWork& l, const SimOptions& o) const override {
    SIEVE_ASSIGN_OR_RETURN(const bool sparse, sparse_mode(o));
    // Segments aligned to the CTA: cta_m rows, cta_k weight columns.
    return plan_faster(l, plan_request(spec_), spec_.cta_m, spec_.cta_k,
                       SparseTcLayer(spec_, l, sparse), driver_options(spec_, o.weights_on_chip),
                       spec_.freq_ghz);
  }

 protected:
  Result<SimResult> begin(const Workload& w, const SimOptions& o) const override {
    SIEVE_ASSIGN_OR_RETURN(const bool sparse, sparse_mode(o));
    return result_header(*this, w, sparse ? "sparse" : "dense");
  }
  Result<LayerStats> run_layer(const LayerWork& l, const compiler::LayerPlan& p,
                               const SimOptions& o, int64_t batch) const override {
    SIEVE_ASSIGN_OR_RETURN(const bool sparse, sparse_mode(o));
    const SparseTcLayer model(spec_, l, sparse);
    LayerStats s = run_tiled_batch(l, p, model, driver_options(spec_, o.weights_on_chip),
                                   spec_.freq_ghz, batch, multipliers());
    s.note = model.note();
    return s;
  }

 private:
  Result<bool> sparse_mode(const SimOptions& o) const {
    SIEVE_ASSIGN_OR_RETURN(const std::string mode, resolve_mode(o));
    return mode == "sparse";
  }

  SparseTcSpec spec_;
};

}  // namespace

Result<std::unique_ptr<Accelerator>> create(const ParamSet& params) {
  SIEVE_ASSIGN_OR_RETURN(SparseTcSpec spec, parse_spec(params));
  std::unique_ptr<Accelerator> acc = std::make_unique<SparseTc>(spec);
  acc->set_params(params);
  return acc;
}

}  // namespace sieve::hw::sparse_tc_arch
