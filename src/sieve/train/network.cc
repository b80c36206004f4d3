#include "sieve/train/network.h"

#include <fmt/format.h>

#include <algorithm>
#include <cstring>
#include <map>
#include <random>
#include <set>

#include "sieve/train/layers.h"

namespace sieve::train {

using ir::Node;
using ir::OpKind;

struct ValueBuf {
  std::string name;
  Shape shape;  // per example
  int64_t numel = 0;
  std::vector<float> data;
  std::vector<float> grad;
  bool needs_grad = false;
  bool grad_ready = false;
};

// One node of the graph, lowered onto the kernels of layers.h.
class Layer {
 public:
  virtual ~Layer() = default;
  // Resolves parameter indices once the parameter list is final.
  virtual void bind(std::vector<Parameter>& /*params*/) {}
  virtual void forward(const float* x, float* y, int64_t n, bool training) = 0;
  // dx may be nullptr (input needs no gradient).
  virtual void backward(const float* x, const float* y, const float* dy, float* dx, int64_t n) = 0;
  virtual void reseed(uint64_t /*seed*/) {}

  std::string node;
  OpKind op = OpKind::kIdentity;
  int in = -1;
  int out = -1;
  bool has_params = false;
};

namespace {

template <typename T>
void ensure_size(std::vector<T>& v, int64_t n) {
  if (static_cast<int64_t>(v.size()) < n) v.resize(static_cast<size_t>(n));
}

class FcLayer final : public Layer {
 public:
  FcLayer(FcGeometry g, int w, int b) : g_(g), w_idx_(w), b_idx_(b) { has_params = true; }
  void bind(std::vector<Parameter>& params) override {
    w_ = &params[static_cast<size_t>(w_idx_)];
    b_ = b_idx_ >= 0 ? &params[static_cast<size_t>(b_idx_)] : nullptr;
  }
  void forward(const float* x, float* y, int64_t n, bool /*training*/) override {
    fc_forward(g_, x, w_->value.data<float>(), b_ ? b_->value.data<float>() : nullptr, n, y);
  }
  void backward(const float* x, const float* /*y*/, const float* dy, float* dx,
                int64_t n) override {
    fc_backward(g_, x, w_->value.data<float>(), dy, n, w_->grad.data(),
                b_ ? b_->grad.data() : nullptr, dx);
  }

 private:
  FcGeometry g_;
  int w_idx_, b_idx_;
  Parameter* w_ = nullptr;
  Parameter* b_ = nullptr;
};

class ConvLayer final : public Layer {
 public:
  ConvLayer(ConvGeometry g, int w, int b) : g_(g), w_idx_(w), b_idx_(b) { has_params = true; }
  void bind(std::vector<Parameter>& params) override {
    w_ = &params[static_cast<size_t>(w_idx_)];
    b_ = b_idx_ >= 0 ? &params[static_cast<size_t>(b_idx_)] : nullptr;
  }
  void forward(const float* x, float* y, int64_t n, bool /*training*/) override {
    ensure_size(scratch_, conv_scratch_size(g_, n));
    conv_forward(g_, x, w_->value.data<float>(), b_ ? b_->value.data<float>() : nullptr, n,
                 scratch_.data(), y);
  }
  void backward(const float* x, const float* /*y*/, const float* dy, float* dx,
                int64_t n) override {
    ensure_size(scratch_, conv_scratch_size(g_, n));
    conv_backward(g_, x, w_->value.data<float>(), dy, n, scratch_.data(), w_->grad.data(),
                  b_ ? b_->grad.data() : nullptr, dx);
  }

 private:
  ConvGeometry g_;
  int w_idx_, b_idx_;
  Parameter* w_ = nullptr;
  Parameter* b_ = nullptr;
  std::vector<float> scratch_;
};

class MaxPoolLayer final : public Layer {
 public:
  explicit MaxPoolLayer(PoolGeometry g) : g_(g) {}
  void forward(const float* x, float* y, int64_t n, bool /*training*/) override {
    ensure_size(argmax_, n * g_.c * g_.oh * g_.ow);
    maxpool_forward(g_, x, n, y, argmax_.data());
  }
  void backward(const float*, const float*, const float* dy, float* dx, int64_t n) override {
    if (dx != nullptr) maxpool_backward(g_, dy, argmax_.data(), n, dx);
  }

