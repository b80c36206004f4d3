// Reference kernels: naive, obviously correct float implementations of every op in ops.def with
// ONNX semantics (the oracle every fast kernel and accelerator model is checked against).
//
// Contract: each function evaluates one node whose operands have already passed
// ir::infer_node (runtime::run_ref_node does this), so shapes, dtypes and attributes are valid;
// `out` holds the inferred info of each node output. `in[i]` is nullptr for an omitted optional
// operand. One tensor is returned per node output. Accumulations run in double precision.
// The shape-glue ops (Concat, Flatten, Reshape, Squeeze, Unsqueeze, Transpose, Pad, Identity,
// Dropout's Y) move elements of any dtype; Add/Sub/Mul/Div take any numeric dtype (integer
// division truncates toward zero); MaxPool takes f32, u8 and i8; the rest take f32.
// LSTM and GRU live in rnn.h. Thread-safety: pure functions of their arguments.
#pragma once

#include <span>
#include <vector>

#include "sieve/core/status.h"
#include "sieve/core/tensor.h"
#include "sieve/ir/graph.h"

namespace sieve::runtime::ref {

using Inputs = std::span<const Tensor* const>;
using OutInfos = std::span<const ir::ValueInfo>;
using Outputs = Result<std::vector<Tensor>>;

// fc.cc
Outputs fully_connected(const ir::Node& n, Inputs in, OutInfos out);  // ONNX Gemm
Outputs matmul(const ir::Node& n, Inputs in, OutInfos out);
// conv.cc
Outputs conv(const ir::Node& n, Inputs in, OutInfos out);
// pool.cc
Outputs max_pool(const ir::Node& n, Inputs in, OutInfos out);  // optional Indices output
Outputs average_pool(const ir::Node& n, Inputs in, OutInfos out);
Outputs global_pool(const ir::Node& n, Inputs in, OutInfos out);  // GlobalAverage/MaxPool
// activation.cc: Relu, Sigmoid, Tanh (by n.op)
Outputs activation(const ir::Node& n, Inputs in, OutInfos out);
// softmax.cc: Softmax, LogSoftmax (by n.op)
Outputs softmax(const ir::Node& n, Inputs in, OutInfos out);
// norm.cc
Outputs batch_norm(const ir::Node& n, Inputs in, OutInfos out);
Outputs lrn(const ir::Node& n, Inputs in, OutInfos out);
// elementwise.cc: Add, Sub, Mul, Div with numpy broadcasting (by n.op)
Outputs binary(const ir::Node& n, Inputs in, OutInfos out);
// shape_ops.cc
Outputs concat(const ir::Node& n, Inputs in, OutInfos out);
// Flatten, Reshape, Squeeze, Unsqueeze, Identity: the elements of X under the inferred shape.
Outputs reshape_like(const ir::Node& n, Inputs in, OutInfos out);
Outputs transpose(const ir::Node& n, Inputs in, OutInfos out);
Outputs pad(const ir::Node& n, Inputs in, OutInfos out);
// Inference-mode dropout: Y = X, mask all ones; training_mode=true with ratio > 0 is refused.
Outputs dropout(const ir::Node& n, Inputs in, OutInfos out);

}  // namespace sieve::runtime::ref
