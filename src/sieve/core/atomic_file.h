// Atomic file writes: write to a temporary file in the destination's directory, flush it to
// disk, then rename it over the destination, so readers see either the old file or the whole
// new one (never a half-written file), even if the process dies mid-write.
//
// Also a small whole-file reader with the same error conventions. Errors name the path and
// the failing system call. Thread-safety: independent calls are safe; two concurrent writers
// to the same path each produce a complete file and the last rename wins.
//
// Signals: every temporary file in flight is listed in a fixed, lock-free registry, so that a
// signal handler can delete them (remove_temp_files_on_signal). The CLI installs such a handler
// for SIGINT, SIGTERM and SIGHUP (tools/sieve/main.cc). SIGKILL cannot be handled: a process
// killed by it mid-write leaves its "<path>.tmp.<pid>.<n>" file beside the output, never at the
// output path; the output itself is the old file or absent.
#pragma once

#include <span>
#include <string>
#include <string_view>

#include "sieve/core/status.h"

namespace sieve {

// Writes `bytes` to `path` atomically (temporary file "<path>.tmp.<pid>.<n>" + fsync + rename).
// The temporary file is removed on failure.
Status write_file_atomic(const std::string& path, std::span<const std::byte> bytes);
Status write_file_atomic(const std::string& path, std::string_view contents);

// Async-signal-safe: deletes every temporary file that a write_file_atomic call of this process
// has (or may have) created and not yet renamed or removed, and makes every later call fail
// without creating a file. For a signal handler that then ends the process (_exit): writes in
// flight on other threads lose their temporary files, so their renames fail. If another thread
// is inside open() of its temporary file, waits for it (up to about a second) so as to delete
// that file too.
void remove_temp_files_on_signal() noexcept;

// Testing hook, read on every call: when the environment variable SIEVE_TEST_PAUSE_WRITE_MS is
// a positive number, write_file_atomic writes half of the bytes, prints
// "sieve: paused writing <temporary path>" to stderr and sleeps that many milliseconds before
// writing the rest, so that a test can kill the process mid-write.
inline constexpr const char* kPauseWriteEnv = "SIEVE_TEST_PAUSE_WRITE_MS";

// Reads a whole file (or a pipe, to its end) into a string. Missing file: NotFound; a folder, a
// device (which never ends), other failures: IoError naming the path.
Result<std::string> read_file(const std::string& path);

}  // namespace sieve
