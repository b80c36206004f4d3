// The CPU engine (runtime/cpu/session.h): equal to the float reference engine
// (runtime/executor.h) within float rounding on LeNet-5, LeNet-300-100 and a small conv net with
// groups, padding, strides and pools, dense and compressed (block-pruned, 4/8-bit local
// quantization), at batch 1 and 7, on 1 and 2 threads, on every ISA path this CPU has; ISA
// selection on made-up CPUs; the fallback to the reference kernels; the bad-input rules of
// `sieve run` (issue 11).
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <random>
#include <string>
#include <vector>

#include "cli_util.h"
#include "sieve/compress/model.h"
#include "sieve/compress/prune/prune.h"
#include "sieve/compress/quant/quantize.h"
#include "sieve/core/cpu.h"
#include "sieve/hw/sim/evaluate.h"
#include "sieve/io/onnx/onnx.h"
#include "sieve/runtime/cpu/isa.h"
#include "sieve/runtime/cpu/linear.h"
#include "sieve/runtime/cpu/session.h"
#include "sieve/runtime/executor.h"
#include "sieve/runtime/kernels/bsr/int8.h"
#include "sieve/zoo/builder.h"
#include "sieve/zoo/zoo.h"

namespace sieve::runtime::cpu {
namespace {

using sieve_test::run_sieve;

// A small conv net over [N, 1, 28, 28]: padding, stride 2, groups, dilation-free 1x1, max and
// average pools (one with count_include_pad), a standalone Relu that is not fused (two readers),
// global average pool, FC and Softmax.
ir::Graph small_conv_net() {
  zoo::NetBuilder b("small-conv");
  auto x = b.input({1, 1, 28, 28});
  x = b.relu("relu1", b.conv("conv1", x, {.out = 8, .kernel = 3, .stride = 1, .pad = 1}));
  x = b.conv("conv2", x, {.out = 12, .kernel = 3, .stride = 2, .pad = 1, .group = 4});
  x = b.max_pool("pool1", x, {.kernel = 3, .stride = 2, .pad = 1, .ceil = true});
  auto r = b.relu("relu2", x);
  auto y = b.conv("conv3", r, {.out = 16, .kernel = 1, .group = 2});
  auto z = b.conv("conv4", r, {.out = 16, .kernel = 1, .bias = false});
  x = b.add("sum", y, z);
  x = b.avg_pool("pool2", x, {.kernel = 2, .stride = 1, .pad = 1});
  auto g = b.global_avg_pool("gap", x);
  x = b.flatten("flatten", g);
  x = b.fc("fc", x, 10);
  ir::Graph graph = b.finish(x);
  for (ir::Node& n : graph.nodes)
    if (n.name == "pool2") n.attrs["count_include_pad"] = int64_t{1};
  // A trailing Softmax.
  ir::Node sm;
  sm.op = ir::OpKind::kSoftmax;
  sm.name = "softmax";
  sm.inputs = {graph.outputs[0]};
  sm.outputs = {"prob"};
  graph.nodes.push_back(sm);
  graph.outputs = {"prob"};
  EXPECT_TRUE(zoo::init_weights(graph, 5).ok());
  return graph;
}

Result<ir::Graph> model_graph(const std::string& name) {
  if (name == "small-conv") return small_conv_net();
  return zoo::build(name, {.batch = 1, .seed = 3});
}

struct Compression {
  std::string method;  // "" = dense model
  std::vector<int64_t> block;
  double sparsity = 0.0;
  int bits = 0;
  int64_t region_rows = 1, region_cols = 1;
};

// Every FullyConnected and Conv weight compressed as `c`, read back through decode().
compress::CompressedModel make_model(const std::string& name, const Compression& c) {
  Result<ir::Graph> g = model_graph(name);
  EXPECT_TRUE(g.ok()) << g.status().to_string();
  compress::CompressedModel m;
  m.graph = std::move(*g);
  if (c.method.empty()) return m;
  for (const ir::Node& n : m.graph.nodes) {
    if (n.op != ir::OpKind::kFullyConnected && n.op != ir::OpKind::kConv) continue;
    const Tensor* w = m.graph.initializer(n.inputs[1]);
    compress::CompressedLayer l;
    l.node = n.name;
    l.weight = n.inputs[1];
    l.shape = w->shape();
    compress::PruneSpec spec;
    spec.method = c.method;
    spec.sparsity = c.sparsity;
    spec.block = c.block;
    // A conv block {16, 1, 1, 1} is {16, 1} on the FC weights.
    if (spec.block.size() > w->shape().size()) spec.block.resize(w->shape().size());
    for (size_t d = 0; d < spec.block.size() && d < w->shape().size(); ++d)
      spec.block[d] = std::min(spec.block[d], w->shape()[d]);
    spec = spec.resolved();
    Result<Tensor> mask = compress::prune(*w, Tensor(), spec, l.weight);
    EXPECT_TRUE(mask.ok()) << mask.status().to_string();
    l.mask = *mask;
    l.block = compress::full_block(spec, w->shape());
    l.structure = compress::prune_structure(spec, w->shape());
    if (c.bits == 0) {
      EXPECT_TRUE(compress::quant::store_unquantized(l, *w).ok());
    } else {
      const Status st = compress::quant::quantize_layer(
          l, *w,
          {.bits = c.bits,
           .region_rows = std::min(c.region_rows, l.rows()),
           .region_cols = std::min(c.region_cols, l.cols()),
           .kmeans = {.max_iters = 5}});
      EXPECT_TRUE(st.ok()) << st.to_string();
    }
    m.layers.push_back(std::move(l));
  }
  EXPECT_TRUE(compress::decode(m).ok());
  return m;
}

Tensor random_input(int64_t batch, uint64_t seed) {
  std::mt19937 rng(static_cast<uint32_t>(seed));
  std::uniform_real_distribution<float> u(0.0f, 1.0f);
  Tensor t(DType::kF32, {batch, 1, 28, 28});
  for (float& v : t.span<float>()) v = u(rng) < 0.3f ? 0.0f : u(rng);
  return t;
}

// The float reference engine on the model's (decoded) graph at any batch.
Tensor reference(const compress::CompressedModel& m, const Tensor& x) {
  ir::Graph g = m.graph;
  for (ir::Node& n : g.nodes) {
    if (n.op != ir::OpKind::kInput) continue;
    std::vector<int64_t> s = n.attr_ints("shape");
    s[0] = -1;
    n.attrs["shape"] = s;
  }
  Result<TensorMap> r = run_graph(g, {{g.input_names()[0], x}});
  EXPECT_TRUE(r.ok()) << r.status().to_string();
  return r.ok() ? r->at(g.outputs[0]) : Tensor();
}

void expect_near(const Tensor& got, const Tensor& want, const std::string& what) {
  ASSERT_EQ(got.shape(), want.shape()) << what;
  const float* a = got.data<float>();
  const float* b = want.data<float>();
  for (int64_t i = 0; i < got.numel(); ++i) {
    const double tol = 1e-4 + 1e-4 * std::abs(b[i]);
    ASSERT_LE(std::abs(a[i] - b[i]), tol) << what << ": element " << i << " is " << a[i]
                                          << ", the reference " << b[i];
  }
}

struct Case {
  std::string model;
  std::string label;
  Compression c;
};

class CpuEngineEqualsReference : public ::testing::TestWithParam<Case> {};

TEST_P(CpuEngineEqualsReference, EveryBatchThreadCountAndIsaPath) {
  const Case& k = GetParam();
  const compress::CompressedModel m = make_model(k.model, k.c);
  for (Isa isa : isas_of(detected_cpu_features())) {
    for (int threads : {1, 2}) {
      SessionOptions o{.threads = threads, .isa = isa};
      o.nm_kernels = k.c.method == "nm";
      Result<std::unique_ptr<Session>> s = Session::load(m, o);
      ASSERT_TRUE(s.ok()) << s.status().to_string();
      for (int64_t batch : {1, 7}) {
        const std::string what = k.model + " " + k.label + " isa " + isa_label(isa) + " threads " +
                                 std::to_string(threads) + " batch " + std::to_string(batch);
        const Tensor x = random_input(batch, 11 + static_cast<uint64_t>(batch));
        Result<std::vector<Tensor>> y = (*s)->run(x);
        ASSERT_TRUE(y.ok()) << what << ": " << y.status().to_string();
        expect_near((*y)[0], reference(m, x), what);
        // A second run on the same plan gives the same numbers.
        Result<std::vector<Tensor>> again = (*s)->run(x);
        ASSERT_TRUE(again.ok());
        expect_near((*again)[0], (*y)[0], what + " (second run)");
      }
    }
  }
}

INSTANTIATE_TEST_SUITE_P(
    Models, CpuEngineEqualsReference,
    ::testing::Values(
        Case{"lenet5", "dense", {}},
        Case{"lenet-300-100", "dense", {}},
        Case{"small-conv", "dense", {}},
        Case{"lenet5", "block16x1-90%-4bit", {"block", {16, 1}, 0.9, 4, 2, 2}},
        Case{"lenet-300-100", "block16x1-90%-4bit", {"block", {16, 1}, 0.9, 4, 2, 2}},
        Case{"lenet-300-100", "block4x4-70%-8bit", {"block", {4, 4}, 0.7, 8, 1, 1}},
        Case{"lenet5", "magnitude-80%-fp32", {"magnitude", {}, 0.8, 0, 1, 1}},
        Case{"lenet-300-100", "nm2:4-fp32", {"nm", {}, 0.5, 0, 1, 1}},
        Case{"lenet5", "nm2:4-fp32", {"nm", {}, 0.5, 0, 1, 1}},
        Case{"small-conv", "block4-60%-6bit", {"block", {4}, 0.6, 6, 1, 1}}),
    [](const ::testing::TestParamInfo<Case>& info) {
      std::string s = info.param.model + "_" + info.param.label;
      std::replace_if(s.begin(), s.end(), [](char ch) { return !std::isalnum(static_cast<unsigned char>(ch)); }, '_');
      return s;
    });

// With SessionOptions::nm_kernels, 2:4-pruned fully connected layers take the N:M kernels
// (kernels/nm/nm.h) on every ISA path, threads and batches; the convolutions (groups strided in
// the 2-D view) take the other variants; without it none does.
TEST(CpuEngine, NmFullyConnectedLayersRunOnTheNmKernels) {
  for (const std::string name : {"lenet-300-100", "lenet5"}) {
    const compress::CompressedModel m = make_model(name, {"nm", {}, 0.5, 0, 1, 1});
    for (bool on : {false, true}) {
      SessionOptions o;
      o.nm_kernels = on;
      Result<std::unique_ptr<Session>> s = Session::load(m, o);
      ASSERT_TRUE(s.ok()) << s.status().to_string();
      int64_t nm_layers = 0;
      for (const auto& l : (*s)->packed_layers()) {
        if (l.kind.rfind("nm 2:4", 0) == 0) ++nm_layers;
      }
      EXPECT_EQ(nm_layers, on ? (name == "lenet5" ? 2 : 3) : 0) << name;
      // Either way the reference's outputs.
      const Tensor x = random_input(3, 5);
      Result<std::vector<Tensor>> y = (*s)->run(x);
      ASSERT_TRUE(y.ok()) << y.status().to_string();
      expect_near((*y)[0], reference(m, x), name + (on ? " nm" : " default"));
    }
  }
}

TEST(CpuEngine, FusesReluAndRunsEveryOpOfTheZooLeNetsNatively) {
  for (const std::string name : {"lenet5", "lenet-300-100", "small-conv"}) {
    Result<std::unique_ptr<Session>> s = Session::load(make_model(name, {}), {});
    ASSERT_TRUE(s.ok()) << s.status().to_string();
    EXPECT_TRUE((*s)->fallback_ops().empty()) << name << ": " << (*s)->fallback_ops()[0];
    EXPECT_GT((*s)->packed_bytes(), 0);
  }
}

// Every network of the zoo loads into the engine (the default of `sieve run`), each node either
// native or listed once as a reference-kernel fallback, and those up to about 3 M weights give
// the reference's outputs on a random input (the larger ones take the naive reference minutes;
// their layers are the same kinds).
TEST(CpuEngineZoo, EveryZooNetworkLoadsAndTheSmallOnesMatchTheReference) {
  for (const std::string& name : zoo::names()) {
    SCOPED_TRACE(name);
    Result<ir::Graph> g = zoo::build(name, {.batch = 1, .seed = 5});
    ASSERT_TRUE(g.ok()) << g.status().to_string();
    int64_t params = 0;
    for (const auto& [n, t] : g->initializers) params += t.numel();
    compress::CompressedModel m;
    m.graph = std::move(*g);
    Result<std::unique_ptr<Session>> s = Session::load(m, {});
    ASSERT_TRUE(s.ok()) << s.status().to_string();
    if (name != "lstm") {  // the LSTM node is all that network has
      EXPECT_GT((*s)->packed_bytes(), 0);
    }
    for (const std::string& f : (*s)->fallback_ops()) {
      // What the engine does not run natively: LRN, BatchNormalization, LSTM, Concat.
      EXPECT_TRUE(f.find("(LRN)") != std::string::npos ||
                  f.find("(BatchNormalization)") != std::string::npos ||
                  f.find("(LSTM)") != std::string::npos || f.find("(Concat)") != std::string::npos)
          << f;
    }
    if (params > 3'000'000) continue;
    const ir::Node* in = nullptr;
    for (const ir::Node& n : m.graph.nodes)
      if (n.op == ir::OpKind::kInput) in = &n;
    ASSERT_NE(in, nullptr);
    Shape shape = in->attr_ints("shape");
    shape[0] = 1;
    Tensor x(DType::kF32, shape);
    std::mt19937 rng(9);
    std::uniform_real_distribution<float> u(0.0f, 1.0f);
    for (float& v : x.span<float>()) v = u(rng);
    Result<std::vector<Tensor>> y = (*s)->run(x);
    ASSERT_TRUE(y.ok()) << y.status().to_string();
    const Tensor want = reference(m, x);
    ASSERT_EQ((*y)[0].shape(), want.shape());
    const std::span<const float> a = (*y)[0].span<float>(), b = want.span<float>();
    double scale = 0;
    for (float v : b) scale = std::max(scale, static_cast<double>(std::abs(v)));
    for (size_t i = 0; i < a.size(); ++i)
      ASSERT_LE(std::abs(a[i] - b[i]), 1e-4 * (1 + scale)) << "output " << i;
  }
}

TEST(CpuEngine, UnsupportedOpsRunOnTheReferenceKernelsAndAreListedOnce) {
  zoo::NetBuilder b("with-lrn");
  auto x = b.input({1, 1, 28, 28});
  x = b.conv("conv1", x, {.out = 6, .kernel = 5});
  x = b.lrn("norm1", x, 3, 1e-4, 0.75);
  x = b.batch_norm("bn1", x);
  x = b.flatten("flatten", x);
  x = b.fc("fc", x, 10);
  compress::CompressedModel m;
  m.graph = b.finish(x);
  ASSERT_TRUE(zoo::init_weights(m.graph, 2).ok());
  Result<std::unique_ptr<Session>> s = Session::load(m, {.threads = 2});
  ASSERT_TRUE(s.ok()) << s.status().to_string();
  EXPECT_EQ((*s)->fallback_ops(),
            (std::vector<std::string>{"norm1 (LRN)", "bn1 (BatchNormalization)"}));
  for (int64_t batch : {1, 7, 7}) {
    const Tensor in = random_input(batch, 3);
    Result<std::vector<Tensor>> y = (*s)->run(in);
    ASSERT_TRUE(y.ok()) << y.status().to_string();
    expect_near((*y)[0], reference(m, in), "with-lrn batch " + std::to_string(batch));
  }
  EXPECT_EQ((*s)->fallback_ops().size(), 2u);
}

TEST(CpuEngine, BlockViewComesFromTheRecordedStructure) {
  compress::CompressedLayer l;
  l.shape = {50, 20, 5, 5};
  l.block = {16, 1, 1, 1};
  l.structure.method = "block";
  l.structure.stride = l.block;
  EXPECT_EQ(block_view(l).br, 16);
  EXPECT_EQ(block_view(l).bc, 1);
  l.block = {4, 2, 5, 5};  // whole kernels of 2 input channels: 50 contiguous columns
  l.structure.stride = l.block;
  EXPECT_EQ(block_view(l).br, 4);
  EXPECT_EQ(block_view(l).bc, 50);
  l.block = {4, 4, 1, 1};  // 4 input channels at one tap: not contiguous, one column
  l.structure.stride = l.block;
  EXPECT_EQ(block_view(l).bc, 1);
  l.block = {1, 1, 1, 1};
  l.structure = {};
  l.structure.method = "filter";
  EXPECT_EQ(block_view(l).br, 1);
  EXPECT_EQ(block_view(l).bc, 500);
  l.structure.method = "magnitude";
  EXPECT_EQ(block_view(l).br, 16);
  EXPECT_EQ(block_view(l).bc, 1);
}

// ---- ISA selection, on made-up CPUs (never the machine's) ----

TEST(CpuEngineIsa, BestPathAndForcedPaths) {
  const CpuFeatures none{}, avx2{.avx512f = false, .avx2 = true, .bmi2 = true, .fma = true},
      avx512{.avx512f = true, .avx2 = true, .bmi2 = true, .fma = true};
  EXPECT_EQ(*select_isa("", none, ""), Isa::kScalar);
  EXPECT_EQ(*select_isa("auto", avx2, ""), Isa::kAvx2);
  EXPECT_EQ(*select_isa("", avx512, "native"), Isa::kAvx512);
  EXPECT_EQ(*select_isa("scalar", avx512, ""), Isa::kScalar);
  EXPECT_EQ(*select_isa("generic", avx512, ""), Isa::kScalar);
  EXPECT_EQ(*select_isa("avx2", avx512, ""), Isa::kAvx2);
  EXPECT_EQ(*select_isa("", avx512, "avx2"), Isa::kAvx2);      // SIEVE_ISA forces
  EXPECT_EQ(*select_isa("avx512", avx512, "avx2"), Isa::kAvx512);  // the flag wins
  EXPECT_EQ(isas_of(avx2), (std::vector<Isa>{Isa::kScalar, Isa::kAvx2}));
}

TEST(CpuEngineIsa, AForcedPathTheCpuLacksNamesTheMissingFeature) {
  const CpuFeatures none{}, avx2{.avx512f = false, .avx2 = true, .bmi2 = true, .fma = true};
  Result<Isa> r = select_isa("avx512", avx2, "");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().message(), "--isa avx512: the CPU has no avx512f");
  r = select_isa("", none, "avx2");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().message(), "SIEVE_ISA=avx2: the CPU has no avx2");
  r = select_isa("sse9", avx2, "");
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("--isa sse9: unknown ISA path; valid: auto"),
            std::string::npos);
  r = select_isa("", avx2, "bogus");
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("SIEVE_ISA=bogus: unknown"), std::string::npos);
}

