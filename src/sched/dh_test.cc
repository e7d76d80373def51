#include "sched/dh.h"

#include <gtest/gtest.h>

#include "sched/sched_test_util.h"

namespace ipvsd::sched {
namespace {

using test_util::DestList;
using test_util::FlowTo;

// 198.19.128.1 -> hash_32(0xc6138001, 8) = 134 (the old formula, (a * 2654435761) & 255,
// gives 177: with 5 servers, list[4] instead of list[2]).
static_assert(Hash32(0xc6138001u, kHashTableBits) == 134);

TEST(DhTest, BucketsAreDealtOneEachInListOrderRegardlessOfWeight) {
  DhScheduler dh;
  DestList dests(dh);
  for (int w : {1, 7, 1, 3, 1}) dests.Add(w);
  // Bucket 134 belongs to list[134 % 5] = list[4].
  EXPECT_EQ(dh.Pick(FlowTo(1), 0), dests.list()[4]);
  for (uint32_t i = 0; i < 1000; ++i) {
    const core::FlowKey flow = FlowTo(i);
    const uint32_t bucket = Hash32(flow.daddr.Fold(flow.family), kHashTableBits);
    ASSERT_EQ(dh.Pick(flow, 0), dests.list()[bucket % 5]) << i;
  }
}

TEST(DhTest, SameDestinationAddressSameServer) {
  DhScheduler dh;
  DestList dests(dh);
  for (int i = 0; i < 4; ++i) dests.Add(1);
  for (uint32_t i = 0; i < 100; ++i) {
    core::FlowKey flow = FlowTo(i);
    core::Dest* first = dh.Pick(flow, 0);
    flow.saddr = test_util::ClientAddr(i + 5000).raw;
    flow.sport = static_cast<uint16_t>(1024 + i);
    EXPECT_EQ(dh.Pick(flow, 0), first);
  }
}

TEST(DhTest, IPv6AddressesAreFoldedByXor) {
  DhScheduler dh;
  DestList dests(dh);
  for (int i = 0; i < 5; ++i) dests.Add(1);
  core::FlowKey flow = FlowTo(1);
  flow.family = net::Family::kInet6;
  const uint32_t words[4] = {0x20010db8u, 0x1u, 0x0u, 0x20010db8u ^ 0x1u ^ 0xc6138001u};
  for (int w = 0; w < 4; ++w) {
    for (int b = 0; b < 4; ++b) flow.daddr.bytes[4 * w + b] = static_cast<uint8_t>(words[w] >> (24 - 8 * b));
  }
  EXPECT_EQ(dh.Pick(flow, 0), dests.list()[4]);  // folds to 198.19.128.1: bucket 134
}

TEST(DhTest, NoFallbackWhenTheBucketsServerIsUnusable) {
  DhScheduler dh;
  DestList dests(dh);
  for (int i = 0; i < 5; ++i) dests.Add(1);
  core::Dest* owner = dests.list()[4];  // bucket 134, 198.19.128.1
  dests.SetWeight(owner, 0);
  EXPECT_EQ(dh.Pick(FlowTo(1), 0), nullptr);
  EXPECT_EQ(dh.Pick(FlowTo(2), 0), dests.list()[231 % 5]);  // 198.19.128.2: bucket 231
  dests.SetWeight(owner, 1);
  dests.Overload(owner);
  EXPECT_EQ(dh.Pick(FlowTo(1), 0), nullptr);
}

TEST(DhTest, EmptyServiceGivesNull) {
  DhScheduler dh;
  DestList dests(dh);
  EXPECT_EQ(dh.Pick(FlowTo(1), 0), nullptr);
}

}  // namespace
}  // namespace ipvsd::sched
