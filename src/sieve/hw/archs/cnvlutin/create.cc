// Cnvlutin (Albericio et al., ISCA 2016) behind the Accelerator interface: DaDianNao's node
// skipping zero neurons of conv layers. Mechanics and action keys: perf.h; the node:
// hw/core/dadiannao_node/perf.h; plan: compiler/plan.h; event steps: hw/core/tiled_driver.h.
#include <memory>

#include "sieve/hw/archs/archs.h"
#include "sieve/hw/archs/cnvlutin/perf.h"
#include "sieve/hw/archs/cnvlutin/spec.h"
#include "sieve/hw/core/dadiannao_node/perf.h"

namespace sieve::hw::cnvlutin_arch {
namespace {

class Cnvlutin : public Accelerator {
 public:
  explicit Cnvlutin(CnvlutinSpec spec) : spec_(spec) {}
  std::string arch() const override { return "cnvlutin"; }
  std::vector<std::string> modes() const override { return {"neuron-sparse", "dense"}; }
  int64_t multipliers() const override { return spec_.node.multipliers(); }
  double freq_ghz() const override { return spec_.node.freq_ghz; }

  Result<compiler::LayerPlan> plan(const LayerWork& l, const SimOptions& o) const override {
    SIEVE_ASSIGN_OR_RETURN(const bool dense, is_dense(o));
    SIEVE_RETURN_IF_ERROR(check_activations(l, 0));
    // Segments aligned to the node: row groups of one pass; input channels in whole bricks
    // (conv) or weight columns in chunks of the NFU width.
    const int64_t ic_align = l.kind == LayerKind::kConv ? spec_.brick_neurons * cols_per_channel(l)
                                                        : spec_.node.nfu_inputs;
    return plan_faster(l, dadiannao_arch::plan_request(spec_.node, l, o.weights_on_chip),
                       spec_.node.filters_per_pass(), ic_align, CnvlutinLayer(spec_, l, 0, dense),
                       dadiannao_arch::driver_options(spec_.node, l, o.weights_on_chip),
                       spec_.node.freq_ghz);
  }

 protected:
  Result<SimResult> begin(const Workload& w, const SimOptions& o) const override {
    SIEVE_ASSIGN_OR_RETURN(const bool dense, is_dense(o));
    return result_header(*this, w, dense ? "dense" : "neuron-sparse");
  }
  Result<LayerStats> run_layer(const LayerWork& l, const compiler::LayerPlan& p,
                               const SimOptions& o, int64_t batch) const override {
    SIEVE_ASSIGN_OR_RETURN(const bool dense, is_dense(o));
    SIEVE_RETURN_IF_ERROR(check_activations(l, batch));
    LayerStats s = run_tiled_samples(
        l, p,
        [&](int64_t sample) { return std::make_unique<CnvlutinLayer>(spec_, l, sample, dense); },
        dadiannao_arch::driver_options(spec_.node, l, o.weights_on_chip), spec_.node.freq_ghz,
        batch, multipliers());
    s.note = dense ? "run as DaDianNao: mode dense" : dadiannao_reason(l);
    return s;
  }

 private:
  Result<bool> is_dense(const SimOptions& o) const {
    SIEVE_ASSIGN_OR_RETURN(const std::string mode, resolve_mode(o));
    return mode == "dense";
  }
  // The activations are the workload's, one bit string per sample (none: dense neurons).
  static Status check_activations(const LayerWork& l, int64_t batch) {
    for (const BitVec& b : l.input_nz)
      if (b.size() != l.input_size())
        return invalid_argument("layer {}: input_nz has {} bits, expected {}", l.name, b.size(),
                                l.input_size());
    if (batch > 0 && !l.input_nz.empty() && static_cast<int64_t>(l.input_nz.size()) != batch)
      return invalid_argument("layer {}: activations of {} samples for a batch of {}", l.name,
                              l.input_nz.size(), batch);
    return ok_status();
  }

  CnvlutinSpec spec_;
};

}  // namespace

Result<std::unique_ptr<Accelerator>> create(const ParamSet& params) {
  SIEVE_ASSIGN_OR_RETURN(CnvlutinSpec spec, parse_spec(params));
  std::unique_ptr<Accelerator> acc = std::make_unique<Cnvlutin>(spec);
  acc->set_params(params);
  return acc;
}

}  // namespace sieve::hw::cnvlutin_arch
