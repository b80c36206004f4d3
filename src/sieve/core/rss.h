// The process's resident memory, as Linux reports it (/proc/self/status: VmRSS, VmHWM), for the
// CPU engine's memory report (`sieve run --json`, "memory").
//
// The peak (VmHWM) can be reset to the current RSS (writing "5" to /proc/self/clear_refs, Linux
// 4.0 and later), so that the peak of one phase of a run can be read. Each function returns -1
// where the kernel does not offer it (another OS, a /proc without these entries, a reset refused):
// callers report the figure as unavailable, never as 0.
// Thread-safety: safe from any thread; the peak is per process.
#pragma once

#include <cstdint>

namespace sieve {

int64_t current_rss_bytes();  // VmRSS
int64_t peak_rss_bytes();     // VmHWM: the peak since the start or the last reset
bool reset_peak_rss();        // true when the peak now equals the current RSS

}  // namespace sieve
