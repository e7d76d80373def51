#include "daemon/traffic_filter_builder.h"

#include <gtest/gtest.h>

#include "core/service_manager.h"
#include "net/headers.h"
#include "sched/registry.h"

namespace ipvsd::daemon {
namespace {

net::IpAddr Ip(const char* s) { return *net::IpAddr::Parse(s); }

TEST(TrafficFilterBuilderTest, ServicesAndNatSourcesButNoFwmarks) {
  core::ServiceManager m(sched::MakeScheduler);
  core::ServiceConfig web;
  web.key.protocol = net::kProtoTcp;
  web.key.addr = Ip("198.19.0.1").raw;
  web.key.port = 80;
  ASSERT_TRUE(m.AddService(web).ok());
  core::ServiceConfig mark;
  mark.key.fwmark = 3;
  ASSERT_TRUE(m.AddService(mark).ok());
  core::DestConfig nat;
  nat.addr = Ip("198.18.1.11");
  nat.port = 8080;
  nat.fwd = core::FwdMethod::kMasq;
  ASSERT_TRUE(m.AddDest(web.key, nat).ok());
  core::DestConfig dr;
  dr.addr = Ip("198.18.1.12");
  dr.port = 80;
  dr.fwd = core::FwdMethod::kRoute;
  ASSERT_TRUE(m.AddDest(web.key, dr).ok());
  ASSERT_TRUE(m.AddDest(mark.key, nat).ok());

  TrafficFilterTracker tracker;
  io::TrafficFilterChange c = tracker.Update(*m.table());
  ASSERT_EQ(c.add_services.size(), 1u);
  EXPECT_EQ(c.add_services[0], (io::L4Match{net::Family::kInet, net::kProtoTcp, Ip("198.19.0.1").raw, 80}));
  ASSERT_EQ(c.add_nat_sources.size(), 1u);
  EXPECT_EQ(c.add_nat_sources[0], (io::L4Match{net::Family::kInet, net::kProtoTcp, Ip("198.18.1.11").raw, 8080}));
  EXPECT_TRUE(c.remove_services.empty());
  EXPECT_TRUE(c.remove_nat_sources.empty());
}

TEST(TrafficFilterBuilderTest, ChangesFollowTheTableAndASharedNatSourceStaysWhileUsed) {
  core::ServiceManager m(sched::MakeScheduler);
  core::ServiceConfig a;
  a.key.protocol = net::kProtoTcp;
  a.key.addr = Ip("198.19.0.1").raw;
  a.key.port = 80;
  core::ServiceConfig b = a;
  b.key.port = 81;
  core::DestConfig nat;
  nat.addr = Ip("198.18.1.11");
  nat.port = 8080;
  nat.fwd = core::FwdMethod::kMasq;
  for (const core::ServiceConfig& s : {a, b}) {
    ASSERT_TRUE(m.AddService(s).ok());
    ASSERT_TRUE(m.AddDest(s.key, nat).ok());
  }
  const io::L4Match source{net::Family::kInet, net::kProtoTcp, Ip("198.18.1.11").raw, 8080};
  TrafficFilterTracker tracker;
  io::TrafficFilterChange c = tracker.Update(*m.table());
  EXPECT_EQ(c.add_services.size(), 2u);
  EXPECT_EQ(c.add_nat_sources, std::vector<io::L4Match>{source});
  EXPECT_TRUE(tracker.Update(*m.table()).add_services.empty());  // nothing changed, nothing to say

  // Service a goes: its match leaves, the NAT source stays (b still uses it).
  ASSERT_TRUE(m.DeleteService(a.key).ok());
  c = tracker.Update(*m.table());
  ASSERT_EQ(c.remove_services.size(), 1u);
  EXPECT_EQ(c.remove_services[0].port, 80);
  EXPECT_TRUE(c.remove_nat_sources.empty());

  // b's server turns to DR: its last NAT user is gone.
  core::DestConfig dr = nat;
  dr.fwd = core::FwdMethod::kRoute;
  ASSERT_TRUE(m.EditDest(b.key, dr).ok());
  c = tracker.Update(*m.table());
  EXPECT_TRUE(c.remove_services.empty());
  EXPECT_EQ(c.remove_nat_sources, std::vector<io::L4Match>{source});
}

}  // namespace
}  // namespace ipvsd::daemon
