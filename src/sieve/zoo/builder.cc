#include "sieve/zoo/builder.h"

#include <utility>

#include "sieve/core/assert.h"

namespace sieve::zoo {

namespace {

// Output size of a window of `k` with stride `s` over `in` padded by `pad` on both sides.
// With ceil rounding, a last window that would start in the right padding is dropped (the
// rule Caffe, PyTorch and ONNX share).
int64_t window_out(int64_t in, int64_t k, int64_t s, int64_t pad, bool ceil) {
  int64_t span = in + 2 * pad - k;
  SIEVE_ASSERT(span >= 0, "window {} larger than padded input {}", k, in + 2 * pad);
  int64_t out = (ceil ? (span + s - 1) / s : span / s) + 1;
  if (ceil && (out - 1) * s >= in + pad) --out;
  return out;
}

}  // namespace

NetBuilder::NetBuilder(std::string graph_name) {
  g_.name = std::move(graph_name);
}

const Shape& NetBuilder::shape(const std::string& value) const {
  auto it = shapes_.find(value);
  SIEVE_ASSERT(it != shapes_.end(), "unknown value \"{}\"", value);
  return it->second;
}

ir::Node& NetBuilder::add_node(ir::OpKind op, const std::string& name,
                               std::vector<std::string> inputs, const Shape& out_shape) {
  SIEVE_ASSERT(shapes_.count(name) == 0, "value \"{}\" defined twice", name);
  ir::Node n;
  n.op = op;
  n.name = name;
  n.inputs = std::move(inputs);
  n.outputs = {name};
  g_.nodes.push_back(std::move(n));
  shapes_[name] = out_shape;
  return g_.nodes.back();
}

std::string NetBuilder::add_param(const std::string& name, const Shape& shape) {
  SIEVE_ASSERT(g_.initializers.count(name) == 0, "initializer \"{}\" defined twice", name);
  g_.initializers.emplace(name, Tensor(DType::kF32, shape));
  return name;
}

std::string NetBuilder::input(const Shape& shape) {
  ir::Node& n = add_node(ir::OpKind::kInput, "input", {}, shape);
  n.attrs["shape"] = std::vector<int64_t>(shape.begin(), shape.end());
  n.attrs["dtype"] = static_cast<int64_t>(DType::kF32);
  return "input";
}

std::string NetBuilder::conv(const std::string& name, const std::string& x, const ConvSpec& c) {
  const Shape& xs = shape(x);
  SIEVE_ASSERT(xs.size() == 4, "conv \"{}\" needs NCHW input, got {}", name, shape_str(xs));
  SIEVE_ASSERT(c.out > 0 && c.group > 0 && xs[1] % c.group == 0 && c.out % c.group == 0,
               "conv \"{}\": bad channels/group", name);
  int64_t oh = window_out(xs[2], c.kernel, c.stride, c.pad, false);
  int64_t ow = window_out(xs[3], c.kernel, c.stride, c.pad, false);
  std::vector<std::string> in = {
      x, add_param(name + ".weight", {c.out, xs[1] / c.group, c.kernel, c.kernel})};
  if (c.bias) in.push_back(add_param(name + ".bias", {c.out}));
  ir::Node& n = add_node(ir::OpKind::kConv, name, std::move(in), {xs[0], c.out, oh, ow});
  n.attrs["kernel_shape"] = std::vector<int64_t>{c.kernel, c.kernel};
  n.attrs["strides"] = std::vector<int64_t>{c.stride, c.stride};
  n.attrs["pads"] = std::vector<int64_t>{c.pad, c.pad, c.pad, c.pad};
  if (c.group != 1) n.attrs["group"] = c.group;
  return name;
}

std::string NetBuilder::fc(const std::string& name, const std::string& x, int64_t out, bool bias) {
  const Shape& xs = shape(x);
  SIEVE_ASSERT(xs.size() == 2, "fc \"{}\" needs 2-D input, got {}", name, shape_str(xs));
  std::vector<std::string> in = {x, add_param(name + ".weight", {out, xs[1]})};
  if (bias) in.push_back(add_param(name + ".bias", {out}));
  add_node(ir::OpKind::kFullyConnected, name, std::move(in), {xs[0], out});
  return name;
}

std::string NetBuilder::relu(const std::string& name, const std::string& x) {
  Shape s = shape(x);
  add_node(ir::OpKind::kRelu, name, {x}, s);
  return name;
}

std::string NetBuilder::pool(ir::OpKind op, const std::string& name, const std::string& x,
                             const PoolSpec& p) {
  const Shape& xs = shape(x);
  SIEVE_ASSERT(xs.size() == 4, "pool \"{}\" needs NCHW input", name);
  Shape out = {xs[0], xs[1], window_out(xs[2], p.kernel, p.stride, p.pad, p.ceil),
               window_out(xs[3], p.kernel, p.stride, p.pad, p.ceil)};
  ir::Node& n = add_node(op, name, {x}, out);
  n.attrs["kernel_shape"] = std::vector<int64_t>{p.kernel, p.kernel};
  n.attrs["strides"] = std::vector<int64_t>{p.stride, p.stride};
  if (p.pad != 0) n.attrs["pads"] = std::vector<int64_t>{p.pad, p.pad, p.pad, p.pad};
  if (p.ceil) n.attrs["ceil_mode"] = int64_t{1};
  return name;
}

std::string NetBuilder::max_pool(const std::string& name, const std::string& x, const PoolSpec& p) {
  return pool(ir::OpKind::kMaxPool, name, x, p);
}

std::string NetBuilder::avg_pool(const std::string& name, const std::string& x, const PoolSpec& p) {
  return pool(ir::OpKind::kAveragePool, name, x, p);
}

std::string NetBuilder::global_avg_pool(const std::string& name, const std::string& x) {
  const Shape& xs = shape(x);
  SIEVE_ASSERT(xs.size() == 4, "global pool \"{}\" needs NCHW input", name);
  add_node(ir::OpKind::kGlobalAveragePool, name, {x}, {xs[0], xs[1], 1, 1});
  return name;
}

std::string NetBuilder::lrn(const std::string& name, const std::string& x, int64_t size,
                            double alpha, double beta, double bias) {
  Shape s = shape(x);
  ir::Node& n = add_node(ir::OpKind::kLRN, name, {x}, s);
  n.attrs["size"] = size;
  n.attrs["alpha"] = alpha;
  n.attrs["beta"] = beta;
  n.attrs["bias"] = bias;
  return name;
}

std::string NetBuilder::batch_norm(const std::string& name, const std::string& x, double epsilon) {
  Shape s = shape(x);
  SIEVE_ASSERT(s.size() >= 2, "batch norm \"{}\" needs a channel dimension", name);
  int64_t c = s[1];
  std::vector<std::string> in = {
      x, add_param(name + ".weight", {c}), add_param(name + ".bias", {c}),
      add_param(name + ".running_mean", {c}), add_param(name + ".running_var", {c})};
  ir::Node& n = add_node(ir::OpKind::kBatchNorm, name, std::move(in), s);
  n.attrs["epsilon"] = epsilon;
  return name;
}

std::string NetBuilder::add(const std::string& name, const std::string& a, const std::string& b) {
  Shape s = shape(a);
  SIEVE_ASSERT(s == shape(b), "add \"{}\": {} vs {}", name, shape_str(s), shape_str(shape(b)));
  add_node(ir::OpKind::kAdd, name, {a, b}, s);
  return name;
}

std::string NetBuilder::concat(const std::string& name, const std::vector<std::string>& xs,
                               int64_t axis) {
  SIEVE_ASSERT(!xs.empty(), "concat \"{}\" of nothing", name);
  Shape s = shape(xs[0]);
  auto ax = static_cast<size_t>(axis);
  SIEVE_ASSERT(ax < s.size(), "concat \"{}\": axis {}", name, axis);
  for (size_t i = 1; i < xs.size(); ++i) s[ax] += shape(xs[i])[ax];
  ir::Node& n = add_node(ir::OpKind::kConcat, name, xs, s);
  n.attrs["axis"] = axis;
  return name;
}

std::string NetBuilder::flatten(const std::string& name, const std::string& x) {
  const Shape& xs = shape(x);
  int64_t inner = 1;
  for (size_t i = 1; i < xs.size(); ++i) inner *= xs[i];
  ir::Node& n = add_node(ir::OpKind::kFlatten, name, {x}, {xs[0], inner});
  n.attrs["axis"] = int64_t{1};
  return name;
}

std::string NetBuilder::dropout(const std::string& name, const std::string& x, double ratio) {
  Shape s = shape(x);
  // ONNX (opset 12+) takes the ratio as an optional scalar input whose default is 0.5.
  std::vector<std::string> in = {x};
  if (ratio != 0.5) {
    in.push_back(name + ".ratio");
    g_.initializers.emplace(in.back(), Tensor::from_f32({}, {static_cast<float>(ratio)}));
  }
  add_node(ir::OpKind::kDropout, name, std::move(in), s);
  return name;
}

std::string NetBuilder::lstm(const std::string& name, const std::string& x, const LstmSpec& s) {
  const Shape& xs = shape(x);
  SIEVE_ASSERT(xs.size() == 3, "lstm \"{}\" needs [seq, batch, features] input", name);
  SIEVE_ASSERT(s.hidden > 0 && s.proj >= 0, "lstm \"{}\": bad sizes", name);
  const int64_t h = s.hidden;
  const int64_t r = s.proj > 0 ? s.proj : h;  // width of the recurrent state
  std::vector<std::string> in = {x, add_param(name + ".W", {1, 4 * h, xs[2]}),
                                 add_param(name + ".R", {1, 4 * h, r})};
  // ONNX keeps separate input and recurrent biases: B is [dirs, 8H].
  in.push_back(s.bias ? add_param(name + ".B", {1, 8 * h}) : "");
  in.push_back("");  // sequence_lens
  in.push_back("");  // initial_h
  in.push_back("");  // initial_c
  in.push_back(s.peepholes ? add_param(name + ".P", {1, 3 * h}) : "");
  if (s.proj > 0) in.push_back(add_param(name + ".W_proj", {1, s.proj, h}));
  while (!in.empty() && in.back().empty()) in.pop_back();
  ir::Node& n = add_node(ir::OpKind::kLSTM, name, std::move(in), {xs[0], 1, xs[1], r});
  n.attrs["hidden_size"] = h;
  if (s.proj > 0) n.attrs["proj_size"] = s.proj;
  return name;
}

ir::Graph NetBuilder::finish(const std::string& output) {
  SIEVE_ASSERT(shapes_.count(output) != 0, "unknown output \"{}\"", output);
  g_.outputs = {output};
  return std::move(g_);
}

}  // namespace sieve::zoo
