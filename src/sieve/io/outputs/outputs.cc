#include "sieve/io/outputs/outputs.h"

#include <zlib.h>

#include <cstring>
#include <limits>

#include "sieve/core/atomic_file.h"

namespace sieve::io {

namespace {

// dtype codes of the header (docs/formats/outputs.md).
constexpr uint8_t kCodeI16 = 1;
constexpr uint8_t kCodeF32 = 2;

void put_u32(std::string& s, uint32_t v) {
  for (int i = 0; i < 4; ++i) s.push_back(static_cast<char>((v >> (8 * i)) & 0xff));
}
void put_u64(std::string& s, uint64_t v) {
  for (int i = 0; i < 8; ++i) s.push_back(static_cast<char>((v >> (8 * i)) & 0xff));
}
uint32_t get_u32(std::string_view s, size_t at) {
  uint32_t v = 0;
  for (int i = 0; i < 4; ++i) v |= uint32_t{static_cast<uint8_t>(s[at + i])} << (8 * i);
  return v;
}
uint64_t get_u64(std::string_view s, size_t at) {
  uint64_t v = 0;
  for (int i = 0; i < 8; ++i) v |= uint64_t{static_cast<uint8_t>(s[at + i])} << (8 * i);
  return v;
}
uint32_t crc_of(std::string_view s) {
  uLong crc = crc32(0L, Z_NULL, 0);
  size_t at = 0;
  while (at < s.size()) {
    const size_t n = std::min<size_t>(s.size() - at, std::numeric_limits<uInt>::max());
    crc = crc32(crc, reinterpret_cast<const Bytef*>(s.data() + at), static_cast<uInt>(n));
    at += n;
  }
  return static_cast<uint32_t>(crc);
}

}  // namespace

Result<std::string> serialize_outputs(const Tensor& outputs) {
  if (outputs.empty() || outputs.rank() < 1) {
    return invalid_argument("outputs: expected a tensor of rank >= 1, got {}",
                            shape_str(outputs.shape()));
  }
  uint8_t code = 0;
  if (outputs.dtype() == DType::kI16) {
    code = kCodeI16;
    if (outputs.frac_bits() < -128 || outputs.frac_bits() > 127) {
      return invalid_argument("outputs: frac bits {} outside -128..127", outputs.frac_bits());
    }
  } else if (outputs.dtype() == DType::kF32) {
    code = kCodeF32;
  } else {
    return invalid_argument("outputs: dtype {} is not i16 or f32", dtype_name(outputs.dtype()));
  }
  const uint64_t samples = static_cast<uint64_t>(outputs.dim(0));
  const uint64_t width = samples == 0 ? 0 : static_cast<uint64_t>(outputs.numel()) / samples;
  std::string s(kOutputsMagic, sizeof(kOutputsMagic));
  put_u32(s, kOutputsVersion);
  s.push_back(static_cast<char>(code));
  s.push_back(static_cast<char>(static_cast<int8_t>(code == kCodeI16 ? outputs.frac_bits() : 0)));
  s.push_back('\0');
  s.push_back('\0');
  put_u64(s, samples);
  put_u64(s, width);
  // Data, little-endian (written byte by byte, so the host's order does not matter).
  const int64_t n = outputs.numel();
  s.reserve(s.size() + static_cast<size_t>(n) * dtype_size(outputs.dtype()) + 4);
  if (code == kCodeI16) {
    const int16_t* d = outputs.data<int16_t>();
    for (int64_t i = 0; i < n; ++i) {
      const uint16_t u = static_cast<uint16_t>(d[i]);
      s.push_back(static_cast<char>(u & 0xff));
      s.push_back(static_cast<char>(u >> 8));
    }
  } else {
    const float* d = outputs.data<float>();
    for (int64_t i = 0; i < n; ++i) {
      uint32_t u = 0;
      std::memcpy(&u, &d[i], 4);
      put_u32(s, u);
    }
  }
  put_u32(s, crc_of(s));
  return s;
}

Status write_outputs(const std::string& path, const Tensor& outputs) {
  SIEVE_ASSIGN_OR_RETURN(std::string bytes, serialize_outputs(outputs));
  return write_file_atomic(path, bytes);
}

Result<Tensor> parse_outputs(std::string_view b, const std::string& origin) {
  if (b.size() < kOutputsHeaderBytes + 4) {
    return data_loss("{}: {} bytes, shorter than the {}-byte header and CRC (truncated)", origin,
                     b.size(), kOutputsHeaderBytes);
  }
  if (std::memcmp(b.data(), kOutputsMagic, sizeof(kOutputsMagic)) != 0) {
    return data_loss("{}: magic is not \"SIEVEOUT\" (not an outputs file)", origin);
  }
  const uint32_t version = get_u32(b, 8);
  if (version != kOutputsVersion) {
    return data_loss("{}: version {} (this build reads version {})", origin, version,
                     kOutputsVersion);
  }
  const uint8_t code = static_cast<uint8_t>(b[12]);
  const int frac = static_cast<int8_t>(b[13]);
  if (code != kCodeI16 && code != kCodeF32) {
    return data_loss("{}: dtype code {} (expected 1 = i16 or 2 = f32)", origin, code);
  }
  if (b[14] != '\0' || b[15] != '\0') return data_loss("{}: reserved bytes are not zero", origin);
  if (code == kCodeF32 && frac != 0) {
    return data_loss("{}: frac bits {} on f32 data (must be 0)", origin, frac);
  }
  const uint64_t samples = get_u64(b, 16), width = get_u64(b, 24);
  const uint64_t elem = code == kCodeI16 ? 2 : 4;
  const uint64_t limit = uint64_t{1} << 40;
  if (samples > limit || width > limit || (samples != 0 && width > limit / samples)) {
    return data_loss("{}: samples {} x width {} is implausibly large (corrupt header)", origin,
                     samples, width);
  }
  const uint64_t want = kOutputsHeaderBytes + samples * width * elem + 4;
  if (b.size() != want) {
    return data_loss("{}: {} bytes, but samples {} x width {} x {} bytes needs {} ({})", origin,
                     b.size(), samples, width, elem, want,
                     b.size() < want ? "truncated" : "trailing bytes");
  }
  const uint32_t stored = get_u32(b, b.size() - 4);
  const uint32_t actual = crc_of(b.substr(0, b.size() - 4));
  if (stored != actual) {
    return data_loss("{}: CRC32 {:08x} does not match the contents ({:08x}): corrupted", origin,
                     stored, actual);
  }
  Tensor t(code == kCodeI16 ? DType::kI16 : DType::kF32,
           {static_cast<int64_t>(samples), static_cast<int64_t>(width)});
  const size_t n = static_cast<size_t>(samples * width);
  const size_t at = kOutputsHeaderBytes;
  if (code == kCodeI16) {
    t.set_frac_bits(frac);
    int16_t* d = t.data<int16_t>();
    for (size_t i = 0; i < n; ++i) {
      d[i] = static_cast<int16_t>(static_cast<uint16_t>(static_cast<uint8_t>(b[at + 2 * i]) |
                                                        (static_cast<uint8_t>(b[at + 2 * i + 1])
                                                         << 8)));
    }
  } else {
    float* d = t.data<float>();
    for (size_t i = 0; i < n; ++i) {
      const uint32_t u = get_u32(b, at + 4 * i);
      std::memcpy(&d[i], &u, 4);
    }
  }
  return t;
}

Result<Tensor> read_outputs(const std::string& path) {
  SIEVE_ASSIGN_OR_RETURN(std::string bytes, read_file(path));
  return parse_outputs(bytes, path);
}

}  // namespace sieve::io
