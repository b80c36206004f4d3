// Canonical Huffman coding over an alphabet of symbols 0..n−1 (n ≤ 65536), used for weight
// codes and index streams.
//
// Construction: Huffman code lengths from the frequencies (ties broken by symbol index, so the
// result is deterministic), limited to max_length bits (default 16) by the JPEG/zlib
// length-adjustment rule, then reassigned so that more frequent symbols never get longer codes.
// A lone used symbol gets a 1-bit code. Codes are canonical (DEFLATE, RFC 1951 §3.2.2): codes
// of one length are consecutive in symbol order and shorter codes precede longer ones, so the
// table is fully described by the code length of every symbol (0 = unused).
//
// Serialised table (the "coding table" of the bit accounting): see serialize().
// Decoding refuses an exhausted stream or a bit pattern that is no code (data loss).
// Thread-safety: immutable after construction.
#pragma once

#include <cstdint>
#include <span>
#include <vector>

#include "sieve/compress/coding/bitstream.h"
#include "sieve/core/status.h"

namespace sieve::compress::coding {

class HuffmanCode {
 public:
  static constexpr int kMaxLength = 16;

  // From symbol frequencies (size = alphabet size, 1..65536). Needs at least one non-zero
  // frequency. max_length in [1, 16] and large enough for the used symbols.
  static Result<HuffmanCode> from_frequencies(std::span<const uint64_t> frequencies,
                                              int max_length = kMaxLength);
  // Convenience: frequencies of `symbols` over an alphabet of `alphabet` symbols.
  static Result<HuffmanCode> from_symbols(std::span<const uint16_t> symbols, int alphabet,
                                          int max_length = kMaxLength);
  // From code lengths (0 = unused, else 1..16). Refuses an over-subscribed set (Kraft sum > 1)
  // or one with no used symbol; an incomplete set is accepted (unused patterns decode as
  // errors).
  static Result<HuffmanCode> from_lengths(std::span<const uint8_t> lengths);

  int alphabet() const { return static_cast<int>(lengths_.size()); }
  const std::vector<uint8_t>& lengths() const { return lengths_; }
  int length(int symbol) const { return lengths_[static_cast<size_t>(symbol)]; }
  uint32_t code(int symbol) const { return codes_[static_cast<size_t>(symbol)]; }
  int max_length() const { return max_len_; }

  // Appends the codes of `symbols` (every one must have a code: SIEVE_ASSERT).
  void encode(std::span<const uint16_t> symbols, BitWriter& out) const;
  // Bits encode() would write for these frequencies (unused symbols must have frequency 0).
  uint64_t encoded_bits(std::span<const uint64_t> frequencies) const;
  // Decodes `count` symbols.
  Result<std::vector<uint16_t>> decode(BitReader& in, size_t count) const;

  // The serialised table: u16 LE (alphabet − 1), then one 5-bit length per symbol, MSB-first,
  // zero-padded to a byte. Its size is table_bytes().
  std::vector<uint8_t> serialize() const;
  size_t table_bytes() const { return 2 + (5 * lengths_.size() + 7) / 8; }
  // Parses serialize()'s output; *consumed (if given) receives the bytes read.
  static Result<HuffmanCode> parse(std::span<const uint8_t> bytes, size_t* consumed = nullptr);

 private:
  std::vector<uint8_t> lengths_;
  std::vector<uint32_t> codes_;
  // Canonical decoding tables (puff.c): count_[len], symbols sorted by (length, symbol).
  std::vector<uint32_t> count_;
  std::vector<uint16_t> sorted_;
  int max_len_ = 0;
};

// Encodes symbols with a code built from their own frequencies; the result holds the table
// and the bit stream. Bits of stream only: payload_bits; with the table: total_bytes().
struct HuffmanEncoded {
  HuffmanCode code;
  std::vector<uint8_t> payload;
  uint64_t payload_bits = 0;
  size_t total_bytes() const { return code.table_bytes() + payload.size(); }
};
Result<HuffmanEncoded> huffman_encode(std::span<const uint16_t> symbols, int alphabet,
                                      int max_length = HuffmanCode::kMaxLength);

}  // namespace sieve::compress::coding
