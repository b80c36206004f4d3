#include "sieve/hw/workloads/ese.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <numeric>
#include <random>
#include <vector>

#include "sieve/compress/model.h"
#include "sieve/zoo/zoo.h"

namespace sieve::hw {
namespace {

// Sets exactly `keep` of the positions `pos` in `mask`, chosen uniformly (selection sampling).
void keep_uniform(BitVec& mask, const std::vector<int64_t>& pos, int64_t keep,
                  std::mt19937_64& rng) {
  auto left = static_cast<int64_t>(pos.size());
  for (int64_t p : pos) {
    if (keep == 0) break;
    if (static_cast<int64_t>(rng() % static_cast<uint64_t>(left)) < keep) {
      mask.set(p);
      --keep;
    }
    --left;
  }
}

// Draws columns [c0, c1) of a rows × cols mask.
void draw_range(BitVec& mask, int64_t rows, int64_t cols, int64_t c0, int64_t c1, double density,
                int64_t groups, std::mt19937_64& rng) {
  std::vector<int64_t> pos;
  const int64_t g_count = groups > 0 ? std::min(groups, rows) : 1;
  for (int64_t g = 0; g < g_count; ++g) {
    pos.clear();
    for (int64_t r = groups > 0 ? g : 0; r < rows; r += groups > 0 ? groups : 1)
      for (int64_t c = c0; c < c1; ++c) pos.push_back(r * cols + c);
    const auto keep = static_cast<int64_t>(std::llround(density * static_cast<double>(pos.size())));
    keep_uniform(mask, pos, keep, rng);
  }
}

}  // namespace

Result<int64_t> impose_fine_masks(Workload& w, double density, int64_t groups, uint64_t seed) {
  if (!(density > 0.0 && density <= 1.0))
    return invalid_argument("density = {} must be in (0, 1]", density);
  if (groups < 0) return invalid_argument("groups = {} must be >= 0 (0: unbalanced)", groups);
  std::mt19937_64 rng(seed);
  int64_t changed = 0;
  for (LayerWork& l : w.layers) {
    if ((l.kind != LayerKind::kFullyConnected && l.kind != LayerKind::kLstm) || l.rows <= 0 ||
        l.cols <= 0)
      continue;
    BitVec mask(l.rows * l.cols, false);
    if (l.kind == LayerKind::kLstm) {
      draw_range(mask, l.rows, l.cols, 0, l.in_c, density, groups, rng);
      draw_range(mask, l.rows, l.cols, l.in_c, l.cols, density, groups, rng);
    } else {
      draw_range(mask, l.rows, l.cols, 0, l.cols, density, groups, rng);
    }
    l.weight_mask = std::move(mask);
    l.pruned = density < 1.0;
    l.block.clear();
    l.structure = compress::PruneStructure{};
    l.structure.method = !l.pruned ? "none" : groups > 0 ? "balanced" : "magnitude";
    if (l.pruned && groups > 0) l.structure.groups = groups;
    ++changed;
  }
  w.notes["weights"] = fmt::format(
      "fine-grained masks drawn at random at density {} (seed {}), {}", density, seed,
      groups > 0 ? fmt::format("balanced over {} PEs per matrix", groups) : "unbalanced");
  return changed;
}

Status expand_lstm_steps(Workload& w, int64_t steps) {
  if (steps < 1) return invalid_argument("steps = {} must be >= 1", steps);
  const int64_t batch = std::max<int64_t>(1, w.batch);
  std::vector<LayerWork> out;
  for (LayerWork& l : w.layers) {
    const size_t at = l.name.rfind("/proj");
    if (l.kind == LayerKind::kFullyConnected && at != std::string::npos &&
        at + 5 == l.name.size()) {
      for (int64_t t = 0; t < steps; ++t) {
        LayerWork p = l;
        if (steps > 1) p.name = fmt::format("{}@{}", l.name, t);
        out.push_back(std::move(p));
      }
      continue;
    }
    if (l.kind == LayerKind::kLstm) {
      l.timesteps = steps;
      l.input_nz.assign(static_cast<size_t>(batch), BitVec(l.input_size(), true));
      l.output_nz.assign(static_cast<size_t>(batch), BitVec(l.output_size(), true));
      l.synthetic_activations = true;
    }
    out.push_back(std::move(l));
  }
  w.layers = std::move(out);
  return ok_status();
}

Result<Workload> ese_lstm_workload(double density, int64_t groups, int64_t steps, int64_t batch,
                                   uint64_t seed) {
  if (batch < 1 || batch > kMaxSyntheticBatch)
    return invalid_argument("batch = {} must be in [1, {}]", batch, kMaxSyntheticBatch);
  zoo::BuildOptions bo;
  bo.init_weights = false;
  compress::CompressedModel cm;
  SIEVE_ASSIGN_OR_RETURN(cm.graph, zoo::build("lstm", bo));
  WorkloadOptions o;
  o.seed = seed;
  o.synthetic_batch = batch;
  SIEVE_ASSIGN_OR_RETURN(Workload w, build_workload(cm, o));
  w.model = "lstm";
  w.batch = batch;
  SIEVE_RETURN_IF_ERROR(impose_fine_masks(w, density, groups, seed).status());
  SIEVE_RETURN_IF_ERROR(expand_lstm_steps(w, steps));
  w.notes["activations"] = "synthetic, dense";
  return w;
}

}  // namespace sieve::hw
