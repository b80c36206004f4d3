#include "sieve/hw/archs/sieve/functional.h"

#include <algorithm>
#include <cstring>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "sieve/hw/archs/sieve/blocks.h"
#include "sieve/hw/archs/sieve/datapath.h"
#include "sieve/ir/shape_inference.h"

namespace sieve::hw::sieve_arch {

namespace fx = runtime::fixed16;

namespace {

std::string label(const ir::Node& n) {
  return node_label(n);
}

struct Ctx {
  const compress::CompressedModel& model;
  const FunctionalOptions& o;
  const fx::Formats& fm;
  Datapath dp;
};

// FullyConnected: returns {y, relu(y) when fused}.
Result<std::vector<Tensor>> fully_connected(Ctx& cx, const ir::Node& n, const Tensor& x,
                                            const Shape& out_shape, int out_frac, bool fuse) {
  if (n.attr_float("alpha", 1.0) != 1.0 || n.attr_float("beta", 1.0) != 1.0 ||
      n.attr_int("trans_a", 0) != 0 || n.attr_int("trans_b", 1) != 1) {
    return Status(StatusCode::kUnimplemented,
                  label(n) + ": the functional model needs alpha = beta = 1, trans_a = 0, "
                             "trans_b = 1");
  }
  if (!n.has_input(1) || !cx.model.graph.is_initializer(n.input(1))) {
    return Status(StatusCode::kUnimplemented, label(n) + ": W must be an initializer");
  }
  const int64_t batch = x.dim(0), k = x.dim(1), m = out_shape.at(1);
  SIEVE_ASSIGN_OR_RETURN(WeightPart seg, weight_part(cx.model, n.input(1), m, k));
  const int acc_frac = x.frac_bits() + seg.frac;
  SIEVE_ASSIGN_OR_RETURN(std::vector<int64_t> bias, bias_at(cx.model, n, 2, m, acc_frac));
  SIEVE_ASSIGN_OR_RETURN(WeightTile mx, build_tile({seg}, 0, m, cx.o.tn, cx.o.tm));
  Tensor y(DType::kI16, out_shape), yr;
  y.set_frac_bits(out_frac);
  if (fuse) {
    yr = Tensor(DType::kI16, out_shape);
    yr.set_frac_bits(out_frac);
  }
  std::vector<int64_t> acc(static_cast<size_t>(m));
  for (int64_t s = 0; s < batch; ++s) {
    const Encoded in = encode({x.data<int16_t>() + s * k, static_cast<size_t>(k)}, cx.dp.st);
    acc = bias;
    run_tile(mx, in, cx.dp, acc);
    for (int64_t j = 0; j < m; ++j) {
      const int16_t v = Pefu::requantize(acc[static_cast<size_t>(j)], acc_frac, out_frac);
      y.data<int16_t>()[s * m + j] = v;
      if (fuse) yr.data<int16_t>()[s * m + j] = Pefu::activate(v, Activation::kRelu);
    }
  }
  return std::vector<Tensor>{y, yr};
}

Result<std::vector<Tensor>> conv(Ctx& cx, const ir::Node& n, const Tensor& x,
                                 const Shape& out_shape, int out_frac, bool fuse) {
  if (!n.has_input(1) || !cx.model.graph.is_initializer(n.input(1))) {
    return Status(StatusCode::kUnimplemented, label(n) + ": W must be an initializer");
  }
  if (x.rank() != 4) {
    return Status(StatusCode::kUnimplemented,
                  label(n) + ": the functional model supports 2-D convolutions only");
  }
  const Tensor* w0 = cx.model.graph.initializer(n.input(1));
  SIEVE_ASSIGN_OR_RETURN(ir::WindowGeometry geo, ir::window_geometry(n, x.shape(), &w0->shape()));
  const int64_t group = n.attr_int("group", 1);
  const int64_t batch = x.dim(0), c_in = x.dim(1), ih = x.dim(2), iw = x.dim(3);
  const int64_t m_out = w0->dim(0), cg = c_in / group, mg = m_out / group;
  const int64_t kh = geo.kernel[0], kw = geo.kernel[1];
  const int64_t oh = out_shape[2], ow = out_shape[3];
  const int64_t cols = cg * kh * kw;
  SIEVE_ASSIGN_OR_RETURN(WeightPart seg, weight_part(cx.model, n.input(1), m_out, cols));
  const int acc_frac = x.frac_bits() + seg.frac;
  SIEVE_ASSIGN_OR_RETURN(std::vector<int64_t> bias, bias_at(cx.model, n, 2, m_out, acc_frac));
  std::vector<WeightTile> mats;
  for (int64_t gi = 0; gi < group; ++gi) {
    SIEVE_ASSIGN_OR_RETURN(WeightTile mx, build_tile({seg}, gi * mg, (gi + 1) * mg, cx.o.tn, cx.o.tm));
    mats.push_back(std::move(mx));
  }
  Tensor y(DType::kI16, out_shape), yr;
  y.set_frac_bits(out_frac);
  if (fuse) {
    yr = Tensor(DType::kI16, out_shape);
    yr.set_frac_bits(out_frac);
  }
  const int16_t* xd = x.data<int16_t>();
  std::vector<int16_t> vec(static_cast<size_t>(cols));
  std::vector<int64_t> acc(static_cast<size_t>(mg));
  for (int64_t s = 0; s < batch; ++s) {
    for (int64_t oy = 0; oy < oh; ++oy) {
      for (int64_t ox = 0; ox < ow; ++ox) {
        for (int64_t gi = 0; gi < group; ++gi) {
          // The window [c, ky, kx] of this pixel; padding positions are zero neurons.
          size_t i = 0;
          for (int64_t c = 0; c < cg; ++c) {
            const int16_t* plane = xd + ((s * c_in) + gi * cg + c) * ih * iw;
            for (int64_t ky = 0; ky < kh; ++ky) {
              const int64_t yy = oy * geo.strides[0] - geo.pads_begin[0] + ky * geo.dilations[0];
              for (int64_t kx = 0; kx < kw; ++kx, ++i) {
                const int64_t xx =
                    ox * geo.strides[1] - geo.pads_begin[1] + kx * geo.dilations[1];
                vec[i] = (yy >= 0 && yy < ih && xx >= 0 && xx < iw) ? plane[yy * iw + xx]
                                                                     : int16_t{0};
              }
            }
          }
          const Encoded in = encode(vec, cx.dp.st);
          std::copy(bias.begin() + gi * mg, bias.begin() + (gi + 1) * mg, acc.begin());
          run_tile(mats[static_cast<size_t>(gi)], in, cx.dp, acc);
          for (int64_t j = 0; j < mg; ++j) {
            const int64_t at = ((s * m_out + gi * mg + j) * oh + oy) * ow + ox;
            const int16_t v = Pefu::requantize(acc[static_cast<size_t>(j)], acc_frac, out_frac);
            y.data<int16_t>()[at] = v;
            if (fuse) yr.data<int16_t>()[at] = Pefu::activate(v, Activation::kRelu);
          }
        }
      }
    }
  }
  return std::vector<Tensor>{y, yr};
}

Result<std::vector<Tensor>> lstm(Ctx& cx, const ir::Node& n, const Tensor& x) {
  SIEVE_ASSIGN_OR_RETURN(fx::LstmQ q, fx::lstm_q(cx.model, n, cx.fm, cx.o.fixed));
  if (x.rank() != 3 || x.dim(2) != q.input) {
    return invalid_argument("{}: X is {}, expected [seq, batch, {}]", label(n),
                            shape_str(x.shape()), q.input);
  }
  const int64_t seq = x.dim(0), batch = x.dim(1), nh = q.hidden, gh = 4 * nh;
  SIEVE_ASSIGN_OR_RETURN(WeightPart sw, weight_part(cx.model, n.input(1), gh, q.input));
  SIEVE_ASSIGN_OR_RETURN(WeightPart sr, weight_part(cx.model, n.input(2), gh, q.state));
  sw.shift = q.shift_x;
  sr.shift = q.shift_r;
  SIEVE_ASSIGN_OR_RETURN(WeightTile gates, build_tile({sw, sr}, 0, gh, cx.o.tn, cx.o.tm));
  WeightTile proj;
  if (q.proj > 0) {
    SIEVE_ASSIGN_OR_RETURN(WeightPart sp, weight_part(cx.model, n.input(8), q.proj, nh));
    SIEVE_ASSIGN_OR_RETURN(proj, build_tile({sp}, 0, q.proj, cx.o.tn, cx.o.tm));
  }
  Tensor y(DType::kI16, {seq, 1, batch, q.state});
  y.set_frac_bits(q.f_r);
  Tensor y_h(DType::kI16, {1, batch, q.state});
  y_h.set_frac_bits(q.f_r);
  Tensor y_c(DType::kI16, {1, batch, nh});
  y_c.set_frac_bits(q.f_c);
  std::vector<int16_t> vec(static_cast<size_t>(q.input + q.state));
  std::vector<int16_t> c(static_cast<size_t>(nh)), m(static_cast<size_t>(nh));
  std::vector<int64_t> acc(static_cast<size_t>(gh)), pacc(static_cast<size_t>(q.proj));
  for (int64_t b = 0; b < batch; ++b) {
    std::fill(vec.begin(), vec.end(), int16_t{0});
    std::fill(c.begin(), c.end(), int16_t{0});
    for (int64_t t = 0; t < seq; ++t) {
      const int16_t* xt = x.data<int16_t>() + (t * batch + b) * q.input;
      std::copy(xt, xt + q.input, vec.begin());  // [x_t; r_{t−1}]
      const Encoded in = encode(vec, cx.dp.st);
      acc = q.bias;
      run_tile(gates, in, cx.dp, acc);
      fx::lstm_pointwise(q, acc, c, m);  // the vector unit
      int16_t* r = vec.data() + q.input;
      if (q.proj > 0) {
        const Encoded mi = encode(m, cx.dp.st);
        std::fill(pacc.begin(), pacc.end(), 0);
        run_tile(proj, mi, cx.dp, pacc);
        for (int64_t k = 0; k < q.proj; ++k) {
          r[k] = Pefu::requantize(pacc[static_cast<size_t>(k)], q.f_proj + fx::kGateFracBits,
                                  q.f_r);
        }
      } else {
        std::copy(m.begin(), m.end(), r);
      }
      std::copy(r, r + q.state, y.data<int16_t>() + (t * batch + b) * q.state);
    }
    if (seq > 0) {
      std::copy(vec.begin() + q.input, vec.end(), y_h.data<int16_t>() + b * q.state);
      std::copy(c.begin(), c.end(), y_c.data<int16_t>() + b * nh);
    }
  }
  return std::vector<Tensor>{y, y_h, y_c};
}

// Softmax/LogSoftmax nodes whose output is a graph output that no node reads.
bool is_trailing_softmax(const ir::Graph& g, const ir::Node& n,
                         const std::map<std::string, int>& readers) {
  if (n.op != ir::OpKind::kSoftmax && n.op != ir::OpKind::kLogSoftmax) return false;
  if (n.outputs.size() != 1 || readers.count(n.outputs[0]) != 0) return false;
  return std::find(g.outputs.begin(), g.outputs.end(), n.outputs[0]) != g.outputs.end();
}

}  // namespace

Result<Tensor> run_functional(const compress::CompressedModel& model, const Tensor& input,
                              const FunctionalOptions& options,
                              const runtime::fixed16::ValueHook& hook, FunctionalStats* stats) {
  return walk_graph(model, input, options, hook, stats, {});
}

Result<Tensor> walk_graph(const compress::CompressedModel& model, const Tensor& input,
                          const FunctionalOptions& options,
                          const runtime::fixed16::ValueHook& hook, FunctionalStats* stats,
                          const LayerRunner& runner) {
  if (options.tn < 1 || options.tm < 1) {
    return invalid_argument("functional model: T_n = {} and T_m = {} must be positive",
                            options.tn, options.tm);
  }
  const ir::Graph& g = model.graph;
  SIEVE_ASSIGN_OR_RETURN(fx::Formats fm, fx::resolve_formats(model, options.fixed));
  FunctionalStats local;
  Ctx cx{model, options, fm, Datapath(options.tm, stats != nullptr ? *stats : local)};

  // Readers of each value: a FullyConnected/Conv whose only reader is a Relu (and that is not a
  // graph output) runs the ReLU in its PEFU.
  std::map<std::string, int> readers;
  std::map<std::string, const ir::Node*> reader;
  for (const ir::Node& n : g.nodes) {
    for (const std::string& v : n.inputs) {
      if (v.empty()) continue;
      ++readers[v];
      reader[v] = &n;
    }
  }
  const std::set<std::string> graph_outputs(g.outputs.begin(), g.outputs.end());
  auto fused_relu = [&](const ir::Node& n) -> const ir::Node* {
    const std::string& v = n.outputs.at(0);
    if (graph_outputs.count(v) != 0 || readers[v] != 1) return nullptr;
    const ir::Node* r = reader[v];
    return r->op == ir::OpKind::kRelu ? r : nullptr;
  };

  const ir::Node* in_node = nullptr;
  for (const ir::Node& n : g.nodes) {
    if (n.op != ir::OpKind::kInput) continue;
    if (in_node != nullptr) return invalid_argument("graph \"{}\" has several inputs", g.name);
    in_node = &n;
  }
  if (in_node == nullptr) return invalid_argument("graph \"{}\" has no input", g.name);
  const std::vector<int64_t> declared = in_node->attr_ints("shape");
  if (input.dtype() != DType::kF32 ||
      (!declared.empty() && static_cast<size_t>(input.rank()) != declared.size())) {
    return invalid_argument("input: expected f32 of rank {} (like {}), got {} {}", declared.size(),
                            shape_str(declared), dtype_name(input.dtype()),
                            shape_str(input.shape()));
  }
  if (g.outputs.empty()) return invalid_argument("graph \"{}\" has no output", g.name);

  std::map<std::string, Tensor> env;
  std::map<std::string, Shape> shapes;
  auto put = [&](const std::string& v, Tensor t) {
    if (v.empty()) return;
    shapes[v] = t.shape();
    if (hook) hook(v, t);
    env[v] = std::move(t);
  };
  for (const ir::Node& n : g.nodes) {
    if (n.op == ir::OpKind::kInput) {
      put(n.outputs[0], fx::quantize_tensor(input, fm.value_frac.at(n.outputs[0])));
      continue;
    }
    if (!n.outputs.empty() && env.count(n.outputs[0]) != 0) continue;  // a fused Relu
    auto xi = env.find(n.input(0));
    if (xi == env.end()) {
      return invalid_argument("{}: operand \"{}\" is not an activation computed earlier",
                              label(n), n.input(0));
    }
    const Tensor& x = xi->second;
    if (is_trailing_softmax(g, n, readers)) {
      put(n.outputs[0], x);
      continue;
    }
    if (n.op == ir::OpKind::kLSTM) {
      std::vector<Tensor> outs;
      if (runner) {
        SIEVE_ASSIGN_OR_RETURN(outs, runner(NodeCall{&n, &x, {}, 0, false}));
      } else {
        SIEVE_ASSIGN_OR_RETURN(outs, lstm(cx, n, x));
      }
      for (size_t j = 0; j < n.outputs.size() && j < outs.size(); ++j) put(n.outputs[j], outs[j]);
      continue;
    }
    SIEVE_ASSIGN_OR_RETURN(Shape out_shape, fx::output_shape(g, n, shapes));
    const std::string& out = n.outputs.at(0);
    const int out_frac = fm.value_frac.at(out);
    if (n.op == ir::OpKind::kFullyConnected || n.op == ir::OpKind::kConv) {
      const ir::Node* relu = fused_relu(n);
      std::vector<Tensor> ys;
      if (runner) {
        SIEVE_ASSIGN_OR_RETURN(ys, runner(NodeCall{&n, &x, out_shape, out_frac, relu != nullptr}));
        if (ys.size() != 2 || (relu != nullptr && ys[1].numel() != ys[0].numel()))
          return Status(StatusCode::kInternal, label(n) + ": the layer runner's outputs");
      } else if (n.op == ir::OpKind::kFullyConnected) {
        SIEVE_ASSIGN_OR_RETURN(ys, fully_connected(cx, n, x, out_shape, out_frac, relu != nullptr));
      } else {
        SIEVE_ASSIGN_OR_RETURN(ys, conv(cx, n, x, out_shape, out_frac, relu != nullptr));
      }
      put(out, ys[0]);
      if (relu != nullptr) put(relu->outputs.at(0), ys[1]);
    } else if (runner && (n.op == ir::OpKind::kMaxPool || n.op == ir::OpKind::kAveragePool)) {
      SIEVE_ASSIGN_OR_RETURN(std::vector<Tensor> ys,
                             runner(NodeCall{&n, &x, out_shape, out_frac, false}));
      if (ys.size() != 1) return Status(StatusCode::kInternal, label(n) + ": the layer runner's outputs");
      put(out, ys[0]);
    } else if (n.op == ir::OpKind::kMaxPool) {
      SIEVE_ASSIGN_OR_RETURN(Tensor y, fx::max_pool(n, x, out_shape));
      put(out, y);
    } else if (n.op == ir::OpKind::kAveragePool) {
      SIEVE_ASSIGN_OR_RETURN(Tensor y, fx::average_pool(n, x, out_shape, out_frac));
      put(out, y);
    } else if (n.op == ir::OpKind::kRelu) {
      put(out, fx::relu(x));
    } else {
      put(out, x.reshaped(out_shape));  // shape ops (resolve_formats refused the rest)
    }
  }
  auto it = env.find(g.outputs[0]);
  if (it == env.end()) {
    return invalid_argument("graph output \"{}\" was not computed", g.outputs[0]);
  }
  return it->second;
}

}  // namespace sieve::hw::sieve_arch
