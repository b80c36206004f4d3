// The one list of timing fields. Sieve's outputs are deterministic: two runs of the same command
// with the same inputs on the same machine write byte-identical .sieve, ONNX and outputs files
// and print the same JSON, whatever --threads says, except for the JSON keys listed here, whose
// values are wall-clock measurements. (Across machines, float results may differ in the last
// bits where OpenBLAS picks different kernels for the CPU: see docs/ARCHITECTURE.md.)
//
// A command that adds a timing value to its JSON names it with a key from this list, or adds
// its key here; tests/unit/determinism_test.cc strips these keys (at any depth) and fails on
// any other key that ends in "seconds".
#pragma once

#include <array>
#include <string_view>

namespace sieve {

inline constexpr std::array<std::string_view, 4> kTimingJsonKeys = {
    "seconds",             // compress (report), eval, run
    "simulation_seconds",  // simulate
    "train_seconds",       // train
    "total_seconds",       // train
};

}  // namespace sieve
