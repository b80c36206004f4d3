// Block-sparse (BSR) spmm (issue 11) side by side with what a user would otherwise pick:
// OpenBLAS dense SGEMV/SGEMM on the same layer with its pruned weights as zeros (core type
// fixed by gemm_bench.cc's initializer; "openblas_core" in the context), and Eigen's
// SparseMatrix<float, RowMajor> (plain CSR of the kept weights) times a vector or a matrix.
// Everything runs on one thread (OpenBLAS is set to 1 thread for these rows).
//
// Shapes:
//   fc4096   FC 4096×4096, 90 % sparse in 16×16 blocks, batch 1; "warm" reuses one copy of
//            the weights, "cold" cycles through enough copies to exceed 320 MiB (this machine's
//            L3 reports 260 MiB).
//   fc6      AlexNet fc6, 9216 -> 4096, 91 % sparse (Table 3.5) in 16×1 blocks, batch 1.
//   conv3_2  VGG16 conv3_2 as im2col GEMM: M=256, K=2304, N=3136, 65 % weight sparsity, 16×1;
//            conv3_2_act50iid / conv3_2_act50map: the same with 50 % zero activations,
//            independent or as a ReLU map gives them (x_zero, and x_zero_seg48: the share of
//            48-column segments of x rows that are all zero, what the kernel can skip).
//   c256_m256_56x56/sparsity_pct:P  XNNPACK's sparse-path shape (baselines_bench.cc): a 1×1
//            conv 256->256 on 56×56, 16×1 blocks, P = 70..95; filter on the name to run both.
// "/int8" rows: the int8 route (int8.h) on the same layer, x quantized on every call.
// Counters: flops_exec (2 · kept weights · n per second), flops_dense (2 · M · K · n per second,
// the dense-equivalent rate) and weight_bytes (bytes of weights the call reads: packed BSR,
// dense fp32, or CSR values + indices).
#include <benchmark/benchmark.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <memory>
#include <numeric>
#include <random>
#include <string>
#include <vector>

#include <cblas.h>

#ifdef SIEVE_HAVE_EIGEN
#include <Eigen/Dense>
#include <Eigen/Sparse>
#endif

#include "sieve/core/cpu.h"
#include "sieve/runtime/kernels/blas/blas.h"
#include "sieve/runtime/kernels/bsr/bsr.h"
#include "sieve/runtime/kernels/bsr/int8.h"
#include "sieve/runtime/kernels/bsr/internal.h"

