// build_workload: walks a CompressedModel's graph in execution order and turns every
// FullyConnected (and MatMul by a 2-D weight), Conv, pooling and LSTM node into a LayerWork.
//
// Reasons worth knowing:
//  * Geometry comes from shape inference on a shallow copy of the graph (weights shared, not
//    copied), so VGG16 or ResNet-152 costs only their masks.
//  * Element-wise ops (Relu, BatchNorm, Add, LRN, ...), reshapes and GRU are not layers of the
//    accelerators we model: they are skipped and counted in Workload::notes["skipped"]. A
//    layer's outputs are read after the chain of single-consumer Relu / BatchNorm / Dropout /
//    Identity nodes that follow it, because the accelerators apply them on the way out
//    (inference BatchNorm folds into the weights; ReLU is the PEFU's nonlinear function).
//  * An LSTM with a projection (Sak et al. 2014, the thesis' LSTM) is two layers: the gate
//    matrix [W | R] (4H × (in + proj)) and the projection W_proj (proj × H) as an FC layer
//    "<node>/proj" per time step ("<node>/proj@t" when T > 1). m_t = o ⊙ tanh(c_t) lives inside
//    the LSTM kernel, so computed activations mark it dense (it is zero only where c_t is
//    exactly 0); peepholes and biases are not matrix work and are left out.
//  * Synthetic activations draw each bit from its own seeded stream (seed, layer, sample), so
//    a layer's bits do not depend on the batch size or on the other layers. When the next layer
//    reads as many neurons as a layer writes, the two share one bit string (the encoder's
//    output is the next layer's input).
#include "sieve/compiler/workload.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <initializer_list>
#include <set>

#include "sieve/compress/model.h"
#include "sieve/core/checked.h"
#include "sieve/ir/shape_inference.h"
#include "sieve/runtime/executor.h"

namespace sieve::compiler {
namespace {

// SplitMix64 (Steele, Lea and Flood, OOPSLA 2014): a tiny, well-mixed deterministic generator.
uint64_t splitmix(uint64_t& state) {
  uint64_t z = (state += 0x9E3779B97F4A7C15ULL);
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
  return z ^ (z >> 31);
}

uint64_t stream_seed(uint64_t seed, uint64_t layer, uint64_t sample, uint64_t what) {
  uint64_t s = seed;
  uint64_t h = splitmix(s);
  s = h ^ (layer * 0xD1B54A32D192ED03ULL);
  h = splitmix(s);
  s = h ^ (sample * 0xABC98388FB8FAC03ULL);
  h = splitmix(s);
  s = h ^ what;
  return splitmix(s);
}

// n bits, each set with probability p (53-bit resolution).
BitVec bernoulli(int64_t n, double p, uint64_t seed) {
  if (p >= 1.0) return BitVec(n, true);
  BitVec b(n);
  if (p <= 0.0) return b;
  const uint64_t threshold = static_cast<uint64_t>(std::llround(std::ldexp(p, 53)));
  uint64_t state = seed;
  auto& words = b.words();
  for (int64_t base = 0; base < n; base += 64) {
    const int64_t end = std::min<int64_t>(64, n - base);
    uint64_t w = 0;
    for (int64_t j = 0; j < end; ++j) {
      w |= static_cast<uint64_t>((splitmix(state) >> 11) < threshold) << j;
    }
    words[static_cast<size_t>(base >> 6)] = w;
  }
  return b;
}

// Copies a rows × cols u8 mask (nullptr = all kept) into dst (row length dst_cols) at column
// offset col0. transposed: the source is stored cols × rows.
void put_mask(BitVec& dst, int64_t dst_cols, int64_t col0, const uint8_t* m, int64_t rows,
              int64_t cols, bool transposed) {
  if (m != nullptr && !transposed && dst_cols == cols && col0 == 0) {
    const int64_t n = rows * cols;
    auto& words = dst.words();
    for (int64_t base = 0; base < n; base += 64) {
      const int64_t end = std::min<int64_t>(64, n - base);
      uint64_t w = 0;
      for (int64_t j = 0; j < end; ++j) w |= static_cast<uint64_t>(m[base + j] != 0) << j;
      words[static_cast<size_t>(base >> 6)] = w;
    }
    return;
  }
  for (int64_t r = 0; r < rows; ++r) {
    for (int64_t c = 0; c < cols; ++c) {
      const bool keep = m == nullptr || (transposed ? m[c * rows + r] : m[r * cols + c]) != 0;
      if (keep) dst.set(r * dst_cols + col0 + c);
    }
  }
}

BitVec nonzeros(const Tensor& t) {
  const Tensor f = t.dtype() == DType::kF32 ? t : t.to_f32();
  const float* v = f.data<float>();
  BitVec b(f.numel());
  for (int64_t i = 0; i < f.numel(); ++i) {
    if (v[i] != 0.0f) b.set(i);
  }
  return b;
}

// Everything build_workload needs to know about one layer beyond its LayerWork.
struct Pending {
  LayerWork work;
  std::string input_value;   // the value read (computed activations)
  std::string output_value;  // the value written, after the fused chain
  // LSTM: the X, Y and initial_h values; the projection's time step (-1: not a projection).
  std::string lstm_x, lstm_y, lstm_h0;
  int64_t proj_step = -1;
  bool lstm_with_proj = false;
};

class Builder {
 public:
  Builder(const compress::CompressedModel& model, ir::Graph& g) : model_(model), g_(g) {
    for (const ir::Node& n : g_.nodes) {
      for (const std::string& in : n.inputs) {
        if (!in.empty()) consumers_[in].push_back(&n);
      }
    }
  }

