#include "core/conn_setup.h"

#include <gtest/gtest.h>

#include "core/core_test_util.h"
#include "core/proto_state.h"
#include "core/template_table.h"

namespace ipvsd::core {
namespace {

using testing::DestAt;
using testing::Ip;
using testing::Packet;
using testing::TcpKey;

// An rr service on 198.19.0.1:port, persistent for `timeout` seconds when non-zero.
ServiceConfig RrService(uint16_t port, uint32_t timeout = 0) {
  ServiceConfig cfg;
  cfg.key = TcpKey("198.19.0.1", port);
  cfg.sched_name = "rr";
  if (timeout) {
    cfg.flags = kSvcPersistent;
    cfg.timeout = timeout;
  }
  return cfg;
}

class ConnSetupTest : public ::testing::Test {
 protected:
  ConnSetupTest() : manager_(testing::TestFactory()), table_(4096, HashKey{{5, 0}}, 0) {}

  void AddService(ServiceConfig cfg) {
    ASSERT_TRUE(manager_.AddService(cfg).ok());
    key_ = cfg.key;
  }
  void AddDests(std::initializer_list<const char*> addrs, uint16_t port = 8080) {
    for (const char* a : addrs) ASSERT_TRUE(manager_.AddDest(key_, DestAt(a, port)).ok());
  }
  const Service& Svc() { return *manager_.table()->FindKey(key_); }
  ScheduleResult New(const char* client, uint16_t cport, uint16_t vport = 80, uint8_t proto = net::kProtoTcp) {
    net::PacketView v = Packet(proto, client, cport, "198.19.0.1", vport, net::kTcpSyn);
    return ScheduleConn(*active_, *templates_, Svc(), v, settings_, now_, 0, total_);
  }
  // Moves time to `seconds` as a polling worker does: one second at a time.
  void AdvanceTo(uint32_t seconds) {
    while (now_ < SecondsToTicks(seconds)) {
      now_ = std::min(now_ + kTicksPerSecond, SecondsToTicks(seconds));
      table_.Expire(now_, [&](ConnEntry* e, Ticks at) { return OnConnExpire(table_, e, at); });
    }
  }
  std::string DestOf(const ScheduleResult& r) { return net::IpAddr{r.conn->daddr, r.conn->daf}.ToString(); }

