// train::Network: an ir::Graph turned into something that can run forward and backward on
// minibatches (the layers of train/layers.h, on OpenBLAS sgemm).
//
// Supported ops: Input (one), FullyConnected (trans_a = 0), MatMul with an initializer right
// operand, Conv (2-D, stride/pad/dilation/groups/auto_pad), MaxPool, AveragePool (2-D),
// GlobalAveragePool, Relu, Sigmoid, Tanh, Flatten (axis 1), Reshape (batch kept), Dropout,
// Identity, and a Softmax/LogSoftmax that produces the graph output (its input is then taken
// as the logits and the softmax is folded into the loss). Any other op is refused by name. The
// graph must have exactly one output; its per-example shape is the logits' shape.
//
// Parameters are the weight and bias initializers of FullyConnected, MatMul and Conv nodes.
// Network holds Tensor handles that SHARE storage with the graph's initializers: training
// updates the graph's weights in place. The first dimension of every activation is the batch;
// shapes in this API are per example (without the batch).
// Thread-safety: none; one Network per thread.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "sieve/core/status.h"
#include "sieve/core/tensor.h"
#include "sieve/ir/graph.h"

namespace sieve::train {

struct Parameter {
  std::string name;         // initializer name
  Tensor value;             // f32, shares storage with the graph initializer
  std::vector<float> grad;  // d(loss)/d(value), same size (filled by backward)
  bool is_bias = false;     // the bias operand of FullyConnected/Conv
};

struct NetworkOptions {
  // Per-example input shape to use when the Input node's shape leaves a dimension unknown
  // (-1) or to check the data against; empty: take it from the Input node.
  Shape example_shape;
  // Also compute d(loss)/d(input) in backward (gradient checks).
  bool input_gradient = false;
  // Seed of the dropout masks (a stream per Dropout node).
  uint64_t seed = 1;
};

class Layer;
struct ValueBuf;

class Network {
 public:
  // The Network does not refer to `graph` afterwards; it keeps Tensor handles that share the
  // storage of the graph's parameter initializers (so updates show in the graph).
  static Result<std::unique_ptr<Network>> create(const ir::Graph& graph,
                                                 const NetworkOptions& options = {});
  ~Network();
  Network(const Network&) = delete;
  Network& operator=(const Network&) = delete;

  const Shape& input_shape() const { return input_shape_; }
  const Shape& output_shape() const { return output_shape_; }
  int64_t input_numel() const { return shape_numel(input_shape_); }
  int64_t output_numel() const { return shape_numel(output_shape_); }
  // Name of the value used as logits (differs from the graph output when a trailing
  // Softmax/LogSoftmax was folded into the loss).
  const std::string& logits_name() const { return logits_name_; }

  // Forward pass on n examples, x: [n, input_shape...]. Returns the logits [n, output...],
  // valid until the next forward. training=true draws dropout masks and keeps what backward
  // needs.
  const float* forward(const float* x, int64_t n, bool training);
  // Back-propagates dy = d(loss)/d(logits) [n, output...] through the last forward pass.
  // Parameter gradients are overwritten (not accumulated across calls).
  void backward(const float* dy);
  // d(loss)/d(input) of the last backward; only with NetworkOptions::input_gradient.
  const float* input_gradient() const;

  std::vector<Parameter>& parameters() { return params_; }
  const std::vector<Parameter>& parameters() const { return params_; }
  Parameter* find_parameter(const std::string& name);
  // Restarts the dropout masks' random streams.
  void reseed(uint64_t seed);
  // "conv1 (Conv) [20,24,24]" per layer, for logs and tests.
  std::vector<std::string> describe() const;

 private:
  Network();
  friend class NetworkBuilder;

  std::vector<std::unique_ptr<ValueBuf>> values_;
  std::vector<std::unique_ptr<Layer>> layers_;
  std::vector<Parameter> params_;
  Shape input_shape_;
  Shape output_shape_;
  std::string logits_name_;
  int input_value_ = -1;
  int output_value_ = -1;
  int64_t last_n_ = 0;
  bool input_gradient_ = false;
};

}  // namespace sieve::train
