// The options shared by the simulation commands (simulate, compare, tile): the model and its
// activations, the arch's mode and settings, output format.
#pragma once

#include <CLI/CLI.hpp>
#include <string>
#include <vector>

#include "sieve/compress/model.h"
#include "sieve/core/status.h"
#include "sieve/hw/sim/inputs.h"

namespace sieve::cli {

struct SimArgs {
  std::string arch = "sieve";
  std::string archs = "sieve,diannao,cambricon-x";
  std::vector<std::string> params;
  std::string mode;
  hw::WorkloadRequest req;
  double input_density = -1;
  bool weights_on_chip = false;
  bool functional = false;
  std::string dump_outputs;
  bool json = false;
  bool csv = false;  // simulate, compare, cpu-baselines
  std::string emit = "stats";  // simulate: stats | plan
  std::string layer;           // plans: only this layer
  bool sub_ops = false;        // plans: list the sub-operations
  std::string program;         // simulate: "" (plan-driven), "multi" or "single" (issue)
  // Whether the option was given at all: an explicit "" or NaN must be refused, not mistaken
  // for "not given".
  CLI::Option* input_density_opt = nullptr;
  CLI::Option* dump_outputs_opt = nullptr;
};

// --model, --data, --data-dir, --limit, --input-density, --batch, --seed, --mode,
// --weights-on-chip, -p, --json.
void add_workload_options(CLI::App* sub, SimArgs& a);
// --layer and --sub-ops (what to print of the plans).
void add_plan_options(CLI::App* sub, SimArgs& a);
// The workload the options describe (errors name --model).
Result<hw::Workload> workload_for(SimArgs& a, compress::CompressedModel* model);

// Prints the plans of the workload on --arch (text or --json; --layer, --sub-ops) and returns
// the exit code: `sieve tile` and `sieve simulate --emit plan`.
int print_plans(SimArgs& a);

}  // namespace sieve::cli
