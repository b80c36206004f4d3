// Design-space sweeps over the accelerator models and the compression recipes: `sieve sweep
// SPEC.yaml` (docs/formats/sweep.md).
//
// A sweep spec (YAML) names the axes (arch, param.<preset key>, model, mode, batch, seed,
// input_density), how points are drawn from their product (all of it, uniform random without
// replacement, or a Latin hypercube) and the metrics kept per point (named ones, or any value by
// its path in `sieve simulate --json` output). A spec with a `recipe` is a compression sweep:
// axes model and set.<recipe key>, each point the pipeline of `sieve compress`, metrics paths in
// its --json output (accuracy, ratio_c, file_ratio, ...).
//
//   parse_sweep_spec   validates the whole spec before any point runs (unknown keys list the
//                      valid ones; empty lists and ranges, parameters the arch's preset lacks,
//                      unknown archs, modes and models, and a point count above the limit are
//                      refused), and draws the points: a SweepPlan.
//   SweepEvaluator     runs one point into one row. A failing point gives a row whose `error`
//                      cell says why; it never stops the sweep. Workloads are built once per
//                      (model, batch, seed, input_density), presets and energy tables read once.
//   SweepOutput        collects rows in any order, writes them in point order (a reorder
//                      buffer) to the output file (CSV or JSON, atomically replaced), and
//                      checkpoints every N rows or S seconds to "<out>.checkpoint", from which
//                      `--resume` continues: no point lost, none run twice. The final file
//                      depends only on the spec and the options, never on the order rows came
//                      in, the number of jobs or ranks, or interruptions.
//   run_sweep_local    runs the pending points on a pool of threads.
//
// tools/sieve/sweep_mpi.cc drives the same evaluator and output over MPI ranks.
//
// Thread-safety: SweepPlan is immutable; SweepEvaluator::evaluate is thread-safe; SweepOutput
// is not (callers serialise add()).
#pragma once

#include <cstdint>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "sieve/core/progress.h"
#include "sieve/core/status.h"

namespace sieve::app {

inline constexpr int64_t kDefaultMaxSweepPoints = 100000;

struct SweepAxis {
  // "arch", "param.<key>", "model", "mode", "batch", "seed" or "input_density"; in a
  // compression sweep "model" and "set.<recipe key>".
  std::string key;
  // One per value, in spec order: strings (arch, model, mode) or numbers (the rest), as written
  // to the output and as passed to the model ("-p key=<value>").
  std::vector<nlohmann::json> values;
};

enum class SweepSampling { kProduct, kRandom, kLatinHypercube };

// What a point runs: a simulation (the default), or, when the spec names a `recipe`, the
// compression pipeline of `sieve compress` (app/pipeline.h) with the point's `set.<key>`
// overrides of that recipe.
enum class SweepKind { kSimulate, kCompress };

// A compression sweep's fixed settings (the spec's top-level recipe, data, data_dir, limit,
// validation; `sieve compress`'s options of the same names).
struct SweepCompress {
  std::string recipe;  // the recipe file
  std::string data = "fashion-mnist";
  std::string data_dir;
  int64_t limit = -1;
  int64_t validation = -1;  // -1: the recipe's
};

struct SweepOptions {
  int64_t max_points = kDefaultMaxSweepPoints;  // more points are refused
  // --pareto: metrics to minimise together ("time" = time_ns, "energy" = energy_pj, or any
  // metric name of the spec). Those not among the spec's metrics are appended to them.
  std::vector<std::string> pareto;
};

class SweepPlan {
 public:
  const std::string& file() const { return file_; }
  SweepKind kind() const { return kind_; }
  const SweepCompress& compress() const { return compress_; }
  const std::vector<SweepAxis>& axes() const { return axes_; }
  const std::vector<std::string>& metrics() const { return metrics_; }
  const std::vector<std::string>& pareto() const { return pareto_; }  // metric names
  SweepSampling sampling() const { return sampling_; }
  int64_t size() const { return size_; }
  // The value index on each axis of point i (0 <= i < size()).
  std::vector<int64_t> point(int64_t i) const;
  // Output columns: "point", the axis keys, the metrics, "error" (then "pareto" when asked).
  std::vector<std::string> columns() const;
  // A hash of the columns and every point's axis values: a checkpoint belongs to this plan.
  uint64_t fingerprint() const;

