// Pruner invariants: exact sparsity, block shapes (partial edge blocks by the documented rule),
// mean versus max criterion, N:M groups, whole filters/channels, equal non-zeros per PE, masks
// that never lose a pruned weight, spec parsing and validation errors.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <random>
#include <set>

#include "sieve/compress/prune/prune.h"

namespace sieve::compress {
namespace {

Tensor random_weight(const Shape& shape, uint32_t seed) {
  std::mt19937 rng(seed);
  std::normal_distribution<float> d(0.0f, 1.0f);
  std::vector<float> v(static_cast<size_t>(shape_numel(shape)));
  for (float& x : v) x = d(rng);
  return Tensor::from_f32(shape, v);
}

int64_t zeros(const Tensor& mask) {
  int64_t z = 0;
  for (uint8_t m : mask.span<uint8_t>()) z += m == 0;
  return z;
}

PruneSpec spec_of(const std::string& method, double sparsity) {
  PruneSpec s;
  s.method = method;
  s.sparsity = sparsity;
  return s;
}

Tensor run(const Tensor& w, const Tensor& mask, const PruneSpec& spec) {
  Result<Tensor> r = prune(w, mask, spec, "test");
  EXPECT_TRUE(r.ok()) << r.status().to_string();
  return r.ok() ? *r : Tensor();
}

TEST(PruneMagnitude, ExactSparsityAndSmallestFirst) {
  const Tensor w = random_weight({20, 30}, 1);
  const Tensor m = run(w, {}, spec_of("magnitude", 0.3));
  ASSERT_EQ(m.dtype(), DType::kU8);
  ASSERT_EQ(m.shape(), w.shape());
  EXPECT_EQ(zeros(m), 180);
  float max_pruned = 0.0f, min_kept = 1e30f;
  for (int64_t i = 0; i < w.numel(); ++i) {
    const float a = std::abs(w.data<float>()[i]);
    if (m.data<uint8_t>()[i]) {
      min_kept = std::min(min_kept, a);
    } else {
      max_pruned = std::max(max_pruned, a);
    }
  }
  EXPECT_LE(max_pruned, min_kept);
}

TEST(PruneMagnitude, QualityTimesStd) {
  const Tensor w = Tensor::from_f32({2, 4}, {-2.0f, 2.0f, -2.0f, 2.0f, 0.5f, -0.5f, 3.0f, 1.5f});
  // mean = 4.5 / 8, E[x^2] = 27.75 / 8: std = 1.7755; 0.5, -0.5 and 1.5 fall below it.
  const double mean = 4.5 / 8.0;
  const double std = std::sqrt(27.75 / 8.0 - mean * mean);
  PruneSpec s;
  s.method = "magnitude";
  s.quality = 1.0;
  const Tensor m = run(w, {}, s);
  for (int64_t i = 0; i < 8; ++i) {
    EXPECT_EQ(m.data<uint8_t>()[i] != 0, std::abs(w.data<float>()[i]) >= std) << i;
  }
  EXPECT_EQ(zeros(m), 3);
}

TEST(PruneMagnitude, TiesBrokenByPosition) {
  const Tensor w = Tensor::from_f32({1, 6}, {1, 1, 1, 1, 1, 1});
  const Tensor m = run(w, {}, spec_of("magnitude", 0.5));
  const std::vector<uint8_t> got(m.span<uint8_t>().begin(), m.span<uint8_t>().end());
  EXPECT_EQ(got, (std::vector<uint8_t>{0, 0, 0, 1, 1, 1}));
}

// Every pruned element's block (on the grid of `block`, tiling) is pruned whole.
void expect_whole_blocks(const Tensor& m, int64_t rows, int64_t cols, int64_t br, int64_t bc) {
  for (int64_t r0 = 0; r0 < rows; r0 += br) {
    for (int64_t c0 = 0; c0 < cols; c0 += bc) {
      int64_t kept = 0, total = 0;
      for (int64_t r = r0; r < std::min(rows, r0 + br); ++r) {
        for (int64_t c = c0; c < std::min(cols, c0 + bc); ++c) {
          kept += m.data<uint8_t>()[r * cols + c] != 0;
          ++total;
        }
      }
      EXPECT_TRUE(kept == 0 || kept == total)
          << "block at " << r0 << "," << c0 << " kept " << kept << " of " << total;
    }
  }
}

TEST(PruneBlock, FcExactBlocksAndSparsity) {
  const Tensor w = random_weight({8, 12}, 2);
  PruneSpec s = spec_of("block", 0.5);
  s.block = {2, 3};
  const Tensor m = run(w, {}, s);
  EXPECT_EQ(zeros(m), 48);  // 8 of 16 blocks
  expect_whole_blocks(m, 8, 12, 2, 3);
}

TEST(PruneBlock, PartialEdgeBlocksJudgedOnTheirElements) {
  // 5x7 with 2x3 blocks: a 3x3 grid; the last block row has 1 row, the last block column 1 col.
  std::vector<float> v(35, 1.0f);
  // The corner edge block (row 4, col 6) is a single element of mean 0.1: smallest of all.
  v[4 * 7 + 6] = 0.1f;
  // The edge block rows 4, cols 0..2 (3 elements) has mean 0.2.
  for (int c = 0; c < 3; ++c) v[4 * 7 + c] = 0.2f;
  const Tensor w = Tensor::from_f32({5, 7}, v);
  PruneSpec s = spec_of("block", 4.0 / 35.0);
  s.block = {2, 3};
  const Tensor m = run(w, {}, s);
  EXPECT_EQ(zeros(m), 4);
  EXPECT_EQ(m.data<uint8_t>()[4 * 7 + 6], 0);
  for (int c = 0; c < 3; ++c) EXPECT_EQ(m.data<uint8_t>()[4 * 7 + c], 0);
  expect_whole_blocks(m, 5, 7, 2, 3);
}

TEST(PruneBlock, MeanAndMaxCriteriaDiffer) {
  // Two 1x4 blocks: A = {1,1,1,1} (mean 1, max 1), B = {0,0,0,3} (mean 0.75, max 3).
  const Tensor w = Tensor::from_f32({1, 8}, {1, 1, 1, 1, 0, 0, 0, 3});
  PruneSpec s = spec_of("block", 0.5);
  s.block = {1, 4};
  s.criterion = BlockCriterion::kMean;
  const Tensor mean_mask = run(w, {}, s);
  s.criterion = BlockCriterion::kMax;
  const Tensor max_mask = run(w, {}, s);
  for (int i = 0; i < 4; ++i) {
    EXPECT_EQ(mean_mask.data<uint8_t>()[i], 1);
    EXPECT_EQ(max_mask.data<uint8_t>()[i], 0);
  }
  for (int i = 4; i < 8; ++i) {
    EXPECT_EQ(mean_mask.data<uint8_t>()[i], 0);
    EXPECT_EQ(max_mask.data<uint8_t>()[i], 1);
  }
}

TEST(PruneBlock, ConvBlocksOfOutputChannels) {
  const Tensor w = random_weight({8, 4, 3, 3}, 3);
  PruneSpec s = spec_of("block", 0.75);
  s.block = {4};  // 4 output channels x 1 x 1 x 1
  const Tensor m = run(w, {}, s);
  EXPECT_EQ(zeros(m), 216);
  const uint8_t* k = m.data<uint8_t>();
  for (int g = 0; g < 2; ++g) {
    for (int i = 0; i < 36; ++i) {
      for (int o = 1; o < 4; ++o) EXPECT_EQ(k[(g * 4 + o) * 36 + i], k[(g * 4) * 36 + i]);
    }
  }
}

TEST(PruneBlock, StrideLargerThanBlockLeavesGapsDense) {
  // 1x2 blocks every 3 columns on a 2x9 weight: columns 2, 5, 8 belong to no block.
  const Tensor w = random_weight({2, 9}, 12);
  PruneSpec s = spec_of("block", 1.0);
  s.block = {1, 2};
  s.stride = {1, 3};
  const Tensor m = run(w, {}, s);
  for (int r = 0; r < 2; ++r) {
    for (int c = 0; c < 9; ++c) EXPECT_EQ(m.data<uint8_t>()[r * 9 + c], c % 3 == 2 ? 1 : 0);
  }
}

TEST(PruneBlock, OverlappingBlocksPruneTheirUnion) {
  // 1x2 blocks every column on a 1x4 weight: blocks {0,1}, {1,2}, {2,3}, {3}. The smallest
  // mean is the block {0,1}; pruning it alone reaches 2 of 4.
  const Tensor w = Tensor::from_f32({1, 4}, {0.1f, 0.2f, 5.0f, 6.0f});
  PruneSpec s = spec_of("block", 0.5);
  s.block = {1, 2};
  s.stride = {1, 1};
  const Tensor m = run(w, {}, s);
  const std::vector<uint8_t> got(m.span<uint8_t>().begin(), m.span<uint8_t>().end());
  EXPECT_EQ(got, (std::vector<uint8_t>{0, 0, 1, 1}));
}

TEST(PruneBlock, ConvBlocksOverEveryDimensionWithPartialEdges) {
  // [5, 3, 5, 5] with 2x2x3x3 blocks: 3x2x2x2 = 24 blocks, edge blocks smaller.
  const Tensor w = random_weight({5, 3, 5, 5}, 13);
  PruneSpec s = spec_of("block", 0.5);
  s.block = {2, 2, 3, 3};
  const Tensor m = run(w, {}, s);
  const uint8_t* k = m.data<uint8_t>();
  auto at = [&](int o, int c, int y, int x) { return k[((o * 3 + c) * 5 + y) * 5 + x]; };
  int pruned_blocks = 0;
  for (int o0 = 0; o0 < 5; o0 += 2) {
    for (int c0 = 0; c0 < 3; c0 += 2) {
      for (int y0 = 0; y0 < 5; y0 += 3) {
        for (int x0 = 0; x0 < 5; x0 += 3) {
          const uint8_t first = at(o0, c0, y0, x0);
          for (int o = o0; o < std::min(5, o0 + 2); ++o) {
            for (int c = c0; c < std::min(3, c0 + 2); ++c) {
              for (int y = y0; y < std::min(5, y0 + 3); ++y) {
                for (int x = x0; x < std::min(5, x0 + 3); ++x) ASSERT_EQ(at(o, c, y, x), first);
              }
            }
          }
          pruned_blocks += first == 0;
        }
      }
    }
  }
  EXPECT_GT(pruned_blocks, 0);
  EXPECT_NEAR(mask_sparsity(m), 0.5, 0.1);  // nearest with blocks of 8 to 36 elements
}

TEST(PruneBlock, AlreadyPrunedBlocksStayPrunedAndCount) {
  Tensor w = random_weight({8, 8}, 4);
  PruneSpec s = spec_of("block", 0.25);
  s.block = {2, 2};
  const Tensor m1 = run(w, {}, s);
  EXPECT_EQ(zeros(m1), 16);
  // The weights change (retraining would keep pruned ones at zero; here we make them huge to
  // check the mask wins), then the next iteration prunes to 50 %.
  Tensor w2 = w.clone();
  for (int64_t i = 0; i < 64; ++i) {
    if (!m1.data<uint8_t>()[i]) w2.data<float>()[i] = 100.0f;
  }
  s.sparsity = 0.5;
  const Tensor m2 = run(w2, m1, s);
  EXPECT_EQ(zeros(m2), 32);
  for (int64_t i = 0; i < 64; ++i) {
    if (!m1.data<uint8_t>()[i]) {
      EXPECT_EQ(m2.data<uint8_t>()[i], 0) << i;
    }
  }
  expect_whole_blocks(m2, 8, 8, 2, 2);
  // A lower target never un-prunes.
  s.sparsity = 0.1;
  const Tensor m3 = run(w2, m2, s);
  EXPECT_EQ(zeros(m3), 32);
}

TEST(PruneBlock, QualityThresholdOnBlockMean) {
  const Tensor w = Tensor::from_f32({2, 4}, {0.1f, 0.1f, 2.0f, 2.0f, 0.1f, 0.1f, -2.0f, 2.0f});
  PruneSpec s;
  s.method = "block";
  s.quality = 0.5;
  s.block = {2, 2};
  const Tensor m = run(w, {}, s);
  // std = 1.305; left block mean 0.1 < 0.652 pruned, right block mean 2 kept.
  EXPECT_EQ(zeros(m), 4);
  EXPECT_EQ(m.data<uint8_t>()[0], 0);
  EXPECT_EQ(m.data<uint8_t>()[2], 1);
}

TEST(PruneBlock, BlockOfOnesEqualsMagnitude) {
  const Tensor w = random_weight({16, 16}, 5);
  PruneSpec b = spec_of("block", 0.6);
  b.block = {1, 1};
  const Tensor mb = run(w, {}, b);
  const Tensor mm = run(w, {}, spec_of("magnitude", 0.6));
  EXPECT_TRUE(
      std::equal(mb.span<uint8_t>().begin(), mb.span<uint8_t>().end(), mm.span<uint8_t>().begin()));
}

TEST(PruneNm, TwoOfEveryFourAlongColumns) {
  const Tensor w = random_weight({6, 16}, 6);
  PruneSpec s;
  s.method = "nm";
  const Tensor m = run(w, {}, s);
  EXPECT_EQ(zeros(m), 48);
  for (int r = 0; r < 6; ++r) {
    for (int g = 0; g < 4; ++g) {
      int kept = 0;
      float min_kept = 1e30f, max_pruned = 0.0f;
      for (int c = g * 4; c < g * 4 + 4; ++c) {
        const float a = std::abs(w.data<float>()[r * 16 + c]);
        if (m.data<uint8_t>()[r * 16 + c]) {
          ++kept;
          min_kept = std::min(min_kept, a);
        } else {
          max_pruned = std::max(max_pruned, a);
        }
      }
      EXPECT_EQ(kept, 2);
      EXPECT_LE(max_pruned, min_kept);
    }
  }
}

TEST(PruneNm, ConvGroupsAlongInputChannels) {
  const Tensor w = random_weight({3, 8, 2, 2}, 7);
  PruneSpec s;
  s.method = "nm";
  const Tensor m = run(w, {}, s);
  for (int o = 0; o < 3; ++o) {
    for (int k = 0; k < 4; ++k) {
      for (int g = 0; g < 2; ++g) {
        int kept = 0;
        for (int c = g * 4; c < g * 4 + 4; ++c) kept += m.data<uint8_t>()[(o * 8 + c) * 4 + k];
        EXPECT_EQ(kept, 2);
      }
    }
  }
}

TEST(PruneFilter, RemovesWholeRowsWithSmallestL1) {
  const Tensor w = Tensor::from_f32({4, 3}, {1, 1, 1, 0.1f, 0.1f, 0.1f, 5, -5, 5, -0.2f, 0, 0});
  const Tensor m = run(w, {}, spec_of("filter", 0.5));
  const std::vector<uint8_t> got(m.span<uint8_t>().begin(), m.span<uint8_t>().end());
  EXPECT_EQ(got, (std::vector<uint8_t>{1, 1, 1, 0, 0, 0, 1, 1, 1, 0, 0, 0}));
}

TEST(PruneChannel, RemovesWholeInputChannels) {
  const Tensor w = random_weight({4, 6, 2, 2}, 8);
  const Tensor m = run(w, {}, spec_of("channel", 1.0 / 3.0));
  EXPECT_EQ(zeros(m), 32);
  for (int c = 0; c < 6; ++c) {
    int kept = 0;
    for (int o = 0; o < 4; ++o) {
      for (int k = 0; k < 4; ++k) kept += m.data<uint8_t>()[(o * 6 + c) * 4 + k];
    }
    EXPECT_TRUE(kept == 0 || kept == 16) << c;
  }
}

TEST(PruneBalanced, EqualNonZerosPerPe) {
  const Tensor w = random_weight({10, 20}, 9);
  PruneSpec s = spec_of("balanced", 0.8);
  s.pes = 4;
  const Tensor m = run(w, {}, s);
  std::vector<int> nnz(4, 0);
  for (int r = 0; r < 10; ++r) {
    for (int c = 0; c < 20; ++c) nnz[static_cast<size_t>(r % 4)] += m.data<uint8_t>()[r * 20 + c];
  }
  for (int p = 0; p < 4; ++p) EXPECT_EQ(nnz[static_cast<size_t>(p)], 10) << "PE " << p;
  // Unbalanced magnitude pruning of the same weight differs per PE in general; balanced never.
  EXPECT_EQ(zeros(m), 160);
}

TEST(PruneBalanced, TiesKeepLowerPositions) {
  const Tensor w = Tensor::from_f32({2, 4}, {1, 1, 1, 1, 2, 2, 2, 2});
  PruneSpec s = spec_of("balanced", 0.5);
  s.pes = 2;
  const Tensor m = run(w, {}, s);
  const std::vector<uint8_t> got(m.span<uint8_t>().begin(), m.span<uint8_t>().end());
  EXPECT_EQ(got, (std::vector<uint8_t>{1, 1, 0, 0, 1, 1, 0, 0}));
}

// PruneSpec is the one settings type of recipes and pruners (parsed by parse_recipe, see
// recipe_parse_test.cc): merged() applies a per-node override key by key, resolved() gives what
// the pruner runs with.
TEST(PruneSpec, MergedAndResolved) {
  PruneSpec base;
  base.method = "block";
  base.block = {4, 4};
  base.stride = {2, 2};
  base.sparsity = 0.9;
  base.given = {"method", "block", "stride", "sparsity"};
  PruneSpec over;
  over.method = "magnitude";
  over.quality = 0.5;
  over.given = {"method", "quality"};
  const PruneSpec m = base.merged(over);
  EXPECT_EQ(m.method, "magnitude");
  EXPECT_DOUBLE_EQ(m.quality, 0.5);
  EXPECT_LT(m.sparsity, 0);  // quality replaces sparsity
  EXPECT_EQ(m.block, (std::vector<int64_t>{4, 4}));
  const PruneSpec r = m.resolved();
  EXPECT_TRUE(r.block.empty());  // block and stride belong to method block only
  EXPECT_TRUE(r.stride.empty());
  EXPECT_TRUE(validate_prune_spec(r, {8, 8}, "fc").ok());
  PruneSpec unset;
  unset.method = "filter";
  EXPECT_DOUBLE_EQ(unset.resolved().sparsity, 0.0);
  // "none" is valid for any weight and prunes nothing.
  PruneSpec none;
  EXPECT_EQ(none.method, "none");
  EXPECT_TRUE(validate_prune_spec(none, {3, 3}, "x").ok());
  const Tensor w = random_weight({3, 3}, 1);
  Result<Tensor> kept = prune(w, Tensor(), none, "x");
  ASSERT_TRUE(kept.ok());
  EXPECT_TRUE(kept->empty());
}

TEST(PruneSpec, MethodsAndKeysComeFromOneList) {
  EXPECT_EQ(prune_methods(), (std::vector<std::string>{"none", "magnitude", "block", "nm",
                                                       "filter", "channel", "balanced"}));
  EXPECT_EQ(prune_spec_keys(),
            (std::vector<std::string>{"method", "block", "stride", "criterion", "sparsity",
                                      "quality", "n", "m", "pes", "gates"}));
  EXPECT_EQ(*parse_block_criterion("max"), BlockCriterion::kMax);
  EXPECT_FALSE(parse_block_criterion("median").ok());
}

TEST(PruneSpec, StructureOfEachMethod) {
  PruneSpec b = spec_of("block", 0.5);
  b.block = {4};
  b.stride = {2, 3};
  EXPECT_EQ(structure_block(b, {8, 9}), (std::vector<int64_t>{4, 1}));
  PruneStructure st = prune_structure(b, {8, 9});
  EXPECT_EQ(st.method, "block");
  EXPECT_EQ(st.stride, (std::vector<int64_t>{2, 3}));
  PruneSpec nm = spec_of("nm", 0.0);
  nm.n = 1;
  nm.m = 3;
  st = prune_structure(nm, {8, 9});
  EXPECT_EQ(structure_block(nm, {8, 9}), (std::vector<int64_t>{1, 1}));
  EXPECT_EQ(st.n, 1);
  EXPECT_EQ(st.m, 3);
  EXPECT_TRUE(st.stride.empty());
  PruneSpec bal = spec_of("balanced", 0.5);
  bal.pes = 4;
  st = prune_structure(bal, {8, 9});
  EXPECT_EQ(st.groups, 4);
  EXPECT_EQ(st.group_axis, 0);
  EXPECT_EQ(st.n, 0);
}

TEST(PruneSpecValidate, BlockLargerThanWeightNamesLayerFieldValue) {
  PruneSpec s = spec_of("block", 0.5);
  s.block = {4, 512};
  const Status st = validate_prune_spec(s, {300, 100}, "fc2");
  ASSERT_FALSE(st.ok());
  EXPECT_NE(st.message().find("fc2"), std::string::npos) << st.message();
  EXPECT_NE(st.message().find("block[1] = 512"), std::string::npos) << st.message();
  // A size that does not divide is fine (partial edge blocks).
  s.block = {7, 33};
  EXPECT_TRUE(validate_prune_spec(s, {300, 100}, "fc2").ok());
  s.block = {4, 4, 4};
  EXPECT_FALSE(validate_prune_spec(s, {300, 100}, "fc2").ok());
  PruneSpec both = spec_of("magnitude", 0.5);
  both.quality = 1.0;
  EXPECT_FALSE(validate_prune_spec(both, {4, 4}, "x").ok());
  PruneSpec pes = spec_of("balanced", 0.5);
  pes.pes = 5;
  EXPECT_FALSE(validate_prune_spec(pes, {4, 4}, "x").ok());
}

TEST(PrunePasses, ListedInPassesDefOrder) {
  std::vector<std::string> names;
  for (const PassInfo& p : prune_passes()) names.emplace_back(p.name);
  EXPECT_EQ(names, (std::vector<std::string>{"magnitude", "block", "nm", "filter", "channel",
                                             "balanced"}));
  EXPECT_FALSE(find_prune_pass("nope").ok());
  // Container numbers: 0 and 1 are reserved (not recorded, none); each pass has its own.
  std::set<int> ids;
  for (const PassInfo& p : prune_passes()) {
    EXPECT_GE(p.id, 2) << p.name;
    EXPECT_TRUE(ids.insert(p.id).second) << p.name;
    EXPECT_EQ(find_prune_pass(p.id)->name, std::string(p.name));
  }
  EXPECT_FALSE(find_prune_pass(uint8_t{0}).ok());
  EXPECT_FALSE(find_prune_pass(uint8_t{1}).ok());
}

TEST(PruneHelpers, SparsityAndApply) {
  Tensor w = Tensor::from_f32({1, 4}, {1, 2, 3, 4});
  Tensor m(DType::kU8, {1, 4});
  m.data<uint8_t>()[1] = 1;
  m.data<uint8_t>()[3] = 1;
  EXPECT_DOUBLE_EQ(mask_sparsity(m), 0.5);
  apply_mask(w, m);
  EXPECT_EQ(w.data<float>()[0], 0.0f);
  EXPECT_EQ(w.data<float>()[1], 2.0f);
}

}  // namespace
}  // namespace sieve::compress
