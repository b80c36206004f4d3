#include "sieve/hw/archs/sparse_tc/perf.h"

#include <fmt/format.h>

#include <algorithm>

#include "sieve/hw/core/actions.h"

namespace sieve::hw::sparse_tc_arch {
namespace {

int64_t ceil_div(int64_t a, int64_t b) {
  return (a + b - 1) / b;
}
int64_t round_up(int64_t a, int64_t b) {
  return ceil_div(a, b) * b;
}
bool weight_layer(const LayerWork& l) {
  return (l.kind == LayerKind::kFullyConnected || l.kind == LayerKind::kConv ||
          l.kind == LayerKind::kLstm) &&
         l.rows > 0 && l.cols > 0;
}

}  // namespace

std::string nm_note(const LayerWork& l, const SparseTcSpec& spec) {
  if (!weight_layer(l)) return "";
  if (!l.pruned) return "dense: the weights are not pruned";
  const int64_t inner = cols_per_channel(l);
  const int64_t chans = l.cols / inner;
  const int64_t gm = spec.sparse_m, gn = spec.sparse_n;
  if (chans % gm != 0)
    return fmt::format("dense: {} input channels are not a multiple of m = {}", chans, gm);
  if (l.weight_mask.size() != l.rows * l.cols) return "dense: no weight mask";
  for (int64_t r = 0; r < l.rows; ++r) {
    for (int64_t k = 0; k < inner; ++k) {
      for (int64_t c0 = 0; c0 < chans; c0 += gm) {
        int64_t kept = 0;
        for (int64_t c = c0; c < c0 + gm; ++c)
          kept += l.weight_mask.get(r * l.cols + c * inner + k);
        if (kept > gn)
          return fmt::format(
              "dense: {} of the {} weights from channel {} (row {}, position {}) are kept, the "
              "sparse path allows {}:{}",
              kept, gm, c0, r, k, gn, gm);
      }
    }
  }
  return "";
}

GemmTiming gemm_timing(int64_t m, int64_t k, int64_t n, bool sparse, const SparseTcSpec& s) {
  GemmTiming t;
  if (m <= 0 || k <= 0 || n <= 0) return t;
  const int64_t em = round_up(std::min(m, s.cta_m), s.mma_m);
  const int64_t en = round_up(std::min(n, s.cta_n), s.mma_n);
  t.tiles = ceil_div(m, s.cta_m) * ceil_div(n, s.cta_n);
  t.waves = ceil_div(t.tiles, s.n_sm);
  t.k_steps = ceil_div(k, s.cta_k);
  const int64_t active = std::min(t.tiles, s.n_sm);
  const int64_t ob = s.operand_bytes();
  // The K slots one step multiplies per row: all cta_k, or n of every m on the sparse path.
  const int64_t slots = sparse ? ceil_div(s.cta_k, s.sparse_m) * s.sparse_n : s.cta_k;
  t.math = ceil_div(em * en * slots, s.macs_per_sm());
  t.a_bytes = em * slots * ob;
  t.meta_bytes = sparse ? ceil_div(em * slots * s.metadata_bits, 8) : 0;
  t.b_bytes = en * s.cta_k * ob;
  t.smem = ceil_div((t.a_bytes + t.meta_bytes) * s.warps_n + t.b_bytes * s.warps_m,
                    s.smem_bytes_per_clk);
  t.l2 = ceil_div((t.a_bytes + t.meta_bytes + t.b_bytes) * active, s.l2_bytes_per_clk);
  t.step = std::max({t.math, t.smem, t.l2});
  t.epilogue = ceil_div(em * en * s.accum_bits / 8, s.smem_bytes_per_clk);
  t.cta_cycles = s.cta_prologue_cycles + t.k_steps * t.step + t.epilogue;
  // The sub-operations of a layer are one kernel: CTAs stream over the SMs across
  // sub-operation boundaries, so a sub-GEMM costs its share of the SMs' time, and at least one
  // CTA's latency when it has fewer CTAs than SMs.
  t.cycles = std::max(t.cta_cycles, ceil_div(t.tiles * t.cta_cycles, s.n_sm));
  return t;
}

SparseTcLayer::SparseTcLayer(const SparseTcSpec& spec, const LayerWork& layer, bool sparse)
    : spec_(spec), layer_(layer) {
  if (!sparse || !weight_layer(layer)) return;
  note_ = nm_note(layer, spec);
  sparse_ = note_.empty();
}

double SparseTcLayer::weight_density() const {
  const double bits = static_cast<double>(spec_.operand_bits);
  if (!sparse_) return bits / 16.0;
  const double frac = static_cast<double>(spec_.sparse_n) / static_cast<double>(spec_.sparse_m);
  return frac * (bits + static_cast<double>(spec_.metadata_bits)) / 16.0;
}

WeightBytes SparseTcLayer::weight_bytes(const TileRange& r) const {
  WeightBytes b;
  const int64_t cpc = cols_per_channel(layer_);
  if (!sparse_) {
    b.values = r.rows() * r.channels() * cpc * spec_.operand_bytes();
    return b;
  }
  const int64_t slots = r.rows() * ceil_div(r.channels(), spec_.sparse_m) * spec_.sparse_n * cpc;
  b.values = slots * spec_.operand_bytes();
  b.index = ceil_div(slots * spec_.metadata_bits, 8);
  return b;
}

TileCompute SparseTcLayer::compute(const TileRange& r) const {
  TileCompute c;
  const int64_t lanes = spec_.n_sm * spec_.cuda_cores_per_sm;
  switch (layer_.kind) {
    case LayerKind::kFullyConnected:
    case LayerKind::kConv:
    case LayerKind::kLstm: {
      const int64_t m = r.rows(), k = r.channels() * cols_per_channel(layer_), n = r.positions();
      const GemmTiming t = gemm_timing(m, k, n, sparse_, spec_);
      c.cycles = t.cycles;
      const int64_t slots = sparse_ ? ceil_div(r.channels(), spec_.sparse_m) * spec_.sparse_n *
                                          cols_per_channel(layer_)
                                    : k;
      c.macs = m * n * slots;
      c.actions["tc_mac"] = c.macs;
      c.actions["mux_select"] = sparse_ ? c.macs : 0;
      const int64_t steps = t.tiles * t.k_steps;
      c.actions["metadata_read"] = steps * t.meta_bytes * spec_.warps_n;
      c.actions["smem_read"] = steps * (t.a_bytes * spec_.warps_n + t.b_bytes * spec_.warps_m) +
                               t.tiles * (t.epilogue * spec_.smem_bytes_per_clk);
      c.actions["l2_read"] = steps * (t.a_bytes + t.meta_bytes + t.b_bytes);
      break;
    }
    case LayerKind::kPool: {
      const int64_t ops = r.rows() * r.positions() * layer_.kh * layer_.kw;
      c.cycles = ceil_div(ops, lanes);
      c.actions["cuda_core_op"] = ops;
      break;
    }
    case LayerKind::kOther:
      c.cycles = ceil_div(r.rows(), lanes);
      c.actions["cuda_core_op"] = r.rows();
      break;
  }
  return c;
}

compiler::PlanRequest plan_request(const SparseTcSpec& spec) {
  return value_buffer_request(spec.nbin_bytes, spec.nbout_bytes, spec.sb_bytes, spec.ping_pong,
                              spec.operand_bits);
}

DriverOptions driver_options(const SparseTcSpec& spec, bool weights_on_chip) {
  DriverOptions o;
  o.neuron_bytes = spec.operand_bytes();
  o.nbin_line_bytes = spec.line_bytes;
  o.nbout_line_bytes = spec.line_bytes;
  o.sb_line_bytes = spec.line_bytes;
  o.pipeline_fill = spec.kernel_overhead_cycles;
  o.memory = spec.memory;
  o.weights_on_chip = weights_on_chip;
  return o;
}

}  // namespace sieve::hw::sparse_tc_arch
