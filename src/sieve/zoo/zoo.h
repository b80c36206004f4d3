// The network zoo: the published networks Sieve compresses, runs and simulates, built as
// ir::Graphs with their exact published layer shapes. (The per-node cost model, parameters and
// multiply-accumulates, that `sieve zoo list` and `sieve inspect` print is ir/cost.h.)
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

}  // namespace sieve::zoo
