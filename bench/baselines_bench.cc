// The libraries a user would otherwise pick for the CPU runtime's layers (issue 11), in the same
// binary as our kernels so that one run puts them side by side:
//   * oneDNN (libdnnl, 2.6): dense fp32 inner product and direct convolution, weights and
//     activations in the layouts it prefers (reordered once, outside the timed loop, as a
//     network that keeps its blocked layout between layers would have them);
//   * XNNPACK (libxnnpack, the Debian 2022 snapshot): dense fully connected (NC) and
//     convolution (NHWC), and its sparse path: the NCHW 1×1 convolution, which runs its SpMM
//     kernel and skips zero weights (on x86 that kernel is SSE; XNN_FLAG_SPARSE_INFERENCE is a
//     subgraph-level hint that this operator refuses with xnn_status_invalid_parameter).
// Shapes from real models: FC 4096×4096 and AlexNet fc6 (9216→4096) at batch 1; VGG16 conv3_2
// (56×56, 256→256, 3×3, pad 1); a 1×1 convolution 256→256 on 56×56 at 70–95 % weight sparsity
// in 16×1 blocks (the sparse-path comparison; our BSR kernel runs the same weights).
// Counters: FLOPS (2·MACs of the dense layer per second: "dense-equivalent") and, for sparse
// runs, FLOPS_exec (2·kept MACs per second). All single-threaded (one core): XNNPACK gets no
// thread pool, oneDNN (OpenMP) is held to one thread.
#include <benchmark/benchmark.h>
#include <omp.h>
#include <xnnpack.h>

#include <cstdint>
#include <memory>
#include <random>
#include <string>
#include <unordered_map>
#include <vector>

#include "dnnl.hpp"

