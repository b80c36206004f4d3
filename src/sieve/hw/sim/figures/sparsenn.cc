// SparseNN's own figures (Zhu, Jiang, Chen & Tsui, DATE 2018; seed 000) from our SparseNN model
// (hw/archs/sparsenn) on the networks we trained with its predictor (train/sparsenn.h,
// `sieve sparsenn`, scripts/sparsenn_train.sh; docs/RESULTS.md "SparseNN"): the throughput
// gain and the energy of the predictor configuration against the same chip with the predictor
// off (the input-sparsity-only, EIE-like configuration), per network and per hidden layer.
//
// The workloads are the trained networks' shapes with activations drawn, sample by sample, at
// the densities measured on the Fashion-MNIST test set (kTrained below, copied from the JSON
// that `sieve sparsenn --json` wrote): with the predictor, each hidden layer computes the rows
// it predicts non-zero (1 - rho) from the inputs that survived the previous layer's gate; with
// it off, every row from the ReLU's non-zero outputs. The seed's claims: throughput +10-31 % on
// the first hidden layer (same inputs, output sparsity only) and up to +70 % on the others,
// +10-70 % overall; power about half of the input-sparsity-only design's.
#include <fmt/format.h>

#include <random>

#include "sieve/hw/sim/reproduce.h"
#include "sieve/hw/sim/run.h"

