// The CPU session: load-time packing and per-batch plans (see session.h for the contract).
#include "sieve/runtime/cpu/session.h"

#include "sieve/core/cpu.h"
#include "sieve/runtime/kernels/bsr/int8.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <limits>
#include <map>
#include <optional>
#include <utility>

#include "sieve/core/checked.h"
#include "sieve/ir/shape_inference.h"
#include "sieve/runtime/cpu/linear.h"
#include "sieve/runtime/cpu/thread_pool.h"
#include "sieve/runtime/executor.h"
#include "sieve/runtime/kernels/blas/blas.h"

namespace sieve::runtime::cpu {

namespace {

using ir::OpKind;

enum class Kind {
  kInput,
  kFc,      // FullyConnected and MatMul: rows form over the flattened leading dims
  kConv,
  kMaxPool,
  kAvgPool,
  kGlobalAvg,
  kGlobalMax,
  kRelu,
  kSoftmax,
  kAdd,   // same shapes (broadcasting runs on the reference kernel)
  kView,  // Flatten, Reshape, Squeeze, Unsqueeze, Identity, Dropout, a fused Relu
  kFallback,
};

struct Step {
  const ir::Node* node = nullptr;
  Kind kind = Kind::kFallback;
  std::vector<int> in;   // value id per operand; -1: omitted or an initializer
  std::vector<int> out;  // value id per output; -1: omitted
  std::vector<std::unique_ptr<Linear>> linear;  // one per group (kFc, kConv)
  int64_t group = 1;
  bool relu = false;              // a Relu fused into this layer's output pass
  ir::WindowGeometry geo;         // kConv, kMaxPool, kAvgPool (spatial sizes do not vary)
  bool log_softmax = false;       // kSoftmax
};

// 64-byte aligned float storage, uninitialised.
struct Buffer {
  float* data = nullptr;
  int64_t floats = 0;
  Buffer() = default;
  explicit Buffer(int64_t n) : floats(n) {
    const size_t bytes = (static_cast<size_t>(std::max<int64_t>(n, 1)) * sizeof(float) + 63) / 64 * 64;
    data = static_cast<float*>(std::aligned_alloc(64, bytes));
    SIEVE_ASSERT(data != nullptr, "out of memory allocating {} bytes", bytes);
  }
  Buffer(Buffer&& o) noexcept : data(o.data), floats(o.floats) { o.data = nullptr; }
  Buffer& operator=(Buffer&& o) noexcept {
    std::swap(data, o.data);
    std::swap(floats, o.floats);
    return *this;
  }
  Buffer(const Buffer&) = delete;
  Buffer& operator=(const Buffer&) = delete;
  ~Buffer() { std::free(data); }
};

// What a batch size needs: every value's shape and where it lives.
struct Plan {
  int64_t batch = 0;
  std::vector<Shape> shapes;          // per value
  std::vector<int> buffer_of;         // per value: arena buffer, -1 = not in the arena
  std::vector<int64_t> buffer_floats; // per buffer
  int64_t scratch_floats = 0;         // per worker
  int64_t owned_bytes = 0;            // outputs of reference-kernel nodes (estimate)
  std::vector<Buffer> buffers;        // allocated on first use
  std::vector<Buffer> scratch;        // per worker
  // The int8 route's convolutions: a quantized image and its u8 im2col, per worker (bytes).
  int64_t scratch_u8 = 0;
  std::vector<std::vector<uint8_t>> scratch8;

  int64_t bytes(int threads) const {
    int64_t b = owned_bytes + scratch_floats * threads * static_cast<int64_t>(sizeof(float)) +
                scratch_u8 * threads;
    for (int64_t f : buffer_floats) b += f * static_cast<int64_t>(sizeof(float));
    return b;
  }
};

std::string label(const ir::Node& n) { return fmt::format("{} ({})", n.name, ir::op_name(n.op)); }

bool all_of(const std::vector<int64_t>& v, int64_t x) {
  return std::all_of(v.begin(), v.end(), [x](int64_t e) { return e == x; });
}

// x[C, H, W] of one group -> col[C·kh·kw, OH·OW], rows in W's [C, kh, kw] order, `pad` outside
// (0; on the int8 route the zero point, the quantized 0).
template <class T>
void im2col(const T* x, int64_t channels, int64_t h, int64_t w, const ir::WindowGeometry& geo,
            T* col, T pad = T{}) {
  const int64_t kh = geo.kernel[0], kw = geo.kernel[1];
  const int64_t sh = geo.strides[0], sw = geo.strides[1];
  const int64_t dh = geo.dilations[0], dw = geo.dilations[1];
  const int64_t ph = geo.pads_begin[0], pw = geo.pads_begin[1];
  const int64_t oh_n = geo.out[0], ow_n = geo.out[1];
  const int64_t p = oh_n * ow_n;
  for (int64_t c = 0; c < channels; ++c) {
    const T* plane = x + c * h * w;
    for (int64_t ki = 0; ki < kh; ++ki) {
      for (int64_t kj = 0; kj < kw; ++kj) {
        T* row = col + ((c * kh + ki) * kw + kj) * p;
        // Output columns whose input column iw = ow·sw + off lies inside [0, w).
        const int64_t off = kj * dw - pw;
        const int64_t lo = off >= 0 ? 0 : std::min(ow_n, (-off + sw - 1) / sw);
        const int64_t hi = w - off <= 0 ? 0 : std::min(ow_n, (w - off + sw - 1) / sw);
        for (int64_t oh = 0; oh < oh_n; ++oh) {
          T* out = row + oh * ow_n;
          const int64_t ih = oh * sh - ph + ki * dh;
          if (ih < 0 || ih >= h || hi <= lo) {
            std::fill(out, out + ow_n, pad);
            continue;
          }
          std::fill(out, out + lo, pad);
          const T* src = plane + ih * w + off;
          if (sw == 1) {
            std::memcpy(out + lo, src + lo, static_cast<size_t>(hi - lo) * sizeof(T));
          } else {
            for (int64_t ow = lo; ow < hi; ++ow) out[ow] = src[ow * sw];
          }
          std::fill(out + hi, out + ow_n, pad);
        }
      }
    }
  }
}

// 2-D pooling of one plane (the reference's rules: MaxPool ignores padding; AveragePool counts
// what lies inside X, or with count_include_pad inside the padded input).
void pool_plane(const float* x, int64_t h, int64_t w, const ir::WindowGeometry& geo, bool is_max,
                bool include_pad, float* y) {
  const int64_t kh = geo.kernel[0], kw = geo.kernel[1];
  for (int64_t oh = 0; oh < geo.out[0]; ++oh) {
    for (int64_t ow = 0; ow < geo.out[1]; ++ow) {
      float best = std::numeric_limits<float>::lowest();
      float sum = 0.0f;
      int64_t inside = 0, padded = 0;
      for (int64_t ki = 0; ki < kh; ++ki) {
        const int64_t ih = oh * geo.strides[0] - geo.pads_begin[0] + ki * geo.dilations[0];
        const bool row_in = ih >= 0 && ih < h;
        const bool row_pad = ih >= -geo.pads_begin[0] && ih < h + geo.pads_end[0];
        for (int64_t kj = 0; kj < kw; ++kj) {
          const int64_t iw = ow * geo.strides[1] - geo.pads_begin[1] + kj * geo.dilations[1];
          if (row_pad && iw >= -geo.pads_begin[1] && iw < w + geo.pads_end[1]) ++padded;
          if (!row_in || iw < 0 || iw >= w) continue;
          const float v = x[ih * w + iw];
          best = std::max(best, v);
          sum += v;
          ++inside;
        }
      }
      float out = best;
      if (!is_max) {
        const int64_t count = include_pad ? padded : inside;
        out = count > 0 ? sum / static_cast<float>(count) : 0.0f;
      }
      y[oh * geo.out[1] + ow] = out;
    }
  }
}

}  // namespace

struct Session::Impl {
  SessionOptions opt;
  ir::Graph graph;  // the model's graph (tensors shared with the model)
  std::vector<std::string> value_names;
  std::map<std::string, int> value_id;
  int input_value = -1;
  Shape input_shape;  // declared; dim 0 is the batch
  std::vector<int> outputs;  // value id per graph output; -1: an initializer
  std::vector<Step> steps;
  std::vector<int> root;      // per value: the value whose storage it shares (views)
  std::vector<DType> dtypes;  // per value, from the load-time inference at batch 1
  std::vector<std::string> fallback;
  std::vector<PackedLayer> packed;
  int64_t packed_bytes = 0;
  std::unique_ptr<ThreadPool> pool;
  std::optional<Plan> plan;

