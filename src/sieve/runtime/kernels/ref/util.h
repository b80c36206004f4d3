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
#include "sieve/ir/shape_inference.h"

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

// The geometry of a pooling node over input x (N, C, spatial...) and output shape y_shape:
// the window (ir::window_geometry), N·C planes, spatial extents and strides. Shared by the float
// pooling kernels and the 16-bit fixed-point reference.
struct PoolShape {
  ir::WindowGeometry geo;
  size_t k = 0;
  int64_t planes = 0;  // N * C
  Shape in_spatial, out_spatial;
  std::vector<int64_t> in_strides;
  int64_t in_plane = 0, out_plane = 0;
};

inline Result<PoolShape> pool_shape(const ir::Node& n, const Tensor& x, const Shape& y_shape) {
  PoolShape p;
  SIEVE_ASSIGN_OR_RETURN(p.geo, ir::window_geometry(n, x.shape(), nullptr));
  p.k = static_cast<size_t>(x.rank()) - 2;
  p.planes = x.dim(0) * x.dim(1);
  p.in_spatial.assign(x.shape().begin() + 2, x.shape().end());
  p.out_spatial.assign(y_shape.begin() + 2, y_shape.end());
  p.in_strides = strides_of(p.in_spatial);
  p.in_plane = shape_numel(p.in_spatial);
  p.out_plane = shape_numel(p.out_spatial);
  return p;
}

}  // namespace sieve::runtime::ref
