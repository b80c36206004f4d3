// The CLI's plumbing: each subcommand lives in its own file (tools/sieve/cmd_<name>.cc) and
// registers itself through one line in commands.def.
#pragma once

#include <functional>
#include <string>

#include <CLI/CLI.hpp>

#include "sieve/core/status.h"

namespace sieve::cli {

// Sets what a subcommand does; its return value is the process exit code.
void on_run(CLI::App* sub, std::function<int()> fn);
// Prints "sieve: error: <message>" to stderr and returns 1 (for use as `return fail(s);`).
int fail(const Status& s);
// True when stdout is a terminal (progress bars); false in CI and pipes.
bool stdout_is_tty();

#define SIEVE_COMMAND(name, fn) void fn(CLI::App& app);
#include "commands.def"
#undef SIEVE_COMMAND

}  // namespace sieve::cli
