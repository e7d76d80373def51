#include "sched/sh.h"

#include <gtest/gtest.h>

#include <set>

#include "sched/sched_test_util.h"

namespace ipvsd::sched {
namespace {

using test_util::DestList;
using test_util::TcpFlow;

// The bucket of a client: hash_32(port + fold(saddr), 8).
uint32_t BucketOf(const core::FlowKey& flow, uint16_t port) {
  return Hash32(port + flow.saddr.Fold(flow.family), kHashTableBits);
}

TEST(ShTest, EachDestinationTakesWeightConsecutiveBuckets) {
  ShScheduler sh(0);
  DestList dests(sh);
  core::Dest* y = dests.Add(1);
  core::Dest* x = dests.Add(2);  // X(2) Y(1): buckets X X Y X X Y ...
  int x_count = 0;
  for (uint32_t i = 0; i < 3000; ++i) {
    const core::FlowKey flow = TcpFlow(i);
    core::Dest* expected = BucketOf(flow, 0) % 3 < 2 ? x : y;
    core::Dest* got = sh.Pick(flow, 0);
    ASSERT_EQ(got, expected) << i;
    x_count += got == x;
  }
  EXPECT_GT(x_count, 1800);
  EXPECT_LT(x_count, 2200);
}

TEST(ShTest, SameClientSameServerWhateverItsPort) {
  ShScheduler sh(0);
  DestList dests(sh);
  for (int i = 0; i < 5; ++i) dests.Add(1);
  for (uint32_t i = 0; i < 200; ++i) {
    core::Dest* first = sh.Pick(TcpFlow(i, 1000), 0);
    ASSERT_NE(first, nullptr);
    EXPECT_EQ(sh.Pick(TcpFlow(i, 2000), 0), first);
  }
}

TEST(ShTest, QuiescedServerKeepsItsBucketsAndItsClientsGetNoServer) {
  ShScheduler sh(0);
  DestList dests(sh);
  for (int i = 0; i < 3; ++i) dests.Add(1);
  core::Dest* quiesced = dests.list()[1];
  dests.SetWeight(quiesced, 0);  // still one bucket per round: the table does not move
  for (uint32_t i = 0; i < 1000; ++i) {
    const core::FlowKey flow = TcpFlow(i);
    const uint32_t b = BucketOf(flow, 0);
    ASSERT_EQ(sh.Pick(flow, 0), b % 3 == 1 ? nullptr : dests.list()[b % 3]) << i;
  }
}

TEST(ShTest, FallbackProbesFromTwiceTheHash) {
  ShScheduler sh(core::kSvcSched1);
  DestList dests(sh);
  for (int i = 0; i < 3; ++i) dests.Add(1);
  dests.Overload(dests.list()[1]);
  int moved = 0;
  for (uint32_t i = 0; i < 1000; ++i) {
    const core::FlowKey flow = TcpFlow(i);
    const uint32_t h = BucketOf(flow, 0);
    // The kernel adds the offset ihash + k to the hash again: buckets (2h + k) & 255.
    uint32_t expected = h;
    if (h % 3 == 1) {
      uint32_t k = 0;
      while (((2 * h + k) & 255) % 3 == 1) ++k;
      expected = (2 * h + k) & 255;
      ++moved;
    }
    ASSERT_EQ(sh.Pick(flow, 0), dests.list()[expected % 3]) << i;
  }
  EXPECT_GT(moved, 0);
}

TEST(ShTest, FallbackGivesNullWhenNothingIsAvailable) {
  ShScheduler sh(core::kSvcSched1);
  DestList dests(sh);
  core::Dest* a = dests.Add(1);
  core::Dest* b = dests.Add(1);
  dests.SetWeight(a, 0);
  dests.Overload(b);
  EXPECT_EQ(sh.Pick(TcpFlow(1), 0), nullptr);
}

TEST(ShTest, PortFlagHashesTheSourcePortOfTcpUdpSctp) {
  ShScheduler sh(core::kSvcSched2);
  DestList dests(sh);
  for (int i = 0; i < 3; ++i) dests.Add(1);
  std::set<core::Dest*> seen;
  for (uint16_t port = 1000; port < 1100; ++port) {
    const core::FlowKey flow = TcpFlow(7, port);
    core::Dest* got = sh.Pick(flow, 0);
    ASSERT_EQ(got, dests.list()[BucketOf(flow, port) % 3]) << port;
    seen.insert(got);
  }
  EXPECT_EQ(seen.size(), 3u);  // one client spread by its ports

  core::FlowKey icmp = TcpFlow(7, 1234);
  icmp.protocol = 1;  // no ports: hashed as port 0
  EXPECT_EQ(sh.Pick(icmp, 0), dests.list()[BucketOf(icmp, 0) % 3]);
}

TEST(ShTest, EmptyServiceGivesNull) {
  ShScheduler sh(core::kSvcSched1);
  DestList dests(sh);
  EXPECT_EQ(sh.Pick(TcpFlow(1), 0), nullptr);
}

}  // namespace
}  // namespace ipvsd::sched
