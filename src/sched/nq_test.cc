#include "sched/nq.h"

#include <gtest/gtest.h>

#include "sched/sched_test_util.h"

namespace ipvsd::sched {
namespace {

using test_util::DestList;
using test_util::Picks;

TEST(NqTest, FirstIdleServerWinsOverAFasterBusyOne) {
  NqScheduler nq;
  DestList dests(nq);
  core::Dest* a = dests.Add(1);
  core::Dest* b = dests.Add(1);
  core::Dest* c = dests.Add(10);  // C B A
  c->SetCountsForTest(5, 0);       // 6 / 10, better than 1 / 1 by sed's measure
  b->SetCountsForTest(0, 50);      // idle: inactive connections do not count
  a->SetCountsForTest(0, 0);
  EXPECT_EQ(Picks(nq, dests, 1), "B");
}

TEST(NqTest, AllBusyFallsBackToShortestExpectedDelay) {
  NqScheduler nq;
  DestList dests(nq);
  core::Dest* a = dests.Add(2);
  core::Dest* b = dests.Add(1);
  core::Dest* c = dests.Add(10);  // C B A
  a->SetCountsForTest(1, 0);       // 2 / 2
  b->SetCountsForTest(1, 0);       // 2 / 1
  c->SetCountsForTest(9, 0);       // 10 / 10: ties with A, C is first
  EXPECT_EQ(Picks(nq, dests, 1), "C");
  c->SetCountsForTest(10, 0);
  EXPECT_EQ(Picks(nq, dests, 1), "A");
}

TEST(NqTest, QuiescedOrOverloadedIdleServersAreSkipped) {
  NqScheduler nq;
  DestList dests(nq);
  core::Dest* a = dests.Add(1);
  core::Dest* b = dests.Add(1);
  core::Dest* c = dests.Add(1);  // C B A
  a->SetCountsForTest(3, 0);
  dests.SetWeight(c, 0);
  dests.Overload(b);
  EXPECT_EQ(Picks(nq, dests, 1), "A");
}

}  // namespace
}  // namespace ipvsd::sched
