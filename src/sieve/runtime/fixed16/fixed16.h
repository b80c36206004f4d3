// The 16-bit fixed-point reference engine: a naive evaluation of a whole CompressedModel in the
// arithmetic of the Sieve accelerator (thesis §4: 16-bit neurons and weights, SPEC §4). It has
// no selector logic; it defines the arithmetic that the functional model of the accelerator
// (hw/archs/sieve/functional.h) must reproduce bit for bit.
//
// Arithmetic (every rule below is part of the contract):
//  * Q formats. A 16-bit value with f fraction bits is raw / 2^f (raw in int16; f may be
//    negative for huge ranges). Round-to-fixed is round half away from zero, then saturate to
//    [-32768, 32767], everywhere (input quantization, weights, requantization, pooling,
//    nonlinear functions).
//  * Activations. The Q format of each activation value comes from the model's activation
//    table (CompressedModel::activation_frac_bits, the container's ACTQ section, filled by
//    compress::quant::calibrate). Ops that compute new values (the graph input's quantization,
//    FullyConnected, Conv, AveragePool, LSTM's Y) need an entry for their output and
//    requantize to it; a missing entry is refused (FailedPrecondition) naming the value —
//    nothing is calibrated behind the caller's back. Ops that only select or move values
//    (Relu, MaxPool, Flatten, Reshape, Identity, Dropout, Squeeze, Unsqueeze) keep their
//    input's Q format and ignore the table.
//  * Weights. Each weight tensor (FullyConnected/Conv W; LSTM W, R, P, W_proj) gets the
//    largest f with max|w| · 2^f ≤ 32767 over its decoded dense values
//    (compress::quant::choose_frac_bits), and raw = round(w · 2^f). Decoded means: a compressed
//    layer (CompressedModel::layers) is decoded from its mask and codes (compress::decode_layer)
//    — a code's weight is therefore its codebook entry quantized with the layer's f, exactly
//    what the accelerator's weight decoder LUT holds; other weights are the graph's initializer.
//  * Products are int16 × int16 (exact in 32 bits); sums run in an int64 accumulator, so the
//    adder-tree order cannot change a result. The accumulator of a layer is at scale
//    f_in + f_w; the bias is quantized directly to that scale (round half away from zero, kept
//    in int64, not saturated to 16 bits) and added to it. The output is the accumulator
//    requantized to the output's f (requantize()).
//  * Relu: max(x, 0). MaxPool: the largest int16 in the window (padded positions ignored).
//    AveragePool: the int64 sum of the window's values inside X divided by their count (ONNX
//    count_include_pad rules of the float reference), computed exactly as the rational
//    sum · 2^(f_out − f_in) / count and rounded half away from zero.
//  * A trailing Softmax/LogSoftmax (its output a graph output that no node reads) is not
//    evaluated: the engine returns its input (the logits; the argmax is the same).
//  * LSTM (forward, layout 0, default activations, no clip, no input_forget, no sequence_lens,
//    no initial state; peepholes and projection supported). Per step the gate accumulators are
//    W·x_t (scale f_W + f_x) and R·r_{t−1} (scale f_R + f_r) and the peephole products
//    p ⊙ c (scale f_P + f_c), each shifted left exactly onto the common scale
//    F = max of those scales, plus the bias (Wb + Rb, computed in double) quantized at F.
//    Gates are σ / tanh of the exact accumulator value (computed in double, rounded to
//    kGateFracBits); the cell state c has Options::lstm_cell_frac_bits; c_t = f ⊙ c_{t−1} +
//    i ⊙ g summed exactly at the finer of the two product scales and requantized; the output
//    gate sees c_t; m = o ⊙ tanh(c_t) requantized to kGateFracBits when there is a projection
//    (then r = W_proj · m requantized to Y's format) or directly to Y's format when there is
//    not. Y_h inherits Y's format; Y_c has the cell format. lstm_pointwise() is that
//    per-step vector arithmetic, shared with the functional model.
// Supported ops: Input, FullyConnected (alpha = beta = 1, trans_a = 0, trans_b = 1), Conv (any
// stride, padding, dilation and group, 2-D), MaxPool, AveragePool, Relu, Flatten, Reshape,
// Identity, Dropout, Squeeze, Unsqueeze, LSTM, and a trailing Softmax/LogSoftmax — every op of
// the zoo's lenet5, lenet-300-100, cifar10-quick and lstm. Other ops are refused by name.
//
// Thread-safety: pure functions of their arguments. Ownership: results own their tensors.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <span>
#include <string>
#include <vector>

#include "sieve/compress/model.h"
#include "sieve/core/status.h"
#include "sieve/core/tensor.h"
#include "sieve/ir/graph.h"

