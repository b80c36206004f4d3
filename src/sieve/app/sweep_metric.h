// The metrics of a sweep (internal to app/sweep*.cc): a built-in statistic of a simulation, or a
// JSON path into what `sieve simulate --json` prints. The spec parser (sweep_spec.cc) checks
// each metric against that schema before any point runs; the evaluator (sweep.cc) reads it from
// each point's report. Thread-safety: plain values and pure functions.
#pragma once

#include <nlohmann/json.hpp>
#include <cstdint>
#include <string>
#include <vector>

#include "sieve/core/status.h"

namespace sieve::app::sweep_detail {

enum class Builtin {
  kCycles,
  kTimeNs,
  kEnergyPj,
  kOnchipEnergyPj,
  kOffchipEnergyPj,
  kOffchipBytes,
  kMacsPerformed,
  kMacsSkipped,
  kUtilization,
  kStallCycles,
  kUnsupportedLayers,
  kAreaMm2,
  kPowerMw,
  kPath,
};

// One step of a JSON path: a key, an array index, or an array element by its "name".
struct PathStep {
  enum Kind { kKey, kIndex, kName } kind = kKey;
  std::string key;
  int64_t index = 0;
};

struct Metric {
  std::string name;
  Builtin builtin = Builtin::kPath;
  std::vector<PathStep> path;
};

// A metric by name. Simulation sweeps: a built-in one, else a JSON path checked against
// simulate's schema. Compression sweeps (`compress` true): a JSON path checked against
// `sieve compress --json` output ("accuracy", "file_ratio", "layers[ip1].density").
// InvalidArgument says where the path leaves the schema.
Result<Metric> make_metric(const std::string& name, bool compress = false);

// The value at `steps` in `root`, or an error naming the step where the path leaves it.
Result<nlohmann::json> follow(const nlohmann::json& root, const std::vector<PathStep>& steps);

// How a value is passed on (-p key=<text>) and written to CSV: strings as they are, numbers as
// JSON prints them (integers without a point, doubles in their shortest round-trip form).
std::string value_text(const nlohmann::json& v);

}  // namespace sieve::app::sweep_detail
