// sieve cpu-baselines --model M [--isa auto|scalar|avx2|avx512] [--json] [workload options]: the
// thesis' three CPU configurations timed on this machine, layer by layer (app/cpu_baselines.h):
// OpenBLAS dense, Eigen fine-grained CSR and Sieve's block kernel, one thread, batch 1, the
// matrix products of every conv / FC / LSTM layer. `sieve reproduce cpu` puts the totals of the
// seven thesis benchmarks beside the Sieve accelerator (docs/RESULTS.md, docs/runtime.md).
#include <cstdio>
#include <memory>
#include <string>

#include <nlohmann/json.hpp>

#include "command.h"
#include "sieve/app/cpu_baselines.h"
#include "sieve/core/cpu.h"
#include "sieve/runtime/kernels/bsr/bsr.h"
#include "sim_args.h"

namespace sieve::cli {
namespace {

struct CpuBaselineArgs {
  SimArgs sim;
  std::string isa = "auto";
};

int run_cpu_baselines(CpuBaselineArgs& a) {
  namespace bsr = runtime::kernels::bsr;
  const CpuFeatures cpu = cpu_features();
  Result<bsr::Isa> isa =
      a.isa == "auto" ? Result<bsr::Isa>(bsr::best_isa(cpu)) : bsr::isa_for(a.isa, cpu);
  if (!isa.ok()) return fail(isa.status().with_context("--isa " + a.isa));
  Result<hw::Workload> w = workload_for(a.sim, nullptr);
  if (!w.ok()) return fail(w.status());
  app::CpuBaselineOptions o;
  o.isa = *isa;
  Result<app::CpuModelTime> t = app::time_cpu_baselines(*w, o);
  if (!t.ok()) return fail(t.status());
  if (!a.sim.json && !a.sim.csv) {
    const std::string s = app::cpu_baselines_text(*t, host_cpu_name(), bsr::isa_name(*isa));
    std::fwrite(s.data(), 1, s.size(), stdout);
    return 0;
  }
  nlohmann::json j = {{"model", t->model}, {"cpu", host_cpu_name()},
                      {"isa", bsr::isa_name(*isa)}, {"threads", 1},
                      {"layers", nlohmann::json::array()}};
  for (const app::CpuLayerTime& l : t->layers)
    j["layers"].push_back({{"layer", l.layer}, {"kind", l.kind}, {"rows", l.rows},
                           {"cols", l.cols}, {"n", l.n}, {"repeats", l.repeats},
                           {"density", l.density}, {"block_rows", l.block_rows},
                           {"block_cols", l.block_cols}, {"bits", l.bits},
                           {"dense_seconds", l.t.dense_s}, {"csr_seconds", l.t.csr_s},
                           {"blocks_seconds", l.t.blocks_s}});
  j["total"] = {{"dense_seconds", t->total.dense_s},
                {"csr_seconds", t->total.csr_s},
                {"blocks_seconds", t->total.blocks_s}};
  if (a.sim.csv) {  // one row per layer, then the total
    nlohmann::json rows = j["layers"];
    nlohmann::json total = j["total"];
    total["layer"] = "total";
    rows.push_back(std::move(total));
    print_csv(rows, {"layer", "kind"});
    return 0;
  }
  std::printf("%s\n", j.dump(2).c_str());
  return 0;
}

}  // namespace

void add_cpu_baselines_command(CLI::App& app) {
  auto a = std::make_shared<CpuBaselineArgs>();
  CLI::App* sub = app.add_subcommand(
      "cpu-baselines",
      "Time every matrix layer of a model on the CPU, one thread, batch 1: OpenBLAS dense, "
      "Eigen fine-grained CSR (the thesis' CPU-Sparse) and Sieve's block kernel");
  add_workload_options(sub, a->sim);
  add_csv_flag(sub, a->sim.csv, "one row per layer and a last row \"total\"");
  sub->add_option("--isa", a->isa, "the block kernel's path: auto (the CPU's best), scalar, avx2, avx512")
      ->capture_default_str();
  on_run(sub, [a] { return run_cpu_baselines(*a); });
}

}  // namespace sieve::cli
