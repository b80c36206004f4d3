// sieve sweep's evaluator and output (sweep.h; the spec parser is sweep_spec.cc). The points were
// drawn once, at parse time, so every process of a run (threads, MPI ranks, a resumed run)
// agrees on what point i is; the output is a pure function of the rows, which are pure
// functions of their points.
#include "sieve/app/sweep.h"

#include <fmt/format.h>

#include <algorithm>
#include <atomic>
#include <charconv>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <future>
#include <limits>
#include <list>
#include <map>
#include <mutex>
#include <optional>
#include <random>
#include <set>
#include <thread>

#include "sieve/app/model_loader.h"
#include "sieve/app/pipeline.h"
#include "sieve/app/sweep_metric.h"
#include "sieve/compress/recipe.h"
#include "sieve/compress/report.h"
#include "sieve/hw/area/area.h"
#include "sieve/core/atomic_file.h"
#include "sieve/hw/core/arch.h"
#include "sieve/hw/energy/energy.h"
#include "sieve/hw/sim/inputs.h"
#include "sieve/hw/sim/run.h"
#include "sieve/hw/workloads/thesis.h"
#include "sieve/io/csv/csv.h"
#include "sieve/io/yaml/yaml.h"
#include "sieve/zoo/zoo.h"

namespace sieve::app {
using namespace sweep_detail;  // NOLINT: the metric helpers of sweep_metric.h

// ---- evaluation ----------------------------------------------------------------------------

struct SweepEvaluator::Impl {
  const SweepPlan* plan = nullptr;
  std::vector<Metric> metrics;
  bool needs_json = false;
  bool needs_area = false;  // a metric is area_mm2 or power_mw
  int pause_ms = 0;  // the test hook kSweepPointPauseEnv
  struct Arch {
    hw::ParamSet preset, energy;
  };
  std::map<std::string, Arch> archs;
  // Workloads by (model, batch, seed, input density), the most recently used kept: points that
  // share a workload (every arch and parameter point of one model) build it once.
  struct Built {
    Status status;
    hw::Workload w;
    // The architectures' results that depend on the workload and a plan alone (hw/core/memo.h):
    // points that differ in memory or buffers but share a layer's tiling reuse them.
    std::shared_ptr<hw::SimMemo> memo = std::make_shared<hw::SimMemo>();
  };
  static constexpr size_t kCachedWorkloads = 4;
  mutable std::mutex mu;
  mutable std::list<std::pair<std::string, std::shared_future<std::shared_ptr<const Built>>>> lru;

  std::shared_ptr<const Built> workload(const hw::WorkloadRequest& req) const {
    const std::string key = fmt::format("{}\x1f{}\x1f{}\x1f{}", req.model, req.batch, req.seed,
                                        req.input_density ? *req.input_density : -1.0);
    std::promise<std::shared_ptr<const Built>> mine;
    std::shared_future<std::shared_ptr<const Built>> f;
    {
      std::lock_guard<std::mutex> lock(mu);
      auto it = std::find_if(lru.begin(), lru.end(), [&](const auto& e) { return e.first == key; });
      if (it != lru.end()) {
        lru.splice(lru.begin(), lru, it);
        f = it->second;
      } else {
        lru.emplace_front(key, mine.get_future().share());
        if (lru.size() > kCachedWorkloads) lru.pop_back();
      }
    }
    if (f.valid()) return f.get();
    auto b = std::make_shared<Built>();
    Result<hw::Workload> w = hw::make_workload(req);
    if (w.ok())
      b->w = std::move(*w);
    else
      b->status = w.status();
    mine.set_value(b);
    return b;
  }

