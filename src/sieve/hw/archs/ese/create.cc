// ESE (Han et al., FPGA 2017) behind the Accelerator interface: LSTM gate matrices and FC layers
// (an LSTM's projection among them) on EIE-style interleaved CSC, 32 channels of 32 PEs, and
// the scheduler that overlaps the input product with the element-wise phase. Mechanics and
// action keys: perf.h. Modes: "scheduled" (the paper's) and "serial" (the scheduler off, the
// phases of a step one after another: the ablation).
//
// The shared tiled driver prices a layer by weight tiles loaded from DRAM; ESE keeps the whole
// compressed model in block RAM and its time is set by the PEs' slices of each matrix. So a
// layer's plan (compiler::make_plan) is one resident tile and run_layer is perf.h's model.
#include <fmt/format.h>

#include "sieve/hw/archs/archs.h"
#include "sieve/hw/archs/ese/perf.h"
#include "sieve/hw/archs/ese/spec.h"
#include "sieve/hw/core/tiled_driver.h"

namespace sieve::hw::ese_arch {
namespace {

constexpr const char* kScheduled = "scheduled";
constexpr const char* kSerial = "serial";

class Ese : public Accelerator {
 public:
  explicit Ese(EseSpec spec) : spec_(spec) {}
  std::string arch() const override { return "ese"; }
  std::vector<std::string> modes() const override { return {kScheduled, kSerial}; }
  int64_t multipliers() const override { return spec_.multipliers(); }
  double freq_ghz() const override { return spec_.freq_ghz; }

  std::string unsupported(const LayerWork& l, const SimOptions&) const override {
    if (l.kind != LayerKind::kFullyConnected && l.kind != LayerKind::kLstm)
      return fmt::format(
          "ESE runs LSTM layers and fully-connected layers (sparse matrix × vector) only, not {} "
          "layers (Han et al., FPGA 2017)",
          layer_kind_name(l.kind));
    const CscCounts c = count_csc(l.pruned ? &l.weight_mask : nullptr, l.rows, l.cols,
                                  spec_.pes_per_channel, spec_.max_gap());
    const int64_t bits = (c.nonzeros + c.paddings) * (spec_.weight_bits + spec_.index_bits) +
                         l.cols * spec_.pes_per_channel * spec_.pointer_bits;
    if (bits > spec_.weight_sram_bytes * 8)
      return fmt::format(
          "its compressed weights ({} bytes: {} CSC entries with paddings and the column "
          "pointers) exceed ESE's {}-byte weight memory",
          (bits + 7) / 8, c.nonzeros + c.paddings, spec_.weight_sram_bytes);
    return {};
  }

  Result<compiler::LayerPlan> plan(const LayerWork& l, const SimOptions& o) const override {
    SIEVE_RETURN_IF_ERROR(resolve_mode(o).status());
    // One sub-operation: every weight in block RAM, the vectors in the PEs' activation
    // registers; an LSTM runs one time step at a time.
    const int64_t act_bytes = (l.cols + l.rows) * spec_.neuron_bits / 8;
    compiler::PlanRequest req = value_buffer_request(act_bytes, act_bytes,
                                                     spec_.weight_sram_bytes,
                                                     /*ping_pong=*/false, spec_.neuron_bits);
    req.buffers.sb_holds_all_weights = true;
    req.rules.lstm = compiler::LstmMapping::kOneStepRepeated;
    return compiler::make_plan(l, req);
  }

 protected:
  Result<SimResult> begin(const Workload& w, const SimOptions& o) const override {
    SIEVE_ASSIGN_OR_RETURN(const std::string mode, resolve_mode(o));
    return result_header(*this, w, mode);
  }
  Result<LayerStats> run_layer(const LayerWork& l, const compiler::LayerPlan&,
                               const SimOptions& o, int64_t batch) const override {
    SIEVE_ASSIGN_OR_RETURN(const std::string mode, resolve_mode(o));
    return ese_arch::run_layer(spec_, l, batch, mode == kScheduled, !o.weights_on_chip);
  }

 private:

  EseSpec spec_;
};

}  // namespace

Result<std::unique_ptr<Accelerator>> create(const ParamSet& params) {
  SIEVE_ASSIGN_OR_RETURN(EseSpec spec, parse_spec(params));
  std::unique_ptr<Accelerator> acc = std::make_unique<Ese>(spec);
  acc->set_params(params);
  return acc;
}

}  // namespace sieve::hw::ese_arch