  // Every node whose op category is one the accelerators model (layer_kind) becomes a layer;
  // the others are counted in `skipped` by op name.
  Status walk(std::map<std::string, int>& skipped) {
    for (const ir::Node& n : g_.nodes) {
      const ir::OpTraits& t = ir::op_traits(n.op);
      if (t.category == ir::OpCategory::kInput) continue;
      switch (layer_kind(t.category)) {
        case LayerKind::kFullyConnected: {
          // An operand that is a weight only when stored (MatMul's B) makes an FC layer only
          // as a 2-D initializer; else the op multiplies two activations.
          const Tensor* w = g_.weight(n);
          if (!t.fixed_weight && (w == nullptr || w->rank() != 2)) {
            ++skipped[std::string(ir::op_name(n.op))];
            break;
          }
          SIEVE_RETURN_IF_ERROR(add_fc(n).with_context(label(n)));
          break;
        }
        case LayerKind::kConv: SIEVE_RETURN_IF_ERROR(add_conv(n).with_context(label(n))); break;
        case LayerKind::kPool: SIEVE_RETURN_IF_ERROR(add_pool(n).with_context(label(n))); break;
        case LayerKind::kLstm: SIEVE_RETURN_IF_ERROR(add_lstm(n).with_context(label(n))); break;
        case LayerKind::kOther: ++skipped[std::string(ir::op_name(n.op))]; break;
      }
    }
    return ok_status();
  }

  std::vector<Pending>& layers() { return layers_; }

 private:
  static std::string label(const ir::Node& n) {
    return fmt::format("node \"{}\" ({})", n.name, ir::op_name(n.op));
  }

  Result<Shape> shape_of(const std::string& value) const {
    auto it = g_.values.find(value);
    if (it == g_.values.end()) return invalid_argument("value \"{}\" has no inferred shape", value);
    for (size_t i = 1; i < it->second.shape.size(); ++i) {
      if (it->second.shape[i] < 0) {
        return invalid_argument(
            "value \"{}\" has unknown shape {}; give samples or a fixed input "
            "shape",
            value, shape_str(it->second.shape));
      }
    }
    return it->second.shape;
  }

  // The value a layer's output becomes after the ops the accelerators fuse into it.
  std::string fused_output(const std::string& value) const {
    std::string v = value;
    for (;;) {
      auto it = consumers_.find(v);
      if (it == consumers_.end() || it->second.size() != 1) return v;
      const ir::Node* c = it->second.front();
      const bool fusable = c->op == ir::OpKind::kRelu || c->op == ir::OpKind::kBatchNorm ||
                           c->op == ir::OpKind::kDropout || c->op == ir::OpKind::kIdentity;
      if (!fusable || c->input(0) != v || c->outputs.empty()) return v;
      // A graph output is read by the user too; stopping there changes nothing for the bits.
      v = c->outputs[0];
    }
  }

