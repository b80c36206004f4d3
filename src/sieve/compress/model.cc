#include "sieve/compress/model.h"

namespace sieve::compress {

int64_t CompressedLayer::cols() const {
  int64_t c = 1;
  for (size_t i = 1; i < shape.size(); ++i) c *= shape[i];
  return c;
}

int64_t CompressedLayer::kept() const {
  if (mask.empty()) return numel();
  int64_t n = 0;
  for (uint8_t m : mask.span<uint8_t>()) n += m != 0;
  return n;
}

namespace {
// Index of the part of [0, n) split into k near-equal parts (first n % k parts one larger)
// that holds i.
int64_t part_of(int64_t i, int64_t n, int64_t k) {
  const int64_t base = n / k, extra = n % k;
  const int64_t big = extra * (base + 1);
  if (i < big) return i / (base + 1);
  return extra + (i - big) / base;
}
}  // namespace

int64_t CompressedLayer::region_of(int64_t row, int64_t col) const {
  const int64_t rr = part_of(row, rows(), region_rows);
  const int64_t rc = part_of(col, cols(), region_cols);
  return rr * region_cols + rc;
}

const CompressedLayer* CompressedModel::find_layer(const std::string& weight) const {
  for (const CompressedLayer& l : layers) {
    if (l.weight == weight) return &l;
  }
  return nullptr;
}

Result<Tensor> decode_layer(const CompressedLayer& layer) {
  const int64_t n = layer.numel();
  if (!layer.mask.empty() && layer.mask.numel() != n) {
    return invalid_argument("layer '{}': mask has {} elements, weight {} has {}", layer.weight,
                            layer.mask.numel(), shape_str(layer.shape), n);
  }
  const int64_t kept = layer.kept();
  if (layer.bits == 0 && static_cast<int64_t>(layer.values.size()) != kept) {
    return invalid_argument("layer '{}': {} values for {} kept weights", layer.weight,
                            layer.values.size(), kept);
  }
  if (layer.bits != 0) {
    if (layer.bits < 1 || layer.bits > 16) {
      return invalid_argument("layer '{}': bits={} (expected 1..16)", layer.weight, layer.bits);
    }
    if (static_cast<int64_t>(layer.codes.size()) != kept) {
      return invalid_argument("layer '{}': {} codes for {} kept weights", layer.weight,
                              layer.codes.size(), kept);
    }
    if (static_cast<int64_t>(layer.codebooks.size()) != layer.region_rows * layer.region_cols) {
      return invalid_argument("layer '{}': {} codebooks for a {}x{} region grid", layer.weight,
                              layer.codebooks.size(), layer.region_rows, layer.region_cols);
    }
  }
  Tensor w(DType::kF32, layer.shape);
  float* out = w.data<float>();
  const uint8_t* m = layer.mask.empty() ? nullptr : layer.mask.data<uint8_t>();
  const int64_t cols = layer.cols();
  int64_t k = 0;
  for (int64_t i = 0; i < n; ++i) {
    if (m != nullptr && m[i] == 0) continue;
    if (layer.bits == 0) {
      out[i] = layer.values[static_cast<size_t>(k)];
    } else {
      const auto& book = layer.codebooks[static_cast<size_t>(layer.region_of(i / cols, i % cols))];
      const uint16_t code = layer.codes[static_cast<size_t>(k)];
      if (code >= book.size()) {
        return invalid_argument("layer '{}': code {} at position {} outside a codebook of {}",
                                layer.weight, code, i, book.size());
      }
      out[i] = book[code];
    }
    ++k;
  }
  return w;
}

Status decode(CompressedModel& model) {
  for (const CompressedLayer& l : model.layers) {
    SIEVE_ASSIGN_OR_RETURN(Tensor w, decode_layer(l));
    auto it = model.graph.initializers.find(l.weight);
    if (it == model.graph.initializers.end()) {
      return invalid_argument("compressed layer '{}' has no initializer in the graph", l.weight);
    }
    if (it->second.shape() != l.shape) {
      return invalid_argument("compressed layer '{}': shape {} but graph has {}", l.weight,
                              shape_str(l.shape), shape_str(it->second.shape()));
    }
    it->second = w;
  }
  return ok_status();
}

}  // namespace sieve::compress
