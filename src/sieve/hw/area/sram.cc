#include "sieve/hw/area/sram.h"

#include <algorithm>
#include <cmath>
#include <limits>

namespace sieve::hw::area {

Result<SramTech> parse_sram_tech(const ParamSet& ps) {
  SramTech t;
  ParamReader r(ps);
  SIEVE_RETURN_IF_ERROR(r.get("cell_um2", t.cell_um2, 1e-3, 100.0));
  SIEVE_RETURN_IF_ERROR(r.get("cell_aspect", t.cell_aspect, 0.1, 10.0));
  SIEVE_RETURN_IF_ERROR(r.get("dual_port_factor", t.dual_port_factor, 1.0, 4.0));
  SIEVE_RETURN_IF_ERROR(r.get("max_rows", t.max_rows, 8, 4096));
  SIEVE_RETURN_IF_ERROR(r.get("max_cols", t.max_cols, 8, 4096));
  SIEVE_RETURN_IF_ERROR(r.get("row_periphery_um", t.row_periphery_um, 0.0, 1000.0));
  SIEVE_RETURN_IF_ERROR(r.get("col_periphery_um", t.col_periphery_um, 0.0, 1000.0));
  SIEVE_RETURN_IF_ERROR(r.get("routing_overhead", t.routing_overhead, 0.0, 10.0));
  SIEVE_RETURN_IF_ERROR(r.get("vdd", t.vdd, 0.1, 5.0));
  SIEVE_RETURN_IF_ERROR(r.get("read_swing_v", t.read_swing_v, 0.01, 5.0));
  SIEVE_RETURN_IF_ERROR(r.get("bitline_ff_per_cell", t.bitline_ff_per_cell, 0.0, 100.0));
  SIEVE_RETURN_IF_ERROR(r.get("wordline_ff_per_cell", t.wordline_ff_per_cell, 0.0, 100.0));
  SIEVE_RETURN_IF_ERROR(r.get("sense_fj", t.sense_fj, 0.0, 1e6));
  SIEVE_RETURN_IF_ERROR(r.get("wire_ff_per_um", t.wire_ff_per_um, 0.0, 100.0));
  SIEVE_RETURN_IF_ERROR(r.get("wire_activity", t.wire_activity, 0.0, 1.0));
  SIEVE_RETURN_IF_ERROR(r.get("min_bytes", t.min_bytes, 1, int64_t{1} << 40));
  SIEVE_RETURN_IF_ERROR(r.get("max_bytes", t.max_bytes, 1, int64_t{1} << 40));
  SIEVE_RETURN_IF_ERROR(r.get("min_width_bits", t.min_width_bits, 1, 1 << 20));
  SIEVE_RETURN_IF_ERROR(r.get("max_width_bits", t.max_width_bits, 1, 1 << 20));
  SIEVE_RETURN_IF_ERROR(r.finish());
  return t;
}

Result<SramEstimate> estimate_sram(const SramTech& t, const SramShape& s, const std::string& what) {
  if (s.capacity_bytes < t.min_bytes || s.capacity_bytes > t.max_bytes)
    return invalid_argument(
        "{}: capacity = {} bytes is outside the SRAM model's valid range [{}, {}] bytes", what,
        s.capacity_bytes, t.min_bytes, t.max_bytes);
  if (s.width_bits < t.min_width_bits || s.width_bits > t.max_width_bits)
    return invalid_argument(
        "{}: width = {} bits is outside the SRAM model's valid range [{}, {}] bits", what,
        s.width_bits, t.min_width_bits, t.max_width_bits);
  if (s.banks < 1) return invalid_argument("{}: banks = {} must be >= 1", what, s.banks);
  if (s.ports != 1 && s.ports != 2)
    return invalid_argument("{}: ports = {} must be 1 or 2", what, s.ports);
  const int64_t bank_bits = s.capacity_bytes * 8 / s.banks;
  if (bank_bits < s.width_bits)
    return invalid_argument(
        "{}: a bank of {} bits (capacity {} bytes over {} banks) is narrower than one {}-bit "
        "access",
        what, bank_bits, s.capacity_bytes, s.banks, s.width_bits);
  // A capacity that is not whole words keeps a partial last row (rounded up).
  const int64_t words = (bank_bits + s.width_bits - 1) / s.width_bits;
  const double cell = t.cell_um2 * (s.ports == 2 ? t.dual_port_factor : 1.0);
  const double cell_w = std::sqrt(cell * t.cell_aspect), cell_h = cell / cell_w;

  SramEstimate best;
  double best_area = std::numeric_limits<double>::infinity();
  for (int64_t mux = 1; mux <= 64 && mux <= words; mux *= 2) {
    const int64_t phys_rows = (words + mux - 1) / mux;
    const int64_t phys_cols = s.width_bits * mux;
    const int64_t n_r = (phys_rows + t.max_rows - 1) / t.max_rows;
    const int64_t n_c = (phys_cols + t.max_cols - 1) / t.max_cols;
    const int64_t rows = (phys_rows + n_r - 1) / n_r, cols = (phys_cols + n_c - 1) / n_c;
    const double sub_um2 = (static_cast<double>(rows) * cell_h + t.col_periphery_um) *
                           (static_cast<double>(cols) * cell_w + t.row_periphery_um);
    const double bank_um2 = static_cast<double>(n_r * n_c) * sub_um2 * (1.0 + t.routing_overhead);
    if (bank_um2 < best_area) {
      best_area = bank_um2;
      best.mux = mux;
      best.subarrays = n_r * n_c;
      best.rows = rows;
      best.cols = cols;
    }
  }
  best.area_mm2 = best_area * static_cast<double>(s.banks) * 1e-6;
  // One access: the mux·width bitlines of one row of subarrays swing, their wordlines fire, the
  // width's sense amplifiers fire, and the word crosses the bank (half its perimeter) on wires.
  const double active_cols = static_cast<double>(s.width_bits * best.mux);
  const double v = t.vdd;
  const double bitline_fj = active_cols * static_cast<double>(best.rows) * t.bitline_ff_per_cell *
                            v * t.read_swing_v;
  const double wordline_fj = active_cols * t.wordline_ff_per_cell * v * v;
  const double sense = static_cast<double>(s.width_bits) * t.sense_fj;
  const double wire_fj = static_cast<double>(s.width_bits) * std::sqrt(best_area) *
                         t.wire_ff_per_um * v * v * t.wire_activity;
  best.access_pj = (bitline_fj + wordline_fj + sense + wire_fj) * 1e-3;
  return best;
}

}  // namespace sieve::hw::area
