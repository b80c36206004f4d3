// sieve lstm: ESE's load-balance-aware pruning with retraining (compress/ese.h) on a one-layer
// LSTM classifier (train/lstm.h) trained on Fashion-MNIST read as 28 steps of 28 pixels.
//
// Schedule: the dense model trains --epochs. Then, for every --prune method and --density,
// a copy of the dense model is pruned one-shot to the density and evaluated ("pruned", no
// retraining), and another copy is pruned on the cubic ramp of Zhu & Gupta in --prune-steps
// steps (each step keeps the earlier masks) with --retrain-epochs epochs of masked retraining
// after each; it is evaluated ("retrained"), its W and R quantized to --weight-bits linear fixed
// point and evaluated again ("quantized"). "none" is the dense model retrained for the same
// number of epochs, so that every row trained as long. Only W and R are pruned and quantized;
// the fc layer and the biases stay dense f32 (ESE's figures concern the LSTM's matrices).
#include <fmt/format.h>

#include <chrono>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <vector>

#include "command.h"
#include "sieve/compress/ese.h"
#include "sieve/hw/sim/run.h"
#include "sieve/io/datasets/dataset.h"
#include "sieve/io/onnx/onnx.h"
#include "sieve/train/lstm.h"

namespace sieve::cli {

namespace {

struct LstmArgs {
  std::string data = "fashion-mnist";
  std::string data_dir;
  std::string prune = "none,unbalanced,balanced";
  std::string density = "0.112";
  int64_t pes = 32;
  int64_t hidden = 64;
  int64_t time_steps = 28;
  int64_t step_inputs = 28;
  int epochs = 2;
  int retrain_epochs = 1;
  int prune_steps = 3;
  int64_t batch = 64;
  double lr = 0.1;
  double retrain_lr = 0.02;
  int weight_bits = 12;
  int index_bits = 4;
  int64_t train_limit = -1;
  int64_t test_limit = -1;
  uint64_t seed = 1;
  std::string save;
  bool json = false;
};

Result<std::vector<std::string>> split_list(const std::string& text, const char* option) {
  std::vector<std::string> out;
  std::stringstream ss(text);
  std::string tok;
  while (std::getline(ss, tok, ',')) out.push_back(tok);
  if (out.empty()) return invalid_argument("{}: give at least one value", option);
  return out;
}

nlohmann::json compression_json(const compress::LstmCompression& c, int weight_bits,
                                int index_bits) {
  nlohmann::json mats = nlohmann::json::array();
  for (const compress::LstmMatrixStats& s : c.matrices) {
    mats.push_back({{"matrix", s.name},
                    {"rows", s.rows},
                    {"cols", s.cols},
                    {"density", s.density},
                    {"nonzeros", s.storage.nonzeros},
                    {"padding_entries", s.storage.padding},
                    {"pe_nonzeros_worst", s.load.worst},
                    {"pe_nonzeros_mean", s.load.mean},
                    {"imbalance", s.load.imbalance}});
  }
  return {{"matrices", mats},
          {"dense_bits", c.dense_bits},
          {"compressed_bits", c.compressed_bits},
          {"weight_bits", weight_bits},
          {"index_bits", index_bits},
          {"ratio", c.ratio}};
}

// The variant's masks on the ESE model (hw/archs/ese, preset ese-xcku060 with its channel's PEs
// set to --pes): one stream of T steps of the LSTM layer, weights in block RAM. The time per
// step is what load balance buys on real, trained masks.
Result<nlohmann::json> ese_timing(const LstmArgs& a, const compress::LstmMasks& masks) {
  hw::LayerWork l;
  l.name = "lstm";
  l.kind = hw::LayerKind::kLstm;
  l.in_c = a.step_inputs;
  l.out_c = a.hidden;
  l.recurrent = a.hidden;
  l.timesteps = a.time_steps;
  l.rows = 4 * a.hidden;
  l.cols = a.step_inputs + a.hidden;
  l.weight_mask = hw::BitVec(l.rows * l.cols, true);
  l.pruned = masks.w.numel() > 0;
  if (l.pruned) {
    const uint8_t* w = masks.w.data<uint8_t>();
    const uint8_t* r = masks.r.data<uint8_t>();
    for (int64_t row = 0; row < l.rows; ++row) {
      for (int64_t c = 0; c < a.step_inputs; ++c)
        l.weight_mask.set(row * l.cols + c, w[row * a.step_inputs + c] != 0);
      for (int64_t c = 0; c < a.hidden; ++c)
        l.weight_mask.set(row * l.cols + a.step_inputs + c, r[row * a.hidden + c] != 0);
    }
  }
  hw::Workload wl;
  wl.model = "lstm-classifier";
  wl.batch = 1;
  wl.layers.push_back(std::move(l));
  hw::ArchRun run{"ese", {fmt::format("pes_per_channel={}", a.pes)}, {}};
  run.options.weights_on_chip = true;
  SIEVE_ASSIGN_OR_RETURN(const hw::SimReport r, hw::run_sim(wl, run));
  const hw::LayerStats t = r.result.total();
  return nlohmann::json{{"cycles", t.cycles},
                        {"step_us", t.time_ns / 1e3 / static_cast<double>(a.time_steps)},
                        {"utilization", t.utilization},
                        {"macs", t.macs_performed}};
}

int run_lstm(const LstmArgs& a) {
  FILE* log = a.json ? stderr : stdout;
  // Every option is checked before any data is read or any epoch trained.
  if (a.hidden <= 0) return fail(invalid_argument("--hidden {}: must be positive", a.hidden));
  if (a.time_steps <= 0 || a.step_inputs <= 0)
    return fail(invalid_argument("--time-steps {} and --step-inputs {}: must be positive",
                                 a.time_steps, a.step_inputs));
  const int64_t rows = 4 * a.hidden;
  if (a.pes < 1 || a.pes > rows)
    return fail(invalid_argument(
        "--pes {}: must be in [1, {}] (the 4 x hidden = {} rows of W and R)", a.pes, rows, rows));
  std::vector<compress::LstmPruneMethod> methods;
  {
    Result<std::vector<std::string>> names = split_list(a.prune, "--prune");
    if (!names.ok()) return fail(names.status());
    for (const std::string& n : *names) {
      Result<compress::LstmPruneMethod> m = compress::parse_lstm_prune_method(n);
      if (!m.ok()) return fail(m.status().with_context("--prune"));
      methods.push_back(*m);
    }
  }
  std::vector<double> densities;
  {
    Result<std::vector<std::string>> vals = split_list(a.density, "--density");
    if (!vals.ok()) return fail(vals.status());
    for (const std::string& v : *vals) {
      double d = 0;
      try {
        size_t used = 0;
        d = std::stod(v, &used);
        if (used != v.size()) throw std::invalid_argument(v);
      } catch (const std::exception&) {
        return fail(invalid_argument("--density: \"{}\" is not a number", v));
      }
      if (!(d > 0.0 && d <= 1.0))
        return fail(invalid_argument("--density {}: must be in (0, 1]", v));
      densities.push_back(d);
    }
  }
  if (a.epochs <= 0 || a.retrain_epochs <= 0 || a.prune_steps <= 0 || a.batch <= 0)
    return fail(invalid_argument(
        "--epochs {}, --retrain-epochs {}, --prune-steps {} and --batch {}: must be positive",
        a.epochs, a.retrain_epochs, a.prune_steps, a.batch));
  if (!(a.lr > 0 && std::isfinite(a.lr)) || !(a.retrain_lr > 0 && std::isfinite(a.retrain_lr)))
    return fail(
        invalid_argument("--lr {} and --retrain-lr {}: must be positive", a.lr, a.retrain_lr));
  if (a.weight_bits < 2 || a.weight_bits > 16)
    return fail(invalid_argument("--weight-bits {}: must be in [2, 16]", a.weight_bits));
  if (a.index_bits < 1 || a.index_bits > 16)
    return fail(invalid_argument("--index-bits {}: must be in [1, 16]", a.index_bits));
  if (a.train_limit == 0 || a.train_limit < -1)
    return fail(invalid_argument("--train-limit {}: must be positive", a.train_limit));
  if (a.test_limit == 0 || a.test_limit < -1)
    return fail(invalid_argument("--test-limit {}: must be positive", a.test_limit));
  if (!a.save.empty()) {
    const std::filesystem::path parent = std::filesystem::path(a.save).parent_path();
    if (!parent.empty() && !std::filesystem::is_directory(parent))
      return fail(not_found("--save {}: folder {} does not exist", a.save, parent.string()));
  }

  Result<io::Dataset> tr = io::load_dataset(a.data, "train", a.data_dir, a.train_limit);
  if (!tr.ok()) return fail(tr.status().with_context("--data " + a.data));
  Result<io::Dataset> te = io::load_dataset(a.data, "test", a.data_dir, a.test_limit);
  if (!te.ok()) return fail(te.status().with_context("--data " + a.data));
  const train::LstmShape shape{
      .steps = a.time_steps, .input = a.step_inputs, .hidden = a.hidden, .classes = 10};
  Result<train::LstmClassifier> made = train::LstmClassifier::create(shape, a.seed);
  if (!made.ok()) return fail(made.status());
  train::LstmClassifier dense = std::move(*made);
  const std::string seq_ctx =
      fmt::format("--time-steps {} x --step-inputs {}", a.time_steps, a.step_inputs);

  const auto t0 = std::chrono::steady_clock::now();
  auto secs = [&] {
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  };
  fmt::print(log, "sieve lstm: hidden {} on {} as {} steps of {} ({} train, {} test), {} PEs\n",
             a.hidden, a.data, a.time_steps, a.step_inputs, tr->labels.size(), te->labels.size(),
             a.pes);
  std::fflush(log);

  train::LstmFitOptions fo;
  fo.epochs = a.epochs;
  fo.batch = a.batch;
  fo.lr.base_lr = a.lr;
  fo.seed = a.seed;
  std::vector<double> losses;
  fo.epoch_loss = &losses;
  if (Status s = dense.fit(tr->images, tr->labels, fo); !s.ok())
    return fail(s.with_context(seq_ctx));
  auto accuracy = [&](train::LstmClassifier& m) -> Result<double> {
    Result<train::LstmEval> ev = m.evaluate(te->images, te->labels);
    if (!ev.ok()) return ev.status();
    return 1.0 - ev->error;
  };
  Result<double> dense_acc = accuracy(dense);
  if (!dense_acc.ok()) return fail(dense_acc.status().with_context(seq_ctx));
  nlohmann::json out;
  out["data"] = a.data;
  out["train_examples"] = tr->labels.size();
  out["test_examples"] = te->labels.size();
  out["settings"] = {{"hidden", a.hidden},
                     {"time_steps", a.time_steps},
                     {"step_inputs", a.step_inputs},
                     {"epochs", a.epochs},
                     {"retrain_epochs", a.retrain_epochs},
                     {"prune_steps", a.prune_steps},
                     {"batch", a.batch},
                     {"lr", a.lr},
                     {"retrain_lr", a.retrain_lr},
                     {"pes", a.pes},
                     {"weight_bits", a.weight_bits},
                     {"index_bits", a.index_bits},
                     {"seed", a.seed}};
  out["dense"] = {{"accuracy", *dense_acc}, {"epoch_loss", losses}};
  fmt::print(log, "[{:6.0f} s] dense: accuracy {:.2f} %\n", secs(), 100.0 * *dense_acc);
  std::fflush(log);

  train::LstmFitOptions ro = fo;
  ro.epochs = a.retrain_epochs;
  ro.lr.base_lr = a.retrain_lr;
  ro.epoch_loss = nullptr;
  nlohmann::json rows_json = nlohmann::json::array();
  train::LstmClassifier last;  // the last variant's quantized model, for --save
  bool have_last = false;
  for (compress::LstmPruneMethod method : methods) {
    const bool none = method == compress::LstmPruneMethod::kNone;
    // "none" does not depend on the density: one row.
    const std::vector<double> ds = none ? std::vector<double>{1.0} : densities;
    for (double d : ds) {
      nlohmann::json row;
      row["prune"] = compress::lstm_prune_method_name(method);
      row["target_density"] = d;
      // One-shot, no retraining.
      train::LstmClassifier oneshot = dense.clone();
      Result<compress::LstmMasks> om = compress::prune_lstm(oneshot, method, d, a.pes);
      if (!om.ok()) return fail(om.status());
      Result<double> acc_pruned = accuracy(oneshot);
      if (!acc_pruned.ok()) return fail(acc_pruned.status());
      row["accuracy_pruned"] = *acc_pruned;
      // The ramp with retraining.
      train::LstmClassifier m = dense.clone();
      compress::LstmMasks masks;
      for (int t = 1; t <= a.prune_steps; ++t) {
        const double frac = 1.0 - static_cast<double>(t) / a.prune_steps;
        const double dt = 1.0 - (1.0 - d) * (1.0 - frac * frac * frac);
        Result<compress::LstmMasks> mk = compress::prune_lstm(m, method, dt, a.pes, masks);
        if (!mk.ok()) return fail(mk.status());
        masks = std::move(*mk);
        ro.seed = a.seed + static_cast<uint64_t>(t);
        const std::vector<const uint8_t*> pm = masks.per_parameter();
        if (Status s = m.fit(tr->images, tr->labels, ro, pm); !s.ok()) return fail(s);
      }
      Result<double> acc_re = accuracy(m);
      if (!acc_re.ok()) return fail(acc_re.status());
      row["accuracy_retrained"] = *acc_re;
      Result<compress::LstmCompression> comp =
          compress::lstm_compression(m, masks, a.pes, a.weight_bits, a.index_bits);
      if (!comp.ok()) return fail(comp.status());
      if (Status s = compress::quantize_lstm(m, a.weight_bits); !s.ok()) return fail(s);
      Result<double> acc_q = accuracy(m);
      if (!acc_q.ok()) return fail(acc_q.status());
      row["accuracy_quantized"] = *acc_q;
      row["compression"] = compression_json(*comp, a.weight_bits, a.index_bits);
      Result<nlohmann::json> ese = ese_timing(a, masks);
      if (!ese.ok()) return fail(ese.status().with_context("the ESE model"));
      row["ese"] = *ese;
      row["seconds"] = secs();
      const auto& W = comp->matrices[0];
      const auto& R = comp->matrices[1];
      fmt::print(log,
                 "[{:6.0f} s] {:>10} density {:.3f} (W {:.4f}, R {:.4f}): pruned {:.2f} %, "
                 "retrained {:.2f} %, {}-bit {:.2f} %; compression {:.2f}x; imbalance W {:.3f} "
                 "R {:.3f} (worst/mean PE non-zeros {}/{:.1f}, {}/{:.1f})\n",
                 secs(), row["prune"].get<std::string>(), d, W.density, R.density,
                 100.0 * *acc_pruned, 100.0 * *acc_re, a.weight_bits, 100.0 * *acc_q, comp->ratio,
                 W.load.imbalance, R.load.imbalance, W.load.worst, W.load.mean, R.load.worst,
                 R.load.mean);
      fmt::print(log, "           on ESE ({} PEs, one stream): {:.3f} us per step, utilization {:.3f}\n",
                 a.pes, (*ese)["step_us"].get<double>(), (*ese)["utilization"].get<double>());
      std::fflush(log);
      rows_json.push_back(row);
      last = std::move(m);
      have_last = true;
    }
  }
  out["variants"] = rows_json;
  out["seconds"] = secs();
  if (!a.save.empty() && have_last) {
    Result<ir::Graph> g = last.to_graph(1);
    if (!g.ok()) return fail(g.status().with_context("--save " + a.save));
    if (Status s = io::export_onnx(*g, a.save); !s.ok())
      return fail(s.with_context("--save " + a.save));
    out["saved"] = a.save;
    fmt::print(log, "saved the last variant ({}) to {}\n",
               rows_json.back()["prune"].get<std::string>(), a.save);
  }
  if (a.json) fmt::print("{}\n", out.dump(1));
  return 0;
}

}  // namespace

void add_lstm_command(CLI::App& app) {
  auto a = std::make_shared<LstmArgs>();
  CLI::App* sub = app.add_subcommand(
      "lstm",
      "ESE: train an LSTM on Fashion-MNIST rows, prune W and R (unbalanced or load-balanced over "
      "PEs) with retraining, quantize, report accuracy, compression and PE imbalance");
  sub->add_option("--data", a->data, "dataset: fashion-mnist")->capture_default_str();
  sub->add_option("--data-dir", a->data_dir, "folder of the dataset files (default: Debian's)");
  sub->add_option("--prune", a->prune,
                  "pruning methods, comma-separated: none, unbalanced, "
                  "balanced")
      ->capture_default_str();
  sub->add_option("--density", a->density,
                  "kept fraction of W and R, in (0, 1]; comma-separated for several (0.112 = "
                  "ESE's 88.8 % sparsity, as recalled)")
      ->capture_default_str();
  sub->add_option("--pes", a->pes, "processing elements the rows are interleaved over (ESE: 32)")
      ->capture_default_str();
  sub->add_option("--hidden", a->hidden, "LSTM hidden size H")->capture_default_str();
  sub->add_option("--time-steps", a->time_steps, "sequence length T (an image's rows)")
      ->capture_default_str();
  sub->add_option("--step-inputs", a->step_inputs, "values per step I (T x I = 784 here)")
      ->capture_default_str();
  sub->add_option("--epochs", a->epochs, "epochs of the dense model")->capture_default_str();
  sub->add_option("--retrain-epochs", a->retrain_epochs, "masked retraining epochs per step")
      ->capture_default_str();
  sub->add_option("--prune-steps", a->prune_steps, "pruning steps on the cubic ramp to the density")
      ->capture_default_str();
  sub->add_option("--batch", a->batch, "minibatch size")->capture_default_str();
  sub->add_option("--lr", a->lr, "dense learning rate (cosine)")->capture_default_str();
  sub->add_option("--retrain-lr", a->retrain_lr, "retraining learning rate (cosine, per step)")
      ->capture_default_str();
  sub->add_option("--weight-bits", a->weight_bits, "linear fixed-point bits of W and R")
      ->capture_default_str();
  sub->add_option("--index-bits", a->index_bits, "relative-index bits of the sparse storage")
      ->capture_default_str();
  sub->add_option("--train-limit", a->train_limit, "use only the first N training examples");
  sub->add_option("--test-limit", a->test_limit, "use only the first N test examples");
  sub->add_option("--seed", a->seed, "seed of the initial weights and the shuffling")
      ->capture_default_str();
  sub->add_option("--save", a->save,
                  "write the last variant (quantized) as ONNX (LSTM layout 1 + fc), atomically");
  sub->add_flag("--json", a->json, "print a JSON summary on stdout (logs go to stderr)");
  on_run(sub, [a] { return run_lstm(*a); });
}

}  // namespace sieve::cli
