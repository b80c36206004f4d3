// SCNN's figures (Parashar et al., ISCA 2017) recomputed from our SCNN, DCNN and DCNN-opt models
// (hw/archs/scnn/perf.h), and the thesis' comparison of its own sparse-over-dense gains with
// SCNN's (thesis §5.3.4: Sieve 4.32× speed and 6.53× energy over its dense mode, SCNN 2.7× and
// 2.3× over DCNN; SPEC §7).
//
// Benchmarks: the thesis' CNNs (hw/workloads/thesis.h: AlexNet, VGG16, LeNet-5, Cifar10-quick,
// ResNet-152) with their published coarse-grained sparsity and synthetic activations at the
// published densities; "dense" twins are the same layers with every weight kept and every
// activation non-zero. SCNN's paper reports its speedup and energy on convolutional layers
// (it is not designed for FC layers), so its figures sum conv layers only; the thesis' claim
// compares whole networks. Aggregates are geometric means over the benchmarks.
#include <fmt/format.h>

#include <array>
#include <cmath>
#include <functional>
#include <future>
#include <map>
#include <mutex>

#include "sieve/hw/sim/reproduce.h"
#include "sieve/hw/sim/run.h"
#include "sieve/hw/workloads/thesis.h"

namespace sieve::hw {
namespace {

constexpr const char* kSource = "SCNN (Parashar et al., ISCA 2017)";

// The thesis benchmarks with convolutional layers.
const std::vector<std::string>& cnns() {
  static const std::vector<std::string> v = {"alexnet", "vgg16", "lenet5", "cifar10-quick",
                                             "resnet152"};
  return v;
}

std::vector<FigureDef> defs() {
  return {
      {"scnn-conv-speedup-vs-dcnn",
       "SCNN over DCNN, conv-layer time, thesis CNNs at the published sparsity (SCNN abstract, "
       "§7: 2.7×)",
       2.7},
      {"scnn-conv-energy-vs-dcnn",
       "SCNN over DCNN, conv-layer energy incl. DRAM, same benchmarks (SCNN abstract, §7: 2.3×)",
       2.3},
      {"scnn-dense-performance",
       "SCNN's performance relative to DCNN on dense networks, conv layers (thesis §2.3.4: SCNN "
       "loses 21 %: 0.79)",
       0.79},
      {"scnn-dense-energy",
       "SCNN's energy relative to DCNN on dense networks, conv layers (thesis §2.3.4: 33 % more: "
       "1.33)",
       1.33},
      {"scnn-fc-utilization",
       "SCNN's multiplier utilisation on the FC layers of the thesis CNNs (thesis §2.3.4: about "
       "20 % on FC and 1×1 layers)",
       0.20},
      {"scnn-1x1-utilization",
       "SCNN's multiplier utilisation on the 1×1 conv layers of the thesis CNNs (thesis §2.3.4: "
       "about 20 % on FC and 1×1 layers)",
       0.20},
      {"scnn-thesis-sieve-speedup",
       "Sieve sparse over its dense mode, whole networks, the same CNNs (thesis §5.3.4: 4.32×)",
       4.32},
      {"scnn-thesis-sieve-energy",
       "Sieve sparse over its dense mode, energy, the same CNNs (thesis §5.3.4: 6.53×)", 6.53},
      {"scnn-thesis-scnn-speedup",
       "SCNN over DCNN, whole networks, the same CNNs (the thesis quotes SCNN's 2.7× beside its "
       "own, §5.3.4)",
       2.7},
      {"scnn-thesis-scnn-energy",
       "SCNN over DCNN, energy, whole networks, the same CNNs (thesis §5.3.4 quotes 2.3×)", 2.3},
  };
}

double geomean(const std::vector<double>& v) {
  if (v.empty()) return 0;
  double s = 0;
  for (double x : v) s += std::log(x);
  return std::exp(s / static_cast<double>(v.size()));
}

// Time (ns) and energy (pJ) of the layers of `kind` ("" = all).
struct Sums {
  double time = 0, energy = 0;
};
Sums sums(const SimReport& r, const std::string& kind = "") {
  Sums s;
  for (size_t i = 0; i < r.result.layers.size(); ++i) {
    const LayerStats& l = r.result.layers[i];
    if (!kind.empty() && l.kind != kind) continue;
    s.time += l.time_ns;
    s.energy += r.layer_energy[i].total_pj();
  }
  return s;
}

// Every weight kept and every activation non-zero.
Workload dense_twin(Workload w) {
  for (LayerWork& l : w.layers) {
    if (l.rows > 0 && l.cols > 0) l.weight_mask = BitVec(l.rows * l.cols, true);
    l.pruned = false;
    for (BitVec& b : l.input_nz) b = BitVec(b.size(), true);
    for (BitVec& b : l.output_nz) b = BitVec(b.size(), true);
  }
  w.model += " (dense)";
  return w;
}

// Runs the jobs on up to `threads` threads; results by key.
Result<std::map<std::string, SimReport>> run_all(
    const std::map<std::string, std::function<Result<SimReport>()>>& jobs, int threads) {
  std::vector<std::string> keys;
  for (const auto& [k, f] : jobs) keys.push_back(k);
  std::map<std::string, SimReport> done;
  std::mutex mu;
  size_t next = 0;
  Status first;
  auto worker = [&] {
    for (;;) {
      std::string key;
      {
        std::lock_guard<std::mutex> lock(mu);
        if (next >= keys.size() || !first.ok()) return;
        key = keys[next++];
      }
      Result<SimReport> r = jobs.at(key)();
      std::lock_guard<std::mutex> lock(mu);
      if (!r.ok()) {
        if (first.ok()) first = r.status().with_context(key);
      } else {
        done.emplace(key, std::move(*r));
      }
    }
  };
  std::vector<std::future<void>> fs;
  for (int t = 0; t < std::max(1, threads); ++t)
    fs.push_back(std::async(std::launch::async, worker));
  for (auto& f : fs) f.get();
  if (!first.ok()) return first;
  return done;
}

Status compute(const FigureWanted& want, const ReproduceOptions& opt, const FigureSetter& set) {
  const bool sparse = want("scnn-conv") || want("scnn-fc") || want("scnn-thesis");
  const bool dense = want("scnn-dense");
  const bool sieve = want("scnn-thesis-sieve");
  std::map<std::string, Workload> wl;
  for (const std::string& b : cnns()) {
    SIEVE_ASSIGN_OR_RETURN(Workload w, thesis_workload(b, opt.seed, 1));
    if (dense) wl[b + "/dense"] = dense_twin(w);
    wl[b] = std::move(w);
  }
  std::map<std::string, std::function<Result<SimReport>()>> jobs;
  auto job = [&](const std::string& key, const std::string& wkey, const std::string& arch,
                 const std::string& mode) {
    const Workload* w = &wl.at(wkey);
    jobs[key] = [w, arch, mode, ov = opt.overrides]() -> Result<SimReport> {
      ArchRun run{arch, ov, {}};
      run.options.mode = mode;
      return run_sim(*w, run);
    };
  };
  for (const std::string& b : cnns()) {
    if (sparse) {
      job(b + "/scnn", b, "scnn", "");
      job(b + "/dcnn", b, "dcnn", "");
      job(b + "/dcnn-opt", b, "dcnn-opt-16nm", "");
    }
    if (dense) {
      job(b + "/dense/scnn", b + "/dense", "scnn", "");
      job(b + "/dense/dcnn", b + "/dense", "dcnn", "");
    }
    if (sieve) {
      job(b + "/sieve", b, "sieve", "sparse");
      job(b + "/sieve-dense", b, "sieve", "dense");
    }
  }
  SIEVE_ASSIGN_OR_RETURN(auto runs, run_all(jobs, opt.threads));
  const std::string over = fmt::format("geometric mean over {} thesis CNNs", cnns().size());

  if (sparse) {
    std::vector<double> sp, en, en_opt, whole_sp, whole_en;
    std::string per_bench;
    // Utilisation: MACs performed / multiplier slots of the compute cycles; [0] FC layers, [1]
    // 1×1 conv layers; and the 1×1 layers by output plane side.
    std::array<int64_t, 2> util_macs{};
    std::array<double, 2> util_slots{};
    std::map<int64_t, std::pair<int64_t, double>> by_side;
    for (const std::string& b : cnns()) {
      const SimReport& s = runs.at(b + "/scnn");
      const SimReport& d = runs.at(b + "/dcnn");
      const Sums sc = sums(s, "conv"), dc = sums(d, "conv");
      sp.push_back(dc.time / sc.time);
      en.push_back(dc.energy / sc.energy);
      per_bench += fmt::format("{}{} {:.2f}", per_bench.empty() ? "" : ", ", b,
                               dc.time / sc.time);
      en_opt.push_back(sums(runs.at(b + "/dcnn-opt"), "conv").energy / sc.energy);
      whole_sp.push_back(sums(d).time / sums(s).time);
      whole_en.push_back(sums(d).energy / sums(s).energy);
      // FC and 1×1 conv layers: MACs performed over multiplier slots of their cycles.
      for (size_t i = 0; i < s.result.layers.size(); ++i) {
        const LayerStats& l = s.result.layers[i];
        const LayerWork& lw = wl.at(b).layers[i];
        const bool one_by_one = lw.kind == LayerKind::kConv && lw.kh == 1 && lw.kw == 1;
        if (lw.kind != LayerKind::kFullyConnected && !one_by_one) continue;
        const double slots =
            static_cast<double>(s.result.multipliers) * static_cast<double>(l.compute_cycles);
        const size_t k = one_by_one ? 1 : 0;
        util_macs[k] += l.macs_performed;
        util_slots[k] += slots;
        if (one_by_one) {
          by_side[lw.out_h].first += l.macs_performed;
          by_side[lw.out_h].second += slots;
        }
      }
    }
    set("scnn-conv-speedup-vs-dcnn", geomean(sp),
        "conv-layer time DCNN / SCNN, " + over + " (" + per_bench + ")");
    set("scnn-conv-energy-vs-dcnn", geomean(en),
        fmt::format("conv-layer energy (on chip + DRAM) DCNN / SCNN, {}; DCNN-opt / SCNN {:.2f}",
                    over, geomean(en_opt)));
    auto ratio = [](int64_t m, double slots) {
      return slots > 0 ? static_cast<double>(m) / slots : 0.0;
    };
    const std::string util =
        "Σ MACs performed / Σ (multipliers × compute cycles: the datapath's own, memory stalls "
        "excluded) over every ";
    set("scnn-fc-utilization", ratio(util_macs[0], util_slots[0]),
        util + "FC layer of the thesis CNNs on SCNN");
    std::string sides;
    for (auto it = by_side.rbegin(); it != by_side.rend(); ++it)
      sides += fmt::format("{}{}×{} {:.3f}", sides.empty() ? "" : ", ", it->first, it->first,
                           ratio(it->second.first, it->second.second));
    set("scnn-1x1-utilization", ratio(util_macs[1], util_slots[1]),
        util + "1×1 conv layer of the thesis CNNs on SCNN (by output plane: " + sides + ")");
    set("scnn-thesis-scnn-speedup", geomean(whole_sp), "whole-network time DCNN / SCNN, " + over);
    set("scnn-thesis-scnn-energy", geomean(whole_en),
        "whole-network energy DCNN / SCNN, " + over);
  }
  if (dense) {
    std::vector<double> perf, energy;
    for (const std::string& b : cnns()) {
      const Sums sc = sums(runs.at(b + "/dense/scnn"), "conv");
      const Sums dc = sums(runs.at(b + "/dense/dcnn"), "conv");
      perf.push_back(dc.time / sc.time);
      energy.push_back(sc.energy / dc.energy);
    }
    set("scnn-dense-performance", geomean(perf),
        "conv-layer time DCNN / SCNN with every weight and activation non-zero, " + over);
    set("scnn-dense-energy", geomean(energy),
        "conv-layer energy SCNN / DCNN with every weight and activation non-zero, " + over);
  }
  if (sieve) {
    std::vector<double> sp, en;
    for (const std::string& b : cnns()) {
      const Sums s = sums(runs.at(b + "/sieve")), d = sums(runs.at(b + "/sieve-dense"));
      sp.push_back(d.time / s.time);
      en.push_back(d.energy / s.energy);
    }
    set("scnn-thesis-sieve-speedup", geomean(sp),
        "whole-network time Sieve dense mode / sparse, " + over);
    set("scnn-thesis-sieve-energy", geomean(en),
        "whole-network energy Sieve dense mode / sparse, " + over);
  }
  return ok_status();
}

}  // namespace

namespace figures {

FigureGroup scnn() {
  return {kSource, defs(), compute,
          {"archs/scnn-16nm", "archs/dcnn-16nm", "archs/dcnn-opt-16nm"}};
}

}  // namespace figures
}  // namespace sieve::hw