// ---- bad input ----

TEST(CpuEngineBadInput, ThreadsBelowOneAndTinyMemoryLimitsAreRefused) {
  const compress::CompressedModel m = make_model("lenet5", {});
  for (int t : {0, -1}) {
    Result<std::unique_ptr<Session>> s = Session::load(m, {.threads = t});
    ASSERT_FALSE(s.ok());
    EXPECT_NE(s.status().message().find("at least 1"), std::string::npos);
  }
  Result<std::unique_ptr<Session>> s = Session::load(m, {.max_memory_bytes = 4 << 20});
  ASSERT_TRUE(s.ok());
  EXPECT_TRUE((*s)->run(random_input(1, 1)).ok());
  Result<std::vector<Tensor>> big = (*s)->run(random_input(64, 1));
  ASSERT_FALSE(big.ok());
  EXPECT_NE(big.status().message().find("more than the memory limit"), std::string::npos);
  Result<std::vector<Tensor>> wrong = (*s)->run(Tensor(DType::kF32, {2, 3, 28, 28}));
  ASSERT_FALSE(wrong.ok());
  EXPECT_NE(wrong.status().message().find("the model takes [1,1,28,28]"), std::string::npos);
}

TEST(CpuEngineCli, RefusesBadThreadsIsaAndMemoryWithExitCode1) {
  const std::string base = "run --model lenet5 --data-dir " + sieve_test::kTinyFashionMnistDir;
  struct Bad {
    std::string args, env, message;
  };
  const std::vector<Bad> bad = {
      {" --threads 0", "", "--threads 0: must be 1 or more"},
      {" --threads -1", "", "--threads -1: must be 1 or more"},
      {" --isa sse9", "", "--isa sse9: unknown ISA path"},
      {"", "SIEVE_ISA=bogus", "SIEVE_ISA=bogus: unknown ISA path"},
      {" --max-memory 1M --batch 32", "", "more than the memory limit of 1.0 MiB"},
      {" --max-memory lots", "", "--max-memory lots: expected a positive size"},
  };
  for (const Bad& b : bad) {
    const sieve_test::CliRun r = run_sieve(base + b.args, b.env);
    EXPECT_EQ(r.rc, 1) << b.args << b.env << "\n" << r.out;
    EXPECT_NE(r.stderr_only.find(b.message), std::string::npos) << b.args << b.env << "\n" << r.out;
    EXPECT_TRUE(r.stdout_only.empty()) << r.out;
  }
}

