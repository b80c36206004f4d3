#include "sieve/core/cpu.h"

#if defined(__x86_64__) || defined(__i386__)
#include <cpuid.h>
#endif

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <string>

namespace sieve {

CpuFeatures detected_cpu_features() {
  CpuFeatures f;
#if defined(__x86_64__) || defined(__i386__)
  __builtin_cpu_init();
  f.avx512f = __builtin_cpu_supports("avx512f") != 0;
  f.avx2 = __builtin_cpu_supports("avx2") != 0;
  f.bmi2 = __builtin_cpu_supports("bmi2") != 0;
  f.fma = __builtin_cpu_supports("fma") != 0;
  f.avx512vnni = __builtin_cpu_supports("avx512vnni") != 0;
  // AVX-VNNI (CPUID.(EAX=7,ECX=1):EAX bit 4) by cpuid: clang 14's __builtin_cpu_supports does
  // not know "avxvnni" (and fails to compile). Its VEX registers are AVX2's, whose OS support
  // the builtin already checked.
  unsigned a = 0, b = 0, c = 0, d = 0;
  f.avxvnni = f.avx2 && __get_cpuid_count(7, 1, &a, &b, &c, &d) != 0 && (a & (1u << 4)) != 0;
  f.avx512bw = __builtin_cpu_supports("avx512bw") != 0;
  f.avx512vbmi = __builtin_cpu_supports("avx512vbmi") != 0;
#endif
  return f;
}

Result<CpuFeatures> cap_cpu_features(const CpuFeatures& cpu, std::string_view isa) {
  CpuFeatures f = cpu;
  if (isa.empty() || isa == "native") return f;
  if (isa == "avx512") return f;
  if (isa == "avx2") {
    f.avx512f = false;
    f.avx512vnni = false;
    f.avx512bw = false;
    f.avx512vbmi = false;
    return f;
  }
  if (isa == "generic" || isa == "scalar") return CpuFeatures{};
  return invalid_argument("{}={}: unknown value; valid: native, avx512, avx2, generic (or scalar)", kIsaEnv,
                          isa);
}

namespace {

// The environment is read once: the answer must not change while code relies on it.
struct Resolved {
  CpuFeatures features;
  bool capped = false;
};

const Resolved& resolved() {
  static const Resolved r = [] {
    const CpuFeatures cpu = detected_cpu_features();
    const char* v = std::getenv(kIsaEnv);
    Result<CpuFeatures> f = cap_cpu_features(cpu, v != nullptr ? v : "");
    Resolved out;
    if (f.ok()) {
      out.features = *f;
    } else {
      std::fprintf(stderr, "sieve: warning: %s; using generic\n", f.status().message().c_str());
      out.features = CpuFeatures{};
    }
    out.capped = out.features.avx512f != cpu.avx512f || out.features.avx2 != cpu.avx2 ||
                 out.features.bmi2 != cpu.bmi2 || out.features.fma != cpu.fma ||
                 out.features.avx512vnni != cpu.avx512vnni || out.features.avxvnni != cpu.avxvnni ||
                 out.features.avx512bw != cpu.avx512bw ||
                 out.features.avx512vbmi != cpu.avx512vbmi;
    return out;
  }();
  return r;
}

}  // namespace

CpuFeatures cpu_features() {
  return resolved().features;
}

bool cpu_features_capped() {
  return resolved().capped;
}

std::string host_cpu_name() {
  std::ifstream in("/proc/cpuinfo");
  std::string line;
  while (std::getline(in, line)) {
    if (!line.starts_with("model name")) continue;
    const size_t colon = line.find(':');
    if (colon == std::string::npos) break;
    size_t b = line.find_first_not_of(" \t", colon + 1);
    return b == std::string::npos ? std::string("unknown CPU") : line.substr(b);
  }
  return "unknown CPU";
}

}  // namespace sieve
