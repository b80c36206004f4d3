// The compression report: the SPEC Table 3.3 row (W_p, r_p, W_q, r_q, W_c, r_c, R(Irr),
// accuracy before and after) and the per-layer bookkeeping table (weights, density, bits per
// weight, weight bytes, index bytes; SPEC Table 3.5 and Deep Compression's tables), as text
// and as JSON.
//
// Headline: the written container's own bytes (filled from the file's section table after
// writing, app/pipeline.cc): dense bytes over the whole file (file_ratio) and over its weight
// and index sections, MASKS + CODEBOOKS + CODES + VALUES (sections_ratio) — the payloads that
// hold the weights and say where they are. The file's other sections (META, GRAPH with the
// biases and the network, LAYERS, ACTQ, STRUCTURE, the header and section table) only count in
// file_ratio; STRUCTURE records how the masks were made for the hardware models and is not
// needed to decode a weight (LAYERS' block is), so it is left out of the sections.
//
// Accounting (the rule the stage ratios follow): the dense size is 4 bytes per weight of every
// compressed layer. Each stage counts everything needed to decode the weights:
//   p (pruned):     4 bytes per kept weight + the smallest index (bit mask, relative index with
//                   fillers, CSR, CSC, COO; one bit per block for block-pruned layers), a
//                   relative index's fillers charged a 32-bit value each (Deep Compression);
//   q (quantized):  bits per kept code (fixed width) + codebooks (4 bytes per entry) + the
//                   smallest index, fillers charged a `bits`-bit code each;
//   c (stored):     exactly what the container writer stores for the layer
//                   (compress/coding/storage.h, the same function the writer calls): the
//                   MASKS payload as I_c; the CODES, CODEBOOKS and VALUES payloads as W_c
//                   (Huffman-coded codes and relative indices where the writer chooses them,
//                   i.e. where smaller and the recipe's coding.huffman is on). So
//                   W_c + I_c = the file's sections bytes, and ratio_c = sections_ratio
//                   (tests/compress/report_file_test.cc).
// ratio_x = dense bytes / stage bytes. Biases (and every other uncompressed tensor) are
// reported separately and never enter the stage ratios.
//
// Ownership: plain values. Thread-safety: pure functions.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "sieve/compress/model.h"
#include "sieve/core/status.h"

namespace sieve::compress {

// A layer's mask at reduced resolution, for a picture (sieve report): the layer's 2-D view
// (rows = shape[0], cols = the rest) cut into at most kMaskImageSide × kMaskImageSide cells of
// cell_rows × cell_cols weights (the last row and column of cells may be smaller), and the share
// of kept weights in each cell, row-major. A dense layer is all 1.
inline constexpr int64_t kMaskImageSide = 64;
struct MaskImage {
  int64_t view_rows = 0, view_cols = 0;  // the weights' 2-D view
  int64_t rows = 0, cols = 0;            // cells
  int64_t cell_rows = 0, cell_cols = 0;  // weights per cell
  std::vector<float> kept;               // rows * cols shares in [0, 1]
};
MaskImage mask_image(const CompressedLayer& layer);

// One step of the pruning schedule (compress/schedule/iterative.h): the sparsity over every
// pruned weight after the step, and the accuracy right after pruning and after retraining.
struct ScheduleStep {
  int step = 0;  // 1-based; the last may be the final retraining (no pruning)
  double sparsity = 0;
  double accuracy_pruned = 0;
  double accuracy = 0;
};

// Sizes of one layer, in bytes (each bit stream rounded up to whole bytes).
struct LayerSizes {
  std::string node;
  std::string weight;
  std::string kind;     // "fc", "conv", "lstm", ...
  int64_t weights = 0;  // dense count
  int64_t kept = 0;
  int bits = 0;         // quantization bits (0 = f32)
  int64_t regions = 1;
  std::vector<int64_t> block;

