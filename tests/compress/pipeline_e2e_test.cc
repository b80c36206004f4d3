// The compression pipeline end to end on LeNet-300-100 with the tiny Fashion-MNIST fixture
// (tests/data/fashion-mnist-tiny): dense training and its cache, block pruning with AGP steps,
// local quantization with centroid fine-tuning, Huffman accounting, R(Irr), the .sieve file
// read back to the same weights. Runs in about a second.
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <string>
#include <vector>

#include "sieve/app/pipeline.h"
#include "sieve/compress/prune/prune.h"
#include "sieve/io/container/container.h"

namespace sieve::compress {
namespace {

using app::PipelineOptions;
using app::PipelineResult;
using app::dense_cache_path;
using app::run_pipeline;

constexpr const char* kRecipe = R"(
name: tiny-block
dense: {epochs: 1}
retrain: {steps: 2, initial_sparsity: 0.5, epochs: 1, lr: 0.01}
prune:
  fc: {method: block, block: [2, 2], criterion: mean, sparsity: 0.75}
  layers:
    ip3: {method: magnitude, sparsity: 0.5}
quant:
  fc: {bits: 4, regions: [2, 2]}
  layers:
    ip3: {bits: 3, regions: [1, 1]}
  finetune: {epochs: 1, lr: 0.001}
  calibration: 16
coding: {huffman: true}
)";

class PipelineE2e : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           ("sieve_pipeline_e2e_" + std::to_string(::getpid()) + "_" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::create_directories(dir_);
    opt_.model = "lenet-300-100";
    opt_.data_dir = std::string(SIEVE_TEST_DATA_DIR) + "/fashion-mnist-tiny";
    opt_.cache_dir = (dir_ / "cache").string();
    opt_.out = (dir_ / "tiny.sieve").string();
    opt_.log = [this](const std::string& line) { log_.push_back(line); };
  }
  void TearDown() override {
    std::error_code ec;
    std::filesystem::remove_all(dir_, ec);
  }
  bool logged(const std::string& part) const {
    for (const std::string& l : log_) {
      if (l.find(part) != std::string::npos) return true;
    }
    return false;
  }
  std::filesystem::path dir_;
  PipelineOptions opt_;
  std::vector<std::string> log_;
};

