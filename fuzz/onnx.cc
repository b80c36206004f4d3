// Fuzz target: the ONNX importer (io/onnx/onnx.h), as `sieve inspect m.onnx` uses it: the
// ModelProto imported (import_onnx_bytes), an open batch dimension set to 1, the graph checked
// (ir::verify) and printed (ir::dump). The same bytes also go through the TensorProto reader
// that `sieve onnx-test` uses for input_K.pb / output_K.pb (parse_tensor_pb).
#include "fuzz/fuzz.h"
#include "sieve/io/onnx/onnx.h"
#include "sieve/ir/dump.h"
#include "sieve/ir/shape_inference.h"

namespace sieve::fuzz {

Status onnx(std::string_view input) {
  const std::string bytes(input);
  (void)io::parse_tensor_pb(bytes, "fuzz.pb");
  Result<ir::Graph> g = io::import_onnx_bytes(bytes, "fuzz.onnx");
  if (!g.ok()) return g.status();
  for (ir::Node& n : g.value().nodes) {
    if (n.op != ir::OpKind::kInput) continue;
    std::vector<int64_t> shape = n.attr_ints("shape");
    if (!shape.empty() && shape[0] < 0) {
      shape[0] = 1;
      n.attrs["shape"] = shape;
    }
  }
  (void)ir::verify(g.value());
  (void)ir::dump(g.value());
  return ok_status();
}

}  // namespace sieve::fuzz

SIEVE_FUZZ_ENTRY(onnx)
