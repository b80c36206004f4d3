// Which code path the CPU engine runs (issue 11): the ISA paths of the kernel families
// (runtime/kernels/bsr/bsr.h's Isa: scalar, avx2, avx512), chosen from the CPU's features at run
// time or forced by name, so that tests can run every path the machine has.
//
// Contract of select_isa():
//   * `requested` is what the user asked for ("" or "auto": no request). Without a request the
//     value of $SIEVE_ISA decides (core/cpu.h): unset, "" or "native" = the best path of the CPU;
//     "generic" or "scalar", "avx2", "avx512" force that path.
//   * Names: "scalar" (= "generic"), "avx2", "avx512". An unknown name is an error naming it and
//     the valid names. A forced path the CPU lacks is an error naming the missing feature
//     ("avx512: the CPU has no avx512f"); nothing is silently downgraded.
//   * The kernel family's rules decide (bsr::best_isa, bsr::isa_for): AVX-512 needs avx512f;
//     AVX2 needs avx2 and fma.
// What the path changes: the block-sparse kernels (bsr::spmm) run on it. The dense layers run
// on OpenBLAS, whose kernels are chosen when the library is loaded (runtime/kernels/blas/
// coretype.h: $SIEVE_ISA caps them too, by re-executing the process; --isa cannot).
// Thread-safety: pure functions (select_isa_from_environment reads the environment).
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "sieve/core/cpu.h"
#include "sieve/core/status.h"
#include "sieve/runtime/kernels/bsr/bsr.h"

namespace sieve::runtime::cpu {

using Isa = kernels::bsr::Isa;

const char* isa_label(Isa isa);  // "scalar", "avx2", "avx512"
// The best path `cpu` supports.
Isa best_isa_of(const CpuFeatures& cpu);
// The paths `cpu` supports, scalar first.
std::vector<Isa> isas_of(const CpuFeatures& cpu);
// `requested` ("" / "auto" = none; "native" = the best path) on a CPU with `detected`
// features, $SIEVE_ISA being `env_isa` ("" when unset). Messages spell the request as
// "--isa NAME" or "SIEVE_ISA=NAME".
Result<Isa> select_isa(std::string_view requested, const CpuFeatures& detected,
                       std::string_view env_isa);
// select_isa with detected_cpu_features() and the real $SIEVE_ISA.
Result<Isa> select_isa(std::string_view requested);

}  // namespace sieve::runtime::cpu
