// Static dependency analysis and multi-issue packing (compiler/codegen/deps.h) on hand-built
// hazards: a load that must wait, a store that may overlap, a reused ping-pong half, count
// syncs that let the most recent store run on, DRAM ranges per base register, scalar
// registers; and check_syncs() catching a program whose sync was removed.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "sieve/compiler/codegen/deps.h"
#include "sieve/compiler/isa/isa.h"

namespace sieve::compiler::codegen {
namespace {

using isa::Insn;
using isa::Op;
using isa::Unit;

constexpr int kNbin = 0, kNbout = 2, kSb = 3;

Insn ld(int buf, int half, int64_t off, int64_t bytes, int base = 1, int64_t addr = 0) {
  return isa::make_insn(Op::ld, {{"buf", buf},
                                 {"half", half},
                                 {"idx", 0},
                                 {"off", off},
                                 {"base", base},
                                 {"addr", addr},
                                 {"bytes", bytes}});
}
Insn st(int buf, int half, int64_t off, int64_t bytes, int base = 5, int64_t addr = 0) {
  return isa::make_insn(Op::st, {{"buf", buf},
                                 {"half", half},
                                 {"idx", 0},
                                 {"off", off},
                                 {"base", base},
                                 {"addr", addr},
                                 {"bytes", bytes}});
}
Insn mxv(int in, int w, int out, bool acc = false) {
  return isa::make_insn(Op::mxv, {{"in", in},
                                  {"w", w},
                                  {"out", out},
                                  {"groups", 1},
                                  {"vecs", 1},
                                  {"col", 0},
                                  {"cols", 16},
                                  {"acc", acc ? 1 : 0}});
}

std::vector<Item> items(std::initializer_list<Insn> insns) {
  std::vector<Item> v;
  for (const Insn& i : insns) v.emplace_back(i);
  return v;
}

Packed pack_ok(const std::vector<Item>& v, bool multi = true) {
  Result<Packed> p = pack(v, PackOptions{multi});
  EXPECT_TRUE(p.ok()) << p.status().to_string();
  return p.ok() ? *p : Packed{};
}

std::array<int64_t, isa::kSyncUnits> sync_of(const Packed& p, size_t word) {
  return isa::sync_counts(p.program.words[word].slot[static_cast<size_t>(Unit::kControl)]);
}

constexpr int64_t kNo = isa::kSyncNoWait;

TEST(Deps, RegionsComeFromTheInstruction) {
  const Accesses a = accesses(ld(kNbin, 1, 64, 128, 3, 0x100));
  std::vector<std::string> reads;
  for (const Region& r : a.reads) reads.push_back(region_text(r));
  EXPECT_EQ(reads, (std::vector<std::string>{"dram(r3) 0x100..0x180", "r3"}));
  ASSERT_EQ(a.writes.size(), 1u);
  EXPECT_EQ(region_text(a.writes[0]), "nbin[1] 64..192");
  // mxv reads whole halves of NBin and SB, writes NBout's half; acc also reads it.
  const Accesses m = accesses(mxv(0, 1, 1, true));
  bool reads_out = false;
  for (const Region& r : m.reads) reads_out = reads_out || (r.which == kNbout && r.half == 1);
  EXPECT_TRUE(reads_out);
  EXPECT_EQ(hazard(ld(kNbin, 0, 0, 64), mxv(0, 0, 0)), Hazard::kRaw);
  EXPECT_EQ(hazard(mxv(0, 0, 0), ld(kNbin, 0, 0, 64)), Hazard::kWar);
  EXPECT_EQ(hazard(mxv(0, 0, 0), mxv(1, 1, 0)), Hazard::kWaw);
  EXPECT_EQ(hazard(ld(kNbin, 1, 0, 64), mxv(0, 0, 0)), Hazard::kNone);  // other half
  // Byte ranges in one half: disjoint loads do not conflict, overlapping ones do.
  EXPECT_EQ(hazard(ld(kNbin, 0, 0, 64), ld(kNbin, 0, 64, 64)), Hazard::kNone);
  EXPECT_EQ(hazard(ld(kNbin, 0, 0, 65), ld(kNbin, 0, 64, 64)), Hazard::kWaw);
}

// The compute must wait for the loads it reads: it goes to a later word whose sync waits on
// the load unit; a load into the other half joins the compute's word without waiting.
TEST(Deps, ALoadThatMustWait) {
  const Packed p = pack_ok(items({ld(kNbin, 0, 0, 64), ld(kSb, 0, 0, 64, 2), mxv(0, 0, 0),
                                  ld(kNbin, 1, 0, 64, 1, 64)}));
  ASSERT_EQ(p.word_of.size(), 4u);
  EXPECT_EQ(p.word_of[0], 0u);
  EXPECT_EQ(p.word_of[1], 1u);  // one load slot a word
  EXPECT_EQ(p.word_of[2], 2u);
  EXPECT_EQ(sync_of(p, 2)[0], 0);  // every earlier load finished
  EXPECT_EQ(p.word_of[3], 2u);     // the next half's load issues with the compute
  EXPECT_TRUE(check_syncs(p.program).ok());
}

// A store of NBout half 0 and the compute into half 1 have no hazard: they share a word, and
// the store waits only for the compute that wrote its half.
TEST(Deps, AStoreThatMayOverlap) {
  const Packed p = pack_ok(items({ld(kNbin, 0, 0, 64), mxv(0, 0, 0), ld(kNbin, 1, 0, 64, 1, 64),
                                  mxv(1, 0, 1), st(kNbout, 0, 0, 32)}));
  const size_t w_st = p.word_of[4];
  EXPECT_EQ(w_st, p.word_of[3]);  // with the compute into the other half
  const auto s = sync_of(p, w_st);
  EXPECT_EQ(s[2], 0);             // the compute of half 0 (the word's own mxv is not earlier)
  EXPECT_EQ(s[1], kNo);           // no earlier store to wait for
  EXPECT_TRUE(check_syncs(p.program).ok());
  EXPECT_EQ(hazard(mxv(1, 0, 1), st(kNbout, 0, 0, 32)), Hazard::kNone);
}

// Counting: the compute into half 0 must wait for the store of half 0 (two stores back) but
// not for the store of half 1 issued after it: sync store=1. (The load into NBin half 1 shares
// the second store's word, so the compute cannot join that word by tightening its sync.)
TEST(Deps, CountSyncLetsTheMostRecentStoreRun) {
  const Packed p = pack_ok(items({mxv(0, 0, 0), st(kNbout, 0, 0, 32), mxv(0, 0, 1),
                                  st(kNbout, 1, 0, 32, 5, 32), ld(kNbin, 1, 0, 64),
                                  mxv(0, 0, 0)}));
  EXPECT_EQ(p.word_of[4], p.word_of[3]);
  const size_t w = p.word_of[5];
  EXPECT_GT(w, p.word_of[3]);
  EXPECT_EQ(sync_of(p, w)[1], 1);
  EXPECT_TRUE(check_syncs(p.program).ok());
}

// Without the load, the compute joins the second store's word and tightens its sync to wait
// for the first store: free, since the word holds only a store and the store unit is in order.
TEST(Deps, TighteningASyncOnTheWordsOwnUnitIsFree) {
  const Packed p = pack_ok(items({mxv(0, 0, 0), st(kNbout, 0, 0, 32), mxv(0, 0, 1),
                                  st(kNbout, 1, 0, 32, 5, 32), mxv(0, 0, 0)}));
  EXPECT_EQ(p.word_of[4], p.word_of[3]);
  EXPECT_EQ(sync_of(p, p.word_of[4])[1], 0);
  EXPECT_TRUE(check_syncs(p.program).ok());
}

// Loading into a half the previous compute reads is a WAR hazard: the load waits for it.
TEST(Deps, ReloadingAHalfWaitsForItsReader) {
  const Packed p =
      pack_ok(items({ld(kNbin, 0, 0, 64), mxv(0, 0, 0), ld(kNbin, 0, 0, 64, 1, 64)}));
  const size_t w = p.word_of[2];
  EXPECT_GE(w, p.word_of[1]);
  // Either a later word that waits on the matrix unit, or the compute's own word with its sync
  // tightened (free: the in-order unit waits anyway).
  EXPECT_NE(sync_of(p, w)[2], kNo);
  EXPECT_TRUE(check_syncs(p.program).ok());
}

// DRAM: a load of what a store wrote through the same base register waits for the store;
// another register is another tensor.
TEST(Deps, DramRangesPerBaseRegister) {
  EXPECT_EQ(hazard(st(kNbout, 0, 0, 100, 5, 0), ld(kNbout, 1, 0, 50, 5, 50)), Hazard::kRaw);
  EXPECT_EQ(hazard(st(kNbout, 0, 0, 100, 5, 0), ld(kNbout, 1, 0, 50, 5, 100)), Hazard::kNone);
  EXPECT_EQ(hazard(st(kNbout, 0, 0, 100, 5, 0), ld(kNbin, 1, 0, 50, 4, 0)), Hazard::kNone);
  const Packed p =
      pack_ok(items({mxv(0, 0, 0), st(kNbout, 0, 0, 100, 4, 0), ld(kNbout, 1, 0, 50, 4, 50)}));
  EXPECT_GT(p.word_of[2], p.word_of[1]);
  EXPECT_EQ(sync_of(p, p.word_of[2])[1], 0);
  EXPECT_TRUE(check_syncs(p.program).ok());
}

// A scalar result is read by the next word, without a sync.
TEST(Deps, ScalarRegistersNeedOnlyALaterWord) {
  const Insn set = isa::make_insn(Op::sset, {{"rd", 1}, {"imm", 4096}});
  const Packed p = pack_ok(items({set, ld(kNbin, 0, 0, 64, 1, 0)}));
  EXPECT_EQ(p.word_of[1], 1u);
  EXPECT_EQ(p.syncs, 0);
}

TEST(Deps, SingleIssueIsOneInstructionAWordWithoutSyncs) {
  const Packed p = pack_ok(items({ld(kNbin, 0, 0, 64), ld(kNbin, 1, 0, 64, 1, 64), mxv(0, 0, 0),
                                  st(kNbout, 0, 0, 32)}),
                           false);
  EXPECT_EQ(p.program.words.size(), 4u);
  EXPECT_EQ(p.syncs, 0);
}

TEST(Deps, CheckSyncsNamesTheWordsOfAMissingWait) {
  Packed p = pack_ok(items({ld(kNbin, 0, 0, 64), ld(kSb, 0, 0, 64, 2), mxv(0, 0, 0)}));
  ASSERT_TRUE(check_syncs(p.program).ok());
  // Drop the sync of the compute's word: it would read NBin before the load finished.
  p.program.words[p.word_of[2]].slot[static_cast<size_t>(Unit::kControl)] = Insn{};
  const Status s = check_syncs(p.program);
  ASSERT_FALSE(s.ok());
  const std::string m = s.to_string();
  EXPECT_NE(m.find("word 2"), std::string::npos) << m;
  EXPECT_NE(m.find("RAW"), std::string::npos) << m;
}

TEST(Deps, BranchToAnUnknownLabelIsRefused) {
  std::vector<Item> v = items({isa::make_insn(Op::bnz, {{"ra", 8}, {"target", 7}})});
  const Result<Packed> p = pack(v, PackOptions{});
  ASSERT_FALSE(p.ok());
  EXPECT_NE(p.status().to_string().find("label 7"), std::string::npos) << p.status().to_string();
}

}  // namespace
}  // namespace sieve::compiler::codegen
