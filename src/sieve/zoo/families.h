// The zoo's builder functions, one per line of zoo.def (internal to the zoo; use zoo.h).
// Each builds its network for a batch size with zero-filled weights.
#pragma once

#include <cstdint>

#include "sieve/ir/graph.h"

namespace sieve::zoo {

#define SIEVE_ZOO(name, builder, desc, source) ir::Graph builder(int64_t batch);
#include "sieve/zoo/zoo.def"
#undef SIEVE_ZOO

}  // namespace sieve::zoo
