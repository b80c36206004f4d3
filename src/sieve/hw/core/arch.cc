#include "sieve/hw/core/arch.h"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <filesystem>

#include "sieve/hw/archs/archs.h"

namespace sieve::hw {

std::string Accelerator::unsupported(const LayerWork&, const SimOptions&) const {
  return {};
}

Result<std::string> Accelerator::resolve_mode(const SimOptions& o) const {
  const std::vector<std::string> known = modes();
  if (o.mode.empty()) return known.empty() ? std::string() : known.front();
  for (const std::string& m : known)
    if (m == o.mode) return o.mode;
  std::string list;
  for (const std::string& m : known) list += (list.empty() ? "" : ", ") + m;
  return invalid_argument("{}: unknown mode \"{}\"; known: {}", arch(), o.mode, list);
}

namespace {

// The record of a layer the design cannot run: its name, kind and reason, no numbers.
LayerStats unsupported_layer(const LayerWork& l, std::string reason) {
  LayerStats st;
  st.name = l.name;
  st.kind = layer_kind_name(l.kind);
  st.unsupported = std::move(reason);
  return st;
}

}  // namespace

Result<SimResult> Accelerator::simulate(const Workload& w, const SimOptions& o) const {
  SIEVE_ASSIGN_OR_RETURN(SimResult r, begin(w, o));
  for (const LayerWork& l : w.layers) {
    if (std::string why = unsupported(l, o); !why.empty()) {
      r.layers.push_back(unsupported_layer(l, std::move(why)));
      continue;
    }
    SIEVE_ASSIGN_OR_RETURN(compiler::LayerPlan p, plan(l, o));
    SIEVE_ASSIGN_OR_RETURN(LayerStats st, run_layer(l, p, o, r.batch));
    // What ran is the plan: its reuse and tiling, whatever the model filled in.
    st.reuse = p.tiled ? compiler::reuse_name(p.choice.reuse) : "";
    st.tiling = p.tiled ? p.choice.tiling.to_string() : "";
    r.layers.push_back(std::move(st));
  }
  return r;
}

Result<compiler::codegen::CompiledLayer> Accelerator::compile(
    const LayerWork&, const compiler::LayerPlan&, const SimOptions&,
    const compiler::codegen::CodegenOptions&) const {
  return unimplemented("architecture {} has no code generator (sieve compile: --arch sieve)",
                       arch());
}

Result<LayerStats> Accelerator::run_layer_program(const LayerWork&, const compiler::LayerPlan&,
                                                  const compiler::codegen::CompiledLayer&,
                                                  const SimOptions&, int64_t, IssueMode) const {
  return unimplemented("architecture {} does not run programs (--program: --arch sieve)", arch());
}

Result<SimResult> Accelerator::simulate_programs(const Workload& w, const SimOptions& o,
                                                 IssueMode issue) const {
  SIEVE_ASSIGN_OR_RETURN(SimResult r, begin(w, o));
  compiler::codegen::CodegenOptions copt;
  copt.multi_issue = issue == IssueMode::kMulti;
  for (const LayerWork& l : w.layers) {
    if (std::string why = unsupported(l, o); !why.empty()) {
      r.layers.push_back(unsupported_layer(l, std::move(why)));
      continue;
    }
    SIEVE_ASSIGN_OR_RETURN(compiler::LayerPlan p, plan(l, o));
    SIEVE_ASSIGN_OR_RETURN(compiler::codegen::CompiledLayer code, compile(l, p, o, copt));
    SIEVE_ASSIGN_OR_RETURN(LayerStats st, run_layer_program(l, p, code, o, r.batch, issue));
    st.reuse = p.tiled ? compiler::reuse_name(p.choice.reuse) : "";
    st.tiling = p.tiled ? p.choice.tiling.to_string() : "";
    r.layers.push_back(std::move(st));
  }
  return r;
}

Result<Tensor> Accelerator::run_functional(const compress::CompressedModel&, const Tensor&,
                                           std::map<std::string, int64_t>*) const {
  return unimplemented("{}: no functional engine (engines: {})", arch(),
                       engines().empty() ? "none" : fmt::format("{}", fmt::join(engines(), ", ")));
}

Result<Accelerator::ProgramRunner> Accelerator::functional_program(const Workload&,
                                                                   const SimOptions&,
                                                                   IssueMode) const {
  return unimplemented("{}: no functional model that executes programs", arch());
}

const std::vector<ArchInfo>& archs() {
  static const std::vector<ArchInfo> list = {
#define SIEVE_ARCH(id, name, preset, desc) ArchInfo{name, preset, desc, &id##_arch::create},
#include "sieve/hw/archs.def"
#undef SIEVE_ARCH
  };
  return list;
}

namespace {

std::vector<std::string> preset_names() {
  std::vector<std::string> out;
  std::error_code ec;
  for (const auto& e : std::filesystem::directory_iterator(config_dir() + "/archs", ec))
    if (e.path().extension() == ".yaml") out.push_back(e.path().stem().string());
  std::sort(out.begin(), out.end());
  return out;
}

}  // namespace

Result<ParamSet> read_preset(const std::string& name) {
  std::string path;
  if (name.ends_with(".yaml")) {
    path = name;
  } else {
    std::string preset = name;
    for (const ArchInfo& a : archs())
      if (a.name == name) preset = a.default_preset;
    path = config_dir() + "/archs/" + preset + ".yaml";
    if (!std::filesystem::exists(path)) {
      std::string known;
      for (const ArchInfo& a : archs()) known += (known.empty() ? "" : ", ") + a.name;
      std::string presets;
      for (const std::string& p : preset_names()) presets += (presets.empty() ? "" : ", ") + p;
      return Status(
          StatusCode::kNotFound,
          fmt::format("unknown arch \"{}\"; known: {} (presets: {})", name, known, presets));
    }
  }
  return read_params(path);
}

Result<std::unique_ptr<Accelerator>> make_accelerator(const std::string& name,
                                                      const std::vector<std::string>& overrides) {
  SIEVE_ASSIGN_OR_RETURN(ParamSet ps, read_preset(name));
  return make_accelerator_from(std::move(ps), overrides);
}

Result<std::unique_ptr<Accelerator>> make_accelerator_from(
    ParamSet ps, const std::vector<std::string>& overrides) {
  SIEVE_RETURN_IF_ERROR(apply_overrides(ps, overrides));
  for (const ArchInfo& a : archs()) {
    if (a.name != ps.arch) continue;
    SIEVE_ASSIGN_OR_RETURN(std::unique_ptr<Accelerator> acc, a.create(ps));
    acc->set_params(ps);
    return acc;
  }
  std::string known;
  for (const ArchInfo& a : archs()) known += (known.empty() ? "" : ", ") + a.name;
  return invalid_argument("{}: arch \"{}\" is not a known architecture; known: {}", ps.file,
                          ps.arch, known);
}

}  // namespace sieve::hw
