// The compression report: the SPEC Table 3.3 row (W_p, r_p, W_q, r_q, W_c, r_c, R(Irr),
// accuracy before and after) and the per-layer bookkeeping table (weights, density, bits per
// weight, weight bytes, index bytes; SPEC Table 3.5 and Deep Compression's tables), as text
// and as JSON.
//
// Accounting (the rule the ratios follow): the dense size is 4 bytes per weight of every
// compressed layer. Each stage counts everything needed to decode the weights:
//   p (pruned):     4 bytes per kept weight + the smallest index (bit mask, relative index with
//                   fillers, CSR, CSC, COO; one bit per block for block-pruned layers);
//   q (quantized):  bits per kept code (fixed width) + codebooks (4 bytes per entry) + index;
//   c (coded):      Huffman-coded codes + their coding tables + codebooks + the index
//                   (Huffman-coded when that is smaller).
// ratio_x = dense bytes / stage bytes. Biases (and every other uncompressed tensor) are
// reported separately and never enter the ratios.
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
  double weight_bytes_c = 0;  // Huffman codes + table + codebooks (= q when coding is off)
  double index_bytes_c = 0;   // index after entropy coding (= q when coding is off)
  double codebook_bytes = 0;
  std::string index_format;   // the format the coded index uses
  // Every index format with its total bytes (stream + fillers' codes), for the report.
  std::vector<std::pair<std::string, double>> index_candidates;

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
  int64_t file_bytes = -1;     // size of the written .sieve file; -1: none written
  double seconds = 0;          // wall time of the whole pipeline
  std::vector<std::string> notes;  // stages skipped or not available, with the reason
};

// Sizes of one compressed layer. `huffman`: entropy-code codes and index.
Result<LayerSizes> measure_layer(const CompressedLayer& layer, const ir::Graph& graph,
                                 bool huffman);
// The per-layer sizes and the Table 3.3 columns of a model (bias bytes from the graph's
// parameters that are not compressed layers). Accuracies, R(Irr) and file size stay unset.
Result<Report> make_report(const CompressedModel& model, bool huffman);
// Fills the totals and ratios from report.layers (exposed for tests).
void sum_report(Report& report);

// Text: the Table 3.3 row, then the per-layer table, then the notes.
std::string format_report(const Report& report);
// JSON: ratio_p, ratio_q, ratio_c, r_irr, accuracy_dense, accuracy, file_bytes, layers, and
// the byte totals.
nlohmann::json report_json(const Report& report);

}  // namespace sieve::compress