  // The compressed layer of `weight` (nullptr when the weight is stored dense), checked
  // against the weight's shape.
  Result<const compress::CompressedLayer*> layer_of(const std::string& weight) const {
    const compress::CompressedLayer* cl = model_.find_layer(weight);
    const Tensor* w = g_.initializer(weight);
    if (w == nullptr) return invalid_argument("weight \"{}\" is not an initializer", weight);
    if (cl == nullptr) return cl;
    if (cl->shape != w->shape()) {
      return invalid_argument("compressed layer \"{}\" has shape {} but the graph's weight is {}",
                              weight, shape_str(cl->shape), shape_str(w->shape()));
    }
    if (!cl->mask.empty() && (cl->mask.numel() != cl->numel() || cl->mask.dtype() != DType::kU8)) {
      return invalid_argument("compressed layer \"{}\": mask is {} {}, expected u8 {}", weight,
                              dtype_name(cl->mask.dtype()), shape_str(cl->mask.shape()),
                              shape_str(cl->shape));
    }
    return cl;
  }

  // The name of the node's weight operand (ops.def's weight column).
  static const std::string& weight_of(const ir::Node& n) {
    return n.input(static_cast<size_t>(ir::op_traits(n.op).weight));
  }

  static const uint8_t* mask_data(const compress::CompressedLayer* cl) {
    return cl == nullptr || cl->mask.empty() ? nullptr : cl->mask.data<uint8_t>();
  }

  // Weight width and codebooks of the layers stored in one LayerWork: the widest code, or 16
  // when any of them is not quantized.
  static void set_quant(LayerWork& w, std::initializer_list<const compress::CompressedLayer*> cls) {
    int bits = 0;
    bool unquantized = false;
    for (const compress::CompressedLayer* cl : cls) {
      if (cl == nullptr || cl->bits == 0) {
        unquantized = true;
      } else {
        bits = std::max(bits, cl->bits);
      }
      if (cl == nullptr) continue;
      w.pruned = w.pruned || !cl->mask.empty();
      // The pruning structure as the container records it (the first weight's when a layer
      // has several, e.g. an LSTM's W and R, which one recipe section prunes alike).
      if (!w.structure.recorded()) w.structure = cl->structure;
      for (const auto& b : cl->codebooks) w.codebook_entries += static_cast<int64_t>(b.size());
    }
    w.weight_bits = unquantized ? 16 : bits;
  }

  static std::vector<int64_t> normal_block(std::vector<int64_t> b) {
    if (std::all_of(b.begin(), b.end(), [](int64_t x) { return x == 1; })) b.clear();
    return b;
  }

  Status add_fc(const ir::Node& n) {
    const std::string& weight = weight_of(n);
    if (g_.weight(n) == nullptr) {
      return invalid_argument(
          "the weight \"{}\" is not an initializer (a workload needs "
          "stored weights)",
          weight);
    }
    if (n.attr_int("trans_a", 0) != 0) {
      return invalid_argument("trans_a=1 is not a layer the accelerators run");
    }
    SIEVE_ASSIGN_OR_RETURN(Shape xs, shape_of(n.input(0)));
    if (xs.size() != 2) {
      return invalid_argument("input \"{}\" has shape {}, expected [N, K]", n.input(0),
                              shape_str(xs));
    }
    const Shape& ws = g_.initializer(weight)->shape();
    if (ws.size() != 2) return invalid_argument("weight has shape {}, expected 2-D", shape_str(ws));
    // The 2-D view (ops.def): [out, in], or stored [in, out] (trans_b = 0, MatMul's B).
    const ir::WeightMatrix view = ir::weight_matrix(n, ws);
    const bool trans_b = !view.transposed;
    const int64_t out = view.rows;
    const int64_t in = view.cols;
    if (in != xs[1]) {
      return invalid_argument("weight {} does not match input {}", shape_str(ws), shape_str(xs));
    }
    SIEVE_ASSIGN_OR_RETURN(const compress::CompressedLayer* cl, layer_of(weight));
    Pending p;
    LayerWork& w = p.work;
    w.name = n.name;
    w.kind = LayerKind::kFullyConnected;
    w.in_c = in;
    w.out_c = out;
    w.rows = out;
    w.cols = in;
    w.weight_mask = BitVec(out * in);
    put_mask(w.weight_mask, in, 0, mask_data(cl), out, in, /*transposed=*/!trans_b);
    set_quant(w, {cl});
    if (cl != nullptr && w.pruned) {
      std::vector<int64_t> b = cl->block;
      if (!trans_b && b.size() == 2) std::swap(b[0], b[1]);
      w.block = normal_block(b);
    }
    p.input_value = n.input(0);
    p.output_value = fused_output(n.outputs[0]);
    layers_.push_back(std::move(p));
    return ok_status();
  }

