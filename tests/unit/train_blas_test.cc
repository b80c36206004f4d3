// The OpenBLAS wrapper: sgemm against the naive reference for every transpose combination, and
// the core-type decision. This file also applies the core-type fix to the whole test binary:
// the static initializer below runs before main (after OpenBLAS's own load-time constructor)
// and may re-execute the binary with OPENBLAS_CORETYPE set.
#include <gtest/gtest.h>

#include <cstdlib>
#include <random>
#include <vector>

#include "sieve/runtime/kernels/blas/blas.h"
#include "sieve/runtime/kernels/blas/coretype.h"

namespace {
const bool kCoreTypeFixed = [] {
  sieve::runtime::blas::ensure_fast_coretype();
  return true;
}();
}  // namespace

namespace sieve::runtime::blas {
namespace {

struct GemmCase {
  Trans ta, tb;
  int m, n, k;
};

TEST(Blas, SgemmMatchesNaiveForAllTransposes) {
  ASSERT_TRUE(kCoreTypeFixed);
  std::mt19937 rng(3);
  std::uniform_real_distribution<float> u(-1, 1);
  for (const GemmCase c :
       {GemmCase{Trans::kNo, Trans::kNo, 7, 5, 3}, GemmCase{Trans::kYes, Trans::kNo, 20, 33, 17},
        GemmCase{Trans::kNo, Trans::kYes, 64, 50, 500},
        GemmCase{Trans::kYes, Trans::kYes, 13, 1, 9}}) {
    const int lda = (c.ta == Trans::kYes ? c.m : c.k) + 2;  // padded strides
    const int ldb = (c.tb == Trans::kYes ? c.k : c.n) + 1;
    const int ldc = c.n + 3;
    const int a_rows = c.ta == Trans::kYes ? c.k : c.m;
    const int b_rows = c.tb == Trans::kYes ? c.n : c.k;
    std::vector<float> a(static_cast<size_t>(a_rows * lda)), b(static_cast<size_t>(b_rows * ldb));
    std::vector<float> c1(static_cast<size_t>(c.m * ldc)), c2;
    for (float& v : a) v = u(rng);
    for (float& v : b) v = u(rng);
    for (float& v : c1) v = u(rng);
    c2 = c1;
    sgemm(c.ta, c.tb, c.m, c.n, c.k, 0.5f, a.data(), lda, b.data(), ldb, 2.0f, c1.data(), ldc);
    sgemm_naive(c.ta, c.tb, c.m, c.n, c.k, 0.5f, a.data(), lda, b.data(), ldb, 2.0f, c2.data(),
                ldc);
    for (size_t i = 0; i < c1.size(); ++i) {
      ASSERT_NEAR(c1[i], c2[i], 1e-4f * (1.0f + static_cast<float>(c.k)))
          << "m=" << c.m << " i=" << i;
    }
  }
}

TEST(Blas, BetaZeroIgnoresGarbage) {
  std::vector<float> a = {1, 2, 3, 4}, b = {1, 0, 0, 1};
  std::vector<float> c(4, std::nanf(""));
  sgemm(Trans::kNo, Trans::kNo, 2, 2, 2, 1.0f, a.data(), 2, b.data(), 2, 0.0f, c.data(), 2);
  EXPECT_EQ(c, a);
  std::vector<float> d(4, std::nanf(""));
  sgemm_naive(Trans::kNo, Trans::kNo, 2, 2, 2, 1.0f, a.data(), 2, b.data(), 2, 0.0f, d.data(), 2);
  EXPECT_EQ(d, a);
}

TEST(Blas, RecommendedCoretype) {
  EXPECT_EQ(recommended_coretype("Prescott", {.avx512f = true, .avx2 = true}), "SkylakeX");
  EXPECT_EQ(recommended_coretype("Prescott", {.avx512f = false, .avx2 = true}), "Haswell");
  EXPECT_EQ(recommended_coretype("Prescott", {.avx512f = false, .avx2 = false}), "");
  EXPECT_EQ(recommended_coretype("SkylakeX", {.avx512f = true, .avx2 = true}), "");
  EXPECT_EQ(recommended_coretype("Cooperlake", {.avx512f = true, .avx2 = true}), "");
  EXPECT_EQ(recommended_coretype("Zen", {.avx512f = false, .avx2 = true}), "");
}

TEST(Blas, ThisProcessDoesNotRunPrescottOnAModernCpu) {
  // After the fix, the library must not be on the slow kernels where the CPU can do better.
  const CpuFeatures cpu = detect_cpu_features();
  if (std::getenv("SIEVE_OPENBLAS_FIX") != nullptr ||
      (std::getenv("OPENBLAS_CORETYPE") != nullptr &&
       std::getenv("SIEVE_OPENBLAS_REEXEC") == nullptr)) {
    GTEST_SKIP() << "core type chosen by the environment";
  }
  EXPECT_EQ(recommended_coretype(corename(), cpu), "") << core_report();
  EXPECT_FALSE(core_report().empty());
  EXPECT_GE(num_threads(), 1);
}

}  // namespace
}  // namespace sieve::runtime::blas
