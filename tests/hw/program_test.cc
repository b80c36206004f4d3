// The Sieve simulator driven by programs (hw/core/program_timing.h, hw/archs/sieve/perf.h):
//   * the program timing model on hand-written programs whose cycles are counted by hand;
//   * generated code (compiler/codegen) is hazard-free (check_syncs) on every thesis benchmark;
//   * program-driven cycles equal the plan-driven N + 2 model's within 1 % on each thesis
//     benchmark, up to a fixed per-layer issue overhead (docs/RESULTS.md explains the rest);
//   * single issue is slower than multi-issue everywhere (the ablation's direction);
//   * an LSTM of several timesteps runs as a loop; refusals name the layer or architecture.
#include <gtest/gtest.h>

#include <cmath>
#include <memory>
#include <string>
#include <vector>

#include "layer_builders.h"
#include "sieve/compiler/codegen/codegen.h"
#include "sieve/compiler/codegen/deps.h"
#include "sieve/compiler/isa/isa.h"
#include "sieve/hw/core/arch.h"
#include "sieve/hw/core/program_timing.h"
#include "sieve/hw/sim/inputs.h"
#include "sieve/hw/sim/run.h"
#include "sieve/hw/workloads/thesis.h"

namespace sieve::hw {
namespace {

namespace isa = compiler::isa;
using isa::Op;
using isa::Unit;

// ---- the timing model on hand-written programs ----

isa::Program assemble_ok(const std::string& text) {
  Result<isa::Program> p = isa::assemble(text, "test.s");
  EXPECT_TRUE(p.ok()) << p.status().to_string();
  return p.ok() ? *p : isa::Program{};
}

// ld/st cost their `bytes`; mxv costs 50 cycles; vector instructions 10.
Result<InsnCost> simple_cost(const isa::Insn& in, const std::array<int64_t, 16>&) {
  InsnCost c;
  if (in.op == Op::ld || in.op == Op::st) c.bytes = isa::operand(in, "bytes");
  if (in.op == Op::mxv) c.cycles = 50;
  if (in.op == Op::relu) c.cycles = 10;
  return c;
}

const MemorySpec kMem{64, 64, 28};  // 64 B/cycle each port, t_start 28

int64_t cycles_of(const std::string& text, IssueMode mode) {
  Result<ProgramTiming> t = time_program(assemble_ok(text), kMem, mode, simple_cost);
  EXPECT_TRUE(t.ok()) << t.status().to_string();
  return t.ok() ? t->cycles : -1;
}

const char* kLd0 = "ld buf=nbin half=0 idx=0 off=0 base=r0 addr=0x0 bytes=640";
const char* kLd1 = "ld buf=nbin half=1 idx=0 off=0 base=r0 addr=0x280 bytes=640";

TEST(ProgramTiming, ALoadComputeStoreChainByHand) {
  // ld 28..38; mxv waits for it: 38..88; st waits for the mxv: 88 + 28 + 1 = 117.
  const std::string p = std::string(kLd0) +
                        "\nmxv in=0 w=0 out=0 groups=1 vecs=1 col=0 cols=16 acc=0 nidx=0 sidx=0 "
                        "wdm=0 enc=0 || sync load=0 store=15 matrix=15 vector=15\n"
                        "st buf=nbout half=0 idx=0 off=0 base=r0 addr=0x1000 bytes=64 || sync "
                        "load=15 store=15 matrix=0 vector=15\nhalt\n";
  EXPECT_EQ(cycles_of(p, IssueMode::kMulti), 117);
  EXPECT_EQ(cycles_of(p, IssueMode::kSingle), 117);  // a chain: nothing to overlap
}

TEST(ProgramTiming, BackToBackLoadsPayTheStartupOnce) {
  const std::string p = std::string(kLd0) + "\n" + kLd1 + "\nhalt\n";
  EXPECT_EQ(cycles_of(p, IssueMode::kMulti), 28 + 10 + 10);
  EXPECT_EQ(cycles_of(p, IssueMode::kSingle), 2 * (28 + 10));
}

TEST(ProgramTiming, APortIsNotRoundedUpPerTransfer) {
  // Three 96-byte loads on a 64 B/cycle port, back to back: 28 + 4.5 data cycles → 33, not
  // 28 + 3 × 2 = 34 as a port rounding each transfer up would give.
  const std::string p =
      "ld buf=nbin half=0 idx=0 off=0 base=r0 addr=0x0 bytes=96\n"
      "ld buf=nbin half=0 idx=0 off=96 base=r0 addr=0x60 bytes=96\n"
      "ld buf=nbin half=0 idx=0 off=192 base=r0 addr=0xc0 bytes=96\nhalt\n";
  EXPECT_EQ(cycles_of(p, IssueMode::kMulti), 33);
}

TEST(ProgramTiming, ComputeOverlapsTheNextLoadOnlyInMultiIssue) {
  // The mxv on half 0 and the load into half 1 share a word.
  const std::string p = std::string(kLd0) + "\n" + kLd1 +
                        " || mxv in=0 w=0 out=0 groups=1 vecs=1 col=0 cols=16 acc=0 nidx=0 "
                        "sidx=0 wdm=0 enc=0 || sync load=0 store=15 matrix=15 vector=15\nhalt\n";
  // Multi: ld0 28..38; word 1 issues at 38: mxv 38..88, ld1 66..76. Single issue puts one
  // instruction a word (the bundle here is multi-issue code; timed as written, a word waits for
  // everything before it): ld0 28..38, word 1 at 38 → 88.
  EXPECT_EQ(cycles_of(p, IssueMode::kMulti), 88);
  EXPECT_EQ(cycles_of(p, IssueMode::kSingle), 88);
  const std::string serial = std::string(kLd0) +
                             "\nmxv in=0 w=0 out=0 groups=1 vecs=1 col=0 cols=16 acc=0 nidx=0 "
                             "sidx=0 wdm=0 enc=0\n" +
                             kLd1 + "\nhalt\n";
  EXPECT_EQ(cycles_of(serial, IssueMode::kSingle), 88 + 28 + 10);
}

TEST(ProgramTiming, ALoopRunsItsWordsEachIteration) {
  const std::string p =
      "sset rd=r1 imm=3\nL1:\nsaddi rd=r1 ra=r1 imm=-1\nbnz ra=r1 target=L1\nhalt\n";
  Result<ProgramTiming> t = time_program(assemble_ok(p), kMem, IssueMode::kMulti, simple_cost);
  ASSERT_TRUE(t.ok()) << t.status().to_string();
  EXPECT_EQ(t->words, 1 + 3 * 2 + 1);
}

TEST(ProgramTiming, RunawayProgramsAreRefused) {
  Result<ProgramTiming> t =
      time_program(assemble_ok(std::string(kLd0) + "\n"), kMem, IssueMode::kMulti, simple_cost);
  ASSERT_FALSE(t.ok());
  EXPECT_NE(t.status().to_string().find("ran past its last word"), std::string::npos);
  t = time_program(assemble_ok("L1:\njmp target=L1\nhalt\n"), kMem, IssueMode::kMulti,
                   simple_cost, 1000);
  ASSERT_FALSE(t.ok());
  EXPECT_NE(t.status().to_string().find("did not halt within 1000 words"), std::string::npos);
}

// ---- generated code on the thesis benchmarks ----

int64_t total_cycles(const SimResult& r) {
  int64_t c = 0;
  for (const LayerStats& l : r.layers) c += l.cycles;
  return c;
}

class ProgramDriven : public ::testing::TestWithParam<std::string> {};

TEST_P(ProgramDriven, MatchesThePlanDrivenModelAndBeatsSingleIssue) {
  WorkloadRequest req;
  req.model = "thesis:" + GetParam();
  Result<Workload> w = make_workload(req);
  ASSERT_TRUE(w.ok()) << w.status().to_string();
  ArchRun run{"sieve", {}, {}};
  Result<SimReport> plan = run_sim(*w, run);
  ASSERT_TRUE(plan.ok()) << plan.status().to_string();
  run.program = true;
  Result<SimReport> multi = run_sim(*w, run);
  ASSERT_TRUE(multi.ok()) << multi.status().to_string();
  run.issue = IssueMode::kSingle;
  Result<SimReport> single = run_sim(*w, run);
  ASSERT_TRUE(single.ok()) << single.status().to_string();

  const auto p = static_cast<double>(total_cycles(plan->result));
  const auto m = static_cast<double>(total_cycles(multi->result));
  const auto s = static_cast<double>(total_cycles(single->result));
  const auto layers = static_cast<double>(w->layers.size());
  // Within 1 %, plus at most 6 cycles a layer of fixed issue overhead (base-register set-up,
  // the codebook load's own word): that allowance is what puts LeNet-300-100 (800 vs 791
  // cycles, three layers under 600 cycles each) at +1.1 %. See docs/RESULTS.md.
  EXPECT_LE(std::abs(m - p), 0.01 * p + 6 * layers) << "plan " << p << " program " << m;
  EXPECT_GT(s, m) << "single issue must be slower";
  // Everything but cycles comes from the same segments and cells.
  for (size_t i = 0; i < w->layers.size(); ++i) {
    const LayerStats& a = plan->result.layers[i];
    const LayerStats& b = multi->result.layers[i];
    SCOPED_TRACE(a.name);
    EXPECT_EQ(a.macs_performed, b.macs_performed);
    EXPECT_EQ(a.offchip.total(), b.offchip.total());
  }
  EXPECT_DOUBLE_EQ(plan->energy.offchip_pj, multi->energy.offchip_pj);
}

TEST_P(ProgramDriven, GeneratedCodeIsHazardFreeAndReassembles) {
  WorkloadRequest req;
  req.model = "thesis:" + GetParam();
  Result<Workload> w = make_workload(req);
  ASSERT_TRUE(w.ok()) << w.status().to_string();
  const ArchRun run{"sieve", {}, {}};
  Result<CompileReport> c = compile_workload(*w, run, "", IssueMode::kMulti);
  ASSERT_TRUE(c.ok()) << c.status().to_string();
  ASSERT_EQ(c->code.size(), w->layers.size());
  for (const compiler::codegen::CompiledLayer& l : c->code) {
    SCOPED_TRACE(l.layer);
    const Status s = compiler::codegen::check_syncs(l.packed.program);
    EXPECT_TRUE(s.ok()) << s.to_string();
    EXPECT_TRUE(isa::validate(l.packed.program).ok());
  }
  // The linked program: binary → text → binary is the identity.
  const std::string bin = isa::encode(c->linked.program);
  Result<isa::Program> back =
      isa::assemble(isa::disassemble(c->linked.program, c->linked.comments), "linked.s");
  ASSERT_TRUE(back.ok()) << back.status().to_string();
  EXPECT_EQ(isa::encode(*back), bin);
}

INSTANTIATE_TEST_SUITE_P(ThesisBenchmarks, ProgramDriven, ::testing::ValuesIn(thesis_benchmarks()),
                         [](const ::testing::TestParamInfo<std::string>& i) {
                           std::string n = i.param;
                           for (char& ch : n)
                             if (ch == '-') ch = '_';
                           return n;
                         });

// ---- hand-made layers ----

LayerWork lstm_layer(int64_t timesteps) {
  LayerWork l;
  l.name = "lstm";
  l.kind = LayerKind::kLstm;
  l.in_c = 64;
  l.out_c = 32;
  l.timesteps = timesteps;
  l.rows = 4 * 32;
  l.cols = 64 + 32;
  l.weight_mask = compiler::BitVec(l.rows * l.cols, true);
  l.input_nz.push_back(compiler::BitVec(l.input_size(), true));
  l.output_nz.push_back(compiler::BitVec(l.output_size(), true));
  return l;
}

struct Compiled {
  compiler::LayerPlan plan;
  compiler::codegen::CompiledLayer code;
};

Result<Compiled> compile_layer(const Accelerator& a, const LayerWork& l, const SimOptions& o) {
  Compiled c;
  SIEVE_ASSIGN_OR_RETURN(c.plan, a.plan(l, o));
  SIEVE_ASSIGN_OR_RETURN(c.code, a.compile(l, c.plan, o, {}));
  return c;
}

TEST(ProgramCodegen, AnLstmOfSeveralStepsIsALoop) {
  Result<std::unique_ptr<Accelerator>> a = make_accelerator("sieve", {});
  ASSERT_TRUE(a.ok()) << a.status().to_string();
  SimOptions o;
  o.mode = "dense";
  Result<Compiled> c = compile_layer(**a, lstm_layer(5), o);
  ASSERT_TRUE(c.ok()) << c.status().to_string();
  EXPECT_EQ(c->code.steps, 5);
  int branches = 0, cells = 0;
  for (const isa::Bundle& b : c->code.packed.program.words) {
    branches += b.slot[static_cast<size_t>(Unit::kControl)].op == Op::bnz ? 1 : 0;
    cells += b.slot[static_cast<size_t>(Unit::kVector)].op == Op::lstm ? 1 : 0;
  }
  EXPECT_EQ(branches, 1);
  EXPECT_GE(cells, 1);
  // Timed as a loop, it stays near the plan-driven model's five passes, but not within 1 %: the
  // loop head is a full barrier (step t + 1 reads h_t through DRAM), so each step drains the
  // pipeline, which the plan-driven model (steps back to back) does not charge. Measured: 2886
  // vs 2695 cycles, +7 % (docs/RESULTS.md).
  Workload w = testing::one(lstm_layer(5));
  Result<SimResult> plan = (*a)->simulate(w, o);
  Result<SimResult> prog = (*a)->simulate_programs(w, o, IssueMode::kMulti);
  ASSERT_TRUE(plan.ok() && prog.ok());
  const auto p = static_cast<double>(plan->layers[0].cycles);
  const auto m = static_cast<double>(prog->layers[0].cycles);
  EXPECT_GE(m, p) << "plan " << p << " program " << m;
  EXPECT_LE(m, 1.10 * p) << "plan " << p << " program " << m;
}

TEST(ProgramCodegen, APoolingWindowPastItsFieldIsRefusedNamingTheLayer) {
  Result<std::unique_ptr<Accelerator>> a = make_accelerator("sieve", {});
  ASSERT_TRUE(a.ok());
  LayerWork l;
  l.name = "bigpool";
  l.kind = LayerKind::kPool;
  l.pool_type = "max";
  l.in_c = l.out_c = 4;
  l.in_h = l.in_w = 32;
  l.out_h = l.out_w = 2;
  l.kh = l.kw = l.stride_h = l.stride_w = 16;
  l.input_nz.push_back(compiler::BitVec(l.input_size(), true));
  l.output_nz.push_back(compiler::BitVec(l.output_size(), true));
  Result<Compiled> c = compile_layer(**a, l, SimOptions{});
  ASSERT_FALSE(c.ok());
  const std::string m = c.status().to_string();
  EXPECT_NE(m.find("bigpool"), std::string::npos) << m;
  EXPECT_NE(m.find("16"), std::string::npos) << m;
}

TEST(ProgramCodegen, ArchitecturesWithoutACodeGeneratorAreRefused) {
  Result<std::unique_ptr<Accelerator>> a = make_accelerator("diannao", {});
  ASSERT_TRUE(a.ok());
  const LayerWork l = testing::dense_fc(32, 64);
  SimOptions o;
  Result<compiler::LayerPlan> plan = (*a)->plan(l, o);
  ASSERT_TRUE(plan.ok());
  Result<compiler::codegen::CompiledLayer> c = (*a)->compile(l, *plan, o, {});
  ASSERT_FALSE(c.ok());
  EXPECT_NE(c.status().to_string().find("architecture diannao has no code generator"), std::string::npos)
      << c.status().to_string();
  Result<SimResult> r = (*a)->simulate_programs(testing::one(l), o, IssueMode::kMulti);
  EXPECT_FALSE(r.ok());
}

TEST(ProgramCodegen, WeightsOnChipHasNoProgram) {
  Result<std::unique_ptr<Accelerator>> a = make_accelerator("sieve", {});
  ASSERT_TRUE(a.ok());
  SimOptions o;
  o.weights_on_chip = true;
  Result<Compiled> c = compile_layer(**a, testing::dense_fc(32, 64), o);
  ASSERT_FALSE(c.ok());
  EXPECT_NE(c.status().to_string().find("weights-on-chip"), std::string::npos)
      << c.status().to_string();
}

}  // namespace
}  // namespace sieve::hw