  // [N, C, H, W] or [N, C, L] (1-D: H = 1) into (c, h, w).
  static Status spatial(const Shape& s, const std::string& what, int64_t& c, int64_t& h,
                        int64_t& wd) {
    if (s.size() == 4) {
      c = s[1], h = s[2], wd = s[3];
    } else if (s.size() == 3) {
      c = s[1], h = 1, wd = s[2];
    } else {
      return invalid_argument("{} has shape {}; only 1-D and 2-D windows are modelled", what,
                              shape_str(s));
    }
    return ok_status();
  }

  static void set_window(LayerWork& w, const ir::WindowGeometry& geo) {
    const bool two = geo.kernel.size() == 2;
    const size_t x = two ? 1 : 0;
    w.kh = two ? geo.kernel[0] : 1;
    w.kw = geo.kernel[x];
    w.stride_h = two ? geo.strides[0] : 1;
    w.stride_w = geo.strides[x];
    w.dilation_h = two ? geo.dilations[0] : 1;
    w.dilation_w = geo.dilations[x];
    w.pad_top = two ? geo.pads_begin[0] : 0;
    w.pad_bottom = two ? geo.pads_end[0] : 0;
    w.pad_left = geo.pads_begin[x];
    w.pad_right = geo.pads_end[x];
    w.out_h = two ? geo.out[0] : 1;
    w.out_w = geo.out[x];
  }

  Status add_conv(const ir::Node& n) {
    const std::string& weight = weight_of(n);
    if (g_.weight(n) == nullptr) {
      return invalid_argument(
          "the weight \"{}\" is not an initializer (a workload needs "
          "stored weights)",
          weight);
    }
    SIEVE_ASSIGN_OR_RETURN(Shape xs, shape_of(n.input(0)));
    const Shape& ws = g_.initializer(weight)->shape();
    Pending p;
    LayerWork& w = p.work;
    w.name = n.name;
    w.kind = LayerKind::kConv;
    SIEVE_RETURN_IF_ERROR(spatial(xs, "input \"" + n.input(0) + "\"", w.in_c, w.in_h, w.in_w));
    SIEVE_ASSIGN_OR_RETURN(ir::WindowGeometry geo, ir::window_geometry(n, xs, &ws));
    set_window(w, geo);
    w.group = n.attr_int("group", 1);
    const ir::WeightMatrix view = ir::weight_matrix(n, ws);  // [M, C/g·kh·kw]
    w.out_c = view.rows;
    w.rows = view.rows;
    w.cols = view.cols;
    SIEVE_ASSIGN_OR_RETURN(const compress::CompressedLayer* cl, layer_of(weight));
    w.weight_mask = BitVec(w.rows * w.cols);
    put_mask(w.weight_mask, w.cols, 0, mask_data(cl), w.rows, w.cols, false);
    set_quant(w, {cl});
    if (cl != nullptr && w.pruned) w.block = normal_block(cl->block);
    p.input_value = n.input(0);
    p.output_value = fused_output(n.outputs[0]);
    layers_.push_back(std::move(p));
    return ok_status();
  }

