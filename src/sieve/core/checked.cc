#include "sieve/core/checked.h"

#include <unistd.h>

#include <cctype>
#include <cstdlib>

namespace sieve {

std::optional<int64_t> checked_numel(const Shape& shape) {
  int64_t n = 1;
  for (int64_t d : shape) {
    if (d < 0) return std::nullopt;
    std::optional<int64_t> m = checked_mul(n, d);
    if (!m) return std::nullopt;
    n = *m;
  }
  return n;
}

Result<int64_t> checked_bytes(const Shape& shape, DType dtype, const std::string& what) {
  std::optional<int64_t> n = checked_numel(shape);
  std::optional<int64_t> b =
      n ? checked_mul(*n, static_cast<int64_t>(dtype_size(dtype))) : std::nullopt;
  if (!b) {
    return invalid_argument("{} of shape {} has more than 2^63 {}", what, shape_str(shape),
                            n ? "bytes" : "elements");
  }
  return *b;
}

namespace {

// "8G", "512M", "1048576" -> bytes; nullopt if malformed or 0.
std::optional<int64_t> parse_size(const char* text) {
  char* end = nullptr;
  const unsigned long long v = std::strtoull(text, &end, 10);
  if (end == text) return std::nullopt;
  int shift = 0;
  switch (std::toupper(static_cast<unsigned char>(*end))) {
    case 'K': shift = 10; ++end; break;
    case 'M': shift = 20; ++end; break;
    case 'G': shift = 30; ++end; break;
    case 'T': shift = 40; ++end; break;
    default: break;
  }
  if (*end == 'B' || *end == 'b') ++end;
  if (*end != '\0' || v == 0 || v > (static_cast<unsigned long long>(INT64_MAX) >> shift)) {
    return std::nullopt;
  }
  return static_cast<int64_t>(v << shift);
}

}  // namespace

int64_t memory_limit_bytes() {
  if (const char* e = std::getenv("SIEVE_MEMORY_LIMIT"); e != nullptr && *e != '\0') {
    if (std::optional<int64_t> v = parse_size(e)) return *v;
  }
  const long pages = sysconf(_SC_PHYS_PAGES), page = sysconf(_SC_PAGESIZE);
  if (pages <= 0 || page <= 0) return int64_t{1} << 34;  // 16 GiB when the OS will not say
  return checked_mul(pages, page).value_or(INT64_MAX);
}

std::string human_bytes(int64_t bytes) {
  const char* units[] = {"bytes", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB"};
  double v = static_cast<double>(bytes);
  int u = 0;
  while (v >= 1024.0 && u < 6) {
    v /= 1024.0;
    ++u;
  }
  return u == 0 ? fmt::format("{} bytes", bytes) : fmt::format("{:.1f} {}", v, units[u]);
}

Status check_memory(int64_t bytes, const std::string& what) {
  const int64_t limit = memory_limit_bytes();
  if (bytes <= limit) return ok_status();
  return invalid_argument(
      "{} needs {} ({} bytes), more than the memory limit of {} ({} bytes; the machine's "
      "memory, or $SIEVE_MEMORY_LIMIT)",
      what, human_bytes(bytes), bytes, human_bytes(limit), limit);
}

}  // namespace sieve