 private:
  PoolGeometry g_;
  std::vector<int32_t> argmax_;
};

class AvgPoolLayer final : public Layer {
 public:
  explicit AvgPoolLayer(PoolGeometry g) : g_(g) {}
  void forward(const float* x, float* y, int64_t n, bool /*training*/) override {
    avgpool_forward(g_, x, n, y);
  }
  void backward(const float*, const float*, const float* dy, float* dx, int64_t n) override {
    if (dx != nullptr) avgpool_backward(g_, dy, n, dx);
  }

 private:
  PoolGeometry g_;
};

class GlobalAvgPoolLayer final : public Layer {
 public:
  GlobalAvgPoolLayer(int64_t c, int64_t hw) : c_(c), hw_(hw) {}
  void forward(const float* x, float* y, int64_t n, bool /*training*/) override {
    global_avgpool_forward(c_, hw_, x, n, y);
  }
  void backward(const float*, const float*, const float* dy, float* dx, int64_t n) override {
    if (dx != nullptr) global_avgpool_backward(c_, hw_, dy, n, dx);
  }

 private:
  int64_t c_, hw_;
};

class ActivationLayer final : public Layer {
 public:
  ActivationLayer(Activation a, int64_t numel) : a_(a), numel_(numel) {}
  void forward(const float* x, float* y, int64_t n, bool /*training*/) override {
    activation_forward(a_, x, n * numel_, y);
  }
  void backward(const float*, const float* y, const float* dy, float* dx, int64_t n) override {
    if (dx != nullptr) activation_backward(a_, y, dy, n * numel_, dx);
  }

 private:
  Activation a_;
  int64_t numel_;
};

// Flatten, Reshape, Identity and inference-mode Dropout: the data does not change.
class CopyLayer final : public Layer {
 public:
  explicit CopyLayer(int64_t numel) : numel_(numel) {}
  void forward(const float* x, float* y, int64_t n, bool /*training*/) override {
    std::memcpy(y, x, sizeof(float) * static_cast<size_t>(n * numel_));
  }
  void backward(const float*, const float*, const float* dy, float* dx, int64_t n) override {
    if (dx != nullptr) std::memcpy(dx, dy, sizeof(float) * static_cast<size_t>(n * numel_));
  }

 private:
  int64_t numel_;
};

class DropoutLayer final : public Layer {
 public:
  DropoutLayer(int64_t numel, double ratio, uint64_t stream)
      : numel_(numel), ratio_(ratio), stream_(stream) {
    reseed(1);
  }
  void reseed(uint64_t seed) override {
    // One independent stream per Dropout node: mix the node's index into the seed.
    rng_.seed(seed * 0x9E3779B97F4A7C15ULL + stream_ * 0xBF58476D1CE4E5B9ULL + 1);
  }
  void forward(const float* x, float* y, int64_t n, bool training) override {
    const int64_t count = n * numel_;
    trained_ = training && ratio_ > 0.0;
    if (!trained_) {
      std::memcpy(y, x, sizeof(float) * static_cast<size_t>(count));
      return;
    }
    ensure_size(mask_, count);
    // Keep with probability 1 - ratio: compare 53 random bits with a threshold (exact and
    // independent of the standard library's distribution implementation).
    const double keep = 1.0 - ratio_;
    const uint64_t threshold = static_cast<uint64_t>(keep * 9007199254740992.0);  // 2^53
    for (int64_t i = 0; i < count; ++i) mask_[static_cast<size_t>(i)] = (rng_() >> 11) < threshold;
    dropout_apply(x, mask_.data(), scale(), count, y);
  }
  void backward(const float*, const float*, const float* dy, float* dx, int64_t n) override {
    if (dx == nullptr) return;
    const int64_t count = n * numel_;
    if (!trained_) {
      std::memcpy(dx, dy, sizeof(float) * static_cast<size_t>(count));
      return;
    }
    dropout_apply(dy, mask_.data(), scale(), count, dx);
  }

 private:
  float scale() const { return static_cast<float>(1.0 / (1.0 - ratio_)); }
  int64_t numel_;
  double ratio_;
  uint64_t stream_;
  std::mt19937_64 rng_;
  std::vector<uint8_t> mask_;
  bool trained_ = false;
};

std::string supported_ops() {
  return "Input, FullyConnected, MatMul, Conv, MaxPool, AveragePool, GlobalAveragePool, Relu, "
         "Sigmoid, Tanh, Flatten, Reshape, Dropout, Identity, Softmax/LogSoftmax (as the "
         "final node)";
}

}  // namespace

// Builds a Network node by node; errors name the node, the op and the offending field.
class NetworkBuilder {
 public:
  NetworkBuilder(const ir::Graph& g, const NetworkOptions& o, Network& net)
      : g_(g), opts_(o), net_(net) {}

