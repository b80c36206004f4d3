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
// Parallelism: every minibatch is split into TrainerOptions::shards fixed, contiguous shards,
// each run forward and backward by its own Network replica (the replicas share the weights);
// shard gradients are summed in shard order. The shards run on up to TrainerOptions::threads
// threads, and OpenBLAS is switched to one thread while fit/evaluate/predict run (its previous
// thread count is restored afterwards), so the cores go to the shards instead of to OpenBLAS's
// small, synchronisation-bound GEMMs.
// Determinism: for the same graph, data, options, seed and shard count, fit() produces
// bit-identical weights whatever the number of threads (the work of each shard and the order of
// the sums are fixed). A different OpenBLAS core type (kernel family) may round differently.
// Thread-safety: none; one Trainer at a time per process (OpenBLAS's thread count is global).
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
  // Minibatch shards (Network replicas). Part of the numerics: changing it changes rounding.
  int shards = 2;
  // Threads that run the shards; 0: min(shards, hardware threads). Does not change results.
  int threads = 0;
};

struct FitOptions {
  int epochs = 10;
  int64_t batch = 64;
  LrSchedule lr;
  SgdOptions sgd;
  uint64_t seed = 1;    // shuffling and dropout masks
  bool shuffle = true;  // reshuffle the examples every epoch
  // Called after every SGD step with the updated parameters (the minibatch's summed gradients
  // still in Parameter::grad) and the step's learning rate: lets a caller re-project weights,
  // e.g. fine-tuning the shared centroids of quantized layers. The keep-masks are re-applied
  // after it, so pruned weights stay exactly zero.
  std::function<void(std::vector<Parameter>& params, double lr)> after_step;
  // Knowledge distillation (Hinton et al. 2015): with a teacher's logits [N, classes] for the
  // training images (same order as the images given to fit), the loss is
  // (1 - distill_alpha) · cross-entropy(labels) + distill_alpha · T² · KL(softmax(teacher / T)
  // || softmax(student / T)), T = distill_temperature (train/layers.h, distillation_loss).
  std::shared_ptr<const Tensor> teacher_logits;
  double distill_alpha = 0.5;
  double distill_temperature = 4.0;
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
  // The first replica (its parameters are the ones SGD updates).
  Network& network() { return *nets_[0]; }
  int threads() const { return threads_; }

 private:
  Trainer() = default;
  Status check_data(const Tensor& images, std::span<const uint8_t> labels, const char* what) const;
  void apply_masks();
  // Runs fn(k) for every shard k, on up to threads_ threads.
  void for_each_shard(const std::function<void(int)>& fn);
  // Forward (inference) of n examples split over the replicas; calls sink(start, m, logits)
  // for each shard's slice in shard order.
  void infer(const float* x, int64_t n, int64_t batch,
             const std::function<void(int64_t, int64_t, const float*)>& sink);

  ir::Graph graph_;
  std::vector<std::unique_ptr<Network>> nets_;
  int threads_ = 1;
  std::map<std::string, Tensor> masks_;
};

}  // namespace sieve::train
