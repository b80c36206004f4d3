// sieve sweep SPEC.yaml [--out results.csv|.json] [--jobs N] [--resume] [--max-points N]
//                       [--pareto time,energy] [--checkpoint-every N] [--checkpoint-seconds S]
// A design-space sweep over the accelerator models (src/sieve/app/sweep.h,
// docs/formats/sweep.md): the spec's points on a pool of threads, or over MPI ranks when started
// by mpirun or srun (sweep_mpi.h), one row per point in point order.
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <sstream>
#include <string>

#include "command.h"
#include "sieve/app/sweep.h"
#include "sweep_mpi.h"

namespace sieve::cli {

int run_sweep_here(const SweepArgs& a) {
  Result<app::SweepPlan> plan = app::read_sweep_spec(a.spec, a.options);
  if (!plan.ok()) return fail(plan.status());
  Result<std::unique_ptr<app::SweepEvaluator>> eval = app::SweepEvaluator::make(*plan);
  if (!eval.ok()) return fail(eval.status());
  Result<std::unique_ptr<app::SweepOutput>> out = app::SweepOutput::open(*plan, a.output);
  if (!out.ok()) return fail(out.status());
  if (Status s = app::run_sweep_local(**eval, **out, a.jobs); !s.ok()) return fail(s);
  std::string text;
  if (Status s = (*out)->finish(&text); !s.ok()) return fail(s);
  if (a.output.path.empty()) std::fputs(text.c_str(), stdout);
  std::fprintf(stderr, "sieve sweep: %lld points (%lld from the checkpoint), %lld failed%s%s\n",
               static_cast<long long>(plan->size()), static_cast<long long>((*out)->resumed()),
               static_cast<long long>((*out)->errors()),
               a.output.path.empty() ? "" : ", written to ", a.output.path.c_str());
  return 0;
}

namespace {

int run_sweep(SweepArgs& a) {
  std::stringstream ss(a.pareto);
  for (std::string p; std::getline(ss, p, ',');) {
    if (p.empty()) return fail(invalid_argument("--pareto \"{}\": an empty name", a.pareto));
    a.options.pareto.push_back(p);
  }
  if (!a.pareto.empty() && a.options.pareto.size() < 2)
    return fail(
        invalid_argument("--pareto \"{}\": name at least two metrics, e.g. time,energy", a.pareto));
  if (a.options.max_points < 1)
    return fail(invalid_argument("--max-points {}: expected at least 1", a.options.max_points));
  if (a.jobs < 0)
    return fail(invalid_argument("--jobs {}: expected 0 (every core) or more", a.jobs));
  if (launched_under_mpi()) return run_sweep_mpi(a);
  // srun without an MPI plug-in starts N independent copies: each would write the output.
  if (const char* n = std::getenv("SLURM_NTASKS");
      n != nullptr && std::atoi(n) > 1 && std::getenv("SLURM_PROCID") != nullptr)
    return fail(failed_precondition(
        "started by Slurm as one of {} tasks, but not through MPI{}: run `srun --mpi=pmix "
        "build/sieve sweep ...` (scripts/sweep_slurm.sh), or one task",
        n,
#ifdef SIEVE_HAVE_MPI
        ""
#else
        " (this sieve was built without MPI)"
#endif
        ));
  return run_sweep_here(a);
}

}  // namespace

void add_sweep_command(CLI::App& app) {
  auto a = std::make_shared<SweepArgs>();
  CLI::App* sub = app.add_subcommand(
      "sweep",
      "Design-space sweep over the accelerator models: the points of a spec (docs/formats/"
      "sweep.md) on a thread pool, or over MPI ranks under mpirun/srun; one row per point");
  sub->add_option("spec", a->spec, "the sweep spec (YAML)")->required();
  CLI::Option* out = sub->add_option("--out", a->output.path,
                                     "results file, .csv or .json (replaced atomically, "
                                     "checkpointed to <out>.checkpoint); default: CSV on stdout "
                                     "at the end");
  sub->add_flag("--json", a->output.json,
                "without --out: the results as JSON on stdout (the form of --out X.json)")
      ->excludes(out);
  sub->add_option("--jobs", a->jobs, "threads (0 = every core; under MPI each rank runs one)")
      ->capture_default_str();
  sub->add_flag("--resume", a->output.resume,
                "continue an interrupted sweep from <out>.checkpoint: finished points are kept, "
                "the others run");
  sub->add_option("--max-points", a->options.max_points, "refuse a sweep of more points than this")
      ->capture_default_str();
  sub->add_option("--pareto", a->pareto,
                  "add a pareto column marking the points no other point beats on every one of "
                  "these metrics (minimised): time,energy or metric names");
  sub->add_option("--checkpoint-every", a->output.checkpoint_every,
                  "checkpoint after this many points")
      ->capture_default_str();
  sub->add_option("--checkpoint-seconds", a->output.checkpoint_seconds,
                  "checkpoint after this many seconds")
      ->capture_default_str();
  sub->add_flag("!--no-progress", a->output.progress,
                "no progress line on stderr at each checkpoint");
  on_run(sub, [a] { return run_sweep(*a); });
}

}  // namespace sieve::cli
