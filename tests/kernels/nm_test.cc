// The N:M kernel family (runtime/kernels/nm/): every path against a dense reference and the
// scalar path, for 2:4, 1:2, 4:8, 1:4 and 3:8 (no gather path), batch 1 (GEMV) and wider
// batches with tails; groups keeping fewer than n padded; bad packs refused.
#include "sieve/runtime/kernels/nm/nm.h"

#include <gtest/gtest.h>

#include <cmath>
#include <random>
#include <vector>

#include "sieve/core/cpu.h"

namespace sieve::runtime::kernels::nm {
namespace {

struct Case {
  int64_t rows, cols, n, m;
};

class NmSpmm : public ::testing::TestWithParam<Isa> {};

std::string isa_param_name(const ::testing::TestParamInfo<Isa>& info) {
  return bsr::isa_name(info.param);
}

INSTANTIATE_TEST_SUITE_P(EveryIsa, NmSpmm,
                         ::testing::Values(Isa::kScalar, Isa::kAvx2, Isa::kAvx512), isa_param_name);

TEST_P(NmSpmm, MatchesTheDenseProductEveryPatternEveryN) {
  const Isa isa = GetParam();
  Result<Isa> got = bsr::isa_for(bsr::isa_name(isa), detected_cpu_features());
  if (!got.ok()) GTEST_SKIP() << got.status().message();
  std::mt19937 rng(7);
  std::normal_distribution<float> nd;
  for (const Case c : {Case{16, 32, 2, 4}, Case{7, 36, 1, 2}, Case{5, 64, 4, 8}, Case{9, 20, 1, 4},
                       Case{6, 24, 3, 8}, Case{3, 8, 2, 4}}) {
    for (int64_t ncols : {1, 3, 8, 13, 40, 75}) {
      SCOPED_TRACE(::testing::Message()
                   << c.n << ":" << c.m << " " << c.rows << "x" << c.cols << " ncols " << ncols);
      std::vector<float> dense(static_cast<size_t>(c.rows * c.cols));
      std::vector<uint8_t> mask(dense.size(), 0);
      std::vector<int64_t> pos(static_cast<size_t>(c.m));
      for (int64_t r = 0; r < c.rows; ++r)
        for (int64_t c0 = 0; c0 < c.cols; c0 += c.m) {
          for (int64_t j = 0; j < c.m; ++j) pos[static_cast<size_t>(j)] = j;
          std::shuffle(pos.begin(), pos.end(), rng);
          // Some groups keep fewer than n (padded slots).
          const int64_t keep = (r + c0) % 5 == 0 ? c.n - 1 : c.n;
          for (int64_t j = 0; j < keep; ++j) {
            const size_t i = static_cast<size_t>(r * c.cols + c0 + pos[static_cast<size_t>(j)]);
            mask[i] = 1;
            dense[i] = nd(rng);
          }
        }
      std::vector<float> bias(static_cast<size_t>(c.rows));
      for (float& b : bias) b = nd(rng);
      NmPackInput in{c.rows, c.cols, dense.data(), mask.data(), c.n, c.m, bias.data()};
      Result<NmWeights> w = pack_nm(in);
      ASSERT_TRUE(w.ok()) << w.status().to_string();
      EXPECT_EQ(static_cast<int64_t>(w->values.size()), c.rows * c.cols / c.m * c.n);
      std::vector<float> x(static_cast<size_t>(c.cols * ncols));
      for (float& v : x) v = nd(rng);
      std::vector<float> y(static_cast<size_t>(c.rows * ncols)), ys(y.size());
      // Two row ranges, as threads split a layer.
      const int64_t half = c.rows / 2;
      spmm(*w, x.data(), ncols, y.data(), isa, 0, half);
      spmm(*w, x.data(), ncols, y.data(), isa, half, c.rows);
      spmm(*w, x.data(), ncols, ys.data(), Isa::kScalar);
      for (int64_t r = 0; r < c.rows; ++r)
        for (int64_t j = 0; j < ncols; ++j) {
          double ref = bias[static_cast<size_t>(r)], mag = std::abs(ref);
          for (int64_t k = 0; k < c.cols; ++k) {
            const double t = static_cast<double>(dense[static_cast<size_t>(r * c.cols + k)]) *
                             x[static_cast<size_t>(k * ncols + j)];
            ref += t;
            mag += std::abs(t);
          }
          const size_t i = static_cast<size_t>(r * ncols + j);
          EXPECT_NEAR(y[i], ref, 1e-5 * mag + 1e-6);
          EXPECT_NEAR(y[i], ys[i], 1e-5 * mag + 1e-6);
        }
    }
  }
}

TEST(NmPack, BadInputRefusedNamingTheValues) {
  std::vector<float> d(40, 1.0f);
  Result<NmWeights> w = pack_nm(NmPackInput{4, 10, d.data(), nullptr, 5, 4, nullptr});
  ASSERT_FALSE(w.ok());
  EXPECT_NE(w.status().message().find("n:m = 5:4: n exceeds m"), std::string::npos);
  w = pack_nm(NmPackInput{4, 10, d.data(), nullptr, 2, 4, nullptr});
  ASSERT_FALSE(w.ok());
  EXPECT_NE(w.status().message().find("m = 4 does not divide the row length 10"),
            std::string::npos);
  w = pack_nm(NmPackInput{5, 8, d.data(), nullptr, 2, 4, nullptr});  // all kept: 4 of 4
  ASSERT_FALSE(w.ok());
  EXPECT_NE(w.status().message().find("row 0, columns 0..3 keep more than 2 weights"),
            std::string::npos)
      << w.status().message();
}

// The stored size: 2:4 keeps half the fp32 values plus 2 bits each.
TEST(NmPack, BytesAreValuesPlusTwoBitIndices) {
  std::vector<float> d(64, 0.0f);
  for (size_t i = 0; i < d.size(); i += 2) d[i] = 1.0f;
  Result<NmWeights> w = pack_nm(NmPackInput{4, 16, d.data(), nullptr, 2, 4, nullptr});
  ASSERT_TRUE(w.ok()) << w.status().to_string();
  EXPECT_EQ(w->bytes(), 32 * 4 + 32 * 2 / 8);
}

}  // namespace
}  // namespace sieve::runtime::kernels::nm
