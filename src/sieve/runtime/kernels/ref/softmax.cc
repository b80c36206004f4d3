// Reference Softmax / LogSoftmax along one axis (opset 13), or with coerce_2d=1 the opset < 13
// form: X viewed as 2-D [prod(dims before axis), prod(dims from axis)], normalised per row.
// The maximum is subtracted first, so large inputs do not overflow.
#include <algorithm>
#include <cmath>

#include "sieve/runtime/kernels/ref/ref.h"
#include "sieve/runtime/kernels/ref/util.h"

namespace sieve::runtime::ref {

Outputs softmax(const ir::Node& n, Inputs in, OutInfos out) {
  const Tensor& x = *in[0];
  const bool coerce = n.attr_int("coerce_2d", 0) == 1;
  int64_t axis = n.attr_int("axis", coerce ? 1 : -1);
  if (axis < 0) axis += x.rank();
  const Shape& s = x.shape();
  int64_t outer = 1, dim = 1, inner = 1;
  for (int64_t d = 0; d < x.rank(); ++d) {
    const int64_t v = s[static_cast<size_t>(d)];
    if (d < axis) {
      outer *= v;
    } else if (d == axis || coerce) {
      dim *= v;
    } else {
      inner *= v;
    }
  }
  const bool log = n.op == ir::OpKind::kLogSoftmax;
  Tensor y(DType::kF32, out[0].shape);
  const float* xd = x.data<float>();
  float* yd = y.data<float>();
  for (int64_t o = 0; o < outer; ++o) {
    for (int64_t i = 0; i < inner; ++i) {
      const int64_t base = o * dim * inner + i;
      double mx = -INFINITY;
      for (int64_t j = 0; j < dim; ++j) mx = std::max(mx, double{xd[base + j * inner]});
      double sum = 0;
      for (int64_t j = 0; j < dim; ++j) sum += std::exp(xd[base + j * inner] - mx);
      const double log_sum = std::log(sum);
      for (int64_t j = 0; j < dim; ++j) {
        const double v = xd[base + j * inner] - mx;
        yd[base + j * inner] = static_cast<float>(log ? v - log_sum : std::exp(v) / sum);
      }
    }
  }
  return std::vector<Tensor>{y};
}

}  // namespace sieve::runtime::ref
