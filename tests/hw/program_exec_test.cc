// The program executor (hw/archs/sieve/program_exec.h): every matrix, pooling and LSTM layer of
// random compressed zoo models runs its generated program instruction by instruction, and every
// value of every layer equals the 16-bit fixed-point reference (`ref-fixed16`) bit for bit, in
// sparse and dense modes, packed multi-issue and single-issue, with buffers small enough that
// input channels are cut into segments (partial sums through DRAM). A corrupted program is an
// error that names the word, never wrong numbers.
#include "sieve/hw/archs/sieve/program_exec.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <map>
#include <random>
#include <string>
#include <vector>

#include "sieve/compiler/workload.h"
#include "sieve/compress/model.h"
#include "sieve/compress/prune/prune.h"
#include "sieve/compress/quant/activation.h"
#include "sieve/compress/quant/quantize.h"
#include "sieve/hw/archs/sieve/spec.h"
#include "sieve/hw/core/params.h"
#include "sieve/runtime/fixed16/fixed16.h"
#include "sieve/zoo/zoo.h"
#include "compressed_models.h"

namespace sieve::hw::sieve_arch {
namespace {

namespace isa = compiler::isa;
namespace cg = compiler::codegen;

Spec spec_with(const std::vector<std::string>& overrides = {}) {
  Result<ParamSet> ps = read_params(config_dir() + "/archs/sieve-65nm.yaml");
  SIEVE_ASSERT(ps.ok(), "{}", ps.status().to_string());
  SIEVE_ASSERT(apply_overrides(*ps, overrides).ok(), "overrides");
  Result<Spec> s = parse_spec(*ps);
  SIEVE_ASSERT(s.ok(), "{}", s.status().to_string());
  return *s;
}

// Small buffers: every layer of the zoo models is cut into several input-channel segments.
const std::vector<std::string> kSmallBuffers = {
    "nbin_bytes=1024", "nbout_bytes=512", "sb_bytes=2048", "nibin_bytes=256", "sib_bytes=256"};

using Compression = sieve_test::CompressionPlan;
using sieve_test::make_model;
using sieve_test::random_input;

// Instructions of `op` in the layer programs, and stores to the partial-sum tensor.
int64_t count_op(const ModelPrograms& p, isa::Op op) {
  int64_t n = 0;
  for (const auto& [name, lp] : p.layers)
    for (const isa::Bundle& b : lp.code.packed.program.words)
      for (const isa::Insn& in : b.slot) n += in.op == op ? 1 : 0;
  return n;
}
int64_t psum_stores(const ModelPrograms& p) {
  int64_t n = 0;
  for (const auto& [name, lp] : p.layers)
    for (const isa::Bundle& b : lp.code.packed.program.words)
      for (const isa::Insn& in : b.slot)
        n += in.op == isa::Op::st &&
                     isa::operand(in, "base") == cg::base_register(cg::TensorId::kPartialSums)
                 ? 1
                 : 0;
  return n;
}

Result<ModelPrograms> programs_for(const compress::CompressedModel& m, const Spec& spec, Mode mode,
                                   bool multi) {
  SIEVE_ASSIGN_OR_RETURN(compiler::Workload w, compiler::build_workload(m, {}));
  return compile_programs(spec, mode, w, multi);
}

// Every activation of the program-driven run equals the reference's, bit for bit.
void expect_bit_exact(const compress::CompressedModel& m, const Tensor& input, const Spec& spec,
                      const ModelPrograms& programs, const ProgramExecOptions& o,
                      const std::string& what) {
  std::map<std::string, Tensor> ref_values, exe_values;
  auto ref = runtime::fixed16::run(
      m, input, o.fixed, [&](const std::string& v, const Tensor& t) { ref_values[v] = t; });
  ASSERT_TRUE(ref.ok()) << what << ": " << ref.status().to_string();
  ProgramExecStats stats;
  auto exe = run_functional_program(
      m, input, spec, programs, o,
      [&](const std::string& v, const Tensor& t) { exe_values[v] = t; }, &stats);
  ASSERT_TRUE(exe.ok()) << what << ": " << exe.status().to_string();
  sieve_test::expect_bit_exact_values(ref_values, exe_values, what, "the executor");
  // Not vacuous: outputs mostly non-zero and not saturated; programs really ran.
  int64_t nonzero = 0, saturated = 0;
  for (int16_t v : ref->span<int16_t>()) {
    nonzero += v != 0 ? 1 : 0;
    saturated += (v == 32767 || v == -32768) ? 1 : 0;
  }
  EXPECT_GT(nonzero, ref->numel() / 2) << what;
  EXPECT_LT(saturated, ref->numel() / 10) << what;
  EXPECT_GT(stats.mxv, 0) << what;
  EXPECT_GT(stats.loads, 0) << what;
  EXPECT_GT(stats.datapath.multiplies, 0) << what;
  EXPECT_EQ(stats.runs, static_cast<int64_t>(programs.layers.size()) * input.dim(0))
      << what << ": one run per layer per sample";
}

void check_modes(const compress::CompressedModel& m, const Tensor& x, const Spec& spec,
                 const std::string& what, bool want_psums) {
  for (Mode mode : {Mode::kSparse, Mode::kDense, Mode::kWeightSparse}) {
    for (bool multi : {true, false}) {
      const std::string w =
          fmt::format("{} {} {}", what, mode_name(mode), multi ? "multi-issue" : "single-issue");
      auto p = programs_for(m, spec, mode, multi);
      ASSERT_TRUE(p.ok()) << w << ": " << p.status().to_string();
      if (want_psums && mode == Mode::kSparse) {
        EXPECT_GT(psum_stores(*p), 0) << w << ": no partial sums through DRAM";
      }
      ProgramExecOptions o;
      o.mode = mode;
      o.multi_issue = multi;
      expect_bit_exact(m, x, spec, *p, o, w);
    }
  }
}

TEST(SieveProgramExec, Lenet5ConvPoolFcEqualsReferenceInEveryModeAndIssue) {
  const Tensor calib = random_input({8, 1, 28, 28}, 1);
  const auto m = make_model("lenet5",
                            {{"conv1.weight", {"magnitude", {}, 0.5, 8}},
                             {"conv2.weight", {"block", {4, 1, 1, 1}, 0.6, 6}},
                             {"ip1.weight", {"block", {4, 8}, 0.85, 4}},
                             {"ip2.weight", {"magnitude", {}, 0.3, 0}}},
                            calib);
  const Tensor x = random_input({2, 1, 28, 28}, 2);
  check_modes(m, x, spec_with(), "lenet5", false);
  // Small buffers: input channels cut into segments, partial sums stored and reloaded.
  check_modes(m, x, spec_with(kSmallBuffers), "lenet5 small buffers", true);
}

TEST(SieveProgramExec, Lenet300100FcWithPartialSumsEqualsReference) {
  const Tensor calib = random_input({8, 1, 28, 28}, 3);
  const auto m = make_model("lenet-300-100",
                            {{"ip1.weight", {"magnitude", {}, 0.9, 5}},
                             {"ip2.weight", {"block", {16, 16}, 0.7, 0}},
                             {"ip3.weight", {"", {}, 0, 6}}},
                            calib);
  check_modes(m, random_input({2, 1, 28, 28}, 4), spec_with(kSmallBuffers), "mlp", true);
}

TEST(SieveProgramExec, Cifar10QuickWithAveragePoolsEqualsReference) {
  const Tensor calib = random_input({4, 3, 32, 32}, 5);
  const auto m = make_model("cifar10-quick",
                            {{"conv1.weight", {"", {}, 0, 8}},
                             {"conv2.weight", {"block", {8, 2, 1, 1}, 0.7, 8}},
                             {"conv3.weight", {"magnitude", {}, 0.8, 0}},
                             {"ip1.weight", {"block", {16, 16}, 0.9, 4}}},
                            calib);
  const Spec spec = spec_with(kSmallBuffers);
  auto p = programs_for(m, spec, Mode::kSparse, true);
  ASSERT_TRUE(p.ok()) << p.status().to_string();
  EXPECT_GT(count_op(*p, isa::Op::pavg), 0);
  EXPECT_GT(psum_stores(*p), 0);
  expect_bit_exact(m, random_input({1, 3, 32, 32}, 6), spec, *p, {}, "cifar10-quick");
}

TEST(SieveProgramExec, LstmLoopWithPeepholesAndProjectionEqualsReference) {
  const Tensor calib = random_input({4, 1, 153}, 7, -1.0f, 1.0f);
  auto m = make_model("lstm",
                      {{"lstm.W", {"block", {1, 16, 16}, 0.8, 4}},
                       {"lstm.R", {"magnitude", {}, 0.9, 6}},
                       {"lstm.W_proj", {"block", {1, 4, 4}, 0.85, 0}}},
                      calib);
  // The programs are generated for the graph's declared sequence length.
  for (ir::Node& n : m.graph.nodes)
    if (n.op == ir::OpKind::kInput) n.attrs["shape"] = std::vector<int64_t>{3, 1, 153};
  // Three timesteps, batch 2: the step loop (bnz) runs three times per sample, the recurrent
  // state goes through the projection's program and the cell state through DRAM.
  const Tensor x = random_input({3, 2, 153}, 8, -1.0f, 1.0f);
  for (Mode mode : {Mode::kSparse, Mode::kDense}) {
    for (bool multi : {true, false}) {
      for (const Spec& spec : {spec_with(), spec_with(kSmallBuffers)}) {
        const std::string what = fmt::format("lstm {} {} nbin {}", mode_name(mode),
                                             multi ? "multi" : "single", spec.nbin_bytes);
        auto p = programs_for(m, spec, mode, multi);
        ASSERT_TRUE(p.ok()) << what << ": " << p.status().to_string();
        EXPECT_GT(count_op(*p, isa::Op::lstm), 0) << what;
        EXPECT_GT(count_op(*p, isa::Op::bnz), 0) << what;
        ProgramExecOptions o;
        o.mode = mode;
        o.multi_issue = multi;
        ProgramExecStats st;
        expect_bit_exact(m, x, spec, *p, o, what);
      }
    }
  }
}

// ---- corrupted programs are errors naming the word ----

class CorruptProgram : public ::testing::Test {
 protected:
  void SetUp() override {
    const Tensor calib = random_input({4, 1, 28, 28}, 11);
    model_ = make_model("lenet5", {{"conv2.weight", {"magnitude", {}, 0.5, 6}}}, calib);
    x_ = random_input({1, 1, 28, 28}, 12);
    auto p = programs_for(model_, spec_, Mode::kSparse, true);
    ASSERT_TRUE(p.ok()) << p.status().to_string();
    programs_ = std::move(*p);
    ASSERT_TRUE(programs_.layers.count("conv2"));
    ASSERT_TRUE(run_functional_program(model_, x_, spec_, programs_).ok());
  }
  isa::Program& conv2() { return programs_.layers.at("conv2").code.packed.program; }
  // The index of the first word holding an instruction of `op`.
  size_t first_word(isa::Op op) {
    const isa::Program& p = conv2();
    for (size_t w = 0; w < p.words.size(); ++w)
      for (const isa::Insn& in : p.words[w].slot)
        if (in.op == op) return w;
    ADD_FAILURE() << "no such instruction";
    return 0;
  }
  std::string error() {
    auto r = run_functional_program(model_, x_, spec_, programs_);
    EXPECT_FALSE(r.ok()) << "the corrupted program ran";
    return r.ok() ? "" : r.status().message();
  }

