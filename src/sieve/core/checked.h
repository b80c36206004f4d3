// Checked size arithmetic and the memory limit.
//
// Sizes that come from input (a file's dims, a --batch, a recipe's block) are multiplied with
// these helpers, so an overflow is an error value naming the numbers instead of a wrapped (and
// undefined) product. The memory limit is the one number every "would this allocation be
// absurd?" check compares against: $SIEVE_MEMORY_LIMIT (bytes, with an optional K/M/G/T
// suffix) if set, else the machine's physical memory.
//
// Thread-safety: pure functions; memory_limit_bytes() reads the environment on every call.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "sieve/core/status.h"
#include "sieve/core/tensor.h"

namespace sieve {

// a * b, or nullopt if the product does not fit in int64_t. Operands may be negative.
inline std::optional<int64_t> checked_mul(int64_t a, int64_t b) {
  int64_t r = 0;
  if (__builtin_mul_overflow(a, b, &r)) return std::nullopt;
  return r;
}

// a + b, or nullopt on overflow.
inline std::optional<int64_t> checked_add(int64_t a, int64_t b) {
  int64_t r = 0;
  if (__builtin_add_overflow(a, b, &r)) return std::nullopt;
  return r;
}

// The element count of `shape`; nullopt if a dimension is negative or the product overflows.
std::optional<int64_t> checked_numel(const Shape& shape);

// checked_numel × dtype_size as a Result: "`what` of shape [..] has more than 2^63 bytes".
Result<int64_t> checked_bytes(const Shape& shape, DType dtype, const std::string& what);

// The memory limit in bytes (see the file comment). Never 0.
int64_t memory_limit_bytes();

// ok if `bytes` <= memory_limit_bytes(); else an error naming `what`, the bytes and the limit:
// "`what` needs 8.0 GiB (8589934592 bytes), more than the memory limit of 1.0 GiB ...".
Status check_memory(int64_t bytes, const std::string& what);

// "1.5 GiB" for messages.
std::string human_bytes(int64_t bytes);

}  // namespace sieve
