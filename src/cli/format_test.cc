#include "cli/format.h"

#include <gtest/gtest.h>

namespace ipvsd::cli {
namespace {

TEST(LargeNumTest, AbbreviatesWithDecimalUnits) {
  EXPECT_EQ(LargeNum(0, kFmtNone), "        0");
  EXPECT_EQ(LargeNum(12, kFmtNone), "       12");
  EXPECT_EQ(LargeNum(99999999, kFmtNone), " 99999999");
  EXPECT_EQ(LargeNum(100000000, kFmtNone), "  100000K");
  EXPECT_EQ(LargeNum(123456789, kFmtNone), "  123456K");
  EXPECT_EQ(LargeNum(999999999, kFmtNone), "  999999K");
  EXPECT_EQ(LargeNum(1000000000, kFmtNone), "    1000M");
  EXPECT_EQ(LargeNum(4321000000, kFmtNone), "    4321M");
  EXPECT_EQ(LargeNum(99999999999ull, kFmtNone), "   99999M");
  EXPECT_EQ(LargeNum(100000000000ull, kFmtNone), "     100G");
  EXPECT_EQ(LargeNum(99999999999999ull, kFmtNone), "   99999G");
  EXPECT_EQ(LargeNum(100000000000000ull, kFmtNone), "     100T");
  EXPECT_EQ(LargeNum(18446744073709551615ull, kFmtNone), "18446744T");
}

TEST(LargeNumTest, ExactWidensTheColumn) {
  EXPECT_EQ(LargeNum(0, kFmtExact), "        0");
  EXPECT_EQ(LargeNum(12345678, kFmtExact), " 12345678");
  EXPECT_EQ(LargeNum(123456789, kFmtExact), " 123456789");
  EXPECT_EQ(LargeNum(4321000000, kFmtExact), " 4321000000");
  EXPECT_EQ(LargeNum(18446744073709551615ull, kFmtExact), " 18446744073709551615");
}

ctl::ServiceEntry TcpService(const char* addr, uint16_t port) {
  ctl::ServiceEntry e;
  e.spec.key.family = net::Family::kInet;
  e.spec.key.protocol = 6;
  e.spec.key.addr = net::IpAddr::Parse(addr)->raw;
  e.spec.key.port = port;
  e.spec.sched_name = "wlc";
  return e;
}

ctl::DestEntry Dest(const char* addr, uint16_t port) {
  ctl::DestEntry d;
  d.spec.addr = *net::IpAddr::Parse(addr);
  d.spec.port = port;
  d.spec.fwd = ctl::Fwd::kMasq;
  return d;
}

TEST(ServiceEntryTextTest, StatsLinesWithLargeCounters) {
  ctl::ServiceEntry e = TcpService("10.0.0.1", 80);
  e.stats = {12, 345, 300, 123456789, 4321000000, 0, 0, 0, 0, 0};
  ctl::DestEntry d = Dest("192.168.1.2", 80);
  d.stats = {100000000000000ull, 99999999, 1, 2, 3, 5, 6, 7, 1000000000, 8};
  e.dests = {d};
  EXPECT_EQ(ServiceEntryText(e, kFmtNumeric | kFmtStats),
            "TCP  10.0.0.1:80                        12      345      300  123456K    4321M\n"
            "  -> 192.168.1.2:80                   100T 99999999        1        2        3\n");
  EXPECT_EQ(ServiceEntryText(e, kFmtNumeric | kFmtStats | kFmtExact),
            "TCP  10.0.0.1:80                        12      345      300 123456789 4321000000\n"
            "  -> 192.168.1.2:80               100000000000000 99999999        1        2        3\n");
  // --rate: the destination's CPS/PPS columns are never abbreviated, the byte rates are.
  EXPECT_EQ(ServiceEntryText(e, kFmtNumeric | kFmtRate),
            "TCP  10.0.0.1:80                         0        0        0        0        0\n"
            "  -> 192.168.1.2:80                      5        6        7    1000M        8\n");
}

TEST(ServiceEntryTextTest, DefaultLineHasTrailingSpaces) {
  ctl::ServiceEntry e = TcpService("10.0.0.1", 80);
  ctl::DestEntry d = Dest("192.168.1.3", 80);
  d.spec.fwd = ctl::Fwd::kRoute;
  d.spec.weight = 2;
  d.activeconns = 13;
  d.inactconns = 120;
  e.dests = {d};
  EXPECT_EQ(ServiceEntryText(e, kFmtNumeric),
            "TCP  10.0.0.1:80 wlc\n"
            "  -> 192.168.1.3:80               Route   2      13         120       \n");
}

TEST(SortTest, FollowsLibipvsComparators) {
  std::vector<ctl::ServiceEntry> v = {TcpService("10.0.0.2", 80), TcpService("10.0.0.1", 443),
                                      TcpService("10.0.0.1", 80)};
  ctl::ServiceEntry fw;
  fw.spec.key.fwmark = 1;
  fw.spec.key.family = net::Family::kInet;
  v.insert(v.begin(), fw);
  ctl::ServiceEntry udp = TcpService("1.1.1.1", 1);
  udp.spec.key.protocol = 17;
  v.insert(v.begin(), udp);
  SortServices(v);
  EXPECT_EQ(v[0].spec.key.addr, net::IpAddr::Parse("10.0.0.1")->raw);
  EXPECT_EQ(v[0].spec.key.port, 80);
  EXPECT_EQ(v[1].spec.key.port, 443);
  EXPECT_EQ(v[2].spec.key.addr, net::IpAddr::Parse("10.0.0.2")->raw);
  EXPECT_EQ(v[3].spec.key.protocol, 17);
  EXPECT_EQ(v[4].spec.key.fwmark, 1u);

  std::vector<ctl::DestEntry> d = {Dest("10.0.0.2", 1), Dest("10.0.0.1", 2), Dest("10.0.0.1", 1)};
  SortDests(d);
  EXPECT_EQ(d[0].spec.port, 1);
  EXPECT_EQ(d[1].spec.port, 2);
  EXPECT_EQ(d[2].spec.addr, *net::IpAddr::Parse("10.0.0.2"));
}

// `ipvsadm -Ln` on an empty table, and a service without destinations: nothing to sort, and
// (under UBSan) no null pointer handed to qsort.
TEST(SortTest, EmptyTableAndServiceWithoutDests) {
  std::vector<ctl::ServiceEntry> none;
  SortServices(none);
  EXPECT_TRUE(none.empty());
  ctl::ServiceEntry e = TcpService("10.0.0.1", 80);
  SortDests(e.dests);
  EXPECT_TRUE(e.dests.empty());
  EXPECT_EQ(Title(kFmtNumeric) + ServiceEntryText(e, kFmtNumeric),
            "Prot LocalAddress:Port Scheduler Flags\n"
            "  -> RemoteAddress:Port           Forward Weight ActiveConn InActConn\n"
            "TCP  10.0.0.1:80 wlc\n");
}

TEST(ConnLineTest, MatchesTheLncFormat) {
  ctl::ConnRecord c;
  c.protocol = 6;
  c.client = {*net::IpAddr::Parse("10.0.0.5"), 51234};
  c.vaddr = {*net::IpAddr::Parse("10.0.0.1"), 80};
  c.dest = {*net::IpAddr::Parse("192.168.1.2"), 80};
  c.state = "ESTABLISHED";
  c.expires = 896;
  EXPECT_EQ(ConnLine(c, kFmtNumeric),
            "TCP 14:56  ESTABLISHED 10.0.0.5:51234     10.0.0.1:80        192.168.1.2:80\n");
  c.protocol = 0;
  c.state = "NONE";
  c.expires = 6000;
  c.pe_name = "sip";
  c.pe_data = "abc def";
  EXPECT_EQ(ConnLine(c, kFmtNumeric | kFmtPersistentConn),
            "IP  100:00 NONE        10.0.0.5:51234     10.0.0.1:80        192.168.1.2:80   sip                abc\n");
  EXPECT_EQ(ConnTitle(kFmtNone),
            "IPVS connection entries\npro expire state       source             virtual            destination\n");
}

TEST(DaemonLinesTest, MasterThenBackup) {
  ctl::DaemonList l;
  ctl::DaemonConfig b;
  b.state = ctl::kStateBackup;
  b.mcast_ifn = "eth1";
  ctl::DaemonConfig m;
  m.state = ctl::kStateMaster;
  m.mcast_ifn = "eth0";
  m.syncid = 1;
  m.sync_maxlen = 1472;
  m.mcast_group = net::IpAddr::V4(0xe0000051);
  m.mcast_port = 8848;
  m.mcast_ttl = 1;
  l.daemons = {b, m};
  EXPECT_EQ(DaemonLines(l),
            "master sync daemon (mcast=eth0, syncid=1, maxlen=1472, group=224.0.0.81, port=8848, ttl=1)\n"
            "backup sync daemon (mcast=eth1, syncid=0)\n");
}

}  // namespace
}  // namespace ipvsd::cli
