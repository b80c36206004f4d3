#include "sieve/compress/model.h"

#include <fmt/ranges.h>

#include <algorithm>

#include "sieve/compress/prune/prune.h"
#include "sieve/core/block_grid.h"

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

namespace {

// The structure's own fields against the shape and block (no mask).
Status check_structure_fields(const CompressedLayer& l) {
  const PruneStructure& st = l.structure;
  const std::string& mth = st.method;
  const auto& known = prune_methods();
  if (!mth.empty() && std::find(known.begin(), known.end(), mth) == known.end()) {
    return invalid_argument("method \"{}\" unknown; known: {}", mth, fmt::join(known, ", "));
  }
  const size_t rank = l.shape.size();
  const bool blocky = mth == "block";
  if (blocky) {
    if (l.block.size() != rank) {
      return invalid_argument("method block needs a block of rank {}, got {} sizes", rank,
                              l.block.size());
    }
    if (st.stride.size() != rank) {
      return invalid_argument("method block needs a stride of rank {}, got {} sizes", rank,
                              st.stride.size());
    }
  } else if (!st.stride.empty()) {
    return invalid_argument("stride {} given for method \"{}\" (block only)",
                            fmt::join(st.stride, "x"), mth);
  }
  for (size_t d = 0; d < l.block.size() && d < rank; ++d) {
    if (l.block[d] < 1 || l.block[d] > l.shape[d]) {
      return invalid_argument("block[{}] = {} outside 1..{} (shape {})", d, l.block[d], l.shape[d],
                              shape_str(l.shape));
    }
    if (l.structure.recorded() && !blocky && l.block[d] != 1) {
      return invalid_argument("block[{}] = {} for method \"{}\" (block only)", d, l.block[d], mth);
    }
  }
  for (size_t d = 0; d < st.stride.size(); ++d) {
    if (st.stride[d] < 1) {
      return invalid_argument("stride[{}] = {} must be >= 1", d, st.stride[d]);
    }
  }
  if (mth == "nm") {
    if (rank < 2) {
      return invalid_argument("method nm needs rank >= 2, the shape is {}", shape_str(l.shape));
    }
    if (st.m < 1) return invalid_argument("m = {} must be >= 1", st.m);
    if (st.n < 0 || st.n > st.m) {
      return invalid_argument("n = {} outside 0..m = {}", st.n, st.m);
    }
  } else if (st.n != 0 || st.m != 0) {
    return invalid_argument("n:m = {}:{} given for method \"{}\" (nm only)", st.n, st.m, mth);
  }
  if (mth == "balanced") {
    if (st.group_axis != 0) {
      return invalid_argument("group_axis = {} (balanced groups interleave rows: 0)",
                              st.group_axis);
    }
    const int64_t rows = rank == 0 ? 0 : l.shape[0];
    if (st.groups < 1 || st.groups > rows) {
      return invalid_argument("groups = {} outside 1..rows = {}", st.groups, rows);
    }
  } else if (st.groups != 0 || st.group_axis != 0) {
    return invalid_argument(
        "groups = {} (group_axis {}) given for method \"{}\" "
        "(balanced only)",
        st.groups, st.group_axis, mth);
  }
  if (mth == "channel" && rank < 2) {
    return invalid_argument("method channel needs rank >= 2, the shape is {}", shape_str(l.shape));
  }
  return ok_status();
}

// The mask against the structure (fields already checked; mask of the layer's shape or empty).
Status check_mask_structure(const CompressedLayer& l) {
  const std::string& mth = l.structure.method;
  const std::string& w = l.weight;
  if (mth == "none") {
    if (!l.mask.empty()) {
      return invalid_argument("method \"none\" but the layer has a mask");
    }
    return ok_status();
  }
  if (l.mask.empty() || mth.empty() || mth == "magnitude") return ok_status();
  const uint8_t* m = l.mask.data<uint8_t>();
  const int64_t n = l.numel(), rows = l.rows(), cols = l.cols();
  if (mth == "block") {
    SIEVE_ASSIGN_OR_RETURN(const BlockGrid grid,
                           BlockGrid::make(l.shape, l.block, l.structure.stride, w));
    std::vector<uint8_t> covered(static_cast<size_t>(n), 0);
    for (int64_t b = 0; b < grid.blocks(); ++b) {
      bool pruned = true;
      grid.for_each_element(b, [&](int64_t i) { pruned = pruned && m[i] == 0; });
      if (pruned) grid.for_each_element(b, [&](int64_t i) { covered[static_cast<size_t>(i)] = 1; });
    }
    for (int64_t i = 0; i < n; ++i) {
      if (m[i] == 0 && covered[static_cast<size_t>(i)] == 0) {
        return invalid_argument(
            "weight {} is pruned but no block of {} (stride {}) holding it is "
            "pruned whole",
            i, fmt::join(l.block, "x"), fmt::join(l.structure.stride, "x"));
      }
    }
  } else if (mth == "nm") {
    const int64_t chans = l.shape[1], inner = n / (rows * chans);
    const int64_t gm = l.structure.m;
    for (int64_t r = 0; r < rows; ++r) {
      for (int64_t k = 0; k < inner; ++k) {
        for (int64_t c0 = 0; c0 < chans; c0 += gm) {
          int64_t kept = 0;
          for (int64_t c = c0; c < std::min(chans, c0 + gm); ++c) {
            kept += m[(r * chans + c) * inner + k] != 0;
          }
          if (kept > l.structure.n) {
            return invalid_argument(
                "{} of the {} weights from channel {} (row {}, position {}) are kept, "
                "n:m = {}:{} allows {}",
                kept, std::min(gm, chans - c0), c0, r, k, l.structure.n, gm, l.structure.n);
          }
        }
      }
    }
  } else if (mth == "filter" || mth == "channel") {
    const bool filter = mth == "filter";
    const int64_t slices = filter ? rows : l.shape[1];
    const int64_t inner = filter ? 0 : n / (rows * slices);
    std::vector<int8_t> state(static_cast<size_t>(slices), -1);
    for (int64_t i = 0; i < n; ++i) {
      const int64_t s = filter ? i / cols : (i / inner) % slices;
      int8_t& st = state[static_cast<size_t>(s)];
      const int8_t v = m[i] != 0 ? 1 : 0;
      if (st < 0) st = v;
      if (st != v) {
        return invalid_argument("{} {} is neither kept nor pruned whole",
                                filter ? "row" : "input channel", s);
      }
    }
  } else if (mth == "balanced") {
    const int64_t groups = l.structure.groups;
    std::vector<int64_t> kept(static_cast<size_t>(groups), 0);
    for (int64_t i = 0; i < n; ++i) kept[static_cast<size_t>((i / cols) % groups)] += m[i] != 0;
    for (int64_t g = 1; g < groups; ++g) {
      if (kept[static_cast<size_t>(g)] != kept[0]) {
        return invalid_argument("balanced group {} keeps {} weights, group 0 keeps {}", g,
                                kept[static_cast<size_t>(g)], kept[0]);
      }
    }
  }
  return ok_status();
}

}  // namespace

Status check_structure(const CompressedLayer& layer) {
  SIEVE_RETURN_IF_ERROR(check_structure_fields(layer));
  if (!layer.mask.empty() &&
      (layer.mask.dtype() != DType::kU8 || layer.mask.numel() != layer.numel())) {
    return invalid_argument("mask {} {} does not match weight {}", dtype_name(layer.mask.dtype()),
                            shape_str(layer.mask.shape()), shape_str(layer.shape));
  }
  return check_mask_structure(layer);
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