  Spec spec_ = spec_with();
  compress::CompressedModel model_;
  Tensor x_;
  ModelPrograms programs_;
};

TEST_F(CorruptProgram, DeletingTheFirstLoadWordIsAnErrorNamingTheWord) {
  const size_t w = first_word(isa::Op::ld);
  conv2().words.erase(conv2().words.begin() + static_cast<std::ptrdiff_t>(w));
  const std::string e = error();
  EXPECT_NE(e.find("layer conv2: word "), std::string::npos) << e;
}

TEST_F(CorruptProgram, AnMxvOnTheWrongInputHalfIsAnErrorNamingTheWord) {
  const size_t w = first_word(isa::Op::mxv);
  isa::Insn& in = conv2().words[w].slot[static_cast<size_t>(isa::Unit::kMatrix)];
  in.v[0] ^= 1;  // `in`: the other NBin half
  // The mxv computes on what that half holds (another input segment, or none); the error comes
  // at the mxv, or at the store of its output tile, naming the mxv's word either way.
  const std::string e = error();
  EXPECT_TRUE(e.find(fmt::format("layer conv2: word {} (mxv", w)) != std::string::npos ||
              e.find(fmt::format("of the mxv at word {}", w)) != std::string::npos)
      << e;
}

TEST_F(CorruptProgram, AnOutputNeverStoredIsAnErrorAtHalt) {
  isa::Program& p = conv2();
  size_t last = 0;
  for (size_t w = 0; w < p.words.size(); ++w)
    if (p.words[w].slot[static_cast<size_t>(isa::Unit::kStore)].op == isa::Op::st) last = w;
  p.words[last].slot[static_cast<size_t>(isa::Unit::kStore)] = isa::Insn{};
  const std::string e = error();
  EXPECT_NE(e.find("never stored"), std::string::npos) << e;
}

TEST_F(CorruptProgram, ALoadFromAnAddressThatIsNoSegmentIsAnError) {
  const size_t w = first_word(isa::Op::ld);
  for (isa::Insn& in : conv2().words[w].slot)
    if (in.op == isa::Op::ld) in.v[5] += 2;  // addr: inside a segment, not its start
  const std::string e = error();
  EXPECT_NE(e.find(fmt::format("layer conv2: word {} (ld", w)), std::string::npos) << e;
  EXPECT_NE(e.find("segment"), std::string::npos) << e;
}

TEST_F(CorruptProgram, DroppingAnAccumulationIsAnErrorNotWrongNumbers) {
  // acc=1 turned into acc=0 on a later input-channel segment restarts from the bias: the output
  // store then finds columns missing.
  const Spec small = spec_with(kSmallBuffers);
  auto p = programs_for(model_, small, Mode::kSparse, true);
  ASSERT_TRUE(p.ok());
  isa::Program& prog = p->layers.at("conv2").code.packed.program;
  bool changed = false;
  for (isa::Bundle& b : prog.words) {
    isa::Insn& in = b.slot[static_cast<size_t>(isa::Unit::kMatrix)];
    if (in.op == isa::Op::mxv && isa::operand(in, "acc") == 1) {
      in.v[7] = 0;
      changed = true;
      break;
    }
  }
  ASSERT_TRUE(changed) << "no accumulating mxv in conv2 with small buffers";
  auto r = run_functional_program(model_, x_, small, *p);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("input columns"), std::string::npos) << r.status().message();
}

}  // namespace
}  // namespace sieve::hw::sieve_arch
