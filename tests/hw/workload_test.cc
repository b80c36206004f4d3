// build_workload (hw/core/workload.h): geometry from shape inference, masks from the compressed
// layers, activations computed by the reference engine or drawn at a density.
#include "sieve/hw/core/workload.h"

#include <gtest/gtest.h>

#include <cmath>

#include "sieve/compress/model.h"
#include "sieve/runtime/executor.h"
#include "sieve/zoo/builder.h"
#include "sieve/zoo/zoo.h"

namespace sieve::hw {
namespace {

compress::CompressedModel dense_model(const std::string& zoo_name, uint64_t seed = 3) {
  zoo::BuildOptions bo;
  bo.seed = seed;
  auto g = zoo::build(zoo_name, bo);
  SIEVE_ASSERT(g.ok(), "{}", g.status().to_string());
  compress::CompressedModel m;
  m.graph = std::move(g).value();
  return m;
}

const LayerWork* find(const Workload& w, const std::string& name) {
  for (const LayerWork& l : w.layers) {
    if (l.name == name) return &l;
  }
  return nullptr;
}

// An image-like sample with about half its pixels exactly zero.
Tensor half_zero_sample(const Shape& shape, uint64_t seed) {
  Tensor t(DType::kF32, shape);
  float* v = t.data<float>();
  uint64_t s = seed;
  for (int64_t i = 0; i < t.numel(); ++i) {
    s = s * 6364136223846793005ULL + 1442695040888963407ULL;
    const double u = static_cast<double>(s >> 11) * 0x1.0p-53;
    v[i] = u < 0.5 ? 0.0f : static_cast<float>(u);
  }
  return t;
}

BitVec nz(const Tensor& t) {
  BitVec b(t.numel());
  for (int64_t i = 0; i < t.numel(); ++i) {
    if (t.data<float>()[i] != 0.0f) b.set(i);
  }
  return b;
}

bool same_bits(const BitVec& a, const BitVec& b) {
  if (a.size() != b.size()) return false;
  for (int64_t i = 0; i < a.size(); ++i) {
    if (a.get(i) != b.get(i)) return false;
  }
  return true;
}

TEST(Workload, Lenet5GeometryFromShapeInference) {
  auto w = build_workload(dense_model("lenet5"), {});
  ASSERT_TRUE(w.ok()) << w.status().to_string();
  ASSERT_EQ(w->layers.size(), 6u);
  const char* names[] = {"conv1", "pool1", "conv2", "pool2", "ip1", "ip2"};
  for (size_t i = 0; i < 6; ++i) EXPECT_EQ(w->layers[i].name, names[i]);

  const LayerWork& c1 = w->layers[0];
  EXPECT_EQ(c1.kind, LayerKind::kConv);
  EXPECT_EQ(std::vector<int64_t>({c1.in_c, c1.in_h, c1.in_w}), std::vector<int64_t>({1, 28, 28}));
  EXPECT_EQ(std::vector<int64_t>({c1.out_c, c1.out_h, c1.out_w}),
            std::vector<int64_t>({20, 24, 24}));
  EXPECT_EQ(c1.kh, 5);
  EXPECT_EQ(c1.kw, 5);
  EXPECT_EQ(c1.stride_h, 1);
  EXPECT_EQ(c1.rows, 20);
  EXPECT_EQ(c1.cols, 25);
  EXPECT_EQ(c1.dense_macs(), 288000);  // zoo/lenet.cc
  EXPECT_FALSE(c1.pruned);
  EXPECT_EQ(c1.weight_mask.count(), 20 * 25);
  EXPECT_EQ(c1.weight_bits, 16);

  const LayerWork& p1 = w->layers[1];
  EXPECT_EQ(p1.kind, LayerKind::kPool);
  EXPECT_EQ(p1.pool_type, "max");
  EXPECT_EQ(
      std::vector<int64_t>({p1.in_c, p1.in_h, p1.out_c, p1.out_h, p1.out_w, p1.kh, p1.stride_w}),
      std::vector<int64_t>({20, 24, 20, 12, 12, 2, 2}));
  EXPECT_EQ(p1.rows, 0);

  const LayerWork& c2 = w->layers[2];
  EXPECT_EQ(std::vector<int64_t>({c2.in_c, c2.in_h, c2.out_c, c2.out_h, c2.cols}),
            std::vector<int64_t>({20, 12, 50, 8, 500}));
  EXPECT_EQ(c2.dense_macs(), 1600000);
  const LayerWork& ip1 = w->layers[4];
  EXPECT_EQ(ip1.kind, LayerKind::kFullyConnected);
  EXPECT_EQ(ip1.in_c, 800);
  EXPECT_EQ(ip1.out_c, 500);
  EXPECT_EQ(ip1.dense_macs(), 400000);
  EXPECT_EQ(w->layers[5].rows, 10);
  EXPECT_NE(w->notes.at("skipped").find("Flatten"), std::string::npos);
}

TEST(Workload, AlexnetGroupedConvAndPadsFromTheGraph) {
  zoo::BuildOptions bo;
  bo.init_weights = false;
  compress::CompressedModel m;
  m.graph = zoo::build("alexnet", bo).value();
  WorkloadOptions o;
  o.default_input_density = 0.5;
  auto w = build_workload(m, o);
  ASSERT_TRUE(w.ok()) << w.status().to_string();
  const LayerWork* c2 = find(*w, "conv2");
  ASSERT_NE(c2, nullptr);
  EXPECT_EQ(c2->group, 2);
  EXPECT_EQ(c2->pad_top, 2);
  EXPECT_EQ(c2->pad_right, 2);
  EXPECT_EQ(c2->cols, 48 * 25);
  EXPECT_EQ(c2->out_h, 27);
  EXPECT_EQ(c2->dense_macs(), 223948800);  // zoo/alexnet.cc
  EXPECT_EQ(find(*w, "conv1")->stride_h, 4);
}

TEST(Workload, MasksAreTheCompressedLayerMasks) {
  compress::CompressedModel m = dense_model("lenet5");
  for (const char* wname : {"conv2.weight", "ip1.weight"}) {
    compress::CompressedLayer cl;
    cl.weight = wname;
    cl.node = std::string(wname).substr(0, std::string(wname).find('.'));
    cl.shape = m.graph.initializer(wname)->shape();
    cl.block = std::vector<int64_t>(cl.shape.size(), 1);
    cl.block[0] = 2;
    cl.mask = Tensor(DType::kU8, cl.shape);
    uint8_t* mk = cl.mask.data<uint8_t>();
    for (int64_t i = 0; i < cl.mask.numel(); ++i) mk[i] = (i * 7919 % 13) < 4 ? 1 : 0;
    cl.bits = 4;
    cl.region_rows = 2;
    cl.codebooks.assign(2, std::vector<float>(16, 0.5f));
    cl.codes.assign(static_cast<size_t>(cl.kept()), 3);
    m.layers.push_back(cl);
  }
  auto w = build_workload(m, {});
  ASSERT_TRUE(w.ok()) << w.status().to_string();
  for (const compress::CompressedLayer& cl : m.layers) {
    const LayerWork* l = find(*w, cl.node);
    ASSERT_NE(l, nullptr);
    EXPECT_TRUE(l->pruned);
    EXPECT_EQ(l->weight_bits, 4);
    EXPECT_EQ(l->codebook_entries, 32);
    EXPECT_EQ(l->block, cl.block);
    ASSERT_EQ(l->weight_mask.size(), cl.numel());
    EXPECT_EQ(l->weight_mask.count(), cl.kept());
    for (int64_t i = 0; i < cl.numel(); ++i) {
      ASSERT_EQ(l->weight_mask.get(i), cl.mask.data<uint8_t>()[i] != 0) << cl.weight << " " << i;
    }
  }
  // Dense layers: every bit set, not pruned.
  EXPECT_FALSE(find(*w, "conv1")->pruned);
  EXPECT_EQ(find(*w, "ip2")->weight_mask.count(), 5000);
}

TEST(Workload, MatMulWeightIsTransposedIntoRowsOfOutputs) {
  compress::CompressedModel m;
  ir::Graph& g = m.graph;
  g.name = "mm";
  ir::Node in;
  in.op = ir::OpKind::kInput;
  in.name = "input";
  in.outputs = {"input"};
  in.attrs["shape"] = std::vector<int64_t>{1, 3};
  ir::Node mm;
  mm.op = ir::OpKind::kMatMul;
  mm.name = "mm";
  mm.inputs = {"input", "w"};
  mm.outputs = {"y"};
  g.nodes = {in, mm};
  g.outputs = {"y"};
  g.initializers["w"] = Tensor::from_f32({3, 2}, {1, 2, 3, 4, 5, 6});
  compress::CompressedLayer cl;
  cl.node = "mm";
  cl.weight = "w";
  cl.shape = {3, 2};
  cl.mask = Tensor(DType::kU8, {3, 2});
  const uint8_t keep[6] = {1, 0, 0, 1, 1, 1};  // [in k][out n]
  for (int i = 0; i < 6; ++i) cl.mask.data<uint8_t>()[i] = keep[i];
  cl.values = {1, 4, 5, 6};
  m.layers.push_back(cl);
  auto w = build_workload(m, {});
  ASSERT_TRUE(w.ok()) << w.status().to_string();
  ASSERT_EQ(w->layers.size(), 1u);
  const LayerWork& l = w->layers[0];
  EXPECT_EQ(l.rows, 2);
  EXPECT_EQ(l.cols, 3);
  for (int r = 0; r < 2; ++r) {
    for (int c = 0; c < 3; ++c) EXPECT_EQ(l.weight_mask.get(r * 3 + c), keep[c * 2 + r] != 0);
  }
  EXPECT_EQ(l.weight_bits, 16);  // not quantized
}

TEST(Workload, ComputedActivationsAreTheReferenceEnginesZeros) {
  compress::CompressedModel m = dense_model("lenet-300-100");
  WorkloadOptions o;
  o.samples = {half_zero_sample({1, 1, 28, 28}, 1), half_zero_sample({1, 1, 28, 28}, 2)};
  auto w = build_workload(m, o);
  ASSERT_TRUE(w.ok()) << w.status().to_string();
  EXPECT_EQ(w->batch, 2);
  ASSERT_EQ(w->layers.size(), 3u);
  for (size_t s = 0; s < 2; ++s) {
    runtime::RunOptions ro;
    ro.keep_intermediates = true;
    auto env = runtime::run_graph(m.graph, {{"input", o.samples[s]}}, ro);
    ASSERT_TRUE(env.ok()) << env.status().to_string();
    const LayerWork& ip1 = w->layers[0];
    const LayerWork& ip2 = w->layers[1];
    const LayerWork& ip3 = w->layers[2];
    EXPECT_FALSE(ip1.synthetic_activations);
    EXPECT_TRUE(same_bits(ip1.input_nz[s], nz(o.samples[s])));
    // The ReLU is fused: ip1's outputs are relu1's, which ip2 reads.
    EXPECT_TRUE(same_bits(ip1.output_nz[s], nz(env->at("relu1"))));
    EXPECT_TRUE(same_bits(ip2.input_nz[s], nz(env->at("relu1"))));
    EXPECT_TRUE(same_bits(ip2.output_nz[s], nz(env->at("relu2"))));
    EXPECT_TRUE(same_bits(ip3.output_nz[s], nz(env->at("ip3"))));
    // ReLU zeroes some of them; half the pixels are zero.
    EXPECT_LT(ip2.input_nz[s].count(), 300);
    EXPECT_GT(ip1.input_nz[s].count(), 300);
    EXPECT_LT(ip1.input_nz[s].count(), 500);
  }
}

TEST(Workload, ComputedConvActivationsMatchTheEngine) {
  compress::CompressedModel m = dense_model("lenet5");
  WorkloadOptions o;
  o.samples = {half_zero_sample({1, 1, 28, 28}, 5)};
  auto w = build_workload(m, o);
  ASSERT_TRUE(w.ok()) << w.status().to_string();
  runtime::RunOptions ro;
  ro.keep_intermediates = true;
  auto env = runtime::run_graph(m.graph, {{"input", o.samples[0]}}, ro);
  ASSERT_TRUE(env.ok());
  EXPECT_TRUE(same_bits(find(*w, "conv1")->input_nz[0], nz(o.samples[0])));
  EXPECT_TRUE(same_bits(find(*w, "pool1")->input_nz[0], nz(env->at("conv1"))));
  EXPECT_TRUE(same_bits(find(*w, "conv2")->input_nz[0], nz(env->at("pool1"))));
  EXPECT_TRUE(same_bits(find(*w, "ip1")->input_nz[0], nz(env->at("flatten"))));
}

TEST(Workload, SamplesWithBatchAboveOneAreRefused) {
  WorkloadOptions o;
  o.samples = {Tensor(DType::kF32, {2, 1, 28, 28})};
  auto w = build_workload(dense_model("lenet5"), o);
  ASSERT_FALSE(w.ok());
  EXPECT_NE(w.status().message().find("batch 1"), std::string::npos) << w.status().message();
}

TEST(Workload, SyntheticDensitiesWithinTolerance) {
  WorkloadOptions o;
  o.synthetic_batch = 64;
  o.input_density = {{"ip2", 0.25}, {"ip3", 0.8}};
  o.default_input_density = 0.5;
  o.default_output_density = 1.0;
  o.seed = 11;
  auto w = build_workload(dense_model("lenet-300-100"), o);
  ASSERT_TRUE(w.ok()) << w.status().to_string();
  auto density = [](const std::vector<BitVec>& v) {
    int64_t ones = 0, all = 0;
    for (const BitVec& b : v) {
      ones += b.count();
      all += b.size();
    }
    return static_cast<double>(ones) / static_cast<double>(all);
  };
  const LayerWork& ip1 = w->layers[0];
  const LayerWork& ip2 = w->layers[1];
  const LayerWork& ip3 = w->layers[2];
  ASSERT_EQ(ip1.input_nz.size(), 64u);
  EXPECT_TRUE(ip1.synthetic_activations);
  // 784·64 = 50,176 bits: 5 sigma ≈ 0.011.
  EXPECT_NEAR(density(ip1.input_nz), 0.5, 0.011);
  EXPECT_NEAR(density(ip2.input_nz), 0.25, 0.02);  // 19,200 bits
  EXPECT_NEAR(density(ip3.input_nz), 0.8, 0.025);  // 6,400 bits
  // A layer's outputs are the next layer's inputs; the last layer's are dense.
  for (size_t s = 0; s < 64; ++s) {
    EXPECT_TRUE(same_bits(ip1.output_nz[s], ip2.input_nz[s]));
    EXPECT_TRUE(same_bits(ip2.output_nz[s], ip3.input_nz[s]));
    EXPECT_EQ(ip3.output_nz[s].count(), 10);
  }
}

TEST(Workload, SyntheticBitsDependOnlyOnTheSeed) {
  WorkloadOptions o;
  o.default_input_density = 0.3;
  o.synthetic_batch = 2;
  o.seed = 5;
  auto a = build_workload(dense_model("lenet5"), o);
  auto b = build_workload(dense_model("lenet5"), o);
  o.seed = 6;
  auto c = build_workload(dense_model("lenet5"), o);
  o.seed = 5;
  o.synthetic_batch = 1;
  auto d = build_workload(dense_model("lenet5"), o);
  ASSERT_TRUE(a.ok() && b.ok() && c.ok() && d.ok());
  for (size_t i = 0; i < a->layers.size(); ++i) {
    EXPECT_TRUE(same_bits(a->layers[i].input_nz[1], b->layers[i].input_nz[1]));
    EXPECT_FALSE(same_bits(a->layers[i].input_nz[0], c->layers[i].input_nz[0]));
    // The batch size does not change sample 0.
    EXPECT_TRUE(same_bits(a->layers[i].input_nz[0], d->layers[i].input_nz[0]));
  }
}

TEST(Workload, UnknownLayerInDensityMapIsRefusedListingLayers) {
  WorkloadOptions o;
  o.input_density = {{"ip9", 0.5}};
  auto w = build_workload(dense_model("lenet-300-100"), o);
  ASSERT_FALSE(w.ok());
  EXPECT_NE(w.status().message().find("\"ip9\""), std::string::npos);
  EXPECT_NE(w.status().message().find("ip1, ip2, ip3"), std::string::npos) << w.status().message();
  o.input_density = {{"ip2", 1.5}};
  w = build_workload(dense_model("lenet-300-100"), o);
  ASSERT_FALSE(w.ok());
  EXPECT_NE(w.status().message().find("ip2"), std::string::npos) << w.status().message();
}

TEST(Workload, MaskOfTheWrongShapeIsRefusedNamingTheNode) {
  compress::CompressedModel m = dense_model("lenet-300-100");
  compress::CompressedLayer cl;
  cl.node = "ip2";
  cl.weight = "ip2.weight";
  cl.shape = {100, 300};
  cl.mask = Tensor(DType::kU8, {100, 299});
  m.layers.push_back(cl);
  auto w = build_workload(m, {});
  ASSERT_FALSE(w.ok());
  EXPECT_NE(w.status().message().find("node \"ip2\""), std::string::npos) << w.status().message();
}

// An LSTM with a projection: the gate matrix [W | R] and W_proj as an FC layer per time step;
// x_t and h_{t-1} flags from the engine's X and Y.
TEST(Workload, LstmWithProjectionSplitsGatesAndProjection) {
  zoo::NetBuilder b("tiny-lstm");
  auto x = b.input({3, 1, 5});
  x = b.lstm("lstm", x, {.hidden = 8, .proj = 4, .peepholes = true});
  compress::CompressedModel m;
  m.graph = b.finish(x);
  ASSERT_TRUE(zoo::init_weights(m.graph, 9).ok());
  WorkloadOptions o;
  o.samples = {half_zero_sample({3, 1, 5}, 4)};
  auto w = build_workload(m, o);
  ASSERT_TRUE(w.ok()) << w.status().to_string();
  ASSERT_EQ(w->layers.size(), 4u);
  const LayerWork& l = w->layers[0];
  EXPECT_EQ(l.kind, LayerKind::kLstm);
  EXPECT_EQ(l.rows, 32);
  EXPECT_EQ(l.cols, 9);
  EXPECT_EQ(l.recurrent, 4);
  EXPECT_EQ(l.timesteps, 3);
  EXPECT_EQ(l.input_size(), 27);
  EXPECT_EQ(l.output_size(), 24);
  EXPECT_EQ(w->layers[1].name, "lstm/proj@0");
  EXPECT_EQ(w->layers[3].name, "lstm/proj@2");
  EXPECT_EQ(w->layers[1].rows, 4);
  EXPECT_EQ(w->layers[1].cols, 8);
  runtime::RunOptions ro;
  ro.keep_intermediates = true;
  auto env = runtime::run_graph(m.graph, {{"input", o.samples[0]}}, ro);
  ASSERT_TRUE(env.ok());
  const Tensor& y = env->at("lstm");
  const BitVec& in = l.input_nz[0];
  for (int t = 0; t < 3; ++t) {
    for (int j = 0; j < 5; ++j) {
      EXPECT_EQ(in.get(t * 9 + j), o.samples[0].data<float>()[t * 5 + j] != 0.0f);
    }
    for (int j = 0; j < 4; ++j) {
      const bool h = t > 0 && y.data<float>()[(t - 1) * 4 + j] != 0.0f;
      EXPECT_EQ(in.get(t * 9 + 5 + j), h) << t << " " << j;
    }
  }
  EXPECT_EQ(in.count(5, 9), 0);  // h_{-1} = 0
  for (int t = 0; t < 3; ++t) {
    for (int j = 0; j < 4; ++j) {
      EXPECT_EQ(w->layers[1 + t].output_nz[0].get(j), y.data<float>()[t * 4 + j] != 0.0f);
    }
  }
}

}  // namespace
}  // namespace sieve::hw
