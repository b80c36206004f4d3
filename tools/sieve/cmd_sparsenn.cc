// sieve sparsenn: trains SparseNN's output-sparsity predictor (train/sparsenn.h) on a SparseNN
// MLP and reports, per rank, the test error without the predictor, with the truncated-SVD
// predictor and with the end-to-end trained one, the predicted output sparsity of every hidden
// layer, and the predictor's share of the multiply-accumulates.
//
// Schedule: the base network (no predictor) trains for --base-epochs (skipped with 0, e.g. for
// an .onnx trained by `sieve train`); then each variant starts from the base weights and trains
// --epochs more: "none" without predictor, "svd" with the SVD predictor (recomputed from W
// every epoch, not trained), "end-to-end" with U, V trained (straight-through estimator).
#include <fmt/format.h>

#include <chrono>
#include <cmath>
#include <cstdio>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <vector>

#include "command.h"
#include "sieve/app/model_loader.h"
#include "sieve/io/datasets/dataset.h"
#include "sieve/train/sparsenn.h"

namespace sieve::cli {

namespace {

struct SparseNNArgs {
  std::string model = "sparsenn-mlp3";
  std::string data = "fashion-mnist";
  std::string data_dir;
  std::string ranks = "15";
  int base_epochs = 10;
  int epochs = 5;
  int64_t batch = 100;
  double lr = 0.05;
  double finetune_lr = 0.01;
  double weight_decay = 1e-4;
  double sparsity_penalty = 0.0;
  int64_t limit = -1;
  uint64_t seed = 1;
  bool json = false;
};

nlohmann::json eval_json(const train::PredictedMlp& mlp, const train::MlpEval& ev,
                         const std::string& mode) {
  nlohmann::json j;
  j["mode"] = mode;
  j["test_error"] = ev.error;
  nlohmann::json layers = nlohmann::json::array();
  double pred_macs = 0, w_macs = 0;
  for (const train::HiddenLayerStats& s : ev.layers) {
    layers.push_back({{"layer", s.name},
                      {"in", s.in},
                      {"out", s.out},
                      {"rank", s.rank},
                      {"input_density", s.input_density},
                      {"predicted_zero", s.predicted_zero},
                      {"output_zero", s.output_zero},
                      {"relu_zero", s.relu_zero},
                      {"missed", s.missed}});
    // MACs as a sparse accelerator spends them: V and W only on non-zero inputs, U on every
    // rank component, W only on the rows predicted non-zero.
    const double in_nz = s.input_density * static_cast<double>(s.in);
    pred_macs += s.rank > 0 ? in_nz * static_cast<double>(s.rank) +
                                  static_cast<double>(s.rank * s.out)
                            : 0.0;
    w_macs += in_nz * static_cast<double>(s.out) * (1.0 - s.predicted_zero);
  }
  j["hidden_layers"] = layers;
  const double dense = static_cast<double>(mlp.dense_macs());
  const double pdense = static_cast<double>(mlp.predictor_macs());
  j["predictor_mac_share_dense"] = pdense / (dense + pdense);
  j["predictor_mac_share_sparse"] = (pred_macs + w_macs) > 0 ? pred_macs / (pred_macs + w_macs) : 0;
  return j;
}

std::string row_text(const nlohmann::json& j) {
  std::string s = fmt::format("{:>11}  error {:6.2f} %", j["mode"].get<std::string>(),
                              100.0 * j["test_error"].get<double>());
  for (const auto& l : j["hidden_layers"])
    s += fmt::format("  {}: rho {:5.1f} % (relu {:5.1f} %, missed {:4.1f} %)",
                     l["layer"].get<std::string>(), 100.0 * l["predicted_zero"].get<double>(),
                     100.0 * l["relu_zero"].get<double>(), 100.0 * l["missed"].get<double>());
  s += fmt::format("  predictor MACs {:.2f} % dense, {:.2f} % sparse",
                   100.0 * j["predictor_mac_share_dense"].get<double>(),
                   100.0 * j["predictor_mac_share_sparse"].get<double>());
  return s;
}

int run_sparsenn(const SparseNNArgs& a) {
  FILE* log = a.json ? stderr : stdout;
  std::vector<int64_t> ranks;
  {
    std::stringstream ss(a.ranks);
    std::string tok;
    while (std::getline(ss, tok, ',')) {
      try {
        size_t used = 0;
        const long long r = std::stoll(tok, &used);
        if (used != tok.size()) throw std::invalid_argument(tok);
        ranks.push_back(r);
      } catch (const std::exception&) {
        return fail(invalid_argument("--ranks: \"{}\" is not an integer", tok));
      }
    }
    if (ranks.empty()) return fail(invalid_argument("--ranks: give at least one rank"));
  }
  if (a.base_epochs < 0 || a.epochs <= 0 || a.batch <= 0)
    return fail(invalid_argument("--base-epochs {} must be >= 0, --epochs {} and --batch {} > 0",
                                 a.base_epochs, a.epochs, a.batch));
  if (!(a.lr > 0 && std::isfinite(a.lr)) || !(a.finetune_lr > 0 && std::isfinite(a.finetune_lr)))
    return fail(invalid_argument("--lr {} and --finetune-lr {} must be positive", a.lr,
                                 a.finetune_lr));
  if (a.limit == 0 || a.limit < -1)
    return fail(invalid_argument("--limit {} must be positive", a.limit));
  Result<io::Dataset> tr = io::load_dataset(a.data, "train", a.data_dir, a.limit);
  if (!tr.ok()) return fail(tr.status().with_context("--data " + a.data));
  Result<io::Dataset> te = io::load_dataset(a.data, "test", a.data_dir, a.limit);
  if (!te.ok()) return fail(te.status().with_context("--data " + a.data));
  Result<ir::Graph> graph = app::load_model(a.model, {.batch = 1, .init_weights = true, .seed = a.seed});
  if (!graph.ok()) return fail(graph.status().with_context("--model"));
  Result<train::PredictedMlp> base_or = train::PredictedMlp::from_graph(*graph);
  if (!base_or.ok()) return fail(base_or.status().with_context("--model " + a.model));
  train::PredictedMlp base = std::move(*base_or);
  // Refuse a bad rank before any training.
  for (int64_t r : ranks) {
    train::PredictedMlp probe = base.clone();
    Status s = probe.set_predictors(train::PredictorMode::kSvd, r);
    if (!s.ok()) return fail(s.with_context("--ranks"));
  }
  const auto t0 = std::chrono::steady_clock::now();
  auto secs = [&] {
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  };
  fmt::print(log, "sieve sparsenn: {} on {} ({} train, {} test), ranks {}\n", a.model, a.data,
             tr->labels.size(), te->labels.size(), a.ranks);
  std::fflush(log);

  train::PredictorFitOptions bo;
  bo.epochs = a.base_epochs;
  bo.batch = a.batch;
  bo.lr.base_lr = a.lr;
  bo.sgd.weight_decay = a.weight_decay;
  bo.seed = a.seed;
  if (a.base_epochs > 0) {
    Status s = base.fit(tr->images, tr->labels, bo);
    if (!s.ok()) return fail(s);
  }
  Result<train::MlpEval> base_ev = base.evaluate(te->images, te->labels);
  if (!base_ev.ok()) return fail(base_ev.status());
  nlohmann::json out;
  out["model"] = a.model;
  out["data"] = a.data;
  out["train_examples"] = tr->labels.size();
  out["test_examples"] = te->labels.size();
  out["settings"] = {{"base_epochs", a.base_epochs}, {"epochs", a.epochs}, {"batch", a.batch},
                     {"lr", a.lr}, {"finetune_lr", a.finetune_lr},
                     {"weight_decay", a.weight_decay}, {"seed", a.seed},
                     {"sparsity_penalty", a.sparsity_penalty}};
  out["base"] = eval_json(base, *base_ev, "base");
  fmt::print(log, "[{:6.0f} s] {}\n", secs(), row_text(out["base"]));
  std::fflush(log);

  train::PredictorFitOptions fo = bo;
  fo.epochs = a.epochs;
  fo.lr.base_lr = a.finetune_lr;
  fo.seed = a.seed + 1;
  // "none": the same extra epochs without predictor, so that every row trained as long.
  {
    train::PredictedMlp m = base.clone();
    Status s = m.fit(tr->images, tr->labels, fo);
    if (!s.ok()) return fail(s);
    Result<train::MlpEval> ev = m.evaluate(te->images, te->labels);
    if (!ev.ok()) return fail(ev.status());
    out["none"] = eval_json(m, *ev, "none");
    fmt::print(log, "[{:6.0f} s] {}\n", secs(), row_text(out["none"]));
    std::fflush(log);
  }
  nlohmann::json rows = nlohmann::json::array();
  for (int64_t r : ranks) {
    nlohmann::json rj;
    rj["rank"] = r;
    for (train::PredictorMode mode : {train::PredictorMode::kSvd, train::PredictorMode::kEndToEnd}) {
      train::PredictedMlp m = base.clone();
      Status s = m.set_predictors(mode, r);
      if (!s.ok()) return fail(s);
      train::PredictorFitOptions mo = fo;
      if (mode == train::PredictorMode::kEndToEnd) mo.sparsity_penalty = a.sparsity_penalty;
      const std::string name = train::predictor_mode_name(mode);
      if (mode == train::PredictorMode::kSvd) {
        // The SVD predictor on the base weights, before any retraining.
        Result<train::MlpEval> ev0 = m.evaluate(te->images, te->labels);
        if (!ev0.ok()) return fail(ev0.status());
        rj["svd-no-retrain"] = eval_json(m, *ev0, "svd-0");
        fmt::print(log, "[{:6.0f} s] rank {:3}: {}\n", secs(), r, row_text(rj["svd-no-retrain"]));
      }
      s = m.fit(tr->images, tr->labels, mo);
      if (!s.ok()) return fail(s);
      Result<train::MlpEval> ev = m.evaluate(te->images, te->labels);
      if (!ev.ok()) return fail(ev.status());
      rj[name] = eval_json(m, *ev, name);
      fmt::print(log, "[{:6.0f} s] rank {:3}: {}\n", secs(), r, row_text(rj[name]));
      std::fflush(log);
    }
    rows.push_back(rj);
  }
  out["ranks"] = rows;
  out["seconds"] = secs();
  if (a.json) fmt::print("{}\n", out.dump(1));
  return 0;
}

}  // namespace

void add_sparsenn_command(CLI::App& app) {
  auto a = std::make_shared<SparseNNArgs>();
  CLI::App* sub = app.add_subcommand(
      "sparsenn",
      "train SparseNN's output-sparsity predictor (SVD and end to end) on a SparseNN MLP");
  sub->add_option("--model", a->model, "sparsenn-mlp3, sparsenn-mlp5 or an .onnx MLP")
      ->capture_default_str();
  sub->add_option("--data", a->data, "dataset: fashion-mnist")->capture_default_str();
  sub->add_option("--data-dir", a->data_dir, "folder of the dataset files (default: Debian's)");
  sub->add_option("--ranks", a->ranks, "predictor ranks, comma-separated")->capture_default_str();
  sub->add_option("--base-epochs", a->base_epochs, "epochs of the base network (0: as given)")
      ->capture_default_str();
  sub->add_option("--epochs", a->epochs, "epochs of every variant after the base")
      ->capture_default_str();
  sub->add_option("--batch", a->batch, "minibatch size")->capture_default_str();
  sub->add_option("--lr", a->lr, "base learning rate (cosine)")->capture_default_str();
  sub->add_option("--finetune-lr", a->finetune_lr, "learning rate of the variants (cosine)")
      ->capture_default_str();
  sub->add_option("--weight-decay", a->weight_decay, "L2 weight decay")->capture_default_str();
  sub->add_option("--sparsity-penalty", a->sparsity_penalty,
                  "end to end: loss penalty per predicted non-zero output (0: none; not the "
                  "source's)")
      ->capture_default_str();
  sub->add_option("--limit", a->limit, "use only the first N training and N test examples");
  sub->add_option("--seed", a->seed, "seed of the initial weights and the shuffling")
      ->capture_default_str();
  sub->add_flag("--json", a->json, "print a JSON summary on stdout (logs go to stderr)");
  on_run(sub, [a] { return run_sparsenn(*a); });
}

}  // namespace sieve::cli
