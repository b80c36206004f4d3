// Loading YAML the way every Sieve config is read (recipes, arch presets, energy tables, the
// benchmark statistics): yaml-cpp, plus the checks it does not make.
//
// load_yaml parses text and then walks the whole tree once, refusing
//   - a key that is not a plain scalar (a map or list used as a key),
//   - a key that appears twice in one map (yaml-cpp keeps both and lookups see the first),
//   - nesting deeper than kMaxYamlDepth (no config needs more than a handful of levels).
// After it succeeds, every map key in the tree converts to std::string without throwing.
// Errors name the file, the key path, the line and what was found.
//
// Thread-safety: pure functions.
#pragma once

#include <yaml-cpp/yaml.h>

#include <string>

#include "sieve/core/status.h"

namespace sieve::io {

// Deeper nesting is refused (the configs use at most 5 levels).
inline constexpr int kMaxYamlDepth = 32;

// Parses `text` (from `file`, named in errors) and checks the tree as described above.
// A YAML syntax error names the line and column.
Result<YAML::Node> load_yaml(const std::string& text, const std::string& file);

// Checks an already-built tree (e.g. after --set overrides were applied to it).
Status check_yaml_tree(const YAML::Node& root, const std::string& file);

// What a node is, for messages: "\"text\"" for a scalar, the flow form for maps and lists
// ("{a: 1}", "[1, 2]"), "null" for an empty value.
std::string yaml_node_text(const YAML::Node& n);

// The string value of a scalar node, or an error "file: where: expected <what>, got <text>".
Result<std::string> yaml_scalar(const YAML::Node& n, const std::string& file,
                                const std::string& where, const char* what = "a string");

}  // namespace sieve::io
