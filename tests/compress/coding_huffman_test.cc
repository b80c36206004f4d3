#include <gtest/gtest.h>

#include <random>

#include "sieve/compress/coding/huffman.h"

namespace sieve::compress::coding {
namespace {

TEST(BitStream, WritesMsbFirstAndReadsBack) {
  BitWriter w;
  w.put(0b101, 3);
  w.put(0b1, 1);
  w.put(0xABCD, 16);
  EXPECT_EQ(w.bit_count(), 20u);
  ASSERT_EQ(w.bytes().size(), 3u);
  EXPECT_EQ(w.bytes()[0], 0b10111010);
  BitReader r(w.bytes(), static_cast<int64_t>(w.bit_count()));
  EXPECT_EQ(*r.get(3), 0b101u);
  EXPECT_EQ(*r.get(1), 1u);
  EXPECT_EQ(*r.get(16), 0xABCDu);
  Result<uint32_t> past = r.get(1);
  ASSERT_FALSE(past.ok());
  EXPECT_EQ(past.status().code(), StatusCode::kDataLoss);
}

TEST(BitStream, BitsFor) {
  EXPECT_EQ(bits_for(0), 0);
  EXPECT_EQ(bits_for(1), 1);
  EXPECT_EQ(bits_for(7), 3);
  EXPECT_EQ(bits_for(8), 4);
  EXPECT_EQ(bits_for(65535), 16);
}

// Skewed symbols: symbol s appears about 2^-(s+1) of the time.
std::vector<uint16_t> skewed(size_t n, int alphabet, uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::vector<uint16_t> out(n);
  for (auto& s : out) {
    int k = 0;
    while (k + 1 < alphabet && (rng() & 1)) ++k;
    s = static_cast<uint16_t>(k);
  }
  return out;
}

TEST(Huffman, RoundTripRandomUniform) {
  std::mt19937_64 rng(3);
  std::vector<uint16_t> sym(5000);
  for (auto& s : sym) s = static_cast<uint16_t>(rng() % 256);
  Result<HuffmanEncoded> e = huffman_encode(sym, 256);
  ASSERT_TRUE(e.ok()) << e.status().to_string();
  // Near-uniform over 256 symbols: about 8 bits each.
  EXPECT_GT(e->payload_bits, 7.8 * 5000);
  EXPECT_LT(e->payload_bits, 8.2 * 5000);
  BitReader r(e->payload, static_cast<int64_t>(e->payload_bits));
  Result<std::vector<uint16_t>> d = e->code.decode(r, sym.size());
  ASSERT_TRUE(d.ok()) << d.status().to_string();
  EXPECT_EQ(*d, sym);
}

TEST(Huffman, RoundTripSkewedIsShorterThanFixed) {
  const std::vector<uint16_t> sym = skewed(20000, 16, 5);
  Result<HuffmanEncoded> e = huffman_encode(sym, 16);
  ASSERT_TRUE(e.ok());
  // Entropy of the geometric source is about 2 bits; fixed-length needs 4.
  EXPECT_LT(e->payload_bits, 2.1 * 20000);
  EXPECT_EQ(e->code.length(0), 1);
  EXPECT_EQ(e->code.length(1), 2);
  BitReader r(e->payload, static_cast<int64_t>(e->payload_bits));
  EXPECT_EQ(*e->code.decode(r, sym.size()), sym);
}

TEST(Huffman, CanonicalCodesAreConsecutiveByLengthThenSymbol) {
  // RFC 1951's example: lengths (3, 3, 3, 3, 3, 2, 4, 4) give codes 010..110, 00, 1110, 1111.
  const std::vector<uint8_t> lengths = {3, 3, 3, 3, 3, 2, 4, 4};
  Result<HuffmanCode> h = HuffmanCode::from_lengths(lengths);
  ASSERT_TRUE(h.ok());
  const uint32_t expected[] = {0b010, 0b011, 0b100, 0b101, 0b110, 0b00, 0b1110, 0b1111};
  for (int s = 0; s < 8; ++s) EXPECT_EQ(h->code(s), expected[s]) << s;
  // From frequencies: the code is canonical and prefix-free.
  const std::vector<uint64_t> freq = {10, 1, 30, 5, 5, 7, 0, 2};
  Result<HuffmanCode> f = HuffmanCode::from_frequencies(freq);
  ASSERT_TRUE(f.ok());
  EXPECT_EQ(f->length(6), 0);
  for (int a = 0; a < 8; ++a) {
    for (int b = 0; b < 8; ++b) {
      if (a == b || f->length(a) == 0 || f->length(b) == 0) continue;
      if (f->length(a) < f->length(b) || (f->length(a) == f->length(b) && a < b)) {
        // Canonical order: a's code, left-aligned, is below b's.
        const uint64_t ca = uint64_t{f->code(a)} << (16 - f->length(a));
        const uint64_t cb = uint64_t{f->code(b)} << (16 - f->length(b));
        EXPECT_LT(ca, cb) << a << " " << b;
        // Prefix-free.
        EXPECT_NE(f->code(b) >> (f->length(b) - f->length(a)), f->code(a)) << a << " " << b;
      }
    }
  }
  // More frequent symbols never get longer codes.
  EXPECT_LE(f->length(2), f->length(0));
  EXPECT_LE(f->length(0), f->length(1));
}

TEST(Huffman, LengthLimitHolds) {
  // Fibonacci frequencies force a 23-deep unlimited tree.
  std::vector<uint64_t> freq(24);
  freq[0] = 1;
  freq[1] = 1;
  for (size_t i = 2; i < freq.size(); ++i) freq[i] = freq[i - 1] + freq[i - 2];
  Result<HuffmanCode> unlimited = HuffmanCode::from_frequencies(freq, 16);
  ASSERT_TRUE(unlimited.ok());
  EXPECT_EQ(unlimited->max_length(), 16);
  Result<HuffmanCode> h = HuffmanCode::from_frequencies(freq, 8);
  ASSERT_TRUE(h.ok()) << h.status().to_string();
  EXPECT_EQ(h->max_length(), 8);
  uint64_t kraft = 0;
  for (int s = 0; s < h->alphabet(); ++s) kraft += uint64_t{1} << (16 - h->length(s));
  EXPECT_LE(kraft, uint64_t{1} << 16);
  // Still decodes.
  std::vector<uint16_t> sym;
  for (uint16_t s = 0; s < 24; ++s) sym.push_back(s);
  BitWriter w;
  h->encode(sym, w);
  BitReader r(w.bytes(), static_cast<int64_t>(w.bit_count()));
  EXPECT_EQ(*h->decode(r, sym.size()), sym);
  // 24 symbols cannot fit 4-bit codes.
  EXPECT_FALSE(HuffmanCode::from_frequencies(freq, 4).ok());
}

TEST(Huffman, SingleSymbolAndErrors) {
  const std::vector<uint16_t> sym(10, 3);
  Result<HuffmanEncoded> e = huffman_encode(sym, 5);
  ASSERT_TRUE(e.ok());
  EXPECT_EQ(e->payload_bits, 10u);
  EXPECT_EQ(e->code.length(3), 1);
  // The pattern "1" is no code of a one-symbol alphabet.
  const std::vector<uint8_t> bad = {0x80};
  BitReader r(bad, 1);
  Result<std::vector<uint16_t>> d = e->code.decode(r, 1);
  ASSERT_FALSE(d.ok());
  EXPECT_EQ(d.status().code(), StatusCode::kDataLoss);
  EXPECT_FALSE(HuffmanCode::from_frequencies(std::vector<uint64_t>{0, 0}).ok());
  EXPECT_FALSE(HuffmanCode::from_lengths(std::vector<uint8_t>{1, 1, 1}).ok());  // Kraft > 1
}

TEST(Huffman, TruncatedStreamIsDetected) {
  const std::vector<uint16_t> sym = skewed(1000, 8, 9);
  Result<HuffmanEncoded> e = huffman_encode(sym, 8);
  ASSERT_TRUE(e.ok());
  BitReader r(e->payload, static_cast<int64_t>(e->payload_bits) - 5);
  Result<std::vector<uint16_t>> d = e->code.decode(r, sym.size());
  ASSERT_FALSE(d.ok());
  EXPECT_EQ(d.status().code(), StatusCode::kDataLoss);
  EXPECT_NE(d.status().message().find("ends"), std::string::npos) << d.status().message();
}

TEST(Huffman, CorruptedIncompleteCodeIsDetected) {
  // An incomplete code (lengths 1, 2: "0", "10"; "11" unused) refuses the unused pattern.
  Result<HuffmanCode> h = HuffmanCode::from_lengths(std::vector<uint8_t>{1, 2, 0});
  ASSERT_TRUE(h.ok());
  const std::vector<uint8_t> bytes = {0b01011000};  // 0, 10, 11 (invalid)
  BitReader r(bytes, 6);
  Result<std::vector<uint16_t>> d = h->decode(r, 3);
  ASSERT_FALSE(d.ok());
  EXPECT_NE(d.status().message().find("invalid code for symbol 2"), std::string::npos)
      << d.status().message();
}

TEST(Huffman, TableSerialisesAndParses) {
  const std::vector<uint16_t> sym = skewed(500, 16, 11);
  Result<HuffmanEncoded> e = huffman_encode(sym, 16);
  ASSERT_TRUE(e.ok());
  const std::vector<uint8_t> table = e->code.serialize();
  EXPECT_EQ(table.size(), 2u + 10u);  // 16 five-bit lengths
  EXPECT_EQ(table.size(), e->code.table_bytes());
  size_t used = 0;
  Result<HuffmanCode> p = HuffmanCode::parse(table, &used);
  ASSERT_TRUE(p.ok());
  EXPECT_EQ(used, table.size());
  EXPECT_EQ(p->lengths(), e->code.lengths());
  // Truncated table.
  Result<HuffmanCode> t = HuffmanCode::parse(std::span<const uint8_t>(table).first(5));
  ASSERT_FALSE(t.ok());
  EXPECT_EQ(t.status().code(), StatusCode::kDataLoss);
  // A length of 17+ is refused.
  std::vector<uint8_t> bad = table;
  bad[2] = 0xFF;
  EXPECT_FALSE(HuffmanCode::parse(bad).ok());
}

}  // namespace
}  // namespace sieve::compress::coding