  Status build() {
    if (g_.outputs.size() != 1) {
      return invalid_argument("graph \"{}\": training needs exactly one graph output, found {}",
                              g_.name, g_.outputs.size());
    }
    std::string logits = g_.outputs[0];
    const Node* folded = nullptr;
    if (const Node* p = g_.producer(logits);
        p != nullptr && (p->op == OpKind::kSoftmax || p->op == OpKind::kLogSoftmax)) {
      folded = p;
      logits = p->input(0);
    }
    for (const Node& n : g_.nodes) {
      for (const std::string& s : n.inputs) used_.insert(s);
    }
    for (const std::string& s : g_.outputs) used_.insert(s);
    for (const Node& n : g_.nodes) {
      if (&n == folded) continue;
      SIEVE_RETURN_IF_ERROR(add_node(n));
    }
    if (net_.input_value_ < 0) return invalid_argument("graph \"{}\" has no Input node", g_.name);
    auto it = index_.find(logits);
    if (it == index_.end()) {
      return invalid_argument("graph \"{}\": output \"{}\" is not computed by any node", g_.name,
                              logits);
    }
    if (folded != nullptr) {
      const ValueBuf& v = *net_.values_[static_cast<size_t>(it->second)];
      const int64_t axis = folded->attr_int("axis", -1);
      if (v.shape.size() != 1 || (axis != -1 && axis != 1)) {
        return unimplemented(
            "node \"{}\" ({}): only a softmax over the class axis of [batch, classes] logits can "
            "be folded into the loss (logits per example {}, axis {})",
            folded->name, ir::op_name(folded->op), shape_str(v.shape), axis);
      }
    }
    net_.output_value_ = it->second;
    net_.logits_name_ = logits;
    net_.output_shape_ = net_.values_[static_cast<size_t>(it->second)]->shape;
    for (auto& l : net_.layers_) l->bind(net_.params_);
    for (Parameter& p : net_.params_) p.grad.assign(static_cast<size_t>(p.value.numel()), 0.0f);
    // Which values need a gradient: those downstream of a parameter (or of the input when
    // input gradients are asked for).
    net_.values_[static_cast<size_t>(net_.input_value_)]->needs_grad = opts_.input_gradient;
    for (auto& l : net_.layers_) {
      net_.values_[static_cast<size_t>(l->out)]->needs_grad =
          l->has_params || net_.values_[static_cast<size_t>(l->in)]->needs_grad;
    }
    net_.input_gradient_ = opts_.input_gradient;
    net_.reseed(opts_.seed);
    return ok_status();
  }

 private:
  Status node_error(const Node& n, const std::string& msg) const {
    return invalid_argument("node \"{}\" ({}): {}", n.name, ir::op_name(n.op), msg);
  }

  Result<int> value_of(const Node& n, size_t i) {
    const std::string& name = n.input(i);
    auto it = index_.find(name);
    if (it == index_.end()) {
      if (g_.is_initializer(name)) {
        return unimplemented(
            "node \"{}\" ({}): input {} \"{}\" is an initializer; the trainer needs it to be an "
            "activation",
            n.name, ir::op_name(n.op), i, name);
      }
      return invalid_argument("node \"{}\" ({}): input {} \"{}\" is not defined before use", n.name,
                              ir::op_name(n.op), i, name);
    }
    return it->second;
  }

  int add_value(const std::string& name, Shape shape) {
    auto v = std::make_unique<ValueBuf>();
    v->name = name;
    v->numel = shape_numel(shape);
    v->shape = std::move(shape);
    net_.values_.push_back(std::move(v));
    const int idx = static_cast<int>(net_.values_.size() - 1);
    index_[name] = idx;
    return idx;
  }

