// The tiled-layer driver (tiled_driver.h).
#include "sieve/hw/core/tiled_driver.h"

#include <algorithm>
#include <filesystem>
#include <vector>

#include "sieve/hw/core/actions.h"

namespace sieve::hw {
namespace {

int64_t ceil_div(int64_t a, int64_t b) {
  return b <= 0 ? 0 : (a + b - 1) / b;
}

struct Acc {
  std::vector<TileEvents> events;
  LayerStats stats;
};

void add_actions(std::map<std::string, int64_t>& to, const std::map<std::string, int64_t>& from) {
  for (const auto& [k, v] : from) to[k] += v;
}

// Records one sub-operation's bytes, fills and compute in the stats; returns its events.
TileEvents record(Acc& acc, const DriverOptions& o, const NeuronBytes& in, const WeightBytes& w,
                  int64_t psum_load_bytes, const NeuronBytes& out, int64_t psum_store_bytes,
                  const TileCompute& c) {
  LayerStats& s = acc.stats;
  const int64_t input_bytes = in.values + in.index, output_bytes = out.values + out.index;
  s.offchip.neurons += in.values + out.values;
  s.offchip.neuron_index += in.index + out.index;
  s.offchip.weights += w.values;
  s.offchip.weight_index += w.index;
  s.offchip.partial_sums += psum_load_bytes + psum_store_bytes;
  const int64_t weight_total = w.values + w.index;
  auto bump = [&s](const char* key, int64_t bytes, int64_t line) {
    if (bytes > 0) s.actions[key] += ceil_div(bytes, line);
  };
  bump(actions::kNbinFill, input_bytes, o.nbin_line_bytes);
  bump(actions::kSbFill, weight_total, o.sb_line_bytes);
  bump(actions::kNboutFill, psum_load_bytes, o.nbout_line_bytes);
  bump(actions::kNboutDrain, output_bytes + psum_store_bytes, o.nbout_line_bytes);
  add_actions(s.actions, c.actions);
  s.macs_performed += c.macs;
  TileEvents e;
  e.load = load_cycles(input_bytes + weight_total + psum_load_bytes, o.memory);
  e.compute = c.cycles;
  e.store = store_cycles(output_bytes + psum_store_bytes, o.memory);
  ++s.tiles;
  return e;
}

// Flat element chunks through the input and output buffers (plan.streamed.chunks).
void run_flat_chunks(const LayerWork& l, const compiler::LayerPlan& plan, const TiledLayerModel& m,
                     const DriverOptions& o, Acc& acc) {
  const int64_t n_in = l.input_size(), n_out = l.output_size();
  const int64_t n = std::max<int64_t>(1, plan.streamed.chunks);
  for (int64_t i = 0; i < n; ++i) {
    TileRange r;
    r.oc_begin = i * n_out / n;
    r.oc_end = (i + 1) * n_out / n;
    r.ic_begin = i * n_in / n;
    r.ic_end = (i + 1) * n_in / n;
    acc.events.push_back(record(
        acc, o, o.inputs_on_chip ? NeuronBytes{} : m.input_bytes(r, r.channels(), o.neuron_bytes),
        WeightBytes{}, 0,
        o.outputs_on_chip ? NeuronBytes{} : m.output_bytes(r, r.rows(), o.neuron_bytes), 0,
        m.compute(r)));
  }
  acc.stats.reuse = "";
}

// Runs the sub-operations of a tiled plan into `acc`, once per repetition (a grouped conv
// planned as one group: once per group, ranges offset by the group).
void run_sub_ops(const LayerWork& layer, const compiler::LayerPlan& plan,
                 const TiledLayerModel& model, const DriverOptions& o, Acc& acc) {
  acc.stats.reuse = compiler::reuse_name(plan.choice.reuse);
  const bool per_group = plan.lowered.repeat_is_group;
  acc.events =
      plan_events(plan, plan.lowered.repeat, [&](const compiler::PlannedSubOp& s, int64_t rep) {
        TileRange r;
        r.group = per_group ? rep : 0;
        r.oc_begin = s.oc_begin;
        r.oc_end = s.oc_end;
        r.ic_begin = s.ic_begin;
        r.ic_end = s.ic_end;
        r.oh_begin = s.oh_begin;
        r.oh_end = s.oh_end;
        r.ow_begin = s.ow_begin;
        r.ow_end = s.ow_end;
        WeightBytes w;
        if (s.op.load_weights && !o.weights_on_chip && layer.kind != LayerKind::kPool)
          w = model.weight_bytes(r);
        const int64_t nb = o.neuron_bytes;
        // Neurons already on chip (DriverOptions) move no bytes; the others are priced by the
        // model (dense by default, values + index for compressed activations).
        const int64_t psum_bytes = o.outputs_on_chip ? 0 : nb;
        const NeuronBytes in = o.inputs_on_chip || s.input_elems <= 0
                                   ? NeuronBytes{}
                                   : model.input_bytes(r, s.input_elems, nb);
        const NeuronBytes out = o.outputs_on_chip || s.output_elems <= 0
                                    ? NeuronBytes{}
                                    : model.output_bytes(r, s.output_elems, nb);
        return record(acc, o, in, w, s.psum_load_elems * psum_bytes, out,
                      s.psum_store_elems * psum_bytes, model.compute(r));
      });
}

}  // namespace

NeuronBytes TiledLayerModel::input_bytes(const TileRange&, int64_t elems,
                                         int64_t neuron_bytes) const {
  return {elems * neuron_bytes, 0};
}
NeuronBytes TiledLayerModel::output_bytes(const TileRange&, int64_t elems,
                                          int64_t neuron_bytes) const {
  return {elems * neuron_bytes, 0};
}

std::vector<TileEvents> plan_events(const compiler::LayerPlan& plan, int64_t repeats,
                                    const SubOpEvents& events) {
  std::vector<TileEvents> ev;
  ev.reserve(plan.sub_ops.size() * static_cast<size_t>(std::max<int64_t>(1, repeats)));
  for (int64_t rep = 0; rep < repeats; ++rep)
    for (const compiler::PlannedSubOp& s : plan.sub_ops) ev.push_back(events(s, rep));
  return ev;
}

LayerStats run_tiled_layer(const LayerWork& layer, const compiler::LayerPlan& plan,
                           const TiledLayerModel& model, const DriverOptions& o, double freq_ghz) {
  Acc acc;
  acc.stats.name = layer.name;
  acc.stats.kind = layer_kind_name(layer.kind);
  acc.stats.macs_dense = layer.dense_macs();
  if (plan.tiled) {
    run_sub_ops(layer, plan, model, o, acc);
  } else {
    run_flat_chunks(layer, plan, model, o, acc);
  }

  const StepSchedule sched = schedule_steps(acc.events);
  LayerStats& st = acc.stats;
  st.cycles = sched.cycles + (sched.steps > 0 ? o.pipeline_fill : 0);
  st.load_cycles = sched.load;
  st.store_cycles = sched.store;
  st.compute_cycles = sched.compute + (sched.steps > 0 ? o.pipeline_fill : 0);
  st.stall_cycles = st.cycles - st.compute_cycles;
  st.macs_skipped = st.macs_dense - st.macs_performed;
  st.time_ns = static_cast<double>(st.cycles) / freq_ghz;
  return st;
}

compiler::PlanRequest value_buffer_request(int64_t nbin_bytes, int64_t nbout_bytes,
                                           int64_t sb_bytes, bool ping_pong,
                                           int64_t neuron_bits) {
  compiler::PlanRequest r;
  r.buffers.whole.nbin = nbin_bytes;
  r.buffers.whole.nbout = nbout_bytes;
  r.buffers.whole.sb = sb_bytes;
  r.buffers.ping_pong = ping_pong;
  r.buffers.neuron_bits = neuron_bits;
  r.rules.groups = compiler::GroupMapping::kOneGroupRepeated;
  r.rules.lstm = compiler::LstmMapping::kStepsAsRows;
  r.rules.pool = compiler::PoolMapping::kTiledDepthwise;
  r.rules.other = compiler::OtherMapping::kFlatChunks;
  return r;
}

void scale_by_batch(LayerStats& s, int64_t batch) {
  if (batch == 1) return;
  s.cycles *= batch;
  s.time_ns *= static_cast<double>(batch);
  s.macs_dense *= batch;
  s.macs_performed *= batch;
  s.macs_skipped *= batch;
  s.offchip.weights *= batch;
  s.offchip.weight_index *= batch;
  s.offchip.neurons *= batch;
  s.offchip.neuron_index *= batch;
  s.offchip.partial_sums *= batch;
  for (auto& [k, v] : s.actions) v *= batch;
  s.load_cycles *= batch;
  s.compute_cycles *= batch;
  s.store_cycles *= batch;
  s.stall_cycles *= batch;
  s.tiles *= batch;
}

SimResult result_header(const Accelerator& acc, const Workload& w, const std::string& mode) {
  SimResult res;
  res.arch = acc.arch();
  res.preset = std::filesystem::path(acc.params().file).stem().string();
  res.mode = mode;
  res.model = w.model;
  res.freq_ghz = acc.freq_ghz();
  res.batch = std::max<int64_t>(1, w.batch);
  res.multipliers = acc.multipliers();
  return res;
}

Result<compiler::LayerPlan> plan_faster(const LayerWork& layer, compiler::PlanRequest request,
                                        int64_t oc_align, int64_t ic_align,
                                        const TiledLayerModel& model, const DriverOptions& options,
                                        double freq_ghz) {
  if (layer.kind != LayerKind::kPool) request.weight_ratio = model.weight_density();
  SIEVE_ASSIGN_OR_RETURN(compiler::LayerPlan any, compiler::make_plan(layer, request));
  if (!any.tiled) return any;
  const int64_t cpc = cols_per_channel(layer);
  request.accept = [&](const compiler::Tiling& t) {
    return (t.oc_seg_n == 1 || t.oc_seg_size % oc_align == 0) &&
           (t.ic_seg_n == 1 || (t.ic_seg_size * cpc) % ic_align == 0);
  };
  Result<compiler::LayerPlan> aligned = compiler::make_plan(layer, request);
  if (!aligned.ok()) return any;
  // The same tiling and reuse: nothing to choose (and nothing to run).
  const compiler::Tiling& a = any.choice.tiling;
  const compiler::Tiling& b = aligned->choice.tiling;
  if (a.to_string() == b.to_string() && any.choice.reuse == aligned->choice.reuse) return any;
  const int64_t any_cycles = run_tiled_layer(layer, any, model, options, freq_ghz).cycles;
  const int64_t aligned_cycles = run_tiled_layer(layer, *aligned, model, options, freq_ghz).cycles;
  return aligned_cycles < any_cycles ? std::move(*aligned) : std::move(any);
}

LayerStats run_tiled_batch(const LayerWork& layer, const compiler::LayerPlan& plan,
                           const TiledLayerModel& model, const DriverOptions& options,
                           double freq_ghz, int64_t batch, int64_t multipliers) {
  LayerStats s = run_tiled_layer(layer, plan, model, options, freq_ghz);
  s.actions[actions::kControlCycle] = s.cycles;
  scale_by_batch(s, batch);
  if (s.cycles > 0)
    s.utilization = static_cast<double>(s.macs_performed) /
                    (static_cast<double>(multipliers) * static_cast<double>(s.cycles));
  return s;
}

LayerStats run_tiled_samples(const LayerWork& layer, const compiler::LayerPlan& plan,
                             const SampleModel& model_of, const DriverOptions& options,
                             double freq_ghz, int64_t batch, int64_t multipliers) {
  LayerStats total;
  for (int64_t smp = 0; smp < std::max<int64_t>(1, batch); ++smp) {
    const std::unique_ptr<TiledLayerModel> m = model_of(smp);
    LayerStats s = run_tiled_layer(layer, plan, *m, options, freq_ghz);
    if (smp == 0) {
      total = std::move(s);
      continue;
    }
    total.cycles += s.cycles;
    total.time_ns += s.time_ns;
    total.macs_dense += s.macs_dense;
    total.macs_performed += s.macs_performed;
    total.macs_skipped += s.macs_skipped;
    total.offchip += s.offchip;
    for (const auto& [k, v] : s.actions) total.actions[k] += v;
    total.load_cycles += s.load_cycles;
    total.compute_cycles += s.compute_cycles;
    total.store_cycles += s.store_cycles;
    total.stall_cycles += s.stall_cycles;
    total.tiles += s.tiles;
  }
  total.actions[actions::kControlCycle] = total.cycles;
  if (total.cycles > 0)
    total.utilization = static_cast<double>(total.macs_performed) /
                        (static_cast<double>(multipliers) * static_cast<double>(total.cycles));
  return total;
}

}  // namespace sieve::hw
