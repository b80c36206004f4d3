// The descriptors of the library API (thesis §4.3.1, code 4.1; docs/api.md): what a layer's
// tensors, weights and operation are, in the style of cuDNN's descriptors. A descriptor only
// describes; the calls of api.h (ConvForward, ...) check each against the others and append a
// layer to a Network.
//
//   TensorDescriptor   activations: shape N×C×H×W (a vector: 1×L×1×1), element bits, the
//                      `sparse` attribute with its density (fraction non-zero), DRAM address
//   FilterDescriptor   weights: out/in channels, kernel, groups, the `sparse` attribute with the
//                      density of kept pruning blocks and the block shape, local quantization
//                      (code bits, codebook region grid), DRAM address
//   ConvDescriptor     strides, padding, dilation
//   PoolingDescriptor  max / average, window, strides, padding, Caffe's ceil rounding
//   ActivationDescriptor  relu / sigmoid / tanh
//   LstmDescriptor     input size, hidden size, time steps
//
// Sparse attributes are statistics, not data: the library draws a mask with the declared
// density of kept blocks and activation bits at the declared density (seeded), exactly as the
// thesis benchmarks are drawn (hw/workloads/thesis.h), and compiles and simulates those.
//
// Addresses: kAutoAddress lets the compiler lay the tensor out (after the tensors with a
// declared address); a declared address must be a multiple of kAddressAlign and below
// kAddressLimit.
//
// Value types; no shared state.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace sieve::api {

inline constexpr int64_t kAutoAddress = -1;
inline constexpr int64_t kAddressAlign = 64;                  // the code generator's DRAM lines
inline constexpr int64_t kAddressLimit = int64_t{1} << 40;    // ld/st address field: 40 bits

struct TensorDescriptor {
  std::string name = "tensor";  // names it in errors
  int64_t n = 1, c = 1, h = 1, w = 1;
  int bits = 16;                // element bits: the accelerators' 16-bit fixed point
  bool sparse = false;          // stored as non-zeros + bit string where the mode allows
  double density = 1.0;         // fraction of non-zero elements, (0, 1]; 1 unless sparse
  int64_t address = kAutoAddress;

  static TensorDescriptor nchw(std::string name, int64_t n, int64_t c, int64_t h, int64_t w);
  static TensorDescriptor vector(std::string name, int64_t length);  // 1 × length × 1 × 1
  TensorDescriptor& sparse_at(double d) {
    sparse = true;
    density = d;
    return *this;
  }
  TensorDescriptor& at(int64_t a) {
    address = a;
    return *this;
  }
  int64_t per_sample() const { return c * h * w; }
  std::string shape() const;  // "1x20x24x24"
};

struct FilterDescriptor {
  std::string name = "filter";
  int64_t out_channels = 0;  // output channels / output neurons / LSTM gate rows (4·hidden)
  int64_t in_channels = 0;   // input channels (all groups) / input neurons / input + hidden
  int64_t kh = 1, kw = 1;
  int64_t groups = 1;        // grouped convolution: divides both channel counts
  bool sparse = false;       // pruned in blocks
  double density = 1.0;      // fraction of blocks kept, (0, 1]; 1 unless sparse
  // The pruning block, one entry per weight dimension, each between 1 and its dimension (a
  // partial block at an edge counts as one, as in compress/model.h): conv [out, in/groups, kh,
  // kw]; inner product [out, in]; LSTM [rows, cols] of each of W (4·hidden × input) and R
  // (4·hidden × hidden). Empty: single weights.
  std::vector<int64_t> block;
  int code_bits = 0;  // local quantization: code width 1..16 (the WDM's LUT); 0: 16-bit weights
  int64_t region_rows = 1, region_cols = 1;  // codebook grid over the 2-D view (one each)
  int64_t address = kAutoAddress;

  static FilterDescriptor conv(std::string name, int64_t out, int64_t in, int64_t kh, int64_t kw,
                               int64_t groups = 1);
  static FilterDescriptor inner_product(std::string name, int64_t out, int64_t in);
  // The gate matrices of an LSTM step: 4·hidden rows over [x_t; h_{t-1}].
  static FilterDescriptor lstm(std::string name, int64_t input, int64_t hidden);
  FilterDescriptor& sparse_blocks(double d, std::vector<int64_t> b) {
    sparse = true;
    density = d;
    block = std::move(b);
    return *this;
  }
  FilterDescriptor& quantized(int bits, int64_t rows = 1, int64_t cols = 1) {
    code_bits = bits;
    region_rows = rows;
    region_cols = cols;
    return *this;
  }
  FilterDescriptor& at(int64_t a) {
    address = a;
    return *this;
  }
};

struct ConvDescriptor {
  int64_t stride_h = 1, stride_w = 1;
  int64_t pad_h = 0, pad_w = 0;  // on both sides
  int64_t dilation_h = 1, dilation_w = 1;
  static ConvDescriptor make(int64_t stride, int64_t pad) {
    return ConvDescriptor{stride, stride, pad, pad, 1, 1};
  }
};

enum class PoolMode { kMax, kAverage };
struct PoolingDescriptor {
  PoolMode mode = PoolMode::kMax;
  int64_t window_h = 2, window_w = 2;
  int64_t stride_h = 2, stride_w = 2;
  int64_t pad_h = 0, pad_w = 0;
  bool ceil = false;  // Caffe's rounding: output sizes rounded up
  static PoolingDescriptor make(PoolMode m, int64_t window, int64_t stride, bool ceil = false) {
    return PoolingDescriptor{m, window, window, stride, stride, 0, 0, ceil};
  }
};

enum class ActivationMode { kRelu, kSigmoid, kTanh };
struct ActivationDescriptor {
  ActivationMode mode = ActivationMode::kRelu;
};

struct LstmDescriptor {
  int64_t input = 0, hidden = 0, steps = 1;
};

const char* pool_mode_name(PoolMode m);              // "max", "average"
const char* activation_mode_name(ActivationMode m);  // "relu", "sigmoid", "tanh"

}  // namespace sieve::api
