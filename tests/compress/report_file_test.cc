// The report's stored bytes are the written file's bytes (issue 14, item 5): for the shipped
// recipes on LeNet-5 and LeNet-300-100 (bookkeeping runs, --data none: one-shot pruning of
// synthetic weights, every format the recipes make) and for a short training run on the tiny
// Fashion-MNIST fixture, with Huffman coding on and off, the accounting's W_c + I_c equals the
// MASKS + CODEBOOKS + CODES + VALUES sections of the file read back from disk, layer by layer
// too, and the headline ratios are the file's.
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <string>
#include <vector>

#include "sieve/app/pipeline.h"
#include "sieve/io/container/container.h"

namespace sieve::compress {
namespace {

class ReportFile : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           ("sieve_report_file_" + std::to_string(::getpid()) + "_" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::create_directories(dir_);
  }
  void TearDown() override {
    std::error_code ec;
    std::filesystem::remove_all(dir_, ec);
  }

  // Runs the pipeline, reads the file back and checks the report against its section table.
  void check(const Recipe& recipe, app::PipelineOptions opt, const std::string& what) {
    SCOPED_TRACE(what);
    opt.out = (dir_ / "m.sieve").string();
    opt.cache_dir = (dir_ / "cache").string();
    Result<app::PipelineResult> r = app::run_pipeline(recipe, opt);
    ASSERT_TRUE(r.ok()) << r.status().to_string();
    ASSERT_TRUE(r->write_status.ok()) << r->write_status.to_string();
    const Report& rep = r->report;
    Result<io::SieveFileInfo> info = io::read_sieve_info(opt.out);
    ASSERT_TRUE(info.ok()) << info.status().to_string();

    // The file: its size and its weight and index sections, read back from disk.
    EXPECT_EQ(static_cast<uint64_t>(rep.file_bytes), info->file_bytes);
    EXPECT_EQ(static_cast<int64_t>(std::filesystem::file_size(opt.out)), rep.file_bytes);
    EXPECT_TRUE(rep.file_written);
    int64_t sections = 0;
    for (const io::SieveSectionInfo& s : info->sections) {
      if (s.name == "MASKS" || s.name == "CODEBOOKS" || s.name == "CODES" || s.name == "VALUES") {
        sections += static_cast<int64_t>(s.bytes);
      }
    }
    EXPECT_EQ(rep.sections_bytes, sections);
    ASSERT_EQ(rep.sections.size(), info->sections.size());

    // The accounting's stored bytes are those sections, in total and per layer.
    EXPECT_DOUBLE_EQ(rep.w_c + rep.i_c, static_cast<double>(sections));
    ASSERT_EQ(rep.layers.size(), info->layers.size());
    for (size_t i = 0; i < rep.layers.size(); ++i) {
      const LayerSizes& a = rep.layers[i];
      const io::SieveLayerInfo& f = info->layers[i];
      SCOPED_TRACE(a.weight);
      EXPECT_EQ(a.weight, f.weight);
      EXPECT_DOUBLE_EQ(a.index_bytes_c, static_cast<double>(f.mask_bytes));
      EXPECT_DOUBLE_EQ(a.weight_bytes_c,
                       static_cast<double>(f.codebook_bytes + f.code_bytes + f.value_bytes));
      EXPECT_EQ(a.index_format, io::mask_format_name(f.mask_format));
      EXPECT_EQ(a.code_format, io::code_format_name(f.code_format));
      if (!recipe.huffman) {
        EXPECT_NE(f.mask_format, io::MaskFormat::kRelativeHuffman);
        EXPECT_NE(f.code_format, io::CodeFormat::kHuffman);
      }
    }
    // The ratios: r_c is the sections ratio; the whole file is larger than its sections.
    EXPECT_DOUBLE_EQ(rep.sections_ratio, rep.dense_bytes / static_cast<double>(sections));
    EXPECT_DOUBLE_EQ(rep.ratio_c, rep.sections_ratio);
    EXPECT_DOUBLE_EQ(rep.file_ratio, rep.dense_bytes / static_cast<double>(info->file_bytes));
    EXPECT_LT(rep.file_ratio, rep.sections_ratio);
    const nlohmann::json j = report_json(rep);
    EXPECT_DOUBLE_EQ(j["file_ratio"].get<double>(), rep.file_ratio);
    EXPECT_EQ(j["sections_bytes"].get<int64_t>(), sections);
    EXPECT_EQ(format_report(rep).find("file ratio "), format_report(rep).find('\n') + 1);

    // Written again from the model read back: the same bytes (the coding choice survives).
    Result<CompressedModel> back = io::read_sieve(opt.out);
    ASSERT_TRUE(back.ok()) << back.status().to_string();
    EXPECT_TRUE(recipe.huffman || !back->entropy_coding);  // read back on only if written on
    Result<std::string> again = io::serialize_sieve(*back);
    ASSERT_TRUE(again.ok()) << again.status().to_string();
    EXPECT_EQ(static_cast<int64_t>(again->size()), rep.file_bytes);
  }