TEST_F(PipelineE2e, BlockPruneLocalQuantHuffmanAndContainer) {
  Result<Recipe> recipe = parse_recipe(kRecipe, "tiny.yaml");
  ASSERT_TRUE(recipe.ok()) << recipe.status().to_string();
  Result<PipelineResult> r = run_pipeline(*recipe, opt_);
  ASSERT_TRUE(r.ok()) << r.status().to_string();
  ASSERT_TRUE(r->write_status.ok()) << r->write_status.to_string();
  const CompressedModel& m = r->model;
  const Report& rep = r->report;
  EXPECT_TRUE(rep.notes.empty()) << rep.notes.front();

  // Layers: ip1, ip2 block-pruned to exactly 75 % (2×2 tiles divide them), ip3 fine to 50 %.
  ASSERT_EQ(m.layers.size(), 3u);
  EXPECT_EQ(m.layers[0].weight, "ip1.weight");
  EXPECT_EQ(m.layers[0].block, (std::vector<int64_t>{2, 2}));
  EXPECT_DOUBLE_EQ(mask_sparsity(m.layers[0].mask), 0.75);
  EXPECT_DOUBLE_EQ(mask_sparsity(m.layers[1].mask), 0.75);
  EXPECT_DOUBLE_EQ(mask_sparsity(m.layers[2].mask), 0.5);
  EXPECT_EQ(m.layers[2].block, (std::vector<int64_t>{1, 1}));
  // The structure the pruner gave each layer is recorded (and written to the container).
  EXPECT_EQ(m.layers[0].structure.method, "block");
  EXPECT_EQ(m.layers[0].structure.stride, (std::vector<int64_t>{2, 2}));
  EXPECT_EQ(m.layers[2].structure.method, "magnitude");
  EXPECT_TRUE(m.layers[2].structure.stride.empty());
  // Every 2×2 block of ip1 is all kept or all pruned.
  const CompressedLayer& ip1 = m.layers[0];
  const uint8_t* mk = ip1.mask.data<uint8_t>();
  const int64_t cols = ip1.cols();
  for (int64_t br = 0; br < ip1.rows(); br += 2) {
    for (int64_t bc = 0; bc < cols; bc += 2) {
      const uint8_t v = mk[br * cols + bc];
      EXPECT_EQ(mk[br * cols + bc + 1], v);
      EXPECT_EQ(mk[(br + 1) * cols + bc], v);
      EXPECT_EQ(mk[(br + 1) * cols + bc + 1], v);
    }
  }
  // Local quantization: 4 bits in a 2×2 grid of codebooks; ip3 3 bits, one codebook.
  EXPECT_EQ(ip1.bits, 4);
  EXPECT_EQ(ip1.codebooks.size(), 4u);
  for (const auto& book : ip1.codebooks) EXPECT_LE(book.size(), 16u);
  EXPECT_EQ(m.layers[2].bits, 3);
  EXPECT_EQ(m.layers[2].codebooks.size(), 1u);
  EXPECT_FALSE(m.activation_frac_bits.empty());

  // Report: ratios grow stage by stage; accuracy, R(Irr) and the file are filled in.
  EXPECT_GT(rep.ratio_p, 1.0);
  EXPECT_GT(rep.ratio_q, rep.ratio_p);
  EXPECT_GE(rep.ratio_c, rep.ratio_q * 0.99);
  EXPECT_DOUBLE_EQ(rep.dense_bytes, 4.0 * (784 * 300 + 300 * 100 + 100 * 10));
  EXPECT_DOUBLE_EQ(rep.bias_bytes, 4.0 * (300 + 100 + 10));
  EXPECT_GE(rep.accuracy_dense, 0.0);
  EXPECT_LE(rep.accuracy_dense, 1.0);
  EXPECT_GE(rep.accuracy, 0.0);
  EXPECT_GT(rep.r_irr, 1.0);  // coarse 2×2 masks compress better than fine ones
  EXPECT_GT(rep.file_bytes, 0);
  EXPECT_EQ(static_cast<int64_t>(std::filesystem::file_size(opt_.out)), rep.file_bytes);

  // The file decodes to the same weights.
  Result<CompressedModel> back = io::read_sieve(opt_.out);
  ASSERT_TRUE(back.ok()) << back.status().to_string();
  ASSERT_EQ(back->layers.size(), m.layers.size());
  for (size_t i = 0; i < m.layers.size(); ++i) {
    Result<Tensor> a = decode_layer(m.layers[i]);
    Result<Tensor> b = decode_layer(back->layers[i]);
    ASSERT_TRUE(a.ok() && b.ok());
    const auto x = a->span<float>();
    const auto y = b->span<float>();
    ASSERT_EQ(x.size(), y.size());
    for (size_t k = 0; k < x.size(); ++k) ASSERT_EQ(x[k], y[k]) << m.layers[i].weight << " " << k;
  }
  EXPECT_EQ(back->metadata.at("recipe"), "tiny-block");

  // The dense model was cached; a second run reads it instead of training.
  EXPECT_TRUE(std::filesystem::exists(dense_cache_path(opt_, "lenet-300-100", 1, 1)));
  EXPECT_TRUE(logged("dense training"));
  log_.clear();
  opt_.out.clear();
  Result<PipelineResult> again = run_pipeline(*recipe, opt_);
  ASSERT_TRUE(again.ok()) << again.status().to_string();
  EXPECT_TRUE(logged("dense model: cached"));
  EXPECT_FALSE(logged("dense training"));
  EXPECT_DOUBLE_EQ(again->report.accuracy_dense, rep.accuracy_dense);
  // Not written, the report still states the file it would write.
  EXPECT_FALSE(again->report.file_written);
  EXPECT_GT(again->report.file_bytes, 0);
  EXPECT_DOUBLE_EQ(again->report.w_c + again->report.i_c,
                   static_cast<double>(again->report.sections_bytes));
}

