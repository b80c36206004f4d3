// sieve tile --model M [--arch A] [--mode X] [--layer NAME] [--sub-ops] [--json] [workload
// options]: the compiler's layer plans (src/sieve/compiler/plan.h) of every layer of a model on
// an architecture: the lowered geometry, the tiling that fits the architecture's buffers, the
// reuse it chooses and the three traffic figures of thesis §4.3.3 (MEM_i, MEM_o, MEM_s), the
// buffers' occupancy, what the sub-operations really move, and with --sub-ops each
// sub-operation. These are the plans `sieve simulate` runs (`sieve simulate --emit plan` prints
// the same). M is a .sieve file, thesis:<benchmark>, a zoo name or a .onnx file; densities come
// from the masks and the activations as in `sieve simulate` (--input-density, --data). See
// docs/compiler.md.
#include <cstdio>
#include <memory>
#include <string>

#include "command.h"
#include "sim_args.h"

namespace sieve::cli {

void add_tile_command(CLI::App& app) {
  auto a = std::make_shared<SimArgs>();
  CLI::App* sub = app.add_subcommand(
      "tile",
      "The layer plans of a model on an accelerator (thesis §4.3.3): geometry, tiling, reuse, "
      "traffic, buffer occupancy, sub-operations; the plans sieve simulate runs");
  sub->add_option("--arch", a->arch, "arch name, preset (configs/archs) or .yaml file")
      ->capture_default_str();
  add_workload_options(sub, *a);
  add_plan_options(sub, *a);
  on_run(sub, [a] { return print_plans(*a); });
}

}  // namespace sieve::cli
