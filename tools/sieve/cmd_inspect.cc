// sieve inspect: (being written).
#include "command.h"

namespace sieve::cli {

void add_inspect_command(CLI::App& app) {
  auto* sub = app.add_subcommand("inspect", "(not implemented yet)");
  on_run(sub, [] { return fail(unimplemented("sieve inspect is not implemented yet")); });
}

}  // namespace sieve::cli
