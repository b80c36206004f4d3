// Dependency analysis and packing (deps.h). The live list keeps, per earlier instruction not yet
// covered by a sync, what it touched; an entry leaves the list once a sync on its unit follows
// it (every later instruction is then ordered after it), so the list stays as short as the
// distance between syncs and packing is linear in practice.
#include "sieve/compiler/codegen/deps.h"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <limits>
#include <map>

#include "sieve/core/assert.h"

namespace sieve::compiler::codegen {
namespace {

using isa::Insn;
using isa::Op;
using isa::Unit;

constexpr int64_t kWhole = std::numeric_limits<int64_t>::max();
constexpr int kNbin = 0, kNibin = 1, kNbout = 2, kSb = 3, kSib = 4, kLut = 5;
constexpr int64_t kElemBytes = 2;  // the vector unit's 16-bit elements

Region buf(int which, int64_t half, int64_t begin = 0, int64_t end = kWhole) {
  return Region{Space::kBuffer, which, static_cast<int>(half), begin, end};
}
Region dram(int64_t reg, int64_t begin, int64_t end) {
  return Region{Space::kDram, static_cast<int>(reg), 0, begin, end};
}
void reg_read(Accesses& a, int64_t r) {
  if (r != 0) a.reads.push_back(Region{Space::kRegister, static_cast<int>(r), 0, 0, 1});
}
void reg_write(Accesses& a, int64_t r) {
  if (r != 0) a.writes.push_back(Region{Space::kRegister, static_cast<int>(r), 0, 0, 1});
}

bool any_overlap(const std::vector<Region>& a, const std::vector<Region>& b) {
  for (const Region& x : a)
    for (const Region& y : b)
      if (overlaps(x, y)) return true;
  return false;
}


Unit unit_of(const Insn& in) {
  const isa::InsnInfo* ii = isa::info(in.op);
  SIEVE_ASSERT(ii != nullptr);
  return ii->unit;
}

}  // namespace

bool overlaps(const Region& a, const Region& b) {
  if (a.space != b.space || a.which != b.which) return false;
  if (a.space == Space::kBuffer && a.half != b.half) return false;
  return a.begin < b.end && b.begin < a.end;
}

std::string region_text(const Region& r) {
  const auto range = [&] {
    return r.end == kWhole ? std::string("all") : fmt::format("{}..{}", r.begin, r.end);
  };
  switch (r.space) {
    case Space::kBuffer: return fmt::format("{}[{}] {}", isa::kBufferNames[r.which], r.half, range());
    case Space::kDram: return fmt::format("dram(r{}) {:#x}..{:#x}", r.which, r.begin, r.end);
    case Space::kRegister: return fmt::format("r{}", r.which);
  }
  return "?";
}

Accesses accesses(const Insn& in) {
  Accesses a;
  auto v = [&](std::string_view name) { return isa::operand(in, name); };
  switch (in.op) {
    case Op::ld:
    case Op::st: {
      const int b = static_cast<int>(v("buf"));
      const int64_t half = v("half"), off = v("off"), bytes = v("bytes"), addr = v("addr");
      Accesses& side = a;
      std::vector<Region>& buf_side = in.op == Op::ld ? side.writes : side.reads;
      std::vector<Region>& dram_side = in.op == Op::ld ? side.reads : side.writes;
      buf_side.push_back(buf(b, half, off, off + bytes));
      if (v("idx") != 0 && b == kNbin) buf_side.push_back(buf(kNibin, half));
      if (v("idx") != 0 && b == kSb) buf_side.push_back(buf(kSib, half));
      dram_side.push_back(dram(v("base"), addr, addr + bytes));
      reg_read(a, v("base"));
      break;
    }
    case Op::mxv: {
      const int64_t in_h = v("in"), w = v("w"), out = v("out");
      a.reads.push_back(buf(kNbin, in_h));
      if (v("nidx") != 0) a.reads.push_back(buf(kNibin, in_h));
      a.reads.push_back(buf(kSb, w));
      if (v("sidx") != 0) a.reads.push_back(buf(kSib, w));
      if (v("wdm") != 0) a.reads.push_back(buf(kLut, 0));
      if (v("acc") != 0) a.reads.push_back(buf(kNbout, out));
      a.writes.push_back(buf(kNbout, out));
      break;
    }
    case Op::pmax:
    case Op::pavg:
      a.reads.push_back(buf(kNbin, v("src")));
      a.reads.push_back(buf(kNibin, v("src")));
      a.writes.push_back(buf(kNbout, v("dst")));
      break;
    case Op::relu:
    case Op::sigm:
    case Op::tanh: {
      const Region r = buf(static_cast<int>(v("buf")), v("half"), v("off"),
                           v("off") + v("n") * kElemBytes);
      a.reads.push_back(r);
      a.writes.push_back(r);
      break;
    }
    case Op::vadd:
    case Op::vmul: {
      const int64_t n = v("n") * kElemBytes;
      a.reads.push_back(buf(static_cast<int>(v("abuf")), v("ahalf"), v("aoff"), v("aoff") + n));
      a.reads.push_back(buf(static_cast<int>(v("bbuf")), v("bhalf"), v("boff"), v("boff") + n));
      a.writes.push_back(buf(static_cast<int>(v("dbuf")), v("dhalf"), v("doff"), v("doff") + n));
      break;
    }
    case Op::lstm: {
      const int64_t half = v("half"), n = v("n") * kElemBytes;
      a.reads.push_back(buf(kNbout, half, v("gates"), v("gates") + 4 * n));
      a.reads.push_back(buf(kNbout, half, v("cell"), v("cell") + n));
      a.writes.push_back(buf(kNbout, half, v("cell"), v("cell") + n));
      a.writes.push_back(buf(kNbout, half, v("h"), v("h") + n));
      break;
    }
    case Op::sset: reg_write(a, v("rd")); break;
    case Op::saddi:
      reg_read(a, v("ra"));
      reg_write(a, v("rd"));
      break;
    case Op::sadd:
    case Op::smul:
      reg_read(a, v("ra"));
      reg_read(a, v("rb"));
      reg_write(a, v("rd"));
      break;
    case Op::bnz: reg_read(a, v("ra")); break;
    case Op::sync:
    case Op::jmp:
    case Op::halt:
    case Op::kNone: break;
  }
  return a;
}

const char* hazard_name(Hazard h) {
  switch (h) {
    case Hazard::kNone: return "none";
    case Hazard::kRaw: return "RAW";
    case Hazard::kWaw: return "WAW";
    case Hazard::kWar: return "WAR";
  }
  return "?";
}

Hazard hazard(const Accesses& earlier, const Accesses& later) {
  if (any_overlap(earlier.writes, later.reads)) return Hazard::kRaw;
  if (any_overlap(earlier.writes, later.writes)) return Hazard::kWaw;
  if (any_overlap(earlier.reads, later.writes)) return Hazard::kWar;
  return Hazard::kNone;
}

Hazard hazard(const Insn& earlier, const Insn& later) {
  return hazard(accesses(earlier), accesses(later));
}

namespace {

using Counts = std::array<int64_t, isa::kSyncUnits>;

bool waits(Unit u) {
  return static_cast<int>(u) < isa::kSyncUnits;
}

struct Live {
  size_t word = 0;
  Unit unit = Unit::kControl;
  int64_t seq = 0;  // its index among the instructions of its unit
  Accesses acc;
};

// The state both the packer and the checker keep: the live entries, how many instructions each
// unit has been given, and up to which index each unit is known finished (by the syncs so far).
struct Tracker {
  std::vector<Live> live;
  Counts issued{};  // instructions per waiting unit, in words before the one being filled
  Counts done{};    // every instruction of the unit with seq < done[u] has finished

