// train::Trainer: trains the weights of an ir::Graph on a labelled image set with minibatch
// SGD and softmax cross-entropy, evaluates accuracy, and keeps pruned weights at zero through
// weight masks (the API the compression passes use to retrain after pruning).
//
//   SIEVE_ASSIGN_OR_RETURN(auto trainer, train::Trainer::create(graph));
//   SIEVE_RETURN_IF_ERROR(trainer->set_masks(masks));    // optional: {initializer -> u8 mask}
//   SIEVE_ASSIGN_OR_RETURN(auto summary, trainer->fit(train.images, train.labels, options));
//   SIEVE_ASSIGN_OR_RETURN(double acc, trainer->evaluate(test.images, test.labels));
//   SIEVE_RETURN_IF_ERROR(trainer->write_weights(graph));  // or use trainer->graph()
//
// Ownership: the Trainer owns a deep copy of the graph; graph() shows the current weights.
// Determinism: for the same graph, data, options and seed, fit() produces bit-identical weights
// as long as OpenBLAS runs with the same core type and thread count (its sgemm splits work
// between threads without changing the summation order for a fixed thread count; a different
// thread count or core type may round differently). Pin the count with
// OPENBLAS_NUM_THREADS (or runtime::blas::set_num_threads) to compare runs across machines.
// Thread-safety: none; one Trainer per thread (OpenBLAS itself uses its own threads).
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "sieve/core/status.h"
#include "sieve/core/tensor.h"
#include "sieve/ir/graph.h"
#include "sieve/train/network.h"
#include "sieve/train/sgd.h"

namespace sieve::train {

struct TrainerOptions {
  // Per-example input shape of the data, for graphs whose Input leaves dimensions unknown.
  Shape example_shape;
};

struct FitOptions {
  int epochs = 10;
  int64_t batch = 64;
  LrSchedule lr;
  SgdOptions sgd;
  uint64_t seed = 1;     // shuffling and dropout masks
  bool shuffle = true;   // reshuffle the examples every epoch
};

// Reported after every minibatch.
struct Progress {
  int epoch = 0;  // 1-based
  int epochs = 0;
  int64_t batch = 0;  // 1-based within the epoch
  int64_t batches = 0;
  double loss = 0.0;      // mean training loss over the epoch so far
  double accuracy = 0.0;  // training accuracy over the epoch so far (before each update)
  double lr = 0.0;
  double elapsed_seconds = 0.0;
  double eta_seconds = 0.0;  // estimate of the time left in fit()
  bool end_of_epoch = false;
};
using ProgressCallback = std::function<void(const Progress&)>;

struct EpochSummary {
  int epoch = 0;
  double loss = 0.0;
  double accuracy = 0.0;
  double lr = 0.0;  // at the end of the epoch
  double seconds = 0.0;
};

struct FitSummary {
  std::vector<EpochSummary> epochs;
  double seconds = 0.0;
};

class Trainer {
 public:
  static Result<std::unique_ptr<Trainer>> create(const ir::Graph& graph,
                                                 const TrainerOptions& options = {});

  // Installs keep-masks: {initializer name -> u8 tensor of the same shape, non-zero = keep}.
  // Every name must be a trained parameter. The masked weights are zeroed at once and stay
  // exactly zero through fit(). Replaces any previous masks.
  Status set_masks(std::map<std::string, Tensor> masks);
  void clear_masks() { masks_.clear(); }
  const std::map<std::string, Tensor>& masks() const { return masks_; }

  // Trains on images [N, example...] (f32) with labels [N] (< number of logits).
  Result<FitSummary> fit(const Tensor& images, std::span<const uint8_t> labels,
                         const FitOptions& options, const ProgressCallback& progress = {});
  // Top-1 accuracy in [0, 1] (inference mode: no dropout).
  Result<double> evaluate(const Tensor& images, std::span<const uint8_t> labels,
                          int64_t batch = 256);
  // Logits [N, classes] (inference mode).
  Result<Tensor> predict(const Tensor& images, int64_t batch = 256);

  // The graph with the current weights (the Trainer's own copy).
  const ir::Graph& graph() const { return graph_; }
  // Copies the current weights into `g`, which must have the same initializers (same names and
  // shapes) for every trained parameter.
  Status write_weights(ir::Graph& g) const;
  // Names of the trained initializers, in graph order.
  std::vector<std::string> parameter_names() const;
  Network& network() { return *net_; }

 private:
  Trainer() = default;
  Status check_data(const Tensor& images, std::span<const uint8_t> labels,
                    const char* what) const;
  void apply_masks();

  ir::Graph graph_;
  std::unique_ptr<Network> net_;
  std::map<std::string, Tensor> masks_;
};

}  // namespace sieve::train
