#include "sieve/core/block_grid.h"

#include <fmt/ranges.h>

namespace sieve {

Result<BlockGrid> BlockGrid::make(const Shape& shape, std::span<const int64_t> block,
                                  std::span<const int64_t> stride, const std::string& what) {
  const size_t r = shape.size();
  if (r > kMaxRank) {
    return invalid_argument("{}: block grids support rank <= {}, the shape {} has rank {}", what,
                            kMaxRank, shape_str(shape), r);
  }
  for (size_t d = 0; d < r; ++d) {
    if (shape[d] < 0) {
      return invalid_argument("{}: shape {} has a negative dimension {}", what, shape_str(shape),
                              d);
    }
  }
  auto pad = [&](std::span<const int64_t> v, const char* field,
                 std::vector<int64_t>& out) -> Status {
    if (v.size() > r) {
      return invalid_argument("{}: {} = {} has {} sizes, the shape {} has rank {}", what, field,
                              fmt::join(v, "x"), v.size(), shape_str(shape), r);
    }
    out.assign(r, 1);
    for (size_t d = 0; d < v.size(); ++d) {
      if (v[d] < 1) {
        return invalid_argument("{}: {}[{}] = {} must be >= 1", what, field, d, v[d]);
      }
      out[d] = v[d];
    }
    return ok_status();
  };
  BlockGrid g;
  g.shape_ = shape;
  SIEVE_RETURN_IF_ERROR(pad(block, "block", g.block_));
  if (stride.empty()) {
    g.stride_ = g.block_;
  } else {
    SIEVE_RETURN_IF_ERROR(pad(stride, "stride", g.stride_));
  }
  int64_t overlap = 1;
  for (size_t d = 0; d < r; ++d) {
    // Blocks past the dimension's size overlap no more than the dimension allows.
    const int64_t b = std::min(g.block_[d], std::max<int64_t>(1, shape[d]));
    overlap *= (b + g.stride_[d] - 1) / g.stride_[d];
    if (overlap > kMaxOverlap)
      return invalid_argument(
          "{}: block {} with stride {} covers a weight up to {}{} times; at most {} (a stride "
          "closer to the block)",
          what, fmt::join(g.block_, "x"), fmt::join(g.stride_, "x"),
          overlap, d + 1 < r ? " or more" : "", kMaxOverlap);
  }
  g.count_.resize(r);
  g.elem_stride_.assign(r, 1);
  for (size_t k = r; k-- > 0;) {
    g.count_[k] = (shape[k] + g.stride_[k] - 1) / g.stride_[k];
    g.blocks_ *= g.count_[k];  // <= numel: no overflow for a shape whose numel fits
    if (k + 1 < r) g.elem_stride_[k] = g.elem_stride_[k + 1] * shape[k + 1];
  }
  return g;
}

}  // namespace sieve
