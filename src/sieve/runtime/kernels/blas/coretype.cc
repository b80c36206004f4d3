#include "sieve/runtime/kernels/blas/coretype.h"

#include <fmt/format.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <iterator>
#include <vector>

#include "sieve/runtime/kernels/blas/blas.h"

namespace sieve::runtime::blas {

namespace {

constexpr const char* kCoretypeVar = "OPENBLAS_CORETYPE";
constexpr const char* kReexecVar = "SIEVE_OPENBLAS_REEXEC";
constexpr const char* kDisableVar = "SIEVE_OPENBLAS_FIX";
constexpr const char* kAssumeVar = "SIEVE_OPENBLAS_ASSUME_CORENAME";

bool env_set(const char* name) {
  const char* v = std::getenv(name);
  return v != nullptr && v[0] != '\0';
}

std::string detected_corename() {
  const char* assumed = std::getenv(kAssumeVar);
  if (assumed != nullptr && assumed[0] != '\0') return assumed;
  return corename();
}

// argv of this process as the kernel recorded it (works before main, from static initializers).
std::vector<std::string> own_argv() {
  std::ifstream in("/proc/self/cmdline", std::ios::binary);
  std::string all((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  std::vector<std::string> args;
  std::string cur;
  for (char ch : all) {
    if (ch == '\0') {
      args.push_back(cur);
      cur.clear();
    } else {
      cur.push_back(ch);
    }
  }
  if (!cur.empty()) args.push_back(cur);
  return args;
}

}  // namespace

CpuFeatures detect_cpu_features() {
  return ::sieve::cpu_features();
}

std::string recommended_coretype(std::string_view detected, const CpuFeatures& cpu) {
  // Only the known misdetection is corrected; any other choice of the library is trusted.
  if (detected != "Prescott") return "";
  if (cpu.avx512f) return "SkylakeX";
  if (cpu.avx2) return "Haswell";
  return "";
}

std::string capped_coretype(const CpuFeatures& capped) {
  if (capped.avx512f) return "";
  return capped.avx2 ? "Haswell" : "Prescott";
}

void ensure_fast_coretype() {
  if (env_set(kCoretypeVar) || env_set(kReexecVar)) return;
  const char* disable = std::getenv(kDisableVar);
  if (disable != nullptr && std::string_view(disable) == "0") return;
  const std::string detected = detected_corename();
  const CpuFeatures cpu = detect_cpu_features();
  std::string want = recommended_coretype(detected, cpu);
  // SIEVE_ISA took features away: OpenBLAS must not use them either.
  if (want.empty() && ::sieve::cpu_features_capped()) want = capped_coretype(cpu);
  if (want.empty() || want == detected) return;
  std::vector<std::string> args = own_argv();
  if (args.empty()) return;
  std::vector<char*> argv;
  for (std::string& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  setenv(kCoretypeVar, want.c_str(), 1);
  setenv(kReexecVar, detected.c_str(), 1);
  std::fflush(nullptr);
  execv("/proc/self/exe", argv.data());
  // Only reached when exec failed: carry on with the slow kernels rather than die.
  std::fprintf(stderr,
               "sieve: warning: could not re-execute with %s=%s; OpenBLAS keeps the slow %s "
               "kernels\n",
               kCoretypeVar, want.c_str(), detected.c_str());
  unsetenv(kCoretypeVar);
}

std::string core_report() {
  const std::string name = corename();
  const char* reexec = std::getenv(kReexecVar);
  const char* coretype = std::getenv(kCoretypeVar);
  if (reexec != nullptr && reexec[0] != '\0' && coretype != nullptr) {
    const char* isa = std::getenv(::sieve::kIsaEnv);
    const std::string why =
        isa != nullptr && isa[0] != '\0' ? fmt::format("; {}={}", ::sieve::kIsaEnv, isa) : "";
    return fmt::format("{} ({}={} set by sieve; OpenBLAS had picked {}{})", name, kCoretypeVar,
                       coretype, reexec, why);
  }
  if (coretype != nullptr && coretype[0] != '\0') {
    return fmt::format("{} ({}={} from environment)", name, kCoretypeVar, coretype);
  }
  return fmt::format("{} (detected)", name);
}

}  // namespace sieve::runtime::blas
