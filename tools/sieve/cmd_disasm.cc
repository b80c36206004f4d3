// sieve disasm FILE.bin: prints a binary Sieve program (docs/formats/isa.md) as canonical
// assembly text, which `sieve asm` turns back into the same bytes. A malformed file (bad
// magic, version, CRC32, a truncated word, a bad opcode or operand) is an error naming the
// word, the slot, the field and the value, and exits 1.
#include <cstdio>
#include <memory>
#include <string>

#include "command.h"
#include "sieve/compiler/isa/isa.h"
#include "sieve/core/atomic_file.h"

namespace sieve::cli {

namespace {

int run_disasm(const std::string& in) {
  Result<std::string> bytes = read_file(in);
  if (!bytes.ok()) return fail(bytes.status());
  Result<compiler::isa::Program> p = compiler::isa::decode(bytes.value(), in);
  if (!p.ok()) return fail(p.status());
  const std::string text = compiler::isa::disassemble(p.value());
  std::fwrite(text.data(), 1, text.size(), stdout);
  return 0;
}

}  // namespace

void add_disasm_command(CLI::App& app) {
  auto in = std::make_shared<std::string>();
  CLI::App* sub = app.add_subcommand(
      "disasm", "Print a binary Sieve accelerator program as assembly text (docs/formats/isa.md)");
  sub->add_option("FILE", *in, "binary program (.bin)")->required();
  on_run(sub, [in] { return run_disasm(*in); });
}

}  // namespace sieve::cli