namespace {

namespace bsr = sieve::runtime::kernels::bsr;
namespace blas = sieve::runtime::blas;

// Zero activations in x: none; half of them, independently (ReLU of a symmetric input); half
// of them as a ReLU map gives them (spatial runs, see relu_map_im2col()).
enum class ZeroAct { kNone, kIid50, kMap50 };

struct Layer {
  const char* name;
  int64_t rows, cols, br, bc, n;
  double sparsity;  // fraction of blocks pruned
  ZeroAct zero = ZeroAct::kNone;
};

const Layer kFc4096{"fc4096", 4096, 4096, 16, 16, 1, 0.90};
const Layer kFc6{"fc6", 4096, 9216, 16, 1, 1, 0.91};
const Layer kConv32{"conv3_2", 256, 2304, 16, 1, 3136, 0.65};
const Layer kConv32Iid{"conv3_2_act50iid", 256, 2304, 16, 1, 3136, 0.65, ZeroAct::kIid50};
const Layer kConv32Map{"conv3_2_act50map", 256, 2304, 16, 1, 3136, 0.65, ZeroAct::kMap50};

// conv3_2's im2col input (2304 × 3136) from a 256 × 56 × 56 map whose channels are smooth
// random fields (a sum of 6 plane waves, wavelengths 8 to 40 pixels) put through a ReLU at each
// channel's median: half the activations are 0, in blobs, as after a real ReLU.
std::vector<float> relu_map_im2col(std::mt19937& rng) {
  constexpr int C = 256, H = 56, W = 56;
  std::uniform_real_distribution<float> u(0, 1);
  std::vector<float> map(static_cast<size_t>(C * H * W));
  for (int c = 0; c < C; ++c) {
    float* m = map.data() + static_cast<size_t>(c) * H * W;
    float kx[6], ky[6], ph[6];
    for (int i = 0; i < 6; ++i) {
      const float len = 8 + 32 * u(rng), ang = 6.2831853f * u(rng);
      kx[i] = 6.2831853f / len * std::cos(ang);
      ky[i] = 6.2831853f / len * std::sin(ang);
      ph[i] = 6.2831853f * u(rng);
    }
    for (int h = 0; h < H; ++h)
      for (int w = 0; w < W; ++w) {
        float v = 0;
        for (int i = 0; i < 6; ++i) v += std::cos(kx[i] * w + ky[i] * h + ph[i]);
        m[h * W + w] = v;
      }
    std::vector<float> sorted(m, m + H * W);
    std::nth_element(sorted.begin(), sorted.begin() + H * W / 2, sorted.end());
    const float median = sorted[H * W / 2];
    for (int i = 0; i < H * W; ++i) m[i] = std::max(0.0f, m[i] - median);
  }
  std::vector<float> x(static_cast<size_t>(C * 9 * H * W), 0.0f);
  for (int c = 0; c < C; ++c)
    for (int kh = 0; kh < 3; ++kh)
      for (int kw = 0; kw < 3; ++kw) {
        float* row = x.data() + static_cast<size_t>((c * 9 + kh * 3 + kw)) * H * W;
        for (int h = 0; h < H; ++h)
          for (int w = 0; w < W; ++w) {
            const int ih = h + kh - 1, iw = w + kw - 1;
            if (ih >= 0 && ih < H && iw >= 0 && iw < W) row[h * W + w] = map[static_cast<size_t>((c * H + ih) * W + iw)];
          }
      }
  return x;
}

// Of the (row of x, 48-column tile) segments, the fraction entirely zero: what the 16×1 conv
// kernel can skip.
double zero_segments(const std::vector<float>& x, int64_t cols, int64_t n) {
  int64_t zero = 0, all = 0;
  for (int64_t c = 0; c < cols; ++c)
    for (int64_t j0 = 0; j0 < n; j0 += 48, ++all) {
      bool z = true;
      for (int64_t j = j0; j < std::min(n, j0 + 48) && z; ++j) z = x[static_cast<size_t>(c * n + j)] == 0.0f;
      zero += z;
    }
  return static_cast<double>(zero) / static_cast<double>(std::max<int64_t>(all, 1));
}

constexpr int64_t kColdBytes = int64_t{320} << 20;

// The layer's data, made once per (layer, bits): dense weights with pruned blocks zeroed,
// its mask, x, and the packed BSR weights.
struct Data {
  std::vector<float> dense, x, y;
  std::vector<uint8_t> mask;
  int64_t kept = 0;  // kept weights
  bsr::BsrWeights w;
};

std::shared_ptr<Data> make_data(const Layer& l, int bits) {
  auto d = std::make_shared<Data>();
  std::mt19937 rng(42);
  std::uniform_real_distribution<float> u(-1, 1);
  const int64_t nbr = (l.rows + l.br - 1) / l.br, nbc = (l.cols + l.bc - 1) / l.bc;
  std::vector<int64_t> blocks(static_cast<size_t>(nbr * nbc));
  std::iota(blocks.begin(), blocks.end(), 0);
  std::shuffle(blocks.begin(), blocks.end(), rng);
  blocks.resize(static_cast<size_t>(std::llround((1.0 - l.sparsity) * static_cast<double>(nbr * nbc))));
  d->mask.assign(static_cast<size_t>(l.rows * l.cols), 0);
  for (int64_t b : blocks) {
    const int64_t bi = b / nbc, bj = b % nbc;
    for (int64_t r = bi * l.br; r < std::min(l.rows, (bi + 1) * l.br); ++r)
      for (int64_t c = bj * l.bc; c < std::min(l.cols, (bj + 1) * l.bc); ++c)
        d->mask[static_cast<size_t>(r * l.cols + c)] = 1;
  }
  // Codes: one 2^bits-entry codebook (no 0 entry; the packer frees one for the padding).
  std::vector<std::vector<float>> cbs;
  std::vector<uint16_t> code;
  std::vector<int32_t> cb_of;
  if (bits != 0) {
    const int entries = 1 << bits;
    cbs.assign(1, std::vector<float>(static_cast<size_t>(entries)));
    for (float& v : cbs[0]) v = u(rng);
    code.resize(d->mask.size());
    cb_of.assign(d->mask.size(), 0);
    std::uniform_int_distribution<int> pick(0, entries - 1);
    for (uint16_t& c : code) c = static_cast<uint16_t>(pick(rng));
  }
  d->dense.resize(d->mask.size());
  for (size_t i = 0; i < d->mask.size(); ++i) {
    const float v = bits != 0 ? cbs[0][code[i]] : u(rng);
    d->dense[i] = d->mask[i] ? v : 0.0f;
    d->kept += d->mask[i];
  }
  d->x.resize(static_cast<size_t>(l.cols * l.n));
  for (float& v : d->x) v = u(rng);
  if (l.zero == ZeroAct::kIid50) {
    for (float& v : d->x) v = std::max(0.0f, v);
  } else if (l.zero == ZeroAct::kMap50) {
    d->x = relu_map_im2col(rng);
  }
  d->y.assign(static_cast<size_t>(l.rows * l.n), 0.0f);
  bsr::PackInput in;
  in.rows = l.rows;
  in.cols = l.cols;
  in.dense = d->dense.data();
  in.mask = d->mask.data();
  in.br = l.br;
  in.bc = l.bc;
  in.bits = bits;
  if (bits != 0) {
    in.code = code.data();
    in.codebook_of = cb_of.data();
    in.codebooks = &cbs;
  }
  d->w = *pack_bsr(in);
  return d;
}

void set_counters(benchmark::State& state, const Layer& l, int64_t kept, int64_t weight_bytes) {
  const double it = static_cast<double>(state.iterations());
  state.counters["flops_exec"] = benchmark::Counter(2.0 * kept * l.n * it, benchmark::Counter::kIsRate);
  state.counters["flops_dense"] =
      benchmark::Counter(2.0 * l.rows * l.cols * l.n * it, benchmark::Counter::kIsRate);
  state.counters["weight_bytes"] = static_cast<double>(weight_bytes);
}

void BM_Bsr(benchmark::State& state, Layer l, int bits, bsr::Isa isa, bool cold) {
  sieve::Result<bsr::Isa> ok = bsr::isa_for(bsr::isa_name(isa), sieve::detected_cpu_features());
  if (!ok.ok()) {
    state.SkipWithError(ok.status().message().c_str());
    return;
  }
  std::shared_ptr<Data> d = make_data(l, bits);
  std::vector<bsr::BsrWeights> copies(1, d->w);
  if (cold) {
    const int64_t count = kColdBytes / std::max<int64_t>(1, d->w.bytes()) + 1;
    copies.assign(static_cast<size_t>(count), d->w);
  }
  size_t i = 0;
  for (auto _ : state) {
    bsr::spmm(copies[i], d->x.data(), l.n, d->y.data(), isa);
    benchmark::DoNotOptimize(d->y.data());
    if (++i == copies.size()) i = 0;
  }
  set_counters(state, l, d->kept, d->w.bytes());
  if (l.zero != ZeroAct::kNone) {
    int64_t z = 0;
    for (float v : d->x) z += v == 0.0f;
    state.counters["x_zero"] = static_cast<double>(z) / static_cast<double>(d->x.size());
    state.counters["x_zero_seg48"] = zero_segments(d->x, l.cols, l.n);
  }
  state.SetLabel(d->w.note.empty() ? std::string(bsr::isa_name(isa)) : d->w.note);
}

// The int8 route (int8.h): the same packed layer re-packed by pack_int8(), x quantized to u8
// on every call (part of the time).
// maddwd: the AVX2 path's vpmaddwd dot product even where the CPU has AVX-VNNI (what a
// Haswell-to-Zen 3 CPU runs), through the path's own entry point.
void BM_BsrInt8(benchmark::State& state, Layer l, int bits, bsr::Isa isa, bool cold,
                bool maddwd) {
  const sieve::Status ok = bsr::int8_isa_check(isa, sieve::detected_cpu_features());
  if (!ok.ok()) {
    state.SkipWithError(ok.message().c_str());
    return;
  }
  std::shared_ptr<Data> d = make_data(l, bits);
  sieve::Result<bsr::BsrInt8Weights> q = bsr::pack_int8(d->w);
  if (!q.ok()) {
    state.SkipWithError(q.status().message().c_str());
    return;
  }
  std::vector<bsr::BsrInt8Weights> copies(1, *q);
  if (cold) copies.assign(static_cast<size_t>(kColdBytes / std::max<int64_t>(1, q->bytes()) + 1), *q);
  size_t i = 0;
  for (auto _ : state) {
    if (maddwd)
      bsr::detail::spmm_int8_avx2(copies[i], d->x.data(), l.n, d->y.data(), 0,
                                  copies[i].block_rows(), false);
    else
      bsr::spmm_int8(copies[i], d->x.data(), l.n, d->y.data(), isa);
    benchmark::DoNotOptimize(d->y.data());
    if (++i == copies.size()) i = 0;
  }
  set_counters(state, l, d->kept, q->bytes());
  const char* dot = isa == bsr::Isa::kAvx512                             ? " avx512-vnni"
                    : isa == bsr::Isa::kScalar                           ? ""
                    : !maddwd && sieve::cpu_features().avxvnni           ? " avx-vnni"
                                                                         : " vpmaddwd";
  state.SetLabel(std::string("int8 ") + bsr::isa_name(isa) + dot);
}

// The int8 route on x quantized once as a whole (spmm_int8_u8, int8.h): what the engine runs
// for a convolution, whose image is quantized once (a ninth of the im2col matrix for a 3×3
// layer) and lowered in bytes. The quantization of x is outside the timing.
void BM_BsrInt8U8(benchmark::State& state, Layer l, int bits, bsr::Isa isa) {
  const sieve::Status ok = bsr::int8_isa_check(isa, sieve::detected_cpu_features());
  if (!ok.ok()) {
    state.SkipWithError(ok.message().c_str());
    return;
  }
  std::shared_ptr<Data> d = make_data(l, bits);
  sieve::Result<bsr::BsrInt8Weights> q = bsr::pack_int8(d->w);
  if (!q.ok()) {
    state.SkipWithError(q.status().message().c_str());
    return;
  }
  std::vector<uint8_t> xq(d->x.size());
  const bsr::ActQuant a = bsr::quantize_activations(d->x.data(), static_cast<int64_t>(d->x.size()), 1, xq.data());
  for (auto _ : state) {
    bsr::spmm_int8_u8(*q, xq.data(), a, l.n, d->y.data(), isa, 0, q->block_rows());
    benchmark::DoNotOptimize(d->y.data());
  }
  set_counters(state, l, d->kept, q->bytes());
  state.SetLabel(std::string("int8 u8 ") + bsr::isa_name(isa));
}

// OpenBLAS on one thread: the previous thread count is put back afterwards.
struct OneBlasThread {
  int before = blas::num_threads();
  OneBlasThread() { blas::set_num_threads(1); }
  ~OneBlasThread() { blas::set_num_threads(before); }
};

void BM_OpenBlas(benchmark::State& state, Layer l, bool cold) {
  OneBlasThread one;
  std::shared_ptr<Data> d = make_data(l, 0);
  std::vector<std::vector<float>> copies(1, d->dense);
  const int64_t bytes = static_cast<int64_t>(d->dense.size() * sizeof(float));
  if (cold) copies.assign(static_cast<size_t>(kColdBytes / bytes + 1), d->dense);
  size_t i = 0;
  const int m = static_cast<int>(l.rows), k = static_cast<int>(l.cols), n = static_cast<int>(l.n);
  for (auto _ : state) {
    if (n == 1) {
      cblas_sgemv(CblasRowMajor, CblasNoTrans, m, k, 1.0f, copies[i].data(), k, d->x.data(), 1, 0.0f,
                  d->y.data(), 1);
    } else {
      cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, m, n, k, 1.0f, copies[i].data(), k,
                  d->x.data(), n, 0.0f, d->y.data(), n);
    }
    benchmark::DoNotOptimize(d->y.data());
    if (++i == copies.size()) i = 0;
  }
  set_counters(state, l, l.rows * l.cols, bytes);
  state.SetLabel(blas::corename());
}

