#include "sieve/train/trainer.h"

#include <fmt/format.h>

#include <chrono>
#include <cmath>
#include <cstring>
#include <random>
#include <thread>

#include "sieve/runtime/kernels/blas/blas.h"
#include "sieve/train/layers.h"

namespace sieve::train {

namespace {

using Clock = std::chrono::steady_clock;

double seconds_since(Clock::time_point t0) {
  return std::chrono::duration<double>(Clock::now() - t0).count();
}

// Uniform integer in [0, bound) from 64 random bits, without the modulo bias (Lemire's
// method); written out so results do not depend on the standard library's distributions.
uint64_t uniform_below(std::mt19937_64& rng, uint64_t bound) {
  unsigned __int128 m = static_cast<unsigned __int128>(rng()) * bound;
  uint64_t low = static_cast<uint64_t>(m);
  if (low < bound) {
    const uint64_t threshold = (0 - bound) % bound;
    while (low < threshold) {
      m = static_cast<unsigned __int128>(rng()) * bound;
      low = static_cast<uint64_t>(m);
    }
  }
  return static_cast<uint64_t>(m >> 64);
}

// Runs OpenBLAS on one thread while alive (the shards provide the parallelism), then restores
// the previous count. Nested guards are harmless.
class BlasSingleThread {
 public:
  BlasSingleThread() : saved_(runtime::blas::num_threads()) {
    if (saved_ != 1) runtime::blas::set_num_threads(1);
  }
  ~BlasSingleThread() {
    if (saved_ != 1) runtime::blas::set_num_threads(saved_);
  }
  BlasSingleThread(const BlasSingleThread&) = delete;
  BlasSingleThread& operator=(const BlasSingleThread&) = delete;

