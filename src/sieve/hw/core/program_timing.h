// The timing of a program on a multi-issue controller (thesis §4.2.3, §5.1.2): the event-driven
// performance model fed by an instruction stream instead of a plan. Load, compute, store and
// sync events come from the instructions; what each one costs (bytes moved, cycles computed)
// the architecture says, in issue order, through a callback.
//
// The machine (docs/compiler.md, "Issue"):
//   * Multi-issue. Words issue in order, one a cycle; a word holding `sync` issues once, on each
//     unit, at most the sync's count of the instructions issued earlier on it are unfinished. Each unit runs its
//     instructions in order: a compute instruction starts when its word has issued and the
//     unit's previous instruction has finished. The two off-chip ports (load, store; the memory
//     is dual-ported) stream back to back: a transfer's data starts t_start after it issues, or
//     when the port's previous transfer ends if that is later, and takes ceil(bytes / bandwidth)
//     (a zero-byte transfer costs nothing). So a step's loads cost t_start + Σ bytes / bandwidth
//     as the plan-driven N + 2 model counts them, up to one cycle of rounding per transfer.
//   * Single-issue (the ablation; thesis §4.2.3: "a single-issue controller has to wait for the
//     IO instructions to move their data before it issues the next compute instruction"): a word
//     issues once every earlier instruction has finished.
//   * Scalar instructions take one cycle and their registers are read by the next word; `jmp`,
//     `bnz` redirect the word after theirs; `halt` ends the program when every unit is done.
//
// Pure function of its inputs; thread-safe.
#pragma once

#include <array>
#include <cstdint>
#include <functional>

#include "sieve/compiler/isa/isa.h"
#include "sieve/core/status.h"
#include "sieve/hw/core/events.h"

namespace sieve::hw {

enum class IssueMode { kMulti, kSingle };
const char* issue_mode_name(IssueMode m);  // "multi-issue", "single-issue"

// What one instruction costs: bytes moved (ld, st) or cycles (matrix, vector).
struct InsnCost {
  int64_t bytes = 0;
  int64_t cycles = 0;
};
// Asked once per executed instruction, in issue order, with the registers as that word sees
// them (r0..r15). An error stops the run.
using CostFn = std::function<Result<InsnCost>(const compiler::isa::Insn&,
                                              const std::array<int64_t, 16>& regs)>;

struct ProgramTiming {
  int64_t cycles = 0;        // when the last unit finished (or halt issued, if later)
  int64_t words = 0;         // words issued (a loop's words once per iteration)
  int64_t instructions = 0;  // instructions issued
  int64_t load_busy = 0, store_busy = 0;      // cycles each port moved data (t_start included)
  int64_t matrix_busy = 0, vector_busy = 0;   // cycles each compute unit ran
  int64_t sync_wait = 0;     // cycles words waited on syncs (single-issue: on everything)
};

// Runs `p` from word 0 to `halt`. Errors: a cost error, a program that runs `max_words` words
// without halting, or one that runs off its end.
Result<ProgramTiming> time_program(const compiler::isa::Program& p, const MemorySpec& memory,
                                   IssueMode mode, const CostFn& cost,
                                   int64_t max_words = int64_t{1} << 32);

}  // namespace sieve::hw
