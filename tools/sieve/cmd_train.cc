// sieve train: (being written).
#include "command.h"

namespace sieve::cli {

void add_train_command(CLI::App& app) {
  auto* sub = app.add_subcommand("train", "(not implemented yet)");
  on_run(sub, [] { return fail(unimplemented("sieve train is not implemented yet")); });
}

}  // namespace sieve::cli
