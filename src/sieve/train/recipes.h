// Default training settings per zoo model (the table `sieve train` uses when no flag overrides
// them). The datasets known by name are io::known_datasets (io/datasets/dataset.h).
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
#include "sieve/train/trainer.h"

namespace sieve::train {

// The defaults for `model` (a zoo name; anything else gets the generic row).
FitOptions default_fit_options(const std::string& model);

}  // namespace sieve::train