  Result<nlohmann::json> metric(const Metric& m, const hw::SimReport& r,
                                const hw::LayerStats& total, const nlohmann::json* j,
                                const hw::area::AreaReport* area) const {
    using J = nlohmann::json;
    const hw::LayerStats& t = total;
    switch (m.builtin) {
      case Builtin::kCycles: return J(t.cycles);
      case Builtin::kTimeNs: return J(r.total_time_ns());
      case Builtin::kEnergyPj: return J(r.energy.total_pj());
      case Builtin::kOnchipEnergyPj: return J(r.energy.onchip_pj);
      case Builtin::kOffchipEnergyPj: return J(r.energy.offchip_pj);
      case Builtin::kOffchipBytes: return J(t.offchip.total());
      case Builtin::kMacsPerformed: return J(t.macs_performed);
      case Builtin::kMacsSkipped: return J(t.macs_skipped);
      case Builtin::kUtilization: return J(t.utilization);
      case Builtin::kStallCycles: return J(t.stall_cycles);
      case Builtin::kUnsupportedLayers: return J(r.result.unsupported_layers());
      case Builtin::kAreaMm2:
      case Builtin::kPowerMw:
        if (area == nullptr) return internal_error("metric {}: no area report", m.name);
        return J(m.builtin == Builtin::kAreaMm2 ? area->area_mm2 : area->power_mw);
      case Builtin::kPath: {
        Result<nlohmann::json> v = follow(*j, m.path);
        if (!v.ok()) return v.status().with_context("metric " + m.name);
        return v;
      }
    }
    return internal_error("metric {}", m.name);
  }
};

SweepEvaluator::SweepEvaluator(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
SweepEvaluator::~SweepEvaluator() = default;

Result<std::unique_ptr<SweepEvaluator>> SweepEvaluator::make(const SweepPlan& plan) {
  auto impl = std::make_unique<Impl>();
  impl->plan = &plan;
  const bool compressing = plan.kind() == SweepKind::kCompress;
  for (const std::string& name : plan.metrics()) {
    SIEVE_ASSIGN_OR_RETURN(Metric m, make_metric(name, compressing));
    impl->needs_json = impl->needs_json || m.builtin == Builtin::kPath;
    impl->needs_area =
        impl->needs_area || m.builtin == Builtin::kAreaMm2 || m.builtin == Builtin::kPowerMw;
    impl->metrics.push_back(std::move(m));
  }
  std::vector<std::string> archs = {"sieve"};
  for (const SweepAxis& a : plan.axes())
    if (a.key == "arch") {
      archs.clear();
      for (const nlohmann::json& v : a.values) archs.push_back(v.get<std::string>());
    }
  if (const char* ms = std::getenv(kSweepPointPauseEnv); ms != nullptr)
    impl->pause_ms = std::max(0, std::atoi(ms));
  if (compressing) archs.clear();  // no accelerator
  for (const std::string& arch : archs) {
    Impl::Arch a;
    SIEVE_ASSIGN_OR_RETURN(a.preset, hw::read_preset(arch));
    SIEVE_ASSIGN_OR_RETURN(a.energy, hw::energy_table_for(a.preset));
    impl->archs.emplace(arch, std::move(a));
  }
  return std::unique_ptr<SweepEvaluator>(new SweepEvaluator(std::move(impl)));
}

namespace {

// Ends a row: the metric cells (all empty when the point failed) and the error cell.
nlohmann::json finish_row(nlohmann::json row, const std::vector<nlohmann::json>& values,
                          size_t metrics, const std::string& error) {
  for (size_t m = 0; m < metrics; ++m)
    row.push_back(error.empty() && m < values.size() ? values[m] : nlohmann::json());
  row.push_back(error);
  return row;
}

}  // namespace

// A compression sweep's point: `sieve compress` with the point's model and recipe overrides,
// its metrics read from the report's JSON. The pipeline trains (train::Trainer), which one
// process runs one at a time: the points of one process run in turn (MPI ranks, being
// processes, run side by side).
nlohmann::json SweepEvaluator::evaluate_compress(int64_t i) const {
  static std::mutex one_pipeline;
  const SweepPlan& plan = *impl_->plan;
  const std::vector<int64_t> idx = plan.point(i);
  nlohmann::json row = nlohmann::json::array();
  row.push_back(i);
  PipelineOptions o;
  o.data = plan.compress().data;
  o.data_dir = plan.compress().data_dir;
  o.limit = plan.compress().limit;
  o.validation = plan.compress().validation;
  o.threads = 1;
  std::vector<std::string> overrides;
  for (size_t a = 0; a < idx.size(); ++a) {
    const SweepAxis& ax = plan.axes()[a];
    const nlohmann::json& v = ax.values[static_cast<size_t>(idx[a])];
    row.push_back(v);
    if (ax.key == "model")
      o.model = v.get<std::string>();
    else
      overrides.push_back(ax.key.substr(4) + "=" + value_text(v));
  }
  if (impl_->pause_ms > 0) std::this_thread::sleep_for(std::chrono::milliseconds(impl_->pause_ms));
  std::string error;
  std::vector<nlohmann::json> values;
  try {
    Result<compress::Recipe> recipe = compress::load_recipe(plan.compress().recipe, overrides);
    Result<PipelineResult> r = recipe.status();
    if (recipe.ok()) {
      std::lock_guard<std::mutex> lock(one_pipeline);
      r = run_pipeline(*recipe, o);
    }
    if (!r.ok()) {
      error = r.status().to_string();
    } else {
      nlohmann::json j = compress::report_json(r->report);
      j["out"] = "";
      for (const Metric& m : impl_->metrics) {
        Result<nlohmann::json> v = follow(j, m.path);
        if (!v.ok()) {
          error = v.status().with_context("metric " + m.name).to_string();
          break;
        }
        values.push_back(std::move(*v));
      }
    }
  } catch (const std::exception& e) {
    error = fmt::format("internal error: {}", e.what());
  }
  return finish_row(std::move(row), values, impl_->metrics.size(), error);
}

nlohmann::json SweepEvaluator::evaluate(int64_t i) const {
  if (impl_->plan->kind() == SweepKind::kCompress) return evaluate_compress(i);
  const SweepPlan& plan = *impl_->plan;
  const std::vector<int64_t> idx = plan.point(i);
  nlohmann::json row = nlohmann::json::array();
  row.push_back(i);
  std::string arch = "sieve";
  hw::ArchRun run;
  hw::WorkloadRequest req;
  for (size_t a = 0; a < idx.size(); ++a) {
    const SweepAxis& ax = plan.axes()[a];
    const nlohmann::json& v = ax.values[static_cast<size_t>(idx[a])];
    row.push_back(v);
    if (ax.key == "arch")
      arch = v.get<std::string>();
    else if (ax.key == "model")
      req.model = v.get<std::string>();
    else if (ax.key == "mode")
      run.options.mode = v.get<std::string>();
    else if (ax.key == "batch")
      req.batch = v.get<int64_t>();
    else if (ax.key == "seed")
      req.seed = static_cast<uint64_t>(v.get<int64_t>());
    else if (ax.key == "input_density")
      req.input_density = v.get<double>();
    else
      run.overrides.push_back(ax.key.substr(6) + "=" + value_text(v));
  }
  run.arch = arch;
  if (impl_->pause_ms > 0) std::this_thread::sleep_for(std::chrono::milliseconds(impl_->pause_ms));
  std::string error;
  std::vector<nlohmann::json> values;
  try {
    std::shared_ptr<const Impl::Built> w = impl_->workload(req);
    const Impl::Arch& pa = impl_->archs.at(arch);
    Status st = w->status.with_context("model " + req.model);
    run.options.memo = w->memo;
    Result<hw::SimReport> r =
        st.ok() ? hw::run_sim(w->w, run, pa.preset, pa.energy) : Result<hw::SimReport>(st);
    if (!r.ok()) {
      error = r.status().to_string();
    } else {
      nlohmann::json j;
      if (impl_->needs_json) {
        j = hw::report_json(*r);
        j["notes"] = w->w.notes;
        j["driven_by"] = "plan";
      }
      const hw::LayerStats total = r->result.total();
      // The configuration's area and power (hw/area): the preset with this point's overrides.
      std::optional<hw::area::AreaReport> area;
      if (impl_->needs_area) {
        hw::ParamSet ps = pa.preset;
        Status ov = hw::apply_overrides(ps, run.overrides);
        Result<hw::area::AreaReport> ar =
            ov.ok() ? hw::area::area_report(ps) : Result<hw::area::AreaReport>(ov);
        if (ar.ok())
          area = std::move(*ar);
        else
          error = ar.status().to_string();
      }
      for (const Metric& m : impl_->metrics) {
        if (!error.empty()) break;
        Result<nlohmann::json> v = impl_->metric(m, *r, total, &j, area ? &*area : nullptr);
        if (!v.ok()) {
          error = v.status().to_string();
          break;
        }
        values.push_back(std::move(*v));
      }
    }
  } catch (const std::exception& e) {
    error = fmt::format("internal error: {}", e.what());
  }
  return finish_row(std::move(row), values, impl_->metrics.size(), error);
}

// ---- output --------------------------------------------------------------------------------

namespace {

// The non-dominated rows over the pareto columns (minimised), rows with an error or a
// non-numeric value left out. Sorted lexicographically, a row can only be dominated by an earlier
// one, and then by one already on the front.
std::vector<bool> pareto_front(const std::vector<std::vector<double>>& obj,
                               const std::vector<bool>& valid) {
  std::vector<size_t> order;
  for (size_t i = 0; i < obj.size(); ++i)
    if (valid[i]) order.push_back(i);
  std::stable_sort(order.begin(), order.end(), [&](size_t a, size_t b) { return obj[a] < obj[b]; });
  std::vector<bool> on(obj.size(), false);
  std::vector<size_t> front;
  for (size_t i : order) {
    bool dominated = false;
    for (size_t f : front) {
      bool le = true, lt = false;
      for (size_t k = 0; k < obj[i].size(); ++k) {
        le = le && obj[f][k] <= obj[i][k];
        lt = lt || obj[f][k] < obj[i][k];
      }
      if (le && lt) {
        dominated = true;
        break;
      }
    }
    if (!dominated) {
      front.push_back(i);
      on[i] = true;
    }
  }
  return on;
}

double now_seconds() {
  return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count();
}

std::string checkpoint_path(const std::string& out) {
  return out + ".checkpoint";
}

}  // namespace

std::string sweep_output_text(const SweepPlan& plan, const std::vector<std::string>& rows,
                              bool json) {
  const std::vector<std::string> cols = plan.columns();
  std::vector<nlohmann::json> parsed;
  bool complete = static_cast<int64_t>(rows.size()) == plan.size();
  for (const std::string& r : rows) {
    if (r.empty()) {
      complete = false;
      break;
    }
    parsed.push_back(nlohmann::json::parse(r));
  }
  const size_t error_col = 1 + plan.axes().size() + plan.metrics().size();
  if (!plan.pareto().empty()) {
    std::vector<size_t> pcols;
    for (const std::string& p : plan.pareto())
      pcols.push_back(
          1 + plan.axes().size() +
          static_cast<size_t>(std::find(plan.metrics().begin(), plan.metrics().end(), p) -
                              plan.metrics().begin()));
    std::vector<std::vector<double>> obj(parsed.size());
    std::vector<bool> valid(parsed.size(), false);
    for (size_t i = 0; i < parsed.size(); ++i) {
      valid[i] = parsed[i][error_col].get<std::string>().empty();
      for (size_t c : pcols) {
        valid[i] = valid[i] && parsed[i][c].is_number();
        obj[i].push_back(parsed[i][c].is_number() ? parsed[i][c].get<double>() : 0.0);
      }
    }
    const std::vector<bool> on = complete ? pareto_front(obj, valid) : std::vector<bool>();
    for (size_t i = 0; i < parsed.size(); ++i)
      parsed[i].push_back(complete && valid[i] ? nlohmann::json(static_cast<bool>(on[i]))
                                               : nlohmann::json());
  }
  std::string out;
  if (!json) {
    // (Appended piece by piece: GCC 12 warns falsely on `const char* + std::string` here.)
    for (size_t c = 0; c < cols.size(); ++c) {
      if (c > 0) out += ',';
      out += io::csv_cell(cols[c]);
    }
    out += '\n';
    for (const nlohmann::json& r : parsed) {
      for (size_t c = 0; c < r.size(); ++c) {
        if (c > 0) out += ',';
        out += io::csv_cell(r[c]);
      }
      out += '\n';
    }
    return out;
  }
  std::vector<std::string> axes, metrics = plan.metrics();
  for (const SweepAxis& a : plan.axes()) axes.push_back(a.key);
  out += fmt::format(
      "{{\"kind\": \"sieve-sweep\", \"version\": 1, \"axes\": {}, \"metrics\": {}, \"pareto\": "
      "{}, \"points\": {}, \"complete\": {}, \"rows\": [",
      nlohmann::json(axes).dump(), nlohmann::json(metrics).dump(),
      nlohmann::json(plan.pareto()).dump(), plan.size(), complete ? "true" : "false");
  for (size_t i = 0; i < parsed.size(); ++i) {
    out += i ? ",\n{" : "\n{";
    for (size_t c = 0; c < parsed[i].size(); ++c) {
      if (c > 0) out += ", ";
      out += nlohmann::json(cols[c]).dump();
      out += ": ";
      out += parsed[i][c].dump();
    }
    out += "}";
  }
  out += "\n]}\n";
  return out;
}

SweepOutput::SweepOutput(const SweepPlan& plan, SweepOutputOptions o)
    : plan_(plan), opt_(std::move(o)) {}
SweepOutput::~SweepOutput() = default;

Result<std::unique_ptr<SweepOutput>> SweepOutput::open(const SweepPlan& plan,
                                                       SweepOutputOptions o) {
  if (!o.path.empty() && !o.path.ends_with(".csv") && !o.path.ends_with(".json"))
    return invalid_argument("--out {}: expected a .csv or .json file", o.path);
  if (o.path.empty() && o.resume)
    return invalid_argument("--resume needs --out (the checkpoint lives beside the output)");
  if (o.checkpoint_every < 1)
    return invalid_argument("--checkpoint-every {}: expected at least 1", o.checkpoint_every);
  if (!(o.checkpoint_seconds > 0))
    return invalid_argument("--checkpoint-seconds {}: expected a positive number",
                            o.checkpoint_seconds);
  std::unique_ptr<SweepOutput> out(new SweepOutput(plan, std::move(o)));
  out->rows_.assign(static_cast<size_t>(plan.size()), std::string());
  const std::string ck = out->opt_.path.empty() ? "" : checkpoint_path(out->opt_.path);
  if (!ck.empty() && std::filesystem::exists(ck)) {
    if (!out->opt_.resume)
      return failed_precondition(
          "{} holds the rows of an interrupted sweep: pass --resume to continue it, or delete "
          "it to start again",
          ck);
    Result<std::string> text = read_file(ck);
    if (!text.ok()) return text.status();
    const std::string want = fmt::format("{:016x}", plan.fingerprint());
    size_t at = 0;
    int64_t line = 0;
    const size_t width = plan.columns().size() - (plan.pareto().empty() ? 0 : 1);
    while (at < text->size()) {
      size_t nl = text->find('\n', at);
      if (nl == std::string::npos)
        return data_loss("{}: line {} is not terminated: the checkpoint is damaged; delete it", ck,
                         line + 1);
      const std::string l = text->substr(at, nl - at);
      at = nl + 1;
      ++line;
      nlohmann::json j = nlohmann::json::parse(l, nullptr, false);
      if (j.is_discarded())
        return data_loss("{}: line {} is not JSON: the checkpoint is damaged; delete it", ck, line);
      if (line == 1) {
        if (!j.is_object() || j.value("kind", "") != "sieve-sweep-checkpoint" ||
            j.value("version", 0) != 1)
          return data_loss("{}: not a sieve sweep checkpoint (version 1)", ck);
        if (j.value("fingerprint", "") != want)
          return invalid_argument(
              "{}: the checkpoint belongs to another sweep (a different spec, --pareto or "
              "sampling): delete it, or resume with the spec it was made with",
              ck);
        continue;
      }
      if (!j.is_array() || j.size() != width || !j[0].is_number_integer() ||
          j[0].get<int64_t>() < 0 || j[0].get<int64_t>() >= plan.size())
        return data_loss("{}: line {} is no row of this sweep; delete the checkpoint", ck, line);
      const int64_t p = j[0].get<int64_t>();
      if (!out->rows_[static_cast<size_t>(p)].empty())
        return data_loss("{}: point {} twice (line {}); delete the checkpoint", ck, p, line);
      out->rows_[static_cast<size_t>(p)] = j.dump();
      ++out->resumed_;
    }
    if (line == 0) return data_loss("{}: empty; delete it", ck);
  } else if (out->opt_.resume) {
    std::fprintf(stderr, "sieve sweep: --resume: no checkpoint %s; running every point\n",
                 ck.c_str());
  }
  for (int64_t i = 0; i < plan.size(); ++i)
    if (out->rows_[static_cast<size_t>(i)].empty()) out->pending_.push_back(i);
  out->done_ = out->resumed_;
  while (out->prefix_ < plan.size() && !out->rows_[static_cast<size_t>(out->prefix_)].empty())
    ++out->prefix_;
  out->last_checkpoint_ = now_seconds();
  if (out->opt_.progress)
    out->progress_ = std::make_unique<Progress>(
        "sieve sweep", plan.size() - out->resumed_,
        out->resumed_ > 0 ? "points left" : "points");
  return out;
}

Status SweepOutput::add(nlohmann::json row) {
  if (!row.is_array() || row.empty() || !row[0].is_number_integer())
    return internal_error("sweep row without a point index");
  const int64_t p = row[0].get<int64_t>();
  if (p < 0 || p >= plan_.size() || !rows_[static_cast<size_t>(p)].empty())
    return internal_error("sweep row of point {}: out of range or already in", p);
  rows_[static_cast<size_t>(p)] = row.dump();
  ++done_;
  ++since_checkpoint_;
  while (prefix_ < plan_.size() && !rows_[static_cast<size_t>(prefix_)].empty()) ++prefix_;
  if (progress_) progress_->update(done_ - resumed_);
  if (done_ < plan_.size() && (since_checkpoint_ >= opt_.checkpoint_every ||
                               now_seconds() - last_checkpoint_ >= opt_.checkpoint_seconds))
    return checkpoint();
  return ok_status();
}

int64_t SweepOutput::errors() const {
  const size_t error_col = 1 + plan_.axes().size() + plan_.metrics().size();
  int64_t n = 0;
  for (const std::string& r : rows_)
    if (!r.empty() && !nlohmann::json::parse(r)[error_col].get<std::string>().empty()) ++n;
  return n;
}

Status SweepOutput::checkpoint() {
  since_checkpoint_ = 0;
  last_checkpoint_ = now_seconds();
  if (opt_.path.empty()) return ok_status();
  // The checkpoint first (every finished row, in point order), then the output (the rows up to
  // the first missing one): a kill between the two loses nothing.
  std::string ck = fmt::format(
      "{{\"kind\": \"sieve-sweep-checkpoint\", \"version\": 1, \"fingerprint\": \"{:016x}\", "
      "\"points\": {}}}\n",
      plan_.fingerprint(), plan_.size());
  for (const std::string& r : rows_)
    if (!r.empty()) ck += r + "\n";
  SIEVE_RETURN_IF_ERROR(write_file_atomic(checkpoint_path(opt_.path), ck));
  const std::vector<std::string> prefix(rows_.begin(), rows_.begin() + prefix_);
  return write_file_atomic(opt_.path,
                           sweep_output_text(plan_, prefix, opt_.path.ends_with(".json")));
}

Status SweepOutput::finish(std::string* text) {
  if (done_ != plan_.size())
    return internal_error("sweep finished with {} of {} points", done_, plan_.size());
  if (progress_) progress_->finish(done_ - resumed_);
  const std::string t =
      sweep_output_text(plan_, rows_, opt_.path.empty() ? opt_.json : opt_.path.ends_with(".json"));
  if (opt_.path.empty()) {
    if (text != nullptr) *text = t;
    return ok_status();
  }
  SIEVE_RETURN_IF_ERROR(write_file_atomic(opt_.path, t));
  std::error_code ec;
  std::filesystem::remove(checkpoint_path(opt_.path), ec);
  if (ec) return io_error("{}: cannot delete: {}", checkpoint_path(opt_.path), ec.message());
  return ok_status();
}

Status run_sweep_local(const SweepEvaluator& eval, SweepOutput& out, int jobs) {
  const std::vector<int64_t> todo = out.pending();
  if (jobs <= 0) jobs = std::max(1, static_cast<int>(std::thread::hardware_concurrency()));
  jobs = static_cast<int>(std::min<int64_t>(jobs, std::max<size_t>(todo.size(), 1)));
  std::atomic<size_t> next{0};
  std::atomic<bool> stop{false};
  std::mutex mu;
  Status failed;
  auto work = [&] {
    while (!stop.load()) {
      const size_t k = next.fetch_add(1);
      if (k >= todo.size()) return;
      nlohmann::json row = eval.evaluate(todo[k]);
      std::lock_guard<std::mutex> lock(mu);
      if (!failed.ok()) return;
      Status st = out.add(std::move(row));
      if (!st.ok()) {
        failed = st;
        stop = true;
      }
    }
  };
  std::vector<std::thread> pool;
  for (int t = 1; t < jobs; ++t) pool.emplace_back(work);
  work();
  for (std::thread& t : pool) t.join();
  return failed;
}

}  // namespace sieve::app
