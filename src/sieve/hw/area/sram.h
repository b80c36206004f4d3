// An analytical SRAM model in the manner of CACTI (Wilton & Jouppi, "CACTI: an enhanced cache
// access and cycle time model", IEEE JSSC 1996; Thoziyoor et al., CACTI 5, HPL-2008-20): an
// array of one bank is cut into subarrays ("mats") of at most max_rows × max_cols cells, with a
// column multiplexer folding depth into width; each subarray pays a row decoder and wordline
// driver strip along its rows and a sense-amplifier / precharge / write-driver / column-mux
// strip under its columns, and the bank pays a routing overhead. The column mux is chosen for
// the smallest area. Energy per access sums the bitlines that swing (partial swing on a read),
// the wordline, the sense amplifiers and the H-tree wires carrying the word to the bank's edge.
//
// It is far simpler than CACTI (no delay optimisation, no repeaters, no leakage): it gives the
// way area and energy SCALE with capacity, width, banks and ports; the area model
// (hw/area/area.h) anchors that scaling to a published module and reports this model's absolute
// figure beside it as an independent estimate. Every constant is in configs/area/<tech>.yaml
// with its source (most are assumptions, marked so). Pure functions; thread-safe.
#pragma once

#include <cstdint>
#include <string>

#include "sieve/core/status.h"
#include "sieve/hw/core/params.h"

namespace sieve::hw::area {

struct SramTech {
  double cell_um2 = 0.52;          // single-port 6T cell
  double cell_aspect = 2.0;        // cell width (along the wordline) / height
  double dual_port_factor = 2.0;   // a dual-port cell's area over the 6T cell's
  int64_t max_rows = 256;          // cells along a bitline in one subarray
  int64_t max_cols = 512;          // cells along a wordline in one subarray
  double row_periphery_um = 12;    // decoder + wordline-driver strip width per subarray
  double col_periphery_um = 25;    // sense-amp / precharge / write-driver / mux strip height
  double routing_overhead = 0.15;  // bank-level wiring, as a fraction of the subarrays' area
  double vdd = 1.1;
  double read_swing_v = 0.2;       // bitline swing on a read
  double bitline_ff_per_cell = 0.25;
  double wordline_ff_per_cell = 0.25;
  double sense_fj = 20;            // one sense amplifier firing
  double wire_ff_per_um = 0.2;
  double wire_activity = 0.5;      // fraction of the word's wires that toggle
  // The valid range of the model (outside it a shape is refused with the range).
  int64_t min_bytes = 64, max_bytes = int64_t{16} << 20;
  int64_t min_width_bits = 8, max_width_bits = 8192;
};

// Reads configs/area/<tech>.yaml (the params format; unknown keys refused).
Result<SramTech> parse_sram_tech(const ParamSet& ps);

struct SramShape {
  int64_t capacity_bytes = 0;  // over all banks
  int64_t width_bits = 0;      // one access (a line)
  int64_t banks = 1;           // ping-pong buffers are 2 banks of half the capacity
  int64_t ports = 1;           // 1 or 2
};

struct SramEstimate {
  double area_mm2 = 0;
  double access_pj = 0;        // one access of width_bits (a read)
  int64_t mux = 1;             // column multiplexing chosen
  int64_t subarrays = 0;       // per bank
  int64_t rows = 0, cols = 0;  // one subarray's cells
};

// Refused, naming the field, the value and the valid range: a capacity or width outside the
// tech's range, a width larger than a bank, ports ∉ {1, 2}, banks < 1. A bank that is not a
// whole number of words keeps a partial last row. `what` names the module in messages.
Result<SramEstimate> estimate_sram(const SramTech& t, const SramShape& s, const std::string& what);

}  // namespace sieve::hw::area
