// Shape inference and verification of a Graph.
//
// infer_node computes the dtype and shape of a node's outputs from its inputs' (ONNX shape
// rules; Reshape/Pad/Squeeze/Unsqueeze read their i64 operand from the graph's initializers).
// A dimension of -1 is unknown (an Input declared with -1, or a shape operand computed at run
// time) and propagates as -1; with every operand's value at hand (the executor) all dims are
// known.
// infer_shapes fills Graph::values for every value in topological order, and refuses a value
// whose size cannot be computed (more than 2^63 bytes) or exceeds the memory limit
// (core/checked.h), naming the node, the value, its shape and the numbers. verify checks the
// structure (unique names, every input defined before use, operand counts, no unknown
// attribute names) and then infers shapes, which checks attribute kinds and values; its messages
// name the node, the field and the value. Thread-safety: pure functions; infer_shapes and
// verify write only `g.values`.
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

// The same rules with the operands' values at hand (the executor): `values[i]` is the tensor of
// node.inputs[i], or nullptr for an omitted operand; i64 operands are read from it.
Result<std::vector<ValueInfo>> infer_node(const Node& n, std::span<const Tensor* const> values);

// The resolved window of a Conv or pooling node over the spatial dims of X ([N, C, d1..dk]):
// auto_pad turned into explicit pads, defaults filled in, and the output spatial sizes (-1 where
// the input size is unknown). For Conv the kernel comes from W ([M, C/group, k1..kk]) and a
// kernel_shape attribute must agree with it; pools read kernel_shape. Errors name the node.
struct WindowGeometry {
  std::vector<int64_t> kernel, strides, dilations, pads_begin, pads_end, out;
};
Result<WindowGeometry> window_geometry(const Node& n, const Shape& x, const Shape* w = nullptr);

}  // namespace sieve::ir
