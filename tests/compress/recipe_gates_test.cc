// A recipe's `gates:` (prune/prune.h, "Gates"): pruning restricted to some gates' rows of a
// recurrent weight, and the refusal of gates the layer lacks, naming them, the node's recipe key
// and the file.
#include <gtest/gtest.h>

#include <random>
#include <string>
#include <vector>

#include "sieve/app/pipeline.h"
#include "sieve/compress/prune/prune.h"
#include "sieve/compress/recipe.h"

namespace sieve::compress {
namespace {

Tensor random_weight(const Shape& shape, uint32_t seed) {
  std::mt19937 rng(seed);
  std::normal_distribution<float> d(0.0f, 1.0f);
  std::vector<float> v(static_cast<size_t>(shape_numel(shape)));
  for (float& x : v) x = d(rng);
  return Tensor::from_f32(shape, v);
}

TEST(RecipeGates, PruningStaysInTheNamedGatesRows) {
  // W [2 directions, 4 gates x H = 3, I = 5]; gates o and c, balanced over 2 PEs at 50 %: the
  // selected rows (2 dirs x 2 gates x 3 = 12 rows x 5) lose half, each PE exactly 15 of its 30;
  // the i and f rows keep their existing mask.
  const Shape shape = {2, 12, 5};
  const Tensor w = random_weight(shape, 4);
  Tensor existing(DType::kU8, shape);
  for (uint8_t& m : existing.span<uint8_t>()) m = 1;
  existing.data<uint8_t>()[0] = 0;  // direction 0, gate i, row 0
  PruneSpec spec;
  spec.method = "balanced";
  spec.sparsity = 0.5;
  spec.pes = 2;
  spec.gates = {"c", "o"};
  spec.gate_order = gate_names(ir::OpKind::kLSTM);
  auto mask = prune(w, existing, spec, "lstm.W");
  ASSERT_TRUE(mask.ok()) << mask.status().to_string();
  const uint8_t* m = mask->data<uint8_t>();
  std::vector<int64_t> per_pe(2, 0);
  int64_t selected_row = 0;
  for (int64_t d = 0; d < 2; ++d) {
    for (int64_t r = 0; r < 12; ++r) {
      const int64_t gate = r / 3;  // 0 i, 1 o, 2 f, 3 c
      for (int64_t c = 0; c < 5; ++c) {
        const int64_t i = (d * 12 + r) * 5 + c;
        if (gate == 0 || gate == 2) {
          EXPECT_EQ(m[i], i == 0 ? 0 : 1) << d << " " << r << " " << c;
        } else {
          per_pe[static_cast<size_t>(selected_row % 2)] += m[i] != 0;
        }
      }
      if (gate == 1 || gate == 3) ++selected_row;
    }
  }
  EXPECT_EQ(per_pe, (std::vector<int64_t>{15, 15}));
  EXPECT_EQ(spec.to_string(), "balanced pes 2 sparsity 0.5 gates c,o");
}

TEST(RecipeGates, GatesTheLayerLacksAreRefusedByName) {
  const Shape shape = {1, 12, 5};
  const Tensor w = random_weight(shape, 1);
  PruneSpec spec;
  spec.method = "magnitude";
  spec.sparsity = 0.5;
  spec.gate_order = gate_names(ir::OpKind::kLSTM);
  spec.gates = {"i", "z", "proj"};
  auto bad = prune(w, Tensor(), spec, "lstm.W");
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.status().message().find("no gates z, proj (its gates: i, o, f, c)"),
            std::string::npos)
      << bad.status().message();
  EXPECT_NE(bad.status().message().find("W_proj"), std::string::npos) << bad.status().message();
  spec.gates = {"f", "f"};
  EXPECT_NE(prune(w, Tensor(), spec, "lstm.W").status().message().find("gate f is named twice"),
            std::string::npos);
  spec.gates = {"z"};
  spec.gate_order = gate_names(ir::OpKind::kGRU);  // 12 rows = 3 gates x 4
  EXPECT_TRUE(prune(w, Tensor(), spec, "gru.W").ok());
  spec.gate_order = {};  // a fully connected layer
  EXPECT_NE(prune(w, Tensor(), spec, "fc.W").status().message().find("the layer has no gates"),
            std::string::npos);
}

TEST(RecipeGates, RecipesParseAndCheckGates) {
  auto r = parse_recipe(
      "prune: {layers: {lstm: {method: magnitude, sparsity: 0.5, gates: [i, f]}}}", "r.yaml");
  ASSERT_TRUE(r.ok()) << r.status().to_string();
  const PruneSpec p = r->prune_for("lstm", ir::OpKind::kLSTM);
  EXPECT_EQ(p.gates, (std::vector<std::string>{"i", "f"}));
  EXPECT_EQ(p.gate_order, (std::vector<std::string>{"i", "o", "f", "c"}));
  auto bad = parse_recipe("prune: {layers: {lstm: {gates: i}}}", "r.yaml");
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.status().message().find("r.yaml: prune.layers.lstm.gates: expected a list"),
            std::string::npos)
      << bad.status().message();
}

