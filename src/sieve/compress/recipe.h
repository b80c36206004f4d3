// Compression recipes: the YAML file that drives `sieve compress` (docs/formats/recipe.md is
// the reference). A recipe names the pruning per layer (method, block shape, strides,
// criterion, target sparsity, the cubic AGP schedule of Zhu & Gupta, retraining epochs and
// learning rate), the quantization per layer (bits, local-quantization region grid, TTQ,
// centroid fine-tuning), the coding (Huffman on/off), and the optional DSD flow and
// sensitivity sweep. Per-layer settings come from the op-kind default (`fc:`, `conv:`) with a
// per-node override (`layers: {fc1: {...}}`) applied key by key.
//
// Every key is checked: an unknown key is refused with the file, the key path and the list of
// valid keys; a bad value names the field and the value.
//
// Ownership: plain values. Thread-safety: the functions share no state.
#pragma once

#include <cstdint>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "sieve/compress/prune/prune.h"
#include "sieve/core/status.h"
#include "sieve/ir/op.h"

namespace sieve::compress {

// Quantization of one layer: bits == 0 leaves the kept values f32.
struct QuantSettings {
  int bits = 0;
  int64_t region_rows = 1;  // local quantization grid over the 2-D view (1×1 = per layer)
  int64_t region_cols = 1;
  bool ttq = false;  // trained ternary quantization instead of k-means
  std::set<std::string> given;
};

inline QuantSettings quant_with_bits(int bits) {
  QuantSettings q;
  q.bits = bits;
  return q;
}

// The recipe section ("prune.<section>", "quant.<section>") whose defaults a node's weight
// takes, from its op's category (ops.def): "conv" for convolutions, "fc" for every other
// weighted op (FullyConnected, MatMul, LSTM, GRU).
std::string_view recipe_section(ir::OpKind op);

struct Recipe {
  std::string path;         // the file it came from ("" when parsed from a string)
  std::string name;         // `name:` or the file stem
  std::string model;        // informative: the model it was written for ("" = any)
  std::string description;  // free text

  // Dense reference training (zoo models only). 0 / negative: the model's defaults
  // (train/recipes.h, the same as `sieve train`).
  int dense_epochs = 0;
  double dense_lr = 0.0;
  uint64_t seed = 1;
  // Examples held out from the end of the training set as a validation set (0 = none): the
  // dense model, retraining, fine-tuning and calibration use the rest; every accuracy the
  // recipe's schedule measures (pruning steps, DSD, sensitivity) is taken on it, so a recipe
  // can be chosen without looking at the test set. `sieve compress --validation N` overrides.
  int64_t validation = 0;

  // Prune -> retrain schedule (one for all layers): `steps` pruning steps on the cubic AGP
  // ramp of Zhu & Gupta from `initial_sparsity` to each layer's target, `retrain_epochs`
  // epochs after each step, `final_epochs` after the last.
  int steps = 4;
  double initial_sparsity = 0.0;
  int retrain_epochs = 1;
  int final_epochs = 0;
  double retrain_lr = 0.005;
  // Learning-rate policy within each retraining run: "constant" or "cosine" (decay to zero
  // over the run's epochs, restarting at every pruning step).
  std::string retrain_schedule = "constant";
  int64_t batch = 64;
  double momentum = 0.9;
  double weight_decay = 0.0;

  // Pruning: op-kind defaults and per-node overrides, as the one settings type of the pruners
  // (compress/prune/prune.h), with the keys each gave in PruneSpec::given.
  PruneSpec prune_fc;
  PruneSpec prune_conv;
  std::map<std::string, PruneSpec> prune_layers;

  // Quantization. Enabled unless `quant: {enabled: false}`; default bits FC 4, conv 8.
  bool quant_enabled = true;
  QuantSettings quant_fc = quant_with_bits(4);
  QuantSettings quant_conv = quant_with_bits(8);
  std::map<std::string, QuantSettings> quant_layers;
  int finetune_epochs = 1;  // centroid fine-tuning (summed gradients per centroid)
  double finetune_lr = 0.001;
  int64_t calibration_examples = 256;  // 16-bit activation Q formats; 0 = skip

  // Coding.
  bool huffman = true;

  // Knowledge distillation (Hinton et al. 2015) in every retraining run (pruning steps, DSD,
  // centroid fine-tuning): the dense model is the teacher; the loss mixes the cross-entropy
  // with the labels and T² · KL to the teacher's softened outputs (train/trainer.h).
  bool distill = false;
  double distill_alpha = 0.5;
  double distill_temperature = 4.0;

  // Dense-sparse-dense (Han et al. 2017): after the sparse stage, retrain without masks for
  // dsd_dense_epochs at dsd_lr, then re-prune and retrain.
  bool dsd = false;
  int dsd_dense_epochs = 1;
  double dsd_lr = 0.001;

  // Per-layer sensitivity sweep (Distiller): prune one layer at a time to each sparsity, no
  // retraining, record the accuracy as CSV.
  bool sensitivity = false;
  std::vector<double> sensitivity_sparsities = {0.5, 0.7, 0.8, 0.9, 0.95};
  std::string sensitivity_csv;  // "" = <out>.sensitivity.csv

  // R(Irr) reference: "same-sparsity" (fine-grained magnitude masks of the dense weights at
  // each layer's final sparsity), "none", or a .sieve file (e.g. the Deep Compression result
  // of the same model, the thesis' "equal accuracy" comparison).
  std::string irregularity_reference = "same-sparsity";

  // Settings of one node: its recipe_section's default, with the node's override applied key
  // by key (PruneSpec::merged).
  // What the pruner runs with is its resolved().
  PruneSpec prune_for(const std::string& node, ir::OpKind op) const;
  QuantSettings quant_for(const std::string& node, ir::OpKind op) const;
  // Node names used in `layers:` sections (to check them against a graph).
  std::vector<std::string> named_layers() const;
};

// Parses a recipe from YAML text; `origin` names it in messages (a path or "<string>").
// `overrides` are "key.path=value" assignments (`sieve compress --set`) applied to the YAML
// tree before it is checked, so an overridden key is validated like one written in the file:
// "prune.fc.sparsity=0.85", "prune.layers.ip2.block=[8, 1]", "retrain.epochs=2". The path is
// split at dots; missing maps on the way are created; the value is parsed as YAML.
Result<Recipe> parse_recipe(const std::string& yaml, const std::string& origin = "<string>",
                            const std::vector<std::string>& overrides = {});
// Reads and parses a recipe file (with optional overrides, as parse_recipe).
Result<Recipe> load_recipe(const std::string& path, const std::vector<std::string>& overrides = {});

}  // namespace sieve::compress
