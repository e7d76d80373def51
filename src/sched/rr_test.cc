#include "sched/rr.h"

#include <gtest/gtest.h>

#include "sched/sched_test_util.h"

namespace ipvsd::sched {
namespace {

using test_util::DestList;
using test_util::Picks;

TEST(RrTest, NoDestinationGivesNull) {
  RrScheduler rr;
  DestList dests(rr);
  EXPECT_EQ(Picks(rr, dests, 2), "--");
}

TEST(RrTest, StartsAtTheNewestDestination) {
  RrScheduler rr;
  DestList dests(rr);
  dests.Add(1);  // A
  dests.Add(1);  // B
  dests.Add(1);  // C; the list is C B A
  EXPECT_EQ(Picks(rr, dests, 7), "CBACBAC");
}

TEST(RrTest, AddedDestinationIsReachedWhenTheCursorWraps) {
  RrScheduler rr;
  DestList dests(rr);
  dests.Add(1);
  dests.Add(1);
  dests.Add(1);
  EXPECT_EQ(Picks(rr, dests, 2), "CB");
  dests.Add(1);  // D at the head: D C B A, cursor still on B
  EXPECT_EQ(Picks(rr, dests, 5), "ADCBA");
}

TEST(RrTest, DeletingTheCursorMovesItToThePreviousDestination) {
  RrScheduler rr;
  DestList dests(rr);
  core::Dest* a = dests.Add(1);
  core::Dest* b = dests.Add(1);
  dests.Add(1);
  EXPECT_EQ(Picks(rr, dests, 2), "CB");
  dests.Remove(b);  // cursor B -> C: the rotation goes on with A
  EXPECT_EQ(Picks(rr, dests, 3), "ACA");
  dests.Readd(b);  // B C A, cursor on A: B comes next after the wrap
  EXPECT_EQ(Picks(rr, dests, 4), "BCAB");
  dests.Remove(a);  // not the cursor: it stays on B
  EXPECT_EQ(Picks(rr, dests, 3), "CBC");
}

TEST(RrTest, DeletingTheFirstDestinationUnderTheCursorRestartsAtTheHead) {
  RrScheduler rr;
  DestList dests(rr);
  dests.Add(1);
  dests.Add(1);
  core::Dest* c = dests.Add(1);
  EXPECT_EQ(Picks(rr, dests, 1), "C");
  dests.Remove(c);  // C had no predecessor: back to the list head
  EXPECT_EQ(Picks(rr, dests, 3), "BAB");
}

TEST(RrTest, EditsKeepTheCursor) {
  RrScheduler rr;
  DestList dests(rr);
  core::Dest* a = dests.Add(1);
  dests.Add(1);
  dests.Add(1);
  EXPECT_EQ(Picks(rr, dests, 1), "C");
  dests.SetWeight(a, 5);
  EXPECT_EQ(Picks(rr, dests, 3), "BAC");
}

TEST(RrTest, SkipsQuiescedAndOverloadedDestinations) {
  RrScheduler rr;
  DestList dests(rr);
  core::Dest* a = dests.Add(1);
  core::Dest* b = dests.Add(1);
  core::Dest* c = dests.Add(1);
  core::Dest* d = dests.Add(1);  // D C B A
  dests.SetWeight(b, 0);
  dests.Overload(c);
  EXPECT_EQ(Picks(rr, dests, 4), "DADA");
  dests.SetWeight(d, 0);
  EXPECT_EQ(Picks(rr, dests, 2), "AA");
  dests.SetWeight(a, 0);
  EXPECT_EQ(Picks(rr, dests, 2), "--");
}

}  // namespace
}  // namespace ipvsd::sched