#ifdef SIEVE_HAVE_EIGEN
using Csr = Eigen::SparseMatrix<float, Eigen::RowMajor, int>;

Csr to_csr(const Data& d, const Layer& l) {
  std::vector<Eigen::Triplet<float>> t;
  t.reserve(static_cast<size_t>(d.kept));
  for (int64_t r = 0; r < l.rows; ++r)
    for (int64_t c = 0; c < l.cols; ++c)
      if (d.mask[static_cast<size_t>(r * l.cols + c)])
        t.emplace_back(static_cast<int>(r), static_cast<int>(c), d.dense[static_cast<size_t>(r * l.cols + c)]);
  Csr a(static_cast<int>(l.rows), static_cast<int>(l.cols));
  a.setFromTriplets(t.begin(), t.end());
  a.makeCompressed();
  return a;
}

void BM_EigenCsr(benchmark::State& state, Layer l, bool cold) {
  std::shared_ptr<Data> d = make_data(l, 0);
  std::vector<Csr> copies(1, to_csr(*d, l));
  const int64_t bytes = copies[0].nonZeros() * 8 + (l.rows + 1) * 4;
  if (cold) copies.assign(static_cast<size_t>(kColdBytes / bytes + 1), copies[0]);
  size_t i = 0;
  if (l.n == 1) {
    Eigen::Map<const Eigen::VectorXf> x(d->x.data(), l.cols);
    Eigen::Map<Eigen::VectorXf> y(d->y.data(), l.rows);
    for (auto _ : state) {
      y.noalias() = copies[i] * x;
      benchmark::DoNotOptimize(d->y.data());
      if (++i == copies.size()) i = 0;
    }
  } else {
    using Mat = Eigen::Matrix<float, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;
    Eigen::Map<const Mat> x(d->x.data(), l.cols, l.n);
    Eigen::Map<Mat> y(d->y.data(), l.rows, l.n);
    for (auto _ : state) {
      y.noalias() = copies[i] * x;
      benchmark::DoNotOptimize(d->y.data());
      if (++i == copies.size()) i = 0;
    }
  }
  set_counters(state, l, d->kept, bytes);
  state.SetLabel("Eigen CSR, " + std::string(Eigen::SimdInstructionSetsInUse()));
}
#endif

