#include "sieve/train/lstm.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <numeric>
#include <random>

#include "sieve/ir/shape_inference.h"
#include "sieve/runtime/kernels/blas/blas.h"
#include "sieve/train/layers.h"

namespace sieve::train {

namespace blas = runtime::blas;
using blas::Trans;

namespace {

int to_int(int64_t v) { return static_cast<int>(v); }
size_t sz(int64_t v) { return static_cast<size_t>(v); }
float sigmoid(float v) { return 1.0f / (1.0f + std::exp(-v)); }

Parameter make_param(const char* name, Shape shape, bool is_bias) {
  Parameter p;
  p.name = name;
  p.value = Tensor(DType::kF32, std::move(shape));
  p.grad.assign(sz(p.value.numel()), 0.0f);
  p.is_bias = is_bias;
  return p;
}

}  // namespace

Result<LstmClassifier> LstmClassifier::create(const LstmShape& s, uint64_t seed) {
  if (s.steps <= 0 || s.input <= 0 || s.hidden <= 0 || s.classes <= 0)
    return invalid_argument("LSTM: steps {}, input {}, hidden {} and classes {} must be positive",
                            s.steps, s.input, s.hidden, s.classes);
  LstmClassifier m;
  m.shape_ = s;
  const int64_t H = s.hidden;
  m.params_.push_back(make_param("lstm.W", {1, 4 * H, s.input}, false));
  m.params_.push_back(make_param("lstm.R", {1, 4 * H, H}, false));
  m.params_.push_back(make_param("lstm.B", {1, 8 * H}, true));
  m.params_.push_back(make_param("fc.weight", {s.classes, H}, false));
  m.params_.push_back(make_param("fc.bias", {s.classes}, true));
  std::mt19937_64 rng(seed);
  const float bound = 1.0f / std::sqrt(static_cast<float>(H));
  std::uniform_real_distribution<float> u(-bound, bound);
  for (Parameter& p : m.params_)
    for (float& v : p.value.span<float>()) v = u(rng);
  // Forget-gate rows of Wb (gate order i, o, f, c: rows [2H, 3H)) start at 1.
  float* b = m.params_[kB].value.data<float>();
  for (int64_t j = 2 * H; j < 3 * H; ++j) b[j] = 1.0f;
  return m;
}

LstmClassifier LstmClassifier::clone() const {
  LstmClassifier m = *this;
  for (Parameter& p : m.params_) p.value = p.value.clone();
  return m;
}

const float* LstmClassifier::forward(const float* x, int64_t n) {
  const int64_t T = shape_.steps, I = shape_.input, H = shape_.hidden, C = shape_.classes;
  const int64_t G = 4 * H;
  n_ = n;
  x_.assign(x, x + n * T * I);
  act_.resize(sz(T * n * G));
  h_.assign(sz((T + 1) * n * H), 0.0f);
  c_.assign(sz((T + 1) * n * H), 0.0f);
  logits_.resize(sz(n * C));
  const float* W = params_[kW].value.data<float>();
  const float* R = params_[kR].value.data<float>();
  const float* B = params_[kB].value.data<float>();
  for (int64_t t = 0; t < T; ++t) {
    float* a = act_.data() + t * n * G;
    for (int64_t e = 0; e < n; ++e)
      for (int64_t j = 0; j < G; ++j) a[e * G + j] = B[j] + B[G + j];
    blas::sgemm(Trans::kNo, Trans::kYes, to_int(n), to_int(G), to_int(I), 1.0f,
                x_.data() + t * I, to_int(T * I), W, to_int(I), 1.0f, a, to_int(G));
    const float* hp = h_.data() + t * n * H;
    blas::sgemm(Trans::kNo, Trans::kYes, to_int(n), to_int(G), to_int(H), 1.0f, hp, to_int(H), R,
                to_int(H), 1.0f, a, to_int(G));
    const float* cp = c_.data() + t * n * H;
    float* hn = h_.data() + (t + 1) * n * H;
    float* cn = c_.data() + (t + 1) * n * H;
    for (int64_t e = 0; e < n; ++e) {
      float* ae = a + e * G;
      for (int64_t k = 0; k < H; ++k) {
        const float i = sigmoid(ae[k]);
        const float o = sigmoid(ae[H + k]);
        const float f = sigmoid(ae[2 * H + k]);
        const float g = std::tanh(ae[3 * H + k]);
        ae[k] = i;
        ae[H + k] = o;
        ae[2 * H + k] = f;
        ae[3 * H + k] = g;
        const float c = f * cp[e * H + k] + i * g;
        cn[e * H + k] = c;
        hn[e * H + k] = o * std::tanh(c);
      }
    }
  }
  FcGeometry fc{.in = H, .out = C, .trans_b = true};
  fc_forward(fc, last_hidden(), params_[kFcW].value.data<float>(),
             params_[kFcB].value.data<float>(), n, logits_.data());
  return logits_.data();
}

const float* LstmClassifier::last_hidden() const {
  return h_.data() + shape_.steps * n_ * shape_.hidden;
}

void LstmClassifier::backward(const float* dlogits, float* input_grad) {
  const int64_t T = shape_.steps, I = shape_.input, H = shape_.hidden, C = shape_.classes;
  const int64_t G = 4 * H, n = n_;
  for (Parameter& p : params_) std::fill(p.grad.begin(), p.grad.end(), 0.0f);
  const float* W = params_[kW].value.data<float>();
  const float* R = params_[kR].value.data<float>();
  std::vector<float> dh(sz(n * H)), dc(sz(n * H), 0.0f), da(sz(n * G));
  FcGeometry fc{.in = H, .out = C, .trans_b = true};
  fc_backward(fc, last_hidden(), params_[kFcW].value.data<float>(), dlogits, n,
              params_[kFcW].grad.data(), params_[kFcB].grad.data(), dh.data());
  float* dW = params_[kW].grad.data();
  float* dR = params_[kR].grad.data();
  float* dB = params_[kB].grad.data();
  for (int64_t t = T - 1; t >= 0; --t) {
    const float* a = act_.data() + t * n * G;
    const float* cp = c_.data() + t * n * H;
    const float* cn = c_.data() + (t + 1) * n * H;
    for (int64_t e = 0; e < n; ++e) {
      const float* ae = a + e * G;
      float* de = da.data() + e * G;
      for (int64_t k = 0; k < H; ++k) {
        const size_t s = sz(e * H + k);
        const float i = ae[k], o = ae[H + k], f = ae[2 * H + k], g = ae[3 * H + k];
        const float tc = std::tanh(cn[s]);
        const float d_o = dh[s] * tc;
        const float dcs = dc[s] + dh[s] * o * (1.0f - tc * tc);
        de[k] = dcs * g * i * (1.0f - i);                 // a_i
        de[H + k] = d_o * o * (1.0f - o);                 // a_o
        de[2 * H + k] = dcs * cp[s] * f * (1.0f - f);     // a_f
        de[3 * H + k] = dcs * i * (1.0f - g * g);         // a_c
        dc[s] = dcs * f;                                  // into c_{t-1}
      }
      for (int64_t j = 0; j < G; ++j) dB[j] += de[j];
    }
    blas::sgemm(Trans::kYes, Trans::kNo, to_int(G), to_int(I), to_int(n), 1.0f, da.data(),
                to_int(G), x_.data() + t * I, to_int(T * I), 1.0f, dW, to_int(I));
    blas::sgemm(Trans::kYes, Trans::kNo, to_int(G), to_int(H), to_int(n), 1.0f, da.data(),
                to_int(G), h_.data() + t * n * H, to_int(H), 1.0f, dR, to_int(H));
    if (input_grad != nullptr)
      blas::sgemm(Trans::kNo, Trans::kNo, to_int(n), to_int(I), to_int(G), 1.0f, da.data(),
                  to_int(G), W, to_int(I), 0.0f, input_grad + t * I, to_int(T * I));
    // dh_{t-1} = da · R (h_0 is a constant, so step 0's is not needed).
    if (t > 0)
      blas::sgemm(Trans::kNo, Trans::kNo, to_int(n), to_int(H), to_int(G), 1.0f, da.data(),
                  to_int(G), R, to_int(H), 0.0f, dh.data(), to_int(H));
  }
  // Wb and Rb enter the pre-activation as a sum: the same gradient.
  std::copy(dB, dB + G, dB + G);
}

Result<ir::Graph> LstmClassifier::to_graph(int64_t batch) const {
  if (batch <= 0) return invalid_argument("LSTM graph: batch {} must be positive", batch);
  ir::Graph g;
  g.name = "lstm-classifier";
  ir::Node in;
  in.op = ir::OpKind::kInput;
  in.name = "input";
  in.outputs = {"input"};
  in.attrs["shape"] = std::vector<int64_t>{batch, shape_.steps, shape_.input};
  in.attrs["dtype"] = static_cast<int64_t>(DType::kF32);
  g.nodes.push_back(std::move(in));
  ir::Node lstm;
  lstm.op = ir::OpKind::kLSTM;
  lstm.name = "lstm";
  lstm.inputs = {"input", params_[kW].name, params_[kR].name, params_[kB].name};
  lstm.outputs = {"lstm.Y", "lstm.Y_h"};
  lstm.attrs["hidden_size"] = shape_.hidden;
  lstm.attrs["layout"] = int64_t{1};
  g.nodes.push_back(std::move(lstm));
  ir::Node flat;
  flat.op = ir::OpKind::kFlatten;
  flat.name = "flatten";
  flat.inputs = {"lstm.Y_h"};
  flat.outputs = {"flatten"};
  flat.attrs["axis"] = int64_t{1};
  g.nodes.push_back(std::move(flat));
  ir::Node fc;
  fc.op = ir::OpKind::kFullyConnected;
  fc.name = "fc";
  fc.inputs = {"flatten", params_[kFcW].name, params_[kFcB].name};
  fc.outputs = {"fc"};
  g.nodes.push_back(std::move(fc));
  g.outputs = {"fc"};
  for (const Parameter& p : params_) g.initializers.emplace(p.name, p.value.clone());
  SIEVE_RETURN_IF_ERROR(ir::infer_shapes(g));
  return g;
}

Status LstmClassifier::check_data(const char* what, const Tensor& seq, size_t labels) const {
  const int64_t per = shape_.steps * shape_.input;
  const int64_t N = seq.shape().empty() ? 0 : seq.shape()[0];
  if (seq.dtype() != DType::kF32 || N <= 0)
    return invalid_argument("LSTM {}: expected a non-empty f32 tensor [N, ...] of sequences", what);
  if (seq.numel() != N * per)
    return invalid_argument(
        "LSTM {}: each example holds {} values, but {} steps of {} inputs need {}: the data set "
        "does not fit the sequence length",
        what, seq.numel() / N, shape_.steps, shape_.input, per);
  if (static_cast<int64_t>(labels) != N)
    return invalid_argument("LSTM {}: {} sequences but {} labels", what, N, labels);
  return ok_status();
}

Status LstmClassifier::fit(const Tensor& seq, std::span<const uint8_t> labels,
                           const LstmFitOptions& opt, std::span<const uint8_t* const> masks) {
  if (Status s = check_data("fit", seq, labels.size()); !s.ok()) return s;
  if (opt.batch <= 0 || opt.epochs <= 0)
    return invalid_argument("LSTM fit: batch {} and epochs {} must be positive", opt.batch,
                            opt.epochs);
  for (uint8_t y : labels)
    if (y >= shape_.classes)
      return invalid_argument("LSTM fit: label {} is not below the {} classes", y, shape_.classes);
  const int64_t N = seq.shape()[0], per = shape_.steps * shape_.input, C = shape_.classes;
  std::vector<int64_t> order(sz(N));
  std::iota(order.begin(), order.end(), 0);
  std::mt19937_64 rng(opt.seed);
  Sgd sgd(opt.sgd);
  const int64_t batches = (N + opt.batch - 1) / opt.batch;
  std::vector<float> xb, dlogits;
  std::vector<uint8_t> yb;
  const float* x = seq.data<float>();
  for (int e = 0; e < opt.epochs; ++e) {
    std::shuffle(order.begin(), order.end(), rng);
    double loss_sum = 0.0;
    for (int64_t bi = 0; bi < batches; ++bi) {
      const int64_t start = bi * opt.batch;
      const int64_t m = std::min(opt.batch, N - start);
      xb.resize(sz(m * per));
      yb.resize(sz(m));
      for (int64_t i = 0; i < m; ++i) {
        const int64_t src = order[sz(start + i)];
        std::memcpy(xb.data() + i * per, x + src * per, sizeof(float) * sz(per));
        yb[sz(i)] = labels[sz(src)];
      }
      const float* logits = forward(xb.data(), m);
      dlogits.resize(sz(m * C));
      loss_sum += softmax_cross_entropy(logits, yb.data(), m, C, dlogits.data(), nullptr) *
                  static_cast<double>(m);
      backward(dlogits.data());
      if (opt.clip_norm > 0) {
        double norm2 = 0.0;
        for (const Parameter& p : params_)
          for (float g : p.grad) norm2 += static_cast<double>(g) * g;
        const double norm = std::sqrt(norm2);
        if (norm > opt.clip_norm) {
          const float scale = static_cast<float>(opt.clip_norm / norm);
          for (Parameter& p : params_)
            for (float& g : p.grad) g *= scale;
        }
      }
      const double lr = opt.lr.lr_at(e + static_cast<double>(bi) / static_cast<double>(batches),
                                     opt.epochs);
      sgd.step(params_, lr, masks);
    }
    if (opt.epoch_loss != nullptr) opt.epoch_loss->push_back(loss_sum / static_cast<double>(N));
  }
  return ok_status();
}

Result<LstmEval> LstmClassifier::evaluate(const Tensor& seq, std::span<const uint8_t> labels,
                                          int64_t batch) {
  if (Status s = check_data("evaluate", seq, labels.size()); !s.ok()) return s;
  if (batch <= 0) return invalid_argument("LSTM evaluate: batch {} must be positive", batch);
  const int64_t N = seq.shape()[0], per = shape_.steps * shape_.input, C = shape_.classes;
  double loss = 0.0;
  int64_t correct = 0;
  for (int64_t start = 0; start < N; start += batch) {
    const int64_t m = std::min(batch, N - start);
    const float* logits = forward(seq.data<float>() + start * per, m);
    loss += softmax_cross_entropy(logits, labels.data() + start, m, C, nullptr, &correct) *
            static_cast<double>(m);
  }
  LstmEval ev;
  ev.loss = loss / static_cast<double>(N);
  ev.error = 1.0 - static_cast<double>(correct) / static_cast<double>(N);
  return ev;
}

}  // namespace sieve::train
