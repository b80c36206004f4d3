// run_conformance_case: import, run on the reference engine, compare. Kept apart from the
// rest of the runner so that code using only the case/list helpers does not link the engine.
#include <algorithm>
#include <chrono>
#include <filesystem>

#include "sieve/app/onnx_conformance.h"
#include "sieve/io/onnx/onnx.h"
#include "sieve/runtime/executor.h"

namespace sieve::app {

namespace fs = std::filesystem;

CaseResult run_conformance_case(const std::string& dir, const ConformanceOptions& opts) {
  const auto t0 = std::chrono::steady_clock::now();
  CaseResult r;
  fs::path path(dir);
  while (!path.empty() && !path.has_filename()) path = path.parent_path();  // trailing '/'
  r.name = path.parent_path().filename().empty()
               ? path.filename().string()
               : (path.parent_path().filename() / path.filename()).string();
  auto finish = [&](CaseOutcome o, std::string reason) {
    r.outcome = o;
    r.reason = std::move(reason);
    r.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    return r;
  };

  const std::string model_path = (path / "model.onnx").string();
  auto graph = io::import_onnx(model_path);
  if (!graph.ok()) {
    // The case name is on the line already: drop the "<path>: " prefix.
    std::string msg = graph.status().message();
    if (msg.rfind(model_path + ": ", 0) == 0) msg = msg.substr(model_path.size() + 2);
    if (graph.status().code() == StatusCode::kUnimplemented) {
      return finish(CaseOutcome::kSkip, msg);
    }
    return finish(CaseOutcome::kFail, "import: " + msg);
  }
  if (opts.round_trip) {
    io::ExportOptions eo;
    eo.allow_sieve_extensions = true;
    auto bytes = io::export_onnx_bytes(*graph, eo);
    if (!bytes.ok()) return finish(CaseOutcome::kFail, "export: " + bytes.status().message());
    auto again = io::import_onnx_bytes(*bytes, "re-imported " + model_path);
    if (!again.ok()) return finish(CaseOutcome::kFail, "re-import: " + again.status().message());
    graph = std::move(again);
  }
  const ir::Graph& g = *graph;
  const std::vector<std::string> input_names = g.input_names();

  std::vector<fs::path> sets;
  std::error_code ec;
  for (const auto& e : fs::directory_iterator(path, ec)) {
    if (e.is_directory() && e.path().filename().string().rfind("test_data_set_", 0) == 0) {
      sets.push_back(e.path());
    }
  }
  if (ec) return finish(CaseOutcome::kFail, fmt::format("{}: cannot list: {}", dir, ec.message()));
  if (sets.empty()) {
    return finish(CaseOutcome::kFail, fmt::format("{}: no test_data_set_* folders", dir));
  }
  std::sort(sets.begin(), sets.end());

  for (const fs::path& set : sets) {
    const std::string set_name = set.filename().string();
    runtime::TensorMap feeds;
    for (int k = 0;; ++k) {
      fs::path f = set / fmt::format("input_{}.pb", k);
      if (!fs::exists(f, ec)) break;
      auto t = io::read_tensor_pb(f.string());
      if (!t.ok()) return finish(CaseOutcome::kFail, t.status().message());
      // Match by the tensor's name when it names a graph input, else by position.
      auto name = io::tensor_pb_name(f.string());
      std::string target;
      if (name.ok() &&
          std::find(input_names.begin(), input_names.end(), *name) != input_names.end()) {
        target = *name;
      } else if (k < static_cast<int>(input_names.size())) {
        target = input_names[static_cast<size_t>(k)];
      } else {
        return finish(CaseOutcome::kFail,
                      fmt::format("{}/{}: input_{}.pb has no matching graph input (the graph "
                                  "has {})",
                                  set_name, f.filename().string(), k, input_names.size()));
      }
      feeds[target] = std::move(*t);
    }
    auto outs = runtime::run_graph(g, feeds);
    if (!outs.ok()) {
      // The engine declining a form it does not support (e.g. training-mode Dropout fed at
      // run time) is "unsupported", like an import refusal; any other error is a failure.
      const bool unsupported = outs.status().code() == StatusCode::kUnimplemented;
      return finish(unsupported ? CaseOutcome::kSkip : CaseOutcome::kFail,
                    fmt::format("{}: run: {}", set_name, outs.status().message()));
    }
    int checked = 0;
    for (int k = 0;; ++k) {
      fs::path f = set / fmt::format("output_{}.pb", k);
      if (!fs::exists(f, ec)) break;
      auto want = io::read_tensor_pb(f.string());
      if (!want.ok()) return finish(CaseOutcome::kFail, want.status().message());
      if (k >= static_cast<int>(g.outputs.size())) {
        return finish(CaseOutcome::kFail, fmt::format("{}: output_{}.pb but the graph has {} "
                                                      "outputs",
                                                      set_name, k, g.outputs.size()));
      }
      const std::string& oname = g.outputs[static_cast<size_t>(k)];
      auto it = outs->find(oname);
      if (it == outs->end() || it->second.empty()) {
        return finish(CaseOutcome::kFail,
                      fmt::format("{}: output {} (\"{}\") was not produced", set_name, k, oname));
      }
      Status cmp = compare_tensors(*want, it->second, opts.rtol, opts.atol);
      if (!cmp.ok()) {
        return finish(CaseOutcome::kFail,
                      fmt::format("{}: output {} (\"{}\"): {}", set_name, k, oname, cmp.message()));
      }
      if (opts.verbose) {
        r.log += fmt::format("  {} output {} (\"{}\") {} {} ok\n", set_name, k, oname,
                             dtype_name(want->dtype()), shape_str(want->shape()));
      }
      ++checked;
    }
    if (checked == 0) {
      return finish(CaseOutcome::kFail, fmt::format("{}: no output_*.pb files", set_name));
    }
    ++r.data_sets;
  }
  return finish(CaseOutcome::kPass, "");
}

}  // namespace sieve::app
