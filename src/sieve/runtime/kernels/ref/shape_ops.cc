// Reference shape glue: Concat, Flatten, Reshape, Squeeze, Unsqueeze, Identity, Transpose, Pad,
// Dropout. These move elements without looking at them, so they work for every dtype (elements
// are copied as bytes of dtype_size). Outputs never share storage with inputs.
#include <cstring>
#include <string>
#include <vector>

#include "sieve/runtime/kernels/ref/ref.h"
#include "sieve/runtime/kernels/ref/util.h"

namespace sieve::runtime::ref {

Outputs concat(const ir::Node& n, Inputs in, OutInfos out) {
  Tensor y(out[0].dtype, out[0].shape);
  int64_t axis = n.attr_int("axis", 0);
  if (axis < 0) axis += y.rank();
  int64_t outer = 1;
  for (int64_t d = 0; d < axis; ++d) outer *= y.dim(d);
  // Each input contributes a contiguous chunk of (its axis dim x inner) elements per outer row.
  std::byte* yd = static_cast<std::byte*>(y.raw());
  size_t row_bytes = 0;
  for (const Tensor* t : in) row_bytes += outer > 0 ? t->nbytes() / static_cast<size_t>(outer) : 0;
  size_t offset = 0;
  for (const Tensor* t : in) {
    const size_t chunk = outer > 0 ? t->nbytes() / static_cast<size_t>(outer) : 0;
    const std::byte* src = static_cast<const std::byte*>(t->raw());
    for (int64_t o = 0; o < outer; ++o) {
      std::memcpy(yd + static_cast<size_t>(o) * row_bytes + offset,
                  src + static_cast<size_t>(o) * chunk, chunk);
    }
    offset += chunk;
  }
  return std::vector<Tensor>{y};
}

Outputs reshape_like(const ir::Node& n, Inputs in, OutInfos out) {
  (void)n;
  const Tensor& x = *in[0];
  Tensor y(x.dtype(), out[0].shape);
  SIEVE_ASSERT(y.numel() == x.numel(), "{} -> {}", shape_str(x.shape()), shape_str(y.shape()));
  if (x.nbytes() > 0) std::memcpy(y.raw(), x.raw(), x.nbytes());
  y.set_frac_bits(x.frac_bits());
  return std::vector<Tensor>{y};
}

Outputs transpose(const ir::Node& n, Inputs in, OutInfos out) {
  const Tensor& x = *in[0];
  const size_t r = static_cast<size_t>(x.rank());
  std::vector<int64_t> def(r);
  for (size_t i = 0; i < r; ++i) def[i] = static_cast<int64_t>(r - 1 - i);
  const std::vector<int64_t> perm = n.attr_ints("perm", def);
  Tensor y(x.dtype(), out[0].shape);
  const std::vector<int64_t> xs = strides_of(x.shape());
  // Output dim i walks input dim perm[i].
  std::vector<int64_t> walk(r);
  for (size_t i = 0; i < r; ++i) walk[i] = xs[static_cast<size_t>(perm[i])];
  const size_t esize = dtype_size(x.dtype());
  const std::byte* xd = static_cast<const std::byte*>(x.raw());
  std::byte* yd = static_cast<std::byte*>(y.raw());
  size_t i = 0;
  for (MultiIndex ix(y.shape()); !ix.done(); ix.next(), ++i) {
    int64_t src = 0;
    for (size_t d = 0; d < r; ++d) src += ix[d] * walk[d];
    std::memcpy(yd + i * esize, xd + static_cast<size_t>(src) * esize, esize);
  }
  y.set_frac_bits(x.frac_bits());
  return std::vector<Tensor>{y};
}

namespace {

// Maps an output coordinate c (already shifted by the leading pad) into [0, size), or -1 for
// the constant mode outside the input.
int64_t pad_source(int64_t c, int64_t size, const std::string& mode) {
  if (c >= 0 && c < size) return c;
  if (mode == "edge") return c < 0 ? 0 : size - 1;
  if (mode == "wrap") return ((c % size) + size) % size;
  if (mode == "reflect") {
    // Reflection about the first and last elements, without repeating them (numpy "reflect").
    if (size == 1) return 0;
    const int64_t period = 2 * (size - 1);
    int64_t m = ((c % period) + period) % period;
    return m < size ? m : period - m;
  }
  return -1;  // constant
}

}  // namespace

Outputs pad(const ir::Node& n, Inputs in, OutInfos out) {
  const Tensor& x = *in[0];
  const size_t r = static_cast<size_t>(x.rank());
  const std::string mode = n.attr_string("mode", "constant");
  // Pads per axis (operand #1, else the attribute), spread over the axes of operand #3.
  std::vector<int64_t> pads;
  if (in.size() > 1 && in[1] != nullptr) {
    auto s = in[1]->span<int64_t>();
    pads.assign(s.begin(), s.end());
  } else {
    pads = n.attr_ints("pads");
  }
  std::vector<int64_t> axes;
  if (in.size() > 3 && in[3] != nullptr) {
    for (int64_t a : in[3]->span<int64_t>()) axes.push_back(a < 0 ? a + x.rank() : a);
  } else {
    for (size_t d = 0; d < r; ++d) axes.push_back(static_cast<int64_t>(d));
  }
  std::vector<int64_t> begin(r, 0);
  for (size_t j = 0; j < axes.size(); ++j) begin[static_cast<size_t>(axes[j])] = pads[j];

  Tensor y(x.dtype(), out[0].shape);
  y.set_frac_bits(x.frac_bits());
  const size_t esize = dtype_size(x.dtype());
  // The fill value (constant mode): operand #2, else the legacy attribute `value`, else zero
  // (y starts zeroed).
  const std::byte* fill = nullptr;
  Tensor fill_attr;
  if (in.size() > 2 && in[2] != nullptr && in[2]->numel() > 0) {
    fill = static_cast<const std::byte*>(in[2]->raw());
  } else if (n.attr_float("value", 0.0) != 0.0) {
    const double v = n.attr_float("value", 0.0);
    fill_attr = Tensor(x.dtype(), {});
    switch (x.dtype()) {
      case DType::kF32: fill_attr.data<float>()[0] = static_cast<float>(v); break;
      case DType::kI16: fill_attr.data<int16_t>()[0] = static_cast<int16_t>(v); break;
      case DType::kI8: fill_attr.data<int8_t>()[0] = static_cast<int8_t>(v); break;
      case DType::kU8: fill_attr.data<uint8_t>()[0] = static_cast<uint8_t>(v); break;
      case DType::kI32: fill_attr.data<int32_t>()[0] = static_cast<int32_t>(v); break;
      case DType::kI64: fill_attr.data<int64_t>()[0] = static_cast<int64_t>(v); break;
    }
    fill = static_cast<const std::byte*>(fill_attr.raw());
  }
  const std::vector<int64_t> xs = strides_of(x.shape());
  const std::byte* xd = static_cast<const std::byte*>(x.raw());
  std::byte* yd = static_cast<std::byte*>(y.raw());
  size_t i = 0;
  for (MultiIndex ix(y.shape()); !ix.done(); ix.next(), ++i) {
    int64_t src = 0;
    bool inside = true;
    for (size_t d = 0; d < r && inside; ++d) {
      const int64_t c = pad_source(ix[d] - begin[d], x.dim(static_cast<int64_t>(d)), mode);
      if (c < 0) inside = false;
      src += c * xs[d];
    }
    if (inside) {
      std::memcpy(yd + i * esize, xd + static_cast<size_t>(src) * esize, esize);
    } else if (fill != nullptr) {
      std::memcpy(yd + i * esize, fill, esize);
    }
  }
  return std::vector<Tensor>{y};
}

Outputs dropout(const ir::Node& n, Inputs in, OutInfos out) {
  const bool training =
      in.size() > 2 && in[2] != nullptr && in[2]->numel() > 0 && in[2]->data<uint8_t>()[0] != 0;
  if (training) {
    float ratio = 0.5f;
    if (in.size() > 1 && in[1] != nullptr && in[1]->numel() > 0) ratio = in[1]->data<float>()[0];
    if (ratio != 0.0f) {
      return Status(StatusCode::kUnimplemented,
                    fmt::format("node \"{}\" (Dropout): training_mode=true with ratio {} draws "
                                "a random mask; the reference engine runs inference only",
                                n.name, ratio));
    }
  }
  SIEVE_ASSIGN_OR_RETURN(std::vector<Tensor> ys, reshape_like(n, in, out));
  if (out.size() > 1) {
    Tensor mask(DType::kU8, out[1].shape);
    for (uint8_t& m : mask.span<uint8_t>()) m = 1;
    ys.push_back(mask);
  }
  return ys;
}

}  // namespace sieve::runtime::ref
