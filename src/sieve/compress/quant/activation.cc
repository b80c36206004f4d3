#include "sieve/compress/quant/activation.h"

#include <algorithm>
#include <cmath>
#include <cstring>

#include "sieve/runtime/executor.h"

namespace sieve::compress::quant {

int choose_frac_bits(double max_abs) {
  if (!(max_abs > 0.0)) return 15;
  int f = 15;
  while (f > -16 && std::ldexp(max_abs, f) > 32767.0) --f;
  return f;
}

Result<std::map<std::string, int>> calibrate_activations(const ir::Graph& graph,
                                                         const Tensor& images,
                                                         const CalibrationOptions& options) {
  if (options.max_examples < 1 || options.batch < 1) {
    return invalid_argument("calibration: max_examples {} and batch {} must be positive",
                            options.max_examples, options.batch);
  }
  const ir::Node* input = nullptr;
  for (const ir::Node& n : graph.nodes) {
    if (n.op != ir::OpKind::kInput) continue;
    if (input != nullptr) {
      return invalid_argument("calibration: graph \"{}\" has more than one input", graph.name);
    }
    input = &n;
  }
  if (input == nullptr || input->outputs.empty()) {
    return invalid_argument("calibration: graph \"{}\" has no input", graph.name);
  }
  if (images.dtype() != DType::kF32 || images.rank() < 1 || images.dim(0) == 0) {
    return invalid_argument("calibration images: expected f32 [N, ...], got {} {}",
                            dtype_name(images.dtype()), shape_str(images.shape()));
  }
  const int64_t n = std::min(images.dim(0), options.max_examples);
  const int64_t per = images.numel() / images.dim(0);
  // Per-example shape: the declared one when fully known, else the data's.
  const std::vector<int64_t> declared = input->attr_ints("shape");
  Shape example(images.shape().begin() + 1, images.shape().end());
  int64_t batch = options.batch;
  if (declared.size() >= 2) {
    Shape d(declared.begin() + 1, declared.end());
    bool known = true;
    for (int64_t x : d) known = known && x > 0;
    if (known) example = d;
    if (declared[0] > 0) batch = declared[0];
  }
  if (shape_numel(example) != per) {
    return invalid_argument("calibration images: {} values per example, input \"{}\" takes {}", per,
                            input->outputs[0], shape_str(example));
  }
  std::map<std::string, double> max_abs;
  const float* src = images.data<float>();
  runtime::RunOptions ro;
  ro.keep_intermediates = true;
  for (int64_t start = 0; start < n; start += batch) {
    const int64_t m = std::min(batch, n - start);
    if (declared.size() >= 1 && declared[0] > 0 && m != declared[0]) break;  // fixed batch
    Shape s = example;
    s.insert(s.begin(), m);
    Tensor x(DType::kF32, s);
    std::memcpy(x.data<float>(), src + start * per, sizeof(float) * static_cast<size_t>(m * per));
    SIEVE_ASSIGN_OR_RETURN(runtime::TensorMap env,
                           runtime::run_graph(graph, {{input->outputs[0], x}}, ro));
    for (const auto& [name, t] : env) {
      if (graph.is_initializer(name) || t.empty()) continue;
      double& mx = max_abs[name];
      if (t.dtype() != DType::kF32) continue;
      for (float v : t.span<float>()) mx = std::max(mx, static_cast<double>(std::fabs(v)));
    }
  }
  std::map<std::string, int> out;
  for (const auto& [name, mx] : max_abs) out[name] = choose_frac_bits(mx);
  return out;
}

Status calibrate(CompressedModel& model, const Tensor& images, const CalibrationOptions& options) {
  SIEVE_ASSIGN_OR_RETURN(auto f, calibrate_activations(model.graph, images, options));
  model.activation_frac_bits = std::move(f);
  return ok_status();
}

}  // namespace sieve::compress::quant
