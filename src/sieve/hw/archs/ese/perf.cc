#include "sieve/hw/archs/ese/perf.h"

#include <algorithm>
#include <string>

#include "sieve/hw/core/actions.h"

namespace sieve::hw::ese_arch {
namespace {

int64_t ceil_div(int64_t a, int64_t b) {
  return (a + b - 1) / b;
}

// build_workload names an LSTM's projection "<node>/proj" (one step) or "<node>/proj@t"
// (compiler/workload.cc): its input m_t comes from the gate layer on chip, and only step 0
// loads W_proj.
bool is_projection(const LayerWork& l) {
  return l.kind == LayerKind::kFullyConnected && l.name.find("/proj") != std::string::npos;
}
bool is_later_projection_step(const LayerWork& l) {
  const size_t at = l.name.rfind("/proj@");
  return is_projection(l) && at != std::string::npos && l.name.substr(at + 6) != "0";
}

}  // namespace

double SpmvCost::imbalance() const {
  if (entries == 0 || n_pe == 0) return 1.0;
  return static_cast<double>(worst_pe) * static_cast<double>(n_pe) /
         static_cast<double>(entries);
}

SpmvCost spmv_cost(const EseSpec& spec, const CscCounts& c, int64_t c0, int64_t c1) {
  SpmvCost s;
  s.n_pe = c.n_pe;
  s.columns = std::max<int64_t>(0, c1 - c0);
  if (s.columns == 0) return s;
  int64_t busiest = 0;
  for (int64_t p = 0; p < c.n_pe; ++p) {
    int64_t busy = 0, entries = 0;
    for (int64_t col = c0; col < c1; ++col) {
      const size_t at = static_cast<size_t>(p * c.cols + col);
      const int64_t e = c.entries[at];
      busy += std::max<int64_t>(1, ceil_div(e, spec.macs_per_pe));
      entries += e;
      s.paddings += c.padding[at];
    }
    busiest = std::max(busiest, busy);
    s.worst_pe = std::max(s.worst_pe, entries);
    s.entries += entries;
  }
  s.cycles = busiest + spec.pe_pipeline_stages;
  return s;
}

int64_t elemwise_cycles(const EseSpec& spec, int64_t hidden) {
  return ceil_div(hidden, spec.elemwise_lanes) + spec.elemwise_latency;
}

int64_t lstm_cycles(int64_t sx, int64_t sr, int64_t e, int64_t steps, bool scheduled) {
  if (steps <= 0) return 0;
  if (!scheduled) return steps * (sx + sr + e);
  return sx + steps * sr + (steps - 1) * std::max(e, sx) + e;
}

LayerStats run_layer(const EseSpec& spec, const LayerWork& l, int64_t batch, bool scheduled,
                     bool load_weights) {
  const int64_t pes = spec.pes_per_channel;
  const CscCounts c =
      count_csc(l.pruned ? &l.weight_mask : nullptr, l.rows, l.cols, pes, spec.max_gap());
  const bool lstm = l.kind == LayerKind::kLstm;
  const int64_t steps = lstm ? std::max<int64_t>(1, l.timesteps) : 1;
  const int64_t rounds = ceil_div(std::max<int64_t>(1, batch), spec.n_channels);

  int64_t per_round = 0, entries_per_step = 0;
  if (lstm) {
    const SpmvCost sx = spmv_cost(spec, c, 0, l.in_c);
    const SpmvCost sr = spmv_cost(spec, c, l.in_c, l.cols);
    per_round = lstm_cycles(sx.cycles, sr.cycles, elemwise_cycles(spec, l.out_c), steps,
                            scheduled);
    entries_per_step = sx.entries + sr.entries;
  } else {
    const SpmvCost s = spmv_cost(spec, c, 0, l.cols);
    per_round = s.cycles;
    entries_per_step = s.entries;
  }
  const int64_t compute = per_round * rounds;

  // Off chip: the compressed weights once (not for a projection's later steps), then the
  // inputs and outputs of every sample.
  const int64_t entries = c.nonzeros + c.paddings;
  const int64_t value_bits = entries * spec.weight_bits;
  const int64_t index_bits = entries * spec.index_bits + l.cols * pes * spec.pointer_bits;
  const bool load = load_weights && !is_later_projection_step(l);
  const int64_t weight_bytes = load ? ceil_div(value_bits + index_bits, 8) : 0;
  const int64_t w_load = load_cycles(weight_bytes, spec.memory);
  const int64_t nb = spec.neuron_bits / 8;
  const bool has_projection = lstm && l.recurrent > 0 && l.recurrent != l.out_c;
  const int64_t in_words = (lstm ? l.in_c * steps : (is_projection(l) ? 0 : l.cols)) * batch;
  const int64_t out_words = (lstm ? (has_projection ? 0 : l.out_c * steps) : l.rows) * batch;
  const int64_t in_load = load_cycles(in_words * nb, spec.memory);
  const int64_t out_store = store_cycles(out_words * nb, spec.memory);
  const int64_t io = in_load + out_store;

  LayerStats st;
  st.name = l.name;
  st.kind = layer_kind_name(l.kind);
  st.compute_cycles = compute;
  st.load_cycles = w_load + in_load;
  st.store_cycles = out_store;
  st.cycles = w_load + (scheduled ? std::max(compute, io) : compute + io);
  st.stall_cycles = st.cycles - compute;
  st.time_ns = static_cast<double>(st.cycles) / spec.freq_ghz;
  st.tiles = rounds * steps;
  st.macs_dense = l.dense_macs() * batch;
  st.macs_performed = entries_per_step * steps * batch;
  st.macs_skipped = st.macs_dense - st.macs_performed;
  if (load) {
    st.offchip.weights = ceil_div(value_bits, 8);
    st.offchip.weight_index = weight_bytes - st.offchip.weights;
  }
  st.offchip.neurons = (in_words + out_words) * nb;

  st.actions["mac"] = st.macs_performed;
  st.actions["act_rw"] = st.macs_performed;
  st.actions[actions::kSbRead] = entries_per_step * steps * rounds;
  st.actions["ptr_read"] = l.cols * pes * steps * rounds;
  st.actions["act_queue_push"] = l.cols * pes * steps * batch;
  st.actions["elemwise_cell"] = lstm ? l.out_c * steps * batch : 0;
  st.actions["pe_cycle"] = st.cycles * spec.n_channels * pes;
  st.actions[actions::kControlCycle] = st.cycles;
  st.actions[actions::kNbinFill] = in_words;
  st.actions[actions::kNboutDrain] = out_words;
  st.actions[actions::kSbFill] = ceil_div(weight_bytes, 8);
  st.utilization = st.cycles > 0 ? static_cast<double>(st.macs_performed) /
                                       static_cast<double>(spec.multipliers() * st.cycles)
                                 : 0.0;
  return st;
}

}  // namespace sieve::hw::ese_arch
