// ESE's figures (Han et al., FPGA 2017; seed 002, SPEC §10) from our ESE model (hw/archs/ese):
// its throughput on the compressed LSTM, the per-frame latency, the speed-ups over the paper's
// CPU and GPU, the two ablations the paper's method rests on (load-balance-aware pruning, the
// scheduler) and the thesis' LSTM benchmark on ESE and on Sieve side by side.
//
// The workload is the zoo's `lstm` (ESE's LSTMP: 153 → 1,024 cells → 512) with fine-grained
// masks drawn at ESE's density, 11.2 % = 282 GOPS / 2.52 TOPS (the seed's own two throughputs),
// balanced over a channel's 32 PEs (hw/workloads/ese.h), 32 streams (one per channel) of
// kSteps frames, every weight in block RAM (the paper's setting); the steady-state frame time
// is the run's time over kSteps.
#include <fmt/format.h>

#include <algorithm>
#include <cmath>

#include "sieve/hw/core/csc.h"
#include "sieve/hw/sim/reproduce.h"
#include "sieve/hw/sim/run.h"
#include "sieve/hw/workloads/ese.h"
#include "sieve/hw/workloads/thesis.h"

namespace sieve::hw {
namespace {

constexpr double kDensity = 282.0 / 2520.0;  // seed 002: 282 GOPS sparse = 2.52 TOPS dense
constexpr int64_t kPes = 32;                 // preset pes_per_channel
constexpr int64_t kChannels = 32;            // preset n_channels: one stream each
constexpr int64_t kSteps = 16;               // frames per stream: enough for the steady state
// As recalled from the paper (not reachable here; seed 002 gives only the ratios 43× and 3×):
// ESE's latency per frame and the CPU's (Core i7-5930K, sparse) and GPU's (Pascal Titan X,
// dense) times for the same LSTM; 3,569 / 82.7 = 43.2 and 240 / 82.7 = 2.9 match the seed's
// 43× and 3×.
constexpr double kEseLatencyUs = 82.7;
constexpr double kCpuUs = 3569.0;
constexpr double kGpuUs = 240.0;

std::vector<FigureDef> defs() {
  return {
      {"ese-gops-compressed",
       "ESE throughput on the compressed LSTM, GOP/s: 2 ops per non-zero weight's MAC, 32 "
       "streams (seed 002: 282 GOPS)",
       282.0},
      {"ese-gops-dense-equivalent",
       "the same time counted on the dense LSTM's operations, GOP/s (seed 002: 2.52 TOPS)",
       2520.0},
      {"ese-frame-latency-us",
       "time per frame of one stream in steady state, µs (the paper's latency, as recalled: "
       "82.7 µs)",
       kEseLatencyUs},
      {"ese-speedup-vs-cpu",
       "the paper's CPU time per frame (Core i7-5930K, sparse: 3,569 µs as recalled) over our "
       "frame time (seed 002: 43×)",
       43.0, kPublishedInput},
      {"ese-speedup-vs-gpu",
       "the paper's GPU time per frame (Pascal Titan X, dense: 240 µs as recalled) over our "
       "frame time (seed 002: 3×)",
       3.0, kPublishedInput},
      {"ese-compression",
       "compression of the LSTM's weights: dense 32-bit floats over the interleaved CSC (12-bit "
       "weights, 4-bit indexes, paddings and 16-bit column pointers) at ESE's density (seed "
       "002: 20× = 10× pruning × 2× quantization)",
       20.0, kFormulaCheck},
      {"ese-power-w", "ESE's power on the FPGA board, W (seed 002: 41 W)", 41.0, kNotAttempted,
       "the 41 W is the board's: the device's static power, DDR and host interface included; "
       "our energy table prices the model's actions with assumed FPGA energies "
       "(configs/energy/ese-xcku060.yaml) and has no static or board term to compare"},
      {"ese-imbalance-balanced",
       "load imbalance (busiest PE's non-zeros / the mean PE's) of W_r with load-balance-aware "
       "masks (no printed number)",
       nullptr},
      {"ese-imbalance-unbalanced",
       "the same with unbalanced masks at the same density, drawn uniformly (no printed number)",
       nullptr},
      {"ese-load-balance-speedup",
       "frame time with unbalanced masks / with balanced masks, same density (no printed number)",
       nullptr},
      {"ese-scheduler-speedup",
       "frame time with the scheduler off (--mode serial) / on (no printed number)", nullptr},
      {"ese-thesis-lstm-frame-us",
       "the thesis' LSTM benchmark (Table 3.3: 87.94 % sparsity in 16×16 blocks, 4-bit codes) "
       "on ESE, one stream, weights in block RAM, µs per frame (no printed number)",
       nullptr},
      {"ese-thesis-lstm-sieve-frame-us",
       "the same benchmark on the Sieve accelerator (its preset, weights from DRAM as the "
       "thesis runs it), µs per frame (no printed number)",
       nullptr},
      {"ese-thesis-lstm-sieve-over-ese",
       "Sieve's frame time / ESE's on the thesis' LSTM benchmark (no printed number)", nullptr},
  };
}

struct Run {
  double frame_us = 0;
  double gops = 0, dense_gops = 0;
  int64_t cycles = 0;
};

// Non-zero weights of every layer of `w` (paddings excluded).
int64_t nonzero_macs_per_sample(const Workload& w) {
  int64_t n = 0;
  for (const LayerWork& l : w.layers)
    n += (l.pruned ? l.weight_mask.count() : l.rows * l.cols) *
         (l.kind == LayerKind::kLstm ? l.timesteps : 1);
  return n;
}

Result<Run> run_ese(const Workload& w, const ReproduceOptions& opt, const std::string& mode,
                    int64_t steps) {
  ArchRun run{"ese", opt.overrides, {}};
  run.options.mode = mode;
  run.options.weights_on_chip = true;
  SIEVE_ASSIGN_OR_RETURN(const SimReport r, run_sim(w, run));
  const LayerStats t = r.result.total();
  Run out;
  out.cycles = t.cycles;
  out.frame_us = t.time_ns / 1e3 / static_cast<double>(steps);
  const double batch = static_cast<double>(w.batch);
  out.gops = 2.0 * static_cast<double>(nonzero_macs_per_sample(w)) * batch / t.time_ns;
  out.dense_gops = 2.0 * static_cast<double>(t.macs_dense) / t.time_ns;
  return out;
}

// The busiest PE's non-zeros over the mean PE's, rows dealt round-robin over `pes`, in the
// recurrent columns of the workload's LSTM layer.
double recurrent_imbalance(const Workload& w, int64_t pes) {
  for (const LayerWork& l : w.layers) {
    if (l.kind != LayerKind::kLstm) continue;
    std::vector<int64_t> per(static_cast<size_t>(pes), 0);
    int64_t total = 0;
    for (int64_t r = 0; r < l.rows; ++r) {
      const int64_t n = l.weight_mask.count(r * l.cols + l.in_c, (r + 1) * l.cols);
      per[static_cast<size_t>(r % pes)] += n;
      total += n;
    }
    const int64_t worst = *std::max_element(per.begin(), per.end());
    return total > 0 ? static_cast<double>(worst) * static_cast<double>(pes) /
                           static_cast<double>(total)
                     : 1.0;
  }
  return 1.0;
}

Status compute(const FigureWanted& want, const ReproduceOptions& opt, const FigureSetter& set) {
  if (!want("ese-")) return ok_status();
  SIEVE_ASSIGN_OR_RETURN(const Workload bal,
                         ese_lstm_workload(kDensity, kPes, kSteps, kChannels, opt.seed));
  SIEVE_ASSIGN_OR_RETURN(const Run on, run_ese(bal, opt, "scheduled", kSteps));
  const std::string setting = fmt::format(
      "zoo lstm, masks at density {:.4f} balanced over {} PEs (seed {}), {} streams × {} frames, "
      "weights in block RAM",
      kDensity, kPes, opt.seed, kChannels, kSteps);
  set("ese-gops-compressed", on.gops,
      fmt::format("2 × non-zero MACs × {} streams / {} cycles at 200 MHz; {}", kChannels,
                  on.cycles, setting));
  set("ese-gops-dense-equivalent", on.dense_gops,
      "2 × the dense LSTM's MACs (gates and projection) / the same time; " + setting);
  set("ese-frame-latency-us", on.frame_us, "the run's time / " + std::to_string(kSteps) +
                                               " frames; " + setting);
  set("ese-speedup-vs-cpu", kCpuUs / on.frame_us,
      fmt::format("{} µs (the paper's CPU, as recalled) / our {:.1f} µs", kCpuUs, on.frame_us));
  set("ese-speedup-vs-gpu", kGpuUs / on.frame_us,
      fmt::format("{} µs (the paper's GPU, as recalled) / our {:.1f} µs", kGpuUs, on.frame_us));

  if (want("ese-compression")) {
    // 32-bit dense weights over the CSC bits of the drawn masks (hw/core/csc.h layout).
    int64_t dense_bits = 0, csc_bits = 0;
    for (const LayerWork& l : bal.layers) {
      if (l.name.find("/proj@") != std::string::npos && !l.name.ends_with("@0")) continue;
      const CscCounts c = count_csc(&l.weight_mask, l.rows, l.cols, kPes, 15);
      dense_bits += l.rows * l.cols * 32;
      csc_bits += (c.nonzeros + c.paddings) * (12 + 4) + l.cols * kPes * 16;
    }
    set("ese-compression", static_cast<double>(dense_bits) / static_cast<double>(csc_bits),
        "Σ rows × cols × 32 / Σ ((non-zeros + paddings) × 16 + cols × 32 PEs × 16) over W, R and "
        "W_proj of the drawn balanced masks");
  }

  if (want("ese-imbalance") || want("ese-load-balance")) {
    SIEVE_ASSIGN_OR_RETURN(const Workload unb,
                           ese_lstm_workload(kDensity, 0, kSteps, kChannels, opt.seed));
    set("ese-imbalance-balanced", recurrent_imbalance(bal, kPes),
        "max over the 32 PEs of W_r's non-zeros / the mean, balanced masks");
    set("ese-imbalance-unbalanced", recurrent_imbalance(unb, kPes),
        "the same, masks drawn uniformly over each whole matrix");
    if (want("ese-load-balance")) {
      SIEVE_ASSIGN_OR_RETURN(const Run u, run_ese(unb, opt, "scheduled", kSteps));
      set("ese-load-balance-speedup", u.frame_us / on.frame_us,
          fmt::format("{:.2f} µs unbalanced / {:.2f} µs balanced per frame", u.frame_us,
                      on.frame_us));
    }
  }
  if (want("ese-scheduler")) {
    SIEVE_ASSIGN_OR_RETURN(const Run serial, run_ese(bal, opt, "serial", kSteps));
    set("ese-scheduler-speedup", serial.frame_us / on.frame_us,
        fmt::format("{:.2f} µs serial / {:.2f} µs scheduled per frame", serial.frame_us,
                    on.frame_us));
  }
  if (want("ese-thesis-lstm")) {
    SIEVE_ASSIGN_OR_RETURN(const Workload tw, thesis_workload("lstm", opt.seed, 1));
    SIEVE_ASSIGN_OR_RETURN(const Run e, run_ese(tw, opt, "scheduled", 1));
    SIEVE_ASSIGN_OR_RETURN(const SimReport s, run_sim(tw, ArchRun{"sieve", opt.overrides, {}}));
    const double sieve_us = s.total_time_ns() / 1e3;
    set("ese-thesis-lstm-frame-us", e.frame_us,
        "thesis:lstm (one frame, batch 1) on our ESE model, weights in block RAM");
    set("ese-thesis-lstm-sieve-frame-us", sieve_us,
        "thesis:lstm (one frame, batch 1) on our Sieve model, its default preset and mode");
    set("ese-thesis-lstm-sieve-over-ese", sieve_us / e.frame_us,
        fmt::format("{:.2f} µs / {:.2f} µs", sieve_us, e.frame_us));
  }
  return ok_status();
}

}  // namespace

namespace figures {

FigureGroup ese() {
  return {"ESE (Han et al., FPGA 2017)", defs(), compute,
          {"archs/ese-xcku060", "archs/sieve-65nm"}};
}

}  // namespace figures
}  // namespace sieve::hw
