#include "sieve/runtime/fixed16/fixed16.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <set>

#include "sieve/compress/quant/activation.h"
#include "sieve/ir/shape_inference.h"
#include "sieve/runtime/kernels/ref/util.h"

namespace sieve::runtime::fixed16 {

namespace {

constexpr int64_t kWideLimit = int64_t{1} << 62;

std::string label(const ir::Node& n) {
  return fmt::format("node \"{}\" ({})", n.name, ir::op_name(n.op));
}

bool is_softmax(ir::OpKind op) {
  return op == ir::OpKind::kSoftmax || op == ir::OpKind::kLogSoftmax;
}

// Softmax/LogSoftmax nodes whose output is a graph output that no node reads.
std::set<const ir::Node*> trailing_softmax(const ir::Graph& g) {
  std::set<std::string> read;
  for (const ir::Node& n : g.nodes) {
    for (const std::string& v : n.inputs) read.insert(v);
  }
  const std::set<std::string> outs(g.outputs.begin(), g.outputs.end());
  std::set<const ir::Node*> r;
  for (const ir::Node& n : g.nodes) {
    if (is_softmax(n.op) && n.outputs.size() == 1 && outs.count(n.outputs[0]) != 0 &&
        read.count(n.outputs[0]) == 0) {
      r.insert(&n);
    }
  }
  return r;
}

const ir::Node* single_input(const ir::Graph& g) {
  const ir::Node* in = nullptr;
  for (const ir::Node& n : g.nodes) {
    if (n.op != ir::OpKind::kInput) continue;
    if (in != nullptr) return nullptr;
    in = &n;
  }
  return in;
}

Result<const Tensor*> initializer_operand(const ir::Graph& g, const ir::Node& n, size_t i,
                                          const char* what) {
  const std::string& name = n.input(i);
  if (name.empty()) return static_cast<const Tensor*>(nullptr);
  const Tensor* t = g.initializer(name);
  if (t == nullptr) {
    return Status(StatusCode::kUnimplemented,
                  fmt::format("{}: operand {} (\"{}\") must be an initializer for the 16-bit "
                              "engines",
                              label(n), what, name));
  }
  if (t->dtype() != DType::kF32) {
    return invalid_argument("{}: operand {} (\"{}\") is {}, expected f32", label(n), what, name,
                            dtype_name(t->dtype()));
  }
  return t;
}

}  // namespace

// ---- scalar arithmetic ----

int16_t saturate16(int64_t v) {
  return static_cast<int16_t>(std::clamp<int64_t>(v, std::numeric_limits<int16_t>::min(),
                                                  std::numeric_limits<int16_t>::max()));
}

int64_t shift_round(int64_t v, int shift) {
  if (shift <= 0) {
    if (v == 0) return 0;
    if (-shift >= 62) return v > 0 ? kWideLimit : -kWideLimit;
    const __int128 r = static_cast<__int128>(v) * (static_cast<__int128>(1) << -shift);
    if (r > kWideLimit) return kWideLimit;
    if (r < -kWideLimit) return -kWideLimit;
    return static_cast<int64_t>(r);
  }
  if (shift >= 63) return 0;  // |v| < 2^63 ≤ half of 2^64: rounds to 0 (|v| < 2^62 in practice)
  const uint64_t mag = v < 0 ? static_cast<uint64_t>(-(v + 1)) + 1 : static_cast<uint64_t>(v);
  const uint64_t q = (mag + (uint64_t{1} << (shift - 1))) >> shift;
  return v < 0 ? -static_cast<int64_t>(q) : static_cast<int64_t>(q);
}

int16_t requantize(int64_t acc, int acc_frac, int out_frac) {
  return saturate16(shift_round(acc, acc_frac - out_frac));
}

int64_t quantize_wide(double x, int frac) {
  const double s = std::ldexp(x, frac);
  if (!(std::fabs(s) < static_cast<double>(kWideLimit))) {
    if (std::isnan(s)) return 0;
    return s > 0 ? kWideLimit : -kWideLimit;
  }
  return static_cast<int64_t>(std::round(s));  // std::round: half away from zero
}

int16_t quantize(double x, int frac) { return saturate16(quantize_wide(x, frac)); }

int16_t sigmoid_q(int64_t acc, int acc_frac) {
  const double x = std::ldexp(static_cast<double>(acc), -acc_frac);
  const double s = x >= 0 ? 1.0 / (1.0 + std::exp(-x)) : std::exp(x) / (1.0 + std::exp(x));
  return quantize(s, kGateFracBits);
}

int16_t tanh_q(int64_t acc, int acc_frac) {
  return quantize(std::tanh(std::ldexp(static_cast<double>(acc), -acc_frac)), kGateFracBits);
}

// ---- tensors ----

int weight_frac_bits(const Tensor& w) {
  double mx = 0;
  for (float v : w.span<float>()) mx = std::max(mx, std::fabs(static_cast<double>(v)));
  return compress::quant::choose_frac_bits(mx);
}

Tensor quantize_tensor(const Tensor& x, int frac) {
  Tensor q(DType::kI16, x.shape());
  q.set_frac_bits(frac);
  const float* src = x.data<float>();
  int16_t* dst = q.data<int16_t>();
  for (int64_t i = 0; i < x.numel(); ++i) dst[i] = quantize(src[i], frac);
  return q;
}

Result<Tensor> dense_weight(const compress::CompressedModel& model, const std::string& name) {
  if (const compress::CompressedLayer* l = model.find_layer(name)) {
    return compress::decode_layer(*l);
  }
  const Tensor* t = model.graph.initializer(name);
  if (t == nullptr) return not_found("weight \"{}\" is not an initializer of the model", name);
  if (t->dtype() != DType::kF32) {
    return invalid_argument("weight \"{}\" is {}, expected f32", name, dtype_name(t->dtype()));
  }
  return *t;
}

Result<Formats> resolve_formats(const compress::CompressedModel& model, const Options& options) {
  const ir::Graph& g = model.graph;
  const std::set<const ir::Node*> skip = trailing_softmax(g);
  Formats f;
  auto table = [&](const ir::Node& n, const std::string& v) -> Result<int> {
    auto it = model.activation_frac_bits.find(v);
    if (it == model.activation_frac_bits.end()) {
      return failed_precondition(
          "{}: value \"{}\" has no 16-bit Q format in the model's activation table (ACTQ); "
          "calibrate the model first (sieve compress, or compress::quant::calibrate)",
          label(n), v);
    }
    return it->second;
  };
  auto inherit = [&](const ir::Node& n, const std::string& v) -> Result<int> {
    auto it = f.value_frac.find(v);
    if (it == f.value_frac.end()) {
      return invalid_argument("{}: operand \"{}\" is not produced by an earlier node", label(n),
                              v);
    }
    return it->second;
  };
  if (options.lstm_cell_frac_bits < -16 || options.lstm_cell_frac_bits > 15) {
    return invalid_argument("lstm_cell_frac_bits {} is outside [-16, 15]",
                            options.lstm_cell_frac_bits);
  }
  for (const ir::Node& n : g.nodes) {
    switch (n.op) {
      case ir::OpKind::kInput:
      case ir::OpKind::kFullyConnected:
      case ir::OpKind::kConv:
      case ir::OpKind::kAveragePool: {
        SIEVE_ASSIGN_OR_RETURN(f.value_frac[n.outputs.at(0)], table(n, n.outputs.at(0)));
        break;
      }
      case ir::OpKind::kRelu:
      case ir::OpKind::kMaxPool:
      case ir::OpKind::kFlatten:
      case ir::OpKind::kReshape:
      case ir::OpKind::kIdentity:
      case ir::OpKind::kDropout:
      case ir::OpKind::kSqueeze:
      case ir::OpKind::kUnsqueeze: {
        if (n.op == ir::OpKind::kMaxPool && n.outputs.size() > 1 && !n.outputs[1].empty()) {
          return Status(StatusCode::kUnimplemented,
                        label(n) + ": the Indices output is not supported by the 16-bit engines");
        }
        SIEVE_ASSIGN_OR_RETURN(int in, inherit(n, n.input(0)));
        f.value_frac[n.outputs.at(0)] = in;
        break;
      }
      case ir::OpKind::kLSTM: {
        if (n.outputs.empty() || n.outputs[0].empty()) {
          return Status(StatusCode::kUnimplemented,
                        label(n) + ": the 16-bit engines need output Y");
        }
        SIEVE_ASSIGN_OR_RETURN(int y, table(n, n.outputs[0]));
        f.value_frac[n.outputs[0]] = y;
        if (n.outputs.size() > 1 && !n.outputs[1].empty()) f.value_frac[n.outputs[1]] = y;
        if (n.outputs.size() > 2 && !n.outputs[2].empty()) {
          f.value_frac[n.outputs[2]] = options.lstm_cell_frac_bits;
        }
        break;
      }
      case ir::OpKind::kSoftmax:
      case ir::OpKind::kLogSoftmax:
        if (skip.count(&n) != 0) {
          SIEVE_ASSIGN_OR_RETURN(int in, inherit(n, n.input(0)));
          f.value_frac[n.outputs.at(0)] = in;
          break;
        }
        [[fallthrough]];
      case ir::OpKind::kMatMul:
      case ir::OpKind::kGlobalAveragePool:
      case ir::OpKind::kGlobalMaxPool:
      case ir::OpKind::kSigmoid:
      case ir::OpKind::kTanh:
      case ir::OpKind::kBatchNorm:
      case ir::OpKind::kLRN:
      case ir::OpKind::kAdd:
      case ir::OpKind::kSub:
      case ir::OpKind::kMul:
      case ir::OpKind::kDiv:
      case ir::OpKind::kConcat:
      case ir::OpKind::kTranspose:
      case ir::OpKind::kPad:
      case ir::OpKind::kGRU:
        return Status(StatusCode::kUnimplemented,
                      fmt::format("{}: op {} is not supported by the 16-bit fixed-point engines "
                                  "(supported: Input, FullyConnected, Conv, MaxPool, AveragePool, "
                                  "Relu, Flatten, Reshape, Identity, Dropout, Squeeze, Unsqueeze, "
                                  "LSTM, trailing Softmax/LogSoftmax)",
                                  label(n), ir::op_name(n.op)));
    }
  }
  return f;
}

// ---- vector-unit kernels ----

Result<Shape> output_shape(const ir::Graph& g, const ir::Node& n,
                           const std::map<std::string, Shape>& shapes) {
  std::vector<ir::ValueInfo> infos(n.inputs.size());
  for (size_t i = 0; i < n.inputs.size(); ++i) {
    const std::string& v = n.inputs[i];
    if (v.empty()) continue;
    if (const Tensor* t = g.initializer(v)) {
      infos[i] = {t->dtype(), t->shape()};
    } else {
      auto it = shapes.find(v);
      if (it == shapes.end()) {
        return invalid_argument("{}: operand \"{}\" has no value yet", label(n), v);
      }
      infos[i] = {DType::kF32, it->second};
    }
  }
  SIEVE_ASSIGN_OR_RETURN(std::vector<ir::ValueInfo> out, ir::infer_node(g, n, infos));
  if (out.empty()) return internal_error("{}: no output", label(n));
  return out[0].shape;
}

namespace {

using PoolGeometry = ref::PoolShape;

struct Tap {
  int64_t offset;
  bool in_x, in_padded;
};

void taps_at(const PoolGeometry& p, const ref::MultiIndex& o, std::vector<Tap>& taps) {
  taps.clear();
  for (ref::MultiIndex t(p.geo.kernel); !t.done(); t.next()) {
    Tap w{0, true, true};
    for (size_t d = 0; d < p.k; ++d) {
      const int64_t q = o[d] * p.geo.strides[d] - p.geo.pads_begin[d] + t[d] * p.geo.dilations[d];
      if (q < 0 || q >= p.in_spatial[d]) w.in_x = false;
      if (q < -p.geo.pads_begin[d] || q >= p.in_spatial[d] + p.geo.pads_end[d]) {
        w.in_padded = false;
      }
      w.offset += q * p.in_strides[d];
    }
    taps.push_back(w);
  }
}

// round(num / den) half away from zero, den > 0.
int64_t div_round(__int128 num, __int128 den) {
  const bool neg = num < 0;
  const __int128 mag = neg ? -num : num;
  const __int128 q = (2 * mag + den) / (2 * den);
  const __int128 r = neg ? -q : q;
  if (r > kWideLimit) return kWideLimit;
  if (r < -kWideLimit) return -kWideLimit;
  return static_cast<int64_t>(r);
}

}  // namespace

Result<Tensor> max_pool(const ir::Node& n, const Tensor& x, const Shape& out_shape) {
  SIEVE_ASSIGN_OR_RETURN(PoolGeometry p, ref::pool_shape(n, x, out_shape));
  Tensor y(DType::kI16, out_shape);
  y.set_frac_bits(x.frac_bits());
  const int16_t* xd = x.data<int16_t>();
  int16_t* yd = y.data<int16_t>();
  std::vector<Tap> taps;
  int64_t o_lin = 0;
  for (ref::MultiIndex o(p.out_spatial); !o.done(); o.next(), ++o_lin) {
    taps_at(p, o, taps);
    for (int64_t plane = 0; plane < p.planes; ++plane) {
      const int16_t* xp = xd + plane * p.in_plane;
      int32_t best = std::numeric_limits<int32_t>::min();
      for (const Tap& t : taps) {
        if (t.in_x) best = std::max<int32_t>(best, xp[t.offset]);
      }
      yd[plane * p.out_plane + o_lin] =
          best == std::numeric_limits<int32_t>::min() ? std::numeric_limits<int16_t>::min()
                                                      : static_cast<int16_t>(best);
    }
  }
  return y;
}

Result<Tensor> average_pool(const ir::Node& n, const Tensor& x, const Shape& out_shape,
                            int out_frac) {
  SIEVE_ASSIGN_OR_RETURN(PoolGeometry p, ref::pool_shape(n, x, out_shape));
  const bool include_pad = n.attr_int("count_include_pad", 0) == 1;
  Tensor y(DType::kI16, out_shape);
  y.set_frac_bits(out_frac);
  const int16_t* xd = x.data<int16_t>();
  int16_t* yd = y.data<int16_t>();
  const int up = std::max(0, out_frac - x.frac_bits());    // sum · 2^up
  const int down = std::max(0, x.frac_bits() - out_frac);  // count · 2^down
  if (up > 60 || down > 60) {
    return invalid_argument("{}: Q formats {} -> {} are too far apart", label(n), x.frac_bits(),
                            out_frac);
  }
  std::vector<Tap> taps;
  int64_t o_lin = 0;
  for (ref::MultiIndex o(p.out_spatial); !o.done(); o.next(), ++o_lin) {
    taps_at(p, o, taps);
    int64_t count = 0;
    for (const Tap& t : taps) count += (include_pad ? t.in_padded : t.in_x) ? 1 : 0;
    for (int64_t plane = 0; plane < p.planes; ++plane) {
      const int16_t* xp = xd + plane * p.in_plane;
      int64_t sum = 0;
      for (const Tap& t : taps) {
        if (t.in_x) sum += xp[t.offset];
      }
      int16_t v = 0;
      if (count > 0) {
        v = saturate16(div_round(static_cast<__int128>(sum) << up,
                                 static_cast<__int128>(count) << down));
      }
      yd[plane * p.out_plane + o_lin] = v;
    }
  }
  return y;
}

Tensor relu(const Tensor& x) {
  Tensor y(DType::kI16, x.shape());
  y.set_frac_bits(x.frac_bits());
  const int16_t* xd = x.data<int16_t>();
  int16_t* yd = y.data<int16_t>();
  for (int64_t i = 0; i < x.numel(); ++i) yd[i] = std::max<int16_t>(xd[i], 0);
  return y;
}

// ---- LSTM ----

Result<LstmQ> lstm_q(const compress::CompressedModel& model, const ir::Node& n,
                     const Formats& formats, const Options& options) {
  const ir::Graph& g = model.graph;
  if (n.attr_string("direction", "forward") != "forward" || n.attr_int("layout", 0) != 0 ||
      n.has_attr("clip") || n.attr_int("input_forget", 0) != 0 || n.has_attr("activations")) {
    return Status(StatusCode::kUnimplemented,
                  label(n) + ": the 16-bit engines support forward LSTMs with layout 0, default "
                             "activations, no clip and no input_forget");
  }
  for (size_t i : {size_t{4}, size_t{5}, size_t{6}}) {
    if (n.has_input(i)) {
      return Status(StatusCode::kUnimplemented,
                    fmt::format("{}: operand {} (sequence_lens / initial_h / initial_c) is not "
                                "supported by the 16-bit engines",
                                label(n), i));
    }
  }
  LstmQ q;
  q.hidden = n.attr_int("hidden_size", 0);
  q.proj = n.attr_int("proj_size", 0);
  if (q.hidden <= 0) return invalid_argument("{}: hidden_size is missing", label(n));
  q.state = q.proj > 0 ? q.proj : q.hidden;
  SIEVE_ASSIGN_OR_RETURN(const Tensor* w0, initializer_operand(g, n, 1, "W"));
  SIEVE_ASSIGN_OR_RETURN(const Tensor* r0, initializer_operand(g, n, 2, "R"));
  SIEVE_ASSIGN_OR_RETURN(const Tensor* b0, initializer_operand(g, n, 3, "B"));
  SIEVE_ASSIGN_OR_RETURN(const Tensor* p0, initializer_operand(g, n, 7, "P"));
  SIEVE_ASSIGN_OR_RETURN(const Tensor* wp0, initializer_operand(g, n, 8, "W_proj"));
  if (w0 == nullptr || r0 == nullptr) return invalid_argument("{}: W and R are needed", label(n));
  const int64_t gh = 4 * q.hidden;
  if (w0->rank() != 3 || w0->dim(0) != 1 || w0->dim(1) != gh) {
    return invalid_argument("{}: W is {}, expected [1, {}, input]", label(n),
                            shape_str(w0->shape()), gh);
  }
  q.input = w0->dim(2);
  if (r0->shape() != Shape{1, gh, q.state}) {
    return invalid_argument("{}: R is {}, expected {}", label(n), shape_str(r0->shape()),
                            shape_str(Shape{1, gh, q.state}));
  }
  if (b0 != nullptr && b0->shape() != Shape{1, 2 * gh}) {
    return invalid_argument("{}: B is {}, expected [1, {}]", label(n), shape_str(b0->shape()),
                            2 * gh);
  }
  if (p0 != nullptr && p0->shape() != Shape{1, 3 * q.hidden}) {
    return invalid_argument("{}: P is {}, expected [1, {}]", label(n), shape_str(p0->shape()),
                            3 * q.hidden);
  }
  if ((q.proj > 0) != (wp0 != nullptr) ||
      (wp0 != nullptr && wp0->shape() != Shape{1, q.proj, q.hidden})) {
    return invalid_argument("{}: W_proj does not match proj_size {}", label(n), q.proj);
  }
  auto frac = [&](const std::string& v) -> Result<int> {
    auto it = formats.value_frac.find(v);
    if (it == formats.value_frac.end()) {
      return invalid_argument("{}: value \"{}\" has no Q format", label(n), v);
    }
    return it->second;
  };
  SIEVE_ASSIGN_OR_RETURN(q.f_x, frac(n.input(0)));
  SIEVE_ASSIGN_OR_RETURN(q.f_r, frac(n.outputs.at(0)));
  q.f_c = options.lstm_cell_frac_bits;

  SIEVE_ASSIGN_OR_RETURN(Tensor w, dense_weight(model, n.input(1)));
  SIEVE_ASSIGN_OR_RETURN(Tensor r, dense_weight(model, n.input(2)));
  q.f_w = weight_frac_bits(w);
  q.f_rw = weight_frac_bits(r);
  q.w = quantize_tensor(w, q.f_w).reshaped({gh, q.input});
  q.r = quantize_tensor(r, q.f_rw).reshaped({gh, q.state});
  q.acc_frac = std::max(q.f_w + q.f_x, q.f_rw + q.f_r);
  if (p0 != nullptr) {
    SIEVE_ASSIGN_OR_RETURN(Tensor p, dense_weight(model, n.input(7)));
    q.f_p = weight_frac_bits(p);
    Tensor pq = quantize_tensor(p, q.f_p);
    q.peep.assign(pq.data<int16_t>(), pq.data<int16_t>() + pq.numel());
    q.acc_frac = std::max(q.acc_frac, q.f_p + q.f_c);
  }
  q.shift_x = q.acc_frac - (q.f_w + q.f_x);
  q.shift_r = q.acc_frac - (q.f_rw + q.f_r);
  q.shift_p = p0 != nullptr ? q.acc_frac - (q.f_p + q.f_c) : 0;
  if (q.acc_frac > 60 || q.shift_x > 30 || q.shift_r > 30 || q.shift_p > 30) {
    return invalid_argument("{}: Q formats too far apart (accumulator scale {})", label(n),
                            q.acc_frac);
  }
  q.bias.assign(static_cast<size_t>(gh), 0);
  if (b0 != nullptr) {
    SIEVE_ASSIGN_OR_RETURN(Tensor b, dense_weight(model, n.input(3)));
    const float* bd = b.data<float>();
    for (int64_t k = 0; k < gh; ++k) {
      q.bias[static_cast<size_t>(k)] =
          quantize_wide(static_cast<double>(bd[k]) + static_cast<double>(bd[gh + k]), q.acc_frac);
    }
  }
  if (q.proj > 0) {
    SIEVE_ASSIGN_OR_RETURN(Tensor wp, dense_weight(model, n.input(8)));
    q.f_proj = weight_frac_bits(wp);
    q.w_proj = quantize_tensor(wp, q.f_proj).reshaped({q.proj, q.hidden});
  }
  return q;
}

void lstm_pointwise(const LstmQ& q, std::span<const int64_t> acc, std::span<int16_t> c,
                    std::span<int16_t> m) {
  const int64_t nh = q.hidden;
  const bool peep = !q.peep.empty();
  // c_t = f ⊙ c_{t−1} + i ⊙ g: f·c is at scale G + f_c, i·g at 2G (G = kGateFracBits).
  const int fc_scale = kGateFracBits + q.f_c;
  const int ig_scale = 2 * kGateFracBits;
  const int cell_scale = std::max(fc_scale, ig_scale);
  for (int64_t j = 0; j < nh; ++j) {
    const size_t uj = static_cast<size_t>(j);
    int64_t pi = acc[uj];
    int64_t po = acc[static_cast<size_t>(nh + j)];
    int64_t pf = acc[static_cast<size_t>(2 * nh + j)];
    const int64_t pc = acc[static_cast<size_t>(3 * nh + j)];
    const int64_t c_prev = c[uj];
    if (peep) {
      pi += shift_round(int64_t{q.peep[uj]} * c_prev, -q.shift_p);
      pf += shift_round(int64_t{q.peep[static_cast<size_t>(2 * nh + j)]} * c_prev, -q.shift_p);
    }
    const int64_t ig = sigmoid_q(pi, q.acc_frac);
    const int64_t fg = sigmoid_q(pf, q.acc_frac);
    const int64_t gg = tanh_q(pc, q.acc_frac);
    const int64_t sum = shift_round(fg * c_prev, fc_scale - cell_scale) +
                        shift_round(ig * gg, ig_scale - cell_scale);
    const int16_t c_new = requantize(sum, cell_scale, q.f_c);
    if (peep) {
      po += shift_round(int64_t{q.peep[static_cast<size_t>(nh + j)]} * c_new, -q.shift_p);
    }
    const int64_t og = sigmoid_q(po, q.acc_frac);
    const int64_t th = tanh_q(c_new, q.f_c);
    c[uj] = c_new;
    m[uj] = requantize(og * th, 2 * kGateFracBits, q.proj > 0 ? kGateFracBits : q.f_r);
  }
}

// ---- the engine ----

namespace {

using Env = std::map<std::string, Tensor>;

Result<Tensor> fully_connected(const compress::CompressedModel& model, const ir::Node& n,
                               const Tensor& x, const Shape& out_shape, int out_frac) {
  if (n.attr_float("alpha", 1.0) != 1.0 || n.attr_float("beta", 1.0) != 1.0 ||
      n.attr_int("trans_a", 0) != 0 || n.attr_int("trans_b", 1) != 1) {
    return Status(StatusCode::kUnimplemented,
                  label(n) + ": the 16-bit engines need alpha = beta = 1, trans_a = 0, "
                             "trans_b = 1");
  }
  SIEVE_ASSIGN_OR_RETURN(const Tensor* w0, initializer_operand(model.graph, n, 1, "W"));
  SIEVE_ASSIGN_OR_RETURN(const Tensor* b0, initializer_operand(model.graph, n, 2, "B"));
  if (w0 == nullptr) return invalid_argument("{}: W is missing", label(n));
  SIEVE_ASSIGN_OR_RETURN(Tensor w, dense_weight(model, n.input(1)));
  const int64_t batch = x.dim(0), k = x.dim(1), m = w.dim(0);
  if (w.rank() != 2 || w.dim(1) != k) {
    return invalid_argument("{}: W {} does not match X {}", label(n), shape_str(w.shape()),
                            shape_str(x.shape()));
  }
  const int fw = weight_frac_bits(w);
  const Tensor wq = quantize_tensor(w, fw);
  const int acc_frac = x.frac_bits() + fw;
  std::vector<int64_t> bias(static_cast<size_t>(m), 0);
  if (b0 != nullptr) {
    SIEVE_ASSIGN_OR_RETURN(Tensor b, dense_weight(model, n.input(2)));
    if (b.numel() != m && b.numel() != 1) {
      return invalid_argument("{}: bias has {} elements for {} outputs", label(n), b.numel(), m);
    }
    for (int64_t j = 0; j < m; ++j) {
      bias[static_cast<size_t>(j)] = quantize_wide(b.data<float>()[b.numel() == 1 ? 0 : j],
                                                   acc_frac);
    }
  }
  Tensor y(DType::kI16, out_shape);
  y.set_frac_bits(out_frac);
  const int16_t* xd = x.data<int16_t>();
  const int16_t* wd = wq.data<int16_t>();
  int16_t* yd = y.data<int16_t>();
  for (int64_t s = 0; s < batch; ++s) {
    for (int64_t j = 0; j < m; ++j) {
      int64_t acc = bias[static_cast<size_t>(j)];
      for (int64_t i = 0; i < k; ++i) acc += int32_t{xd[s * k + i]} * int32_t{wd[j * k + i]};
      yd[s * m + j] = requantize(acc, acc_frac, out_frac);
    }
  }
  return y;
}

Result<Tensor> conv(const compress::CompressedModel& model, const ir::Node& n, const Tensor& x,
                    const Shape& out_shape, int out_frac) {
  SIEVE_ASSIGN_OR_RETURN(const Tensor* w0, initializer_operand(model.graph, n, 1, "W"));
  SIEVE_ASSIGN_OR_RETURN(const Tensor* b0, initializer_operand(model.graph, n, 2, "B"));
  if (w0 == nullptr) return invalid_argument("{}: W is missing", label(n));
  SIEVE_ASSIGN_OR_RETURN(Tensor w, dense_weight(model, n.input(1)));
  SIEVE_ASSIGN_OR_RETURN(ir::WindowGeometry geo, ir::window_geometry(n, x.shape(), &w.shape()));
  const int64_t group = n.attr_int("group", 1);
  const size_t k = static_cast<size_t>(x.rank()) - 2;
  const int64_t batch = x.dim(0), c_in = x.dim(1), m_out = w.dim(0);
  const int64_t c_per_group = c_in / group, m_per_group = m_out / group;
  const int fw = weight_frac_bits(w);
  const Tensor wq = quantize_tensor(w, fw);
  const int acc_frac = x.frac_bits() + fw;
  std::vector<int64_t> bias(static_cast<size_t>(m_out), 0);
  if (b0 != nullptr) {
    SIEVE_ASSIGN_OR_RETURN(Tensor b, dense_weight(model, n.input(2)));
    for (int64_t j = 0; j < m_out; ++j) {
      bias[static_cast<size_t>(j)] = quantize_wide(b.data<float>()[j], acc_frac);
    }
  }
  Tensor y(DType::kI16, out_shape);
  y.set_frac_bits(out_frac);
  const Shape in_spatial(x.shape().begin() + 2, x.shape().end());
  const Shape out_spatial(out_shape.begin() + 2, out_shape.end());
  const std::vector<int64_t> in_strides = ref::strides_of(in_spatial);
  const int64_t in_plane = shape_numel(in_spatial), out_plane = shape_numel(out_spatial);
  const int64_t taps = shape_numel(geo.kernel);
  const int64_t filter = c_per_group * taps;
  const int16_t* xd = x.data<int16_t>();
  const int16_t* wd = wq.data<int16_t>();
  int16_t* yd = y.data<int16_t>();
  // The patch of a window laid out like W[m] ([C/group, k...]); padding reads zero.
  std::vector<int16_t> patch(static_cast<size_t>(filter));
  int64_t o_lin = 0;
  for (ref::MultiIndex o(out_spatial); !o.done(); o.next(), ++o_lin) {
    for (int64_t s = 0; s < batch; ++s) {
      for (int64_t gi = 0; gi < group; ++gi) {
        int64_t t_lin = 0;
        for (ref::MultiIndex t(geo.kernel); !t.done(); t.next(), ++t_lin) {
          bool inside = true;
          int64_t offset = 0;
          for (size_t d = 0; d < k && inside; ++d) {
            const int64_t p = o[d] * geo.strides[d] - geo.pads_begin[d] + t[d] * geo.dilations[d];
            inside = p >= 0 && p < in_spatial[d];
            offset += p * in_strides[d];
          }
          for (int64_t c = 0; c < c_per_group; ++c) {
            patch[static_cast<size_t>(c * taps + t_lin)] =
                inside ? xd[(s * c_in + gi * c_per_group + c) * in_plane + offset] : int16_t{0};
          }
        }
        for (int64_t mi = gi * m_per_group; mi < (gi + 1) * m_per_group; ++mi) {
          int64_t acc = bias[static_cast<size_t>(mi)];
          const int16_t* wr = wd + mi * filter;
          for (int64_t i = 0; i < filter; ++i) {
            acc += int32_t{wr[i]} * int32_t{patch[static_cast<size_t>(i)]};
          }
          yd[(s * m_out + mi) * out_plane + o_lin] = requantize(acc, acc_frac, out_frac);
        }
      }
    }
  }
  return y;
}

Result<std::vector<Tensor>> lstm(const compress::CompressedModel& model, const ir::Node& n,
                                 const Tensor& x, const Formats& formats,
                                 const Options& options) {
  SIEVE_ASSIGN_OR_RETURN(LstmQ q, lstm_q(model, n, formats, options));
  if (x.rank() != 3 || x.dim(2) != q.input) {
    return invalid_argument("{}: X is {}, expected [seq, batch, {}]", label(n),
                            shape_str(x.shape()), q.input);
  }
  const int64_t seq = x.dim(0), batch = x.dim(1), nh = q.hidden, gh = 4 * nh;
  Tensor y(DType::kI16, {seq, 1, batch, q.state});
  y.set_frac_bits(q.f_r);
  Tensor y_h(DType::kI16, {1, batch, q.state});
  y_h.set_frac_bits(q.f_r);
  Tensor y_c(DType::kI16, {1, batch, nh});
  y_c.set_frac_bits(q.f_c);
  const int16_t* xd = x.data<int16_t>();
  const int16_t* wd = q.w.data<int16_t>();
  const int16_t* rd = q.r.data<int16_t>();
  std::vector<int64_t> acc(static_cast<size_t>(gh));
  std::vector<int16_t> r(static_cast<size_t>(q.state)), c(static_cast<size_t>(nh)),
      m(static_cast<size_t>(nh));
  for (int64_t b = 0; b < batch; ++b) {
    std::fill(r.begin(), r.end(), int16_t{0});
    std::fill(c.begin(), c.end(), int16_t{0});
    for (int64_t t = 0; t < seq; ++t) {
      const int16_t* xt = xd + (t * batch + b) * q.input;
      for (int64_t k = 0; k < gh; ++k) {
        int64_t sx = 0, sr = 0;
        for (int64_t i = 0; i < q.input; ++i) sx += int32_t{wd[k * q.input + i]} * int32_t{xt[i]};
        for (int64_t i = 0; i < q.state; ++i) {
          sr += int32_t{rd[k * q.state + i]} * int32_t{r[static_cast<size_t>(i)]};
        }
        acc[static_cast<size_t>(k)] = q.bias[static_cast<size_t>(k)] +
                                      shift_round(sx, -q.shift_x) + shift_round(sr, -q.shift_r);
      }
      lstm_pointwise(q, acc, c, m);
      if (q.proj > 0) {
        const int16_t* pd = q.w_proj.data<int16_t>();
        for (int64_t k = 0; k < q.proj; ++k) {
          int64_t a = 0;
          for (int64_t j = 0; j < nh; ++j) {
            a += int32_t{pd[k * nh + j]} * int32_t{m[static_cast<size_t>(j)]};
          }
          r[static_cast<size_t>(k)] = requantize(a, q.f_proj + kGateFracBits, q.f_r);
        }
      } else {
        std::copy(m.begin(), m.end(), r.begin());
      }
      std::copy(r.begin(), r.end(), y.data<int16_t>() + (t * batch + b) * q.state);
    }
    if (seq > 0) {
      std::copy(r.begin(), r.end(), y_h.data<int16_t>() + b * q.state);
      std::copy(c.begin(), c.end(), y_c.data<int16_t>() + b * nh);
    }
  }
  return std::vector<Tensor>{y, y_h, y_c};
}

}  // namespace

Result<Tensor> run(const compress::CompressedModel& model, const Tensor& input,
                   const Options& options, const ValueHook& hook) {
  const ir::Graph& g = model.graph;
  SIEVE_ASSIGN_OR_RETURN(Formats fm, resolve_formats(model, options));
  const ir::Node* in_node = single_input(g);
  if (in_node == nullptr || in_node->outputs.empty()) {
    return invalid_argument("graph \"{}\" must have exactly one input", g.name);
  }
  const std::vector<int64_t> declared = in_node->attr_ints("shape");
  if (input.dtype() != DType::kF32 ||
      (!declared.empty() && static_cast<size_t>(input.rank()) != declared.size())) {
    return invalid_argument("input: expected f32 of rank {} (like {}), got {} {}", declared.size(),
                            shape_str(declared), dtype_name(input.dtype()),
                            shape_str(input.shape()));
  }
  if (g.outputs.empty()) return invalid_argument("graph \"{}\" has no output", g.name);
  const std::set<const ir::Node*> skip = trailing_softmax(g);
  Env env;
  std::map<std::string, Shape> shapes;
  auto put = [&](const std::string& v, Tensor t) {
    if (v.empty()) return;
    shapes[v] = t.shape();
    if (hook) hook(v, t);
    env[v] = std::move(t);
  };
  auto operand = [&](const ir::Node& n, size_t i) -> Result<const Tensor*> {
    auto it = env.find(n.input(i));
    if (it == env.end()) {
      return invalid_argument("{}: operand \"{}\" is not an activation computed earlier",
                              label(n), n.input(i));
    }
    return &it->second;
  };
  for (const ir::Node& n : g.nodes) {
    if (n.op == ir::OpKind::kInput) {
      put(n.outputs[0], quantize_tensor(input, fm.value_frac.at(n.outputs[0])));
      continue;
    }
    SIEVE_ASSIGN_OR_RETURN(const Tensor* x, operand(n, 0));
    if (skip.count(&n) != 0) {
      put(n.outputs[0], *x);
      continue;
    }
    if (n.op == ir::OpKind::kLSTM) {
      SIEVE_ASSIGN_OR_RETURN(std::vector<Tensor> outs, lstm(model, n, *x, fm, options));
      for (size_t j = 0; j < n.outputs.size() && j < outs.size(); ++j) put(n.outputs[j], outs[j]);
      continue;
    }
    SIEVE_ASSIGN_OR_RETURN(Shape out_shape, output_shape(g, n, shapes));
    const std::string& out = n.outputs.at(0);
    const int out_frac = fm.value_frac.at(out);
    Tensor y;
    if (n.op == ir::OpKind::kFullyConnected) {
      SIEVE_ASSIGN_OR_RETURN(y, fully_connected(model, n, *x, out_shape, out_frac));
    } else if (n.op == ir::OpKind::kConv) {
      SIEVE_ASSIGN_OR_RETURN(y, conv(model, n, *x, out_shape, out_frac));
    } else if (n.op == ir::OpKind::kMaxPool) {
      SIEVE_ASSIGN_OR_RETURN(y, max_pool(n, *x, out_shape));
    } else if (n.op == ir::OpKind::kAveragePool) {
      SIEVE_ASSIGN_OR_RETURN(y, average_pool(n, *x, out_shape, out_frac));
    } else if (n.op == ir::OpKind::kRelu) {
      y = relu(*x);
    } else {
      y = x->reshaped(out_shape);  // the moving ops of resolve_formats (the rest were refused)
    }
    put(out, y);
  }
  auto it = env.find(g.outputs[0]);
  if (it == env.end()) {
    return invalid_argument("graph output \"{}\" was not computed", g.outputs[0]);
  }
  return it->second;
}

}  // namespace sieve::runtime::fixed16
