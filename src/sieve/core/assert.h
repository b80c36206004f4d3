// SIEVE_ASSERT: checks an internal invariant (never user input; use Status for that).
// A failed assert prints the condition, file, line and an optional message, then aborts.
#pragma once

#include <cstdio>
#include <cstdlib>
#include <string>
#include <utility>

#include <fmt/format.h>

namespace sieve::detail {
[[noreturn]] inline void assert_fail(const char* cond, const char* file, int line,
                                     const std::string& msg) {
  std::fprintf(stderr, "SIEVE_ASSERT failed: %s at %s:%d%s%s\n", cond, file, line,
               msg.empty() ? "" : ": ", msg.c_str());
  std::abort();
}
inline std::string assert_msg() { return {}; }
template <typename... Args>
std::string assert_msg(fmt::format_string<Args...> f, Args&&... args) {
  return fmt::format(f, std::forward<Args>(args)...);
}
}  // namespace sieve::detail

#define SIEVE_ASSERT(cond, ...)                                                       \
  do {                                                                                \
    if (!(cond)) {                                                                    \
      ::sieve::detail::assert_fail(#cond, __FILE__, __LINE__,                         \
                                   ::sieve::detail::assert_msg(__VA_ARGS__));     \
    }                                                                                 \
  } while (0)
