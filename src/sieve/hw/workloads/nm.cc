#include "sieve/hw/workloads/nm.h"

#include <fmt/format.h>

#include <algorithm>
#include <numeric>
#include <random>
#include <vector>

#include "sieve/compress/model.h"
#include "sieve/zoo/zoo.h"

namespace sieve::hw {
namespace {

// Weight columns per input channel: kh·kw for conv (cols [c, ky, kx]), else 1.
int64_t cols_per_channel(const LayerWork& l) {
  return l.kind == LayerKind::kConv ? l.kh * l.kw : 1;
}

Status check_nm(int64_t n, int64_t m) {
  if (m < 1 || n < 0) return invalid_argument("n:m = {}:{} needs m >= 1 and n >= 0", n, m);
  if (n > m) return invalid_argument("n:m = {}:{}: n must not exceed m", n, m);
  return ok_status();
}

// Draws the n:m mask of one layer (rows × cols, channel groups along the channel dimension).
void draw(LayerWork& l, int64_t n, int64_t m, std::mt19937_64& rng) {
  const int64_t inner = cols_per_channel(l);
  const int64_t chans = l.cols / inner;
  BitVec mask(l.rows * l.cols, false);
  std::vector<int64_t> pos(static_cast<size_t>(m));
  for (int64_t r = 0; r < l.rows; ++r)
    for (int64_t k = 0; k < inner; ++k)
      for (int64_t c0 = 0; c0 < chans; c0 += m) {
        std::iota(pos.begin(), pos.end(), int64_t{0});
        std::shuffle(pos.begin(), pos.end(), rng);
        for (int64_t j = 0; j < n; ++j)
          mask.set(r * l.cols + (c0 + pos[static_cast<size_t>(j)]) * inner + k);
      }
  l.weight_mask = std::move(mask);
  l.pruned = n < m;
  l.structure = compress::PruneStructure{};
  l.structure.method = n < m ? "nm" : "none";
  if (n < m) {
    l.structure.n = n;
    l.structure.m = m;
  }
}

bool weight_layer(const LayerWork& l) {
  return (l.kind == LayerKind::kFullyConnected || l.kind == LayerKind::kConv ||
          l.kind == LayerKind::kLstm) &&
         l.rows > 0 && l.cols > 0;
}

}  // namespace

Result<int64_t> impose_nm(Workload& w, int64_t n, int64_t m, uint64_t seed) {
  SIEVE_RETURN_IF_ERROR(check_nm(n, m));
  std::mt19937_64 rng(seed);
  int64_t changed = 0;
  for (LayerWork& l : w.layers) {
    if (!weight_layer(l) || (l.cols / cols_per_channel(l)) % m != 0) continue;
    draw(l, n, m, rng);
    ++changed;
  }
  w.notes["weights"] = fmt::format(
      "{}:{} masks drawn at random (seed {}) on the {} weight layers whose input channels are a "
      "multiple of {}; the others dense",
      n, m, seed, changed, m);
  return changed;
}

Result<Workload> nm_zoo_workload(const std::string& name, int64_t n, int64_t m, uint64_t seed) {
  SIEVE_RETURN_IF_ERROR(check_nm(n, m));
  zoo::BuildOptions bo;
  bo.init_weights = false;
  compress::CompressedModel cm;
  SIEVE_ASSIGN_OR_RETURN(cm.graph, zoo::build(name, bo));
  WorkloadOptions o;
  o.seed = seed;
  SIEVE_ASSIGN_OR_RETURN(Workload w, build_workload(cm, o));
  w.model = name;
  SIEVE_RETURN_IF_ERROR(impose_nm(w, n, m, seed).status());
  w.notes["activations"] = "synthetic, dense";
  return w;
}

Result<Workload> gemm_workload(int64_t m_rows, int64_t n_cols, int64_t k_depth, int64_t n,
                               int64_t m, uint64_t seed) {
  SIEVE_RETURN_IF_ERROR(check_nm(n, m));
  if (m_rows < 1 || n_cols < 1 || k_depth < 1)
    return invalid_argument("GEMM {}x{}x{}: every dimension must be >= 1", m_rows, n_cols, k_depth);
  if (k_depth % m != 0)
    return invalid_argument("GEMM {}x{}x{}: K = {} is not a multiple of m = {}", m_rows, n_cols,
                            k_depth, k_depth, m);
  LayerWork l;
  l.name = fmt::format("gemm{}x{}x{}", m_rows, n_cols, k_depth);
  l.kind = LayerKind::kConv;
  l.in_c = k_depth;
  l.in_h = 1;
  l.in_w = n_cols;
  l.out_c = m_rows;
  l.out_h = 1;
  l.out_w = n_cols;
  l.rows = m_rows;
  l.cols = k_depth;
  l.weight_bits = 8;
  l.input_nz.emplace_back(l.input_size(), true);
  l.output_nz.emplace_back(l.output_size(), true);
  l.synthetic_activations = true;
  Workload w;
  w.model = l.name;
  w.batch = 1;
  w.layers.push_back(std::move(l));
  std::mt19937_64 rng(seed);
  draw(w.layers[0], n, m, rng);
  w.notes["weights"] = fmt::format("{}:{} mask drawn at random (seed {})", n, m, seed);
  w.notes["activations"] = "synthetic, dense";
  return w;
}

}  // namespace sieve::hw
