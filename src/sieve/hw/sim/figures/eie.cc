// EIE's own figures (Han et al., ISCA 2016; SPEC §8) from our EIE model (hw/archs/eie): the
// latency of its nine benchmark layers, the load-balance efficiency against the activation
// queue's depth, its throughput on compressed layers, and the thesis' Table 5.2 comparison
// (Sieve vs EIE) recomputed with our EIE times instead of the printed ones.
#include <fmt/format.h>

#include <cmath>
#include <future>
#include <map>

#include "sieve/hw/archs/eie/perf.h"
#include "sieve/hw/sim/reproduce.h"
#include "sieve/hw/sim/run.h"
#include "sieve/hw/workloads/eie.h"
#include "sieve/hw/workloads/thesis.h"

namespace sieve::hw {
namespace {

// The activation queue depths of the paper's load-balance figure.
const std::vector<int64_t> kDepths = {1, 2, 4, 8, 16, 32, 64, 128, 256};

// Table 5.2's six layers: the thesis' names (hw/workloads/thesis.h eie_fc_workload) and EIE's.
const std::vector<std::pair<std::string, std::string>> kTable52 = {
    {"alexnet-fc6", "eie-alexnet6"}, {"alexnet-fc7", "eie-alexnet7"},
    {"alexnet-fc8", "eie-alexnet8"}, {"vgg16-fc6", "eie-vgg6"},
    {"vgg16-fc7", "eie-vgg7"},       {"vgg16-fc8", "eie-vgg8"}};

std::vector<FigureDef> defs() {
  std::vector<FigureDef> d;
  for (const std::string& b : eie_benchmarks()) {
    Result<EieBenchmark> e = eie_benchmark(b);
    d.push_back({b + "-latency",
                 fmt::format("{} latency on EIE (64 PEs, 800 MHz), µs ({})", b,
                             b.starts_with("eie-neuraltalk") ? "EIE Table IV"
                                                             : "thesis Table 5.2 quoting EIE"),
                 e.ok() ? nlohmann::json(e->latency_us) : nlohmann::json()});
  }
  for (int64_t q : kDepths)
    d.push_back({fmt::format("eie-load-balance-fifo{}", q),
                 fmt::format("load-balance efficiency with an activation queue of depth {}, mean "
                             "over the nine layers (EIE §VI load-balance figure: a curve, no "
                             "printed numbers)",
                             q),
                 nullptr});
  d.push_back({"eie-gops-peak", "EIE peak throughput on compressed layers, GOP/s (SPEC §8: 102)",
               102.0, kFormulaCheck});
  d.push_back({"eie-gops-compressed",
               "EIE throughput on the nine compressed layers, GOP/s (SPEC §8: 102 GOP/s)", 102.0});
  d.push_back({"eie-vs-dadiannao-throughput",
               "EIE vs DaDianNao on the nine EIE layers, throughput (time DaDianNao / time EIE, "
               "geometric mean), every weight on chip on both (EIE §VI: 2.9×)",
               2.9});
  d.push_back({"eie-vs-dadiannao-throughput-256pe",
               "the same with EIE scaled to 256 PEs (-p n_pe=256, 800 MHz): the paper compares "
               "DaDianNao with a 256-PE EIE (as recalled; EIE §VI: 2.9×)",
               2.9});
  d.push_back({"eie-vs-dadiannao-energy-efficiency",
               "EIE vs DaDianNao on the nine EIE layers, energy efficiency (energy DaDianNao / "
               "energy EIE per inference, geometric mean), every weight on chip (EIE §VI: 19×)",
               19.0});
  d.push_back({"eie-table5.2-sieve-vs-eie",
               "Sieve vs EIE on the six Table 5.2 FC layers, all weights on chip, geometric mean "
               "speedup with OUR EIE times and OUR Sieve times (thesis Table 5.2: 1.65×, both "
               "printed)",
               1.65});
  d.push_back({"eie-table5.2-printed-sieve-vs-eie",
               "the same geometric mean with OUR EIE times against the thesis' printed Sieve times "
               "(Table 5.2: 18.43 / 8.19 / 5.13 / 25.23 / 4.12 / 5.09 µs): isolates the EIE model",
               1.65, kPublishedInput});
  return d;
}

double geomean(const std::vector<double>& v) {
  double s = 0;
  for (double x : v) s += std::log(x);
  return v.empty() ? 0 : std::exp(s / static_cast<double>(v.size()));
}

Status compute(const FigureWanted& want, const ReproduceOptions& opt, const FigureSetter& set) {
  if (!want("eie-")) return ok_status();
  SIEVE_ASSIGN_OR_RETURN(const Workload w, eie_workload({}, opt.seed));
  auto run_eie = [&w, &opt](std::vector<std::string> overrides) -> Result<SimReport> {
    for (const std::string& o : opt.overrides) overrides.push_back(o);
    return run_sim(w, ArchRun{"eie", overrides, {}});
  };
  SIEVE_ASSIGN_OR_RETURN(const SimReport base, run_eie({}));
  std::map<std::string, double> eie_us;
  for (const LayerStats& l : base.result.layers) {
    eie_us[l.name] = l.time_ns / 1e3;
    set(l.name + "-latency", l.time_ns / 1e3,
        fmt::format("our EIE model: {} cycles at 800 MHz, {} MACs (paddings included), "
                    "fine-grained random mask at EIE's weight density, activations at its "
                    "density",
                    l.cycles, l.macs_performed));
  }

  // Throughput and power over the nine layers.
  const LayerStats t = base.result.total();
  const double gops = 2.0 * static_cast<double>(t.macs_performed) / t.time_ns;
  set("eie-gops-compressed", gops,
      fmt::format("2 ops per multiply-accumulate the 64 arithmetic units perform (paddings "
                  "included: {} MACs) / the nine layers' total time {:.2f} µs",
                  t.macs_performed, t.time_ns / 1e3));
  set("eie-gops-peak", 2.0 * 64 * 0.8,
      "2 ops × 64 PEs × 0.8 GHz, one multiply-accumulate per PE per cycle (the preset's n_pe and "
      "freq_ghz)");

  // Load-balance efficiency against the queue depth: the PEs' busy cycles over 64 × the span
  // each layer computes, averaged over the nine layers.
  if (want("eie-load-balance")) {
    auto efficiency = [&w, &opt](int64_t q) -> Result<double> {
      std::vector<std::string> ov = opt.overrides;
      ov.push_back(fmt::format("queue_depth={}", q));
      SIEVE_ASSIGN_OR_RETURN(std::unique_ptr<Accelerator> acc, make_accelerator("eie", ov));
      SIEVE_ASSIGN_OR_RETURN(const eie_arch::EieSpec spec, eie_arch::parse_spec(acc->params()));
      double mean = 0;
      for (const LayerWork& l : w.layers)
        mean += eie_arch::EieLayer(spec, l).run_all().load_efficiency() /
                static_cast<double>(w.layers.size());
      return mean;
    };
    std::vector<std::future<Result<double>>> runs;
    for (int64_t q : kDepths) runs.push_back(std::async(std::launch::async, efficiency, q));
    for (size_t i = 0; i < kDepths.size(); ++i) {
      SIEVE_ASSIGN_OR_RETURN(const double e, runs[i].get());
      set(fmt::format("eie-load-balance-fifo{}", kDepths[i]), e,
          "Σ PE busy cycles / (64 × cycles from the first pop to the last entry), mean over the "
          "nine layers");
    }
  }

  // EIE against DaDianNao, both our models, on EIE's nine layers: DaDianNao computes them dense
  // (16-bit weights, zeros multiplied) from its eDRAM, EIE the compressed ones from its SRAM.
  if (want("eie-vs-dadiannao")) {
    auto run_on_chip = [&w, &opt](const std::string& arch, std::vector<std::string> extra = {}) {
      std::vector<std::string> ov = opt.overrides;
      for (std::string& x : extra) ov.push_back(std::move(x));
      ArchRun run{arch, ov, {}};
      run.options.weights_on_chip = true;
      return run_sim(w, run);
    };
    SIEVE_ASSIGN_OR_RETURN(const SimReport e, run_on_chip("eie"));
    SIEVE_ASSIGN_OR_RETURN(const SimReport d, run_on_chip("dadiannao"));
    std::vector<double> speed, energy;
    std::string parts;
    for (size_t i = 0; i < e.result.layers.size() && i < d.result.layers.size(); ++i) {
      const LayerStats& le = e.result.layers[i];
      const LayerStats& ld = d.result.layers[i];
      if (!le.unsupported.empty() || le.time_ns <= 0) continue;
      speed.push_back(ld.time_ns / le.time_ns);
      energy.push_back(d.layer_energy[i].total_pj() / e.layer_energy[i].total_pj());
      parts += fmt::format("{}{} {:.2f}/{:.2f} µs", parts.empty() ? "" : ", ", le.name,
                           ld.time_ns / 1e3, le.time_ns / 1e3);
    }
    if (speed.empty()) return internal_error("no EIE layer ran");
    set("eie-vs-dadiannao-throughput", geomean(speed),
        "geomean of our DaDianNao time / our EIE time, weights on chip: " + parts);
    if (want("eie-vs-dadiannao-throughput-256pe")) {
      SIEVE_ASSIGN_OR_RETURN(const SimReport e256, run_on_chip("eie", {"n_pe=256"}));
      std::vector<double> speed256;
      for (size_t i = 0; i < e256.result.layers.size() && i < d.result.layers.size(); ++i)
        if (e256.result.layers[i].unsupported.empty() && e256.result.layers[i].time_ns > 0)
          speed256.push_back(d.result.layers[i].time_ns / e256.result.layers[i].time_ns);
      set("eie-vs-dadiannao-throughput-256pe", geomean(speed256),
          "geomean of our DaDianNao time / our 256-PE EIE's, weights on chip");
    }
    set("eie-vs-dadiannao-energy-efficiency", geomean(energy),
        "geomean of our DaDianNao energy / our EIE energy per layer (each design's own energy "
        "table; off-chip activations included)");
  }

  // Thesis Table 5.2 with our EIE: Sieve's times as the thesis figures compute them (weights
  // on chip), EIE's from our model on EIE's own layers.
  if (want("eie-table5.2")) {
    SIEVE_ASSIGN_OR_RETURN(Workload sw, eie_fc_workload(opt.seed));
    ArchRun run{"sieve", opt.overrides, {}};
    run.options.weights_on_chip = true;
    SIEVE_ASSIGN_OR_RETURN(SimReport s, run_sim(sw, run));
    std::vector<double> ratios;
    std::string parts;
    for (const auto& [thesis_name, eie_name] : kTable52) {
      double sieve_us = 0;
      for (const LayerStats& l : s.result.layers)
        if (l.name == thesis_name) sieve_us = l.time_ns / 1e3;
      if (sieve_us <= 0) return internal_error("Table 5.2 layer {} not simulated", thesis_name);
      ratios.push_back(eie_us.at(eie_name) / sieve_us);
      parts += fmt::format("{}{} {:.2f}/{:.2f}", parts.empty() ? "" : ", ", thesis_name,
                           eie_us.at(eie_name), sieve_us);
    }
    set("eie-table5.2-sieve-vs-eie", geomean(ratios),
        "geomean of our EIE time / our Sieve's (µs): " + parts);
    // The thesis' printed Sieve times (Table 5.2; SPEC §7), in kTable52's order.
    const std::vector<double> printed = {18.43, 8.19, 5.13, 25.23, 4.12, 5.09};
    std::vector<double> vs_printed;
    for (size_t i = 0; i < kTable52.size(); ++i)
      vs_printed.push_back(eie_us.at(kTable52[i].second) / printed[i]);
    set("eie-table5.2-printed-sieve-vs-eie", geomean(vs_printed),
        "geomean of our EIE time / the thesis' printed Sieve time over the six layers");
  }
  return ok_status();
}

}  // namespace

namespace figures {

FigureGroup eie() {
  return {"EIE (Han et al., ISCA 2016)", defs(), compute,
          {"archs/eie-45nm", "archs/dadiannao-28nm", "archs/sieve-65nm"}};
}

}  // namespace figures
}  // namespace sieve::hw
