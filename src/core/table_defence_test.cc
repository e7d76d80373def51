#include "core/table_defence.h"

#include <gtest/gtest.h>

#include <vector>

#include "core/conn_setup.h"
#include "core/core_test_util.h"

namespace ipvsd::core {
namespace {

using testing::Ip;

// A shard of 1000 entries with a threshold of 100 free ones.
constexpr uint32_t kThreshold = 100;

TEST(TableDefenceTest, ModesFollowTheKernelsUpdateDefenseLevel) {
  Settings s;
  TableDefence d;
  d.Update(s, 50, kThreshold);  // short, but every strategy is 0
  EXPECT_TRUE(d.short_of_entries());
  EXPECT_FALSE(d.drop_entry());
  EXPECT_FALSE(d.secure_tcp());
  EXPECT_EQ(d.drop_rate(), 0u);

  for (int mode : {1, 2}) {
    s.drop_entry = mode;
    s.secure_tcp = mode;
    s.drop_packet = mode;
    d.Update(s, 500, kThreshold);  // plenty free: off
    EXPECT_FALSE(d.short_of_entries());
    EXPECT_FALSE(d.drop_entry());
    EXPECT_FALSE(d.secure_tcp());
    EXPECT_EQ(d.drop_rate(), 0u);
    d.Update(s, 75, kThreshold);  // a quarter of the reserve gone: 100 / 25
    EXPECT_TRUE(d.drop_entry());
    EXPECT_TRUE(d.secure_tcp());
    EXPECT_EQ(d.drop_rate(), 4u);
    d.Update(s, 0, kThreshold);  // full: every new connection's packet
    EXPECT_EQ(d.drop_rate(), 1u);
  }

  s.drop_entry = 3;
  s.secure_tcp = 3;
  s.drop_packet = 3;
  s.am_droprate = 7;
  d.Update(s, 900, kThreshold);  // always, however much is free
  EXPECT_TRUE(d.drop_entry());
  EXPECT_TRUE(d.secure_tcp());
  EXPECT_EQ(d.drop_rate(), 7u);
}

TEST(TableDefenceTest, DropPacketDropsOneInRate) {
  Settings s;
  s.drop_packet = 1;
  TableDefence d;
  d.Update(s, 1000, kThreshold);
  for (int i = 0; i < 10; ++i) EXPECT_FALSE(d.DropNewConnPacket());
  d.Update(s, 67, kThreshold);  // 100 / 33 = 3: the third, sixth, ninth packet
  std::vector<int> dropped;
  for (int i = 1; i <= 9; ++i) {
    if (d.DropNewConnPacket()) dropped.push_back(i);
  }
  EXPECT_EQ(dropped, (std::vector<int>{3, 6, 9}));

  // Mode 3 (am_droprate) starts with a drop, as the kernel's counter starts at 0.
  s.drop_packet = 3;
  s.am_droprate = 4;
  TableDefence always;
  always.Update(s, 1000, kThreshold);
  dropped.clear();
  for (int i = 1; i <= 9; ++i) {
    if (always.DropNewConnPacket()) dropped.push_back(i);
  }
  EXPECT_EQ(dropped, (std::vector<int>{1, 5, 9}));
}

ConnEntry Entry(uint8_t protocol, uint8_t state, Ticks expires, uint32_t in_pkts) {
  ConnEntry e;
  e.protocol = protocol;
  e.state = state;
  e.expires = expires;
  e.in_pkts = in_pkts;
  return e;
}

constexpr Ticks kNow = SecondsToTicks(10'000);

TEST(EntryDropperTest, PicksHalfOpenConnectionsAndAShareOfIdleOnes) {
  Timeouts timeouts;  // TCP ESTABLISHED 900 s, UDP 300 s
  EntryDropper dropper(1);
  const auto tcp = [](TcpState s) { return static_cast<uint8_t>(s); };
  // Half-open: always, however fresh.
  EXPECT_TRUE(dropper.Pick(Entry(net::kProtoTcp, tcp(TcpState::kSynRecv), kNow + SecondsToTicks(60), 1), timeouts, kNow));
  EXPECT_TRUE(dropper.Pick(Entry(net::kProtoTcp, tcp(TcpState::kSynAck), kNow + SecondsToTicks(60), 0), timeouts, kNow));
  EXPECT_TRUE(dropper.Pick(Entry(net::kProtoSctp, static_cast<uint8_t>(SctpState::kInit1), kNow, 1), timeouts, kNow));
  // Other TCP states: never.
  EXPECT_FALSE(dropper.Pick(Entry(net::kProtoTcp, tcp(TcpState::kTimeWait), kNow, 1), timeouts, kNow));
  EXPECT_FALSE(dropper.Pick(Entry(net::kProtoTcp, tcp(TcpState::kFinWait), kNow, 1), timeouts, kNow));
  // ESTABLISHED and renewed within the last 60 s (more than 840 s of 900 left): kept.
  const Ticks fresh = kNow + SecondsToTicks(841);
  EXPECT_FALSE(dropper.Pick(Entry(net::kProtoTcp, tcp(TcpState::kEstablished), fresh, 1), timeouts, kNow));
  // Idle for 60 s: with 1 client packet, every one goes; with 0 or more than 8, none.
  const Ticks idle = kNow + SecondsToTicks(840);
  EXPECT_TRUE(dropper.Pick(Entry(net::kProtoTcp, tcp(TcpState::kEstablished), idle, 1), timeouts, kNow));
  EXPECT_TRUE(dropper.Pick(Entry(net::kProtoTcp, tcp(TcpState::kEstablished), idle, 1), timeouts, kNow));
  EXPECT_FALSE(dropper.Pick(Entry(net::kProtoTcp, tcp(TcpState::kEstablished), idle, 0), timeouts, kNow));
  EXPECT_FALSE(dropper.Pick(Entry(net::kProtoTcp, tcp(TcpState::kEstablished), idle, 9), timeouts, kNow));
  // With 3 client packets, one in three: the first, the fourth.
  std::vector<int> picked;
  for (int i = 1; i <= 6; ++i) {
    if (dropper.Pick(Entry(net::kProtoTcp, tcp(TcpState::kEstablished), idle, 3), timeouts, kNow)) picked.push_back(i);
  }
  EXPECT_EQ(picked, (std::vector<int>{1, 4}));
  // UDP: the same rule against its own timeout (300 s).
  EXPECT_FALSE(dropper.Pick(Entry(net::kProtoUdp, 0, kNow + SecondsToTicks(241), 1), timeouts, kNow));
  EXPECT_TRUE(dropper.Pick(Entry(net::kProtoUdp, 0, kNow + SecondsToTicks(240), 1), timeouts, kNow));
}

ConnEntry* AddTcp(ConnTable& t, uint32_t client, TcpState state, Ticks expires, uint16_t extra_flags = 0) {
  ConnEntry* e = t.Allocate();
  e->af = e->daf = net::Family::kInet;
  e->protocol = net::kProtoTcp;
  e->caddr = Ip("198.18.0.0").raw;
  e->caddr.bytes[2] = static_cast<uint8_t>(client >> 8);
  e->caddr.bytes[3] = static_cast<uint8_t>(client);
  e->cport = 1000;
  e->vaddr = Ip("198.19.0.1").raw;
  e->vport = 80;
  e->daddr = Ip("198.18.1.10").raw;
  e->dport = 80;
  e->flags |= static_cast<uint16_t>(static_cast<uint16_t>(FwdMethod::kRoute) | extra_flags);
  e->state = static_cast<uint8_t>(state);
  e->expires = expires;
  t.Insert(e);
  return e;
}

// Each pass looks at a thirty-second of the buckets, so a flood's half-open entries go within
// a few dozen seconds while established connections in use stay.
TEST(EntryDropperTest, PassesDrainTheHalfOpenEntriesAndKeepTheEstablished) {
  ConnTable t(4096, HashKey{{7, 9}}, kNow);
  Timeouts timeouts;
  for (uint32_t i = 0; i < 2048; ++i) AddTcp(t, i, TcpState::kSynRecv, kNow + SecondsToTicks(60));
  for (uint32_t i = 2048; i < 2048 + 256; ++i) AddTcp(t, i, TcpState::kEstablished, kNow + SecondsToTicks(900));
  // Templates are never picked, whatever their state field says.
  for (uint32_t i = 0; i < 64; ++i) AddTcp(t, 4000 + i, TcpState::kSynRecv, kNow + SecondsToTicks(60), kConnTemplate);
  EntryDropper dropper(42);
  auto expire = [&](ConnEntry& e) { ExpireConnNow(t, &e, kNow); };
  const uint32_t first = dropper.Run(t, timeouts, kNow, expire);
  // 128 buckets of 4096, about one entry in two per bucket: about 64.
  EXPECT_GT(first, 30u);
  EXPECT_LT(first, 120u);
  uint32_t total = first;
  for (int pass = 1; pass < 300 && total < 2048; ++pass) total += dropper.Run(t, timeouts, kNow, expire);
  EXPECT_EQ(total, 2048u);
  // Only the established connections and the templates can still be found.
  uint32_t established = 0, templates = 0, others = 0;
  t.ForEach([&](const ConnEntry& e) {
    if (!(e.flags & kConnHashed)) return;
    if (e.is_template()) {
      ++templates;
    } else if (e.state == static_cast<uint8_t>(TcpState::kEstablished)) {
      ++established;
    } else {
      ++others;
    }
  });
  EXPECT_EQ(established, 256u);
  EXPECT_EQ(templates, 64u);
  EXPECT_EQ(others, 0u);
}

}  // namespace
}  // namespace ipvsd::core
