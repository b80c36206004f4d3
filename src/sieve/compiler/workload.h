// Workload: what an accelerator model simulates — the layers of a compressed model with their
// weight masks, weight widths and, per sample, which input and output neurons are non-zero.
//
// Built from a CompressedModel (the .sieve container; nothing else) plus activations that are
// either computed (the reference engine run on real inputs, e.g. Fashion-MNIST) or synthetic
// (drawn at a published dynamic-sparsity density; the thesis networks have no ImageNet data
// here). Geometry is per sample; every model multiplies by the batch itself.
//
// Layout conventions:
//  * Weight masks use the 2-D view of compress/model.h: rows = output neurons / output
//    channels / LSTM gate rows, cols = in_c/group·kh·kw (conv, row-major [c, ky, kx]) or N
//    (FC) or in + recurrent (LSTM: [x_t; h_{t-1}]; recurrent = hidden, or the projection size
//    when the LSTM has one, whose W_proj is then a separate FC layer "<node>/proj").
//  * input_nz[s] flags the non-zero input neurons of sample s: conv/pool [C, H, W] row-major
//    (unpadded), FC [N], LSTM T × (in + recurrent) (per timestep the vector [x_t; h_{t-1}]).
//  * output_nz[s] flags the non-zero outputs: conv/pool [M, Ho, Wo], FC [M], LSTM T × hidden.
//
// Value type; no shared state.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "sieve/compress/model.h"
#include "sieve/core/status.h"
#include "sieve/core/tensor.h"

namespace sieve::compiler {

// A packed bit string (bit i = word i/64, bit i%64).
class BitVec {
 public:
  BitVec() = default;
  explicit BitVec(int64_t n, bool value = false);
  int64_t size() const { return n_; }
  bool get(int64_t i) const { return (words_[static_cast<size_t>(i >> 6)] >> (i & 63)) & 1u; }
  void set(int64_t i, bool v = true) {
    uint64_t m = uint64_t{1} << (i & 63);
    if (v)
      words_[static_cast<size_t>(i >> 6)] |= m;
    else
      words_[static_cast<size_t>(i >> 6)] &= ~m;
  }
  int64_t count() const;                            // set bits
  int64_t count(int64_t begin, int64_t end) const;  // set bits in [begin, end)
  const std::vector<uint64_t>& words() const { return words_; }
  std::vector<uint64_t>& words() { return words_; }

 private:
  int64_t n_ = 0;
  std::vector<uint64_t> words_;
};

// A rank index of a BitVec: the set bits before each word, so that count(begin, end) takes
// constant time (a tiling's kept weights per segment, counted row by row, read the whole mask
// otherwise). Valid while the BitVec it was built from is alive and unchanged.
class BitRank {
 public:
  explicit BitRank(const BitVec& v);
  int64_t count(int64_t begin, int64_t end) const;  // set bits of the BitVec in [begin, end)
  size_t bytes() const { return before_.size() * sizeof(int64_t); }

 private:
  const BitVec* v_;
  std::vector<int64_t> before_;  // before_[w] = set bits in words [0, w)
};

// The kinds of layer the accelerators run: the op categories of ir/ops.def that they model
// (fc, conv, pool, lstm); every other category is kOther, and build_workload skips its nodes.
enum class LayerKind { kFullyConnected, kConv, kPool, kLstm, kOther };
LayerKind layer_kind(ir::OpCategory c);
inline LayerKind layer_kind(ir::OpKind op) {
  return layer_kind(ir::op_category(op));
}
// The category's name (ir::category_name: "fc", "conv", "pool", "lstm"), or "other".
const char* layer_kind_name(LayerKind k);

struct LayerWork {
  std::string name;  // graph node name
  LayerKind kind = LayerKind::kOther;

  // Geometry (per sample). FC: in_c = N, out_c = M, all spatial sizes 1. LSTM: in_c = input
  // size, out_c = hidden size, timesteps = T.
  int64_t in_c = 1, in_h = 1, in_w = 1;
  int64_t out_c = 1, out_h = 1, out_w = 1;
  int64_t kh = 1, kw = 1, stride_h = 1, stride_w = 1;
  int64_t pad_top = 0, pad_left = 0, pad_bottom = 0, pad_right = 0;
  int64_t dilation_h = 1, dilation_w = 1, group = 1;
  int64_t timesteps = 1;
  // LSTM: width of the recurrent input h_{t-1} (the projection size with a projection layer,
  // Sak et al. 2014), 0 = out_c. Weight cols = in_c + recurrent.
  int64_t recurrent = 0;
  std::string pool_type;  // "max" / "avg" for pooling layers

  // Weights (none for pooling/other: rows = cols = 0).
  int64_t rows = 0, cols = 0;
  BitVec weight_mask;            // rows × cols; every bit set when the layer is dense
  int weight_bits = 16;          // bits per stored weight: code width if quantized, else 16
  int64_t codebook_entries = 0;  // total codebook entries over all regions (0 = none)
  std::vector<int64_t> block;    // pruning block (dims of the weight), empty = fine/dense
  bool pruned = false;           // false: weight_mask is all ones because nothing was pruned
  // How it was pruned, from the container (method, block stride, N:M, balanced groups; not
  // recorded for version-1 files and unpruned layers): models read this, not the mask.
  compress::PruneStructure structure;

  // Activations, one entry per sample.
  std::vector<BitVec> input_nz;
  std::vector<BitVec> output_nz;
  bool synthetic_activations = false;
  // The layer reads the graph's input (directly or through reshapes only): its input neurons
  // come from outside the network, not from a previous layer's outputs (an accelerator that
  // encodes activations in a previous layer's output stage has nothing encoded here).
  bool reads_network_input = false;

  int64_t dense_macs() const;   // per sample
  int64_t input_size() const;   // bits per input_nz entry
  int64_t output_size() const;  // bits per output_nz entry
};

struct Workload {
  std::string model;                         // benchmark or file name
  int64_t batch = 0;                         // samples
  std::vector<LayerWork> layers;             // FC, conv, pool and LSTM layers in execution order
  std::map<std::string, std::string> notes;  // e.g. "activations": "synthetic (Table 3.2 DNS)"
};

// The largest synthetic batch (samples). Simulation time grows with it; the published figures
// use single samples, and no study here needs more than a few thousand.
inline constexpr int64_t kMaxSyntheticBatch = int64_t{1} << 16;

struct WorkloadOptions {
  // Computed activations: inputs for the graph's first input, one per sample (shape of the
  // graph input with batch 1). Leave empty for synthetic activations.
  std::vector<Tensor> samples;
  // Synthetic activations: density (fraction non-zero) of each layer's input, by node name;
  // layers not named use default_input_density. Outputs follow the next layer's input density
  // (the last layer's outputs: default_output_density).
  std::map<std::string, double> input_density;
  double default_input_density = 1.0;
  double default_output_density = 1.0;
  int64_t synthetic_batch = 1;  // 1..kMaxSyntheticBatch, and its bits must fit in memory
  uint64_t seed = 1;
};

// Builds the workload of a compressed model (its layers decoded from the container's masks and
// codes; activations computed by the float reference engine or synthetic as options say).
Result<Workload> build_workload(const compress::CompressedModel& model,
                                const WorkloadOptions& options);

}  // namespace sieve::compiler
