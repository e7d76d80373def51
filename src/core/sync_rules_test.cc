#include "core/sync_rules.h"

#include <gtest/gtest.h>

#include <vector>

#include "net/headers.h"

namespace ipvsd::core {
namespace {

// A connection that is already ESTABLISHED (old_state too, so no state change forces a send).
ConnEntry Established(uint8_t protocol = net::kProtoTcp) {
  ConnEntry c;
  c.protocol = protocol;
  c.state = protocol == net::kProtoSctp ? static_cast<uint8_t>(SctpState::kEstablished)
                                        : static_cast<uint8_t>(TcpState::kEstablished);
  c.old_state = c.state;
  return c;
}

// The packet numbers among 1..n at which the connection is synced.
std::vector<uint32_t> SyncedPackets(ConnEntry c, uint32_t n, const SyncParams& p) {
  std::vector<uint32_t> out;
  for (uint32_t pkts = 1; pkts <= n; ++pkts) {
    if (SyncConnNeeded(c, pkts, SecondsToTicks(900), SecondsToTicks(100), p)) out.push_back(pkts);
  }
  return out;
}

TEST(SyncRulesTest, DefaultsSendAtPacketsThreeFiftyThreeAndEveryFiftyAfter) {
  EXPECT_EQ(SyncedPackets(Established(), 160, SyncParams{}), (std::vector<uint32_t>{3, 53, 103, 153}));
  EXPECT_EQ(SyncedPackets(Established(net::kProtoUdp), 60, SyncParams{}), (std::vector<uint32_t>{3, 53}));
  EXPECT_EQ(SyncedPackets(Established(net::kProtoSctp), 60, SyncParams{}), (std::vector<uint32_t>{3, 53}));
}

TEST(SyncRulesTest, PeriodZeroSendsOnlyAtTheThreshold) {
  SyncParams p;
  p.period = 0;
  EXPECT_EQ(SyncedPackets(Established(), 200, p), (std::vector<uint32_t>{3}));
}

TEST(SyncRulesTest, TcpStatesThatDoNotSyncAreNeverSent) {
  for (TcpState s : {TcpState::kNone, TcpState::kSynSent, TcpState::kSynRecv, TcpState::kLastAck, TcpState::kListen,
                     TcpState::kSynAck}) {
    ConnEntry c = Established();
    c.state = c.old_state = static_cast<uint8_t>(s);
    EXPECT_TRUE(SyncedPackets(c, 60, SyncParams{}).empty()) << static_cast<int>(s);
  }
  ConnEntry c = Established(net::kProtoSctp);
  c.state = c.old_state = static_cast<uint8_t>(SctpState::kCookieEchoed);
  EXPECT_TRUE(SyncedPackets(c, 60, SyncParams{}).empty());
}

TEST(SyncRulesTest, ChangeIntoAClosingStateIsSentAtOnceThenCountingResumes) {
  ConnEntry c = Established();
  c.state = static_cast<uint8_t>(TcpState::kFinWait);
  EXPECT_TRUE(SyncConnNeeded(c, 7, SecondsToTicks(120), 0, SyncParams{}));  // packet 7: forced
  EXPECT_EQ(c.old_state, static_cast<uint8_t>(TcpState::kFinWait));
  EXPECT_FALSE(SyncConnNeeded(c, 8, SecondsToTicks(120), 0, SyncParams{}));  // same state: count rules
  EXPECT_TRUE(SyncConnNeeded(c, 53, SecondsToTicks(120), 0, SyncParams{}));
}

TEST(SyncRulesTest, ChangeIntoEstablishedStillWaitsForThePacketCount) {
  ConnEntry c;
  c.protocol = net::kProtoTcp;
  c.state = static_cast<uint8_t>(TcpState::kEstablished);  // old_state NONE: a change
  EXPECT_FALSE(SyncConnNeeded(c, 2, SecondsToTicks(900), 0, SyncParams{}));
  EXPECT_EQ(c.old_state, static_cast<uint8_t>(TcpState::kNone));  // not recorded when not sent
  EXPECT_TRUE(SyncConnNeeded(c, 3, SecondsToTicks(900), 0, SyncParams{}));
  EXPECT_EQ(c.old_state, static_cast<uint8_t>(TcpState::kEstablished));
}

TEST(SyncRulesTest, TemplatesIgnoreThePacketCountAndKeepTheirTimeout) {
  ConnEntry t;
  t.flags = kConnTemplate;
  t.n_control = 0;
  t.timeout_s = 300;
  EXPECT_EQ(SyncedPackets(t, 5, SyncParams{}), (std::vector<uint32_t>{1, 2, 3, 4, 5}));
  SyncConnNeeded(t, 1, SecondsToTicks(300), 0, SyncParams{});
  EXPECT_EQ(t.timeout_s, 300u);  // shares storage with old_state, which templates leave alone
}

TEST(SyncRulesTest, PersistModeSkipsConnectionsOfPersistentServices) {
  SyncParams p;
  p.persist_mode = true;
  ConnEntry c = Established();
  c.control = 7;
  EXPECT_TRUE(SyncedPackets(c, 60, p).empty());
  c.control = kNoIndex;
  EXPECT_EQ(SyncedPackets(c, 60, p), (std::vector<uint32_t>{3, 53}));
}

TEST(SyncRulesTest, RefreshPeriodHoldsBackUntilTheExpiryMovedOrARetryIsDue) {
  SyncParams p;
  p.period = 0;
  p.refresh_period = SecondsToTicks(60);
  p.retries = 1;
  const Ticks timeout = SecondsToTicks(900);
  ConnEntry c = Established();
  // With sync_period 0 and a refresh period, the packet count no longer matters.
  EXPECT_TRUE(SyncConnNeeded(c, 1, timeout, SecondsToTicks(10), p));
  EXPECT_EQ(c.sync_endtime & 3, 0u);
  // 5 s later the expiry moved 5 s (< min(60 s, 450 s)); the retry is due only 60/8 s after.
  EXPECT_FALSE(SyncConnNeeded(c, 2, timeout, SecondsToTicks(15), p));
  EXPECT_TRUE(SyncConnNeeded(c, 3, timeout, SecondsToTicks(18), p));
  EXPECT_EQ(c.sync_endtime & 3, 1u);
  // The one retry is spent.
  EXPECT_FALSE(SyncConnNeeded(c, 4, timeout, SecondsToTicks(40), p));
  // 70 s after the last report the expiry moved more than the refresh period: sent again.
  EXPECT_TRUE(SyncConnNeeded(c, 5, timeout, SecondsToTicks(88), p));
  EXPECT_EQ(c.sync_endtime & 3, 0u);
}

TEST(SyncRulesTest, PickSendsTheTemplateOnEveryPacketAndSkipsOnePacketConnections) {
  ConnTable table(256, HashKey{{1, 0}}, 0);
  Timeouts timeouts;
  ConnEntry* t = table.Allocate();
  t->flags |= kConnTemplate;
  t->n_control = 1;
  t->timeout_s = 360;
  ConnEntry* c = table.Allocate();
  c->protocol = net::kProtoUdp;
  c->control = table.IndexOf(t);
  std::vector<uint32_t> conn_at;
  for (uint32_t pkts = 1; pkts <= 60; ++pkts) {
    SyncPick pick = PickForSync(table, *c, pkts, timeouts, 0, SyncParams{});
    if (pick.conn) conn_at.push_back(pkts);
    EXPECT_EQ(pick.tmpl, t);
  }
  EXPECT_EQ(conn_at, (std::vector<uint32_t>{3, 53}));
  EXPECT_EQ(t->in_pkts, 60u);

  c->flags |= kConnOnePacket;
  SyncPick pick = PickForSync(table, *c, 3, timeouts, 0, SyncParams{});
  EXPECT_FALSE(pick.conn);
  EXPECT_EQ(pick.tmpl, t);
}

TEST(SyncRulesTest, EntryTimeoutIsTheStateTimeoutOrThePersistenceTimeout) {
  Timeouts timeouts;
  ConnEntry c = Established();
  EXPECT_EQ(EntryTimeout(c, timeouts), SecondsToTicks(900));
  c.state = static_cast<uint8_t>(TcpState::kFinWait);
  EXPECT_EQ(EntryTimeout(c, timeouts), SecondsToTicks(120));
  ConnEntry t;
  t.flags = kConnTemplate;
  t.timeout_s = 300;
  EXPECT_EQ(EntryTimeout(t, timeouts), SecondsToTicks(300));
}

}  // namespace
}  // namespace ipvsd::core
