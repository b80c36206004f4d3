// The Sieve IR: a Graph of Nodes in topological order, connected by named values, with
// weights held as named initializer tensors (the ONNX model of a network, which keeps import
// and export one-to-one).
//
// - Graph inputs are the outputs of Input nodes; graph outputs are listed in `outputs`.
// - An empty input name means an omitted optional operand (ONNX convention).
// - `values` holds the inferred dtype and shape of every value (filled by infer_shapes()).
// Ownership: a Graph owns its nodes; tensors share storage on copy (Tensor semantics), so use
// Graph::clone() for an independent copy of the weights. Not thread-safe for mutation.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <variant>
#include <vector>

#include "sieve/core/status.h"
#include "sieve/core/tensor.h"
#include "sieve/ir/op.h"

namespace sieve::ir {

using Attr = std::variant<int64_t, double, std::string, std::vector<int64_t>,
                          std::vector<double>, std::vector<std::string>>;

struct Node {
  OpKind op = OpKind::kIdentity;
  std::string name;
  std::vector<std::string> inputs;
  std::vector<std::string> outputs;
  std::map<std::string, Attr> attrs;

  bool has_attr(const std::string& key) const { return attrs.count(key) != 0; }
  int64_t attr_int(const std::string& key, int64_t def) const;
  double attr_float(const std::string& key, double def) const;
  std::string attr_string(const std::string& key, const std::string& def) const;
  std::vector<int64_t> attr_ints(const std::string& key,
                                 const std::vector<int64_t>& def = {}) const;
  std::vector<double> attr_floats(const std::string& key,
                                  const std::vector<double>& def = {}) const;
  std::vector<std::string> attr_strings(const std::string& key,
                                        const std::vector<std::string>& def = {}) const;
  // The i-th input name, or "" when absent/omitted.
  const std::string& input(size_t i) const;
  bool has_input(size_t i) const { return !input(i).empty(); }
};

// The 2-D view of a node's weight of shape `w` (op_traits(n.op).view): rows = output channels
// / out features / gate rows, cols = the rest. `transposed`: the tensor stores the matrix as
// [cols, rows] (FullyConnected with trans_b=0, MatMul's B). All zero when the op has no weight
// or `w` has a rank the view does not read.
struct WeightMatrix {
  int64_t rows = 0;
  int64_t cols = 0;
  bool transposed = false;
};
WeightMatrix weight_matrix(const Node& n, const Shape& w);

struct ValueInfo {
  DType dtype = DType::kF32;
  Shape shape;
};

class Graph {
 public:
  std::string name;
  std::vector<Node> nodes;                       // topological order
  std::vector<std::string> outputs;              // graph outputs
  std::map<std::string, Tensor> initializers;    // weights and constants by value name
  std::map<std::string, ValueInfo> values;       // inferred shapes (infer_shapes)

  // Names of the graph inputs (outputs of Input nodes), in node order.
  std::vector<std::string> input_names() const;
  // The node producing `value`, or nullptr (initializer or unknown).
  const Node* producer(const std::string& value) const;
  Node* find_node(const std::string& node_name);
  const Node* find_node(const std::string& node_name) const;
  bool is_initializer(const std::string& value) const { return initializers.count(value) != 0; }
  const Tensor* initializer(const std::string& value) const;

  // The node's weight (the initializer at its op's weight operand), or nullptr: an op without
  // a weight, an omitted operand, or a computed value. Non-null = a weighted layer.
  const Tensor* weight(const Node& n) const;

  // Deep copy (weights included).
  Graph clone() const;

  // Trainable parameters: the initializers at each op's `params` operands (ops.def): weights
  // and biases of FullyConnected/Conv/MatMul-with-initializer, BatchNorm scale and shift,
  // LSTM/GRU W, R, B, P and projection (running statistics and shape tensors are not
  // parameters); an initializer shared by several nodes counts once.
  int64_t num_parameters() const;
};

}  // namespace sieve::ir