 private:
  int saved_;
};

// Start of shard k when m examples are split into s contiguous shards (the first m % s shards
// get one more).
int64_t shard_start(int64_t m, int s, int k) {
  const int64_t base = m / s;
  const int64_t extra = m % s;
  return k * base + std::min<int64_t>(k, extra);
}

}  // namespace

void Trainer::for_each_shard(const std::function<void(int)>& fn) {
  const int s = static_cast<int>(nets_.size());
  if (threads_ <= 1 || s == 1) {
    for (int k = 0; k < s; ++k) fn(k);
    return;
  }
  // Shard k runs on worker k % threads_; worker 0 is the calling thread.
  std::vector<std::thread> workers;
  for (int t = 1; t < threads_; ++t) {
    workers.emplace_back([&, t] {
      for (int k = t; k < s; k += threads_) fn(k);
    });
  }
  for (int k = 0; k < s; k += threads_) fn(k);
  for (std::thread& w : workers) w.join();
}

Result<std::unique_ptr<Trainer>> Trainer::create(const ir::Graph& graph,
                                                 const TrainerOptions& options) {
  if (options.shards < 1 || options.shards > 64) {
    return invalid_argument("shards {} is not in [1, 64]", options.shards);
  }
  if (options.threads < 0) return invalid_argument("threads {} is negative", options.threads);
  std::unique_ptr<Trainer> t(new Trainer());
  t->graph_ = graph.clone();
  NetworkOptions no;
  no.example_shape = options.example_shape;
  for (int k = 0; k < options.shards; ++k) {
    // Every replica holds Tensor handles to the same initializers of graph_.
    SIEVE_ASSIGN_OR_RETURN(std::unique_ptr<Network> net, Network::create(t->graph_, no));
    t->nets_.push_back(std::move(net));
  }
  const Network& net = *t->nets_[0];
  if (net.output_shape().size() != 1 || net.output_shape()[0] < 2) {
    return invalid_argument(
        "graph \"{}\": output \"{}\" has per-example shape {}; training needs "
        "class logits [classes]",
        graph.name, net.logits_name(), shape_str(net.output_shape()));
  }
  int threads = options.threads;
  if (threads == 0) {
    threads = std::max(1, static_cast<int>(std::thread::hardware_concurrency()));
  }
  t->threads_ = std::min(threads, options.shards);
  return t;
}

std::vector<std::string> Trainer::parameter_names() const {
  std::vector<std::string> names;
  for (const Parameter& p : nets_[0]->parameters()) names.push_back(p.name);
  return names;
}

Status Trainer::set_masks(std::map<std::string, Tensor> masks) {
  for (const auto& [name, mask] : masks) {
    const Parameter* p = nets_[0]->find_parameter(name);
    if (p == nullptr) {
      return invalid_argument("mask \"{}\": not a trained parameter; parameters: {}", name,
                              fmt::join(parameter_names(), ", "));
    }
    if (mask.dtype() != DType::kU8) {
      return invalid_argument("mask \"{}\": dtype {}, expected u8", name, dtype_name(mask.dtype()));
    }
    if (mask.shape() != p->value.shape()) {
      return invalid_argument("mask \"{}\": shape {} differs from the weight's {}", name,
                              shape_str(mask.shape()), shape_str(p->value.shape()));
    }
  }
  masks_ = std::move(masks);
  apply_masks();
  return ok_status();
}

void Trainer::apply_masks() {
  for (const auto& [name, mask] : masks_) {
    Parameter* p = nets_[0]->find_parameter(name);
    SIEVE_ASSERT(p != nullptr, "mask {} lost its parameter", name);
    float* w = p->value.data<float>();
    const uint8_t* m = mask.data<uint8_t>();
    for (int64_t k = 0; k < p->value.numel(); ++k) {
      if (m[k] == 0) w[k] = 0.0f;
    }
  }
}

Status Trainer::check_data(const Tensor& images, std::span<const uint8_t> labels,
                           const char* what) const {
  if (images.dtype() != DType::kF32 || images.rank() < 1) {
    return invalid_argument("{} images: expected f32 [N, ...], got {} {}", what,
                            dtype_name(images.dtype()), shape_str(images.shape()));
  }
  const int64_t n = images.dim(0);
  if (n == 0) return invalid_argument("{} set is empty", what);
  if (images.numel() / n != nets_[0]->input_numel()) {
    return invalid_argument(
        "{} images: {} values per example, the model input \"{}\" takes {} "
        "({})",
        what, images.numel() / n,
        graph_.input_names().empty() ? std::string("?") : graph_.input_names()[0],
        nets_[0]->input_numel(), shape_str(nets_[0]->input_shape()));
  }
  if (static_cast<int64_t>(labels.size()) != n) {
    return invalid_argument("{} set: {} images but {} labels", what, n, labels.size());
  }
  const int64_t classes = nets_[0]->output_shape()[0];
  for (size_t i = 0; i < labels.size(); ++i) {
    if (labels[i] >= classes) {
      return invalid_argument("{} set: label {} of example {} is out of range for {} classes", what,
                              labels[i], i, classes);
    }
  }
  return ok_status();
}

Result<FitSummary> Trainer::fit(const Tensor& images, std::span<const uint8_t> labels,
                                const FitOptions& opt, const ProgressCallback& progress) {
  SIEVE_RETURN_IF_ERROR(check_data(images, labels, "training"));
  if (opt.epochs < 0) return invalid_argument("epochs {} is negative", opt.epochs);
  if (opt.batch <= 0) return invalid_argument("batch size {} is not positive", opt.batch);
  if (!(opt.lr.base_lr > 0.0))
    return invalid_argument("learning rate {} is not positive", opt.lr.base_lr);

  const int64_t n = images.dim(0);
  const int64_t per = nets_[0]->input_numel();
  const int64_t classes = nets_[0]->output_shape()[0];
  const Tensor* teacher = opt.teacher_logits.get();
  if (teacher != nullptr) {
    if (teacher->dtype() != DType::kF32 || teacher->shape() != Shape{n, classes}) {
      return invalid_argument("teacher logits: shape [{}], expected [{}, {}] (f32, one row per "
                              "training image)",
                              fmt::join(teacher->shape(), ", "), n, classes);
    }
    if (!(opt.distill_alpha >= 0.0 && opt.distill_alpha <= 1.0)) {
      return invalid_argument("distillation alpha {} outside [0, 1]", opt.distill_alpha);
    }
    if (!(opt.distill_temperature > 0.0)) {
      return invalid_argument("distillation temperature {} is not positive",
                              opt.distill_temperature);
    }
  }
  const int64_t batch = std::min(opt.batch, n);
  const int64_t batches = (n + batch - 1) / batch;
  const int64_t total_steps = batches * opt.epochs;

  std::vector<const uint8_t*> mask_ptrs(nets_[0]->parameters().size(), nullptr);
  for (size_t i = 0; i < nets_[0]->parameters().size(); ++i) {
    auto it = masks_.find(nets_[0]->parameters()[i].name);
    if (it != masks_.end()) mask_ptrs[i] = it->second.data<uint8_t>();
  }
  apply_masks();

  BlasSingleThread blas_guard;
  Sgd sgd(opt.sgd);
  std::mt19937_64 rng(opt.seed);
  const int shards = static_cast<int>(nets_.size());
  for (int k = 0; k < shards; ++k) {
    nets_[static_cast<size_t>(k)]->reseed(opt.seed +
                                          0x9E3779B97F4A7C15ULL * static_cast<uint64_t>(k));
  }
  std::vector<int64_t> order(static_cast<size_t>(n));
  for (int64_t i = 0; i < n; ++i) order[static_cast<size_t>(i)] = i;
  std::vector<float> xb(static_cast<size_t>(batch * per));
  std::vector<uint8_t> yb(static_cast<size_t>(batch));
  std::vector<float> dlogits(static_cast<size_t>(batch * classes));
  std::vector<float> tb(teacher != nullptr ? static_cast<size_t>(batch * classes) : 0);
  std::vector<float> dkd(tb.size());
  std::vector<double> shard_loss(static_cast<size_t>(shards));
  std::vector<int64_t> shard_correct(static_cast<size_t>(shards));
  std::vector<Parameter>& params = nets_[0]->parameters();
  const float* src = images.data<float>();

  FitSummary summary;
  const auto t0 = Clock::now();
  int64_t step = 0;
  for (int epoch = 0; epoch < opt.epochs; ++epoch) {
    const auto te = Clock::now();
    if (opt.shuffle) {  // Fisher-Yates
      for (int64_t i = n - 1; i > 0; --i) {
        const int64_t j = static_cast<int64_t>(uniform_below(rng, static_cast<uint64_t>(i + 1)));
        std::swap(order[static_cast<size_t>(i)], order[static_cast<size_t>(j)]);
      }
    }
    double loss_sum = 0.0;
    int64_t correct = 0;
    int64_t seen = 0;
    double lr = opt.lr.lr_at(0.0, opt.epochs);
    for (int64_t b = 0; b < batches; ++b, ++step) {
      const int64_t start = b * batch;
      const int64_t m = std::min(batch, n - start);
      for (int64_t i = 0; i < m; ++i) {
        const int64_t idx = order[static_cast<size_t>(start + i)];
        std::memcpy(xb.data() + i * per, src + idx * per, sizeof(float) * static_cast<size_t>(per));
        yb[static_cast<size_t>(i)] = labels[static_cast<size_t>(idx)];
        if (teacher != nullptr) {
          std::memcpy(tb.data() + i * classes, teacher->data<float>() + idx * classes,
                      sizeof(float) * static_cast<size_t>(classes));
        }
      }
      for_each_shard([&](int k) {
        const int64_t s0 = shard_start(m, shards, k);
        const int64_t ms = shard_start(m, shards, k + 1) - s0;
        const size_t ks = static_cast<size_t>(k);
        shard_loss[ks] = 0.0;
        shard_correct[ks] = 0;
        if (ms == 0) return;
        Network& net = *nets_[ks];
        const float* logits = net.forward(xb.data() + s0 * per, ms, /*training=*/true);
        float* dl = dlogits.data() + s0 * classes;
        double shard_mean =
            softmax_cross_entropy(logits, yb.data() + s0, ms, classes, dl, &shard_correct[ks]);
        if (teacher != nullptr) {
          const double a = opt.distill_alpha;
          float* dk = dkd.data() + s0 * classes;
          const double kd = distillation_loss(logits, tb.data() + s0 * classes, ms, classes,
                                              opt.distill_temperature, dk);
          shard_mean = (1.0 - a) * shard_mean + a * kd;
          for (int64_t i = 0; i < ms * classes; ++i) {
            dl[i] = static_cast<float>((1.0 - a) * dl[i] + a * dk[i]);
          }
        }
        shard_loss[ks] = shard_mean * static_cast<double>(ms);
        // The loss is the mean over the whole minibatch, not over the shard.
        const float scale = static_cast<float>(ms) / static_cast<float>(m);
        for (int64_t i = 0; i < ms * classes; ++i) dl[i] *= scale;
        net.backward(dl);
      });
      double loss = 0.0;
      for (int k = 0; k < shards; ++k) {
        loss += shard_loss[static_cast<size_t>(k)];
        correct += shard_correct[static_cast<size_t>(k)];
      }
      loss /= static_cast<double>(m);
      if (!std::isfinite(loss)) {
        return failed_precondition(
            "training diverged at epoch {} batch {} (loss {}); lower the learning rate ({})",
            epoch + 1, b + 1, loss, lr);
      }
      // Sum the shard gradients into the first replica's, in shard order.
      for (int k = 1; k < shards; ++k) {
        if (shard_start(m, shards, k + 1) == shard_start(m, shards, k)) continue;
        std::vector<Parameter>& pk = nets_[static_cast<size_t>(k)]->parameters();
        for (size_t i = 0; i < params.size(); ++i) {
          float* __restrict g0 = params[i].grad.data();
          const float* __restrict gk = pk[i].grad.data();
          for (size_t j = 0; j < params[i].grad.size(); ++j) g0[j] += gk[j];
        }
      }
      lr = opt.lr.lr_at(static_cast<double>(step) / static_cast<double>(batches), opt.epochs);
      sgd.step(params, lr, mask_ptrs);
      if (opt.after_step) {
        opt.after_step(params, lr);
        apply_masks();  // whatever the hook wrote, pruned weights stay exactly zero
      }
      loss_sum += loss * static_cast<double>(m);
      seen += m;
      if (progress) {
        Progress p;
        p.epoch = epoch + 1;
        p.epochs = opt.epochs;
        p.batch = b + 1;
        p.batches = batches;
        p.loss = loss_sum / static_cast<double>(seen);
        p.accuracy = static_cast<double>(correct) / static_cast<double>(seen);
        p.lr = lr;
        p.elapsed_seconds = seconds_since(t0);
        const double done = static_cast<double>(step + 1);
        p.eta_seconds = p.elapsed_seconds / done * static_cast<double>(total_steps - step - 1);
        p.end_of_epoch = b + 1 == batches;
        progress(p);
      }
    }
    EpochSummary es;
    es.epoch = epoch + 1;
    es.loss = loss_sum / static_cast<double>(seen);
    es.accuracy = static_cast<double>(correct) / static_cast<double>(seen);
    es.lr = lr;
    es.seconds = seconds_since(te);
    summary.epochs.push_back(es);
  }
  summary.seconds = seconds_since(t0);
  return summary;
}

void Trainer::infer(const float* x, int64_t n, int64_t batch,
                    const std::function<void(int64_t, int64_t, const float*)>& sink) {
  BlasSingleThread blas_guard;
  const int shards = static_cast<int>(nets_.size());
  const int64_t per = nets_[0]->input_numel();
  std::vector<const float*> logits(static_cast<size_t>(shards));
  for (int64_t start = 0; start < n; start += batch) {
    const int64_t m = std::min(batch, n - start);
    for_each_shard([&](int k) {
      const int64_t s0 = shard_start(m, shards, k);
      const int64_t ms = shard_start(m, shards, k + 1) - s0;
      logits[static_cast<size_t>(k)] =
          ms == 0 ? nullptr
                  : nets_[static_cast<size_t>(k)]->forward(x + (start + s0) * per, ms,
                                                           /*training=*/false);
    });
    for (int k = 0; k < shards; ++k) {
      const int64_t s0 = shard_start(m, shards, k);
      const int64_t ms = shard_start(m, shards, k + 1) - s0;
      if (ms > 0) sink(start + s0, ms, logits[static_cast<size_t>(k)]);
    }
  }
}

Result<Tensor> Trainer::predict(const Tensor& images, int64_t batch) {
  if (images.dtype() != DType::kF32 || images.rank() < 1 || images.dim(0) == 0 ||
      images.numel() / images.dim(0) != nets_[0]->input_numel()) {
    return invalid_argument("predict: images {} {} do not fit the model input {}",
                            dtype_name(images.dtype()), shape_str(images.shape()),
                            shape_str(nets_[0]->input_shape()));
  }
  if (batch <= 0) return invalid_argument("batch size {} is not positive", batch);
  const int64_t n = images.dim(0);
  const int64_t classes = nets_[0]->output_numel();
  Tensor out(DType::kF32, {n, classes});
  float* dst = out.data<float>();
  infer(images.data<float>(), n, batch, [&](int64_t start, int64_t m, const float* logits) {
    std::memcpy(dst + start * classes, logits, sizeof(float) * static_cast<size_t>(m * classes));
  });
  return out;
}

Result<double> Trainer::evaluate(const Tensor& images, std::span<const uint8_t> labels,
                                 int64_t batch) {
  SIEVE_RETURN_IF_ERROR(check_data(images, labels, "evaluation"));
  if (batch <= 0) return invalid_argument("batch size {} is not positive", batch);
  const int64_t n = images.dim(0);
  const int64_t classes = nets_[0]->output_numel();
  int64_t correct = 0;
  infer(images.data<float>(), n, batch, [&](int64_t start, int64_t m, const float* logits) {
    for (int64_t i = 0; i < m; ++i) {
      const float* z = logits + i * classes;
      int64_t arg = 0;
      for (int64_t k = 1; k < classes; ++k) {
        if (z[k] > z[arg]) arg = k;
      }
      if (arg == labels[static_cast<size_t>(start + i)]) ++correct;
    }
  });
  return static_cast<double>(correct) / static_cast<double>(n);
}

Status Trainer::write_weights(ir::Graph& g) const {
  for (const Parameter& p : nets_[0]->parameters()) {
    auto it = g.initializers.find(p.name);
    if (it == g.initializers.end()) {
      return invalid_argument("graph \"{}\" has no initializer \"{}\" to receive trained weights",
                              g.name, p.name);
    }
    Tensor& dst = it->second;
    if (dst.dtype() != DType::kF32 || dst.shape() != p.value.shape()) {
      return invalid_argument(
          "initializer \"{}\" of graph \"{}\" is {} {}, trained weights are "
          "f32 {}",
          p.name, g.name, dtype_name(dst.dtype()), shape_str(dst.shape()),
          shape_str(p.value.shape()));
    }
  }
  for (const Parameter& p : nets_[0]->parameters()) {
    // A fresh tensor: `g` may share storage with other graphs (Tensor copies share).
    g.initializers[p.name] = p.value.clone();
  }
  return ok_status();
}

}  // namespace sieve::train
