// Atomic file writes: write to a temporary file in the destination's directory, flush it to
// disk, then rename it over the destination, so readers see either the old file or the whole
// new one (never a half-written file), even if the process dies mid-write.
//
// Also a small whole-file reader with the same error conventions. Errors name the path and
// the failing system call. Thread-safety: independent calls are safe; two concurrent writers
// to the same path each produce a complete file and the last rename wins.
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

// Reads a whole file into a string. Missing file: NotFound; other failures: IoError.
Result<std::string> read_file(const std::string& path);

}  // namespace sieve
