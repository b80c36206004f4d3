// Reference convolution (ONNX Conv): any spatial rank, strides, pads, dilations, groups.
//
// y[n, m, o...] = B[m] + sum_{c < C/group, k...} x[n, g*C/group + c, o*s - pad_begin + k*d]
//                                                * W[m, c, k...],   g = m / (M/group),
// where input positions outside the tensor read zero. For each output position the receptive
// field of each group is gathered into a patch laid out like W[m] ([C/group, k...], zeros where
// the window leaves the input), and every output channel of the group is the dot product of its
// filter with that patch (accumulated in double).
#include <algorithm>
#include <vector>

#include "sieve/ir/shape_inference.h"
#include "sieve/runtime/kernels/ref/ref.h"
#include "sieve/runtime/kernels/ref/util.h"

namespace sieve::runtime::ref {

Outputs conv(const ir::Node& n, Inputs in, OutInfos out) {
  const Tensor& x = *in[0];
  const Tensor& w = *in[1];
  const Tensor* b = in.size() > 2 ? in[2] : nullptr;
  SIEVE_ASSIGN_OR_RETURN(ir::WindowGeometry geo, ir::window_geometry(n, x.shape(), &w.shape()));
  const int64_t group = n.attr_int("group", 1);
  const size_t k = static_cast<size_t>(x.rank()) - 2;
  const int64_t batch = x.dim(0);
  const int64_t c_in = x.dim(1);
  const int64_t m_out = w.dim(0);
  const int64_t c_per_group = c_in / group;
  const int64_t m_per_group = m_out / group;

  Tensor y(DType::kF32, out[0].shape);
  const Shape in_spatial(x.shape().begin() + 2, x.shape().end());
  const Shape out_spatial(y.shape().begin() + 2, y.shape().end());
  const std::vector<int64_t> in_strides = strides_of(in_spatial);
  const int64_t in_plane = shape_numel(in_spatial);
  const int64_t out_plane = shape_numel(out_spatial);
  const int64_t taps = shape_numel(geo.kernel);
  const int64_t filter = c_per_group * taps;  // elements of W[m]

  // The taps of the window at output position o: (tap index, offset in an input plane) for
  // every tap that lands inside the input.
  struct Tap {
    int64_t tap, offset;
  };
  std::vector<Tap> window;
  window.reserve(static_cast<size_t>(taps));

  const float* xd = x.data<float>();
  const float* wd = w.data<float>();
  float* yd = y.data<float>();
  std::vector<float> patch(static_cast<size_t>(filter));
  int64_t o_lin = 0;
  for (MultiIndex o(out_spatial); !o.done(); o.next(), ++o_lin) {
    window.clear();
    int64_t t_lin = 0;
    for (MultiIndex t(geo.kernel); !t.done(); t.next(), ++t_lin) {
      bool inside = true;
      int64_t offset = 0;
      for (size_t d = 0; d < k && inside; ++d) {
        const int64_t p = o[d] * geo.strides[d] - geo.pads_begin[d] + t[d] * geo.dilations[d];
        inside = p >= 0 && p < in_spatial[d];
        offset += p * in_strides[d];
      }
      if (inside) window.push_back({t_lin, offset});
    }
    for (int64_t ni = 0; ni < batch; ++ni) {
      for (int64_t g = 0; g < group; ++g) {
        std::fill(patch.begin(), patch.end(), 0.0f);
        for (int64_t c = 0; c < c_per_group; ++c) {
          const float* xplane = xd + (ni * c_in + g * c_per_group + c) * in_plane;
          for (const Tap& tp : window)
            patch[static_cast<size_t>(c * taps + tp.tap)] = xplane[tp.offset];
        }
        for (int64_t m = g * m_per_group; m < (g + 1) * m_per_group; ++m) {
          double acc = b != nullptr ? b->data<float>()[m] : 0.0;
          acc += dot(wd + m * filter, patch.data(), filter);
          yd[(ni * m_out + m) * out_plane + o_lin] = static_cast<float>(acc);
        }
      }
    }
  }
  return std::vector<Tensor>{y};
}

}  // namespace sieve::runtime::ref
