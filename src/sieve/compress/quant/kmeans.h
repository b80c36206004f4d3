// One-dimensional k-means for weight sharing (Deep Compression, Han et al. 2016): linear
// initialisation of the k centroids evenly between the minimum and the maximum of the values,
// then Lloyd iterations (assign each value to its nearest centroid, move each centroid to the
// mean of its values) until no assignment changes or max_iters is reached.
//
// Deterministic: the values are sorted once, assignments are computed from the midpoints
// between sorted centroids (ties go to the lower centroid), means are summed in double in
// sorted order. An empty cluster keeps its previous centroid. Centroids are returned in
// ascending order; code i refers to centroids[i].
// Thread-safety: pure functions.
#pragma once

#include <cstdint>
#include <span>
#include <vector>

#include "sieve/core/status.h"

namespace sieve::compress::quant {

struct KMeansOptions {
  int max_iters = 100;
};

struct KMeansResult {
  std::vector<float> centroids;  // ascending, size k (fewer when there are fewer values)
  std::vector<uint16_t> codes;   // one per input value, in input order
  double sse = 0.0;              // sum of squared errors of the values to their centroids
  int iterations = 0;            // Lloyd iterations run
};

// Clusters `values` into min(k, values.size()) clusters. k must be in [1, 65536]; an empty
// input gives an empty result. Non-finite values are refused.
Result<KMeansResult> kmeans_1d(std::span<const float> values, int k,
                               const KMeansOptions& options = {});

}  // namespace sieve::compress::quant
