#include <gtest/gtest.h>

#include <cmath>
#include <random>

#include "sieve/compress/quant/activation.h"
#include "sieve/compress/quant/kmeans.h"
#include "sieve/compress/quant/quantize.h"

namespace sieve::compress::quant {
namespace {

std::vector<float> normal(size_t n, uint64_t seed, float sd = 0.1f) {
  std::mt19937_64 rng(seed);
  std::normal_distribution<float> d(0.0f, sd);
  std::vector<float> v(n);
  for (float& x : v) x = d(rng);
  return v;
}

TEST(KMeans, LinearInitAndLloydOnSeparatedClusters) {
  // Three tight groups: k-means must find their means exactly.
  const std::vector<float> v = {-1.0f, -1.1f, -0.9f, 0.0f, 0.1f, -0.1f, 2.0f, 2.2f, 1.8f};
  Result<KMeansResult> r = kmeans_1d(v, 3);
  ASSERT_TRUE(r.ok());
  ASSERT_EQ(r->centroids.size(), 3u);
  EXPECT_NEAR(r->centroids[0], -1.0f, 1e-6);
  EXPECT_NEAR(r->centroids[1], 0.0f, 1e-6);
  EXPECT_NEAR(r->centroids[2], 2.0f, 1e-6);
  EXPECT_EQ(r->codes, (std::vector<uint16_t>{0, 0, 0, 1, 1, 1, 2, 2, 2}));
  EXPECT_NEAR(r->sse, 4 * 0.01 + 2 * 0.04, 1e-6);
}

TEST(KMeans, EveryValueGoesToItsNearestCentroidAndIsDeterministic) {
  const std::vector<float> v = normal(5000, 1);
  Result<KMeansResult> a = kmeans_1d(v, 16);
  Result<KMeansResult> b = kmeans_1d(v, 16);
  ASSERT_TRUE(a.ok());
  EXPECT_EQ(a->codes, b->codes);
  EXPECT_EQ(a->centroids, b->centroids);
  for (size_t j = 1; j < a->centroids.size(); ++j) EXPECT_LE(a->centroids[j - 1], a->centroids[j]);
  double sse = 0.0;
  for (size_t i = 0; i < v.size(); ++i) {
    const float c = a->centroids[a->codes[i]];
    for (float o : a->centroids) ASSERT_LE(std::fabs(v[i] - c), std::fabs(v[i] - o) + 1e-7f);
    sse += (v[i] - c) * (v[i] - c);
  }
  EXPECT_NEAR(a->sse, sse, 1e-6 * sse + 1e-9);
  // Each centroid is the mean of its values (Lloyd converged).
  for (size_t j = 0; j < a->centroids.size(); ++j) {
    double s = 0.0;
    int n = 0;
    for (size_t i = 0; i < v.size(); ++i) {
      if (a->codes[i] == j) s += v[i], ++n;
    }
    if (n > 0) {
      EXPECT_NEAR(a->centroids[j], s / n, 1e-5) << j;
    }
  }
}

TEST(KMeans, DistortionFallsWithBits) {
  const std::vector<float> v = normal(4000, 2);
  double prev = 1e30;
  for (int bits = 1; bits <= 6; ++bits) {
    Result<KMeansResult> r = kmeans_1d(v, 1 << bits);
    ASSERT_TRUE(r.ok());
    EXPECT_LT(r->sse, prev * 0.6) << bits;  // roughly quartered per bit
    prev = r->sse;
  }
}

TEST(KMeans, EdgeCases) {
  EXPECT_TRUE(kmeans_1d({}, 4)->centroids.empty());
  const std::vector<float> two = {3.0f, 5.0f};
  Result<KMeansResult> r = kmeans_1d(two, 16);  // fewer values than clusters
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->centroids, (std::vector<float>{3.0f, 5.0f}));
  EXPECT_EQ(r->sse, 0.0);
  EXPECT_FALSE(kmeans_1d(two, 0).ok());
  const std::vector<float> bad = {1.0f, NAN};
  EXPECT_FALSE(kmeans_1d(bad, 2).ok());
}

CompressedLayer layer_of(Shape shape) {
  CompressedLayer l;
  l.node = "fc";
  l.weight = "fc.w";
  l.shape = shape;
  return l;
}

TEST(Quantize, KeptWeightsDecodeToTheirCentroidAndPrunedStayZero) {
  CompressedLayer l = layer_of({8, 10});
  const std::vector<float> v = normal(80, 4);
  const Tensor w = Tensor::from_f32({8, 10}, v);
  l.mask = Tensor(DType::kU8, {8, 10});
  for (int i = 0; i < 80; ++i) l.mask.data<uint8_t>()[i] = (i % 3 != 0);
  ASSERT_TRUE(quantize_layer(l, w, {.bits = 2}).ok());
  EXPECT_EQ(l.bits, 2);
  ASSERT_EQ(l.codebooks.size(), 1u);
  EXPECT_EQ(l.codebooks[0].size(), 4u);
  EXPECT_EQ(static_cast<int64_t>(l.codes.size()), l.kept());
  Result<Tensor> d = decode_layer(l);
  ASSERT_TRUE(d.ok());
  int64_t k = 0;
  for (int i = 0; i < 80; ++i) {
    if (i % 3 == 0) {
      EXPECT_EQ(d->data<float>()[i], 0.0f);
      continue;
    }
    const float c = l.codebooks[0][l.codes[static_cast<size_t>(k++)]];
    EXPECT_EQ(d->data<float>()[i], c);
    for (float o : l.codebooks[0]) EXPECT_LE(std::fabs(v[i] - c), std::fabs(v[i] - o) + 1e-7f);
  }
  // The k-means of the same values gives the same codebook.
  std::vector<float> kept;
  for (int i = 0; i < 80; ++i) {
    if (i % 3 != 0) kept.push_back(v[i]);
  }
  EXPECT_EQ(kmeans_1d(kept, 4)->centroids, l.codebooks[0]);
}

TEST(Quantize, LocalBeatsGlobalOnRegionalStructure) {
  // Four quadrants with very different scales and offsets: one codebook per quadrant fits
  // them far better than one shared codebook of the same size.
  const int64_t n = 64;
  Tensor w(DType::kF32, {n, n});
  std::mt19937_64 rng(5);
  std::normal_distribution<float> d(0.0f, 1.0f);
  const float offset[4] = {-3.0f, 0.0f, 2.0f, 7.0f};
  const float scale[4] = {0.01f, 0.5f, 0.05f, 1.0f};
  for (int64_t r = 0; r < n; ++r)
    for (int64_t c = 0; c < n; ++c) {
      const int q = static_cast<int>((r / (n / 2)) * 2 + c / (n / 2));
      w.data<float>()[r * n + c] = offset[q] + scale[q] * d(rng);
    }
  CompressedLayer global = layer_of({n, n});
  CompressedLayer local = layer_of({n, n});
  ASSERT_TRUE(quantize_layer(global, w, {.bits = 3}).ok());
  ASSERT_TRUE(quantize_layer(local, w, {.bits = 3, .region_rows = 2, .region_cols = 2}).ok());
  EXPECT_EQ(local.codebooks.size(), 4u);
  const double eg = quantization_error(global, w)->sse;
  const double el = quantization_error(local, w)->sse;
  EXPECT_LT(el, 0.5 * eg) << "local " << el << " global " << eg;
  // Every region's codes decode through its own codebook.
  Result<Tensor> dl = decode_layer(local);
  ASSERT_TRUE(dl.ok());
  EXPECT_NEAR(dl->data<float>()[0], -3.0f, 0.1f);
  EXPECT_NEAR(dl->data<float>()[n * n - 1], 7.0f, 4.0f);
}

TEST(Quantize, EmptyRegionGetsEmptyCodebookAndErrors) {
  CompressedLayer l = layer_of({4, 4});
  l.mask = Tensor(DType::kU8, {4, 4});
  for (int i = 0; i < 8; ++i) l.mask.data<uint8_t>()[i] = 1;  // top half only
  const Tensor w = Tensor::from_f32({4, 4}, normal(16, 6));
  ASSERT_TRUE(quantize_layer(l, w, {.bits = 4, .region_rows = 2}).ok());
  EXPECT_EQ(l.codebooks[0].size(), 8u);  // min(16, 8 kept)
  EXPECT_TRUE(l.codebooks[1].empty());
  EXPECT_TRUE(decode_layer(l).ok());
  EXPECT_FALSE(quantize_layer(l, w, {.bits = 0}).ok());
  EXPECT_FALSE(quantize_layer(l, w, {.bits = 4, .region_rows = 5}).ok());
  EXPECT_FALSE(quantize_layer(l, Tensor::from_f32({2, 8}, normal(16, 1)), {}).ok());
}

TEST(Quantize, UnquantizedAndDefaults) {
  CompressedLayer l = layer_of({2, 3});
  l.mask = Tensor(DType::kU8, {2, 3});
  l.mask.data<uint8_t>()[1] = 1;
  l.mask.data<uint8_t>()[5] = 1;
  const Tensor w = Tensor::from_f32({2, 3}, {1, 2, 3, 4, 5, 6});
  ASSERT_TRUE(store_unquantized(l, w).ok());
  EXPECT_EQ(l.bits, 0);
  EXPECT_EQ(l.values, (std::vector<float>{2, 6}));
  EXPECT_EQ(default_bits(ir::OpKind::kFullyConnected), 4);
  EXPECT_EQ(default_bits(ir::OpKind::kConv), 8);
}

TEST(Ternary, ThresholdAndScales) {
  CompressedLayer l = layer_of({1, 6});
  const Tensor w = Tensor::from_f32({1, 6}, {1.0f, 0.6f, 0.01f, -0.02f, -0.4f, -0.8f});
  ASSERT_TRUE(ternarize_layer(l, w, {.threshold = 0.05}).ok());  // Δ = 0.05
  EXPECT_EQ(l.bits, 2);
  EXPECT_EQ(l.codes, (std::vector<uint16_t>{2, 2, 1, 1, 0, 0}));
  ASSERT_EQ(l.codebooks.size(), 1u);
  EXPECT_FLOAT_EQ(l.codebooks[0][0], -0.6f);
  EXPECT_FLOAT_EQ(l.codebooks[0][1], 0.0f);
  EXPECT_FLOAT_EQ(l.codebooks[0][2], 0.8f);
  Result<Tensor> d = decode_layer(l);
  ASSERT_TRUE(d.ok());
  EXPECT_FLOAT_EQ(d->data<float>()[5], -0.6f);
}

TEST(ActivationFormat, FracBitsFitInt16) {
  EXPECT_EQ(choose_frac_bits(0.0), 15);
  EXPECT_EQ(choose_frac_bits(0.9), 15);
  EXPECT_EQ(choose_frac_bits(1.0), 14);  // 1.0 · 2^15 = 32768 overflows
  EXPECT_EQ(choose_frac_bits(3.5), 13);
  EXPECT_EQ(choose_frac_bits(255.0), 7);
  EXPECT_EQ(choose_frac_bits(40000.0), -1);
  for (double m : {0.001, 0.7, 1.0, 12.3, 1000.0, 32767.0}) {
    const int f = choose_frac_bits(m);
    EXPECT_LE(std::ldexp(m, f), 32767.0) << m;
    if (f < 15) {
      EXPECT_GT(std::ldexp(m, f + 1), 32767.0) << m;
    }
  }
}

}  // namespace
}  // namespace sieve::compress::quant
