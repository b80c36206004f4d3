// The CPU features Sieve's own code consults, in one place, with an override for tests and for
// running the AVX2-only or generic code paths on a machine that has more.
//
// Environment:
//   SIEVE_ISA=native   (or unset) what the CPU reports (cpuid via __builtin_cpu_supports).
//   SIEVE_ISA=avx512   at most AVX-512F (+BW, VBMI, VNNI), AVX2 (+AVX-VNNI), FMA and BMI2 (each
//                      only if the CPU has it): what the CPU reports, since no feature above
//                      these is used.
//   SIEVE_ISA=avx2     at most AVX2, AVX-VNNI, FMA and BMI2: no AVX-512 code paths (AVX-512F,
//                      BW, VBMI and AVX512-VNNI are taken away; AVX-VNNI is VEX-encoded, an
//                      AVX2-level path).
//   SIEVE_ISA=generic  none of them: x86-64 baseline code paths only ("scalar" is the same).
// The override can only take features away (a feature the CPU lacks is never reported), so any
// value is safe on any machine. Who reads it: the Sieve perf model's select-bit (BMI2 PDEP or a
// byte table), the OpenBLAS core-type choice (runtime/kernels/blas/coretype.h: with avx2 or
// generic, OpenBLAS is switched to its Haswell or Prescott kernels) and the CPU runtime's kernel
// paths (runtime/kernels/bsr/bsr.h: best_isa, isa_for). Results do not depend on
// it, except OpenBLAS's float rounding (docs/ARCHITECTURE.md, "Determinism").
// Thread-safety: cpu_features() is safe from any thread.
#pragma once

#include <string>
#include <string_view>

#include "sieve/core/status.h"

namespace sieve {

struct CpuFeatures {
  bool avx512f = false;
  bool avx2 = false;
  bool bmi2 = false;
  bool fma = false;         // FMA3 (the AVX2 kernel paths need it with avx2)
  bool avx512vnni = false;  // AVX512-VNNI (EVEX int8 dot products)
  bool avxvnni = false;     // AVX-VNNI (the same dot products, VEX-encoded, on AVX2 CPUs)
  bool avx512bw = false;    // AVX512-BW (byte shuffles on zmm: the int8 route's vpshufb decode)
  bool avx512vbmi = false;  // AVX512-VBMI (vpermb: the int8 route's decode without masking)
};

inline constexpr const char* kIsaEnv = "SIEVE_ISA";

// What the CPU itself reports, ignoring SIEVE_ISA.
CpuFeatures detected_cpu_features();

// `cpu` capped by an SIEVE_ISA value ("" = native). Unknown value: InvalidArgument naming it
// and the valid values.
Result<CpuFeatures> cap_cpu_features(const CpuFeatures& cpu, std::string_view isa);

// detected_cpu_features() capped by $SIEVE_ISA. An invalid value is reported once on stderr as
// a warning and treated as "generic" (the choice that runs on any CPU).
CpuFeatures cpu_features();

// True when $SIEVE_ISA takes away a feature the CPU has.
bool cpu_features_capped();

// The CPU's model name as /proc/cpuinfo gives it ("Intel(R) Xeon(R) Processor"), for reports
// of timed figures; "unknown CPU" where it cannot be read.
std::string host_cpu_name();

}  // namespace sieve
