// Pruning schedules that retrain: iterative prune → retrain (Han et al. 2015; Cambricon-S
// §3.3.1) with per-layer PruneSpecs and the gradual AGP targets, and dense-sparse-dense (DSD,
// Han et al. 2017).
//
// prune_and_retrain: for iteration i = 1..iterations, every layer with a sparsity target is
// pruned to its AGP target for step i (agp.h; s_i = RetrainOptions::initial_sparsity, s_f = the
// layer's PruneSpec::sparsity, the last step reaching s_f exactly), quality-based layers are
// pruned with their threshold at every iteration, nm layers reach n:m at the first step (later
// steps change nothing); the masks (the previous iteration's masks always respected, so pruned
// blocks stay pruned and keep their shape) are installed in a train::Trainer, which retrains
// for epochs_per_iteration epochs with the small learning rate of `fit`; accuracy on `test`
// is measured after pruning and after retraining. final_epochs more epochs follow the last
// iteration. Each retraining run is one Trainer::fit call (its learning-rate schedule spans that
// run; the seed is offset by the step so every run shuffles differently). The graph's
// initializers are replaced by the retrained, masked weights.
//
// Layers are named by their weight initializer or by their node (FullyConnected, Conv, LSTM,
// GRU: the weight operand, input 1); the key "*" applies to every FullyConnected/Conv weight not
// named otherwise. Unknown names are errors listing the prunable weights.
//
// Ownership: results are values; `graph` is modified in place. Thread-safety: none (uses one
// Trainer, see train/trainer.h).
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <vector>

#include "sieve/compress/prune/prune.h"
#include "sieve/core/status.h"
#include "sieve/core/tensor.h"
#include "sieve/io/datasets/fashion_mnist.h"
#include "sieve/ir/graph.h"
#include "sieve/train/trainer.h"

namespace sieve::compress {

struct RetrainOptions {
  int iterations = 4;              // pruning steps (AGP n; Δt = one iteration)
  double initial_sparsity = 0.0;   // AGP s_i
  int epochs_per_iteration = 1;    // retraining after each pruning step (0: prune only)
  int final_epochs = 0;            // extra retraining after the last step
  train::FitOptions fit;           // learning rate, batch, SGD, seed (epochs are overridden)
  train::TrainerOptions trainer;
  int64_t eval_batch = 256;
};

struct IterationRecord {
  int iteration = 0;                     // 1-based; iterations + 1 for final_epochs
  std::map<std::string, double> sparsity;  // weight name -> mask sparsity after this step
  double accuracy_pruned = 0.0;          // right after pruning, before retraining
  double accuracy = 0.0;                 // after retraining
  double seconds = 0.0;
};

struct PruneResult {
  std::map<std::string, Tensor> masks;      // weight name -> u8 keep mask
  std::map<std::string, PruneSpec> specs;   // weight name -> resolved spec
  std::map<std::string, std::string> nodes; // weight name -> node using it
  std::vector<IterationRecord> iterations;
  double accuracy_dense = 0.0;  // before any pruning
  double accuracy = 0.0;        // at the end
  double seconds = 0.0;
};

struct ScheduleProgress {
  std::string stage;   // "evaluate", "prune", "retrain", "final", "redense"
  int iteration = 0;   // 1-based (0 before the first)
  int iterations = 0;
  const train::Progress* fit = nullptr;  // during retraining: the trainer's progress
  std::string message;                   // one line for logs (set at stage ends)
};
using ScheduleProgressCallback = std::function<void(const ScheduleProgress&)>;

// The weights of the nodes whose op's weight operand always holds a trained weight
// (FullyConnected, Conv, LSTM, GRU: ops.def's `fixed` column), when it is an initializer:
// weight name -> node name, in node order.
std::vector<std::pair<std::string, std::string>> prunable_weights(const ir::Graph& graph);

// Resolves per-layer keys (weight names, node names, "*") to weight name -> spec, validating
// each spec against its weight. Errors name the layer.
Result<std::map<std::string, PruneSpec>> resolve_layer_specs(
    const ir::Graph& graph, const std::map<std::string, PruneSpec>& per_layer);

// One pruning step of every layer (no retraining): layer targets from `targets` (weight name ->
// sparsity; absent: the spec's own), existing masks in `masks` (updated). Weights are not
// modified.
Status prune_step(const ir::Graph& graph, const std::map<std::string, PruneSpec>& specs,
                  const std::map<std::string, double>& targets,
                  std::map<std::string, Tensor>& masks);

Result<PruneResult> prune_and_retrain(ir::Graph& graph,
                                      const std::map<std::string, PruneSpec>& per_layer,
                                      const RetrainOptions& options, const io::Dataset& train,
                                      const io::Dataset& test,
                                      const ScheduleProgressCallback& progress = {});

struct DsdOptions {
  int dense_epochs = 0;    // optional initial dense training (0: the graph is already trained)
  train::FitOptions dense;
  RetrainOptions sparse;   // the sparse phase (prune_and_retrain)
  int redense_epochs = 1;  // re-dense phase: masks removed, pruned weights restart at zero
  train::FitOptions redense;  // a lower learning rate than the dense phase (DSD: 0.1×)
};

struct DsdResult {
  PruneResult sparse;
  double accuracy_dense = 0.0;    // after the dense phase
  double accuracy_sparse = 0.0;   // after the sparse phase
  double accuracy_redense = 0.0;  // after re-dense training
};

// Dense → sparse → dense: the graph ends with the re-dense weights.
Result<DsdResult> dense_sparse_dense(ir::Graph& graph,
                                     const std::map<std::string, PruneSpec>& per_layer,
                                     const DsdOptions& options, const io::Dataset& train,
                                     const io::Dataset& test,
                                     const ScheduleProgressCallback& progress = {});

}  // namespace sieve::compress
