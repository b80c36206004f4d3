// EIE (Han et al., ISCA 2016) behind the Accelerator interface: fully-connected layers (and an
// LSTM's gate matrices, one matrix × vector per time step) on the interleaved CSC layout, the
// LNZD broadcast and the PEs' activation queues. Mechanics and action keys: perf.h; layout:
// csc.h; functional model: functional.h.
#include <fmt/format.h>

#include "sieve/hw/archs/archs.h"
#include "sieve/hw/archs/eie/functional.h"
#include "sieve/hw/archs/eie/perf.h"
#include "sieve/hw/archs/eie/spec.h"
#include "sieve/hw/core/tiled_driver.h"

namespace sieve::hw::eie_arch {
namespace {

class Eie : public Accelerator {
 public:
  explicit Eie(EieSpec spec) : spec_(spec) {}
  std::string arch() const override { return "eie"; }
  std::vector<std::string> modes() const override { return {"sparse"}; }
  int64_t multipliers() const override { return spec_.n_pe; }
  double freq_ghz() const override { return spec_.freq_ghz; }
  std::vector<std::string> engines() const override { return {"functional"}; }

  std::string unsupported(const LayerWork& l, const SimOptions&) const override {
    if (l.kind != LayerKind::kFullyConnected && l.kind != LayerKind::kLstm)
      return fmt::format(
          "EIE runs fully-connected layers (sparse matrix × sparse vector) only, not {} layers "
          "(Han et al., ISCA 2016 §III)",
          layer_kind_name(l.kind));
    // Everything stays on chip (the paper's premise): the PE's slices of the weights in its
    // sparse-matrix SRAM, the input and output vectors in its activation storage.
    const int64_t act_capacity = spec_.n_pe * spec_.act_bytes_per_pe * 8 / 16;
    if (l.cols + l.rows > act_capacity)
      return fmt::format(
          "the layer's {} inputs and {} outputs exceed EIE's activation storage ({} 16-bit "
          "activations over {} PEs)",
          l.cols, l.rows, act_capacity, spec_.n_pe);
    const CscCounts c = count_csc(l.pruned ? &l.weight_mask : nullptr, l.rows, l.cols,
                                  spec_.n_pe, spec_.max_gap());
    int64_t worst = 0;
    for (int64_t p = 0; p < spec_.n_pe; ++p) worst = std::max(worst, c.pe_entries(p));
    const int64_t entry_bits = spec_.index_bits + spec_.code_bits;
    if (worst * entry_bits > spec_.spmat_bytes_per_pe * 8)
      return fmt::format(
          "a PE's slice of the weights ({} CSC entries with paddings, {} bits each) exceeds its "
          "{}-byte sparse-matrix SRAM",
          worst, entry_bits, spec_.spmat_bytes_per_pe);
    return {};
  }

  Result<compiler::LayerPlan> plan(const LayerWork& l, const SimOptions& o) const override {
    SIEVE_RETURN_IF_ERROR(check_mode(o));
    // One sub-operation: every weight on chip (the SB stands for the PEs' sparse-matrix
    // SRAMs), the input and output vectors in the activation storage; an LSTM runs one time
    // step at a time.
    const int64_t act_bytes = spec_.n_pe * spec_.act_bytes_per_pe;
    compiler::PlanRequest req = value_buffer_request(act_bytes, act_bytes,
                                                     spec_.n_pe * spec_.spmat_bytes_per_pe,
                                                     /*ping_pong=*/false, /*neuron_bits=*/16);
    req.buffers.sb_holds_all_weights = true;
    req.rules.lstm = compiler::LstmMapping::kOneStepRepeated;
    return compiler::make_plan(l, req);
  }

  Result<Tensor> run_functional(const compress::CompressedModel& model, const Tensor& input,
                                std::map<std::string, int64_t>* counters) const override {
    return eie_arch::run_functional(model, input, spec_, {}, counters);
  }

 protected:
  Result<SimResult> begin(const Workload& w, const SimOptions& o) const override {
    SIEVE_RETURN_IF_ERROR(check_mode(o));
    return result_header(*this, w, "sparse");
  }
  Result<LayerStats> run_layer(const LayerWork& l, const compiler::LayerPlan&,
                               const SimOptions&, int64_t batch) const override {
    LayerStats st = EieLayer(spec_, l).stats();
    if (l.input_nz.empty()) scale_by_batch(st, batch);  // no per-sample activations: as one
    return st;
  }

 private:
  Status check_mode(const SimOptions& o) const { return resolve_mode(o).status(); }

  EieSpec spec_;
};

}  // namespace

Result<std::unique_ptr<Accelerator>> create(const ParamSet& params) {
  SIEVE_ASSIGN_OR_RETURN(EieSpec spec, parse_spec(params));
  std::unique_ptr<Accelerator> acc = std::make_unique<Eie>(spec);
  acc->set_params(params);
  return acc;
}

}  // namespace sieve::hw::eie_arch
