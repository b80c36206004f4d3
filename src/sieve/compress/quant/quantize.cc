#include "sieve/compress/quant/quantize.h"

#include <algorithm>
#include <cmath>

namespace sieve::compress::quant {

namespace {

Status check_weight(const CompressedLayer& layer, const Tensor& weight) {
  if (weight.dtype() != DType::kF32 || weight.shape() != layer.shape) {
    return invalid_argument("layer '{}': weight is {} {}, expected f32 {}", layer.weight,
                            dtype_name(weight.dtype()), shape_str(weight.shape()),
                            shape_str(layer.shape));
  }
  if (layer.shape.empty()) return invalid_argument("layer '{}': scalar weight", layer.weight);
  if (!layer.mask.empty() &&
      (layer.mask.dtype() != DType::kU8 || layer.mask.numel() != layer.numel())) {
    return invalid_argument("layer '{}': mask {} {} does not match weight {}", layer.weight,
                            dtype_name(layer.mask.dtype()), shape_str(layer.mask.shape()),
                            shape_str(layer.shape));
  }
  return ok_status();
}

bool is_kept(const CompressedLayer& layer, int64_t i) {
  return layer.mask.empty() || layer.mask.data<uint8_t>()[i] != 0;
}

std::vector<float> kept_values(const CompressedLayer& layer, const Tensor& weight) {
  std::vector<float> v;
  const float* w = weight.data<float>();
  for (int64_t i = 0; i < layer.numel(); ++i) {
    if (is_kept(layer, i)) v.push_back(w[i]);
  }
  return v;
}

}  // namespace

int default_bits(ir::OpKind op) {
  const ir::OpTraits& t = ir::op_traits(op);
  return t.has_weight() && t.category != ir::OpCategory::kConv ? 4 : 8;
}

Status quantize_layer(CompressedLayer& layer, const Tensor& weight,
                      const QuantizeOptions& options) {
  SIEVE_RETURN_IF_ERROR(check_weight(layer, weight));
  if (options.bits < 1 || options.bits > 16) {
    return invalid_argument("layer '{}': bits = {} (expected 1..16)", layer.weight, options.bits);
  }
  if (options.region_rows < 1 || options.region_rows > std::max<int64_t>(layer.rows(), 1) ||
      options.region_cols < 1 || options.region_cols > std::max<int64_t>(layer.cols(), 1)) {
    return invalid_argument("layer '{}': region grid {}x{} does not fit the {}x{} 2-D view",
                            layer.weight, options.region_rows, options.region_cols, layer.rows(),
                            layer.cols());
  }
  layer.bits = options.bits;
  layer.region_rows = options.region_rows;
  layer.region_cols = options.region_cols;
  const size_t regions = static_cast<size_t>(options.region_rows * options.region_cols);
  // Kept values of each region, and where each kept weight goes.
  std::vector<std::vector<float>> vals(regions);
  std::vector<std::pair<uint32_t, uint32_t>> where;  // (region, index in region), kept order
  const float* w = weight.data<float>();
  const int64_t cols = layer.cols();
  for (int64_t i = 0; i < layer.numel(); ++i) {
    if (!is_kept(layer, i)) continue;
    const size_t r = static_cast<size_t>(layer.region_of(i / cols, i % cols));
    where.emplace_back(static_cast<uint32_t>(r), static_cast<uint32_t>(vals[r].size()));
    vals[r].push_back(w[i]);
  }
  layer.codebooks.assign(regions, {});
  std::vector<std::vector<uint16_t>> codes(regions);
  for (size_t r = 0; r < regions; ++r) {
    SIEVE_ASSIGN_OR_RETURN(KMeansResult km, kmeans_1d(vals[r], 1 << options.bits, options.kmeans));
    layer.codebooks[r] = std::move(km.centroids);
    codes[r] = std::move(km.codes);
  }
  layer.codes.resize(where.size());
  for (size_t i = 0; i < where.size(); ++i) layer.codes[i] = codes[where[i].first][where[i].second];
  layer.values.clear();
  return ok_status();
}

Status store_unquantized(CompressedLayer& layer, const Tensor& weight) {
  SIEVE_RETURN_IF_ERROR(check_weight(layer, weight));
  layer.bits = 0;
  layer.region_rows = 1;
  layer.region_cols = 1;
  layer.codebooks.clear();
  layer.codes.clear();
  layer.values = kept_values(layer, weight);
  return ok_status();
}

Status ternarize_layer(CompressedLayer& layer, const Tensor& weight,
                       const TernaryOptions& options) {
  SIEVE_RETURN_IF_ERROR(check_weight(layer, weight));
  if (!(options.threshold >= 0.0 && options.threshold < 1.0)) {
    return invalid_argument("layer '{}': ternary threshold {} (expected [0, 1))", layer.weight,
                            options.threshold);
  }
  const std::vector<float> v = kept_values(layer, weight);
  double max_abs = 0.0;
  for (float x : v) max_abs = std::max(max_abs, static_cast<double>(std::fabs(x)));
  const double delta = options.threshold * max_abs;
  double sp = 0.0, sn = 0.0;
  int64_t np = 0, nn = 0;
  layer.codes.resize(v.size());
  for (size_t i = 0; i < v.size(); ++i) {
    if (v[i] > delta) {
      layer.codes[i] = 2;
      sp += v[i];
      ++np;
    } else if (v[i] < -delta) {
      layer.codes[i] = 0;
      sn -= v[i];
      ++nn;
    } else {
      layer.codes[i] = 1;
    }
  }
  const double fallback = max_abs > 0.0 ? 1e-3 * max_abs : 1e-3;
  const float wp = options.w_p > 0.0f
                       ? options.w_p
                       : static_cast<float>(np > 0 ? sp / static_cast<double>(np) : fallback);
  const float wn = options.w_n > 0.0f
                       ? options.w_n
                       : static_cast<float>(nn > 0 ? sn / static_cast<double>(nn) : fallback);
  layer.bits = 2;
  layer.region_rows = 1;
  layer.region_cols = 1;
  layer.codebooks = {{-wn, 0.0f, wp}};
  layer.values.clear();
  return ok_status();
}

Result<QuantError> quantization_error(const CompressedLayer& layer, const Tensor& weight) {
  SIEVE_RETURN_IF_ERROR(check_weight(layer, weight));
  SIEVE_ASSIGN_OR_RETURN(Tensor d, decode_layer(layer));
  QuantError e;
  const float* a = d.data<float>();
  const float* w = weight.data<float>();
  for (int64_t i = 0; i < layer.numel(); ++i) {
    if (!is_kept(layer, i)) continue;
    const double diff = static_cast<double>(a[i]) - w[i];
    e.sse += diff * diff;
    e.max_abs = std::max(e.max_abs, std::fabs(diff));
  }
  return e;
}

}  // namespace sieve::compress::quant
