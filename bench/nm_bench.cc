// 2:4 (N:M) spmm (runtime/kernels/nm/) side by side with the dense path on the same layer:
// OpenBLAS SGEMV / SGEMM with the pruned weights as zeros (one thread), on this CPU.
//
// Shapes:
//   fc4096   FC 4096×4096, 2:4, batch 1 (GEMV: bandwidth-bound, 2:4 reads 0.625 of the bytes)
//   conv3_2  VGG16 conv3_2 as im2col GEMM: M=256, K=2304, N=3136, 2:4 (compute-bound)
// Rows: nm/<shape>/<isa> and dense/<shape>. Counters: flops_dense (2·M·K·N per second, the
// dense-equivalent rate) and weight_bytes (bytes of weights one call reads).
#include <benchmark/benchmark.h>
#include <cblas.h>

#include <random>
#include <vector>

#include "sieve/core/cpu.h"
#include "sieve/runtime/kernels/blas/blas.h"
#include "sieve/runtime/kernels/nm/nm.h"

namespace {

namespace nm = sieve::runtime::kernels::nm;
namespace bsr = sieve::runtime::kernels::bsr;
namespace blas = sieve::runtime::blas;

struct NmLayer {
  int64_t m, k, n;
  std::vector<float> dense, x, y;
  nm::NmWeights w;
};

NmLayer make(int64_t m, int64_t k, int64_t n) {
  NmLayer l;
  l.m = m;
  l.k = k;
  l.n = n;
  std::mt19937 rng(1);
  std::normal_distribution<float> nd;
  l.dense.assign(static_cast<size_t>(m * k), 0.0f);
  for (int64_t r = 0; r < m; ++r)
    for (int64_t c0 = 0; c0 < k; c0 += 4) {
      const int64_t a = static_cast<int64_t>(rng() % 4);
      const int64_t b = (a + 1 + static_cast<int64_t>(rng() % 3)) % 4;
      l.dense[static_cast<size_t>(r * k + c0 + a)] = nd(rng);
      l.dense[static_cast<size_t>(r * k + c0 + b)] = nd(rng);
    }
  l.x.resize(static_cast<size_t>(k * n));
  for (float& v : l.x) v = nd(rng);
  l.y.resize(static_cast<size_t>(m * n));
  l.w = *nm::pack_nm(nm::NmPackInput{m, k, l.dense.data(), nullptr, 2, 4, nullptr});
  return l;
}

struct OneBlasThread {
  int before = blas::num_threads();
  OneBlasThread() { blas::set_num_threads(1); }
  ~OneBlasThread() { blas::set_num_threads(before); }
};

void counters(benchmark::State& state, const NmLayer& l, double weight_bytes) {
  state.counters["flops_dense"] = benchmark::Counter(
      2.0 * static_cast<double>(l.m * l.k * l.n) * static_cast<double>(state.iterations()),
      benchmark::Counter::kIsRate);
  state.counters["weight_bytes"] = weight_bytes;
}

void BM_Nm(benchmark::State& state, int64_t m, int64_t k, int64_t n, bsr::Isa isa) {
  if (!bsr::isa_for(bsr::isa_name(isa), sieve::detected_cpu_features()).ok()) {
    state.SkipWithError("the CPU lacks this path");
    return;
  }
  NmLayer l = make(m, k, n);
  for (auto _ : state) {
    nm::spmm(l.w, l.x.data(), n, l.y.data(), isa);
    benchmark::DoNotOptimize(l.y.data());
  }
  counters(state, l, static_cast<double>(l.w.values.size() * 4 + l.w.offsets.size()));
}

void BM_Dense(benchmark::State& state, int64_t m, int64_t k, int64_t n) {
  NmLayer l = make(m, k, n);
  OneBlasThread one;
  for (auto _ : state) {
    if (n == 1)
      cblas_sgemv(CblasRowMajor, CblasNoTrans, static_cast<int>(m), static_cast<int>(k), 1.0f,
                  l.dense.data(), static_cast<int>(k), l.x.data(), 1, 0.0f, l.y.data(), 1);
    else
      cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, static_cast<int>(m),
                  static_cast<int>(n), static_cast<int>(k), 1.0f, l.dense.data(),
                  static_cast<int>(k), l.x.data(), static_cast<int>(n), 0.0f, l.y.data(),
                  static_cast<int>(n));
    benchmark::DoNotOptimize(l.y.data());
  }
  state.SetLabel(blas::corename());
  counters(state, l, static_cast<double>(l.dense.size() * 4));
}

BENCHMARK_CAPTURE(BM_Nm, fc4096 / scalar, 4096, 4096, 1, bsr::Isa::kScalar)
    ->Unit(benchmark::kMicrosecond);
BENCHMARK_CAPTURE(BM_Nm, fc4096 / avx2, 4096, 4096, 1, bsr::Isa::kAvx2)
    ->Unit(benchmark::kMicrosecond);
BENCHMARK_CAPTURE(BM_Dense, fc4096, 4096, 4096, 1)->Unit(benchmark::kMicrosecond);
BENCHMARK_CAPTURE(BM_Nm, conv3_2 / scalar, 256, 2304, 3136, bsr::Isa::kScalar)
    ->Unit(benchmark::kMillisecond);
BENCHMARK_CAPTURE(BM_Nm, conv3_2 / avx2, 256, 2304, 3136, bsr::Isa::kAvx2)
    ->Unit(benchmark::kMillisecond);
BENCHMARK_CAPTURE(BM_Dense, conv3_2, 256, 2304, 3136)->Unit(benchmark::kMillisecond);

}  // namespace
