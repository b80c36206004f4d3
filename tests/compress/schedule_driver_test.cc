// Schedules: AGP values at known points, the prune → retrain driver on a tiny MLP with the tiny
// Fashion-MNIST fixture (masked weights stay zero, targets reached, pruned weights stay pruned),
// DSD, and the sensitivity sweep's CSV.
#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>
#include <regex>
#include <sstream>

#include "sieve/compress/schedule/agp.h"
#include "sieve/compress/schedule/iterative.h"
#include "sieve/compress/schedule/sensitivity.h"
#include "sieve/core/atomic_file.h"
#include "sieve/io/datasets/fashion_mnist.h"
#include "unit/train_test_util.h"

namespace sieve::compress {
namespace {

using ir::OpKind;

const std::string kTiny = std::string(SIEVE_TEST_DATA_DIR) + "/fashion-mnist-tiny";

TEST(ScheduleAgp, CubicValuesAtKnownPoints) {
  // s_f + (s_i - s_f)(1 - t/n)^3 with s_i = 0, s_f = 0.9, n = 4.
  EXPECT_DOUBLE_EQ(agp_sparsity(0.0, 0.9, 0, 0, 4, 1), 0.0);
  EXPECT_DOUBLE_EQ(agp_sparsity(0.0, 0.9, 1, 0, 4, 1), 0.9 - 0.9 * 0.421875);
  EXPECT_DOUBLE_EQ(agp_sparsity(0.0, 0.9, 2, 0, 4, 1), 0.9 - 0.9 * 0.125);
  EXPECT_DOUBLE_EQ(agp_sparsity(0.0, 0.9, 3, 0, 4, 1), 0.9 - 0.9 * 0.015625);
  EXPECT_DOUBLE_EQ(agp_sparsity(0.0, 0.9, 4, 0, 4, 1), 0.9);
  EXPECT_DOUBLE_EQ(agp_sparsity(0.0, 0.9, 40, 0, 4, 1), 0.9);
  // Start offset and interval: t0 = 10, n = 2, dt = 5; halfway (t = 15): 0.2 + 0.6 * (1/8).
  EXPECT_DOUBLE_EQ(agp_sparsity(0.2, 0.8, 15, 10, 2, 5), 0.8 - 0.6 * 0.125);
  EXPECT_DOUBLE_EQ(agp_sparsity(0.2, 0.8, 5, 10, 2, 5), 0.2);
  AgpSchedule s{0.0, 0.9, 0, 4, 1};
  const std::vector<double> t = s.step_targets();
  ASSERT_EQ(t.size(), 4u);
  EXPECT_NEAR(t[0], 0.5203125, 1e-12);
  EXPECT_NEAR(t[1], 0.7875, 1e-12);
  EXPECT_NEAR(t[2], 0.8859375, 1e-12);
  EXPECT_EQ(t[3], 0.9);
}

ir::Graph tiny_mlp() {
  train::testing::GraphBuilder b(11);
  b.input({-1, 1, 28, 28});
  b.op(OpKind::kFlatten, "flat", {"input"}, {{"axis", int64_t{1}}});
  b.op(OpKind::kFullyConnected, "fc1",
       {"flat", b.param("w1", {32, 784}, 0.08f), b.param("b1", {32}, 0.0f)});
  b.op(OpKind::kRelu, "relu", {"fc1"});
  b.op(OpKind::kFullyConnected, "fc2",
       {"relu", b.param("w2", {10, 32}, 0.3f), b.param("b2", {10}, 0.0f)});
  return b.finish("fc2");
}

struct TinyData {
  io::Dataset train, test;
};

const TinyData& tiny_data() {
  static const TinyData d = [] {
    TinyData t;
    auto tr = io::load_fashion_mnist("train", kTiny);
    auto te = io::load_fashion_mnist("test", kTiny);
    EXPECT_TRUE(tr.ok()) << tr.status().to_string();
    EXPECT_TRUE(te.ok()) << te.status().to_string();
    t.train = *tr;
    t.test = *te;
    return t;
  }();
  return d;
}

RetrainOptions small_retrain() {
  RetrainOptions o;
  o.iterations = 3;
  o.epochs_per_iteration = 1;
  o.final_epochs = 1;
  o.fit.batch = 16;
  o.fit.lr.policy = train::LrPolicy::kConstant;
  o.fit.lr.base_lr = 0.01;
  o.trainer.shards = 1;
  return o;
}

std::map<std::string, PruneSpec> tiny_specs() {
  PruneSpec block;
  block.method = "block";
  block.block = {4, 4};
  block.sparsity = 0.75;
  PruneSpec fine;
  fine.method = "magnitude";
  fine.sparsity = 0.5;
  return {{"fc1", block}, {"w2", fine}};
}

TEST(ScheduleIterative, ReachesTargetsAndKeepsMaskedWeightsZero) {
  const TinyData& d = tiny_data();
  ir::Graph g = tiny_mlp();
  std::vector<std::string> stages;
  int fit_reports = 0;
  auto r = prune_and_retrain(g, tiny_specs(), small_retrain(), d.train, d.test,
                             [&](const ScheduleProgress& p) {
                               if (p.fit != nullptr) {
                                 ++fit_reports;
                               } else {
                                 stages.push_back(p.stage);
                               }
                             });
  ASSERT_TRUE(r.ok()) << r.status().to_string();
  ASSERT_EQ(r->masks.size(), 2u);
  EXPECT_DOUBLE_EQ(mask_sparsity(r->masks.at("w1")), 0.75);  // 1176 of 1568 4x4 blocks
  EXPECT_DOUBLE_EQ(mask_sparsity(r->masks.at("w2")), 0.5);
  EXPECT_EQ(r->nodes.at("w1"), "fc1");
  // Masked weights are exactly zero in the graph; the block shape survives retraining.
  for (const auto& [w, m] : r->masks) {
    const float* v = g.initializers.at(w).data<float>();
    int64_t nonzero_kept = 0;
    for (int64_t i = 0; i < m.numel(); ++i) {
      if (!m.data<uint8_t>()[i]) {
        ASSERT_EQ(v[i], 0.0f) << w << " " << i;
      } else {
        nonzero_kept += v[i] != 0.0f;
      }
    }
    EXPECT_GT(nonzero_kept, 0) << w;
  }
  const uint8_t* m1 = r->masks.at("w1").data<uint8_t>();
  for (int64_t br = 0; br < 32; br += 4) {
    for (int64_t bc = 0; bc < 784; bc += 4) {
      int kept = 0;
      for (int64_t i = 0; i < 4; ++i) {
        for (int64_t j = 0; j < 4; ++j) kept += m1[(br + i) * 784 + bc + j];
      }
      ASSERT_TRUE(kept == 0 || kept == 16);
    }
  }
  // Three AGP steps plus the final retraining; sparsity rises along the cubic schedule.
  ASSERT_EQ(r->iterations.size(), 4u);
  EXPECT_NEAR(r->iterations[0].sparsity.at("w2"), agp_sparsity(0, 0.5, 1, 0, 3, 1), 1.0 / 320);
  EXPECT_NEAR(r->iterations[1].sparsity.at("w2"), agp_sparsity(0, 0.5, 2, 0, 3, 1), 1.0 / 320);
  EXPECT_NEAR(r->iterations[0].sparsity.at("w1"), agp_sparsity(0, 0.75, 1, 0, 3, 1), 16.0 / 25088);
  for (size_t i = 1; i < r->iterations.size(); ++i) {
    EXPECT_GE(r->iterations[i].sparsity.at("w1"), r->iterations[i - 1].sparsity.at("w1"));
  }
  EXPECT_EQ(r->iterations.back().iteration, 4);
  for (const IterationRecord& rec : r->iterations) {
    EXPECT_GE(rec.accuracy, 0.0);
    EXPECT_LE(rec.accuracy, 1.0);
  }
  EXPECT_EQ(r->accuracy, r->iterations.back().accuracy);
  EXPECT_GT(fit_reports, 0);
  ASSERT_FALSE(stages.empty());
  EXPECT_EQ(stages.front(), "evaluate");
  EXPECT_EQ(stages.back(), "final");
}

TEST(ScheduleIterative, PruneStepNeverRevivesPrunedWeights) {
  ir::Graph g = tiny_mlp();
  auto specs = resolve_layer_specs(g, tiny_specs());
  ASSERT_TRUE(specs.ok()) << specs.status().to_string();
  std::map<std::string, Tensor> masks;
  ASSERT_TRUE(prune_step(g, *specs, {{"w1", 0.3}, {"w2", 0.2}}, masks).ok());
  const Tensor first = masks.at("w1").clone();
  // Pruned weights grow large (as if a bug let them train); the next step must keep them out.
  float* w1 = g.initializers.at("w1").data<float>();
  for (int64_t i = 0; i < first.numel(); ++i) {
    if (!first.data<uint8_t>()[i]) w1[i] = 10.0f;
  }
  ASSERT_TRUE(prune_step(g, *specs, {{"w1", 0.6}, {"w2", 0.4}}, masks).ok());
  for (int64_t i = 0; i < first.numel(); ++i) {
    if (!first.data<uint8_t>()[i]) {
      ASSERT_EQ(masks.at("w1").data<uint8_t>()[i], 0) << i;
    }
  }
  EXPECT_NEAR(mask_sparsity(masks.at("w1")), 0.6, 16.0 / 25088);
}

TEST(ScheduleIterative, UnknownLayerListsPrunable) {
  ir::Graph g = tiny_mlp();
  PruneSpec s;
  s.sparsity = 0.5;
  auto r = resolve_layer_specs(g, {{"fc9", s}});
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("fc1 (w1), fc2 (w2)"), std::string::npos)
      << r.status().message();
  // "*" covers every FullyConnected/Conv weight.
  auto all = resolve_layer_specs(g, {{"*", s}});
  ASSERT_TRUE(all.ok());
  EXPECT_EQ(all->size(), 2u);
}

TEST(ScheduleDsd, ReDenseRevivesPrunedWeights) {
  const TinyData& d = tiny_data();
  ir::Graph g = tiny_mlp();
  DsdOptions o;
  o.dense_epochs = 1;
  o.dense = small_retrain().fit;
  o.sparse = small_retrain();
  o.sparse.iterations = 1;
  o.sparse.final_epochs = 0;
  o.redense_epochs = 1;
  o.redense = small_retrain().fit;
  o.redense.lr.base_lr = 0.001;
  auto r = dense_sparse_dense(g, tiny_specs(), o, d.train, d.test);
  ASSERT_TRUE(r.ok()) << r.status().to_string();
  const Tensor& mask = r->sparse.masks.at("w1");
  const float* w = g.initializers.at("w1").data<float>();
  int64_t revived = 0;
  for (int64_t i = 0; i < mask.numel(); ++i) revived += !mask.data<uint8_t>()[i] && w[i] != 0.0f;
  EXPECT_GT(revived, 0);
  EXPECT_GE(r->accuracy_redense, 0.0);
  EXPECT_LE(r->accuracy_redense, 1.0);
  EXPECT_EQ(r->accuracy_sparse, r->sparse.accuracy);
}

TEST(ScheduleSensitivity, SweepAndCsvFormat) {
  const TinyData& d = tiny_data();
  ir::Graph g = tiny_mlp();
  const Tensor before = g.initializers.at("w1").clone();
  SensitivityOptions o;
  o.sparsities = {0.0, 0.5, 0.9};
  o.base.method = "magnitude";
  o.trainer.shards = 1;
  auto r = sensitivity_sweep(g, o, d.test);
  ASSERT_TRUE(r.ok()) << r.status().to_string();
  ASSERT_EQ(r->size(), 6u);
  EXPECT_EQ((*r)[0].layer, "w1");
  EXPECT_EQ((*r)[3].layer, "w2");
  EXPECT_NEAR((*r)[2].achieved, 0.9, 1.0 / 25088);
  // Sparsity 0 is the dense network: both layers' first points agree.
  EXPECT_EQ((*r)[0].accuracy, (*r)[3].accuracy);
  // The graph is not modified.
  EXPECT_TRUE(std::equal(before.span<float>().begin(), before.span<float>().end(),
                         g.initializers.at("w1").span<float>().begin()));
  const std::string csv = sensitivity_csv(*r);
  std::istringstream in(csv);
  std::string line;
  std::getline(in, line);
  EXPECT_EQ(line, "layer,sparsity,accuracy");
  const std::regex row(R"((w1|w2),(0|1)\.\d{6},(0|1)\.\d{6})");
  int rows = 0;
  while (std::getline(in, line)) {
    EXPECT_TRUE(std::regex_match(line, row)) << line;
    ++rows;
  }
  EXPECT_EQ(rows, 6);
  EXPECT_NE(csv.find("\nw1,0.500000,"), std::string::npos) << csv;

  const std::string path =
      (std::filesystem::temp_directory_path() / "sieve_sensitivity_test.csv").string();
  ASSERT_TRUE(write_sensitivity_csv(path, *r).ok());
  auto back = read_file(path);
  ASSERT_TRUE(back.ok());
  EXPECT_EQ(*back, csv);
  std::filesystem::remove(path);

  o.layers = {"nope"};
  EXPECT_FALSE(sensitivity_sweep(g, o, d.test).ok());
}

}  // namespace
}  // namespace sieve::compress