  // Registers a parameter operand (weight or bias) and returns its index in params_.
  Result<int> add_param(const Node& n, size_t i, const Shape& want, bool is_bias) {
    const std::string& name = n.input(i);
    const Tensor* t = g_.initializer(name);
    if (t == nullptr) {
      return unimplemented(
          "node \"{}\" ({}): operand {} \"{}\" must be an initializer to be trained", n.name,
          ir::op_name(n.op), i, name);
    }
    if (t->dtype() != DType::kF32) {
      return invalid_argument("node \"{}\" ({}): parameter \"{}\" is {}, expected f32", n.name,
                              ir::op_name(n.op), name, dtype_name(t->dtype()));
    }
    if (!want.empty() && t->shape() != want && t->numel() != shape_numel(want)) {
      return invalid_argument("node \"{}\" ({}): parameter \"{}\" has shape {}, expected {}",
                              n.name, ir::op_name(n.op), name, shape_str(t->shape()),
                              shape_str(want));
    }
    for (size_t k = 0; k < net_.params_.size(); ++k) {
      if (net_.params_[k].name == name) return static_cast<int>(k);
    }
    Parameter p;
    p.name = name;
    p.value = *t;  // shares storage
    p.is_bias = is_bias;
    net_.params_.push_back(std::move(p));
    return static_cast<int>(net_.params_.size() - 1);
  }

  Status add_layer(const Node& n, std::unique_ptr<Layer> layer, int in, Shape out_shape) {
    if (n.outputs.empty() || n.outputs[0].empty()) return node_error(n, "has no output");
    for (size_t k = 1; k < n.outputs.size(); ++k) {
      if (!n.outputs[k].empty() && used_.count(n.outputs[k])) {
        return unimplemented(
            "node \"{}\" ({}): its optional output \"{}\" is used; the trainer "
            "supports only the first output",
            n.name, ir::op_name(n.op), n.outputs[k]);
      }
    }
    layer->node = n.name;
    layer->op = n.op;
    layer->in = in;
    layer->out = add_value(n.outputs[0], std::move(out_shape));
    net_.layers_.push_back(std::move(layer));
    return ok_status();
  }

  Status add_input(const Node& n) {
    if (net_.input_value_ >= 0) {
      return unimplemented("node \"{}\" (Input): the trainer supports one graph input", n.name);
    }
    const int64_t dtype = n.attr_int("dtype", static_cast<int64_t>(DType::kF32));
    if (dtype != static_cast<int64_t>(DType::kF32)) {
      return node_error(n, fmt::format("input dtype {} is not f32", dtype));
    }
    std::vector<int64_t> full = n.attr_ints("shape");
    Shape shape;
    if (full.size() >= 2) shape.assign(full.begin() + 1, full.end());
    const Shape& ex = opts_.example_shape;
    bool unknown = full.size() < 2;
    for (int64_t d : shape) unknown = unknown || d < 0;
    if (unknown) {
      if (ex.empty()) {
        return node_error(n, fmt::format("input shape {} has unknown dimensions; give the "
                                         "per-example shape",
                                         shape_str(full)));
      }
      if (!shape.empty() && shape.size() != ex.size()) {
        return node_error(n, fmt::format("input shape {} does not fit examples of shape {}",
                                         shape_str(full), shape_str(ex)));
      }
      shape = ex;
    } else if (!ex.empty() && shape_numel(ex) != shape_numel(shape)) {
      return node_error(n, fmt::format("input expects examples of shape {}, the data has {}",
                                       shape_str(shape), shape_str(ex)));
    }
    net_.input_shape_ = shape;
    net_.input_value_ = add_value(n.outputs.at(0), shape);
    return ok_status();
  }

  Status add_fc(const Node& n, int in, const ValueBuf& x) {
    if (n.attr_int("trans_a", 0) != 0) return node_error(n, "trans_a=1 is not supported");
    if (x.shape.size() != 1) {
      return node_error(n, fmt::format("input \"{}\" has per-example shape {}; a Flatten must "
                                       "come first",
                                       x.name, shape_str(x.shape)));
    }
    const Tensor* w = g_.initializer(n.input(1));
    if (w == nullptr || w->rank() != 2) {
      return node_error(n, fmt::format("weight \"{}\" must be a 2-D initializer", n.input(1)));
    }
    FcGeometry geo;
    // The weight's 2-D view (ops.def): [out, in], or stored [in, out] (trans_b = 0, MatMul).
    const ir::WeightMatrix view = ir::weight_matrix(n, w->shape());
    geo.trans_b = !view.transposed;
    geo.in = x.shape[0];
    geo.out = view.rows;
    const int64_t w_in = view.cols;
    if (w_in != geo.in) {
      return node_error(n, fmt::format("weight \"{}\" {} does not match {} inputs", n.input(1),
                                       shape_str(w->shape()), geo.in));
    }
    if (n.op == OpKind::kFullyConnected) {
      geo.alpha = static_cast<float>(n.attr_float("alpha", 1.0));
      geo.beta = static_cast<float>(n.attr_float("beta", 1.0));
    }
    SIEVE_ASSIGN_OR_RETURN(int wi, add_param(n, 1, {}, false));
    int bi = -1;
    if (n.op == OpKind::kFullyConnected && n.has_input(2)) {
      const Tensor* b = g_.initializer(n.input(2));
      if (b != nullptr && b->numel() != geo.out) {
        return node_error(n, fmt::format("bias \"{}\" {} is not one value per output ({})",
                                         n.input(2), shape_str(b->shape()), geo.out));
      }
      SIEVE_ASSIGN_OR_RETURN(bi, add_param(n, 2, {geo.out}, true));
    }
    return add_layer(n, std::make_unique<FcLayer>(geo, wi, bi), in, {geo.out});
  }

