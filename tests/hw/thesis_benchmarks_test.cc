// The thesis benchmarks (hw/workloads/thesis.h): the published figures reach the plan, the
// masks keep exactly the published block count, seeds are deterministic, the models are real
// CompressedModels (a .sieve round trip), and their workloads carry the published densities.
#include <gtest/gtest.h>
#include <unistd.h>

#include <cmath>
#include <cstdio>

#include "sieve/hw/workloads/thesis.h"
#include "sieve/io/container/container.h"
#include "sieve/zoo/zoo.h"

namespace sieve::hw {
namespace {

const ThesisLayer* layer(const ThesisBenchmark& b, const std::string& weight) {
  for (const ThesisLayer& l : b.layers) {
    if (l.weight == weight) return &l;
  }
  return nullptr;
}

TEST(ThesisBenchmarks, SevenZooNetworksInTableOrder) {
  const std::vector<std::string> names = thesis_benchmarks();
  EXPECT_EQ(names, (std::vector<std::string>{"alexnet", "vgg16", "lenet5", "lenet-300-100",
                                             "cifar10-quick", "resnet152", "lstm"}));
  for (const std::string& n : names) {
    EXPECT_NE(zoo::find_model(n), nullptr) << n;
    auto plan = thesis_benchmark(n);
    ASSERT_TRUE(plan.ok()) << plan.status().to_string();
    EXPECT_FALSE(plan->layers.empty()) << n;
    for (const ThesisLayer& l : plan->layers) {
      for (const char* f : {"sparsity", "block", "bits", "regions"}) {
        EXPECT_FALSE(l.sources.at(f).empty()) << n << " " << l.weight << " " << f;
      }
    }
    for (const auto& [layer_name, d] : plan->input_density) {
      EXPECT_FALSE(plan->density_sources.at(layer_name).empty()) << n << " " << layer_name;
      EXPECT_GE(d, 0.0);
      EXPECT_LE(d, 1.0);
    }
  }
}

TEST(ThesisBenchmarks, AlexnetTakesTable35PerLayerFigures) {
  auto plan = thesis_benchmark("alexnet");
  ASSERT_TRUE(plan.ok()) << plan.status().to_string();
  ASSERT_EQ(plan->layers.size(), 8u);
  const ThesisLayer* conv1 = layer(*plan, "conv1.weight");
  ASSERT_NE(conv1, nullptr);
  EXPECT_DOUBLE_EQ(conv1->sparsity, 0.249);
  EXPECT_EQ(conv1->block, (std::vector<int64_t>{16, 1, 1, 1}));
  EXPECT_EQ(conv1->bits, 8);
  EXPECT_DOUBLE_EQ(conv1->coded_bits, 6.5);
  const ThesisLayer* fc6 = layer(*plan, "fc6.weight");
  EXPECT_DOUBLE_EQ(fc6->sparsity, 0.911);
  EXPECT_EQ(fc6->block, (std::vector<int64_t>{32, 32}));
  EXPECT_EQ(fc6->bits, 4);
  EXPECT_EQ(fc6->region_rows * fc6->region_cols, 64);
  EXPECT_EQ(layer(*plan, "fc8.weight")->block, (std::vector<int64_t>{16, 16}));
  EXPECT_DOUBLE_EQ(layer(*plan, "fc8.weight")->sparsity, 0.748);
  // Densities: 1 − DNS of Table 3.2; the image is dense.
  EXPECT_DOUBLE_EQ(plan->input_density.at("conv1"), 1.0);
  EXPECT_DOUBLE_EQ(plan->input_density.at("conv2"), 0.6237);
  EXPECT_DOUBLE_EQ(plan->input_density.at("pool1"), 0.6237);
  EXPECT_DOUBLE_EQ(plan->input_density.at("fc6"), 0.7073);
}

TEST(ThesisBenchmarks, PerTypeFiguresForTheOthers) {
  auto vgg = thesis_benchmark("vgg16");
  ASSERT_TRUE(vgg.ok());
  EXPECT_DOUBLE_EQ(layer(*vgg, "conv4_2.weight")->sparsity, 0.6483);
  EXPECT_DOUBLE_EQ(vgg->input_density.at("conv4_2"), 0.4052);  // thesis §4.3.3 example too
  EXPECT_DOUBLE_EQ(layer(*vgg, "fc7.weight")->sparsity, 0.9516);
  auto res = thesis_benchmark("resnet152");
  ASSERT_TRUE(res.ok());
  for (const ThesisLayer& l : res->layers) {
    EXPECT_DOUBLE_EQ(l.sparsity, l.type == "conv" ? 0.4569 : 0.0) << l.weight;
  }
  auto lstm = thesis_benchmark("lstm");
  ASSERT_TRUE(lstm.ok());
  ASSERT_EQ(lstm->layers.size(), 3u);  // W, R, W_proj
  EXPECT_EQ(lstm->layers[2].weight, "lstm.W_proj");
  EXPECT_EQ(lstm->layers[0].block, (std::vector<int64_t>{1, 16, 16}));
  EXPECT_DOUBLE_EQ(lstm->input_density.at("lstm"), 1.0);
  EXPECT_DOUBLE_EQ(lstm->input_density.at("lstm/proj"), 1.0);
}

TEST(ThesisBenchmarks, UnknownNameIsRefusedListingTheValidOnes) {
  auto m = thesis_model("alexnett", 1);
  ASSERT_FALSE(m.ok());
  EXPECT_NE(m.status().message().find("\"alexnett\""), std::string::npos);
  EXPECT_NE(m.status().message().find(
                "alexnet, vgg16, lenet5, lenet-300-100, cifar10-quick, resnet152, lstm"),
            std::string::npos)
      << m.status().message();
  EXPECT_FALSE(thesis_workload("squeezenet", 1, 1).ok());  // a zoo model, not a benchmark
}

// Every block of the grid is wholly kept or wholly pruned; exactly round((1 − s) · blocks) kept.
TEST(ThesisBenchmarks, PublishedSparsityHitExactlyInBlocks) {
  for (const char* name : {"lenet5", "lenet-300-100", "cifar10-quick"}) {
    ThesisBenchmark plan;
    auto m = thesis_model(name, 7, &plan);
    ASSERT_TRUE(m.ok()) << m.status().to_string();
    ASSERT_EQ(m->layers.size(), plan.layers.size());
    for (size_t i = 0; i < plan.layers.size(); ++i) {
      const ThesisLayer& l = plan.layers[i];
      const compress::CompressedLayer& cl = m->layers[i];
      EXPECT_EQ(l.kept_blocks, std::llround((1.0 - l.sparsity) * static_cast<double>(l.blocks)));
      EXPECT_EQ(cl.kept(), l.kept);
      EXPECT_EQ(cl.block, l.block);
      EXPECT_EQ(cl.bits, l.bits);
      EXPECT_EQ(static_cast<int64_t>(cl.codes.size()), l.kept);
      for (uint16_t c : cl.codes) ASSERT_LT(c, 1u << cl.bits);
      // Count blocks through the mask (rank 2 or 4 here).
      Shape s = cl.shape;
      while (s.size() < 4) s.push_back(1);
      Shape b = cl.block;
      while (b.size() < 4) b.push_back(1);
      const uint8_t* mk = cl.mask.data<uint8_t>();
      int64_t kept_blocks = 0, blocks = 0;
      for (int64_t i0 = 0; i0 < s[0]; i0 += b[0]) {
        for (int64_t i1 = 0; i1 < s[1]; i1 += b[1]) {
          for (int64_t i2 = 0; i2 < s[2]; i2 += b[2]) {
            for (int64_t i3 = 0; i3 < s[3]; i3 += b[3]) {
              int64_t ones = 0, all = 0;
              for (int64_t a = i0; a < std::min(s[0], i0 + b[0]); ++a)
                for (int64_t c = i1; c < std::min(s[1], i1 + b[1]); ++c)
                  for (int64_t d = i2; d < std::min(s[2], i2 + b[2]); ++d)
                    for (int64_t e = i3; e < std::min(s[3], i3 + b[3]); ++e, ++all)
                      ones += mk[((a * s[1] + c) * s[2] + d) * s[3] + e];
              ASSERT_TRUE(ones == 0 || ones == all) << name << " " << cl.weight;
              kept_blocks += ones != 0;
              ++blocks;
            }
          }
        }
      }
      EXPECT_EQ(blocks, l.blocks) << cl.weight;
      EXPECT_EQ(kept_blocks, l.kept_blocks) << cl.weight;
      EXPECT_NE(m->metadata.count("thesis." + cl.weight + ".sparsity"), 0u);
    }
  }
}

TEST(ThesisBenchmarks, SeedsAreDeterministic) {
  auto a = thesis_model("lenet5", 3);
  auto b = thesis_model("lenet5", 3);
  auto c = thesis_model("lenet5", 4);
  ASSERT_TRUE(a.ok() && b.ok() && c.ok());
  bool any_mask_differs = false;
  for (size_t i = 0; i < a->layers.size(); ++i) {
    const auto& ma = a->layers[i].mask;
    const auto& mb = b->layers[i].mask;
    const auto& mc = c->layers[i].mask;
    EXPECT_TRUE(std::equal(ma.span<uint8_t>().begin(), ma.span<uint8_t>().end(),
                           mb.span<uint8_t>().begin()));
    EXPECT_EQ(a->layers[i].codes, b->layers[i].codes);
    any_mask_differs =
        any_mask_differs || !std::equal(ma.span<uint8_t>().begin(), ma.span<uint8_t>().end(),
                                        mc.span<uint8_t>().begin());
  }
  EXPECT_TRUE(any_mask_differs);
}

TEST(ThesisBenchmarks, SmallModelsRoundTripThroughTheSieveContainer) {
  for (const char* name : {"lenet5", "lenet-300-100"}) {
    auto m = thesis_model(name, 2);
    ASSERT_TRUE(m.ok()) << m.status().to_string();
    const std::string path =
        testing::TempDir() + "sieve_thesis_" + std::to_string(::getpid()) + "_" + name + ".sieve";
    ASSERT_TRUE(io::write_sieve(*m, path).ok());
    auto r = io::read_sieve(path);
    std::remove(path.c_str());
    ASSERT_TRUE(r.ok()) << r.status().to_string();
    ASSERT_EQ(r->layers.size(), m->layers.size());
    for (size_t i = 0; i < m->layers.size(); ++i) {
      const auto& x = m->layers[i];
      const auto& y = r->layers[i];
      EXPECT_EQ(x.weight, y.weight);
      EXPECT_EQ(x.block, y.block);
      EXPECT_EQ(x.structure.method, "block");  // masks drawn in whole blocks of a tiling
      EXPECT_EQ(x.structure.stride, x.block);
      EXPECT_EQ(x.structure, y.structure);
      EXPECT_EQ(x.bits, y.bits);
      EXPECT_EQ(x.codes, y.codes);
      EXPECT_EQ(x.codebooks, y.codebooks);
      EXPECT_EQ(x.kept(), y.kept());
      ASSERT_FALSE(y.mask.empty());
      EXPECT_TRUE(std::equal(x.mask.span<uint8_t>().begin(), x.mask.span<uint8_t>().end(),
                             y.mask.span<uint8_t>().begin()));
    }
    EXPECT_EQ(r->metadata.at("benchmark"), name);
  }
}

TEST(ThesisBenchmarks, WorkloadCarriesMasksAndPublishedDensities) {
  auto w = thesis_workload("lenet-300-100", 1, 8);
  ASSERT_TRUE(w.ok()) << w.status().to_string();
  ASSERT_EQ(w->layers.size(), 3u);
  EXPECT_EQ(w->batch, 8);
  EXPECT_NE(w->notes.at("activations").find("no ImageNet"), std::string::npos);
  const LayerWork& ip1 = w->layers[0];
  const LayerWork& ip2 = w->layers[1];
  EXPECT_TRUE(ip1.pruned);
  EXPECT_EQ(ip1.weight_bits, 6);
  EXPECT_EQ(ip1.block, (std::vector<int64_t>{16, 1}));
  // 300 × 784 in 16×1 blocks: 19 · 784 = 14,896 blocks (the last row of blocks 12 high),
  // round(0.0987 · 14,896) = 1,470 kept.
  const double kept = static_cast<double>(ip1.weight_mask.count());
  EXPECT_GE(kept, 1470 * 12.0);
  EXPECT_LE(kept, 1470 * 16.0);
  EXPECT_NEAR(kept / (300.0 * 784.0), 1.0 - 0.9013, 0.006);
  for (const BitVec& b : ip1.input_nz) EXPECT_EQ(b.count(), 784);  // the image: dense
  int64_t ones = 0;
  for (const BitVec& b : ip2.input_nz) ones += b.count();
  EXPECT_NEAR(static_cast<double>(ones) / (8.0 * 300.0), 0.3369, 0.05);  // 1 − 66.31 %
}

TEST(ThesisBenchmarks, LstmWorkloadHasGatesAndProjection) {
  auto w = thesis_workload("lstm", 1, 1);
  ASSERT_TRUE(w.ok()) << w.status().to_string();
  ASSERT_EQ(w->layers.size(), 2u);
  const LayerWork& g = w->layers[0];
  EXPECT_EQ(g.kind, LayerKind::kLstm);
  EXPECT_EQ(g.rows, 4096);
  EXPECT_EQ(g.cols, 153 + 512);
  EXPECT_EQ(g.weight_bits, 4);
  EXPECT_NEAR(1.0 - static_cast<double>(g.weight_mask.count()) / (4096.0 * 665.0), 0.8794, 0.01);
  EXPECT_EQ(w->layers[1].name, "lstm/proj");
  EXPECT_EQ(w->layers[1].rows, 512);
  EXPECT_EQ(w->layers[1].cols, 1024);
}

// Thesis Table 5.2: AlexNet and VGG16 fc6-fc8 at the thesis' sparsity, EIE's activation
// densities (Han et al., ISCA 2016, Table III).
TEST(ThesisBenchmarks, EieFcWorkloadHasTheSixTable52Layers) {
  auto w = eie_fc_workload(1);
  ASSERT_TRUE(w.ok()) << w.status().to_string();
  EXPECT_EQ(w->batch, 1);
  struct Row {
    const char* name;
    int64_t rows, cols;
    double sparsity, density;
  };
  const Row rows[] = {
      {"alexnet-fc6", 4096, 9216, 0.911, 0.35}, {"alexnet-fc7", 4096, 4096, 0.911, 0.35},
      {"alexnet-fc8", 1000, 4096, 0.748, 0.38}, {"vgg16-fc6", 4096, 25088, 0.9516, 0.18},
      {"vgg16-fc7", 4096, 4096, 0.9516, 0.37},  {"vgg16-fc8", 1000, 4096, 0.9516, 0.41}};
  ASSERT_EQ(w->layers.size(), 6u);
  for (size_t i = 0; i < 6; ++i) {
    const LayerWork& l = w->layers[i];
    EXPECT_EQ(l.name, rows[i].name);
    EXPECT_EQ(l.kind, LayerKind::kFullyConnected);
    EXPECT_EQ(l.rows, rows[i].rows);
    EXPECT_EQ(l.cols, rows[i].cols);
    EXPECT_EQ(l.weight_bits, 4);
    const double ws =
        1.0 - static_cast<double>(l.weight_mask.count()) / static_cast<double>(l.rows * l.cols);
    EXPECT_NEAR(ws, rows[i].sparsity, 0.002) << l.name;  // partial edge blocks only
    ASSERT_EQ(l.input_nz.size(), 1u);
    EXPECT_TRUE(l.synthetic_activations);
    EXPECT_NEAR(static_cast<double>(l.input_nz[0].count()) / static_cast<double>(l.cols),
                rows[i].density, 0.04)
        << l.name;
  }
}

}  // namespace
}  // namespace sieve::hw
