// Internal to io/onnx: conversions between onnx::TensorProto / element types and Sieve
// Tensor / DType. Not part of the public API (include sieve/io/onnx/onnx.h instead).
#pragma once

#include <onnx/onnx_pb.h>

#include <cstdint>
#include <string>

#include "sieve/core/status.h"
#include "sieve/core/tensor.h"

namespace sieve::io::detail {

// "FLOAT", "INT64", ... for an ONNX TensorProto.DataType value.
std::string onnx_dtype_name(int32_t elem_type);
// ONNX element type -> DType (BOOL maps to u8). `where` prefixes error messages.
Result<DType> dtype_from_onnx(int32_t elem_type, const std::string& where);
int32_t onnx_from_dtype(DType t);

// Parses the data of a TensorProto (raw_data little-endian or the typed repeated fields).
Result<Tensor> tensor_from_proto(const onnx::TensorProto& p, const std::string& where);
// Writes `t` into `p` (dims, data_type, raw_data, name).
void tensor_to_proto(const Tensor& t, const std::string& name, onnx::TensorProto* p);

}  // namespace sieve::io::detail
