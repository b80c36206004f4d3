// SCNN (Parashar et al., ISCA 2017) behind the Accelerator interface, and its dense twin DCNN /
// DCNN-opt (archs/scnn/dcnn.cc, the same model with the dense dot-product dataflow).
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
    // Whole planes, groups within the accumulators and a group's channel within the weight
    // FIFO; failing that, without the FIFO bound (a block larger than the FIFO is streamed
    // through it: the refills are not modelled).
    Status last;
    for (bool fifo : {true, false}) {
      compiler::PlanRequest req = plan_request(spec_, model, l, fifo);
      if (l.kind != LayerKind::kPool) req.weight_ratio = model.weight_density();
      Result<compiler::LayerPlan> p = compiler::make_plan(l, req);
      if (p.ok()) return p;
      last = p.status();
    }
    return invalid_argument(
        "{}: layer \"{}\" cannot be mapped: its dataflow keeps whole output planes, and "
        "{} accumulator positions per PE for one output channel exceed the {} entries of a PE "
        "or one input channel exceeds the IARAMs ({})",
        name_, l.name, model.region_positions(), spec_.acc_entries(), last.message());
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
