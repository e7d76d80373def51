#include "fwd/dr.h"

#include <gtest/gtest.h>

#include <ostream>
#include <string>
#include <vector>

#include "fwd/fwd_test_util.h"
#include "net/headers.h"

namespace ipvsd::fwd {
namespace {

using ipvsd::testing::PacketBuilder;
using testing::ExpectFrame;
using testing::TestFrame;

struct DrCase {
  std::string description;
  std::vector<uint8_t> input;
  std::vector<uint8_t> expected;
};
void PrintTo(const DrCase& c, std::ostream* os) { *os << c.description; }

// DR changes nothing but the TTL / hop limit (and so the IPv4 header checksum).
std::vector<DrCase> Cases() {
  auto tcp4 = [](uint8_t ttl) {
    return PacketBuilder().Ipv4("198.18.0.1", "198.19.0.1").Ttl(ttl).Df(true).Id(7).Tcp(40000, 80, net::kTcpSyn);
  };
  auto udp6 = [](uint8_t ttl) { return PacketBuilder().Ipv6("2001:db8::1", "2001:db8:1::1").Ttl(ttl).Udp(5353, 53).Payload("q"); };
  auto sctp4 = [](uint8_t ttl) {
    return PacketBuilder().Ipv4("198.18.0.1", "198.19.0.1").Ttl(ttl).Sctp(5000, 5001, 7, net::kSctpInit).Payload("init");
  };
  auto icmp4 = [](uint8_t ttl) {
    std::vector<uint8_t> q = PacketBuilder().Ipv4("198.19.0.1", "198.18.0.1").Tcp(80, 40000, net::kTcpAck).BuildL3();
    q.resize(28);
    return PacketBuilder().Ipv4("198.18.0.254", "198.19.0.1").Ttl(ttl).Icmp(net::kIcmpDestUnreach, net::kIcmpPortUnreach).Embed(q);
  };
  return {
      {"tcp_v4", tcp4(64).Build(), tcp4(63).Build()},
      {"tcp_v4_vlan", tcp4(64).Vlan(7).Build(), tcp4(63).Vlan(7).Build()},
      {"udp_v6", udp6(64).Build(), udp6(63).Build()},
      {"sctp_v4", sctp4(2).Build(), sctp4(1).Build()},
      {"icmp_error_v4_relayed", icmp4(64).Build(), icmp4(63).Build()},
  };
}

class DrGoldenTest : public ::testing::TestWithParam<DrCase> {};

TEST_P(DrGoldenTest, OnlyTheTtlChanges) {
  TestFrame tf(GetParam().input);
  uint32_t mtu_out = 0;
  ASSERT_EQ(DrXmit(tf.Parse(), 1500, &mtu_out), FwdStatus::kOk);
  ExpectFrame(GetParam().expected, tf.Bytes());
}

INSTANTIATE_TEST_SUITE_P(Golden, DrGoldenTest, ::testing::ValuesIn(Cases()),
                         [](const ::testing::TestParamInfo<DrCase>& info) { return info.param.description; });

TEST(DrTest, ExpiredTtlIsRefusedUntouched) {
  for (bool v6 : {false, true}) {
    PacketBuilder b;
    if (v6) {
      b.Ipv6("2001:db8::1", "2001:db8:1::1");
    } else {
      b.Ipv4("198.18.0.1", "198.19.0.1");
    }
    std::vector<uint8_t> in = b.Ttl(1).Udp(1, 2).Build();
    TestFrame tf(in);
    uint32_t mtu_out = 0;
    EXPECT_EQ(DrXmit(tf.Parse(), 1500, &mtu_out), FwdStatus::kTtlExceeded);
    EXPECT_EQ(tf.Bytes(), in);
  }
}

TEST(DrTest, TooBigFollowsDfAndFamily) {
  std::string big(1481, 'x');
  struct Row {
    const char* description;
    PacketBuilder packet;
    FwdStatus want;
  } rows[] = {
      {"v4 DF", PacketBuilder().Ipv4("198.18.0.1", "198.19.0.1").Df(true).Protocol(253).Payload(big), FwdStatus::kTooBig},
      {"v4 no DF: fragmented further on", PacketBuilder().Ipv4("198.18.0.1", "198.19.0.1").Protocol(253).Payload(big),
       FwdStatus::kOk},
      {"v6", PacketBuilder().Ipv6("2001:db8::1", "2001:db8:1::1").Protocol(253).Payload(big), FwdStatus::kTooBig},
  };
  for (Row& r : rows) {
    SCOPED_TRACE(r.description);
    std::vector<uint8_t> in = r.packet.Build();
    TestFrame tf(in);
    uint32_t mtu_out = 0;
    EXPECT_EQ(DrXmit(tf.Parse(), 1480, &mtu_out), r.want);
    if (r.want == FwdStatus::kTooBig) {
      EXPECT_EQ(mtu_out, 1480u);
      EXPECT_EQ(tf.Bytes(), in);
    }
  }
}

// A TCP aggregate is measured by the segments the kernel will cut it into (IP and TCP headers
// plus gso_size), as skb_gso_validate_network_len(): 20 + 20 + 1440 fits 1480, 1441 does not.
TEST(DrTest, AggregateIsMeasuredBySegment) {
  std::vector<uint8_t> in =
      PacketBuilder().Ipv4("198.18.0.1", "198.19.0.1").Df(true).Tcp(40000, 80, net::kTcpAck).Payload(std::string(30000, 'x')).Build();
  for (uint16_t gso_size : {1440, 1441}) {
    TestFrame tf(in);
    net::PacketView v = tf.Parse();
    v.gso_size = gso_size;
    uint32_t mtu_out = 0;
    EXPECT_EQ(DrXmit(v, 1480, &mtu_out), gso_size == 1440 ? FwdStatus::kOk : FwdStatus::kTooBig) << gso_size;
  }
}

// ip_vs_iph_icmp: a relayed IPv4 ICMP error is never refused for its size.
TEST(DrTest, RelayedIpv4IcmpErrorIsExemptFromMtu) {
  std::vector<uint8_t> q = PacketBuilder().Ipv4("198.19.0.1", "198.18.0.1").Df(true).Udp(80, 40000).Payload(std::string(1000, 'y')).BuildL3();
  TestFrame tf(PacketBuilder().Ipv4("198.18.0.254", "198.19.0.1").Df(true).Icmp(net::kIcmpDestUnreach, net::kIcmpPortUnreach).Embed(q).Build());
  uint32_t mtu_out = 0;
  EXPECT_EQ(DrXmit(tf.Parse(), 576, &mtu_out), FwdStatus::kOk);
}

}  // namespace
}  // namespace ipvsd::fwd
