#include "sched/lc.h"

#include <gtest/gtest.h>

#include "sched/sched_test_util.h"

namespace ipvsd::sched {
namespace {

using test_util::DestList;
using test_util::Picks;

TEST(LcTest, LeastOverheadWinsAndTiesGoToTheFirstInList) {
  LcScheduler lc;
  DestList dests(lc);
  core::Dest* a = dests.Add(1);
  core::Dest* b = dests.Add(1);
  core::Dest* c = dests.Add(1);  // C B A
  EXPECT_EQ(Picks(lc, dests, 1), "C");
  a->SetCountsForTest(1, 0);  // 256
  b->SetCountsForTest(0, 256);  // 256
  c->SetCountsForTest(1, 1);  // 257
  EXPECT_EQ(Picks(lc, dests, 1), "B");
  b->SetCountsForTest(0, 257);
  EXPECT_EQ(Picks(lc, dests, 1), "A");
}

TEST(LcTest, ActiveConnectionsWeigh256Inactive) {
  LcScheduler lc;
  DestList dests(lc);
  core::Dest* a = dests.Add(1);
  core::Dest* b = dests.Add(1);  // B A
  a->SetCountsForTest(0, 255);
  b->SetCountsForTest(1, 0);
  EXPECT_EQ(Picks(lc, dests, 1), "A");
}

TEST(LcTest, IgnoresWeightsButSkipsQuiescedAndOverloaded) {
  LcScheduler lc;
  DestList dests(lc);
  core::Dest* a = dests.Add(100);
  core::Dest* b = dests.Add(1);
  core::Dest* c = dests.Add(1);  // C B A
  a->SetCountsForTest(10, 0);
  b->SetCountsForTest(5, 0);
  c->SetCountsForTest(0, 0);
  dests.SetWeight(c, 0);
  EXPECT_EQ(Picks(lc, dests, 1), "B");
  dests.Overload(b);
  EXPECT_EQ(Picks(lc, dests, 1), "A");
}

}  // namespace
}  // namespace ipvsd::sched
