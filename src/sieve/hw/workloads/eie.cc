#include "sieve/hw/workloads/eie.h"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>

#include "sieve/hw/core/params.h"
#include "sieve/hw/workloads/thesis.h"
#include "sieve/zoo/zoo.h"

namespace sieve::hw {

std::vector<std::string> eie_benchmarks() {
  return {"eie-alexnet6", "eie-alexnet7", "eie-alexnet8",      "eie-vgg6",           "eie-vgg7",
          "eie-vgg8",     "eie-neuraltalk-we", "eie-neuraltalk-wd", "eie-neuraltalk-lstm"};
}

Result<EieBenchmark> eie_benchmark(const std::string& name) {
  const std::vector<std::string> all = eie_benchmarks();
  if (std::find(all.begin(), all.end(), name) == all.end())
    return not_found("unknown EIE benchmark \"{}\"; known: {}", name, fmt::join(all, ", "));
  SIEVE_ASSIGN_OR_RETURN(ParamSet ps, read_params(config_dir() + "/benchmarks/eie.yaml"));
  EieBenchmark b;
  b.name = name;
  auto get = [&](const char* field, double& out, double lo, double hi) -> Status {
    const std::string key = name + "." + field;
    const Param* p = ps.find(key);
    if (p == nullptr) return invalid_argument("{}: no entry \"{}\"", ps.file, key);
    if (!(p->value > lo && p->value <= hi))
      return invalid_argument("{}: {} = {} must be in ({}, {}]", ps.file, key, p->value, lo, hi);
    out = p->value;
    return ok_status();
  };
  SIEVE_RETURN_IF_ERROR(get("weight_density", b.weight_density, 0, 1));
  SIEVE_RETURN_IF_ERROR(get("act_density", b.act_density, 0, 1));
  SIEVE_RETURN_IF_ERROR(get("latency_us", b.latency_us, 0, 1e9));
  return b;
}

Result<compress::CompressedModel> eie_model(const std::string& name, uint64_t seed) {
  SIEVE_ASSIGN_OR_RETURN(EieBenchmark b, eie_benchmark(name));
  zoo::BuildOptions bo;
  bo.init_weights = false;
  SIEVE_ASSIGN_OR_RETURN(ir::Graph g, zoo::build(name, bo));
  const ir::Node* fc = nullptr;
  for (const ir::Node& n : g.nodes)
    if (n.op == ir::OpKind::kFullyConnected) fc = &n;
  if (fc == nullptr) return invalid_argument("zoo model {} has no FC layer", name);
  ThesisLayer l;
  l.node = fc->name;
  l.weight = fc->input(static_cast<size_t>(ir::op_traits(fc->op).weight));
  l.type = "fc";
  l.shape = g.initializer(l.weight)->shape();
  l.sparsity = 1.0 - b.weight_density;
  l.block = {1, 1};  // fine-grained: EIE's Deep Compression prunes weight by weight
  l.bits = 4;        // EIE §III-C: 4-bit codebook indices
  SIEVE_ASSIGN_OR_RETURN(compress::CompressedLayer cl, draw_thesis_layer(l, seed));
  compress::CompressedModel m;
  m.graph = std::move(g);
  m.layers.push_back(std::move(cl));
  m.metadata["eie.weight_density"] = fmt::format("{} (EIE Table III)", b.weight_density);
  return m;
}

Result<Workload> eie_workload(const std::vector<std::string>& names, uint64_t seed) {
  const std::vector<std::string> list = names.empty() ? eie_benchmarks() : names;
  Workload out;
  out.model = names.empty() ? "eie-benchmarks" : fmt::format("{}", fmt::join(list, ","));
  out.batch = 1;
  for (const std::string& name : list) {
    SIEVE_ASSIGN_OR_RETURN(EieBenchmark b, eie_benchmark(name));
    SIEVE_ASSIGN_OR_RETURN(compress::CompressedModel m, eie_model(name, seed));
    WorkloadOptions o;
    o.default_input_density = b.act_density;
    o.default_output_density = 1.0;
    o.seed = seed;
    SIEVE_ASSIGN_OR_RETURN(Workload w, build_workload(m, o));
    for (LayerWork& lw : w.layers) {
      lw.name = name;
      out.layers.push_back(std::move(lw));
    }
    out.notes["layer." + name] =
        fmt::format("weights {:.1f} % kept (fine-grained, 4-bit codes), activations {:.0f} % "
                    "non-zero (EIE Table III)",
                    100.0 * b.weight_density, 100.0 * b.act_density);
  }
  out.notes["activations"] =
      "synthetic: seeded Bernoulli bits at EIE's activation densities (Han et al., ISCA 2016, "
      "Table III)";
  return out;
}

}  // namespace sieve::hw
