// ESE (Han et al., FPGA 2017): load-balance-aware pruning of an LSTM with retraining, its
// linear fixed-point quantization, and the two figures the paper argues with — the load
// imbalance of the processing elements (PEs) and the compression ratio of the relative-index
// storage. The parameters below are ESE's as recalled (the paper was not reachable): K = 32
// PEs per channel, 12-bit weights, 4-bit relative indices, 88.8 % sparsity (density 0.112).
//
// The PE view of a matrix: the matrices are LSTM gate matrices W [4H, I] and R [4H, H] (their
// [1, 4H, ·] tensors read as 2-D, one row per gate unit); row r goes to PE r mod K, as the
// balanced pruner (compress/prune/prune.h, pass `balanced`) interleaves them. The sparse
// matrix-vector product is column-wise (each non-zero input x_j is broadcast and every PE
// multiplies its entries of column j), so a PE's share of a matrix is the K-th sub-matrix of
// rows, stored column-major as one stream of (weight, relative index) entries.
//
// Storage count (relative_index_count): in a PE's stream, an entry's index is the number of
// zeros since the previous stored entry (from the stream's start for the first); a run of z
// zeros before a non-zero needs floor(z / 2^index_bits) padding entries (a stored zero with the
// largest index: EIE's rule "more than 15 zeros: add a zero"), trailing zeros none. The stream
// runs on across column boundaries (a column's position follows from the accumulated indices),
// so no column pointers are counted. Bits = (non-zeros + padding) × (weight_bits + index_bits),
// summed over the PEs; the compression ratio is the dense f32 bits over that.
//
// Thread-safety: pure functions, except that prune_lstm and retrain_lstm modify the model they
// are given.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "sieve/core/status.h"
#include "sieve/core/tensor.h"
#include "sieve/train/lstm.h"

namespace sieve::compress {

// The non-zeros of each PE in the row-interleaved view of a rows × cols keep mask (non-zero =
// kept), and the imbalance: the worst PE's count over the mean PE's (1 = balanced; 1 for an
// all-zero mask). pes in [1, rows].
struct PeLoad {
  std::vector<int64_t> nonzeros;  // per PE
  int64_t worst = 0;
  double mean = 0.0;
  double imbalance = 1.0;  // worst / mean
};
Result<PeLoad> pe_load(std::span<const uint8_t> keep, int64_t rows, int64_t cols, int64_t pes);

// The relative-index storage of a rows × cols keep mask over `pes` PEs (header comment).
struct RelativeIndexCount {
  int64_t nonzeros = 0;
  int64_t padding = 0;  // padding entries for gaps longer than 2^index_bits − 1
  int64_t entries() const { return nonzeros + padding; }
  int64_t bits(int weight_bits, int index_bits) const {
    return entries() * (weight_bits + index_bits);
  }
};
Result<RelativeIndexCount> relative_index_count(std::span<const uint8_t> keep, int64_t rows,
                                                int64_t cols, int64_t pes, int index_bits);

// Linear symmetric fixed point of `bits` bits (2..16): step = max|w| / (2^(bits−1) − 1), every
// value rounded to the nearest multiple (zeros stay zero, so a pruned weight stays pruned).
// Returns the step (0 for an all-zero span). Not Sieve's k-means quantizer: ESE stores
// fixed-point weights, not codebook indices.
Result<float> quantize_linear(std::span<float> values, int bits);

// ---- the LSTM study --------------------------------------------------------------------------

// How the gate matrices W and R of an LstmClassifier are pruned. The fc layer and the biases
// are never pruned.
enum class LstmPruneMethod {
  kNone,        // dense
  kUnbalanced,  // magnitude pruning of each matrix to the density (pass `magnitude`)
  kBalanced,    // every PE keeps the same non-zeros of each matrix (pass `balanced`)
};
const char* lstm_prune_method_name(LstmPruneMethod m);  // "none", "unbalanced", "balanced"
// An unknown name is an error listing the known ones.
Result<LstmPruneMethod> parse_lstm_prune_method(const std::string& name);

// The keep masks of W and R (u8, the parameters' shapes); empty for kNone.
struct LstmMasks {
  Tensor w, r;
  // One entry per parameter of the model (LstmClassifier::parameters()), null where unmasked:
  // what LstmClassifier::fit takes.
  std::vector<const uint8_t*> per_parameter() const;
};

// Prunes W and R of `model` to `density` (in (0, 1]) with `method` over `pes` PEs (in [1, 4H]),
// keeping every weight `existing` already pruned (empty tensors: dense), and zeroes the pruned
// weights. Returns the new masks.
Result<LstmMasks> prune_lstm(train::LstmClassifier& model, LstmPruneMethod method, double density,
                             int64_t pes, const LstmMasks& existing = {});

// The figures of one pruned (or dense) model's W and R.
struct LstmMatrixStats {
  std::string name;  // "W", "R"
  int64_t rows = 0, cols = 0;
  double density = 1.0;
  PeLoad load;
  RelativeIndexCount storage;
};
struct LstmCompression {
  std::vector<LstmMatrixStats> matrices;  // W, R
  int64_t dense_bits = 0;                 // 32 × (W + R elements)
  int64_t compressed_bits = 0;  // sparse: relative-index bits; dense (no mask): weight_bits each
  double ratio = 1.0;           // dense_bits / compressed_bits
};
// `masks` empty: the model is stored dense at weight_bits per weight, with no indices.
Result<LstmCompression> lstm_compression(const train::LstmClassifier& model, const LstmMasks& masks,
                                         int64_t pes, int weight_bits, int index_bits);

// Quantizes W and R of `model` in place (quantize_linear, one step per matrix).
Status quantize_lstm(train::LstmClassifier& model, int bits);

}  // namespace sieve::compress
