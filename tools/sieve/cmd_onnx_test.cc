// sieve onnx-test: (being written).
#include "command.h"

namespace sieve::cli {

void add_onnx_test_command(CLI::App& app) {
  auto* sub = app.add_subcommand("onnx-test", "(not implemented yet)");
  on_run(sub, [] { return fail(unimplemented("sieve onnx-test is not implemented yet")); });
}

}  // namespace sieve::cli
