// The library API: descriptors checked and recorded as calls; the calls turned into an IR graph
// and a CompressedModel whose masks are drawn as the thesis benchmarks draw theirs, so that the
// workload, the plans and the code come from the one compiler `sieve compile` runs (no second
// path from a layer to a program).
#include "sieve/api/api.h"

#include <fmt/format.h>

#include <algorithm>
#include <functional>
#include <cctype>
#include <map>
#include <utility>

#include "sieve/compiler/isa/isa.h"
#include "sieve/compress/model.h"
#include "sieve/core/tensor.h"
#include "sieve/hw/workloads/thesis.h"
#include "sieve/ir/graph.h"

namespace sieve::api {

using compiler::codegen::CompiledLayer;
using compiler::codegen::TensorId;

const char* layer_op_name(LayerOp op) {
  switch (op) {
    case LayerOp::kConv: return "ConvForward";
    case LayerOp::kInnerProduct: return "InnerProductForward";
    case LayerOp::kPooling: return "PoolingForward";
    case LayerOp::kActivation: return "ActivationForward";
    case LayerOp::kLstm: return "LstmStep";
  }
  return "?";
}

namespace {

std::string quoted(const std::string& kind, const std::string& name) {
  return fmt::format("{} \"{}\"", kind, name);
}

std::string address_text(int64_t a) {
  return a == kAutoAddress ? std::string("auto") : fmt::format("{:#x}", a);
}

// Shape, bits, sparse attribute and address, for "is not the previous layer's output".
std::string tensor_text(const TensorDescriptor& t) {
  return fmt::format("{}, {}-bit, {}, address {}", t.shape(), t.bits,
                     t.sparse ? fmt::format("sparse at density {}", t.density) : "dense",
                     address_text(t.address));
}

Status check_address(int64_t a, const std::string& what) {
  if (a == kAutoAddress) return ok_status();
  if (a < 0 || a % kAddressAlign != 0 || a >= kAddressLimit) {
    return invalid_argument(
        "{}: address {} (expected a multiple of {} below 2^40, or kAutoAddress)", what,
        a < 0 ? fmt::format("{}", a) : fmt::format("{:#x}", a), kAddressAlign);
  }
  return ok_status();
}

Status check_density(bool sparse, double d, const std::string& what) {
  if (!(d > 0.0 && d <= 1.0)) return invalid_argument("{}: density {} outside (0, 1]", what, d);
  if (!sparse && d != 1.0) {
    return invalid_argument("{}: density {} without the sparse attribute (sparse_at / "
                            "sparse_blocks set both)",
                            what, d);
  }
  return ok_status();
}

Status check_tensor(const TensorDescriptor& t, const char* role) {
  const std::string what = fmt::format("{} tensor \"{}\"", role, t.name);
  const std::pair<const char*, int64_t> dims[] = {{"n", t.n}, {"c", t.c}, {"h", t.h}, {"w", t.w}};
  for (const auto& [field, v] : dims) {
    if (v < 1) return invalid_argument("{}: {} {} (expected >= 1)", what, field, v);
  }
  if (t.bits != 16) {
    return invalid_argument("{}: bits {} (the accelerators' neurons are 16-bit fixed point)", what,
                            t.bits);
  }
  SIEVE_RETURN_IF_ERROR(check_density(t.sparse, t.density, what));
  return check_address(t.address, what);
}

// The weight shapes of a filter (one per matrix: conv and FC one, LSTM W and R) and the rank
// its block has, for the op.
struct FilterShape {
  std::vector<Shape> shapes;
  std::vector<std::string> dims;  // names of the block's dimensions, for errors
  std::vector<int64_t> block_bound;  // largest block entry per dimension
};

Status check_filter(const FilterDescriptor& f, const FilterShape& fs) {
  const std::string what = quoted("filter", f.name);
  const std::pair<const char*, int64_t> dims[] = {{"out_channels", f.out_channels},
                                                  {"in_channels", f.in_channels},
                                                  {"kh", f.kh},
                                                  {"kw", f.kw},
                                                  {"groups", f.groups}};
  for (const auto& [field, v] : dims) {
    if (v < 1) return invalid_argument("{}: {} {} (expected >= 1)", what, field, v);
  }
  SIEVE_RETURN_IF_ERROR(check_density(f.sparse, f.density, what));
  if (!f.block.empty()) {
    if (!f.sparse) {
      return invalid_argument("{}: block [{}] without the sparse attribute", what,
                              fmt::join(f.block, ", "));
    }
    if (f.block.size() != fs.dims.size()) {
      return invalid_argument("{}: block has {} entries, expected {} ([{}])", what, f.block.size(),
                              fs.dims.size(), fmt::join(fs.dims, ", "));
    }
    for (size_t d = 0; d < f.block.size(); ++d) {
      if (f.block[d] < 1) {
        return invalid_argument("{}: block[{}] = {} (expected >= 1)", what, d, f.block[d]);
      }
      if (f.block[d] > fs.block_bound[d]) {
        return invalid_argument("{}: block[{}] = {} exceeds {} {}", what, d, f.block[d],
                                fs.dims[d], fs.block_bound[d]);
      }
    }
  }
  if (f.code_bits < 0 || f.code_bits > 16) {
    return invalid_argument("{}: code_bits {} (expected 0 for 16-bit weights, or 1..16)", what,
                            f.code_bits);
  }
  if (f.region_rows < 1 || f.region_cols < 1) {
    return invalid_argument("{}: region grid {}x{} (expected sizes >= 1)", what, f.region_rows,
                            f.region_cols);
  }
  if (f.code_bits == 0 && (f.region_rows != 1 || f.region_cols != 1)) {
    return invalid_argument("{}: region grid {}x{} without code_bits (codebooks need local "
                            "quantization)",
                            what, f.region_rows, f.region_cols);
  }
  for (const Shape& s : fs.shapes) {  // the 2-D view of compress/model.h: dim 0 × the rest
    const int64_t rows = s[0], cols = shape_numel(s) / s[0];
    if (f.region_rows > rows || f.region_cols > cols) {
      return invalid_argument("{}: region grid {}x{} exceeds the weight's {}x{} 2-D view", what,
                              f.region_rows, f.region_cols, rows, cols);
    }
  }
  return check_address(f.address, what);
}

// Output size of a window of extent `k` with stride `s` over `in` padded by `pad` on both sides
// (Caffe / ONNX rounding, as the zoo's builder); 0 when the window does not fit.
int64_t window_out(int64_t in, int64_t k, int64_t s, int64_t pad, bool ceil) {
  const int64_t span = in + 2 * pad - k;
  if (span < 0) return 0;
  int64_t out = (ceil ? (span + s - 1) / s : span / s) + 1;
  if (ceil && (out - 1) * s >= in + pad) --out;
  return out;
}

Status check_output(const TensorDescriptor& y, int64_t n, int64_t c, int64_t h, int64_t w,
                    const char* what) {
  if (y.n != n || y.c != c || y.h != h || y.w != w) {
    return invalid_argument("output tensor \"{}\" is {}, the {} gives {}x{}x{}x{}", y.name,
                            y.shape(), what, n, c, h, w);
  }
  return ok_status();
}

bool valid_name(const std::string& s) {
  if (s.empty()) return false;
  return std::all_of(s.begin(), s.end(), [](char ch) {
    return std::isalnum(static_cast<unsigned char>(ch)) != 0 || ch == '_' || ch == '-';
  });
}

}  // namespace

namespace detail {
struct NetworkAccess {
  static std::vector<LayerCall>& calls(Network& net) { return net.calls_; }
};
}  // namespace detail

namespace {

// Checks what every call shares (name, chain, batch) and appends.
Status append(Network& net, LayerCall call) {
  std::vector<LayerCall>& calls = detail::NetworkAccess::calls(net);
  const LayerCall* prev = calls.empty() ? nullptr : &calls.back();
  if (!valid_name(call.name) || call.name == "input") {
    return invalid_argument("layer name \"{}\" (expected letters, digits, '_' and '-', not "
                            "\"input\")",
                            call.name);
  }
  for (const LayerCall& c : calls) {
    if (c.name == call.name) {
      return invalid_argument("layer \"{}\" already exists ({})", call.name, layer_op_name(c.op));
    }
  }
  if (call.y.n != call.x.n) {
    return invalid_argument("output tensor \"{}\" has n {}, input tensor \"{}\" n {}", call.y.name,
                            call.y.n, call.x.name, call.x.n);
  }
  if (prev == nullptr) {
    calls.push_back(std::move(call));
    return ok_status();
  }
  if (prev->op == LayerOp::kLstm || call.op == LayerOp::kLstm) {
    return invalid_argument("the LSTM layer \"{}\" must be the network's only layer (the thesis "
                            "models the LSTM layer alone)",
                            prev->op == LayerOp::kLstm ? prev->name : call.name);
  }
  const TensorDescriptor& p = prev->y;
  const TensorDescriptor& x = call.x;
  // The last layer that is not an activation: what the tensor really comes from.
  const LayerCall* producer = nullptr;
  for (auto it = calls.rbegin(); it != calls.rend(); ++it) {
    if (it->op != LayerOp::kActivation) {
      producer = &*it;
      break;
    }
  }
  if (producer != nullptr && producer->op == LayerOp::kInnerProduct &&
      (call.op == LayerOp::kConv || call.op == LayerOp::kPooling)) {
    return invalid_argument("its input comes from the inner product \"{}\", a vector; "
                            "convolution and pooling read N×C×H×W maps",
                            producer->name);
  }
  const bool same_shape = x.n == p.n && x.c == p.c && x.h == p.h && x.w == p.w;
  const bool flattened = call.op == LayerOp::kInnerProduct && x.n == p.n && x.h == 1 &&
                         x.w == 1 && x.c == p.per_sample();
  if (!(same_shape || flattened) || x.bits != p.bits || x.sparse != p.sparse ||
      x.density != p.density || x.address != p.address) {
    return invalid_argument(
        "input tensor \"{}\" ({}) is not the output of the previous layer \"{}\", tensor \"{}\" "
        "({})",
        x.name, tensor_text(x), prev->name, p.name, tensor_text(p));
  }
  calls.push_back(std::move(call));
  return ok_status();
}

std::string context(LayerOp op, const std::string& layer) {
  return fmt::format("{} {}", layer_op_name(op), layer);
}

LayerCall call_of(LayerOp op, const std::string& layer, const TensorDescriptor& x,
                  const TensorDescriptor& y) {
  LayerCall c;
  c.op = op;
  c.name = layer;
  c.x = x;
  c.y = y;
  return c;
}

// What every call does after describing its layer: run its checks, then append it; errors from
// either carry the call's context.
Status checked_append(Network& net, LayerCall call, const std::function<Status()>& check) {
  const std::string ctx = context(call.op, call.name);
  SIEVE_RETURN_IF_ERROR(check().with_context(ctx));
  return append(net, std::move(call)).with_context(ctx);
}

}  // namespace

Status ConvForward(Network& net, const std::string& layer, const ConvDescriptor& conv,
                   const TensorDescriptor& x, const FilterDescriptor& w,
                   const TensorDescriptor& y) {
  auto check = [&]() -> Status {
    SIEVE_RETURN_IF_ERROR(check_tensor(x, "input"));
    SIEVE_RETURN_IF_ERROR(check_tensor(y, "output"));
    const std::pair<const char*, int64_t> fields[] = {
        {"stride_h", conv.stride_h},     {"stride_w", conv.stride_w},
        {"dilation_h", conv.dilation_h}, {"dilation_w", conv.dilation_w}};
    for (const auto& [f, v] : fields) {
      if (v < 1) return invalid_argument("convolution: {} {} (expected >= 1)", f, v);
    }
    if (conv.pad_h < 0 || conv.pad_w < 0) {
      return invalid_argument("convolution: padding {}x{} (expected >= 0)", conv.pad_h,
                              conv.pad_w);
    }
    const std::string fw = quoted("filter", w.name);
    if (w.groups >= 1 && w.in_channels >= 1 && w.in_channels % w.groups != 0) {
      return invalid_argument("{}: groups {} does not divide in_channels {}", fw, w.groups,
                              w.in_channels);
    }
    if (w.groups >= 1 && w.out_channels >= 1 && w.out_channels % w.groups != 0) {
      return invalid_argument("{}: groups {} does not divide out_channels {}", fw, w.groups,
                              w.out_channels);
    }
    const int64_t g = std::max<int64_t>(w.groups, 1);
    const int64_t icg = std::max<int64_t>(w.in_channels / g, 1);
    FilterShape fs{{{std::max<int64_t>(w.out_channels, 1), icg, std::max<int64_t>(w.kh, 1),
                     std::max<int64_t>(w.kw, 1)}},
                   {"out_channels", "in_channels/groups", "kh", "kw"},
                   {w.out_channels, icg, w.kh, w.kw}};
    SIEVE_RETURN_IF_ERROR(check_filter(w, fs));
    if (w.in_channels != x.c) {
      return invalid_argument("{}: in_channels {} does not match input tensor \"{}\" channels {}",
                              fw, w.in_channels, x.name, x.c);
    }
    const int64_t eh = conv.dilation_h * (w.kh - 1) + 1, ew = conv.dilation_w * (w.kw - 1) + 1;
    const int64_t oh = window_out(x.h, eh, conv.stride_h, conv.pad_h, false);
    const int64_t ow = window_out(x.w, ew, conv.stride_w, conv.pad_w, false);
    if (oh == 0 || ow == 0) {
      return invalid_argument("{}: kernel {}x{} (extent {}x{}) exceeds input tensor \"{}\" {}x{} "
                              "padded by {}x{}",
                              fw, w.kh, w.kw, eh, ew, x.name, x.h, x.w, conv.pad_h, conv.pad_w);
    }
    return check_output(y, x.n, w.out_channels, oh, ow, "convolution");
  };
  LayerCall c = call_of(LayerOp::kConv, layer, x, y);
  c.w = w;
  c.conv = conv;
  return checked_append(net, std::move(c), check);
}

Status InnerProductForward(Network& net, const std::string& layer, const TensorDescriptor& x,
                           const FilterDescriptor& w, const TensorDescriptor& y) {
  auto check = [&]() -> Status {
    SIEVE_RETURN_IF_ERROR(check_tensor(x, "input"));
    SIEVE_RETURN_IF_ERROR(check_tensor(y, "output"));
    const std::string fw = quoted("filter", w.name);
    if (w.kh != 1 || w.kw != 1 || w.groups != 1) {
      return invalid_argument("{}: kernel {}x{}, groups {} (an inner product's filter is "
                              "out_channels x in_channels: 1x1, one group)",
                              fw, w.kh, w.kw, w.groups);
    }
    FilterShape fs{{{std::max<int64_t>(w.out_channels, 1), std::max<int64_t>(w.in_channels, 1)}},
                   {"out_channels", "in_channels"},
                   {w.out_channels, w.in_channels}};
    SIEVE_RETURN_IF_ERROR(check_filter(w, fs));
    if (w.in_channels != x.per_sample()) {
      return invalid_argument(
          "{}: in_channels {} does not match input tensor \"{}\" ({} = {} per sample)", fw,
          w.in_channels, x.name, x.shape(), x.per_sample());
    }
    return check_output(y, x.n, w.out_channels, 1, 1, "inner product");
  };
  LayerCall c = call_of(LayerOp::kInnerProduct, layer, x, y);
  c.w = w;
  return checked_append(net, std::move(c), check);
}

Status PoolingForward(Network& net, const std::string& layer, const PoolingDescriptor& pool,
                      const TensorDescriptor& x, const TensorDescriptor& y) {
  auto check = [&]() -> Status {
    SIEVE_RETURN_IF_ERROR(check_tensor(x, "input"));
    SIEVE_RETURN_IF_ERROR(check_tensor(y, "output"));
    const std::pair<const char*, int64_t> fields[] = {{"window_h", pool.window_h},
                                                      {"window_w", pool.window_w},
                                                      {"stride_h", pool.stride_h},
                                                      {"stride_w", pool.stride_w}};
    for (const auto& [f, v] : fields) {
      if (v < 1) return invalid_argument("pooling: {} {} (expected >= 1)", f, v);
    }
    if (pool.pad_h < 0 || pool.pad_w < 0 || pool.pad_h >= pool.window_h ||
        pool.pad_w >= pool.window_w) {
      return invalid_argument("pooling: padding {}x{} (expected >= 0 and below the window {}x{})",
                              pool.pad_h, pool.pad_w, pool.window_h, pool.window_w);
    }
    const int64_t oh = window_out(x.h, pool.window_h, pool.stride_h, pool.pad_h, pool.ceil);
    const int64_t ow = window_out(x.w, pool.window_w, pool.stride_w, pool.pad_w, pool.ceil);
    if (oh == 0 || ow == 0) {
      return invalid_argument("pooling: window {}x{} exceeds input tensor \"{}\" {}x{} padded by "
                              "{}x{}",
                              pool.window_h, pool.window_w, x.name, x.h, x.w, pool.pad_h,
                              pool.pad_w);
    }
    return check_output(y, x.n, x.c, oh, ow, "pooling");
  };
  LayerCall c = call_of(LayerOp::kPooling, layer, x, y);
  c.pool = pool;
  return checked_append(net, std::move(c), check);
}

Status ActivationForward(Network& net, const std::string& layer,
                         const ActivationDescriptor& activation, const TensorDescriptor& x,
                         const TensorDescriptor& y) {
  auto check = [&]() -> Status {
    SIEVE_RETURN_IF_ERROR(check_tensor(x, "input"));
    SIEVE_RETURN_IF_ERROR(check_tensor(y, "output"));
    SIEVE_RETURN_IF_ERROR(check_output(y, x.n, x.c, x.h, x.w, activation_mode_name(activation.mode)));
    if (y.address != x.address) {
      return invalid_argument("output tensor \"{}\" address {} differs from input tensor \"{}\" "
                              "address {} (activations run in place, in the PEFU)",
                              y.name, address_text(y.address), x.name, address_text(x.address));
    }
    return ok_status();
  };
  LayerCall c = call_of(LayerOp::kActivation, layer, x, y);
  c.activation = activation;
  return checked_append(net, std::move(c), check);
}

Status LstmStep(Network& net, const std::string& layer, const LstmDescriptor& lstm,
                const TensorDescriptor& x, const FilterDescriptor& w, const TensorDescriptor& y) {
  auto check = [&]() -> Status {
    const std::pair<const char*, int64_t> fields[] = {
        {"input", lstm.input}, {"hidden", lstm.hidden}, {"steps", lstm.steps}};
    for (const auto& [f, v] : fields) {
      if (v < 1) return invalid_argument("lstm: {} {} (expected >= 1)", f, v);
    }
    SIEVE_RETURN_IF_ERROR(check_tensor(x, "input"));
    SIEVE_RETURN_IF_ERROR(check_tensor(y, "output"));
    if (x.c != lstm.input || x.h != 1 || x.w != 1) {
      return invalid_argument("input tensor \"{}\" is {}, expected a vector of lstm.input {}",
                              x.name, x.shape(), lstm.input);
    }
    if (y.c != lstm.hidden || y.h != 1 || y.w != 1) {
      return invalid_argument("output tensor \"{}\" is {}, expected a vector of lstm.hidden {}",
                              y.name, y.shape(), lstm.hidden);
    }
    const std::string fw = quoted("filter", w.name);
    if (w.out_channels != 4 * lstm.hidden || w.in_channels != lstm.input + lstm.hidden ||
        w.kh != 1 || w.kw != 1 || w.groups != 1) {
      return invalid_argument(
          "{}: {}x{} (kernel {}x{}, groups {}), expected the gate matrices 4·hidden x "
          "(input + hidden) = {}x{} (FilterDescriptor::lstm)",
          fw, w.out_channels, w.in_channels, w.kh, w.kw, w.groups, 4 * lstm.hidden,
          lstm.input + lstm.hidden);
    }
    const int64_t rows = 4 * lstm.hidden;
    FilterShape fs{{{1, rows, lstm.input}, {1, rows, lstm.hidden}},
                   {"rows", "cols"},
                   {rows, std::min(lstm.input, lstm.hidden)}};
    return check_filter(w, fs);
  };
  LayerCall c = call_of(LayerOp::kLstm, layer, x, y);
  c.w = w;
  c.lstm = lstm;
  return checked_append(net, std::move(c), check);
}

// ---- The workload -----------------------------------------------------------------------

namespace {

// The graph being written: nodes and their output shapes (batch 1: the workload's geometry is
// per sample).
struct GraphWriter {
  ir::Graph g;
  std::map<std::string, Shape> shapes;

