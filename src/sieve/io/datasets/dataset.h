// Labelled image datasets: the Dataset type every trainer, evaluator and simulator reads, and
// the datasets known by name (`--data fashion-mnist`). The readers of the file formats live
// beside this file (fashion_mnist.h: the gzip IDX files).
// Ownership: results are plain values. Thread-safety: the functions share no state.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "sieve/core/status.h"
#include "sieve/core/tensor.h"

namespace sieve::io {

struct Dataset {
  Tensor images;                // f32 [N, 1, 28, 28], pixel / 255, in [0, 1]
  std::vector<uint8_t> labels;  // N class indices, each < num_classes
  int num_classes = 10;
};

// Datasets known by name: "fashion-mnist".
std::vector<std::string> known_datasets();
// Loads split "train" or "test" of dataset `name` from `dir` (empty: the dataset's default
// folder), keeping the first `limit` examples when limit >= 0. An unknown name is an error
// listing the known ones.
Result<Dataset> load_dataset(const std::string& name, const std::string& split,
                             const std::string& dir = "", int64_t limit = -1);

// Holds out the last `n` examples of `d` as a validation set: returns them and leaves the
// first size - n in `d`. 0 < n < size, else an error naming both numbers. (Fashion-MNIST's
// training file is not ordered by class; the tail is a fair sample of it.)
Result<Dataset> split_validation(Dataset& d, int64_t n);

}  // namespace sieve::io
