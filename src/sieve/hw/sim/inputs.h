// What the simulation commands simulate: a compressed model (a .sieve file, a thesis benchmark
// "thesis:<name>", or a dense zoo/ONNX model with nothing pruned) and its activations (real
// inputs from a dataset's test split, or synthetic at a density).
//
// The thesis benchmarks (hw/workloads/thesis.h) are the seven Table 3.3 networks with
// coarse-grained masks at the published sparsity; there is no ImageNet here, so their
// activations are synthetic at the published dynamic sparsity (Table 3.2).
//
// Thread-safety: reentrant.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "sieve/compress/model.h"
#include "sieve/core/status.h"
#include "sieve/hw/core/workload.h"

namespace sieve::hw {

struct WorkloadRequest {
  std::string model;     // .sieve path | "thesis:<name>" | "eie:all" / "eie:<eie-* names>" |
                         // zoo name | .onnx path
  std::string data;      // "" = synthetic activations; "fashion-mnist" = real test images
  std::string data_dir;  // dataset folder ("" = default)
  int64_t limit = 1;     // real data: the first N test images
  std::optional<double> input_density;  // synthetic: one density for every layer's input
  int64_t batch = 1;                    // synthetic: samples
  uint64_t seed = 1;
};

// True for "thesis:<name>".
bool is_thesis_benchmark(const std::string& model);

Result<compress::CompressedModel> load_compressed_model(const std::string& spec, uint64_t seed = 1);
// The model and its workload. Real data and a thesis benchmark cannot be combined (their input
// shapes differ): refused. A thesis benchmark without --input-density uses its published
// densities.
Result<Workload> make_workload(const WorkloadRequest& req,
                               compress::CompressedModel* model_out = nullptr);

// The first `limit` test images of a dataset, each reshaped to the graph's input shape.
Result<std::vector<Tensor>> dataset_samples(const ir::Graph& g, const std::string& data,
                                            const std::string& data_dir, int64_t limit,
                                            std::vector<uint8_t>* labels = nullptr);

}  // namespace sieve::hw
