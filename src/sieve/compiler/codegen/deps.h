// Static dependency analysis and multi-issue packing of Sieve programs (thesis §4.2.3, §4.3.2):
// what every instruction reads and writes, the hazards between two instructions, and the
// bundler that packs a sequence of instructions into VLIW words with the `sync`s the hazards
// require.
//
// Regions. What an instruction touches is derived from the instruction alone (isa.def's
// semantics, docs/formats/isa.md), so the analysis also checks hand-written programs:
//   * a buffer half (buffer, half) and a byte range in it. `ld`/`st` touch [off, off + bytes);
//     `ld`/`st` with idx=1 also touch the whole half of the index buffer (NIBin for NBin, SIB
//     for SB: its bits go with the segment); `mxv`, `pmax`, `pavg` read or write whole halves
//     (NBin and NIBin `in`, SB and SIB `w`, the LUT when `wdm`, NBout `out`; `acc` also reads
//     NBout); the element-wise and LSTM instructions touch n 16-bit elements at their offsets.
//   * a DRAM range [addr, addr + bytes) addressed through base register r: ranges through
//     different registers are different tensors. This is the code generator's contract: a
//     tensor is addressed through one register, and a register is changed only at a block
//     boundary (below).
//   * a scalar register.
//
// Hazards, between an earlier instruction A and a later B: RAW (B reads what A writes), WAW
// (both write), WAR (B writes what A reads).
//
// The machine (docs/compiler.md, "Issue"). Every unit runs its instructions in program order;
// a word issues the cycle after the previous one, or, when it holds a `sync`, once on each unit
// at most the sync's count of the instructions issued earlier on it are unfinished (the older
// ones have then finished: the unit is in order). A scalar instruction completes at issue: its
// register is read correctly by the next word. So B, dependent on A:
//   * on the same unit: B needs only a later word (in-order unit);
//   * A scalar or control: B needs a later word;
//   * otherwise B needs a later word whose sync on A's unit lets at most the instructions
//     issued on that unit after A be unfinished, unless an earlier sync already waited for A.
//     Counting, not a plain barrier, is what lets the compute of sub-op i wait for the store
//     of i - 2 while the store of i - 1 is still running (a sync caps at 14; 15 = no wait).
//
// Packing (pack()): in program order, each instruction joins the last word when its unit's
// slot is free, it depends on nothing in that word, and the word's sync already waits for
// everything it needs (so a sync never delays instructions placed before it); otherwise it opens a new
// word, whose sync holds the counts it needs. Items that start a block (a loop head) open a word
// with a full barrier and a label; a branch closes its word. The code generator does the
// scheduling (software pipelining: the compute of sub-operation i, the stores of i - 1 and the
// loads of i + 1 in program order one after another), the bundler the rest.
//
// Single issue (the thesis' ablation baseline: "a single-issue controller must wait for the
// IO instructions to finish before it issues the next compute instruction"): one instruction a
// word and no syncs; the machine issues a word only when everything before it has finished
// (hw/core/program_timing.h).
//
// Pure functions; thread-safe.
#pragma once

#include <cstdint>
#include <map>
#include <span>
#include <string>
#include <vector>

#include "sieve/compiler/isa/isa.h"
#include "sieve/core/status.h"

namespace sieve::compiler::codegen {

enum class Space : uint8_t { kBuffer, kDram, kRegister };

struct Region {
  Space space = Space::kBuffer;
  int which = 0;  // kBuffer: the buffer (isa::kBufferNames index); kDram: the base register;
                  // kRegister: the register
  int half = 0;   // kBuffer only
  int64_t begin = 0, end = 0;  // bytes (kBuffer: offsets in the half; kDram: addresses)
  bool operator==(const Region&) const = default;
};
bool overlaps(const Region& a, const Region& b);
std::string region_text(const Region& r);  // "nbin[1] 0..448", "dram(r1) 0x0..0x1c0", "r2"

struct Accesses {
  std::vector<Region> reads, writes;
};
// What `insn` reads and writes (see above). Element-wise instructions use 2-byte elements.
Accesses accesses(const isa::Insn& insn);

enum class Hazard { kNone, kRaw, kWaw, kWar };
const char* hazard_name(Hazard h);  // "none", "RAW", "WAW", "WAR"
// The hazard of `later` on `earlier` (RAW first, then WAW, then WAR, when several hold).
Hazard hazard(const Accesses& earlier, const Accesses& later);
Hazard hazard(const isa::Insn& earlier, const isa::Insn& later);

// One element of the sequence to pack.
struct Item {
  Item() = default;
  explicit Item(const isa::Insn& i) : insn(i) {}
  isa::Insn insn;
  // Opens a new word with a full barrier (sync on every unit) and a label: a loop head. The
  // label's id is `label`; branches name it by that id in their target operand.
  bool block_start = false;
  int label = -1;
  std::string comment;  // goes before the word that holds this item when it opens one
};

struct PackOptions {
  bool multi_issue = true;
};

struct Packed {
  isa::Program program;
  std::vector<size_t> word_of;              // item -> word
  std::map<size_t, std::string> comments;   // word -> comment (for isa::disassemble)
  int64_t syncs = 0;                        // words with a sync
};

// Packs `items` (program order) into words. Branch targets (label ids) become word indices.
// Errors: a branch to an unknown label, an empty slot (op kNone) among the items.
Result<Packed> pack(std::span<const Item> items, const PackOptions& options);

// Checks a packed program against the rules above: every instruction that depends on an
// earlier one on another unit has a sync that waits for it, in a word after the earlier one's
// and not after its own. Returns the first violation, naming both words, the units and the hazard.
// Straight-line only: a program with branches is checked between block starts (words whose
// sync waits for everything).
Status check_syncs(const isa::Program& p);

}  // namespace sieve::compiler::codegen
