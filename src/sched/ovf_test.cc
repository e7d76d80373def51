#include "sched/ovf.h"

#include <gtest/gtest.h>

#include "sched/sched_test_util.h"

namespace ipvsd::sched {
namespace {

using test_util::DestList;
using test_util::Picks;

TEST(OvfTest, OverflowsInWeightOrderOnceActiveExceedsWeight) {
  OvfScheduler ovf;
  DestList dests(ovf);
  core::Dest* a = dests.Add(3);
  core::Dest* b = dests.Add(2);
  core::Dest* c = dests.Add(1);  // C(1) B(2) A(3)
  EXPECT_EQ(Picks(ovf, dests, 1), "A");
  a->SetCountsForTest(3, 100);  // at its weight: still takes connections
  EXPECT_EQ(Picks(ovf, dests, 1), "A");
  a->SetCountsForTest(4, 0);
  EXPECT_EQ(Picks(ovf, dests, 1), "B");
  b->SetCountsForTest(3, 0);
  EXPECT_EQ(Picks(ovf, dests, 1), "C");
  c->SetCountsForTest(2, 0);
  EXPECT_EQ(Picks(ovf, dests, 1), "-");
  b->SetCountsForTest(2, 0);  // B drained back to its weight
  EXPECT_EQ(Picks(ovf, dests, 1), "B");
}

TEST(OvfTest, EqualWeightsGoToTheFirstInListAndQuiescedIsSkipped) {
  OvfScheduler ovf;
  DestList dests(ovf);
  core::Dest* a = dests.Add(2);
  core::Dest* b = dests.Add(2);  // B A
  EXPECT_EQ(Picks(ovf, dests, 1), "B");
  dests.Overload(b);
  EXPECT_EQ(Picks(ovf, dests, 1), "A");
  dests.SetWeight(a, 0);
  EXPECT_EQ(Picks(ovf, dests, 1), "-");
}

}  // namespace
}  // namespace ipvsd::sched
