// Per-layer pruning sensitivity sweep (as Distiller's sensitivity analysis): each prunable
// layer alone is pruned to each sparsity of a list, with every other layer dense, and the
// network is evaluated without retraining. The result, as CSV "layer,sparsity,accuracy"
// (one row per layer and sparsity, layers in graph order, sparsities in list order, the
// sparsity as the achieved mask sparsity, accuracy a fraction in [0, 1], 6 decimals), guides
// the choice of per-layer targets.
// Thread-safety: none (uses a train::Trainer).
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <vector>

#include "sieve/compress/prune/prune.h"
#include "sieve/core/status.h"
#include "sieve/io/datasets/fashion_mnist.h"
#include "sieve/ir/graph.h"
#include "sieve/train/trainer.h"

namespace sieve::compress {

struct SensitivityOptions {
  std::vector<double> sparsities = {0.0, 0.5, 0.7, 0.8, 0.9, 0.95};
  // The method, block and criterion used for each layer (its sparsity is set per point);
  // per-layer overrides by weight or node name.
  PruneSpec base;
  std::map<std::string, PruneSpec> per_layer;
  std::vector<std::string> layers;  // weight or node names; empty = every prunable weight
  train::TrainerOptions trainer;
  int64_t eval_batch = 256;
};

struct SensitivityPoint {
  std::string layer;        // weight name
  double sparsity = 0.0;    // requested
  double achieved = 0.0;    // mask sparsity reached
  double accuracy = 0.0;
};

Result<std::vector<SensitivityPoint>> sensitivity_sweep(
    const ir::Graph& graph, const SensitivityOptions& options, const io::Dataset& test,
    const std::function<void(const SensitivityPoint&)>& progress = {});

// "layer,sparsity,accuracy\n" then one row per point.
std::string sensitivity_csv(const std::vector<SensitivityPoint>& points);
// Writes the CSV atomically (temporary file + rename).
Status write_sensitivity_csv(const std::string& path,
                             const std::vector<SensitivityPoint>& points);

}  // namespace sieve::compress
