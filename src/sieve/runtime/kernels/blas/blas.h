// A thin row-major wrapper over OpenBLAS (Debian's libopenblas, DYNAMIC_ARCH build), plus the
// facts a benchmark or training log should print about it (core name, thread count).
//
// sgemm() computes C = alpha * op(A) * op(B) + beta * C for row-major matrices, where op(X) is X
// or its transpose. It is a direct call into cblas_sgemm, which is thread-safe; OpenBLAS runs
// it on its own thread pool (openblas_get_num_threads()). Results are bit-identical between
// runs for the same core type and the same thread count.
//
// The core-type fix (the library picks slow "Prescott" kernels on some AVX-512 CPUs) lives in
// coretype.h.
#pragma once

#include <string>

namespace sieve::runtime::blas {

enum class Trans { kNo, kYes };

// C[m,n] = alpha * op(A)[m,k] * op(B)[k,n] + beta * C[m,n]; lda/ldb/ldc are row strides of the
// matrices as stored (A is [m,k] when not transposed, [k,m] when transposed).
void sgemm(Trans trans_a, Trans trans_b, int m, int n, int k, float alpha, const float* a, int lda,
           const float* b, int ldb, float beta, float* c, int ldc);

// Reference triple loop (double accumulation) with the same contract, for tests and benchmarks.
void sgemm_naive(Trans trans_a, Trans trans_b, int m, int n, int k, float alpha, const float* a,
                 int lda, const float* b, int ldb, float beta, float* c, int ldc);

// The kernel family OpenBLAS selected at load time ("SkylakeX", "Haswell", "Prescott", ...).
std::string corename();
// openblas_get_config(): version and build flags.
std::string config();
int num_threads();
void set_num_threads(int n);

}  // namespace sieve::runtime::blas
