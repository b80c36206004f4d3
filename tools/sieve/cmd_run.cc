// sieve run: top-1 accuracy of a model on a dataset's test split with one of the inference
// engines — the float reference (runtime/executor.h), the 16-bit fixed-point reference
// (runtime/kernels/ref/fixed16.h) or the Sieve accelerator's functional model
// (hw/archs/sieve/functional.h) — and optionally the final-layer outputs in the outputs file
// format (docs/formats/outputs.md), so engines can be compared byte for byte.
#include <fmt/format.h>

#include <chrono>
#include <cstdio>
#include <cstring>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "command.h"
#include "sieve/compress/model.h"
#include "sieve/compress/quant/activation.h"
#include "sieve/hw/archs/sieve/functional.h"
#include "sieve/io/container/container.h"
#include "sieve/io/model_loader.h"
#include "sieve/io/outputs/outputs.h"
#include "sieve/runtime/executor.h"
#include "sieve/runtime/kernels/ref/fixed16.h"
#include "sieve/train/recipes.h"

namespace sieve::cli {

namespace {

struct RunArgs {
  std::string engine = "float";
  std::string model;
  std::string data = "fashion-mnist";
  std::string data_dir;
  int64_t limit = -1;
  int64_t batch = 250;
  std::string dump;
  bool json = false;
};

Result<compress::CompressedModel> load(const RunArgs& a) {
  if (io::model_source(a.model) == io::ModelSource::kSieve) return io::read_sieve(a.model);
  compress::CompressedModel m;
  SIEVE_ASSIGN_OR_RETURN(m.graph, io::load_model(a.model));
  return m;
}

// The first `n` rows of `t` from row `start`.
Tensor rows(const Tensor& t, int64_t start, int64_t n) {
  Shape s = t.shape();
  s[0] = n;
  Tensor out(t.dtype(), s);
  const size_t row = t.nbytes() / static_cast<size_t>(t.dim(0));
  std::memcpy(out.raw(), static_cast<const char*>(t.raw()) + static_cast<size_t>(start) * row,
              row * static_cast<size_t>(n));
  return out;
}

int run_run(const RunArgs& a) {
  const auto t0 = std::chrono::steady_clock::now();
  if (a.engine != "float" && a.engine != "ref-fixed16" && a.engine != "sieve-functional") {
    return fail(invalid_argument(
        "--engine \"{}\" is unknown; known: float, ref-fixed16, sieve-functional", a.engine));
  }
  if (a.limit == 0 || a.limit < -1) {
    return fail(invalid_argument("--limit {} must be positive", a.limit));
  }
  if (a.batch <= 0) return fail(invalid_argument("--batch {} must be positive", a.batch));
  Result<io::Dataset> test = train::load_dataset(a.data, "test", a.data_dir, a.limit);
  if (!test.ok()) return fail(test.status().with_context("--data " + a.data));
  Result<compress::CompressedModel> model = load(a);
  if (!model.ok()) return fail(model.status().with_context("--model"));
  std::vector<std::string> notes;

  const bool fixed = a.engine != "float";
  if (fixed && model->activation_frac_bits.empty()) {
    // A model without an activation table (zoo, .onnx, or a .sieve written without
    // calibration): calibrate on the first 256 training images, never on the test split.
    Result<io::Dataset> train = train::load_dataset(a.data, "train", a.data_dir, 256);
    if (!train.ok()) return fail(train.status().with_context("--data " + a.data));
    Status st = compress::quant::calibrate(*model, train->images, {.max_examples = 256});
    if (!st.ok()) return fail(st.with_context("calibrating activation formats"));
    notes.push_back("activation Q formats calibrated on the first 256 training images");
  }
  ir::Graph float_graph;
  if (!fixed) {
    float_graph = model->graph;
    for (ir::Node& n : float_graph.nodes) {
      if (n.op != ir::OpKind::kInput || !n.has_attr("shape")) continue;
      std::vector<int64_t> s = n.attr_ints("shape");
      if (!s.empty()) s[0] = -1;  // any batch
      n.attrs["shape"] = s;
    }
  }
  const std::vector<std::string> inputs = model->graph.input_names();
  if (inputs.size() != 1 || model->graph.outputs.empty()) {
    return fail(invalid_argument("--model {}: expected one graph input and an output", a.model));
  }

  const Tensor& images = test->images;
  const int64_t n = images.dim(0);
  hw::sieve_arch::FunctionalStats stats;
  std::vector<Tensor> parts;
  for (int64_t start = 0; start < n; start += a.batch) {
    const Tensor x = rows(images, start, std::min(a.batch, n - start));
    Result<Tensor> y = Status(StatusCode::kInternal, "no engine ran");
    if (a.engine == "float") {
      Result<runtime::TensorMap> r = runtime::run_graph(float_graph, {{inputs[0], x}});
      if (r.ok()) {
        y = r->at(float_graph.outputs[0]);
      } else {
        y = r.status();
      }
    } else if (a.engine == "ref-fixed16") {
      y = runtime::fixed16::run(*model, x);
    } else {
      y = hw::sieve_arch::run_functional(*model, x, {}, {}, &stats);
    }
    if (!y.ok()) return fail(y.status().with_context(fmt::format("engine {}", a.engine)));
    if (y->rank() < 1 || y->dim(0) != x.dim(0)) {
      return fail(invalid_argument("engine {}: output {} has no row per sample", a.engine,
                                   shape_str(y->shape())));
    }
    parts.push_back(y->reshaped({y->dim(0), y->numel() / std::max<int64_t>(1, y->dim(0))}));
  }
  if (parts.empty()) return fail(invalid_argument("--data {}: no test examples", a.data));
  const int64_t width = parts[0].dim(1);
  Tensor all(parts[0].dtype(), {n, width});
  all.set_frac_bits(parts[0].frac_bits());
  size_t at = 0;
  for (const Tensor& p : parts) {
    std::memcpy(static_cast<char*>(all.raw()) + at, p.raw(), p.nbytes());
    at += p.nbytes();
  }
  int64_t correct = 0;
  for (int64_t s = 0; s < n; ++s) {
    int64_t best = 0;
    for (int64_t j = 1; j < width; ++j) {
      const bool better = all.dtype() == DType::kI16
                              ? all.data<int16_t>()[s * width + j] >
                                    all.data<int16_t>()[s * width + best]
                              : all.data<float>()[s * width + j] >
                                    all.data<float>()[s * width + best];
      if (better) best = j;
    }
    correct += best == test->labels[static_cast<size_t>(s)] ? 1 : 0;
  }
  if (!a.dump.empty()) {
    Status st = io::write_outputs(a.dump, all);
    if (!st.ok()) return fail(st.with_context("--dump-outputs"));
  }
  const double acc = static_cast<double>(correct) / static_cast<double>(n);
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  if (a.json) {
    nlohmann::json j = {{"model", a.model},     {"engine", a.engine},    {"data", a.data},
                        {"split", "test"},      {"examples", n},         {"correct", correct},
                        {"test_accuracy", acc}, {"seconds", seconds},    {"notes", notes},
                        {"output_dtype", dtype_name(all.dtype())},
                        {"output_frac_bits", all.frac_bits()}};
    if (!a.dump.empty()) j["dump_outputs"] = a.dump;
    if (a.engine == "sieve-functional") {
      j["functional"] = {{"nsm_selections", stats.nsm_selections},
                         {"selected", stats.selected},
                         {"multiplies", stats.multiplies},
                         {"pefu_cycles", stats.pefu_cycles},
                         {"encoded", stats.encoded},
                         {"encoded_nonzero", stats.encoded_nonzero}};
    }
    std::printf("%s\n", j.dump(2).c_str());
  } else {
    for (const std::string& note : notes) std::printf("note: %s\n", note.c_str());
    std::printf("test_accuracy %.4f (%lld/%lld correct, %s test, engine %s, %.1fs)\n", acc,
                static_cast<long long>(correct), static_cast<long long>(n), a.data.c_str(),
                a.engine.c_str(), seconds);
    if (!a.dump.empty()) std::printf("outputs written to %s\n", a.dump.c_str());
  }
  return 0;
}

}  // namespace

void add_run_command(CLI::App& app) {
  auto a = std::make_shared<RunArgs>();
  auto* sub = app.add_subcommand(
      "run", "Top-1 accuracy of a model on a dataset's test split with an inference engine");
  sub->add_option("--engine", a->engine,
                  "float (reference), ref-fixed16 (16-bit fixed-point reference) or "
                  "sieve-functional (the accelerator's functional model)")
      ->capture_default_str();
  sub->add_option("--model", a->model, ".sieve file, .onnx file or zoo name")->required();
  sub->add_option("--data", a->data, "dataset: fashion-mnist")->capture_default_str();
  sub->add_option("--data-dir", a->data_dir,
                  "folder of the dataset files (default: the Debian package's)");
  sub->add_option("--limit", a->limit, "use only the first N test examples");
  sub->add_option("--batch", a->batch, "examples per engine call")->capture_default_str();
  sub->add_option("--dump-outputs", a->dump,
                  "write the final-layer outputs (docs/formats/outputs.md) to this file");
  sub->add_flag("--json", a->json, "print a JSON object");
  on_run(sub, [a] { return run_run(*a); });
}

}  // namespace sieve::cli
