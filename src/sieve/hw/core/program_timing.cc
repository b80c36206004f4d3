// Program timing (program_timing.h).
#include "sieve/hw/core/program_timing.h"

#include <algorithm>
#include <cmath>
#include <vector>

namespace sieve::hw {
namespace {

using compiler::isa::Insn;
using compiler::isa::Op;
using compiler::isa::Unit;


}  // namespace

const char* issue_mode_name(IssueMode m) {
  return m == IssueMode::kMulti ? "multi-issue" : "single-issue";
}

Result<ProgramTiming> time_program(const compiler::isa::Program& p, const MemorySpec& memory,
                                   IssueMode mode, const CostFn& cost, int64_t max_words) {
  namespace isa = compiler::isa;
  ProgramTiming out;
  std::array<int64_t, 16> regs{};
  std::array<int64_t, isa::kSlots> finish{};  // when each unit's last instruction finishes
  // Finish times of every instruction of the waiting units, in issue order (in-order units:
  // non-decreasing), for the syncs' counts.
  std::array<std::vector<int64_t>, isa::kSyncUnits> done_at;
  std::array<double, 2> port_free{};  // load, store: when the port's last transfer ends
  int64_t t_prev = -1;
  size_t pc = 0;
  while (true) {
    if (pc >= p.words.size())
      return invalid_argument("the program ran past its last word ({} words) without halt",
                              p.words.size());
    if (out.words >= max_words)
      return invalid_argument("the program did not halt within {} words (at word {})", max_words,
                              pc);
    const isa::Bundle& b = p.words[pc];
    const Insn& ctl = b.slot[static_cast<size_t>(Unit::kControl)];
    int64_t t = t_prev + 1;
    int64_t ready = t;
    if (mode == IssueMode::kSingle) {
      for (int64_t f : finish) ready = std::max(ready, f);
    } else if (ctl.op == Op::sync) {
      const auto counts = isa::sync_counts(ctl);
      for (size_t u = 0; u < counts.size(); ++u) {
        const auto n = static_cast<int64_t>(done_at[u].size());
        if (counts[u] == isa::kSyncNoWait || n <= counts[u]) continue;
        ready = std::max(ready, done_at[u][static_cast<size_t>(n - 1 - counts[u])]);
      }
    }
    out.sync_wait += ready - t;
    t = ready;
    ++out.words;
    size_t next = pc + 1;
    bool halted = false;
    std::array<int64_t, 16> seen = regs;  // every instruction of the word reads the same regs
    for (size_t s = 0; s < b.slot.size(); ++s) {
      const Insn& in = b.slot[s];
      if (in.empty()) continue;
      ++out.instructions;
      const auto u = static_cast<Unit>(s);
      switch (u) {
        case Unit::kLoad:
        case Unit::kStore: {
          SIEVE_ASSIGN_OR_RETURN(InsnCost c, cost(in, seen));
          if (c.bytes <= 0) {
            done_at[s].push_back(std::max(t, finish[s]));
            break;
          }
          const double bw =
              u == Unit::kLoad ? memory.load_bytes_per_cycle : memory.store_bytes_per_cycle;
          // The port's busy-until time is kept exact (fractional): transfers that follow each
          // other on a port cost ceil(sum of bytes / bandwidth), as the N + 2 model counts a
          // step's loads, not one rounded-up cycle each. Consumers see the ceiling.
          double& pf = port_free[s == static_cast<size_t>(Unit::kLoad) ? 0 : 1];
          int64_t& f = finish[s];
          const double start =
              std::max(static_cast<double>(t + memory.startup_cycles), pf);
          pf = start + static_cast<double>(c.bytes) / bw;
          const auto end = static_cast<int64_t>(std::ceil(pf - 1e-9));
          (u == Unit::kLoad ? out.load_busy : out.store_busy) += end - std::max(t, f);
          f = end;
          done_at[s].push_back(end);
          break;
        }
        case Unit::kMatrix:
        case Unit::kVector: {
          SIEVE_ASSIGN_OR_RETURN(InsnCost c, cost(in, seen));
          int64_t& f = finish[s];
          f = std::max(t, f) + std::max<int64_t>(0, c.cycles);
          done_at[s].push_back(f);
          (u == Unit::kMatrix ? out.matrix_busy : out.vector_busy) += std::max<int64_t>(0, c.cycles);
          break;
        }
        case Unit::kScalar: {
          auto r = [&](const char* name) { return seen[static_cast<size_t>(isa::operand(in, name))]; };
          const auto rd = static_cast<size_t>(isa::operand(in, "rd"));
          int64_t v = 0;
          if (in.op == Op::sset) v = isa::operand(in, "imm");
          if (in.op == Op::saddi) v = r("ra") + isa::operand(in, "imm");
          if (in.op == Op::sadd) v = r("ra") + r("rb");
          if (in.op == Op::smul) v = r("ra") * r("rb");
          if (rd != 0) regs[rd] = v;
          finish[s] = std::max(finish[s], t + 1);
          break;
        }
        case Unit::kControl:
          if (in.op == Op::jmp) next = static_cast<size_t>(isa::operand(in, "target"));
          if (in.op == Op::bnz && seen[static_cast<size_t>(isa::operand(in, "ra"))] != 0)
            next = static_cast<size_t>(isa::operand(in, "target"));
          if (in.op == Op::halt) halted = true;
          break;
      }
    }
    t_prev = t;
    if (halted) {
      int64_t end = t;
      for (int64_t f : finish) end = std::max(end, f);
      out.cycles = end;
      return out;
    }
    pc = next;
  }
}

}  // namespace sieve::hw
