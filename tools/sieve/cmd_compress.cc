// sieve compress: runs a compression recipe on a model (a zoo name, trained first and cached,
// or an .onnx file) over a dataset, writes the .sieve file and prints the report (SPEC Table
// 3.3 row and the per-layer table), or the same as JSON with --json.
#include <fmt/format.h>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <string>
#include <vector>

#include "command.h"
#include "sieve/core/progress.h"
#include "sieve/app/pipeline.h"
#include "sieve/compress/recipe.h"
#include "sieve/compress/report.h"

namespace sieve::cli {

namespace {

struct CompressArgs {
  std::string model;
  std::string recipe;
  std::string data = "fashion-mnist";
  std::string data_dir;
  std::string out;
  std::string cache_dir;
  int64_t limit = -1;
  int64_t validation = -1;
  std::vector<std::string> set;
  int threads = 0;
  bool no_cache = false;
  bool json = false;
};

int run_compress(const CompressArgs& a) {
  using Clock = std::chrono::steady_clock;
  FILE* log = a.json ? stderr : stdout;
  if (a.limit == 0 || a.limit < -1) {
    return fail(invalid_argument("--limit {} must be positive", a.limit));
  }
  if (a.threads < 0) return fail(invalid_argument("--threads {} is negative", a.threads));
  if (!a.out.empty()) {
    const std::filesystem::path p(a.out);
    const std::filesystem::path parent = p.has_parent_path() ? p.parent_path() : ".";
    std::error_code ec;
    if (!std::filesystem::is_directory(parent, ec)) {
      return fail(not_found("--out {}: folder {} does not exist", a.out, parent.string()));
    }
  }
  if (a.validation < -1) return fail(invalid_argument("--validation {} is negative", a.validation));
  Result<compress::Recipe> recipe = compress::load_recipe(a.recipe, a.set);
  if (!recipe.ok()) return fail(recipe.status());

  app::PipelineOptions o;
  o.model = a.model;
  o.data = a.data;
  o.data_dir = a.data_dir;
  o.limit = a.limit;
  o.validation = a.validation;
  o.cache_dir = a.cache_dir;
  o.use_cache = !a.no_cache;
  o.out = a.out;
  o.threads = a.threads;
  const auto t0 = Clock::now();
  // Per-minibatch progress of each training run on stderr (core/progress.h); the log lines
  // are timestamped from the start.
  Progress bar("retrain", 0, "batches");
  o.log = [&](const std::string& line) {
    bar.clear();
    const double s = std::chrono::duration<double>(Clock::now() - t0).count();
    std::fprintf(log, "[%6.1fs] %s\n", s, line.c_str());
    std::fflush(log);
  };
  o.progress = [&](const train::Progress& p) {
    if (p.end_of_epoch) return;
    if (p.epoch == 1 && p.batch == 1) bar.restart("training", p.epochs * p.batches);
    bar.update((p.epoch - 1) * p.batches + p.batch,
               fmt::format("epoch {}/{}  loss {:.4f}  acc {:.2f}%", p.epoch, p.epochs, p.loss,
                           100.0 * p.accuracy));
  };
  o.log(fmt::format("sieve compress: model {}, recipe {} ({}), data {}", a.model, recipe->name,
                    a.recipe, a.data));
  Result<app::PipelineResult> r = app::run_pipeline(*recipe, o);
  bar.clear();
  if (!r.ok()) return fail(r.status());
  const compress::Report& rep = r->report;
  if (a.json) {
    nlohmann::json j = compress::report_json(rep);
    j["out"] = a.out;
    std::printf("%s\n", j.dump(2).c_str());
  } else {
    std::printf("\n%s", compress::format_report(rep).c_str());
    if (!a.out.empty() && rep.file_bytes >= 0) std::printf("wrote %s\n", a.out.c_str());
    std::printf("total time %.1fs\n", rep.seconds);
  }
  if (!r->write_status.ok()) return fail(r->write_status);
  return 0;
}

}  // namespace

void add_compress_command(CLI::App& app) {
  auto a = std::make_shared<CompressArgs>();
  auto* sub = app.add_subcommand(
      "compress", "Compress a model with a recipe (prune + retrain, quantize, code), write a "
                  ".sieve file and print the report");
  sub->add_option("--model", a->model,
                  "zoo name (trained first, cached in ~/.cache/sieve) or .onnx file")
      ->required();
  sub->add_option("--recipe", a->recipe, "recipe file (YAML, docs/formats/recipe.md)")
      ->required();
  sub->add_option("--data", a->data,
                  "dataset: fashion-mnist, or none (bookkeeping only: synthetic weights, "
                  "one-shot pruning, no training, no accuracy)")
      ->capture_default_str();
  sub->add_option("--data-dir", a->data_dir,
                  "folder of the dataset files (default: the Debian package's)");
  sub->add_option("--out", a->out, ".sieve file to write (atomically)");
  sub->add_option("--limit", a->limit, "use only the first N training and N test examples");
  sub->add_option("--validation", a->validation,
                  "hold out the last N training examples as a validation set (0 = none; "
                  "default: the recipe's `validation:`)");
  sub->add_option("--set", a->set,
                  "override a recipe key, KEY.PATH=VALUE (repeatable), e.g. "
                  "--set prune.fc.sparsity=0.85 --set prune.layers.ip2.block=[8,1]");
  sub->add_option("--threads", a->threads, "trainer threads (default: up to 2)");
  sub->add_option("--cache-dir", a->cache_dir,
                  "cache of trained dense models (default: $SIEVE_CACHE_DIR or ~/.cache/sieve)");
  sub->add_flag("--no-cache", a->no_cache, "train the dense model again and do not cache it");
  sub->add_flag("--json", a->json, "print the report as JSON on stdout (logs go to stderr)");
  on_run(sub, [a] { return run_compress(*a); });
}

}  // namespace sieve::cli
