// sieve run: top-1 accuracy of a model on a dataset's test split with one of the inference
// engines — the float reference (runtime/executor.h), the 16-bit fixed-point reference
// (runtime/fixed16/fixed16.h) or the Sieve accelerator's functional model
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
#include "sieve/app/model_loader.h"
#include "sieve/compress/model.h"
#include "sieve/compress/quant/activation.h"
#include "sieve/hw/sim/evaluate.h"
#include "sieve/hw/sim/inputs.h"
#include "sieve/io/container/container.h"
#include "sieve/io/outputs/outputs.h"
#include "sieve/runtime/executor.h"
#include "sieve/runtime/fixed16/fixed16.h"
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
  CLI::Option* dump_opt = nullptr;  // given at all (an explicit "" is refused)
};

int run_run(const RunArgs& a) {
  const auto t0 = std::chrono::steady_clock::now();
  if (a.dump_opt != nullptr && a.dump_opt->count() > 0 && a.dump.empty()) {
    return fail(invalid_argument("--dump-outputs \"\": the path is empty"));
  }
  Result<compress::CompressedModel> model = hw::load_compressed_model(a.model);
  if (!model.ok()) return fail(model.status().with_context("--model"));
  Result<hw::EngineRun> run =
      hw::evaluate_engine(*model, a.engine, a.data, a.data_dir, a.limit, a.batch);
  if (!run.ok()) return fail(run.status());
  const Tensor& all = run->outputs;
  const std::vector<std::string>& notes = run->notes;
  const int64_t n = run->examples;
  const int64_t correct = run->correct;
  if (!a.dump.empty()) {
    Status st = io::write_outputs(a.dump, all);
    if (!st.ok()) return fail(st.with_context("--dump-outputs"));
  }
  const double acc = static_cast<double>(correct) / static_cast<double>(n);
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  if (a.json) {
    nlohmann::json j = {{"model", a.model},
                        {"engine", a.engine},
                        {"data", a.data},
                        {"split", "test"},
                        {"examples", n},
                        {"correct", correct},
                        {"test_accuracy", acc},
                        {"seconds", seconds},
                        {"notes", notes},
                        {"output_dtype", dtype_name(all.dtype())},
                        {"output_frac_bits", all.frac_bits()}};
    if (!a.dump.empty()) j["dump_outputs"] = a.dump;
    if (a.engine.ends_with("-functional")) j["functional"] = run->functional;
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
                  "<arch>-functional (an accelerator's functional model: sieve-functional)")
      ->capture_default_str();
  sub->add_option("--model", a->model, ".sieve file, .onnx file or zoo name")->required();
  sub->add_option("--data", a->data, "dataset: fashion-mnist")->capture_default_str();
  sub->add_option("--data-dir", a->data_dir,
                  "folder of the dataset files (default: the Debian package's)");
  sub->add_option("--limit", a->limit, "use only the first N test examples");
  sub->add_option("--batch", a->batch, "examples per engine call")->capture_default_str();
  a->dump_opt =
      sub->add_option("--dump-outputs", a->dump,
                      "write the final-layer outputs (docs/formats/outputs.md) to this file");
  sub->add_flag("--json", a->json, "print a JSON object");
  on_run(sub, [a] { return run_run(*a); });
}

}  // namespace sieve::cli
