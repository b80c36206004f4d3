#include "sieve/runtime/kernels/ref/rnn.h"

#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <cmath>
#include <limits>
#include <string>
#include <utility>

namespace sieve::runtime::ref {
namespace {

// The reference kernels accumulate and carry state in double: they are the oracle that
// float kernels are compared with, so their own rounding should not matter.

template <typename... Args>
Status node_error(const ir::Node& n, fmt::format_string<Args...> f, Args&&... args) {
  return invalid_argument("node \"{}\" ({}): {}", n.name, ir::op_name(n.op),
                          fmt::format(f, std::forward<Args>(args)...));
}

// ---- activation functions (ONNX RNN list) ----

enum class ActKind {
  kSigmoid,
  kTanh,
  kRelu,
  kHardSigmoid,
  kAffine,
  kLeakyRelu,
  kThresholdedRelu,
  kScaledTanh,
  kElu,
  kSoftsign,
  kSoftplus,
};

struct ActInfo {
  const char* name;
  ActKind kind;
  bool uses_alpha;
  bool uses_beta;
  double default_alpha;  // the defaults of the ONNX operators of the same name
  double default_beta;
};

constexpr ActInfo kActivations[] = {
    {"Sigmoid", ActKind::kSigmoid, false, false, 0.0, 0.0},
    {"Tanh", ActKind::kTanh, false, false, 0.0, 0.0},
    {"Relu", ActKind::kRelu, false, false, 0.0, 0.0},
    {"HardSigmoid", ActKind::kHardSigmoid, true, true, 0.2, 0.5},
    {"Affine", ActKind::kAffine, true, true, 1.0, 0.0},
    {"LeakyRelu", ActKind::kLeakyRelu, true, false, 0.01, 0.0},
    {"ThresholdedRelu", ActKind::kThresholdedRelu, true, false, 1.0, 0.0},
    {"ScaledTanh", ActKind::kScaledTanh, true, true, 1.0, 1.0},
    {"Elu", ActKind::kElu, true, false, 1.0, 0.0},
    {"Softsign", ActKind::kSoftsign, false, false, 0.0, 0.0},
    {"Softplus", ActKind::kSoftplus, false, false, 0.0, 0.0},
};

struct Activation {
  ActKind kind = ActKind::kSigmoid;
  double alpha = 0.0;
  double beta = 0.0;

