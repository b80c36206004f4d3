// Fuzz target: the outputs-file reader (io/outputs/outputs.h). The trailing CRC32 is made to
// match before parsing (a mutated file would almost never get past it), and the bytes as given
// are parsed too. An accepted file with at least one sample must serialise back to the same
// bytes (the format has one encoding per tensor).
#include <zlib.h>

#include "fuzz/fuzz.h"
#include "sieve/core/assert.h"
#include "sieve/io/outputs/outputs.h"

namespace sieve::fuzz {

Status outputs(std::string_view input) {
  std::string fixed(input);
  if (fixed.size() >= io::kOutputsHeaderBytes + 4) {
    const size_t body = fixed.size() - 4;
    const uint32_t crc = static_cast<uint32_t>(
        crc32(0L, reinterpret_cast<const Bytef*>(fixed.data()), static_cast<uInt>(body)));
    for (int i = 0; i < 4; ++i) fixed[body + i] = static_cast<char>((crc >> (8 * i)) & 0xff);
  }
  if (fixed != input) (void)io::parse_outputs(input, "fuzz.out");
  Result<Tensor> t = io::parse_outputs(fixed, "fuzz.out");
  if (!t.ok()) return t.status();
  if (t.value().dim(0) > 0) {
    Result<std::string> again = io::serialize_outputs(t.value());
    SIEVE_ASSERT(again.ok(), "{}", again.status().to_string());
    SIEVE_ASSERT(again.value() == fixed, "an accepted outputs file does not round-trip");
  }
  return ok_status();
}

}  // namespace sieve::fuzz

SIEVE_FUZZ_ENTRY(outputs)
