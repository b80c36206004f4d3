// Compressed models for the container tests: zoo graphs whose weight layers are stored in
// every form a CompressedLayer can take (dense, fine mask, block mask with partial edge
// blocks, non-uniform "block" mask, global and local codebooks, 1- and 16-bit codes, values).
#pragma once

#include <gtest/gtest.h>

#include <bit>
#include <cstring>
#include <random>
#include <string>
#include <vector>

#include "sieve/compress/model.h"
#include "sieve/core/block_grid.h"
#include "sieve/zoo/builder.h"
#include "sieve/zoo/zoo.h"

namespace sieve::container_test {

// The weight initializer names of the FC/Conv/LSTM nodes, in node order.
inline std::vector<std::pair<std::string, std::string>> weight_layers(const ir::Graph& g) {
  std::vector<std::pair<std::string, std::string>> out;
  for (const ir::Node& n : g.nodes) {
    if (n.op == ir::OpKind::kFullyConnected || n.op == ir::OpKind::kConv) {
      out.emplace_back(n.name, n.inputs[1]);
    } else if (n.op == ir::OpKind::kLSTM) {
      out.emplace_back(n.name, n.inputs[1]);  // W
      out.emplace_back(n.name, n.inputs[2]);  // R
    }
  }
  return out;
}

enum class Form {
  kDenseValues,
  kFineValues,
  kBlockQuantGlobal,
  kFineQuantLocal,
  kBlockValues,
  kNonUniformBlock,
  kDenseQuant16,
  kFineQuant1
};

// Block-structured mask: a block tile (tiling from the origin) is kept with probability 1/3.
inline Tensor block_mask(const Shape& shape, const std::vector<int64_t>& block, uint32_t seed) {
  Tensor m(DType::kU8, shape);
  std::mt19937 rng(seed);
  Result<BlockGrid> grid = BlockGrid::make(shape, block);
  EXPECT_TRUE(grid.ok()) << grid.status().to_string();
  std::vector<uint8_t> keep(static_cast<size_t>(grid->blocks()));
  for (auto& k : keep) k = rng() % 3 == 0;
  uint8_t* p = m.data<uint8_t>();
  grid->for_each_offset([&](int64_t i, int64_t b) { p[i] = keep[static_cast<size_t>(b)]; });
  return m;
}

inline Tensor random_mask(const Shape& shape, uint32_t seed, int keep_one_in = 4) {
  Tensor m(DType::kU8, shape);
  std::mt19937 rng(seed);
  for (uint8_t& v : m.span<uint8_t>()) v = rng() % keep_one_in == 0;
  return m;
}

// Fills a layer of the given form from the graph's dense weight.
inline compress::CompressedLayer make_layer(const ir::Graph& g, const std::string& node,
                                            const std::string& weight, Form form, uint32_t seed) {
  compress::CompressedLayer l;
  l.node = node;
  l.weight = weight;
  const Tensor& w = g.initializers.at(weight);
  l.shape = w.shape();
  l.block.assign(l.shape.size(), 1);
  std::mt19937 rng(seed);
  switch (form) {
    case Form::kDenseValues:
    case Form::kDenseQuant16: break;
    case Form::kFineValues:
    case Form::kFineQuantLocal:
    case Form::kFineQuant1: l.mask = random_mask(l.shape, seed); break;
    case Form::kBlockQuantGlobal:
    case Form::kBlockValues:
      // Blocks that do not divide the shape: partial edge blocks.
      for (size_t d = 0; d < l.shape.size(); ++d) {
        l.block[d] = std::min<int64_t>(l.shape[d], d == 0 ? 3 : (d == 1 ? 7 : 1));
      }
      l.mask = block_mask(l.shape, l.block, seed);
      break;
    case Form::kNonUniformBlock:
      l.block[0] = std::min<int64_t>(l.shape[0], 2);
      l.mask = random_mask(l.shape, seed, 2);  // not block-uniform: stored as a bitmask
      break;
  }
  const int64_t kept = l.kept();
  const float* wp = w.data<float>();
  const uint8_t* mp = l.mask.empty() ? nullptr : l.mask.data<uint8_t>();
  switch (form) {
    case Form::kDenseValues:
    case Form::kFineValues:
    case Form::kBlockValues:
    case Form::kNonUniformBlock:
      for (int64_t i = 0; i < l.numel(); ++i) {
        if (mp == nullptr || mp[i] != 0) l.values.push_back(wp[i]);
      }
      break;
    case Form::kBlockQuantGlobal:
    case Form::kFineQuantLocal:
    case Form::kDenseQuant16:
    case Form::kFineQuant1: {
      l.bits = form == Form::kBlockQuantGlobal ? 8
               : form == Form::kFineQuantLocal ? 4
               : form == Form::kDenseQuant16   ? 16
                                               : 1;
      if (form == Form::kFineQuantLocal) {
        l.region_rows = std::min<int64_t>(l.rows(), 3);
        l.region_cols = std::min<int64_t>(l.cols(), 4);
      }
      const int64_t regions = l.region_rows * l.region_cols;
      const int64_t book = form == Form::kDenseQuant16 ? 300 : (int64_t{1} << l.bits);
      std::uniform_real_distribution<float> u(-1, 1);
      for (int64_t r = 0; r < regions; ++r) {
        // Region sizes differ (not every codebook full) to exercise per-region lengths.
        std::vector<float> cb(static_cast<size_t>(std::max<int64_t>(1, book - r % 3)));
        for (float& c : cb) c = u(rng);
        l.codebooks.push_back(std::move(cb));
      }
      const int64_t cols = l.cols();
      for (int64_t i = 0; i < l.numel(); ++i) {
        if (mp != nullptr && mp[i] == 0) continue;
        const auto& cb = l.codebooks[static_cast<size_t>(l.region_of(i / cols, i % cols))];
        l.codes.push_back(static_cast<uint16_t>(rng() % cb.size()));
      }
      EXPECT_EQ(static_cast<int64_t>(l.codes.size()), kept);
      break;
    }
  }
  return l;
}

// A small network (conv 4@3x3 over 2x8x8, fc 144 -> 24, fc 24 -> 5) with random weights, for
// tests that parse a file thousands of times.
inline ir::Graph tiny_graph() {
  zoo::NetBuilder b("tiny");
  auto x = b.input({1, 2, 8, 8});
  x = b.conv("conv", x, {.out = 4, .kernel = 3, .stride = 1, .pad = 1});
  x = b.relu("relu", x);
  x = b.flatten("flat", x);
  x = b.fc("fc1", x, 24);
  x = b.fc("fc2", x, 5);
  ir::Graph g = b.finish(x);
  std::mt19937 rng(11);
  std::uniform_real_distribution<float> u(-1, 1);
  for (auto& [name, t] : g.initializers) {
    if (t.dtype() != DType::kF32) continue;
    for (float& v : t.span<float>()) v = u(rng);
  }
  return g;
}

// A compressed model of `graph`, its weight layers cycling through `forms`.
inline compress::CompressedModel make_model(ir::Graph graph, const std::vector<Form>& forms) {
  compress::CompressedModel m;
  m.graph = std::move(graph);
  uint32_t seed = 1;
  size_t i = 0;
  for (const auto& [node, weight] : weight_layers(m.graph)) {
    m.layers.push_back(make_layer(m.graph, node, weight, forms[i++ % forms.size()], seed++));
  }
  m.metadata = {{"recipe", "test"}, {"accuracy", "0.91"}, {"empty", ""}};
  for (const ir::Node& n : m.graph.nodes) {
    for (const std::string& o : n.outputs)
      m.activation_frac_bits[o] = static_cast<int>(o.size() % 13);
  }
  Status s = compress::decode(m);
  EXPECT_TRUE(s.ok()) << s.to_string();
  return m;
}

// A compressed model of a zoo network (random initial weights).
inline compress::CompressedModel make_model(const std::string& zoo_name,
                                            const std::vector<Form>& forms) {
  auto g = zoo::build(zoo_name, {.batch = 1, .init_weights = true, .seed = 7});
  EXPECT_TRUE(g.ok()) << g.status().to_string();
  return make_model(g.ok() ? std::move(g.value()) : ir::Graph(), forms);
}

inline bool floats_identical(const std::vector<float>& a, const std::vector<float>& b) {
  return a.size() == b.size() &&
         (a.empty() || std::memcmp(a.data(), b.data(), a.size() * sizeof(float)) == 0);
}

inline void expect_layers_identical(const compress::CompressedLayer& a,
                                    const compress::CompressedLayer& b) {
  SCOPED_TRACE("layer " + a.weight);
  EXPECT_EQ(a.node, b.node);
  EXPECT_EQ(a.weight, b.weight);
  EXPECT_EQ(a.shape, b.shape);
  EXPECT_EQ(a.block, b.block);
  ASSERT_EQ(a.mask.empty(), b.mask.empty());
  if (!a.mask.empty()) {
    ASSERT_EQ(b.mask.dtype(), DType::kU8);
    ASSERT_EQ(a.mask.shape(), b.mask.shape());
    // Masks are 0/1 in these tests, so compare bytes.
    EXPECT_EQ(std::memcmp(a.mask.raw(), b.mask.raw(), a.mask.nbytes()), 0);
  }
  EXPECT_EQ(a.bits, b.bits);
  EXPECT_EQ(a.region_rows, b.region_rows);
  EXPECT_EQ(a.region_cols, b.region_cols);
  ASSERT_EQ(a.codebooks.size(), b.codebooks.size());
  for (size_t i = 0; i < a.codebooks.size(); ++i) {
    EXPECT_TRUE(floats_identical(a.codebooks[i], b.codebooks[i])) << "codebook " << i;
  }
  EXPECT_EQ(a.codes, b.codes);
  EXPECT_TRUE(floats_identical(a.values, b.values));
}

}  // namespace sieve::container_test
