// Block grids: the one walk of a weight tensor in blocks (block pruning, the block bit mask
// index, the container's block bitmask, masks drawn per block).
//
// A grid over a tensor of shape S places a block of `block[d]` elements at every multiple of
// `stride[d]` along each dimension d (stride defaults to the block: a tiling from the origin).
// There are ceil(S[d] / stride[d]) blocks along d, numbered row-major over the grid. A block
// that runs past the end of a dimension is a partial edge block, cut at the edge: a block size
// need not divide its dimension, and one larger than its dimension is cut the same way (the
// pruner's validation and the container refuse that before building a grid). With stride > block
// the elements between blocks belong to no block; with stride < block, blocks overlap.
//
// Ownership: a value type. Thread-safety: const methods may be called concurrently.
#pragma once

#include <algorithm>
#include <array>
#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "sieve/core/assert.h"
#include "sieve/core/status.h"
#include "sieve/core/tensor.h"

namespace sieve {

class BlockGrid {
 public:
  static constexpr size_t kMaxRank = 8;
  // At most this many blocks hold any one element (Π ⌈block/stride⌉ over the dimensions): a
  // walk over every block's elements then costs at most this many passes over the weights.
  static constexpr int64_t kMaxOverlap = 64;

  // `block` and `stride` give one size per dimension; missing trailing sizes are 1 (stride:
  // missing entirely = the block). Errors (invalid_argument, naming `what`, the field, the
  // dimension and the value): rank > kMaxRank, a negative dimension, a list longer than the rank,
  // a size < 1, blocks that overlap more than kMaxOverlap times (a stride far below the block).
  // A block that does not divide its dimension is not an error (partial edge blocks).
  static Result<BlockGrid> make(const Shape& shape, std::span<const int64_t> block,
                                std::span<const int64_t> stride = {},
                                const std::string& what = "weight");

  const Shape& shape() const { return shape_; }
  const std::vector<int64_t>& block() const { return block_; }    // padded to the rank
  const std::vector<int64_t>& stride() const { return stride_; }  // padded to the rank
  const std::vector<int64_t>& counts() const { return count_; }   // blocks per dimension
  int64_t blocks() const { return blocks_; }
  // Blocks tile the tensor: stride == block, so every element lies in exactly one block.
  bool is_tiling() const { return stride_ == block_; }

  // Calls fn(offset) for every element of block `id` (row-major element offsets, in row-major
  // order within the block).
  template <typename Fn>
  void for_each_element(int64_t id, Fn&& fn) const {
    const size_t r = shape_.size();
    if (r == 0) {
      fn(int64_t{0});
      return;
    }
    std::array<int64_t, kMaxRank> lo{}, hi{};
    for (size_t k = r; k-- > 0;) {
      const int64_t a = (id % count_[k]) * stride_[k];
      id /= count_[k];
      lo[k] = a;
      hi[k] = std::min(shape_[k], a + block_[k]);
    }
    std::array<int64_t, kMaxRank> idx = lo;
    const size_t last = r - 1;
    while (true) {
      int64_t base = 0;
      for (size_t k = 0; k < last; ++k) base += idx[k] * elem_stride_[k];
      for (int64_t j = lo[last]; j < hi[last]; ++j) fn(base + j);
      bool done = true;  // odometer over dimensions 0..last-1
      for (size_t k = last; k-- > 0;) {
        if (++idx[k] < hi[k]) {
          done = false;
          break;
        }
        idx[k] = lo[k];
      }
      if (done) return;
    }
  }

  // Tilings only: calls fn(begin, end, id) for every run of consecutive elements
  // [begin, end) (row-major offsets) that lie in one block `id`, in increasing offset order:
  // each row along the last dimension is cut at block boundaries.
  template <typename Fn>
  void for_each_run(Fn&& fn) const {
    SIEVE_ASSERT(is_tiling(), "for_each_run needs a tiling (stride == block)");
    const size_t r = shape_.size();
    const int64_t n = shape_numel(shape_);
    if (n == 0) return;
    if (r == 0) {
      fn(int64_t{0}, int64_t{1}, int64_t{0});
      return;
    }
    const int64_t last = shape_[r - 1], blast = block_[r - 1];
    std::array<int64_t, kMaxRank> idx{};
    for (int64_t row = 0; row < n; row += last) {
      int64_t base = 0;  // the id of the row's first block
      for (size_t d = 0; d + 1 < r; ++d) base = base * count_[d] + idx[d] / block_[d];
      base *= count_[r - 1];
      for (int64_t c = 0, b = base; c < last; c += blast, ++b) {
        fn(row + c, row + std::min(last, c + blast), b);
      }
      for (size_t d = r - 1; d-- > 0;) {  // next row
        if (++idx[d] < shape_[d]) break;
        idx[d] = 0;
      }
    }
  }

  // Tilings only: calls fn(offset, id) for every element in row-major order with its block.
  template <typename Fn>
  void for_each_offset(Fn&& fn) const {
    for_each_run([&](int64_t begin, int64_t end, int64_t id) {
      for (int64_t i = begin; i < end; ++i) fn(i, id);
    });
  }

 private:
  BlockGrid() = default;

  Shape shape_;
  std::vector<int64_t> block_, stride_, count_, elem_stride_;
  int64_t blocks_ = 1;
};

}  // namespace sieve
