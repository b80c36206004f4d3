// A readable text dump of a Graph (`sieve inspect MODEL`): one line per node with its op,
// operands, attributes, output shapes, parameters and multiply-accumulates.
#pragma once

#include <string>

#include "sieve/ir/graph.h"

namespace sieve::ir {
std::string dump(const Graph& g);
}  // namespace sieve::ir