  int id(const std::string& v) {
    auto it = value_id.find(v);
    if (it != value_id.end()) return it->second;
    const int i = static_cast<int>(value_names.size());
    value_names.push_back(v);
    value_id[v] = i;
    return i;
  }

  Status build(const compress::CompressedModel& model);
  Result<std::vector<ir::ValueInfo>> infer_step(const Step& s, const std::vector<Shape>& shapes,
                                                const std::vector<DType>& types) const;
  Result<Plan> make_plan(int64_t batch) const;
  Status check_limit(const Plan& p) const {
    const int64_t bytes = p.bytes(pool->size()) + packed_bytes;
    const int64_t limit = opt.max_memory_bytes > 0 ? opt.max_memory_bytes : memory_limit_bytes();
    if (bytes <= limit) return ok_status();
    return invalid_argument(
        "cpu engine: batch {} needs {} ({} bytes: activations, scratch and packed weights), more "
        "than the memory limit of {} ({} bytes); use a smaller --batch",
        p.batch, human_bytes(bytes), bytes, human_bytes(limit), limit);
  }
  Status pack(const compress::CompressedModel& model, Step& s);
  Result<std::vector<Tensor>> run(const Tensor& input);

  void run_fc(const Step& s, Plan& p, const std::vector<float*>& ptr);
  void run_conv(const Step& s, Plan& p, const std::vector<float*>& ptr);
  void run_conv_int8(const Step& s, Plan& p, const float* x, float* y);
};

Result<std::vector<ir::ValueInfo>> Session::Impl::infer_step(const Step& s,
                                                             const std::vector<Shape>& shapes,
                                                             const std::vector<DType>& types) const {
  const ir::Node& n = *s.node;
  std::vector<ir::ValueInfo> infos(n.inputs.size());
  for (size_t i = 0; i < n.inputs.size(); ++i) {
    if (n.inputs[i].empty()) continue;
    if (const Tensor* t = graph.initializer(n.inputs[i])) {
      infos[i] = {t->dtype(), t->shape()};
    } else {
      infos[i] = {types[static_cast<size_t>(s.in[i])], shapes[static_cast<size_t>(s.in[i])]};
    }
  }
  SIEVE_ASSIGN_OR_RETURN(std::vector<ir::ValueInfo> outs, ir::infer_node(graph, n, infos));
  for (size_t j = 0; j < outs.size() && j < n.outputs.size(); ++j) {
    if (n.outputs[j].empty()) continue;
    for (int64_t d : outs[j].shape) {
      if (d < 0)
        return unimplemented("node {}: output \"{}\" has a shape known only at run time ({}); the "
                             "cpu engine plans shapes ahead",
                             label(n), n.outputs[j], shape_str(outs[j].shape));
    }
  }
  return outs;
}

Status Session::Impl::build(const compress::CompressedModel& model) {
  graph = model.graph;
  const std::vector<std::string> inputs = graph.input_names();
  if (inputs.size() != 1 || graph.outputs.empty())
    return invalid_argument("model: the cpu engine needs one graph input and an output (has {} "
                            "inputs, {} outputs)",
                            inputs.size(), graph.outputs.size());
  // Values: the graph input, then every node output.
  for (const ir::Node& n : graph.nodes) {
    for (const std::string& v : n.inputs) {
      if (!v.empty() && !graph.is_initializer(v) && value_id.count(v) == 0)
        return invalid_argument("node {}: input \"{}\" is not an initializer, the graph input or "
                                "the output of an earlier node",
                                label(n), v);
    }
    Step s;
    s.node = &n;
    for (const std::string& v : n.inputs)
      s.in.push_back(v.empty() || graph.is_initializer(v) ? -1 : id(v));
    for (const std::string& v : n.outputs) s.out.push_back(v.empty() ? -1 : id(v));
    if (n.op == OpKind::kInput) {
      s.kind = Kind::kInput;
      input_value = s.out.empty() ? -1 : s.out[0];
      if (!n.has_attr("shape") || n.attr_ints("shape").empty())
        return invalid_argument("model: graph input \"{}\" declares no shape", inputs[0]);
      input_shape = n.attr_ints("shape");
      if (static_cast<DType>(n.attr_int("dtype", static_cast<int64_t>(DType::kF32))) != DType::kF32)
        return invalid_argument("model: graph input \"{}\" is not f32", inputs[0]);
    }
    steps.push_back(std::move(s));
  }
  for (const std::string& o : graph.outputs) {
    auto it = value_id.find(o);
    if (it != value_id.end()) {
      outputs.push_back(it->second);
    } else if (graph.is_initializer(o)) {
      outputs.push_back(-1);
    } else {
      return invalid_argument("model: graph output \"{}\" is not produced by any node", o);
    }
  }

  // Shapes and dtypes at batch 1 decide what runs natively.
  const size_t nv = value_names.size();
  std::vector<Shape> shapes(nv);
  std::vector<DType> types(nv, DType::kF32);
  shapes[static_cast<size_t>(input_value)] = input_shape;
  shapes[static_cast<size_t>(input_value)][0] = 1;
  std::vector<int> readers(nv, 0);
  for (const Step& s : steps)
    for (int v : s.in)
      if (v >= 0) ++readers[static_cast<size_t>(v)];
  for (int o : outputs)
    if (o >= 0) readers[static_cast<size_t>(o)] += 1000;  // graph outputs are never fused away

  for (Step& s : steps) {
    if (s.kind == Kind::kInput) continue;
    SIEVE_ASSIGN_OR_RETURN(std::vector<ir::ValueInfo> outs, infer_step(s, shapes, types));
    for (size_t j = 0; j < s.out.size() && j < outs.size(); ++j) {
      if (s.out[j] < 0) continue;
      shapes[static_cast<size_t>(s.out[j])] = outs[j].shape;
      types[static_cast<size_t>(s.out[j])] = outs[j].dtype;
    }
    const ir::Node& n = *s.node;
    auto f32_in = [&](size_t i) {
      return i < s.in.size() && s.in[i] >= 0 && types[static_cast<size_t>(s.in[i])] == DType::kF32;
    };
    auto rank_in = [&](size_t i) {
      return static_cast<int64_t>(shapes[static_cast<size_t>(s.in[i])].size());
    };
    auto init = [&](size_t i) -> const Tensor* {
      return i < n.inputs.size() && !n.inputs[i].empty() ? graph.initializer(n.inputs[i]) : nullptr;
    };
    const bool one_output = s.out.size() == 1 && s.out[0] >= 0 && outs[0].dtype == DType::kF32;
    s.kind = Kind::kFallback;
    switch (n.op) {
      case OpKind::kFullyConnected: {
        const Tensor* w = init(1);
        const Tensor* b = init(2);
        const bool bias_ok = n.inputs.size() < 3 || n.inputs[2].empty() ||
                             (b != nullptr && b->dtype() == DType::kF32 &&
                              b->numel() == outs[0].shape[1] &&
                              (b->rank() == 1 || (b->rank() == 2 && b->dim(0) == 1)));
        if (one_output && f32_in(0) && w != nullptr && w->dtype() == DType::kF32 &&
            w->rank() == 2 && bias_ok && n.attr_int("trans_a", 0) == 0 &&
            n.attr_float("alpha", 1.0) == 1.0 && n.attr_float("beta", 1.0) == 1.0)
          s.kind = Kind::kFc;
        break;
      }
      case OpKind::kMatMul: {
        const Tensor* w = init(1);
        if (one_output && f32_in(0) && rank_in(0) >= 2 && w != nullptr &&
            w->dtype() == DType::kF32 && w->rank() == 2)
          s.kind = Kind::kFc;
        break;
      }
      case OpKind::kConv: {
        const Tensor* w = init(1);
        const Tensor* b = init(2);
        const bool bias_ok = n.inputs.size() < 3 || n.inputs[2].empty() ||
                             (b != nullptr && b->dtype() == DType::kF32 && b->rank() == 1);
        if (one_output && f32_in(0) && rank_in(0) == 4 && w != nullptr &&
            w->dtype() == DType::kF32 && w->rank() == 4 && bias_ok) {
          SIEVE_ASSIGN_OR_RETURN(s.geo, ir::window_geometry(n, shapes[static_cast<size_t>(s.in[0])],
                                                            &w->shape()));
          s.group = n.attr_int("group", 1);
          s.kind = Kind::kConv;
        }
        break;
      }
      case OpKind::kMaxPool:
      case OpKind::kAveragePool:
        if (one_output && f32_in(0) && rank_in(0) == 4) {
          SIEVE_ASSIGN_OR_RETURN(s.geo,
                                 ir::window_geometry(n, shapes[static_cast<size_t>(s.in[0])]));
          s.kind = n.op == OpKind::kMaxPool ? Kind::kMaxPool : Kind::kAvgPool;
        }
        break;
      case OpKind::kGlobalAveragePool:
      case OpKind::kGlobalMaxPool:
        if (one_output && f32_in(0) && rank_in(0) >= 3)
          s.kind = n.op == OpKind::kGlobalMaxPool ? Kind::kGlobalMax : Kind::kGlobalAvg;
        break;
      case OpKind::kRelu:
        if (one_output && f32_in(0)) s.kind = Kind::kRelu;
        break;
      case OpKind::kSoftmax:
      case OpKind::kLogSoftmax:
        if (one_output && f32_in(0)) {
          s.kind = Kind::kSoftmax;
          s.log_softmax = n.op == OpKind::kLogSoftmax;
        }
        break;
      case OpKind::kAdd:
        if (one_output && f32_in(0) && f32_in(1) &&
            shapes[static_cast<size_t>(s.in[0])] == shapes[static_cast<size_t>(s.in[1])])
          s.kind = Kind::kAdd;
        break;
      case OpKind::kDropout:
        if ((s.out.size() == 1 || s.out[1] < 0) && s.out[0] >= 0 &&
            n.attr_int("training_mode", 0) == 0 && s.in[0] >= 0)
          s.kind = Kind::kView;
        break;
      case OpKind::kFlatten:
      case OpKind::kReshape:
      case OpKind::kSqueeze:
      case OpKind::kUnsqueeze:
      case OpKind::kIdentity:
        if (s.out.size() == 1 && s.out[0] >= 0 && s.in[0] >= 0) s.kind = Kind::kView;
        break;
      default: break;
    }
    if (s.kind == Kind::kFallback) fallback.push_back(label(n));
  }
  dtypes = types;

  // Fuse a Relu into the layer that produces its input when it is that value's only reader.
  std::vector<Step*> producer(nv, nullptr);
  for (Step& s : steps)
    for (int v : s.out)
      if (v >= 0) producer[static_cast<size_t>(v)] = &s;
  for (Step& s : steps) {
    if (s.kind != Kind::kRelu) continue;
    const int v = s.in[0];
    Step* p = producer[static_cast<size_t>(v)];
    if (p != nullptr && (p->kind == Kind::kFc || p->kind == Kind::kConv) &&
        readers[static_cast<size_t>(v)] == 1 && !p->relu) {
      p->relu = true;
      s.kind = Kind::kView;
    }
  }
  // Storage roots: a view shares its input's storage.
  root.resize(nv);
  for (size_t v = 0; v < nv; ++v) root[v] = static_cast<int>(v);
  for (const Step& s : steps)
    if (s.kind == Kind::kView) root[static_cast<size_t>(s.out[0])] = root[static_cast<size_t>(s.in[0])];

  // Pack the weighted layers once.
  for (Step& s : steps) {
    if (s.kind == Kind::kFc || s.kind == Kind::kConv) SIEVE_RETURN_IF_ERROR(pack(model, s));
  }
  return ok_status();
}

Status Session::Impl::pack(const compress::CompressedModel& model, Step& s) {
  const ir::Node& n = *s.node;
  const std::string& wname = n.inputs[1];
  const Tensor& w = *graph.initializer(wname);
  const compress::CompressedLayer* layer = model.find_layer(wname);
  Tensor dense = w;
  if (layer != nullptr) {
    Result<Tensor> decoded = compress::decode_layer(*layer);
    if (!decoded.ok())
      return decoded.status().with_context(fmt::format("node {}: layer '{}'", label(n), wname));
    dense = std::move(*decoded);
    if (dense.shape() != w.shape())
      return invalid_argument("node {}: compressed layer '{}' is {}, the graph's weight {}",
                              label(n), wname, shape_str(dense.shape()), shape_str(w.shape()));
  }
  const float* wd = dense.data<float>();
  const Tensor* bias = n.inputs.size() > 2 && !n.inputs[2].empty() ? graph.initializer(n.inputs[2])
                                                                     : nullptr;
  // The 2-D view [rows, cols], rows = outputs. FullyConnected with trans_b = 0 and MatMul store
  // it transposed: those are transposed here and never block-sparse (the compressed layer's view
  // is the stored one).
  const bool transposed =
      n.op == OpKind::kMatMul || (n.op == OpKind::kFullyConnected && n.attr_int("trans_b", 1) == 0);
  const int64_t rows = transposed ? w.dim(1) : w.dim(0);
  const int64_t cols = transposed ? w.dim(0) : w.numel() / std::max<int64_t>(1, w.dim(0));
  if (s.kind == Kind::kConv && (s.group < 1 || rows % s.group != 0))
    return invalid_argument("node {}: group {} does not divide {} output channels", label(n),
                            s.group, rows);
  const int64_t groups = s.kind == Kind::kConv ? s.group : 1;
  const int64_t gr = rows / groups;
  std::string kind;
  int64_t bytes = 0;
  for (int64_t g = 0; g < groups; ++g) {
    LinearSource src;
    src.rows = gr;
    src.cols = cols;
    // The group's rows of the 2-D view: copied for the dense variant (it owns them), read in
    // place for the block-sparse one (packing keeps only the kept blocks, so the decoded layer
    // is not held twice while it packs: the engine's memory peak is set by the load).
    auto copy_rows = [&] {
      src.dense.resize(static_cast<size_t>(gr * cols));
      for (int64_t r = 0; r < gr; ++r)
        for (int64_t c = 0; c < cols; ++c)
          src.dense[static_cast<size_t>(r * cols + c)] =
              transposed ? wd[c * rows + g * gr + r] : wd[(g * gr + r) * cols + c];
    };
    if (bias != nullptr)
      src.bias.assign(bias->data<float>() + g * gr, bias->data<float>() + (g + 1) * gr);
    src.layer = transposed ? nullptr : layer;
    src.row0 = g * gr;
    std::unique_ptr<Linear> lin;
    if (src.layer != nullptr && !src.layer->mask.empty())
      src.dense_view = wd + g * gr * cols;  // not transposed: the rows are contiguous
    if (opt.nm_kernels && src.layer != nullptr && !src.layer->mask.empty()) {
      // Asked for: an n:m fully connected layer takes the N:M kernels.
      Result<std::unique_ptr<Linear>> nmw = make_nm_linear(src, opt.isa, opt.int8);
      if (!nmw.ok())
        return nmw.status().with_context(fmt::format("node {}: packing '{}'", label(n), wname));
      lin = std::move(*nmw);
    }
    if (lin == nullptr && src.layer != nullptr && !src.layer->mask.empty()) {
      Result<std::unique_ptr<Linear>> bsr = make_bsr_linear(src, opt.isa, opt.int8);
      if (!bsr.ok())
        return bsr.status().with_context(fmt::format("node {}: packing '{}'", label(n), wname));
      lin = std::move(*bsr);
    }
    if (lin == nullptr) {
      copy_rows();
      lin = make_dense_linear(std::move(src));
    }
    if (kind.empty()) kind = lin->kind();
    bytes += lin->bytes();
    s.linear.push_back(std::move(lin));
  }
  if (groups > 1) kind += fmt::format(" x{} groups", groups);
  packed.push_back({n.name, kind, bytes, layer != nullptr});
  packed_bytes += bytes;
  return ok_status();
}

Result<Plan> Session::Impl::make_plan(int64_t batch) const {
  Plan p;
  p.batch = batch;
  const size_t nv = value_names.size();
  p.shapes.assign(nv, Shape());
  p.shapes[static_cast<size_t>(input_value)] = input_shape;
  p.shapes[static_cast<size_t>(input_value)][0] = batch;
  // Last step reading each storage root; graph outputs live to the end.
  const int end = static_cast<int>(steps.size());
  std::vector<int> last(nv, -1);
  for (size_t i = 0; i < steps.size(); ++i)
    for (int v : steps[i].in)
      if (v >= 0) last[static_cast<size_t>(root[static_cast<size_t>(v)])] = static_cast<int>(i);
  for (int o : outputs)
    if (o >= 0) last[static_cast<size_t>(root[static_cast<size_t>(o)])] = end;
  p.buffer_of.assign(nv, -1);
  std::vector<int> free_buffers;
  const int64_t f = static_cast<int64_t>(sizeof(float));
  for (size_t i = 0; i < steps.size(); ++i) {
    const Step& s = steps[i];
    if (s.kind == Kind::kInput) continue;
    Result<std::vector<ir::ValueInfo>> inferred = infer_step(s, p.shapes, dtypes);
    if (!inferred.ok())
      return inferred.status().with_context(fmt::format("planning batch {}", batch));
    const std::vector<ir::ValueInfo>& outs = *inferred;
    for (size_t j = 0; j < s.out.size() && j < outs.size(); ++j) {
      const int v = s.out[j];
      if (v < 0) continue;
      p.shapes[static_cast<size_t>(v)] = outs[j].shape;
      SIEVE_ASSIGN_OR_RETURN(int64_t bytes,
                             checked_bytes(outs[j].shape, outs[j].dtype, "value " + value_names[static_cast<size_t>(v)]));
      if (s.kind == Kind::kView) continue;
      if (s.kind == Kind::kFallback) {
        p.owned_bytes += bytes;
        continue;
      }
      // Best fit among the free buffers, else a new one.
      const int64_t need = bytes / f;
      int best = -1;
      for (int b : free_buffers) {
        const int64_t have = p.buffer_floats[static_cast<size_t>(b)];
        if (have >= need && (best < 0 || have < p.buffer_floats[static_cast<size_t>(best)])) best = b;
      }
      if (best < 0) {
        best = static_cast<int>(p.buffer_floats.size());
        p.buffer_floats.push_back(need);
      } else {
        free_buffers.erase(std::find(free_buffers.begin(), free_buffers.end(), best));
      }
      p.buffer_of[static_cast<size_t>(v)] = best;
    }
    // Scratch: a whole image's im2col (every group), or the transposes of a block-sparse FC.
    if (s.kind == Kind::kConv) {
      const Shape& xs = p.shapes[static_cast<size_t>(s.in[0])];
      const bool direct = all_of(s.geo.kernel, 1) && all_of(s.geo.strides, 1) &&
                          all_of(s.geo.pads_begin, 0) && all_of(s.geo.pads_end, 0);
      const int64_t cols = xs[1] * s.geo.kernel[0] * s.geo.kernel[1] * s.geo.out[0] * s.geo.out[1];
      if (s.linear[0]->int8()) {  // the image quantized, then its im2col in bytes
        p.scratch_u8 = std::max(p.scratch_u8, xs[1] * xs[2] * xs[3] + (direct ? 0 : cols));
      } else if (!direct) {
        p.scratch_floats = std::max(p.scratch_floats, cols);
      }
    } else if (s.kind == Kind::kFc) {
      const Shape& xs = p.shapes[static_cast<size_t>(s.in[0])];
      const int64_t m = shape_numel(xs) / std::max<int64_t>(1, xs.back());
      p.scratch_floats = std::max(p.scratch_floats, s.linear[0]->rows_form_scratch(m));
    }
    // Release what dies here (the outputs of this step stay: they were allocated above).
    for (size_t j = 0; j < s.in.size(); ++j) {
      const int v = s.in[j];
      if (v < 0) continue;
      const int r = root[static_cast<size_t>(v)];
      const int b = p.buffer_of[static_cast<size_t>(r)];
      if (b >= 0 && last[static_cast<size_t>(r)] == static_cast<int>(i) &&
          std::find(free_buffers.begin(), free_buffers.end(), b) == free_buffers.end())
        free_buffers.push_back(b);
    }
    for (int v : s.out) {
      if (v < 0 || s.kind == Kind::kView) continue;
      const int b = p.buffer_of[static_cast<size_t>(v)];
      if (b >= 0 && last[static_cast<size_t>(v)] < 0) free_buffers.push_back(b);  // never read
    }
  }
  return p;
}

void Session::Impl::run_fc(const Step& s, Plan& p, const std::vector<float*>& ptr) {
  const Linear& lin = *s.linear[0];
  const Shape& xs = p.shapes[static_cast<size_t>(s.in[0])];
  const int64_t k = xs.back();
  const int64_t m = shape_numel(xs) / std::max<int64_t>(1, k);
  const int64_t out = lin.rows();
  const float* x = ptr[static_cast<size_t>(s.in[0])];
  float* y = ptr[static_cast<size_t>(s.out[0])];
  const int t = pool->size();
  auto scratch = [&](int w) { return p.scratch.empty() ? nullptr : p.scratch[static_cast<size_t>(w)].data; };
  if (t == 1 || m * k * out < (int64_t{1} << 16)) {
    lin.rows_form(x, m, y, out, 0, out, s.relu, scratch(0));
  } else if (m >= 8 * t) {
    // Batch rows split over the workers.
    const int64_t chunk = (m + t - 1) / t;
    pool->parallel_for(t, [&](int64_t task, int w) {
      const int64_t b0 = task * chunk, b1 = std::min(m, b0 + chunk);
      if (b0 < b1) lin.rows_form(x + b0 * k, b1 - b0, y + b0 * out, out, 0, out, s.relu, scratch(w));
    });
  } else {
    // Output neurons split over the workers, at the layer's row granule.
    const int64_t gran = std::max<int64_t>(1, lin.row_granule());
    const int64_t chunk = ((out + t - 1) / t + gran - 1) / gran * gran;
    const int64_t tasks = (out + chunk - 1) / chunk;
    pool->parallel_for(tasks, [&](int64_t task, int w) {
      lin.rows_form(x, m, y, out, task * chunk, std::min(out, (task + 1) * chunk), s.relu, scratch(w));
    });
  }
}

// The int8 route's convolution: each image quantized once as a whole (kernels/bsr/int8.h:
// quantize_activations over C·H·W), lowered to its u8 im2col with the zero point as padding,
// and multiplied by spmm_int8_u8 (Linear::cols_form_u8). Work splits as in run_conv.
void Session::Impl::run_conv_int8(const Step& s, Plan& p, const float* x, float* y) {
  const Shape& xs = p.shapes[static_cast<size_t>(s.in[0])];
  const Shape& ys = p.shapes[static_cast<size_t>(s.out[0])];
  const int64_t n = xs[0], c = xs[1], h = xs[2], w = xs[3];
  const int64_t m = ys[1], pix = ys[2] * ys[3];
  const int64_t groups = s.group, cg = c / groups, mg = m / groups;
  const int64_t k = cg * s.geo.kernel[0] * s.geo.kernel[1];
  const bool direct = all_of(s.geo.kernel, 1) && all_of(s.geo.strides, 1) &&
                      all_of(s.geo.pads_begin, 0) && all_of(s.geo.pads_end, 0);
  // Image i quantized into the worker's scratch; returns its scale and the groups' im2col.
  auto lower = [&](int64_t i, uint8_t* scratch, std::vector<const uint8_t*>& cols) {
    uint8_t* img = scratch;
    const kernels::bsr::ActQuant a =
        kernels::bsr::quantize_activations(x + i * c * h * w, c * h * w, 1, img);
    for (int64_t g = 0; g < groups; ++g) {
      const uint8_t* xg = img + g * cg * h * w;
      if (direct) {
        cols[static_cast<size_t>(g)] = xg;
        continue;
      }
      uint8_t* cgp = scratch + c * h * w + g * k * pix;
      im2col<uint8_t>(xg, cg, h, w, s.geo, cgp, static_cast<uint8_t>(a.zero_point));
      cols[static_cast<size_t>(g)] = cgp;
    }
    return a;
  };
  const int t = pool->size();
  if (t == 1 || n >= t) {
    pool->parallel_for(n, [&](int64_t i, int wk) {
      std::vector<const uint8_t*> cols(static_cast<size_t>(groups));
      const kernels::bsr::ActQuant a = lower(i, p.scratch8[static_cast<size_t>(wk)].data(), cols);
      for (int64_t g = 0; g < groups; ++g)
        s.linear[static_cast<size_t>(g)]->cols_form_u8(cols[static_cast<size_t>(g)], a, pix,
                                                       y + (i * m + g * mg) * pix, 0, mg, s.relu);
    });
    return;
  }
  // Fewer images than workers: one image at a time, output channels split over the workers.
  const int64_t gran = std::max<int64_t>(1, s.linear[0]->row_granule());
  const int64_t chunk = ((mg * groups + t - 1) / t + gran - 1) / gran * gran;
  const int64_t per_group = (mg + chunk - 1) / chunk;
  std::vector<const uint8_t*> cols(static_cast<size_t>(groups));
  for (int64_t i = 0; i < n; ++i) {
    const kernels::bsr::ActQuant a = lower(i, p.scratch8[0].data(), cols);
    pool->parallel_for(groups * per_group, [&](int64_t task, int) {
      const int64_t g = task / per_group, r0 = (task % per_group) * chunk;
      s.linear[static_cast<size_t>(g)]->cols_form_u8(cols[static_cast<size_t>(g)], a, pix,
                                                     y + (i * m + g * mg) * pix, r0,
                                                     std::min(mg, r0 + chunk), s.relu);
    });
  }
}

void Session::Impl::run_conv(const Step& s, Plan& p, const std::vector<float*>& ptr) {
  const Shape& xs = p.shapes[static_cast<size_t>(s.in[0])];
  const Shape& ys = p.shapes[static_cast<size_t>(s.out[0])];
  const int64_t n = xs[0], c = xs[1], h = xs[2], w = xs[3];
  const int64_t m = ys[1];
  const int64_t pix = ys[2] * ys[3];
  const int64_t groups = s.group, cg = c / groups, mg = m / groups;
  const int64_t k = cg * s.geo.kernel[0] * s.geo.kernel[1];
  const bool direct = all_of(s.geo.kernel, 1) && all_of(s.geo.strides, 1) &&
                      all_of(s.geo.pads_begin, 0) && all_of(s.geo.pads_end, 0);
  const float* x = ptr[static_cast<size_t>(s.in[0])];
  float* y = ptr[static_cast<size_t>(s.out[0])];
  const int t = pool->size();
  if (s.linear[0]->int8()) {
    run_conv_int8(s, p, x, y);
    return;
  }
  // The im2col matrix of group g of image i, in `col` (a whole image's worth of scratch).
  auto cols_of = [&](int64_t i, int64_t g, float* col) -> const float* {
    const float* xg = x + (i * c + g * cg) * h * w;
    if (direct) return xg;
    float* cgp = col + g * k * pix;
    im2col(xg, cg, h, w, s.geo, cgp);
    return cgp;
  };
  if (t == 1 || n >= t) {
    pool->parallel_for(n, [&](int64_t i, int wk) {
      float* col = p.scratch.empty() ? nullptr : p.scratch[static_cast<size_t>(wk)].data;
      for (int64_t g = 0; g < groups; ++g)
        s.linear[static_cast<size_t>(g)]->cols_form(cols_of(i, g, col), pix,
                                                    y + (i * m + g * mg) * pix, 0, mg, s.relu);
    });
    return;
  }
  // Fewer images than workers: one image at a time, output channels split over the workers.
  float* col = p.scratch.empty() ? nullptr : p.scratch[0].data;
  const int64_t gran = std::max<int64_t>(1, s.linear[0]->row_granule());
  const int64_t chunk = ((mg * groups + t - 1) / t + gran - 1) / gran * gran;
  const int64_t per_group = (mg + chunk - 1) / chunk;
  std::vector<const float*> group_cols(static_cast<size_t>(groups));
  for (int64_t i = 0; i < n; ++i) {
    pool->parallel_for(groups, [&](int64_t g, int) {
      group_cols[static_cast<size_t>(g)] = cols_of(i, g, col);
    });
    pool->parallel_for(groups * per_group, [&](int64_t task, int) {
      const int64_t g = task / per_group, r0 = (task % per_group) * chunk;
      s.linear[static_cast<size_t>(g)]->cols_form(group_cols[static_cast<size_t>(g)], pix,
                                                  y + (i * m + g * mg) * pix, r0,
                                                  std::min(mg, r0 + chunk), s.relu);
    });
  }
}

Result<std::vector<Tensor>> Session::Impl::run(const Tensor& input) {
  if (input.dtype() != DType::kF32)
    return invalid_argument("cpu engine: input is {}, the model takes f32", dtype_name(input.dtype()));
  bool match = input.rank() == static_cast<int64_t>(input_shape.size()) && input.rank() >= 1 &&
               input.dim(0) >= 1;
  for (size_t d = 1; match && d < input_shape.size(); ++d)
    match = input_shape[d] < 0 || input_shape[d] == input.shape()[d];
  if (!match)
    return invalid_argument("cpu engine: input shape {}, the model takes {} (any batch)",
                            shape_str(input.shape()), shape_str(input_shape));
  const int64_t batch = input.dim(0);
  if (!plan || plan->batch != batch) {
    plan.reset();
    SIEVE_ASSIGN_OR_RETURN(Plan p, make_plan(batch));
    SIEVE_RETURN_IF_ERROR(check_limit(p));
    for (int64_t f : p.buffer_floats) p.buffers.emplace_back(f);
    if (p.scratch_floats > 0)
      for (int w = 0; w < pool->size(); ++w) p.scratch.emplace_back(p.scratch_floats);
    if (p.scratch_u8 > 0)
      for (int w = 0; w < pool->size(); ++w) p.scratch8.emplace_back(static_cast<size_t>(p.scratch_u8));
    plan = std::move(p);
  }
  Plan& p = *plan;
  const size_t nv = value_names.size();
  std::vector<float*> ptr(nv, nullptr);
  std::vector<Tensor> owned(nv);
  for (size_t v = 0; v < nv; ++v)
    if (p.buffer_of[v] >= 0) ptr[v] = p.buffers[static_cast<size_t>(p.buffer_of[v])].data;
  ptr[static_cast<size_t>(input_value)] = const_cast<float*>(input.data<float>());
  owned[static_cast<size_t>(input_value)] = input;
  const int t = pool->size();

  for (const Step& s : steps) {
    const ir::Node& n = *s.node;
    switch (s.kind) {
      case Kind::kInput: break;
      case Kind::kFc: run_fc(s, p, ptr); break;
      case Kind::kConv: run_conv(s, p, ptr); break;
      case Kind::kMaxPool:
      case Kind::kAvgPool: {
        const Shape& xs = p.shapes[static_cast<size_t>(s.in[0])];
        const Shape& ys = p.shapes[static_cast<size_t>(s.out[0])];
        const int64_t planes = xs[0] * xs[1], in_plane = xs[2] * xs[3], out_plane = ys[2] * ys[3];
        const float* x = ptr[static_cast<size_t>(s.in[0])];
        float* y = ptr[static_cast<size_t>(s.out[0])];
        const bool is_max = s.kind == Kind::kMaxPool;
        const bool include_pad = n.attr_int("count_include_pad", 0) == 1;
        const int64_t tasks = planes * in_plane < (int64_t{1} << 15) ? 1 : t;
        const int64_t chunk = (planes + tasks - 1) / tasks;
        pool->parallel_for(tasks, [&](int64_t task, int) {
          for (int64_t q = task * chunk; q < std::min(planes, (task + 1) * chunk); ++q)
            pool_plane(x + q * in_plane, xs[2], xs[3], s.geo, is_max, include_pad, y + q * out_plane);
        });
        break;
      }
      case Kind::kGlobalAvg:
      case Kind::kGlobalMax: {
        const Shape& xs = p.shapes[static_cast<size_t>(s.in[0])];
        const int64_t planes = xs[0] * xs[1];
        const int64_t size = planes > 0 ? shape_numel(xs) / planes : 0;
        const float* x = ptr[static_cast<size_t>(s.in[0])];
        float* y = ptr[static_cast<size_t>(s.out[0])];
        for (int64_t q = 0; q < planes; ++q) {
          const float* xp = x + q * size;
          if (s.kind == Kind::kGlobalMax) {
            float best = std::numeric_limits<float>::lowest();
            for (int64_t i = 0; i < size; ++i) best = std::max(best, xp[i]);
            y[q] = best;
          } else {
            double sum = 0;
            for (int64_t i = 0; i < size; ++i) sum += xp[i];
            y[q] = size > 0 ? static_cast<float>(sum / static_cast<double>(size)) : 0.0f;
          }
        }
        break;
      }
      case Kind::kRelu: {
        const int64_t count = shape_numel(p.shapes[static_cast<size_t>(s.out[0])]);
        const float* x = ptr[static_cast<size_t>(s.in[0])];
        float* y = ptr[static_cast<size_t>(s.out[0])];
        for (int64_t i = 0; i < count; ++i) y[i] = std::max(x[i], 0.0f);
        break;
      }
      case Kind::kSoftmax: {
        const Shape& xs = p.shapes[static_cast<size_t>(s.in[0])];
        const bool coerce = n.attr_int("coerce_2d", 0) == 1;
        int64_t axis = n.attr_int("axis", coerce ? 1 : -1);
        if (axis < 0) axis += static_cast<int64_t>(xs.size());
        int64_t outer = 1, dim = 1, inner = 1;
        for (int64_t d = 0; d < static_cast<int64_t>(xs.size()); ++d) {
          const int64_t v = xs[static_cast<size_t>(d)];
          if (d < axis) outer *= v;
          else if (d == axis || coerce) dim *= v;
          else inner *= v;
        }
        const float* x = ptr[static_cast<size_t>(s.in[0])];
        float* y = ptr[static_cast<size_t>(s.out[0])];
        for (int64_t o = 0; o < outer; ++o) {
          for (int64_t i = 0; i < inner; ++i) {
            const int64_t base = o * dim * inner + i;
            float mx = -INFINITY;
            for (int64_t j = 0; j < dim; ++j) mx = std::max(mx, x[base + j * inner]);
            double sum = 0;
            for (int64_t j = 0; j < dim; ++j) sum += std::exp(double{x[base + j * inner]} - mx);
            const double log_sum = std::log(sum);
            for (int64_t j = 0; j < dim; ++j) {
              const double v = double{x[base + j * inner]} - mx;
              y[base + j * inner] = static_cast<float>(s.log_softmax ? v - log_sum : std::exp(v) / sum);
            }
          }
        }
        break;
      }
      case Kind::kAdd: {
        const int64_t count = shape_numel(p.shapes[static_cast<size_t>(s.out[0])]);
        const float* a = ptr[static_cast<size_t>(s.in[0])];
        const float* b = ptr[static_cast<size_t>(s.in[1])];
        float* y = ptr[static_cast<size_t>(s.out[0])];
        for (int64_t i = 0; i < count; ++i) y[i] = a[i] + b[i];
        break;
      }
      case Kind::kView: {
        const size_t in = static_cast<size_t>(s.in[0]), out = static_cast<size_t>(s.out[0]);
        ptr[out] = ptr[in];
        if (!owned[in].empty()) owned[out] = owned[in].reshaped(p.shapes[out]);
        break;
      }
      case Kind::kFallback: {
        std::vector<Tensor> temps;
        temps.reserve(n.inputs.size());
        std::vector<const Tensor*> args(n.inputs.size(), nullptr);
        for (size_t i = 0; i < n.inputs.size(); ++i) {
          if (n.inputs[i].empty()) continue;
          if (const Tensor* init = graph.initializer(n.inputs[i])) {
            args[i] = init;
            continue;
          }
          const size_t v = static_cast<size_t>(s.in[i]);
          if (!owned[v].empty()) {
            args[i] = &owned[v];
          } else {
            temps.emplace_back(DType::kF32, p.shapes[v]);
            std::memcpy(temps.back().raw(), ptr[v], temps.back().nbytes());
            args[i] = &temps.back();
          }
        }
        SIEVE_ASSIGN_OR_RETURN(std::vector<Tensor> outs, run_ref_node(n, args));
        for (size_t j = 0; j < s.out.size() && j < outs.size(); ++j) {
          const int v = s.out[j];
          if (v < 0) continue;
          owned[static_cast<size_t>(v)] = std::move(outs[j]);
          Tensor& o = owned[static_cast<size_t>(v)];
          ptr[static_cast<size_t>(v)] = o.dtype() == DType::kF32 ? o.data<float>() : nullptr;
        }
        break;
      }
    }
  }
  std::vector<Tensor> result;
  for (size_t i = 0; i < outputs.size(); ++i) {
    const int v = outputs[i];
    if (v < 0) {
      result.push_back(graph.initializer(graph.outputs[i])->clone());
    } else if (!owned[static_cast<size_t>(v)].empty()) {
      result.push_back(owned[static_cast<size_t>(v)].clone());
    } else {
      Tensor o(DType::kF32, p.shapes[static_cast<size_t>(v)]);
      std::memcpy(o.raw(), ptr[static_cast<size_t>(v)], o.nbytes());
      result.push_back(std::move(o));
    }
  }
  return result;
}

Session::Session(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Session::~Session() = default;

Result<std::unique_ptr<Session>> Session::load(const compress::CompressedModel& model,
                                               const SessionOptions& options) {
  if (options.threads < 1)
    return invalid_argument("threads {}: the cpu engine needs at least 1", options.threads);
  if (options.max_memory_bytes < 0)
    return invalid_argument("max memory {} bytes is negative", options.max_memory_bytes);
  if (options.int8) {
    const Status st =
        kernels::bsr::int8_isa_check(options.isa, options.cpu.value_or(cpu_features()));
    if (!st.ok()) return st.with_context("the int8 route");
  }
  auto impl = std::make_unique<Impl>();
  impl->opt = options;
  // The session's pool is the only parallelism: OpenBLAS runs single-threaded inside it.
  blas::set_num_threads(1);
  impl->pool = std::make_unique<ThreadPool>(options.threads);
  SIEVE_RETURN_IF_ERROR(impl->build(model));
  return std::unique_ptr<Session>(new Session(std::move(impl)));
}

Result<std::vector<Tensor>> Session::run(const Tensor& input) { return impl_->run(input); }

Result<int64_t> Session::memory_bytes(int64_t n) {
  if (n < 1) return invalid_argument("batch {} must be positive", n);
  SIEVE_ASSIGN_OR_RETURN(Plan p, impl_->make_plan(n));
  return p.bytes(impl_->pool->size()) + impl_->packed_bytes;
}

Status Session::check_batch(int64_t n) {
  if (n < 1) return invalid_argument("batch {} must be positive", n);
  SIEVE_ASSIGN_OR_RETURN(Plan p, impl_->make_plan(n));
  return impl_->check_limit(p);
}

const std::vector<std::string>& Session::fallback_ops() const { return impl_->fallback; }
const std::vector<PackedLayer>& Session::packed_layers() const { return impl_->packed; }
int64_t Session::packed_bytes() const { return impl_->packed_bytes; }
Isa Session::isa() const { return impl_->opt.isa; }
int Session::threads() const { return impl_->pool->size(); }

}  // namespace sieve::runtime::cpu