  Status add_pool(const ir::Node& n) {
    SIEVE_ASSIGN_OR_RETURN(Shape xs, shape_of(n.input(0)));
    Pending p;
    LayerWork& w = p.work;
    w.name = n.name;
    w.kind = LayerKind::kPool;
    SIEVE_RETURN_IF_ERROR(spatial(xs, "input \"" + n.input(0) + "\"", w.in_c, w.in_h, w.in_w));
    w.out_c = w.in_c;
    const bool global =
        n.op == ir::OpKind::kGlobalAveragePool || n.op == ir::OpKind::kGlobalMaxPool;
    w.pool_type =
        n.op == ir::OpKind::kMaxPool || n.op == ir::OpKind::kGlobalMaxPool ? "max" : "avg";
    if (global) {
      w.kh = w.in_h;
      w.kw = w.in_w;
      w.stride_h = w.stride_w = 1;
    } else {
      SIEVE_ASSIGN_OR_RETURN(ir::WindowGeometry geo, ir::window_geometry(n, xs));
      set_window(w, geo);
    }
    p.input_value = n.input(0);
    p.output_value = fused_output(n.outputs[0]);
    layers_.push_back(std::move(p));
    return ok_status();
  }

  Status add_lstm(const ir::Node& n) {
    const std::string dir = n.attr_string("direction", "forward");
    if (dir == "bidirectional") return invalid_argument("bidirectional LSTMs are not modelled");
    const int64_t layout = n.attr_int("layout", 0);
    const int64_t h = n.attr_int("hidden_size", 0);
    const int64_t proj = n.attr_int("proj_size", 0);
    const int64_t rec = proj > 0 ? proj : h;
    for (size_t i : {size_t{1}, size_t{2}}) {
      if (!n.has_input(i) || !g_.is_initializer(n.input(i))) {
        return invalid_argument(
            "operand {} (\"{}\") is not an initializer (a workload needs "
            "stored weights)",
            i, n.input(i));
      }
    }
    SIEVE_ASSIGN_OR_RETURN(Shape xs, shape_of(n.input(0)));
    if (xs.size() != 3 || xs[0] < 0 || xs[1] < 0) {
      return invalid_argument("input \"{}\" has shape {}, expected known [seq, batch, in]",
                              n.input(0), shape_str(xs));
    }
    const int64_t steps = layout == 0 ? xs[0] : xs[1];
    const int64_t in = xs[2];
    const Shape& wsh = g_.initializer(n.input(1))->shape();
    const Shape& rsh = g_.initializer(n.input(2))->shape();
    if (wsh != Shape{1, 4 * h, in} || rsh != Shape{1, 4 * h, rec}) {
      return invalid_argument("W {} and R {} do not match hidden_size {}, input {}, recurrent {}",
                              shape_str(wsh), shape_str(rsh), h, in, rec);
    }
    SIEVE_ASSIGN_OR_RETURN(const compress::CompressedLayer* cw, layer_of(n.input(1)));
    SIEVE_ASSIGN_OR_RETURN(const compress::CompressedLayer* cr, layer_of(n.input(2)));
    Pending p;
    LayerWork& w = p.work;
    w.name = n.name;
    w.kind = LayerKind::kLstm;
    w.in_c = in;
    w.out_c = h;
    w.recurrent = rec;
    w.timesteps = steps;
    w.rows = 4 * h;
    w.cols = in + rec;
    w.weight_mask = BitVec(w.rows * w.cols);
    put_mask(w.weight_mask, w.cols, 0, mask_data(cw), w.rows, in, false);
    put_mask(w.weight_mask, w.cols, in, mask_data(cr), w.rows, rec, false);
    set_quant(w, {cw, cr});
    for (const compress::CompressedLayer* cl : {cw, cr}) {
      if (cl != nullptr && !cl->mask.empty() && w.block.empty() && cl->block.size() == 3) {
        w.block = normal_block({cl->block[1], cl->block[2]});
      }
    }
    p.input_value = n.input(0);
    p.lstm_x = n.input(0);
    p.lstm_y = n.outputs.empty() ? "" : n.outputs[0];
    p.lstm_h0 = n.input(5);
    p.lstm_with_proj = proj > 0;
    layers_.push_back(std::move(p));
    if (proj == 0) return ok_status();

    if (!n.has_input(8) || !g_.is_initializer(n.input(8))) {
      return invalid_argument("proj_size={} but W_proj (operand 8) is not an initializer", proj);
    }
    const Shape& psh = g_.initializer(n.input(8))->shape();
    if (psh != Shape{1, proj, h}) {
      return invalid_argument("W_proj {} does not match proj_size {} and hidden_size {}",
                              shape_str(psh), proj, h);
    }
    SIEVE_ASSIGN_OR_RETURN(const compress::CompressedLayer* cp, layer_of(n.input(8)));
    for (int64_t t = 0; t < steps; ++t) {
      Pending q;
      LayerWork& f = q.work;
      f.name = steps == 1 ? n.name + "/proj" : fmt::format("{}/proj@{}", n.name, t);
      f.kind = LayerKind::kFullyConnected;
      f.in_c = h;
      f.out_c = proj;
      f.rows = proj;
      f.cols = h;
      f.weight_mask = BitVec(proj * h);
      put_mask(f.weight_mask, h, 0, mask_data(cp), proj, h, false);
      set_quant(f, {cp});
      if (cp != nullptr && f.pruned && cp->block.size() == 3) {
        f.block = normal_block({cp->block[1], cp->block[2]});
      }
      q.lstm_y = n.outputs.empty() ? "" : n.outputs[0];
      q.proj_step = t;
      layers_.push_back(std::move(q));
    }
    return ok_status();
  }

