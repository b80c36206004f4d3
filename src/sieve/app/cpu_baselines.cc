// The three CPU configurations of cpu_baselines.h, timed on the same random operands.
#include "sieve/app/cpu_baselines.h"

#include <fmt/format.h>

#include <Eigen/SparseCore>
#include <algorithm>
#include <chrono>
#include <functional>
#include <random>
#include <vector>

#include "sieve/runtime/kernels/blas/blas.h"

namespace sieve::app {
namespace {

namespace bsr = runtime::kernels::bsr;
namespace blas = runtime::blas;
using compiler::LayerKind;
using compiler::LayerWork;

// Seconds per call: one warm-up call, then calls until `min_seconds` have passed.
double seconds_per_call(const std::function<void()>& f, double min_seconds) {
  using clock = std::chrono::steady_clock;
  f();
  int64_t calls = 0;
  const auto start = clock::now();
  double elapsed = 0;
  do {
    f();
    ++calls;
    elapsed = std::chrono::duration<double>(clock::now() - start).count();
  } while (elapsed < min_seconds);
  return elapsed / static_cast<double>(calls);
}

const char* kind_name(LayerKind k) {
  switch (k) {
    case LayerKind::kConv: return "conv";
    case LayerKind::kFullyConnected: return "fc";
    case LayerKind::kLstm: return "lstm";
    default: return "other";
  }
}

// The blocks kernel's block in the 2-D view: the pruning block's first dimension by the rest
// when it is a 2-D (FC / LSTM) block, by 1 for a conv block (C·kh·kw columns are not a block
// of the weight's dimensions); 16×1 (the recipes' default) when the layer records none.
void block_of(const LayerWork& l, int64_t rows, int64_t* br, int64_t* bc) {
  *br = 16;
  *bc = 1;
  if (!l.block.empty()) {
    *br = l.block[0];
    *bc = l.block.size() == 2 ? l.block[1] : 1;
  }
  *br = std::clamp<int64_t>(*br, 1, std::max<int64_t>(1, rows));
  *bc = std::clamp<int64_t>(*bc, 1, std::max<int64_t>(1, l.cols));
}

struct GroupOperands {
  int64_t rows = 0;
  std::vector<float> dense;     // rows × cols, pruned positions 0
  std::vector<uint8_t> mask;    // rows × cols
  std::vector<uint16_t> code;   // rows × cols (bits > 0)
  std::vector<int32_t> book_of; // rows × cols, all 0: one codebook
};

Result<CpuLayerTime> time_layer(const LayerWork& l, const CpuBaselineOptions& o, uint64_t seed) {
  CpuLayerTime r;
  r.layer = l.name;
  r.kind = kind_name(l.kind);
  r.rows = l.rows;
  r.cols = l.cols;
  const int64_t groups = l.kind == LayerKind::kConv ? std::max<int64_t>(1, l.group) : 1;
  r.n = l.kind == LayerKind::kConv ? l.out_h * l.out_w : 1;
  r.repeats = l.kind == LayerKind::kLstm ? std::max<int64_t>(1, l.timesteps) : 1;
  r.density = static_cast<double>(l.weight_mask.count()) /
              static_cast<double>(std::max<int64_t>(1, l.rows * l.cols));
  r.bits = l.weight_bits <= 4 ? 4 : l.weight_bits <= 8 ? 8 : 0;
  const int64_t rows_g = l.rows / groups, k = l.cols, n = r.n;
  block_of(l, rows_g, &r.block_rows, &r.block_cols);

  std::mt19937 rng(static_cast<uint32_t>(seed));
  std::uniform_real_distribution<float> u(-1.0f, 1.0f);
  std::vector<float> x(static_cast<size_t>(k * n));
  for (float& v : x) v = u(rng);
  std::vector<float> y(static_cast<size_t>(rows_g * n));
  std::vector<std::vector<float>> codebooks(1);
  for (int64_t i = 0; i < (int64_t{1} << std::max<int64_t>(r.bits, 1)); ++i)
    codebooks[0].push_back(u(rng));

  for (int64_t g = 0; g < groups; ++g) {
    GroupOperands op;
    op.rows = rows_g;
    const auto cells = static_cast<size_t>(rows_g * k);
    op.dense.assign(cells, 0.0f);
    op.mask.assign(cells, 0);
    op.code.assign(cells, 0);
    op.book_of.assign(cells, 0);
    for (int64_t i = 0; i < rows_g; ++i)
      for (int64_t c = 0; c < k; ++c) {
        if (!l.weight_mask.get((g * rows_g + i) * k + c)) continue;
        const auto at = static_cast<size_t>(i * k + c);
        op.mask[at] = 1;
        op.code[at] = static_cast<uint16_t>(rng() % codebooks[0].size());
        op.dense[at] = r.bits > 0 ? codebooks[0][op.code[at]] : u(rng);
      }

    // Dense: OpenBLAS SGEMM (y[rows, n] = W[rows, k] · x[k, n]).
    r.t.dense_s += seconds_per_call(
        [&] {
          blas::sgemm(blas::Trans::kNo, blas::Trans::kNo, static_cast<int>(rows_g),
                      static_cast<int>(n), static_cast<int>(k), 1.0f, op.dense.data(),
                      static_cast<int>(k), x.data(), static_cast<int>(n), 0.0f, y.data(),
                      static_cast<int>(n));
        },
        o.min_seconds);

    // CSR: Eigen.
    {
      std::vector<Eigen::Triplet<float>> trip;
      for (int64_t i = 0; i < rows_g; ++i)
        for (int64_t c = 0; c < k; ++c)
          if (op.mask[static_cast<size_t>(i * k + c)] != 0)
            trip.emplace_back(static_cast<int>(i), static_cast<int>(c),
                              op.dense[static_cast<size_t>(i * k + c)]);
      Eigen::SparseMatrix<float, Eigen::RowMajor> s(rows_g, k);
      s.setFromTriplets(trip.begin(), trip.end());
      s.makeCompressed();
      using RowMat = Eigen::Matrix<float, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;
      Eigen::Map<const RowMat> xm(x.data(), k, n);
      Eigen::Map<RowMat> ym(y.data(), rows_g, n);
      r.t.csr_s += seconds_per_call([&] { ym.noalias() = s * xm; }, o.min_seconds);
    }

    // Blocks: Sieve's kernel.
    bsr::PackInput in;
    in.rows = rows_g;
    in.cols = k;
    in.dense = op.dense.data();
    in.mask = op.mask.data();
    in.br = r.block_rows;
    in.bc = r.block_cols;
    in.bits = static_cast<int>(r.bits);
    if (r.bits > 0) {
      in.code = op.code.data();
      in.codebook_of = op.book_of.data();
      in.codebooks = &codebooks;
    }
    Result<bsr::BsrWeights> w = bsr::pack_bsr(in);
    if (!w.ok()) return w.status().with_context("layer " + l.name);
    r.t.blocks_s += seconds_per_call([&] { bsr::spmm(*w, x.data(), n, y.data(), o.isa); },
                                     o.min_seconds);
  }
  const auto rep = static_cast<double>(r.repeats);
  r.t.dense_s *= rep;
  r.t.csr_s *= rep;
  r.t.blocks_s *= rep;
  return r;
}

}  // namespace

Result<CpuModelTime> time_cpu_baselines(const compiler::Workload& w,
                                        const CpuBaselineOptions& options) {
  const int saved_threads = blas::num_threads();
  blas::set_num_threads(1);
  CpuModelTime m;
  m.model = w.model;
  uint64_t seed = options.seed;
  Status st = ok_status();
  for (const LayerWork& l : w.layers) {
    if (l.kind != LayerKind::kConv && l.kind != LayerKind::kFullyConnected &&
        l.kind != LayerKind::kLstm)
      continue;
    Result<CpuLayerTime> t = time_layer(l, options, seed++);
    if (!t.ok()) {
      st = t.status();
      break;
    }
    m.total.dense_s += t->t.dense_s;
    m.total.csr_s += t->t.csr_s;
    m.total.blocks_s += t->t.blocks_s;
    m.layers.push_back(std::move(*t));
  }
  blas::set_num_threads(saved_threads);
  if (!st.ok()) return st;
  return m;
}

std::string cpu_baselines_text(const CpuModelTime& m, const std::string& cpu,
                               const std::string& isa) {
  std::string s = fmt::format(
      "{} on the CPU ({}; one thread, batch 1; blocks kernel: {}), matrix products only, ms\n",
      m.model, cpu, isa);
  s += fmt::format("{:<20} {:>5} {:>18} {:>8} {:>7} {:>10} {:>10} {:>10}\n", "layer", "kind",
                   "rows x cols x n", "density", "block", "dense", "CSR", "blocks");
  for (const CpuLayerTime& l : m.layers) {
    s += fmt::format("{:<20} {:>5} {:>18} {:>8.4f} {:>7} {:>10.3f} {:>10.3f} {:>10.3f}\n", l.layer,
                     l.kind, fmt::format("{}x{}x{}", l.rows, l.cols, l.n * l.repeats), l.density,
                     fmt::format("{}x{}/{}", l.block_rows, l.block_cols, l.bits), l.t.dense_s * 1e3,
                     l.t.csr_s * 1e3, l.t.blocks_s * 1e3);
  }
  s += fmt::format("{:<20} {:>5} {:>18} {:>8} {:>7} {:>10.3f} {:>10.3f} {:>10.3f}\n", "total", "",
                   "", "", "", m.total.dense_s * 1e3, m.total.csr_s * 1e3, m.total.blocks_s * 1e3);
  return s;
}

}  // namespace sieve::app