  double weight_bytes_p = 0;  // 4 * kept
  double index_bytes_p = 0;   // smallest index, fillers costing 32-bit values
  double weight_bytes_q = 0;  // ceil(bits * kept / 8) + codebooks
  double index_bytes_q = 0;   // smallest index, fillers costing `bits`-bit codes
  double weight_bytes_c = 0;  // stored: CODES + CODEBOOKS + VALUES payloads of the layer
  double index_bytes_c = 0;   // stored: the MASKS payload of the layer
  double codebook_bytes = 0;
  std::string index_format;   // the mask format the writer stores ("block-bitmask", ...)
  std::string code_format;    // the code format the writer stores ("huffman", "packed", "none")
  // Every index format with its total bytes (stream + fillers' codes), for the report.
  std::vector<std::pair<std::string, double>> index_candidates;
  MaskImage mask_image;

  double dense_bytes() const { return 4.0 * static_cast<double>(weights); }
  double density() const {
    return weights ? static_cast<double>(kept) / static_cast<double>(weights) : 0.0;
  }
  // Stored bits per kept weight in the final (coded) form, index and codebooks included.
  double bits_per_weight() const {
    return kept ? 8.0 * (weight_bytes_c + index_bytes_c) / static_cast<double>(kept) : 0.0;
  }
};

struct Report {
  std::string model;
  std::string recipe;
  std::vector<LayerSizes> layers;
  double dense_bytes = 0;  // 4 bytes per weight of the compressed layers
  double bias_bytes = 0;   // other parameters (biases, ...), f32, outside the ratios
  // SPEC Table 3.3 columns (bytes).
  double w_p = 0, i_p = 0, w_q = 0, i_q = 0, w_c = 0, i_c = 0;
  // Sparsity of the conv and of the FC/recurrent layers (weight-weighted); -1: none such.
  double sparsity_conv = -1, sparsity_fc = -1;
  double ratio_p = 0, ratio_q = 0, ratio_c = 0;
  double r_irr = -1;           // -1: not computed
  double accuracy_dense = -1;  // in [0, 1]; -1: not measured
  double accuracy = -1;
  // On the validation examples held out of the training set (Recipe::validation); -1: none.
  int64_t validation_examples = 0;
  double accuracy_val_dense = -1;
  double accuracy_val = -1;
  // The container (set_file_sections): the size of the file, each section's bytes in file
  // order, the weight and index sections' sum and the two ratios; -1 / empty: none made.
  int64_t file_bytes = -1;
  bool file_written = false;  // false: the bytes `--out` would write (serialised in memory)
  std::string file_path;
  std::vector<std::pair<std::string, int64_t>> sections;
  int64_t sections_bytes = -1;  // MASKS + CODEBOOKS + CODES + VALUES
  double file_ratio = 0, sections_ratio = 0;
  // The pruning schedule with retraining, step by step (empty without one), and the examples
  // its accuracies were measured on: "validation" or "test".
  std::vector<ScheduleStep> schedule;
  std::string schedule_scored_on;
  double seconds = 0;          // wall time of the whole pipeline
  std::vector<std::string> notes;  // stages skipped or not available, with the reason
};

// The sections counted as weights and index: MASKS, CODEBOOKS, CODES, VALUES.
bool is_weight_section(const std::string& name);

// Sizes of one compressed layer. `huffman`: the writer may Huffman-code codes and index
// (CompressedModel::entropy_coding).
Result<LayerSizes> measure_layer(const CompressedLayer& layer, const ir::Graph& graph,
                                 bool huffman);
// The per-layer sizes and the Table 3.3 columns of a model (bias bytes from the graph's
// parameters that are not compressed layers), the c stage as model.entropy_coding stores it.
// Accuracies, R(Irr) and the file stay unset.
Result<Report> make_report(const CompressedModel& model);
// Fills the file fields from a container's section table (name, bytes; in file order) and
// size: sections_bytes, file_ratio and sections_ratio against report.dense_bytes.
void set_file_sections(Report& report, std::vector<std::pair<std::string, int64_t>> sections,
                       int64_t file_bytes, bool written, const std::string& path);
// Fills the totals and ratios from report.layers (exposed for tests).
void sum_report(Report& report);

// Text: the file's ratios (whole file, weight and index sections) first, then the Table 3.3
// row, the per-layer table and the notes.
std::string format_report(const Report& report);
// JSON: file_ratio, sections_ratio, file_bytes, sections_bytes, sections {name: bytes},
// file_written, ratio_p, ratio_q, ratio_c, r_irr, accuracy_dense, accuracy, layers, and the
// byte totals.
nlohmann::json report_json(const Report& report);

}  // namespace sieve::compress
