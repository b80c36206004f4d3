// sieve asm FILE.s -o FILE.bin: assembles a Sieve program (the VLIW instruction set of
// src/sieve/compiler/isa/isa.def; text and binary formats in docs/formats/isa.md) and writes
// the binary atomically. Errors name the file, the line, the instruction, the field and the
// value, and exit 1.
#include <cstdio>
#include <memory>
#include <string>

#include <nlohmann/json.hpp>

#include "command.h"
#include "sieve/compiler/isa/isa.h"
#include "sieve/core/atomic_file.h"

namespace sieve::cli {

namespace {

struct AsmArgs {
  std::string in;
  std::string out;
  bool json = false;
};

int run_asm(const AsmArgs& a) {
  Result<std::string> text = read_file(a.in);
  if (!text.ok()) return fail(text.status());
  Result<compiler::isa::Program> p = compiler::isa::assemble(text.value(), a.in);
  if (!p.ok()) return fail(p.status());
  const std::string bin = compiler::isa::encode(p.value());
  const Status st = write_file_atomic(a.out, bin);
  if (!st.ok()) return fail(st);
  if (a.json) {
    const nlohmann::json j = {
        {"out", a.out}, {"words", p.value().words.size()}, {"bytes", bin.size()}};
    std::printf("%s\n", j.dump(2).c_str());
    return 0;
  }
  std::printf("%s: %zu words, %zu bytes\n", a.out.c_str(), p.value().words.size(), bin.size());
  return 0;
}

}  // namespace

void add_asm_command(CLI::App& app) {
  auto a = std::make_shared<AsmArgs>();
  CLI::App* sub = app.add_subcommand(
      "asm", "Assemble a Sieve accelerator program (VLIW text, docs/formats/isa.md) to binary");
  sub->add_option("FILE", a->in, "assembly text (.s)")->required();
  sub->add_option("-o,--out", a->out, "binary program to write (atomically)")->required();
  sub->add_flag("--json", a->json, "print {out, words, bytes}");
  on_run(sub, [a] { return run_asm(*a); });
}

}  // namespace sieve::cli
