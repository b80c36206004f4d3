// The event-driven step rule (hw/core/events.h, thesis §5.1.2): N sub-operations run in N + 2
// steps, step i+1 = max(Load i+1, Compute i, Store i-1); transfers cost t_start + bytes / BW.
#include <gtest/gtest.h>

#include <vector>

#include "sieve/hw/core/events.h"

namespace sieve::hw {
namespace {

TEST(Events, NoTilesNoSteps) {
  const StepSchedule s = schedule_steps({});
  EXPECT_EQ(s.steps, 0);
  EXPECT_EQ(s.cycles, 0);
}

TEST(Events, OneTileRunsInThreeSerialSteps) {
  const std::vector<TileEvents> t = {{10, 20, 30}};
  const StepSchedule s = schedule_steps(t);
  EXPECT_EQ(s.steps, 3);
  EXPECT_EQ(s.cycles, 60);
  EXPECT_EQ(s.stall, 40);
}

TEST(Events, NTilesTakeNPlusTwoOverlappedSteps) {
  // Steps: L1=5 | max(L2=5, C1=7)=7 | max(L3=5, C2=7, S1=3)=7 | max(C3=7, S2=3)=7 | S3=3.
  const std::vector<TileEvents> t = {{5, 7, 3}, {5, 7, 3}, {5, 7, 3}};
  const StepSchedule s = schedule_steps(t);
  EXPECT_EQ(s.steps, 5);
  EXPECT_EQ(s.cycles, 5 + 7 + 7 + 7 + 3);
  EXPECT_EQ(s.load, 15);
  EXPECT_EQ(s.compute, 21);
  EXPECT_EQ(s.store, 9);
  EXPECT_EQ(s.stall, s.cycles - 21);
}

TEST(Events, StepIsTheLongestOfItsThreeEventsTight) {
  // Store 1 overlaps Load 3 and Compute 2: raising it to 1 cycle under the others changes
  // nothing; one cycle over them lengthens the layer by exactly one cycle.
  std::vector<TileEvents> t = {{4, 4, 9}, {4, 10, 1}, {10, 4, 1}};
  const int64_t base = schedule_steps(t).cycles;
  EXPECT_EQ(base, 4 + 4 + 10 + 4 + 1);  // L1 | max(L2,C1) | max(L3,C2,S1) | max(C3,S2) | S3
  t[0].store = 10;
  EXPECT_EQ(schedule_steps(t).cycles, base);
  t[0].store = 11;
  EXPECT_EQ(schedule_steps(t).cycles, base + 1);
}

TEST(Events, TransferCostsStartupPlusCeilBytesOverBandwidth) {
  const MemorySpec m{64, 32, 100};
  EXPECT_EQ(load_cycles(0, m), 0);
  EXPECT_EQ(load_cycles(1, m), 101);
  EXPECT_EQ(load_cycles(64, m), 101);
  EXPECT_EQ(load_cycles(65, m), 102);
  EXPECT_EQ(store_cycles(64, m), 102);
  EXPECT_EQ(store_cycles(65, m), 103);
}

}  // namespace
}  // namespace sieve::hw
