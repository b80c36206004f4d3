// Fuzz target: the binary program reader of the Sieve instruction set
// (compiler/isa/isa.h decode, what `sieve disasm` runs). The header's CRC32 is made to match
// before decoding (a mutated file would almost never get past it), and the bytes as given are
// decoded too. An accepted program must encode back to the same bytes (each program has one
// encoding: reserved bits are zero) and survive disassemble -> assemble unchanged.
#include <zlib.h>

#include "fuzz/fuzz.h"
#include "sieve/compiler/isa/isa.h"
#include "sieve/core/assert.h"

namespace sieve::fuzz {

Status isa(std::string_view input) {
  namespace isa = compiler::isa;
  std::string fixed(input);
  if (fixed.size() >= isa::kHeaderBytes) {
    const size_t body = fixed.size() - isa::kHeaderBytes;
    const uint32_t crc = static_cast<uint32_t>(
        crc32(0L, reinterpret_cast<const Bytef*>(fixed.data() + isa::kHeaderBytes),
              static_cast<uInt>(body)));
    for (int i = 0; i < 4; ++i) fixed[12 + i] = static_cast<char>((crc >> (8 * i)) & 0xff);
  }
  if (fixed != input) (void)isa::decode(input, "fuzz.bin");
  Result<isa::Program> p = isa::decode(fixed, "fuzz.bin");
  if (!p.ok()) return p.status();
  SIEVE_ASSERT(isa::encode(p.value()) == fixed, "an accepted program does not re-encode");
  Result<isa::Program> again = isa::assemble(isa::disassemble(p.value()), "fuzz.s");
  SIEVE_ASSERT(again.ok(), "{}", again.status().to_string());
  SIEVE_ASSERT(again.value() == p.value(), "disassemble -> assemble changed the program");
  return ok_status();
}

}  // namespace sieve::fuzz

SIEVE_FUZZ_ENTRY(isa)
