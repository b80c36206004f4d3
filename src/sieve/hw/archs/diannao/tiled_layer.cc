#include "sieve/hw/archs/diannao/tiled_layer.h"

#include <algorithm>
#include <filesystem>
#include <vector>

namespace sieve::hw::diannao_arch {
namespace {

int64_t ceil_div(int64_t a, int64_t b) { return b <= 0 ? 0 : (a + b - 1) / b; }

int64_t overlap(int64_t a0, int64_t a1, int64_t b0, int64_t b1) {
  return std::max<int64_t>(0, std::min(a1, b1) - std::max(a0, b0));
}

// The per-group view of a layer the planner sees, with what is needed to count real bytes.
struct Dims {
  int64_t groups = 1;
  int64_t in_c = 1, out_c = 1;      // per group
  int64_t in_h = 1, in_w = 1;       // real (unpadded) input
  int64_t pad_top = 0, pad_left = 0;
  int64_t out_h = 1, out_w = 1;
  int64_t kh = 1, kw = 1;           // effective extents (dilation applied)
  int64_t stride_h = 1, stride_w = 1;
  bool depthwise = false;
};

Dims dims_of(const LayerWork& l) {
  Dims d;
  switch (l.kind) {
    case LayerKind::kConv:
      d.groups = std::max<int64_t>(1, l.group);
      d.in_c = l.in_c / d.groups;
      d.out_c = l.rows / d.groups;
      d.in_h = l.in_h;
      d.in_w = l.in_w;
      d.pad_top = l.pad_top;
      d.pad_left = l.pad_left;
      d.out_h = l.out_h;
      d.out_w = l.out_w;
      d.kh = (l.kh - 1) * l.dilation_h + 1;
      d.kw = (l.kw - 1) * l.dilation_w + 1;
      d.stride_h = l.stride_h;
      d.stride_w = l.stride_w;
      break;
    case LayerKind::kFullyConnected:
      d.in_c = l.cols;
      d.out_c = l.rows;
      break;
    case LayerKind::kLstm:
      d.in_c = l.cols;
      d.out_c = l.rows;
      d.in_h = d.out_h = std::max<int64_t>(1, l.timesteps);
      break;
    case LayerKind::kPool:
      d.in_c = l.in_c;
      d.out_c = l.out_c;
      d.in_h = l.in_h;
      d.in_w = l.in_w;
      d.pad_top = l.pad_top;
      d.pad_left = l.pad_left;
      d.out_h = l.out_h;
      d.out_w = l.out_w;
      d.kh = l.kh;
      d.kw = l.kw;
      d.stride_h = l.stride_h;
      d.stride_w = l.stride_w;
      d.depthwise = true;
      break;
    case LayerKind::kOther:
      break;
  }
  return d;
}

struct Acc {
  std::vector<TileEvents> events;
  LayerStats stats;
};

void add_actions(std::map<std::string, int64_t>& to, const std::map<std::string, int64_t>& from) {
  for (const auto& [k, v] : from) to[k] += v;
}

// Records one sub-operation: its bytes, fills and compute.
void record(Acc& acc, const DriverOptions& o, int64_t input_bytes, const WeightBytes& w,
            int64_t psum_load_bytes, int64_t output_bytes, int64_t psum_store_bytes,
            const TileCompute& c) {
  LayerStats& s = acc.stats;
  s.offchip.neurons += input_bytes + output_bytes;
  s.offchip.weights += w.values;
  s.offchip.weight_index += w.index;
  s.offchip.partial_sums += psum_load_bytes + psum_store_bytes;
  const int64_t weight_total = w.values + w.index;
  auto bump = [&s](const char* key, int64_t bytes, int64_t line) {
    if (bytes > 0) s.actions[key] += ceil_div(bytes, line);
  };
  bump("nbin_fill", input_bytes, o.nbin_line_bytes);
  bump("sb_fill", weight_total, o.sb_line_bytes);
  bump("nbout_fill", psum_load_bytes, o.nbout_line_bytes);
  bump("nbout_drain", output_bytes + psum_store_bytes, o.nbout_line_bytes);
  add_actions(s.actions, c.actions);
  s.macs_performed += c.macs;
  TileEvents e;
  e.load = load_cycles(input_bytes + weight_total + psum_load_bytes, o.memory);
  e.compute = c.cycles;
  e.store = store_cycles(output_bytes + psum_store_bytes, o.memory);
  acc.events.push_back(e);
  ++s.tiles;
}

// "Other" layers: flat element chunks through half of NBin and NBout.
void run_other(const LayerWork& l, const TiledLayerModel& m, const DriverOptions& o, Acc& acc) {
  const int64_t n_in = l.input_size(), n_out = l.output_size();
  const int64_t div = o.ping_pong ? 2 : 1;
  const int64_t chunk =
      std::max<int64_t>(1, std::min(o.nbin_bytes, o.nbout_bytes) / div / o.neuron_bytes);
  const int64_t n = std::max<int64_t>(1, ceil_div(std::max(n_in, n_out), chunk));
  for (int64_t i = 0; i < n; ++i) {
    TileRange r;
    r.oc_begin = i * n_out / n;
    r.oc_end = (i + 1) * n_out / n;
    r.ic_begin = i * n_in / n;
    r.ic_end = (i + 1) * n_in / n;
    record(acc, o, r.channels() * o.neuron_bytes, WeightBytes{}, 0, r.rows() * o.neuron_bytes, 0,
           m.compute(r));
  }
  acc.stats.reuse = "";
}


// Runs the sub-operations of one plan (every group; the compiler's sub-ops include the
// output-column segments) into `acc`.
void run_plan(const LayerWork& layer, const TiledLayerModel& model, const DriverOptions& o,
              const Dims& d, const compiler::LayerPlan& plan, Acc& acc) {
  const compiler::Tiling& t = plan.tiling;
  const std::vector<compiler::SubOp> subs = compiler::sub_ops(t, plan.reuse);
  acc.stats.reuse = compiler::reuse_name(plan.reuse);
  const int64_t ow_size = t.ow_seg_n > 1 ? t.ow_seg_size : d.out_w;
  for (int64_t grp = 0; grp < d.groups; ++grp) {
    for (const compiler::SubOp& s : subs) {
      TileRange r;
      r.group = grp;
      r.oc_begin = compiler::seg_begin(s.oc_seg, t.oc_seg_size);
      r.oc_end = compiler::seg_end(s.oc_seg, t.oc_seg_size, d.out_c);
      r.ic_begin = compiler::seg_begin(s.ic_seg, t.ic_seg_size);
      r.ic_end = compiler::seg_end(s.ic_seg, t.ic_seg_size, d.in_c);
      r.oh_begin = compiler::seg_begin(s.oh_seg, t.oh_seg_size);
      r.oh_end = compiler::seg_end(s.oh_seg, t.oh_seg_size, d.out_h);
      r.ow_begin = compiler::seg_begin(s.ow_seg, ow_size);
      r.ow_end = compiler::seg_end(s.ow_seg, ow_size, d.out_w);
      if (r.rows() <= 0 || r.channels() <= 0 || r.positions() <= 0) continue;

      int64_t input_bytes = 0;
      if (s.load_input) {
        const int64_t in_rows =
            overlap(r.oh_begin * d.stride_h, (r.oh_end - 1) * d.stride_h + d.kh, d.pad_top,
                    d.pad_top + d.in_h);
        const int64_t in_cols =
            overlap(r.ow_begin * d.stride_w, (r.ow_end - 1) * d.stride_w + d.kw, d.pad_left,
                    d.pad_left + d.in_w);
        input_bytes = r.channels() * in_rows * in_cols * o.neuron_bytes;
      }
      WeightBytes w;
      if (s.load_weights && !o.weights_on_chip && layer.kind != LayerKind::kPool)
        w = model.weight_bytes(r);
      const int64_t outs = r.rows() * r.positions() * o.neuron_bytes;
      record(acc, o, input_bytes, w, s.load_psum ? outs : 0, s.store_output ? outs : 0,
             s.store_psum ? outs : 0, model.compute(r));
    }
  }
}

int64_t total_cycles(const Acc& acc) { return schedule_steps(acc.events).cycles; }

}  // namespace

Result<LayerStats> run_tiled_layer(const LayerWork& layer, const TiledLayerModel& model,
                                   const DriverOptions& o, double freq_ghz) {
  Acc acc;
  acc.stats.name = layer.name;
  acc.stats.kind = layer_kind_name(layer.kind);
  acc.stats.macs_dense = layer.dense_macs();

  if (layer.kind == LayerKind::kOther) {
    run_other(layer, model, o, acc);
  } else {
    const Dims d = dims_of(layer);
    const int64_t div = o.ping_pong ? 2 : 1;
    compiler::BufferCapacity cap{o.nbin_bytes / div, o.nbout_bytes / div, o.sb_bytes / div};
    compiler::LayerGeometry g;
    g.in_c = d.in_c;
    g.out_c = d.out_c;
    g.in_h = d.in_h + (layer.kind == LayerKind::kConv || layer.kind == LayerKind::kPool
                           ? layer.pad_top + layer.pad_bottom
                           : 0);
    g.out_h = d.out_h;
    // The input columns the output columns read (the padded width less unread columns).
    g.out_w = d.out_w;
    g.in_w = (d.out_w - 1) * d.stride_w + d.kw;
    g.kh = d.kh;
    g.kw = d.kw;
    g.stride_h = d.stride_h;
    g.stride_w = d.stride_w;
    g.in_density = 1.0;
    // The tiling takes densities in [0, 1]; stored weights larger than dense 16-bit ones (an
    // index on a nearly dense layer) shrink the SB capacity instead, which fits the same.
    const double wd = layer.kind == LayerKind::kPool ? 0.0 : model.weight_density();
    g.w_density = std::min(1.0, wd);
    if (wd > 1.0) cap.sb = static_cast<int64_t>(static_cast<double>(cap.sb) / wd);
    g.bytes_per_element = static_cast<double>(o.neuron_bytes);
    g.depthwise = d.depthwise;

    // Two candidates from the compiler's search (which cuts output columns when needed): the
    // least-traffic plan, and the least-traffic aligned plan; the faster one runs.
    const int64_t cpc = cols_per_channel(layer);
    auto aligned = [&](const compiler::Tiling& t) {
      return (t.oc_seg_n == 1 || t.oc_seg_size % o.oc_align == 0) &&
             (t.ic_seg_n == 1 || (t.ic_seg_size * cpc) % o.ic_align == 0);
    };
    Result<compiler::LayerPlan> any = compiler::plan_layer(g, cap);
    if (!any.ok())
      return any.status().with_context(
          fmt::format("layer {}: no tiling fits NBin {} B, NBout {} B, SB {} B", layer.name,
                      cap.nbin, cap.nbout, cap.sb));
    Result<compiler::LayerPlan> al = compiler::plan_layer(g, cap, aligned);
    Acc best = acc;
    run_plan(layer, model, o, d, *any, best);
    if (al.ok()) {
      Acc other = acc;
      run_plan(layer, model, o, d, *al, other);
      if (total_cycles(other) < total_cycles(best)) best = std::move(other);
    }
    acc = std::move(best);
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

}  // namespace sieve::hw::diannao_arch
