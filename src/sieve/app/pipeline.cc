#include "sieve/app/pipeline.h"

#include <fmt/format.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <set>

#include "sieve/app/model_loader.h"
#include "sieve/compress/irregularity.h"
#include "sieve/compress/prune/prune.h"
#include "sieve/compress/quant/activation.h"
#include "sieve/compress/quant/finetune.h"
#include "sieve/compress/quant/quantize.h"
#include "sieve/compress/schedule/iterative.h"
#include "sieve/compress/schedule/sensitivity.h"
#include "sieve/io/container/container.h"
#include "sieve/io/datasets/fashion_mnist.h"
#include "sieve/io/onnx/onnx.h"
#include "sieve/train/recipes.h"

namespace sieve::app {

// The pipeline drives every stage of compress/ (its passes, schedules, quantizers, report);
// in this file their names read as they did when it lived there.
using namespace compress;  // NOLINT(google-build-using-namespace)

namespace {

using Clock = std::chrono::steady_clock;

double since(Clock::time_point t) {
  return std::chrono::duration<double>(Clock::now() - t).count();
}

std::string default_cache_dir() {
  if (const char* d = std::getenv("SIEVE_CACHE_DIR"); d != nullptr && *d) return d;
  if (const char* d = std::getenv("XDG_CACHE_HOME"); d != nullptr && *d) {
    return (std::filesystem::path(d) / "sieve").string();
  }
  if (const char* h = std::getenv("HOME"); h != nullptr && *h) {
    return (std::filesystem::path(h) / ".cache" / "sieve").string();
  }
  return (std::filesystem::temp_directory_path() / "sieve-cache").string();
}

struct Ctx {
  const Recipe& recipe;
  const PipelineOptions& opt;
  Report& report;
  int64_t validation = 0;  // examples held out of the training set (0 = none)
  template <typename... A>
  void log(fmt::format_string<A...> f, A&&... a) const {
    if (opt.log) opt.log(fmt::format(f, std::forward<A>(a)...));
  }
  // A stage this build does not provide: noted, not faked.
  bool skipped(const Status& s, const std::string& stage) const {
    if (s.code() != StatusCode::kUnimplemented) return false;
    report.notes.push_back(fmt::format("{} skipped: {}", stage, s.message()));
    log("{} skipped: {}", stage, s.message());
    return true;
  }
};

train::TrainerOptions trainer_options(const io::Dataset& d, int threads) {
  train::TrainerOptions t;
  if (d.images.shape().size() > 1) {  // empty without data
    t.example_shape = Shape(d.images.shape().begin() + 1, d.images.shape().end());
  }
  t.threads = threads;
  return t;
}

Result<double> evaluate(const ir::Graph& g, const io::Dataset& test, int threads) {
  SIEVE_ASSIGN_OR_RETURN(auto trainer, train::Trainer::create(g, trainer_options(test, threads)));
  return trainer->evaluate(test.images, test.labels);
}

// The dense, trained model: an ONNX file as is, a zoo model trained (or read from the cache).
Result<ir::Graph> dense_model(const Ctx& c, const io::Dataset& train_set,
                              const io::Dataset& test_set) {
  const PipelineOptions& o = c.opt;
  if (app::model_source(o.model) != app::ModelSource::kZoo) {
    c.log("model {}: loading (no dense training: the file's weights are used)", o.model);
    return app::load_model(o.model);
  }
  train::FitOptions fit = train::default_fit_options(o.model);
  if (c.recipe.dense_epochs > 0) fit.epochs = c.recipe.dense_epochs;
  if (c.recipe.dense_lr > 0) fit.lr.base_lr = c.recipe.dense_lr;
  fit.seed = c.recipe.seed;
  const std::string cache =
      dense_cache_path(o, o.model, c.recipe.seed, fit.epochs, c.validation);
  std::error_code ec;
  if (o.use_cache && std::filesystem::exists(cache, ec)) {
    Result<ir::Graph> g = app::load_model(cache);
    if (g.ok()) {
      c.log("dense model: cached {}", cache);
      return g;
    }
    c.log("dense model: cache {} unreadable ({}); training again", cache, g.status().message());
  }
  SIEVE_ASSIGN_OR_RETURN(ir::Graph g, app::load_model(o.model, {.batch = 1,
                                                               .init_weights = true,
                                                               .seed = c.recipe.seed}));
  SIEVE_ASSIGN_OR_RETURN(auto trainer,
                         train::Trainer::create(g, trainer_options(train_set, o.threads)));
  c.log("dense training: {} ({} parameters), {} epochs, lr {}, batch {}, {} examples", o.model,
        g.num_parameters(), fit.epochs, fit.lr.base_lr, fit.batch, train_set.labels.size());
  auto progress = [&](const train::Progress& p) {
    if (o.progress) o.progress(p);
    if (p.end_of_epoch) {
      c.log("dense epoch {}/{}: loss {:.4f}, train accuracy {:.2f} %, {:.0f}s", p.epoch,
            p.epochs, p.loss, 100.0 * p.accuracy, p.elapsed_seconds);
    }
  };
  SIEVE_ASSIGN_OR_RETURN(train::FitSummary fs,
                         trainer->fit(train_set.images, train_set.labels, fit, progress));
  (void)fs;
  (void)test_set;
  ir::Graph trained = trainer->graph().clone();
  if (o.use_cache) {
    std::filesystem::create_directories(std::filesystem::path(cache).parent_path(), ec);
    Status st = io::export_onnx(trained, cache);
    if (st.ok()) {
      c.log("dense model cached in {}", cache);
    } else {
      c.log("dense model not cached: {}", st.message());
    }
  }
  return trained;
}

// R(Irr) against fine-grained masks at the same per-layer sparsity (magnitude pruning of the
// dense weights), or against the layers of a reference .sieve file.
Result<double> irregularity_of(const Ctx& c, const CompressedModel& model,
                               const ir::Graph& dense) {
  const std::string& ref = c.recipe.irregularity_reference;
  if (ref == "same-sparsity") {
    std::vector<Tensor> fine, coarse;
    for (const CompressedLayer& l : model.layers) {
      if (l.mask.empty()) continue;
      const Tensor* w = dense.initializer(l.weight);
      if (w == nullptr) return internal_error("dense weight {} missing", l.weight);
      PruneSpec s;
      s.method = "magnitude";
      s.sparsity = mask_sparsity(l.mask);
      SIEVE_ASSIGN_OR_RETURN(Tensor fm, prune(*w, Tensor(), s, l.weight));
      fine.push_back(fm);
      coarse.push_back(l.mask);
    }
    if (coarse.empty()) return failed_precondition("no pruned layer");
    return r_irr(fine, coarse);
  }
  SIEVE_ASSIGN_OR_RETURN(CompressedModel other, io::read_sieve(ref));
  SIEVE_ASSIGN_OR_RETURN(Irregularity irr, irregularity(other, model));
  return irr.r_irr;
}

// The recipe key a layer's setting comes from: the layer's own override if it gives the key,
// else the op-kind default ("prune.layers.fc1.block" or "prune.fc.block").
std::string recipe_key(const std::set<std::string>* layer_given, const std::string& section,
                       const std::string& node, ir::OpKind op, const std::string& key) {
  if (layer_given != nullptr && layer_given->count(key) != 0) {
    return fmt::format("{}.layers.{}.{}", section, node, key);
  }
  return fmt::format("{}.{}.{}", section, recipe_section(op), key);
}

// Checks the recipe's per-layer settings against the model's weight shapes before any data is
// loaded or trained on, so that a block, stride, pes or region grid too large for a layer is
// refused at once and named as the recipe file and key the user wrote.
Status check_recipe_fits(const Recipe& recipe, const ir::Graph& graph) {
  const std::string file = recipe.path.empty() ? recipe.name : recipe.path;
  for (const auto& [w, n] : prunable_weights(graph)) {
    const ir::Node* node = graph.find_node(n);
    const Tensor* weight = graph.initializer(w);
    if (node == nullptr || weight == nullptr) continue;
    const PruneSpec p = recipe.prune_for(n, node->op);
    auto pl = recipe.prune_layers.find(n);
    const std::set<std::string>* pgiven = pl == recipe.prune_layers.end() ? nullptr
                                                                         : &pl->second.given;
    if (p.method != "none") {
      Status st = validate_prune_spec(p.resolved(), weight->shape(), w);
      if (!st.ok()) {
        // The message names the field; map it to the recipe key.
        std::string key = "method";
        for (const char* k : {"gates", "block", "stride", "pes", "sparsity", "quality"}) {
          if (st.message().find(std::string(k)) != std::string::npos) {
            key = k;
            break;
          }
        }
        if (st.message().find("n:m") != std::string::npos) key = "n";
        return invalid_argument("recipe {}: {}: {}", file,
                                recipe_key(pgiven, "prune", n, node->op, key), st.message());
      }
    }
    const QuantSettings q = recipe.quant_for(n, node->op);
    if (recipe.quant_enabled && q.bits > 0 && !q.ttq && !weight->shape().empty()) {
      const int64_t rows = weight->shape()[0];
      const int64_t cols = rows > 0 ? weight->numel() / rows : 0;
      if (q.region_rows > std::max<int64_t>(rows, 1) || q.region_cols > std::max<int64_t>(cols, 1)) {
        auto ql = recipe.quant_layers.find(n);
        const std::set<std::string>* qgiven =
            ql == recipe.quant_layers.end() ? nullptr : &ql->second.given;
        return invalid_argument(
            "recipe {}: {}: region grid [{}, {}] does not fit layer {} (weight {}, a {} x {} "
            "2-D view)",
            file, recipe_key(qgiven, "quant", n, node->op, "regions"), q.region_rows,
            q.region_cols, n, shape_str(weight->shape()), rows, cols);
      }
    }
  }
  return ok_status();
}

}  // namespace

std::string dense_cache_path(const PipelineOptions& o, const std::string& model, uint64_t seed,
                             int epochs, int64_t validation) {
  const std::string dir = o.cache_dir.empty() ? default_cache_dir() : o.cache_dir;
  std::string name = fmt::format("{}-{}-seed{}-e{}", model, o.data, seed, epochs);
  if (o.limit >= 0) name += fmt::format("-limit{}", o.limit);
  if (validation > 0) name += fmt::format("-val{}", validation);
  return (std::filesystem::path(dir) / (name + ".onnx")).string();
}

Result<PipelineResult> run_pipeline(const Recipe& recipe, const PipelineOptions& o) {
  const auto t0 = Clock::now();
  PipelineResult result;
  Report& report = result.report;
  const int64_t validation = o.validation >= 0 ? o.validation : recipe.validation;
  const Ctx c{recipe, o, report, validation};

  // The recipe against the model's shapes first (no weights needed): a setting that cannot fit
  // is refused before any data is read or any epoch trained.
  {
    SIEVE_ASSIGN_OR_RETURN(ir::Graph shapes, app::load_model(o.model, {.batch = 1,
                                                                      .init_weights = false,
                                                                      .seed = recipe.seed}));
    SIEVE_RETURN_IF_ERROR(check_recipe_fits(recipe, shapes));
  }

  // Data, then the dense model. Without data (bookkeeping only): the model's own (synthetic)
  // weights, one-shot pruning to the targets, no training and no accuracy.
  const bool no_data = o.data == "none";
  io::Dataset train_set, test_set, val_set;
  ir::Graph graph;
  if (no_data) {
    SIEVE_ASSIGN_OR_RETURN(graph, app::load_model(o.model, {.batch = 1,
                                                           .init_weights = true,
                                                           .seed = recipe.seed}));
    report.notes.push_back("no data: synthetic weights, one-shot pruning, no retraining, "
                           "no accuracy");
  } else {
    SIEVE_ASSIGN_OR_RETURN(train_set, io::load_dataset(o.data, "train", o.data_dir, o.limit));
    SIEVE_ASSIGN_OR_RETURN(test_set, io::load_dataset(o.data, "test", o.data_dir, o.limit));
    if (validation > 0) {
      Result<io::Dataset> v = io::split_validation(train_set, validation);
      if (!v.ok()) {
        return v.status().with_context(fmt::format("{}: validation", recipe.path.empty()
                                                                         ? recipe.name
                                                                         : recipe.path));
      }
      val_set = std::move(*v);
      c.log("validation: the last {} of the training examples held out ({} left to train on)",
            val_set.labels.size(), train_set.labels.size());
    }
    SIEVE_ASSIGN_OR_RETURN(graph, dense_model(c, train_set, test_set));
    SIEVE_ASSIGN_OR_RETURN(report.accuracy_dense, evaluate(graph, test_set, o.threads));
    c.log("dense accuracy {:.2f} % ({} test examples, {:.0f}s so far)",
          100.0 * report.accuracy_dense, test_set.labels.size(), since(t0));
    if (validation > 0) {
      SIEVE_ASSIGN_OR_RETURN(report.accuracy_val_dense, evaluate(graph, val_set, o.threads));
      c.log("dense validation accuracy {:.2f} %", 100.0 * report.accuracy_val_dense);
    }
  }
  // The set the schedule measures itself on (pruning steps, DSD, sensitivity, quantization):
  // the validation set when there is one, else the test set.
  const io::Dataset& score_set = validation > 0 ? val_set : test_set;
  const char* score_name = validation > 0 ? "validation" : "test";
  const ir::Graph dense = graph.clone();

  // Per-layer pruning specs; the recipe's layer names must exist.
  const auto prunable = prunable_weights(graph);
  for (const std::string& name : recipe.named_layers()) {
    bool found = false;
    std::vector<std::string> nodes;
    for (const auto& [w, n] : prunable) {
      nodes.push_back(n);
      found = found || n == name || w == name;
    }
    if (!found) {
      return invalid_argument("recipe {}: layers.{}: no such layer in {}; layers: {}",
                              recipe.path.empty() ? recipe.name : recipe.path, name, o.model,
                              fmt::join(nodes, ", "));
    }
  }
  std::map<std::string, PruneSpec> specs;     // by weight name: the pruned layers
  std::map<std::string, PruneSpec> settings;  // every layer, "none" included
  for (const auto& [w, n] : prunable) {
    const ir::Node* node = graph.find_node(n);
    const PruneSpec p = recipe.prune_for(n, node->op).resolved();
    settings[w] = p;
    if (p.method != "none") specs[w] = p;
  }

  train::FitOptions retrain = train::default_fit_options(o.model);
  retrain.lr.base_lr = recipe.retrain_lr;
  retrain.lr.policy = recipe.retrain_schedule == "cosine" ? train::LrPolicy::kCosine
                                                          : train::LrPolicy::kConstant;
  retrain.lr.min_lr = 0.0;
  retrain.batch = recipe.batch;
  retrain.sgd.momentum = recipe.momentum;
  retrain.sgd.weight_decay = recipe.weight_decay;
  retrain.seed = recipe.seed;
  if (recipe.distill && !no_data) {
    // The dense model's logits on the training images, once: the teacher of every retraining.
    SIEVE_ASSIGN_OR_RETURN(auto teacher,
                           train::Trainer::create(graph, trainer_options(train_set, o.threads)));
    SIEVE_ASSIGN_OR_RETURN(Tensor logits, teacher->predict(train_set.images));
    retrain.teacher_logits = std::make_shared<const Tensor>(std::move(logits));
    retrain.distill_alpha = recipe.distill_alpha;
    retrain.distill_temperature = recipe.distill_temperature;
    c.log("distillation: the dense model teaches every retraining (alpha {}, temperature {})",
          recipe.distill_alpha, recipe.distill_temperature);
  }
  RetrainOptions ro;
  ro.iterations = recipe.steps;
  ro.initial_sparsity = recipe.initial_sparsity;
  ro.epochs_per_iteration = recipe.retrain_epochs;
  ro.final_epochs = recipe.final_epochs;
  ro.fit = retrain;
  ro.trainer = trainer_options(train_set, o.threads);
  auto on_schedule = [&](const ScheduleProgress& p) {
    if (p.fit != nullptr && o.progress) o.progress(*p.fit);
    if (!p.message.empty()) c.log("{}", p.message);
  };

  // Sensitivity sweep (optional).
  if (recipe.sensitivity && !no_data) {
    SensitivityOptions so;
    so.sparsities = recipe.sensitivity_sparsities;
    so.base.method = "magnitude";
    so.per_layer = specs;
    so.trainer = ro.trainer;
    Result<std::vector<SensitivityPoint>> pts = sensitivity_sweep(
        graph, so, score_set, [&](const SensitivityPoint& p) {
          c.log("sensitivity {} sparsity {:.2f}: {} accuracy {:.2f} %", p.layer, p.achieved,
                score_name, 100.0 * p.accuracy);
        });
    if (!pts.ok()) {
      if (!c.skipped(pts.status(), "sensitivity sweep")) return pts.status();
    } else {
      std::string csv = recipe.sensitivity_csv;
      if (csv.empty()) csv = (o.out.empty() ? recipe.name : o.out) + ".sensitivity.csv";
      SIEVE_RETURN_IF_ERROR(write_sensitivity_csv(csv, *pts));
      c.log("sensitivity sweep written to {}", csv);
    }
  }

  // Pruning with retraining (optionally inside dense-sparse-dense).
  std::map<std::string, Tensor> masks;
  std::vector<ScheduleStep> schedule;
  if (!specs.empty() && no_data) {
    c.log("pruning (one shot, no data)");
    SIEVE_RETURN_IF_ERROR(prune_step(graph, specs, {}, masks));
    for (auto& [w, m] : masks) apply_mask(graph.initializers.at(w), m);
  } else if (!specs.empty()) {
    if (recipe.dsd) {
      DsdOptions d;
      d.sparse = ro;
      d.redense_epochs = recipe.dsd_dense_epochs;
      d.redense = retrain;
      d.redense.lr.base_lr = recipe.dsd_lr;
      Result<DsdResult> dr = dense_sparse_dense(graph, specs, d, train_set, score_set, on_schedule);
      if (!dr.ok()) {
        if (!c.skipped(dr.status(), "DSD")) return dr.status();
      } else {
        c.log("DSD: {} accuracy sparse {:.2f} %, re-dense {:.2f} %", score_name,
              100.0 * dr->accuracy_sparse, 100.0 * dr->accuracy_redense);
      }
    }
    c.log("pruning: {} steps (AGP from {:.2f}), {} retraining epoch(s) per step at lr {}",
          ro.iterations, ro.initial_sparsity, ro.epochs_per_iteration, recipe.retrain_lr);
    for (const auto& [w, s] : specs) c.log("  {}: {}", w, s.to_string());
    Result<PruneResult> pr = prune_and_retrain(graph, specs, ro, train_set, score_set, on_schedule);
    if (!pr.ok()) {
      if (!c.skipped(pr.status(), "pruning")) return pr.status();
    } else {
      masks = pr->masks;
      // The schedule for the report: each step's sparsity over all the pruned weights.
      for (const IterationRecord& it : pr->iterations) {
        double zeros = 0, all = 0;
        for (const auto& [w, sp] : it.sparsity) {
          const double n = static_cast<double>(graph.initializer(w)->numel());
          zeros += sp * n;
          all += n;
        }
        schedule.push_back({it.iteration, all > 0 ? zeros / all : 0.0, it.accuracy_pruned,
                            it.accuracy});
      }
      c.log("pruned: {} accuracy {:.2f} % ({:.0f}s so far)", score_name, 100.0 * pr->accuracy,
            since(t0));
    }
  }

  // The compressed model: every FC/conv/recurrent weight is a layer.
  CompressedModel& model = result.model;
  model.graph = graph.clone();
  bool quant_ok = recipe.quant_enabled;
  bool any_quantized = false, any_ttq = false;
  for (const auto& [w, n] : prunable) {
    CompressedLayer l;
    l.node = n;
    l.weight = w;
    const Tensor& weight = *graph.initializer(w);
    l.shape = weight.shape();
    l.block.assign(l.shape.size(), 1);
    auto mit = masks.find(w);
    if (mit != masks.end()) {
      // The structure the pruner gave the mask, for the container and the hardware models.
      l.mask = mit->second;
      l.block = structure_block(settings[w], l.shape);
      l.structure = prune_structure(settings[w], l.shape);
    } else if (settings[w].method == "none") {
      l.structure.method = "none";
    }
    const QuantSettings q = recipe.quant_for(n, graph.find_node(n)->op);
    Status st;
    if (quant_ok && q.ttq) {
      st = quant::ternarize_layer(l, weight, {});
      any_ttq = any_ttq || st.ok();
    } else if (quant_ok && q.bits > 0) {
      quant::QuantizeOptions qo;
      qo.bits = q.bits;
      qo.region_rows = q.region_rows;
      qo.region_cols = q.region_cols;
      st = quant::quantize_layer(l, weight, qo);
      any_quantized = any_quantized || st.ok();
    }
    if (!st.ok()) {
      if (!c.skipped(st, "quantization")) return st.with_context("quantizing " + w);
      quant_ok = false;
      st = ok_status();
    }
    if (!quant_ok || (q.bits == 0 && !q.ttq)) {
      CompressedLayer u = l;
      SIEVE_RETURN_IF_ERROR(quant::store_unquantized(u, weight));
      l = u;
    }
    model.layers.push_back(std::move(l));
  }
  SIEVE_RETURN_IF_ERROR(decode(model));
  if ((any_quantized || any_ttq) && !no_data) {
    SIEVE_ASSIGN_OR_RETURN(double acc_q, evaluate(model.graph, score_set, o.threads));
    c.log("quantized: {} accuracy {:.2f} % before fine-tuning", score_name, 100.0 * acc_q);
    if (recipe.finetune_epochs > 0) {
      quant::FinetuneOptions fo;
      fo.fit = retrain;
      fo.fit.epochs = recipe.finetune_epochs;
      fo.fit.lr.base_lr = recipe.finetune_lr;
      fo.trainer = ro.trainer;
      auto prog = [&](const train::Progress& p) {
        if (o.progress) o.progress(p);
        if (p.end_of_epoch) {
          c.log("centroid fine-tuning epoch {}/{}: loss {:.4f}", p.epoch, p.epochs, p.loss);
        }
      };
      Result<train::FitSummary> fr =
          any_ttq ? quant::finetune_ternary(model, dense, train_set.images, train_set.labels, fo,
                                            prog)
                  : quant::finetune_centroids(model, train_set.images, train_set.labels, fo,
                                              prog);
      if (!fr.ok() && !c.skipped(fr.status(), "centroid fine-tuning")) return fr.status();
    }
  }
  if (!no_data) {
    SIEVE_ASSIGN_OR_RETURN(report.accuracy, evaluate(model.graph, test_set, o.threads));
    c.log("compressed: test accuracy {:.2f} % (dense {:.2f} %)", 100.0 * report.accuracy,
          100.0 * report.accuracy_dense);
    if (validation > 0) {
      SIEVE_ASSIGN_OR_RETURN(report.accuracy_val, evaluate(model.graph, val_set, o.threads));
      c.log("compressed: validation accuracy {:.2f} % (dense {:.2f} %)",
            100.0 * report.accuracy_val, 100.0 * report.accuracy_val_dense);
    }
  }

  // Activation Q formats.
  if (recipe.calibration_examples > 0 && !no_data) {
    quant::CalibrationOptions co;
    co.max_examples = recipe.calibration_examples;
    Status st = quant::calibrate(model, train_set.images, co);
    if (!st.ok() && !c.skipped(st, "activation calibration")) return st;
  }
  model.metadata["recipe"] = recipe.name;
  model.metadata["model"] = o.model;
  model.metadata["dataset"] = o.data;
  model.metadata["accuracy_dense"] = fmt::format("{:.6f}", report.accuracy_dense);
  model.metadata["accuracy"] = fmt::format("{:.6f}", report.accuracy);
  if (validation > 0) {
    model.metadata["validation_examples"] = std::to_string(validation);
    model.metadata["accuracy_val_dense"] = fmt::format("{:.6f}", report.accuracy_val_dense);
    model.metadata["accuracy_val"] = fmt::format("{:.6f}", report.accuracy_val);
  }

  // The report (its c stage is what the writer stores, with the recipe's coding choice).
  model.entropy_coding = recipe.huffman;
  Result<Report> made = make_report(model);
  if (!made.ok()) {
    if (!c.skipped(made.status(), "byte accounting")) return made.status();
  } else {
    made->accuracy_dense = report.accuracy_dense;
    made->accuracy = report.accuracy;
    made->accuracy_val_dense = report.accuracy_val_dense;
    made->accuracy_val = report.accuracy_val;
    made->validation_examples = validation;
    made->notes = report.notes;
    made->schedule = schedule;
    if (!schedule.empty()) made->schedule_scored_on = score_name;
    report = *made;
  }
  report.model = o.model;
  report.recipe = recipe.name;
  if (recipe.irregularity_reference != "none" && !masks.empty()) {
    Result<double> irr = irregularity_of(c, model, dense);
    if (irr.ok()) {
      report.r_irr = *irr;
    } else if (!c.skipped(irr.status(), "R(Irr)")) {
      return irr.status().with_context("R(Irr)");
    }
  }

  // The container, and the report's headline ratios from its own section table: read back
  // from the written file, or (no --out) from the bytes it would hold.
  auto set_file = [&](const io::SieveFileInfo& info, bool written) {
    std::vector<std::pair<std::string, int64_t>> sections;
    for (const io::SieveSectionInfo& sec : info.sections) {
      sections.emplace_back(sec.name, static_cast<int64_t>(sec.bytes));
    }
    set_file_sections(report, std::move(sections), static_cast<int64_t>(info.file_bytes),
                      written, written ? o.out : "");
  };
  if (!o.out.empty()) {
    Status st = io::write_sieve(model, o.out);
    if (!st.ok()) {
      if (!c.skipped(st, "writing the .sieve file")) {
        result.write_status = st.with_context("writing " + o.out);
        report.notes.push_back(result.write_status.message());
      }
    } else {
      SIEVE_ASSIGN_OR_RETURN(io::SieveFileInfo info, io::read_sieve_info(o.out));
      set_file(info, true);
    }
  } else {
    Result<std::string> bytes = io::serialize_sieve(model);
    if (bytes.ok()) {
      SIEVE_ASSIGN_OR_RETURN(io::SieveFileInfo info, io::sieve_file_info(*bytes, "<memory>"));
      set_file(info, false);
    } else if (!c.skipped(bytes.status(), "serialising the .sieve file")) {
      report.notes.push_back("no file ratio: " + bytes.status().message());
    }
  }
  report.seconds = since(t0);
  return result;
}

}  // namespace sieve::app
