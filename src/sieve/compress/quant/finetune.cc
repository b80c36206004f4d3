#include "sieve/compress/quant/finetune.h"

#include <algorithm>
#include <cmath>

#include "sieve/core/assert.h"

namespace sieve::compress::quant {

namespace {

// A quantized layer as the training hook sees it.
struct Tracked {
  CompressedLayer* layer = nullptr;
  size_t param = 0;                // index in the Trainer's parameters
  std::vector<int64_t> positions;  // kept positions, in code order
  std::vector<uint32_t> slot;      // per kept weight: its centroid's flat index
  std::vector<size_t> book_start;  // flat index of each region's first centroid
  std::vector<double> centroids;   // flat, region-major
  std::vector<double> velocity;
  // Ternary only: latent weights at the kept positions and the scales.
  std::vector<float> latent;
  double w_p = 0.0, w_n = 0.0;
};

std::vector<int64_t> kept_positions(const CompressedLayer& l) {
  std::vector<int64_t> p;
  const uint8_t* m = l.mask.empty() ? nullptr : l.mask.data<uint8_t>();
  for (int64_t i = 0; i < l.numel(); ++i) {
    if (m == nullptr || m[i] != 0) p.push_back(i);
  }
  return p;
}

Status check_options(const FinetuneOptions& o) {
  if (!(o.centroid_lr_scale >= 0.0)) {
    return invalid_argument("fine-tuning: centroid_lr_scale {} is negative", o.centroid_lr_scale);
  }
  if (!(o.centroid_momentum >= 0.0 && o.centroid_momentum < 1.0)) {
    return invalid_argument("fine-tuning: centroid_momentum {} (expected [0, 1))",
                            o.centroid_momentum);
  }
  return ok_status();
}

// Trainer over model.graph (weights decoded), masks of every pruned layer installed.
Result<std::unique_ptr<train::Trainer>> make_trainer(CompressedModel& model,
                                                     const FinetuneOptions& options) {
  SIEVE_RETURN_IF_ERROR(decode(model));
  SIEVE_ASSIGN_OR_RETURN(auto trainer, train::Trainer::create(model.graph, options.trainer));
  std::map<std::string, Tensor> masks;
  for (const CompressedLayer& l : model.layers) {
    if (!l.mask.empty()) masks[l.weight] = l.mask.reshaped(l.shape);
  }
  SIEVE_RETURN_IF_ERROR(trainer->set_masks(std::move(masks)));
  return trainer;
}

Result<size_t> param_index(train::Trainer& trainer, const std::string& name) {
  auto& params = trainer.network().parameters();
  for (size_t i = 0; i < params.size(); ++i) {
    if (params[i].name == name) return i;
  }
  return invalid_argument("compressed layer '{}' is not a trained parameter of the graph", name);
}

// Copies the trained weights back: graph initializers, unquantized layers' values.
Status write_back(CompressedModel& model, train::Trainer& trainer) {
  SIEVE_RETURN_IF_ERROR(trainer.write_weights(model.graph));
  for (CompressedLayer& l : model.layers) {
    if (l.bits != 0) continue;
    const Tensor& w = model.graph.initializers.at(l.weight);
    const float* p = w.data<float>();
    l.values.clear();
    for (int64_t i : kept_positions(l)) l.values.push_back(p[i]);
  }
  return decode(model);
}

bool is_ternary(const CompressedLayer& l) {
  return l.bits == 2 && l.codebooks.size() == 1 && l.codebooks[0].size() == 3 &&
         l.codebooks[0][1] == 0.0f && l.codebooks[0][0] <= 0.0f && l.codebooks[0][2] >= 0.0f;
}

// Tracks every quantized layer accepted by `take` for centroid fine-tuning.
template <typename Take>
Result<std::vector<Tracked>> track_centroids(CompressedModel& model, train::Trainer& trainer,
                                             Take take) {
  std::vector<Tracked> tracked;
  for (CompressedLayer& l : model.layers) {
    if (l.bits == 0 || !take(l)) continue;
    Tracked t;
    t.layer = &l;
    SIEVE_ASSIGN_OR_RETURN(t.param, param_index(trainer, l.weight));
    t.positions = kept_positions(l);
    SIEVE_ASSERT(t.positions.size() == l.codes.size(), "layer {}: {} codes for {} kept", l.weight,
                 l.codes.size(), t.positions.size());
    for (const auto& book : l.codebooks) {
      t.book_start.push_back(t.centroids.size());
      t.centroids.insert(t.centroids.end(), book.begin(), book.end());
    }
    t.velocity.assign(t.centroids.size(), 0.0);
    const int64_t cols = l.cols();
    t.slot.resize(t.positions.size());
    for (size_t k = 0; k < t.positions.size(); ++k) {
      const int64_t p = t.positions[k];
      t.slot[k] = static_cast<uint32_t>(
          t.book_start[static_cast<size_t>(l.region_of(p / cols, p % cols))] + l.codes[k]);
    }
    tracked.push_back(std::move(t));
  }
  return tracked;
}

// One centroid step: summed gradients per centroid, momentum, re-projection of the weights.
void centroid_step(std::vector<Tracked>& tracked, std::vector<train::Parameter>& params, double lr,
                   const FinetuneOptions& options, std::vector<double>& gsum) {
  for (Tracked& t : tracked) {
    train::Parameter& p = params[t.param];
    gsum.assign(t.centroids.size(), 0.0);
    for (size_t k = 0; k < t.positions.size(); ++k) {
      gsum[t.slot[k]] += p.grad[static_cast<size_t>(t.positions[k])];
    }
    for (size_t c = 0; c < t.centroids.size(); ++c) {
      t.velocity[c] = options.centroid_momentum * t.velocity[c] + gsum[c];
      t.centroids[c] -= lr * options.centroid_lr_scale * t.velocity[c];
    }
    float* w = p.value.data<float>();
    for (size_t k = 0; k < t.positions.size(); ++k) {
      w[t.positions[k]] = static_cast<float>(t.centroids[t.slot[k]]);
    }
  }
}

void store_centroids(std::vector<Tracked>& tracked) {
  for (Tracked& t : tracked) {
    for (size_t r = 0; r < t.layer->codebooks.size(); ++r) {
      auto& book = t.layer->codebooks[r];
      for (size_t c = 0; c < book.size(); ++c) {
        book[c] = static_cast<float>(t.centroids[t.book_start[r] + c]);
      }
    }
  }
}

}  // namespace

Result<train::FitSummary> finetune_centroids(CompressedModel& model, const Tensor& images,
                                             std::span<const uint8_t> labels,
                                             const FinetuneOptions& options,
                                             const train::ProgressCallback& progress) {
  SIEVE_RETURN_IF_ERROR(check_options(options));
  SIEVE_ASSIGN_OR_RETURN(auto trainer, make_trainer(model, options));
  SIEVE_ASSIGN_OR_RETURN(
      std::vector<Tracked> tracked,
      track_centroids(model, *trainer, [](const CompressedLayer&) { return true; }));
  train::FitOptions fit = options.fit;
  std::vector<double> gsum;
  fit.after_step = [&](std::vector<train::Parameter>& params, double lr) {
    centroid_step(tracked, params, lr, options, gsum);
  };
  SIEVE_ASSIGN_OR_RETURN(train::FitSummary summary, trainer->fit(images, labels, fit, progress));
  store_centroids(tracked);
  SIEVE_RETURN_IF_ERROR(write_back(model, *trainer));
  return summary;
}

Result<train::FitSummary> finetune_ternary(CompressedModel& model, const ir::Graph& dense,
                                           const Tensor& images, std::span<const uint8_t> labels,
                                           const FinetuneOptions& options,
                                           const train::ProgressCallback& progress) {
  SIEVE_RETURN_IF_ERROR(check_options(options));
  if (!(options.ternary_threshold >= 0.0 && options.ternary_threshold < 1.0)) {
    return invalid_argument("fine-tuning: ternary_threshold {} (expected [0, 1))",
                            options.ternary_threshold);
  }
  SIEVE_ASSIGN_OR_RETURN(auto trainer, make_trainer(model, options));
  std::vector<Tracked> tracked;
  for (CompressedLayer& l : model.layers) {
    if (!is_ternary(l)) continue;
    Tracked t;
    t.layer = &l;
    SIEVE_ASSIGN_OR_RETURN(t.param, param_index(*trainer, l.weight));
    t.positions = kept_positions(l);
    const Tensor* src = dense.initializer(l.weight);
    Tensor decoded;
    if (src == nullptr || src->shape() != l.shape || src->dtype() != DType::kF32) {
      SIEVE_ASSIGN_OR_RETURN(decoded, decode_layer(l));
      src = &decoded;
    }
    const float* s = src->data<float>();
    for (int64_t p : t.positions) t.latent.push_back(s[p]);
    t.w_n = -l.codebooks[0][0];
    t.w_p = l.codebooks[0][2];
    tracked.push_back(std::move(t));
  }
  const double thr = options.ternary_threshold;
  // Ternary codes from the latent weights, and the projected weights.
  auto project = [thr](Tracked& t, float* w) {
    double mx = 0.0;
    for (float x : t.latent) mx = std::max(mx, static_cast<double>(std::fabs(x)));
    const double delta = thr * mx;
    auto& codes = t.layer->codes;
    for (size_t k = 0; k < t.latent.size(); ++k) {
      const double x = t.latent[k];
      codes[k] = x > delta ? 2 : (x < -delta ? 0 : 1);
      if (w != nullptr) {
        w[t.positions[k]] = codes[k] == 2   ? static_cast<float>(t.w_p)
                            : codes[k] == 0 ? static_cast<float>(-t.w_n)
                                            : 0.0f;
      }
    }
  };
  {
    auto& params = trainer->network().parameters();
    for (Tracked& t : tracked) project(t, params[t.param].value.data<float>());
  }
  // The other quantized layers get centroid fine-tuning.
  SIEVE_ASSIGN_OR_RETURN(
      std::vector<Tracked> shared,
      track_centroids(model, *trainer, [](const CompressedLayer& l) { return !is_ternary(l); }));
  std::vector<double> gsum;
  train::FitOptions fit = options.fit;
  fit.after_step = [&](std::vector<train::Parameter>& params, double lr) {
    centroid_step(shared, params, lr, options, gsum);
    for (Tracked& t : tracked) {
      train::Parameter& p = params[t.param];
      double gp = 0.0, gn = 0.0;
      const auto& codes = t.layer->codes;
      for (size_t k = 0; k < t.positions.size(); ++k) {
        const double g = p.grad[static_cast<size_t>(t.positions[k])];
        double scale = 1.0;
        if (codes[k] == 2) {
          gp += g;
          scale = t.w_p;
        } else if (codes[k] == 0) {
          gn -= g;  // w = −W_n
          scale = t.w_n;
        }
        t.latent[k] -= static_cast<float>(lr * scale * g);
      }
      t.w_p = std::max(1e-8, t.w_p - lr * options.centroid_lr_scale * gp);
      t.w_n = std::max(1e-8, t.w_n - lr * options.centroid_lr_scale * gn);
      project(t, p.value.data<float>());
    }
  };
  SIEVE_ASSIGN_OR_RETURN(train::FitSummary summary, trainer->fit(images, labels, fit, progress));
  for (Tracked& t : tracked) {
    t.layer->codebooks = {{static_cast<float>(-t.w_n), 0.0f, static_cast<float>(t.w_p)}};
  }
  store_centroids(shared);
  SIEVE_RETURN_IF_ERROR(write_back(model, *trainer));
  return summary;
}

}  // namespace sieve::compress::quant
