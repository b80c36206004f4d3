// The thesis' own figures (SPEC §7; thesis §4.3.3, §5.3): the seven benchmarks on Sieve,
// DianNao and Cambricon-X, Table 5.2, Fig 5.9, the tiling example and the CPU baselines.
#include "sieve/hw/sim/reproduce.h"

#include <fmt/format.h>

#include <cmath>
#include <functional>
#include <future>
#include <map>
#include <mutex>
#include <random>
#include <set>

#include "sieve/app/cpu_baselines.h"
#include "sieve/compiler/tiling.h"
#include "sieve/core/cpu.h"
#include "sieve/hw/area/area.h"
#include "sieve/hw/core/arch.h"
#include "sieve/hw/energy/energy.h"
#include "sieve/hw/sim/run.h"
#include "sieve/hw/workloads/thesis.h"

namespace sieve::hw {
namespace {

// SPEC §7 / thesis §5.3, §4.3.3.
// Why the figures not attempted yet are not.

std::vector<FigureDef> defs() {
  return {
      {"speedup-vs-diannao", "Sieve vs DianNao, speedup over the 7 benchmarks (thesis §5.3.2)",
       13.10},
      {"speedup-vs-cambricon-x", "Sieve vs Cambricon-X, speedup over the 7 benchmarks (§5.3.2)",
       1.71},
      {"conv-speedup-vs-cambricon-x", "Sieve vs Cambricon-X on conv layers (§5.3.2, Fig 5.4)",
       1.66},
      {"fc-speedup-vs-cambricon-x", "Sieve vs Cambricon-X on FC layers (§5.3.2, Fig 5.5)", 2.15},
      {"sparse-vs-dense", "Sieve sparse vs its own dense mode ACC-dense (§5.3.2)", 4.32},
      {"decomposition-weight-sparsity",
       "share of sparse-vs-dense from NSM / weight sparsity (§5.3.2)", 2.06},
      {"decomposition-neuron-sparsity", "share from SSM / neuron sparsity (§5.3.2)", 1.44},
      {"decomposition-weight-traffic", "share from fewer off-chip weight bytes (§5.3.2)", 1.46},
      {"energy-vs-diannao", "energy, DianNao / Sieve, over the 7 benchmarks (§5.3.3)", 11.72},
      {"energy-vs-cambricon-x", "energy, Cambricon-X / Sieve (§5.3.3)", 1.75},
      {"offchip-energy-share",
       "off-chip share of Sieve's energy, mean over benchmarks (§5.3.3: > 90 %)", 0.90},
      {"offchip-energy-share-lstm", "off-chip share of Sieve's energy on LSTM (§5.3.3: 98 %)",
       0.98},
      {"offchip-energy-share-mlp", "off-chip share of Sieve's energy on MLP (§5.3.3: 98 %)", 0.98},
      {"table5.2-alexnet-fc6", "AlexNet fc6, all weights on chip, µs (Table 5.2)", 18.43},
      {"table5.2-alexnet-fc7", "AlexNet fc7, all weights on chip, µs (Table 5.2)", 8.19},
      {"table5.2-alexnet-fc8", "AlexNet fc8, all weights on chip, µs (Table 5.2)", 5.13},
      {"table5.2-vgg16-fc6", "VGG16 fc6, all weights on chip, µs (Table 5.2)", 25.23},
      {"table5.2-vgg16-fc7", "VGG16 fc7, all weights on chip, µs (Table 5.2)", 4.12},
      {"table5.2-vgg16-fc8", "VGG16 fc8, all weights on chip, µs (Table 5.2)", 5.09},
      {"fig5.9-conv-weight-sparsity", "best conv speedup from weight sparsity, ideal 16× (Fig 5.9)",
       15.5},
      {"fig5.9-fc-weight-sparsity-99", "FC speedup at 99 % weight sparsity (Fig 5.9)", 59.59},
      {"fig5.9-conv-neuron-sparsity", "best conv speedup from neuron sparsity, ideal 4× (Fig 5.9)",
       3.9},
      {"fig5.9-fc-neuron-sparsity", "best FC speedup from neuron sparsity (Fig 5.9: about none)",
       1.0},
      {"tiling-mem-i", "VGG16 conv4_2 off-chip traffic with input-reuse, MiB (§4.3.3)", 68.59, kFormulaCheck},
      {"tiling-mem-o", "VGG16 conv4_2 off-chip traffic with output-reuse, MiB (§4.3.3)", 47.85, kFormulaCheck},
      {"tiling-mem-s", "VGG16 conv4_2 off-chip traffic with synapse-reuse, MiB (§4.3.3)", 30.03, kFormulaCheck},
      {"tiling-choice", "reuse chosen for VGG16 conv4_2 (§4.3.3)", "synapse-reuse", kFormulaCheck},
      {"tiling-search", "best searched tiling of conv4_2 against the thesis' tiling, MiB: an improvement when lower (§4.3.3)",
       30.03, kImprovement},
      {"ablation-local-quant-speed",
       "local quantization on FC layers: time without (mode no-quant) / with, geometric mean over "
       "the benchmarks with FC layers (§5.3.2: 1.77×)",
       1.77},
      {"ablation-local-quant-energy",
       "local quantization: energy without (mode no-quant) / with, geometric mean over the "
       "benchmarks (§5.3.3: 1.24×)",
       1.24},
      {"ablation-sparsity-offchip-energy-cut",
       "sparsity cuts off-chip energy by: 1 − off-chip energy sparse / dense mode, geometric mean "
       "of the ratio over the benchmarks (§5.3.3: 72.6 %)",
       0.726},
      {"ablation-onchip-buffer-share",
       "on-chip buffers' (NBin, NIBin, NBout, SB, SIB) share of Sieve's on-chip energy, "
       "arithmetic mean over the benchmarks (§5.3.3: about 70 %)",
       0.70},
      {"ablation-sb-energy-vs-cambricon-x",
       "SB energy (reads and fills) of Cambricon-X / of Sieve, geometric mean over the benchmarks "
       "(§5.3.3: 2.48×)",
       2.48},
      {"ablation-shared-index",
       "the shared synapse index on FC layers: time with one bit string per output row (mode "
       "no-shared-index, a per-PE selector) / shared by the pruning block's rows, geometric mean "
       "over the benchmarks with FC layers (§5.3.2: 1.21×)",
       1.21},
      {"ablation-encoder-energy",
       "the neuron Encoder: energy without (mode no-encoder: neurons dense off chip) / with, "
       "geometric mean over the benchmarks (§5.3.3: 1.28×)",
       1.28},
      {"ablation-encoder-energy-conv",
       "the neuron Encoder on conv layers: their energy without / with, geometric mean (§5.3.3: "
       "1.68×)",
       1.68},
      {"ablation-encoder-energy-fc",
       "the neuron Encoder on FC layers: their energy without / with, geometric mean (§5.3.3: "
       "1.02×)",
       1.02},
      {"entropy-decoder-area",
       "the Huffman decoder bank's added area, mm²: huffman_decoders × huffman_decoder_area_mm2 "
       "of the Sieve preset (§5.3.4: 1,024 decoders, 6.94 mm²; the per-decoder area is the "
       "thesis' own quotient)",
       6.94, kFormulaCheck},
      {"entropy-decoder-power",
       "the Huffman decoder bank's added power, mW: huffman_decoders × the energy table's "
       "huffman_decode pJ × f (§5.3.4: 971.37 mW; the per-decode energy is the thesis' own "
       "quotient)",
       971.37, kFormulaCheck},
      {"entropy-decoder-fc-speedup",
       "entropy decoders: FC time sparse / huffman (weights Huffman-coded off chip at our "
       "measured code gain, decoded on chip), geometric mean over the benchmarks with FC layers "
       "(§5.3.4: 1.18×)",
       1.18},
      {"entropy-decoder-conv-speedup",
       "entropy decoders: conv time sparse / huffman, geometric mean (§5.3.4: about 1.0×)", 1.0},
      // §5.3.5: reduced irregularity lets one shared NSM and one SIB serve the T_n PEs, and the
      // synapse index be shared by a block's rows; the irregular design is mode
      // no-shared-index (a bit string per output row) with T_n NSMs.
      {"irregularity-area-saving",
       "reduced irregularity: area saved by one shared NSM instead of T_n, mm²: (T_n − 1) × the "
       "area model's NSM (§5.3.5: 10.35)",
       10.35, kFormulaCheck},
      {"irregularity-power-saving",
       "reduced irregularity: power saved by one shared NSM instead of T_n, mW: (T_n − 1) × the "
       "area model's NSM (§5.3.5: 1821.9)",
       1821.9, kFormulaCheck},
      {"irregularity-index-size",
       "reduced irregularity: off-chip weight index, mode no-shared-index / sparse, geometric "
       "mean over the benchmarks (§5.3.5: 26.83× smaller)",
       26.83},
      {"irregularity-speedup",
       "reduced irregularity: whole-network time, mode no-shared-index / sparse, geometric mean "
       "(§5.3.5: 1.06×)",
       1.06},
      {"irregularity-energy",
       "reduced irregularity: energy incl. DRAM, mode no-shared-index / sparse, geometric mean "
       "(§5.3.5: 1.11×)",
       1.11},
      {"cpu-dense-vs-sieve",
       "Sieve (sparse) vs the dense CPU (OpenBLAS; thesis: CPU-Caffe on a Xeon E5-2620 v2), "
       "speedup over the 7 benchmarks, timed on this CPU (§5.3.2)",
       44.8, kMeasured},
      {"cpu-sparse-vs-sieve",
       "Sieve (sparse) vs fine-grained CSR on the CPU (Eigen; thesis: CPU-Sparse), timed on this "
       "CPU (§5.3.2)",
       331.1, kMeasured},
      {"cpu-blocks-vs-sieve",
       "Sieve (sparse) vs Sieve's CPU runtime on the same blocks and codes, timed on this CPU "
       "(not in the thesis)",
       nullptr, kMeasured},
      {"cpu-runtime-vs-dense",
       "Sieve's CPU runtime vs the dense CPU: how much of the accelerator's lead over the dense "
       "CPU a block-sparse runtime recovers (not in the thesis)",
       nullptr, kMeasured},
  };
}

double geomean(const std::vector<double>& v) {
  if (v.empty()) return 0;
  double s = 0;
  for (double x : v) s += std::log(x);
  return std::exp(s / static_cast<double>(v.size()));
}

// Simulations shared by several figures, computed once (in parallel) and cached by key.
class SimCache {
 public:
  explicit SimCache(int threads) : threads_(threads < 1 ? 1 : threads) {}

