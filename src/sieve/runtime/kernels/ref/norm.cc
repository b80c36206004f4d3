// Reference normalisations.
// BatchNormalization (inference): y = scale[c] * (x - mean[c]) / sqrt(var[c] + epsilon) + B[c]
// over channel dim 1.
// LRN (ONNX, across channels): y = x / (bias + alpha / size * sum x'^2)^beta, the sum over
// channels c' in [c - floor((size-1)/2), c + ceil((size-1)/2)] clipped to [0, C).
#include <algorithm>
#include <cmath>

#include "sieve/runtime/kernels/ref/ref.h"
#include "sieve/runtime/kernels/ref/util.h"

namespace sieve::runtime::ref {

Outputs batch_norm(const ir::Node& n, Inputs in, OutInfos out) {
  const Tensor& x = *in[0];
  const float* scale = in[1]->data<float>();
  const float* shift = in[2]->data<float>();
  const float* mean = in[3]->data<float>();
  const float* var = in[4]->data<float>();
  const double eps = n.attr_float("epsilon", 1e-5);
  const int64_t batch = x.dim(0);
  const int64_t channels = x.dim(1);
  const int64_t inner = batch * channels > 0 ? x.numel() / (batch * channels) : 0;
  Tensor y(DType::kF32, out[0].shape);
  const float* xd = x.data<float>();
  float* yd = y.data<float>();
  for (int64_t b = 0; b < batch; ++b) {
    for (int64_t c = 0; c < channels; ++c) {
      const double inv = 1.0 / std::sqrt(double{var[c]} + eps);
      const int64_t base = (b * channels + c) * inner;
      for (int64_t i = 0; i < inner; ++i) {
        yd[base + i] =
            static_cast<float>(scale[c] * (xd[base + i] - double{mean[c]}) * inv + shift[c]);
      }
    }
  }
  return std::vector<Tensor>{y};
}

Outputs lrn(const ir::Node& n, Inputs in, OutInfos out) {
  const Tensor& x = *in[0];
  const int64_t size = n.attr_int("size", 1);
  const double alpha = n.attr_float("alpha", 1e-4);
  const double beta = n.attr_float("beta", 0.75);
  const double bias = n.attr_float("bias", 1.0);
  const int64_t batch = x.dim(0);
  const int64_t channels = x.dim(1);
  const int64_t inner = batch * channels > 0 ? x.numel() / (batch * channels) : 0;
  const int64_t before = (size - 1) / 2;    // floor((size-1)/2)
  const int64_t after = size - 1 - before;  // ceil((size-1)/2)
  Tensor y(DType::kF32, out[0].shape);
  const float* xd = x.data<float>();
  float* yd = y.data<float>();
  for (int64_t b = 0; b < batch; ++b) {
    for (int64_t c = 0; c < channels; ++c) {
      const int64_t lo = std::max<int64_t>(0, c - before);
      const int64_t hi = std::min<int64_t>(channels - 1, c + after);
      for (int64_t i = 0; i < inner; ++i) {
        double sq = 0;
        for (int64_t cc = lo; cc <= hi; ++cc) {
          const double v = xd[(b * channels + cc) * inner + i];
          sq += v * v;
        }
        const int64_t at = (b * channels + c) * inner + i;
        yd[at] = static_cast<float>(xd[at] / std::pow(bias + alpha / size * sq, beta));
      }
    }
  }
  return std::vector<Tensor>{y};
}

}  // namespace sieve::runtime::ref