TEST(CpuEngineCli, AForcedIsaThisCpuLacksIsAnError) {
  const CpuFeatures cpu = detected_cpu_features();
  std::string missing, feature;
  if (!cpu.avx2) {
    missing = "avx2";
    feature = "avx2";
  } else if (!cpu.avx512f) {
    missing = "avx512";
    feature = "avx512f";
  } else {
    GTEST_SKIP() << "this CPU has every path; select_isa's refusal is tested on made-up CPUs";
  }
  const std::string base = "run --model lenet5 --data-dir " + sieve_test::kTinyFashionMnistDir;
  sieve_test::CliRun r = run_sieve(base + " --isa " + missing);
  EXPECT_EQ(r.rc, 1) << r.out;
  EXPECT_NE(r.stderr_only.find("the CPU has no " + feature), std::string::npos) << r.out;
}

TEST(CpuEngineCli, IsTheDefaultEngineAndPrintsSpeedAndIsa) {
  const sieve_test::CliRun r = run_sieve("run --model lenet5 --batch 1 --data-dir " +
                                         sieve_test::kTinyFashionMnistDir + " --json");
  ASSERT_EQ(r.rc, 0) << r.out;
  EXPECT_NE(r.stdout_only.find("\"engine\": \"cpu\""), std::string::npos) << r.out;
  EXPECT_NE(r.stdout_only.find("\"images_per_second\""), std::string::npos) << r.out;
  EXPECT_NE(r.stdout_only.find("\"ms_per_image\""), std::string::npos) << r.out;
  const std::string best = isa_label(best_isa_of(cpu_features()));
  EXPECT_NE(r.stdout_only.find("\"isa\": \"" + best + "\""), std::string::npos) << r.out;
  const sieve_test::CliRun t = run_sieve("run --model lenet5 --isa scalar --threads 2 --data-dir " +
                                         sieve_test::kTinyFashionMnistDir);
  ASSERT_EQ(t.rc, 0) << t.out;
  EXPECT_NE(t.stdout_only.find("isa scalar, fp32 block-sparse layers, 2 threads"), std::string::npos)
      << t.out;
  EXPECT_NE(t.stdout_only.find("images/s"), std::string::npos) << t.out;
}

