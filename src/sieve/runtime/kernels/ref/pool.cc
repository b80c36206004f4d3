// Reference pooling (ONNX MaxPool, AveragePool, GlobalAveragePool, GlobalMaxPool).
//
// A window at output position o covers input positions o*s - pad_begin + k*d (k < kernel).
// MaxPool ignores padded positions; its optional Indices output is the flat index of the
// maximum in X (row-major, or with storage_order=1 column-major over the spatial dims), the
// first maximum in window order on ties. AveragePool divides the sum of the positions inside X
// by their count, or with count_include_pad=1 by the number of positions inside the padded
// input [-pad_begin, size + pad_end) (a ceil_mode window hanging past the end pad counts only
// what it covers, as PyTorch and ONNX Runtime do).
#include <algorithm>
#include <limits>
#include <vector>

#include "sieve/ir/shape_inference.h"
#include "sieve/runtime/kernels/ref/ref.h"
#include "sieve/runtime/kernels/ref/util.h"

namespace sieve::runtime::ref {

namespace {


// The taps of the window at output position o: for each, the row-major and column-major
// offsets in an input plane, and whether it lies inside X and inside the padded input.
struct WindowTap {
  int64_t row, col;
  bool in_x, in_padded;
};

void window_at(const PoolShape& p, const MultiIndex& o, const std::vector<int64_t>& col_strides,
               std::vector<WindowTap>& taps) {
  taps.clear();
  for (MultiIndex t(p.geo.kernel); !t.done(); t.next()) {
    WindowTap w{0, 0, true, true};
    for (size_t d = 0; d < p.k; ++d) {
      const int64_t q = o[d] * p.geo.strides[d] - p.geo.pads_begin[d] + t[d] * p.geo.dilations[d];
      if (q < 0 || q >= p.in_spatial[d]) w.in_x = false;
      if (q < -p.geo.pads_begin[d] || q >= p.in_spatial[d] + p.geo.pads_end[d]) {
        w.in_padded = false;
      }
      w.row += q * p.in_strides[d];
      w.col += q * col_strides[d];
    }
    taps.push_back(w);
  }
}

std::vector<int64_t> column_major_strides(const PoolShape& p) {
  std::vector<int64_t> s(p.k, 1);
  for (size_t d = 1; d < p.k; ++d) s[d] = s[d - 1] * p.in_spatial[d - 1];
  return s;
}

template <typename T>
void max_pool_typed(const ir::Node& n, const PoolShape& p, const Tensor& x, Tensor& y,
                    Tensor* indices) {
  const bool column_major = n.attr_int("storage_order", 0) == 1;
  const std::vector<int64_t> col_strides = column_major_strides(p);
  const T* xd = x.data<T>();
  T* yd = y.data<T>();
  std::vector<WindowTap> taps;
  int64_t o_lin = 0;
  for (MultiIndex o(p.out_spatial); !o.done(); o.next(), ++o_lin) {
    window_at(p, o, col_strides, taps);
    for (int64_t plane = 0; plane < p.planes; ++plane) {
      const T* xp = xd + plane * p.in_plane;
      const WindowTap* best = nullptr;
      for (const WindowTap& t : taps) {
        if (t.in_x && (best == nullptr || xp[t.row] > xp[best->row])) best = &t;
      }
      const int64_t at = plane * p.out_plane + o_lin;
      yd[at] = best != nullptr ? xp[best->row] : std::numeric_limits<T>::lowest();
      if (indices != nullptr) {
        indices->data<int64_t>()[at] =
            best != nullptr ? plane * p.in_plane + (column_major ? best->col : best->row) : -1;
      }
    }
  }
}

}  // namespace

Outputs max_pool(const ir::Node& n, Inputs in, OutInfos out) {
  const Tensor& x = *in[0];
  SIEVE_ASSIGN_OR_RETURN(PoolShape p, pool_shape(n, x, out[0].shape));
  std::vector<Tensor> outs;
  outs.emplace_back(x.dtype(), out[0].shape);
  Tensor* indices = nullptr;
  if (out.size() > 1) {
    outs.emplace_back(DType::kI64, out[1].shape);
    indices = &outs[1];
  }
  switch (x.dtype()) {
    case DType::kF32: max_pool_typed<float>(n, p, x, outs[0], indices); break;
    case DType::kU8: max_pool_typed<uint8_t>(n, p, x, outs[0], indices); break;
    case DType::kI8: max_pool_typed<int8_t>(n, p, x, outs[0], indices); break;
    case DType::kI16:
    case DType::kI32:
    case DType::kI64: return node_error(n, "MaxPool of {} is not supported", dtype_name(x.dtype()));
  }
  return outs;
}

Outputs average_pool(const ir::Node& n, Inputs in, OutInfos out) {
  const Tensor& x = *in[0];
  SIEVE_ASSIGN_OR_RETURN(PoolShape p, pool_shape(n, x, out[0].shape));
  const bool include_pad = n.attr_int("count_include_pad", 0) == 1;
  Tensor y(DType::kF32, out[0].shape);
  const float* xd = x.data<float>();
  float* yd = y.data<float>();
  const std::vector<int64_t> col_strides = column_major_strides(p);
  std::vector<WindowTap> taps;
  int64_t o_lin = 0;
  for (MultiIndex o(p.out_spatial); !o.done(); o.next(), ++o_lin) {
    window_at(p, o, col_strides, taps);
    int64_t inside_x = 0, inside_padded = 0;
    for (const WindowTap& t : taps) {
      inside_x += t.in_x ? 1 : 0;
      inside_padded += t.in_padded ? 1 : 0;
    }
    const int64_t count = include_pad ? inside_padded : inside_x;
    for (int64_t plane = 0; plane < p.planes; ++plane) {
      const float* xp = xd + plane * p.in_plane;
      double sum = 0;
      for (const WindowTap& t : taps) {
        if (t.in_x) sum += xp[t.row];
      }
      yd[plane * p.out_plane + o_lin] = count > 0 ? static_cast<float>(sum / count) : 0.0f;
    }
  }
  return std::vector<Tensor>{y};
}

Outputs global_pool(const ir::Node& n, Inputs in, OutInfos out) {
  const Tensor& x = *in[0];
  const bool is_max = n.op == ir::OpKind::kGlobalMaxPool;
  const int64_t planes = x.dim(0) * x.dim(1);
  const int64_t plane_size = planes > 0 ? x.numel() / planes : 0;
  Tensor y(DType::kF32, out[0].shape);
  const float* xd = x.data<float>();
  for (int64_t p = 0; p < planes; ++p) {
    const float* xp = xd + p * plane_size;
    if (is_max) {
      float best = -std::numeric_limits<float>::infinity();
      for (int64_t i = 0; i < plane_size; ++i) best = std::max(best, xp[i]);
      y.data<float>()[p] = best;
    } else {
      double sum = 0;
      for (int64_t i = 0; i < plane_size; ++i) sum += xp[i];
      y.data<float>()[p] = plane_size > 0 ? static_cast<float>(sum / plane_size) : 0.0f;
    }
  }
  return std::vector<Tensor>{y};
}

}  // namespace sieve::runtime::ref
