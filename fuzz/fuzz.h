// Fuzz target bodies, shared by the libFuzzer executables (build-fuzz/fuzz_<name>, built with
// -DSIEVE_FUZZ=ON) and the regression replay in the normal test binary
// (tests/unit/fuzz_regressions_test.cc), so a crash input found by the fuzzer is replayed
// through exactly the code that found it.
//
// Contract of a body `Status <name>(std::string_view input)`:
//   - it accepts any bytes and never crashes, hangs, leaks or throws;
//   - it calls the library function the CLI uses to parse that kind of file and, when the parse
//     succeeds, what the CLI does next where that is cheap (decode, verify, build the model);
//   - it returns the parse's Status: OK for an accepted input, else the refusal, whose message
//     must be non-empty (the replay test checks it);
//   - an internal inconsistency it detects (a valid parse that does not round-trip) is a
//     SIEVE_ASSERT, i.e. a crash the fuzzer reports.
// Inputs that hold several parts (a YAML document and its overrides) are split with
// split_parts(): see below.
//
// Thread-safety: bodies share no state.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "sieve/core/status.h"

namespace sieve::fuzz {

#define SIEVE_FUZZ_TARGET(name) Status name(std::string_view input);
#include "fuzz/targets.def"
#undef SIEVE_FUZZ_TARGET

// A YAML document followed by command-line overrides, as one fuzz input: the bytes before the
// first NUL are the document, each NUL-separated piece after it is one override
// ("prune.fc.sparsity=0.9" for recipes, "tn=8" for presets). Without a NUL there are no
// overrides. At most `max_overrides` are kept (the rest are ignored).
struct Parts {
  std::string document;
  std::vector<std::string> overrides;
};
inline Parts split_parts(std::string_view input, size_t max_overrides = 8) {
  Parts p;
  size_t nul = input.find('\0');
  p.document = std::string(input.substr(0, nul));
  while (nul != std::string_view::npos && p.overrides.size() < max_overrides) {
    const size_t b = nul + 1;
    nul = input.find('\0', b);
    p.overrides.emplace_back(input.substr(b, nul == std::string_view::npos ? nul : nul - b));
  }
  return p;
}

}  // namespace sieve::fuzz

// Ends every fuzz/<name>.cc: in the libFuzzer build (SIEVE_FUZZ_BUILD) it defines the entry
// point; in the test binary it is empty.
#ifdef SIEVE_FUZZ_BUILD
#define SIEVE_FUZZ_ENTRY(name)                                                      \
  extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {        \
    (void)::sieve::fuzz::name(std::string_view(reinterpret_cast<const char*>(data), size)); \
    return 0;                                                                       \
  }
#else
#define SIEVE_FUZZ_ENTRY(name)
#endif
