#include "sched/wlc.h"

#include <gtest/gtest.h>

#include "sched/sched_test_util.h"

namespace ipvsd::sched {
namespace {

using test_util::DestList;
using test_util::Picks;

TEST(WlcTest, LeastOverheadPerWeight) {
  WlcScheduler wlc;
  DestList dests(wlc);
  core::Dest* a = dests.Add(1);
  core::Dest* b = dests.Add(3);
  core::Dest* c = dests.Add(2);  // C B A
  a->SetCountsForTest(1, 0);  // 256 / 1
  b->SetCountsForTest(2, 0);  // 512 / 3
  c->SetCountsForTest(3, 0);  // 768 / 2
  EXPECT_EQ(Picks(wlc, dests, 1), "B");
  b->SetCountsForTest(3, 1);  // 769 / 3 > 256
  EXPECT_EQ(Picks(wlc, dests, 1), "A");
}

TEST(WlcTest, TiesGoToTheFirstInList) {
  WlcScheduler wlc;
  DestList dests(wlc);
  core::Dest* a = dests.Add(1);
  core::Dest* b = dests.Add(2);  // B A
  a->SetCountsForTest(1, 0);  // 256 / 1
  b->SetCountsForTest(2, 0);  // 512 / 2
  EXPECT_EQ(Picks(wlc, dests, 1), "B");
  b->SetCountsForTest(2, 1);
  EXPECT_EQ(Picks(wlc, dests, 1), "A");
}

TEST(WlcTest, InactiveConnectionsCount) {
  WlcScheduler wlc;
  DestList dests(wlc);
  core::Dest* a = dests.Add(1);
  core::Dest* b = dests.Add(1);  // B A
  a->SetCountsForTest(0, 300);
  b->SetCountsForTest(1, 0);
  EXPECT_EQ(Picks(wlc, dests, 1), "B");
}

TEST(WlcTest, QuiescedNeverWinsEvenIdle) {
  WlcScheduler wlc;
  DestList dests(wlc);
  core::Dest* a = dests.Add(1);
  core::Dest* b = dests.Add(1);
  core::Dest* c = dests.Add(1);  // C B A
  a->SetCountsForTest(100, 0);
  dests.SetWeight(b, 0);  // idle but quiesced, after the seed
  dests.SetWeight(c, 0);  // idle but quiesced, cannot seed
  EXPECT_EQ(Picks(wlc, dests, 1), "A");
  dests.Overload(a);
  EXPECT_EQ(Picks(wlc, dests, 1), "-");
}

}  // namespace
}  // namespace ipvsd::sched