namespace {

std::vector<float> random_vector(size_t n, uint32_t seed) {
  std::mt19937 rng(seed);
  std::uniform_real_distribution<float> u(-1.0f, 1.0f);
  std::vector<float> v(n);
  for (float& x : v) x = u(rng);
  return v;
}

// Rows × cols weights with whole 16×1 blocks (16 output rows × 1 input) zeroed at `sparsity`.
std::vector<float> block_sparse_weights(int64_t rows, int64_t cols, double sparsity,
                                        uint32_t seed) {
  std::vector<float> w = random_vector(static_cast<size_t>(rows * cols), seed);
  std::mt19937 rng(seed + 1);
  std::uniform_real_distribution<double> u(0.0, 1.0);
  for (int64_t r0 = 0; r0 < rows; r0 += 16)
    for (int64_t c = 0; c < cols; ++c)
      if (u(rng) < sparsity)
        for (int64_t r = r0; r < std::min(rows, r0 + 16); ++r) w[static_cast<size_t>(r * cols + c)] = 0;
  return w;
}

void set_flops(benchmark::State& state, double dense_flops, double exec_flops = 0) {
  state.counters["FLOPS"] = benchmark::Counter(dense_flops, benchmark::Counter::kIsIterationInvariantRate);
  if (exec_flops > 0)
    state.counters["FLOPS_exec"] =
        benchmark::Counter(exec_flops, benchmark::Counter::kIsIterationInvariantRate);
}

// ---- oneDNN ----

struct Dnnl {
  dnnl::engine eng{dnnl::engine::kind::cpu, 0};
  dnnl::stream strm{eng};
};
Dnnl& dnnl_ctx() {
  static Dnnl& d = *[] {
    omp_set_num_threads(1);  // one core, like every other row of the comparison
    return new Dnnl;
  }();
  return d;
}

dnnl::memory to_layout(const std::vector<float>& data, const dnnl::memory::desc& plain,
                       const dnnl::memory::desc& want) {
  Dnnl& d = dnnl_ctx();
  dnnl::memory src(plain, d.eng, const_cast<float*>(data.data()));
  if (want == plain) {
    dnnl::memory m(plain, d.eng);
    dnnl::reorder(src, m).execute(d.strm, src, m);
    d.strm.wait();
    return m;
  }
  dnnl::memory m(want, d.eng);
  dnnl::reorder(src, m).execute(d.strm, src, m);
  d.strm.wait();
  return m;
}

// Random operands in the plain layouts, reordered once into the layouts `pd` chose; the timed
// loop runs only the primitive.
template <typename Primitive, typename PrimitiveDesc>
void time_primitive(benchmark::State& state, const PrimitiveDesc& pd,
                    const dnnl::memory::desc& src_plain, const dnnl::memory::desc& w_plain,
                    const dnnl::memory::desc& b_plain) {
  Dnnl& d = dnnl_ctx();
  const auto x = random_vector(src_plain.get_size() / sizeof(float), 1);
  const auto w = random_vector(w_plain.get_size() / sizeof(float), 2);
  const auto b = random_vector(b_plain.get_size() / sizeof(float), 3);
  dnnl::memory src = to_layout(x, src_plain, pd.src_desc());
  dnnl::memory wts = to_layout(w, w_plain, pd.weights_desc());
  dnnl::memory bias = to_layout(b, b_plain, b_plain);
  dnnl::memory dst(pd.dst_desc(), d.eng);
  Primitive prim(pd);
  for (auto _ : state) {
    prim.execute(d.strm, {{DNNL_ARG_SRC, src},
                          {DNNL_ARG_WEIGHTS, wts},
                          {DNNL_ARG_BIAS, bias},
                          {DNNL_ARG_DST, dst}});
    d.strm.wait();
  }
}

void BM_OneDnnInnerProduct(benchmark::State& state, int64_t in, int64_t out, int64_t batch) {
  using tag = dnnl::memory::format_tag;
  using dt = dnnl::memory::data_type;
  Dnnl& d = dnnl_ctx();
  const dnnl::memory::desc src_plain({batch, in}, dt::f32, tag::nc);
  const dnnl::memory::desc w_plain({out, in}, dt::f32, tag::oi);
  const dnnl::memory::desc b_plain({out}, dt::f32, tag::x);
  const dnnl::memory::desc dst_plain({batch, out}, dt::f32, tag::nc);
  const dnnl::memory::desc w_any({out, in}, dt::f32, tag::any);
  dnnl::inner_product_forward::desc desc(dnnl::prop_kind::forward_inference, src_plain, w_any,
                                         b_plain, dst_plain);
  dnnl::inner_product_forward::primitive_desc pd(desc, d.eng);
  time_primitive<dnnl::inner_product_forward>(state, pd, src_plain, w_plain, b_plain);
  set_flops(state, 2.0 * static_cast<double>(batch * in * out));
  state.SetLabel("oneDNN " + std::to_string(dnnl::version()->major) + "." +
                 std::to_string(dnnl::version()->minor) + " f32");
}

void BM_OneDnnConv(benchmark::State& state, int64_t c, int64_t m, int64_t hw, int64_t k) {
  using tag = dnnl::memory::format_tag;
  using dt = dnnl::memory::data_type;
  Dnnl& d = dnnl_ctx();
  const int64_t pad = k / 2;
  const dnnl::memory::desc src_plain({1, c, hw, hw}, dt::f32, tag::nchw);
  const dnnl::memory::desc w_plain({m, c, k, k}, dt::f32, tag::oihw);
  const dnnl::memory::desc b_plain({m}, dt::f32, tag::x);
  const dnnl::memory::desc src_any({1, c, hw, hw}, dt::f32, tag::any);
  const dnnl::memory::desc w_any({m, c, k, k}, dt::f32, tag::any);
  const dnnl::memory::desc dst_any({1, m, hw, hw}, dt::f32, tag::any);
  dnnl::convolution_forward::desc desc(dnnl::prop_kind::forward_inference,
                                       dnnl::algorithm::convolution_direct, src_any, w_any,
                                       b_plain, dst_any, {1, 1}, {pad, pad}, {pad, pad});
  dnnl::convolution_forward::primitive_desc pd(desc, d.eng);
  time_primitive<dnnl::convolution_forward>(state, pd, src_plain, w_plain, b_plain);
  set_flops(state, 2.0 * static_cast<double>(m * c * k * k * hw * hw));
  state.SetLabel("oneDNN direct conv f32, " + std::string(pd.impl_info_str()));
}

// ---- XNNPACK ----

bool xnn_ready() {
  static const bool ok = xnn_initialize(nullptr) == xnn_status_success;
  return ok;
}

struct XnnOp {
  xnn_operator_t op = nullptr;
  ~XnnOp() {
    if (op != nullptr) xnn_delete_operator(op);
  }
};

void BM_XnnpackFullyConnected(benchmark::State& state, int64_t in, int64_t out, int64_t batch) {
  if (!xnn_ready()) return state.SkipWithError("xnn_initialize failed");
  const auto x = random_vector(static_cast<size_t>(batch * in), 1);
  const auto w = random_vector(static_cast<size_t>(out * in), 2);
  const auto b = random_vector(static_cast<size_t>(out), 3);
  std::vector<float> y(static_cast<size_t>(batch * out));
  XnnOp fc;
  if (xnn_create_fully_connected_nc_f32(static_cast<size_t>(in), static_cast<size_t>(out),
                                        static_cast<size_t>(in), static_cast<size_t>(out),
                                        w.data(), b.data(), -INFINITY, INFINITY, 0,
                                        &fc.op) != xnn_status_success)
    return state.SkipWithError("xnn_create_fully_connected_nc_f32 failed");
  if (xnn_setup_fully_connected_nc_f32(fc.op, static_cast<size_t>(batch), x.data(), y.data(),
                                       nullptr) != xnn_status_success)
    return state.SkipWithError("xnn_setup_fully_connected_nc_f32 failed");
  for (auto _ : state) xnn_run_operator(fc.op, nullptr);
  set_flops(state, 2.0 * static_cast<double>(batch * in * out));
  state.SetLabel("XNNPACK f32 dense");
}

void BM_XnnpackConvNhwc(benchmark::State& state, int64_t c, int64_t m, int64_t hw, int64_t k) {
  if (!xnn_ready()) return state.SkipWithError("xnn_initialize failed");
  const uint32_t pad = static_cast<uint32_t>(k / 2);
  const auto x = random_vector(static_cast<size_t>(c * hw * hw), 1);
  const auto w = random_vector(static_cast<size_t>(m * c * k * k), 2);  // OHWI
  const auto b = random_vector(static_cast<size_t>(m), 3);
  std::vector<float> y(static_cast<size_t>(m * hw * hw));
  XnnOp conv;
  if (xnn_create_convolution2d_nhwc_f32(pad, pad, pad, pad, static_cast<uint32_t>(k),
                                        static_cast<uint32_t>(k), 1, 1, 1, 1, 1,
                                        static_cast<size_t>(c), static_cast<size_t>(m),
                                        static_cast<size_t>(c), static_cast<size_t>(m), w.data(),
                                        b.data(), -INFINITY, INFINITY, 0,
                                        &conv.op) != xnn_status_success)
    return state.SkipWithError("xnn_create_convolution2d_nhwc_f32 failed");
  if (xnn_setup_convolution2d_nhwc_f32(conv.op, 1, static_cast<size_t>(hw),
                                       static_cast<size_t>(hw), x.data(), y.data(),
                                       nullptr) != xnn_status_success)
    return state.SkipWithError("xnn_setup_convolution2d_nhwc_f32 failed");
  for (auto _ : state) xnn_run_operator(conv.op, nullptr);
  set_flops(state, 2.0 * static_cast<double>(m * c * k * k * hw * hw));
  state.SetLabel("XNNPACK f32 dense NHWC");
}

// XNNPACK's sparse path: a 1×1 NCHW convolution (its SpMM kernel skips zero weights). `sparsity_pct` of the 16×1 weight blocks are zero.
void BM_XnnpackSparse1x1(benchmark::State& state, int64_t c, int64_t m, int64_t hw) {
  if (!xnn_ready()) return state.SkipWithError("xnn_initialize failed");
  const double sparsity = static_cast<double>(state.range(0)) / 100.0;
  const auto x = random_vector(static_cast<size_t>(c * hw * hw), 1);
  const auto w = block_sparse_weights(m, c, sparsity, 2);
  const auto b = random_vector(static_cast<size_t>(m), 3);
  std::vector<float> y(static_cast<size_t>(m * hw * hw));
  int64_t kept = 0;
  for (float v : w) kept += v != 0.0f ? 1 : 0;
  XnnOp conv;
  const xnn_status st = xnn_create_convolution2d_nchw_f32(
      0, 0, 0, 0, 1, 1, 1, 1, 1, 1, 1, static_cast<size_t>(c), static_cast<size_t>(m),
      static_cast<size_t>(c), static_cast<size_t>(m), w.data(), b.data(), -INFINITY, INFINITY,
      0, &conv.op);
  if (st != xnn_status_success)
    return state.SkipWithError(
        ("xnn_create_convolution2d_nchw_f32 (sparse) failed: status " + std::to_string(st))
            .c_str());
  if (xnn_setup_convolution2d_nchw_f32(conv.op, 1, static_cast<size_t>(hw),
                                       static_cast<size_t>(hw), x.data(), y.data(),
                                       nullptr) != xnn_status_success)
    return state.SkipWithError("xnn_setup_convolution2d_nchw_f32 failed");
  for (auto _ : state) xnn_run_operator(conv.op, nullptr);
  set_flops(state, 2.0 * static_cast<double>(m * c * hw * hw),
            2.0 * static_cast<double>(kept * hw * hw));
  state.SetLabel("XNNPACK f32 sparse NCHW 1x1");
}

// FC 4096×4096 and AlexNet fc6 at batch 1; VGG16 conv3_2.
BENCHMARK_CAPTURE(BM_OneDnnInnerProduct, fc4096_b1, 4096, 4096, 1)->Unit(benchmark::kMicrosecond);
BENCHMARK_CAPTURE(BM_OneDnnInnerProduct, alexnet_fc6_b1, 9216, 4096, 1)
    ->Unit(benchmark::kMicrosecond);
BENCHMARK_CAPTURE(BM_XnnpackFullyConnected, fc4096_b1, 4096, 4096, 1)
    ->Unit(benchmark::kMicrosecond);
BENCHMARK_CAPTURE(BM_XnnpackFullyConnected, alexnet_fc6_b1, 9216, 4096, 1)
    ->Unit(benchmark::kMicrosecond);
BENCHMARK_CAPTURE(BM_OneDnnConv, vgg16_conv3_2, 256, 256, 56, 3)->Unit(benchmark::kMillisecond);
BENCHMARK_CAPTURE(BM_XnnpackConvNhwc, vgg16_conv3_2, 256, 256, 56, 3)
    ->Unit(benchmark::kMillisecond);
BENCHMARK_CAPTURE(BM_XnnpackSparse1x1, c256_m256_56x56, 256, 256, 56)
    ->ArgName("sparsity_pct")
    ->DenseRange(70, 95, 5)
    ->Unit(benchmark::kMillisecond);

}  // namespace
