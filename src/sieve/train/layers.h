// Forward and backward kernels of the layers Sieve trains, on raw f32 buffers (NCHW, batch
// first). They are the numeric core of train::Network; tests check each backward against
// finite differences of its forward.
//
// Conventions: `n` is the batch size; activations are contiguous [n, per-example...]. Weight
// and bias gradients are ACCUMULATED (+=) so that a weight used twice sums its contributions;
// input gradients `dx` are OVERWRITTEN (pass nullptr to skip computing them). Scratch buffers
// are owned by the caller and sized as documented. Convolutions and fully connected layers run
// on OpenBLAS sgemm (runtime/kernels/blas), everything else is plain single-threaded C++.
// Thread-safety: the functions keep no state; concurrent calls on disjoint buffers are safe.
#pragma once

#include <cstdint>

namespace sieve::train {

// ---- Fully connected (ONNX Gemm with trans_a = 0): y = alpha * x * op(w) + beta * b.
// x [n, k]; w [out, k] when trans_b, else [k, out]; b [out] or nullptr; y [n, out].
struct FcGeometry {
  int64_t in = 0;
  int64_t out = 0;
  bool trans_b = true;
  float alpha = 1.0f;
  float beta = 1.0f;
};
void fc_forward(const FcGeometry& g, const float* x, const float* w, const float* b, int64_t n,
                float* y);
void fc_backward(const FcGeometry& g, const float* x, const float* w, const float* dy, int64_t n,
                 float* dw, float* db, float* dx);

// ---- 2-D convolution with stride, padding, dilation and groups.
struct ConvGeometry {
  int64_t c = 0, h = 0, w = 0;  // input channels and size
  int64_t m = 0;                // output channels
  int64_t kh = 1, kw = 1;
  int64_t sh = 1, sw = 1;                  // strides
  int64_t dh = 1, dw = 1;                  // dilations
  int64_t pt = 0, pl = 0, pb = 0, pr = 0;  // pads: top, left, bottom, right
  int64_t group = 1;
  int64_t oh = 0, ow = 0;  // output size (fill with conv_output_size)
  int64_t chunk = 0;       // images per im2col chunk; 0: sized for the L2 cache

  int64_t col_rows() const { return c * kh * kw; }  // rows of the im2col matrix
  int64_t out_plane() const { return oh * ow; }
};
// Fills g.oh and g.ow from the other fields; returns false when the output would be empty.
bool conv_output_size(ConvGeometry& g);
// col [c*kh*kw, n*oh*ow]: row (ci*kh + i)*kw + j, column b*oh*ow + p.
void im2col(const ConvGeometry& g, const float* x, int64_t n, float* col);
// dx [n, c, h, w] = the adjoint of im2col applied to dcol (dx is overwritten).
void col2im(const ConvGeometry& g, const float* dcol, int64_t n, float* dx);
// Convolutions run on chunks of `conv_chunk(g, n)` images at a time so that the im2col matrix
// of a chunk stays in the L2 cache; backward recomputes it instead of keeping it.
int64_t conv_chunk(const ConvGeometry& g, int64_t n);
// Floats of scratch conv_forward/conv_backward need for a batch of n.
int64_t conv_scratch_size(const ConvGeometry& g, int64_t n);
// y [n, m, oh, ow] = conv(x) + b (b may be nullptr).
void conv_forward(const ConvGeometry& g, const float* x, const float* w, const float* b, int64_t n,
                  float* scratch, float* y);
// dw [m, c/group, kh, kw] and db [m] (nullable) accumulate; dx (nullable) is overwritten.
void conv_backward(const ConvGeometry& g, const float* x, const float* w, const float* dy,
                   int64_t n, float* scratch, float* dw, float* db, float* dx);

// ---- 2-D max and average pooling (ONNX semantics; padding never wins a max).
struct PoolGeometry {
  int64_t c = 0, h = 0, w = 0;
  int64_t kh = 1, kw = 1;
  int64_t sh = 1, sw = 1;
  int64_t dh = 1, dw = 1;  // dilations (MaxPool only)
  int64_t pt = 0, pl = 0, pb = 0, pr = 0;
  bool ceil_mode = false;
  bool count_include_pad = false;  // AveragePool only
  int64_t oh = 0, ow = 0;
};
// Fills g.oh, g.ow (floor or ceil; with ceil_mode a last window that would start in the bottom
// or right padding is dropped, as ONNX and PyTorch do). Returns false when empty.
bool pool_output_size(PoolGeometry& g);
// argmax [n, c, oh, ow]: index ih*w + iw of the chosen input in its plane.
void maxpool_forward(const PoolGeometry& g, const float* x, int64_t n, float* y, int32_t* argmax);
void maxpool_backward(const PoolGeometry& g, const float* dy, const int32_t* argmax, int64_t n,
                      float* dx);
void avgpool_forward(const PoolGeometry& g, const float* x, int64_t n, float* y);
void avgpool_backward(const PoolGeometry& g, const float* dy, int64_t n, float* dx);
// Mean over each [h, w] plane: x [n, c, hw] -> y [n, c].
void global_avgpool_forward(int64_t c, int64_t hw, const float* x, int64_t n, float* y);
void global_avgpool_backward(int64_t c, int64_t hw, const float* dy, int64_t n, float* dx);

// ---- Element-wise activations over `count` values. Backward uses the forward output y
// (Relu uses y > 0, which equals x > 0).
enum class Activation { kRelu, kSigmoid, kTanh };
void activation_forward(Activation a, const float* x, int64_t count, float* y);
void activation_backward(Activation a, const float* y, const float* dy, int64_t count, float* dx);

// ---- Dropout: y = x * mask * scale, mask values 0 or 1, scale = 1 / (1 - ratio).
void dropout_apply(const float* x, const uint8_t* mask, float scale, int64_t count, float* y);

// ---- Softmax cross-entropy, mean over the batch. logits [n, classes]; labels [n] in
// [0, classes). Writes dlogits = (softmax - onehot) / n when dlogits is not nullptr, adds the
// number of examples whose argmax equals the label to *correct when not nullptr. Returns the
// mean loss.
double softmax_cross_entropy(const float* logits, const uint8_t* labels, int64_t n, int64_t classes,
                             float* dlogits, int64_t* correct);

// ---- Knowledge distillation (Hinton, Vinyals & Dean 2015), mean over the batch: the loss
// T² · KL(softmax(teacher / T) || softmax(logits / T)) per example, whose gradient is
// T · (softmax(logits / T) - softmax(teacher / T)); the T² keeps its gradient on the scale of
// the cross-entropy's as T changes. Writes dlogits = that gradient / n when not nullptr.
double distillation_loss(const float* logits, const float* teacher, int64_t n, int64_t classes,
                         double temperature, float* dlogits);

}  // namespace sieve::train
