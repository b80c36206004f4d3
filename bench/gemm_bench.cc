// SGEMM: OpenBLAS with the core-type fix, OpenBLAS forced onto its "Prescott" kernels (what
// Debian's 0.3.21 picks by mistake on some AVX-512 CPUs; measured in a child process, since the
// core type is fixed when the library loads), and the naive reference loop, on shapes from
// LeNet-5 training (batch 64) and AlexNet's fully connected layers.
//
// The benchmark binary applies the core-type fix itself: the static initializer below runs
// before main (after OpenBLAS's load-time constructor) and may re-execute the binary with
// OPENBLAS_CORETYPE set. The chosen core is printed in the context header ("openblas_core").
// Counters: FLOPS (2*m*n*k per call, per second of wall time: OpenBLAS works on its own
// threads, so CPU time of the calling thread would overstate the rate).
#include <benchmark/benchmark.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <random>
#include <string>
#include <vector>

#include "sieve/runtime/kernels/blas/blas.h"
#include "sieve/runtime/kernels/blas/coretype.h"

namespace {

namespace blas = sieve::runtime::blas;

struct GemmShape {
  const char* name;
  int m, n, k;
  blas::Trans ta, tb;
};

// Row-major C[m,n] = op(A) op(B). LeNet-5 rows are the GEMMs of one training step at batch 64
// (conv2 lowered with im2col: 500 = 20*5*5 rows, 4096 = 64 images * 8*8 positions).
const GemmShape kShapes[] = {
    {"lenet5_conv1_fwd", 20, 36864, 25, blas::Trans::kNo, blas::Trans::kNo},
    {"lenet5_conv2_fwd", 50, 4096, 500, blas::Trans::kNo, blas::Trans::kNo},
    {"lenet5_conv2_dw", 50, 500, 4096, blas::Trans::kNo, blas::Trans::kYes},
    {"lenet5_conv2_dcol", 500, 4096, 50, blas::Trans::kYes, blas::Trans::kNo},
    {"lenet5_ip1_fwd", 64, 500, 800, blas::Trans::kNo, blas::Trans::kYes},
    {"alexnet_fc6_b64", 64, 4096, 9216, blas::Trans::kNo, blas::Trans::kYes},
    {"alexnet_fc7_b64", 64, 4096, 4096, blas::Trans::kNo, blas::Trans::kYes},
    {"alexnet_fc8_b64", 64, 1000, 4096, blas::Trans::kNo, blas::Trans::kYes},
};

struct Operands {
  std::vector<float> a, b, c;
  int lda, ldb, ldc;
};

Operands make_operands(const GemmShape& s) {
  Operands o;
  std::mt19937 rng(1);
  std::uniform_real_distribution<float> u(-1, 1);
  o.a.resize(static_cast<size_t>(s.m) * s.k);
  o.b.resize(static_cast<size_t>(s.k) * s.n);
  o.c.assign(static_cast<size_t>(s.m) * s.n, 0.0f);
  for (float& v : o.a) v = u(rng);
  for (float& v : o.b) v = u(rng);
  o.lda = s.ta == blas::Trans::kYes ? s.m : s.k;
  o.ldb = s.tb == blas::Trans::kYes ? s.k : s.n;
  o.ldc = s.n;
  return o;
}

double run_reps(const GemmShape& s, Operands& o, int reps) {
  blas::sgemm(s.ta, s.tb, s.m, s.n, s.k, 1.0f, o.a.data(), o.lda, o.b.data(), o.ldb, 0.0f,
              o.c.data(), o.ldc);
  const auto t0 = std::chrono::steady_clock::now();
  for (int r = 0; r < reps; ++r) {
    blas::sgemm(s.ta, s.tb, s.m, s.n, s.k, 1.0f, o.a.data(), o.lda, o.b.data(), o.ldb, 0.0f,
                o.c.data(), o.ldc);
  }
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count() / reps;
}

// Child mode: SIEVE_GEMM_BENCH_CHILD=<shape index> runs that shape and prints
// "<seconds per call> <corename>", then exits before main.
const bool kChildDone = [] {
  const char* child = std::getenv("SIEVE_GEMM_BENCH_CHILD");
  if (child == nullptr) {
    blas::ensure_fast_coretype();
    return false;
  }
  const GemmShape& s = kShapes[std::atoi(child)];
  Operands o = make_operands(s);
  const double flop = 2.0 * s.m * s.n * s.k;
  const int reps = std::max(3, static_cast<int>(2e9 / flop));
  std::printf("%.9g %s\n", run_reps(s, o, reps), blas::corename().c_str());
  std::fflush(stdout);
  _exit(0);
}();

void set_flops(benchmark::State& state, const GemmShape& s) {
  state.counters["FLOPS"] = benchmark::Counter(
      2.0 * s.m * s.n * s.k * static_cast<double>(state.iterations()), benchmark::Counter::kIsRate);
}

void BM_SgemmOpenBlas(benchmark::State& state, const GemmShape& s) {
  Operands o = make_operands(s);
  for (auto _ : state) {
    blas::sgemm(s.ta, s.tb, s.m, s.n, s.k, 1.0f, o.a.data(), o.lda, o.b.data(), o.ldb, 0.0f,
                o.c.data(), o.ldc);
    benchmark::DoNotOptimize(o.c.data());
  }
  set_flops(state, s);
  state.SetLabel(blas::corename());
}

// OpenBLAS on its Prescott kernels, timed in a child process started with
// OPENBLAS_CORETYPE=Prescott (manual time: the child's seconds per call).
void BM_SgemmOpenBlasPrescott(benchmark::State& state, int index) {
  const GemmShape& s = kShapes[index];
  const std::string cmd = "OPENBLAS_CORETYPE=Prescott SIEVE_OPENBLAS_REEXEC=bench " +
                          std::string("SIEVE_GEMM_BENCH_CHILD=") + std::to_string(index) +
                          " OPENBLAS_NUM_THREADS=" + std::to_string(blas::num_threads()) +
                          " /proc/" + std::to_string(getpid()) + "/exe";
  for (auto _ : state) {
    FILE* p = popen(cmd.c_str(), "r");
    double seconds = 0;
    char core[64] = {0};
    const int got = p ? std::fscanf(p, "%lf %63s", &seconds, core) : 0;
    if (p) pclose(p);
    if (got != 2 || seconds <= 0) {
      state.SkipWithError("child process failed");
      return;
    }
    state.SetIterationTime(seconds);
    state.SetLabel(core);
  }
  set_flops(state, s);
}

void BM_SgemmNaive(benchmark::State& state, const GemmShape& s) {
  Operands o = make_operands(s);
  for (auto _ : state) {
    blas::sgemm_naive(s.ta, s.tb, s.m, s.n, s.k, 1.0f, o.a.data(), o.lda, o.b.data(), o.ldb, 0.0f,
                      o.c.data(), o.ldc);
    benchmark::DoNotOptimize(o.c.data());
  }
  set_flops(state, s);
}

const bool kRegistered = [] {
  benchmark::AddCustomContext("openblas_core", blas::core_report());
  benchmark::AddCustomContext("openblas_threads", std::to_string(blas::num_threads()));
  for (int i = 0; i < static_cast<int>(std::size(kShapes)); ++i) {
    const GemmShape& s = kShapes[i];
    const std::string base = std::string("BM_Sgemm/") + s.name;
    benchmark::RegisterBenchmark((base + "/openblas").c_str(), BM_SgemmOpenBlas, s)
        ->Unit(benchmark::kMillisecond)
        ->UseRealTime();
    benchmark::RegisterBenchmark((base + "/openblas_prescott").c_str(), BM_SgemmOpenBlasPrescott, i)
        ->Unit(benchmark::kMillisecond)
        ->UseManualTime()
        ->Iterations(1);
    // The naive loop is too slow for AlexNet's fc6/fc7 (billions of MACs per call).
    if (static_cast<double>(s.m) * s.n * s.k <= 3e8) {
      benchmark::RegisterBenchmark((base + "/naive").c_str(), BM_SgemmNaive, s)
          ->Unit(benchmark::kMillisecond)
          ->UseRealTime()
          ->MinTime(0.2);
    }
  }
  return true;
}();

}  // namespace
