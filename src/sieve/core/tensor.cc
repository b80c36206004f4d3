#include "sieve/core/tensor.h"

#include <sys/mman.h>

#include <cstdlib>
#include <cstring>

#include <fmt/format.h>

namespace sieve {

const char* dtype_name(DType t) {
  switch (t) {
    case DType::kF32: return "f32";
    case DType::kI16: return "i16";
    case DType::kI8: return "i8";
    case DType::kU8: return "u8";
    case DType::kI32: return "i32";
    case DType::kI64: return "i64";
  }
  return "?";
}

size_t dtype_size(DType t) {
  switch (t) {
    case DType::kF32: return 4;
    case DType::kI16: return 2;
    case DType::kI8: return 1;
    case DType::kU8: return 1;
    case DType::kI32: return 4;
    case DType::kI64: return 8;
  }
  return 0;
}

int64_t shape_numel(const Shape& s) {
  int64_t n = 1;
  for (int64_t d : s) {
    // Wrapping would be undefined and silent; sizes from input are checked before they get here.
    SIEVE_ASSERT(!__builtin_mul_overflow(n, d, &n), "element count of {} overflows int64",
                 shape_str(s));
  }
  return n;
}

std::string shape_str(const Shape& s) { return fmt::format("[{}]", fmt::join(s, ",")); }

namespace {
std::shared_ptr<std::byte> allocate(size_t nbytes) {
  // 64-byte alignment for SIMD kernels; always allocate at least one line.
  size_t rounded = (nbytes + 63) / 64 * 64;
  if (rounded == 0) rounded = 64;
  // Large buffers come zeroed and page-aligned from mmap, so an untouched tensor (the weights
  // of a zoo network that is only being counted) costs no memory traffic.
  constexpr size_t kMmapThreshold = size_t{1} << 20;
  if (rounded >= kMmapThreshold) {
    void* m = mmap(nullptr, rounded, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    SIEVE_ASSERT(m != MAP_FAILED, "out of memory mapping {} bytes", rounded);
    return std::shared_ptr<std::byte>(static_cast<std::byte*>(m),
                                      [rounded](std::byte* q) { munmap(q, rounded); });
  }
  void* p = std::aligned_alloc(64, rounded);
  SIEVE_ASSERT(p != nullptr, "out of memory allocating {} bytes", rounded);
  std::memset(p, 0, rounded);
  return std::shared_ptr<std::byte>(static_cast<std::byte*>(p), [](std::byte* q) { std::free(q); });
}
}  // namespace

Tensor::Tensor(DType dtype, Shape shape)
    : dtype_(dtype), shape_(std::move(shape)), numel_(shape_numel(shape_)) {
  for (int64_t d : shape_) SIEVE_ASSERT(d >= 0, "negative dimension in {}", shape_str(shape_));
  storage_ = allocate(nbytes());
}

Tensor Tensor::from_f32(Shape shape, std::span<const float> values) {
  Tensor t(DType::kF32, std::move(shape));
  SIEVE_ASSERT(static_cast<int64_t>(values.size()) == t.numel(), "{} values for shape {}",
               values.size(), shape_str(t.shape()));
  if (!values.empty()) std::memcpy(t.raw(), values.data(), values.size_bytes());
  return t;
}

Tensor Tensor::from_i64(Shape shape, std::span<const int64_t> values) {
  Tensor t(DType::kI64, std::move(shape));
  SIEVE_ASSERT(static_cast<int64_t>(values.size()) == t.numel(), "{} values for shape {}",
               values.size(), shape_str(t.shape()));
  if (!values.empty()) std::memcpy(t.raw(), values.data(), values.size_bytes());
  return t;
}

Tensor Tensor::reshaped(Shape shape) const {
  SIEVE_ASSERT(shape_numel(shape) == numel_, "reshape {} -> {}", shape_str(shape_),
               shape_str(shape));
  Tensor t = *this;
  t.shape_ = std::move(shape);
  return t;
}

Tensor Tensor::clone() const {
  Tensor t(dtype_, shape_);
  t.frac_bits_ = frac_bits_;
  if (nbytes() > 0) std::memcpy(t.raw(), raw(), nbytes());
  return t;
}

Tensor Tensor::to_f32() const {
  if (dtype_ == DType::kF32) return clone();
  Tensor t(DType::kF32, shape_);
  float* out = t.data<float>();
  const float scale = 1.0f / static_cast<float>(int64_t{1} << frac_bits_);
  for (int64_t i = 0; i < numel_; ++i) {
    double v = 0;
    switch (dtype_) {
      case DType::kF32: v = data<float>()[i]; break;
      case DType::kI16: v = data<int16_t>()[i]; break;
      case DType::kI8: v = data<int8_t>()[i]; break;
      case DType::kU8: v = data<uint8_t>()[i]; break;
      case DType::kI32: v = data<int32_t>()[i]; break;
      case DType::kI64: v = static_cast<double>(data<int64_t>()[i]); break;
    }
    out[i] = static_cast<float>(v) * (dtype_ == DType::kI64 ? 1.0f : scale);
  }
  return t;
}

}  // namespace sieve
