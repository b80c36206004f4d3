// DaDianNao and Cnvlutin (hw/archs/dadiannao, hw/archs/cnvlutin): the brick-step rule and its
// tightness (the lane with the most non-zeros sets its step's time), hand-computed small layers
// with exact cycle counts on both designs, the layers Cnvlutin runs as DaDianNao (first layer,
// FC), per-sample activations, the figures pinned in tests/golden/cnvlutin.json, and bad presets.
#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <regex>
#include <sstream>

#include "layer_builders.h"
#include "sieve/hw/archs/cnvlutin/perf.h"
#include "sieve/hw/core/arch.h"
#include "sieve/hw/core/params.h"
#include "golden_figures.h"
#include "sieve/hw/sim/reproduce.h"
#include "sieve/hw/sim/run.h"
#include "sieve/hw/workloads/thesis.h"

namespace sieve::hw {
namespace {

constexpr int64_t kFill = 2;  // 3 NFU stages in both presets

using cnvlutin_arch::window_cost;
using testing::dense_fc;
using testing::one;

std::unique_ptr<Accelerator> make(const std::string& name,
                                  std::vector<std::string> overrides = {}) {
  Result<std::unique_ptr<Accelerator>> a = make_accelerator(name, overrides);
  EXPECT_TRUE(a.ok()) << a.status().to_string();
  return a.ok() ? std::move(*a) : nullptr;
}

Result<LayerStats> run(const Accelerator& a, LayerWork l, int64_t batch = 1,
                       const std::string& mode = "") {
  SimOptions o;
  o.mode = mode;
  SIEVE_ASSIGN_OR_RETURN(SimResult r, a.simulate(one(std::move(l), batch), o));
  if (r.layers.size() != 1) return internal_error("{} layers", r.layers.size());
  return r.layers[0];
}

// The brick-step rule: bricks go to lanes in order, a step is `lanes` bricks and lasts as long as
// its lane with the most non-zeros.
TEST(CnvlutinBricks, TheLaneWithTheMostNonZerosSetsItsStepsTime) {
  std::vector<int64_t> b(16, 3);
  EXPECT_EQ(window_cost(b, 16).cycles, 3);
  b[5] = 7;  // one lane with more non-zeros: the whole step waits for it
  EXPECT_EQ(window_cost(b, 16).cycles, 7);
  b[9] = 6;  // another lane below the slowest changes nothing
  EXPECT_EQ(window_cost(b, 16).cycles, 7);
  b[9] = 8;  // ... until it becomes the slowest
  EXPECT_EQ(window_cost(b, 16).cycles, 8);
  EXPECT_EQ(window_cost(b, 16).nonzeros, 14 * 3 + 8 + 7);
  // A second step: its own slowest lane, added.
  b.push_back(2);
  b.push_back(5);
  EXPECT_EQ(window_cost(b, 16).cycles, 8 + 5);
  // An all-zero step still costs its dispatch cycle; no bricks, no cycles.
  EXPECT_EQ(window_cost(std::vector<int64_t>(16, 0), 16).cycles, 1);
  EXPECT_EQ(window_cost({}, 16).cycles, 0);
  // Dense bricks: a full step costs brick_neurons cycles for 16 bricks, one brick a cycle.
  EXPECT_EQ(window_cost(std::vector<int64_t>(32, 16), 16).cycles, 32);
}

// Lanes that meet every `sync` bricks: a step sums each lane's bricks before the maximum.
TEST(CnvlutinBricks, LanesThatMeetLessOftenBalanceOverTheirBricks) {
  // Two lanes: lane 0 gets bricks 0 and 2 (10, 0), lane 1 bricks 1 and 3 (0, 10).
  const std::vector<int64_t> b = {10, 0, 0, 10};
  EXPECT_EQ(window_cost(b, 2, 1).cycles, 10 + 10);  // each brick step waits for its busy lane
  EXPECT_EQ(window_cost(b, 2, 2).cycles, 10);       // one step: both lanes hold 10 non-zeros
  EXPECT_EQ(window_cost({10, 0, 3, 10}, 2, 2).cycles, 13);
}

// A conv layer of 16 filters, 32 input channels (2 bricks), 4×4 input, 3×3 kernel, no padding:
// 2×2 output positions, 18 bricks a window (kernel position outer, brick inner).
LayerWork small_conv(int64_t filters = 16) {
  LayerWork l;
  l.name = "conv";
  l.kind = LayerKind::kConv;
  l.in_c = 32, l.in_h = 4, l.in_w = 4;
  l.out_c = filters, l.out_h = 2, l.out_w = 2;
  l.kh = l.kw = 3;
  l.rows = filters;
  l.cols = 32 * 9;
  l.weight_mask = BitVec(l.rows * l.cols, true);
  // At input position (y, x) channels 0 .. y + x are non-zero: brick 0 holds y + x + 1
  // non-zeros, brick 1 none.
  BitVec in(l.input_size());
  for (int64_t y = 0; y < 4; ++y)
    for (int64_t x = 0; x < 4; ++x)
      for (int64_t c = 0; c <= y + x; ++c) in.set((c * 4 + y) * 4 + x);
  l.input_nz = {in};
  l.output_nz = {BitVec(l.output_size(), true)};
  return l;
}

TEST(Cnvlutin, SmallConvLayerHasExactCycles) {
  auto cnv = make("cnvlutin");
  auto dadn = make("dadiannao");
  ASSERT_NE(cnv, nullptr);
  ASSERT_NE(dadn, nullptr);
  // Window (oy, ox): step 1 = the 16 bricks of kernel positions 0..7, its slowest lane the
  // brick 0 of (ky, kx) = (1, 2) or (2, 1): oy + ox + 4 non-zeros; step 2 = position (2, 2):
  // oy + ox + 5. Σ over the 4 windows of 2 (oy + ox) + 9 = 2·4 + 36 = 44 cycles. Synapses and
  // neurons resident: no loads or stores, so the layer is its compute plus the pipeline fill.
  Result<LayerStats> c = run(*cnv, small_conv());
  ASSERT_TRUE(c.ok()) << c.status().to_string();
  EXPECT_EQ(c->cycles, 44 + kFill);
  EXPECT_EQ(c->compute_cycles, 44 + kFill);
  EXPECT_EQ(c->offchip.total(), 0);
  // Non-zeros per window: Σ over its 9 positions of (y + x + 1) = 9 (oy + ox) + 27; × 16 filters.
  EXPECT_EQ(c->macs_performed, 16 * (9 * 4 + 4 * 27));
  EXPECT_EQ(c->macs_performed + c->macs_skipped, 16 * 288 * 4);
  EXPECT_EQ(c->actions.at("subunit_cycle"), 9 * 4 + 4 * 27);  // one tile busy
  EXPECT_EQ(c->actions.at("nbin_read"), 4 * 18);              // every brick dispatched once
  EXPECT_EQ(c->actions.at("encoder_neuron"), 16 * 4);         // outputs encoded in ZFNAf
  EXPECT_TRUE(c->note.empty()) << c->note;
  // DaDianNao: 4 windows × ceil(288 / 16) = 18 cycles, whatever the zeros.
  Result<LayerStats> d = run(*dadn, small_conv());
  ASSERT_TRUE(d.ok()) << d.status().to_string();
  EXPECT_EQ(d->cycles, 4 * 18 + kFill);
  EXPECT_EQ(d->macs_performed, 16 * 288 * 4);
  EXPECT_EQ(d->actions.at("nfu_cycle"), 4 * 18);
  EXPECT_NEAR(d->time_ns, static_cast<double>(d->cycles) / 0.606, 1e-6);
  // Cnvlutin in dense mode runs the layer as DaDianNao.
  Result<LayerStats> cd = run(*cnv, small_conv(), 1, "dense");
  ASSERT_TRUE(cd.ok()) << cd.status().to_string();
  EXPECT_EQ(cd->cycles, d->cycles);
  EXPECT_NE(cd->note.find("mode dense"), std::string::npos);
}

TEST(Cnvlutin, FiltersBeyondOnePassRepeatTheBricks) {
  auto cnv = make("cnvlutin");
  auto dadn = make("dadiannao");
  ASSERT_NE(cnv, nullptr);
  ASSERT_NE(dadn, nullptr);
  // 300 filters: two passes of 16 tiles × 16 filters; every tile sees the same bricks.
  Result<LayerStats> c = run(*cnv, small_conv(300));
  ASSERT_TRUE(c.ok()) << c.status().to_string();
  EXPECT_EQ(c->cycles, 2 * 44 + kFill);
  // Busy tiles: 16 in the first pass, ceil(44 / 16) = 3 in the second.
  EXPECT_EQ(c->actions.at("subunit_cycle"), (16 + 3) * (9 * 4 + 4 * 27));
  Result<LayerStats> d = run(*dadn, small_conv(300));
  ASSERT_TRUE(d.ok()) << d.status().to_string();
  EXPECT_EQ(d->cycles, 2 * 4 * 18 + kFill);
  EXPECT_EQ(d->actions.at("nfu_cycle"), (16 + 3) * 4 * 18);
}

TEST(Cnvlutin, TheFirstLayerAndFcRunAsDaDianNaoAndSaySo) {
  auto cnv = make("cnvlutin");
  auto dadn = make("dadiannao");
  ASSERT_NE(cnv, nullptr);
  ASSERT_NE(dadn, nullptr);
  LayerWork first = small_conv();
  first.reads_network_input = true;
  Result<LayerStats> c = run(*cnv, first), d = run(*dadn, first);
  ASSERT_TRUE(c.ok() && d.ok());
  EXPECT_EQ(c->cycles, d->cycles);
  EXPECT_EQ(c->macs_performed, d->macs_performed);
  EXPECT_EQ(c->offchip.neurons, d->offchip.neurons);
  EXPECT_GT(c->offchip.neurons, 0);  // the network's input is loaded
  EXPECT_NE(c->note.find("first layer"), std::string::npos) << c->note;
  EXPECT_TRUE(d->note.empty());

  LayerWork fc = dense_fc(40, 100);
  fc.input_nz = {BitVec(100)};  // every input zero: still computed
  c = run(*cnv, fc);
  d = run(*dadn, fc);
  ASSERT_TRUE(c.ok() && d.ok());
  // ceil(40 / 256) pass × ceil(100 / 16) = 7 cycles, all resident.
  EXPECT_EQ(d->cycles, 7 + kFill);
  EXPECT_EQ(c->cycles, d->cycles);
  EXPECT_EQ(c->macs_skipped, 0);
  EXPECT_NE(c->note.find("conv layers only"), std::string::npos) << c->note;
}

// The note reaches the outputs: the JSON of simulate and compare, and compare's text.
TEST(Cnvlutin, TheNotesAreInTheJsonAndTheText) {
  Workload w;
  w.model = "two-convs";
  w.batch = 1;
  w.layers.push_back(small_conv());
  w.layers[0].name = "first";
  w.layers[0].reads_network_input = true;
  w.layers.push_back(small_conv());
  Result<SimReport> c = run_sim(w, {"cnvlutin", {}, {}});
  Result<SimReport> d = run_sim(w, {"dadiannao", {}, {}});
  ASSERT_TRUE(c.ok() && d.ok());
  const nlohmann::json j = report_json(*c);
  ASSERT_TRUE(j["layers"][0].contains("note"));
  EXPECT_NE(j["layers"][0]["note"].get<std::string>().find("first layer"), std::string::npos);
  EXPECT_FALSE(j["layers"][1].contains("note"));
  EXPECT_FALSE(report_json(*d)["layers"][0].contains("note"));
  const std::string text = compare_text({*d, *c});
  EXPECT_NE(text.find("cnvlutin first: run as DaDianNao"), std::string::npos) << text;
  EXPECT_EQ(text.find("cnvlutin conv:"), std::string::npos) << text;
  EXPECT_NE(report_text(*c).find("  first: run as DaDianNao"), std::string::npos);
}

// The workload marks the layers that read the network's input (through reshapes only): on
// AlexNet conv1 alone; on the LeNet-300-100 MLP its first FC layer, behind a Flatten.
TEST(Cnvlutin, TheWorkloadMarksTheLayersThatReadTheNetworkInput) {
  Result<Workload> w = thesis_workload("alexnet", 1, 1);
  ASSERT_TRUE(w.ok()) << w.status().to_string();
  for (const LayerWork& l : w->layers)
    EXPECT_EQ(l.reads_network_input, l.name == "conv1") << l.name;
  w = thesis_workload("lenet-300-100", 1, 1);
  ASSERT_TRUE(w.ok()) << w.status().to_string();
  ASSERT_FALSE(w->layers.empty());
  EXPECT_TRUE(w->layers[0].reads_network_input);
  for (size_t i = 1; i < w->layers.size(); ++i) EXPECT_FALSE(w->layers[i].reads_network_input);
}

TEST(Cnvlutin, EachSampleIsTimedFromItsOwnActivations) {
  auto cnv = make("cnvlutin");
  ASSERT_NE(cnv, nullptr);
  LayerWork l = small_conv();
  LayerWork dense = small_conv();
  dense.input_nz = {BitVec(l.input_size(), true)};
  l.input_nz.push_back(dense.input_nz[0]);
  l.output_nz.push_back(l.output_nz[0]);
  Result<LayerStats> two = run(*cnv, l, 2);
  ASSERT_TRUE(two.ok()) << two.status().to_string();
  // Sample 1 is dense: 2 steps × 16 cycles per window (lanes idle in the second step).
  EXPECT_EQ(two->cycles, (44 + kFill) + (4 * 32 + kFill));
  EXPECT_EQ(two->actions.at("control_cycle"), two->cycles);
  // A batch whose activations do not match is refused, naming the layer.
  Result<LayerStats> bad = run(*cnv, small_conv(), 3);
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.status().message().find("layer conv"), std::string::npos);
}

TEST(DaDianNao, ResidencyRemovesTrafficAndItsAbsenceRestoresIt) {
  auto resident = make("dadiannao");
  auto streamed = make("dadiannao", {"synapses_resident=0", "neurons_resident=0"});
  ASSERT_NE(resident, nullptr);
  ASSERT_NE(streamed, nullptr);
  Result<LayerStats> r = run(*resident, dense_fc(16, 32)), s = run(*streamed, dense_fc(16, 32));
  ASSERT_TRUE(r.ok() && s.ok());
  EXPECT_EQ(r->cycles, 2 + kFill);
  EXPECT_EQ(r->offchip.total(), 0);
  // Load 28 + ceil((32·2 + 16·32·2) / 64) = 45; compute 2; store 28 + 1.
  EXPECT_EQ(s->cycles, 45 + 2 + 29 + kFill);
  EXPECT_EQ(s->offchip.weights, 16 * 32 * 2);
  EXPECT_EQ(s->offchip.neurons, (32 + 16) * 2);
  // A layer larger than the node's 32 MB of SB loads its weights even when resident is on.
  LayerWork big = dense_fc(4096, 4097);
  big.input_nz.clear();
  big.output_nz.clear();
  Result<LayerStats> b = run(*resident, big);
  ASSERT_TRUE(b.ok()) << b.status().to_string();
  EXPECT_EQ(b->offchip.weights, 4096 * 4097 * 2);
}

// ---- Figures: pinned in tests/golden/cnvlutin.json (SIEVE_REGEN_GOLDEN=1 rewrites it).

TEST(CnvlutinGolden, FiguresMatchTheGoldenFile) {
  std::vector<FigureResult> r;
  golden::expect_figures_match_golden({"cnvlutin"}, "cnvlutin.json", "Cnvlutin (Albericio et al., ISCA 2016)", &r);
  if (r.empty()) return;  // failed (reported) or regenerated
  for (const FigureResult& f : r) {
    // Every network gains, and none beyond what its density allows (1 / 0.4052 for VGG16).
    EXPECT_GT(f.ours.get<double>(), 1.0) << f.figure;
    EXPECT_LT(f.ours.get<double>(), 2.5) << f.figure;
  }
}

// ---- Bad presets: refused naming the file, the key and the value.

std::string refusal(const std::string& preset, const std::string& key, const std::string& line) {
  std::ifstream in(config_dir() + "/archs/" + preset + ".yaml");
  std::stringstream ss;
  ss << in.rdbuf();
  std::string text = ss.str();
  if (!key.empty()) {
    const std::regex re("\n  " + key + ": [^\n]*");
    text = std::regex_replace(text, re, "\n" + line);
  } else {
    text += line + "\n";
  }
  const std::filesystem::path dir =
      std::filesystem::temp_directory_path() / ("sieve-cnv-test-" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  const std::filesystem::path file = dir / ("bad-" + preset + ".yaml");
  std::ofstream(file) << text;
  Result<std::unique_ptr<Accelerator>> a = make_accelerator(file.string(), {});
  std::filesystem::remove_all(dir);
  EXPECT_FALSE(a.ok()) << preset << ": " << line;
  return a.ok() ? std::string() : a.status().message();
}

TEST(CnvlutinBadPreset, RefusalsNameFileKeyAndValue) {
  for (const char* preset : {"dadiannao-28nm", "cnvlutin-28nm"}) {
    SCOPED_TRACE(preset);
    const std::string file = std::string("bad-") + preset + ".yaml";
    std::string m = refusal(preset, "n_tiles", "  n_tiles: {value: 0, source: \"x\"}");
    EXPECT_NE(m.find(file), std::string::npos) << m;
    EXPECT_NE(m.find("\"n_tiles\" = 0"), std::string::npos) << m;
    m = refusal(preset, "nfu_inputs", "  nfu_inputs: {value: -16, source: \"x\"}");
    EXPECT_NE(m.find(file), std::string::npos) << m;
    EXPECT_NE(m.find("\"nfu_inputs\" = -16"), std::string::npos) << m;
    m = refusal(preset, "nfu_outputs", "  nfu_outputs: {value: 0, source: \"x\"}");
    EXPECT_NE(m.find("\"nfu_outputs\" = 0"), std::string::npos) << m;
    m = refusal(preset, "", "  tiles_per_node: {value: 8, source: \"x\"}");
    EXPECT_NE(m.find(file), std::string::npos) << m;
    EXPECT_NE(m.find("unknown parameter \"tiles_per_node\" = 8"), std::string::npos) << m;
  }
  const std::string m =
      refusal("cnvlutin-28nm", "offset_bits", "  offset_bits: {value: 3, source: \"x\"}");
  EXPECT_NE(m.find("offset_bits = 3 cannot address brick_neurons = 16"), std::string::npos) << m;
}

}  // namespace
}  // namespace sieve::hw
