#include "sched/wrr.h"

#include <gtest/gtest.h>

#include "sched/sched_test_util.h"

namespace ipvsd::sched {
namespace {

using test_util::DestList;
using test_util::Picks;

TEST(WrrTest, Weights432FullCycle) {
  WrrScheduler wrr;
  DestList dests(wrr);
  dests.Add(2);  // A
  dests.Add(3);  // B
  dests.Add(4);  // C; the list is C(4) B(3) A(2)
  // Adding A alone set cw = mw = 1, and the later adds keep a cw that still fits, so the
  // first round is the cw = 1 pass (as after ipvsadm -A; -a; -a; -a on the kernel). Then
  // full cycles, passes at cw = 4, 3, 2, 1: C | C B | C B A | C B A.
  EXPECT_EQ(Picks(wrr, dests, 3), "CBA");
  EXPECT_EQ(Picks(wrr, dests, 18), "CCBCBACBACCBCBACBA");
}

TEST(WrrTest, SchedulerSwitchedOnAFullServiceStartsAtTheMaximumWeight) {
  // ipvsadm -E -s wrr: the kernel's init_svc sees every destination at once, cw = mw.
  WrrScheduler wrr;
  DestList dests(wrr);
  dests.Add(2);
  dests.Add(3);
  dests.Add(4);
  WrrScheduler fresh;
  fresh.OnDestsChanged(dests.list());
  EXPECT_EQ(Picks(fresh, dests, 9), "CCBCBACBA");
}

TEST(WrrTest, StepsByTheGcdOfTheWeights) {
  WrrScheduler wrr;
  DestList dests(wrr);
  dests.Add(2);  // A
  dests.Add(4);  // B; gcd 2, mw = 4 - (2 - 1) = 3: passes at cw = 3 and 1
  // cw was 1 after adding A, and (1 / 2) * 2 + 1 keeps it 1: the cw = 1 pass comes first.
  EXPECT_EQ(Picks(wrr, dests, 2), "BA");
  EXPECT_EQ(Picks(wrr, dests, 9), "BBABBABBA");
}

TEST(WrrTest, ChangeRealignsTheCurrentWeightToTheNewGcd) {
  WrrScheduler wrr;
  DestList dests(wrr);
  core::Dest* a = dests.Add(1);
  core::Dest* b = dests.Add(3);  // B(3) A(1)
  EXPECT_EQ(Picks(wrr, dests, 4), "BABB");  // cw = 1 pass, then 3 and 2: cw = 2 now
  dests.SetWeight(a, 2);                   // gcd 1: cw stays 2
  dests.SetWeight(b, 4);                   // gcd 2, mw 3: cw = (2 / 2) * 2 + 1 = 3
  // From the head at cw 3, then cw 1: B | B A | B ...; without the realignment cw 2 would
  // have given B A first.
  EXPECT_EQ(Picks(wrr, dests, 4), "BBAB");
}

TEST(WrrTest, CurrentWeightAboveTheNewMaximumRestartsAtTheMaximum) {
  WrrScheduler wrr;
  DestList dests(wrr);
  core::Dest* a = dests.Add(1);
  core::Dest* b = dests.Add(3);  // B(3) A(1)
  EXPECT_EQ(Picks(wrr, dests, 3), "BAB");  // cw = 1 pass, then cw = 3
  dests.SetWeight(b, 1);                    // mw 1 < cw: cw = 1, back at the head
  EXPECT_EQ(Picks(wrr, dests, 4), "BABA");
  dests.SetWeight(a, 0);
  EXPECT_EQ(Picks(wrr, dests, 2), "BB");
}

TEST(WrrTest, SkipsOverloadedDestinations) {
  WrrScheduler wrr;
  DestList dests(wrr);
  dests.Add(1);                  // A
  core::Dest* b = dests.Add(2);  // B
  dests.Add(3);                  // C
  dests.Overload(b);
  // The rest of the cw = 1 pass left by the adds, then passes at 3, 2, 1 without B.
  EXPECT_EQ(Picks(wrr, dests, 2), "CA");
  EXPECT_EQ(Picks(wrr, dests, 8), "CCCACCCA");
}

TEST(WrrTest, NoUsableDestinationGivesNullAndRecovers) {
  WrrScheduler wrr;
  DestList dests(wrr);
  EXPECT_EQ(Picks(wrr, dests, 1), "-");
  core::Dest* a = dests.Add(2);
  core::Dest* b = dests.Add(1);
  dests.Overload(a);
  dests.Overload(b);
  EXPECT_EQ(Picks(wrr, dests, 3), "---");
  dests.SetWeight(a, 0);
  dests.SetWeight(b, 0);
  EXPECT_EQ(Picks(wrr, dests, 1), "-");
  dests.Add(1);  // C
  EXPECT_EQ(Picks(wrr, dests, 2), "CC");
}

}  // namespace
}  // namespace ipvsd::sched
