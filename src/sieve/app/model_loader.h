// Loading a model by what the user typed: a zoo name ("lenet5"), an ONNX file ("m.onnx"), or
// a compressed-model container ("m.sieve", io/container/container.h: its decoded graph). The
// one place the CLI turns a MODEL argument into an ir::Graph, so every subcommand accepts the
// same spellings.
//
// Ownership: the returned Graph owns its tensors. Thread-safety: reentrant.
#pragma once

#include <cstdint>
#include <string>

#include "sieve/core/status.h"
#include "sieve/ir/graph.h"

namespace sieve::app {

struct LoadOptions {
  // For zoo models only (an ONNX file carries its own batch size and weights).
  int64_t batch = 1;
  bool init_weights = true;
  uint64_t seed = 1;
};

enum class ModelSource { kZoo, kOnnx, kSieve };

// Which loader `spec` selects: a path ending in ".onnx" or ".sieve" (any case) is a file of
// that format; anything else is a zoo name.
ModelSource model_source(const std::string& spec);

// Loads `spec`. Errors: an unknown zoo name (the message lists the zoo and says no such file
// exists), a missing or unreadable file (names the file), import errors (passed through with
// the file name), and corrupted or truncated .sieve files (naming the file and the section).
Result<ir::Graph> load_model(const std::string& spec, const LoadOptions& opts = {});

}  // namespace sieve::app