  const compress::CompressedModel& model_;
  ir::Graph& g_;
  std::map<std::string, std::vector<const ir::Node*>> consumers_;
  std::vector<Pending> layers_;
};

}  // namespace

namespace {

// Computed activations of every layer for one sample.
Status computed_sample(const ir::Graph& g, const Tensor& sample, std::vector<Pending>& layers) {
  const std::vector<std::string> inputs = g.input_names();
  runtime::TensorMap feeds;
  feeds[inputs.front()] = sample;
  runtime::RunOptions ro;
  ro.keep_intermediates = true;
  SIEVE_ASSIGN_OR_RETURN(runtime::TensorMap env, runtime::run_graph(g, feeds, ro));
  auto get = [&](const std::string& v, const std::string& layer) -> Result<const Tensor*> {
    auto it = env.find(v);
    if (it != env.end()) return &it->second;
    if (const Tensor* t = g.initializer(v)) return t;
    return internal_error("layer \"{}\": value \"{}\" was not computed", layer, v);
  };
  auto checked = [](BitVec b, int64_t size, const std::string& layer,
                    const char* what) -> Result<BitVec> {
    if (b.size() != size) {
      return invalid_argument(
          "layer \"{}\": {} has {} values per sample, expected {} (are the "
          "samples batch 1?)",
          layer, what, b.size(), size);
    }
    return b;
  };
  for (Pending& p : layers) {
    LayerWork& w = p.work;
    if (w.kind == LayerKind::kLstm || p.proj_step >= 0) {
      // Per time step: x_t and h_{t-1} (Y of step t-1, initial_h or zeros at t = 0).
      SIEVE_ASSIGN_OR_RETURN(const Tensor* y, get(p.lstm_y, w.name));
      const Tensor yf = y->dtype() == DType::kF32 ? *y : y->to_f32();
      const int64_t rec =
          w.kind == LayerKind::kLstm ? w.input_size() / w.timesteps - w.in_c : w.out_c;
      const int64_t steps = yf.numel() / std::max<int64_t>(rec, 1);
      if (yf.numel() != steps * rec) {
        return invalid_argument("layer \"{}\": LSTM output has {} values, not a multiple of {}",
                                w.name, yf.numel(), rec);
      }
      const float* yv = yf.data<float>();
      if (p.proj_step >= 0) {
        w.input_nz.emplace_back(w.in_c, true);  // m_t: inside the LSTM kernel (see top)
        BitVec out(w.out_c);
        for (int64_t j = 0; j < w.out_c; ++j) {
          if (yv[p.proj_step * rec + j] != 0.0f) out.set(j);
        }
        w.output_nz.push_back(std::move(out));
        continue;
      }
      SIEVE_ASSIGN_OR_RETURN(const Tensor* x, get(p.lstm_x, w.name));
      const Tensor xf = x->dtype() == DType::kF32 ? *x : x->to_f32();
      if (xf.numel() != w.timesteps * w.in_c || steps != w.timesteps) {
        return invalid_argument(
            "layer \"{}\": X has {} values and Y {} for {} steps of {} "
            "(are the samples batch 1?)",
            w.name, xf.numel(), yf.numel(), w.timesteps, w.in_c);
      }
      const float* h0 = nullptr;
      Tensor h0f;
      if (!p.lstm_h0.empty()) {
        SIEVE_ASSIGN_OR_RETURN(const Tensor* t, get(p.lstm_h0, w.name));
        h0f = t->dtype() == DType::kF32 ? *t : t->to_f32();
        if (h0f.numel() != rec) {
          return invalid_argument("layer \"{}\": initial_h has {} values, expected {}", w.name,
                                  h0f.numel(), rec);
        }
        h0 = h0f.data<float>();
      }
      const float* xv = xf.data<float>();
      const int64_t width = w.in_c + rec;
      BitVec in(w.timesteps * width);
      for (int64_t t = 0; t < w.timesteps; ++t) {
        for (int64_t j = 0; j < w.in_c; ++j) {
          if (xv[t * w.in_c + j] != 0.0f) in.set(t * width + j);
        }
        const float* prev = t == 0 ? h0 : yv + (t - 1) * rec;
        for (int64_t j = 0; prev != nullptr && j < rec; ++j) {
          if (prev[j] != 0.0f) in.set(t * width + w.in_c + j);
        }
      }
      w.input_nz.push_back(std::move(in));
      if (p.lstm_with_proj) {
        w.output_nz.emplace_back(w.output_size(), true);  // m_t: inside the LSTM kernel
      } else {
        SIEVE_ASSIGN_OR_RETURN(BitVec out,
                               checked(nonzeros(yf), w.output_size(), w.name, "the output"));
        w.output_nz.push_back(std::move(out));
      }
      continue;
    }
    SIEVE_ASSIGN_OR_RETURN(const Tensor* in, get(p.input_value, w.name));
    SIEVE_ASSIGN_OR_RETURN(BitVec ib, checked(nonzeros(*in), w.input_size(), w.name, "the input"));
    w.input_nz.push_back(std::move(ib));
    SIEVE_ASSIGN_OR_RETURN(const Tensor* out, get(p.output_value, w.name));
    SIEVE_ASSIGN_OR_RETURN(BitVec ob,
                           checked(nonzeros(*out), w.output_size(), w.name, "the output"));
    w.output_nz.push_back(std::move(ob));
  }
  return ok_status();
}

// True when `value` is a graph input or reached from one through reshapes only.
bool reads_network_input(const ir::Graph& g, std::string value) {
  for (;;) {
    const ir::Node* p = g.producer(value);
    if (p == nullptr) return false;
    if (p->op == ir::OpKind::kInput) return true;
    const bool reshape = p->op == ir::OpKind::kFlatten || p->op == ir::OpKind::kReshape ||
                         p->op == ir::OpKind::kIdentity || p->op == ir::OpKind::kSqueeze ||
                         p->op == ir::OpKind::kUnsqueeze || p->op == ir::OpKind::kDropout;
    if (!reshape || p->inputs.empty()) return false;
    value = p->input(0);
  }
}

Status check_density(double d, const std::string& what) {
  if (!(d >= 0.0 && d <= 1.0)) {
    return invalid_argument("{}: density {} is outside [0, 1]", what, d);
  }
  return ok_status();
}

}  // namespace

Result<Workload> build_workload(const compress::CompressedModel& model,
                                const WorkloadOptions& options) {
  ir::Graph g = model.graph;  // shares the tensors
  const std::vector<std::string> inputs = g.input_names();
  if (inputs.empty()) return invalid_argument("model \"{}\" has no graph input", g.name);
  const bool computed = !options.samples.empty();
  if (computed) {
    const Shape& s0 = options.samples.front().shape();
    for (size_t i = 0; i < options.samples.size(); ++i) {
      if (options.samples[i].shape() != s0) {
        return invalid_argument("sample {} has shape {}, sample 0 {}", i,
                                shape_str(options.samples[i].shape()), shape_str(s0));
      }
    }
    // Batch 1 is checked by the per-layer sizes (the batch dim depends on the op: LSTM [T, B, I]).
    for (ir::Node& n : g.nodes) {
      if (n.op == ir::OpKind::kInput && !n.outputs.empty() && n.outputs[0] == inputs.front()) {
        n.attrs["shape"] = std::vector<int64_t>(s0.begin(), s0.end());
      }
    }
  } else {
    if (options.synthetic_batch < 1 || options.synthetic_batch > kMaxSyntheticBatch) {
      return invalid_argument("batch {} outside 1..{}", options.synthetic_batch,
                              kMaxSyntheticBatch);
    }
    SIEVE_RETURN_IF_ERROR(check_density(options.default_input_density, "default_input_density"));
    SIEVE_RETURN_IF_ERROR(check_density(options.default_output_density, "default_output_density"));
  }
  SIEVE_RETURN_IF_ERROR(ir::infer_shapes(g).with_context("model \"" + g.name + "\""));

  Builder b(model, g);
  std::map<std::string, int> skipped;
  SIEVE_RETURN_IF_ERROR(b.walk(skipped));
  std::vector<Pending>& layers = b.layers();
  for (Pending& p : layers) {
    const std::string& in = p.lstm_x.empty() ? p.input_value : p.lstm_x;
    p.work.reads_network_input = !in.empty() && reads_network_input(g, in);
  }

  Workload w;
  w.model = g.name;
  if (computed) {
    w.batch = static_cast<int64_t>(options.samples.size());
    for (const Tensor& s : options.samples) {
      SIEVE_RETURN_IF_ERROR(computed_sample(g, s, layers));
    }
    w.notes["activations"] =
        fmt::format("computed: the float reference engine on {} sample(s), non-zero = value != 0",
                    options.samples.size());
  } else {
    w.batch = options.synthetic_batch;
    // The activation bits of every sample are drawn up front: refuse, with the numbers, a batch
    // whose bits would not fit in memory before drawing any.
    int64_t bits_per_sample = 0;
    for (const Pending& p : layers) {
      bits_per_sample += p.work.input_size() + p.work.output_size();
    }
    const std::optional<int64_t> bytes = checked_mul(bits_per_sample / 8 + 1, w.batch);
    SIEVE_RETURN_IF_ERROR(
        check_memory(bytes.value_or(INT64_MAX),
                     fmt::format("synthetic activations of \"{}\" ({} bits per sample) at batch {}",
                                 g.name, bits_per_sample, w.batch)));
    std::set<std::string> names;
    for (const Pending& p : layers) names.insert(p.work.name);
    for (const auto& [name, d] : options.input_density) {
      if (names.count(name) == 0) {
        std::string known;
        for (const Pending& p : layers) known += (known.empty() ? "" : ", ") + p.work.name;
        return invalid_argument("input_density names \"{}\", which is not a layer; layers: {}",
                                name, known);
      }
      SIEVE_RETURN_IF_ERROR(check_density(d, "input_density of \"" + name + "\""));
    }
    auto density = [&](const std::string& name) {
      auto it = options.input_density.find(name);
      return it == options.input_density.end() ? options.default_input_density : it->second;
    };
    for (size_t i = 0; i < layers.size(); ++i) {
      LayerWork& lw = layers[i].work;
      lw.synthetic_activations = true;
      for (int64_t s = 0; s < w.batch; ++s) {
        lw.input_nz.push_back(bernoulli(lw.input_size(), density(lw.name),
                                        stream_seed(options.seed, i, static_cast<uint64_t>(s), 0)));
      }
    }
    for (size_t i = 0; i < layers.size(); ++i) {
      LayerWork& lw = layers[i].work;
      const bool shared =
          i + 1 < layers.size() && layers[i + 1].work.input_size() == lw.output_size();
      const double d =
          i + 1 < layers.size() ? density(layers[i + 1].work.name) : options.default_output_density;
      for (int64_t s = 0; s < w.batch; ++s) {
        lw.output_nz.push_back(
            shared ? layers[i + 1].work.input_nz[static_cast<size_t>(s)]
                   : bernoulli(lw.output_size(), d,
                               stream_seed(options.seed, i, static_cast<uint64_t>(s), 1)));
      }
    }
    w.notes["activations"] = fmt::format(
        "synthetic: seeded Bernoulli bits (seed {}), input densities by layer, default {}",
        options.seed, options.default_input_density);
  }
  std::string sk;
  for (const auto& [op, count] : skipped)
    sk += fmt::format("{}{} x{}", sk.empty() ? "" : ", ", op, count);
  if (!sk.empty()) w.notes["skipped"] = sk;
  for (Pending& p : layers) w.layers.push_back(std::move(p.work));
  return w;
}

}  // namespace sieve::compiler
