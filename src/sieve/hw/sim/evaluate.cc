#include "sieve/hw/sim/evaluate.h"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <chrono>
#include <cstring>
#include <memory>

#include "sieve/compress/quant/activation.h"
#include "sieve/core/rss.h"
#include "sieve/hw/core/arch.h"
#include "sieve/io/datasets/dataset.h"
#include "sieve/runtime/cpu/session.h"
#include "sieve/runtime/executor.h"
#include "sieve/runtime/fixed16/fixed16.h"

namespace sieve::hw {
namespace {

// `n` rows of `t` from row `start`.
Tensor rows(const Tensor& t, int64_t start, int64_t n) {
  Shape s = t.shape();
  s[0] = n;
  Tensor out(t.dtype(), s);
  const size_t row = t.nbytes() / static_cast<size_t>(t.dim(0));
  std::memcpy(out.raw(), static_cast<const char*>(t.raw()) + static_cast<size_t>(start) * row,
              row * static_cast<size_t>(n));
  return out;
}

}  // namespace

std::vector<std::string> engine_names() {
  std::vector<std::string> names = {"cpu", "float", "ref-fixed16"};
  for (const ArchInfo& a : archs()) {
    Result<std::unique_ptr<Accelerator>> acc = make_accelerator(a.name, {});
    if (!acc.ok()) continue;
    for (const std::string& e : (*acc)->engines())
      if (e == "functional") names.push_back(a.name + "-functional");
  }
  return names;
}

Result<EngineRun> evaluate_engine(compress::CompressedModel& model, const std::string& engine,
                                  const std::string& data, const std::string& data_dir,
                                  int64_t limit, int64_t batch, const EngineFn& custom,
                                  const EngineOptions& options) {
  const std::vector<std::string> known = engine_names();
  if (std::find(known.begin(), known.end(), engine) == known.end())
    return invalid_argument("engine \"{}\" is unknown; known: {}", engine,
                            fmt::format("{}", fmt::join(known, ", ")));
  std::unique_ptr<Accelerator> functional;
  if (engine.ends_with("-functional")) {
    SIEVE_ASSIGN_OR_RETURN(functional, make_accelerator(engine.substr(0, engine.size() - 11), {}));
  }
  if (limit == 0 || limit < -1) return invalid_argument("--limit {} must be positive", limit);
  if (batch <= 0) return invalid_argument("--batch {} must be positive", batch);
  if (options.threads < 1)
    return invalid_argument("--threads {}: must be 1 or more", options.threads);
  if (options.max_memory_bytes < 0)
    return invalid_argument("--max-memory {}: must be positive", options.max_memory_bytes);
  EngineRun run;
  // The cpu engine: load and pack once (before the data, so that a bad ISA or model is
  // reported first).
  std::unique_ptr<runtime::cpu::Session> session;
  int64_t load_kept = -1;  // resident bytes the load kept (cpu engine)
  if (engine == "cpu") {
    SIEVE_ASSIGN_OR_RETURN(runtime::cpu::Isa isa, runtime::cpu::select_isa(options.isa));
    const bool peaks = reset_peak_rss();
    const int64_t rss0 = current_rss_bytes();
    SIEVE_ASSIGN_OR_RETURN(session,
                           runtime::cpu::Session::load(model, {.threads = options.threads,
                                                               .isa = isa,
                                                               .int8 = options.int8,
                                                               .max_memory_bytes =
                                                                   options.max_memory_bytes}));
    run.isa = runtime::cpu::isa_label(isa);
    run.threads = session->threads();
    run.fallback_ops = session->fallback_ops();
    run.packed_bytes = session->packed_bytes();
    if (peaks && rss0 >= 0) {
      run.load_peak_bytes = peak_rss_bytes() - rss0;
      load_kept = current_rss_bytes() - rss0;
    }
    for (const runtime::cpu::PackedLayer& l : session->packed_layers())
      run.layers.push_back(fmt::format("{}: {}, {} bytes{}", l.node, l.kind, l.bytes,
                                       l.compressed ? "" : " (uncompressed)"));
    if (!run.fallback_ops.empty())
      run.notes.push_back(fmt::format("the cpu engine runs {} on the reference kernels",
                                      fmt::join(run.fallback_ops, ", ")));
  }
  SIEVE_ASSIGN_OR_RETURN(io::Dataset test, io::load_dataset(data, "test", data_dir, limit));
  const bool fixed = engine != "float" && engine != "cpu";
  if (fixed && model.activation_frac_bits.empty()) {
    SIEVE_ASSIGN_OR_RETURN(io::Dataset calib, io::load_dataset(data, "train", data_dir, 256));
    SIEVE_RETURN_IF_ERROR(compress::quant::calibrate(model, calib.images, {.max_examples = 256})
                              .with_context("calibrating activation formats"));
    run.notes.push_back("activation Q formats calibrated on the first 256 training images");
  }
  ir::Graph float_graph;
  if (engine == "float") {
    float_graph = model.graph;
    for (ir::Node& n : float_graph.nodes) {
      if (n.op != ir::OpKind::kInput || !n.has_attr("shape")) continue;
      std::vector<int64_t> s = n.attr_ints("shape");
      if (!s.empty()) s[0] = -1;  // any batch
      n.attrs["shape"] = s;
    }
  }
  const std::vector<std::string> inputs = model.graph.input_names();
  if (inputs.size() != 1 || model.graph.outputs.empty())
    return invalid_argument("model: expected one graph input and an output");
  const int64_t n = test.images.dim(0);
  if (session != nullptr) {
    // A batch over the memory limit is refused before anything runs.
    SIEVE_RETURN_IF_ERROR(session->check_batch(std::min(batch, n)));
  }
  std::vector<Tensor> parts;
  // One engine call; `x` is a batch of test images.
  auto call = [&](const Tensor& x) -> Result<Tensor> {
    Result<Tensor> y = Status(StatusCode::kInternal, "no engine ran");
    if (engine == "cpu") {
      Result<std::vector<Tensor>> r = session->run(x);
      if (r.ok())
        y = std::move((*r)[0]);
      else
        y = r.status();
    } else if (engine == "float") {
      Result<runtime::TensorMap> r = runtime::run_graph(float_graph, {{inputs[0], x}});
      if (r.ok())
        y = r->at(float_graph.outputs[0]);
      else
        y = r.status();
    } else if (engine == "ref-fixed16") {
      y = runtime::fixed16::run(model, x);
    } else if (custom && functional != nullptr) {
      y = custom(model, x, &run.functional);
    } else {
      y = functional->run_functional(model, x, &run.functional);
    }
    return y;
  };
  run.batch = std::min(batch, n);
  if (n > 0 && engine == "cpu") {  // warm-up: plans the batch size, touches the buffers
    SIEVE_ASSIGN_OR_RETURN(run.plan_bytes, session->memory_bytes(run.batch));
    const bool peaks = load_kept >= 0 && reset_peak_rss();
    const int64_t rss0 = current_rss_bytes();
    Result<Tensor> y = call(rows(test.images, 0, run.batch));
    if (!y.ok()) return y.status().with_context("engine " + engine);
    if (peaks && rss0 >= 0)
      run.engine_peak_bytes =
          std::max(run.load_peak_bytes, load_kept + (peak_rss_bytes() - rss0));
  }
  for (int64_t start = 0; start < n; start += batch) {
    const Tensor x = rows(test.images, start, std::min(batch, n - start));
    const auto t0 = std::chrono::steady_clock::now();
    Result<Tensor> y = call(x);
    run.run_seconds += std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    ++run.batches;
    if (!y.ok()) return y.status().with_context("engine " + engine);
    if (y->rank() < 1 || y->dim(0) != x.dim(0))
      return invalid_argument("engine {}: output {} has no row per sample", engine,
                              shape_str(y->shape()));
    parts.push_back(y->reshaped({y->dim(0), y->numel() / std::max<int64_t>(1, y->dim(0))}));
    if (options.progress) options.progress(start + x.dim(0), n);
  }
  if (parts.empty()) return invalid_argument("--data {}: no test examples", data);
  const int64_t width = parts[0].dim(1);
  run.outputs = Tensor(parts[0].dtype(), {n, width});
  run.outputs.set_frac_bits(parts[0].frac_bits());
  size_t at = 0;
  for (const Tensor& p : parts) {
    std::memcpy(static_cast<char*>(run.outputs.raw()) + at, p.raw(), p.nbytes());
    at += p.nbytes();
  }
  const Tensor& all = run.outputs;
  for (int64_t s = 0; s < n; ++s) {
    int64_t best = 0;
    for (int64_t j = 1; j < width; ++j) {
      const bool better =
          all.dtype() == DType::kI16
              ? all.data<int16_t>()[s * width + j] > all.data<int16_t>()[s * width + best]
              : all.data<float>()[s * width + j] > all.data<float>()[s * width + best];
      if (better) best = j;
    }
    run.correct += best == test.labels[static_cast<size_t>(s)] ? 1 : 0;
  }
  run.examples = n;
  return run;
}

}  // namespace sieve::hw
