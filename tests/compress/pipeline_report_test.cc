// Report arithmetic on hand-made CompressedModels: every byte count and ratio computed by hand
// (Deep Compression's golden rate example among them), the totals, and the JSON fields.
#include <gtest/gtest.h>

#include <cstring>

#include "sieve/compress/report.h"

namespace sieve::compress {
namespace {

// A graph with one FullyConnected node "fc" using fc.weight [rows, cols] and fc.bias [rows].
ir::Graph fc_graph(int64_t rows, int64_t cols) {
  ir::Graph g;
  ir::Node in;
  in.op = ir::OpKind::kInput;
  in.name = "x";
  in.outputs = {"x"};
  ir::Node fc;
  fc.op = ir::OpKind::kFullyConnected;
  fc.name = "fc";
  fc.inputs = {"x", "fc.weight", "fc.bias"};
  fc.outputs = {"y"};
  g.nodes = {in, fc};
  g.outputs = {"y"};
  g.initializers["fc.weight"] = Tensor(DType::kF32, {rows, cols});
  g.initializers["fc.bias"] = Tensor(DType::kF32, {rows});
  return g;
}

CompressedLayer quantized_layer(Shape shape, int bits, std::vector<float> book, int64_t kept) {
  CompressedLayer l;
  l.node = "fc";
  l.weight = "fc.weight";
  l.shape = shape;
  l.block.assign(shape.size(), 1);
  l.bits = bits;
  l.codebooks = {book};
  for (int64_t i = 0; i < kept; ++i) l.codes.push_back(static_cast<uint16_t>(i % book.size()));
  return l;
}

// Deep Compression §3 example: 16 dense f32 weights shared through 4 clusters (2-bit codes,
// 4 f32 centroids) take 16·32 / (16·2 + 4·32) = 3.2× less room.
TEST(PipelineReport, DeepCompressionGoldenRate) {
  CompressedModel m;
  m.graph = fc_graph(4, 4);
  m.layers.push_back(quantized_layer({4, 4}, 2, {-1.f, -0.5f, 0.5f, 1.f}, 16));
  m.entropy_coding = false;
  Result<Report> r = make_report(m);
  ASSERT_TRUE(r.ok()) << r.status().to_string();
  ASSERT_EQ(r->layers.size(), 1u);
  EXPECT_DOUBLE_EQ(r->dense_bytes, 64.0);
  EXPECT_DOUBLE_EQ(r->w_q, 4.0 + 16.0);  // 16 × 2 bits + 4 × 4 bytes
  EXPECT_DOUBLE_EQ(r->i_q, 0.0);         // dense: no index
  EXPECT_DOUBLE_EQ(r->ratio_q, 3.2);
  EXPECT_DOUBLE_EQ(r->ratio_c, 3.2);  // coding off: the writer packs the codes, c = q
  EXPECT_DOUBLE_EQ(r->ratio_p, 1.0);  // no pruning: f32 values, no index
  EXPECT_DOUBLE_EQ(r->bias_bytes, 16.0);
  EXPECT_EQ(r->layers[0].kind, "fc");
}

// A 4×8 FC weight pruned in 2×2 blocks: blocks (0,0) and (1,3) kept, 8 of 32 weights.
//   p: 8 × 4 B values + block bitmask (8 blocks → 8 bits = 1 B) = 33 B → 128 / 33
//   q: 2-bit codes (16 bits = 2 B) + one 4-entry f32 codebook (16 B) + 1 B index = 19 B
TEST(PipelineReport, BlockPrunedQuantizedLayerByHand) {
  CompressedModel m;
  m.graph = fc_graph(4, 8);
  CompressedLayer l = quantized_layer({4, 8}, 2, {-1.f, -0.5f, 0.5f, 1.f}, 8);
  l.block = {2, 2};
  l.mask = Tensor(DType::kU8, {4, 8});
  uint8_t* mk = l.mask.data<uint8_t>();
  for (int idx : {0, 1, 8, 9, 22, 23, 30, 31}) mk[idx] = 1;
  m.layers.push_back(l);
  m.entropy_coding = false;
  Result<Report> r = make_report(m);
  ASSERT_TRUE(r.ok()) << r.status().to_string();
  const LayerSizes& s = r->layers[0];
  EXPECT_EQ(s.weights, 32);
  EXPECT_EQ(s.kept, 8);
  EXPECT_DOUBLE_EQ(s.density(), 0.25);
  EXPECT_DOUBLE_EQ(s.weight_bytes_p, 32.0);
  EXPECT_DOUBLE_EQ(s.index_bytes_p, 1.0);
  EXPECT_EQ(s.index_format, "block-bitmask");  // the mask format the writer stores
  EXPECT_EQ(s.code_format, "packed");
  EXPECT_DOUBLE_EQ(s.weight_bytes_q, 18.0);
  EXPECT_DOUBLE_EQ(s.codebook_bytes, 16.0);
  EXPECT_DOUBLE_EQ(s.index_bytes_q, 1.0);
  EXPECT_DOUBLE_EQ(s.weight_bytes_c, 18.0);
  EXPECT_DOUBLE_EQ(s.index_bytes_c, 1.0);
  EXPECT_DOUBLE_EQ(s.bits_per_weight(), 8.0 * 19.0 / 8.0);
  EXPECT_DOUBLE_EQ(r->ratio_p, 128.0 / 33.0);
  EXPECT_DOUBLE_EQ(r->ratio_q, 128.0 / 19.0);
  EXPECT_DOUBLE_EQ(r->ratio_c, 128.0 / 19.0);
  EXPECT_DOUBLE_EQ(r->sparsity_fc, 0.75);
  EXPECT_LT(r->sparsity_conv, 0);  // no conv layer
  // The bitmask (32 bits = 4 B) is among the candidates and larger than the block index.
  bool saw_bitmask = false;
  for (const auto& [name, bytes] : s.index_candidates) {
    if (name == "bitmask") {
      saw_bitmask = true;
      EXPECT_DOUBLE_EQ(bytes, 4.0);
    }
  }
  EXPECT_TRUE(saw_bitmask);

  // With Huffman coding allowed the ratio is computed from what the writer then stores.
  m.entropy_coding = true;
  Result<Report> rc = make_report(m);
  ASSERT_TRUE(rc.ok()) << rc.status().to_string();
  EXPECT_DOUBLE_EQ(rc->ratio_c, 128.0 / (rc->w_c + rc->i_c));
  EXPECT_DOUBLE_EQ(rc->ratio_q, 128.0 / 19.0);
}

TEST(PipelineReport, SumsLayersAndSparsityPerKind) {
  Report r;
  LayerSizes conv;
  conv.kind = "conv";
  conv.weights = 100;
  conv.kept = 20;
  conv.weight_bytes_p = 80;
  conv.index_bytes_p = 13;
  conv.weight_bytes_q = 20;
  conv.index_bytes_q = 13;
  conv.weight_bytes_c = 15;
  conv.index_bytes_c = 10;
  LayerSizes fc;
  fc.kind = "fc";
  fc.weights = 300;
  fc.kept = 30;
  fc.weight_bytes_p = 120;
  fc.index_bytes_p = 7;
  fc.weight_bytes_q = 15;
  fc.index_bytes_q = 7;
  fc.weight_bytes_c = 10;
  fc.index_bytes_c = 5;
  r.layers = {conv, fc};
  sum_report(r);
  EXPECT_DOUBLE_EQ(r.dense_bytes, 1600.0);
  EXPECT_DOUBLE_EQ(r.w_p, 200.0);
  EXPECT_DOUBLE_EQ(r.i_p, 20.0);
  EXPECT_DOUBLE_EQ(r.w_q, 35.0);
  EXPECT_DOUBLE_EQ(r.i_q, 20.0);
  EXPECT_DOUBLE_EQ(r.w_c, 25.0);
  EXPECT_DOUBLE_EQ(r.i_c, 15.0);
  EXPECT_DOUBLE_EQ(r.ratio_p, 1600.0 / 220.0);
  EXPECT_DOUBLE_EQ(r.ratio_q, 1600.0 / 55.0);
  EXPECT_DOUBLE_EQ(r.ratio_c, 40.0);
  EXPECT_DOUBLE_EQ(r.sparsity_conv, 0.8);
  EXPECT_DOUBLE_EQ(r.sparsity_fc, 0.9);

  r.accuracy_dense = 0.9;
  r.accuracy = 0.895;
  r.r_irr = 9.5;
  // The file: 100 bytes, of which MASKS + CODEBOOKS + CODES + VALUES = 40 (STRUCTURE and the
  // rest are not weight sections).
  set_file_sections(r,
                    {{"META", 20},
                     {"MASKS", 15},
                     {"CODEBOOKS", 10},
                     {"CODES", 15},
                     {"VALUES", 0},
                     {"STRUCTURE", 4}},
                    1234, true, "m.sieve");
  EXPECT_EQ(r.sections_bytes, 40);
  EXPECT_DOUBLE_EQ(r.sections_ratio, 40.0);
  EXPECT_DOUBLE_EQ(r.file_ratio, 1600.0 / 1234.0);
  const nlohmann::json j = report_json(r);
  for (const char* key :
       {"ratio_p", "ratio_q", "ratio_c", "r_irr", "accuracy_dense", "accuracy", "file_bytes",
        "layers", "file_ratio", "sections_ratio", "sections_bytes", "sections", "file_written"}) {
    EXPECT_TRUE(j.contains(key)) << key;
  }
  EXPECT_DOUBLE_EQ(j["ratio_c"].get<double>(), 40.0);
  EXPECT_DOUBLE_EQ(j["r_irr"].get<double>(), 9.5);
  EXPECT_EQ(j["file_bytes"].get<int64_t>(), 1234);
  EXPECT_EQ(j["sections_bytes"].get<int64_t>(), 40);
  EXPECT_DOUBLE_EQ(j["sections_ratio"].get<double>(), 40.0);
  EXPECT_EQ(j["sections"]["CODES"].get<int64_t>(), 15);
  EXPECT_EQ(j["sections"]["STRUCTURE"].get<int64_t>(), 4);
  EXPECT_EQ(j["layers"].size(), 2u);
  EXPECT_EQ(j["layers"][1]["kind"], "fc");
  EXPECT_DOUBLE_EQ(j["layers"][1]["density"].get<double>(), 0.1);

  const std::string text = format_report(r);
  EXPECT_NE(text.find("40.0x"), std::string::npos) << text;
  EXPECT_NE(text.find("9.50x"), std::string::npos) << text;
  EXPECT_NE(text.find("C 80.00 %"), std::string::npos) << text;
  EXPECT_NE(text.find("F 90.00 %"), std::string::npos) << text;
  EXPECT_NE(text.find("-0.50 points"), std::string::npos) << text;
  // The file's ratios come first.
  EXPECT_EQ(text.find("file ratio 1.3x: dense weights 1600 B / written file 1234 B (m.sieve)"),
            text.find('\n') + 1)
      << text;
  EXPECT_NE(text.find("sections ratio 40.0x: dense weights / the file's weight and index "
                      "sections 40 B (MASKS 15 + CODEBOOKS 10 + CODES 15 + VALUES 0)"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find("header and section table 1170, META 20, STRUCTURE 4"), std::string::npos)
      << text;
}

TEST(PipelineReport, UnsetFieldsAreNullInJson) {
  Report r;
  const nlohmann::json j = report_json(r);
  EXPECT_TRUE(j["r_irr"].is_null());
  EXPECT_TRUE(j["file_bytes"].is_null());
  EXPECT_TRUE(j["file_ratio"].is_null());
  EXPECT_TRUE(j["sections_ratio"].is_null());
  EXPECT_TRUE(j["sections_bytes"].is_null());
  EXPECT_TRUE(j["accuracy"].is_null());
}

}  // namespace
}  // namespace sieve::compress
