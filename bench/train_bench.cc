// Training throughput of the zoo's LeNet-5 and LeNet-300-100 at batch 64 (forward, softmax
// cross-entropy, backward, SGD update), and the batched inference pass (batch 256) of one
// replica. Random inputs; the cost does not depend on the values.
// Counters: examples/s and FLOPS (6 x MACs per example for a step: forward, input gradient,
// weight gradient; 2 x MACs for inference).
#include <benchmark/benchmark.h>

#include <random>
#include <vector>

#include "sieve/ir/cost.h"
#include "sieve/runtime/kernels/blas/blas.h"
#include "sieve/runtime/kernels/blas/coretype.h"
#include "sieve/train/layers.h"
#include "sieve/train/sgd.h"
#include "sieve/train/trainer.h"
#include "sieve/zoo/zoo.h"

namespace {

using namespace sieve;  // NOLINT(google-build-using-namespace)

const bool kCoreFixed = [] {
  runtime::blas::ensure_fast_coretype();  // no-op when gemm_bench.cc already did it
  return true;
}();

struct Setup {
  std::unique_ptr<train::Network> net;
  ir::Graph graph;
  std::vector<float> x;
  std::vector<uint8_t> y;
  std::vector<float> dlogits;
  int64_t macs_per_example = 0;
};

Setup make_setup(const char* model, int64_t batch) {
  Setup s;
  s.graph = *zoo::build(model, {.batch = 1, .init_weights = true, .seed = 1});
  s.macs_per_example = ir::total_macs(s.graph);
  s.net = std::move(train::Network::create(s.graph).value());
  std::mt19937 rng(1);
  std::uniform_real_distribution<float> u(0, 1);
  s.x.resize(static_cast<size_t>(batch * s.net->input_numel()));
  for (float& v : s.x) v = u(rng);
  s.y.resize(static_cast<size_t>(batch));
  for (auto& l : s.y) l = static_cast<uint8_t>(rng() % 10);
  s.dlogits.resize(static_cast<size_t>(batch * s.net->output_numel()));
  return s;
}

// One epoch of Trainer::fit over 1,024 random examples (16 steps of 64): the path `sieve train`
// runs, with its batch shards and threads. range(0): threads (results do not depend on it).
void BM_TrainEpoch(benchmark::State& state, const char* model) {
  const int64_t n = 1024;
  Setup s = make_setup(model, n);
  Tensor x(DType::kF32, {n, s.net->input_numel()});
  std::copy(s.x.begin(), s.x.end(), x.data<float>());
  train::TrainerOptions to;
  to.threads = static_cast<int>(state.range(0));
  auto trainer = std::move(train::Trainer::create(s.graph, to).value());
  train::FitOptions opt;
  opt.epochs = 1;
  opt.batch = 64;
  opt.lr.base_lr = 1e-4;
  for (auto _ : state) benchmark::DoNotOptimize(trainer->fit(x, s.y, opt).ok());
  const double ex = static_cast<double>(state.iterations() * n);
  state.counters["examples/s"] = benchmark::Counter(ex, benchmark::Counter::kIsRate);
  state.counters["FLOPS"] = benchmark::Counter(ex * 6.0 * static_cast<double>(s.macs_per_example),
                                               benchmark::Counter::kIsRate);
  state.SetLabel(runtime::blas::corename());
}

// One step of a single Network replica with OpenBLAS's own threading (no shards), for
// comparison with BM_TrainEpoch.
void BM_TrainStepOneReplica(benchmark::State& state, const char* model) {
  const int64_t batch = 64;
  Setup s = make_setup(model, batch);
  train::Sgd sgd;
  for (auto _ : state) {
    const float* logits = s.net->forward(s.x.data(), batch, true);
    benchmark::DoNotOptimize(train::softmax_cross_entropy(
        logits, s.y.data(), batch, s.net->output_numel(), s.dlogits.data(), nullptr));
    s.net->backward(s.dlogits.data());
    sgd.step(s.net->parameters(), 1e-4, {});
  }
  const double ex = static_cast<double>(state.iterations() * batch);
  state.counters["examples/s"] = benchmark::Counter(ex, benchmark::Counter::kIsRate);
  state.counters["FLOPS"] = benchmark::Counter(ex * 6.0 * static_cast<double>(s.macs_per_example),
                                               benchmark::Counter::kIsRate);
  state.SetLabel(runtime::blas::corename() +
                 " openblas_threads=" + std::to_string(runtime::blas::num_threads()));
}

void BM_Inference(benchmark::State& state, const char* model) {
  const int64_t batch = state.range(0);
  Setup s = make_setup(model, batch);
  for (auto _ : state) benchmark::DoNotOptimize(s.net->forward(s.x.data(), batch, false));
  const double ex = static_cast<double>(state.iterations() * batch);
  state.counters["examples/s"] = benchmark::Counter(ex, benchmark::Counter::kIsRate);
  state.counters["FLOPS"] = benchmark::Counter(ex * 2.0 * static_cast<double>(s.macs_per_example),
                                               benchmark::Counter::kIsRate);
  state.SetLabel(runtime::blas::corename());
}

BENCHMARK_CAPTURE(BM_TrainEpoch, lenet5, "lenet5")
    ->Arg(1)
    ->Arg(2)
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime();
BENCHMARK_CAPTURE(BM_TrainEpoch, lenet_300_100, "lenet-300-100")
    ->Arg(1)
    ->Arg(2)
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime();
BENCHMARK_CAPTURE(BM_TrainStepOneReplica, lenet5, "lenet5")
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime();
BENCHMARK_CAPTURE(BM_Inference, lenet5, "lenet5")
    ->Arg(256)
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime();
BENCHMARK_CAPTURE(BM_Inference, lenet_300_100, "lenet-300-100")
    ->Arg(256)
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime();

}  // namespace
