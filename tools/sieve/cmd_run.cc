// sieve run: top-1 accuracy of a model on a dataset's test split with one of the inference
// engines — the CPU engine (runtime/cpu/session.h, the default: packed once, timed in images/s
// and ms per batch), the float reference (runtime/executor.h), the 16-bit fixed-point reference
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
#include "sieve/core/progress.h"
#include "sieve/app/model_loader.h"
#include "sieve/compress/model.h"
#include "sieve/compress/quant/activation.h"
#include "sieve/hw/sim/evaluate.h"
#include "sieve/hw/sim/inputs.h"
#include "sieve/io/container/container.h"
#include "sieve/io/outputs/outputs.h"
#include "sieve/runtime/executor.h"
#include "sieve/runtime/fixed16/fixed16.h"
#include "sieve/runtime/kernels/blas/blas.h"
#include "sieve/train/recipes.h"

namespace sieve::cli {

namespace {

struct RunArgs {
  std::string engine = "cpu";
  int threads = 1;
  std::string isa = "auto";
  std::string precision = "fp32";
  std::string max_memory;  // "" = the memory limit
  std::string model;
  std::string data = "fashion-mnist";
  std::string data_dir;
  int64_t limit = -1;
  int64_t batch = 250;
  std::string dump;
  bool json = false;
  CLI::Option* dump_opt = nullptr;  // given at all (an explicit "" is refused)
};

// "512M", "4G", "1048576" (bytes, K/M/G/T = 2^10.. with an optional B) -> bytes.
Result<int64_t> parse_memory(const std::string& text) {
  size_t used = 0;
  double v = 0;
  try {
    v = std::stod(text, &used);
  } catch (const std::exception&) {
    used = 0;
  }
  std::string unit = text.substr(used);
  if (!unit.empty() && (unit.back() == 'B' || unit.back() == 'b')) unit.pop_back();
  double scale = 1;
  if (unit == "K" || unit == "k") scale = 0x1p10;
  else if (unit == "M" || unit == "m") scale = 0x1p20;
  else if (unit == "G" || unit == "g") scale = 0x1p30;
  else if (unit == "T" || unit == "t") scale = 0x1p40;
  else if (!unit.empty()) used = 0;
  if (used == 0 || !(v * scale >= 1) || v * scale > 0x1p62)
    return invalid_argument("--max-memory {}: expected a positive size such as 512M or 4G", text);
  return static_cast<int64_t>(v * scale);
}

int run_run(const RunArgs& a) {
  const auto t0 = std::chrono::steady_clock::now();
  if (a.dump_opt != nullptr && a.dump_opt->count() > 0 && a.dump.empty()) {
    return fail(invalid_argument("--dump-outputs \"\": the path is empty"));
  }
  if (a.threads < 1) return fail(invalid_argument("--threads {}: must be 1 or more", a.threads));
  hw::EngineOptions eo;
  eo.threads = a.threads;
  eo.isa = a.isa;
  if (a.precision != "fp32" && a.precision != "int8")
    return fail(invalid_argument("--precision \"{}\": expected fp32 or int8", a.precision));
  if (a.precision == "int8" && a.engine != "cpu")
    return fail(invalid_argument("--precision int8 needs --engine cpu (engine \"{}\")", a.engine));
  eo.int8 = a.precision == "int8";
  if (!a.max_memory.empty()) {
    Result<int64_t> m = parse_memory(a.max_memory);
    if (!m.ok()) return fail(m.status());
    eo.max_memory_bytes = *m;
  }
  Result<compress::CompressedModel> model = hw::load_compressed_model(a.model);
  if (!model.ok()) return fail(model.status().with_context("--model"));
  Progress bar("sieve run", 0, "images");
  eo.progress = [&](int64_t done, int64_t total) {
    if (done <= a.batch) bar.restart("sieve run", total);
    bar.update(done);
  };
  Result<hw::EngineRun> run =
      hw::evaluate_engine(*model, a.engine, a.data, a.data_dir, a.limit, a.batch, {}, eo);
  bar.clear();
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
                        {"output_frac_bits", all.frac_bits()},
                        {"batch", run->batch},
                        {"batches", run->batches},
                        {"run_seconds", run->run_seconds},
                        {"images_per_second", run->images_per_second()},
                        {"ms_per_batch", run->ms_per_batch()}};
    if (run->batch == 1) j["ms_per_image"] = run->ms_per_batch();
    if (a.engine == "cpu") {
      j["isa"] = run->isa;
      j["precision"] = a.precision;
      j["threads"] = run->threads;
      j["blas_core"] = runtime::blas::corename();
      j["fallback_ops"] = run->fallback_ops;
      j["layers"] = run->layers;
      j["packed_bytes"] = run->packed_bytes;
      auto or_null = [](int64_t v) { return v >= 0 ? nlohmann::json(v) : nlohmann::json(); };
      j["memory"] = {{"plan_bytes", run->plan_bytes},
                     {"load_peak_bytes", or_null(run->load_peak_bytes)},
                     {"engine_peak_bytes", or_null(run->engine_peak_bytes)},
                     {"engine_peak_over_plan",
                      run->engine_peak_bytes >= 0 && run->plan_bytes > 0
                          ? nlohmann::json(static_cast<double>(run->engine_peak_bytes) /
                                           static_cast<double>(run->plan_bytes))
                          : nlohmann::json()}};
    }
    if (!a.dump.empty()) j["dump_outputs"] = a.dump;
    if (a.engine.ends_with("-functional")) j["functional"] = run->functional;
    std::printf("%s\n", j.dump(2).c_str());
  } else {
    for (const std::string& note : notes) std::printf("note: %s\n", note.c_str());
    std::printf("test_accuracy %.4f (%lld/%lld correct, %s test, engine %s, %.1fs)\n", acc,
                static_cast<long long>(correct), static_cast<long long>(n), a.data.c_str(),
                a.engine.c_str(), seconds);
    if (a.engine == "cpu") {
      std::printf("isa %s, %s block-sparse layers, %d thread%s, dense layers on OpenBLAS %s; "
                  "packed weights %lld bytes\n",
                  run->isa.c_str(), a.precision.c_str(), run->threads, run->threads == 1 ? "" : "s",
                  runtime::blas::corename().c_str(), static_cast<long long>(run->packed_bytes));
    }
    std::printf("throughput %.1f images/s, latency %.3f ms per batch of %lld%s\n",
                run->images_per_second(), run->ms_per_batch(), static_cast<long long>(run->batch),
                run->batch == 1 ? " (per image)" : "");
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
                  "cpu (the fast CPU engine), float (reference), ref-fixed16 (16-bit fixed-point "
                  "reference) or <arch>-functional (an accelerator's functional model: "
                  "sieve-functional)")
      ->capture_default_str();
  sub->add_option("--threads", a->threads, "cpu engine: worker threads (1 or more)")
      ->capture_default_str();
  sub->add_option("--isa", a->isa,
                  "cpu engine: code path auto (SIEVE_ISA, else the CPU's best), native, scalar, "
                  "avx2 or avx512; a path the CPU lacks is an error")
      ->capture_default_str();
  sub->add_option("--precision", a->precision,
                  "cpu engine: fp32, or int8 (block-sparse layers on int8 weights and u8 "
                  "activations, AVX512-VNNI; docs/runtime.md)")
      ->capture_default_str();
  sub->add_option("--max-memory", a->max_memory,
                  "cpu engine: refuse a batch needing more than this (e.g. 512M, 4G; default: "
                  "the memory limit, SIEVE_MEMORY_LIMIT or the machine's memory)");
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
