// Reference Add, Sub, Mul, Div with numpy (multidirectional) broadcasting, for every numeric
// dtype. Floats compute in double and round once; integers wrap like C++ unsigned/numpy
// arithmetic of their width; integer division truncates toward zero (ONNX Runtime), and an
// integer division by zero is an error.
#include <type_traits>
#include <vector>

#include "sieve/runtime/kernels/ref/ref.h"
#include "sieve/runtime/kernels/ref/util.h"

namespace sieve::runtime::ref {

namespace {

// Strides of `s` (right-aligned to rank `r`) with 0 for broadcast dims.
std::vector<int64_t> broadcast_strides(const Shape& s, size_t r) {
  std::vector<int64_t> own = strides_of(s);
  std::vector<int64_t> out(r, 0);
  for (size_t i = 0; i < s.size(); ++i) {
    const size_t d = r - s.size() + i;
    out[d] = s[i] == 1 ? 0 : own[i];
  }
  return out;
}

template <typename T>
Status binary_typed(const ir::Node& n, const Tensor& a, const Tensor& b, Tensor& y) {
  const size_t r = y.shape().size();
  const std::vector<int64_t> sa = broadcast_strides(a.shape(), r);
  const std::vector<int64_t> sb = broadcast_strides(b.shape(), r);
  const T* ad = a.data<T>();
  const T* bd = b.data<T>();
  T* yd = y.data<T>();
  int64_t i = 0;
  for (MultiIndex ix(y.shape()); !ix.done(); ix.next(), ++i) {
    int64_t ia = 0, ib = 0;
    for (size_t d = 0; d < r; ++d) {
      ia += ix[d] * sa[d];
      ib += ix[d] * sb[d];
    }
    const T u = ad[ia];
    const T v = bd[ib];
    if constexpr (std::is_floating_point_v<T>) {
      const double x = u, z = v;
      double res = 0;
      switch (n.op) {
        case ir::OpKind::kAdd: res = x + z; break;
        case ir::OpKind::kSub: res = x - z; break;
        case ir::OpKind::kMul: res = x * z; break;
        case ir::OpKind::kDiv: res = x / z; break;
        default: return node_error(n, "not an element-wise binary op");
      }
      yd[i] = static_cast<T>(res);
    } else {
      // Wrap-around arithmetic in the unsigned type of the same width.
      using U = std::make_unsigned_t<T>;
      const U x = static_cast<U>(u), z = static_cast<U>(v);
      switch (n.op) {
        case ir::OpKind::kAdd: yd[i] = static_cast<T>(static_cast<U>(x + z)); break;
        case ir::OpKind::kSub: yd[i] = static_cast<T>(static_cast<U>(x - z)); break;
        case ir::OpKind::kMul: yd[i] = static_cast<T>(static_cast<U>(x * z)); break;
        case ir::OpKind::kDiv:
          if (v == 0) return node_error(n, "integer division by zero (element {})", i);
          // The one overflowing quotient (min / -1) wraps to min.
          if (std::is_signed_v<T> && v == T(-1)) {
            yd[i] = static_cast<T>(static_cast<U>(U(0) - x));
          } else {
            yd[i] = static_cast<T>(u / v);
          }
          break;
        default: return node_error(n, "not an element-wise binary op");
      }
    }
  }
  return ok_status();
}

}  // namespace

Outputs binary(const ir::Node& n, Inputs in, OutInfos out) {
  const Tensor& a = *in[0];
  const Tensor& b = *in[1];
  Tensor y(a.dtype(), out[0].shape);
  switch (a.dtype()) {
    case DType::kF32: SIEVE_RETURN_IF_ERROR(binary_typed<float>(n, a, b, y)); break;
    case DType::kI16: SIEVE_RETURN_IF_ERROR(binary_typed<int16_t>(n, a, b, y)); break;
    case DType::kI8: SIEVE_RETURN_IF_ERROR(binary_typed<int8_t>(n, a, b, y)); break;
    case DType::kU8: SIEVE_RETURN_IF_ERROR(binary_typed<uint8_t>(n, a, b, y)); break;
    case DType::kI32: SIEVE_RETURN_IF_ERROR(binary_typed<int32_t>(n, a, b, y)); break;
    case DType::kI64: SIEVE_RETURN_IF_ERROR(binary_typed<int64_t>(n, a, b, y)); break;
  }
  return std::vector<Tensor>{y};
}

}  // namespace sieve::runtime::ref
