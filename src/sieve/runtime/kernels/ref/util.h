// Small helpers shared by the reference kernels (internal to runtime/kernels/ref): node-named
// errors, row-major strides, a double-precision dot product and a multi-index counter.
// Thread-safety: value types only.
#pragma once

#include <fmt/format.h>

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "sieve/core/status.h"
#include "sieve/core/tensor.h"
#include "sieve/ir/graph.h"

namespace sieve::runtime::ref {

template <typename... Args>
Status node_error(const ir::Node& n, fmt::format_string<Args...> f, Args&&... args) {
  return invalid_argument("node \"{}\" ({}): {}", n.name, ir::op_name(n.op),
                          fmt::format(f, std::forward<Args>(args)...));
}

// Row-major strides (in elements) of `shape`.
inline std::vector<int64_t> strides_of(const Shape& shape) {
  std::vector<int64_t> s(shape.size(), 1);
  for (size_t i = shape.size(); i-- > 1;) s[i - 1] = s[i] * shape[i];
  return s;
}

// sum_i a[i] * b[i] in double (four interleaved partial sums, so it is not latency-bound).
inline double dot(const float* a, const float* b, int64_t n) {
  double s0 = 0, s1 = 0, s2 = 0, s3 = 0;
  int64_t i = 0;
  for (; i + 4 <= n; i += 4) {
    s0 += double{a[i]} * b[i];
    s1 += double{a[i + 1]} * b[i + 1];
    s2 += double{a[i + 2]} * b[i + 2];
    s3 += double{a[i + 3]} * b[i + 3];
  }
  for (; i < n; ++i) s0 += double{a[i]} * b[i];
  return (s0 + s1) + (s2 + s3);
}

// Counts through every multi-index of `shape` in row-major order:
//   for (MultiIndex ix(shape); !ix.done(); ix.next()) use(ix[d]);
class MultiIndex {
 public:
  explicit MultiIndex(Shape shape) : shape_(std::move(shape)), idx_(shape_.size(), 0) {
    done_ = shape_numel(shape_) == 0;
  }
  bool done() const { return done_; }
  int64_t operator[](size_t d) const { return idx_[d]; }
  const std::vector<int64_t>& index() const { return idx_; }
  void next() {
    for (size_t d = shape_.size(); d-- > 0;) {
      if (++idx_[d] < shape_[d]) return;
      idx_[d] = 0;
    }
    done_ = true;
  }

 private:
  Shape shape_;
  std::vector<int64_t> idx_;
  bool done_ = false;
};

}  // namespace sieve::runtime::ref
