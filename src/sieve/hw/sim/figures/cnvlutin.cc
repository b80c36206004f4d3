// Cnvlutin's figures (Albericio et al., ISCA 2016; thesis §2.3.4 and SPEC §7: 1.37× over
// DaDianNao on average, 1.24–1.55× per network): Cnvlutin over DaDianNao on the conv layers of
// the thesis benchmarks whose activation sparsity is published (thesis Table 3.2 DNS), each
// built by hw/workloads/thesis.h with synthetic activations at those densities.
#include "sieve/hw/sim/reproduce.h"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <cmath>
#include <future>
#include <mutex>

#include "sieve/hw/sim/run.h"
#include "sieve/hw/workloads/thesis.h"

namespace sieve::hw {
namespace {

// The conv networks of the thesis benchmarks with a non-zero conv DNS (Table 3.2). LeNet-5's
// conv DNS is 0 % (no ReLU after its conv layers): nothing for Cnvlutin to skip, so no figure.
constexpr const char* kNetworks[] = {"alexnet", "vgg16", "cifar10-quick", "resnet152"};
constexpr double kPublishedMean = 1.37;

std::vector<FigureDef> defs() {
  std::vector<FigureDef> d = {
      {"cnvlutin-speedup-mean",
       "Cnvlutin over DaDianNao on conv layers, geomean over the networks below (ISCA 2016: "
       "1.37× on average; thesis §2.3.4)",
       kPublishedMean}};
  for (const char* n : kNetworks)
    d.push_back({fmt::format("cnvlutin-speedup-{}", n),
                 fmt::format("Cnvlutin over DaDianNao on {}'s conv layers (published: the 1.37× "
                             "average; per network 1.24–1.55×)",
                             n),
                 kPublishedMean});
  return d;
}

// Time of the conv layers of a run.
double conv_time(const SimReport& r) {
  double t = 0;
  for (const LayerStats& l : r.result.layers)
    if (l.kind == "conv") t += l.time_ns;
  return t;
}

struct NetResult {
  double dadiannao_ns = 0, cnvlutin_ns = 0;
  int64_t conv_layers = 0, as_dadiannao = 0;
};

Result<NetResult> run_network(const std::string& name, const ReproduceOptions& opt) {
  SIEVE_ASSIGN_OR_RETURN(Workload w, thesis_workload(name, opt.seed, 1));
  SIEVE_ASSIGN_OR_RETURN(SimReport base, run_sim(w, ArchRun{"dadiannao", opt.overrides, {}}));
  SIEVE_ASSIGN_OR_RETURN(SimReport cnv, run_sim(w, ArchRun{"cnvlutin", opt.overrides, {}}));
  NetResult r;
  r.dadiannao_ns = conv_time(base);
  r.cnvlutin_ns = conv_time(cnv);
  for (const LayerStats& l : cnv.result.layers) {
    if (l.kind != "conv") continue;
    ++r.conv_layers;
    if (!l.note.empty()) ++r.as_dadiannao;
  }
  if (r.cnvlutin_ns <= 0) return internal_error("{}: no conv time on cnvlutin", name);
  return r;
}

Status compute(const FigureWanted& want, const ReproduceOptions& opt, const FigureSetter& set) {
  if (!want("cnvlutin")) return ok_status();
  std::vector<std::string> nets;
  for (const char* n : kNetworks)
    if (opt.benchmarks.empty() ||
        std::find(opt.benchmarks.begin(), opt.benchmarks.end(), n) != opt.benchmarks.end())
      nets.push_back(n);
  // One network a job (its workload built, then both designs run), on up to opt.threads threads.
  std::vector<Result<NetResult>> results(nets.size(), internal_error("not run"));
  std::mutex mu;
  size_t next = 0;
  auto worker = [&] {
    for (;;) {
      size_t i;
      {
        std::lock_guard<std::mutex> lock(mu);
        if (next >= nets.size()) return;
        i = next++;
      }
      results[i] = run_network(nets[i], opt);
    }
  };
  std::vector<std::future<void>> fs;
  for (int t = 0; t < std::max(1, opt.threads); ++t)
    fs.push_back(std::async(std::launch::async, worker));
  for (auto& f : fs) f.get();
  double log_sum = 0;
  for (size_t i = 0; i < nets.size(); ++i) {
    if (!results[i].ok()) return results[i].status().with_context(nets[i]);
    const NetResult& r = *results[i];
    const double s = r.dadiannao_ns / r.cnvlutin_ns;
    log_sum += std::log(s);
    set("cnvlutin-speedup-" + nets[i], s,
        fmt::format("thesis:{}, conv layers: DaDianNao {:.1f} us / Cnvlutin {:.1f} us "
                    "({} of {} conv layers run as DaDianNao: the first)",
                    nets[i], r.dadiannao_ns / 1e3, r.cnvlutin_ns / 1e3, r.as_dadiannao,
                    r.conv_layers));
  }
  if (!nets.empty())
    set("cnvlutin-speedup-mean", std::exp(log_sum / static_cast<double>(nets.size())),
        fmt::format("geomean of the conv-layer speedups over {}", fmt::join(nets, ", ")));
  return ok_status();
}

}  // namespace

namespace figures {

FigureGroup cnvlutin() {
  return {"Cnvlutin (Albericio et al., ISCA 2016)", defs(), compute,
          {"archs/cnvlutin-28nm", "archs/dadiannao-28nm"}};
}

}  // namespace figures
}  // namespace sieve::hw
