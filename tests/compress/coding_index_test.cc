#include <gtest/gtest.h>

#include <random>

#include "sieve/compress/coding/accounting.h"
#include "sieve/compress/coding/index.h"

namespace sieve::compress::coding {
namespace {

Tensor mask_of(Shape shape, const std::vector<int64_t>& kept) {
  Tensor m(DType::kU8, shape);
  for (int64_t p : kept) m.data<uint8_t>()[p] = 1;
  return m;
}

Tensor random_mask(Shape shape, double density, uint64_t seed) {
  Tensor m(DType::kU8, shape);
  std::mt19937_64 rng(seed);
  std::bernoulli_distribution keep(density);
  for (uint8_t& v : m.span<uint8_t>()) v = keep(rng) ? 1 : 0;
  return m;
}

int64_t count(const Tensor& m) {
  int64_t n = 0;
  for (uint8_t v : m.span<uint8_t>()) n += v != 0;
  return n;
}

void expect_same(const Tensor& a, const Tensor& b) {
  ASSERT_EQ(a.numel(), b.numel());
  for (int64_t i = 0; i < a.numel(); ++i) {
    ASSERT_EQ(a.data<uint8_t>()[i] != 0, b.data<uint8_t>()[i] != 0) << "position " << i;
  }
}

TEST(DeepCompressionGolden, RateFormula16Weights4Clusters) {
  // Deep Compression §3: 16 weights, 4 clusters of 32-bit values: 16·32 / (16·2 + 4·32) = 3.2.
  EXPECT_DOUBLE_EQ(deep_compression_rate(16, 4, 32), 3.2);
}

TEST(DeepCompressionGolden, RelativeIndexFillerRule) {
  // Fig. 2: 3-bit entries, non-zeros at 1, 4 and 15: the distance 11 from 4 to 15 is more
  // than 3 bits can express, so one filler is inserted; 4 entries in all.
  const Tensor m = mask_of({1, 16}, {1, 4, 15});
  int64_t fillers = 0;
  const std::vector<uint16_t> gaps = relative_gaps(mask_view(m), 3, &fillers);
  EXPECT_EQ(gaps, (std::vector<uint16_t>{1, 2, 7, 3}));
  EXPECT_EQ(fillers, 1);
  Result<EncodedIndex> e = encode_relative(mask_view(m), 3);
  ASSERT_TRUE(e.ok());
  EXPECT_EQ(e->bits, 12u);
  EXPECT_EQ(e->bytes.size(), 2u);
  Result<Tensor> d = decode_index(*e, {1, 16}, 3);
  ASSERT_TRUE(d.ok()) << d.status().to_string();
  expect_same(*d, m);
  // A distance of 7 (6 zeros) fits; a distance of 8 (7 zeros) needs a filler.
  int64_t f7 = 0, f8 = 0;
  relative_gaps(mask_view(mask_of({1, 16}, {0, 7})), 3, &f7);
  relative_gaps(mask_view(mask_of({1, 16}, {0, 8})), 3, &f8);
  EXPECT_EQ(f7, 0);
  EXPECT_EQ(f8, 1);
}

TEST(IndexFormats, ExactBitCountsOnCraftedMask) {
  // 4×6, kept: (0,0) (0,1) (1,1) (3,5): 4 of 24.
  const Tensor m = mask_of({4, 6}, {0, 1, 7, 23});
  const MaskView v = mask_view(m);
  EXPECT_EQ(encode_bitmask(v).bits, 24u);
  // CSR: 5 pointers × bits_for(4)=3 + 4 cols × bits_for(5)=3 = 27 bits → 4 bytes.
  EncodedIndex csr = encode_csr(v);
  EXPECT_EQ(csr.bits, 27u);
  EXPECT_EQ(csr.bytes.size(), 4u);
  // CSC: 7 × 3 + 4 rows × bits_for(3)=2 = 29.
  EXPECT_EQ(encode_csc(v).bits, 29u);
  // COO: 4 × (2 + 3) = 20.
  EXPECT_EQ(encode_coo(v).bits, 20u);
  // Relative at k = 4: gaps 0, 0, 5, 15 → 15 = escape → one filler: 5 entries × 4 = 20 bits.
  Result<EncodedIndex> rel = encode_relative(v, 4);
  ASSERT_TRUE(rel.ok());
  EXPECT_EQ(rel->fillers, 1);
  EXPECT_EQ(rel->bits, 20u);

  const IndexChoice c = choose_index_format(m, {}, 4);
  ASSERT_EQ(c.costs.size(), 6u);
  EXPECT_EQ(c.costs[0].bits, 24u);
  EXPECT_FALSE(c.costs[1].available);  // no block shape
  EXPECT_EQ(c.costs[3].bits, 27u);
  EXPECT_EQ(c.costs[4].bits, 29u);
  EXPECT_EQ(c.costs[5].bits, 20u);
  // Relative: k = 5 → 4 entries × 5 = 20, no filler; k = 4 → 20 + one filler code (4) = 24.
  EXPECT_EQ(c.costs[2].total_bits, 20u);
  EXPECT_EQ(c.costs[2].fillers, 0);
  // Ties go to the first format in order: relative (20) before COO (20).
  EXPECT_EQ(c.best.format, IndexFormat::kRelative);
  EXPECT_EQ(c.best.total_bits, 20u);
}

TEST(IndexFormats, EveryFormatRoundTrips) {
  for (double density : {0.0, 0.03, 0.3, 0.9, 1.0}) {
    const Tensor m = random_mask({37, 53}, density, 17);
    const MaskView v = mask_view(m);
    const int64_t kept = count(m);
    std::vector<EncodedIndex> all = {encode_bitmask(v), encode_csr(v), encode_csc(v),
                                     encode_coo(v)};
    for (int k : {1, 2, 3, 5, 8, 16}) all.push_back(*encode_relative(v, k));
    for (const EncodedIndex& e : all) {
      EXPECT_EQ(e.bytes.size(), (e.bits + 7) / 8);
      Result<Tensor> d = decode_index(e, m.shape(), kept);
      ASSERT_TRUE(d.ok()) << index_format_name(e.format) << " k=" << e.k << ": "
                          << d.status().to_string();
      expect_same(*d, m);
    }
  }
}

TEST(IndexFormats, BlockBitmaskOneBitPerBlock) {
  // Conv-like [4, 2, 3, 3] weight in blocks {2, 1, 2, 2}: the kernel dims (3) end in partial
  // edge blocks.
  const Shape shape = {4, 2, 3, 3};
  const std::vector<int64_t> block = {2, 1, 2, 2};
  // Grid: 2 × 2 × 2 × 2 = 16 blocks. Keep blocks whose grid index is odd.
  Tensor m(DType::kU8, shape);
  for (int64_t a = 0; a < 4; ++a)
    for (int64_t b = 0; b < 2; ++b)
      for (int64_t c = 0; c < 3; ++c)
        for (int64_t d = 0; d < 3; ++d) {
          const int64_t id = ((a / 2 * 2 + b) * 2 + c / 2) * 2 + d / 2;
          m.data<uint8_t>()[((a * 2 + b) * 3 + c) * 3 + d] = id % 2;
        }
  Result<EncodedIndex> e = encode_block(m, block);
  ASSERT_TRUE(e.ok()) << e.status().to_string();
  EXPECT_EQ(e->bits, 16u);
  EXPECT_EQ(e->bytes.size(), 2u);
  EXPECT_EQ(e->bytes[0], 0b01010101);
  Result<Tensor> d = decode_index(*e, shape, count(m), block);
  ASSERT_TRUE(d.ok()) << d.status().to_string();
  expect_same(*d, m);
  const IndexChoice c = choose_index_format(m, block, 8);
  EXPECT_TRUE(c.costs[1].available);
  EXPECT_EQ(c.costs[1].bits, 16u);
  EXPECT_EQ(c.best.format, IndexFormat::kBlock);
  // Not block-constant: refused, and unavailable in the choice.
  m.data<uint8_t>()[0] ^= 1;
  EXPECT_FALSE(encode_block(m, block).ok());
  EXPECT_FALSE(choose_index_format(m, block, 8).costs[1].available);
}

TEST(IndexFormats, CorruptStreamsAreRefused) {
  const Tensor m = random_mask({10, 10}, 0.2, 3);
  const MaskView v = mask_view(m);
  const int64_t kept = count(m);
  // Truncated.
  EncodedIndex coo = encode_coo(v);
  coo.bits -= 8;
  coo.bytes.pop_back();
  Result<Tensor> d = decode_index(coo, m.shape(), kept);
  ASSERT_FALSE(d.ok());
  EXPECT_EQ(d.status().code(), StatusCode::kDataLoss);
  // Wrong kept count for a bit mask.
  d = decode_index(encode_bitmask(v), m.shape(), kept + 1);
  ASSERT_FALSE(d.ok());
  EXPECT_NE(d.status().message().find("bitmask"), std::string::npos);
  // CSR pointers that do not end at kept.
  EncodedIndex csr = encode_csr(v);
  csr.bytes[0] ^= 0x80;  // first pointer becomes non-zero
  EXPECT_FALSE(decode_index(csr, m.shape(), kept).ok());
}

TEST(IndexFormats, DenseMaskCostsNothing) {
  const IndexChoice c = choose_index_format(Tensor(), {}, 4);
  EXPECT_EQ(c.best.total_bits, 0u);
  EXPECT_EQ(c.best.format, IndexFormat::kBitmask);
}

TEST(Accounting, DeepCompressionStyleLayer) {
  CompressedLayer l;
  l.weight = "fc";
  l.shape = {4, 4};
  l.bits = 2;
  l.codebooks = {{-1.0f, -0.5f, 0.5f, 1.0f}};
  l.codes = {0, 1, 2, 3, 0, 1, 2, 3, 0, 1, 2, 3, 0, 1, 2, 3};
  Result<LayerBytes> b = account_layer(l);
  ASSERT_TRUE(b.ok()) << b.status().to_string();
  EXPECT_EQ(b->dense_bytes, 64u);
  EXPECT_EQ(b->codes_bytes, 4u);      // 16 × 2 bits
  EXPECT_EQ(b->codebook_bytes, 16u);  // 4 × 32 bits
  EXPECT_EQ(b->index_bytes, 0u);      // dense
  EXPECT_EQ(b->quantized_bytes(), 20u);
  // 64 / 20 = 3.2, Deep Compression's example.
  EXPECT_DOUBLE_EQ(static_cast<double>(b->dense_bytes) / b->quantized_bytes(), 3.2);
  // Uniform codes: Huffman does not pay, the raw codes are kept.
  EXPECT_EQ(b->codes_huffman_bytes, 4u);
  EXPECT_EQ(b->codes_table_bytes, 0u);
}

TEST(Accounting, SkewedCodesAndBlockIndex) {
  CompressedLayer l;
  l.weight = "fc";
  l.shape = {64, 64};
  l.block = {8, 8};
  l.mask = Tensor(DType::kU8, l.shape);
  // Keep 8 of the 64 blocks (the diagonal): 512 weights.
  for (int64_t r = 0; r < 64; ++r)
    for (int64_t c = 0; c < 64; ++c) l.mask.data<uint8_t>()[r * 64 + c] = (r / 8 == c / 8);
  l.bits = 4;
  l.codebooks = {std::vector<float>(16, 0.0f)};
  for (int i = 0; i < 512; ++i) l.codes.push_back(i % 8 == 0 ? static_cast<uint16_t>(i % 16) : 3);
  Result<LayerBytes> b = account_layer(l);
  ASSERT_TRUE(b.ok()) << b.status().to_string();
  EXPECT_EQ(b->codes_bytes, 256u);
  EXPECT_LT(b->codes_huffman_bytes + b->codes_table_bytes, 256u);
  EXPECT_GT(b->codes_table_bytes, 0u);
  EXPECT_EQ(b->index.best.format, IndexFormat::kBlock);
  EXPECT_EQ(b->index_bytes, 8u);  // 64 blocks, one bit each
  EXPECT_EQ(b->codebook_bytes, 64u);
  EXPECT_EQ(b->coded_bytes(), b->codes_huffman_bytes + b->codes_table_bytes + 64u +
                                  b->index_huffman_bytes + b->index_table_bytes);
  EXPECT_LE(b->coded_bytes(), b->quantized_bytes());
  const LayerBytes t = account_total({*b, *b});
  EXPECT_EQ(t.dense_bytes, 2 * b->dense_bytes);
  EXPECT_EQ(t.coded_bytes(), 2 * b->coded_bytes());
}

}  // namespace
}  // namespace sieve::compress::coding