void add_layer(const Layer& l, const std::vector<int>& bits_list, bool cold, bool scalar) {
  const std::string base = std::string("BM_Bsr/") + l.name + (cold ? "/cold" : "/warm");
  const benchmark::TimeUnit unit = l.n == 1 ? benchmark::kMicrosecond : benchmark::kMillisecond;
  for (int bits : bits_list) {
    for (bsr::Isa isa : {bsr::Isa::kAvx512, bsr::Isa::kAvx2, bsr::Isa::kScalar}) {
      if (isa == bsr::Isa::kScalar && !scalar) continue;
      const std::string name = base + "/bits" + std::to_string(bits) + "/" + bsr::isa_name(isa);
      benchmark::RegisterBenchmark(name.c_str(), BM_Bsr, l, bits, isa, cold)->Unit(unit)->UseRealTime();
      if (l.n == 1 && bits == 4) {
        benchmark::RegisterBenchmark((name + "/int8").c_str(), BM_BsrInt8, l, bits, isa, cold, false)
            ->Unit(unit)
            ->UseRealTime();
        if (isa == bsr::Isa::kAvx2)
          benchmark::RegisterBenchmark((name + "/int8-maddwd").c_str(), BM_BsrInt8, l, bits, isa,
                                       cold, true)
              ->Unit(unit)
              ->UseRealTime();
      }
    }
  }
  benchmark::RegisterBenchmark((base + "/openblas_dense").c_str(), BM_OpenBlas, l, cold)
      ->Unit(unit)
      ->UseRealTime();
#ifdef SIEVE_HAVE_EIGEN
  benchmark::RegisterBenchmark((base + "/eigen_csr").c_str(), BM_EigenCsr, l, cold)->Unit(unit)->UseRealTime();
#endif
}

