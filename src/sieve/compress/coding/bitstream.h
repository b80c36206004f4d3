// Bit streams for the entropy coders and index formats: BitWriter appends values MSB-first
// into bytes (the first bit of the stream is bit 7 of byte 0; the last byte is zero-padded);
// BitReader reads them back and reports reading past the end as a data-loss error.
// Ownership: BitWriter owns its bytes; BitReader views bytes the caller keeps alive.
// Thread-safety: none.
#pragma once

#include <cstdint>
#include <span>
#include <vector>

#include "sieve/core/status.h"

namespace sieve::compress::coding {

class BitWriter {
 public:
  // Appends the low `n` bits of `value` (n in 0..32), most significant first.
  void put(uint32_t value, int n);
  uint64_t bit_count() const { return bits_; }
  const std::vector<uint8_t>& bytes() const { return bytes_; }
  std::vector<uint8_t> take() { return std::move(bytes_); }

 private:
  std::vector<uint8_t> bytes_;
  uint64_t bits_ = 0;
};

class BitReader {
 public:
  // Reads at most `bit_count` bits of `bytes` (all of them when bit_count < 0).
  explicit BitReader(std::span<const uint8_t> bytes, int64_t bit_count = -1);
  // Next `n` bits (n in 0..32) as an unsigned value.
  Result<uint32_t> get(int n);
  Result<uint32_t> get_bit() { return get(1); }
  uint64_t position() const { return pos_; }
  uint64_t remaining() const { return size_ - pos_; }

 private:
  std::span<const uint8_t> bytes_;
  uint64_t size_ = 0;
  uint64_t pos_ = 0;
};

// Bits needed to write every integer in [0, max_value]: 0 for 0, else floor(log2)+1.
int bits_for(uint64_t max_value);

}  // namespace sieve::compress::coding
