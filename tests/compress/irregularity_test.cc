#include "sieve/compress/irregularity.h"

#include <gtest/gtest.h>

#include <cstdio>
#include <fstream>
#include <random>

#include "compress/container_test_util.h"
#include "unit/onnx_test_util.h"

namespace sieve::compress {
namespace {

Tensor fine_mask(Shape shape, double keep, uint32_t seed) {
  Tensor m(DType::kU8, std::move(shape));
  std::mt19937 rng(seed);
  std::bernoulli_distribution b(keep);
  for (uint8_t& v : m.span<uint8_t>()) v = b(rng) ? 1 : 0;
  return m;
}

// Blocks of br x bc kept with probability `keep`.
Tensor coarse_mask(Shape shape, int64_t br, int64_t bc, double keep, uint32_t seed) {
  Tensor m(DType::kU8, shape);
  std::mt19937 rng(seed);
  std::bernoulli_distribution b(keep);
  const int64_t rows = shape[0], cols = m.numel() / rows;
  for (int64_t r0 = 0; r0 < rows; r0 += br) {
    for (int64_t c0 = 0; c0 < cols; c0 += bc) {
      const uint8_t k = b(rng) ? 1 : 0;
      for (int64_t r = r0; r < std::min(rows, r0 + br); ++r) {
        for (int64_t c = c0; c < std::min(cols, c0 + bc); ++c) m.data<uint8_t>()[r * cols + c] = k;
      }
    }
  }
  return m;
}

double density(const Tensor& m) {
  int64_t k = 0;
  for (uint8_t v : m.span<uint8_t>()) k += v;
  return static_cast<double>(k) / static_cast<double>(m.numel());
}

TEST(Jbig, BlockMaskCompressesFarBetterThanRandomOfSameDensity) {
  const Tensor fine = fine_mask({300, 784}, 0.1, 1);
  const Tensor coarse = coarse_mask({300, 784}, 8, 8, 0.1, 2);
  EXPECT_NEAR(density(fine), density(coarse), 0.02);
  auto f = jbig_bytes(fine);
  auto c = jbig_bytes(coarse);
  ASSERT_TRUE(f.ok()) << f.status().to_string();
  ASSERT_TRUE(c.ok()) << c.status().to_string();
  // A random 10 % mask carries ~0.47 bits of entropy per pixel: ~13.8 KB at best.
  EXPECT_GT(*f, 10000);
  EXPECT_LT(*f, 17000);
  EXPECT_GT(*f, 8 * *c) << "fine " << *f << " coarse " << *c;
  auto r = r_irr({fine}, {coarse});
  ASSERT_TRUE(r.ok());
  EXPECT_DOUBLE_EQ(*r, static_cast<double>(*f) / static_cast<double>(*c));
}

TEST(Jbig, IdenticalMasksGiveOne) {
  std::vector<Tensor> masks = {fine_mask({100, 300}, 0.2, 3), fine_mask({20, 1, 5, 5}, 0.5, 4)};
  auto r = r_irr(masks, masks);
  ASSERT_TRUE(r.ok()) << r.status().to_string();
  EXPECT_EQ(*r, 1.0);
}

TEST(Jbig, AllZeroAndAllOneImagesAreTiny) {
  Tensor zeros(DType::kU8, {512, 512});
  auto z = jbig_bytes(zeros);
  ASSERT_TRUE(z.ok());
  EXPECT_LT(*z, 100);  // a 20-byte header plus a few bytes of arithmetic code
  EXPECT_GE(*z, 20);
}

TEST(Jbig, ErrorsNameTheProblem) {
  auto r = r_irr({fine_mask({4, 4}, 0.5, 1)}, {fine_mask({4, 5}, 0.5, 1)});
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("[4,5]"), std::string::npos) << r.status().message();
  EXPECT_FALSE(r_irr({}, {}).ok());
  EXPECT_FALSE(jbig_bytes(Tensor(DType::kF32, {2, 2})).ok());
}

TEST(Jbig, MatchesPbmtojbgSequentialOutput) {
  // The library defaults are sequential coding with one layer: `pbmtojbg -q`.
  FILE* probe = std::fopen("/usr/bin/pbmtojbg", "rb");
  if (probe == nullptr) GTEST_SKIP() << "pbmtojbg (jbigkit-bin) not installed";
  std::fclose(probe);
  onnx_test::ScratchDir dir;
  const Tensor m = fine_mask({61, 203}, 0.15, 9);
  const std::string pbm = dir.file("m.pbm"), jbg = dir.file("m.jbg");
  {
    std::ofstream out(pbm, std::ios::binary);
    out << "P4\n203 61\n";
    const int64_t stride = (203 + 7) / 8;
    for (int64_t r = 0; r < 61; ++r) {
      std::string line(static_cast<size_t>(stride), '\0');
      for (int64_t c = 0; c < 203; ++c) {
        if (m.data<uint8_t>()[r * 203 + c])
          line[c / 8] = static_cast<char>(line[c / 8] | (0x80 >> (c % 8)));
      }
      out << line;
    }
  }
  const std::string cmd = "/usr/bin/pbmtojbg -q " + pbm + " " + jbg;
  ASSERT_EQ(std::system(cmd.c_str()), 0) << cmd;
  std::ifstream in(jbg, std::ios::binary);
  const std::string want((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  auto got = jbig_encode(m.data<uint8_t>(), 61, 203);
  ASSERT_TRUE(got.ok());
  EXPECT_EQ(got->size(), want.size());
  EXPECT_EQ(*got, want);
}

TEST(Irregularity, PairsLayersByNameAndSums) {
  CompressedModel fine, coarse;
  for (int i = 0; i < 2; ++i) {
    CompressedLayer l;
    l.weight = "w" + std::to_string(i);
    l.shape = {64, 96};
    l.mask = fine_mask(l.shape, 0.1, static_cast<uint32_t>(10 + i));
    fine.layers.push_back(l);
    l.mask = coarse_mask(l.shape, 4, 4, 0.1, static_cast<uint32_t>(20 + i));
    coarse.layers.insert(coarse.layers.begin(), l);  // other order: pairing is by name
  }
  auto r = irregularity(fine, coarse);
  ASSERT_TRUE(r.ok()) << r.status().to_string();
  ASSERT_EQ(r->layers.size(), 2u);
  EXPECT_EQ(r->layers[0].weight, "w0");
  EXPECT_EQ(r->fine_bytes, r->layers[0].fine_bytes + r->layers[1].fine_bytes);
  EXPECT_EQ(r->coarse_bytes, r->layers[0].coarse_bytes + r->layers[1].coarse_bytes);
  EXPECT_EQ(r->layers[0].fine_bytes, *jbig_bytes(fine.layers[0].mask));
  EXPECT_GT(r->r_irr, 3.0);
  // A dense layer counts as an all-ones image.
  CompressedLayer dense;
  dense.weight = "w0";
  dense.shape = {64, 96};
  Tensor ones(DType::kU8, dense.shape);
  for (uint8_t& v : ones.span<uint8_t>()) v = 1;
  EXPECT_EQ(*jbig_bytes(dense), *jbig_bytes(ones));
  coarse.layers.pop_back();
  coarse.layers.pop_back();
  auto missing = irregularity(fine, coarse);
  ASSERT_FALSE(missing.ok());
  EXPECT_NE(missing.status().message().find("'w0'"), std::string::npos);
}

TEST(LocalConvergence, CountsLargeWeightsPerWindowOnACraftedMatrix) {
  // 10 x 10 matrix of small values with one 2 x 5 patch of large ones (rows 2-3, cols 1-5):
  // exactly the 10 % above the 90th percentile.
  std::vector<float> w(100, 0.01f);
  for (int r = 2; r < 4; ++r) {
    for (int c = 1; c < 6; ++c) w[static_cast<size_t>(r * 10 + c)] = (r + c) % 2 ? -1.0f : 1.0f;
  }
  const Tensor t = Tensor::from_f32({10, 10}, w);
  auto lc = local_convergence(t);
  ASSERT_TRUE(lc.ok()) << lc.status().to_string();
  EXPECT_EQ(lc->window, (std::vector<int64_t>{4, 4}));
  EXPECT_EQ(lc->window_size, 16);
  EXPECT_EQ(lc->large, 10);
  EXPECT_FLOAT_EQ(lc->threshold, 0.01f);
  EXPECT_EQ(lc->windows, 49);  // 7 x 7 positions
  EXPECT_EQ(lc->max_large, 8);
  ASSERT_EQ(lc->histogram.size(), 17u);
  // 8 large: window rows start 0..2 (covering rows 2-3), columns start 1 or 2 (4 of the 5
  // patch columns).
  EXPECT_EQ(lc->histogram[8], 6);
  // 0 large: row start 4..6 (21 windows) plus row start 0..3 with column start 6 (4).
  EXPECT_EQ(lc->histogram[0], 25);
  int64_t total = 0;
  for (int64_t h : lc->histogram) total += h;
  EXPECT_EQ(total, 49);
  // Stride 4: windows at rows/cols {0, 4}: (0,0) holds patch columns 1-3 (6), (0,4) columns
  // 4-5 (4), the two lower ones nothing.
  auto tiles = local_convergence(t, {.window = {}, .percentile = 90, .stride = 4});
  ASSERT_TRUE(tiles.ok());
  EXPECT_EQ(tiles->windows, 4);
  EXPECT_EQ(tiles->histogram[6], 1);
  EXPECT_EQ(tiles->histogram[4], 1);
  EXPECT_EQ(tiles->histogram[0], 2);
  EXPECT_EQ(tiles->max_large, 6);
}

TEST(LocalConvergence, ConvWindowIs2x2x2x2AndRandomInitStaysLow) {
  EXPECT_EQ(default_window({50, 20, 5, 5}), (std::vector<int64_t>{2, 2, 2, 2}));
  EXPECT_EQ(local_convergence_view({1, 4096, 153}), (Shape{4096, 153}));
  // Random init: large weights are independent, so a 16-weight window holding 10 of them is
  // essentially impossible (binomial tail ~1e-8 per window).
  const Tensor r = random_init_like({300, 784}, 5);
  auto lc = local_convergence(r);
  ASSERT_TRUE(lc.ok());
  EXPECT_NEAR(static_cast<double>(lc->large) / static_cast<double>(r.numel()), 0.1, 0.001);
  EXPECT_LT(lc->max_large, 10);
  // The mean count per window is 16 * 0.1.
  double mean = 0;
  for (size_t c = 0; c < lc->histogram.size(); ++c) {
    mean += static_cast<double>(c) * static_cast<double>(lc->histogram[c]);
  }
  mean /= static_cast<double>(lc->windows);
  EXPECT_NEAR(mean, 1.6, 0.05);
  // A conv weight with a crafted 2x2x2x2 cluster of large values reaches the full window.
  Tensor conv = random_init_like({8, 4, 3, 3}, 6);
  float* p = conv.data<float>();
  for (int m = 0; m < 2; ++m)
    for (int c = 0; c < 2; ++c)
      for (int y = 0; y < 2; ++y)
        for (int x = 0; x < 2; ++x) p[((m * 4 + c) * 3 + y) * 3 + x] = 10.0f;
  auto cc = local_convergence(conv);
  ASSERT_TRUE(cc.ok());
  EXPECT_EQ(cc->window_size, 16);
  EXPECT_EQ(cc->max_large, 16);
  EXPECT_EQ(cc->windows, 7 * 3 * 2 * 2);
}

TEST(LocalConvergence, Errors) {
  EXPECT_FALSE(local_convergence(Tensor(DType::kU8, {4, 4})).ok());
  EXPECT_FALSE(local_convergence(random_init_like({4, 4}), {.window = {2}}).ok());
  EXPECT_FALSE(local_convergence(random_init_like({4, 4}), {.window = {}, .percentile = 100}).ok());
  EXPECT_FALSE(
      local_convergence(random_init_like({4, 4}), {.window = {}, .percentile = 90, .stride = 0})
          .ok());
}

}  // namespace
}  // namespace sieve::compress