  bool covered(const Live& e) const {
    return waits(e.unit) && e.seq < done[static_cast<size_t>(e.unit)];
  }
  void prune(size_t open_word) {
    std::erase_if(live, [&](const Live& e) {
      return covered(e) || (!waits(e.unit) && e.word < open_word);
    });
  }
  // A sync with `counts` in a word after `issued` instructions of each unit.
  void synced(const Counts& counts) {
    for (size_t u = 0; u < counts.size(); ++u)
      if (counts[u] != isa::kSyncNoWait)
        done[u] = std::max(done[u], issued[u] - counts[u]);
  }

  // What an instruction on `unit` touching `acc` needs in a word that follows `issued`
  // instructions of each unit: a count per unit (kSyncNoWait: none). *on_open: it depends on
  // something in word `open_word` (it cannot share that word).
  Counts needs(const Accesses& acc, Unit unit, int64_t open_word, bool* on_open,
               const Live** first = nullptr) const {
    Counts c;
    c.fill(isa::kSyncNoWait);
    *on_open = false;
    for (const Live& e : live) {
      if (covered(e)) continue;
      if (hazard(e.acc, acc) == Hazard::kNone) continue;
      if (static_cast<int64_t>(e.word) == open_word) *on_open = true;
      if (e.unit == unit || !waits(e.unit)) continue;
      if (first != nullptr && *first == nullptr) *first = &e;
      const auto u = static_cast<size_t>(e.unit);
      // At most issued - 1 - seq may stay unfinished for e to have finished.
      const int64_t n = std::min<int64_t>(isa::kSyncMaxCount, issued[u] - 1 - e.seq);
      c[u] = std::min(c[u], std::max<int64_t>(0, n));
    }
    return c;
  }
};

bool any_wait(const Counts& c) {
  return std::any_of(c.begin(), c.end(), [](int64_t v) { return v != isa::kSyncNoWait; });
}
// `have` waits at least as long as `need` on every unit.
bool implies(const Counts& have, const Counts& need) {
  for (size_t u = 0; u < need.size(); ++u)
    if (need[u] != isa::kSyncNoWait && (have[u] == isa::kSyncNoWait || have[u] > need[u]))
      return false;
  return true;
}

}  // namespace

Result<Packed> pack(std::span<const Item> items, const PackOptions& options) {
  Packed out;
  std::vector<isa::Bundle>& words = out.program.words;
  std::map<int, size_t> label_word;
  out.word_of.reserve(items.size());
  Tracker t;
  Counts in_open{};          // instructions of each unit in the open (last) word
  bool open_closed = true;   // the last word takes no more instructions (a branch closed it)

  auto open_word = [&](const Counts& sync, const Item& it) {
    for (size_t u = 0; u < in_open.size(); ++u) t.issued[u] += in_open[u];
    in_open.fill(0);
    words.emplace_back();
    const size_t w = words.size() - 1;
    if (any_wait(sync)) {
      words[w].slot[static_cast<size_t>(Unit::kControl)] = isa::make_sync(sync);
      t.synced(sync);
      ++out.syncs;
    }
    if (!it.comment.empty()) out.comments[w] = it.comment;
    open_closed = false;
    return w;
  };
  Counts none;
  none.fill(isa::kSyncNoWait);
  Counts barrier{};  // every count 0: wait for everything

  for (size_t i = 0; i < items.size(); ++i) {
    const Item& it = items[i];
    if (it.insn.empty()) return invalid_argument("pack: item {} is an empty slot", i);
    const Unit u = unit_of(it.insn);
    const size_t slot = static_cast<size_t>(u);
    const Accesses acc = accesses(it.insn);
    const bool is_branch = it.insn.op == Op::jmp || it.insn.op == Op::bnz;

    size_t w = 0;
    if (!options.multi_issue) {
      w = open_word(none, it);
      if (it.block_start) label_word[it.label] = w;
    } else if (it.block_start) {
      w = open_word(words.empty() ? none : barrier, it);
      t.live.clear();
      label_word[it.label] = w;
      if (u == Unit::kControl && !words.empty() && words[w].slot[slot].op == Op::sync)
        w = open_word(none, it);  // the barrier holds the control slot
    } else {
      const int64_t cur =
          words.empty() || open_closed ? -1 : static_cast<int64_t>(words.size()) - 1;
      t.prune(words.empty() ? 0 : words.size() - 1);
      bool on_open = false;
      // Counts for the open word (its sync sees the instructions before it) ...
      const Counts need_here = t.needs(acc, u, cur, &on_open);
      const bool fits =
          cur >= 0 && words[static_cast<size_t>(cur)].slot[slot].empty() && !on_open &&
          implies(isa::sync_counts(words[static_cast<size_t>(cur)].slot[static_cast<size_t>(
                      Unit::kControl)]),
                  need_here);
      // Tightening the open word's sync is free when every wait it adds is on the unit of all
      // the word's instructions: an in-order unit starts them only after its earlier
      // instructions finish anyway. This is what lets the loads of step s share the word of
      // the compute of step s - 1 and start at the step boundary, as the N + 2 model has it.
      bool tighten = false;
      if (!fits && cur >= 0 && words[static_cast<size_t>(cur)].slot[slot].empty() && !on_open) {
        const isa::Bundle& ob = words[static_cast<size_t>(cur)];
        const Counts have = isa::sync_counts(ob.slot[static_cast<size_t>(Unit::kControl)]);
        const bool control_free = ob.slot[static_cast<size_t>(Unit::kControl)].empty() ||
                                  ob.slot[static_cast<size_t>(Unit::kControl)].op == Op::sync;
        tighten = control_free && u != Unit::kControl;
        for (size_t k = 0; tighten && k < need_here.size(); ++k) {
          if (need_here[k] == isa::kSyncNoWait ||
              (have[k] != isa::kSyncNoWait && have[k] <= need_here[k]))
            continue;  // no wait added on unit k
          for (size_t s2 = 0; s2 < ob.slot.size(); ++s2) {
            if (s2 == static_cast<size_t>(Unit::kControl) || ob.slot[s2].empty()) continue;
            if (s2 != k) tighten = false;
          }
        }
        if (tighten) {
          Counts merged = have;
          for (size_t k = 0; k < merged.size(); ++k) merged[k] = std::min(merged[k], need_here[k]);
          if (!any_wait(have)) ++out.syncs;
          words[static_cast<size_t>(cur)].slot[static_cast<size_t>(Unit::kControl)] =
              isa::make_sync(merged);
          t.synced(merged);
        }
      }
      if (fits || tighten) {
        w = static_cast<size_t>(cur);
      } else {
        // ... or for a new word, after the open word's instructions too.
        Tracker after = t;
        for (size_t k = 0; k < in_open.size(); ++k) after.issued[k] += in_open[k];
        bool dummy = false;
        const Counts need = after.needs(acc, u, -1, &dummy);
        if (u == Unit::kControl && any_wait(need)) {
          open_word(need, it);  // a sync word first: the control slot takes one instruction
          w = open_word(none, it);
        } else {
          w = open_word(need, it);
        }
      }
    }
    words[w].slot[slot] = it.insn;
    out.word_of.push_back(w);
    if (waits(u)) {
      t.live.push_back(Live{w, u, t.issued[slot] + in_open[slot], acc});
      ++in_open[slot];
    } else {
      t.live.push_back(Live{w, u, 0, acc});
    }
    if (is_branch || it.insn.op == Op::halt) open_closed = true;
  }

  // Branch targets: label ids -> word indices.
  for (isa::Bundle& b : words) {
    for (Insn& in : b.slot) {
      if (in.op != Op::jmp && in.op != Op::bnz) continue;
      const isa::InsnInfo* ii = isa::info(in.op);
      for (size_t k = 0; k < ii->fields.size(); ++k) {
        if (ii->fields[k].kind != isa::Kind::kLabel) continue;
        auto f = label_word.find(static_cast<int>(in.v[k]));
        if (f == label_word.end())
          return invalid_argument("pack: {} targets label {} that no item defines", ii->mnemonic,
                                  in.v[k]);
        in.v[k] = static_cast<int64_t>(f->second);
      }
    }
  }
  return out;
}

Status check_syncs(const isa::Program& p) {
  Tracker t;
  for (size_t w = 0; w < p.words.size(); ++w) {
    const isa::Bundle& b = p.words[w];
    const Counts sync = isa::sync_counts(b.slot[static_cast<size_t>(Unit::kControl)]);
    if (sync == Counts{}) t.live.clear();  // a full barrier: a block start
    t.synced(sync);
    t.prune(w);
    std::vector<Live> added;
    for (size_t s = 0; s < b.slot.size(); ++s) {
      const Insn& in = b.slot[s];
      if (in.empty() || in.op == Op::sync) continue;
      const Unit u = unit_of(in);
      const Accesses acc = accesses(in);
      for (const Live& e : added) {
        const Hazard h = hazard(e.acc, acc);
        if (h != Hazard::kNone)
          return invalid_argument(
              "word {}: {} on unit {} and {} on unit {} issue together but have a {} hazard", w,
              isa::format_insn(b.slot[static_cast<size_t>(e.unit)]), isa::unit_name(e.unit),
              isa::format_insn(in), isa::unit_name(u), hazard_name(h));
      }
      bool on_open = false;
      const Live* first = nullptr;
      const Counts need = t.needs(acc, u, -1, &on_open, &first);
      if (first != nullptr && !implies(sync, need)) {
        return invalid_argument(
            "word {}: {} ({}) has a {} hazard on word {}'s {} instruction and no sync on unit {} "
            "between them that waits for it",
            w, isa::format_insn(in), isa::unit_name(u), hazard_name(hazard(first->acc, acc)),
            first->word, isa::unit_name(first->unit), isa::unit_name(first->unit));
      }
      const int64_t seq = waits(u) ? t.issued[static_cast<size_t>(u)] : 0;
      added.push_back(Live{w, u, seq, acc});
    }
    for (Live& e : added) {
      if (waits(e.unit)) ++t.issued[static_cast<size_t>(e.unit)];
      t.live.push_back(std::move(e));
    }
  }
  return ok_status();
}

}  // namespace sieve::compiler::codegen
