// CompressedModel: the one compressed-model type. The .sieve container (io/container/) is its
// serialised form; the compression passes (compress/) produce it; the runtime, the compiler and
// the accelerator models consume it. Nothing downstream re-derives masks or codebooks.
//
// A compressed layer is a weight initializer of a FullyConnected, Conv or LSTM/GRU node stored
// as: a keep mask (which positions survive pruning, and the block shape the pruner used), and,
// when quantized, one code per kept weight plus one codebook per region of a region grid
// (local quantization; a 1×1 grid is Deep Compression's per-layer codebook). Unquantized
// layers keep their surviving values as f32.
//
// The "2-D view" of a weight used for blocks, regions and index streams: rows = dim 0
// (output neurons / output channels / gates), cols = the product of the remaining dims in
// row-major order (FC [out, in]; conv [M, C/g, kh, kw] → [M, C/g·kh·kw]).
//
// Ownership: value type; Tensors share storage on copy (use decode/clone for independence).
// Thread-safety: none.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "sieve/core/status.h"
#include "sieve/core/tensor.h"
#include "sieve/ir/graph.h"

namespace sieve::compress {

// The structure the pruner gave a layer, recorded so that hardware models and the runtime read
// it instead of re-deriving it from the mask (the block shape is CompressedLayer::block).
// Stored in the STRUCTURE section of the .sieve container (docs/formats/container.md).
struct PruneStructure {
  // "" = not recorded (a version-1 file, or a layer built without a pruner: derive what is
  // needed from the mask and `block`, as before); "none" = not pruned (no mask); else the pass
  // of compress/passes.def that pruned it.
  std::string method;
  // Method block: where blocks start, one step per dimension (blocks of CompressedLayer::block
  // placed every stride[d] elements; == block for a tiling). Empty for every other method.
  std::vector<int64_t> stride;
  // Method nm: at most n of every m consecutive weights along dimension 1 (input channels, at
  // a fixed output channel and kernel position) are kept; 0 otherwise.
  int64_t n = 0, m = 0;
  // Method balanced (ESE): the slices along `group_axis` (0: rows of the 2-D view) go to
  // `groups` groups round-robin (slice r to group r % groups), and every group keeps the same
  // number of weights; 0 otherwise.
  int64_t groups = 0;
  int group_axis = 0;

  bool recorded() const { return !method.empty(); }
  bool operator==(const PruneStructure&) const = default;
};

struct CompressedLayer {
  std::string node;    // the node using the weight
  std::string weight;  // initializer name in CompressedModel::graph
  Shape shape;         // dense weight shape

  // Pruning. block has one entry per weight dimension (all 1 = fine-grained); mask is u8 of
  // `shape`, non-zero = kept. An empty mask means dense (nothing pruned).
  std::vector<int64_t> block;
  Tensor mask;
  PruneStructure structure;  // how the mask was made (method, stride, N:M, balanced groups)

  // Quantization. bits == 0: not quantized, `values` holds the kept weights (f32) in row-major
  // order of kept positions. bits in 1..16: `codes` holds one code per kept weight in the same
  // order, decoded through codebooks[region_of(position)].
  int bits = 0;
  int64_t region_rows = 1;  // region grid over the 2-D view (1×1 = one codebook per layer)
  int64_t region_cols = 1;
  std::vector<std::vector<float>> codebooks;  // region-major: region r = rr * region_cols + rc
  std::vector<uint16_t> codes;
  std::vector<float> values;

  int64_t rows() const { return shape.empty() ? 0 : shape[0]; }
  int64_t cols() const;
  int64_t numel() const { return shape_numel(shape); }
  int64_t kept() const;  // non-zeros of mask (numel when dense)
  // Region index of a position (row, col) in the 2-D view: regions split rows and cols as
  // evenly as possible, the first (rows % region_rows) regions one row larger.
  int64_t region_of(int64_t row, int64_t col) const;
};

struct CompressedModel {
  // The network: structure, biases and every uncompressed tensor. The initializers of the
  // compressed layers hold their decoded values (decode() refreshes them).
  ir::Graph graph;
  std::vector<CompressedLayer> layers;
  // 16-bit fixed-point Q format per activation value: value name -> fraction bits.
  std::map<std::string, int> activation_frac_bits;
  // Free-form provenance: recipe name, dataset, accuracies ("accuracy_dense", "accuracy").
  std::map<std::string, std::string> metadata;
  // Whether the container may Huffman-code masks and codes (coding/storage.h; a recipe's
  // `coding: {huffman: false}` turns it off). Read back: true when the file uses a Huffman form.
  bool entropy_coding = true;

  const CompressedLayer* find_layer(const std::string& weight) const;
};

// Checks a layer's structure against its shape, block and mask (errors name the field and the
// value; the caller names the layer): the method is "", "none" or a pass; method block has a block
// and a stride of the weight's rank, every size >= 1, block[d] <= shape[d] (a block need not divide
// its dimension); other methods have an all-1 block and no stride; nm has rank >= 2 and 0 <= n <=
// m, m >= 1; balanced has 1 <= groups <= rows and group_axis 0; "none" has no mask. And the mask
// keeps to it: "none" dense; block: every pruned weight lies in a block that is pruned whole; nm:
// at most n kept per group of m; filter / channel: rows / input channels kept or pruned whole;
// balanced: every group keeps the same count.
Status check_structure(const CompressedLayer& layer);

// The dense weights a layer stands for (pruned positions zero, codes decoded).
Result<Tensor> decode_layer(const CompressedLayer& layer);
// Writes every layer's decoded weights into model.graph's initializers.
Status decode(CompressedModel& model);

}  // namespace sieve::compress
