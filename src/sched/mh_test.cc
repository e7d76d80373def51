#include "sched/mh.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <map>
#include <set>
#include <vector>

#include "sched/sched_test_util.h"

namespace ipvsd::sched {
namespace {

using test_util::DestList;
using test_util::TcpFlow;

constexpr uint32_t kFlows = 10000;

std::vector<core::Dest*> PickAll(MhScheduler& mh) {
  std::vector<core::Dest*> out(kFlows);
  for (uint32_t i = 0; i < kFlows; ++i) out[i] = mh.Pick(TcpFlow(i), 0);
  return out;
}

std::map<core::Dest*, int> SlotCounts(const MhScheduler& mh) {
  std::map<core::Dest*, int> counts;
  for (core::Dest* d : mh.table()) ++counts[d];
  return counts;
}

TEST(MhTest, TableIsFullAndEvenForEqualWeights) {
  MhScheduler mh(0);
  DestList dests(mh);
  for (int i = 0; i < 10; ++i) dests.Add(1);
  const auto counts = SlotCounts(mh);
  ASSERT_EQ(counts.size(), 10u);  // no empty slot
  for (const auto& [d, n] : counts) {
    ASSERT_NE(d, nullptr);
    EXPECT_TRUE(n == 409 || n == 410) << n;  // one slot per destination per round
  }
}

TEST(MhTest, TurnsFollowLastWeightShiftedToSixBits) {
  MhScheduler mh(0);
  DestList dests(mh);
  core::Dest* small = dests.Add(1);
  core::Dest* big = dests.Add(1000);  // list: big, small
  // mw = 1000: fls = 10, rshift 4; turns 1000 >> 4 = 62 and (1 >> 4 ?: 1) = 1. 64 rounds of
  // 63 slots fill 4032; the last 61 go to big, first in the list.
  const auto counts = SlotCounts(mh);
  EXPECT_EQ(counts.at(big), 64 * 62 + 61);
  EXPECT_EQ(counts.at(small), 64);
}

TEST(MhTest, TableIsStableAcrossRebuildsAndInstances) {
  MhScheduler mh(0);
  DestList dests(mh);
  for (int w : {1, 2, 3, 1, 5}) dests.Add(w);
  const std::vector<core::Dest*> before(mh.table().begin(), mh.table().end());
  mh.OnDestsChanged(dests.list());
  EXPECT_TRUE(std::equal(before.begin(), before.end(), mh.table().begin()));
  MhScheduler other(0);
  other.OnDestsChanged(dests.list());
  EXPECT_TRUE(std::equal(before.begin(), before.end(), other.table().begin()));
}

TEST(MhTest, QuiescingMovesNoOtherFlow) {
  MhScheduler mh(0);
  DestList dests(mh);
  for (int i = 0; i < 10; ++i) dests.Add(1);
  const std::vector<core::Dest*> before = PickAll(mh);
  core::Dest* quiesced = dests.list()[3];
  dests.SetWeight(quiesced, 0);  // last_weight stays 1: same table
  const std::vector<core::Dest*> after = PickAll(mh);
  int lost = 0;
  for (uint32_t i = 0; i < kFlows; ++i) {
    if (before[i] == quiesced) {
      ASSERT_EQ(after[i], nullptr) << i;  // no fallback: no server
      ++lost;
    } else {
      ASSERT_EQ(after[i], before[i]) << i;
    }
  }
  EXPECT_GT(lost, 0);
}

TEST(MhTest, FallbackMovesOnlyTheQuiescedServersFlows) {
  MhScheduler mh(core::kSvcSched1);
  DestList dests(mh);
  for (int i = 0; i < 10; ++i) dests.Add(1);
  const std::vector<core::Dest*> before = PickAll(mh);
  core::Dest* quiesced = dests.list()[3];
  dests.SetWeight(quiesced, 0);
  const std::vector<core::Dest*> after = PickAll(mh);
  const std::vector<core::Dest*> again = PickAll(mh);
  for (uint32_t i = 0; i < kFlows; ++i) {
    ASSERT_NE(after[i], nullptr) << i;
    ASSERT_NE(after[i], quiesced) << i;
    if (before[i] != quiesced) {
      ASSERT_EQ(after[i], before[i]) << i;
    }
    ASSERT_EQ(again[i], after[i]) << i;  // deterministic
  }
}

TEST(MhTest, RemovingOneOfTenMovesAboutATenth) {
  MhScheduler mh(0);
  DestList dests(mh);
  for (int i = 0; i < 10; ++i) dests.Add(1);
  const std::vector<core::Dest*> before = PickAll(mh);
  core::Dest* removed = dests.list()[6];
  dests.Remove(removed);
  const std::vector<core::Dest*> after = PickAll(mh);
  int moved = 0;
  int untouched_moved = 0;
  int untouched = 0;
  for (uint32_t i = 0; i < kFlows; ++i) {
    ASSERT_NE(after[i], nullptr);
    ASSERT_NE(after[i], removed);
    moved += after[i] != before[i];
    if (before[i] != removed) {
      ++untouched;
      untouched_moved += after[i] != before[i];
    }
  }
  RecordProperty("moved", moved);
  RecordProperty("untouched_moved", untouched_moved);
  EXPECT_LT(moved, kFlows * 15 / 100);
  // Maglev's refill shifts a few slots between the remaining servers (1.4% here), not many.
  EXPECT_LT(untouched_moved, untouched * 3 / 100);
}

TEST(MhTest, PortFlagSpreadsOneClientByItsSourcePort) {
  MhScheduler with_port(core::kSvcSched2);
  MhScheduler without_port(0);
  DestList dests(with_port);
  for (int i = 0; i < 5; ++i) dests.Add(1);
  without_port.OnDestsChanged(dests.list());
  std::set<core::Dest*> seen;
  core::Dest* fixed = without_port.Pick(TcpFlow(9, 1000), 0);
  for (uint16_t port = 1000; port < 1100; ++port) {
    seen.insert(with_port.Pick(TcpFlow(9, port), 0));
    EXPECT_EQ(without_port.Pick(TcpFlow(9, port), 0), fixed);
  }
  EXPECT_EQ(seen.size(), 5u);
  core::FlowKey icmp = TcpFlow(9, 1000);
  icmp.protocol = 1;
  icmp.sport = 0;
  core::FlowKey icmp_other_port = icmp;
  icmp_other_port.sport = 4242;  // not a port for ICMP: ignored
  EXPECT_EQ(with_port.Pick(icmp, 0), with_port.Pick(icmp_other_port, 0));
  EXPECT_EQ(with_port.Pick(icmp, 0), fixed);
}

TEST(MhTest, NoWeightEverGivesAnEmptyTable) {
  MhScheduler mh(core::kSvcSched1);
  DestList dests(mh);
  EXPECT_EQ(mh.Pick(TcpFlow(1), 0), nullptr);
  dests.Add(0);
  dests.Add(0);
  EXPECT_EQ(SlotCounts(mh).count(nullptr), 1u);
  EXPECT_EQ(mh.Pick(TcpFlow(1), 0), nullptr);
}

}  // namespace
}  // namespace ipvsd::sched
