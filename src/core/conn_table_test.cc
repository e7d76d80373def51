#include "core/conn_table.h"

#include <gtest/gtest.h>

#include <set>
#include <vector>

#include "core/core_test_util.h"

namespace ipvsd::core {
namespace {

using testing::Ip;

ConnEntry* AddConn(ConnTable& t, const char* client, uint16_t cport, Ticks expires, FwdMethod fwd = FwdMethod::kMasq) {
  ConnEntry* e = t.Allocate();
  if (!e) return nullptr;
  e->af = e->daf = net::Family::kInet;
  e->protocol = net::kProtoTcp;
  e->caddr = Ip(client).raw;
  e->cport = cport;
  e->vaddr = Ip("198.19.0.1").raw;
  e->vport = 80;
  e->daddr = Ip("198.18.1.10").raw;
  e->dport = 8080;
  e->flags |= static_cast<uint16_t>(fwd);
  e->expires = expires;
  t.Insert(e);
  return e;
}

TEST(ConnTableTest, FindsBothDirectionsAndTemplatesSeparately) {
  ConnTable t(1024, HashKey{{1, 0}}, 0);
  ConnEntry* e = AddConn(t, "198.18.0.5", 40000, 100);
  EXPECT_EQ(t.FindIn(net::Family::kInet, net::kProtoTcp, Ip("198.18.0.5").raw, 40000, Ip("198.19.0.1").raw, 80), e);
  EXPECT_EQ(t.FindOut(net::Family::kInet, net::kProtoTcp, Ip("198.18.1.10").raw, 8080, Ip("198.18.0.5").raw, 40000), e);
  EXPECT_EQ(t.FindIn(net::Family::kInet, net::kProtoUdp, Ip("198.18.0.5").raw, 40000, Ip("198.19.0.1").raw, 80), nullptr);
  EXPECT_EQ(t.FindIn(net::Family::kInet, net::kProtoTcp, Ip("198.18.0.5").raw, 40001, Ip("198.19.0.1").raw, 80), nullptr);
  EXPECT_EQ(t.FindTemplate(net::Family::kInet, net::kProtoTcp, Ip("198.18.0.5").raw, Ip("198.19.0.1").raw, 80), nullptr);

  ConnEntry* tpl = t.Allocate();
  tpl->af = tpl->daf = net::Family::kInet;
  tpl->protocol = net::kProtoTcp;
  tpl->caddr = Ip("198.18.0.5").raw;
  tpl->vaddr = Ip("198.19.0.1").raw;
  tpl->vport = 80;
  tpl->flags |= kConnTemplate;
  tpl->expires = 100;
  t.Insert(tpl);
  EXPECT_EQ(t.FindTemplate(net::Family::kInet, net::kProtoTcp, Ip("198.18.0.5").raw, Ip("198.19.0.1").raw, 80), tpl);
  // A template (cport 0) never answers a connection lookup with cport 0.
  EXPECT_EQ(t.FindIn(net::Family::kInet, net::kProtoTcp, Ip("198.18.0.5").raw, 0, Ip("198.19.0.1").raw, 80), nullptr);
  EXPECT_EQ(t.size(), 2u);
  EXPECT_EQ(t.templates(), 1u);
}

TEST(ConnTableTest, OnlyNatConnectionsAreFoundFromTheRealServerSide) {
  ConnTable t(1024, HashKey{{1, 0}}, 0);
  AddConn(t, "198.18.0.5", 40000, 100, FwdMethod::kRoute);
  EXPECT_EQ(t.FindOut(net::Family::kInet, net::kProtoTcp, Ip("198.18.1.10").raw, 8080, Ip("198.18.0.5").raw, 40000),
            nullptr);
}

TEST(ConnTableTest, FullTableRefusesAndFreedEntriesAreReused) {
  ConnTable t(64, HashKey{{1, 0}}, 0);
  for (int i = 0; i < 64; ++i) ASSERT_NE(AddConn(t, "198.18.0.5", static_cast<uint16_t>(1000 + i), 10), nullptr);
  EXPECT_EQ(t.Allocate(), nullptr);
  uint32_t freed = t.Expire(10, [](ConnEntry*, Ticks) { return true; });
  EXPECT_EQ(freed, 64u);
  EXPECT_EQ(t.size(), 0u);
  EXPECT_NE(AddConn(t, "198.18.0.6", 1, 20), nullptr);
}

TEST(ConnTableTest, ExpiresExactlyWhenDueAndHonoursLazyRenewal) {
  ConnTable t(1024, HashKey{{7, 0}}, 0);
  ConnEntry* a = AddConn(t, "198.18.0.5", 1, 50);
  AddConn(t, "198.18.0.5", 2, 80);
  std::vector<uint16_t> expired;
  auto collect = [&](ConnEntry* e, Ticks) {
    expired.push_back(e->cport);
    return true;
  };
  EXPECT_EQ(t.Expire(49, collect), 0u);
  a->expires = 120;  // traffic renewed it: no relinking needed
  EXPECT_EQ(t.Expire(80, collect), 1u);
  EXPECT_EQ(expired, std::vector<uint16_t>{2});
  EXPECT_EQ(t.Expire(119, collect), 0u);
  EXPECT_EQ(t.Expire(120, collect), 1u);
  EXPECT_EQ(expired, (std::vector<uint16_t>{2, 1}));
}

TEST(ConnTableTest, RearmMovesAnEntryEarlier) {
  ConnTable t(1024, HashKey{{7, 0}}, 0);
  ConnEntry* a = AddConn(t, "198.18.0.5", 1, 1000);
  a->expires = 30;
  t.Rearm(a);
  EXPECT_EQ(t.Expire(30, [](ConnEntry*, Ticks) { return true; }), 1u);
}

TEST(ConnTableTest, TimeoutsBeyondOneWheelRevolution) {
  ConnTable t(1024, HashKey{{7, 0}}, 0);
  Ticks far = ConnTable::kWheelSlots * 3 + 17;
  AddConn(t, "198.18.0.5", 1, far);
  for (Ticks now = 0; now < far; now += 100) ASSERT_EQ(t.Expire(now, [](ConnEntry*, Ticks) { return true; }), 0u);
  EXPECT_EQ(t.Expire(far, [](ConnEntry*, Ticks) { return true; }), 1u);
}

TEST(ConnTableTest, AJumpOfManyRevolutionsExpiresEverythingDue) {
  ConnTable t(1024, HashKey{{7, 0}}, 0);
  for (uint16_t i = 0; i < 100; ++i) AddConn(t, "198.18.0.5", i, static_cast<Ticks>(10 + i * 97));
  EXPECT_EQ(t.Expire(ConnTable::kWheelSlots * 10, [](ConnEntry*, Ticks) { return true; }), 100u);
}

TEST(ConnTableTest, KeptEntriesWaitAgain) {
  ConnTable t(1024, HashKey{{7, 0}}, 0);
  AddConn(t, "198.18.0.5", 1, 10);
  int calls = 0;
  auto keep_once = [&](ConnEntry* e, Ticks) {
    if (++calls == 1) {
      e->expires = 40;
      return false;
    }
    return true;
  };
  EXPECT_EQ(t.Expire(10, keep_once), 0u);
  EXPECT_EQ(t.Expire(39, keep_once), 0u);
  EXPECT_EQ(t.Expire(40, keep_once), 1u);
  EXPECT_EQ(calls, 2);
}

TEST(ConnTableTest, UnhashedEntriesCannotBeFoundButStillExpire) {
  ConnTable t(1024, HashKey{{7, 0}}, 0);
  ConnEntry* a = AddConn(t, "198.18.0.5", 1, 10);
  t.Unhash(a);
  EXPECT_EQ(t.FindIn(net::Family::kInet, net::kProtoTcp, Ip("198.18.0.5").raw, 1, Ip("198.19.0.1").raw, 80), nullptr);
  EXPECT_EQ(t.size(), 1u);
  EXPECT_EQ(t.Expire(10, [](ConnEntry*, Ticks) { return true; }), 1u);
  EXPECT_EQ(t.size(), 0u);
}

TEST(ConnTableTest, ManyConnectionsWithCollisionsStayConsistent) {
  ConnTable t(1 << 14, HashKey{{99, 0}}, 0);
  std::set<uint32_t> idx;
  for (uint32_t i = 0; i < 10000; ++i) {
    ConnEntry* e = AddConn(t, i % 2 ? "198.18.0.5" : "198.18.7.9", static_cast<uint16_t>(i), 5 + i % 300);
    ASSERT_NE(e, nullptr);
    idx.insert(t.IndexOf(e));
  }
  EXPECT_EQ(idx.size(), 10000u);
  for (uint32_t i = 0; i < 10000; ++i) {
    ASSERT_NE(t.FindIn(net::Family::kInet, net::kProtoTcp, Ip(i % 2 ? "198.18.0.5" : "198.18.7.9").raw,
                       static_cast<uint16_t>(i), Ip("198.19.0.1").raw, 80),
              nullptr);
  }
  EXPECT_EQ(t.Expire(400, [](ConnEntry*, Ticks) { return true; }), 10000u);
  EXPECT_EQ(t.size(), 0u);
}

// The staged lookup of the data path (InChain, SkipIn, FindInFrom) finds what FindIn finds,
// whether the connection is first, second or deeper in its chain, and nothing for a miss.
TEST(ConnTableTest, StagedLookupAgreesWithFindIn) {
  ConnTable t(64, HashKey{{5, 0}}, 0);  // 64 buckets for 64 connections: chains of every length
  std::vector<ConnEntry*> added;
  for (uint16_t port = 1; port <= 64; ++port) added.push_back(AddConn(t, "198.18.0.5", port, 100));
  auto staged = [&](uint16_t port) {
    const net::RawAddr c = Ip("198.18.0.5").raw, v = Ip("198.19.0.1").raw;
    uint32_t cursor = t.InChain(t.HashIn(net::Family::kInet, net::kProtoTcp, c, port, v, 80));
    cursor = t.SkipIn(cursor, net::Family::kInet, net::kProtoTcp, c, port, v, 80);
    return t.FindInFrom(cursor, net::Family::kInet, net::kProtoTcp, c, port, v, 80);
  };
  for (uint16_t port = 1; port <= 64; ++port) {
    EXPECT_EQ(staged(port), added[port - 1]) << port;
    EXPECT_EQ(staged(port), t.FindIn(net::Family::kInet, net::kProtoTcp, Ip("198.18.0.5").raw, port,
                                     Ip("198.19.0.1").raw, 80));
  }
  EXPECT_EQ(staged(65), nullptr);
}

// NAT connections are linked into the real-server-side index after their burst, but every
// reader sees them at once: FindOut right after Insert, Unhash of a connection whose link was
// still queued, more connections than the queue holds, and an explicit LinkPendingOut.
TEST(ConnTableTest, QueuedRealServerLinksAreExactForEveryReader) {
  ConnTable t(1024, HashKey{{11, 0}}, 0);
  auto find_out = [&](uint16_t port) {
    return t.FindOut(net::Family::kInet, net::kProtoTcp, Ip("198.18.1.10").raw, 8080, Ip("198.18.0.5").raw, port);
  };
  std::vector<ConnEntry*> added;
  for (uint16_t port = 1; port <= 200; ++port) added.push_back(AddConn(t, "198.18.0.5", port, 100));
  t.Unhash(added[199]);  // the last one in is still queued
  for (uint16_t port = 1; port <= 200; ++port) EXPECT_EQ(find_out(port), port == 200 ? nullptr : added[port - 1]);
  ConnEntry* late = AddConn(t, "198.18.0.5", 201, 100);
  t.LinkPendingOut();
  t.LinkPendingOut();  // nothing left to link twice
  EXPECT_EQ(find_out(201), late);
  EXPECT_EQ(t.Expire(200, [](ConnEntry*, Ticks) { return true; }), 201u);
  for (uint16_t port = 1; port <= 201; ++port) EXPECT_EQ(find_out(port), nullptr);
}

TEST(ConnTableTest, Ipv6KeysUseAllAddressBytes) {
  ConnTable t(1024, HashKey{{3, 0}}, 0);
  ConnEntry* e = t.Allocate();
  e->af = e->daf = net::Family::kInet6;
  e->protocol = net::kProtoUdp;
  e->caddr = Ip("2001:db8::1").raw;
  e->vaddr = Ip("2001:db8::100").raw;
  e->cport = 5000;
  e->vport = 53;
  e->expires = 10;
  t.Insert(e);
  EXPECT_EQ(t.FindIn(net::Family::kInet6, net::kProtoUdp, Ip("2001:db8::1").raw, 5000, Ip("2001:db8::100").raw, 53), e);
  EXPECT_EQ(t.FindIn(net::Family::kInet6, net::kProtoUdp, Ip("2001:db8:0:0:1::1").raw, 5000, Ip("2001:db8::100").raw, 53),
            nullptr);
}

}  // namespace
}  // namespace ipvsd::core
