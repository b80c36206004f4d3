// SparseNN (Zhu, Jiang, Chen & Tsui, DATE 2018) behind the Accelerator interface: input and
// output activation sparsity on an H-tree of 64 PEs. Mechanics and action keys: perf.h.
//
// The shared tiled driver prices a layer by weight tiles loaded from DRAM; SparseNN keeps every
// weight of W, U and V in its PEs' memories and its time is set by the activations of each
// sample. So a layer's plan (compiler::make_plan under the on-chip memory) is one resident
// tile, each sample is one Load / Compute / Store event triple (inputs loaded, the V, U and W
// phases of perf.h, outputs stored), and the samples go through the shared event rule
// (schedule_steps, N + 2 steps) like every other design's tiles.
#include <fmt/format.h>

#include <algorithm>

#include "sieve/hw/archs/archs.h"
#include "sieve/hw/archs/sparsenn/perf.h"
#include "sieve/hw/archs/sparsenn/spec.h"
#include "sieve/hw/core/actions.h"
#include "sieve/hw/core/events.h"
#include "sieve/hw/core/tiled_driver.h"

namespace sieve::hw::sparsenn_arch {
namespace {

constexpr const char* kIo = "input-output";
constexpr const char* kInputOnly = "input-only";

class SparseNN : public Accelerator {
 public:
  explicit SparseNN(SparseNNSpec spec) : spec_(spec) {}
  std::string arch() const override { return "sparsenn"; }
  std::vector<std::string> modes() const override { return {kIo, kInputOnly}; }
  int64_t multipliers() const override { return spec_.multipliers(); }
  double freq_ghz() const override { return spec_.freq_ghz; }

  std::string unsupported(const LayerWork& l, const SimOptions&) const override {
    if (l.kind != LayerKind::kFullyConnected)
      return "SparseNN runs fully connected layers only (its PEs hold rows of W, U and V)";
    const int64_t r = std::min({spec_.predictor_rank, l.rows, l.cols});
    const int64_t bytes = (l.rows * l.cols + r * (l.rows + l.cols)) * spec_.weight_bits / 8;
    if (bytes > spec_.sram_bytes)
      return fmt::format("its weights ({} bytes with the predictor) exceed the {} bytes of "
                         "on-chip weight memory",
                         bytes, spec_.sram_bytes);
    return {};
  }

  Result<compiler::LayerPlan> plan(const LayerWork& l, const SimOptions& o) const override {
    SIEVE_RETURN_IF_ERROR(resolve_mode(o).status());
    return compiler::make_plan(l, value_buffer_request(spec_.sram_bytes, spec_.sram_bytes,
                                                       spec_.sram_bytes, false,
                                                       spec_.neuron_bits));
  }

 protected:
  Result<SimResult> begin(const Workload& w, const SimOptions& o) const override {
    SIEVE_ASSIGN_OR_RETURN(const std::string mode, resolve_mode(o));
    return result_header(*this, w, mode);
  }

  Result<LayerStats> run_layer(const LayerWork& l, const compiler::LayerPlan&,
                               const SimOptions& o, int64_t batch) const override {
    SIEVE_ASSIGN_OR_RETURN(const std::string mode, resolve_mode(o));
    const bool predict = mode == kIo && spec_.predictor_rank > 0 && predicted_layer(l);
    LayerStats st;
    st.name = l.name;
    st.kind = layer_kind_name(l.kind);
    const int64_t nb = spec_.neuron_bits / 8;
    const BitVec all_in(l.cols, true);
    std::vector<TileEvents> events;
    for (int64_t s = 0; s < batch; ++s) {
      const BitVec& in = l.input_nz.empty()
                             ? all_in
                             : l.input_nz[static_cast<size_t>(s) % l.input_nz.size()];
      const BitVec* out =
          predict ? &l.output_nz[static_cast<size_t>(s) % l.output_nz.size()] : nullptr;
      const SampleCost c = run_sample(spec_, l, in, out);
      st.macs_performed += c.macs;
      for (const auto& [k, v] : c.actions) st.actions[k] += v;
      const int64_t in_bytes = l.cols * nb, out_bytes = l.rows * nb;
      st.offchip.neurons += in_bytes + out_bytes;
      events.push_back({load_cycles(in_bytes, spec_.memory), c.cycles,
                        store_cycles(out_bytes, spec_.memory)});
    }
    const StepSchedule sch = schedule_steps(events);
    st.cycles = sch.cycles;
    st.load_cycles = sch.load;
    st.compute_cycles = sch.compute;
    st.store_cycles = sch.store;
    st.stall_cycles = sch.stall;
    st.tiles = batch;
    st.time_ns = static_cast<double>(st.cycles) / spec_.freq_ghz;
    st.macs_dense = l.dense_macs() * batch;
    st.macs_skipped = st.macs_dense - st.macs_performed;
    // Inputs written into / outputs read out of the PEs' activation memories from / to DRAM, a
    // line being one activation per PE (the shared buffer-fill names, hw/core/actions.h).
    const int64_t line = spec_.n_pe;
    st.actions[actions::kNbinFill] = (l.cols + line - 1) / line * batch;
    st.actions[actions::kNboutDrain] = (l.rows + line - 1) / line * batch;
    // The controller and the PEs are clocked through the whole layer, stalls included.
    st.actions["control_cycle"] = st.cycles;
    st.actions["pe_cycle"] = st.cycles * spec_.n_pe;
    st.utilization = st.cycles > 0 ? static_cast<double>(st.macs_performed) /
                                         static_cast<double>(multipliers() * st.cycles)
                                   : 0.0;
    return st;
  }

 private:

  SparseNNSpec spec_;
};

}  // namespace

Result<std::unique_ptr<Accelerator>> create(const ParamSet& params) {
  SIEVE_ASSIGN_OR_RETURN(SparseNNSpec spec, parse_spec(params));
  std::unique_ptr<Accelerator> acc = std::make_unique<SparseNN>(spec);
  acc->set_params(params);
  return acc;
}

}  // namespace sieve::hw::sparsenn_arch