  std::filesystem::path dir_;
};

// The shipped recipes of both coding styles (block bitmask with Huffman codes; relative +
// Huffman index), each with coding on and off.
TEST_F(ReportFile, ShippedRecipesBookkeeping) {
  const std::filesystem::path recipes = std::filesystem::path(SIEVE_SOURCE_DIR) / "recipes";
  const std::pair<const char*, const char*> runs[] = {
      {"lenet5", "cambricon-s/lenet5.yaml"},
      {"lenet5", "deep-compression/lenet5.yaml"},
      {"lenet-300-100", "cambricon-s/lenet-300-100.yaml"},
      {"lenet-300-100", "deep-compression/lenet-300-100.yaml"},
  };
  for (const auto& [model, file] : runs) {
    for (const char* huffman : {"true", "false"}) {
      Result<Recipe> recipe =
          load_recipe((recipes / file).string(), {std::string("coding.huffman=") + huffman});
      ASSERT_TRUE(recipe.ok()) << recipe.status().to_string();
      app::PipelineOptions opt;
      opt.model = model;
      opt.data = "none";
      check(*recipe, opt, std::string(model) + " " + file + " huffman " + huffman);
    }
  }
}

// A short training run (the tiny fixture): masks, codebooks and codes after retraining and
// fine-tuning, a fine-grained f32 layer (VALUES) among them.
TEST_F(ReportFile, TrainedOnTinyFixture) {
  constexpr const char* kRecipe = R"(
name: tiny-file
dense: {epochs: 1}
retrain: {steps: 2, initial_sparsity: 0.5, epochs: 1, lr: 0.01}
prune:
  fc: {method: block, block: [4, 1], criterion: mean, sparsity: 0.8}
  layers:
    ip3: {method: magnitude, sparsity: 0.6}
quant:
  fc: {bits: 4, regions: [2, 2]}
  layers:
    ip3: {bits: 0}
  finetune: {epochs: 1, lr: 0.001}
coding: {huffman: true}
)";
  Result<Recipe> recipe = parse_recipe(kRecipe, "tiny.yaml");
  ASSERT_TRUE(recipe.ok()) << recipe.status().to_string();
  app::PipelineOptions opt;
  opt.model = "lenet-300-100";
  opt.data_dir = std::string(SIEVE_TEST_DATA_DIR) + "/fashion-mnist-tiny";
  check(*recipe, opt, "tiny lenet-300-100");
}

// Without --out the report still states the file's ratios, from the bytes it would write.
TEST_F(ReportFile, NotWrittenStillMeasured) {
  Result<Recipe> recipe = load_recipe(
      (std::filesystem::path(SIEVE_SOURCE_DIR) / "recipes/cambricon-s/lenet-300-100.yaml")
          .string());
  ASSERT_TRUE(recipe.ok()) << recipe.status().to_string();
  app::PipelineOptions opt;
  opt.model = "lenet-300-100";
  opt.data = "none";
  opt.cache_dir = (dir_ / "cache").string();
  Result<app::PipelineResult> r = app::run_pipeline(*recipe, opt);
  ASSERT_TRUE(r.ok()) << r.status().to_string();
  EXPECT_FALSE(r->report.file_written);
  EXPECT_GT(r->report.file_bytes, 0);
  EXPECT_DOUBLE_EQ(r->report.w_c + r->report.i_c, static_cast<double>(r->report.sections_bytes));
  EXPECT_NE(format_report(r->report).find("file (not written)"), std::string::npos);
}

}  // namespace
}  // namespace sieve::compress
