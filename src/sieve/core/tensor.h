// Tensor: a shaped, typed, contiguous (row-major) buffer with shared, 64-byte-aligned storage.
//
// DTypes: f32 (activations, weights), i16 fixed point with a per-tensor Q format (frac_bits),
// i8/u8 (quantized codes), i32 (accumulators), i64 (ONNX shape tensors). Copying a Tensor
// shares the storage (like a shared_ptr); clone() makes a deep copy. Not thread-safe for
// concurrent writes to the same storage.
#pragma once

#include <cstddef>
#include <cstdint>
#include <initializer_list>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "sieve/core/assert.h"

namespace sieve {

enum class DType : uint8_t { kF32, kI16, kI8, kU8, kI32, kI64 };

const char* dtype_name(DType t);
size_t dtype_size(DType t);

template <typename T> constexpr DType dtype_of();
template <> constexpr DType dtype_of<float>() { return DType::kF32; }
template <> constexpr DType dtype_of<int16_t>() { return DType::kI16; }
template <> constexpr DType dtype_of<int8_t>() { return DType::kI8; }
template <> constexpr DType dtype_of<uint8_t>() { return DType::kU8; }
template <> constexpr DType dtype_of<int32_t>() { return DType::kI32; }
template <> constexpr DType dtype_of<int64_t>() { return DType::kI64; }

// A shape: dimension sizes, outermost first. Scalars have rank 0 and one element.
using Shape = std::vector<int64_t>;
// The element count. An overflowing product is a broken invariant (it aborts): sizes that come
// from input are checked first with checked_numel (core/checked.h).
int64_t shape_numel(const Shape& s);
std::string shape_str(const Shape& s);  // "[1,3,224,224]"

class Tensor {
 public:
  Tensor() = default;
  // Zero-initialised tensor.
  Tensor(DType dtype, Shape shape);
  static Tensor zeros(DType dtype, Shape shape) { return Tensor(dtype, std::move(shape)); }
  static Tensor from_f32(Shape shape, std::span<const float> values);
  static Tensor from_f32(Shape shape, std::initializer_list<float> values) {
    return from_f32(std::move(shape), std::span<const float>(values.begin(), values.size()));
  }
  static Tensor from_i64(Shape shape, std::span<const int64_t> values);

  bool empty() const { return storage_ == nullptr; }
  DType dtype() const { return dtype_; }
  const Shape& shape() const { return shape_; }
  int64_t rank() const { return static_cast<int64_t>(shape_.size()); }
  int64_t dim(int64_t i) const { return shape_[static_cast<size_t>(i < 0 ? i + rank() : i)]; }
  int64_t numel() const { return numel_; }
  size_t nbytes() const { return static_cast<size_t>(numel_) * dtype_size(dtype_); }

  // Fixed-point Q format for i16 (and i8/i32 when used as fixed point): value = raw / 2^frac_bits.
  int frac_bits() const { return frac_bits_; }
  void set_frac_bits(int f) { frac_bits_ = f; }

  template <typename T> T* data() {
    SIEVE_ASSERT(dtype_of<T>() == dtype_, "tensor is {}, asked for {}", dtype_name(dtype_),
                 dtype_name(dtype_of<T>()));
    return reinterpret_cast<T*>(storage_.get());
  }
  template <typename T> const T* data() const {
    SIEVE_ASSERT(dtype_of<T>() == dtype_, "tensor is {}, asked for {}", dtype_name(dtype_),
                 dtype_name(dtype_of<T>()));
    return reinterpret_cast<const T*>(storage_.get());
  }
  template <typename T> std::span<T> span() { return {data<T>(), static_cast<size_t>(numel_)}; }
  template <typename T> std::span<const T> span() const {
    return {data<T>(), static_cast<size_t>(numel_)};
  }
  void* raw() { return storage_.get(); }
  const void* raw() const { return storage_.get(); }

  // Same storage, new shape (numel must match).
  Tensor reshaped(Shape shape) const;
  Tensor clone() const;
  // Element-wise conversion to f32 (fixed point types honour frac_bits).
  Tensor to_f32() const;

 private:
  DType dtype_ = DType::kF32;
  Shape shape_;
  int64_t numel_ = 0;
  int frac_bits_ = 0;
  std::shared_ptr<std::byte> storage_;
};

}  // namespace sieve