  // Resolves pads for auto_pad; `k_eff` are the dilated kernel extents.
  Status resolve_pads(const Node& n, const ValueBuf& x, int64_t ekh, int64_t ekw, int64_t sh,
                      int64_t sw, int64_t* pt, int64_t* pl, int64_t* pb, int64_t* pr) {
    const std::string auto_pad = n.attr_string("auto_pad", "NOTSET");
    if (auto_pad == "NOTSET") {
      std::vector<int64_t> pads = n.attr_ints("pads", {0, 0, 0, 0});
      if (pads.size() != 4) {
        return node_error(n, fmt::format("pads has {} values, 2-D needs 4", pads.size()));
      }
      for (int64_t p : pads) {
        if (p < 0) return node_error(n, fmt::format("negative pad {}", p));
      }
      *pt = pads[0];
      *pl = pads[1];
      *pb = pads[2];
      *pr = pads[3];
    } else if (auto_pad == "VALID") {
      *pt = *pl = *pb = *pr = 0;
    } else if (auto_pad == "SAME_UPPER" || auto_pad == "SAME_LOWER") {
      const bool upper = auto_pad == "SAME_UPPER";
      auto split = [&](int64_t in, int64_t ek, int64_t s, int64_t* begin, int64_t* end) {
        const int64_t out = (in + s - 1) / s;
        const int64_t total = std::max<int64_t>(0, (out - 1) * s + ek - in);
        *begin = upper ? total / 2 : total - total / 2;
        *end = total - *begin;
      };
      split(x.shape[1], ekh, sh, pt, pb);
      split(x.shape[2], ekw, sw, pl, pr);
    } else {
      return node_error(n, fmt::format("unknown auto_pad \"{}\"", auto_pad));
    }
    return ok_status();
  }

  Status add_conv(const Node& n, int in, const ValueBuf& x) {
    const Tensor* w = g_.initializer(n.input(1));
    if (w == nullptr) {
      return node_error(n, fmt::format("weight \"{}\" must be an initializer", n.input(1)));
    }
    if (w->rank() != 4 || x.shape.size() != 3) {
      return unimplemented(
          "node \"{}\" (Conv): only 2-D convolution is trained (weight {}, "
          "input per example {})",
          n.name, shape_str(w->shape()), shape_str(x.shape));
    }
    ConvGeometry geo;
    geo.c = x.shape[0];
    geo.h = x.shape[1];
    geo.w = x.shape[2];
    geo.m = w->dim(0);
    geo.group = n.attr_int("group", 1);
    geo.kh = w->dim(2);
    geo.kw = w->dim(3);
    const std::vector<int64_t> ks = n.attr_ints("kernel_shape", {geo.kh, geo.kw});
    if (ks.size() != 2 || ks[0] != geo.kh || ks[1] != geo.kw) {
      return node_error(n, "kernel_shape does not match the weight");
    }
    if (geo.group <= 0 || geo.c % geo.group != 0 || geo.m % geo.group != 0 ||
        w->dim(1) * geo.group != geo.c) {
      return node_error(n, fmt::format("group={} does not fit {} input channels, weight {}",
                                       geo.group, geo.c, shape_str(w->shape())));
    }
    const std::vector<int64_t> strides = n.attr_ints("strides", {1, 1});
    const std::vector<int64_t> dil = n.attr_ints("dilations", {1, 1});
    if (strides.size() != 2 || dil.size() != 2 || strides[0] <= 0 || strides[1] <= 0 ||
        dil[0] <= 0 || dil[1] <= 0) {
      return node_error(n, "strides and dilations must be two positive values");
    }
    geo.sh = strides[0];
    geo.sw = strides[1];
    geo.dh = dil[0];
    geo.dw = dil[1];
    SIEVE_RETURN_IF_ERROR(resolve_pads(n, x, (geo.kh - 1) * geo.dh + 1, (geo.kw - 1) * geo.dw + 1,
                                       geo.sh, geo.sw, &geo.pt, &geo.pl, &geo.pb, &geo.pr));
    if (!conv_output_size(geo)) {
      return node_error(n, fmt::format("empty output for input {}", shape_str(x.shape)));
    }
    SIEVE_ASSIGN_OR_RETURN(int wi, add_param(n, 1, {}, false));
    int bi = -1;
    if (n.has_input(2)) {
      SIEVE_ASSIGN_OR_RETURN(bi, add_param(n, 2, {geo.m}, true));
    }
    return add_layer(n, std::make_unique<ConvLayer>(geo, wi, bi), in, {geo.m, geo.oh, geo.ow});
  }

