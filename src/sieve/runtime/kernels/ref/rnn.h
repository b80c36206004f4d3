// Reference LSTM and GRU kernels (ONNX semantics, opset 14), plus Sieve's LSTM projection
// extension (the LSTMP of Sak et al. 2014, used by the acoustic model of SPEC §3 and ESE).
//
// Operands follow ONNX order; `inputs[i]` is nullptr for an omitted optional operand:
//   LSTM: X, W, R, [B], [sequence_lens], [initial_h], [initial_c], [P], [W_proj]
//   GRU:  X, W, R, [B], [sequence_lens], [initial_h]
// Gate order is i, o, f, c (LSTM) and z, r, h (GRU). Attributes: hidden_size, direction
// ("forward", "reverse", "bidirectional"), layout (0: X is [seq, batch, input]; 1: [batch, seq,
// input]), activations (+ activation_alpha / activation_beta), clip, input_forget (LSTM),
// linear_before_reset (GRU), proj_size (LSTM extension).
// Outputs: Y [seq, dirs, batch, hidden] (layout 1: [batch, seq, dirs, hidden]), Y_h and, for
// LSTM, Y_c [dirs, batch, hidden] (layout 1: [batch, dirs, hidden]). One tensor is returned per
// name in `node.outputs` (all of them when the node lists none).
//
// Conventions where ONNX leaves a choice (they match ONNX Runtime's CPU kernels):
// - sequence_lens (i32 or i64): steps at or past a batch entry's length produce zeros in Y;
//   Y_h / Y_c hold the state after the entry's last valid step, or zeros for a zero length.
//   The reverse direction runs from step len-1 down to 0 of each entry.
// - clip bounds the pre-activation of every gate (after bias and peephole terms), not c_t.
// - input_forget=1 couples the gates: f = 1 - i.
// - activation_alpha / activation_beta are consumed in activation order, only by the functions
//   that take them; missing values take the ONNX operators' defaults (LeakyRelu 0.01,
//   HardSigmoid 0.2/0.5, Elu 1, ThresholdedRelu 1, Affine 1/0, ScaledTanh 1/1). Names are
//   case-insensitive; a bidirectional node may give one set, which both directions then use.
// Projection (proj_size > 0, 9th input W_proj [dirs, proj_size, hidden]): h_t = o ⊙ h(c_t) and
// the recurrent state is r_t = W_proj · h_t, so R is [dirs, 4*hidden, proj_size], initial_h,
// Y and Y_h carry r_t (last dim proj_size) and Y_c carries c_t.
// Thread-safety: pure functions of their arguments.
#pragma once

#include <span>
#include <vector>

#include "sieve/core/status.h"
#include "sieve/core/tensor.h"
#include "sieve/ir/graph.h"

namespace sieve::runtime::ref {

Result<std::vector<Tensor>> lstm(const ir::Node& node, std::span<const Tensor* const> inputs);
Result<std::vector<Tensor>> gru(const ir::Node& node, std::span<const Tensor* const> inputs);

}  // namespace sieve::runtime::ref
