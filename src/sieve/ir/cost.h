// The cost of a graph's nodes: parameters and multiply-accumulates, the numbers `sieve zoo
// list` and `sieve inspect` print (one model for both, so they always agree).
// Thread-safety: pure functions.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "sieve/ir/graph.h"

namespace sieve::ir {

// Cost of one node. `params` counts the node's trainable parameters (the rule of
// Graph::num_parameters: weights + biases, BatchNorm scale and shift, LSTM/GRU W, R, B, P,
// W_proj; an initializer shared by several nodes is counted at its first use). `macs` counts
// multiply-accumulates of the matrix work for the graph's batch as built: Conv
// N·M·OH·OW·(C/group)·prod(kernel); FullyConnected/MatMul M·N·K; LSTM
// seq·batch·dirs·(4H·I + 4H·R_in + 3H peephole + P·H projection); GRU seq·batch·dirs·3H·(I+H).
// Element-wise ops, pooling, normalisation and activations count 0 MACs (as the published
// totals do). macs is -1 when the shapes it needs are unknown (shape inference failed).
struct LayerStats {
  std::string node;
  OpKind op;
  int64_t params;
  int64_t macs;
};

// One entry per node, in graph order (Input nodes included, with zeros). Uses g.values when
// they are filled; otherwise infers shapes on a shallow copy (weights are shared, not copied).
std::vector<LayerStats> layer_stats(const Graph& g);
// Sum of the known per-node MACs.
int64_t total_macs(const Graph& g);

}  // namespace sieve::ir