  Status add_pool(const Node& n, int in, const ValueBuf& x) {
    if (x.shape.size() != 3) {
      return unimplemented("node \"{}\" ({}): only 2-D pooling is trained (input per example {})",
                           n.name, ir::op_name(n.op), shape_str(x.shape));
    }
    PoolGeometry geo;
    geo.c = x.shape[0];
    geo.h = x.shape[1];
    geo.w = x.shape[2];
    const std::vector<int64_t> ks = n.attr_ints("kernel_shape");
    if (ks.size() != 2 || ks[0] <= 0 || ks[1] <= 0) {
      return node_error(n, "kernel_shape must be two positive values");
    }
    geo.kh = ks[0];
    geo.kw = ks[1];
    const std::vector<int64_t> strides = n.attr_ints("strides", {1, 1});
    const std::vector<int64_t> dil = n.attr_ints("dilations", {1, 1});
    if (strides.size() != 2 || dil.size() != 2 || strides[0] <= 0 || strides[1] <= 0 ||
        dil[0] <= 0 || dil[1] <= 0) {
      return node_error(n, "strides and dilations must be two positive values");
    }
    geo.sh = strides[0];
    geo.sw = strides[1];
    geo.dh = dil[0];
    geo.dw = dil[1];
    if (n.op == OpKind::kAveragePool && (geo.dh != 1 || geo.dw != 1)) {
      return unimplemented("node \"{}\" (AveragePool): dilations are not supported", n.name);
    }
    geo.ceil_mode = n.attr_int("ceil_mode", 0) != 0;
    geo.count_include_pad = n.attr_int("count_include_pad", 0) != 0;
    SIEVE_RETURN_IF_ERROR(resolve_pads(n, x, (geo.kh - 1) * geo.dh + 1, (geo.kw - 1) * geo.dw + 1,
                                       geo.sh, geo.sw, &geo.pt, &geo.pl, &geo.pb, &geo.pr));
    if (!pool_output_size(geo)) {
      return node_error(n, fmt::format("empty output for input {}", shape_str(x.shape)));
    }
    Shape out = {geo.c, geo.oh, geo.ow};
    if (n.op == OpKind::kMaxPool) {
      return add_layer(n, std::make_unique<MaxPoolLayer>(geo), in, out);
    }
    return add_layer(n, std::make_unique<AvgPoolLayer>(geo), in, out);
  }

  Status add_reshape(const Node& n, int in, const ValueBuf& x) {
    const Tensor* t = g_.initializer(n.input(1));
    if (t == nullptr || t->dtype() != DType::kI64 || t->rank() != 1 || t->numel() < 1) {
      return unimplemented(
          "node \"{}\" (Reshape): the target shape must be a 1-D i64 "
          "initializer",
          n.name);
    }
    std::span<const int64_t> target = t->span<int64_t>();
    // The first entry is the batch (0, -1 or the graph's batch size): it is kept.
    Shape out;
    int infer = -1;
    for (size_t i = 1; i < target.size(); ++i) {
      int64_t d = target[i];
      if (d == 0 && n.attr_int("allowzero", 0) == 0) {
        if (i - 1 >= x.shape.size()) return node_error(n, "0 refers past the input's rank");
        d = x.shape[i - 1];
      }
      if (d == -1) {
        if (infer >= 0 || target[0] == -1) {
          return node_error(n, "more than one -1 besides the batch is ambiguous");
        }
        infer = static_cast<int>(out.size());
        d = 1;
      } else if (d < 0) {
        return node_error(n, fmt::format("bad target dimension {}", d));
      }
      out.push_back(d);
    }
    if (infer >= 0) {
      const int64_t known = shape_numel(out);
      if (known == 0 || x.numel % known != 0) return node_error(n, "cannot infer -1");
      out[static_cast<size_t>(infer)] = x.numel / known;
    }
    if (shape_numel(out) != x.numel) {
      return node_error(
          n, fmt::format("target {} does not hold {} values per example", shape_str(out), x.numel));
    }
    return add_layer(n, std::make_unique<CopyLayer>(x.numel), in, out);
  }

