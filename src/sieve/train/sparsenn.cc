#include "sieve/train/sparsenn.h"

#include <Eigen/Dense>
#include <Eigen/SVD>
#include <algorithm>
#include <cmath>
#include <cstring>
#include <numeric>
#include <random>

#include "sieve/train/layers.h"

namespace sieve::train {

const char* predictor_mode_name(PredictorMode m) {
  switch (m) {
    case PredictorMode::kNone: return "none";
    case PredictorMode::kSvd: return "svd";
    case PredictorMode::kEndToEnd: return "end-to-end";
  }
  return "?";
}

namespace {

Parameter make_param(std::string name, Shape shape, bool is_bias) {
  Parameter p;
  p.name = std::move(name);
  p.value = Tensor::zeros(DType::kF32, std::move(shape));
  p.grad.assign(static_cast<size_t>(p.value.numel()), 0.0f);
  p.is_bias = is_bias;
  return p;
}

float* f32(Parameter& p) { return p.value.data<float>(); }
const float* f32(const Parameter& p) { return p.value.data<float>(); }

// The value a graph node reads as its data input, skipping Flatten/Identity.
const ir::Node* producer(const ir::Graph& g, const std::string& value) { return g.producer(value); }

// The gate and the straight-through derivative shared by both gates: clamp((s + 1)/2, 0, 1)'.
float gate_value(Gate gate, float s) {
  if (gate == Gate::kHard) return s > 0.0f ? 1.0f : 0.0f;
  return std::clamp(0.5f * (s + 1.0f), 0.0f, 1.0f);
}
float gate_slope(float s) { return std::fabs(s) < 1.0f ? 0.5f : 0.0f; }

}  // namespace

Result<PredictedMlp> PredictedMlp::from_graph(const ir::Graph& graph) {
  PredictedMlp mlp;
  if (graph.outputs.size() != 1)
    return invalid_argument("SparseNN MLP \"{}\": needs exactly one output", graph.name);
  // Walk back from the output: [Softmax] <- FC <- (Relu <- FC)* <- Flatten <- Input.
  std::string v = graph.outputs[0];
  const ir::Node* n = producer(graph, v);
  if (n != nullptr && (n->op == ir::OpKind::kSoftmax || n->op == ir::OpKind::kLogSoftmax)) {
    v = n->inputs[0];
    n = producer(graph, v);
  }
  std::vector<MlpLayer> rev;
  bool expect_relu_before = false;
  while (n != nullptr) {
    if (n->op == ir::OpKind::kFullyConnected) {
      const Tensor* w = graph.initializer(n->inputs.size() > 1 ? n->inputs[1] : "");
      const Tensor* b = graph.initializer(n->inputs.size() > 2 ? n->inputs[2] : "");
      if (w == nullptr || w->dtype() != DType::kF32 || w->shape().size() != 2)
        return invalid_argument("SparseNN MLP: layer \"{}\" needs an f32 [out, in] weight",
                                n->name);
      MlpLayer L;
      L.name = n->name;
      L.out = w->shape()[0];
      L.in = w->shape()[1];
      L.hidden = expect_relu_before;
      L.w = make_param(n->inputs[1], {L.out, L.in}, false);
      std::memcpy(f32(L.w), w->data<float>(), sizeof(float) * static_cast<size_t>(w->numel()));
      L.b = make_param(b != nullptr ? n->inputs[2] : n->name + ".bias", {L.out}, true);
      if (b != nullptr) {
        if (b->numel() != L.out)
          return invalid_argument("SparseNN MLP: layer \"{}\": bias of {} values for {} outputs",
                                  n->name, b->numel(), L.out);
        std::memcpy(f32(L.b), b->data<float>(), sizeof(float) * static_cast<size_t>(L.out));
      }
      rev.push_back(std::move(L));
      v = n->inputs[0];
      n = producer(graph, v);
      expect_relu_before = false;
      if (n != nullptr && n->op == ir::OpKind::kRelu) {
        expect_relu_before = true;
        v = n->inputs[0];
        n = producer(graph, v);
        if (n == nullptr || n->op != ir::OpKind::kFullyConnected)
          return invalid_argument("SparseNN MLP: Relu \"{}\" must follow a FullyConnected",
                                  v);
      }
      continue;
    }
    if (n->op == ir::OpKind::kFlatten || n->op == ir::OpKind::kIdentity ||
        n->op == ir::OpKind::kReshape) {
      v = n->inputs[0];
      n = producer(graph, v);
      continue;
    }
    if (n->op == ir::OpKind::kInput) break;
    return invalid_argument("SparseNN MLP: node \"{}\" ({}) is not part of an MLP", n->name,
                            ir::op_name(n->op));
  }
  if (rev.empty()) return invalid_argument("SparseNN MLP \"{}\": no FullyConnected layer", graph.name);
  mlp.layers_.assign(std::make_move_iterator(rev.rbegin()), std::make_move_iterator(rev.rend()));
  for (size_t i = 1; i < mlp.layers_.size(); ++i) {
    if (mlp.layers_[i].in != mlp.layers_[i - 1].out)
      return invalid_argument("SparseNN MLP: layer \"{}\" takes {} inputs, \"{}\" gives {}",
                              mlp.layers_[i].name, mlp.layers_[i].in, mlp.layers_[i - 1].name,
                              mlp.layers_[i - 1].out);
  }
  return mlp;
}

PredictedMlp PredictedMlp::clone() const {
  PredictedMlp c;
  c.layers_ = layers_;
  c.preds_ = preds_;
  c.mode_ = mode_;
  for (MlpLayer& L : c.layers_) {
    L.w.value = L.w.value.clone();
    L.b.value = L.b.value.clone();
  }
  for (LowRankPredictor& P : c.preds_) {
    P.u.value = P.u.value.clone();
    P.v.value = P.v.value.clone();
    P.c.value = P.c.value.clone();
  }
  return c;
}

Status PredictedMlp::write_weights(ir::Graph& graph) const {
  for (const MlpLayer& L : layers_) {
    for (const Parameter* p : {&L.w, &L.b}) {
      auto it = graph.initializers.find(p->name);
      if (it == graph.initializers.end()) {
        if (p == &L.b) continue;  // a layer without bias keeps b = 0
        return not_found("SparseNN MLP: graph has no initializer \"{}\"", p->name);
      }
      if (it->second.numel() != p->value.numel())
        return invalid_argument("SparseNN MLP: initializer \"{}\" has {} values, not {}", p->name,
                                it->second.numel(), p->value.numel());
      std::memcpy(it->second.data<float>(), f32(*p),
                  sizeof(float) * static_cast<size_t>(p->value.numel()));
    }
  }
  return ok_status();
}

Status PredictedMlp::set_predictors(PredictorMode mode, int64_t rank) {
  if (mode == PredictorMode::kNone) {
    preds_.clear();
    mode_ = mode;
    return ok_status();
  }
  for (const MlpLayer& L : layers_) {
    if (!L.hidden) continue;
    const int64_t max_rank = std::min(L.in, L.out);
    if (rank <= 0 || rank > max_rank)
      return invalid_argument(
          "SparseNN predictor: rank {} for layer \"{}\" ({} x {}): the rank must be in [1, {}]",
          rank, L.name, L.out, L.in, max_rank);
  }
  preds_.clear();
  for (const MlpLayer& L : layers_) {
    if (!L.hidden) continue;
    LowRankPredictor P;
    P.rank = rank;
    P.u = make_param(L.name + ".predictor.u", {L.out, rank}, false);
    P.v = make_param(L.name + ".predictor.v", {rank, L.in}, false);
    P.c = make_param(L.name + ".predictor.c", {L.out}, true);
    preds_.push_back(std::move(P));
  }
  mode_ = mode;
  refresh_svd();
  return ok_status();
}

void PredictedMlp::refresh_svd() {
  using RowMat = Eigen::Matrix<float, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;
  size_t k = 0;
  for (MlpLayer& L : layers_) {
    if (!L.hidden || k >= preds_.size()) continue;
    LowRankPredictor& P = preds_[k++];
    Eigen::Map<const RowMat> w(f32(L.w), L.out, L.in);
    // Double precision: the leading singular vectors of a 1000 x 1000 matrix are cheap, and
    // float BDCSVD loses digits on the small singular values it does not need anyway.
    Eigen::BDCSVD<Eigen::MatrixXd> svd(w.cast<double>(), Eigen::ComputeThinU | Eigen::ComputeThinV);
    const int64_t r = P.rank;
    Eigen::Map<RowMat> u(f32(P.u), L.out, r);
    Eigen::Map<RowMat> v(f32(P.v), r, L.in);
    const Eigen::VectorXd sigma = svd.singularValues().head(r);
    u = (svd.matrixU().leftCols(r) * sigma.asDiagonal()).cast<float>();
    v = svd.matrixV().leftCols(r).transpose().cast<float>();
    std::memcpy(f32(P.c), f32(L.b), sizeof(float) * static_cast<size_t>(L.out));
  }
}

const float* PredictedMlp::forward(const float* x, int64_t n, Gate gate) {
  n_ = n;
  gate_ = gate;
  const size_t nl = layers_.size();
  acts_.resize(nl + 1);
  z_.resize(nl);
  t_.resize(nl);
  s_.resize(nl);
  p_.resize(nl);
  acts_[0].assign(x, x + n * layers_[0].in);
  size_t k = 0;
  for (size_t l = 0; l < nl; ++l) {
    const MlpLayer& L = layers_[l];
    std::vector<float>& z = z_[l];
    z.resize(static_cast<size_t>(n * L.out));
    fc_forward(FcGeometry{L.in, L.out, true, 1.0f, 1.0f}, acts_[l].data(), f32(L.w), f32(L.b), n,
               z.data());
    if (!L.hidden) {
      logits_ = z;
      continue;
    }
    std::vector<float>& a = acts_[l + 1];
    a.resize(z.size());
    for (size_t i = 0; i < z.size(); ++i) a[i] = z[i] > 0.0f ? z[i] : 0.0f;
    if (mode_ == PredictorMode::kNone) continue;
    const LowRankPredictor& P = preds_[k++];
    t_[l].resize(static_cast<size_t>(n * P.rank));
    s_[l].resize(z.size());
    p_[l].resize(z.size());
    fc_forward(FcGeometry{L.in, P.rank, true, 1.0f, 1.0f}, acts_[l].data(), f32(P.v), nullptr, n,
               t_[l].data());
    fc_forward(FcGeometry{P.rank, L.out, true, 1.0f, 1.0f}, t_[l].data(), f32(P.u), f32(P.c), n,
               s_[l].data());
    for (size_t i = 0; i < z.size(); ++i) {
      p_[l][i] = gate_value(gate, s_[l][i]);
      a[i] *= p_[l][i];
    }
  }
  return logits_.data();
}

void PredictedMlp::backward(const float* dlogits, float* input_grad) {
  const int64_t n = n_;
  for (Parameter* p : trainable()) std::fill(p->grad.begin(), p->grad.end(), 0.0f);
  if (mode_ != PredictorMode::kEndToEnd) {
    for (LowRankPredictor& P : preds_)
      for (Parameter* p : {&P.u, &P.v, &P.c}) std::fill(p->grad.begin(), p->grad.end(), 0.0f);
  }
  std::vector<float> g(dlogits, dlogits + n * layers_.back().out);  // d loss / d output of l
  std::vector<float> dz, da, ds, dt, da2;
  size_t k = preds_.size();
  for (size_t l = layers_.size(); l-- > 0;) {
    MlpLayer& L = layers_[l];
    const std::vector<float>& z = z_[l];
    dz.assign(z.size(), 0.0f);
    const bool gated = L.hidden && mode_ != PredictorMode::kNone;
    LowRankPredictor* P = gated ? &preds_[--k] : nullptr;
    if (!L.hidden) {
      dz = g;
    } else {
      for (size_t i = 0; i < z.size(); ++i) {
        const float pi = gated ? p_[l][i] : 1.0f;
        dz[i] = z[i] > 0.0f ? g[i] * pi : 0.0f;
      }
    }
    const bool need_dx = l > 0 || input_grad != nullptr;
    da.assign(static_cast<size_t>(n * L.in), 0.0f);
    fc_backward(FcGeometry{L.in, L.out, true, 1.0f, 1.0f}, acts_[l].data(), f32(L.w), dz.data(), n,
                L.w.grad.data(), L.b.grad.data(), need_dx ? da.data() : nullptr);
    if (gated && mode_ == PredictorMode::kEndToEnd) {
      // a' = p ∘ relu(z): d a'/d p = relu(z); d p / d s ≈ gate_slope(s) (straight-through).
      ds.assign(z.size(), 0.0f);
      const float pen = static_cast<float>(penalty_ / static_cast<double>(n));
      for (size_t i = 0; i < z.size(); ++i) {
        const float h = z[i] > 0.0f ? z[i] : 0.0f;
        ds[i] = (g[i] * h + pen) * gate_slope(s_[l][i]);
      }
      dt.assign(static_cast<size_t>(n * P->rank), 0.0f);
      fc_backward(FcGeometry{P->rank, L.out, true, 1.0f, 1.0f}, t_[l].data(), f32(P->u), ds.data(),
                  n, P->u.grad.data(), P->c.grad.data(), dt.data());
      da2.assign(da.size(), 0.0f);
      fc_backward(FcGeometry{L.in, P->rank, true, 1.0f, 1.0f}, acts_[l].data(), f32(P->v),
                  dt.data(), n, P->v.grad.data(), nullptr, need_dx ? da2.data() : nullptr);
      if (need_dx)
        for (size_t i = 0; i < da.size(); ++i) da[i] += da2[i];
    }
    if (l == 0) {
      if (input_grad != nullptr) std::copy(da.begin(), da.end(), input_grad);
    } else {
      g.swap(da);
    }
  }
}

std::vector<Parameter*> PredictedMlp::trainable() {
  std::vector<Parameter*> out;
  for (MlpLayer& L : layers_) {
    out.push_back(&L.w);
    out.push_back(&L.b);
  }
  if (mode_ == PredictorMode::kEndToEnd) {
    for (LowRankPredictor& P : preds_) {
      out.push_back(&P.u);
      out.push_back(&P.v);
      out.push_back(&P.c);
    }
  }
  return out;
}

Status PredictedMlp::fit(const Tensor& images, std::span<const uint8_t> labels,
                         const PredictorFitOptions& opt) {
  const int64_t N = images.shape().empty() ? 0 : images.shape()[0];
  const int64_t in0 = layers_.front().in;
  if (N <= 0 || images.numel() != N * in0 || static_cast<int64_t>(labels.size()) != N)
    return invalid_argument("SparseNN fit: {} images of {} values and {} labels for {} inputs", N,
                            N > 0 ? images.numel() / N : 0, labels.size(), in0);
  if (opt.batch <= 0 || opt.epochs <= 0)
    return invalid_argument("SparseNN fit: batch {} and epochs {} must be positive", opt.batch,
                            opt.epochs);
  const int64_t classes = layers_.back().out;
  penalty_ = opt.sparsity_penalty;
  std::vector<Parameter*> params = trainable();
  std::vector<std::vector<float>> velocity(params.size());
  for (size_t i = 0; i < params.size(); ++i) velocity[i].assign(params[i]->grad.size(), 0.0f);
  std::vector<int64_t> order(static_cast<size_t>(N));
  std::iota(order.begin(), order.end(), 0);
  std::mt19937_64 rng(opt.seed);
  const int64_t batches = (N + opt.batch - 1) / opt.batch;
  std::vector<float> xb, dlogits;
  std::vector<uint8_t> yb;
  const float* x = images.data<float>();
  for (int e = 0; e < opt.epochs; ++e) {
    if (mode_ == PredictorMode::kSvd) refresh_svd();
    std::shuffle(order.begin(), order.end(), rng);
    for (int64_t bi = 0; bi < batches; ++bi) {
      const int64_t start = bi * opt.batch;
      const int64_t m = std::min(opt.batch, N - start);
      xb.resize(static_cast<size_t>(m * in0));
      yb.resize(static_cast<size_t>(m));
      for (int64_t i = 0; i < m; ++i) {
        const int64_t src = order[static_cast<size_t>(start + i)];
        std::memcpy(xb.data() + i * in0, x + src * in0, sizeof(float) * static_cast<size_t>(in0));
        yb[static_cast<size_t>(i)] = labels[static_cast<size_t>(src)];
      }
      const float* logits = forward(xb.data(), m, Gate::kHard);
      dlogits.resize(static_cast<size_t>(m * classes));
      softmax_cross_entropy(logits, yb.data(), m, classes, dlogits.data(), nullptr);
      backward(dlogits.data());
      const double lr = opt.lr.lr_at(e + static_cast<double>(bi) / static_cast<double>(batches),
                                     opt.epochs);
      // The update rule of train::Sgd (sgd.h): g = grad + wd·w; v = μ·v + g; w -= lr·v.
      for (size_t i = 0; i < params.size(); ++i) {
        Parameter& p = *params[i];
        const double wd =
            (p.is_bias && !opt.sgd.decay_biases) ? 0.0 : opt.sgd.weight_decay;
        float* w = f32(p);
        std::vector<float>& v = velocity[i];
        for (size_t j = 0; j < v.size(); ++j) {
          const float gj = p.grad[j] + static_cast<float>(wd) * w[j];
          v[j] = static_cast<float>(opt.sgd.momentum) * v[j] + gj;
          w[j] -= static_cast<float>(lr) * v[j];
        }
      }
    }
  }
  if (mode_ == PredictorMode::kSvd) refresh_svd();
  return ok_status();
}

Result<MlpEval> PredictedMlp::evaluate(const Tensor& images, std::span<const uint8_t> labels,
                                       int64_t batch) {
  const int64_t N = images.shape().empty() ? 0 : images.shape()[0];
  const int64_t in0 = layers_.front().in;
  if (N <= 0 || images.numel() != N * in0 || static_cast<int64_t>(labels.size()) != N)
    return invalid_argument("SparseNN evaluate: {} images and {} labels for {} inputs", N,
                            labels.size(), in0);
  const int64_t classes = layers_.back().out;
  MlpEval ev;
  struct Count { double in_nz = 0, pred0 = 0, out0 = 0, relu0 = 0, missed = 0; };
  std::vector<Count> counts(layers_.size());
  int64_t correct = 0;
  const float* x = images.data<float>();
  for (int64_t start = 0; start < N; start += batch) {
    const int64_t m = std::min(batch, N - start);
    const float* logits = forward(x + start * in0, m, Gate::kHard);
    for (int64_t i = 0; i < m; ++i) {
      const float* row = logits + i * classes;
      const int64_t best = std::max_element(row, row + classes) - row;
      if (best == labels[static_cast<size_t>(start + i)]) ++correct;
    }
    for (size_t l = 0; l < layers_.size(); ++l) {
      if (!layers_[l].hidden) continue;
      Count& c = counts[l];
      for (float v : acts_[l]) c.in_nz += v != 0.0f ? 1 : 0;
      const std::vector<float>& z = z_[l];
      const bool gated = mode_ != PredictorMode::kNone;
      for (size_t i = 0; i < z.size(); ++i) {
        const bool pz = gated && p_[l][i] == 0.0f;
        c.pred0 += pz ? 1 : 0;
        c.out0 += acts_[l + 1][i] == 0.0f ? 1 : 0;
        c.relu0 += z[i] <= 0.0f ? 1 : 0;
        c.missed += (pz && z[i] > 0.0f) ? 1 : 0;
      }
    }
  }
  ev.error = 1.0 - static_cast<double>(correct) / static_cast<double>(N);
  size_t k = 0;
  for (size_t l = 0; l < layers_.size(); ++l) {
    const MlpLayer& L = layers_[l];
    if (!L.hidden) continue;
    HiddenLayerStats s;
    s.name = L.name;
    s.in = L.in;
    s.out = L.out;
    s.rank = mode_ != PredictorMode::kNone ? preds_[k++].rank : 0;
    const double outs = static_cast<double>(N * L.out);
    s.input_density = counts[l].in_nz / static_cast<double>(N * L.in);
    s.predicted_zero = counts[l].pred0 / outs;
    s.output_zero = counts[l].out0 / outs;
    s.relu_zero = counts[l].relu0 / outs;
    s.missed = counts[l].missed / outs;
    ev.layers.push_back(s);
  }
  return ev;
}

int64_t PredictedMlp::dense_macs() const {
  int64_t m = 0;
  for (const MlpLayer& L : layers_) m += L.in * L.out;
  return m;
}

int64_t PredictedMlp::predictor_macs() const {
  int64_t m = 0;
  size_t k = 0;
  for (const MlpLayer& L : layers_) {
    if (!L.hidden || k >= preds_.size()) continue;
    m += preds_[k++].rank * (L.in + L.out);
  }
  return m;
}

}  // namespace sieve::train
