#include "sieve/runtime/cpu/isa.h"

#include <cstdlib>
#include <string>
#include <vector>

namespace sieve::runtime::cpu {

namespace bsr = kernels::bsr;

const char* isa_label(Isa isa) {
  return bsr::isa_name(isa);
}

Isa best_isa_of(const CpuFeatures& cpu) {
  return bsr::best_isa(cpu);
}

std::vector<Isa> isas_of(const CpuFeatures& cpu) {
  std::vector<Isa> out;
  for (Isa isa : {Isa::kScalar, Isa::kAvx2, Isa::kAvx512})
    if (bsr::isa_for(isa_label(isa), cpu).ok()) out.push_back(isa);
  return out;
}

namespace {

// A forced path by name (the kernel family's rules, bsr::isa_for); `source` spells the request
// in messages ("--isa avx2", "SIEVE_ISA=avx2").
Result<Isa> forced(std::string_view name, const CpuFeatures& cpu, const std::string& source) {
  Result<Isa> r = bsr::isa_for(name, cpu);
  if (r.ok()) return r;
  if (r.status().code() == StatusCode::kFailedPrecondition)  // "avx2: the CPU has no fma"
    return invalid_argument("{}{}", source, r.status().message().substr(name.size()));
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
