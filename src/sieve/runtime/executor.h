// Running a Graph: the reference engine (runtime/kernels/ref) evaluates every node in
// topological order. It is the oracle every later engine and accelerator model is checked
// against, so it favours obviousness over speed.
#pragma once

#include <map>
#include <span>
#include <string>
#include <vector>

#include "sieve/core/status.h"
#include "sieve/core/tensor.h"
#include "sieve/ir/graph.h"

namespace sieve::runtime {

using TensorMap = std::map<std::string, Tensor>;

// Evaluates one node with the reference kernels. `inputs[i]` is nullptr for an omitted
// optional operand. Returns one tensor per node output (an unused optional output may be
// returned empty).
Result<std::vector<Tensor>> run_ref_node(const ir::Node& n, std::span<const Tensor* const> inputs);

struct RunOptions {
  bool keep_intermediates = false;  // return every value, not just the graph outputs
};

// Runs the whole graph: `feeds` maps graph input names to tensors. Returns the graph outputs
// (and all intermediates if asked). Errors name the node and the op.
Result<TensorMap> run_graph(const ir::Graph& g, const TensorMap& feeds,
                            const RunOptions& opts = {});

}  // namespace sieve::runtime
