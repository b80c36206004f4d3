#include "sieve/compress/coding/bitstream.h"

#include "sieve/core/assert.h"

namespace sieve::compress::coding {

void BitWriter::put(uint32_t value, int n) {
  SIEVE_ASSERT(n >= 0 && n <= 32, "BitWriter::put: {} bits", n);
  for (int i = n - 1; i >= 0; --i) {
    const uint64_t byte = bits_ >> 3;
    if (byte == bytes_.size()) bytes_.push_back(0);
    if ((value >> i) & 1u) bytes_[byte] |= static_cast<uint8_t>(0x80u >> (bits_ & 7));
    ++bits_;
  }
}

BitReader::BitReader(std::span<const uint8_t> bytes, int64_t bit_count) : bytes_(bytes) {
  const uint64_t all = static_cast<uint64_t>(bytes.size()) * 8;
  size_ = bit_count < 0 ? all : std::min<uint64_t>(all, static_cast<uint64_t>(bit_count));
}

Result<uint32_t> BitReader::get(int n) {
  SIEVE_ASSERT(n >= 0 && n <= 32, "BitReader::get: {} bits", n);
  if (static_cast<uint64_t>(n) > size_ - pos_) {
    return data_loss("bit stream ends after {} bits; {} more needed at bit {}", size_, n, pos_);
  }
  uint32_t v = 0;
  for (int i = 0; i < n; ++i, ++pos_) {
    v = (v << 1) | ((bytes_[pos_ >> 3] >> (7 - (pos_ & 7))) & 1u);
  }
  return v;
}

int bits_for(uint64_t max_value) {
  int b = 0;
  while (max_value != 0) {
    ++b;
    max_value >>= 1;
  }
  return b;
}

}  // namespace sieve::compress::coding