namespace sieve::hw {
namespace {

// One hidden layer as measured on the 10,000 test images (fractions).
struct HiddenMeasure {
  double input_density;   // non-zero inputs with the predictor on
  double predicted_zero;  // rho: outputs the predictor calls zero
  double output_zero;     // outputs zero after the gate and the ReLU
  double relu_zero;       // outputs the ReLU alone zeroes (predictor off)
};

struct TrainedNet {
  std::string id;     // figure prefix after "sparsenn-"
  std::string model;  // zoo name
  std::string predictor;
  std::vector<HiddenMeasure> hidden;
  int64_t classes = 10;
};

// From build/sparsenn/{mlp3,mlp5}.json (scripts/sparsenn_train.sh, seed 1), rank 15.
const std::vector<TrainedNet>& trained() {
  static const std::vector<TrainedNet> nets = {
      {"mlp3-svd", "sparsenn-mlp3", "svd", {{0.5001, 0.6111, 0.7733, 0.7033}}},
      {"mlp3-e2e", "sparsenn-mlp3", "end-to-end", {{0.5001, 0.3541, 0.7465, 0.7153}}},
      // End to end with --sparsity-penalty 1e-4 (build/sparsenn/mlp3-penalty0.0001.json).
      {"mlp3-e2e-penalty", "sparsenn-mlp3", "end-to-end + penalty 1e-4",
       {{0.5001, 0.7062, 0.8071, 0.6995}}},
      {"mlp5-svd",
       "sparsenn-mlp5",
       "svd",
       {{0.5001, 0.6090, 0.7952, 0.7355},
        {0.2048, 0.5552, 0.6518, 0.5741},
        {0.3482, 0.5225, 0.5969, 0.5456}}},
      {"mlp5-e2e",
       "sparsenn-mlp5",
       "end-to-end",
       {{0.5001, 0.4968, 0.7754, 0.7406},
        {0.2246, 0.5437, 0.6472, 0.5730},
        {0.3528, 0.5223, 0.6015, 0.5468}}},
      // End to end with --sparsity-penalty 1e-4 (build/sparsenn/mlp5-penalty0.0001.json).
      {"mlp5-e2e-penalty",
       "sparsenn-mlp5",
       "end-to-end + penalty 1e-4",
       {{0.5001, 0.7422, 0.8411, 0.7140},
        {0.1589, 0.6978, 0.7391, 0.5622},
        {0.2609, 0.6008, 0.6499, 0.5532}}},
  };
  return nets;
}

constexpr int64_t kSamples = 16;
constexpr int64_t kPixels = 784, kHidden = 1000;

BitVec draw(int64_t n, double density, std::mt19937_64& rng) {
  BitVec b(n);
  std::bernoulli_distribution d(density);
  for (int64_t i = 0; i < n; ++i) b.set(i, d(rng));
  return b;
}

LayerWork fc_layer(const std::string& name, int64_t in, int64_t out) {
  LayerWork l;
  l.name = name;
  l.kind = LayerKind::kFullyConnected;
  l.in_c = in;
  l.out_c = out;
  l.rows = out;
  l.cols = in;
  l.weight_mask = BitVec(out * in, true);
  return l;
}

// The network's workload with the predictor on (io) or off.
Workload workload(const TrainedNet& net, bool io, uint64_t seed) {
  Workload w;
  w.model = net.model;
  w.batch = kSamples;
  std::mt19937_64 rng(seed);
  const size_t h = net.hidden.size();
  for (size_t l = 0; l <= h; ++l) {
    const int64_t in = l == 0 ? kPixels : kHidden;
    const int64_t out = l == h ? net.classes : kHidden;
    LayerWork lw = fc_layer(fmt::format("fc{}", l + 1), in, out);
    double in_density = 0;
    if (l == 0)
      in_density = net.hidden[0].input_density;
    else
      in_density = io ? 1.0 - net.hidden[l - 1].output_zero : 1.0 - net.hidden[l - 1].relu_zero;
    const double out_density =
        l == h ? 1.0 : (io ? 1.0 - net.hidden[l].predicted_zero : 1.0 - net.hidden[l].relu_zero);
    for (int64_t s = 0; s < kSamples; ++s) {
      lw.input_nz.push_back(draw(in, in_density, rng));
      lw.output_nz.push_back(l == h ? BitVec(out, true) : draw(out, out_density, rng));
    }
    lw.synthetic_activations = true;
    w.layers.push_back(std::move(lw));
  }
  w.notes["activations"] = "synthetic, at the densities measured on our trained " + net.id;
  return w;
}

std::vector<FigureDef> defs() {
  std::vector<FigureDef> d;
  for (const TrainedNet& n : trained()) {
    const std::string p = "sparsenn-" + n.id;
    d.push_back({p + "-throughput-gain",
                 fmt::format("{} ({} predictor, rank 15, our Fashion-MNIST training): whole-network "
                             "throughput gain over the same chip with the predictor off, % (seed: "
                             "+10-70 %, a range)",
                             n.model, n.predictor),
                 nullptr});
    for (size_t l = 0; l < n.hidden.size(); ++l)
      d.push_back({fmt::format("{}-fc{}-cycle-reduction", p, l + 1),
                   fmt::format("{}: cycles saved on hidden layer fc{}, % (seed: {})", n.id, l + 1,
                               l == 0 ? "10-31 % on the first hidden layer"
                                      : "up to 70 % on the later hidden layers"),
                   nullptr});
    d.push_back({p + "-energy-ratio",
                 fmt::format("{}: energy per inference, predictor on / off (seed: power about "
                             "half of the input-sparsity-only design's)",
                             n.id),
                 0.5});
    d.push_back({p + "-power-ratio",
                 fmt::format("{}: average power, predictor on / off (energy ratio x the cycle "
                             "ratio off / on; shown, not counted)",
                             n.id),
                 nullptr});
  }
  return d;
}

Status compute(const FigureWanted& want, const ReproduceOptions& opt, const FigureSetter& set) {
  for (const TrainedNet& n : trained()) {
    const std::string p = "sparsenn-" + n.id;
    if (!want(p)) continue;
    std::vector<std::string> ov = opt.overrides;
    ArchRun on{"sparsenn", ov, {}};
    on.options.mode = "input-output";
    ArchRun off{"sparsenn", ov, {}};
    off.options.mode = "input-only";
    SIEVE_ASSIGN_OR_RETURN(const SimReport a, run_sim(workload(n, true, opt.seed), on));
    SIEVE_ASSIGN_OR_RETURN(const SimReport b, run_sim(workload(n, false, opt.seed), off));
    const double ca = static_cast<double>(a.result.total().cycles);
    const double cb = static_cast<double>(b.result.total().cycles);
    set(p + "-throughput-gain", 100.0 * (cb / ca - 1.0),
        fmt::format("{} samples: {:.0f} cycles with the predictor, {:.0f} without", kSamples, ca,
                    cb));
    for (size_t l = 0; l < n.hidden.size(); ++l) {
      const double la = static_cast<double>(a.result.layers[l].cycles);
      const double lb = static_cast<double>(b.result.layers[l].cycles);
      set(fmt::format("{}-fc{}-cycle-reduction", p, l + 1), 100.0 * (1.0 - la / lb),
          fmt::format("{:.0f} cycles with the predictor (V, U and W phases), {:.0f} without", la,
                      lb));
    }
    const double ea = a.energy.total_pj(), eb = b.energy.total_pj();
    set(p + "-energy-ratio", ea / eb,
        fmt::format("{:.3f} uJ with the predictor, {:.3f} uJ without, over {} samples", ea / 1e6,
                    eb / 1e6, kSamples));
    set(p + "-power-ratio", (ea / ca) / (eb / cb),
        fmt::format("{:.1f} mW with the predictor, {:.1f} mW without (at 1 GHz)", ea / ca,
                    eb / cb));
  }
  return ok_status();
}

}  // namespace

FigureGroup figures::sparsenn() {
  return {"SparseNN (Zhu et al., DATE 2018)", defs(), compute,
          {"archs/sparsenn-65nm"}};
}

}  // namespace sieve::hw