  double operator()(double x) const {
    switch (kind) {
      case ActKind::kSigmoid:
        return x >= 0 ? 1.0 / (1.0 + std::exp(-x)) : std::exp(x) / (1.0 + std::exp(x));
      case ActKind::kTanh: return std::tanh(x);
      case ActKind::kRelu: return x > 0 ? x : 0.0;
      case ActKind::kHardSigmoid: return std::min(std::max(alpha * x + beta, 0.0), 1.0);
      case ActKind::kAffine: return alpha * x + beta;
      case ActKind::kLeakyRelu: return x >= 0 ? x : alpha * x;
      case ActKind::kThresholdedRelu: return x > alpha ? x : 0.0;
      case ActKind::kScaledTanh: return alpha * std::tanh(beta * x);
      case ActKind::kElu: return x >= 0 ? x : alpha * (std::exp(x) - 1.0);
      case ActKind::kSoftsign: return x / (1.0 + std::fabs(x));
      case ActKind::kSoftplus:
        return x > 0 ? x + std::log1p(std::exp(-x)) : std::log1p(std::exp(x));
    }
    return x;
  }
};

std::string lower(std::string s) {
  for (char& ch : s) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
  return s;
}

// Returns `per_dir * dirs` activations: the node's `activations` attribute (one set shared by
// both directions, or one per direction) or the defaults.
Result<std::vector<Activation>> parse_activations(const ir::Node& n, int64_t per_dir, int64_t dirs,
                                                  const std::vector<std::string>& defaults) {
  std::vector<std::string> names = n.attr_strings("activations", {});
  if (names.empty()) {
    for (int64_t d = 0; d < dirs; ++d) names.insert(names.end(), defaults.begin(), defaults.end());
  } else if (static_cast<int64_t>(names.size()) == per_dir && dirs == 2) {
    std::vector<std::string> once = names;
    names.insert(names.end(), once.begin(), once.end());
  } else if (static_cast<int64_t>(names.size()) != per_dir * dirs) {
    return node_error(n, "attribute activations has {} entries, expected {} ({} per direction)",
                      names.size(), per_dir * dirs, per_dir);
  }
  const std::vector<double> alphas = n.attr_floats("activation_alpha", {});
  const std::vector<double> betas = n.attr_floats("activation_beta", {});
  size_t next_alpha = 0;
  size_t next_beta = 0;
  std::vector<Activation> out;
  for (const std::string& name : names) {
    const ActInfo* info = nullptr;
    for (const ActInfo& a : kActivations) {
      if (lower(a.name) == lower(name)) info = &a;
    }
    if (info == nullptr) {
      std::vector<std::string> known;
      for (const ActInfo& a : kActivations) known.emplace_back(a.name);
      return node_error(n, "unknown activation \"{}\"; known: {}", name, fmt::join(known, ", "));
    }
    Activation act{info->kind, info->default_alpha, info->default_beta};
    if (info->uses_alpha && next_alpha < alphas.size()) act.alpha = alphas[next_alpha++];
    if (info->uses_beta && next_beta < betas.size()) act.beta = betas[next_beta++];
    out.push_back(act);
  }
  return out;
}

// ---- operand checks shared by LSTM and GRU ----

struct RnnSetup {
  int64_t seq = 0;
  int64_t batch = 0;
  int64_t input = 0;
  int64_t hidden = 0;
  int64_t state = 0;  // size of the recurrent state fed back through R: hidden or proj_size
  int64_t dirs = 1;
  bool reverse_only = false;
  int64_t layout = 0;
  double clip = std::numeric_limits<double>::infinity();
  std::vector<int64_t> lens;  // per batch entry

