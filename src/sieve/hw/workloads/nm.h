// Workloads with N:M structured-sparse weights, for the sparse tensor core model
// (hw/archs/sparse_tc/) and its figures: a zoo network whose every eligible weight keeps n of
// every m consecutive input channels, and a single GEMM of a given shape.
//
// The masks are drawn, not trained: in each group of m consecutive input channels (at a fixed
// output row and kernel position, as compress/prune's nm pass groups them) n positions are
// chosen uniformly at random with a seeded generator. A hardware model reads only the mask's
// pattern, which is the same for any trained N:M model of that shape. A weight whose input
// channels (per conv group; LSTM: its columns) are not a multiple of m stays dense, as NVIDIA's
// ASP leaves such layers dense. Activations are synthetic and dense (the tensor core does not
// skip zero activations).
//
// Thread-safety: reentrant.
#pragma once

#include <cstdint>
#include <string>

#include "sieve/core/status.h"
#include "sieve/hw/core/workload.h"

namespace sieve::hw {

// Replaces the mask of every FC / conv / LSTM layer of `w` whose input channels are a multiple
// of m with a drawn n:m mask (structure "nm", n, m). Returns the number of layers changed.
// Refused: m < 1, n < 0 or n > m ("n:m = 5:4: n must not exceed m").
Result<int64_t> impose_nm(Workload& w, int64_t n, int64_t m, uint64_t seed);

// The zoo network `name` (built without weight values) with dense synthetic activations and
// n:m masks imposed. Unknown names are refused listing the zoo.
Result<Workload> nm_zoo_workload(const std::string& name, int64_t n, int64_t m, uint64_t seed);

// One GEMM of M output rows, K weight columns and N positions as a 1x1 convolution (in_c = K,
// 1 x N input, out_c = M), weights n:m (n == m: dense), batch 1. Refused: a dimension < 1,
// n > m, or an m that does not divide K ("K = 10 is not a multiple of m = 4").
Result<Workload> gemm_workload(int64_t m_rows, int64_t n_cols, int64_t k_depth, int64_t n,
                               int64_t m, uint64_t seed);

}  // namespace sieve::hw
