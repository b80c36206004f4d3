// Shape inference and verification of a Graph.
//
// infer_node computes the dtype and shape of a node's outputs from its inputs' (ONNX shape
// rules; Reshape/Pad/Squeeze/Unsqueeze read their i64 operand from the graph's initializers).
// infer_shapes fills Graph::values for every value in topological order. verify checks the
// structure (unique names, every input defined before use, operand counts, attribute values)
// and then infers shapes; its messages name the node, the field and the value.
#pragma once

#include <span>
#include <vector>

#include "sieve/core/status.h"
#include "sieve/ir/graph.h"

namespace sieve::ir {

// `inputs[i]` describes node.inputs[i]; an omitted optional operand has an empty shape and is
// flagged by an empty name in node.inputs.
Result<std::vector<ValueInfo>> infer_node(const Graph& g, const Node& n,
                                          std::span<const ValueInfo> inputs);
Status infer_shapes(Graph& g);
Status verify(Graph& g);

}  // namespace sieve::ir
