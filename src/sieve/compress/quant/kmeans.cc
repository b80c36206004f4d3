#include "sieve/compress/quant/kmeans.h"

#include <algorithm>
#include <cmath>
#include <numeric>

namespace sieve::compress::quant {

namespace {

// Cluster boundaries over the sorted values: cluster j is [b[j], b[j + 1]); a value equal to
// the midpoint of two centroids goes to the lower one.
void boundaries(const std::vector<float>& sorted, const std::vector<double>& c,
                std::vector<size_t>& b) {
  const size_t k = c.size();
  b.assign(k + 1, 0);
  b[k] = sorted.size();
  for (size_t j = 0; j + 1 < k; ++j) {
    const double mid = 0.5 * (c[j] + c[j + 1]);
    b[j + 1] = static_cast<size_t>(
        std::upper_bound(sorted.begin(), sorted.end(), mid,
                         [](double m, float v) { return m < static_cast<double>(v); }) -
        sorted.begin());
    b[j + 1] = std::max(b[j + 1], b[j]);
  }
}

}  // namespace

Result<KMeansResult> kmeans_1d(std::span<const float> values, int k, const KMeansOptions& options) {
  if (k < 1 || k > 65536) return invalid_argument("k-means: k = {} (expected 1..65536)", k);
  if (options.max_iters < 0) {
    return invalid_argument("k-means: max_iters = {} is negative", options.max_iters);
  }
  KMeansResult r;
  const size_t n = values.size();
  if (n == 0) return r;
  for (size_t i = 0; i < n; ++i) {
    if (!std::isfinite(values[i])) {
      return invalid_argument("k-means: value {} at index {} is not finite", values[i], i);
    }
  }
  const size_t kk = std::min<size_t>(static_cast<size_t>(k), n);
  std::vector<uint32_t> order(n);
  std::iota(order.begin(), order.end(), 0u);
  std::stable_sort(order.begin(), order.end(),
                   [&](uint32_t a, uint32_t b) { return values[a] < values[b]; });
  std::vector<float> sorted(n);
  for (size_t i = 0; i < n; ++i) sorted[i] = values[order[i]];
  std::vector<double> prefix(n + 1, 0.0);
  for (size_t i = 0; i < n; ++i) prefix[i + 1] = prefix[i] + sorted[i];

  // Linear initialisation between min and max.
  const double lo = sorted.front(), hi = sorted.back();
  std::vector<double> c(kk);
  if (kk == 1) {
    c[0] = 0.5 * (lo + hi);
  } else {
    for (size_t j = 0; j < kk; ++j) {
      c[j] = lo + (hi - lo) * static_cast<double>(j) / static_cast<double>(kk - 1);
    }
  }
  std::vector<size_t> b, prev;
  for (int it = 0; it < options.max_iters; ++it) {
    boundaries(sorted, c, b);
    if (b == prev) break;
    ++r.iterations;
    for (size_t j = 0; j < kk; ++j) {
      if (b[j + 1] > b[j]) {
        c[j] = (prefix[b[j + 1]] - prefix[b[j]]) / static_cast<double>(b[j + 1] - b[j]);
      }
    }
    std::sort(c.begin(), c.end());
    prev = b;
  }
  r.centroids.resize(kk);
  for (size_t j = 0; j < kk; ++j) r.centroids[j] = static_cast<float>(c[j]);
  // Final assignment against the float centroids that decoding will use.
  std::vector<double> cf(r.centroids.begin(), r.centroids.end());
  boundaries(sorted, cf, b);
  r.codes.assign(n, 0);
  for (size_t j = 0; j < kk; ++j) {
    for (size_t i = b[j]; i < b[j + 1]; ++i) {
      r.codes[order[i]] = static_cast<uint16_t>(j);
      const double d = static_cast<double>(sorted[i]) - cf[j];
      r.sse += d * d;
    }
  }
  return r;
}

}  // namespace sieve::compress::quant
