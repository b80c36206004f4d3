// ESE on the LSTM classifier (compress/ese.h): the PE load and the relative-index count on
// hand-made masks, linear quantization, balanced per-PE counts exact after masked retraining,
// the ONNX form of the trained model, and the `sieve lstm` command's bad input.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <random>
#include <vector>

#include "cli_util.h"
#include "sieve/compress/ese.h"
#include "sieve/io/onnx/onnx.h"
#include "sieve/runtime/executor.h"
#include "sieve/train/lstm.h"

namespace sieve::compress {
namespace {

TEST(EseLstm, PeLoadOfAHandMadeMask) {
  // 4 x 3 over 2 PEs: rows 0, 2 on PE 0 (3 + 2 = 5), rows 1, 3 on PE 1 (1 + 0 = 1).
  const std::vector<uint8_t> keep = {1, 1, 1,  //
                                     1, 0, 0,  //
                                     1, 0, 1,  //
                                     0, 0, 0};
  auto l = pe_load(keep, 4, 3, 2);
  ASSERT_TRUE(l.ok()) << l.status().to_string();
  EXPECT_EQ(l->nonzeros, (std::vector<int64_t>{5, 1}));
  EXPECT_EQ(l->worst, 5);
  EXPECT_DOUBLE_EQ(l->mean, 3.0);
  EXPECT_DOUBLE_EQ(l->imbalance, 5.0 / 3.0);
  // One PE: balanced by definition.
  EXPECT_DOUBLE_EQ(pe_load(keep, 4, 3, 1)->imbalance, 1.0);
  const std::vector<uint8_t> none(12, 0);
  EXPECT_DOUBLE_EQ(pe_load(none, 4, 3, 2)->imbalance, 1.0);
  EXPECT_FALSE(pe_load(keep, 4, 3, 5).ok());  // more PEs than rows
  EXPECT_FALSE(pe_load(keep, 4, 4, 2).ok());  // wrong size
}

TEST(EseLstm, RelativeIndexCountOfHandMadeMasks) {
  // One row, one PE, 2-bit indices (a padding entry covers 4 positions): non-zeros at 0, 6 and
  // 15: gaps 0, 5, 8 -> 0 + 1 + 2 padding entries; the trailing zero needs none.
  std::vector<uint8_t> row(16, 0);
  row[0] = row[6] = row[15] = 1;
  auto c = relative_index_count(row, 1, 16, 1, 2);
  ASSERT_TRUE(c.ok()) << c.status().to_string();
  EXPECT_EQ(c->nonzeros, 3);
  EXPECT_EQ(c->padding, 3);
  EXPECT_EQ(c->bits(12, 2), 6 * 14);
  // The stream of a PE is its rows, column-major: 4 x 2 over 2 PEs, PE 0 holds rows 0 and 2.
  // PE 0 = (r0,c0)=0, (r2,c0)=0, (r0,c1)=1, (r2,c1)=0: a gap of 2 before its only non-zero,
  // one padding entry with 1-bit indices (row-major order would see a gap of 1: none).
  // PE 1 = rows 1 and 3, all kept: no padding.
  const std::vector<uint8_t> keep = {0, 1,  //
                                     1, 1,  //
                                     0, 0,  //
                                     1, 1};
  auto d = relative_index_count(keep, 4, 2, 2, 1);
  ASSERT_TRUE(d.ok());
  EXPECT_EQ(d->nonzeros, 5);
  EXPECT_EQ(d->padding, 1);
  // 4-bit indices: runs of up to 15 zeros need no padding, 16 need one, 32 two.
  std::vector<uint8_t> long_row(50, 0);
  long_row[15] = long_row[32] = long_row[49] = 1;  // gaps 15, 16, 16
  EXPECT_EQ(relative_index_count(long_row, 1, 50, 1, 4)->padding, 2);
  EXPECT_FALSE(relative_index_count(keep, 4, 2, 2, 0).ok());
}

TEST(EseLstm, LinearQuantizationKeepsZerosAndRounds) {
  std::vector<float> v = {0.0f, 1.0f, -0.4f, 0.3f, -1.0f};
  auto step = quantize_linear(v, 3);  // 3 levels each side: step 1/3
  ASSERT_TRUE(step.ok());
  EXPECT_FLOAT_EQ(*step, 1.0f / 3.0f);
  EXPECT_EQ(v[0], 0.0f);
  EXPECT_FLOAT_EQ(v[1], 1.0f);
  EXPECT_FLOAT_EQ(v[2], -1.0f / 3.0f);
  EXPECT_FLOAT_EQ(v[3], 1.0f / 3.0f);
  EXPECT_FLOAT_EQ(v[4], -1.0f);
  std::vector<float> zeros(3, 0.0f);
  EXPECT_EQ(*quantize_linear(zeros, 12), 0.0f);
  EXPECT_FALSE(quantize_linear(v, 1).ok());
  EXPECT_FALSE(quantize_linear(v, 17).ok());
}

TEST(EseLstm, CompressionCountOfHandMadeMasks) {
  // H = 1, I = 2: W is 4 x 2, R 4 x 1; 2 PEs (rows 0, 2 and rows 1, 3). Dense: 12 x 32 bits.
  auto m = train::LstmClassifier::create({.steps = 2, .input = 2, .hidden = 1, .classes = 2}, 3);
  ASSERT_TRUE(m.ok());
  LstmMasks masks;
  masks.w = Tensor(DType::kU8, {1, 4, 2});
  masks.r = Tensor(DType::kU8, {1, 4, 1});
  uint8_t* w = masks.w.data<uint8_t>();
  w[0 * 2 + 0] = w[1 * 2 + 1] = w[3 * 2 + 0] = 1;  // PE 0: 1, PE 1: 2
  masks.r.data<uint8_t>()[2] = 1;                  // PE 0: 1, PE 1: 0
  auto c = lstm_compression(*m, masks, 2, 12, 4);
  ASSERT_TRUE(c.ok()) << c.status().to_string();
  EXPECT_EQ(c->dense_bits, 12 * 32);
  EXPECT_EQ(c->compressed_bits, 4 * 16);  // 4 non-zeros, no gap over 15
  EXPECT_DOUBLE_EQ(c->ratio, 6.0);
  ASSERT_EQ(c->matrices.size(), 2u);
  EXPECT_DOUBLE_EQ(c->matrices[0].load.imbalance, 2.0 / 1.5);
  EXPECT_DOUBLE_EQ(c->matrices[1].load.imbalance, 2.0);
  EXPECT_DOUBLE_EQ(c->matrices[0].density, 3.0 / 8.0);
  // No masks: stored dense at 12 bits, no indices.
  auto d = lstm_compression(*m, {}, 2, 12, 4);
  ASSERT_TRUE(d.ok());
  EXPECT_EQ(d->compressed_bits, 12 * 12);
  EXPECT_DOUBLE_EQ(d->matrices[1].load.imbalance, 1.0);
}

// Random sequences and labels for a quick fit.
void random_data(int64_t n, int64_t per, Tensor* x, std::vector<uint8_t>* y, uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::uniform_real_distribution<float> u(0.0f, 1.0f);
  std::vector<float> v(static_cast<size_t>(n * per));
  for (float& f : v) f = u(rng);
  *x = Tensor::from_f32({n, per}, v);
  y->resize(static_cast<size_t>(n));
  for (uint8_t& l : *y) l = static_cast<uint8_t>(rng() % 3);
}

// The non-zeros of each PE of an actual weight (not its mask).
std::vector<int64_t> pe_nonzeros(const Tensor& w, int64_t pes) {
  const int64_t rows = w.shape()[1], cols = w.shape()[2];
  std::vector<int64_t> out(static_cast<size_t>(pes), 0);
  for (int64_t r = 0; r < rows; ++r)
    for (int64_t c = 0; c < cols; ++c)
      out[static_cast<size_t>(r % pes)] += w.data<float>()[r * cols + c] != 0.0f;
  return out;
}

TEST(EseLstm, BalancedCountsStayExactThroughRetraining) {
  // H = 8: W [1, 32, 5], R [1, 32, 8] over 4 PEs at density 0.25: every PE keeps
  // 0.25 x 160 / 4 = 10 of W and 0.25 x 256 / 4 = 16 of R, before and after a masked epoch.
  const train::LstmShape shape{.steps = 4, .input = 5, .hidden = 8, .classes = 3};
  auto m = train::LstmClassifier::create(shape, 5);
  ASSERT_TRUE(m.ok());
  Tensor x;
  std::vector<uint8_t> y;
  random_data(48, 20, &x, &y, 9);
  train::LstmFitOptions fo;
  fo.epochs = 1;
  fo.batch = 16;
  ASSERT_TRUE(m->fit(x, y, fo).ok());
  auto masks = prune_lstm(*m, LstmPruneMethod::kBalanced, 0.25, 4);
  ASSERT_TRUE(masks.ok()) << masks.status().to_string();
  const Tensor w_before = m->parameters()[train::LstmClassifier::kW].value.clone();
  const std::vector<const uint8_t*> pm = masks->per_parameter();
  ASSERT_TRUE(m->fit(x, y, fo, pm).ok());
  const Tensor& W = m->parameters()[train::LstmClassifier::kW].value;
  const Tensor& R = m->parameters()[train::LstmClassifier::kR].value;
  EXPECT_EQ(pe_nonzeros(W, 4), (std::vector<int64_t>(4, 10)));
  EXPECT_EQ(pe_nonzeros(R, 4), (std::vector<int64_t>(4, 16)));
  // The weights did train, and the pruned ones stayed exactly zero.
  bool moved = false;
  for (int64_t i = 0; i < W.numel(); ++i) {
    if (masks->w.data<uint8_t>()[i] == 0) {
      EXPECT_EQ(W.data<float>()[i], 0.0f) << i;
    }
    moved = moved || W.data<float>()[i] != w_before.data<float>()[i];
  }
  EXPECT_TRUE(moved);
  auto c = lstm_compression(*m, *masks, 4, 12, 4);
  ASSERT_TRUE(c.ok());
  EXPECT_DOUBLE_EQ(c->matrices[0].load.imbalance, 1.0);
  EXPECT_DOUBLE_EQ(c->matrices[1].load.imbalance, 1.0);
  // A second step keeps the first step's zeros and stays balanced.
  auto again = prune_lstm(*m, LstmPruneMethod::kBalanced, 0.125, 4, *masks);
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(pe_nonzeros(W, 4), (std::vector<int64_t>(4, 5)));
  for (int64_t i = 0; i < W.numel(); ++i) {
    if (masks->w.data<uint8_t>()[i] == 0) {
      EXPECT_EQ(again->w.data<uint8_t>()[i], 0) << i;
    }
  }
  // Unbalanced magnitude pruning reaches the same density, not the same per-PE counts.
  auto u = train::LstmClassifier::create(shape, 5);
  ASSERT_TRUE(u.ok());
  auto um = prune_lstm(*u, LstmPruneMethod::kUnbalanced, 0.25, 4);
  ASSERT_TRUE(um.ok());
  auto uc = lstm_compression(*u, *um, 4, 12, 4);
  ASSERT_TRUE(uc.ok());
  EXPECT_EQ(uc->matrices[0].storage.nonzeros, 40);
  EXPECT_GE(uc->matrices[0].load.imbalance, 1.0);
  // Bad settings name the value.
  auto bad = prune_lstm(*u, LstmPruneMethod::kBalanced, 0.0, 4);
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.status().message().find("density = 0"), std::string::npos);
  auto many = prune_lstm(*u, LstmPruneMethod::kBalanced, 0.5, 33);
  ASSERT_FALSE(many.ok());
  EXPECT_NE(many.status().message().find("pes = 33"), std::string::npos);
}

TEST(EseLstm, TheTrainedModelRunsAsAnOnnxLstm) {
  // The classifier as a graph (LSTM layout 1 + Flatten + FullyConnected), through ONNX and back,
  // gives the classifier's own logits on the reference engine.
  const train::LstmShape shape{.steps = 3, .input = 4, .hidden = 5, .classes = 3};
  auto m = train::LstmClassifier::create(shape, 2);
  ASSERT_TRUE(m.ok());
  ASSERT_TRUE(prune_lstm(*m, LstmPruneMethod::kBalanced, 0.5, 4).ok());
  Tensor x;
  std::vector<uint8_t> y;
  random_data(2, 12, &x, &y, 3);
  const float* logits = m->forward(x.data<float>(), 2);
  auto g = m->to_graph(2);
  ASSERT_TRUE(g.ok()) << g.status().to_string();
  auto bytes = io::export_onnx_bytes(*g);
  ASSERT_TRUE(bytes.ok()) << bytes.status().to_string();
  auto back = io::import_onnx_bytes(*bytes);
  ASSERT_TRUE(back.ok()) << back.status().to_string();
  runtime::TensorMap feeds;
  feeds["input"] = x.reshaped({2, 3, 4});
  auto out = runtime::run_graph(*back, feeds);
  ASSERT_TRUE(out.ok()) << out.status().to_string();
  const Tensor& o = out->at("fc");
  ASSERT_EQ(o.numel(), 6);
  for (int64_t i = 0; i < 6; ++i) EXPECT_NEAR(o.data<float>()[i], logits[i], 1e-5) << i;
}

TEST(EseLstm, TheCliRefusesBadSettingsNamingTheOption) {
  struct Case {
    std::string args, message;
  };
  const std::vector<Case> cases = {
      {"--density 0", "--density 0: must be in (0, 1]"},
      {"--density 1.5", "--density 1.5: must be in (0, 1]"},
      {"--density 0.1,x", "--density: \"x\" is not a number"},
      {"--pes 0", "--pes 0: must be in [1, 256]"},
      {"--pes 257", "--pes 257: must be in [1, 256]"},
      {"--hidden 8 --pes 33", "--pes 33: must be in [1, 32]"},
      {"--hidden 0", "--hidden 0: must be positive"},
      {"--hidden -3", "--hidden -3: must be positive"},
      {"--prune balanced,pruny", "--prune: unknown pruning \"pruny\""},
  };
  for (const Case& c : cases) {
    const sieve_test::CliRun r = sieve_test::run_sieve("lstm " + c.args);
    EXPECT_EQ(r.rc, 1) << c.args << "\n" << r.out;
    EXPECT_NE(r.stderr_only.find(c.message), std::string::npos) << c.args << "\n" << r.out;
  }
}

TEST(EseLstm, TheCliRefusesADatasetTooShortForTheSequence) {
  // 30 steps of 28 values need 840 per example; a Fashion-MNIST image holds 784.
  const sieve_test::CliRun r = sieve_test::run_sieve(
      "lstm --time-steps 30 --hidden 4 --pes 4 --epochs 1 --train-limit 16 --test-limit 16 "
      "--data-dir " +
      sieve_test::kTinyFashionMnistDir);
  EXPECT_EQ(r.rc, 1) << r.out;
  EXPECT_NE(r.stderr_only.find("--time-steps 30 x --step-inputs 28"), std::string::npos) << r.out;
  EXPECT_NE(r.stderr_only.find("784"), std::string::npos) << r.out;
  EXPECT_NE(r.stderr_only.find("840"), std::string::npos) << r.out;
  EXPECT_NE(r.stderr_only.find("sequence length"), std::string::npos) << r.out;
}

class EseLstmCli : public sieve_test::ScratchDirTest {};

TEST_F(EseLstmCli, RunsOnATinySubsetAndSavesTheModel) {
  const std::string onnx = (dir_ / "lstm.onnx").string();
  const sieve_test::CliRun r = sieve_test::run_sieve(
      "lstm --hidden 4 --pes 4 --density 0.25 --epochs 1 --retrain-epochs 1 --prune-steps 2 "
      "--train-limit 64 --test-limit 32 --json --save " +
      onnx + " --data-dir " + sieve_test::kTinyFashionMnistDir);
  ASSERT_EQ(r.rc, 0) << r.out;
  const nlohmann::json j = nlohmann::json::parse(r.stdout_only);
  ASSERT_EQ(j["variants"].size(), 3u);
  EXPECT_EQ(j["variants"][0]["prune"], "none");
  EXPECT_EQ(j["variants"][2]["prune"], "balanced");
  for (const auto& m : j["variants"][2]["compression"]["matrices"])
    EXPECT_DOUBLE_EQ(m["imbalance"].get<double>(), 1.0) << m.dump();
  // W of H = 4 and I = 28: 16 x 28 = 448 weights, 0.25 x 448 / 4 = 28 per PE.
  EXPECT_EQ(j["variants"][2]["compression"]["matrices"][0]["nonzeros"], 112);
  auto back = io::import_onnx(onnx);
  ASSERT_TRUE(back.ok()) << back.status().to_string();
  const Tensor* w = back->initializer("lstm.W");
  ASSERT_NE(w, nullptr);
  int64_t nz = 0;
  for (float v : w->span<float>()) nz += v != 0.0f;
  EXPECT_EQ(nz, 112);
}

}  // namespace
}  // namespace sieve::compress
