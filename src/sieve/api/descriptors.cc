#include "sieve/api/descriptors.h"

#include <fmt/format.h>

#include <utility>

namespace sieve::api {

TensorDescriptor TensorDescriptor::nchw(std::string name, int64_t n, int64_t c, int64_t h,
                                        int64_t w) {
  TensorDescriptor t;
  t.name = std::move(name);
  t.n = n;
  t.c = c;
  t.h = h;
  t.w = w;
  return t;
}

TensorDescriptor TensorDescriptor::vector(std::string name, int64_t length) {
  return nchw(std::move(name), 1, length, 1, 1);
}

std::string TensorDescriptor::shape() const {
  return fmt::format("{}x{}x{}x{}", n, c, h, w);
}

FilterDescriptor FilterDescriptor::conv(std::string name, int64_t out, int64_t in, int64_t kh,
                                        int64_t kw, int64_t groups) {
  FilterDescriptor f;
  f.name = std::move(name);
  f.out_channels = out;
  f.in_channels = in;
  f.kh = kh;
  f.kw = kw;
  f.groups = groups;
  return f;
}

FilterDescriptor FilterDescriptor::inner_product(std::string name, int64_t out, int64_t in) {
  return conv(std::move(name), out, in, 1, 1, 1);
}

FilterDescriptor FilterDescriptor::lstm(std::string name, int64_t input, int64_t hidden) {
  return conv(std::move(name), 4 * hidden, input + hidden, 1, 1, 1);
}

const char* pool_mode_name(PoolMode m) {
  return m == PoolMode::kMax ? "max" : "average";
}

const char* activation_mode_name(ActivationMode m) {
  switch (m) {
    case ActivationMode::kRelu: return "relu";
    case ActivationMode::kSigmoid: return "sigmoid";
    case ActivationMode::kTanh: return "tanh";
  }
  return "?";
}

}  // namespace sieve::api
