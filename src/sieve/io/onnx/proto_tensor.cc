#include "sieve/io/onnx/proto_tensor.h"

#include <bit>
#include <cstring>
#include <limits>
#include <optional>

#include "sieve/core/checked.h"

namespace sieve::io::detail {

static_assert(std::endian::native == std::endian::little,
              "ONNX raw_data is little-endian; a big-endian host needs byte swapping here");

std::string onnx_dtype_name(int32_t elem_type) {
  if (onnx::TensorProto_DataType_IsValid(elem_type)) {
    return onnx::TensorProto_DataType_Name(static_cast<onnx::TensorProto_DataType>(elem_type));
  }
  return fmt::format("<invalid {}>", elem_type);
}

Result<DType> dtype_from_onnx(int32_t elem_type, const std::string& where) {
  switch (elem_type) {
    case onnx::TensorProto_DataType_FLOAT: return DType::kF32;
    case onnx::TensorProto_DataType_INT64: return DType::kI64;
    case onnx::TensorProto_DataType_INT32: return DType::kI32;
    case onnx::TensorProto_DataType_INT16: return DType::kI16;
    case onnx::TensorProto_DataType_INT8: return DType::kI8;
    case onnx::TensorProto_DataType_UINT8:
    case onnx::TensorProto_DataType_BOOL: return DType::kU8;
    default: break;
  }
  return unimplemented(
      "{}: element type {} ({}) is not supported (supported: FLOAT, INT64, "
      "INT32, INT16, INT8, UINT8, BOOL)",
      where, onnx_dtype_name(elem_type), elem_type);
}

int32_t onnx_from_dtype(DType t) {
  switch (t) {
    case DType::kF32: return onnx::TensorProto_DataType_FLOAT;
    case DType::kI16: return onnx::TensorProto_DataType_INT16;
    case DType::kI8: return onnx::TensorProto_DataType_INT8;
    case DType::kU8: return onnx::TensorProto_DataType_UINT8;
    case DType::kI32: return onnx::TensorProto_DataType_INT32;
    case DType::kI64: return onnx::TensorProto_DataType_INT64;
  }
  SIEVE_ASSERT(false, "unknown DType {}", static_cast<int>(t));
  return 0;
}

namespace {

// Copies a typed repeated field into the tensor, converting element by element.
template <typename Dst, typename Field>
Status copy_field(const Field& field, Tensor& t, const std::string& where, const char* fname) {
  if (static_cast<int64_t>(field.size()) != t.numel()) {
    return data_loss("{}: {} has {} values, dims {} need {}", where, fname, field.size(),
                     shape_str(t.shape()), t.numel());
  }
  Dst* out = t.data<Dst>();
  for (int i = 0; i < field.size(); ++i) {
    auto v = field.Get(i);
    if constexpr (std::is_integral_v<Dst> && !std::is_same_v<Dst, int64_t>) {
      if (v < static_cast<decltype(v)>(std::numeric_limits<Dst>::min()) ||
          v > static_cast<decltype(v)>(std::numeric_limits<Dst>::max())) {
        return data_loss("{}: {}[{}] = {} is out of range for {}", where, fname, i, v,
                         dtype_name(t.dtype()));
      }
    }
    out[i] = static_cast<Dst>(v);
  }
  return ok_status();
}

}  // namespace

Result<Tensor> tensor_from_proto(const onnx::TensorProto& p, const std::string& where) {
  if (p.has_data_location() && p.data_location() == onnx::TensorProto_DataLocation_EXTERNAL) {
    return unimplemented(
        "{}: tensor \"{}\" keeps its data in an external file, which is not "
        "supported (save the model with the data embedded)",
        where, p.name());
  }
  if (p.has_segment()) {
    return unimplemented("{}: tensor \"{}\" is segmented, which is not supported", where, p.name());
  }
  if (!p.has_data_type() || p.data_type() == onnx::TensorProto_DataType_UNDEFINED) {
    return data_loss("{}: tensor \"{}\" has no data_type", where, p.name());
  }
  SIEVE_ASSIGN_OR_RETURN(
      DType dtype,
      dtype_from_onnx(p.data_type(), fmt::format("{}: tensor \"{}\"", where, p.name())));
  Shape shape;
  for (int64_t d : p.dims()) {
    if (d < 0) {
      return data_loss("{}: tensor \"{}\" has a negative dimension {}", where, p.name(), d);
    }
    shape.push_back(d);
  }
  const std::string tname =
      p.name().empty() ? where : fmt::format("{}: tensor \"{}\"", where, p.name());
  // The data must match the dims before anything is allocated: dims are only a claim, the
  // data is what the file holds, so a file can never make us allocate more than it carries.
  const std::optional<int64_t> numel = checked_numel(shape);
  const size_t elem = dtype_size(dtype);  // BOOL is one byte per element, like UINT8
  if (!numel || *numel > std::numeric_limits<int64_t>::max() / static_cast<int64_t>(elem)) {
    return data_loss("{}: dims {} have more than 2^63 bytes of elements", tname,
                     shape_str(shape));
  }
  if (p.has_raw_data()) {
    const uint64_t want = static_cast<uint64_t>(*numel) * elem;
    if (p.raw_data().size() != want) {
      return data_loss("{}: raw_data has {} bytes, dims {} of {} need {}", tname,
                       p.raw_data().size(), shape_str(shape), onnx_dtype_name(p.data_type()), want);
    }
    Tensor t(dtype, shape);
    if (want > 0) std::memcpy(t.raw(), p.raw_data().data(), want);
    return t;
  }
  int64_t have = 0;
  const char* field = "int32_data";
  switch (p.data_type()) {
    case onnx::TensorProto_DataType_FLOAT:
      have = p.float_data_size();
      field = "float_data";
      break;
    case onnx::TensorProto_DataType_INT64:
      have = p.int64_data_size();
      field = "int64_data";
      break;
    default: have = p.int32_data_size(); break;
  }
  if (have != *numel) {
    return data_loss("{}: {} has {} values, dims {} need {}", tname, field, have,
                     shape_str(shape), *numel);
  }
  Tensor t(dtype, shape);
  switch (p.data_type()) {
    case onnx::TensorProto_DataType_FLOAT:
      SIEVE_RETURN_IF_ERROR(copy_field<float>(p.float_data(), t, tname, "float_data"));
      break;
    case onnx::TensorProto_DataType_INT64:
      SIEVE_RETURN_IF_ERROR(copy_field<int64_t>(p.int64_data(), t, tname, "int64_data"));
      break;
    case onnx::TensorProto_DataType_INT32:
      SIEVE_RETURN_IF_ERROR(copy_field<int32_t>(p.int32_data(), t, tname, "int32_data"));
      break;
    case onnx::TensorProto_DataType_INT16:
      SIEVE_RETURN_IF_ERROR(copy_field<int16_t>(p.int32_data(), t, tname, "int32_data"));
      break;
    case onnx::TensorProto_DataType_INT8:
      SIEVE_RETURN_IF_ERROR(copy_field<int8_t>(p.int32_data(), t, tname, "int32_data"));
      break;
    case onnx::TensorProto_DataType_UINT8:
    case onnx::TensorProto_DataType_BOOL:
      SIEVE_RETURN_IF_ERROR(copy_field<uint8_t>(p.int32_data(), t, tname, "int32_data"));
      break;
    default: SIEVE_ASSERT(false, "dtype_from_onnx accepted {}", p.data_type());
  }
  return t;
}

void tensor_to_proto(const Tensor& t, const std::string& name, onnx::TensorProto* p) {
  p->Clear();
  p->set_name(name);
  p->set_data_type(onnx_from_dtype(t.dtype()));
  for (int64_t d : t.shape()) p->add_dims(d);
  if (t.nbytes() > 0) {
    p->set_raw_data(static_cast<const char*>(t.raw()), t.nbytes());
  } else {
    p->set_raw_data(std::string());
  }
}

}  // namespace sieve::io::detail