  ir::Node& add(ir::OpKind op, const std::string& name, std::vector<std::string> inputs,
                Shape out) {
    ir::Node n;
    n.op = op;
    n.name = name;
    n.inputs = std::move(inputs);
    n.outputs = {name};
    g.nodes.push_back(std::move(n));
    shapes[name] = std::move(out);
    return g.nodes.back();
  }
  std::string weight(const std::string& name, const Shape& s) {
    g.initializers.emplace(name, Tensor(DType::kF32, s));
    return name;
  }
};

// The weight of `node` drawn at the filter's declared density, block and code width (the
// thesis benchmarks' draw); no compressed layer for a dense, unquantized filter.
Status draw(const FilterDescriptor& f, const std::string& node, const std::string& weight,
            const Shape& shape, const char* type, uint64_t seed,
            compress::CompressedModel& model) {
  if (!f.sparse && f.code_bits == 0) return ok_status();
  hw::ThesisLayer l;
  l.node = node;
  l.weight = weight;
  l.type = type;
  l.shape = shape;
  l.sparsity = f.sparse ? 1.0 - f.density : 0.0;
  l.block.assign(shape.size(), 1);
  // The declared block covers the last block.size() dimensions (LSTM: [rows, cols] of
  // [1, rows, cols]).
  const size_t off = shape.size() - f.block.size();
  for (size_t d = 0; d < f.block.size(); ++d) l.block[off + d] = f.block[d];
  l.bits = f.code_bits;
  l.region_rows = f.region_rows;
  l.region_cols = f.region_cols;
  SIEVE_ASSIGN_OR_RETURN(compress::CompressedLayer cl, hw::draw_thesis_layer(l, seed));
  model.layers.push_back(std::move(cl));
  return ok_status();
}

}  // namespace

Result<hw::Workload> workload(const Network& net) {
  const std::vector<LayerCall>& calls = net.calls();
  if (std::all_of(calls.begin(), calls.end(),
                  [](const LayerCall& c) { return c.op == LayerOp::kActivation; })) {
    return invalid_argument("network \"{}\" has no layers{}", net.name(),
                            calls.empty() ? "" : " but activations (they run in the PEFU of a "
                                                 "conv, inner product or LSTM layer)");
  }
  GraphWriter gw;
  gw.g.name = net.name();
  compress::CompressedModel model;
  const LayerCall& first = calls.front();
  Shape in_shape;
  if (first.op == LayerOp::kLstm) {
    in_shape = {first.lstm.steps, 1, first.lstm.input};
  } else if (first.op == LayerOp::kInnerProduct && first.x.h == 1 && first.x.w == 1) {
    in_shape = {1, first.x.c};
  } else {
    in_shape = {1, first.x.c, first.x.h, first.x.w};
  }
  {
    ir::Node& n = gw.add(ir::OpKind::kInput, "input", {}, in_shape);
    n.attrs["shape"] = std::vector<int64_t>(in_shape.begin(), in_shape.end());
    n.attrs["dtype"] = static_cast<int64_t>(DType::kF32);
  }
  std::string v = "input";
  hw::WorkloadOptions opt;
  opt.synthetic_batch = first.x.n;
  opt.seed = net.seed();
  for (const LayerCall& c : calls) {
    const std::string& name = c.name;
    if (c.op != LayerOp::kActivation) opt.input_density[name] = c.x.density;
    switch (c.op) {
      case LayerOp::kConv: {
        const FilterDescriptor& f = c.w;
        const Shape ws = {f.out_channels, f.in_channels / f.groups, f.kh, f.kw};
        const std::string wn = gw.weight(name + ".weight", ws);
        SIEVE_RETURN_IF_ERROR(draw(f, name, wn, ws, "conv", net.seed(), model));
        ir::Node& n = gw.add(ir::OpKind::kConv, name, {v, wn}, {1, c.y.c, c.y.h, c.y.w});
        n.attrs["kernel_shape"] = std::vector<int64_t>{f.kh, f.kw};
        n.attrs["strides"] = std::vector<int64_t>{c.conv.stride_h, c.conv.stride_w};
        n.attrs["pads"] =
            std::vector<int64_t>{c.conv.pad_h, c.conv.pad_w, c.conv.pad_h, c.conv.pad_w};
        n.attrs["dilations"] = std::vector<int64_t>{c.conv.dilation_h, c.conv.dilation_w};
        if (f.groups != 1) n.attrs["group"] = f.groups;
        v = name;
        break;
      }
      case LayerOp::kInnerProduct: {
        if (gw.shapes[v].size() != 2) {
          const int64_t k = c.x.per_sample();
          ir::Node& n = gw.add(ir::OpKind::kFlatten, name + ".flatten", {v}, {1, k});
          n.attrs["axis"] = int64_t{1};
          v = name + ".flatten";
        }
        const Shape ws = {c.w.out_channels, c.w.in_channels};
        const std::string wn = gw.weight(name + ".weight", ws);
        SIEVE_RETURN_IF_ERROR(draw(c.w, name, wn, ws, "fc", net.seed(), model));
        gw.add(ir::OpKind::kFullyConnected, name, {v, wn}, {1, c.w.out_channels});
        v = name;
        break;
      }
      case LayerOp::kPooling: {
        const PoolingDescriptor& p = c.pool;
        ir::Node& n =
            gw.add(p.mode == PoolMode::kMax ? ir::OpKind::kMaxPool : ir::OpKind::kAveragePool,
                   name, {v}, {1, c.y.c, c.y.h, c.y.w});
        n.attrs["kernel_shape"] = std::vector<int64_t>{p.window_h, p.window_w};
        n.attrs["strides"] = std::vector<int64_t>{p.stride_h, p.stride_w};
        if (p.pad_h != 0 || p.pad_w != 0)
          n.attrs["pads"] = std::vector<int64_t>{p.pad_h, p.pad_w, p.pad_h, p.pad_w};
        if (p.ceil) n.attrs["ceil_mode"] = int64_t{1};
        v = name;
        break;
      }
      case LayerOp::kActivation: {
        const ir::OpKind op = c.activation.mode == ActivationMode::kRelu      ? ir::OpKind::kRelu
                              : c.activation.mode == ActivationMode::kSigmoid ? ir::OpKind::kSigmoid
                                                                              : ir::OpKind::kTanh;
        gw.add(op, name, {v}, gw.shapes[v]);
        v = name;
        break;
      }
      case LayerOp::kLstm: {
        const int64_t h = c.lstm.hidden;
        const std::string wn = gw.weight(name + ".W", {1, 4 * h, c.lstm.input});
        const std::string rn = gw.weight(name + ".R", {1, 4 * h, h});
        SIEVE_RETURN_IF_ERROR(
            draw(c.w, name, wn, {1, 4 * h, c.lstm.input}, "lstm", net.seed(), model));
        SIEVE_RETURN_IF_ERROR(draw(c.w, name, rn, {1, 4 * h, h}, "lstm", net.seed(), model));
        ir::Node& n = gw.add(ir::OpKind::kLSTM, name, {v, wn, rn}, {c.lstm.steps, 1, 1, h});
        n.attrs["hidden_size"] = h;
        v = name;
        break;
      }
    }
  }
  opt.default_output_density = calls.back().y.density;
  gw.g.outputs = {v};
  model.graph = std::move(gw.g);
  auto w = hw::build_workload(model, opt);
  if (!w.ok()) return w.status().with_context(fmt::format("network \"{}\"", net.name()));
  w->model = net.name();
  w->notes["source"] = "library API (api/api.h): masks and activation bits drawn at the "
                       "declared densities";
  return w;
}

// ---- Building -----------------------------------------------------------------------------

namespace {

int64_t align_up(int64_t a) {
  return (a + kAddressAlign - 1) / kAddressAlign * kAddressAlign;
}

// Bytes of tensor t in a layer's layout (all steps); 0 when the layer does not use it.
int64_t region_bytes(const CompiledLayer& c, TensorId t) {
  const auto i = static_cast<size_t>(t);
  return c.layout.step_bytes[i] * (c.layout.step_stride[i] > 0 ? c.steps : 1);
}

// Moves tensor t of layer c to `addr`: its base register's `sset` and the layout.
void set_base(CompiledLayer& c, TensorId t, int64_t addr) {
  c.layout.base[static_cast<size_t>(t)] = addr;
  const int reg = compiler::codegen::base_register(t);
  auto fix = [&](compiler::isa::Insn& in) {
    if (in.op == compiler::isa::Op::sset && compiler::isa::operand(in, "rd") == reg)
      in = compiler::isa::make_insn(compiler::isa::Op::sset, {{"rd", reg}, {"imm", addr}});
  };
  for (compiler::codegen::Item& it : c.items) fix(it.insn);
  for (compiler::isa::Bundle& b : c.packed.program.words)
    fix(b.slot[static_cast<size_t>(compiler::isa::Unit::kScalar)]);
}

struct Region {
  int64_t begin = 0, end = 0;
  int id = 0;  // the tensor: a layer's output and the next layer's input share one
  std::string what;
};

// Places the tensors with a declared address (layer inputs, weights, outputs) and moves every
// other tensor above the highest declared one. `layer_calls[i]` is the call of code[i].
Status place(const std::vector<const LayerCall*>& layer_calls,
             const std::vector<LayerCall>& calls, std::vector<CompiledLayer>& code) {
  // Tensor ids along the chain: an activation's output is its input (in place).
  std::map<const LayerCall*, std::pair<int, int>> ids;  // call -> (x id, y id)
  int next = 0, cur = next++;
  for (const LayerCall& c : calls) {
    const int y = c.op == LayerOp::kActivation ? cur : next++;
    ids[&c] = {cur, y};
    cur = y;
  }
  std::vector<Region> declared;
  std::vector<std::vector<bool>> fixed(code.size(), std::vector<bool>(compiler::codegen::kTensors));
  for (size_t i = 0; i < code.size(); ++i) {
    const LayerCall& c = *layer_calls[i];
    struct Role {
      TensorId t;
      int64_t address;
      int id;
      std::string what;
    };
    const bool weighted = c.op != LayerOp::kPooling;
    std::vector<Role> roles = {
        {TensorId::kInput, c.x.address, ids[&c].first, quoted("input tensor", c.x.name)},
        {TensorId::kOutput, c.y.address, ids[&c].second, quoted("output tensor", c.y.name)}};
    if (weighted) roles.push_back({TensorId::kWeights, c.w.address, next++, quoted("filter", c.w.name)});
    for (const Role& r : roles) {
      const int64_t bytes = region_bytes(code[i], r.t);
      if (r.address == kAutoAddress || bytes == 0) continue;
      set_base(code[i], r.t, r.address);
      fixed[i][static_cast<size_t>(r.t)] = true;
      declared.push_back({r.address, r.address + bytes, r.id,
                          fmt::format("layer {}'s {} at [{:#x}, {:#x})", c.name, r.what,
                                      r.address, r.address + bytes)});
    }
  }
  if (declared.empty()) return ok_status();
  int64_t top = 0;
  for (const Region& r : declared) top = std::max(top, r.end);
  const int64_t shift = align_up(top);
  for (size_t i = 0; i < code.size(); ++i) {
    for (int t = 0; t < compiler::codegen::kTensors; ++t) {
      const auto id = static_cast<TensorId>(t);
      if (fixed[i][static_cast<size_t>(t)] || region_bytes(code[i], id) == 0) continue;
      set_base(code[i], id, code[i].layout.base[static_cast<size_t>(t)] + shift);
    }
  }
  for (size_t a = 0; a < declared.size(); ++a) {
    for (size_t b = a + 1; b < declared.size(); ++b) {
      const Region& x = declared[a];
      const Region& y = declared[b];
      if (x.id != y.id && x.begin < y.end && y.begin < x.end) {
        return invalid_argument("{} overlaps {}", x.what, y.what);
      }
    }
  }
  return ok_status();
}

}  // namespace

Result<BuiltProgram> build(const Network& net, const BuildOptions& options) {
  const std::string where = fmt::format("building network \"{}\" for {}", net.name(), options.arch);
  auto w = workload(net);
  if (!w.ok()) return w.status().with_context(where);
  hw::ArchRun run;
  run.arch = options.arch;
  run.overrides = options.overrides;
  run.options.mode = options.mode;
  auto r = hw::compile_workload(*w, run, "",
                                options.multi_issue ? hw::IssueMode::kMulti : hw::IssueMode::kSingle);
  if (!r.ok()) return r.status().with_context(where);
  std::vector<const LayerCall*> layer_calls;
  for (const LayerCall& c : net.calls())
    if (c.op != LayerOp::kActivation) layer_calls.push_back(&c);
  if (layer_calls.size() != r->code.size()) {
    return internal_error("{}: {} layers compiled for {} calls", where, r->code.size(),
                          layer_calls.size());
  }
  SIEVE_RETURN_IF_ERROR(place(layer_calls, net.calls(), r->code).with_context(where));
  BuiltProgram p;
  p.network = net.name();
  p.arch = r->arch;
  p.preset = r->preset;
  p.mode = r->mode;
  p.options = options;
  p.workload = std::move(*w);
  p.plans = std::move(r->plans);
  p.code = std::move(r->code);
  p.linked = compiler::codegen::link(p.code);
  SIEVE_RETURN_IF_ERROR(compiler::isa::validate(p.linked.program).with_context(where));
  return p;
}

std::string BuiltProgram::assembly() const {
  return compiler::isa::disassemble(linked.program, linked.comments);
}

std::string BuiltProgram::binary() const {
  return compiler::isa::encode(linked.program);
}

std::string summary(const BuiltProgram& p) {
  std::string s = fmt::format("program of {} on {} (preset {}, mode {}, {}): {} words\n",
                              p.network, p.arch, p.preset, p.mode,
                              p.options.multi_issue ? "multi-issue" : "single-issue", p.words());
  for (size_t i = 0; i < p.code.size(); ++i) {
    const CompiledLayer& c = p.code[i];
    const compiler::LayerPlan& plan = p.plans[i];
    const size_t end = i + 1 < p.code.size() ? p.linked.first_word[i + 1] : p.words();
    std::string how = plan.tiled ? fmt::format("{}, tiles {}", compiler::reuse_name(plan.choice.reuse),
                                               plan.choice.tiling.to_string())
                                 : fmt::format("streamed, {}", plan.streamed.rule);
    std::string where;
    for (TensorId t : {TensorId::kInput, TensorId::kWeights, TensorId::kOutput}) {
      if (region_bytes(c, t) == 0) continue;
      where += fmt::format(" {}@{:#x}", compiler::codegen::tensor_name(t),
                           c.layout.base[static_cast<size_t>(t)]);
    }
    s += fmt::format("  {:<8} {:<5} words [{}, {}), {} instructions, {} syncs; {};{}\n", c.layer,
                     plan.kind, p.linked.first_word[i], end, c.instructions(), c.packed.syncs, how,
                     where);
  }
  std::map<std::string, int64_t> count;
  for (const compiler::isa::Bundle& b : p.linked.program.words)
    for (const compiler::isa::Insn& in : b.slot)
      if (!in.empty()) ++count[compiler::isa::info(in.op)->mnemonic];
  std::string hist;
  for (const auto& [m, n] : count) hist += fmt::format("{}{} {}", hist.empty() ? "" : ", ", m, n);
  s += "  instructions: " + hist + "\n";
  return s;
}

Result<hw::SimReport> simulate(const BuiltProgram& p, bool program_driven) {
  hw::ArchRun run;
  run.arch = p.options.arch;
  run.overrides = p.options.overrides;
  run.options.mode = p.options.mode;
  run.program = program_driven;
  run.issue = p.options.multi_issue ? hw::IssueMode::kMulti : hw::IssueMode::kSingle;
  auto r = hw::run_sim(p.workload, run);
  if (!r.ok()) {
    return r.status().with_context(
        fmt::format("simulating network \"{}\" on {}", p.network, p.options.arch));
  }
  return r;
}

}  // namespace sieve::api
