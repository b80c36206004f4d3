// sieve zoo: (being written).
#include "command.h"

namespace sieve::cli {

void add_zoo_command(CLI::App& app) {
  auto* sub = app.add_subcommand("zoo", "(not implemented yet)");
  on_run(sub, [] { return fail(unimplemented("sieve zoo is not implemented yet")); });
}

}  // namespace sieve::cli
