// Training throughput: one SGD step (forward, softmax cross-entropy, backward, update) of the
// zoo's LeNet-5 and LeNet-300-100 at batch 64, and the batched inference pass `sieve eval`
// uses (batch 256). Random inputs; the cost does not depend on the values.
// Counters: examples/s and FLOPS (6 x MACs per example for a step: forward, input gradient,
// weight gradient; 2 x MACs for inference).
#include <benchmark/benchmark.h>

#include <random>
#include <vector>

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
  s.macs_per_example = zoo::total_macs(s.graph);
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

void BM_TrainStep(benchmark::State& state, const char* model) {
  const int64_t batch = state.range(0);
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
  state.counters["FLOPS"] = benchmark::Counter(
      ex * 6.0 * static_cast<double>(s.macs_per_example), benchmark::Counter::kIsRate);
  state.SetLabel(runtime::blas::corename());
}

void BM_Inference(benchmark::State& state, const char* model) {
  const int64_t batch = state.range(0);
  Setup s = make_setup(model, batch);
  for (auto _ : state) benchmark::DoNotOptimize(s.net->forward(s.x.data(), batch, false));
  const double ex = static_cast<double>(state.iterations() * batch);
  state.counters["examples/s"] = benchmark::Counter(ex, benchmark::Counter::kIsRate);
  state.counters["FLOPS"] = benchmark::Counter(
      ex * 2.0 * static_cast<double>(s.macs_per_example), benchmark::Counter::kIsRate);
  state.SetLabel(runtime::blas::corename());
}

BENCHMARK_CAPTURE(BM_TrainStep, lenet5, "lenet5")->Arg(64)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK_CAPTURE(BM_TrainStep, lenet_300_100, "lenet-300-100")
    ->Arg(64)
    ->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK_CAPTURE(BM_Inference, lenet5, "lenet5")->Arg(256)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK_CAPTURE(BM_Inference, lenet_300_100, "lenet-300-100")
    ->Arg(256)
    ->Unit(benchmark::kMillisecond)->UseRealTime();

}  // namespace