TEST_F(PipelineE2e, ValidationSplitIsHeldOutAndReported) {
  Result<Recipe> recipe = parse_recipe(
      "dense: {epochs: 1}\nvalidation: 16\nretrain: {steps: 1, epochs: 1}\n"
      "prune: {fc: {method: magnitude, sparsity: 0.8}}\nquant: {finetune: {epochs: 0}}\n",
      "val.yaml");
  ASSERT_TRUE(recipe.ok()) << recipe.status().to_string();
  opt_.out.clear();
  Result<PipelineResult> r = run_pipeline(*recipe, opt_);
  ASSERT_TRUE(r.ok()) << r.status().to_string();
  const Report& rep = r->report;
  EXPECT_EQ(rep.validation_examples, 16);
  EXPECT_GE(rep.accuracy_val_dense, 0.0);
  EXPECT_LE(rep.accuracy_val_dense, 1.0);
  EXPECT_GE(rep.accuracy_val, 0.0);
  EXPECT_GE(rep.accuracy, 0.0);
  // The dense model trained on the 48 others, and is cached apart from a full-set model.
  EXPECT_TRUE(logged("last 16 of the training examples held out (48 left"));
  EXPECT_TRUE(logged("48 examples"));
  EXPECT_TRUE(std::filesystem::exists(dense_cache_path(opt_, "lenet-300-100", 1, 1, 16)));
  EXPECT_FALSE(std::filesystem::exists(dense_cache_path(opt_, "lenet-300-100", 1, 1)));
  EXPECT_TRUE(logged("pruned: validation accuracy"));
  const nlohmann::json j = report_json(rep);
  EXPECT_EQ(j.at("validation_examples"), 16);
  EXPECT_TRUE(j.at("accuracy_val").is_number());
  EXPECT_NE(format_report(rep).find("validation accuracy (16 examples held out"),
            std::string::npos);

  // The option overrides the recipe; a split that leaves nothing to train on is refused.
  opt_.validation = 64;
  Result<PipelineResult> bad = run_pipeline(*recipe, opt_);
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.status().message().find("val.yaml: validation"), std::string::npos)
      << bad.status().message();
  EXPECT_NE(bad.status().message().find("64"), std::string::npos) << bad.status().message();
}

TEST_F(PipelineE2e, DistillationTeachesTheRetraining) {
  Result<Recipe> recipe = parse_recipe(
      "dense: {epochs: 1}\ndistill: {alpha: 0.5, temperature: 4}\n"
      "retrain: {steps: 1, epochs: 1}\nprune: {fc: {method: magnitude, sparsity: 0.8}}\n",
      "kd.yaml");
  ASSERT_TRUE(recipe.ok()) << recipe.status().to_string();
  opt_.out.clear();
  Result<PipelineResult> r = run_pipeline(*recipe, opt_);
  ASSERT_TRUE(r.ok()) << r.status().to_string();
  EXPECT_TRUE(logged("distillation: the dense model teaches every retraining"));
  EXPECT_GE(r->report.accuracy, 0.0);
}

TEST_F(PipelineE2e, UnknownLayerNameIsRefused) {
  Result<Recipe> recipe =
      parse_recipe("prune:\n  layers:\n    fc9: {method: magnitude, sparsity: 0.5}\n", "x.yaml");
  ASSERT_TRUE(recipe.ok()) << recipe.status().to_string();
  opt_.out.clear();
  Result<PipelineResult> r = run_pipeline(*recipe, opt_);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("layers.fc9: no such layer"), std::string::npos)
      << r.status().message();
  EXPECT_NE(r.status().message().find("ip1, ip2, ip3"), std::string::npos)
      << r.status().message();
}

TEST_F(PipelineE2e, QuantizationOffKeepsF32Values) {
  Result<Recipe> recipe = parse_recipe(
      "dense: {epochs: 1}\nretrain: {steps: 1, epochs: 0}\n"
      "prune: {fc: {method: magnitude, sparsity: 0.9}}\nquant: {enabled: false}\n"
      "coding: {huffman: false}\n",
      "noq.yaml");
  ASSERT_TRUE(recipe.ok()) << recipe.status().to_string();
  opt_.out.clear();
  Result<PipelineResult> r = run_pipeline(*recipe, opt_);
  ASSERT_TRUE(r.ok()) << r.status().to_string();
  for (const CompressedLayer& l : r->model.layers) {
    EXPECT_EQ(l.bits, 0);
    EXPECT_EQ(static_cast<int64_t>(l.values.size()), l.kept());
  }
  // Without quantization or coding, q equals p; c (what the file stores) has the same f32
  // values but may store a relative index's fillers without the 32-bit value that p charges
  // each (Deep Compression's count), so its index is no larger.
  EXPECT_DOUBLE_EQ(r->report.ratio_q, r->report.ratio_p);
  EXPECT_DOUBLE_EQ(r->report.w_c, r->report.w_p);
  EXPECT_LE(r->report.i_c, r->report.i_p);
  EXPECT_GE(r->report.ratio_c, r->report.ratio_p);
}

}  // namespace
}  // namespace sieve::compress
