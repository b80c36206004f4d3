// The layer plan (plan.h): lowering, the search under the architecture's buffers, placement and
// the sub-operations with their ranges and bytes.
#include "sieve/compiler/plan.h"

#include <fmt/format.h>

#include <algorithm>
#include <limits>

namespace sieve::compiler {
namespace {

int64_t ceil_div(int64_t a, int64_t b) {
  return b <= 0 ? 0 : (a + b - 1) / b;
}

int64_t overlap(int64_t a0, int64_t a1, int64_t b0, int64_t b1) {
  return std::max<int64_t>(0, std::min(a1, b1) - std::max(a0, b0));
}

std::string join_note(const std::string& a, const std::string& b) {
  return a.empty() ? b : a + "; " + b;
}

// Conv and pooling share the spatial part: padded height, the columns the outputs read,
// the (dilated) kernel extent.
void spatial(const LayerWork& w, bool dilate, Lowered& lo) {
  LayerGeometry& g = lo.geometry;
  g.in_h = w.in_h + w.pad_top + w.pad_bottom;
  g.out_h = w.out_h;
  g.out_w = w.out_w;
  const int64_t dh = dilate ? w.dilation_h : 1, dw = dilate ? w.dilation_w : 1;
  g.kh = (w.kh - 1) * dh + 1;
  g.kw = (w.kw - 1) * dw + 1;
  g.stride_h = w.stride_h;
  g.stride_w = w.stride_w;
  // Padded input columns, less those no output column reads (stride leftovers at the right).
  g.in_w = std::min(w.in_w + w.pad_left + w.pad_right, (w.out_w - 1) * w.stride_w + g.kw);
  lo.in_h = w.in_h;
  lo.in_w = w.in_w;
  lo.pad_top = w.pad_top;
  lo.pad_left = w.pad_left;
  if (dh > 1 || dw > 1) {
    g.kernel_weights = w.kh * w.kw;
    lo.note = fmt::format("dilation {}x{}: planned as a {}x{} kernel extent", dh, dw, g.kh, g.kw);
  }
}

// Output rows per chunk and channels per chunk of a streamed layer: as many rows as fit (the
// input rows they read in the input buffer, the outputs in the output buffer), halving; when
// the whole height fits, as many channels as fit.
StreamedPlan streamed_rows(const LayerWork& l, int64_t in_elems, int64_t out_elems) {
  const int64_t kh = std::max<int64_t>(1, l.kh);
  const int64_t eff_kh = (kh - 1) * l.dilation_h + 1;
  const int64_t in_hw = l.in_h * l.in_w, out_hw = l.out_h * l.out_w;
  int64_t rows = l.out_h;
  auto in_rows = [&](int64_t r) { return std::min(l.in_h, (r - 1) * l.stride_h + eff_kh); };
  while (rows > 1 && (in_rows(rows) * l.in_w > in_elems || rows * l.out_w > out_elems))
    rows = ceil_div(rows, 2);
  int64_t chans = 1;
  if (rows == l.out_h)
    chans = std::max<int64_t>(1, std::min(in_elems / std::max<int64_t>(1, in_hw),
                                          out_elems / std::max<int64_t>(1, out_hw)));
  StreamedPlan s;
  s.rule = "streamed-rows";
  s.rows_per_chunk = rows;
  s.channels_per_chunk = chans;
  s.chunks = ceil_div(l.out_c, chans) * ceil_div(l.out_h, rows);
  return s;
}

// Flat element chunks that fit the input and the output buffer shares.
StreamedPlan flat_chunks(const LayerWork& l, const BufferSizes& share, int64_t neuron_bytes) {
  const int64_t chunk =
      std::max<int64_t>(1, std::min(share.nbin, share.nbout) / std::max<int64_t>(1, neuron_bytes));
  StreamedPlan s;
  s.rule = "flat-chunks";
  s.chunks = std::max<int64_t>(1, ceil_div(std::max(l.input_size(), l.output_size()), chunk));
  return s;
}

// Kept weights of rows [r0, r1) × columns [c0, c1) of the layer's mask.
// `rank`, when given, indexes w.weight_mask.
int64_t kept(const LayerWork& w, int64_t r0, int64_t r1, int64_t c0, int64_t c1,
             const BitRank* rank) {
  if (w.weight_mask.size() != w.rows * w.cols) return (r1 - r0) * (c1 - c0);
  int64_t n = 0;
  for (int64_t r = r0; r < r1; ++r)
    n += rank != nullptr ? rank->count(r * w.cols + c0, r * w.cols + c1)
                         : w.weight_mask.count(r * w.cols + c0, r * w.cols + c1);
  return n;
}

std::vector<PlannedSubOp> planned_sub_ops(const LayerWork& w, const Lowered& lo, const Tiling& t,
                                          Reuse reuse, const BitRank* rank) {
  const LayerGeometry& g = lo.geometry;
  const int64_t ow_size = t.ow_seg_n > 1 ? t.ow_seg_size : g.out_w;
  const bool weighted = w.rows > 0 && w.cols > 0;
  // Kept weights per weight segment (oc_seg, ic_seg), counted once: a reuse that reloads a
  // segment many times must not recount it.
  std::vector<int64_t> kept_of(static_cast<size_t>(t.oc_seg_n * t.ic_seg_n), -1);
  std::vector<PlannedSubOp> out;
  for (const SubOp& s : sub_ops(t, reuse)) {
    PlannedSubOp p;
    p.op = s;
    p.oc_begin = seg_begin(s.oc_seg, t.oc_seg_size);
    p.oc_end = seg_end(s.oc_seg, t.oc_seg_size, g.out_c);
    p.ic_begin = seg_begin(s.ic_seg, t.ic_seg_size);
    p.ic_end = seg_end(s.ic_seg, t.ic_seg_size, g.in_c);
    p.oh_begin = seg_begin(s.oh_seg, t.oh_seg_size);
    p.oh_end = seg_end(s.oh_seg, t.oh_seg_size, g.out_h);
    p.ow_begin = seg_begin(s.ow_seg, ow_size);
    p.ow_end = seg_end(s.ow_seg, ow_size, g.out_w);
    if (p.rows() <= 0 || p.channels() <= 0 || p.positions() <= 0) continue;
    if (s.load_input) {
      const int64_t rows = overlap(p.oh_begin * g.stride_h, (p.oh_end - 1) * g.stride_h + g.kh,
                                   lo.pad_top, lo.pad_top + lo.in_h);
      const int64_t cols = overlap(p.ow_begin * g.stride_w, (p.ow_end - 1) * g.stride_w + g.kw,
                                   lo.pad_left, lo.pad_left + lo.in_w);
      p.input_elems = p.channels() * rows * cols;
    }
    const int64_t outs = p.rows() * p.positions();
    if (s.load_psum) p.psum_load_elems = outs;
    if (s.store_output) p.output_elems = outs;
    if (s.store_psum) p.psum_store_elems = outs;
    if (s.load_weights && weighted) {
      const int64_t c0 = p.ic_begin * lo.cols_per_channel, c1 = p.ic_end * lo.cols_per_channel;
      p.weight_positions = p.rows() * (c1 - c0);
      int64_t& k = kept_of[static_cast<size_t>(s.oc_seg * t.ic_seg_n + s.ic_seg)];
      if (k < 0) k = kept(w, p.oc_begin, p.oc_end, c0, c1, rank);
      p.weight_kept = k;
    }
    out.push_back(p);
  }
  return out;
}

std::string pruning_text(const LayerWork& w) {
  const compress::PruneStructure& st = w.structure;
  if (!st.recorded()) return "";
  if (st.method == "block") {
    std::string b;
    for (int64_t d : w.block) {
      if (!b.empty()) b += 'x';
      b += std::to_string(d);
    }
    return "block " + (b.empty() ? "1" : b);
  }
  if (st.method == "nm") return fmt::format("nm {}:{}", st.n, st.m);
  if (st.method == "balanced") return fmt::format("balanced {} groups", st.groups);
  return st.method;
}

}  // namespace

const char* group_mapping_name(GroupMapping m) {
  return m == GroupMapping::kOneGroupRepeated ? "one-group-repeated" : "groups-side-by-side";
}
const char* lstm_mapping_name(LstmMapping m) {
  return m == LstmMapping::kOneStepRepeated ? "one-step-repeated" : "steps-as-rows";
}
const char* pool_mapping_name(PoolMapping m) {
  return m == PoolMapping::kTiledDepthwise ? "tiled-depthwise" : "streamed-rows";
}
const char* other_mapping_name(OtherMapping m) {
  return m == OtherMapping::kFlatChunks ? "flat-chunks" : "streamed-rows";
}

Result<Lowered> lower(const LayerWork& w, const MappingRules& rules) {
  Lowered lo;
  LayerGeometry& g = lo.geometry;
  switch (w.kind) {
    case LayerKind::kConv: {
      spatial(w, true, lo);
      const int64_t groups = std::max<int64_t>(1, w.group);
      if (w.in_c % groups != 0 || w.rows % groups != 0) {
        return invalid_argument("layer \"{}\": group {} does not divide {} -> {} channels", w.name,
                                groups, w.in_c, w.rows);
      }
      g.in_c = w.in_c / groups;
      lo.cols_per_channel = w.kh * w.kw;
      lo.mapping = "conv";
      if (groups == 1) {
        g.out_c = w.rows;
      } else if (rules.groups == GroupMapping::kOneGroupRepeated) {
        g.out_c = w.rows / groups;
        lo.repeat = groups;
        lo.repeat_is_group = true;
        lo.mapping = group_mapping_name(rules.groups);
        lo.note = join_note(
            lo.note, fmt::format("group {}: one group planned, run {} times", groups, groups));
      } else {
        g.out_c = w.rows;
        lo.mapping = group_mapping_name(rules.groups);
        lo.note = join_note(lo.note, fmt::format("group {}: {} output channels side by side, "
                                                 "each reading its group's {} input channels",
                                                 groups, w.rows, g.in_c));
      }
      break;
    }
    case LayerKind::kPool:
      if (rules.pool == PoolMapping::kStreamedRows) {
        lo.streamed = true;
        lo.mapping = pool_mapping_name(rules.pool);
        break;
      }
      spatial(w, false, lo);
      g.in_c = w.in_c;
      g.out_c = w.out_c;
      g.depthwise = true;
      lo.mapping = pool_mapping_name(rules.pool);
      if (g.in_c != g.out_c) {
        return invalid_argument("layer \"{}\": pooling with {} input and {} output channels",
                                w.name, g.in_c, g.out_c);
      }
      break;
    case LayerKind::kFullyConnected:
      g.in_c = w.cols;
      g.out_c = w.rows;
      lo.mapping = "fc";
      break;
    case LayerKind::kLstm: {
      g.in_c = w.cols;
      g.out_c = w.rows;
      const int64_t steps = std::max<int64_t>(1, w.timesteps);
      lo.mapping = lstm_mapping_name(rules.lstm);
      if (rules.lstm == LstmMapping::kOneStepRepeated) {
        lo.repeat = steps;
        lo.note = fmt::format("LSTM: one step of the {}x{} gate matrix, run {} times", w.rows,
                              w.cols, steps);
      } else {
        g.in_h = g.out_h = steps;
        lo.in_h = steps;
        lo.note = fmt::format("LSTM: the {} step vectors as rows of one {}x{} FC layer", steps,
                              w.rows, w.cols);
      }
      break;
    }
    case LayerKind::kOther:
      lo.streamed = true;
      lo.mapping = other_mapping_name(rules.other);
      break;
  }
  if (!lo.streamed && (g.in_c < 1 || g.out_c < 1)) {
    return invalid_argument("layer \"{}\": {} -> {} channels", w.name, g.in_c, g.out_c);
  }
  return lo;
}

std::vector<StreamChunk> stream_chunks(const LayerWork& l, const StreamedPlan& p) {
  const int64_t kh = std::max<int64_t>(1, l.kh);
  const int64_t eff_kh = (kh - 1) * l.dilation_h + 1;
  const int64_t rows = std::max<int64_t>(1, p.rows_per_chunk);
  const int64_t chans = std::max<int64_t>(1, p.channels_per_chunk);
  std::vector<StreamChunk> out;
  int64_t ci = 0;
  for (int64_t c0 = 0; c0 < l.out_c; c0 += chans, ++ci) {
    int64_t ri = 0;
    for (int64_t oy = 0; oy < l.out_h; oy += rows, ++ri) {
      StreamChunk c;
      c.c0 = c0;
      c.c1 = std::min(l.out_c, c0 + chans);
      c.oy0 = oy;
      c.oy1 = std::min(l.out_h, oy + rows);
      c.r0 = std::max<int64_t>(0, oy * l.stride_h - l.pad_top);
      c.r1 = std::min(l.in_h, (c.oy1 - 1) * l.stride_h - l.pad_top + eff_kh);
      c.ci = ci;
      c.ri = ri;
      out.push_back(c);
    }
  }
  return out;
}

Result<LayerPlan> make_plan(const LayerWork& w, const PlanRequest& req) {
  LayerPlan p;
  p.layer = w.name;
  p.kind = layer_kind_name(w.kind);
  p.pruning = pruning_text(w);
  SIEVE_ASSIGN_OR_RETURN(p.lowered, lower(w, req.rules));
  const BufferModel& bm = req.buffers;
  if (bm.neuron_bits < 1) {
    return invalid_argument("layer \"{}\": neuron_bits {} (expected >= 1)", w.name, bm.neuron_bits);
  }
  p.share = subop_share(bm.whole, bm.ping_pong);
  if (p.lowered.streamed) {
    const bool rows = w.kind == LayerKind::kPool ? req.rules.pool == PoolMapping::kStreamedRows
                                                 : req.rules.other == OtherMapping::kStreamedRows;
    if (rows) {
      p.streamed =
          streamed_rows(w, p.share.nbin * 8 / bm.neuron_bits, p.share.nbout * 8 / bm.neuron_bits);
    } else {
      p.streamed = flat_chunks(w, p.share, bm.neuron_bits / 8);
    }
    return p;
  }
  p.tiled = true;
  LayerGeometry& g = p.lowered.geometry;
  if (!(req.in_density > 0 && req.in_density <= 1)) {
    return invalid_argument("layer \"{}\": input density {} (expected 0 < d <= 1)", w.name,
                            req.in_density);
  }
  g.in_density = req.in_density;
  g.bytes_per_element = static_cast<double>(bm.neuron_bits) / 8.0;
  BufferCapacity cap = value_capacity(p.share);
  const bool weighted = w.kind != LayerKind::kPool && w.rows > 0 && w.cols > 0;
  if (!weighted) {
    g.w_density = 0;
  } else if (bm.sb_holds_all_weights) {
    g.w_density = 1.0 / static_cast<double>(w.rows * w.cols);
    cap.sb = std::numeric_limits<int64_t>::max() / 4;
  } else {
    if (!(req.weight_ratio > 0)) {
      return invalid_argument("layer \"{}\": weight ratio {} (expected > 0)", w.name,
                              req.weight_ratio);
    }
    g.w_density = std::min(1.0, req.weight_ratio);
    if (req.weight_ratio > 1.0)
      cap.sb = static_cast<int64_t>(static_cast<double>(cap.sb) / req.weight_ratio);
  }
  p.index = req.index;
  if (!weighted || bm.sb_holds_all_weights) p.index.weight_index = false;
  const IndexModel ix = p.index;
  const BufferSizes share = p.share;
  TilingFilter accept;
  if (ix.input_index || ix.weight_index || req.accept) {
    accept = [&](const Tiling& t) {
      if (ix.input_index && input_index_bits(g, t, ix) > share.nibin * 8) return false;
      if (ix.weight_index && weight_index_bits(g, t, ix) > share.sib * 8) return false;
      return !req.accept || req.accept(t);
    };
  }
  Result<TilingPlan> choice = plan_layer(g, cap, accept, req.cost);
  if (!choice.ok()) {
    return choice.status().with_context(fmt::format(
        "layer \"{}\": no tiling fits NBin {} B, NIBin {} B, NBout {} B, SB {} B, SIB {} B", w.name,
        share.nbin, share.nibin, share.nbout, cap.sb, share.sib));
  }
  p.choice = *choice;
  p.moved = subop_traffic(g, p.choice.tiling);
  p.placement = place(g, p.choice.tiling, ix, share);
  if (bm.sb_holds_all_weights) p.placement[3].capacity = cap.sb;
  p.sub_ops = planned_sub_ops(w, p.lowered, p.choice.tiling, p.choice.reuse,
                              req.weight_rank.get());
  return p;
}

std::string plan_text(const LayerPlan& p, bool with_sub_ops) {
  const Lowered& lo = p.lowered;
  std::string s = fmt::format("layer {} ({}), mapping {}", p.layer, p.kind, lo.mapping);
  if (!p.pruning.empty()) s += ", pruned: " + p.pruning;
  if (lo.repeat > 1) s += fmt::format(", run x{}", lo.repeat);
  s += "\n";
  if (!lo.note.empty()) s += "  note: " + lo.note + "\n";
  if (!p.tiled) {
    s += fmt::format("  streamed ({}): ", p.streamed.rule);
    if (p.streamed.rule == "flat-chunks") {
      s += fmt::format("{} chunks\n", p.streamed.chunks);
    } else {
      s += fmt::format("{} rows x {} channels a chunk, {} chunks\n", p.streamed.rows_per_chunk,
                       p.streamed.channels_per_chunk, p.streamed.chunks);
    }
    return s;
  }
  const LayerGeometry& g = lo.geometry;
  s += fmt::format(
      "  geometry: in {}x{}x{}, kernel {}x{} stride {}x{}, out {}x{}x{}{}; input density {:.4f}, "
      "weight density {:.4f}, {} B/element\n",
      g.in_c, g.in_h, g.in_w, g.kh, g.kw, g.stride_h, g.stride_w, g.out_c, g.out_h, g.out_w,
      g.depthwise ? ", depthwise" : "", g.in_density, g.w_density, g.bytes_per_element);
  s += fmt::format("  tiling: {}; {}; {} sub-ops\n", p.choice.tiling.to_string(),
                   reuse_name(p.choice.reuse), p.sub_ops.size());
  s += fmt::format(
      "  traffic (formula, B): input-reuse {:.0f}, output-reuse {:.0f}, "
      "synapse-reuse {:.0f}; moved by the sub-ops: {:.0f}\n",
      p.choice.traffic.input_reuse, p.choice.traffic.output_reuse, p.choice.traffic.synapse_reuse,
      p.moved.of(p.choice.reuse));
  s += "  placement:";
  for (const BufferUse& u : p.placement) {
    if (u.bytes == 0 && u.capacity == 0) continue;
    s += fmt::format(" {} {:.1f}/{} B;", buffer_name(u.buffer), u.bytes, u.capacity);
  }
  s.back() = '\n';
  if (p.index.weight_index) {
    s += fmt::format("  weight index: 1 bit per {} rows x {} columns\n", p.index.rows_per_bit,
                     p.index.cols_per_bit);
  }
  if (with_sub_ops) {
    for (const PlannedSubOp& o : p.sub_ops) {
      s += fmt::format(
          "    oc[{},{}) ic[{},{}) oh[{},{}) ow[{},{}) {}{}{}{}{} in {} w {}/{} psum {}/{} out "
          "{}\n",
          o.oc_begin, o.oc_end, o.ic_begin, o.ic_end, o.oh_begin, o.oh_end, o.ow_begin, o.ow_end,
          o.op.load_input ? "I" : "-", o.op.load_weights ? "W" : "-", o.op.load_psum ? "P" : "-",
          o.op.store_psum ? "p" : "-", o.op.store_output ? "O" : "-", o.input_elems, o.weight_kept,
          o.weight_positions, o.psum_load_elems, o.psum_store_elems, o.output_elems);
    }
  }
  return s;
}

nlohmann::json plan_json(const LayerPlan& p, bool with_sub_ops) {
  const Lowered& lo = p.lowered;
  nlohmann::json j = {{"pruning", p.pruning},  {"name", p.layer},     {"kind", p.kind},
                      {"mapping", lo.mapping}, {"repeat", lo.repeat}, {"note", lo.note},
                      {"tiled", p.tiled}};
  if (!p.tiled) {
    j["streamed"] = {{"rule", p.streamed.rule},
                     {"rows_per_chunk", p.streamed.rows_per_chunk},
                     {"channels_per_chunk", p.streamed.channels_per_chunk},
                     {"chunks", p.streamed.chunks}};
    return j;
  }
  const LayerGeometry& g = lo.geometry;
  const Tiling& t = p.choice.tiling;
  auto traffic = [](const Traffic& tr) {
    return nlohmann::json{{"input_reuse", tr.input_reuse},
                          {"output_reuse", tr.output_reuse},
                          {"synapse_reuse", tr.synapse_reuse}};
  };
  j["geometry"] = {{"in", {g.in_c, g.in_h, g.in_w}}, {"out", {g.out_c, g.out_h, g.out_w}},
                   {"kernel", {g.kh, g.kw}},         {"stride", {g.stride_h, g.stride_w}},
                   {"depthwise", g.depthwise},       {"in_density", g.in_density},
                   {"w_density", g.w_density},       {"bytes_per_element", g.bytes_per_element}};
  j["index"] = {{"input", p.index.input_index},
                {"weight", p.index.weight_index},
                {"rows_per_bit", p.index.rows_per_bit},
                {"cols_per_bit", p.index.cols_per_bit}};
  j["tiling"] = {{"oc", {t.oc_seg_n, t.oc_seg_size}},
                 {"oh", {t.oh_seg_n, t.oh_seg_size}},
                 {"ic", {t.ic_seg_n, t.ic_seg_size}},
                 {"ow", {t.ow_seg_n, t.ow_seg_size}},
                 {"text", t.to_string()}};
  const SegmentSizes seg = segment_sizes(g, t);
  j["segments"] = {{"in", seg.in}, {"syn", seg.syn}, {"out", seg.out}};
  j["reuse"] = reuse_name(p.choice.reuse);
  j["traffic_bytes"] = traffic(p.choice.traffic);
  j["moved_bytes"] = traffic(p.moved);
  nlohmann::json buffers = nlohmann::json::array();
  for (const BufferUse& u : p.placement) {
    buffers.push_back({{"buffer", buffer_name(u.buffer)},
                       {"holds", u.holds},
                       {"bytes", u.bytes},
                       {"capacity", u.capacity}});
  }
  j["placement"] = buffers;
  j["sub_op_count"] = p.sub_ops.size();
  if (with_sub_ops) {
    nlohmann::json rows = nlohmann::json::array();
    for (const PlannedSubOp& o : p.sub_ops) {
      std::string flags;
      flags += o.op.load_input ? 'I' : '-';
      flags += o.op.load_weights ? 'W' : '-';
      flags += o.op.load_psum ? 'P' : '-';
      flags += o.op.store_psum ? 'p' : '-';
      flags += o.op.store_output ? 'O' : '-';
      rows.push_back({o.oc_begin, o.oc_end, o.ic_begin, o.ic_end, o.oh_begin, o.oh_end, o.ow_begin,
                      o.ow_end, flags, o.input_elems, o.weight_positions, o.weight_kept,
                      o.psum_load_elems, o.psum_store_elems, o.output_elems});
    }
    j["sub_ops"] = {{"fields",
                     {"oc_begin", "oc_end", "ic_begin", "ic_end", "oh_begin", "oh_end", "ow_begin",
                      "ow_end", "flags", "input_elems", "weight_positions", "weight_kept",
                      "psum_load_elems", "psum_store_elems", "output_elems"}},
                    {"rows", rows}};
  }
  return j;
}

}  // namespace sieve::compiler