app::PipelineOptions no_data(const std::string& model) {
  app::PipelineOptions o;
  o.model = model;
  o.data = "none";
  return o;
}

TEST(RecipeGates, ThePipelineRefusesGatesTheModelLacksNamingTheFile) {
  // The zoo's LSTM (LSTMP with peepholes and projection): W is [1, 4 x 1024, 153].
  auto r = parse_recipe(
      "prune:\n  fc: {method: none}\n  layers:\n"
      "    lstm: {method: balanced, sparsity: 0.888, pes: 32, gates: [i, z, proj]}\n",
      "lstm-gates.yaml");
  ASSERT_TRUE(r.ok()) << r.status().to_string();
  auto run = app::run_pipeline(*r, no_data("lstm"));
  ASSERT_FALSE(run.ok());
  EXPECT_NE(run.status().message().find("recipe lstm-gates.yaml: prune.layers.lstm.gates: layer "
                                        "lstm.W: gates = i, z, proj: no gates z, proj (its gates: "
                                        "i, o, f, c)"),
            std::string::npos)
      << run.status().message();
  // A fully connected layer has no gates.
  auto fc = parse_recipe("prune: {fc: {method: magnitude, sparsity: 0.5, gates: [i]}}", "fc.yaml");
  ASSERT_TRUE(fc.ok());
  auto fc_run = app::run_pipeline(*fc, no_data("lenet-300-100"));
  ASSERT_FALSE(fc_run.ok());
  EXPECT_NE(fc_run.status().message().find("recipe fc.yaml: prune.fc.gates: layer ip1.weight: "
                                           "gates = i given, but the layer has no gates"),
            std::string::npos)
      << fc_run.status().message();
}

TEST(RecipeGates, ThePipelinePrunesOnlyTheNamedGates) {
  // Gates i and f of the zoo LSTM balanced over 32 PEs at 88.8 %: half of W's rows, so W ends
  // at 44.4 % sparsity, with the o and c rows dense.
  auto r = parse_recipe(
      "prune:\n  fc: {method: none}\n  layers:\n"
      "    lstm: {method: balanced, sparsity: 0.888, pes: 32, gates: [i, f]}\n"
      "quant: {enabled: false}\n",
      "lstm-gates.yaml");
  ASSERT_TRUE(r.ok()) << r.status().to_string();
  auto run = app::run_pipeline(*r, no_data("lstm"));
  ASSERT_TRUE(run.ok()) << run.status().to_string();
  const CompressedLayer* l = nullptr;
  for (const CompressedLayer& x : run->model.layers)
    if (x.weight == "lstm.W") l = &x;
  ASSERT_NE(l, nullptr);
  const int64_t H = 1024, I = 153;
  ASSERT_EQ(l->mask.numel(), 4 * H * I);
  const uint8_t* m = l->mask.data<uint8_t>();
  int64_t kept[4] = {0, 0, 0, 0};
  for (int64_t i = 0; i < 4 * H * I; ++i) kept[i / (H * I)] += m[i] != 0;
  EXPECT_EQ(kept[1], H * I);  // o
  EXPECT_EQ(kept[3], H * I);  // c
  // i and f: 2048 x 153 over 32 PEs, each keeps round(0.112 x 313344 / 32) = 1097.
  EXPECT_EQ(kept[0] + kept[2], 32 * 1097);
}

}  // namespace
}  // namespace sieve::compress
