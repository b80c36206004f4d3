// ONNX import and export of the Sieve IR, and TensorProto (.pb) reading.
//
// import_onnx parses a ModelProto (any opset from 1 to 17 of the default domain) and maps each
// supported ONNX op onto ir/ops.def, normalising legacy forms: Gemm becomes FullyConnected,
// Softmax/LogSoftmax of opset < 13 get coerce_2d=1, legacy attributes that became inputs
// (Reshape `shape`, Pad `pads`/`value`, Squeeze/Unsqueeze `axes`) become i64/f32
// initializers, opset < 7 `broadcast`/`axis` of Add/Sub/Mul/Div are rewritten to numpy
// broadcasting. Constant nodes are folded into initializers. Graph inputs that are not
// initializers become Input nodes with attributes `shape` (-1 for an unknown dimension) and
// `dtype` (a DType value). Unsupported ops, unsupported dtypes and training-mode forms are
// errors that name the file, the node and the op.
//
// export_onnx writes a ModelProto (ir_version 8, default-domain opset 13, or 14 when a node
// needs an opset-14 attribute such as LSTM/GRU layout or Reshape allowzero) that
// onnx::checker::check_model accepts; the file is written atomically.
// The Sieve LSTM projection extension (attr proj_size, 9th input W_proj: the LSTMP of Sak et
// al. 2014) has no standard ONNX form (it would need a Loop/Scan around a hand-built cell), so
// export refuses it unless ExportOptions::allow_sieve_extensions is set; then the node is
// written as op "LSTM" of the custom domain "ai.sieve" (version 1), which check_model accepts,
// which Sieve imports back losslessly, and which other ONNX runtimes reject as an unknown op.
//
// Ownership: returned graphs and tensors own their data. Thread-safety: all functions are
// reentrant (no shared state).
#pragma once

#include <string>
#include <vector>

#include "sieve/core/status.h"
#include "sieve/core/tensor.h"
#include "sieve/ir/graph.h"

namespace sieve::io {

// Imports the ONNX model at `path`.
Result<ir::Graph> import_onnx(const std::string& path);
// Imports a serialized ModelProto; `origin` names it in error messages.
Result<ir::Graph> import_onnx_bytes(const std::string& bytes,
                                    const std::string& origin = "<memory>");

// Reads a serialized TensorProto (the ONNX test data files input_K.pb / output_K.pb).
// f32, i64, i32, i16, i8, u8 and bool (as u8) are supported.
Result<Tensor> read_tensor_pb(const std::string& path);
Result<Tensor> parse_tensor_pb(const std::string& bytes, const std::string& origin = "<memory>");
// The TensorProto's `name` field of a .pb file (empty if unset), for matching graph inputs.
Result<std::string> tensor_pb_name(const std::string& path);

// Serializes `t` as a TensorProto named `name` (for writing test data).
Result<std::string> serialize_tensor_pb(const Tensor& t, const std::string& name);

struct ExportOptions {
  // Write Sieve-only forms (LSTM with projection) in the custom domain "ai.sieve" instead of
  // refusing them.
  bool allow_sieve_extensions = false;
  // Run onnx::checker::check_model on the result before writing (an error if it fails).
  bool check = true;
};

Status export_onnx(const ir::Graph& g, const std::string& path, const ExportOptions& opts = {});
Result<std::string> export_onnx_bytes(const ir::Graph& g, const ExportOptions& opts = {});

// The ONNX op types import_onnx accepts (default domain), sorted: "Add, AveragePool, ...".
std::vector<std::string> supported_onnx_ops();
std::string supported_onnx_ops_str();

}  // namespace sieve::io
