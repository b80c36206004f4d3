// Speed of the accelerator performance models (issue 4's goals: the whole VGG16 benchmark in
// under 2 s; LeNet-5 with real activations over 1,000 Fashion-MNIST test images in under 10 s),
// and, for scale, one 4096×4096 FC layer at 90 % weight sparsity — the case an open cycle-level
// simulator takes 23–42 s for on this kind of machine.
//
// Workloads are built once outside the timed loop (their build time is its own benchmark:
// computing real activations runs the float reference engine). Counters: simulated layers per
// second and simulated accelerator cycles per wall second.
#include <benchmark/benchmark.h>

#include <cstdlib>
#include <filesystem>
#include <map>
#include <memory>
#include <random>
#include <string>

#include "sieve/hw/sim/inputs.h"
#include "sieve/hw/sim/run.h"
#include "sieve/hw/workloads/thesis.h"

namespace {

using namespace sieve;  // NOLINT(google-build-using-namespace)

const hw::Workload* thesis(const std::string& name) {
  static std::map<std::string, std::unique_ptr<hw::Workload>> cache;
  auto& w = cache[name];
  if (!w) {
    Result<hw::Workload> r = hw::thesis_workload(name, 1, 1);
    if (!r.ok()) return nullptr;
    w = std::make_unique<hw::Workload>(std::move(*r));
  }
  return w.get();
}

void run(benchmark::State& state, const hw::Workload* w, const std::string& arch) {
  if (w == nullptr) {
    state.SkipWithError("workload could not be built");
    return;
  }
  int64_t cycles = 0;
  for (auto _ : state) {
    Result<hw::SimReport> r = hw::run_sim(*w, {arch, {}, {}});
    if (!r.ok()) {
      state.SkipWithError(r.status().to_string().c_str());
      return;
    }
    cycles = r->result.total().cycles;
    benchmark::DoNotOptimize(cycles);
  }
  state.counters["layers/s"] = benchmark::Counter(static_cast<double>(w->layers.size() * w->batch),
                                                  benchmark::Counter::kIsIterationInvariantRate);
  state.counters["sim_cycles/s"] = benchmark::Counter(
      static_cast<double>(cycles), benchmark::Counter::kIsIterationInvariantRate);
}

void BM_SimulateThesis(benchmark::State& state, const std::string& name, const std::string& arch) {
  run(state, thesis(name), arch);
}
BENCHMARK_CAPTURE(BM_SimulateThesis, vgg16_sieve, "vgg16", "sieve")->Unit(benchmark::kMillisecond);
BENCHMARK_CAPTURE(BM_SimulateThesis, vgg16_diannao, "vgg16", "diannao")
    ->Unit(benchmark::kMillisecond);
BENCHMARK_CAPTURE(BM_SimulateThesis, vgg16_cambricon_x, "vgg16", "cambricon-x")
    ->Unit(benchmark::kMillisecond);
BENCHMARK_CAPTURE(BM_SimulateThesis, alexnet_sieve, "alexnet", "sieve")
    ->Unit(benchmark::kMillisecond);
BENCHMARK_CAPTURE(BM_SimulateThesis, vgg16_dadiannao, "vgg16", "dadiannao")
    ->Unit(benchmark::kMillisecond);
BENCHMARK_CAPTURE(BM_SimulateThesis, vgg16_cnvlutin, "vgg16", "cnvlutin")
    ->Unit(benchmark::kMillisecond);
// SCNN's Cartesian product with per-step bank conflicts, and its dense twins (target: a whole
// VGG16 under 2 s).
BENCHMARK_CAPTURE(BM_SimulateThesis, vgg16_scnn, "vgg16", "scnn")->Unit(benchmark::kMillisecond);
BENCHMARK_CAPTURE(BM_SimulateThesis, vgg16_dcnn, "vgg16", "dcnn")->Unit(benchmark::kMillisecond);
BENCHMARK_CAPTURE(BM_SimulateThesis, vgg16_dcnn_opt, "vgg16", "dcnn-opt-16nm")
    ->Unit(benchmark::kMillisecond);

// One 4096×4096 FC layer, 90 % fine-grained weight sparsity, dense activations.
const hw::Workload* fc4096() {
  static std::unique_ptr<hw::Workload> w;
  if (!w) {
    w = std::make_unique<hw::Workload>();
    w->model = "fc4096-90";
    w->batch = 1;
    hw::LayerWork l;
    l.name = "fc";
    l.kind = hw::LayerKind::kFullyConnected;
    l.in_c = l.out_c = l.rows = l.cols = 4096;
    l.pruned = true;
    l.weight_mask = hw::BitVec(4096 * 4096);
    std::mt19937_64 rng(1);
    std::bernoulli_distribution keep(0.1);
    for (int64_t i = 0; i < l.weight_mask.size(); ++i) l.weight_mask.set(i, keep(rng));
    l.input_nz = {hw::BitVec(4096, true)};
    l.output_nz = {hw::BitVec(4096, true)};
    w->layers.push_back(std::move(l));
  }
  return w.get();
}
void BM_SimulateFc4096Sparse90(benchmark::State& state) {
  run(state, fc4096(), "sieve");
}
BENCHMARK(BM_SimulateFc4096Sparse90)->Unit(benchmark::kMillisecond);

// LeNet-5 with real activations: the compressed model `make demo` writes when it exists, else the
// thesis LeNet-5 masks (random weights); 1,000 Fashion-MNIST test images.
std::string lenet5_model() {
  const char* c = std::getenv("SIEVE_CACHE_DIR");
  const char* h = std::getenv("HOME");
  const std::string dir = c ? c : std::string(h ? h : ".") + "/.cache/sieve";
  const std::string demo = dir + "/lenet5-cambricon-s.sieve";
  return std::filesystem::exists(demo) ? demo : "thesis:lenet5";
}

hw::WorkloadRequest lenet5_request() {
  hw::WorkloadRequest req;
  req.model = lenet5_model();
  if (req.model.starts_with("thesis:")) req.model = "lenet5";  // zoo graph, dense, real data
  req.data = "fashion-mnist";
  req.limit = 1000;
  return req;
}

void BM_BuildLenet5Workload1000Images(benchmark::State& state) {
  for (auto _ : state) {
    Result<hw::Workload> w = hw::make_workload(lenet5_request());
    if (!w.ok()) {
      state.SkipWithError(w.status().to_string().c_str());
      return;
    }
    benchmark::DoNotOptimize(w->layers.size());
  }
  state.SetLabel(lenet5_request().model);
}
BENCHMARK(BM_BuildLenet5Workload1000Images)->Unit(benchmark::kMillisecond)->Iterations(1);

void BM_SimulateLenet5Fashion1000Images(benchmark::State& state) {
  static std::unique_ptr<hw::Workload> w;
  if (!w) {
    Result<hw::Workload> r = hw::make_workload(lenet5_request());
    if (!r.ok()) {
      state.SkipWithError(r.status().to_string().c_str());
      return;
    }
    w = std::make_unique<hw::Workload>(std::move(*r));
  }
  run(state, w.get(), "sieve");
  state.SetLabel(lenet5_request().model);
}
BENCHMARK(BM_SimulateLenet5Fashion1000Images)->Unit(benchmark::kMillisecond);

}  // namespace
