// Recipe parsing and validation: every section, key-by-key per-layer overrides, and the error
// messages for unknown keys (file, key path, valid keys) and bad values (field and value).
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <set>
#include <string>

#include "sieve/compress/recipe.h"

namespace sieve::compress {
namespace {

using ir::OpKind;

constexpr const char* kFull = R"(
name: test-recipe
model: lenet5
description: every section
seed: 7
dense: {epochs: 3, lr: 0.02}
retrain: {steps: 5, initial_sparsity: 0.25, epochs: 2, final_epochs: 1, lr: 0.004, batch: 32,
          momentum: 0.8, weight_decay: 0.0001, schedule: cosine}
prune:
  fc: {method: block, block: [4, 4], stride: [4, 4], criterion: max, sparsity: 0.9}
  conv: {method: block, block: [2, 1, 1, 1], sparsity: 85%}
  layers:
    ip2: {block: [2, 2], sparsity: 0.75}
    conv1: {method: magnitude, quality: 0.5}
quant:
  enabled: true
  fc: {bits: 4, regions: [4, 2]}
  conv: {bits: 8}
  layers:
    ip2: {bits: 5}
    conv2: {ttq: true}
  finetune: {epochs: 2, lr: 0.002}
  calibration: 128
coding: {huffman: false}
dsd: {enabled: true, dense_epochs: 2, lr: 0.0005}
sensitivity: {enabled: true, sparsities: [0.5, 0.9], csv: sens.csv}
irregularity: {reference: none}
)";

TEST(RecipeParse, EverySection) {
  Result<Recipe> r = parse_recipe(kFull, "full.yaml");
  ASSERT_TRUE(r.ok()) << r.status().to_string();
  EXPECT_EQ(r->name, "test-recipe");
  EXPECT_EQ(r->model, "lenet5");
  EXPECT_EQ(r->seed, 7u);
  EXPECT_EQ(r->dense_epochs, 3);
  EXPECT_DOUBLE_EQ(r->dense_lr, 0.02);
  EXPECT_EQ(r->steps, 5);
  EXPECT_DOUBLE_EQ(r->initial_sparsity, 0.25);
  EXPECT_EQ(r->retrain_epochs, 2);
  EXPECT_EQ(r->final_epochs, 1);
  EXPECT_DOUBLE_EQ(r->retrain_lr, 0.004);
  EXPECT_EQ(r->batch, 32);
  EXPECT_DOUBLE_EQ(r->momentum, 0.8);
  EXPECT_DOUBLE_EQ(r->weight_decay, 0.0001);
  EXPECT_EQ(r->retrain_schedule, "cosine");
  EXPECT_EQ(r->prune_fc.method, "block");
  EXPECT_EQ(r->prune_fc.block, (std::vector<int64_t>{4, 4}));
  EXPECT_EQ(r->prune_fc.stride, (std::vector<int64_t>{4, 4}));
  EXPECT_EQ(r->prune_fc.criterion, BlockCriterion::kMax);
  EXPECT_DOUBLE_EQ(r->prune_fc.sparsity, 0.9);
  EXPECT_DOUBLE_EQ(r->prune_conv.sparsity, 0.85);  // "85%"
  EXPECT_TRUE(r->quant_enabled);
  EXPECT_EQ(r->quant_fc.bits, 4);
  EXPECT_EQ(r->quant_fc.region_rows, 4);
  EXPECT_EQ(r->quant_fc.region_cols, 2);
  EXPECT_EQ(r->finetune_epochs, 2);
  EXPECT_DOUBLE_EQ(r->finetune_lr, 0.002);
  EXPECT_EQ(r->calibration_examples, 128);
  EXPECT_FALSE(r->huffman);
  EXPECT_TRUE(r->dsd);
  EXPECT_EQ(r->dsd_dense_epochs, 2);
  EXPECT_DOUBLE_EQ(r->dsd_lr, 0.0005);
  EXPECT_TRUE(r->sensitivity);
  EXPECT_EQ(r->sensitivity_sparsities, (std::vector<double>{0.5, 0.9}));
  EXPECT_EQ(r->sensitivity_csv, "sens.csv");
  EXPECT_EQ(r->irregularity_reference, "none");
}

TEST(RecipeParse, PerLayerOverridesKeyByKey) {
  Result<Recipe> r = parse_recipe(kFull, "full.yaml");
  ASSERT_TRUE(r.ok()) << r.status().to_string();
  // ip2 overrides block and sparsity; method and criterion come from fc:.
  const PruneSpec ip2 = r->prune_for("ip2", OpKind::kFullyConnected);
  EXPECT_EQ(ip2.method, "block");
  EXPECT_EQ(ip2.criterion, BlockCriterion::kMax);
  EXPECT_EQ(ip2.block, (std::vector<int64_t>{2, 2}));
  EXPECT_EQ(ip2.stride, (std::vector<int64_t>{4, 4}));
  EXPECT_DOUBLE_EQ(ip2.sparsity, 0.75);
  // conv1: quality replaces the kind's sparsity.
  const PruneSpec conv1 = r->prune_for("conv1", OpKind::kConv);
  EXPECT_EQ(conv1.method, "magnitude");
  EXPECT_DOUBLE_EQ(conv1.quality, 0.5);
  EXPECT_LT(conv1.sparsity, 0);
  // A node without an override gets its kind's default.
  const PruneSpec ip1 = r->prune_for("ip1", OpKind::kFullyConnected);
  EXPECT_EQ(ip1.block, (std::vector<int64_t>{4, 4}));
  EXPECT_DOUBLE_EQ(ip1.sparsity, 0.9);
  const PruneSpec conv2 = r->prune_for("conv2", OpKind::kConv);
  EXPECT_EQ(conv2.block, (std::vector<int64_t>{2, 1, 1, 1}));
  // Quantization: ip2 5 bits with the fc region grid; conv2 TTQ with conv bits.
  const QuantSettings q_ip2 = r->quant_for("ip2", OpKind::kFullyConnected);
  EXPECT_EQ(q_ip2.bits, 5);
  EXPECT_EQ(q_ip2.region_rows, 4);
  EXPECT_EQ(q_ip2.region_cols, 2);
  const QuantSettings q_conv2 = r->quant_for("conv2", OpKind::kConv);
  EXPECT_TRUE(q_conv2.ttq);
  EXPECT_EQ(q_conv2.bits, 8);
  EXPECT_EQ(r->quant_for("conv1", OpKind::kConv).bits, 8);
  const auto named = r->named_layers();
  EXPECT_EQ(named.size(), 3u);  // ip2, conv1, conv2
}

TEST(RecipeParse, DefaultsWhenSectionsAreAbsent) {
  Result<Recipe> r = parse_recipe("name: minimal\n", "min.yaml");
  ASSERT_TRUE(r.ok()) << r.status().to_string();
  EXPECT_EQ(r->prune_for("x", OpKind::kFullyConnected).method, "none");
  EXPECT_EQ(r->quant_for("x", OpKind::kFullyConnected).bits, 4);  // FC 4 bits
  EXPECT_EQ(r->quant_for("x", OpKind::kConv).bits, 8);            // conv 8 bits
  EXPECT_TRUE(r->huffman);
  EXPECT_FALSE(r->dsd);
  EXPECT_EQ(r->irregularity_reference, "same-sparsity");
  EXPECT_EQ(r->retrain_schedule, "constant");
}

std::string error_of(const std::string& yaml) {
  Result<Recipe> r = parse_recipe(yaml, "bad.yaml");
  EXPECT_FALSE(r.ok()) << yaml;
  return r.ok() ? "" : r.status().message();
}

TEST(RecipeParse, ValidationKey) {
  Result<Recipe> r = parse_recipe("validation: 10000\n", "v.yaml");
  ASSERT_TRUE(r.ok()) << r.status().to_string();
  EXPECT_EQ(r->validation, 10000);
  Result<Recipe> d = parse_recipe("name: x\n", "v.yaml");
  ASSERT_TRUE(d.ok());
  EXPECT_EQ(d->validation, 0);
  const std::string m = error_of("validation: -5\n");
  EXPECT_NE(m.find("bad.yaml: validation: value -5 is negative"), std::string::npos) << m;
}

TEST(RecipeParse, DistillSection) {
  Result<Recipe> off = parse_recipe("name: x\n", "d.yaml");
  ASSERT_TRUE(off.ok());
  EXPECT_FALSE(off->distill);
  Result<Recipe> on = parse_recipe("distill: {alpha: 0.7, temperature: 3}\n", "d.yaml");
  ASSERT_TRUE(on.ok()) << on.status().to_string();
  EXPECT_TRUE(on->distill);
  EXPECT_DOUBLE_EQ(on->distill_alpha, 0.7);
  EXPECT_DOUBLE_EQ(on->distill_temperature, 3.0);
  Result<Recipe> no = parse_recipe("distill: {enabled: false}\n", "d.yaml");
  ASSERT_TRUE(no.ok());
  EXPECT_FALSE(no->distill);
  EXPECT_NE(error_of("distill: {alpha: 1.5}\n").find("bad.yaml: distill.alpha: value 1.5"),
            std::string::npos);
  EXPECT_NE(error_of("distill: {temperature: 0}\n").find("distill.temperature"),
            std::string::npos);
  EXPECT_NE(error_of("distill: {alfa: 0.5}\n").find("valid keys: enabled, alpha, temperature"),
            std::string::npos);
}

TEST(RecipeParse, OverridesAreAppliedBeforeChecking) {
  const std::string base =
      "prune:\n  fc: {method: block, block: [4, 4], sparsity: 0.9}\n"
      "retrain: {steps: 4}\n";
  Result<Recipe> r = parse_recipe(base, "o.yaml",
                                  {"prune.fc.sparsity=0.85", "prune.layers.ip2.block=[8, 1]",
                                   "retrain.epochs=3", "validation=5000", "quant.fc.bits=3"});
  ASSERT_TRUE(r.ok()) << r.status().to_string();
  EXPECT_DOUBLE_EQ(r->prune_fc.sparsity, 0.85);
  EXPECT_EQ(r->prune_fc.block, (std::vector<int64_t>{4, 4}));  // untouched keys stay
  const PruneSpec ip2 = r->prune_for("ip2", OpKind::kFullyConnected);
  EXPECT_EQ(ip2.block, (std::vector<int64_t>{8, 1}));
  EXPECT_DOUBLE_EQ(ip2.sparsity, 0.85);
  EXPECT_EQ(r->steps, 4);
  EXPECT_EQ(r->retrain_epochs, 3);
  EXPECT_EQ(r->validation, 5000);
  EXPECT_EQ(r->quant_fc.bits, 3);
  // An overridden key is checked as if written in the file.
  Result<Recipe> typo = parse_recipe(base, "o.yaml", {"prune.fc.sparsty=0.5"});
  ASSERT_FALSE(typo.ok());
  EXPECT_NE(typo.status().message().find("o.yaml: prune.fc.sparsty: unknown key"),
            std::string::npos)
      << typo.status().message();
  Result<Recipe> range = parse_recipe(base, "o.yaml", {"prune.fc.sparsity=1.5"});
  ASSERT_FALSE(range.ok());
  EXPECT_NE(range.status().message().find("prune.fc.sparsity"), std::string::npos)
      << range.status().message();
  // Malformed overrides name themselves.
  for (const char* bad : {"prune.fc.sparsity", "=0.5", "prune..fc=1", "retrain.steps.x=2",
                          "prune.fc.block=[4, 4"}) {
    Result<Recipe> b = parse_recipe(base, "o.yaml", {bad});
    ASSERT_FALSE(b.ok()) << bad;
    EXPECT_NE(b.status().message().find("o.yaml"), std::string::npos) << b.status().message();
    EXPECT_NE(b.status().message().find(std::string("override \"") + bad + "\""),
              std::string::npos)
        << b.status().message();
  }
  // An empty recipe plus overrides is a recipe.
  Result<Recipe> empty = parse_recipe("", "e.yaml", {"retrain.steps=2"});
  ASSERT_TRUE(empty.ok()) << empty.status().to_string();
  EXPECT_EQ(empty->steps, 2);
}

TEST(RecipeParse, UnknownTopLevelKeyListsValidKeys) {
  const std::string m = error_of("name: x\nprunning: {}\n");
  EXPECT_NE(m.find("bad.yaml"), std::string::npos) << m;
  EXPECT_NE(m.find("prunning"), std::string::npos) << m;
  EXPECT_NE(m.find("valid keys: name, model, description, seed, dense, retrain, prune"),
            std::string::npos)
      << m;
}

TEST(RecipeParse, UnknownNestedKeyNamesItsPath) {
  const std::string m = error_of("prune:\n  fc: {method: block, blok: [4, 4]}\n");
  EXPECT_NE(m.find("bad.yaml: prune.fc.blok: unknown key \"blok\""), std::string::npos) << m;
  EXPECT_NE(m.find("method, block, stride, criterion, sparsity"), std::string::npos) << m;
  const std::string m2 = error_of("prune:\n  layers:\n    ip1: {sparsty: 0.5}\n");
  EXPECT_NE(m2.find("prune.layers.ip1.sparsty"), std::string::npos) << m2;
  const std::string m3 = error_of("quant: {fc: {bits: 4, region: [2, 2]}}\n");
  EXPECT_NE(m3.find("quant.fc.region"), std::string::npos) << m3;
  EXPECT_NE(m3.find("bits, regions, ttq"), std::string::npos) << m3;
  const std::string m4 = error_of("coding: {huffmann: true}\n");
  EXPECT_NE(m4.find("coding.huffmann"), std::string::npos) << m4;
}

// The prune entry is parsed into the pruners' own PruneSpec by the one parser; its methods come
// from passes.def and its keys from prune_spec_keys(). The messages stay exactly as documented
// in docs/formats/recipe.md.
TEST(RecipeParse, PruneEntryIsThePrunersSpecWithExactMessages) {
  Result<Recipe> r = parse_recipe(
      "prune: {fc: {method: block, block: [4, 8], criterion: max, sparsity: \"90%\"}}\n",
      "r.yaml");
  ASSERT_TRUE(r.ok()) << r.status().to_string();
  const PruneSpec fc = r->prune_for("ip1", OpKind::kFullyConnected);
  EXPECT_EQ(fc.method, "block");
  EXPECT_EQ(fc.block, (std::vector<int64_t>{4, 8}));
  EXPECT_EQ(fc.criterion, BlockCriterion::kMax);
  EXPECT_DOUBLE_EQ(fc.sparsity, 0.9);
  EXPECT_EQ(fc.given, (std::set<std::string>{"method", "block", "criterion", "sparsity"}));
  EXPECT_TRUE(validate_prune_spec(fc.resolved(), {16, 16}, "ip1").ok());
  EXPECT_EQ(r->prune_for("conv1", OpKind::kConv).method, "none");
  EXPECT_EQ(error_of("prune: {fc: {method: blok}}"),
            "bad.yaml: prune.fc.method: unknown pruning method \"blok\"; known: "
            "none, magnitude, block, nm, filter, channel, balanced");
  EXPECT_EQ(error_of("prune: {fc: {criterion: median}}"),
            "bad.yaml: prune.fc.criterion: unknown criterion \"median\"; known: "
            "mean, max");
  EXPECT_EQ(error_of("prune: {fc: {blok: 4}}"),
            "bad.yaml: prune.fc.blok: unknown key \"blok\"; valid keys: method, "
            "block, stride, criterion, sparsity, quality, n, m, pes, gates");
}

TEST(RecipeParse, BadValuesNameFieldAndValue) {
  struct Case {
    const char* yaml;
    const char* expect;
  };
  const Case cases[] = {
      {"prune: {fc: {sparsity: 1.5}}", "prune.fc.sparsity: value 1.5 outside [0, 1)"},
      {"prune: {fc: {sparsity: lots}}", "prune.fc.sparsity: expected a number, got \"lots\""},
      {"prune: {fc: {method: random}}", "unknown pruning method \"random\"; known: none"},
      {"prune: {fc: {criterion: median}}", "unknown criterion \"median\""},
      {"prune: {fc: {block: [4, 0]}}", "prune.fc.block: sizes must be >= 1"},
      {"prune: {fc: {block: {a: 1}}}", "prune.fc.block: expected a list of sizes"},
      {"prune: {fc: {sparsity: 0.5, quality: 1.0}}", "give either sparsity or quality"},
      {"prune: {fc: {n: 5, m: 4}}", "n = 5 exceeds m = 4"},
      {"quant: {fc: {bits: 17}}", "quant.fc.bits: bits 17 outside 0..16"},
      {"quant: {fc: {regions: [2, 2, 2]}}", "quant.fc.regions: expected [rows, cols]"},
      {"quant: {enabled: maybe}", "quant.enabled: expected true or false, got \"maybe\""},
      {"retrain: {steps: 0}", "retrain.steps: value 0 too small"},
      {"retrain: {schedule: step}", "retrain.schedule: unknown schedule \"step\""},
      {"retrain: {lr: -0.1}", "retrain.lr: learning rate -0.1 must be positive"},
      {"retrain: {epochs: 1.5}", "retrain.epochs: expected an integer, got \"1.5\""},
      {"dense: {epochs: -2}", "dense.epochs: value -2 is negative"},
      {"sensitivity: {sparsities: [0.5, 1.2]}", "sensitivity.sparsities[1]: value 1.2"},
      {"prune: [1, 2]", "prune: expected a mapping"},
      {"[1, 2]", "(top level): expected a mapping"},
  };
  for (const Case& c : cases) {
    const std::string m = error_of(c.yaml);
    EXPECT_NE(m.find(c.expect), std::string::npos) << c.yaml << "\n  got: " << m;
    EXPECT_NE(m.find("bad.yaml"), std::string::npos) << m;
  }
}

TEST(RecipeParse, SyntaxErrorsAndMissingFiles) {
  const std::string m = error_of("prune: {fc: [1, 2}\n");
  EXPECT_NE(m.find("bad.yaml: line 1"), std::string::npos) << m;
  EXPECT_NE(m.find("YAML syntax error"), std::string::npos) << m;
  EXPECT_NE(error_of("").find("empty"), std::string::npos);
  Result<Recipe> r = load_recipe("/nonexistent/recipe.yaml");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kNotFound);
  EXPECT_NE(r.status().message().find("/nonexistent/recipe.yaml"), std::string::npos);
}

TEST(RecipeParse, NameDefaultsToTheFileStem) {
  const auto path = std::filesystem::temp_directory_path() / "sieve_recipe_stem_test.yaml";
  {
    std::ofstream f(path);
    f << "prune: {fc: {method: magnitude, sparsity: 0.5}}\n";
  }
  Result<Recipe> r = load_recipe(path.string());
  std::filesystem::remove(path);
  ASSERT_TRUE(r.ok()) << r.status().to_string();
  EXPECT_EQ(r->name, "sieve_recipe_stem_test");
  EXPECT_EQ(r->path, path.string());
}

// Every recipe shipped in recipes/ parses.
TEST(RecipeParse, ShippedRecipesParse) {
  const std::filesystem::path dir = std::filesystem::path(SIEVE_SOURCE_DIR) / "recipes";
  int n = 0;
  for (const auto& e : std::filesystem::recursive_directory_iterator(dir)) {
    if (e.path().extension() != ".yaml") continue;
    Result<Recipe> r = load_recipe(e.path().string());
    EXPECT_TRUE(r.ok()) << r.status().to_string();
    ++n;
  }
  EXPECT_GE(n, 4);
}

}  // namespace
}  // namespace sieve::compress
