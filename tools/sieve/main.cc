// build/sieve: the command-line front end. Subcommands are listed in commands.def.
#include <unistd.h>

#include <cstdio>
#include <exception>
#include <memory>
#include <new>

#include "command.h"
#include "sieve/runtime/kernels/blas/coretype.h"

namespace sieve::cli {

namespace {
int g_exit_code = 0;
}

void on_run(CLI::App* sub, std::function<int()> fn) {
  sub->callback([fn = std::move(fn)]() { g_exit_code = fn(); });
}

int fail(const Status& s) {
  std::fprintf(stderr, "sieve: error: %s\n", s.to_string().c_str());
  return 1;
}

bool stdout_is_tty() { return isatty(STDOUT_FILENO) != 0; }

}  // namespace sieve::cli

int main(int argc, char** argv) {
  // May re-execute the process with OPENBLAS_CORETYPE set (see coretype.h).
  sieve::runtime::blas::ensure_fast_coretype();
  CLI::App app{"sieve: compress, run, compile and simulate sparse neural networks"};
  app.require_subcommand(1);
  app.set_help_all_flag("--help-all", "Show help for every subcommand");
#define SIEVE_COMMAND(name, fn) sieve::cli::fn(app);
#include "commands.def"
#undef SIEVE_COMMAND
  // Exit codes: 0 success, 1 bad input (a file, a value, a model: the message names it),
  // 2 usage (an unknown flag, a missing argument; CLI11's own codes are folded into 2).
  // Commands report bad input as Status values; the catch-alls below are a safety net, so that
  // an exception that escapes a command is still a one-line error and exit 1, never an abort.
  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForAllHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForVersion& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    app.exit(e);  // prints the message and the usage hint
    return 2;
  } catch (const std::bad_alloc&) {
    std::fprintf(stderr, "sieve: error: out of memory\n");
    return 1;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "sieve: error: %s\n", e.what());
    return 1;
  }
  return sieve::cli::g_exit_code;
}
