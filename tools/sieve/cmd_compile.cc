// sieve compile --model M [--arch sieve] [--emit plan|asm|bin] [--layer L] [-o FILE]
// [--single-issue] [workload options]: the compiler's back-end (docs/compiler.md). Every layer's
// plan (the one sieve tile prints and sieve simulate runs) turned into a program of the Sieve
// instruction set (docs/formats/isa.md): DRAM layout, ping-pong halves, loads, mxv / vector
// instructions, stores, software-pipelined and packed into VLIW words by the static dependency
// analysis. --emit plan prints the plans with the code's layout and counts, asm the assembly
// text (sieve asm reads it back), bin the binary program (needs -o). Outputs are written
// atomically. An arch without a code generator, an unknown --emit, an unknown --layer exit 1
// naming them.
#include <cstdio>
#include <memory>
#include <string>

#include "command.h"
#include "sieve/compiler/isa/isa.h"
#include "sieve/core/atomic_file.h"
#include "sieve/hw/sim/run.h"
#include "sim_args.h"

namespace sieve::cli {
namespace {

struct CompileArgs {
  SimArgs sim;
  std::string emit = "asm";
  std::string out;
  bool single_issue = false;
};

int run_compile(CompileArgs& a) {
  if (a.emit != "plan" && a.emit != "asm" && a.emit != "bin")
    return fail(invalid_argument("--emit \"{}\": expected plan, asm or bin", a.emit));
  if (a.emit == "bin" && a.out.empty())
    return fail(invalid_argument("--emit bin writes a binary program: give -o FILE"));
  Result<hw::Workload> w = workload_for(a.sim, nullptr);
  if (!w.ok()) return fail(w.status());
  hw::ArchRun run{a.sim.arch, a.sim.params, {}};
  run.options.mode = a.sim.mode;
  run.options.weights_on_chip = a.sim.weights_on_chip;
  Result<hw::CompileReport> r = hw::compile_workload(
      *w, run, a.sim.layer, a.single_issue ? hw::IssueMode::kSingle : hw::IssueMode::kMulti);
  if (!r.ok()) return fail(r.status().with_context("--arch " + a.sim.arch));
  std::string text;
  if (a.emit == "plan") {
    text = hw::compile_plan_text(*r);
  } else if (a.emit == "asm") {
    text = compiler::isa::disassemble(r->linked.program, r->linked.comments);
  } else {
    text = compiler::isa::encode(r->linked.program);
  }
  if (a.out.empty()) {
    std::fwrite(text.data(), 1, text.size(), stdout);
    return 0;
  }
  const Status st = write_file_atomic(a.out, text);
  if (!st.ok()) return fail(st);
  std::fprintf(stderr, "%s: %zu words, %zu bytes\n", a.out.c_str(),
               r->linked.program.words.size(), text.size());
  return 0;
}

}  // namespace

void add_compile_command(CLI::App& app) {
  auto a = std::make_shared<CompileArgs>();
  CLI::App* sub = app.add_subcommand(
      "compile",
      "Generate the accelerator program of a model (thesis §4.3.2): plans, DRAM layout, "
      "instructions, dependency analysis, VLIW packing; as plans, assembly or binary");
  sub->add_option("--arch", a->sim.arch, "arch name, preset (configs/archs) or .yaml file")
      ->capture_default_str();
  add_workload_options(sub, a->sim);
  sub->add_option("--emit", a->emit, "what to write: plan, asm (assembly text) or bin (binary)")
      ->capture_default_str();
  sub->add_option("--layer", a->sim.layer, "only this layer (graph node name)");
  sub->add_option("-o,--out", a->out, "write to this file (atomically) instead of stdout");
  sub->add_flag("--single-issue", a->single_issue,
                "one instruction a word (the single-issue controller of the ablation)");
  on_run(sub, [a] { return run_compile(*a); });
}

}  // namespace sieve::cli
