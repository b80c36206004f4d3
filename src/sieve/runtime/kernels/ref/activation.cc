// Reference activations: Relu max(x, 0), Sigmoid 1 / (1 + e^-x) (evaluated without overflow for
// large |x|), Tanh. Element-wise in double, rounded to f32.
#include <cmath>

#include "sieve/runtime/kernels/ref/ref.h"
#include "sieve/runtime/kernels/ref/util.h"

namespace sieve::runtime::ref {

namespace {
double sigmoid(double x) {
  if (x >= 0) return 1.0 / (1.0 + std::exp(-x));
  const double e = std::exp(x);
  return e / (1.0 + e);
}
}  // namespace

Outputs activation(const ir::Node& n, Inputs in, OutInfos out) {
  const Tensor& x = *in[0];
  Tensor y(DType::kF32, out[0].shape);
  const float* xd = x.data<float>();
  float* yd = y.data<float>();
  const int64_t count = x.numel();
  if (n.op == ir::OpKind::kRelu) {
    // NaN stays NaN (ONNX Runtime and numpy's maximum agree).
    for (int64_t i = 0; i < count; ++i) yd[i] = xd[i] < 0 ? 0.0f : xd[i];
  } else if (n.op == ir::OpKind::kSigmoid) {
    for (int64_t i = 0; i < count; ++i) yd[i] = static_cast<float>(sigmoid(xd[i]));
  } else if (n.op == ir::OpKind::kTanh) {
    for (int64_t i = 0; i < count; ++i) yd[i] = static_cast<float>(std::tanh(double{xd[i]}));
  } else {
    return node_error(n, "not an activation");
  }
  return std::vector<Tensor>{y};
}

}  // namespace sieve::runtime::ref
