#include "sieve/runtime/kernels/blas/blas.h"

#include <cblas.h>

#include "sieve/core/assert.h"

namespace sieve::runtime::blas {

void sgemm(Trans trans_a, Trans trans_b, int m, int n, int k, float alpha, const float* a, int lda,
           const float* b, int ldb, float beta, float* c, int ldc) {
  SIEVE_ASSERT(m >= 0 && n >= 0 && k >= 0, "sgemm m={} n={} k={}", m, n, k);
  if (m == 0 || n == 0) return;
  cblas_sgemm(CblasRowMajor, trans_a == Trans::kYes ? CblasTrans : CblasNoTrans,
              trans_b == Trans::kYes ? CblasTrans : CblasNoTrans, m, n, k, alpha, a, lda, b, ldb,
              beta, c, ldc);
}

void sgemm_naive(Trans trans_a, Trans trans_b, int m, int n, int k, float alpha, const float* a,
                 int lda, const float* b, int ldb, float beta, float* c, int ldc) {
  for (int i = 0; i < m; ++i) {
    for (int j = 0; j < n; ++j) {
      double acc = 0.0;
      for (int p = 0; p < k; ++p) {
        const float av = trans_a == Trans::kYes ? a[p * lda + i] : a[i * lda + p];
        const float bv = trans_b == Trans::kYes ? b[j * ldb + p] : b[p * ldb + j];
        acc += static_cast<double>(av) * bv;
      }
      float& out = c[i * ldc + j];
      // beta == 0 overwrites (C may hold garbage), as BLAS does.
      out =
          static_cast<float>(alpha * acc + (beta == 0.0f ? 0.0 : static_cast<double>(beta) * out));
    }
  }
}

std::string corename() {
  const char* name = openblas_get_corename();
  return name ? name : "unknown";
}

std::string config() {
  const char* cfg = openblas_get_config();
  return cfg ? cfg : "unknown";
}

int num_threads() {
  return openblas_get_num_threads();
}

void set_num_threads(int n) {
  openblas_set_num_threads(n);
}

}  // namespace sieve::runtime::blas
