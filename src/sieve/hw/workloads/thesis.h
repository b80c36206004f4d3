// The thesis benchmarks: the seven networks of thesis Table 3.3 (AlexNet, VGG16, LeNet-5, the
// MLP LeNet-300-100, Cifar10 quick, ResNet-152 and the LSTM layer) as real CompressedModels with
// coarse-grained block masks at the published sparsity, and their workloads with synthetic
// activations at the published dynamic neuron sparsity (Table 3.2). There is no ImageNet (nor
// the thesis' trained weights) here: the masks keep the published number of blocks, chosen
// uniformly at random with a seeded generator, and the codes are random codes of the published
// width; only the statistics are the thesis', never the values.
//
// Every number comes from configs/benchmarks/thesis.yaml, each with its source: per layer type
// (conv, fc, lstm) the weight sparsity (Table 3.3; AlexNet per layer Table 3.5), the pruning
// block, the code width, the local-quantization region grid and the input density (1 − DNS,
// Table 3.2), with per-layer overrides; where the thesis is silent the file says "assumption".
// Also the six FC layers of thesis Table 5.2 (the comparison with EIE).
//
// Ownership: results own their data (zoo graphs are built without initialising weights: the
// compressed layers' initializers stay zero until compress::decode() fills them; the .sieve
// writer decodes on its own). Thread-safety: reentrant; the config file is read on each call.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "sieve/compress/model.h"
#include "sieve/core/status.h"
#include "sieve/hw/core/workload.h"

namespace sieve::hw {

// One compressed weight of a benchmark: the published figures used and what the seeded mask
// achieved.
struct ThesisLayer {
  std::string node;    // graph node
  std::string weight;  // initializer ("conv1.weight", "lstm.R", ...)
  std::string type;    // "conv", "fc", "lstm" (the Table 3.2/3.3 column it takes figures from)
  Shape shape;
  double sparsity = 0;                       // fraction of blocks pruned
  std::vector<int64_t> block;                // one entry per weight dimension
  int bits = 0;                              // code width
  int64_t region_rows = 1, region_cols = 1;  // local-quantization grid (compress/model.h)
  double coded_bits = 0;  // Table 3.5 bits per weight after Huffman (0 = not published)
  std::map<std::string, std::string> sources;  // field ("sparsity", "block", ...) -> citation

  // Filled by thesis_model: blocks in the grid (partial edge blocks included), blocks kept
  // (= round((1 − sparsity) · blocks)), weights kept.
  int64_t blocks = 0, kept_blocks = 0, kept = 0;
  double weight_sparsity() const;  // 1 − kept / numel (differs from `sparsity` by edge blocks)
};

struct ThesisBenchmark {
  std::string name;       // benchmark name = zoo name
  std::string zoo_model;  // zoo.def entry
  std::string description;
  std::vector<ThesisLayer> layers;  // every compressed weight, in graph order
  // Synthetic activation density of every workload layer's input, by workload layer name, and
  // the citation of each.
  std::map<std::string, double> input_density;
  std::map<std::string, std::string> density_sources;
};

// The seven names, in thesis Table 3.3 order: alexnet, vgg16, lenet5, lenet-300-100,
// cifar10-quick, resnet152, lstm.
std::vector<std::string> thesis_benchmarks();

// configs/benchmarks/thesis.yaml under hw::config_dir().
std::string thesis_config_path();

// Checks a benchmark config given as text, as every function below checks the file: keys,
// values, sources and an entry for every benchmark. `file` names it in errors.
Status check_thesis_config(const std::string& yaml, const std::string& file);
// The plan of a benchmark (figures resolved per layer; nothing drawn yet). Unknown names are
// refused listing the valid ones; config errors name the file, the field and the value.
Result<ThesisBenchmark> thesis_benchmark(const std::string& name);

// The benchmark as a CompressedModel: per compressed weight, exactly
// round((1 − sparsity) · blocks) blocks kept, chosen uniformly at random (seeded), and one
// random code of `bits` bits per kept weight over 2^bits-entry codebooks per region. `plan`
// (optional) receives the plan with the achieved counts. Metadata records the published
// figures ("thesis.<weight>.sparsity" = "0.911 (thesis Table 3.5)", ...).
Result<compress::CompressedModel> thesis_model(const std::string& name, uint64_t seed,
                                               ThesisBenchmark* plan = nullptr);

// One compressed weight drawn as thesis_model draws each of its weights: `l` gives node,
// weight, shape, sparsity, block (one entry per weight dimension, each <= its dimension; partial
// edge blocks count), bits and the region grid. Exactly round((1 − sparsity) · blocks) blocks are
// kept, chosen by selection sampling seeded by `seed` and l.weight; bits 1..16: one random code
// per kept weight over 2^bits-entry codebooks per region; bits 0: not quantized, the kept values
// stored as f32. Fills l.blocks, l.kept_blocks and l.kept. The library API (api/) draws the
// weights its descriptors declare with it, so a layer declared like a benchmark's gets the same
// mask.
Result<compress::CompressedLayer> draw_thesis_layer(ThesisLayer& l, uint64_t seed);

// The workload options of a benchmark: synthetic activations at the published densities.
Result<WorkloadOptions> thesis_workload_options(const std::string& name, uint64_t seed,
                                                int64_t batch);

// thesis_model + build_workload with thesis_workload_options; notes say what is synthetic.
Result<Workload> thesis_workload(const std::string& name, uint64_t seed, int64_t batch);

// Thesis Table 5.2 (comparison with EIE): AlexNet fc6/fc7/fc8 and VGG16 fc6/fc7/fc8 as one
// workload of six FC layers named "alexnet-fc6" ... "vgg16-fc8", weights at the thesis'
// compressed sparsity with its FC blocks, activations at EIE's densities (Han et al., ISCA
// 2016, Table III), batch 1.
Result<Workload> eie_fc_workload(uint64_t seed);

}  // namespace sieve::hw
