#include "fwd/tun.h"

#include <gtest/gtest.h>

#include <ostream>
#include <set>
#include <string>
#include <vector>

#include "fwd/fwd_test_util.h"
#include "net/encap.h"
#include "net/headers.h"

namespace ipvsd::fwd {
namespace {

using ipvsd::testing::PacketBuilder;
using testing::Addr;
using testing::ExpectFrame;
using testing::TestFrame;

constexpr const char* kClient4 = "198.18.0.1";
constexpr const char* kVip4 = "198.19.0.1";
constexpr const char* kDirector4 = "198.18.1.1";
constexpr const char* kRs4 = "198.18.2.10";
constexpr const char* kClient6 = "2001:db8::1";
constexpr const char* kVip6 = "2001:db8:1::1";
constexpr const char* kDirector6 = "2001:db8:3::1";
constexpr const char* kRs6 = "2001:db8:3::10";
constexpr uint16_t kGuePort = 6080;

enum class L4 { kTcp, kUdp, kSctp, kIcmpError };

// The client's packet as it reaches the director (ttl 64) or leaves inside the tunnel (63).
PacketBuilder Inner(bool v6, L4 l4, uint8_t ttl, uint8_t tos = 0, bool df = true) {
  PacketBuilder b;
  if (v6) {
    b.Ipv6(kClient6, kVip6);
  } else {
    b.Ipv4(kClient4, kVip4).Df(df).Id(0x4242);
  }
  b.Ttl(ttl).Tos(tos);
  switch (l4) {
    case L4::kTcp:
      b.Tcp(40000, 80, net::kTcpAck).TcpSeq(1, 2).Payload("GET / HTTP/1.0\r\n\r\n");
      break;
    case L4::kUdp:
      b.Udp(40000, 53).Payload("query");
      break;
    case L4::kSctp:
      b.Sctp(40000, 80, 9, net::kSctpData).Payload("data");
      break;
    case L4::kIcmpError: {
      PacketBuilder orig;
      if (v6) {
        orig.Ipv6(kVip6, kClient6);
      } else {
        orig.Ipv4(kVip4, kClient4);
      }
      std::vector<uint8_t> q = orig.Udp(53, 40000).Payload("answer").BuildL3();
      q.resize(v6 ? 48 : 28);
      if (v6) {
        b.Icmpv6(net::kIcmpv6DestUnreach, net::kIcmpv6PortUnreach).Embed(q);
      } else {
        b.Icmp(net::kIcmpDestUnreach, net::kIcmpPortUnreach).Embed(q);
      }
      break;
    }
  }
  return b;
}

core::DestConfig Config(bool outer_v6, core::TunType type, core::TunCsum csum) {
  core::DestConfig c;
  c.addr = net::IpAddr{Addr(outer_v6 ? kRs6 : kRs4), outer_v6 ? net::Family::kInet6 : net::Family::kInet};
  c.port = 80;
  c.fwd = core::FwdMethod::kTunnel;
  c.tun_type = type;
  c.tun_port = kGuePort;
  c.tun_csum = csum;
  return c;
}

core::ConnEntry Conn(bool inner_v6, bool outer_v6, uint8_t protocol) {
  core::ConnEntry c;
  c.af = inner_v6 ? net::Family::kInet6 : net::Family::kInet;
  c.daf = outer_v6 ? net::Family::kInet6 : net::Family::kInet;
  c.protocol = protocol;
  c.caddr = Addr(inner_v6 ? kClient6 : kClient4);
  c.vaddr = Addr(inner_v6 ? kVip6 : kVip4);
  c.daddr = Addr(outer_v6 ? kRs6 : kRs4);
  c.cport = 40000;
  c.vport = 80;
  c.dport = 80;
  c.flags = static_cast<uint16_t>(core::FwdMethod::kTunnel);
  return c;
}

uint8_t Proto(L4 l4, bool v6) {
  switch (l4) {
    case L4::kTcp:
      return net::kProtoTcp;
    case L4::kUdp:
      return net::kProtoUdp;
    case L4::kSctp:
      return net::kProtoSctp;
    case L4::kIcmpError:
      break;
  }
  return v6 ? net::kProtoIcmpv6 : net::kProtoIcmp;
}

struct TunCase {
  std::string description;
  bool inner_v6;
  bool outer_v6;
  L4 l4;
  core::TunType type;
  core::TunCsum csum;
  uint8_t inner_tos = 0;
  uint8_t outer_tos = 0;  // expected
  bool vlan = false;
};
void PrintTo(const TunCase& c, std::ostream* os) { *os << c.description; }

std::vector<TunCase> Cases() {
  using core::TunCsum;
  using core::TunType;
  std::vector<TunCase> cases;
  for (const testing::TunKind& k : testing::kTunKinds) {
    for (bool outer_v6 : {false, true}) {
      for (bool inner_v6 : {false, true}) {
        std::string fam = std::string(inner_v6 ? "6" : "4") + "in" + (outer_v6 ? "6" : "4");
        cases.push_back({std::string(k.name) + "_" + fam + "_tcp", inner_v6, outer_v6, L4::kTcp, k.type, k.csum});
      }
    }
  }
  cases.push_back({"ipip_4in4_udp", false, false, L4::kUdp, TunType::kIpip, TunCsum::kNoCsum});
  cases.push_back({"gue_csum_6in4_udp", true, false, L4::kUdp, TunType::kGue, TunCsum::kCsum});
  cases.push_back({"ipip_4in4_sctp", false, false, L4::kSctp, TunType::kIpip, TunCsum::kNoCsum});
  cases.push_back({"gre_csum_6in6_sctp", true, true, L4::kSctp, TunType::kGre, TunCsum::kCsum});
  cases.push_back({"ipip_4in4_icmp_error", false, false, L4::kIcmpError, TunType::kIpip, TunCsum::kNoCsum});
  cases.push_back({"gue_csum_6in6_icmpv6_error", true, true, L4::kIcmpError, TunType::kGue, TunCsum::kCsum});
  // DSCP copied; ECN copied except CE, which the outer header carries as ECT(0).
  cases.push_back({"ipip_4in4_dscp_ect1", false, false, L4::kTcp, TunType::kIpip, TunCsum::kNoCsum, 0xb9, 0xb9});
  cases.push_back({"ipip_4in4_dscp_ce", false, false, L4::kTcp, TunType::kIpip, TunCsum::kNoCsum, 0xbb, 0xba});
  cases.push_back({"gre_6in4_tclass_ce", true, false, L4::kUdp, TunType::kGre, TunCsum::kNoCsum, 0x2b, 0x2a});
  cases.push_back({"gue_csum_4in4_vlan", false, false, L4::kTcp, TunType::kGue, TunCsum::kCsum, 0, 0, true});
  cases.push_back({"ipip_6in4_vlan", true, false, L4::kUdp, TunType::kIpip, TunCsum::kNoCsum, 0, 0, true});
  return cases;
}

// The frame the real server should receive, field by field from the kernel's rules.
std::vector<uint8_t> Expected(const TunCase& c, uint16_t gue_sport, uint16_t outer_id) {
  bool df = !c.inner_v6;  // DF copied from an IPv4 inner packet (built with DF), never for IPv6
  PacketBuilder b = Inner(c.inner_v6, c.l4, 63, c.inner_tos);
  if (c.vlan) b.Vlan(100);
  if (c.outer_v6) {
    b.OuterIpv6(kDirector6, kRs6);
  } else {
    b.OuterIpv4(kDirector4, kRs4).OuterDf(df).OuterId(df ? 0 : outer_id);
  }
  b.OuterTtl(63).OuterTos(c.outer_tos);
  bool csum = c.csum != core::TunCsum::kNoCsum;
  switch (c.type) {
    case core::TunType::kIpip:
      b.Ipip();
      break;
    case core::TunType::kGue:
      b.Gue(gue_sport, kGuePort, csum);
      break;
    case core::TunType::kGre:
      b.Gre(csum);
      break;
  }
  return b.Build();
}

class TunGoldenTest : public ::testing::TestWithParam<TunCase> {};

TEST_P(TunGoldenTest, EncapsulatesAsTheKernel) {
  const TunCase& c = GetParam();
  PacketBuilder in = Inner(c.inner_v6, c.l4, 64, c.inner_tos);
  if (c.vlan) in.Vlan(100);
  TestFrame tf(in.Build());
  net::PacketView pkt = tf.Parse();
  // Pinned separately below (range, stability, uniqueness); here they only fill the fields.
  uint16_t sport = net::GueSourcePort(TunnelFlowHash(pkt));
  uint16_t id = OuterIpId(pkt);
  core::Dest dest(Config(c.outer_v6, c.type, c.csum));
  uint32_t mtu_out = 0;
  ASSERT_EQ(TunXmit(tf.frame(), pkt, Conn(c.inner_v6, c.outer_v6, Proto(c.l4, c.inner_v6)), dest,
                    Addr(c.outer_v6 ? kDirector6 : kDirector4), 1500, &mtu_out),
            FwdStatus::kOk);
  ExpectFrame(Expected(c, sport, id), tf.Bytes());
}

INSTANTIATE_TEST_SUITE_P(Golden, TunGoldenTest, ::testing::ValuesIn(Cases()),
                         [](const ::testing::TestParamInfo<TunCase>& info) { return info.param.description; });

TEST(TunTest, OuterHeaderWithoutDfTakesAnIdDerivedFromTheInnerOne) {
  TestFrame tf(Inner(false, L4::kUdp, 64, 0, /*df=*/false).Build());
  net::PacketView pkt = tf.Parse();
  uint16_t id = OuterIpId(pkt);
  core::Dest dest(Config(false, core::TunType::kIpip, core::TunCsum::kNoCsum));
  uint32_t mtu_out = 0;
  ASSERT_EQ(TunXmit(tf.frame(), pkt, Conn(false, false, net::kProtoUdp), dest, Addr(kDirector4), 1500, &mtu_out),
            FwdStatus::kOk);
  ExpectFrame(Inner(false, L4::kUdp, 63, 0, false).OuterIpv4(kDirector4, kRs4).OuterTtl(63).OuterId(id).Ipip().Build(),
              tf.Bytes());
}

// Within one flow the outer ID follows the inner ID one to one, so fragments of different
// packets never share an ID when the sender's IDs differ.
TEST(TunTest, OuterIpIdIsABijectionOfTheInnerIdWithinAFlow) {
  std::set<uint16_t> seen;
  for (uint32_t inner_id = 0; inner_id < 0x10000; inner_id += 7) {
    TestFrame tf(PacketBuilder().Ipv4(kClient4, kVip4).Id(static_cast<uint16_t>(inner_id)).Udp(40000, 53).Build());
    seen.insert(OuterIpId(tf.Parse()));
  }
  EXPECT_EQ(seen.size(), (0x10000u + 6) / 7);
}

TEST(TunTest, GueSourcePortIsStablePerFlowAndInTheEphemeralRange) {
  std::set<uint16_t> ports;
  for (uint16_t cport = 1024; cport < 1024 + 2000; ++cport) {
    TestFrame a(PacketBuilder().Ipv4(kClient4, kVip4).Udp(cport, 53).Payload("a").Build());
    TestFrame b(PacketBuilder().Ipv4(kClient4, kVip4).Ttl(9).Udp(cport, 53).Payload("different").Build());
    uint16_t pa = net::GueSourcePort(TunnelFlowHash(a.Parse()));
    EXPECT_EQ(pa, net::GueSourcePort(TunnelFlowHash(b.Parse())));
    EXPECT_GE(pa, net::kGueSourcePortMin);
    EXPECT_LE(pa, net::kGueSourcePortMax);
    ports.insert(pa);
  }
  EXPECT_GT(ports.size(), 1900u);  // 2000 flows over 28232 ports: few collisions
}

struct RefusalRow {
  const char* description;
  bool inner_v6;
  bool outer_v6;
  core::TunType type;
  core::TunCsum csum;
  uint32_t path_mtu;
  size_t payload;
  bool df;
  uint32_t headroom;
  uint8_t ttl;
  FwdStatus want;
  uint32_t want_mtu;
};

TEST(TunTest, RefusalsLeaveTheFrameUntouched) {
  using core::TunCsum;
  using core::TunType;
  const RefusalRow rows[] = {
      // inner IP length = 20 + 8 + payload (IPv4) / 40 + 8 + payload (IPv6)
      {"4in4 ipip: 1481 > 1500-20", false, false, TunType::kIpip, TunCsum::kNoCsum, 1500, 1453, true, 128, 64,
       FwdStatus::kTooBig, 1480},
      {"4in4 gue: 1469 > 1500-20-12", false, false, TunType::kGue, TunCsum::kCsum, 1500, 1441, true, 128, 64,
       FwdStatus::kTooBig, 1468},
      {"4in4 gre csum: 1473 > 1500-20-8", false, false, TunType::kGre, TunCsum::kCsum, 1500, 1445, true, 128, 64,
       FwdStatus::kTooBig, 1472},
      {"4in4 gre: 1477 > 1500-20-4", false, false, TunType::kGre, TunCsum::kNoCsum, 1500, 1449, true, 128, 64,
       FwdStatus::kTooBig, 1476},
      {"6in6 ipip: 1461 > 1500-40", true, true, TunType::kIpip, TunCsum::kNoCsum, 1500, 1413, true, 128, 64,
       FwdStatus::kTooBig, 1460},
      {"6in4 gue: IPv6 never fragmented", true, false, TunType::kGue, TunCsum::kNoCsum, 1500, 1421, true, 128, 64,
       FwdStatus::kTooBig, 1468},
      {"4in6 ipip: below the IPv6 minimum", false, true, TunType::kIpip, TunCsum::kNoCsum, 1300, 10, true, 128, 64,
       FwdStatus::kUnsupported, 0},
      {"4in4 gue: below 68", false, false, TunType::kGue, TunCsum::kNoCsum, 99, 10, true, 128, 64,
       FwdStatus::kUnsupported, 0},
      {"no headroom for 4in6 gue", false, true, TunType::kGue, TunCsum::kNoCsum, 1500, 10, true, 40, 64,
       FwdStatus::kNoHeadroom, 0},
      {"ttl expired", false, false, TunType::kIpip, TunCsum::kNoCsum, 1500, 10, true, 128, 1, FwdStatus::kTtlExceeded,
       0},
  };
  for (const RefusalRow& r : rows) {
    SCOPED_TRACE(r.description);
    PacketBuilder b;
    if (r.inner_v6) {
      b.Ipv6(kClient6, kVip6);
    } else {
      b.Ipv4(kClient4, kVip4).Df(r.df);
    }
    std::vector<uint8_t> in = b.Ttl(r.ttl).Udp(40000, 53).Payload(std::string(r.payload, 'z')).Build();
    TestFrame tf(in, r.headroom);
    core::Dest dest(Config(r.outer_v6, r.type, r.csum));
    uint32_t mtu_out = 0;
    EXPECT_EQ(TunXmit(tf.frame(), tf.Parse(), Conn(r.inner_v6, r.outer_v6, net::kProtoUdp), dest,
                      Addr(r.outer_v6 ? kDirector6 : kDirector4), r.path_mtu, &mtu_out),
              r.want);
    EXPECT_EQ(mtu_out, r.want_mtu);
    EXPECT_EQ(tf.Bytes(), in);
  }
}

TEST(TunTest, InnerPacketOfExactlyTheInnerMtuGoesThrough) {
  std::vector<uint8_t> in = PacketBuilder().Ipv4(kClient4, kVip4).Df(true).Udp(40000, 53).Payload(std::string(1452, 'z')).Build();
  TestFrame tf(in);
  core::Dest dest(Config(false, core::TunType::kIpip, core::TunCsum::kNoCsum));
  uint32_t mtu_out = 0;
  EXPECT_EQ(TunXmit(tf.frame(), tf.Parse(), Conn(false, false, net::kProtoUdp), dest, Addr(kDirector4), 1500, &mtu_out),
            FwdStatus::kOk);
  EXPECT_EQ(tf.Bytes().size(), 14u + 1500u);
}

TEST(TunTest, IpipWithoutDfLargerThanTheInnerMtuIsSentForFragmentation) {
  std::vector<uint8_t> in = PacketBuilder().Ipv4(kClient4, kVip4).Udp(40000, 53).Payload(std::string(1460, 'z')).Build();
  TestFrame tf(in);
  core::Dest dest(Config(false, core::TunType::kIpip, core::TunCsum::kNoCsum));
  uint32_t mtu_out = 0;
  EXPECT_EQ(TunXmit(tf.frame(), tf.Parse(), Conn(false, false, net::kProtoUdp), dest, Addr(kDirector4), 1500, &mtu_out),
            FwdStatus::kOk);
}

TEST(TunTest, InnerMtuPerTunnelType) {
  core::Dest ipip(Config(false, core::TunType::kIpip, core::TunCsum::kNoCsum));
  core::Dest gue(Config(false, core::TunType::kGue, core::TunCsum::kRemCsum));
  core::Dest gre(Config(false, core::TunType::kGre, core::TunCsum::kCsum));
  EXPECT_EQ(TunnelInnerMtu(ipip, net::Family::kInet, 1500), 1480u);
  EXPECT_EQ(TunnelInnerMtu(ipip, net::Family::kInet6, 1500), 1460u);
  EXPECT_EQ(TunnelInnerMtu(gue, net::Family::kInet, 1500), 1468u);
  EXPECT_EQ(TunnelInnerMtu(gre, net::Family::kInet6, 1500), 1452u);
  EXPECT_EQ(TunnelInnerMtu(ipip, net::Family::kInet, 88), 68u);
  EXPECT_EQ(TunnelInnerMtu(ipip, net::Family::kInet, 87), 0u);
  EXPECT_EQ(TunnelInnerMtu(ipip, net::Family::kInet6, 1320), 1280u);
  EXPECT_EQ(TunnelInnerMtu(ipip, net::Family::kInet6, 1319), 0u);
}

// The tunnelled frame parses as the outer packet addressed to the real server.
TEST(TunTest, ResultParsesAsTheOuterPacket) {
  TestFrame tf(Inner(false, L4::kTcp, 64).Build());
  core::Dest dest(Config(true, core::TunType::kGue, core::TunCsum::kCsum));
  uint32_t mtu_out = 0;
  ASSERT_EQ(TunXmit(tf.frame(), tf.Parse(), Conn(false, true, net::kProtoTcp), dest, Addr(kDirector6), 1500, &mtu_out),
            FwdStatus::kOk);
  net::PacketView out = tf.Parse();
  EXPECT_EQ(out.family, net::Family::kInet6);
  EXPECT_EQ(out.protocol, net::kProtoUdp);
  EXPECT_EQ(out.dst, Addr(kRs6));
  EXPECT_EQ(out.dport, kGuePort);
}

}  // namespace
}  // namespace ipvsd::fwd