class CpuEngineCliFallback : public sieve_test::ScratchDirTest {};

TEST_F(CpuEngineCliFallback, SaysOnceWhichOpsRunOnTheReferenceKernels) {
  zoo::NetBuilder b("with-lrn");
  auto x = b.input({1, 1, 28, 28});
  x = b.conv("conv1", x, {.out = 4, .kernel = 5});
  x = b.lrn("norm1", x, 3, 1e-4, 0.75);
  x = b.flatten("flatten", x);
  x = b.fc("fc", x, 10);
  ir::Graph g = b.finish(x);
  ASSERT_TRUE(zoo::init_weights(g, 2).ok());
  const std::string path = (dir_ / "lrn.onnx").string();
  ASSERT_TRUE(io::export_onnx(g, path).ok());
  // 32 test images in batches of 4: eight engine calls, one message.
  const sieve_test::CliRun r = run_sieve("run --model " + path + " --batch 4 --data-dir " +
                                         sieve_test::kTinyFashionMnistDir);
  ASSERT_EQ(r.rc, 0) << r.out;
  const std::string msg = "the cpu engine runs norm1 (LRN) on the reference kernels";
  const size_t at = r.out.find(msg);
  ASSERT_NE(at, std::string::npos) << r.out;
  EXPECT_EQ(r.out.find(msg, at + 1), std::string::npos) << r.out;
}

