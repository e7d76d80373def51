#include "core/conn_sync.h"

#include <gtest/gtest.h>

#include <random>

#include "core/conn_setup.h"
#include "core/core_test_util.h"
#include "core/sync_rules.h"

namespace ipvsd::core {
namespace {

using testing::DestAt;
using testing::Ip;
using testing::TcpKey;

constexpr int kThreshold = 3;

class ConnSyncTest : public ::testing::Test {
 protected:
  ConnSyncTest() : manager_(testing::TestFactory()), table_(1024, HashKey{{9, 0}}, 0) {
    ServiceConfig cfg;
    cfg.key = TcpKey("198.19.0.1", 80);
    cfg.sched_name = "rr";
    cfg.flags = kSvcPersistent;
    cfg.timeout = 300;
    EXPECT_TRUE(manager_.AddService(cfg).ok());
    EXPECT_TRUE(manager_.AddDest(cfg.key, DestAt("198.18.1.1", 8080, FwdMethod::kRoute)).ok());
    EXPECT_TRUE(manager_.AddDest(cfg.key, DestAt("198.18.1.2", 8080, FwdMethod::kRoute)).ok());
  }

  // A connection record as a master sends it: client 198.18.0.5:cport on 198.18.1.x:8080.
  static SyncRecord Conn(uint16_t cport, const char* daddr, TcpState state, uint32_t timeout_s = 900) {
    SyncRecord r;
    r.af = net::Family::kInet;
    r.protocol = net::kProtoTcp;
    r.caddr = Ip("198.18.0.5").raw;
    r.vaddr = Ip("198.19.0.1").raw;
    r.daddr = Ip(daddr).raw;
    r.cport = cport;
    r.vport = 80;
    r.dport = 8080;
    r.state = static_cast<uint16_t>(state);
    r.flags = static_cast<uint32_t>(FwdMethod::kRoute) | kConnNoOutput |
              (state == TcpState::kEstablished ? 0 : kConnInactive);
    r.timeout_s = timeout_s;
    return r;
  }
  static SyncRecord Template(const char* daddr) {
    SyncRecord r = Conn(0, daddr, TcpState::kNone, 300);
    r.flags = kConnTemplate | static_cast<uint32_t>(FwdMethod::kRoute) | kConnNoOutput | kConnInactive;
    return r;
  }

  InstallResult Install(const SyncRecord& r) {
    return InstallSyncConn(table_, table_, *manager_.table(), r, timeouts_, kThreshold, now_);
  }
  ConnEntry* FindConn(uint16_t cport) {
    return table_.FindIn(net::Family::kInet, net::kProtoTcp, Ip("198.18.0.5").raw, cport, Ip("198.19.0.1").raw, 80);
  }
  ConnEntry* FindTemplate() {
    return table_.FindTemplate(net::Family::kInet, net::kProtoTcp, Ip("198.18.0.5").raw, Ip("198.19.0.1").raw, 80);
  }
  const Dest& DestNamed(const char* addr) {
    return *manager_.table()->FindKey(TcpKey("198.19.0.1", 80))->FindDest(Ip(addr), 8080);
  }