  Status add_node(const Node& n) {
    if (n.op == OpKind::kInput) return add_input(n);
    if (n.inputs.empty()) return node_error(n, "has no input");
    SIEVE_ASSIGN_OR_RETURN(int in, value_of(n, 0));
    // Copy what we need: add_value may reallocate values_.
    const ValueBuf x = [&] {
      const ValueBuf& v = *net_.values_[static_cast<size_t>(in)];
      ValueBuf c;
      c.name = v.name;
      c.shape = v.shape;
      c.numel = v.numel;
      return c;
    }();
    switch (n.op) {
      case OpKind::kInput: break;  // handled above
      case OpKind::kFullyConnected: return add_fc(n, in, x);
      case OpKind::kMatMul:
        if (!g_.is_initializer(n.input(1))) {
          return unimplemented("node \"{}\" (MatMul): the right operand must be an initializer",
                               n.name);
        }
        return add_fc(n, in, x);
      case OpKind::kConv: return add_conv(n, in, x);
      case OpKind::kMaxPool:
      case OpKind::kAveragePool: return add_pool(n, in, x);
      case OpKind::kGlobalAveragePool: {
        if (x.shape.size() < 2) return node_error(n, "input must have spatial dimensions");
        Shape out = {x.shape[0]};
        for (size_t i = 1; i < x.shape.size(); ++i) out.push_back(1);
        return add_layer(n, std::make_unique<GlobalAvgPoolLayer>(x.shape[0], x.numel / x.shape[0]),
                         in, out);
      }
      case OpKind::kRelu:
        return add_layer(n, std::make_unique<ActivationLayer>(Activation::kRelu, x.numel), in,
                         x.shape);
      case OpKind::kSigmoid:
        return add_layer(n, std::make_unique<ActivationLayer>(Activation::kSigmoid, x.numel), in,
                         x.shape);
      case OpKind::kTanh:
        return add_layer(n, std::make_unique<ActivationLayer>(Activation::kTanh, x.numel), in,
                         x.shape);
      case OpKind::kFlatten: {
        const int64_t rank = static_cast<int64_t>(x.shape.size()) + 1;
        int64_t axis = n.attr_int("axis", 1);
        if (axis < 0) axis += rank;
        if (axis != 1) {
          return unimplemented(
              "node \"{}\" (Flatten): axis {} would mix examples; only axis 1 "
              "is trained",
              n.name, n.attr_int("axis", 1));
        }
        return add_layer(n, std::make_unique<CopyLayer>(x.numel), in, {x.numel});
      }
      case OpKind::kReshape: return add_reshape(n, in, x);
      case OpKind::kIdentity:
        return add_layer(n, std::make_unique<CopyLayer>(x.numel), in, x.shape);
      case OpKind::kDropout: {
        double ratio = n.attr_float("ratio", 0.5);
        if (n.has_input(1)) {
          const Tensor* r = g_.initializer(n.input(1));
          if (r == nullptr || r->dtype() != DType::kF32 || r->numel() != 1) {
            return node_error(n, "ratio must be a scalar f32 initializer");
          }
          ratio = r->data<float>()[0];
        }
        if (!(ratio >= 0.0 && ratio < 1.0)) {
          return node_error(n, fmt::format("ratio {} is not in [0, 1)", ratio));
        }
        return add_layer(n, std::make_unique<DropoutLayer>(x.numel, ratio, dropout_count_++), in,
                         x.shape);
      }
      case OpKind::kGlobalMaxPool:
      case OpKind::kSoftmax:
      case OpKind::kLogSoftmax:
      case OpKind::kBatchNorm:
      case OpKind::kLRN:
      case OpKind::kAdd:
      case OpKind::kSub:
      case OpKind::kMul:
      case OpKind::kDiv:
      case OpKind::kConcat:
      case OpKind::kTranspose:
      case OpKind::kSqueeze:
      case OpKind::kUnsqueeze:
      case OpKind::kPad:
      case OpKind::kLSTM:
      case OpKind::kGRU: break;
    }
    return unimplemented("node \"{}\": op {} is not supported by the trainer; supported: {}",
                         n.name, ir::op_name(n.op), supported_ops());
  }

