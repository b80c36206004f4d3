// sieve train: trains a zoo model (or an .onnx model) on a dataset and writes the trained model
// as ONNX. Defaults per model come from train/recipes.h; flags override them.
#include <fmt/format.h>

#include <chrono>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <string>

#include "command.h"
#include "sieve/app/model_loader.h"
#include "sieve/core/progress.h"
#include "sieve/io/datasets/dataset.h"
#include "sieve/io/onnx/onnx.h"
#include "sieve/runtime/kernels/blas/blas.h"
#include "sieve/runtime/kernels/blas/coretype.h"
#include "sieve/train/recipes.h"
#include "sieve/train/trainer.h"

namespace sieve::cli {

namespace {

struct TrainArgs {
  std::string model;
  std::string data = "fashion-mnist";
  std::string data_dir;
  std::string out;
  std::string schedule;
  int epochs = 0;
  uint64_t seed = 1;
  int64_t batch = 0;
  double lr = 0;
  double momentum = 0;
  double weight_decay = 0;
  int64_t limit = -1;
  int threads = 0;
  bool json = false;
  CLI::Option* epochs_opt = nullptr;
  CLI::Option* batch_opt = nullptr;
  CLI::Option* lr_opt = nullptr;
  CLI::Option* momentum_opt = nullptr;
  CLI::Option* wd_opt = nullptr;
  CLI::Option* schedule_opt = nullptr;
};

std::string duration_str(double s) {
  if (s < 0) s = 0;
  const int64_t t = static_cast<int64_t>(s + 0.5);
  if (t >= 3600) return fmt::format("{}h{:02}m", t / 3600, (t / 60) % 60);
  if (t >= 60) return fmt::format("{}m{:02}s", t / 60, t % 60);
  return fmt::format("{}s", t);
}

// Human-readable log: stdout normally, stderr when stdout carries the JSON summary.
struct Log {
  FILE* f;
  template <typename... A>
  void line(fmt::format_string<A...> fs, A&&... a) const {
    std::fputs((fmt::format(fs, std::forward<A>(a)...) + "\n").c_str(), f);
    std::fflush(f);
  }
};

int run_train(TrainArgs a) {
  using Clock = std::chrono::steady_clock;
  const auto t_start = Clock::now();
  const Log log{a.json ? stderr : stdout};

  if (a.out.empty())
    return fail(invalid_argument("--out: give the path of the ONNX file to write"));
  {
    const std::filesystem::path out_path(a.out);
    const std::filesystem::path parent =
        out_path.has_parent_path() ? out_path.parent_path() : std::filesystem::path(".");
    std::error_code ec;
    if (!std::filesystem::is_directory(parent, ec)) {
      return fail(not_found("--out {}: folder {} does not exist", a.out, parent.string()));
    }
  }
  if (a.limit == 0 || a.limit < -1)
    return fail(invalid_argument("--limit {} must be positive", a.limit));
  if (a.threads < 0) return fail(invalid_argument("--threads {} is negative", a.threads));

  // Settings: the model's defaults, then the flags given.
  train::FitOptions opt = train::default_fit_options(a.model);
  if (a.epochs_opt->count()) opt.epochs = a.epochs;
  if (a.batch_opt->count()) opt.batch = a.batch;
  if (a.lr_opt->count()) opt.lr.base_lr = a.lr;
  if (a.momentum_opt->count()) opt.sgd.momentum = a.momentum;
  if (a.wd_opt->count()) opt.sgd.weight_decay = a.weight_decay;
  if (a.schedule_opt->count()) {
    Result<train::LrPolicy> p = train::parse_lr_policy(a.schedule);
    if (!p.ok()) return fail(p.status().with_context("--schedule"));
    opt.lr.policy = *p;
    if (opt.lr.policy == train::LrPolicy::kStep) opt.lr.step_epochs = std::max(1, opt.epochs / 3);
  }
  opt.seed = a.seed;
  if (opt.epochs <= 0) return fail(invalid_argument("--epochs {} must be positive", opt.epochs));
  if (opt.batch <= 0) return fail(invalid_argument("--batch {} must be positive", opt.batch));
  // Written as !(in range) so that NaN fails as well; Inf is refused explicitly.
  if (!(opt.lr.base_lr > 0 && std::isfinite(opt.lr.base_lr)))
    return fail(invalid_argument("--lr {} must be a positive number", opt.lr.base_lr));
  if (!(opt.sgd.momentum >= 0 && opt.sgd.momentum < 1))
    return fail(invalid_argument("--momentum {} must be in [0, 1)", opt.sgd.momentum));
  if (!(opt.sgd.weight_decay >= 0 && std::isfinite(opt.sgd.weight_decay)))
    return fail(
        invalid_argument("--weight-decay {} must be a number >= 0", opt.sgd.weight_decay));

  // Data first (a missing dataset should fail before any work), then the model.
  Result<io::Dataset> train_set = io::load_dataset(a.data, "train", a.data_dir, a.limit);
  if (!train_set.ok()) return fail(train_set.status().with_context("--data " + a.data));
  Result<io::Dataset> test_set = io::load_dataset(a.data, "test", a.data_dir, a.limit);
  if (!test_set.ok()) return fail(test_set.status().with_context("--data " + a.data));
  Result<ir::Graph> graph =
      app::load_model(a.model, {.batch = 1, .init_weights = true, .seed = a.seed});
  if (!graph.ok()) return fail(graph.status().with_context("--model"));
  train::TrainerOptions topt;
  topt.example_shape =
      Shape(train_set->images.shape().begin() + 1, train_set->images.shape().end());
  topt.threads = a.threads;
  Result<std::unique_ptr<train::Trainer>> trainer_or = train::Trainer::create(*graph, topt);
  if (!trainer_or.ok()) return fail(trainer_or.status().with_context("--model " + a.model));
  train::Trainer& trainer = **trainer_or;

  const std::string core = runtime::blas::core_report();
  const int threads = trainer.threads();
  log.line("sieve train: model {} ({} parameters), data {} ({} train, {} test)", a.model,
           graph->num_parameters(), a.data, train_set->labels.size(), test_set->labels.size());
  log.line("OpenBLAS core: {}; {} thread(s) run {} batch shards, OpenBLAS single-threaded inside",
           core, threads, topt.shards);
  log.line("settings: epochs {}, batch {}, lr {} {}, momentum {}, weight decay {}, seed {}",
           opt.epochs, opt.batch, opt.lr.base_lr, train::lr_policy_name(opt.lr.policy),
           opt.sgd.momentum, opt.sgd.weight_decay, opt.seed);

  double eval_seconds = 0.0;
  double last_test_acc = -1.0;
  Status eval_status;
  nlohmann::json epoch_log = nlohmann::json::array();
  // Per-minibatch progress on stderr (a bar on a terminal, else a line every 10 s); the epoch
  // lines below are the log. With --json, stdout holds only the summary.
  Progress bar("train", 0, "batches");
  auto on_progress = [&](const train::Progress& p) {
    if (!p.end_of_epoch) {
      if (p.epoch == 1 && p.batch == 1) bar.restart("train", p.epochs * p.batches);
      bar.update((p.epoch - 1) * p.batches + p.batch,
                 fmt::format("epoch {}/{}  loss {:.4f}  acc {:.2f}%  lr {:.4g}", p.epoch, p.epochs,
                             p.loss, 100.0 * p.accuracy, p.lr));
      return;
    }
    const auto te = Clock::now();
    Result<double> acc = trainer.evaluate(test_set->images, test_set->labels);
    eval_seconds += std::chrono::duration<double>(Clock::now() - te).count();
    if (!acc.ok()) {
      eval_status = acc.status();
      return;
    }
    last_test_acc = *acc;
    bar.clear();
    log.line(
        "epoch {:>2}/{}  loss {:.4f}  train {:.2f}%  test {:.2f}%  lr {:.4g}  {} elapsed, "
        "ETA {}",
        p.epoch, p.epochs, p.loss, 100.0 * p.accuracy, 100.0 * *acc, p.lr,
        duration_str(p.elapsed_seconds - eval_seconds), duration_str(p.eta_seconds));
    epoch_log.push_back({{"epoch", p.epoch},
                         {"loss", p.loss},
                         {"train_accuracy", p.accuracy},
                         {"test_accuracy", *acc},
                         {"lr", p.lr}});
  };
  Result<train::FitSummary> summary =
      trainer.fit(train_set->images, train_set->labels, opt, on_progress);
  if (!summary.ok()) return fail(summary.status());
  if (!eval_status.ok()) return fail(eval_status.with_context("evaluating"));
  const double train_seconds = summary->seconds - eval_seconds;

  ir::Graph trained = trainer.graph().clone();
  Status st = io::export_onnx(trained, a.out);
  if (!st.ok()) return fail(st.with_context("writing " + a.out));
  const double total_seconds = std::chrono::duration<double>(Clock::now() - t_start).count();
  log.line("test accuracy {:.2f}%  training {:.1f}s  (total {:.1f}s)  wrote {}",
           100.0 * last_test_acc, train_seconds, total_seconds, a.out);

  if (a.json) {
    nlohmann::json j = {{"model", a.model},
                        {"data", a.data},
                        {"train_examples", train_set->labels.size()},
                        {"test_examples", test_set->labels.size()},
                        {"epochs", opt.epochs},
                        {"batch", opt.batch},
                        {"lr", opt.lr.base_lr},
                        {"schedule", train::lr_policy_name(opt.lr.policy)},
                        {"momentum", opt.sgd.momentum},
                        {"weight_decay", opt.sgd.weight_decay},
                        {"seed", opt.seed},
                        {"test_accuracy", last_test_acc},
                        {"final_loss", summary->epochs.back().loss},
                        {"train_accuracy", summary->epochs.back().accuracy},
                        {"train_seconds", train_seconds},
                        {"total_seconds", total_seconds},
                        {"corename", runtime::blas::corename()},
                        {"openblas", core},
                        {"threads", threads},
                        {"shards", topt.shards},
                        {"out", a.out},
                        {"history", epoch_log}};
    std::printf("%s\n", j.dump(2).c_str());
  }
  return 0;
}

}  // namespace

void add_train_command(CLI::App& app) {
  auto a = std::make_shared<TrainArgs>();
  auto* sub =
      app.add_subcommand("train",
                         "Train a model on a dataset and write it as ONNX (defaults per model: "
                         "train/recipes.h)");
  sub->add_option("--model", a->model, "zoo name (lenet5, lenet-300-100, ...) or .onnx file")
      ->required();
  sub->add_option("--data", a->data, "dataset: fashion-mnist")->capture_default_str();
  sub->add_option("--data-dir", a->data_dir,
                  "folder of the dataset files (default: the Debian "
                  "package's)");
  sub->add_option("--out", a->out, "ONNX file to write (atomically)")->required();
  a->epochs_opt = sub->add_option("--epochs", a->epochs, "epochs (default: per model)");
  a->batch_opt = sub->add_option("--batch", a->batch, "minibatch size (default: per model)");
  a->lr_opt = sub->add_option("--lr", a->lr, "initial learning rate (default: per model)");
  a->schedule_opt =
      sub->add_option("--schedule", a->schedule, "learning-rate schedule: cosine, step, constant");
  a->momentum_opt = sub->add_option("--momentum", a->momentum, "SGD momentum (default 0.9)");
  a->wd_opt = sub->add_option("--weight-decay", a->weight_decay, "L2 weight decay");
  sub->add_option("--seed", a->seed, "seed of the initial weights, shuffling and dropout")
      ->capture_default_str();
  sub->add_option("--limit", a->limit, "use only the first N training and N test examples");
  sub->add_option("--threads", a->threads,
                  "threads running the batch shards (default: up to 2, one per shard); results "
                  "do not depend on it");
  sub->add_flag("--json", a->json, "print a JSON summary on stdout (logs go to stderr)");
  on_run(sub, [a] { return run_train(*a); });
}

}  // namespace sieve::cli
