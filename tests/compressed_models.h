// Compressed zoo models with random weights for tests: each named weight pruned and quantized as
// planned (block or magnitude pruning; local quantization by evenly spaced codebooks, which fill
// every code width fast, or the real k-means quantizer), activation formats calibrated. Shared by
// the functional-model, program-executor and CPU-runtime tests.
#pragma once

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <map>
#include <random>
#include <string>
#include <vector>

#include "sieve/compress/model.h"
#include "sieve/compress/prune/prune.h"
#include "sieve/compress/quant/activation.h"
#include "sieve/compress/quant/quantize.h"
#include "sieve/zoo/zoo.h"

namespace sieve_test {

using namespace sieve;  // NOLINT: test helpers over the whole library

// A codebook of 2^bits (at most `kept`) evenly spaced values over the region's range, codes the
// nearest entry: a fast stand-in for k-means that fills every code width.
inline void uniform_quantize(compress::CompressedLayer& l, const Tensor& w, int bits, int64_t rr,
                      int64_t rc) {
  l.bits = bits;
  l.region_rows = rr;
  l.region_cols = rc;
  const int64_t regions = rr * rc;
  std::vector<float> lo(regions, 1e30f), hi(regions, -1e30f);
  const float* d = w.data<float>();
  const uint8_t* m = l.mask.empty() ? nullptr : l.mask.data<uint8_t>();
  const int64_t cols = l.cols();
  for (int64_t i = 0; i < w.numel(); ++i) {
    if (m != nullptr && m[i] == 0) continue;
    const int64_t r = l.region_of(i / cols, i % cols);
    lo[r] = std::min(lo[r], d[i]);
    hi[r] = std::max(hi[r], d[i]);
  }
  const int64_t k = int64_t{1} << bits;
  l.codebooks.assign(regions, {});
  for (int64_t r = 0; r < regions; ++r) {
    if (lo[r] > hi[r]) continue;
    for (int64_t j = 0; j < k; ++j) {
      l.codebooks[r].push_back(lo[r] +
                               (hi[r] - lo[r]) * static_cast<float>(j) / static_cast<float>(k - 1));
    }
  }
  l.codes.clear();
  l.values.clear();
  for (int64_t i = 0; i < w.numel(); ++i) {
    if (m != nullptr && m[i] == 0) continue;
    const int64_t r = l.region_of(i / cols, i % cols);
    const double span = hi[r] - lo[r];
    const int64_t c =
        span > 0 ? std::llround((d[i] - lo[r]) / span * static_cast<double>(k - 1)) : 0;
    l.codes.push_back(static_cast<uint16_t>(std::clamp<int64_t>(c, 0, k - 1)));
  }
}

struct CompressionPlan {
  std::string prune;  // "block", "magnitude" or "" (dense)
  std::vector<int64_t> block;
  double sparsity = 0.0;
  int bits = 0;  // 0 = unquantized
  int64_t rr = 1, rc = 1;
  bool kmeans = false;  // the real k-means quantizer instead of uniform codes
};

inline CompressionPlan plan(std::string prune, std::vector<int64_t> block, double sparsity, int bits,
                int64_t rr = 1, int64_t rc = 1, bool kmeans = false) {
  CompressionPlan p;
  p.prune = std::move(prune);
  p.block = std::move(block);
  p.sparsity = sparsity;
  p.bits = bits;
  p.rr = rr;
  p.rc = rc;
  p.kmeans = kmeans;
  return p;
}

// A zoo model with random weights, each weight in `plans` compressed as planned, activation
// formats calibrated on `calib`.
inline compress::CompressedModel make_model(const std::string& name,
                                     const std::map<std::string, CompressionPlan>& plans,
                                     const Tensor& calib) {
  auto g = zoo::build(name, {.batch = 1, .seed = 3});
  EXPECT_TRUE(g.ok()) << g.status().to_string();
  compress::CompressedModel m;
  m.graph = std::move(*g);
  for (const auto& [weight, p] : plans) {
    const Tensor* w = m.graph.initializer(weight);
    EXPECT_NE(w, nullptr) << weight;
    if (w == nullptr) continue;
    compress::CompressedLayer l;
    l.weight = weight;
    l.node = weight.substr(0, weight.find('.'));
    l.shape = w->shape();
    if (!p.prune.empty()) {
      compress::PruneSpec spec;
      spec.method = p.prune;
      spec.sparsity = p.sparsity;
      spec.block = p.block;
      auto mask = compress::prune(*w, Tensor(), spec, weight);
      EXPECT_TRUE(mask.ok()) << mask.status().to_string();
      l.mask = *mask;
      l.block = compress::full_block(spec, w->shape());
    }
    if (p.bits == 0) {
      EXPECT_TRUE(compress::quant::store_unquantized(l, *w).ok());
    } else if (p.kmeans) {
      EXPECT_TRUE(compress::quant::quantize_layer(l, *w,
                                                  {.bits = p.bits,
                                                   .region_rows = p.rr,
                                                   .region_cols = p.rc,
                                                   .kmeans = {.max_iters = 10}})
                      .ok());
    } else {
      uniform_quantize(l, *w, p.bits, p.rr, p.rc);
    }
    m.layers.push_back(std::move(l));
  }
  EXPECT_TRUE(compress::decode(m).ok());
  auto st = compress::quant::calibrate(m, calib, {.max_examples = 8, .batch = 1});
  EXPECT_TRUE(st.ok()) << st.to_string();
  return m;
}

inline Tensor random_input(Shape shape, uint64_t seed, float lo = 0.0f, float hi = 1.0f) {
  std::mt19937 rng(static_cast<uint32_t>(seed));
  std::uniform_real_distribution<float> u(lo, hi);
  Tensor t(DType::kF32, std::move(shape));
  for (float& v : t.span<float>()) v = u(rng) < 0.3f * (hi - lo) + lo ? 0.0f : u(rng);
  return t;
}

// Every value the reference produced (name -> i16 tensor, as fixed16::run's hook sees them)
// equals the other engine's bit for bit: same shapes, same Q formats, no differing element.
// `who` names the other engine in messages.
inline void expect_bit_exact_values(const std::map<std::string, Tensor>& ref,
                                    const std::map<std::string, Tensor>& got,
                                    const std::string& what, const std::string& who) {
  ASSERT_EQ(ref.size(), got.size()) << what;
  for (const auto& [name, rt] : ref) {
    auto it = got.find(name);
    ASSERT_NE(it, got.end()) << what << ": " << who << " did not produce " << name;
    const Tensor& gt = it->second;
    ASSERT_EQ(rt.shape(), gt.shape()) << what << ": " << name;
    ASSERT_EQ(rt.frac_bits(), gt.frac_bits()) << what << ": " << name;
    const auto a = rt.span<int16_t>(), b = gt.span<int16_t>();
    int64_t differ = 0, first = -1;
    for (size_t i = 0; i < a.size(); ++i) {
      if (a[i] != b[i]) {
        if (first < 0) first = static_cast<int64_t>(i);
        ++differ;
      }
    }
    EXPECT_EQ(differ, 0) << what << ": value " << name << " differs at " << differ
                         << " positions, first " << first;
  }
}

}  // namespace sieve_test