 private:
  friend Result<SweepPlan> parse_sweep_spec(const std::string&, const std::string&,
                                            const SweepOptions&);
  std::string file_;
  SweepKind kind_ = SweepKind::kSimulate;
  SweepCompress compress_;
  std::vector<SweepAxis> axes_;
  std::vector<std::string> metrics_;
  std::vector<std::string> pareto_;
  SweepSampling sampling_ = SweepSampling::kProduct;
  int64_t size_ = 0;
  // Random and Latin-hypercube sampling: the drawn points (value index per axis, point-major).
  std::vector<int64_t> drawn_;
};

// Parses and validates `text` (the spec read from `file`, named in every error).
Result<SweepPlan> parse_sweep_spec(const std::string& text, const std::string& file,
                                   const SweepOptions& opt);
Result<SweepPlan> read_sweep_spec(const std::string& path, const SweepOptions& opt);

// The metric names a spec may list besides JSON paths, each with what it is.
const std::vector<std::pair<std::string, std::string>>& sweep_metric_names();

// Testing hook, read by SweepEvaluator::make: when the environment variable
// SIEVE_TEST_SWEEP_POINT_MS is a positive number, every point first sleeps that many
// milliseconds, so that a test can kill a sweep mid-run.
inline constexpr const char* kSweepPointPauseEnv = "SIEVE_TEST_SWEEP_POINT_MS";

class SweepEvaluator {
 public:
  // Reads the presets and energy tables of the plan's archs.
  static Result<std::unique_ptr<SweepEvaluator>> make(const SweepPlan& plan);
  ~SweepEvaluator();
  // The row of point i, one value per column of plan.columns() but "pareto": the point index,
  // its axis values, its metrics (null when the point failed) and its error ("" when none).
  nlohmann::json evaluate(int64_t i) const;

 private:
  nlohmann::json evaluate_compress(int64_t i) const;
  struct Impl;
  explicit SweepEvaluator(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

struct SweepOutputOptions {
  std::string path;  // .csv or .json; "" = on stdout at the end, no checkpoints
  bool json = false;  // with no path: the JSON form on stdout
  bool resume = false;
  int64_t checkpoint_every = 1000;  // rows
  double checkpoint_seconds = 30;
  // Progress on stderr (core/progress.h): a bar on a terminal, else a timestamped line at most
  // every 10 s.
  bool progress = true;
};

class SweepOutput {
 public:
  // Opens the output of `plan` (which must outlive it). With resume, reads "<path>.checkpoint"
  // (refused when it belongs to another plan or is damaged); without it, an existing checkpoint
  // is refused (it holds an interrupted sweep's rows: resume it or delete it).
  static Result<std::unique_ptr<SweepOutput>> open(const SweepPlan& plan, SweepOutputOptions o);
  ~SweepOutput();
  // The points still to run, ascending.
  const std::vector<int64_t>& pending() const { return pending_; }
  int64_t resumed() const { return resumed_; }  // rows read from the checkpoint
  // A row from SweepEvaluator::evaluate; checkpoints when due.
  Status add(nlohmann::json row);
  // Writes the whole output (with the pareto column) and deletes the checkpoint. Without a
  // path, returns the CSV text in *text.
  Status finish(std::string* text);
  int64_t errors() const;  // rows with a non-empty error

 private:
  SweepOutput(const SweepPlan& plan, SweepOutputOptions o);
  Status checkpoint();
  const SweepPlan& plan_;
  SweepOutputOptions opt_;
  std::vector<std::string> rows_;  // compact JSON of each row, "" while missing
  std::vector<int64_t> pending_;
  int64_t resumed_ = 0, done_ = 0, since_checkpoint_ = 0, prefix_ = 0;
  double last_checkpoint_ = 0;
  std::unique_ptr<Progress> progress_;  // null without opt_.progress
};

// The CSV or JSON text of a plan's rows (rows[i] compact JSON or "" while missing); the rows
// present form the file, in point order. `complete` is written into JSON outputs; the pareto
// column is computed when the plan asks for one and every row is present.
std::string sweep_output_text(const SweepPlan& plan, const std::vector<std::string>& rows,
                              bool json);

// Runs the pending points of `out` on `jobs` threads (0 = every core).
Status run_sweep_local(const SweepEvaluator& eval, SweepOutput& out, int jobs);

}  // namespace sieve::app
