// sieve eval: top-1 accuracy of a model (an .onnx file or a zoo name) on a dataset's test split,
// with the trainer's batched forward pass.
#include <fmt/format.h>

#include <chrono>
#include <cstdio>
#include <nlohmann/json.hpp>
#include <string>

#include "command.h"
#include "sieve/app/model_loader.h"
#include "sieve/io/datasets/dataset.h"
#include "sieve/runtime/kernels/blas/blas.h"
#include "sieve/runtime/kernels/blas/coretype.h"
#include "sieve/train/trainer.h"

namespace sieve::cli {

namespace {

struct EvalArgs {
  std::string model;
  std::string data = "fashion-mnist";
  std::string data_dir;
  int64_t limit = -1;
  int64_t batch = 256;
  bool json = false;
};

int run_eval(const EvalArgs& a) {
  const auto t0 = std::chrono::steady_clock::now();
  if (a.limit == 0 || a.limit < -1)
    return fail(invalid_argument("--limit {} must be positive", a.limit));
  if (a.batch <= 0) return fail(invalid_argument("--batch {} must be positive", a.batch));
  Result<io::Dataset> test = io::load_dataset(a.data, "test", a.data_dir, a.limit);
  if (!test.ok()) return fail(test.status().with_context("--data " + a.data));
  Result<ir::Graph> graph = app::load_model(a.model);
  if (!graph.ok()) return fail(graph.status().with_context("--model"));
  train::TrainerOptions topt;
  topt.example_shape = Shape(test->images.shape().begin() + 1, test->images.shape().end());
  Result<std::unique_ptr<train::Trainer>> trainer = train::Trainer::create(*graph, topt);
  if (!trainer.ok()) return fail(trainer.status().with_context("--model " + a.model));
  Result<double> acc = (*trainer)->evaluate(test->images, test->labels, a.batch);
  if (!acc.ok()) return fail(acc.status().with_context("evaluating " + a.model));
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  const size_t n = test->labels.size();
  const int64_t correct = static_cast<int64_t>(*acc * static_cast<double>(n) + 0.5);
  if (a.json) {
    nlohmann::json j = {{"model", a.model},   {"data", a.data},
                        {"split", "test"},    {"examples", n},
                        {"correct", correct}, {"test_accuracy", *acc},
                        {"seconds", seconds}, {"corename", runtime::blas::corename()}};
    std::printf("%s\n", j.dump(2).c_str());
  } else {
    std::printf("test_accuracy %.4f (%lld/%zu correct, %s test, %.1fs; OpenBLAS %s)\n", *acc,
                static_cast<long long>(correct), n, a.data.c_str(), seconds,
                runtime::blas::core_report().c_str());
  }
  return 0;
}

}  // namespace

void add_eval_command(CLI::App& app) {
  auto a = std::make_shared<EvalArgs>();
  auto* sub = app.add_subcommand("eval", "Top-1 accuracy of a model on a dataset's test split");
  sub->add_option("--model", a->model, ".onnx file or zoo name")->required();
  sub->add_option("--data", a->data, "dataset: fashion-mnist")->capture_default_str();
  sub->add_option("--data-dir", a->data_dir,
                  "folder of the dataset files (default: the Debian "
                  "package's)");
  sub->add_option("--limit", a->limit, "use only the first N test examples");
  sub->add_option("--batch", a->batch, "examples per forward pass")->capture_default_str();
  sub->add_flag("--json", a->json, "print a JSON object");
  on_run(sub, [a] { return run_eval(*a); });
}

}  // namespace sieve::cli
