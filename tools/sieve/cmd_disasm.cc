// sieve disasm FILE.bin: prints a binary Sieve program (docs/formats/isa.md) as canonical
// assembly text, which `sieve asm` turns back into the same bytes. A malformed file (bad
// magic, version, CRC32, a truncated word, a bad opcode or operand) is an error naming the
// word, the slot, the field and the value, and exits 1.
#include <cstdio>
#include <memory>
#include <string>

#include <nlohmann/json.hpp>

#include "command.h"
#include "sieve/compiler/isa/isa.h"
#include "sieve/core/atomic_file.h"

namespace sieve::cli {

namespace {

int run_disasm(const std::string& in, bool json) {
  Result<std::string> bytes = read_file(in);
  if (!bytes.ok()) return fail(bytes.status());
  Result<compiler::isa::Program> p = compiler::isa::decode(bytes.value(), in);
  if (!p.ok()) return fail(p.status());
  const std::string text = compiler::isa::disassemble(p.value());
  if (json) {  // the same text, one string per line
    nlohmann::json lines = nlohmann::json::array();
    size_t at = 0;
    while (at < text.size()) {
      const size_t nl = text.find('\n', at);
      lines.push_back(text.substr(at, nl == std::string::npos ? nl : nl - at));
      if (nl == std::string::npos) break;
      at = nl + 1;
    }
    const nlohmann::json j = {{"file", in}, {"words", p.value().words.size()}, {"lines", lines}};
    std::printf("%s\n", j.dump(2).c_str());
    return 0;
  }
  std::fwrite(text.data(), 1, text.size(), stdout);
  return 0;
}

}  // namespace

void add_disasm_command(CLI::App& app) {
  auto in = std::make_shared<std::string>();
  CLI::App* sub = app.add_subcommand(
      "disasm", "Print a binary Sieve accelerator program as assembly text (docs/formats/isa.md)");
  sub->add_option("FILE", *in, "binary program (.bin)")->required();
  auto json = std::make_shared<bool>(false);
  sub->add_flag("--json", *json, "print {file, words, lines}: the assembly text, one string a line");
  on_run(sub, [in, json] { return run_disasm(*in, *json); });
}

}  // namespace sieve::cli
