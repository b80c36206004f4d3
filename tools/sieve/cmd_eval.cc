// sieve eval: (being written).
#include "command.h"

namespace sieve::cli {

void add_eval_command(CLI::App& app) {
  auto* sub = app.add_subcommand("eval", "(not implemented yet)");
  on_run(sub, [] { return fail(unimplemented("sieve eval is not implemented yet")); });
}

}  // namespace sieve::cli
