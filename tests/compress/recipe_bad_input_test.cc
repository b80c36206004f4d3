// Recipes against the bad inputs of issue 8: integers past what the field holds, duplicate
// keys, keys that are maps or lists, absurd nesting, a directory given as the recipe, and
// settings too large for the model's layers (refused before any training, naming the key).
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <string>

#include "sieve/app/pipeline.h"
#include "sieve/compress/recipe.h"

namespace sieve::compress {
namespace {

using app::PipelineOptions;
using app::PipelineResult;
using app::run_pipeline;

std::string refusal(const std::string& yaml, const std::vector<std::string>& sets = {}) {
  Result<Recipe> r = parse_recipe(yaml, "r.yaml", sets);
  EXPECT_FALSE(r.ok()) << yaml;
  return r.ok() ? std::string() : r.status().message();
}

TEST(RecipeBadInput, IntegersPastTheFieldAreRefusedNotTruncated) {
  // 4294967297 used to become 1 step; 2147483648 a negative count; 2^62 epochs the default.
  const struct {
    const char* yaml;
    const char* want;
  } cases[] = {
      {"retrain: {steps: 4294967297}", "r.yaml: retrain.steps: value 4294967297 outside 1..2147483647"},
      {"retrain: {steps: 2147483648}", "r.yaml: retrain.steps: value 2147483648 outside 1..2147483647"},
      {"retrain: {epochs: 2147483648}", "r.yaml: retrain.epochs: value 2147483648 outside 0..2147483647"},
      {"retrain: {final_epochs: 9999999999}", "r.yaml: retrain.final_epochs: value 9999999999"},
      {"dense: {epochs: 4611686018427387904}",
       "r.yaml: dense.epochs: value 4611686018427387904 outside 0..2147483647"},
      {"quant: {finetune: {epochs: 4294967296}}", "r.yaml: quant.finetune.epochs: value 4294967296"},
      {"dsd: {dense_epochs: 4294967296}", "r.yaml: dsd.dense_epochs: value 4294967296 outside"},
  };
  for (const auto& c : cases) {
    EXPECT_NE(refusal(c.yaml).find(c.want), std::string::npos) << c.yaml << " -> " << refusal(c.yaml);
  }
  // The largest value that fits is still taken.
  Result<Recipe> ok = parse_recipe("retrain: {steps: 2147483647}");
  ASSERT_TRUE(ok.ok()) << ok.status().to_string();
  EXPECT_EQ(ok->steps, 2147483647);
  // Through --set too.
  EXPECT_NE(refusal("", {"retrain.steps=4294967297"}).find("retrain.steps: value 4294967297"),
            std::string::npos);
}

TEST(RecipeBadInput, DuplicateKeysAreRefused) {
  EXPECT_NE(refusal("name: a\nname: b\n").find("r.yaml: line 2: name: duplicate key \"name\""),
            std::string::npos)
      << refusal("name: a\nname: b\n");
  const std::string nested = "prune:\n  fc:\n    sparsity: 0.5\n    sparsity: 0.9\n";
  EXPECT_NE(refusal(nested).find("r.yaml: line 4: prune.fc.sparsity: duplicate key \"sparsity\""),
            std::string::npos)
      << refusal(nested);
}

TEST(RecipeBadInput, KeysThatAreMapsOrListsAreRefused) {
  EXPECT_NE(refusal("? [a, b]\n: 1\n").find("r.yaml: line 1: (top level): a key is a list [a, b]"),
            std::string::npos)
      << refusal("? [a, b]\n: 1\n");
  EXPECT_NE(refusal("prune: {? {x: 1} : 2}").find("prune: a key is a map {x: 1}"),
            std::string::npos)
      << refusal("prune: {? {x: 1} : 2}");
}

TEST(RecipeBadInput, DeepNestingIsRefused) {
  std::string deep;
  for (int i = 0; i < 40; ++i) deep += "[";
  for (int i = 0; i < 40; ++i) deep += "]";
  EXPECT_NE(refusal("description: " + deep).find("nested more than 32 levels deep"),
            std::string::npos)
      << refusal("description: " + deep);
  // Past yaml-cpp's own guard: still a clean error.
  std::string deeper(5000, '[');
  EXPECT_NE(refusal(deeper).find("r.yaml: nested too deeply for the YAML parser"),
            std::string::npos)
      << refusal(deeper);
}

TEST(RecipeBadInput, ADirectoryIsRefusedAsOne) {
  const auto dir = std::filesystem::temp_directory_path() /
                   ("sieve_recipe_dir_" + std::to_string(::getpid()) + ".yaml");
  std::filesystem::create_directories(dir);
  Result<Recipe> r = load_recipe(dir.string());
  std::filesystem::remove(dir);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find(dir.string() + ": is a directory, expected a file"),
            std::string::npos)
      << r.status().message();
}

TEST(RecipeBadInput, SettingsTooLargeForALayerNameTheRecipeFileAndKey) {
  const auto dir = std::filesystem::temp_directory_path() /
                   ("sieve_recipe_fit_" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  struct Case {
    const char* yaml;
    const char* want;
  };
  const Case cases[] = {
      {"prune: {fc: {method: block, block: [1000, 1], sparsity: 0.5}}",
       "prune.fc.block: layer ip1"},
      {"prune: {fc: {method: block, sparsity: 0.5}, layers: {ip2: {block: [1, 5000]}}}",
       "prune.layers.ip2.block: layer ip2"},
      {"prune: {fc: {method: balanced, pes: 100000, sparsity: 0.5}}", "prune.fc.pes: layer ip1"},
      {"quant: {fc: {bits: 4, regions: [100000, 1]}}", "quant.fc.regions: region grid [100000, 1]"},
  };
  for (const Case& c : cases) {
    const std::string path = (dir / "r.yaml").string();
    std::ofstream(path) << c.yaml << "\n";
    Result<Recipe> recipe = load_recipe(path);
    ASSERT_TRUE(recipe.ok()) << recipe.status().to_string();
    PipelineOptions o;
    o.model = "lenet-300-100";
    o.data = "none";
    Result<PipelineResult> r = run_pipeline(*recipe, o);
    ASSERT_FALSE(r.ok()) << c.yaml;
    EXPECT_NE(r.status().message().find("recipe " + path + ": " + c.want), std::string::npos)
        << c.yaml << " -> " << r.status().message();
  }
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace sieve::compress
