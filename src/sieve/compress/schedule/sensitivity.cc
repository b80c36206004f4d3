#include "sieve/compress/schedule/sensitivity.h"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>

#include "sieve/compress/schedule/iterative.h"
#include "sieve/core/atomic_file.h"

namespace sieve::compress {

Result<std::vector<SensitivityPoint>> sensitivity_sweep(
    const ir::Graph& graph, const SensitivityOptions& options, const io::Dataset& test,
    const std::function<void(const SensitivityPoint&)>& progress) {
  for (double s : options.sparsities) {
    if (!(s >= 0.0 && s <= 1.0)) {
      return invalid_argument("sensitivity sparsity {} is outside [0, 1]", s);
    }
  }
  // The layers to sweep, as weight names in graph order.
  const auto prunable = prunable_weights(graph);
  std::vector<std::string> layers;
  for (const auto& [w, node] : prunable) {
    const bool wanted =
        options.layers.empty() ||
        std::find(options.layers.begin(), options.layers.end(), w) != options.layers.end() ||
        std::find(options.layers.begin(), options.layers.end(), node) != options.layers.end();
    if (wanted) layers.push_back(w);
  }
  for (const std::string& name : options.layers) {
    const bool known = std::any_of(prunable.begin(), prunable.end(), [&](const auto& p) {
      return p.first == name || p.second == name;
    });
    if (!known) {
      std::vector<std::string> names;
      for (const auto& [w, node] : prunable) names.push_back(fmt::format("{} ({})", node, w));
      return invalid_argument("unknown layer \"{}\" for the sensitivity sweep; prunable: {}", name,
                              fmt::join(names, ", "));
    }
  }
  // Per-layer overrides resolved to weight names.
  std::map<std::string, PruneSpec> overrides;
  for (const auto& [key, spec] : options.per_layer) {
    bool found = false;
    for (const auto& [w, node] : prunable) {
      if (key == w || key == node) {
        overrides[w] = spec;
        found = true;
      }
    }
    if (!found) return invalid_argument("unknown layer \"{}\" in sensitivity overrides", key);
  }

  train::TrainerOptions topt = options.trainer;
  if (topt.example_shape.empty() && test.images.rank() >= 2) {
    topt.example_shape = Shape(test.images.shape().begin() + 1, test.images.shape().end());
  }
  SIEVE_ASSIGN_OR_RETURN(auto trainer, train::Trainer::create(graph, topt));
  std::vector<SensitivityPoint> points;
  for (const std::string& w : layers) {
    train::Parameter* param = trainer->network().find_parameter(w);
    if (param == nullptr) {
      return failed_precondition("weight \"{}\" is not a trained parameter", w);
    }
    // The replicas share the parameter storage: edit it in place, restore it afterwards.
    const Tensor original = param->value.clone();
    auto it = overrides.find(w);
    PruneSpec spec = it != overrides.end() ? it->second : options.base;
    spec.quality = -1.0;
    for (double s : options.sparsities) {
      PruneSpec sp = spec;
      if (sp.method != "nm") sp.sparsity = s;
      SIEVE_ASSIGN_OR_RETURN(Tensor mask, prune(original, Tensor(), sp, w));
      std::copy(original.span<float>().begin(), original.span<float>().end(),
                param->value.data<float>());
      apply_mask(param->value, mask);
      SensitivityPoint p;
      p.layer = w;
      p.sparsity = s;
      p.achieved = mask_sparsity(mask);
      SIEVE_ASSIGN_OR_RETURN(p.accuracy,
                             trainer->evaluate(test.images, test.labels, options.eval_batch));
      if (progress) progress(p);
      points.push_back(p);
    }
    std::copy(original.span<float>().begin(), original.span<float>().end(),
              param->value.data<float>());
  }
  return points;
}

std::string sensitivity_csv(const std::vector<SensitivityPoint>& points) {
  std::string out = "layer,sparsity,accuracy\n";
  for (const SensitivityPoint& p : points) {
    out += fmt::format("{},{:.6f},{:.6f}\n", p.layer, p.achieved, p.accuracy);
  }
  return out;
}

Status write_sensitivity_csv(const std::string& path, const std::vector<SensitivityPoint>& points) {
  return write_file_atomic(path, sensitivity_csv(points));
}

}  // namespace sieve::compress
