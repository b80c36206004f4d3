// sieve reproduce [FIGURE…] [--json]: recompute the published figures (the thesis' and each
// modelled rival's) and print each
// beside the published value (hw/sim/reproduce.h).
#include <chrono>
#include <cstdio>
#include <string>
#include <vector>

#include "command.h"
#include "sieve/core/progress.h"
#include "sieve/hw/sim/reproduce.h"

namespace sieve::cli {
namespace {

struct ReproduceArgs {
  std::vector<std::string> figures;
  std::vector<std::string> benchmarks;
  uint64_t seed = 1;
  int threads = 2;
  std::vector<std::string> params;
  bool json = false;
  bool csv = false;
  bool list = false;
};

int run_reproduce(const ReproduceArgs& a) {
  if (a.list) {
    for (const std::string& id : hw::figure_ids()) std::printf("%s\n", id.c_str());
    return 0;
  }
  const auto t0 = std::chrono::steady_clock::now();
  hw::ReproduceOptions opt;
  opt.seed = a.seed;
  opt.threads = a.threads;
  opt.benchmarks = a.benchmarks;
  opt.overrides = a.params;
  Progress bar("sieve reproduce", 0, "publications");
  opt.progress = [&](int64_t done, int64_t total, const std::string& source) {
    if (done == 0) bar.restart("sieve reproduce", total);
    if (source.empty())
      bar.finish(done);
    else
      bar.update(done, source);
  };
  Result<std::vector<hw::FigureResult>> r = hw::reproduce(a.figures, opt);
  if (!r.ok()) return fail(r.status());
  const double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  if (a.csv) {
    print_csv(hw::figures_json(*r), {"figure", "kind", "published", "ours", "deviation"});
  } else if (a.json) {
    std::printf("%s\n", hw::figures_json(*r).dump(2).c_str());
  } else {
    std::printf("%s", hw::figures_text(*r).c_str());
    std::printf(
        "(%.1f s; thesis benchmarks use synthetic activations at the published dynamic "
        "sparsity: there is no ImageNet here)\n",
        s);
  }
  return 0;
}

}  // namespace

void add_reproduce_command(CLI::App& app) {
  auto a = std::make_shared<ReproduceArgs>();
  auto* sub = app.add_subcommand(
      "reproduce",
      "Recompute published accelerator figures (the thesis' and each modelled rival paper's) "
      "beside the published values");
  sub->add_option("figures", a->figures, "figure ids or prefixes (default: all; see --list)");
  sub->add_option("--benchmarks", a->benchmarks, "restrict to these thesis benchmarks")
      ->delimiter(',');
  sub->add_option("--seed", a->seed, "seed of the synthetic masks and activations")
      ->capture_default_str();
  sub->add_option("--threads", a->threads, "simulations run in parallel")->capture_default_str();
  sub->add_option("-p,--param", a->params,
                  "override a parameter of every arch, e.g. dram_load_bytes_per_cycle=32");
  sub->add_flag("--list", a->list, "list the figure ids");
  sub->add_flag("--json", a->json, "print a JSON list of {figure, published, ours, ...}");
  add_csv_flag(sub, a->csv, "one row per figure (the --json fields)");
  on_run(sub, [a] { return run_reproduce(*a); });
}

}  // namespace sieve::cli