  const ir::Graph& g_;
  const NetworkOptions& opts_;
  Network& net_;
  std::map<std::string, int> index_;
  std::set<std::string> used_;
  uint64_t dropout_count_ = 0;
};

Network::Network() = default;
Network::~Network() = default;

Result<std::unique_ptr<Network>> Network::create(const ir::Graph& graph,
                                                 const NetworkOptions& options) {
  std::unique_ptr<Network> net(new Network());
  NetworkBuilder b(graph, options, *net);
  SIEVE_RETURN_IF_ERROR(b.build());
  return net;
}

const float* Network::forward(const float* x, int64_t n, bool training) {
  SIEVE_ASSERT(n > 0, "forward on an empty batch");
  last_n_ = n;
  ValueBuf& vin = *values_[static_cast<size_t>(input_value_)];
  ensure_size(vin.data, n * vin.numel);
  std::memcpy(vin.data.data(), x, sizeof(float) * static_cast<size_t>(n * vin.numel));
  for (auto& l : layers_) {
    ValueBuf& vi = *values_[static_cast<size_t>(l->in)];
    ValueBuf& vo = *values_[static_cast<size_t>(l->out)];
    ensure_size(vo.data, n * vo.numel);
    l->forward(vi.data.data(), vo.data.data(), n, training);
  }
  return values_[static_cast<size_t>(output_value_)]->data.data();
}

void Network::backward(const float* dy) {
  const int64_t n = last_n_;
  SIEVE_ASSERT(n > 0, "backward before forward");
  for (Parameter& p : params_) std::fill(p.grad.begin(), p.grad.end(), 0.0f);
  for (auto& v : values_) v->grad_ready = false;
  ValueBuf& vout = *values_[static_cast<size_t>(output_value_)];
  ensure_size(vout.grad, n * vout.numel);
  std::memcpy(vout.grad.data(), dy, sizeof(float) * static_cast<size_t>(n * vout.numel));
  vout.grad_ready = true;
  std::vector<float> scratch;
  for (auto it = layers_.rbegin(); it != layers_.rend(); ++it) {
    Layer& l = **it;
    ValueBuf& vo = *values_[static_cast<size_t>(l.out)];
    if (!vo.grad_ready) continue;  // does not reach the logits
    ValueBuf& vi = *values_[static_cast<size_t>(l.in)];
    const int64_t count = n * vi.numel;
    float* dx = nullptr;
    bool accumulate = false;
    if (vi.needs_grad) {
      if (!vi.grad_ready) {
        ensure_size(vi.grad, count);
        dx = vi.grad.data();
      } else {  // a value read by several layers: sum the contributions
        ensure_size(scratch, count);
        dx = scratch.data();
        accumulate = true;
      }
    }
    l.backward(vi.data.data(), vo.data.data(), vo.grad.data(), dx, n);
    if (accumulate) {
      for (int64_t i = 0; i < count; ++i)
        vi.grad[static_cast<size_t>(i)] += scratch[static_cast<size_t>(i)];
    }
    if (vi.needs_grad) vi.grad_ready = true;
  }
}

const float* Network::input_gradient() const {
  SIEVE_ASSERT(input_gradient_, "input gradients were not requested (NetworkOptions)");
  const ValueBuf& v = *values_[static_cast<size_t>(input_value_)];
  SIEVE_ASSERT(v.grad_ready, "no backward pass reached the input");
  return v.grad.data();
}

Parameter* Network::find_parameter(const std::string& name) {
  for (Parameter& p : params_) {
    if (p.name == name) return &p;
  }
  return nullptr;
}

void Network::reseed(uint64_t seed) {
  for (auto& l : layers_) l->reseed(seed);
}

std::vector<std::string> Network::describe() const {
  std::vector<std::string> out;
  for (const auto& l : layers_) {
    out.push_back(fmt::format("{} ({}) {}", l->node, ir::op_name(l->op),
                              shape_str(values_[static_cast<size_t>(l->out)]->shape)));
  }
  return out;
}

}  // namespace sieve::train
