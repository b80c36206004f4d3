// Code generation (codegen.h). The generator makes three passes over a layer's plan: the DRAM
// layout (every segment the plan moves gets its range), the halves (which ping-pong half each
// sub-operation's segments sit in), and the instructions, emitted in software-pipelined order
// and packed into words by deps.h.
#include "sieve/compiler/codegen/codegen.h"

#include <fmt/format.h>

#include <algorithm>
#include <tuple>

#include "sieve/compiler/tiling.h"
#include "sieve/core/assert.h"

namespace sieve::compiler::codegen {
namespace {

using isa::Op;

constexpr int64_t kAlign = 64;  // tensors start on 64-byte DRAM lines
constexpr int kNbin = 0, kNbout = 2, kSb = 3, kLut = 5;

int64_t ceil_div(int64_t a, int64_t b) {
  return (a + b - 1) / b;
}
int64_t bytes_of_bits(int64_t bits) {
  return ceil_div(bits, 8);
}
int64_t align_up(int64_t a) {
  return ceil_div(a, kAlign) * kAlign;
}

// The work of one step of the pipeline: a sub-operation's (or chunk's) loads, compute, stores.
struct Stage {
  std::vector<Item> loads, compute, stores;
  std::string comment;
};

class Generator {
 public:
  Generator(const LayerWork& l, const LayerPlan& p, const Target& t, const CodegenOptions& o)
      : l_(l), p_(p), t_(t), o_(o) {}

  Result<CompiledLayer> run();

 private:
  // Layout: allocates (once) the segment of `key` in tensor t; returns its offset.
  int64_t segment(TensorId t, const Segment& key, int64_t bytes);
  int64_t seg_offset(TensorId t, const Segment& key) const;
  void finish_layout();

  Status tiled_stages(std::vector<Stage>& stages);
  Status pool_stages(std::vector<Stage>& stages);
  void cell_update_stages(std::vector<Stage>& stages);

  // A load or store of `bytes` between half `half` of buffer `buf` (byte `off`) and tensor t's
  // DRAM range at `addr` from its base register.
  Item io(Op op, int buf, int64_t half, bool idx, int64_t off, TensorId t, int64_t addr,
          int64_t bytes) const;
  Item ld(int buf, int64_t half, bool idx, int64_t off, TensorId t, int64_t addr,
          int64_t bytes) const {
    return io(Op::ld, buf, half, idx, off, t, addr, bytes);
  }
  Item st(int buf, int64_t half, bool idx, int64_t off, TensorId t, int64_t addr,
          int64_t bytes) const {
    return io(Op::st, buf, half, idx, off, t, addr, bytes);
  }
  int64_t half_bytes(int buf) const { return t_.buffer_half[buf]; }

