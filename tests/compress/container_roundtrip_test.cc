#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <random>
#include <set>

#include "compress/container_test_util.h"
#include "sieve/app/model_loader.h"
#include "sieve/core/atomic_file.h"
#include "sieve/io/container/container.h"
#include "sieve/io/onnx/onnx.h"
#include "unit/onnx_test_util.h"

namespace sieve {
namespace {

using container_test::Form;

const std::vector<Form> kAllForms = {
    Form::kDenseValues,     Form::kFineQuantLocal, Form::kBlockQuantGlobal, Form::kBlockValues,
    Form::kNonUniformBlock, Form::kFineValues,     Form::kDenseQuant16,     Form::kFineQuant1};

// The graph as ONNX gives it back (import normalises attributes, e.g. FullyConnected's trans_b):
// what a .sieve file of `g` must decode to.
ir::Graph onnx_round_trip(const ir::Graph& g) {
  auto bytes = io::export_onnx_bytes(g, {.allow_sieve_extensions = true, .check = true});
  EXPECT_TRUE(bytes.ok()) << bytes.status().to_string();
  auto back = io::import_onnx_bytes(bytes.ok() ? *bytes : std::string());
  EXPECT_TRUE(back.ok()) << back.status().to_string();
  return back.ok() ? std::move(back.value()) : ir::Graph();
}

void expect_models_identical(const compress::CompressedModel& a,
                             const compress::CompressedModel& b) {
  ASSERT_EQ(a.layers.size(), b.layers.size());
  for (size_t i = 0; i < a.layers.size(); ++i) {
    container_test::expect_layers_identical(a.layers[i], b.layers[i]);
  }
  EXPECT_EQ(a.metadata, b.metadata);
  EXPECT_EQ(a.activation_frac_bits, b.activation_frac_bits);
  // The graph, decoded weights included, bit for bit.
  onnx_test::expect_graphs_equal(onnx_round_trip(a.graph), b.graph);
}

class ContainerRoundTrip : public ::testing::TestWithParam<const char*> {};

TEST_P(ContainerRoundTrip, EveryLayerFormSurvivesBitExactly) {
  // Rotate the forms so every layer of every model meets several forms across the cases.
  for (size_t shift = 0; shift < 3; ++shift) {
    std::vector<Form> forms(kAllForms.begin() + static_cast<std::ptrdiff_t>(shift),
                            kAllForms.end());
    forms.insert(forms.end(), kAllForms.begin(),
                 kAllForms.begin() + static_cast<std::ptrdiff_t>(shift));
    compress::CompressedModel m = container_test::make_model(GetParam(), forms);
    auto bytes = io::serialize_sieve(m);
    ASSERT_TRUE(bytes.ok()) << bytes.status().to_string();
    auto back = io::parse_sieve(*bytes, "m.sieve");
    ASSERT_TRUE(back.ok()) << back.status().to_string();
    expect_models_identical(m, *back);
    // Serialising again gives the same bytes (the format is deterministic).
    auto again = io::serialize_sieve(*back);
    ASSERT_TRUE(again.ok()) << again.status().to_string();
    EXPECT_EQ(*again, *bytes);
  }
}

INSTANTIATE_TEST_SUITE_P(Zoo, ContainerRoundTrip,
                         ::testing::Values("lenet-300-100", "lenet5", "lstm"));

TEST(Container, CompressedWeightsAreNotStoredTwice) {
  // lenet-300-100 has 266,200 weights: stored dense in f32 they would take 1 MiB; with 4-bit
  // codes on a quarter of them (and bias vectors in the graph) the file must be far smaller.
  compress::CompressedModel m =
      container_test::make_model("lenet-300-100", {Form::kFineQuantLocal});
  auto bytes = io::serialize_sieve(m);
  ASSERT_TRUE(bytes.ok()) << bytes.status().to_string();
  EXPECT_LT(bytes->size(), 266200u * 4 / 10);
  auto info = io::sieve_file_info(*bytes);
  ASSERT_TRUE(info.ok()) << info.status().to_string();
  ASSERT_EQ(info->layers.size(), 3u);
  // fc1 [300, 784], a random quarter kept: the Huffman-coded relative index beats the
  // 29,400-byte bit mask (entropy ~0.81 bit per position), and Huffman-coded 4-bit codes over
  // codebooks of 16, 15 and 14 entries beat packing them.
  const io::SieveLayerInfo& fc1 = info->layers[0];
  EXPECT_EQ(fc1.shape, (Shape{300, 784}));
  EXPECT_EQ(fc1.mask_format, io::MaskFormat::kRelativeHuffman);
  EXPECT_LT(fc1.mask_bytes, 29400u * 85 / 100);
  EXPECT_GT(fc1.mask_bytes, 29400u * 75 / 100);
  EXPECT_GE(fc1.index_k, 2);
  EXPECT_GE(fc1.index_entries, fc1.kept);
  EXPECT_EQ(fc1.code_format, io::CodeFormat::kHuffman);
  EXPECT_LT(fc1.code_bytes, static_cast<uint64_t>((fc1.kept * 4 + 7) / 8));
  EXPECT_EQ(fc1.kept, m.layers[0].kept());
  EXPECT_EQ(fc1.region_rows, 3);
  EXPECT_EQ(fc1.region_cols, 4);
  // Sections in their fixed order, contiguous, and the file size adds up.
  ASSERT_EQ(info->sections.size(), 9u);
  EXPECT_EQ(info->sections[1].name, "GRAPH");
  EXPECT_EQ(info->sections[8].name, "STRUCTURE");
  uint64_t end = 16 + 9 * 24 + 4;
  for (const io::SieveSectionInfo& s : info->sections) {
    EXPECT_EQ(s.offset, end) << s.name;
    end += s.bytes;
  }
  EXPECT_EQ(end, bytes->size());
  EXPECT_EQ(info->file_bytes, bytes->size());
}

TEST(Container, BlockMasksTakeOneBitPerBlock) {
  compress::CompressedModel m = container_test::make_model("lenet5", {Form::kBlockValues});
  auto bytes = io::serialize_sieve(m);
  ASSERT_TRUE(bytes.ok()) << bytes.status().to_string();
  auto info = io::sieve_file_info(*bytes);
  ASSERT_TRUE(info.ok()) << info.status().to_string();
  // conv2 [50, 20, 5, 5] with block (3, 7, 1, 1): 17 x 3 x 5 x 5 = 1275 blocks -> 160 bytes.
  const io::SieveLayerInfo& conv2 = info->layers[1];
  EXPECT_EQ(conv2.shape, (Shape{50, 20, 5, 5}));
  EXPECT_EQ(conv2.block, (std::vector<int64_t>{3, 7, 1, 1}));
  EXPECT_EQ(conv2.mask_format, io::MaskFormat::kBlockBitmask);
  EXPECT_EQ(conv2.mask_bytes, 160u);
  // A mask that is not block-uniform falls back to one bit per weight.
  compress::CompressedModel n = container_test::make_model("lenet5", {Form::kNonUniformBlock});
  auto nbytes = io::serialize_sieve(n);
  ASSERT_TRUE(nbytes.ok());
  auto ninfo = io::sieve_file_info(*nbytes);
  ASSERT_TRUE(ninfo.ok());
  EXPECT_EQ(ninfo->layers[1].mask_format, io::MaskFormat::kBitmask);
  EXPECT_EQ(ninfo->layers[1].mask_bytes, 50u * 20 * 25 / 8);
}

TEST(Container, EveryIndexFormatIsChosenSomewhereAndRoundTrips) {
  // Masks of different sparsity structure on lenet-300-100's weights; each is stored in the
  // smallest format, and the file decodes to the same masks.
  compress::CompressedModel base = container_test::make_model("lenet-300-100", {Form::kFineValues});
  std::set<io::MaskFormat> used;
  std::mt19937 rng(3);
  for (int variant = 0; variant < 6; ++variant) {
    compress::CompressedModel m = base;
    for (compress::CompressedLayer& l : m.layers) {
      l.mask = Tensor(DType::kU8, l.shape);
      uint8_t* p = l.mask.data<uint8_t>();
      const int64_t rows = l.rows(), cols = l.cols();
      for (int64_t i = 0; i < l.numel(); ++i) {
        const int64_t r = i / cols, c = i % cols;
        switch (variant) {
          case 0: p[i] = rng() % 2; break;                     // 50 %: bitmask
          case 1: p[i] = rng() % 10 == 0; break;               // 10 %: relative (+Huffman)
          case 2: p[i] = i == 5 || i == l.numel() - 1; break;  // two weights: COO-like
          case 3: p[i] = c == 0 && r % 2 == 0; break;          // column 0 only: CSC-like
          case 4: p[i] = r == 1 && rng() % 3 == 0; break;      // one row: CSR-like
          default: p[i] = (r / 4 + c / 4) % 3 == 0; break;     // 4x4 blocks
        }
      }
      l.block = variant == 5 ? std::vector<int64_t>{4, 4} : std::vector<int64_t>{1, 1};
      l.values.clear();
      const float* w = m.graph.initializers.at(l.weight).data<float>();
      for (int64_t i = 0; i < l.numel(); ++i) {
        if (p[i]) l.values.push_back(w[i] == 0 ? 1.0f : w[i]);
      }
      (void)rows;
    }
    ASSERT_TRUE(compress::decode(m).ok());
    auto bytes = io::serialize_sieve(m);
    ASSERT_TRUE(bytes.ok()) << bytes.status().to_string();
    auto info = io::sieve_file_info(*bytes);
    ASSERT_TRUE(info.ok()) << info.status().to_string();
    for (const io::SieveLayerInfo& l : info->layers) used.insert(l.mask_format);
    auto back = io::parse_sieve(*bytes, "m.sieve");
    ASSERT_TRUE(back.ok()) << "variant " << variant << ": " << back.status().to_string();
    expect_models_identical(m, *back);
  }
  std::string names;
  for (io::MaskFormat f : used) names += std::string(io::mask_format_name(f)) + " ";
  EXPECT_TRUE(used.count(io::MaskFormat::kBitmask)) << names;
  EXPECT_TRUE(used.count(io::MaskFormat::kBlockBitmask)) << names;
  EXPECT_TRUE(used.count(io::MaskFormat::kRelative) || used.count(io::MaskFormat::kRelativeHuffman))
      << names;
  EXPECT_TRUE(used.count(io::MaskFormat::kCsr) || used.count(io::MaskFormat::kCsc) ||
              used.count(io::MaskFormat::kCoo))
      << names;
  EXPECT_GE(used.size(), 5u) << names;
}

TEST(Container, EdgeCasesRoundTrip) {
  // No compressed layer at all; a layer with every weight pruned (quantized and not); a layer
  // with every weight kept through a mask.
  compress::CompressedModel none =
      container_test::make_model(container_test::tiny_graph(), {Form::kDenseValues});
  none.layers.clear();
  auto b0 = io::serialize_sieve(none);
  ASSERT_TRUE(b0.ok()) << b0.status().to_string();
  auto r0 = io::parse_sieve(*b0);
  ASSERT_TRUE(r0.ok()) << r0.status().to_string();
  expect_models_identical(none, *r0);

  compress::CompressedModel m = container_test::make_model(
      container_test::tiny_graph(), {Form::kFineQuantLocal, Form::kFineValues, Form::kFineQuant1});
  m.layers[0].mask = Tensor(DType::kU8, m.layers[0].shape);  // all pruned, 4-bit
  m.layers[0].codes.clear();
  // A region with no kept weight has an empty codebook (k-means has nothing to cluster).
  for (auto& book : m.layers[0].codebooks) book.clear();
  m.layers[1].mask = Tensor(DType::kU8, m.layers[1].shape);  // all pruned, values
  m.layers[1].values.clear();
  for (uint8_t& v : m.layers[2].mask.span<uint8_t>()) v = 1;  // all kept, 1-bit
  m.layers[2].codes.assign(static_cast<size_t>(m.layers[2].numel()), 1);
  ASSERT_TRUE(compress::decode(m).ok());
  auto b1 = io::serialize_sieve(m);
  ASSERT_TRUE(b1.ok()) << b1.status().to_string();
  auto r1 = io::parse_sieve(*b1);
  ASSERT_TRUE(r1.ok()) << r1.status().to_string();
  expect_models_identical(m, *r1);
  EXPECT_EQ(r1->layers[0].kept(), 0);
  EXPECT_EQ(r1->layers[2].kept(), r1->layers[2].numel());
}

TEST(Container, WriteReadAndLoadModel) {
  onnx_test::ScratchDir dir;
  compress::CompressedModel m = container_test::make_model("lenet5", kAllForms);
  const std::string path = dir.file("m.sieve");
  ASSERT_TRUE(io::write_sieve(m, path).ok());
  auto back = io::read_sieve(path);
  ASSERT_TRUE(back.ok()) << back.status().to_string();
  expect_models_identical(m, *back);
  // The model loader accepts .sieve files and returns the decoded graph.
  auto g = app::load_model(path);
  ASSERT_TRUE(g.ok()) << g.status().to_string();
  onnx_test::expect_graphs_equal(onnx_round_trip(m.graph), *g);
  // Only the file itself: no temporary left behind.
  int files = 0;
  for (const auto& e : std::filesystem::directory_iterator(dir.path())) {
    (void)e;
    ++files;
  }
  EXPECT_EQ(files, 1);
}

TEST(Container, FailedWriteLeavesTheOldFileAndNoTemporary) {
  onnx_test::ScratchDir dir;
  compress::CompressedModel m = container_test::make_model("lenet-300-100", kAllForms);
  const std::string path = dir.file("m.sieve");
  ASSERT_TRUE(io::write_sieve(m, path).ok());
  auto before = read_file(path);
  ASSERT_TRUE(before.ok());
  // A layer whose codes do not fit its codebook cannot be written: the old file stays.
  compress::CompressedModel bad = m;
  for (auto& l : bad.layers) {
    if (l.bits != 0) {
      l.codes[0] = static_cast<uint16_t>(l.codebooks[0].size());
      break;
    }
  }
  Status s = io::write_sieve(bad, path);
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.message().find(path), std::string::npos) << s.message();
  auto after = read_file(path);
  ASSERT_TRUE(after.ok());
  EXPECT_EQ(*after, *before);
  // Writing into a missing directory fails cleanly too.
  Status s2 = io::write_sieve(m, dir.file("no/such/dir/m.sieve"));
  EXPECT_FALSE(s2.ok());
  int files = 0;
  for (const auto& e : std::filesystem::directory_iterator(dir.path())) {
    (void)e;
    ++files;
  }
  EXPECT_EQ(files, 1);
}

TEST(Container, RefusesInconsistentModels) {
  compress::CompressedModel m = container_test::make_model("lenet-300-100", kAllForms);
  {
    compress::CompressedModel bad = m;
    bad.layers[0].weight = "no_such_weight";
    auto r = io::serialize_sieve(bad);
    ASSERT_FALSE(r.ok());
    EXPECT_NE(r.status().message().find("no_such_weight"), std::string::npos);
  }
  {
    compress::CompressedModel bad = m;
    bad.layers.push_back(bad.layers[0]);
    auto r = io::serialize_sieve(bad);
    ASSERT_FALSE(r.ok());
    EXPECT_NE(r.status().message().find("twice"), std::string::npos);
  }
  {
    compress::CompressedModel bad = m;
    bad.layers[0].values.pop_back();
    EXPECT_FALSE(io::serialize_sieve(bad).ok());
  }
}

}  // namespace
}  // namespace sieve
