// The compression pipeline behind `sieve compress`: load a model (a zoo name, trained first on
// the dataset and cached in ~/.cache/sieve keyed by model and seed, or an .onnx file) → prune
// with retraining (AGP steps, optional DSD) → quantize (k-means / local quantization / TTQ,
// centroid fine-tuning) → activation Q formats from calibration data → CompressedModel →
// the report (compress/report.h) → the .sieve container.
//
// Stages that a build does not provide yet are skipped and named in Report::notes; no
// number is ever invented for a skipped stage.
//
// Ownership: the result owns its model. Thread-safety: one pipeline per process at a time (it
// uses train::Trainer).
#pragma once

#include <cstdint>
#include <functional>
#include <string>

#include "sieve/compress/model.h"
#include "sieve/compress/recipe.h"
#include "sieve/compress/report.h"
#include "sieve/core/status.h"
#include "sieve/train/trainer.h"

namespace sieve::app {

struct PipelineOptions {
  std::string model;  // zoo name or .onnx file
  // "none": bookkeeping only (the model's synthetic weights, one-shot pruning to the targets,
  // quantization and coding; no training, no accuracy).
  std::string data = "fashion-mnist";
  std::string data_dir;  // "" = the dataset's default folder
  int64_t limit = -1;    // first N train and N test examples (tests, quick runs)
  // Validation examples held out from the end of the training set; -1 = the recipe's
  // `validation:` (Recipe::validation), 0 = none.
  int64_t validation = -1;
  std::string cache_dir;  // "" = $SIEVE_CACHE_DIR, else $XDG_CACHE_HOME/sieve, else ~/.cache/sieve
  bool use_cache = true;
  std::string out;       // .sieve file to write ("" = write nothing)
  int threads = 0;       // trainer threads (0 = default)
  // Plain progress lines ("prune fc1 step 2/4: sparsity 0.75, accuracy 88.1 %").
  std::function<void(const std::string&)> log;
  // Per-minibatch progress of every training run (for a progress bar on a tty).
  train::ProgressCallback progress;
};

struct PipelineResult {
  compress::CompressedModel model;
  compress::Report report;
  // Writing the .sieve file failed (the report is still complete otherwise).
  Status write_status;
};

Result<PipelineResult> run_pipeline(const compress::Recipe& recipe, const PipelineOptions& options);

// The cache file of a trained zoo model:
// <cache>/<model>-<data>-seed<seed>-e<epochs>[-limit<n>][-val<n>].onnx (a model trained with a
// validation split held out has not seen those examples, and is cached apart).
std::string dense_cache_path(const PipelineOptions& options, const std::string& model,
                             uint64_t seed, int epochs, int64_t validation = 0);

}  // namespace sieve::app