// ---- accuracy on the tiny Fashion-MNIST fixture ----

TEST(CpuEngineAccuracy, TopOneOnTheTinyFixtureEqualsTheFloatEngine) {
  for (const std::string name : {"lenet5", "lenet-300-100"}) {
    for (const Compression& c : {Compression{}, Compression{"block", {16, 1}, 0.9, 4, 2, 2}}) {
      compress::CompressedModel m = make_model(name, c);
      Result<hw::EngineRun> ref = hw::evaluate_engine(m, "float", "fashion-mnist",
                                                      sieve_test::kTinyFashionMnistDir, -1, 8);
      ASSERT_TRUE(ref.ok()) << ref.status().to_string();
      for (int threads : {1, 2}) {
        Result<hw::EngineRun> cpu =
            hw::evaluate_engine(m, "cpu", "fashion-mnist", sieve_test::kTinyFashionMnistDir, -1, 8,
                                {}, {.threads = threads, .isa = "", .max_memory_bytes = 0, .int8 = false, .progress = {}});
        ASSERT_TRUE(cpu.ok()) << cpu.status().to_string();
        EXPECT_EQ(cpu->correct, ref->correct) << name;
        EXPECT_EQ(cpu->examples, ref->examples);
        const int64_t width = ref->outputs.dim(1);
        for (int64_t i = 0; i < ref->examples; ++i) {
          const float* a = cpu->outputs.data<float>() + i * width;
          const float* b = ref->outputs.data<float>() + i * width;
          EXPECT_EQ(std::max_element(a, a + width) - a, std::max_element(b, b + width) - b)
              << name << " image " << i;
        }
        EXPECT_GT(cpu->images_per_second(), 0.0);
        EXPECT_EQ(cpu->batches, 4);
      }
    }
  }
}

}  // namespace
}  // namespace sieve::runtime::cpu

