#include "sieve/core/rss.h"

#include <fstream>
#include <string>

namespace sieve {
namespace {

// The "<key>:   <n> kB" line of /proc/self/status, in bytes.
int64_t status_kib(const char* key) {
  std::ifstream in("/proc/self/status");
  std::string line;
  const std::string prefix = std::string(key) + ":";
  while (std::getline(in, line)) {
    if (line.rfind(prefix, 0) != 0) continue;
    try {
      return std::stoll(line.substr(prefix.size())) * 1024;
    } catch (...) {
      return -1;
    }
  }
  return -1;
}

}  // namespace

int64_t current_rss_bytes() { return status_kib("VmRSS"); }

int64_t peak_rss_bytes() { return status_kib("VmHWM"); }

bool reset_peak_rss() {
  std::ofstream out("/proc/self/clear_refs");
  if (!out) return false;
  out << "5";
  out.flush();
  return static_cast<bool>(out);
}

}  // namespace sieve
