// Cambricon-X (Zhang et al., MICRO 2016) behind the Accelerator interface: the weight-sparse
// baseline. Mechanics and action keys: perf.h; tiling and event steps: diannao/tiled_layer.h.
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

  Result<SimResult> simulate(const Workload& w, const SimOptions& o) const override {
    const std::string mode = o.mode.empty() ? "weight-sparse" : o.mode;
    if (mode != "weight-sparse" && mode != "dense")
      return invalid_argument("cambricon-x: unknown mode \"{}\"; known: weight-sparse, dense",
                              o.mode);
    const bool dense = mode == "dense";
    SimResult res = diannao_arch::result_header(*this, w, mode);
    SIEVE_RETURN_IF_ERROR(diannao_arch::run_tiled_workload(
        w, driver_options(spec_, o.weights_on_chip), spec_.freq_ghz,
        [&](const LayerWork& l) {
          return CambriconXLayer(spec_, l, dense, o.dense_weight_traffic && !dense);
        },
        res));
    return res;
  }

 private:
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