  const LayerWork& l_;
  const LayerPlan& p_;
  const Target& t_;
  const CodegenOptions& o_;
  CompiledLayer out_;
  std::array<int64_t, kTensors> next_{};  // allocation cursor per tensor
  std::map<std::tuple<int, int64_t, int64_t, int64_t, int64_t, int64_t>, int64_t> seg_;
  std::array<bool, kTensors> used_{};
};

Item Generator::io(Op op, int buf, int64_t half, bool idx, int64_t off, TensorId t,
                   int64_t addr, int64_t bytes) const {
  return Item{isa::make_insn(op, {{"buf", buf},
                                  {"half", half},
                                  {"idx", idx ? 1 : 0},
                                  {"off", off},
                                  {"base", base_register(t)},
                                  {"addr", addr},
                                  {"bytes", bytes}})};
}

int64_t Generator::segment(TensorId t, const Segment& key, int64_t bytes) {
  const auto k = std::make_tuple(static_cast<int>(t), key.oc, key.oh, key.ic, key.ow, key.part);
  if (auto f = seg_.find(k); f != seg_.end()) return f->second;
  used_[static_cast<size_t>(t)] = true;
  Segment s = key;
  s.tensor = t;
  s.bytes = bytes;
  s.offset = next_[static_cast<size_t>(t)];
  next_[static_cast<size_t>(t)] += bytes;
  seg_[k] = s.offset;
  out_.layout.segments.push_back(s);
  return s.offset;
}

void Generator::finish_layout() {
  Layout& lay = out_.layout;
  int64_t at = align_up(o_.dram_base);
  const bool lstm = l_.kind == LayerKind::kLstm;
  for (int i = 0; i < kTensors; ++i) {
    const auto t = static_cast<TensorId>(i);
    const int64_t step = next_[static_cast<size_t>(i)];
    lay.step_bytes[static_cast<size_t>(i)] = step;
    const bool per_step = lstm && (t == TensorId::kInput || t == TensorId::kOutput);
    lay.step_stride[static_cast<size_t>(i)] = per_step ? step : 0;
    lay.base[static_cast<size_t>(i)] = at;
    at = align_up(at + step * (per_step ? out_.steps : 1));
  }
  lay.end = at;
  for (size_t i = 0; i < lay.segments.size(); ++i) {
    const Segment& s = lay.segments[i];
    lay.index[{static_cast<int>(s.tensor), s.offset}] = i;
  }
}

// The tiled sub-operations of one pass (one LSTM step).
Status Generator::tiled_stages(std::vector<Stage>& stages) {
  const bool lstm = l_.kind == LayerKind::kLstm;
  const int64_t cpc = p_.lowered.cols_per_channel;
  const int64_t nb = t_.neuron_bits, pb = t_.psum_bits;
  // Halves: a load toggles its buffer; an output segment toggles NBout when it starts.
  int64_t nbin_half = 1, sb_half = 1, nbout_half = 1;
  bool first_weights = true;
  bool prev_open = false;  // the previous sub-op left its output segment in NBout
  int64_t po = -1, ph = -1, px = -1;
  for (const PlannedSubOp& s : p_.sub_ops) {
    const SubOp& so = s.op;
    Stage st_;
    st_.comment = fmt::format("sub-op oc[{},{}) ic[{},{}) oh[{},{}) ow[{},{})", s.oc_begin,
                              s.oc_end, s.ic_begin, s.ic_end, s.oh_begin, s.oh_end, s.ow_begin,
                              s.ow_end);
    const int64_t rows = s.rows(), cols = s.channels() * cpc, pos = s.positions();
    if (so.load_input) {
      nbin_half ^= 1;
      const int64_t elems = s.input_elems;
      const int64_t bytes =
          bytes_of_bits(elems * nb) + (t_.neuron_index ? bytes_of_bits(elems) : 0);
      const int64_t off =
          segment(TensorId::kInput, Segment{.oc = so.oc_seg, .oh = so.oh_seg, .ic = so.ic_seg,
                                            .ow = so.ow_seg},
                  bytes);
      st_.loads.push_back(ld(kNbin, nbin_half, t_.neuron_index, 0, TensorId::kInput, off,
                             std::min(bytes, half_bytes(kNbin))));
    }
    if (so.load_weights) {
      if (first_weights && t_.wdm && t_.lut_bytes > 0) {
        const int64_t off = segment(TensorId::kCodebook, Segment{}, t_.lut_bytes);
        st_.loads.push_back(ld(kLut, 0, false, 0, TensorId::kCodebook, off, t_.lut_bytes));
      }
      first_weights = false;
      sb_half ^= 1;
      const int64_t bytes =
          bytes_of_bits(rows * cols * t_.weight_bits) +
          (t_.synapse_index ? bytes_of_bits(ceil_div(rows, t_.tn) * cols) : 0);
      const int64_t off =
          segment(TensorId::kWeights, Segment{.oc = so.oc_seg, .ic = so.ic_seg}, bytes);
      st_.loads.push_back(ld(kSb, sb_half, t_.synapse_index, 0, TensorId::kWeights, off,
                             std::min(bytes, half_bytes(kSb))));
    }
    const bool same_out = prev_open && so.oc_seg == po && so.oh_seg == ph && so.ow_seg == px;
    if (!same_out) nbout_half ^= 1;
    const Segment out_key{.oc = so.oc_seg, .oh = so.oh_seg, .ow = so.ow_seg};
    if (so.load_psum) {
      const int64_t bytes = bytes_of_bits(s.psum_load_elems * pb);
      const int64_t off = segment(TensorId::kPartialSums, out_key, bytes);
      st_.loads.push_back(
          ld(kNbout, nbout_half, false, 0, TensorId::kPartialSums, off, bytes));
    }
    const bool enc = so.store_output && t_.encoder && !lstm;
    st_.compute.push_back(Item{isa::make_insn(
        Op::mxv, {{"in", nbin_half},
                  {"w", sb_half},
                  {"out", nbout_half},
                  {"groups", ceil_div(rows, t_.tn)},
                  {"vecs", pos},
                  {"col", s.ic_begin * cpc},
                  {"cols", cols},
                  {"acc", (same_out || so.load_psum) ? 1 : 0},
                  {"nidx", t_.neuron_index ? 1 : 0},
                  {"sidx", t_.synapse_index ? 1 : 0},
                  {"wdm", t_.wdm ? 1 : 0},
                  {"enc", enc ? 1 : 0}})});
    if (so.store_psum) {
      const int64_t bytes = bytes_of_bits(s.psum_store_elems * pb);
      const int64_t off = segment(TensorId::kPartialSums, out_key, bytes);
      st_.stores.push_back(st(kNbout, nbout_half, false, 0, TensorId::kPartialSums, off, bytes));
    }
    if (so.store_output) {
      if (lstm) {  // gate rows, stored dense at their row position for the cell update
        const int64_t bytes = bytes_of_bits(s.output_elems * pb);
        st_.stores.push_back(st(kNbout, nbout_half, false, 0, TensorId::kGates,
                                bytes_of_bits(s.oc_begin * pb), bytes));
        used_[static_cast<size_t>(TensorId::kGates)] = true;
        next_[static_cast<size_t>(TensorId::kGates)] =
            std::max(next_[static_cast<size_t>(TensorId::kGates)], bytes_of_bits(l_.rows * pb));
      } else {
        const int64_t elems = s.output_elems;
        const int64_t bytes =
            bytes_of_bits(elems * nb) + (t_.encoder ? bytes_of_bits(elems) : 0);
        const int64_t off = segment(TensorId::kOutput, out_key, bytes);
        st_.stores.push_back(st(kNbout, nbout_half, t_.encoder, 0, TensorId::kOutput, off,
                                std::min(bytes, half_bytes(kNbout))));
      }
    }
    prev_open = !so.store_output && !so.store_psum;
    po = so.oc_seg;
    ph = so.oh_seg;
    px = so.ow_seg;
    stages.push_back(std::move(st_));
  }
  return ok_status();
}

// Pooling streamed through the vector unit, in the plan's chunks (channels × output rows).
Status Generator::pool_stages(std::vector<Stage>& stages) {
  const int64_t kh = std::max<int64_t>(1, l_.kh), kw = std::max<int64_t>(1, l_.kw);
  if (kh > 15 || kw > 15 || l_.stride_h > 15 || l_.stride_w > 15)
    return invalid_argument(
        "layer {}: pooling window {}x{} stride {}x{} does not fit pmax's 4-bit kh, kw, sh, sw",
        l_.name, kh, kw, l_.stride_h, l_.stride_w);
  if (l_.in_c != l_.out_c)
    return invalid_argument("layer {}: pooling with {} input and {} output channels", l_.name,
                            l_.in_c, l_.out_c);
  const int64_t eff_kh = (kh - 1) * l_.dilation_h + 1;
  const int64_t nb = t_.neuron_bits;
  int64_t half = 1;
  for (const StreamChunk& ch : stream_chunks(l_, p_.streamed)) {
    const int64_t c0 = ch.c0, c1 = ch.c1, oy = ch.oy0, oy1 = ch.oy1, r0 = ch.r0, r1 = ch.r1;
    const int64_t ci = ch.ci, ri = ch.ri;
    half ^= 1;
    Stage s;
    s.comment = fmt::format("chunk channels [{},{}) output rows [{},{})", c0, c1, oy, oy1);
    const int64_t in_elems = (c1 - c0) * std::max<int64_t>(0, r1 - r0) * l_.in_w;
    const int64_t in_bytes =
        bytes_of_bits(in_elems * nb) + (t_.neuron_index ? bytes_of_bits(in_elems) : 0);
    const Segment key{.oc = ci, .oh = ri};
    const int64_t ioff = segment(TensorId::kInput, key, in_bytes);
    s.loads.push_back(ld(kNbin, half, t_.neuron_index, 0, TensorId::kInput, ioff,
                         std::min(in_bytes, half_bytes(kNbin))));
    // The h x w map the window slides over, padding included (generated on chip).
    const int64_t h = (oy1 - oy - 1) * l_.stride_h + eff_kh;
    const int64_t w = l_.in_w + l_.pad_left + l_.pad_right;
    s.compute.push_back(Item{isa::make_insn(l_.pool_type == "avg" ? Op::pavg : Op::pmax,
                                            {{"src", half},
                                             {"dst", half},
                                             {"ch", c1 - c0},
                                             {"h", h},
                                             {"w", w},
                                             {"kh", kh},
                                             {"kw", kw},
                                             {"sh", l_.stride_h},
                                             {"sw", l_.stride_w}})});
    const int64_t out_elems = (c1 - c0) * (oy1 - oy) * l_.out_w;
    const int64_t out_bytes =
        bytes_of_bits(out_elems * nb) + (t_.encoder ? bytes_of_bits(out_elems) : 0);
    const int64_t ooff = segment(TensorId::kOutput, key, out_bytes);
    s.stores.push_back(st(kNbout, half, t_.encoder, 0, TensorId::kOutput, ooff,
                          std::min(out_bytes, half_bytes(kNbout))));
    stages.push_back(std::move(s));
  }
  return ok_status();
}

// The LSTM cell update of one step, in chunks of units that fit an NBout half: 4n gate
// pre-activations, c, and h (12 bytes a unit at 16 bits).
void Generator::cell_update_stages(std::vector<Stage>& stages) {
  const int64_t hidden = l_.out_c, pb = t_.psum_bits, nb = t_.neuron_bits;
  const int64_t per_unit = bytes_of_bits(4 * pb) + bytes_of_bits(pb) + bytes_of_bits(nb);
  const int64_t n_max = std::max<int64_t>(1, half_bytes(kNbout) / per_unit);
  used_[static_cast<size_t>(TensorId::kCell)] = true;
  next_[static_cast<size_t>(TensorId::kCell)] = bytes_of_bits(hidden * pb);
  int64_t half = 1, chunk = 0;
  for (int64_t u0 = 0; u0 < hidden; u0 += n_max, ++chunk) {
    const int64_t u1 = std::min(hidden, u0 + n_max), n = u1 - u0;
    half ^= 1;
    Stage s;
    s.comment = fmt::format("cell update, units [{},{})", u0, u1);
    const int64_t gb = bytes_of_bits(n * pb);
    for (int64_t g = 0; g < 4; ++g)
      s.loads.push_back(ld(kNbout, half, false, g * gb, TensorId::kGates,
                           bytes_of_bits((g * hidden + u0) * pb), gb));
    const int64_t cell_off = 4 * gb, h_off = 5 * gb;
    s.loads.push_back(
        ld(kNbout, half, false, cell_off, TensorId::kCell, bytes_of_bits(u0 * pb), gb));
    s.compute.push_back(Item{isa::make_insn(
        Op::lstm, {{"half", half}, {"gates", 0}, {"cell", cell_off}, {"h", h_off}, {"n", n}})});
    s.stores.push_back(
        st(kNbout, half, false, cell_off, TensorId::kCell, bytes_of_bits(u0 * pb), gb));
    const int64_t hb = bytes_of_bits(n * nb) + (t_.encoder ? bytes_of_bits(n) : 0);
    const int64_t hoff = segment(TensorId::kOutput, Segment{.oc = chunk, .begin = u0, .end = u1}, hb);
    s.stores.push_back(st(kNbout, half, t_.encoder, h_off, TensorId::kOutput, hoff, hb));
    stages.push_back(std::move(s));
  }
}

// Software pipelining: step s holds the compute of sub-op s-1, the loads of s and the stores of
// s-2. Program order is the semantics, so the stores of s-2 go after the compute and loads of
// the step only when they touch nothing those write or read (the ping-pong halves make that the
// usual case); otherwise before the loads, or before everything. Compute first lets the bundler
// put a step's work in one word whose sync waits for the loads of s-1 and the compute of s-2:
// it issues at the N + 2 model's step boundary (deps.h: tightening a sync on the unit of the
// word's own instruction is free). Steps that move partial sums keep stores first: there the
// psum store of s-2 would join that word and start only at the step boundary, and the psum
// load that follows it through DRAM would wait for it (measured: VGG16 fc7 +2.9 % cycles in
// that order, 0.0 % with stores first; docs/RESULTS.md).
bool independent(const std::vector<Item>& a, const std::vector<Item>& b) {
  for (const Item& x : a)
    for (const Item& y : b)
      if (hazard(x.insn, y.insn) != Hazard::kNone) return false;
  return true;
}

void emit_pipelined(std::vector<Stage>& stages, std::vector<Item>& items) {
  const int64_t n = static_cast<int64_t>(stages.size());
  std::vector<Item> none;  // stays empty
  for (int64_t s = 0; s < n + 2; ++s) {
    std::string comment = fmt::format("step {}", s + 1);
    auto add = [&](std::vector<Item>& v) {
      for (Item& it : v) {
        if (!comment.empty()) {
          it.comment = comment;
          comment.clear();
        }
        items.push_back(std::move(it));
      }
    };
    std::vector<Item>& stores = s >= 2 ? stages[static_cast<size_t>(s - 2)].stores : none;
    std::vector<Item>& compute = s >= 1 && s <= n ? stages[static_cast<size_t>(s - 1)].compute : none;
    std::vector<Item>& loads = s < n ? stages[static_cast<size_t>(s)].loads : none;
    bool psum = false;
    for (const Item& it : loads)
      psum = psum || isa::operand(it.insn, "base") == base_register(TensorId::kPartialSums);
    for (const Item& it : stores)
      psum = psum || isa::operand(it.insn, "base") == base_register(TensorId::kPartialSums);
    const bool after_compute = !psum && independent(compute, stores);
    const bool after_loads = after_compute && independent(loads, stores);
    if (!after_compute) add(stores);
    add(compute);
    if (after_compute && !after_loads) add(stores);
    add(loads);
    if (after_loads) add(stores);
  }
}

Result<CompiledLayer> Generator::run() {
  out_.layer = l_.name;
  const bool lstm = l_.kind == LayerKind::kLstm;
  out_.steps = lstm ? std::max<int64_t>(1, l_.timesteps) : 1;
  std::vector<Stage> matrix, cell;
  if (p_.tiled) {
    if (l_.kind != LayerKind::kConv && l_.kind != LayerKind::kFullyConnected && !lstm)
      return invalid_argument("layer {}: {} layers are not tiled on {}", l_.name,
                              layer_kind_name(l_.kind), t_.arch);
    if (p_.lowered.repeat_is_group || (p_.lowered.repeat > 1 && !lstm))
      return invalid_argument("layer {}: mapping {} repeats the plan {} times; the {} code "
                              "generator runs groups side by side",
                              l_.name, p_.lowered.mapping, p_.lowered.repeat, t_.arch);
    SIEVE_RETURN_IF_ERROR(tiled_stages(matrix));
    if (lstm) cell_update_stages(cell);
  } else if (l_.kind == LayerKind::kPool) {
    SIEVE_RETURN_IF_ERROR(pool_stages(matrix));
  } else {
    return invalid_argument("layer {}: no {} code for {} layers (mapping {})", l_.name, t_.arch,
                            layer_kind_name(l_.kind), p_.lowered.mapping);
  }
  finish_layout();

  std::vector<Item>& items = out_.items;
  std::string head = fmt::format("layer {} ({})", l_.name, layer_kind_name(l_.kind));
  for (int i = 0; i < kTensors; ++i) {
    if (!used_[static_cast<size_t>(i)]) continue;
    Item it{isa::make_insn(Op::sset, {{"rd", base_register(static_cast<TensorId>(i))},
                                      {"imm", out_.layout.base[static_cast<size_t>(i)]}})};
    it.comment = std::exchange(head, "");
    items.push_back(std::move(it));
  }
  const bool loop = lstm && out_.steps > 1;
  if (loop)
    items.push_back(Item{isa::make_insn(Op::sset, {{"rd", kStepCounter}, {"imm", out_.steps}})});
  const size_t body = items.size();
  emit_pipelined(matrix, items);
  if (lstm) emit_pipelined(cell, items);
  if (loop) {
    items[body].block_start = true;
    items[body].label = 0;
    items[body].comment = fmt::format("LSTM step loop ({} steps)\n", out_.steps) + items[body].comment;
    const TensorId per_step[] = {TensorId::kInput, TensorId::kOutput};
    for (TensorId t : per_step) {
      if (!used_[static_cast<size_t>(t)]) continue;
      items.push_back(Item{isa::make_insn(
          Op::saddi, {{"rd", base_register(t)},
                      {"ra", base_register(t)},
                      {"imm", out_.layout.step_stride[static_cast<size_t>(t)]}})});
    }
    items.push_back(Item{isa::make_insn(
        Op::saddi, {{"rd", kStepCounter}, {"ra", kStepCounter}, {"imm", -1}})});
    items.push_back(
        Item{isa::make_insn(Op::bnz, {{"ra", kStepCounter}, {"target", 0}})});
  }
  items.push_back(Item{isa::make_insn(Op::halt, {})});

  SIEVE_ASSIGN_OR_RETURN(out_.packed, pack(items, PackOptions{o_.multi_issue}));
  if (Status s = isa::validate(out_.packed.program); !s.ok())
    return s.with_context(fmt::format("layer {}: generated program", l_.name));
  return std::move(out_);
}

}  // namespace

const char* tensor_name(TensorId t) {
  switch (t) {
    case TensorId::kInput: return "input";
    case TensorId::kWeights: return "weights";
    case TensorId::kCodebook: return "codebook";
    case TensorId::kPartialSums: return "psum";
    case TensorId::kOutput: return "output";
    case TensorId::kGates: return "gates";
    case TensorId::kCell: return "cell";
  }
  return "?";
}

const Segment* Layout::find(TensorId t, int64_t offset) const {
  auto f = index.find({static_cast<int>(t), offset});
  return f == index.end() ? nullptr : &segments[f->second];
}

bool Layout::tensor_of_register(int r, TensorId* t) {
  if (r < 1 || r > kTensors) return false;
  *t = static_cast<TensorId>(r - 1);
  return true;
}

Result<Layout::Address> Layout::resolve(int base, int64_t addr,
                                        const std::array<int64_t, 16>& regs,
                                        int64_t steps) const {
  Address a;
  if (!tensor_of_register(base, &a.tensor))
    return invalid_argument("base register r{} addresses no tensor of the layer", base);
  const auto ti = static_cast<size_t>(a.tensor);
  a.offset = addr + regs[static_cast<size_t>(base)] - this->base[ti];
  if (const int64_t stride = step_stride[ti]; stride > 0 && a.offset >= 0) {
    a.step = a.offset / stride;
    a.offset -= a.step * stride;
    if (a.step >= steps)
      return invalid_argument("{} address is in step {} of the layer's {}", tensor_name(a.tensor),
                              a.step, steps);
  }
  if (a.offset < 0 || a.offset >= std::max<int64_t>(1, step_bytes[ti]))
    return invalid_argument("address {:#x} is outside the {} tensor", a.offset + this->base[ti],
                            tensor_name(a.tensor));
  return a;
}

Result<CompiledLayer> generate(const LayerWork& layer, const LayerPlan& plan, const Target& target,
                               const CodegenOptions& options) {
  return Generator(layer, plan, target, options).run();
}

LinkedProgram link(const std::vector<CompiledLayer>& layers) {
  LinkedProgram out;
  for (size_t i = 0; i < layers.size(); ++i) {
    const isa::Program& p = layers[i].packed.program;
    const size_t first = out.program.words.size();
    out.first_word.push_back(first);
    for (const auto& [w, c] : layers[i].packed.comments) out.comments[first + w] = c;
    for (size_t w = 0; w < p.words.size(); ++w) {
      isa::Bundle b = p.words[w];
      isa::Insn& ctl = b.slot[static_cast<size_t>(isa::Unit::kControl)];
      if (ctl.op == Op::halt) {
        if (i + 1 < layers.size()) {
          // The next layer reads what this one stored: wait for every unit.
          ctl = isa::make_sync({0, 0, 0, 0});
        }
      } else if (ctl.op == Op::jmp || ctl.op == Op::bnz) {
        const isa::InsnInfo* ii = isa::info(ctl.op);
        for (size_t k = 0; k < ii->fields.size(); ++k)
          if (ii->fields[k].kind == isa::Kind::kLabel) ctl.v[k] += static_cast<int64_t>(first);
      }
      out.program.words.push_back(b);
    }
  }
  return out;
}

std::string layout_text(const CompiledLayer& c) {
  std::string s = fmt::format("code: {} instructions in {} words ({} with a sync){}\n",
                              c.instructions(), c.packed.program.words.size(), c.packed.syncs,
                              c.steps > 1 ? fmt::format(", a loop of {} steps", c.steps) : "");
  s += "DRAM layout (tensor: base register, address, bytes, segments):\n";
  for (int i = 0; i < kTensors; ++i) {
    const auto t = static_cast<TensorId>(i);
    const int64_t bytes = c.layout.step_bytes[static_cast<size_t>(i)];
    if (bytes == 0) continue;
    int64_t n = 0;
    for (const Segment& sg : c.layout.segments) n += sg.tensor == t ? 1 : 0;
    s += fmt::format("  {}: r{}, {:#x}, {} B{}{}\n", tensor_name(t), base_register(t),
                     c.layout.base[static_cast<size_t>(i)], bytes,
                     c.layout.step_stride[static_cast<size_t>(i)] > 0
                         ? fmt::format(" a step x {}", c.steps)
                         : "",
                     n > 0 ? fmt::format(", {} segments", n) : "");
  }
  return s;
}

}  // namespace sieve::compiler::codegen