namespace sieve::runtime::cpu {
namespace {

// The int8 route (kernels/bsr/int8.h) through the session: the block-sparse layers on int8
// weights and u8 activations stay within the quantization error of the fp32 reference (a few
// per cent of the output range) and keep its top-1 on nearly every input; every path this CPU
// can run it on; a CPU without VNNI is refused naming the feature (checked on injected features
// in the kernel tests).
TEST(CpuEngineInt8, CloseToTheReferenceOnEveryPathThatRunsIt) {
  const compress::CompressedModel m =
      make_model("lenet-300-100", {"block", {16, 1}, 0.9, 4, 2, 2});
  const Tensor x = random_input(32, 21);
  const Tensor ref = reference(m, x);
  int ran = 0;
  for (Isa isa : isas_of(detected_cpu_features())) {
    if (!kernels::bsr::int8_isa_check(isa, cpu_features()).ok()) continue;
    ++ran;
    Result<std::unique_ptr<Session>> s = Session::load(m, {.isa = isa, .int8 = true});
    ASSERT_TRUE(s.ok()) << s.status().to_string();
    bool int8_layer = false;
    for (const PackedLayer& l : (*s)->packed_layers())
      int8_layer = int8_layer || l.kind.find("int8") != std::string::npos;
    EXPECT_TRUE(int8_layer);
    Result<std::vector<Tensor>> y = (*s)->run(x);
    ASSERT_TRUE(y.ok()) << y.status().to_string();
    const std::span<const float> a = (*y)[0].span<float>(), b = ref.span<float>();
    const int64_t classes = 10;
    int64_t same_top1 = 0;
    for (int64_t j = 0; j < 32; ++j) {
      const auto row_a = a.subspan(static_cast<size_t>(j * classes), classes);
      const auto row_b = b.subspan(static_cast<size_t>(j * classes), classes);
      same_top1 += std::max_element(row_a.begin(), row_a.end()) - row_a.begin() ==
                   std::max_element(row_b.begin(), row_b.end()) - row_b.begin();
      for (int64_t c = 0; c < classes; ++c)
        EXPECT_NEAR(row_a[static_cast<size_t>(c)], row_b[static_cast<size_t>(c)], 0.05)
            << isa_label(isa) << " sample " << j << " class " << c;
    }
    EXPECT_GE(same_top1, 30) << isa_label(isa);
  }
  if (ran == 0) GTEST_SKIP() << "no ISA path of this CPU runs the int8 route";
}

}  // namespace
}  // namespace sieve::runtime::cpu

