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

  io::TrafficFilter f = BuildTrafficFilter(*m.table());
  ASSERT_EQ(f.services.size(), 1u);
  EXPECT_EQ(f.services[0], (io::L4Match{net::Family::kInet, net::kProtoTcp, Ip("198.19.0.1").raw, 80}));
  ASSERT_EQ(f.nat_sources.size(), 1u);
  EXPECT_EQ(f.nat_sources[0], (io::L4Match{net::Family::kInet, net::kProtoTcp, Ip("198.18.1.11").raw, 8080}));
}

}  // namespace
}  // namespace ipvsd::daemon