const bool kRegistered = [] {
  benchmark::AddCustomContext("bsr_best_isa", bsr::isa_name(bsr::best_isa(sieve::cpu_features())));
  add_layer(kFc4096, {4, 0, 8}, false, true);
  add_layer(kFc4096, {4}, true, false);
  add_layer(kFc6, {0, 4}, false, true);
  add_layer(kConv32, {0, 4}, false, true);
  add_layer(kConv32Iid, {0}, false, false);
  add_layer(kConv32Map, {0}, false, false);
  for (const Layer& l : {kConv32, kConv32Iid, kConv32Map}) {
    for (bsr::Isa isa : {bsr::Isa::kAvx512, bsr::Isa::kAvx2}) {
      const std::string name = std::string("BM_Bsr/") + l.name + "/warm/bits4/" + bsr::isa_name(isa) + "/int8-u8";
      benchmark::RegisterBenchmark(name.c_str(), BM_BsrInt8U8, l, 4, isa)
          ->Unit(benchmark::kMillisecond)
          ->UseRealTime();
    }
  }
  // XNNPACK's sparse path side by side (baselines_bench.cc, BM_XnnpackSparse1x1): the same
  // 1×1 convolution 256 -> 256 on 56×56 (M = K = 256, n = 3136) in 16×1 blocks; a filter on
  // "c256_m256_56x56" runs both.
  static std::vector<std::string> names;  // Layer keeps a pointer: no reallocation
  names.reserve(6);
  for (int pct = 70; pct <= 95; pct += 5) {
    names.push_back("c256_m256_56x56/sparsity_pct:" + std::to_string(pct));
    const Layer l{names.back().c_str(), 256, 256, 16, 1, 3136, pct / 100.0};
    for (int bits : {0, 4}) {
      const std::string name = std::string("BM_Bsr/") + l.name + "/bits" + std::to_string(bits) + "/avx512";
      benchmark::RegisterBenchmark(name.c_str(), BM_Bsr, l, bits, bsr::Isa::kAvx512, false)
          ->Unit(benchmark::kMillisecond)
          ->UseRealTime();
    }
  }
  return true;
}();

}  // namespace
