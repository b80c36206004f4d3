// Default training settings per zoo model (the table `sieve train` uses when no flag overrides
// them) and the datasets the trainer knows by name.
//
// The defaults were chosen so that, on Fashion-MNIST, LeNet-300-100 reaches >= 89.0 % and
// LeNet-5 >= 90.5 % test accuracy (published references: 89.2-89.8 % and ~90-91.5 %) while
// LeNet-5 trains in a few minutes on two cores; docs/RESULTS.md records the measurements.
// Thread-safety: pure functions.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "sieve/core/status.h"
#include "sieve/io/datasets/fashion_mnist.h"
#include "sieve/train/trainer.h"

namespace sieve::train {

// The defaults for `model` (a zoo name; anything else gets the generic row).
FitOptions default_fit_options(const std::string& model);

// Datasets known by name: "fashion-mnist".
std::vector<std::string> known_datasets();
// Loads split "train" or "test" of dataset `name` from `dir` (empty: the dataset's default
// folder), keeping the first `limit` examples when limit >= 0. An unknown name is an error
// listing the known ones.
Result<io::Dataset> load_dataset(const std::string& name, const std::string& split,
                                 const std::string& dir = "", int64_t limit = -1);

}  // namespace sieve::train
