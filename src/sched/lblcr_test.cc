#include "sched/lblcr.h"

#include <gtest/gtest.h>

#include "sched/sched_test_util.h"

namespace ipvsd::sched {
namespace {

using test_util::DestList;
using test_util::kHour;
using test_util::kMinute;
using test_util::kStart;
using test_util::PickAt;


TEST(LblcrTest, SameDestinationAddressStaysOnItsServer) {
  LblcrScheduler lblcr;
  DestList dests(lblcr);
  dests.Add(100);
  core::Dest* b = dests.Add(100);  // B A
  EXPECT_EQ(PickAt(lblcr, dests, 1, kStart), 'B');
  b->SetCountsForTest(50, 0);
  EXPECT_EQ(PickAt(lblcr, dests, 1, kStart + 1), 'B');
  EXPECT_EQ(PickAt(lblcr, dests, 2, kStart + 2), 'A');
  EXPECT_EQ(lblcr.cached_entries(), 2u);
}

TEST(LblcrTest, OverloadedServerGetsAReplicaAndTheSetSharesTheLoad) {
  LblcrScheduler lblcr;
  DestList dests(lblcr);
  core::Dest* a = dests.Add(1);
  core::Dest* b = dests.Add(1);  // B A
  EXPECT_EQ(PickAt(lblcr, dests, 1, kStart), 'B');  // set {B}
  b->SetCountsForTest(5, 0);  // past its weight while A is idle: add A, set {A, B}
  EXPECT_EQ(PickAt(lblcr, dests, 1, kStart + 1), 'A');
  a->SetCountsForTest(3, 0);
  b->SetCountsForTest(0, 0);
  EXPECT_EQ(PickAt(lblcr, dests, 1, kStart + 2), 'B');  // the least loaded member
  a->SetCountsForTest(0, 0);
  b->SetCountsForTest(1, 0);
  EXPECT_EQ(PickAt(lblcr, dests, 1, kStart + 3), 'A');
}

TEST(LblcrTest, SetShrinksByItsMostLoadedMemberAfterTheExpiration) {
  LblcrScheduler lblcr(45 * kMinute);
  DestList dests(lblcr);
  core::Dest* a = dests.Add(1);
  core::Dest* b = dests.Add(1);  // B A
  EXPECT_EQ(PickAt(lblcr, dests, 1, kStart), 'B');
  b->SetCountsForTest(5, 0);
  EXPECT_EQ(PickAt(lblcr, dests, 1, kStart + 1), 'A');  // set {A, B}, lastmod kStart + 1
  const Ticks expired = kStart + 1 + 45 * kMinute;
  // Exactly the expiration after the last change is not past it (time_after is strict):
  // both members still serve.
  a->SetCountsForTest(1, 0);
  b->SetCountsForTest(0, 0);
  EXPECT_EQ(PickAt(lblcr, dests, 1, expired), 'B');
  a->SetCountsForTest(0, 0);
  b->SetCountsForTest(1, 0);
  EXPECT_EQ(PickAt(lblcr, dests, 1, expired), 'A');
  // One tick later the most loaded member, A, is dropped; B, the least loaded, serves.
  a->SetCountsForTest(1, 0);
  b->SetCountsForTest(0, 0);
  EXPECT_EQ(PickAt(lblcr, dests, 1, expired + 1), 'B');
  // B is alone now: it keeps the address although A has become the less loaded.
  a->SetCountsForTest(0, 0);
  b->SetCountsForTest(1, 0);
  EXPECT_EQ(PickAt(lblcr, dests, 1, expired + 2), 'B');
}

TEST(LblcrTest, DeletedMemberIsSkippedAndComesBackWhenReadded) {
  LblcrScheduler lblcr;
  DestList dests(lblcr);
  core::Dest* a = dests.Add(10);
  core::Dest* b = dests.Add(10);  // B A
  EXPECT_EQ(PickAt(lblcr, dests, 1, kStart), 'B');
  dests.Remove(b);
  EXPECT_EQ(PickAt(lblcr, dests, 1, kStart), 'A');  // set {A, B (gone)}
  dests.Readd(b);
  a->SetCountsForTest(3, 0);
  EXPECT_EQ(PickAt(lblcr, dests, 1, kStart), 'B');  // B is a member again
}

TEST(LblcrTest, EntriesExpireAtTheFullCheckAfterTheExpiration) {
  LblcrScheduler lblcr;
  DestList dests(lblcr);
  dests.Add(100);
  core::Dest* b = dests.Add(100);  // B A
  EXPECT_EQ(PickAt(lblcr, dests, 1, kStart), 'B');
  EXPECT_EQ(PickAt(lblcr, dests, 2, kStart), 'B');
  b->SetCountsForTest(10, 0);
  EXPECT_EQ(PickAt(lblcr, dests, 1, kStart + 24 * kHour - 1), 'B');
  EXPECT_EQ(PickAt(lblcr, dests, 2, kStart + 24 * kHour), 'A');
  EXPECT_EQ(PickAt(lblcr, dests, 1, kStart + 24 * kHour), 'B');
}

}  // namespace
}  // namespace ipvsd::sched
