#include "sieve/hw/archs/eie/perf.h"

#include <algorithm>

#include "sieve/hw/core/actions.h"

namespace sieve::hw::eie_arch {

double SpmvTiming::load_efficiency() const {
  return span > 0 ? static_cast<double>(pe_busy_cycles) /
                        (static_cast<double>(span) * static_cast<double>(n_pe))
                  : 1.0;
}

SpmvTiming& SpmvTiming::operator+=(const SpmvTiming& o) {
  cycles += o.cycles;
  broadcasts += o.broadcasts;
  stall_cycles += o.stall_cycles;
  pe_busy_cycles += o.pe_busy_cycles;
  entries += o.entries;
  paddings += o.paddings;
  spmat_reads += o.spmat_reads;
  span += o.span;
  n_pe = std::max(n_pe, o.n_pe);
  return *this;
}

EieLayer::EieLayer(const EieSpec& spec, const LayerWork& layer)
    : spec_(spec),
      layer_(layer),
      counts_(count_csc(layer.pruned ? &layer.weight_mask : nullptr, layer.rows, layer.cols,
                        spec.n_pe, spec.max_gap())) {
  // Lines of the 64-bit sparse-matrix SRAM each (PE, column) touches: its entries lie at
  // [offset, offset + n) of the PE's entry stream, columns stored one after another.
  const int64_t per_line = spec.entries_per_line();
  lines_.assign(counts_.entries.size(), 0);
  for (int64_t p = 0; p < counts_.n_pe; ++p) {
    int64_t offset = 0;
    for (int64_t c = 0; c < counts_.cols; ++c) {
      const size_t k = static_cast<size_t>(p * counts_.cols + c);
      const int64_t n = counts_.entries[k];
      if (n > 0)
        lines_[k] = static_cast<int32_t>((offset + n - 1) / per_line - offset / per_line + 1);
      offset += n;
    }
  }
}

SpmvTiming EieLayer::spmv(const std::vector<int64_t>& nz_cols) const {
  SpmvTiming t;
  t.n_pe = spec_.n_pe;
  const int64_t n_pe = spec_.n_pe, depth = spec_.queue_depth, cols = counts_.cols;
  const auto k_count = static_cast<int64_t>(nz_cols.size());
  t.broadcasts = k_count;
  if (k_count == 0) {
    t.cycles = spec_.lnzd_levels();
    return t;
  }
  // pops[k % depth][p]: when PE p popped activation k (a ring of the last `depth` pops).
  std::vector<int64_t> pops(static_cast<size_t>(depth * n_pe), 0);
  std::vector<int64_t> finish(static_cast<size_t>(n_pe), 0);
  int64_t b = spec_.lnzd_levels() - 1, first_pop = -1;
  for (int64_t k = 0; k < k_count; ++k) {
    const int64_t col = nz_cols[static_cast<size_t>(k)];
    int64_t bk = b + 1;
    int64_t* ring = &pops[static_cast<size_t>((k % depth) * n_pe)];
    if (k >= depth) {
      int64_t free_at = 0;
      for (int64_t p = 0; p < n_pe; ++p) free_at = std::max(free_at, ring[p]);
      if (free_at > bk) {
        t.stall_cycles += free_at - bk;
        bk = free_at;
      }
    }
    b = bk;
    for (int64_t p = 0; p < n_pe; ++p) {
      const size_t at = static_cast<size_t>(p * cols + col);
      const int64_t n = counts_.entries[at];
      const int64_t c = std::max<int64_t>({1, lines_[at], n});
      const int64_t s = std::max(b + 1, finish[static_cast<size_t>(p)]);
      ring[p] = s;  // overwrites activation k − depth's pop, read above
      finish[static_cast<size_t>(p)] = s + c;
      t.pe_busy_cycles += c;
      t.entries += n;
      t.paddings += counts_.padding[at];
      t.spmat_reads += lines_[at];
      if (first_pop < 0 || s < first_pop) first_pop = s;
    }
  }
  const int64_t last = *std::max_element(finish.begin(), finish.end());
  t.span = last - first_pop;
  t.cycles = last + spec_.pipeline_stages - 1;
  return t;
}

SpmvTiming EieLayer::run_all() const {
  SpmvTiming total;
  total.n_pe = spec_.n_pe;
  const int64_t cols = counts_.cols;
  const int64_t steps = layer_.kind == LayerKind::kLstm ? layer_.timesteps : 1;
  std::vector<int64_t> nz;
  const size_t samples = std::max<size_t>(1, layer_.input_nz.size());
  for (size_t s = 0; s < samples; ++s) {
    for (int64_t t = 0; t < steps; ++t) {
      nz.clear();
      if (layer_.input_nz.empty()) {
        for (int64_t c = 0; c < cols; ++c) nz.push_back(c);
      } else {
        const BitVec& in = layer_.input_nz[s];
        for (int64_t c = 0; c < cols; ++c)
          if (in.get(t * cols + c)) nz.push_back(c);
      }
      total += spmv(nz);
    }
  }
  return total;
}

LayerStats EieLayer::stats() const {
  const SpmvTiming t = run_all();
  LayerStats st;
  st.name = layer_.name;
  st.kind = layer_kind_name(layer_.kind);
  const auto samples = static_cast<int64_t>(std::max<size_t>(1, layer_.input_nz.size()));
  const int64_t steps = layer_.kind == LayerKind::kLstm ? layer_.timesteps : 1;
  st.cycles = t.cycles;
  st.time_ns = static_cast<double>(t.cycles) / spec_.freq_ghz;
  st.macs_dense = layer_.dense_macs() * samples;
  st.macs_performed = t.entries;
  st.macs_skipped = st.macs_dense - st.macs_performed;
  st.compute_cycles = t.cycles;
  st.tiles = samples * steps;
  st.utilization = t.cycles > 0 ? static_cast<double>(t.entries) /
                                      (static_cast<double>(spec_.n_pe) *
                                       static_cast<double>(t.cycles))
                                : 0.0;
  const int64_t n_pe = spec_.n_pe;
  auto lines_of = [n_pe](int64_t n) { return (n + n_pe - 1) / n_pe; };
  st.actions["act_queue_push"] = t.broadcasts * n_pe;
  st.actions["ptr_read"] = t.broadcasts * n_pe;
  st.actions["spmat_read"] = t.spmat_reads;
  st.actions["arith_mac"] = t.entries;
  st.actions["act_rw"] = t.entries;
  st.actions["filter_op"] = layer_.rows * samples * steps;
  st.actions["lnzd_stall_cycle"] = t.stall_cycles;
  st.actions[actions::kControlCycle] = t.cycles;
  st.actions[actions::kNbinFill] = lines_of(layer_.cols) * samples * steps;
  st.actions[actions::kNboutDrain] = lines_of(layer_.rows) * samples * steps;
  return st;
}

}  // namespace sieve::hw::eie_arch
