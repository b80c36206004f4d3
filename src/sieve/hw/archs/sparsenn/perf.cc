#include "sieve/hw/archs/sparsenn/perf.h"

#include <algorithm>
#include <deque>

namespace sieve::hw::sparsenn_arch {
namespace {

int64_t ceil_div(int64_t a, int64_t b) {
  return (a + b - 1) / b;
}

// Routers above the PEs: n_pe / fanout + n_pe / fanout^2 + ... + 1.
int64_t router_count(const SparseNNSpec& s) {
  int64_t total = 0;
  for (int64_t n = s.n_pe / s.fanout; n >= 1; n /= s.fanout) {
    total += n;
    if (n == 1) break;
  }
  return total;
}

}  // namespace

BroadcastRun broadcast(const SparseNNSpec& spec, const std::vector<std::vector<int64_t>>& sources,
                       const std::function<int64_t(int64_t pe, int64_t index)>& work) {
  BroadcastRun run;
  const int64_t P = spec.n_pe, F = spec.fanout, L = spec.levels();
  const size_t depth = static_cast<size_t>(spec.router_buffer_depth);
  int64_t total = 0;
  for (const auto& s : sources) total += static_cast<int64_t>(s.size());
  if (total == 0) return run;
  // ports[l][j * F + c]: router j of level l (1..L), input port c.
  std::vector<std::vector<std::deque<int64_t>>> ports(static_cast<size_t>(L + 1));
  int64_t routers = P;
  for (int64_t l = 1; l <= L; ++l) {
    routers /= F;
    ports[static_cast<size_t>(l)].resize(static_cast<size_t>(routers * F));
  }
  std::vector<size_t> next_src(static_cast<size_t>(P), 0);
  std::vector<int64_t> popped(static_cast<size_t>(P), 0), free_at(static_cast<size_t>(P), 0);
  // Picks the smallest head among the F ports of a router; -1 when all are empty.
  auto smallest = [&](std::vector<std::deque<int64_t>>& lvl, int64_t j) {
    int64_t best = -1;
    for (int64_t c = 0; c < F; ++c) {
      const auto& q = lvl[static_cast<size_t>(j * F + c)];
      if (!q.empty() && (best < 0 || q.front() < lvl[static_cast<size_t>(j * F + best)].front()))
        best = c;
    }
    return best;
  };
  int64_t done = 0;  // PE x activation pairs consumed
  const int64_t needed = total * P;
  for (int64_t t = 0;; ++t) {
    // PEs: an idle PE takes the next activation that has come down the tree.
    for (int64_t k = 0; k < P; ++k) {
      const size_t kk = static_cast<size_t>(k);
      if (free_at[kk] > t || popped[kk] >= static_cast<int64_t>(run.grants.size())) continue;
      const Grant& g = run.grants[static_cast<size_t>(popped[kk])];
      if (g.cycle + L > t) continue;
      const int64_t w = work(k, g.index);
      free_at[kk] = t + std::max<int64_t>(1, ceil_div(w, spec.macs_per_pe));
      ++popped[kk];
      ++done;
    }
    if (done == needed) {
      run.cycles = *std::max_element(free_at.begin(), free_at.end());
      return run;
    }
    // Root: grant the smallest head when every PE FIFO has room for it.
    if (static_cast<int64_t>(run.grants.size()) < total) {
      auto& top = ports[static_cast<size_t>(L)];
      const int64_t c = smallest(top, 0);
      if (c >= 0) {
        const int64_t oldest = *std::min_element(popped.begin(), popped.end());
        if (static_cast<int64_t>(run.grants.size()) - oldest < spec.pe_fifo_depth) {
          run.grants.push_back({t, top[static_cast<size_t>(c)].front()});
          top[static_cast<size_t>(c)].pop_front();
        } else {
          ++run.fifo_stalls;
        }
      }
      // Routers below the root, top down: one grant each into the parent's port if it has room.
      for (int64_t l = L - 1; l >= 1; --l) {
        auto& lvl = ports[static_cast<size_t>(l)];
        auto& up = ports[static_cast<size_t>(l + 1)];
        const int64_t n = static_cast<int64_t>(lvl.size()) / F;
        for (int64_t j = 0; j < n; ++j) {
          auto& dst = up[static_cast<size_t>(j)];  // parent j / F, port j % F
          if (dst.size() >= depth) continue;
          const int64_t cc = smallest(lvl, j);
          if (cc < 0) continue;
          dst.push_back(lvl[static_cast<size_t>(j * F + cc)].front());
          lvl[static_cast<size_t>(j * F + cc)].pop_front();
        }
      }
      // Every PE offers its next activation to its own input port of its leaf router.
      auto& leaf = ports[1];
      for (int64_t k = 0; k < P; ++k) {
        const size_t kk = static_cast<size_t>(k);
        if (leaf[kk].size() < depth && next_src[kk] < sources[kk].size())
          leaf[kk].push_back(sources[kk][next_src[kk]++]);
      }
    }
  }
}

bool predicted_layer(const LayerWork& layer) {
  if (layer.kind != LayerKind::kFullyConnected) return false;
  for (const BitVec& o : layer.output_nz)
    if (o.count() < o.size()) return true;
  return false;
}

SampleCost run_sample(const SparseNNSpec& spec, const LayerWork& layer, const BitVec& in_nz,
                      const BitVec* out_nz) {
  SampleCost c;
  const int64_t P = spec.n_pe, L = spec.levels(), R = router_count(spec);
  const int64_t m = layer.rows, n = layer.cols;
  std::vector<std::vector<int64_t>> sources(static_cast<size_t>(P));
  for (int64_t i = 0; i < n; ++i)
    if (in_nz.get(i)) sources[static_cast<size_t>(i % P)].push_back(i);
  for (const auto& s : sources) c.broadcasts += static_cast<int64_t>(s.size());
  std::vector<std::vector<int64_t>> rows(static_cast<size_t>(P));
  std::vector<int64_t> all_rows(static_cast<size_t>(P), 0);
  for (int64_t j = 0; j < m; ++j) {
    ++all_rows[static_cast<size_t>(j % P)];
    if (out_nz == nullptr || out_nz->get(j)) rows[static_cast<size_t>(j % P)].push_back(j);
  }
  for (const auto& r : rows) c.rows_computed += static_cast<int64_t>(r.size());
  const bool dense = !layer.pruned;
  auto work = [&](int64_t k, int64_t i) -> int64_t {
    const auto& rk = rows[static_cast<size_t>(k)];
    if (dense) return static_cast<int64_t>(rk.size());
    int64_t w = 0;
    for (int64_t j : rk) w += layer.weight_mask.get(j * n + i) ? 1 : 0;
    return w;
  };
  const BroadcastRun run = broadcast(spec, sources, work);
  c.w_cycles = run.cycles;
  c.fifo_stalls = run.fifo_stalls;
  for (const Grant& g : run.grants)
    for (int64_t k = 0; k < P; ++k) c.macs += work(k, g.index);
  auto& a = c.actions;
  a["fifo_access"] = 2 * P * c.broadcasts;
  a["router_hop"] = c.broadcasts * (L + R);
  if (out_nz != nullptr && spec.predictor_rank > 0) {
    const int64_t r = std::min({spec.predictor_rank, m, n});
    int64_t v_pe = 0, u_pe = 0;
    for (int64_t k = 0; k < P; ++k) {
      v_pe = std::max(v_pe, static_cast<int64_t>(sources[static_cast<size_t>(k)].size()) *
                                ceil_div(r, spec.macs_per_pe));
      u_pe = std::max(u_pe, ceil_div(all_rows[static_cast<size_t>(k)] * r, spec.macs_per_pe));
    }
    c.v_cycles = v_pe + r + L * spec.router_stages;
    c.u_cycles = r + L + u_pe;
    c.pred_macs = c.broadcasts * r + m * r;
    // V's partial sums: every router receives fanout vectors of r and adds them; U's r inputs
    // are broadcast down through every router into every PE's FIFO.
    a["router_hop"] += 2 * r * R;
    a["router_add"] = r * (spec.fanout - 1) * R;
    a["fifo_access"] += 2 * P * r;
  }
  c.cycles = c.v_cycles + c.u_cycles + c.w_cycles;
  a["mac"] = c.macs;
  a["w_read"] = c.macs;
  a["pred_mac"] = c.pred_macs;
  a["uv_read"] = c.pred_macs;
  a["out_write"] = c.rows_computed;
  a["pe_cycle"] = P * c.cycles;
  a["control_cycle"] = c.cycles;
  return c;
}

}  // namespace sieve::hw::sparsenn_arch
