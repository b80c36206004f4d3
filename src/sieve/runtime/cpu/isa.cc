#include "sieve/runtime/cpu/isa.h"

#include <cstdlib>
#include <string>
#include <vector>

namespace sieve::runtime::cpu {

const char* isa_label(Isa isa) {
  switch (isa) {
    case Isa::kScalar: return "scalar";
    case Isa::kAvx2: return "avx2";
    case Isa::kAvx512: return "avx512";
  }
  return "scalar";
}

Isa best_isa_of(const CpuFeatures& cpu) {
  if (cpu.avx512f) return Isa::kAvx512;
  if (cpu.avx2) return Isa::kAvx2;
  return Isa::kScalar;
}

std::vector<Isa> isas_of(const CpuFeatures& cpu) {
  std::vector<Isa> out = {Isa::kScalar};
  if (cpu.avx2) out.push_back(Isa::kAvx2);
  if (cpu.avx512f) out.push_back(Isa::kAvx512);
  return out;
}

namespace {

// A forced path by name; `source` spells the request in messages ("--isa avx2",
// "SIEVE_ISA=avx2").
Result<Isa> forced(std::string_view name, const CpuFeatures& cpu, const std::string& source) {
  if (name == "scalar" || name == "generic") return Isa::kScalar;
  if (name == "avx2") {
    if (!cpu.avx2) return invalid_argument("{}: the CPU has no avx2", source);
    return Isa::kAvx2;
  }
  if (name == "avx512") {
    if (!cpu.avx512f) return invalid_argument("{}: the CPU has no avx512f", source);
    return Isa::kAvx512;
  }
  return invalid_argument(
      "{}: unknown ISA path; valid: auto, native, scalar (or generic), avx2, avx512", source);
}

}  // namespace

Result<Isa> select_isa(std::string_view requested, const CpuFeatures& detected,
                       std::string_view env_isa) {
  if (!requested.empty() && requested != "auto") {
    if (requested == "native") return best_isa_of(detected);
    return forced(requested, detected, "--isa " + std::string(requested));
  }
  if (env_isa.empty() || env_isa == "native") return best_isa_of(detected);
  return forced(env_isa, detected, std::string(kIsaEnv) + "=" + std::string(env_isa));
}

Result<Isa> select_isa(std::string_view requested) {
  const char* env = std::getenv(kIsaEnv);
  return select_isa(requested, detected_cpu_features(), env != nullptr ? env : "");
}

}  // namespace sieve::runtime::cpu