  void want(const std::string& key, std::function<Result<SimReport>()> fn) {
    if (jobs_.count(key) == 0) jobs_[key] = std::move(fn);
  }
  Status run() {
    std::vector<std::string> keys;
    for (const auto& [k, f] : jobs_)
      if (done_.count(k) == 0) keys.push_back(k);
    std::mutex mu;
    size_t next = 0;
    Status first_error;
    auto worker = [&] {
      for (;;) {
        std::string key;
        {
          std::lock_guard<std::mutex> lock(mu);
          if (next >= keys.size() || !first_error.ok()) return;
          key = keys[next++];
        }
        Result<SimReport> r = jobs_.at(key)();
        std::lock_guard<std::mutex> lock(mu);
        if (!r.ok()) {
          if (first_error.ok()) first_error = r.status().with_context(key);
        } else {
          done_.emplace(key, std::move(*r));
        }
      }
    };
    std::vector<std::future<void>> fs;
    for (int t = 0; t < threads_; ++t) fs.push_back(std::async(std::launch::async, worker));
    for (auto& f : fs) f.get();
    return first_error;
  }
  const SimReport& get(const std::string& key) const { return done_.at(key); }

 private:
  int threads_;
  std::map<std::string, std::function<Result<SimReport>()>> jobs_;
  std::map<std::string, SimReport> done_;
};

// Energy (pJ, DRAM included) of the layers of `kind` ("" = all).
double energy_of(const SimReport& r, const std::string& kind) {
  double e = 0;
  for (size_t i = 0; i < r.result.layers.size() && i < r.layer_energy.size(); ++i)
    if (r.result.layers[i].kind == kind) e += r.layer_energy[i].total_pj();
  return e;
}

double time_of(const SimReport& r, const std::string& kind = "") {
  double t = 0;
  for (const LayerStats& l : r.result.layers)
    if (kind.empty() || l.kind == kind) t += l.time_ns;
  return t;
}

// ---- Fig 5.9: one conv layer (AlexNet conv3's shape) and one FC layer (AlexNet fc7's), with
// coarse-grained block masks (Table 3.5's blocks: conv 16 output channels × 1, FC 32×32).

struct SweepLayer {
  bool conv;
  double weight_sparsity;
  double neuron_density;
};

LayerWork sweep_layer(const SweepLayer& s, uint64_t seed) {
  LayerWork l;
  std::mt19937_64 rng(seed);
  int64_t block_r, block_c;
  if (s.conv) {
    l.name = "alexnet-conv3-shape";
    l.kind = LayerKind::kConv;
    l.in_c = 256, l.in_h = 13, l.in_w = 13, l.out_c = 384, l.out_h = 13, l.out_w = 13;
    l.kh = l.kw = 3;
    l.pad_top = l.pad_left = l.pad_bottom = l.pad_right = 1;
    l.rows = 384, l.cols = 256 * 9;
    // Table 3.5's conv blocks (B_fin, B_fout, B_x, B_y) = (1, 16, 1, 1): 16 output channels
    // × one column of the 2-D view.
    block_r = 16, block_c = 1;
    l.block = {16, 1, 1, 1};
  } else {
    l.name = "alexnet-fc7-shape";
    l.kind = LayerKind::kFullyConnected;
    l.in_c = 4096, l.out_c = 4096;
    l.rows = 4096, l.cols = 4096;
    block_r = 32, block_c = 32;  // Table 3.5: fc7 blocks (32, 32)
    l.block = {32, 32};
  }
  l.weight_bits = 16;
  l.pruned = s.weight_sparsity > 0;
  l.weight_mask = BitVec(l.rows * l.cols, true);
  if (l.pruned) {
    const int64_t br = (l.rows + block_r - 1) / block_r, bc = (l.cols + block_c - 1) / block_c;
    std::vector<int64_t> order(static_cast<size_t>(br * bc));
    for (size_t i = 0; i < order.size(); ++i) order[i] = static_cast<int64_t>(i);
    std::shuffle(order.begin(), order.end(), rng);
    const int64_t drop =
        static_cast<int64_t>(std::llround(s.weight_sparsity * static_cast<double>(order.size())));
    for (int64_t i = 0; i < drop; ++i) {
      const int64_t b = order[static_cast<size_t>(i)], r0 = (b / bc) * block_r,
                    c0 = (b % bc) * block_c;
      for (int64_t r = r0; r < std::min(r0 + block_r, l.rows); ++r)
        for (int64_t c = c0; c < std::min(c0 + block_c, l.cols); ++c)
          l.weight_mask.set(r * l.cols + c, false);
    }
  }
  std::bernoulli_distribution keep(s.neuron_density);
  BitVec in(l.input_size()), out(l.output_size());
  for (int64_t i = 0; i < in.size(); ++i) in.set(i, keep(rng));
  for (int64_t i = 0; i < out.size(); ++i) out.set(i, keep(rng));
  l.input_nz = {in};
  l.output_nz = {out};
  l.synthetic_activations = true;
  return l;
}

Result<double> sweep_time(const SweepLayer& s, const std::string& mode, uint64_t seed,
                          const std::vector<std::string>& overrides) {
  Workload w;
  w.model = "fig5.9";
  w.batch = 1;
  w.layers.push_back(sweep_layer(s, seed));
  ArchRun run{"sieve", overrides, {}};
  run.options.mode = mode;
  SIEVE_ASSIGN_OR_RETURN(SimReport r, run_sim(w, run));
  return time_of(r);
}


Status compute(const FigureWanted& want, const ReproduceOptions& opt, const FigureSetter& set) {
  // ---- The Huffman decoder bank's area and power from the preset and its energy table
  // (formula checks: the per-decoder constants are the thesis' own quotients).
  if (want("entropy-decoder-area") || want("entropy-decoder-power")) {
    SIEVE_ASSIGN_OR_RETURN(ParamSet preset, read_preset("sieve"));
    SIEVE_RETURN_IF_ERROR(apply_overrides(preset, opt.overrides));
    SIEVE_ASSIGN_OR_RETURN(ParamSet table, energy_table_for(preset));
    auto value = [](const ParamSet& ps, const char* key) -> Result<double> {
      const Param* p = ps.find(key);
      if (p == nullptr) return not_found("{}: no {}", ps.file, key);
      return p->value;
    };
    SIEVE_ASSIGN_OR_RETURN(double n, value(preset, "huffman_decoders"));
    SIEVE_ASSIGN_OR_RETURN(double a, value(preset, "huffman_decoder_area_mm2"));
    SIEVE_ASSIGN_OR_RETURN(double f, value(preset, "freq_ghz"));
    SIEVE_ASSIGN_OR_RETURN(double pj, value(table, "huffman_decode"));
    set("entropy-decoder-area", n * a,
        fmt::format("{} decoders × {} mm² ({})", n, a, preset.file));
    set("entropy-decoder-power", n * pj * f,
        fmt::format("{} decoders × {} pJ × {} GHz ({})", n, pj, f, table.file));
  }
  // ---- One shared NSM instead of T_n (§5.3.5), priced by the area model (formula checks: the
  // NSM's area and power are Table 5.1's).
  if (want("irregularity-area") || want("irregularity-power")) {
    SIEVE_ASSIGN_OR_RETURN(ParamSet preset, read_preset("sieve"));
    SIEVE_RETURN_IF_ERROR(apply_overrides(preset, opt.overrides));
    SIEVE_ASSIGN_OR_RETURN(area::AreaReport ar, area::area_report(preset));
    const Param* tn = preset.find("tn");
    const area::ModuleArea* nsm = nullptr;
    for (const area::ModuleArea& m : ar.modules)
      if (m.name == "NSM") nsm = &m;
    if (tn == nullptr || nsm == nullptr)
      return not_found("{}: no tn or no NSM module in {}", preset.file, ar.file);
    set("irregularity-area-saving", (tn->value - 1) * nsm->area_mm2,
        fmt::format("({} − 1) × NSM {} mm² ({})", tn->value, nsm->area_mm2, ar.file));
    set("irregularity-power-saving", (tn->value - 1) * nsm->power_mw,
        fmt::format("({} − 1) × NSM {} mW ({})", tn->value, nsm->power_mw, ar.file));
  }
  // ---- The seven benchmarks on the three architectures.
  const bool need_bench = want("speedup") || want("conv-speedup") || want("fc-speedup") ||
                          want("sparse-vs-dense") || want("decomposition") || want("energy") ||
                          want("offchip") || want("cpu") || want("ablation") ||
                          want("entropy-decoder-fc") || want("entropy-decoder-conv") ||
                          want("irregularity-index") || want("irregularity-speedup") ||
                          want("irregularity-energy");
  std::vector<std::string> benches = opt.benchmarks;
  if (benches.empty()) benches = thesis_benchmarks();
  SimCache cache(opt.threads);
  std::map<std::string, Workload> wl;
  if (need_bench) {
    for (const std::string& b : benches) {
      SIEVE_ASSIGN_OR_RETURN(wl[b], thesis_workload(b, opt.seed, 1));
    }
    for (const std::string& b : benches) {
      const Workload* w = &wl.at(b);
      auto job = [w, &opt](std::string arch, std::string mode, bool dwt) {
        return [w, arch, mode, dwt, ov = opt.overrides]() -> Result<SimReport> {
          ArchRun run{arch, ov, {}};
          run.options.mode = mode;
          run.options.dense_weight_traffic = dwt;
          return run_sim(*w, run);
        };
      };
      cache.want(b + "/sieve", job("sieve", "sparse", false));
      cache.want(b + "/diannao", job("diannao", "", false));
      cache.want(b + "/cambricon-x", job("cambricon-x", "", false));
      if (want("sparse-vs-dense") || want("decomposition") || want("ablation-sparsity"))
        cache.want(b + "/sieve-dense", job("sieve", "dense", false));
      if (want("ablation-local-quant")) cache.want(b + "/sieve-noquant", job("sieve", "no-quant", false));
      if (want("ablation-shared-index") || want("irregularity-index") ||
          want("irregularity-speedup") || want("irregularity-energy"))
        cache.want(b + "/sieve-noshared", job("sieve", "no-shared-index", false));
      if (want("ablation-encoder")) cache.want(b + "/sieve-noenc", job("sieve", "no-encoder", false));
      if (want("entropy-decoder-fc") || want("entropy-decoder-conv"))
        cache.want(b + "/sieve-huffman", job("sieve", "huffman", false));
      if (want("decomposition")) {
        cache.want(b + "/sieve-ws-dwt", job("sieve", "weight-sparse", true));
        cache.want(b + "/sieve-sparse-dwt", job("sieve", "sparse", true));
      }
    }
    SIEVE_RETURN_IF_ERROR(cache.run());

    std::vector<double> vs_dn, vs_cx, conv_cx, fc_cx, sd, dw, dn, dt, e_dn, e_cx, share;
    double share_lstm = 0, share_mlp = 0;
    for (const std::string& b : benches) {
      const SimReport& s = cache.get(b + "/sieve");
      const SimReport& d = cache.get(b + "/diannao");
      const SimReport& c = cache.get(b + "/cambricon-x");
      vs_dn.push_back(time_of(d) / time_of(s));
      vs_cx.push_back(time_of(c) / time_of(s));
      if (time_of(s, "conv") > 0) conv_cx.push_back(time_of(c, "conv") / time_of(s, "conv"));
      if (time_of(s, "fc") > 0) fc_cx.push_back(time_of(c, "fc") / time_of(s, "fc"));
      e_dn.push_back(d.energy.total_pj() / s.energy.total_pj());
      e_cx.push_back(c.energy.total_pj() / s.energy.total_pj());
      share.push_back(s.offchip_energy_share());
      if (b == "lstm") share_lstm = s.offchip_energy_share();
      if (b == "mlp" || b == "lenet-300-100") share_mlp = s.offchip_energy_share();
      if (want("sparse-vs-dense") || want("decomposition"))
        sd.push_back(time_of(cache.get(b + "/sieve-dense")) / time_of(s));
      if (want("decomposition")) {
        const double t_dense = time_of(cache.get(b + "/sieve-dense"));
        const double t_ws = time_of(cache.get(b + "/sieve-ws-dwt"));
        const double t_sp = time_of(cache.get(b + "/sieve-sparse-dwt"));
        dw.push_back(t_dense / t_ws);
        dn.push_back(t_ws / t_sp);
        dt.push_back(t_sp / time_of(s));
      }
    }
    // ---- Ablations from the model's modes and energy breakdowns (§5.3.2, §5.3.3).
    if (want("ablation")) {
      std::vector<double> lq_fc, lq_e, off_cut, buf_share, sb_cx, si_fc, enc, enc_conv, enc_fc;
      auto buffer_pj = [](const EnergyBreakdown& e, bool sb_only) {
        double pj = 0;
        for (const auto& [k, v] : e.pj) {
          const bool sb = k.starts_with("sb_");
          const bool buf = sb || k.starts_with("nbin_") || k.starts_with("nibin_") ||
                           k.starts_with("nbout_") || k.starts_with("sib_");
          if (sb_only ? sb : buf) pj += v;
        }
        return pj;
      };
      for (const std::string& b : benches) {
        const SimReport& s = cache.get(b + "/sieve");
        if (want("ablation-local-quant")) {
          const SimReport& nq = cache.get(b + "/sieve-noquant");
          if (time_of(s, "fc") > 0) lq_fc.push_back(time_of(nq, "fc") / time_of(s, "fc"));
          lq_e.push_back(nq.energy.total_pj() / s.energy.total_pj());
        }
        if (want("ablation-shared-index")) {
          const SimReport& ns = cache.get(b + "/sieve-noshared");
          if (time_of(s, "fc") > 0) si_fc.push_back(time_of(ns, "fc") / time_of(s, "fc"));
        }
        if (want("ablation-encoder")) {
          const SimReport& ne = cache.get(b + "/sieve-noenc");
          enc.push_back(ne.energy.total_pj() / s.energy.total_pj());
          if (energy_of(s, "conv") > 0)
            enc_conv.push_back(energy_of(ne, "conv") / energy_of(s, "conv"));
          if (energy_of(s, "fc") > 0) enc_fc.push_back(energy_of(ne, "fc") / energy_of(s, "fc"));
        }
        if (want("ablation-sparsity")) {
          const SimReport& d = cache.get(b + "/sieve-dense");
          off_cut.push_back(s.energy.offchip_pj / d.energy.offchip_pj);
        }
        buf_share.push_back(buffer_pj(s.energy, false) / s.energy.onchip_pj);
        sb_cx.push_back(buffer_pj(cache.get(b + "/cambricon-x").energy, true) /
                        buffer_pj(s.energy, true));
      }
      const std::string n = fmt::format("over {} benchmarks", benches.size());
      if (!lq_fc.empty())
        set("ablation-local-quant-speed", geomean(lq_fc),
            fmt::format("FC-layer time, mode no-quant / sparse, geometric mean over {} benchmarks",
                        lq_fc.size()));
      if (!lq_e.empty())
        set("ablation-local-quant-energy", geomean(lq_e),
            "energy incl. DRAM, mode no-quant / sparse, geometric mean " + n);
      if (!si_fc.empty())
        set("ablation-shared-index", geomean(si_fc),
            fmt::format("FC-layer time, mode no-shared-index / sparse, geometric mean over {} "
                        "benchmarks",
                        si_fc.size()));
      if (!enc.empty())
        set("ablation-encoder-energy", geomean(enc),
            "energy incl. DRAM, mode no-encoder / sparse, geometric mean " + n);
      if (!enc_conv.empty())
        set("ablation-encoder-energy-conv", geomean(enc_conv),
            fmt::format("conv layers' energy incl. DRAM, mode no-encoder / sparse, geometric mean "
                        "over {} benchmarks",
                        enc_conv.size()));
      if (!enc_fc.empty())
        set("ablation-encoder-energy-fc", geomean(enc_fc),
            fmt::format("FC layers' energy incl. DRAM, mode no-encoder / sparse, geometric mean "
                        "over {} benchmarks",
                        enc_fc.size()));
      if (!off_cut.empty())
        set("ablation-sparsity-offchip-energy-cut", 1.0 - geomean(off_cut),
            "1 − geometric mean of off-chip energy sparse / dense mode " + n);
      double mean = 0;
      for (double x : buf_share) mean += x / static_cast<double>(buf_share.size());
      set("ablation-onchip-buffer-share", mean,
          "Σ nbin_, nibin_, nbout_, sb_, sib_ action energy / on-chip energy, arithmetic mean " + n);
      set("ablation-sb-energy-vs-cambricon-x", geomean(sb_cx),
          "Σ sb_ action energy Cambricon-X / Sieve (each its own energy table), geometric mean " + n);
    }

    // ---- Reduced irregularity (§5.3.5): the index unshared (mode no-shared-index) against sparse.
    if (want("irregularity-index") || want("irregularity-speedup") || want("irregularity-energy")) {
      std::vector<double> idx, t, e;
      for (const std::string& b : benches) {
        const SimReport& s = cache.get(b + "/sieve");
        const SimReport& u = cache.get(b + "/sieve-noshared");
        const double xs = static_cast<double>(s.result.total().offchip.weight_index);
        if (xs > 0)
          idx.push_back(static_cast<double>(u.result.total().offchip.weight_index) / xs);
        t.push_back(time_of(u) / time_of(s));
        e.push_back(u.energy.total_pj() / s.energy.total_pj());
      }
      const std::string n = fmt::format("geometric mean over {} benchmarks", benches.size());
      if (!idx.empty())
        set("irregularity-index-size", geomean(idx),
            fmt::format("off-chip weight-index bytes, mode no-shared-index / sparse, geometric "
                        "mean over {} benchmarks",
                        idx.size()));
      set("irregularity-speedup", geomean(t), "time, mode no-shared-index / sparse, " + n);
      set("irregularity-energy", geomean(e),
          "energy incl. DRAM, mode no-shared-index / sparse, " + n);
    }

    // ---- The entropy-decoder variant (§5.3.4): mode huffman against sparse.
    if (want("entropy-decoder-fc") || want("entropy-decoder-conv")) {
      std::vector<double> fc, conv;
      for (const std::string& b : benches) {
        const SimReport& s = cache.get(b + "/sieve");
        const SimReport& h = cache.get(b + "/sieve-huffman");
        if (time_of(s, "fc") > 0) fc.push_back(time_of(s, "fc") / time_of(h, "fc"));
        if (time_of(s, "conv") > 0) conv.push_back(time_of(s, "conv") / time_of(h, "conv"));
      }
      if (!fc.empty())
        set("entropy-decoder-fc-speedup", geomean(fc),
            fmt::format("FC-layer time, mode sparse / huffman, geometric mean over {} benchmarks",
                        fc.size()));
      if (!conv.empty())
        set("entropy-decoder-conv-speedup", geomean(conv),
            fmt::format("conv-layer time, mode sparse / huffman, geometric mean over {} "
                        "benchmarks",
                        conv.size()));
    }

    const std::string over = fmt::format("geometric mean over {} benchmarks", benches.size());
    set("speedup-vs-diannao", geomean(vs_dn), "time DianNao / time Sieve (sparse), " + over);
    set("speedup-vs-cambricon-x", geomean(vs_cx), "time Cambricon-X / time Sieve, " + over);
    set("conv-speedup-vs-cambricon-x", geomean(conv_cx),
        fmt::format("conv-layer time ratio, geometric mean over {} benchmarks with conv layers",
                    conv_cx.size()));
    set("fc-speedup-vs-cambricon-x", geomean(fc_cx),
        fmt::format("FC-layer time ratio, geometric mean over {} benchmarks with FC layers",
                    fc_cx.size()));
    set("sparse-vs-dense", geomean(sd), "time Sieve dense mode / time Sieve sparse, " + over);
    set("decomposition-weight-sparsity", geomean(dw),
        "dense / weight-sparse compute (weights still loaded dense), " + over);
    set("decomposition-neuron-sparsity", geomean(dn),
        "weight-sparse / sparse compute (weights still loaded dense), " + over);
    set("decomposition-weight-traffic", geomean(dt),
        "sparse with dense weight loads / sparse with compressed weight loads, " + over);
    set("energy-vs-diannao", geomean(e_dn), "energy DianNao / Sieve incl. DRAM, " + over);
    set("energy-vs-cambricon-x", geomean(e_cx), "energy Cambricon-X / Sieve incl. DRAM, " + over);
    double mean_share = 0;
    for (double x : share) mean_share += x / static_cast<double>(share.size());
    set("offchip-energy-share", mean_share, "off-chip / total energy of Sieve, arithmetic mean");
    set("offchip-energy-share-lstm", share_lstm, "off-chip / total energy of Sieve on lstm");
    set("offchip-energy-share-mlp", share_mlp, "off-chip / total energy of Sieve on mlp");

    // ---- The thesis' CPU baselines, timed here (app/cpu_baselines.h), against Sieve's time.
    if (want("cpu")) {
      const CpuFeatures cpu = cpu_features();
      app::CpuBaselineOptions co;
      co.isa = runtime::kernels::bsr::best_isa(cpu);
      co.seed = opt.seed;
      std::vector<double> vs_dense, vs_csr, vs_blocks, recovered;
      for (const std::string& b : benches) {
        SIEVE_ASSIGN_OR_RETURN(app::CpuModelTime t, app::time_cpu_baselines(wl.at(b), co));
        const double accel_s = time_of(cache.get(b + "/sieve")) * 1e-9;
        vs_dense.push_back(t.total.dense_s / accel_s);
        vs_csr.push_back(t.total.csr_s / accel_s);
        vs_blocks.push_back(t.total.blocks_s / accel_s);
        recovered.push_back(t.total.dense_s / t.total.blocks_s);
      }
      const std::string where = fmt::format(
          "one thread of {} (blocks kernel: {}), matrix products at batch 1, {}", host_cpu_name(),
          runtime::kernels::bsr::isa_name(co.isa), over);
      set("cpu-dense-vs-sieve", geomean(vs_dense), "OpenBLAS SGEMM time / Sieve time, " + where);
      set("cpu-sparse-vs-sieve", geomean(vs_csr), "Eigen CSR time / Sieve time, " + where);
      set("cpu-blocks-vs-sieve", geomean(vs_blocks), "runtime time / Sieve time, " + where);
      set("cpu-runtime-vs-dense", geomean(recovered), "OpenBLAS time / runtime time, " + where);
    }
  }

  // ---- Table 5.2: the six FC layers with every weight on chip.
  if (want("table5.2")) {
    SIEVE_ASSIGN_OR_RETURN(Workload w, eie_fc_workload(opt.seed));
    ArchRun run{"sieve", opt.overrides, {}};
    run.options.weights_on_chip = true;
    SIEVE_ASSIGN_OR_RETURN(SimReport r, run_sim(w, run));
    for (const LayerStats& l : r.result.layers)
      set("table5.2-" + l.name, l.time_ns / 1e3,
          "Sieve sparse, weights on chip (no weight loads), EIE's activation density (SPEC §8)");
  }

  // ---- Fig 5.9 sweeps.
  if (want("fig5.9")) {
    const std::vector<double> ws = {0.5, 0.75, 0.875, 0.9375, 0.95, 0.97, 0.99};
    const std::vector<double> nd = {0.75, 0.5, 0.3, 0.25, 0.2, 0.1};
    if (want("fig5.9-conv-weight")) {
      SIEVE_ASSIGN_OR_RETURN(double dense,
                             sweep_time({true, 0, 1}, "dense", opt.seed, opt.overrides));
      double best = 0, at = 0;
      for (double s : ws) {
        SIEVE_ASSIGN_OR_RETURN(double t,
                               sweep_time({true, s, 1}, "weight-sparse", opt.seed, opt.overrides));
        if (dense / t > best) best = dense / t, at = s;
      }
      set("fig5.9-conv-weight-sparsity", best,
          fmt::format("AlexNet conv3 shape, dense / weight-sparse mode, best at {:.4f} sparsity",
                      at));
    }
    if (want("fig5.9-fc-weight")) {
      SIEVE_ASSIGN_OR_RETURN(double dense,
                             sweep_time({false, 0, 1}, "dense", opt.seed, opt.overrides));
      SIEVE_ASSIGN_OR_RETURN(
          double t, sweep_time({false, 0.99, 1}, "weight-sparse", opt.seed, opt.overrides));
      set("fig5.9-fc-weight-sparsity-99", dense / t,
          "AlexNet fc7 shape (4096×4096, 32×32 blocks, 16-bit weights), dense / weight-sparse at "
          "99 %");
    }
    if (want("fig5.9-conv-neuron")) {
      SIEVE_ASSIGN_OR_RETURN(double dense,
                             sweep_time({true, 0, 1}, "dense", opt.seed, opt.overrides));
      double best = 0, at = 0;
      for (double d : nd) {
        SIEVE_ASSIGN_OR_RETURN(double t,
                               sweep_time({true, 0, d}, "neuron-sparse", opt.seed, opt.overrides));
        if (dense / t > best) best = dense / t, at = d;
      }
      set("fig5.9-conv-neuron-sparsity", best,
          fmt::format("AlexNet conv3 shape, dense / neuron-sparse mode, best at density {}", at));
    }
    if (want("fig5.9-fc-neuron")) {
      SIEVE_ASSIGN_OR_RETURN(double dense,
                             sweep_time({false, 0, 1}, "dense", opt.seed, opt.overrides));
      double best = 0;
      for (double d : nd) {
        SIEVE_ASSIGN_OR_RETURN(double t,
                               sweep_time({false, 0, d}, "neuron-sparse", opt.seed, opt.overrides));
        best = std::max(best, dense / t);
      }
      set("fig5.9-fc-neuron-sparsity", best,
          "AlexNet fc7 shape, dense / neuron-sparse mode, best over densities 0.75 … 0.1");
    }
  }

  // ---- The tiling example (§4.3.3).
  if (want("tiling")) {
    compiler::LayerGeometry g;
    g.in_c = 512, g.in_h = 30, g.in_w = 30, g.out_c = 512, g.out_h = 28, g.out_w = 28;
    g.kh = g.kw = 3;
    g.in_density = 0.4052;  // Table 3.2: VGG16 conv DNS 59.48 %
    g.w_density = 0.3420;   // §4.3.3
    compiler::Tiling t;
    t.oc_seg_n = 4, t.oc_seg_size = 128, t.oh_seg_n = 28, t.oh_seg_size = 1;
    t.ic_seg_n = 16, t.ic_seg_size = 32;
    const compiler::TilingPlan p = compiler::plan_with_tiling(g, t);
    const double mib = 1024.0 * 1024.0;
    const std::string how = "compiler::offchip_traffic on the thesis' tiling " + t.to_string();
    set("tiling-mem-i", p.traffic.input_reuse / mib, how);
    set("tiling-mem-o", p.traffic.output_reuse / mib, how);
    set("tiling-mem-s", p.traffic.synapse_reuse / mib, how);
    set("tiling-choice", compiler::reuse_name(p.reuse), how);
    compiler::BufferCapacity cap{8192, 8192, 32768};  // thesis §4.3.3's buffers
    SIEVE_ASSIGN_OR_RETURN(compiler::TilingPlan best, compiler::plan_layer(g, cap));
    set("tiling-search", best.traffic.of(best.reuse) / mib,
        "compiler::plan_layer search: " + best.tiling.to_string() + ", " +
            compiler::reuse_name(best.reuse) + " (no worse than the published means ≤)");
  }

  return ok_status();
}

}  // namespace

namespace figures {

FigureGroup thesis() {
  return {"Sieve thesis (SPEC §7)", defs(), compute,
          {"archs/sieve-65nm", "archs/diannao-65nm", "archs/cambricon-x-65nm"}};
}

}  // namespace figures
}  // namespace sieve::hw
