// The outputs file: the final-layer outputs of a model on a data set (one row per sample), as
// written by `sieve run --dump-outputs` and `sieve simulate --functional --dump-outputs`, so
// that two engines can be compared byte for byte. Byte layout: docs/formats/outputs.md
// (magic "SIEVEOUT", version, dtype i16 + fraction bits or f32, samples, width, little-endian
// row-major data, CRC32 of everything before it).
//
// write_outputs writes through a temporary file and a rename (core/atomic_file.h).
// parse_outputs/read_outputs check the magic, version, dtype, sizes and CRC before using a
// byte; a truncated or corrupted file is a DataLoss error naming the file and the field.
// Ownership: results own their data. Thread-safety: reentrant.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "sieve/core/status.h"
#include "sieve/core/tensor.h"

namespace sieve::io {

inline constexpr char kOutputsMagic[8] = {'S', 'I', 'E', 'V', 'E', 'O', 'U', 'T'};
inline constexpr uint32_t kOutputsVersion = 1;
inline constexpr size_t kOutputsHeaderBytes = 32;

// `outputs`: i16 (its frac_bits are stored, -128..127) or f32, rank ≥ 1; dimension 0 is the
// sample, the rest is flattened into the row width. Other dtypes are refused.
Result<std::string> serialize_outputs(const Tensor& outputs);
Status write_outputs(const std::string& path, const Tensor& outputs);

// The tensor back, shape [samples, width] (frac bits restored for i16). `origin` names the
// bytes in errors.
Result<Tensor> parse_outputs(std::string_view bytes, const std::string& origin);
Result<Tensor> read_outputs(const std::string& path);

}  // namespace sieve::io
