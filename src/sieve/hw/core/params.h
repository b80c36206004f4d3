// Parameter files for accelerator models and energy tables (configs/archs, configs/energy).
//
// Every constant a model uses lives in a YAML file as `name: {value: V, source: "..."}`; an entry
// without a source is an error, so each number cites where it comes from. A file may also carry
// top-level `arch:` (which model it configures) and `description:`.
//
//   # configs/archs/sieve-65nm.yaml
//   arch: sieve
//   description: The thesis' accelerator at 65 nm, 1 GHz, T_n = T_m = 16
//   params:
//     tn: {value: 16, source: "thesis §5.3.1"}
//
// Models read a ParamSet through ParamReader, which checks ranges and, at finish(), refuses
// keys the model did not read (listing the valid ones). Overrides (`-p key=value` on the CLI)
// replace values before the model reads them; an override of an unknown key is refused the same
// way. Value types; no shared state.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "sieve/core/status.h"

namespace sieve::hw {

struct Param {
  std::string name;
  double value = 0;
  std::string source;       // citation, never empty
  bool overridden = false;  // set by apply_overrides
};

struct ParamSet {
  std::string file;  // where it was read from (for error messages)
  std::string arch;  // the `arch:` field ("" for energy tables)
  // The `energy:` field of a preset: its energy table, configs/energy/<energy>.yaml (a path
  // ending in .yaml: that file, relative to the preset's folder). Required with `arch:`;
  // "" for energy tables.
  std::string energy;
  std::string description;
  std::vector<Param> params;  // file order

  const Param* find(const std::string& name) const;
};

// Parses YAML text; `file` names it in errors. Unknown top-level keys, entries without value or
// source, non-numeric values and duplicate names are errors.
Result<ParamSet> parse_params(const std::string& yaml, const std::string& file);
Result<ParamSet> read_params(const std::string& path);

// Applies "key=value" strings. An unknown key is refused listing the valid ones; a value that
// is not a number is refused naming the key and value.
Status apply_overrides(ParamSet& ps, const std::vector<std::string>& overrides);

// The configs/ folder: $SIEVE_CONFIG_DIR if set, else <source tree>/configs.
std::string config_dir();

// Typed, range-checked access for a model's Spec. Each get_* marks the key as used; finish()
// refuses every unused key ("F: unknown parameter \"x\" (value V); known: a, b, c").
class ParamReader {
 public:
  explicit ParamReader(const ParamSet& ps) : ps_(ps), used_(ps.params.size(), false) {}
  Status get(const std::string& name, double& out, double min, double max);
  Status get(const std::string& name, int64_t& out, int64_t min, int64_t max);
  Status get(const std::string& name, int& out, int min, int max);
  Status get(const std::string& name, bool& out);  // 0 or 1
  Status finish() const;

 private:
  const Param* take(const std::string& name, Status& st);
  const ParamSet& ps_;
  std::vector<bool> used_;
  std::vector<std::string> asked_;
};

}  // namespace sieve::hw
