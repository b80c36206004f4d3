// OpenBLAS core-type fix. Debian's OpenBLAS 0.3.21 (a DYNAMIC_ARCH build) reports
// openblas_get_corename() == "Prescott" on some recent AVX-512 Intel cores and then runs SGEMM
// 4-5x slower than it should. OPENBLAS_CORETYPE=SkylakeX (or Haswell on AVX2-only CPUs) fixes
// it, but the library reads that variable when it is loaded, before main(), so a running
// process cannot fix itself: ensure_fast_coretype() sets the variable and re-executes
// /proc/self/exe with the same argv.
//
// Who calls it: tools/sieve/main.cc (first statement of main), the test binary and the
// benchmark binary (a static initializer in tests/unit/train_blas_test.cc and
// bench/gemm_bench.cc, which runs after the library's own constructor and before main).
//
// Environment:
//   OPENBLAS_CORETYPE             if set (by anyone), nothing is changed.
//   SIEVE_OPENBLAS_FIX=0          disables the fix.
//   SIEVE_OPENBLAS_REEXEC         set by the re-exec to the core OpenBLAS had picked; guards
//                                 against loops and lets core_report() say what happened.
//   SIEVE_OPENBLAS_ASSUME_CORENAME  testing hook: decide as if OpenBLAS had picked this core
//                                 (lets a test exercise the re-exec on any machine).
//   SIEVE_ISA=avx2|generic        (core/cpu.h) run as on a CPU without AVX-512 (or without AVX2
//                                 either): the CPU features below are capped, and OpenBLAS is
//                                 switched to its Haswell (or Prescott) kernels by the same
//                                 re-exec, so that the AVX2-only code paths can be tested on an
//                                 AVX-512 machine.
// Thread-safety: call ensure_fast_coretype() before any thread is started.
#pragma once

#include <string>
#include <string_view>

#include "sieve/core/cpu.h"

namespace sieve::runtime::blas {

using CpuFeatures = ::sieve::CpuFeatures;

// The CPU's features as Sieve uses them: sieve::cpu_features(), i.e. capped by $SIEVE_ISA.
CpuFeatures detect_cpu_features();

// The OPENBLAS_CORETYPE value to use when OpenBLAS picked `detected` on a CPU with `cpu`, or ""
// when the detected core is fine: Prescott on AVX-512F -> "SkylakeX", on AVX2 -> "Haswell".
std::string recommended_coretype(std::string_view detected, const CpuFeatures& cpu);

// The OPENBLAS_CORETYPE that matches features capped by SIEVE_ISA: "Haswell" with AVX2 and no
// AVX-512F, "Prescott" without AVX2, "" with AVX-512F (no change).
std::string capped_coretype(const CpuFeatures& capped);

// Sets OPENBLAS_CORETYPE and re-executes the process when recommended_coretype() says so and
// the variable is unset. Returns only when no re-exec is needed or it failed (then it prints a
// warning to stderr and the process goes on with the slow kernels).
void ensure_fast_coretype();

// One line for logs, e.g. "SkylakeX (OPENBLAS_CORETYPE=SkylakeX set by sieve; OpenBLAS had
// picked Prescott)", "Cooperlake (detected)", "Haswell (OPENBLAS_CORETYPE from environment)".
std::string core_report();

}  // namespace sieve::runtime::blas