  // Offsets (in elements) into X, Y and the [dirs, batch, *] state tensors.
  int64_t x_offset(int64_t t, int64_t b) const {
    return (layout == 0 ? t * batch + b : b * seq + t) * input;
  }
  int64_t y_offset(int64_t t, int64_t d, int64_t b) const {
    return (layout == 0 ? (t * dirs + d) * batch + b : (b * seq + t) * dirs + d) * state;
  }
  int64_t s_offset(int64_t d, int64_t b, int64_t size) const {
    return (layout == 0 ? d * batch + b : b * dirs + d) * size;
  }
  Shape state_shape(int64_t size) const {
    return layout == 0 ? Shape{dirs, batch, size} : Shape{batch, dirs, size};
  }
  Shape y_shape() const {
    return layout == 0 ? Shape{seq, dirs, batch, state} : Shape{batch, seq, dirs, state};
  }
  bool reversed(int64_t d) const { return reverse_only || d == 1; }
  double clipped(double x) const { return std::min(std::max(x, -clip), clip); }
};

Status check_f32(const ir::Node& n, const char* what, const Tensor* t, const Shape& expected) {
  if (t->dtype() != DType::kF32) {
    return node_error(n, "input {} is {}, expected f32", what, dtype_name(t->dtype()));
  }
  if (t->shape() != expected) {
    return node_error(n, "input {} has shape {}, expected {}", what, shape_str(t->shape()),
                      shape_str(expected));
  }
  return ok_status();
}

// `gates`: 4 (LSTM) or 3 (GRU); `max_inputs`: operand count of the op; `proj_size`: 0 or the
// LSTM projection size (the recurrent state size then).
Result<RnnSetup> setup(const ir::Node& n, std::span<const Tensor* const> in, int64_t gates,
                       size_t max_inputs, int64_t proj_size) {
  if (in.size() < 3 || in.size() > max_inputs) {
    return node_error(n, "has {} operands, expected 3 to {}", in.size(), max_inputs);
  }
  static const char* const kRequired[] = {"X", "W", "R"};
  for (int i = 0; i < 3; ++i) {
    if (in[static_cast<size_t>(i)] == nullptr) {
      return node_error(n, "required input {} is missing", kRequired[i]);
    }
  }
  RnnSetup s;
  const std::string direction = n.attr_string("direction", "forward");
  if (direction == "forward") {
    s.dirs = 1;
  } else if (direction == "reverse") {
    s.dirs = 1;
    s.reverse_only = true;
  } else if (direction == "bidirectional") {
    s.dirs = 2;
  } else {
    return node_error(n, "attribute direction=\"{}\"; expected forward, reverse or bidirectional",
                      direction);
  }
  s.layout = n.attr_int("layout", 0);
  if (s.layout != 0 && s.layout != 1) {
    return node_error(n, "attribute layout={}; expected 0 or 1", s.layout);
  }
  if (n.has_attr("clip")) {
    s.clip = n.attr_float("clip", 0.0);
    if (!(s.clip > 0)) return node_error(n, "attribute clip={}; expected a positive value", s.clip);
  }

  const Tensor* x = in[0];
  if (x->dtype() != DType::kF32 || x->rank() != 3) {
    return node_error(n, "input X is {} {}, expected f32 of rank 3", dtype_name(x->dtype()),
                      shape_str(x->shape()));
  }
  s.seq = x->dim(s.layout == 0 ? 0 : 1);
  s.batch = x->dim(s.layout == 0 ? 1 : 0);
  s.input = x->dim(2);

  const Tensor* w = in[1];
  if (n.has_attr("hidden_size")) {
    s.hidden = n.attr_int("hidden_size", 0);
    if (s.hidden <= 0) return node_error(n, "attribute hidden_size={}; expected > 0", s.hidden);
  } else {
    if (w->rank() != 3 || w->dim(1) % gates != 0 || w->dim(1) == 0) {
      return node_error(n, "attribute hidden_size is absent and input W {} does not give it",
                        shape_str(w->shape()));
    }
    s.hidden = w->dim(1) / gates;
  }
  s.state = proj_size > 0 ? proj_size : s.hidden;
  const int64_t gh = gates * s.hidden;
  SIEVE_RETURN_IF_ERROR(check_f32(n, "W", w, {s.dirs, gh, s.input}));
  SIEVE_RETURN_IF_ERROR(check_f32(n, "R", in[2], {s.dirs, gh, s.state}));
  if (in.size() > 3 && in[3] != nullptr) {
    SIEVE_RETURN_IF_ERROR(check_f32(n, "B", in[3], {s.dirs, 2 * gh}));
  }

  s.lens.assign(static_cast<size_t>(s.batch), s.seq);
  if (in.size() > 4 && in[4] != nullptr) {
    const Tensor* sl = in[4];
    if (sl->shape() != Shape{s.batch}) {
      return node_error(n, "input sequence_lens has shape {}, expected {}", shape_str(sl->shape()),
                        shape_str(Shape{s.batch}));
    }
    for (int64_t b = 0; b < s.batch; ++b) {
      int64_t v = 0;
      if (sl->dtype() == DType::kI32) {
        v = sl->data<int32_t>()[b];
      } else if (sl->dtype() == DType::kI64) {
        v = sl->data<int64_t>()[b];
      } else {
        return node_error(n, "input sequence_lens is {}, expected i32 or i64",
                          dtype_name(sl->dtype()));
      }
      if (v < 0 || v > s.seq) {
        return node_error(n, "sequence_lens[{}]={} is outside [0, {}] (the sequence length)", b, v,
                          s.seq);
      }
      s.lens[static_cast<size_t>(b)] = v;
    }
  }
  if (in.size() > 5 && in[5] != nullptr) {
    SIEVE_RETURN_IF_ERROR(check_f32(n, "initial_h", in[5], s.state_shape(s.state)));
  }
  return s;
}

// y[r] += sum_k m[r, k] * v[k] for a row-major [rows, cols] matrix of floats.
void matvec_acc(const float* m, int64_t rows, int64_t cols, const double* v, double* y) {
  for (int64_t r = 0; r < rows; ++r) {
    double acc = 0.0;
    const float* row = m + r * cols;
    for (int64_t k = 0; k < cols; ++k) acc += static_cast<double>(row[k]) * v[k];
    y[r] += acc;
  }
}

void matvec_acc(const float* m, int64_t rows, int64_t cols, const float* v, double* y) {
  for (int64_t r = 0; r < rows; ++r) {
    double acc = 0.0;
    const float* row = m + r * cols;
    for (int64_t k = 0; k < cols; ++k) acc += static_cast<double>(row[k]) * v[k];
    y[r] += acc;
  }
}

// The tensors a node returns: as many as it names outputs (all when it names none).
Result<std::vector<Tensor>> select_outputs(const ir::Node& n, std::vector<Tensor> all) {
  if (n.outputs.empty()) return all;
  if (n.outputs.size() > all.size()) {
    return node_error(n, "has {} outputs, at most {} allowed", n.outputs.size(), all.size());
  }
  all.resize(n.outputs.size());
  return all;
}

}  // namespace

Result<std::vector<Tensor>> lstm(const ir::Node& n, std::span<const Tensor* const> in) {
  const int64_t proj = n.attr_int("proj_size", 0);
  if (proj < 0) return node_error(n, "attribute proj_size={}; expected >= 0", proj);
  const Tensor* w_proj = in.size() > 8 ? in[8] : nullptr;
  if (proj > 0 && w_proj == nullptr) {
    return node_error(n, "attribute proj_size={} needs input 8 (W_proj)", proj);
  }
  if (proj == 0 && w_proj != nullptr) {
    return node_error(n, "input 8 (W_proj) is given but attribute proj_size is absent or 0");
  }
  SIEVE_ASSIGN_OR_RETURN(RnnSetup s, setup(n, in, 4, 9, proj));
  const int64_t nh = s.hidden;
  const int64_t input_forget = n.attr_int("input_forget", 0);
  const Tensor* b_t = in.size() > 3 ? in[3] : nullptr;
  const Tensor* h0_t = in.size() > 5 ? in[5] : nullptr;
  const Tensor* c0_t = in.size() > 6 ? in[6] : nullptr;
  const Tensor* p_t = in.size() > 7 ? in[7] : nullptr;
  if (c0_t != nullptr) {
    SIEVE_RETURN_IF_ERROR(check_f32(n, "initial_c", c0_t, s.state_shape(nh)));
  }
  if (p_t != nullptr) SIEVE_RETURN_IF_ERROR(check_f32(n, "P", p_t, {s.dirs, 3 * nh}));
  if (w_proj != nullptr) {
    SIEVE_RETURN_IF_ERROR(check_f32(n, "W_proj", w_proj, {s.dirs, proj, nh}));
  }
  SIEVE_ASSIGN_OR_RETURN(std::vector<Activation> acts,
                         parse_activations(n, 3, s.dirs, {"Sigmoid", "Tanh", "Tanh"}));

  Tensor y(DType::kF32, s.y_shape());
  Tensor y_h(DType::kF32, s.state_shape(s.state));
  Tensor y_c(DType::kF32, s.state_shape(nh));
  const float* x = in[0]->data<float>();
  std::vector<double> r(static_cast<size_t>(s.state));  // recurrent state (h, or W_proj · h)
  std::vector<double> c(static_cast<size_t>(nh));
  std::vector<double> h(static_cast<size_t>(nh));
  std::vector<double> pre(static_cast<size_t>(4 * nh));  // gate pre-activations, order i, o, f, c

  for (int64_t d = 0; d < s.dirs; ++d) {
    const float* w = in[1]->data<float>() + d * 4 * nh * s.input;
    const float* rw = in[2]->data<float>() + d * 4 * nh * s.state;
    const float* bias = b_t != nullptr ? b_t->data<float>() + d * 8 * nh : nullptr;
    const float* peep = p_t != nullptr ? p_t->data<float>() + d * 3 * nh : nullptr;
    const float* wp = w_proj != nullptr ? w_proj->data<float>() + d * proj * nh : nullptr;
    const Activation& f = acts[static_cast<size_t>(3 * d)];
    const Activation& g = acts[static_cast<size_t>(3 * d + 1)];
    const Activation& hact = acts[static_cast<size_t>(3 * d + 2)];
    for (int64_t b = 0; b < s.batch; ++b) {
      for (int64_t k = 0; k < s.state; ++k) {
        r[k] = h0_t != nullptr ? h0_t->data<float>()[s.s_offset(d, b, s.state) + k] : 0.0;
      }
      for (int64_t j = 0; j < nh; ++j) {
        c[j] = c0_t != nullptr ? c0_t->data<float>()[s.s_offset(d, b, nh) + j] : 0.0;
      }
      const int64_t len = s.lens[static_cast<size_t>(b)];
      for (int64_t step = 0; step < len; ++step) {
        const int64_t t = s.reversed(d) ? len - 1 - step : step;
        for (int64_t k = 0; k < 4 * nh; ++k) {
          pre[k] = bias != nullptr ? static_cast<double>(bias[k]) + bias[4 * nh + k] : 0.0;
        }
        matvec_acc(w, 4 * nh, s.input, x + s.x_offset(t, b), pre.data());
        matvec_acc(rw, 4 * nh, s.state, r.data(), pre.data());
        for (int64_t j = 0; j < nh; ++j) {
          double pi = pre[j];
          double po = pre[nh + j];
          double pf = pre[2 * nh + j];
          const double pc = pre[3 * nh + j];
          if (peep != nullptr) pi += peep[j] * c[j];
          const double ig = f(s.clipped(pi));
          double fg = 0.0;
          if (input_forget != 0) {
            fg = 1.0 - ig;
          } else {
            if (peep != nullptr) pf += peep[2 * nh + j] * c[j];
            fg = f(s.clipped(pf));
          }
          const double cand = g(s.clipped(pc));
          const double c_new = fg * c[j] + ig * cand;
          if (peep != nullptr) po += peep[nh + j] * c_new;  // the output gate sees c_t
          const double og = f(s.clipped(po));
          c[j] = c_new;
          h[j] = og * hact(c_new);
        }
        if (wp != nullptr) {
          std::fill(r.begin(), r.end(), 0.0);
          matvec_acc(wp, proj, nh, h.data(), r.data());
        } else {
          std::copy(h.begin(), h.end(), r.begin());
        }
        float* yo = y.data<float>() + s.y_offset(t, d, b);
        for (int64_t k = 0; k < s.state; ++k) yo[k] = static_cast<float>(r[k]);
      }
      if (len > 0) {  // a zero-length entry keeps zeros, as ONNX Runtime does
        float* yh = y_h.data<float>() + s.s_offset(d, b, s.state);
        for (int64_t k = 0; k < s.state; ++k) yh[k] = static_cast<float>(r[k]);
        float* yc = y_c.data<float>() + s.s_offset(d, b, nh);
        for (int64_t j = 0; j < nh; ++j) yc[j] = static_cast<float>(c[j]);
      }
    }
  }
  return select_outputs(n, {std::move(y), std::move(y_h), std::move(y_c)});
}

Result<std::vector<Tensor>> gru(const ir::Node& n, std::span<const Tensor* const> in) {
  SIEVE_ASSIGN_OR_RETURN(RnnSetup s, setup(n, in, 3, 6, 0));
  const int64_t nh = s.hidden;
  const bool linear_before_reset = n.attr_int("linear_before_reset", 0) != 0;
  const Tensor* b_t = in.size() > 3 ? in[3] : nullptr;
  const Tensor* h0_t = in.size() > 5 ? in[5] : nullptr;
  SIEVE_ASSIGN_OR_RETURN(std::vector<Activation> acts,
                         parse_activations(n, 2, s.dirs, {"Sigmoid", "Tanh"}));

  Tensor y(DType::kF32, s.y_shape());
  Tensor y_h(DType::kF32, s.state_shape(nh));
  const float* x = in[0]->data<float>();
  std::vector<double> h(static_cast<size_t>(nh));
  std::vector<double> xw(static_cast<size_t>(3 * nh));  // X·W^T + Wb, order z, r, h
  std::vector<double> hr(static_cast<size_t>(2 * nh));  // H·R^T + Rb for z and r
  std::vector<double> rh(static_cast<size_t>(nh));      // r ⊙ H, or H·Rh^T + Rbh
  std::vector<double> cand(static_cast<size_t>(nh));
  std::vector<double> z(static_cast<size_t>(nh));
  std::vector<double> rg(static_cast<size_t>(nh));

  for (int64_t d = 0; d < s.dirs; ++d) {
    const float* w = in[1]->data<float>() + d * 3 * nh * s.input;
    const float* rw = in[2]->data<float>() + d * 3 * nh * nh;
    const float* rw_h = rw + 2 * nh * nh;
    const float* wb = b_t != nullptr ? b_t->data<float>() + d * 6 * nh : nullptr;
    const float* rb = wb != nullptr ? wb + 3 * nh : nullptr;
    const Activation& f = acts[static_cast<size_t>(2 * d)];
    const Activation& g = acts[static_cast<size_t>(2 * d + 1)];
    for (int64_t b = 0; b < s.batch; ++b) {
      for (int64_t j = 0; j < nh; ++j) {
        h[j] = h0_t != nullptr ? h0_t->data<float>()[s.s_offset(d, b, nh) + j] : 0.0;
      }
      const int64_t len = s.lens[static_cast<size_t>(b)];
      for (int64_t step = 0; step < len; ++step) {
        const int64_t t = s.reversed(d) ? len - 1 - step : step;
        for (int64_t k = 0; k < 3 * nh; ++k) xw[k] = wb != nullptr ? wb[k] : 0.0;
        matvec_acc(w, 3 * nh, s.input, x + s.x_offset(t, b), xw.data());
        for (int64_t k = 0; k < 2 * nh; ++k) hr[k] = rb != nullptr ? rb[k] : 0.0;
        matvec_acc(rw, 2 * nh, nh, h.data(), hr.data());
        for (int64_t j = 0; j < nh; ++j) {
          z[j] = f(s.clipped(xw[j] + hr[j]));
          rg[j] = f(s.clipped(xw[nh + j] + hr[nh + j]));
        }
        if (linear_before_reset) {
          // h~ = g(X·Wh^T + Wbh + r ⊙ (H·Rh^T + Rbh))
          for (int64_t j = 0; j < nh; ++j) rh[j] = rb != nullptr ? rb[2 * nh + j] : 0.0;
          matvec_acc(rw_h, nh, nh, h.data(), rh.data());
          for (int64_t j = 0; j < nh; ++j) cand[j] = g(s.clipped(xw[2 * nh + j] + rg[j] * rh[j]));
        } else {
          // h~ = g(X·Wh^T + Wbh + (r ⊙ H)·Rh^T + Rbh)
          for (int64_t j = 0; j < nh; ++j) rh[j] = rg[j] * h[j];
          for (int64_t j = 0; j < nh; ++j) {
            cand[j] = xw[2 * nh + j] + (rb != nullptr ? rb[2 * nh + j] : 0.0);
          }
          matvec_acc(rw_h, nh, nh, rh.data(), cand.data());
          for (int64_t j = 0; j < nh; ++j) cand[j] = g(s.clipped(cand[j]));
        }
        for (int64_t j = 0; j < nh; ++j) h[j] = (1.0 - z[j]) * cand[j] + z[j] * h[j];
        float* yo = y.data<float>() + s.y_offset(t, d, b);
        for (int64_t j = 0; j < nh; ++j) yo[j] = static_cast<float>(h[j]);
      }
      if (len > 0) {  // a zero-length entry keeps zeros, as ONNX Runtime does
        float* yh = y_h.data<float>() + s.s_offset(d, b, nh);
        for (int64_t j = 0; j < nh; ++j) yh[j] = static_cast<float>(h[j]);
      }
    }
  }
  return select_outputs(n, {std::move(y), std::move(y_h)});
}

}  // namespace sieve::runtime::ref
