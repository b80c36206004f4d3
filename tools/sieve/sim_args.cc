// The options shared by the simulation commands (sim_args.h).
#include "sim_args.h"

#include <cstdio>

#include "command.h"
#include "sieve/hw/sim/run.h"

namespace sieve::cli {

void add_workload_options(CLI::App* sub, SimArgs& a) {
  sub->add_option("--model", a.req.model,
                  ".sieve file, thesis:<benchmark> (alexnet, vgg16, lenet5, lenet-300-100, cifar10-quick, "
                  "resnet152, lstm), zoo name or .onnx (dense)")
      ->required();
  sub->add_option("--data", a.req.data, "real activations from this dataset: fashion-mnist");
  sub->add_option("--data-dir", a.req.data_dir, "folder of the dataset files");
  sub->add_option("--limit", a.req.limit, "with --data: the first N test images")
      ->capture_default_str();
  a.input_density_opt =
      sub->add_option("--input-density", a.input_density,
                      "synthetic activations: fraction of non-zero neurons at every layer input");
  sub->add_option("--batch", a.req.batch, "synthetic activations: samples")->capture_default_str();
  sub->add_option("--seed", a.req.seed, "seed of synthetic masks and activations")
      ->capture_default_str();
  sub->add_option("--mode", a.mode,
                  "operating mode (sieve: sparse, dense, weight-sparse, neuron-sparse; the ablations "
                  "no-quant, no-encoder, no-shared-index, huffman)");
  sub->add_flag("--weights-on-chip", a.weights_on_chip,
                "every weight already on chip (thesis Table 5.2 setting)");
  sub->add_option("-p,--param", a.params, "override a preset parameter: key=value (repeatable)");
  sub->add_flag("--json", a.json, "print JSON");
}

Result<hw::Workload> workload_for(SimArgs& a, compress::CompressedModel* model) {
  // make_workload checks the range (NaN included).
  if (a.input_density_opt != nullptr && a.input_density_opt->count() > 0) {
    a.req.input_density = a.input_density;
  }
  Result<hw::Workload> w = hw::make_workload(a.req, model);
  if (!w.ok()) return w.status().with_context("--model " + a.req.model);
  return w;
}

void add_plan_options(CLI::App* sub, SimArgs& a) {
  sub->add_option("--layer", a.layer, "plans: only this layer (graph node name)");
  sub->add_flag("--sub-ops", a.sub_ops,
                "plans: list every sub-operation (ranges, load/store flags, elements moved)");
}

int print_plans(SimArgs& a) {
  Result<hw::Workload> w = workload_for(a, nullptr);
  if (!w.ok()) return fail(w.status());
  hw::ArchRun run{a.arch, a.params, {}};
  run.options.mode = a.mode;
  run.options.weights_on_chip = a.weights_on_chip;
  Result<hw::PlanReport> r = hw::plan_workload(*w, run, a.layer);
  if (!r.ok()) return fail(r.status().with_context("--arch " + a.arch));
  if (a.json) {
    std::printf("%s\n", hw::plans_json(*r, a.sub_ops).dump(2).c_str());
  } else {
    std::printf("%s", hw::plans_text(*r, a.sub_ops).c_str());
  }
  return 0;
}

}  // namespace sieve::cli