namespace sieve::runtime::cpu {
namespace {

// The int8 route on convolutions (LeNet-5, 16×1 blocks, 4-bit codes): each image quantized once
// and lowered in bytes (spmm_int8_u8). Every path gives the same outputs bit for bit (the
// integer sums are exact and every path follows one order of float operations), with 1 and 2
// threads and at batch 1 (output channels split over the threads) and 5 (images split); and
// they stay near the fp32 reference.
TEST(CpuEngineInt8, ConvolutionsAreExactAcrossPathsAndThreadsAndNearTheReference) {
  const compress::CompressedModel m = make_model("lenet5", {"block", {16, 1, 1, 1}, 0.8, 4, 2, 2});
  for (int64_t batch : {1, 5}) {
    const Tensor x = random_input(batch, 40 + static_cast<uint64_t>(batch));
    const Tensor ref = reference(m, x);
    std::vector<float> first;
    std::string first_label;
    for (Isa isa : isas_of(detected_cpu_features())) {
      if (!kernels::bsr::int8_isa_check(isa, cpu_features()).ok()) continue;
      for (int threads : {1, 2}) {
        const std::string label = fmt::format("{} threads={} batch={}", isa_label(isa), threads, batch);
        Result<std::unique_ptr<Session>> s = Session::load(m, {.threads = threads, .isa = isa, .int8 = true});
        ASSERT_TRUE(s.ok()) << s.status().to_string();
        int int8_convs = 0;
        for (const PackedLayer& l : (*s)->packed_layers())
          int8_convs += l.kind.find("int8") != std::string::npos && l.node.find("conv") != std::string::npos;
        EXPECT_GE(int8_convs, 1) << label;
        Result<std::vector<Tensor>> y = (*s)->run(x);
        ASSERT_TRUE(y.ok()) << y.status().to_string();
        const std::span<const float> got = (*y)[0].span<float>(), want = ref.span<float>();
        ASSERT_EQ(got.size(), want.size());
        for (size_t i = 0; i < got.size(); ++i) EXPECT_NEAR(got[i], want[i], 0.1) << label << " output " << i;
        if (first.empty()) {
          first.assign(got.begin(), got.end());
          first_label = label;
          continue;
        }
        for (size_t i = 0; i < got.size(); ++i)
          ASSERT_EQ(got[i], first[i]) << label << " differs from " << first_label << " at " << i;
      }
    }
  }
}

// The int8 route's AVX-512 kernel needs avx512bw and avx512vnni: a session on a CPU without
// them (injected features) is refused, naming the route and the missing feature.
TEST(CpuEngineInt8, ACpuWithoutVnniIsRefusedNamingTheFeature) {
  const compress::CompressedModel m =
      make_model("lenet-300-100", {"block", {16, 1}, 0.9, 4, 2, 2});
  CpuFeatures no_vnni{.avx512f = true, .avx2 = true, .bmi2 = true, .fma = true};
  no_vnni.avx512bw = true;
  Result<std::unique_ptr<Session>> s =
      Session::load(m, {.isa = Isa::kAvx512, .int8 = true, .cpu = no_vnni});
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.status().code(), StatusCode::kFailedPrecondition);
  EXPECT_NE(s.status().to_string().find("the int8 route"), std::string::npos)
      << s.status().to_string();
  EXPECT_NE(s.status().to_string().find("the CPU has no avx512vnni"), std::string::npos)
      << s.status().to_string();
  // The int8 route on the scalar path runs on the same CPU.
  EXPECT_TRUE(Session::load(m, {.isa = Isa::kScalar, .int8 = true, .cpu = no_vnni}).ok());
}

}  // namespace
}  // namespace sieve::runtime::cpu
