#include "sieve/compress/schedule/iterative.h"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <chrono>
#include <utility>

#include "sieve/compress/schedule/agp.h"

namespace sieve::compress {

namespace {

using Clock = std::chrono::steady_clock;

double seconds_since(Clock::time_point t0) {
  return std::chrono::duration<double>(Clock::now() - t0).count();
}

train::TrainerOptions with_example_shape(train::TrainerOptions o, const io::Dataset& data) {
  if (o.example_shape.empty() && data.images.rank() >= 2) {
    o.example_shape = Shape(data.images.shape().begin() + 1, data.images.shape().end());
  }
  return o;
}

Result<double> evaluate(train::Trainer& trainer, const io::Dataset& test, int64_t batch) {
  return trainer.evaluate(test.images, test.labels, batch);
}

Result<train::FitSummary> fit(train::Trainer& trainer, const io::Dataset& data,
                              train::FitOptions opts, int epochs, uint64_t seed_offset,
                              const std::string& stage, int iteration, int iterations,
                              const ScheduleProgressCallback& progress) {
  opts.epochs = epochs;
  opts.seed += seed_offset;
  train::ProgressCallback cb;
  if (progress) {
    cb = [&](const train::Progress& p) {
      ScheduleProgress sp;
      sp.stage = stage;
      sp.iteration = iteration;
      sp.iterations = iterations;
      sp.fit = &p;
      progress(sp);
    };
  }
  return trainer.fit(data.images, data.labels, opts, cb);
}

void report(const ScheduleProgressCallback& progress, const std::string& stage, int iteration,
            int iterations, std::string message) {
  if (!progress) return;
  ScheduleProgress sp;
  sp.stage = stage;
  sp.iteration = iteration;
  sp.iterations = iterations;
  sp.message = std::move(message);
  progress(sp);
}

std::string sparsity_summary(const std::map<std::string, double>& s) {
  std::vector<std::string> parts;
  for (const auto& [name, v] : s) parts.push_back(fmt::format("{} {:.2f}%", name, 100.0 * v));
  return fmt::format("{}", fmt::join(parts, ", "));
}

}  // namespace

std::vector<std::pair<std::string, std::string>> prunable_weights(const ir::Graph& graph) {
  std::vector<std::pair<std::string, std::string>> out;
  for (const ir::Node& n : graph.nodes) {
    // Ops whose weight operand always holds a trained weight (ops.def's `fixed` column).
    if (!ir::op_traits(n.op).fixed_weight || graph.weight(n) == nullptr) continue;
    const std::string& w = n.input(static_cast<size_t>(ir::op_traits(n.op).weight));
    const bool seen =
        std::any_of(out.begin(), out.end(), [&](const auto& p) { return p.first == w; });
    if (!seen) out.emplace_back(w, n.name);
  }
  return out;
}

Result<std::map<std::string, PruneSpec>> resolve_layer_specs(
    const ir::Graph& graph, const std::map<std::string, PruneSpec>& per_layer) {
  const auto prunable = prunable_weights(graph);
  std::map<std::string, PruneSpec> out;
  for (const auto& [key, spec] : per_layer) {
    if (key == "*") continue;
    std::string weight;
    for (const auto& [w, node] : prunable) {
      if (key == w || key == node) weight = w;
    }
    if (weight.empty()) {
      std::vector<std::string> names;
      for (const auto& [w, node] : prunable) names.push_back(fmt::format("{} ({})", node, w));
      return invalid_argument("unknown layer \"{}\" to prune; prunable layers: {}", key,
                              fmt::join(names, ", "));
    }
    if (out.count(weight) != 0) {
      return invalid_argument("layer \"{}\" is given twice (by node and by weight name)", key);
    }
    out[weight] = spec;
  }
  auto star = per_layer.find("*");
  if (star != per_layer.end()) {
    for (const auto& [w, node] : prunable) {
      const ir::Node* n = graph.find_node(node);
      const bool fc_conv = n != nullptr && (ir::op_category(n->op) == ir::OpCategory::kFc ||
                                            ir::op_category(n->op) == ir::OpCategory::kConv);
      if (fc_conv && out.count(w) == 0) out[w] = star->second;
    }
  }
  for (const auto& [w, spec] : out) {
    const Tensor* t = graph.initializer(w);
    SIEVE_ASSERT(t != nullptr, "prunable weight {} is not an initializer", w);
    SIEVE_RETURN_IF_ERROR(validate_prune_spec(spec, t->shape(), w));
  }
  return out;
}

Status prune_step(const ir::Graph& graph, const std::map<std::string, PruneSpec>& specs,
                  const std::map<std::string, double>& targets,
                  std::map<std::string, Tensor>& masks) {
  for (const auto& [w, base] : specs) {
    const Tensor* weight = graph.initializer(w);
    if (weight == nullptr) return not_found("weight \"{}\" is not an initializer", w);
    PruneSpec spec = base;
    auto t = targets.find(w);
    if (t != targets.end() && spec.sparsity >= 0.0) spec.sparsity = t->second;
    auto m = masks.find(w);
    const Tensor existing = m == masks.end() ? Tensor() : m->second;
    SIEVE_ASSIGN_OR_RETURN(Tensor mask, prune(*weight, existing, spec, w));
    masks[w] = std::move(mask);
  }
  return ok_status();
}

Result<PruneResult> prune_and_retrain(ir::Graph& graph,
                                      const std::map<std::string, PruneSpec>& per_layer,
                                      const RetrainOptions& options, const io::Dataset& train,
                                      const io::Dataset& test,
                                      const ScheduleProgressCallback& progress) {
  if (options.iterations < 1) {
    return invalid_argument("iterations = {} must be >= 1", options.iterations);
  }
  if (options.epochs_per_iteration < 0 || options.final_epochs < 0) {
    return invalid_argument("retraining epochs must be >= 0 (per iteration {}, final {})",
                            options.epochs_per_iteration, options.final_epochs);
  }
  const auto t0 = Clock::now();
  PruneResult result;
  SIEVE_ASSIGN_OR_RETURN(result.specs, resolve_layer_specs(graph, per_layer));
  for (const auto& [w, node] : prunable_weights(graph)) {
    if (result.specs.count(w) != 0) result.nodes[w] = node;
  }
  SIEVE_ASSIGN_OR_RETURN(auto trainer,
                         train::Trainer::create(graph, with_example_shape(options.trainer, train)));
  const int n = options.iterations;
  report(progress, "evaluate", 0, n, "evaluating the dense network");
  SIEVE_ASSIGN_OR_RETURN(result.accuracy_dense, evaluate(*trainer, test, options.eval_batch));
  report(progress, "evaluate", 0, n,
         fmt::format("dense accuracy {:.2f}%", 100.0 * result.accuracy_dense));

  // Per-layer AGP targets for steps 1..n.
  std::map<std::string, std::vector<double>> targets;
  for (const auto& [w, spec] : result.specs) {
    if (spec.sparsity < 0.0) continue;
    AgpSchedule agp;
    agp.final_sparsity = spec.sparsity;
    agp.initial_sparsity = std::min(options.initial_sparsity, spec.sparsity);
    agp.steps = n;
    targets[w] = agp.step_targets();
  }

  for (int it = 1; it <= n; ++it) {
    const auto ti = Clock::now();
    std::map<std::string, double> step;
    for (const auto& [w, v] : targets) step[w] = v[static_cast<size_t>(it - 1)];
    SIEVE_RETURN_IF_ERROR(prune_step(trainer->graph(), result.specs, step, result.masks));
    SIEVE_RETURN_IF_ERROR(trainer->set_masks(result.masks));
    IterationRecord rec;
    rec.iteration = it;
    for (const auto& [w, m] : result.masks) rec.sparsity[w] = mask_sparsity(m);
    SIEVE_ASSIGN_OR_RETURN(rec.accuracy_pruned, evaluate(*trainer, test, options.eval_batch));
    report(progress, "prune", it, n,
           fmt::format("step {}/{}: pruned to {}; accuracy {:.2f}%", it, n,
                       sparsity_summary(rec.sparsity), 100.0 * rec.accuracy_pruned));
    rec.accuracy = rec.accuracy_pruned;
    if (options.epochs_per_iteration > 0) {
      SIEVE_RETURN_IF_ERROR(fit(*trainer, train, options.fit, options.epochs_per_iteration,
                                static_cast<uint64_t>(it), "retrain", it, n, progress)
                                .status());
      SIEVE_ASSIGN_OR_RETURN(rec.accuracy, evaluate(*trainer, test, options.eval_batch));
      report(progress, "retrain", it, n,
             fmt::format("step {}/{}: retrained {} epoch(s); accuracy {:.2f}%", it, n,
                         options.epochs_per_iteration, 100.0 * rec.accuracy));
    }
    rec.seconds = seconds_since(ti);
    result.iterations.push_back(rec);
  }
  if (options.final_epochs > 0) {
    const auto ti = Clock::now();
    IterationRecord rec;
    rec.iteration = n + 1;
    for (const auto& [w, m] : result.masks) rec.sparsity[w] = mask_sparsity(m);
    rec.accuracy_pruned = result.iterations.back().accuracy;
    SIEVE_RETURN_IF_ERROR(fit(*trainer, train, options.fit, options.final_epochs,
                              static_cast<uint64_t>(n + 1), "final", n + 1, n, progress)
                              .status());
    SIEVE_ASSIGN_OR_RETURN(rec.accuracy, evaluate(*trainer, test, options.eval_batch));
    report(progress, "final", n + 1, n,
           fmt::format("final retraining {} epoch(s); accuracy {:.2f}%", options.final_epochs,
                       100.0 * rec.accuracy));
    rec.seconds = seconds_since(ti);
    result.iterations.push_back(rec);
  }
  result.accuracy = result.iterations.back().accuracy;
  SIEVE_RETURN_IF_ERROR(trainer->write_weights(graph));
  // The trainer keeps masked weights at zero; make it an invariant of the result.
  for (const auto& [w, m] : result.masks) apply_mask(graph.initializers.at(w), m);
  result.seconds = seconds_since(t0);
  return result;
}

Result<DsdResult> dense_sparse_dense(ir::Graph& graph,
                                     const std::map<std::string, PruneSpec>& per_layer,
                                     const DsdOptions& options, const io::Dataset& train,
                                     const io::Dataset& test,
                                     const ScheduleProgressCallback& progress) {
  DsdResult out;
  const train::TrainerOptions topt = with_example_shape(options.sparse.trainer, train);
  {
    SIEVE_ASSIGN_OR_RETURN(auto trainer, train::Trainer::create(graph, topt));
    if (options.dense_epochs > 0) {
      SIEVE_RETURN_IF_ERROR(
          fit(*trainer, train, options.dense, options.dense_epochs, 0, "dense", 0, 0, progress)
              .status());
      SIEVE_RETURN_IF_ERROR(trainer->write_weights(graph));
    }
    SIEVE_ASSIGN_OR_RETURN(out.accuracy_dense, evaluate(*trainer, test, options.sparse.eval_batch));
    report(progress, "dense", 0, 0,
           fmt::format("dense accuracy {:.2f}%", 100.0 * out.accuracy_dense));
  }
  SIEVE_ASSIGN_OR_RETURN(
      out.sparse, prune_and_retrain(graph, per_layer, options.sparse, train, test, progress));
  out.accuracy_sparse = out.sparse.accuracy;
  SIEVE_ASSIGN_OR_RETURN(auto trainer, train::Trainer::create(graph, topt));  // no masks
  if (options.redense_epochs > 0) {
    SIEVE_RETURN_IF_ERROR(fit(*trainer, train, options.redense, options.redense_epochs, 1000,
                              "redense", 0, 0, progress)
                              .status());
  }
  SIEVE_ASSIGN_OR_RETURN(out.accuracy_redense, evaluate(*trainer, test, options.sparse.eval_batch));
  report(progress, "redense", 0, 0,
         fmt::format("re-dense accuracy {:.2f}%", 100.0 * out.accuracy_redense));
  SIEVE_RETURN_IF_ERROR(trainer->write_weights(graph));
  return out;
}

}  // namespace sieve::compress