  ServiceManager manager_;
  ConnTable table_;
  ConnTable* active_ = &table_;     // the table New() schedules into
  ConnTable* templates_ = &table_;  // and the one its templates go to
  Settings settings_;
  Stats total_;
  ServiceKey key_;
  Ticks now_ = 0;
};

TEST_F(ConnSetupTest, NonPersistentConnectionsFollowTheScheduler) {
  ServiceConfig cfg = RrService(80);
  AddService(cfg);
  AddDests({"198.18.1.1", "198.18.1.2"});
  ScheduleResult a = New("198.18.0.5", 1000);
  ScheduleResult b = New("198.18.0.5", 1001);
  ASSERT_EQ(a.status, ScheduleStatus::kOk);
  EXPECT_NE(DestOf(a), DestOf(b));
  EXPECT_EQ(a.conn->dport, 8080);
  EXPECT_EQ(a.conn->flags & (kConnInactive | kConnHashed), kConnInactive | kConnHashed);
  EXPECT_EQ(a.conn->dest->inactconns(), 1);
  EXPECT_EQ(Svc().stats->Total().conns, 2u);
  EXPECT_EQ(total_.Total().conns, 2u);
  EXPECT_EQ(table_.FindIn(net::Family::kInet, net::kProtoTcp, Ip("198.18.0.5").raw, 1000, Ip("198.19.0.1").raw, 80),
            a.conn);
  // A fresh connection waits 3 s for its first state change.
  AdvanceTo(3);
  EXPECT_EQ(table_.size(), 0u);
  EXPECT_EQ(a.conn->dest, nullptr);
  EXPECT_EQ(Svc().dests[0]->inactconns() + Svc().dests[1]->inactconns(), 0);
}

TEST_F(ConnSetupTest, NoDestinationAndFullTable) {
  ServiceConfig cfg = RrService(80);
  AddService(cfg);
  EXPECT_EQ(New("198.18.0.5", 1).status, ScheduleStatus::kNoDest);
  AddDests({"198.18.1.1"});
  ConnTable tiny(64, HashKey{{1, 0}}, 0);
  active_ = &tiny;
  for (uint16_t i = 0; i < 64; ++i) ASSERT_EQ(New("198.18.0.5", i).status, ScheduleStatus::kOk);
  EXPECT_EQ(New("198.18.0.5", 999).status, ScheduleStatus::kTableFull);
}

TEST_F(ConnSetupTest, PersistenceKeepsAClientOnItsServerUntilTheTemplateExpires) {
  ServiceConfig cfg = RrService(80, 300);
  AddService(cfg);
  AddDests({"198.18.1.1", "198.18.1.2", "198.18.1.3"});
  ScheduleResult first = New("198.18.0.5", 1000);
  ASSERT_EQ(first.status, ScheduleStatus::kOk);
  for (uint16_t p = 1001; p < 1010; ++p) EXPECT_EQ(DestOf(New("198.18.0.5", p)), DestOf(first));
  EXPECT_EQ(table_.templates(), 1u);
  EXPECT_EQ(first.conn->dest->persistconns(), 1);
  // Another client is scheduled on its own.
  EXPECT_NE(DestOf(New("198.18.0.6", 1000)), DestOf(first));

  // Connections die after 3 s; the template lives 300 s from its last use.
  AdvanceTo(299);
  EXPECT_EQ(table_.templates(), 2u);
  EXPECT_EQ(DestOf(New("198.18.0.5", 2000)), DestOf(first));  // renews the template
  AdvanceTo(299 + 300);
  EXPECT_EQ(table_.templates(), 0u);
  EXPECT_EQ(table_.size(), 0u);
}

TEST_F(ConnSetupTest, TemplateOutlivesItsTimeoutWhileItControlsConnections) {
  AddService(RrService(80, 10));
  AddDests({"198.18.1.1"});
  ScheduleResult r = New("198.18.0.5", 1000);
  Timeouts timeouts;
  net::PacketView syn = Packet(net::kProtoTcp, "198.18.0.5", 1000, "198.19.0.1", 80, net::kTcpSyn);
  UpdateConnState(*r.conn, Direction::kInput, syn, timeouts, now_);  // SYN_RECV: 60 s
  AdvanceTo(30);
  EXPECT_EQ(table_.templates(), 1u);  // past its 10 s, but it controls a connection
  AdvanceTo(60);
  EXPECT_EQ(table_.size(), 1u);  // the connection went at 60 s; the template waits 10 s more
  AdvanceTo(71);
  EXPECT_EQ(table_.size(), 0u);
}

TEST_F(ConnSetupTest, NetmaskGroupsClients) {
  ServiceConfig cfg = RrService(80, 300);
  cfg.netmask = 0xffffff00;
  AddService(cfg);
  AddDests({"198.18.1.1", "198.18.1.2"});
  std::string d = DestOf(New("198.18.0.5", 1000));
  EXPECT_EQ(DestOf(New("198.18.0.77", 1000)), d);
  EXPECT_NE(DestOf(New("198.18.3.5", 1000)), d);
}

// Two workers, each with its own connections, share one template table: clients of one
// netmask stay on one server whichever worker places their connections, and a template lives
// on while a connection of either worker refers to it.
TEST_F(ConnSetupTest, WorkersWithTheirOwnConnectionsShareTheTemplates) {
  ServiceConfig cfg = RrService(80, 10);
  cfg.netmask = 0xffffff00;
  AddService(cfg);
  AddDests({"198.18.1.1", "198.18.1.2", "198.18.1.3"});
  TemplateTable shared(64, HashKey{{7, 0}}, 0);
  ConnTable other(64, HashKey{{6, 0}}, 0);
  templates_ = &shared.table();
  std::string d = DestOf(New("198.18.0.5", 1000));
  active_ = &other;
  EXPECT_EQ(DestOf(New("198.18.0.77", 2000)), d);
  EXPECT_EQ(DestOf(New("198.18.0.5", 1001)), d);
  EXPECT_EQ(table_.size(), 1u);
  EXPECT_EQ(other.size(), 2u);
  EXPECT_EQ(shared.table().templates(), 1u);
  EXPECT_EQ(shared.table().size(), 1u);
  // The connections end after 3 s, the template 10 s after that.
  auto expire = [&](ConnTable& t, Ticks at) {
    t.Expire(at, [&](ConnEntry* e, Ticks when) { return OnConnExpire(shared.table(), e, when); });
  };
  for (uint32_t s = 1; s <= 14; ++s) {
    expire(table_, SecondsToTicks(s));
    expire(other, SecondsToTicks(s));
    shared.Expire(SecondsToTicks(s));
  }
  EXPECT_EQ(table_.size() + other.size(), 0u);
  EXPECT_EQ(shared.table().size(), 0u);
  EXPECT_EQ(Svc().dests[0]->persistconns() + Svc().dests[1]->persistconns() + Svc().dests[2]->persistconns(), 0);
}

TEST_F(ConnSetupTest, PortZeroPersistentServiceSharesTheServerAcrossPorts) {
  ServiceConfig cfg = RrService(0, 300);
  AddService(cfg);
  ASSERT_TRUE(manager_.AddDest(key_, DestAt("198.18.1.1", 0)).ok());
  ASSERT_TRUE(manager_.AddDest(key_, DestAt("198.18.1.2", 0)).ok());
  ScheduleResult web = New("198.18.0.5", 1000, 80);
  ScheduleResult mail = New("198.18.0.5", 1001, 25);
  EXPECT_EQ(DestOf(web), DestOf(mail));
  EXPECT_EQ(web.conn->dport, 80);  // a port-zero destination keeps the port asked for
  EXPECT_EQ(mail.conn->dport, 25);
}

TEST_F(ConnSetupTest, FwmarkTemplateCoversEveryProtocol) {
  ServiceConfig cfg;
  cfg.key.fwmark = 7;
  cfg.key.family = net::Family::kInet;
  cfg.sched_name = "rr";
  cfg.flags = kSvcPersistent;
  cfg.timeout = 300;
  AddService(cfg);
  AddDests({"198.18.1.1", "198.18.1.2"}, 0);
  ScheduleResult tcp = New("198.18.0.5", 1000, 80, net::kProtoTcp);
  ScheduleResult udp = New("198.18.0.5", 1000, 53, net::kProtoUdp);
  EXPECT_EQ(DestOf(tcp), DestOf(udp));
  EXPECT_EQ(tcp.conn->fwmark, 7u);
  EXPECT_EQ(table_.FindTemplate(net::Family::kInet, 0, Ip("198.18.0.5").raw, net::RawAddr::FromV4(7), 0)->dest,
            tcp.conn->dest);
}

TEST_F(ConnSetupTest, DeletedServerInvalidatesItsTemplate) {
  ServiceConfig cfg = RrService(80, 300);
  AddService(cfg);
  AddDests({"198.18.1.1", "198.18.1.2"});
  ScheduleResult r = New("198.18.0.5", 1000);
  std::string first = DestOf(r);
  ASSERT_TRUE(manager_.DeleteDest(key_, Ip(first.c_str()), 8080).ok());
  EXPECT_NE(DestOf(New("198.18.0.5", 1001)), first);
}

TEST_F(ConnSetupTest, QuiescedServerKeepsItsClientsUnlessExpireQuiescentTemplate) {
  ServiceConfig cfg = RrService(80, 300);
  AddService(cfg);
  AddDests({"198.18.1.1", "198.18.1.2"});
  std::string first = DestOf(New("198.18.0.5", 1000));
  DestConfig quiet = DestAt(first.c_str(), 8080);
  quiet.weight = 0;
  ASSERT_TRUE(manager_.EditDest(key_, quiet).ok());
  EXPECT_EQ(DestOf(New("198.18.0.5", 1001)), first);
  settings_.expire_quiescent_template = true;
  EXPECT_NE(DestOf(New("198.18.0.5", 1002)), first);
}

TEST_F(ConnSetupTest, OnePacketUdpConnectionsAreNotHashed) {
  ServiceConfig cfg = RrService(53);
  cfg.key.protocol = net::kProtoUdp;
  cfg.flags = kSvcOnePacket;
  AddService(cfg);
  AddDests({"198.18.1.1"});
  ScheduleResult r = New("198.18.0.5", 1000, 53, net::kProtoUdp);
  ASSERT_EQ(r.status, ScheduleStatus::kOk);
  EXPECT_TRUE(r.conn->flags & kConnOnePacket);
  EXPECT_FALSE(r.conn->flags & kConnHashed);
  Dest* d = r.conn->dest;
  EXPECT_EQ(d->inactconns(), 1);
  ReleaseOnePacketConn(table_, table_, r.conn);
  EXPECT_EQ(d->inactconns(), 0);
  EXPECT_EQ(table_.size(), 0u);
}

TEST_F(ConnSetupTest, UpperThresholdOverloadsAndLowerReleases) {
  ServiceConfig cfg = RrService(80);
  AddService(cfg);
  DestConfig d = DestAt("198.18.1.1", 8080);
  d.u_threshold = 2;
  d.l_threshold = 1;
  ASSERT_TRUE(manager_.AddDest(key_, d).ok());
  EXPECT_EQ(New("198.18.0.5", 1).status, ScheduleStatus::kOk);
  EXPECT_EQ(New("198.18.0.5", 2).status, ScheduleStatus::kOk);
  EXPECT_TRUE(Svc().dests[0]->overloaded());
  EXPECT_EQ(New("198.18.0.5", 3).status, ScheduleStatus::kNoDest);
  AdvanceTo(3);
  EXPECT_FALSE(Svc().dests[0]->overloaded());
  EXPECT_EQ(New("198.18.0.5", 4).status, ScheduleStatus::kOk);
}

}  // namespace
}  // namespace ipvsd::core
