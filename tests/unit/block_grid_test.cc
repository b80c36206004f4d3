// core/block_grid.h, the one block-grid walk, against a naive loop over every element and every
// block, on shapes that the blocks divide and shapes that they do not (partial edge blocks),
// with strides equal to, smaller than and larger than the block.
#include "sieve/core/block_grid.h"

#include <gtest/gtest.h>

#include <set>
#include <vector>

namespace sieve {
namespace {

// The naive definition: block id (row-major over ceil(shape / stride) anchors) holds the
// elements whose coordinate along every d lies in [anchor_d, min(shape_d, anchor_d + block_d)).
std::vector<std::vector<int64_t>> naive_blocks(const Shape& shape, const std::vector<int64_t>& b,
                                               const std::vector<int64_t>& s) {
  const size_t r = shape.size();
  std::vector<int64_t> count(r);
  int64_t blocks = 1;
  for (size_t d = 0; d < r; ++d) {
    count[d] = (shape[d] + s[d] - 1) / s[d];
    blocks *= count[d];
  }
  const int64_t n = shape_numel(shape);
  std::vector<std::vector<int64_t>> out(static_cast<size_t>(blocks));
  for (int64_t id = 0; id < blocks; ++id) {
    std::vector<int64_t> anchor(r);
    int64_t rest = id;
    for (size_t d = r; d-- > 0;) {
      anchor[d] = (rest % count[d]) * s[d];
      rest /= count[d];
    }
    for (int64_t i = 0; i < n; ++i) {
      int64_t rem = i;
      bool in = true;
      for (size_t d = r; d-- > 0;) {
        const int64_t c = rem % shape[d];
        rem /= shape[d];
        in = in && c >= anchor[d] && c < anchor[d] + b[d];
      }
      if (in) out[static_cast<size_t>(id)].push_back(i);
    }
  }
  return out;
}

struct Case {
  Shape shape;
  std::vector<int64_t> block, stride;  // full rank
};

const Case kCases[] = {
    {{8, 8}, {4, 4}, {4, 4}},                    // divides
    {{7, 10}, {3, 4}, {3, 4}},                   // does not divide: partial edge blocks
    {{5, 3, 3, 2}, {2, 3, 2, 1}, {2, 3, 2, 1}},  // rank 4, mixed
    {{9}, {4}, {4}},                             // rank 1
    {{6, 7}, {1, 1}, {1, 1}},                    // fine-grained
    {{7, 9}, {3, 3}, {2, 2}},                    // overlapping
    {{7, 9}, {2, 2}, {3, 4}},                    // gaps between blocks
    {{4, 6}, {4, 6}, {4, 6}},                    // one block
    {{3, 2}, {5, 1}, {5, 1}},                    // a block larger than its dimension: cut
};

TEST(BlockGrid, ElementsOfEachBlockMatchTheNaiveLoop) {
  for (const Case& c : kCases) {
    SCOPED_TRACE(shape_str(c.shape) + " block " + shape_str(c.block) + " stride " +
                 shape_str(c.stride));
    Result<BlockGrid> g = BlockGrid::make(c.shape, c.block, c.stride);
    ASSERT_TRUE(g.ok()) << g.status().to_string();
    const auto want = naive_blocks(c.shape, c.block, c.stride);
    ASSERT_EQ(g->blocks(), static_cast<int64_t>(want.size()));
    EXPECT_EQ(g->is_tiling(), c.block == c.stride);
    for (int64_t id = 0; id < g->blocks(); ++id) {
      std::vector<int64_t> got;
      g->for_each_element(id, [&](int64_t i) { got.push_back(i); });
      EXPECT_EQ(got, want[static_cast<size_t>(id)]) << "block " << id;
    }
  }
}

TEST(BlockGrid, TilingRunsCoverEveryElementOnceInOrder) {
  for (const Case& c : kCases) {
    if (c.block != c.stride) continue;
    SCOPED_TRACE(shape_str(c.shape) + " block " + shape_str(c.block));
    Result<BlockGrid> g = BlockGrid::make(c.shape, c.block);
    ASSERT_TRUE(g.ok()) << g.status().to_string();
    const auto want = naive_blocks(c.shape, c.block, c.stride);
    std::vector<int64_t> block_of(static_cast<size_t>(shape_numel(c.shape)), -1);
    for (size_t id = 0; id < want.size(); ++id) {
      for (int64_t i : want[id]) block_of[static_cast<size_t>(i)] = static_cast<int64_t>(id);
    }
    int64_t next = 0;
    g->for_each_offset([&](int64_t i, int64_t id) {
      EXPECT_EQ(i, next++);
      EXPECT_EQ(id, block_of[static_cast<size_t>(i)]) << "element " << i;
    });
    EXPECT_EQ(next, shape_numel(c.shape));
    int64_t prev_end = 0;
    g->for_each_run([&](int64_t begin, int64_t end, int64_t) {
      EXPECT_EQ(begin, prev_end);
      EXPECT_LT(begin, end);
      prev_end = end;
    });
    EXPECT_EQ(prev_end, shape_numel(c.shape));
  }
}

TEST(BlockGrid, ShortListsArePaddedWithOnes) {
  Result<BlockGrid> g = BlockGrid::make({6, 4, 3, 3}, std::vector<int64_t>{2});
  ASSERT_TRUE(g.ok());
  EXPECT_EQ(g->block(), (std::vector<int64_t>{2, 1, 1, 1}));
  EXPECT_EQ(g->stride(), g->block());
  EXPECT_EQ(g->counts(), (std::vector<int64_t>{3, 4, 3, 3}));
  g = BlockGrid::make({6, 4}, std::vector<int64_t>{2, 2}, std::vector<int64_t>{3});
  ASSERT_TRUE(g.ok());
  EXPECT_EQ(g->stride(), (std::vector<int64_t>{3, 1}));
}

TEST(BlockGrid, BadSizesAreErrorsNamingTheFieldAndValue) {
  // A block that does not divide its dimension is not an error (partial edge blocks).
  EXPECT_TRUE(BlockGrid::make({7, 5}, std::vector<int64_t>{3, 2}).ok());
  Result<BlockGrid> g = BlockGrid::make({8, 8}, std::vector<int64_t>{4, 0}, {}, "fc1.w");
  ASSERT_FALSE(g.ok());
  EXPECT_EQ(g.status().message(), "fc1.w: block[1] = 0 must be >= 1");
  g = BlockGrid::make({8, 8}, std::vector<int64_t>{4, 4}, std::vector<int64_t>{-1}, "fc1.w");
  ASSERT_FALSE(g.ok());
  EXPECT_EQ(g.status().message(), "fc1.w: stride[0] = -1 must be >= 1");
  g = BlockGrid::make({8, 8}, std::vector<int64_t>{1, 2, 3}, {}, "fc1.w");
  ASSERT_FALSE(g.ok());
  EXPECT_EQ(g.status().message(), "fc1.w: block = 1x2x3 has 3 sizes, the shape [8,8] has rank 2");
  g = BlockGrid::make(Shape(9, 2), std::vector<int64_t>{1}, {}, "w");
  ASSERT_FALSE(g.ok());
  EXPECT_NE(g.status().message().find("rank <= 8"), std::string::npos) << g.status().message();
}

// Blocks that overlap too much (found by fuzzing: a 2.8 KB container whose 1-wide stride under
// a large block made the mask check take seconds) are refused naming the block and stride.
TEST(BlockGrid, OverlapBeyondTheLimitIsRefused) {
  Result<BlockGrid> ok = BlockGrid::make({64, 64}, std::vector<int64_t>{8, 8},
                                         std::vector<int64_t>{1, 1}, "w");
  ASSERT_TRUE(ok.ok()) << ok.status().message();  // 8 × 8 = 64: the limit itself
  Result<BlockGrid> bad = BlockGrid::make({64, 64}, std::vector<int64_t>{16, 8},
                                          std::vector<int64_t>{1, 1}, "w");
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.status().message(),
            "w: block 16x8 with stride 1x1 covers a weight up to 128 times; at most 64 (a stride "
            "closer to the block)");
  // A block longer than its dimension overlaps only as far as the dimension reaches.
  EXPECT_TRUE(BlockGrid::make({4, 64}, std::vector<int64_t>{1000, 1},
                              std::vector<int64_t>{1, 1}, "w")
                  .ok());
}

}  // namespace
}  // namespace sieve
