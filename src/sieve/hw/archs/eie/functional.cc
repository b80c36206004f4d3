#include "sieve/hw/archs/eie/functional.h"

#include <fmt/format.h>

#include <set>
#include <vector>

#include "sieve/hw/core/csc.h"
#include "sieve/core/assert.h"
#include "sieve/hw/core/workload.h"

namespace sieve::hw::eie_arch {
namespace {

namespace fx = runtime::fixed16;

std::string label(const ir::Node& n) {
  return fmt::format("node \"{}\" ({})", n.name, ir::op_name(n.op));
}

bool moves_only(ir::OpKind op) {
  switch (op) {
    case ir::OpKind::kFlatten:
    case ir::OpKind::kReshape:
    case ir::OpKind::kIdentity:
    case ir::OpKind::kDropout:
    case ir::OpKind::kSqueeze:
    case ir::OpKind::kUnsqueeze:
      return true;
    default:
      return false;
  }
}

// Softmax/LogSoftmax nodes whose output is a graph output that no node reads (not evaluated,
// as in the reference).
std::set<const ir::Node*> trailing_softmax(const ir::Graph& g) {
  std::set<std::string> read;
  for (const ir::Node& n : g.nodes)
    for (const std::string& v : n.inputs) read.insert(v);
  const std::set<std::string> outs(g.outputs.begin(), g.outputs.end());
  std::set<const ir::Node*> r;
  for (const ir::Node& n : g.nodes)
    if ((n.op == ir::OpKind::kSoftmax || n.op == ir::OpKind::kLogSoftmax) &&
        n.outputs.size() == 1 && outs.count(n.outputs[0]) != 0 && read.count(n.outputs[0]) == 0)
      r.insert(&n);
  return r;
}

struct Counters {
  int64_t broadcasts = 0, macs = 0, paddings = 0;
};

Result<Tensor> fc_layer(const compress::CompressedModel& model, const ir::Node& n,
                        const Tensor& x, const Shape& out_shape, int out_frac,
                        const EieSpec& spec, Counters& cnt) {
  if (n.attr_float("alpha", 1.0) != 1.0 || n.attr_float("beta", 1.0) != 1.0 ||
      n.attr_int("trans_a", 0) != 0 || n.attr_int("trans_b", 1) != 1)
    return unimplemented("{}: EIE needs alpha = beta = 1, trans_a = 0, trans_b = 1", label(n));
  const std::string& wname = n.input(1);
  const compress::CompressedLayer* cl = model.find_layer(wname);
  if (cl == nullptr || cl->bits < 1 || cl->bits > spec.code_bits)
    return unimplemented(
        "{}: EIE stores weights as codebook indices of at most {} bits; weight \"{}\" is {}",
        label(n), spec.code_bits, wname,
        cl == nullptr   ? std::string("not compressed")
        : cl->bits == 0 ? std::string("not quantized")
                        : fmt::format("quantized to {} bits", cl->bits));
  const int64_t rows = cl->rows(), cols = cl->cols();
  const int64_t batch = x.dim(0);
  if (x.rank() != 2 || x.dim(1) != cols)
    return invalid_argument("{}: W [{}, {}] does not match X {}", label(n), rows, cols,
                            shape_str(x.shape()));
  SIEVE_ASSIGN_OR_RETURN(Tensor dense, fx::dense_weight(model, wname));
  const int fw = fx::weight_frac_bits(dense);
  const int acc_frac = x.frac_bits() + fw;
  // The codebook LUT: each region's entries as 16-bit weights.
  std::vector<std::vector<int16_t>> lut(cl->codebooks.size());
  for (size_t r = 0; r < cl->codebooks.size(); ++r)
    for (float v : cl->codebooks[r]) lut[r].push_back(fx::quantize(v, fw));
  // The layout, from the container's mask and codes.
  BitVec mask;
  const bool pruned = !cl->mask.empty();
  if (pruned) {
    mask = BitVec(rows * cols);
    const uint8_t* m = cl->mask.data<uint8_t>();
    for (int64_t i = 0; i < rows * cols; ++i)
      if (m[i] != 0) mask.set(i);
  }
  const std::vector<PeSlice> slices =
      encode_csc(pruned ? &mask : nullptr, rows, cols, spec.n_pe, spec.max_gap(), cl->codes);
  std::vector<int64_t> bias(static_cast<size_t>(rows), 0);
  if (n.has_input(2)) {
    SIEVE_ASSIGN_OR_RETURN(Tensor b, fx::dense_weight(model, n.input(2)));
    if (b.numel() != rows && b.numel() != 1)
      return invalid_argument("{}: bias has {} elements for {} outputs", label(n), b.numel(),
                              rows);
    for (int64_t j = 0; j < rows; ++j)
      bias[static_cast<size_t>(j)] =
          fx::quantize_wide(b.data<float>()[b.numel() == 1 ? 0 : j], acc_frac);
  }
  Tensor y(DType::kI16, out_shape);
  y.set_frac_bits(out_frac);
  const int16_t* xd = x.data<int16_t>();
  int16_t* yd = y.data<int16_t>();
  std::vector<int64_t> acc;
  for (int64_t s = 0; s < batch; ++s) {
    acc = bias;
    for (int64_t j = 0; j < cols; ++j) {
      const int16_t a = xd[s * cols + j];
      if (a == 0) continue;  // the LNZD skips zero activations
      ++cnt.broadcasts;
      for (int64_t p = 0; p < spec.n_pe; ++p) {
        const PeSlice& sl = slices[static_cast<size_t>(p)];
        int64_t local = -1;
        for (int64_t e = sl.col_ptr[static_cast<size_t>(j)];
             e < sl.col_ptr[static_cast<size_t>(j + 1)]; ++e) {
          const CscEntry& en = sl.entries[static_cast<size_t>(e)];
          local += en.rel + 1;
          const int64_t row = local * spec.n_pe + p;
          SIEVE_ASSERT(row < rows);
          const int16_t w =
              en.padding ? int16_t{0}
                         : lut[static_cast<size_t>(cl->region_of(row, j))][en.code];
          acc[static_cast<size_t>(row)] += int32_t{w} * int32_t{a};
          ++cnt.macs;
          cnt.paddings += en.padding ? 1 : 0;
        }
      }
    }
    for (int64_t r = 0; r < rows; ++r)
      yd[s * rows + r] = fx::requantize(acc[static_cast<size_t>(r)], acc_frac, out_frac);
  }
  return y;
}

}  // namespace

Result<Tensor> run_functional(const compress::CompressedModel& model, const Tensor& input,
                              const EieSpec& spec, const fx::ValueHook& hook,
                              std::map<std::string, int64_t>* counters) {
  const ir::Graph& g = model.graph;
  SIEVE_ASSIGN_OR_RETURN(fx::Formats fm, fx::resolve_formats(model, {}));
  if (g.outputs.empty()) return invalid_argument("graph \"{}\" has no output", g.name);
  const std::set<const ir::Node*> skip = trailing_softmax(g);
  std::map<std::string, Tensor> env;
  std::map<std::string, Shape> shapes;
  auto put = [&](const std::string& v, Tensor t) {
    shapes[v] = t.shape();
    if (hook) hook(v, t);
    env[v] = std::move(t);
  };
  Counters cnt;
  for (const ir::Node& n : g.nodes) {
    if (n.op == ir::OpKind::kInput) {
      if (input.dtype() != DType::kF32)
        return invalid_argument("input: expected f32, got {}", dtype_name(input.dtype()));
      put(n.outputs[0], fx::quantize_tensor(input, fm.value_frac.at(n.outputs[0])));
      continue;
    }
    auto it = env.find(n.input(0));
    if (it == env.end())
      return invalid_argument("{}: operand \"{}\" is not an activation computed earlier",
                              label(n), n.input(0));
    const Tensor& x = it->second;
    if (skip.count(&n) != 0) {
      put(n.outputs[0], x);
      continue;
    }
    if (n.op != ir::OpKind::kFullyConnected && n.op != ir::OpKind::kRelu && !moves_only(n.op))
      return unimplemented(
          "{}: the EIE functional model runs fully-connected layers (with ReLU and reshapes) "
          "only",
          label(n));
    SIEVE_ASSIGN_OR_RETURN(Shape out_shape, fx::output_shape(g, n, shapes));
    const std::string& out = n.outputs.at(0);
    Tensor y;
    if (n.op == ir::OpKind::kFullyConnected) {
      SIEVE_ASSIGN_OR_RETURN(y, fc_layer(model, n, x, out_shape, fm.value_frac.at(out), spec, cnt));
    } else if (n.op == ir::OpKind::kRelu) {
      y = fx::relu(x);
    } else {
      y = x.reshaped(out_shape);
    }
    put(out, y);
  }
  auto out = env.find(g.outputs[0]);
  if (out == env.end())
    return invalid_argument("graph output \"{}\" was not computed", g.outputs[0]);
  if (counters != nullptr) {
    (*counters)["eie_broadcasts"] += cnt.broadcasts;
    (*counters)["eie_macs"] += cnt.macs;
    (*counters)["eie_paddings"] += cnt.paddings;
  }
  return out->second;
}

}  // namespace sieve::hw::eie_arch