namespace sieve::runtime::fixed16 {

// Fraction bits of LSTM gate values (σ and tanh outputs, and m = o ⊙ tanh(c) before the
// projection): they lie in [−1, 1], and 14 fraction bits are the most that still hold +1.0
// exactly in an int16 (Q1.14).
inline constexpr int kGateFracBits = 14;

struct Options {
  // Q format of the LSTM cell state c: Q4.11, |c| < 16. Beyond |c| ≈ 5.5, tanh(c) is 1 to
  // within 2^-14 (the gate precision), so saturating the state at 16 changes m only through
  // the peepholes. The cell state is not a graph value, so the activation table cannot hold
  // it; it is a documented engine constant (not tuned to any result).
  int lstm_cell_frac_bits = 11;
};

// Called with every activation value the engine produces (value name, whole-batch i16 tensor
// with its frac bits set), in graph order: tests compare engines value by value.
using ValueHook = std::function<void(const std::string& value, const Tensor& t)>;

// ---- scalar arithmetic ----
int16_t saturate16(int64_t v);
// v · 2^-shift: for shift > 0 rounded half away from zero; for shift ≤ 0 an exact left shift
// (saturated to ±2^62 so it cannot overflow).
int64_t shift_round(int64_t v, int shift);
// An accumulator at scale acc_frac to an int16 at out_frac (shift_round, then saturate16).
int16_t requantize(int64_t acc, int acc_frac, int out_frac);
// x · 2^frac rounded half away from zero, saturated to int16 / to ±2^62 (wide).
int16_t quantize(double x, int frac);
int64_t quantize_wide(double x, int frac);
// σ and tanh of the fixed value acc / 2^acc_frac, computed in double and quantized to
// kGateFracBits.
int16_t sigmoid_q(int64_t acc, int acc_frac);
int16_t tanh_q(int64_t acc, int acc_frac);

// ---- tensors ----
// Largest f with max|w| · 2^f ≤ 32767 (compress::quant::choose_frac_bits) over an f32 tensor.
int weight_frac_bits(const Tensor& w);
// f32 → i16 with `frac` fraction bits (quantize() per element); the result carries frac.
Tensor quantize_tensor(const Tensor& x, int frac);

// The dense f32 weight a model uses for initializer `name`: the decoded compressed layer when
// there is one (compress::decode_layer), else the graph initializer.
Result<Tensor> dense_weight(const compress::CompressedModel& model, const std::string& name);

// The Q formats of a model: every activation value the engine produces, by the rules above.
struct Formats {
  std::map<std::string, int> value_frac;
};
Result<Formats> resolve_formats(const compress::CompressedModel& model, const Options& options);

// ---- vector-unit kernels (shared with the functional model) ----
// Output shape of node `n` with the given runtime shapes of its non-initializer operands
// (initializer operands are looked up in g; "" = omitted).
Result<Shape> output_shape(const ir::Graph& g, const ir::Node& n,
                           const std::map<std::string, Shape>& shapes);
// MaxPool on i16 (output keeps x's frac bits).
Result<Tensor> max_pool(const ir::Node& n, const Tensor& x, const Shape& out_shape);
// AveragePool on i16 to out_frac.
Result<Tensor> average_pool(const ir::Node& n, const Tensor& x, const Shape& out_shape,
                            int out_frac);
Tensor relu(const Tensor& x);

// The fixed-point constants of one LSTM node.
struct LstmQ {
  int64_t input = 0, hidden = 0, state = 0, proj = 0;
  int f_x = 0, f_r = 0, f_c = 0;      // activation formats: X, Y (r), cell
  int f_w = 0, f_rw = 0, f_p = 0, f_proj = 0;  // weight formats: W, R, P, W_proj
  int acc_frac = 0;                   // F: the gate accumulators' scale
  int shift_x = 0, shift_r = 0, shift_p = 0;  // left shifts of W·x, R·r, p ⊙ c products to F
  std::vector<int64_t> bias;          // 4H at scale F (order i, o, f, c)
  std::vector<int16_t> peep;          // 3H at f_p (order i, o, f), empty without peepholes
  Tensor w, r, w_proj;                // i16 weights: [4H, in], [4H, state], [proj, H]
};
// Checks the node against the supported subset and builds its constants.
Result<LstmQ> lstm_q(const compress::CompressedModel& model, const ir::Node& n,
                     const Formats& formats, const Options& options);
// One step's element-wise part: `acc` holds the 4H gate accumulators at scale F (W·x + R·r +
// bias, without peepholes); `c` (H, at f_c) is updated in place; `m` (H) receives
// o ⊙ tanh(c_t) at kGateFracBits when q.proj > 0, else at f_r (then m is the new state r).
void lstm_pointwise(const LstmQ& q, std::span<const int64_t> acc, std::span<int16_t> c,
                    std::span<int16_t> m);

// ---- the engine ----
// Evaluates the model on `input` (f32, the graph input's shape with any batch size). Returns
// the last graph output before any trailing Softmax (i16 with its frac bits).
Result<Tensor> run(const compress::CompressedModel& model, const Tensor& input,
                   const Options& options = {}, const ValueHook& hook = {});

}  // namespace sieve::runtime::fixed16
