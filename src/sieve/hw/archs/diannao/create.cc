// DianNao (Chen et al., ASPLOS 2014) behind the Accelerator interface: the dense baseline.
// Mechanics and action keys: perf.h; tiling and event steps: tiled_layer.h.
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

  Result<SimResult> simulate(const Workload& w, const SimOptions& o) const override {
    if (!o.mode.empty() && o.mode != "dense")
      return invalid_argument("diannao: unknown mode \"{}\"; known: dense", o.mode);
    SimResult res = result_header(*this, w, "dense");
    SIEVE_RETURN_IF_ERROR(run_tiled_workload(
        w, driver_options(spec_, o.weights_on_chip), spec_.freq_ghz,
        [&](const LayerWork& l) { return DianNaoLayer(spec_, l); }, res));
    return res;
  }

 private:
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
