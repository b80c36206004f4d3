// The N:M packed index: the mask of a weight that keeps exactly n of every m consecutive input
// channels, stored as the n kept positions of each group, ceil(log2 m) bits each (2 bits for
// 2:4, the A100 sparse tensor core's metadata). The kept values themselves are "packed left":
// only they are stored, in order, beside this index.
//
// Groups follow compress/prune's nm pass: the weight's dimension 1 (input channels) at a fixed
// output row (dimension 0) and kernel position (the remaining dimensions, row-major). The stream
// lists, for row r = 0.., kernel position p = 0.., group g = 0.. (channels g·m .. g·m + m − 1),
// the n offsets (0..m−1) of the kept channels in increasing order; entries are packed LSB first
// (bit i of the stream is bit i % 8 of byte i / 8), each entry's low bit first, zero-padded.
//
// Pure functions; thread-safe.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "sieve/core/status.h"
#include "sieve/core/tensor.h"

namespace sieve::compress::coding {

// Bits per N:M index entry: ceil(log2 m), at least 1.
int nm_index_bits(int64_t m);

struct NmIndex {
  std::string bytes;  // the packed stream
  uint64_t bits = 0;  // entries × nm_index_bits(m)
  int64_t entries = 0;
};

// Packs `mask` (u8 of `shape`, rank >= 2; empty = every weight kept). Refused, naming the
// values: n > m or n < 1 or m < 2 ("n:m = 5:4: n exceeds m"), m not dividing shape[1] ("m = 4
// does not divide the 10 input channels"), a group that does not keep exactly n ("row 0,
// position 0, channels 0..3 keep 3 weights, n:m = 2:4 needs exactly 2").
Result<NmIndex> encode_nm(const Tensor& mask, const Shape& shape, int64_t n, int64_t m);

// The mask back from a stream of `bits` bits. Refused (InvalidArgument, naming the group): the
// shape, n or m refused as above, bits != the entries the shape needs × their width, a stream
// shorter than `bits`, an offset >= m or offsets of a group not increasing (a corrupted stream).
Result<Tensor> decode_nm(std::string_view bytes, uint64_t bits, const Shape& shape, int64_t n,
                         int64_t m);

}  // namespace sieve::compress::coding
