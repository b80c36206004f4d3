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

#include "sieve/core/status.h"
#include "sieve/ir/op.h"

namespace sieve::compress {

// Pruning of one layer. `method` is one of prune_methods(): "none", "magnitude" (fine-grained,
// Han et al.: exact target sparsity, or threshold = quality × std when quality > 0), "block"
// (coarse-grained, SPEC §3.3.1), "nm" (N:M along the input channels), "filter" (whole output
// filters / neurons), "balanced" (ESE load-balance-aware: rows interleaved over `pes`
// processing elements, equal non-zeros per element).
struct PruneSettings {
  std::string method = "none";
  // One entry per weight dimension (FC [B_out, B_in]; conv [B_m, B_c, B_kh, B_kw]); shorter
  // lists are padded with 1. Empty = all 1.
  std::vector<int64_t> block;
  std::vector<int64_t> stride;  // empty = the block (non-overlapping)
  std::string criterion = "mean";  // "mean" | "max" (block criterion)
  double sparsity = 0.0;           // final target sparsity in [0, 1)
  double quality = 0.0;            // > 0: Han's threshold rule instead of a target (magnitude)
  int64_t n = 2, m = 4;            // N:M
  int64_t pes = 8;                 // balanced: processing elements
  // AGP (Zhu & Gupta): s_t = s_f + (s_i - s_f)(1 - t/steps)^3 for t = 1..steps; steps = 1 is
  // one-shot pruning to the target.
  double initial_sparsity = 0.0;
  int steps = 1;
  int retrain_epochs = -1;   // per prune step; -1: the recipe's retrain.epochs
  double retrain_lr = -1.0;  // -1: the recipe's retrain.lr
  // The keys given explicitly (for key-by-key overrides), e.g. {"method", "sparsity"}.
  std::set<std::string> given;
};

// Quantization of one layer: bits == 0 leaves the kept values f32.
struct QuantSettings {
  int bits = 0;
  int64_t region_rows = 1;  // local quantization grid over the 2-D view (1×1 = per layer)
  int64_t region_cols = 1;
  bool ttq = false;         // trained ternary quantization instead of k-means
  std::set<std::string> given;
};

struct Recipe {
  std::string path;  // the file it came from ("" when parsed from a string)
  std::string name;  // `name:` or the file stem
  std::string model;        // informative: the model it was written for ("" = any)
  std::string description;  // free text

  // Dense reference training (zoo models only). 0 / negative: the model's defaults
  // (train/recipes.h, the same as `sieve train`).
  int dense_epochs = 0;
  double dense_lr = 0.0;
  uint64_t seed = 1;

  // Retraining after each prune step.
  int retrain_epochs = 1;
  double retrain_lr = 0.005;
  int64_t batch = 64;
  double momentum = 0.9;
  double weight_decay = 0.0;

  // Pruning: op-kind defaults and per-node overrides.
  PruneSettings prune_fc;
  PruneSettings prune_conv;
  std::map<std::string, PruneSettings> prune_layers;

  // Quantization. Enabled unless `quant: {enabled: false}`; default bits FC 4, conv 8.
  bool quant_enabled = true;
  QuantSettings quant_fc;
  QuantSettings quant_conv;
  std::map<std::string, QuantSettings> quant_layers;
  int finetune_epochs = 1;     // centroid fine-tuning (summed gradients per centroid)
  double finetune_lr = 0.001;
  int64_t calibration_examples = 256;  // 16-bit activation Q formats; 0 = skip

  // Coding.
  bool huffman = true;

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

  // Resolved settings of one node: the op-kind default (FC for FullyConnected/MatMul/Gemm and
  // LSTM/GRU, conv for Conv), with the node's override applied key by key.
  PruneSettings prune_for(const std::string& node, ir::OpKind op) const;
  QuantSettings quant_for(const std::string& node, ir::OpKind op) const;
  // Node names used in `layers:` sections (to check them against a graph).
  std::vector<std::string> named_layers() const;
};

// The pruning methods a recipe may name.
const std::vector<std::string>& prune_methods();

// Parses a recipe from YAML text; `origin` names it in messages (a path or "<string>").
Result<Recipe> parse_recipe(const std::string& yaml, const std::string& origin = "<string>");
// Reads and parses a recipe file.
Result<Recipe> load_recipe(const std::string& path);

// The AGP sparsity targets of a schedule: steps values, the last equal to the final sparsity.
std::vector<double> agp_targets(double initial, double final_sparsity, int steps);

}  // namespace sieve::compress
