// The CLI's plumbing: each subcommand lives in its own file (tools/sieve/cmd_<name>.cc) and
// registers itself through one line in commands.def.
#pragma once

#include <functional>
#include <string>

#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include "sieve/core/status.h"

namespace sieve::cli {

// The process exit codes (also in `sieve --help`): 0 success, 1 bad input, 2 usage, 3 internal
// error; a process killed by signal N exits 128 + N.
inline constexpr int kExitOk = 0;
inline constexpr int kExitBadInput = 1;
inline constexpr int kExitUsage = 2;
inline constexpr int kExitInternal = 3;

// Sets what a subcommand does; its return value is the process exit code.
void on_run(CLI::App* sub, std::function<int()> fn);
// Prints "sieve: error: <message>" to stderr and returns kExitInternal for a Status of code
// Internal, else kExitBadInput (for use as `return fail(s);`).
int fail(const Status& s);
// Adds --csv to `sub`, excluding its --json: the command's table as CSV on stdout (one header
// line, then `rows_are` rows; io/csv/csv.h says how values are written).
CLI::Option* add_csv_flag(CLI::App* sub, bool& csv, const std::string& rows_are);
// Prints `rows` (a JSON list of objects; nested objects become dotted columns) as CSV on stdout.
// `first`: the columns to put first (the row's name), where present.
void print_csv(const nlohmann::json& rows, const std::vector<std::string>& first = {"name"});
// True when stdout is a terminal (progress bars); false in CI and pipes.
bool stdout_is_tty();

#define SIEVE_COMMAND(name, fn) void fn(CLI::App& app);
#include "commands.def"
#undef SIEVE_COMMAND

}  // namespace sieve::cli
