#include "sched/fo.h"

#include <gtest/gtest.h>

#include "sched/sched_test_util.h"

namespace ipvsd::sched {
namespace {

using test_util::DestList;
using test_util::Picks;

TEST(FoTest, HighestWeightTakesEverything) {
  FoScheduler fo;
  DestList dests(fo);
  dests.Add(1);
  core::Dest* b = dests.Add(5);
  dests.Add(3);  // C(3) B(5) A(1)
  b->SetCountsForTest(1000, 1000);  // load does not matter
  EXPECT_EQ(Picks(fo, dests, 3), "BBB");
}

TEST(FoTest, FailsOverWhenTheActiveServerIsQuiescedOrOverloaded) {
  FoScheduler fo;
  DestList dests(fo);
  core::Dest* a = dests.Add(1);
  core::Dest* b = dests.Add(5);
  core::Dest* c = dests.Add(3);
  dests.SetWeight(b, 0);
  EXPECT_EQ(Picks(fo, dests, 1), "C");
  dests.Overload(c);
  EXPECT_EQ(Picks(fo, dests, 1), "A");
  dests.SetWeight(a, 0);
  EXPECT_EQ(Picks(fo, dests, 1), "-");
}

TEST(FoTest, EqualWeightsGoToTheFirstInList) {
  FoScheduler fo;
  DestList dests(fo);
  dests.Add(4);
  dests.Add(4);  // B A
  EXPECT_EQ(Picks(fo, dests, 2), "BB");
}

}  // namespace
}  // namespace ipvsd::sched
