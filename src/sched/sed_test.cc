#include "sched/sed.h"

#include <gtest/gtest.h>

#include "sched/sched_test_util.h"

namespace ipvsd::sched {
namespace {

using test_util::DestList;
using test_util::Picks;

TEST(SedTest, ExpectedDelayCountsTheNewConnectionAndIgnoresInactive) {
  SedScheduler sed;
  DestList dests(sed);
  core::Dest* a = dests.Add(1);
  core::Dest* b = dests.Add(1);  // B A
  a->SetCountsForTest(0, 1000);  // (0 + 1) / 1
  b->SetCountsForTest(1, 0);     // (1 + 1) / 1
  EXPECT_EQ(Picks(sed, dests, 1), "A");
}

TEST(SedTest, PrefersTheFasterServerWhereWlcWouldNot) {
  SedScheduler sed;
  DestList dests(sed);
  core::Dest* a = dests.Add(1);
  core::Dest* b = dests.Add(10);  // B A
  a->SetCountsForTest(0, 0);      // 1 / 1
  b->SetCountsForTest(5, 0);      // 6 / 10
  EXPECT_EQ(Picks(sed, dests, 1), "B");
}

TEST(SedTest, TiesGoToTheFirstInList) {
  SedScheduler sed;
  DestList dests(sed);
  core::Dest* a = dests.Add(1);
  core::Dest* b = dests.Add(3);  // B A
  a->SetCountsForTest(0, 0);     // 1 / 1
  b->SetCountsForTest(2, 0);     // 3 / 3
  EXPECT_EQ(Picks(sed, dests, 1), "B");
  b->SetCountsForTest(3, 0);  // 4 / 3
  EXPECT_EQ(Picks(sed, dests, 1), "A");
}

TEST(SedTest, SkipsQuiescedAndOverloaded) {
  SedScheduler sed;
  DestList dests(sed);
  core::Dest* a = dests.Add(1);
  core::Dest* b = dests.Add(1);
  core::Dest* c = dests.Add(1);  // C B A
  a->SetCountsForTest(9, 0);
  dests.SetWeight(c, 0);
  dests.Overload(b);
  EXPECT_EQ(Picks(sed, dests, 1), "A");
}

}  // namespace
}  // namespace ipvsd::sched