  ServiceManager manager_;
  ConnTable table_;
  Timeouts timeouts_;
  Ticks now_ = SecondsToTicks(50);
};

TEST_F(ConnSyncTest, TemplateAndConnectionAreInstalledBoundAndLinked) {
  EXPECT_EQ(Install(Template("198.18.1.2")), InstallResult::kCreated);
  EXPECT_EQ(Install(Conn(40000, "198.18.1.2", TcpState::kEstablished)), InstallResult::kCreated);
  ConnEntry* t = FindTemplate();
  ConnEntry* c = FindConn(40000);
  ASSERT_NE(t, nullptr);
  ASSERT_NE(c, nullptr);
  EXPECT_EQ(c->flags & (kConnSync | kConnTemplate | kConnInactive | kConnNoOutput), kConnSync | kConnNoOutput);
  EXPECT_EQ(c->fwd(), FwdMethod::kRoute);
  EXPECT_EQ(c->state, static_cast<uint8_t>(TcpState::kEstablished));
  EXPECT_EQ(c->old_state, c->state);
  EXPECT_EQ(c->in_pkts, static_cast<uint32_t>(kThreshold));
  EXPECT_EQ(c->expires, now_ + SecondsToTicks(900));
  EXPECT_EQ(c->control, table_.IndexOf(t));
  EXPECT_EQ(t->n_control, 1u);
  EXPECT_EQ(t->timeout_s, 300u);
  EXPECT_EQ(t->expires, now_ + SecondsToTicks(300));
  EXPECT_EQ(DestNamed("198.18.1.2").activeconns(), 1);
  EXPECT_EQ(DestNamed("198.18.1.2").inactconns(), 0);
  EXPECT_EQ(DestNamed("198.18.1.2").persistconns(), 1);
}

TEST_F(ConnSyncTest, ExistingEntryTakesTheNewStateActivityAndTimeout) {
  ASSERT_EQ(Install(Conn(40000, "198.18.1.1", TcpState::kEstablished)), InstallResult::kCreated);
  EXPECT_EQ(DestNamed("198.18.1.1").activeconns(), 1);
  now_ += SecondsToTicks(10);
  EXPECT_EQ(Install(Conn(40000, "198.18.1.1", TcpState::kFinWait, 120)), InstallResult::kUpdated);
  ConnEntry* c = FindConn(40000);
  ASSERT_NE(c, nullptr);
  EXPECT_EQ(c->state, static_cast<uint8_t>(TcpState::kFinWait));
  EXPECT_TRUE(c->inactive());
  EXPECT_EQ(c->expires, now_ + SecondsToTicks(120));
  EXPECT_EQ(DestNamed("198.18.1.1").activeconns(), 0);
  EXPECT_EQ(DestNamed("198.18.1.1").inactconns(), 1);
  EXPECT_EQ(table_.size(), 1u);
}

TEST_F(ConnSyncTest, ConnectionMovedToAnotherServerIsReplacedButAFarewellIsIgnored) {
  ASSERT_EQ(Install(Conn(40000, "198.18.1.1", TcpState::kEstablished)), InstallResult::kCreated);
  EXPECT_EQ(Install(Conn(40000, "198.18.1.2", TcpState::kEstablished)), InstallResult::kCreated);
  ConnEntry* c = FindConn(40000);
  ASSERT_NE(c, nullptr);
  EXPECT_EQ(c->daddr, Ip("198.18.1.2").raw);
  // The old connection's inactive last word arrives after its replacement.
  EXPECT_EQ(Install(Conn(40000, "198.18.1.1", TcpState::kTimeWait)), InstallResult::kStale);
  EXPECT_EQ(FindConn(40000), c);
}

// A record naming another real server for a connection this director placed itself (not
// from sync) is refused: a forged or replayed record never takes a live connection away.
TEST_F(ConnSyncTest, AConnectionPlacedHereIsNeverMovedByARecord) {
  ASSERT_EQ(Install(Conn(40000, "198.18.1.1", TcpState::kEstablished)), InstallResult::kCreated);
  ConnEntry* c = FindConn(40000);
  ASSERT_NE(c, nullptr);
  c->flags &= static_cast<uint16_t>(~kConnSync);  // as if this director's own traffic made it
  EXPECT_EQ(Install(Conn(40000, "198.18.1.2", TcpState::kEstablished)), InstallResult::kConflict);
  EXPECT_EQ(FindConn(40000), c);
  EXPECT_EQ(c->daddr, Ip("198.18.1.1").raw);
  EXPECT_EQ(DestNamed("198.18.1.1").activeconns(), 1);
  EXPECT_EQ(DestNamed("198.18.1.2").activeconns(), 0);
}

TEST_F(ConnSyncTest, UnknownServiceOrDestinationAndBadRecordsAreSkipped) {
  SyncRecord r = Conn(40000, "198.18.1.1", TcpState::kEstablished);
  r.vport = 81;
  EXPECT_EQ(Install(r), InstallResult::kNoService);
  EXPECT_EQ(Install(Conn(40000, "198.18.1.9", TcpState::kEstablished)), InstallResult::kNoDest);
  r = Conn(40000, "198.18.1.1", TcpState::kEstablished);
  r.state = static_cast<uint16_t>(TcpState::kLast);
  EXPECT_EQ(Install(r), InstallResult::kInvalid);
  r = Conn(40000, "198.18.1.1", TcpState::kEstablished);
  r.af = net::Family::kUnspec;
  EXPECT_EQ(Install(r), InstallResult::kInvalid);
  EXPECT_EQ(table_.size(), 0u);
}

TEST_F(ConnSyncTest, VersionZeroRecordsTakeTheProtocolTimeout) {
  ASSERT_EQ(Install(Conn(40000, "198.18.1.1", TcpState::kEstablished, 0)), InstallResult::kCreated);
  EXPECT_EQ(FindConn(40000)->expires, now_ + timeouts_.Tcp(TcpState::kEstablished));
  SyncRecord t = Template("198.18.1.1");
  t.timeout_s = 0;
  ASSERT_EQ(Install(t), InstallResult::kCreated);
  EXPECT_EQ(FindTemplate()->timeout_s, kSyncTemplateTimeoutV0);
}

TEST_F(ConnSyncTest, TemplatesGoToTheTemplateTableAndTheirConnectionsLinkAcrossTables) {
  ConnTable templates(64, HashKey{{9, 0}}, 0);
  const Dest& d = DestNamed("198.18.1.1");
  ASSERT_EQ(InstallSyncConn(table_, templates, *manager_.table(), Template("198.18.1.1"), timeouts_, kThreshold, now_),
            InstallResult::kCreated);
  ASSERT_EQ(InstallSyncConn(table_, templates, *manager_.table(), Conn(40000, "198.18.1.1", TcpState::kEstablished),
                            timeouts_, kThreshold, now_),
            InstallResult::kCreated);
  EXPECT_EQ(templates.templates(), 1u);
  EXPECT_EQ(table_.templates(), 0u);
  EXPECT_EQ(table_.size(), 1u);
  ConnEntry* t = templates.FindTemplate(net::Family::kInet, net::kProtoTcp, Ip("198.18.0.5").raw,
                                        Ip("198.19.0.1").raw, 80);
  ASSERT_NE(t, nullptr);
  EXPECT_EQ(FindConn(40000)->control, templates.IndexOf(t));
  EXPECT_EQ(t->n_control, 1u);
  EXPECT_EQ(d.activeconns(), 1);
  EXPECT_EQ(d.persistconns(), 1);
  // Expiry gives back exactly what was counted: the connection first (releasing its
  // template), then the template.
  for (uint32_t s : {1000u, 2000u}) {
    Ticks at = now_ + SecondsToTicks(s);
    table_.Expire(at, [&](ConnEntry* e, Ticks when) { return OnConnExpire(templates, e, when); });
    templates.Expire(at, [&](ConnEntry* e, Ticks when) { return OnConnExpire(templates, e, when); });
  }
  EXPECT_EQ(d.activeconns() + d.inactconns() + d.persistconns(), 0);
  EXPECT_EQ(table_.size() + templates.size(), 0u);
}

TEST_F(ConnSyncTest, MasterRecordOfAnEntryRoundTripsThroughTheInstall) {
  ASSERT_EQ(Install(Conn(40000, "198.18.1.1", TcpState::kEstablished)), InstallResult::kCreated);
  SyncRecord sent = MakeSyncRecord(*FindConn(40000), SecondsToTicks(900));
  EXPECT_EQ(sent.flags & kConnSync, kConnSync);
  EXPECT_EQ(sent.flags & kConnLocalFlags, 0u);
  EXPECT_EQ(sent.timeout_s, 900u);
  EXPECT_EQ(sent.daddr, Ip("198.18.1.1").raw);
  EXPECT_EQ(sent.cport, 40000);
}

// Random records, mostly near the configured service so that every path runs, must never
// crash the install or break the table's accounting.
TEST_F(ConnSyncTest, RandomRecordsNeverBreakTheTable) {
  std::mt19937 rng(12345);
  auto pick = [&](uint32_t n) { return static_cast<uint32_t>(rng() % n); };
  const char* daddrs[] = {"198.18.1.1", "198.18.1.2", "198.18.1.3"};
  for (int i = 0; i < 20000; ++i) {
    SyncRecord r = pick(2) ? Conn(static_cast<uint16_t>(pick(8)), daddrs[pick(3)], static_cast<TcpState>(pick(14)),
                                  pick(1000))
                           : Template(daddrs[pick(3)]);
    if (pick(4) == 0) r.flags = static_cast<uint32_t>(rng());
    if (pick(8) == 0) r.protocol = static_cast<uint8_t>(pick(256));
    if (pick(8) == 0) r.af = static_cast<net::Family>(pick(16));
    if (pick(8) == 0) r.state = static_cast<uint16_t>(rng());
    if (pick(8) == 0) r.fwmark = pick(3);
    if (pick(8) == 0) r.vport = static_cast<uint16_t>(pick(3) * 40);
    if (pick(8) == 0) r.caddr.bytes[pick(16)] = static_cast<uint8_t>(rng());
    Install(r);
    if (pick(16) == 0) {
      now_ += SecondsToTicks(pick(400));
      table_.Expire(now_, [&](ConnEntry* e, Ticks at) { return OnConnExpire(table_, e, at); });
    }
  }
  now_ += SecondsToTicks(100000);
  for (int i = 0; i < 40; ++i) {
    now_ += SecondsToTicks(5000);
    table_.Expire(now_, [&](ConnEntry* e, Ticks at) { return OnConnExpire(table_, e, at); });
  }
  EXPECT_EQ(table_.size(), 0u);
  for (const char* a : {"198.18.1.1", "198.18.1.2"}) {
    EXPECT_EQ(DestNamed(a).activeconns(), 0) << a;
    EXPECT_EQ(DestNamed(a).inactconns(), 0) << a;
    EXPECT_EQ(DestNamed(a).persistconns(), 0) << a;
  }
}

}  // namespace
}  // namespace ipvsd::core
