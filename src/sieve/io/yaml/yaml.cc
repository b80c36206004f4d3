#include "sieve/io/yaml/yaml.h"

#include <fmt/format.h>
#include <yaml-cpp/depthguard.h>

#include <set>

namespace sieve::io {
namespace {

std::string child_path(const std::string& parent, const std::string& key) {
  return parent.empty() ? key : parent + "." + key;
}

Status walk(const YAML::Node& n, const std::string& file, const std::string& path, int depth) {
  if (depth > kMaxYamlDepth) {
    return invalid_argument("{}: line {}: {}: nested more than {} levels deep", file,
                            n.Mark().line + 1, path.empty() ? "(top level)" : path,
                            kMaxYamlDepth);
  }
  if (n.IsSequence()) {
    for (size_t i = 0; i < n.size(); ++i) {
      SIEVE_RETURN_IF_ERROR(walk(n[i], file, fmt::format("{}[{}]", path, i), depth + 1));
    }
  } else if (n.IsMap()) {
    std::set<std::string> seen;
    for (const auto& kv : n) {
      if (!kv.first.IsScalar()) {
        return invalid_argument("{}: line {}: {}: a key is {}; keys must be plain names", file,
                                kv.first.Mark().line + 1, path.empty() ? "(top level)" : path,
                                yaml_node_text(kv.first));
      }
      const std::string& key = kv.first.Scalar();
      if (!seen.insert(key).second) {
        return invalid_argument("{}: line {}: {}: duplicate key \"{}\" (each key may appear once)",
                                file, kv.first.Mark().line + 1, child_path(path, key), key);
      }
      SIEVE_RETURN_IF_ERROR(walk(kv.second, file, child_path(path, key), depth + 1));
    }
  }
  return ok_status();
}

}  // namespace

std::string yaml_node_text(const YAML::Node& n) {
  if (!n || n.IsNull()) return "null";
  if (n.IsScalar()) return "\"" + n.Scalar() + "\"";
  YAML::Emitter e;
  e << YAML::Flow << n;
  const std::string kind = n.IsMap() ? "a map " : "a list ";
  return kind + e.c_str();
}

Status check_yaml_tree(const YAML::Node& root, const std::string& file) {
  return walk(root, file, "", 0);
}

Result<YAML::Node> load_yaml(const std::string& text, const std::string& file) {
  YAML::Node root;
  try {
    root = YAML::Load(text);
  } catch (const YAML::DeepRecursion& e) {
    return invalid_argument("{}: nested too deeply for the YAML parser (at line {})", file,
                            e.mark.line + 1);
  } catch (const YAML::Exception& e) {
    return invalid_argument("{}: line {}, column {}: YAML syntax error: {}", file,
                            e.mark.line + 1, e.mark.column + 1, e.msg);
  }
  SIEVE_RETURN_IF_ERROR(check_yaml_tree(root, file));
  return root;
}

Result<std::string> yaml_scalar(const YAML::Node& n, const std::string& file,
                                const std::string& where, const char* what) {
  if (!n || !n.IsScalar()) {
    return invalid_argument("{}: {}: expected {}, got {}", file, where, what, yaml_node_text(n));
  }
  return n.Scalar();
}

}  // namespace sieve::io
