// build/sieve: the command-line front end. Subcommands are listed in commands.def.
#include <signal.h>
#include <unistd.h>

#include <cstdio>
#include <exception>
#include <memory>
#include <new>

#include "command.h"
#include "sieve/core/atomic_file.h"
#include "sieve/io/csv/csv.h"
#include "sieve/runtime/kernels/blas/coretype.h"

namespace sieve::cli {

namespace {
int g_exit_code = 0;

// SIGINT, SIGTERM, SIGHUP: delete this process's temporary files (an output being written is
// left as it was: the old file or none), then exit with 128 + the signal number, as a shell
// reports a process killed by it. Async-signal-safe calls only.
void on_stop_signal(int sig) {
  sieve::remove_temp_files_on_signal();
  _exit(128 + sig);
}

void install_stop_signal_handlers() {
  struct sigaction sa = {};
  sa.sa_handler = on_stop_signal;
  sigemptyset(&sa.sa_mask);
  for (int s : {SIGINT, SIGTERM, SIGHUP}) sigaddset(&sa.sa_mask, s);
  for (int s : {SIGINT, SIGTERM, SIGHUP}) {
    struct sigaction old = {};
    // A signal ignored by whoever started us (nohup, `cmd &` in a non-interactive shell) stays
    // ignored.
    if (sigaction(s, nullptr, &old) == 0 && old.sa_handler == SIG_IGN) continue;
    sigaction(s, &sa, nullptr);
  }
}
}  // namespace

void on_run(CLI::App* sub, std::function<int()> fn) {
  sub->callback([fn = std::move(fn)]() { g_exit_code = fn(); });
}

int fail(const Status& s) {
  std::fprintf(stderr, "sieve: error: %s\n", s.to_string().c_str());
  return s.code() == StatusCode::kInternal ? kExitInternal : kExitBadInput;
}

CLI::Option* add_csv_flag(CLI::App* sub, bool& csv, const std::string& rows_are) {
  CLI::Option* o = sub->add_flag("--csv", csv, "print CSV: a header, then " + rows_are);
  if (CLI::Option* json = sub->get_option_no_throw("--json"); json != nullptr) o->excludes(json);
  return o;
}

void print_csv(const nlohmann::json& rows, const std::vector<std::string>& first) {
  const std::string s = io::csv_table(rows, first);
  std::fwrite(s.data(), 1, s.size(), stdout);
}

bool stdout_is_tty() { return isatty(STDOUT_FILENO) != 0; }

}  // namespace sieve::cli

int main(int argc, char** argv) {
  // May re-execute the process with OPENBLAS_CORETYPE set (see coretype.h).
  sieve::runtime::blas::ensure_fast_coretype();
  sieve::cli::install_stop_signal_handlers();
  CLI::App app{"sieve: compress, run, compile and simulate sparse neural networks"};
  app.require_subcommand(1);
  app.set_help_all_flag("--help-all", "Show help for every subcommand");
  app.footer(
      "Environment: SIEVE_CACHE_DIR (dense-model cache), SIEVE_FASHION_MNIST_DIR (dataset "
      "folder), SIEVE_ISA=native|avx512|avx2|generic (use at most these CPU features, OpenBLAS "
      "included), OPENBLAS_CORETYPE, SIEVE_OPENBLAS_FIX=0, SIEVE_PROGRESS=0 (no progress bar or "
      "progress lines on stderr).\n"
      "Exit codes: 0 success; 1 bad input (a file, a field, a value: the message names it); 2 "
      "usage (an unknown option, a missing argument); 3 internal error (a defect of sieve: "
      "please report it); 128 + N killed by signal N.\n"
      "Output files are replaced atomically; on SIGINT/SIGTERM/SIGHUP sieve deletes its "
      "temporary files and exits with 128 + the signal number.");
#define SIEVE_COMMAND(name, fn) sieve::cli::fn(app);
#include "commands.def"
#undef SIEVE_COMMAND
  // Exit codes (command.h): 0 success, 1 bad input (a file, a value, a model: the message names
  // it), 2 usage (an unknown flag, a missing argument; CLI11's own codes are folded into 2),
  // 3 internal error (a Status of code Internal, or an exception that escaped a command: the
  // catch-alls below are a safety net, so it is still a one-line error, never an abort).
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
    return sieve::cli::kExitUsage;
  } catch (const std::bad_alloc&) {
    // An input too large for this machine, not a defect: bad input.
    std::fprintf(stderr, "sieve: error: out of memory\n");
    return sieve::cli::kExitBadInput;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "sieve: internal error: %s\n", e.what());
    return sieve::cli::kExitInternal;
  }
  return sieve::cli::g_exit_code;
}
