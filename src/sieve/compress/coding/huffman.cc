#include "sieve/compress/coding/huffman.h"

#include <algorithm>
#include <numeric>
#include <queue>
#include <tuple>

#include "sieve/core/assert.h"

namespace sieve::compress::coding {

namespace {

constexpr int kMaxAlphabet = 65536;

// Unlimited Huffman code lengths of the used symbols (frequency > 0), at least 2 of them.
// Ties are broken by a creation index (leaves: symbol order; internal nodes: creation order),
// so the result does not depend on the priority queue's implementation.
std::vector<int> huffman_lengths(std::span<const uint64_t> freq) {
  struct Item {
    uint64_t weight;
    int64_t id;
    bool operator>(const Item& o) const { return std::tie(weight, id) > std::tie(o.weight, o.id); }
  };
  const int64_t n = static_cast<int64_t>(freq.size());
  std::vector<int64_t> parent(static_cast<size_t>(2 * n), -1);
  std::priority_queue<Item, std::vector<Item>, std::greater<Item>> heap;
  for (int64_t s = 0; s < n; ++s) {
    if (freq[static_cast<size_t>(s)] > 0) heap.push({freq[static_cast<size_t>(s)], s});
  }
  int64_t next = n;
  while (heap.size() > 1) {
    const Item a = heap.top();
    heap.pop();
    const Item b = heap.top();
    heap.pop();
    parent[static_cast<size_t>(a.id)] = next;
    parent[static_cast<size_t>(b.id)] = next;
    heap.push({a.weight + b.weight, next});
    ++next;
  }
  // Depth of each node: parents are created after their children, so walk ids downwards.
  std::vector<int> depth(static_cast<size_t>(next), 0);
  for (int64_t id = next - 2; id >= 0; --id) {
    const int64_t p = parent[static_cast<size_t>(id)];
    if (p >= 0) depth[static_cast<size_t>(id)] = depth[static_cast<size_t>(p)] + 1;
  }
  std::vector<int> lengths(static_cast<size_t>(n), 0);
  for (int64_t s = 0; s < n; ++s) {
    if (freq[static_cast<size_t>(s)] > 0)
      lengths[static_cast<size_t>(s)] = depth[static_cast<size_t>(s)];
  }
  return lengths;
}

}  // namespace

Result<HuffmanCode> HuffmanCode::from_frequencies(std::span<const uint64_t> frequencies,
                                                  int max_length) {
  const size_t n = frequencies.size();
  if (n < 1 || n > kMaxAlphabet) {
    return invalid_argument("Huffman alphabet of {} symbols (expected 1..{})", n, kMaxAlphabet);
  }
  if (max_length < 1 || max_length > kMaxLength) {
    return invalid_argument("Huffman max_length {} (expected 1..{})", max_length, kMaxLength);
  }
  std::vector<int> used;
  for (size_t s = 0; s < n; ++s) {
    if (frequencies[s] > 0) used.push_back(static_cast<int>(s));
  }
  if (used.empty()) return invalid_argument("Huffman code of no used symbol");
  if (used.size() > (size_t{1} << max_length)) {
    return invalid_argument("{} used symbols do not fit codes of at most {} bits", used.size(),
                            max_length);
  }
  std::vector<uint8_t> lengths(n, 0);
  if (used.size() == 1) {
    lengths[static_cast<size_t>(used[0])] = 1;
    return from_lengths(lengths);
  }
  const std::vector<int> raw = huffman_lengths(frequencies);
  int longest = 0;
  for (int l : raw) longest = std::max(longest, l);
  std::vector<int64_t> bl_count(static_cast<size_t>(std::max(longest, max_length) + 1), 0);
  for (int l : raw) {
    if (l > 0) ++bl_count[static_cast<size_t>(l)];
  }
  // Length limiting (JPEG Annex K.3 / zlib): move pairs of the deepest leaves up.
  for (int i = longest; i > max_length; --i) {
    while (bl_count[static_cast<size_t>(i)] > 0) {
      int j = i - 2;
      while (bl_count[static_cast<size_t>(j)] == 0) --j;
      bl_count[static_cast<size_t>(i)] -= 2;
      bl_count[static_cast<size_t>(i - 1)] += 1;
      bl_count[static_cast<size_t>(j + 1)] += 2;
      bl_count[static_cast<size_t>(j)] -= 1;
    }
  }
  // Shortest lengths to the most frequent symbols (ties: lower symbol first).
  std::sort(used.begin(), used.end(), [&](int a, int b) {
    const uint64_t fa = frequencies[static_cast<size_t>(a)];
    const uint64_t fb = frequencies[static_cast<size_t>(b)];
    return fa != fb ? fa > fb : a < b;
  });
  size_t k = 0;
  for (int len = 1; len <= max_length; ++len) {
    for (int64_t c = 0; c < bl_count[static_cast<size_t>(len)]; ++c) {
      lengths[static_cast<size_t>(used[k++])] = static_cast<uint8_t>(len);
    }
  }
  SIEVE_ASSERT(k == used.size(), "Huffman length assignment: {} of {}", k, used.size());
  return from_lengths(lengths);
}

Result<HuffmanCode> HuffmanCode::from_symbols(std::span<const uint16_t> symbols, int alphabet,
                                              int max_length) {
  if (alphabet < 1 || alphabet > kMaxAlphabet) {
    return invalid_argument("Huffman alphabet of {} symbols (expected 1..{})", alphabet,
                            kMaxAlphabet);
  }
  std::vector<uint64_t> freq(static_cast<size_t>(alphabet), 0);
  for (uint16_t s : symbols) {
    if (s >= alphabet) {
      return invalid_argument("symbol {} outside an alphabet of {}", s, alphabet);
    }
    ++freq[s];
  }
  return from_frequencies(freq, max_length);
}

Result<HuffmanCode> HuffmanCode::from_lengths(std::span<const uint8_t> lengths) {
  const size_t n = lengths.size();
  if (n < 1 || n > kMaxAlphabet) {
    return invalid_argument("Huffman alphabet of {} symbols (expected 1..{})", n, kMaxAlphabet);
  }
  HuffmanCode h;
  h.lengths_.assign(lengths.begin(), lengths.end());
  h.count_.assign(kMaxLength + 1, 0);
  uint64_t kraft = 0;  // in units of 2^-16
  for (size_t s = 0; s < n; ++s) {
    const int l = lengths[s];
    if (l > kMaxLength) {
      return data_loss("Huffman table: symbol {} has code length {} (max {})", s, l, kMaxLength);
    }
    if (l > 0) {
      h.max_len_ = std::max(h.max_len_, l);
      ++h.count_[static_cast<size_t>(l)];
      kraft += uint64_t{1} << (kMaxLength - l);
    }
  }
  if (kraft == 0) return data_loss("Huffman table: no symbol has a code");
  if (kraft > (uint64_t{1} << kMaxLength)) {
    return data_loss("Huffman table: code lengths are over-subscribed (Kraft sum {}/65536)", kraft);
  }
  // Canonical codes (RFC 1951 3.2.2).
  std::vector<uint32_t> next(kMaxLength + 2, 0);
  uint32_t code = 0;
  for (int len = 1; len <= kMaxLength; ++len) {
    code = (code + h.count_[static_cast<size_t>(len - 1)]) << 1;
    if (len == 1) code = 0;
    next[static_cast<size_t>(len)] = code;
  }
  h.codes_.assign(n, 0);
  for (size_t s = 0; s < n; ++s) {
    const int l = lengths[s];
    if (l > 0) h.codes_[s] = next[static_cast<size_t>(l)]++;
  }
  // Symbols sorted by (length, symbol) for decoding.
  std::vector<uint32_t> offs(kMaxLength + 2, 0);
  for (int len = 1; len <= kMaxLength; ++len) {
    offs[static_cast<size_t>(len + 1)] =
        offs[static_cast<size_t>(len)] + h.count_[static_cast<size_t>(len)];
  }
  h.sorted_.assign(offs[kMaxLength + 1], 0);
  for (size_t s = 0; s < n; ++s) {
    const int l = lengths[s];
    if (l > 0) h.sorted_[offs[static_cast<size_t>(l)]++] = static_cast<uint16_t>(s);
  }
  return h;
}

void HuffmanCode::encode(std::span<const uint16_t> symbols, BitWriter& out) const {
  for (uint16_t s : symbols) {
    SIEVE_ASSERT(s < lengths_.size() && lengths_[s] > 0, "Huffman: symbol {} has no code", s);
    out.put(codes_[s], lengths_[s]);
  }
}

uint64_t HuffmanCode::encoded_bits(std::span<const uint64_t> frequencies) const {
  uint64_t bits = 0;
  for (size_t s = 0; s < frequencies.size(); ++s) {
    if (frequencies[s] == 0) continue;
    SIEVE_ASSERT(s < lengths_.size() && lengths_[s] > 0, "Huffman: symbol {} has no code", s);
    bits += frequencies[s] * lengths_[s];
  }
  return bits;
}

Result<std::vector<uint16_t>> HuffmanCode::decode(BitReader& in, size_t count) const {
  std::vector<uint16_t> out;
  out.reserve(count);
  for (size_t i = 0; i < count; ++i) {
    uint32_t code = 0, first = 0, index = 0;
    bool found = false;
    for (int len = 1; len <= max_len_; ++len) {
      if (in.remaining() == 0) {
        return data_loss("Huffman stream ends inside symbol {} of {} (bit {})", i, count,
                         in.position());
      }
      SIEVE_ASSIGN_OR_RETURN(uint32_t bit, in.get(1));
      code |= bit;
      const uint32_t c = count_[static_cast<size_t>(len)];
      if (code - first < c) {
        out.push_back(sorted_[index + code - first]);
        found = true;
        break;
      }
      index += c;
      first = (first + c) << 1;
      code <<= 1;
    }
    if (!found) {
      return data_loss("Huffman stream: invalid code for symbol {} of {} (bit {})", i, count,
                       in.position());
    }
  }
  return out;
}

std::vector<uint8_t> HuffmanCode::serialize() const {
  BitWriter w;
  const uint32_t n1 = static_cast<uint32_t>(lengths_.size() - 1);
  w.put(n1 & 0xFF, 8);
  w.put(n1 >> 8, 8);
  for (uint8_t l : lengths_) w.put(l, 5);
  std::vector<uint8_t> bytes = w.take();
  SIEVE_ASSERT(bytes.size() == table_bytes(), "Huffman table: {} bytes, expected {}", bytes.size(),
               table_bytes());
  return bytes;
}

Result<HuffmanCode> HuffmanCode::parse(std::span<const uint8_t> bytes, size_t* consumed) {
  if (bytes.size() < 2) {
    return data_loss("Huffman table truncated: {} bytes, the header needs 2", bytes.size());
  }
  const size_t n = static_cast<size_t>(bytes[0]) + (static_cast<size_t>(bytes[1]) << 8) + 1;
  const size_t need = 2 + (5 * n + 7) / 8;
  if (bytes.size() < need) {
    return data_loss("Huffman table truncated: {} bytes, {} symbols need {}", bytes.size(), n,
                     need);
  }
  BitReader r(bytes.subspan(2, need - 2));
  std::vector<uint8_t> lengths(n);
  for (size_t s = 0; s < n; ++s) {
    SIEVE_ASSIGN_OR_RETURN(uint32_t l, r.get(5));
    lengths[s] = static_cast<uint8_t>(l);
  }
  if (consumed != nullptr) *consumed = need;
  return from_lengths(lengths);
}

Result<HuffmanEncoded> huffman_encode(std::span<const uint16_t> symbols, int alphabet,
                                      int max_length) {
  SIEVE_ASSIGN_OR_RETURN(HuffmanCode code,
                         HuffmanCode::from_symbols(symbols, alphabet, max_length));
  BitWriter w;
  code.encode(symbols, w);
  HuffmanEncoded e{std::move(code), {}, w.bit_count()};
  e.payload = w.take();
  return e;
}

}  // namespace sieve::compress::coding
