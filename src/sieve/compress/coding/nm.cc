#include "sieve/compress/coding/nm.h"

#include <bit>

namespace sieve::compress::coding {
namespace {

Status check_shape(const Shape& shape, int64_t n, int64_t m) {
  if (m < 2) return invalid_argument("n:m = {}:{}: m must be >= 2", n, m);
  if (n > m) return invalid_argument("n:m = {}:{}: n exceeds m", n, m);
  if (n < 1) return invalid_argument("n:m = {}:{}: n must be >= 1", n, m);
  if (shape.size() < 2)
    return invalid_argument("N:M packing needs a weight of rank >= 2, got {}", shape_str(shape));
  if (shape[1] % m != 0)
    return invalid_argument("m = {} does not divide the {} input channels (dimension 1 of {})", m,
                            shape[1], shape_str(shape));
  return ok_status();
}

}  // namespace

int nm_index_bits(int64_t m) {
  return m <= 2 ? 1 : static_cast<int>(std::bit_width(static_cast<uint64_t>(m - 1)));
}

Result<NmIndex> encode_nm(const Tensor& mask, const Shape& shape, int64_t n, int64_t m) {
  SIEVE_RETURN_IF_ERROR(check_shape(shape, n, m));
  const int64_t numel = shape_numel(shape);
  if (!mask.empty() && mask.numel() != numel)
    return invalid_argument("mask of {} elements for a weight of shape {}", mask.numel(),
                            shape_str(shape));
  const uint8_t* mk = mask.empty() ? nullptr : mask.data<uint8_t>();
  const int64_t rows = shape[0], chans = shape[1], inner = numel / (rows * chans);
  const int b = nm_index_bits(m);
  NmIndex out;
  out.entries = rows * inner * (chans / m) * n;
  out.bits = static_cast<uint64_t>(out.entries) * static_cast<uint64_t>(b);
  out.bytes.assign(static_cast<size_t>((out.bits + 7) / 8), '\0');
  uint64_t bit = 0;
  for (int64_t r = 0; r < rows; ++r)
    for (int64_t p = 0; p < inner; ++p)
      for (int64_t c0 = 0; c0 < chans; c0 += m) {
        int64_t kept = 0;
        for (int64_t j = 0; j < m; ++j)
          kept += mk == nullptr || mk[(r * chans + c0 + j) * inner + p] != 0;
        if (kept != n)
          return invalid_argument(
              "row {}, position {}, channels {}..{} keep {} weights, n:m = {}:{} needs exactly {}",
              r, p, c0, c0 + m - 1, kept, n, m, n);
        for (int64_t j = 0; j < m; ++j) {
          if (mk != nullptr && mk[(r * chans + c0 + j) * inner + p] == 0) continue;
          for (int t = 0; t < b; ++t, ++bit)
            if ((j >> t) & 1)
              out.bytes[static_cast<size_t>(bit >> 3)] =
                  static_cast<char>(static_cast<uint8_t>(out.bytes[static_cast<size_t>(bit >> 3)]) |
                                    (1u << (bit & 7)));
        }
      }
  return out;
}

Result<Tensor> decode_nm(std::string_view bytes, uint64_t bits, const Shape& shape, int64_t n,
                         int64_t m) {
  SIEVE_RETURN_IF_ERROR(check_shape(shape, n, m));
  const int64_t numel = shape_numel(shape);
  const int64_t rows = shape[0], chans = shape[1], inner = numel / (rows * chans);
  const int b = nm_index_bits(m);
  const uint64_t want = static_cast<uint64_t>(rows * inner * (chans / m) * n) * b;
  if (bits != want)
    return invalid_argument("{} index bits, the {} groups of {} at n:m = {}:{} need {}", bits,
                            rows * inner * (chans / m), shape_str(shape), n, m, want);
  if (bytes.size() * 8 < bits)
    return invalid_argument("index stream of {} bytes holds fewer than {} bits", bytes.size(),
                            bits);
  Tensor mask(DType::kU8, shape);
  uint8_t* out = mask.data<uint8_t>();
  std::fill(out, out + numel, uint8_t{0});
  uint64_t bit = 0;
  for (int64_t r = 0; r < rows; ++r)
    for (int64_t p = 0; p < inner; ++p)
      for (int64_t c0 = 0; c0 < chans; c0 += m) {
        int64_t prev = -1;
        for (int64_t e = 0; e < n; ++e) {
          int64_t j = 0;
          for (int t = 0; t < b; ++t, ++bit)
            j |= static_cast<int64_t>(
                     (static_cast<uint8_t>(bytes[static_cast<size_t>(bit >> 3)]) >> (bit & 7)) & 1u)
                 << t;
          if (j >= m || j <= prev)
            return invalid_argument(
                "row {}, position {}, channels {}..{}: entry {} = {} (offsets must increase and "
                "be < m = {})",
                r, p, c0, c0 + m - 1, e, j, m);
          prev = j;
          out[(r * chans + c0 + j) * inner + p] = 1;
        }
      }
  return mask;
}

}  // namespace sieve::compress::coding
