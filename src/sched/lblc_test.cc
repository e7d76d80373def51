#include "sched/lblc.h"

#include <gtest/gtest.h>

#include "sched/sched_test_util.h"

namespace ipvsd::sched {
namespace {

using test_util::DestList;
using test_util::kHour;
using test_util::kMinute;
using test_util::kStart;
using test_util::PickAt;


TEST(LblcTest, SameDestinationAddressStaysOnItsServer) {
  LblcScheduler lblc;
  DestList dests(lblc);
  dests.Add(100);                  // A
  core::Dest* b = dests.Add(100);  // B A
  EXPECT_EQ(PickAt(lblc, dests, 1, kStart), 'B');  // wlc tie: first in list
  b->SetCountsForTest(50, 0);                      // wlc now prefers A...
  EXPECT_EQ(PickAt(lblc, dests, 1, kStart + 1), 'B');  // ...but the cache keeps B
  EXPECT_EQ(PickAt(lblc, dests, 2, kStart + 2), 'A');  // a new address gets wlc's choice
  EXPECT_EQ(PickAt(lblc, dests, 2, kStart + 3), 'A');
  EXPECT_EQ(lblc.cached_entries(), 2u);
}

TEST(LblcTest, ServerPastItsWeightIsReplacedWhileAnotherIsUnderHalf) {
  LblcScheduler lblc;
  DestList dests(lblc);
  core::Dest* a = dests.Add(2);
  core::Dest* b = dests.Add(2);  // B A
  EXPECT_EQ(PickAt(lblc, dests, 1, kStart), 'B');
  b->SetCountsForTest(3, 0);  // 3 > 2, but A is at 1 * 2 == 2, not under half: keep B
  a->SetCountsForTest(1, 0);
  EXPECT_EQ(PickAt(lblc, dests, 1, kStart), 'B');
  a->SetCountsForTest(0, 0);  // A under half its weight: B counts as overloaded
  EXPECT_EQ(PickAt(lblc, dests, 1, kStart), 'A');
  b->SetCountsForTest(0, 0);  // the entry now says A, though wlc would say B
  EXPECT_EQ(PickAt(lblc, dests, 1, kStart), 'A');
}

TEST(LblcTest, QuiescedOrDeletedServerIsReplaced) {
  LblcScheduler lblc;
  DestList dests(lblc);
  dests.Add(1);
  core::Dest* b = dests.Add(1);  // B A
  EXPECT_EQ(PickAt(lblc, dests, 1, kStart), 'B');
  EXPECT_EQ(PickAt(lblc, dests, 2, kStart), 'B');
  dests.SetWeight(b, 0);
  EXPECT_EQ(PickAt(lblc, dests, 1, kStart), 'A');
  dests.SetWeight(b, 1);
  EXPECT_EQ(PickAt(lblc, dests, 1, kStart), 'A');
  dests.Remove(b);
  EXPECT_EQ(PickAt(lblc, dests, 2, kStart), 'A');
}

TEST(LblcTest, DeletedAndReaddedServerKeepsItsAddresses) {
  // The kernel's entry holds the deleted server (in its trash); re-adding revives it.
  LblcScheduler lblc;
  DestList dests(lblc);
  dests.Add(10);
  core::Dest* b = dests.Add(10);  // B A
  EXPECT_EQ(PickAt(lblc, dests, 1, kStart), 'B');
  dests.Remove(b);
  dests.Readd(b);
  b->SetCountsForTest(5, 0);  // wlc would pick A
  EXPECT_EQ(PickAt(lblc, dests, 1, kStart), 'B');
}

TEST(LblcTest, EntriesExpireAtTheFullCheckAfterTheExpiration) {
  LblcScheduler lblc;  // lblc_expiration 24 h; full checks every 30 minutes
  DestList dests(lblc);
  dests.Add(100);
  core::Dest* b = dests.Add(100);  // B A
  EXPECT_EQ(PickAt(lblc, dests, 1, kStart), 'B');
  EXPECT_EQ(PickAt(lblc, dests, 2, kStart), 'B');
  b->SetCountsForTest(10, 0);  // wlc prefers A from now on
  // Last check at 23 h 30 min: both kept; this hit refreshes address 1.
  EXPECT_EQ(PickAt(lblc, dests, 1, kStart + 24 * kHour - 1), 'B');
  // The check at 24 h drops address 2 (unused for 24 h), not address 1.
  EXPECT_EQ(PickAt(lblc, dests, 2, kStart + 24 * kHour), 'A');
  EXPECT_EQ(PickAt(lblc, dests, 1, kStart + 24 * kHour), 'B');
}

TEST(LblcTest, StaleEntriesWaitForThePeriodicCheck) {
  LblcScheduler lblc(45 * kMinute);
  DestList dests(lblc);
  dests.Add(100);
  core::Dest* b = dests.Add(100);  // B A
  EXPECT_EQ(PickAt(lblc, dests, 1, kStart), 'B');
  EXPECT_EQ(PickAt(lblc, dests, 2, kStart), 'B');
  b->SetCountsForTest(10, 0);
  // 59 minutes unused is past the expiration, but the checks ran at 30 (too early) and the
  // next runs at 60.
  EXPECT_EQ(PickAt(lblc, dests, 1, kStart + 59 * kMinute), 'B');
  EXPECT_EQ(PickAt(lblc, dests, 2, kStart + 60 * kMinute), 'A');
}

TEST(LblcTest, FullTableCollectsEntriesIdleForSixMinutes) {
  LblcScheduler lblc;
  DestList dests(lblc);
  dests.Add(1);
  core::Dest* b = dests.Add(1);  // B A
  constexpr uint32_t kCapacity = LocalityCache<uint32_t>::kCapacity;
  for (uint32_t i = 0; i < kCapacity; ++i) ASSERT_EQ(PickAt(lblc, dests, i, kStart), 'B');
  EXPECT_EQ(lblc.cached_entries(), kCapacity);

  // Nothing has been idle for 6 minutes: the new address is served by wlc, not cached.
  const uint32_t fresh = kCapacity;
  EXPECT_EQ(PickAt(lblc, dests, fresh, kStart + 5 * kMinute), 'B');
  b->SetCountsForTest(1, 0);
  EXPECT_EQ(PickAt(lblc, dests, fresh, kStart + 5 * kMinute), 'A');
  EXPECT_EQ(lblc.cached_entries(), kCapacity);

  // At 6 minutes the first bucket the rover reaches is collected and the address cached.
  EXPECT_EQ(PickAt(lblc, dests, fresh, kStart + 6 * kMinute), 'A');
  EXPECT_LT(lblc.cached_entries(), kCapacity);
  b->SetCountsForTest(0, 0);  // wlc says B again; the entry still says A
  EXPECT_EQ(PickAt(lblc, dests, fresh, kStart + 6 * kMinute), 'A');
}

}  // namespace
}  // namespace ipvsd::sched
