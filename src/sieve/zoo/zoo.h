// The network zoo: the published networks Sieve compresses, runs and simulates, built as
// ir::Graphs with their exact published layer shapes, plus the per-layer cost model
// (parameters and multiply-accumulates) that `sieve zoo list` and `sieve inspect` print.
//
// Every network is listed once in zoo/zoo.def (name, builder, description, source) and built
// by a function in one file per family (zoo/lenet.cc, zoo/alexnet.cc, ...). Every model has a
// single graph input named "input" (NCHW for image models; [seq, batch, features] for the
// LSTM; [batch, features] for the single-layer EIE benchmarks) and ends with the logits (no
// Softmax node). Weight initializers are named "<layer>.weight", "<layer>.bias" (and
// "<layer>.running_mean"/"running_var" for BatchNorm, "<layer>.W/R/B/P/W_proj" for LSTM).
//
// Ownership: build() returns a Graph that owns its tensors. Thread-safety: all functions are
// reentrant; they share no mutable state.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "sieve/core/status.h"
#include "sieve/ir/graph.h"

namespace sieve::zoo {

struct BuildOptions {
  int64_t batch = 1;
  // false: weights stay zero (large tensors are lazily-zeroed mmap pages, so building VGG16 only
  // to count it touches no memory).
  bool init_weights = true;
  uint64_t seed = 1;
};

// Builds the zoo network `name`. Unknown names (and batch < 1) are errors; the message lists
// the known names.
Result<ir::Graph> build(const std::string& name, const BuildOptions& opts = {});

// The zoo's names, in zoo.def order.
std::vector<std::string> names();

// What zoo.def says about a network.
struct ModelInfo {
  std::string name;
  std::string description;  // one line
  std::string source;       // citation of the published shapes
};
// All entries in zoo.def order.
const std::vector<ModelInfo>& model_infos();
// The entry for `name`, or nullptr.
const ModelInfo* find_model(const std::string& name);

// Deterministic PyTorch-default-like initialisation of every parameter, a pure function of
// (seed, initializer name, shape): FullyConnected/Conv/MatMul weights Kaiming-uniform with
// a = sqrt(5), i.e. U(-1/sqrt(fan_in), 1/sqrt(fan_in)), and biases U(-1/sqrt(fan_in), ..);
// BatchNorm scale 1, shift 0, mean 0, var 1; LSTM/GRU W, R, B, P, W_proj
// U(-1/sqrt(H), 1/sqrt(H)). Other initializers (shape tensors, constants) are left alone.
// Errors: a parameter initializer that is not f32, or an operand with an unexpected rank.
Status init_weights(ir::Graph& g, uint64_t seed);

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
  ir::OpKind op;
  int64_t params;
  int64_t macs;
};

// One entry per node, in graph order (Input nodes included, with zeros). Uses g.values when
// they are filled; otherwise infers shapes on a shallow copy (weights are shared, not copied).
std::vector<LayerStats> layer_stats(const ir::Graph& g);
// Sum of the known per-node MACs.
int64_t total_macs(const ir::Graph& g);

}  // namespace sieve::zoo
