// File: io/pcap/pcap_io_test.cc
//
// PcapIo's capture filter, compiled by libpcap for an Ethernet link (pcap_open_dead, no
// interface, no root) and run on exact frames with pcap_offline_filter: service packets by
// destination (with a port and any port), NAT replies by source except those to the director's
// own addresses, ICMP errors, fragments to a service address, ARP and Neighbor Discovery are
// captured; the director's other traffic is not, so it costs the data plane nothing.
#include "io/pcap/pcap_io.h"

#include <gtest/gtest.h>
#include <pcap/pcap.h>

#include <string>
#include <vector>

#include "tests/testing/packet_builder.h"

namespace ipvsd::io {
namespace {

using ipvsd::testing::PacketBuilder;

constexpr const char* kClientMac = "02:00:00:00:00:02";
constexpr const char* kDirectorMac = "02:00:00:00:00:01";

L4Match Match(const char* addr, uint8_t protocol, uint16_t port) {
  const net::IpAddr a = *net::IpAddr::Parse(addr);
  return L4Match{a.family, protocol, a.raw, port};
}

class PcapFilterTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dead_ = pcap_open_dead(DLT_EN10MB, 65535);
    ASSERT_NE(dead_, nullptr);
    TrafficFilter f;
    f.services = {Match("198.19.0.1", net::kProtoTcp, 8080), Match("198.19.0.1", net::kProtoUdp, 8080),
                  Match("2001:db8:ff::1", net::kProtoTcp, 8080), Match("198.19.0.2", net::kProtoUdp, 0)};
    f.nat_sources = {Match("198.18.1.11", net::kProtoTcp, 8080), Match("2001:db8:1::11", net::kProtoTcp, 8080)};
    f.local_addrs = {*net::IpAddr::Parse("198.18.1.1"), *net::IpAddr::Parse("2001:db8:1::1")};
    AppliedFilter applied;
    applied.Apply(applied.ChangeTo(f));
    expression_ = PcapIo::FilterExpression(applied);
    ASSERT_EQ(pcap_compile(dead_, &program_, expression_.c_str(), 1, PCAP_NETMASK_UNKNOWN), 0)
        << pcap_geterr(dead_) << "\n" << expression_;
  }
  void TearDown() override {
    pcap_freecode(&program_);
    if (dead_) pcap_close(dead_);
  }
  bool Captured(const std::vector<uint8_t>& frame) {
    pcap_pkthdr h{};
    h.caplen = h.len = static_cast<uint32_t>(frame.size());
    return pcap_offline_filter(&program_, &h, frame.data()) != 0;
  }

  pcap_t* dead_ = nullptr;
  bpf_program program_{};
  std::string expression_;
};

TEST_F(PcapFilterTest, ServicePackets) {
  PacketBuilder tcp;
  tcp.Eth(kClientMac, kDirectorMac).Ipv4("198.18.0.2", "198.19.0.1").Tcp(40000, 8080, 0x02);
  EXPECT_TRUE(Captured(tcp.Build()));
  PacketBuilder udp;
  udp.Eth(kClientMac, kDirectorMac).Ipv4("198.18.0.2", "198.19.0.1").Udp(40000, 8080);
  EXPECT_TRUE(Captured(udp.Build()));
  PacketBuilder tcp6;
  tcp6.Eth(kClientMac, kDirectorMac).Ipv6("2001:db8::2", "2001:db8:ff::1").Tcp(40000, 8080, 0x02);
  EXPECT_TRUE(Captured(tcp6.Build()));
  PacketBuilder any_port;
  any_port.Eth(kClientMac, kDirectorMac).Ipv4("198.18.0.2", "198.19.0.2").Udp(40000, 53);
  EXPECT_TRUE(Captured(any_port.Build()));
}

TEST_F(PcapFilterTest, OtherTrafficStaysTheKernelsAlone) {
  PacketBuilder other_port;
  other_port.Eth(kClientMac, kDirectorMac).Ipv4("198.18.0.2", "198.19.0.1").Tcp(40000, 22, 0x02);
  EXPECT_FALSE(Captured(other_port.Build()));
  PacketBuilder other_proto;  // UDP to the TCP-only IPv6 service
  other_proto.Eth(kClientMac, kDirectorMac).Ipv6("2001:db8::2", "2001:db8:ff::1").Udp(40000, 8080);
  EXPECT_FALSE(Captured(other_proto.Build()));
  PacketBuilder ping;
  ping.Eth(kClientMac, kDirectorMac).Ipv4("198.18.0.2", "198.18.0.1").Icmp(8, 0);
  EXPECT_FALSE(Captured(ping.Build()));
}

TEST_F(PcapFilterTest, NatRepliesButNotToTheDirectorsOwnAddresses) {
  PacketBuilder reply;
  reply.Eth(kClientMac, kDirectorMac).Ipv4("198.18.1.11", "198.18.0.2").Tcp(8080, 40000, 0x12);
  EXPECT_TRUE(Captured(reply.Build()));
  PacketBuilder reply6;
  reply6.Eth(kClientMac, kDirectorMac).Ipv6("2001:db8:1::11", "2001:db8::2").Tcp(8080, 40000, 0x12);
  EXPECT_TRUE(Captured(reply6.Build()));
  PacketBuilder to_director;  // a health check's answer
  to_director.Eth(kClientMac, kDirectorMac).Ipv4("198.18.1.11", "198.18.1.1").Tcp(8080, 40000, 0x12);
  EXPECT_FALSE(Captured(to_director.Build()));
  PacketBuilder to_director6;
  to_director6.Eth(kClientMac, kDirectorMac).Ipv6("2001:db8:1::11", "2001:db8:1::1").Tcp(8080, 40000, 0x12);
  EXPECT_FALSE(Captured(to_director6.Build()));
}

TEST_F(PcapFilterTest, IcmpErrorsAndFragments) {
  PacketBuilder unreachable;
  unreachable.Eth(kClientMac, kDirectorMac).Ipv4("198.18.0.2", "198.19.0.1").Icmp(3, 4);
  EXPECT_TRUE(Captured(unreachable.Build()));
  PacketBuilder too_big;
  too_big.Eth(kClientMac, kDirectorMac).Ipv6("2001:db8::2", "2001:db8:ff::1").Icmpv6(2, 0, 1280);
  EXPECT_TRUE(Captured(too_big.Build()));
  PacketBuilder fragment;
  fragment.Eth(kClientMac, kDirectorMac).Ipv4("198.18.0.2", "198.19.0.1").FragmentOffset(100).Udp(1, 2);
  EXPECT_TRUE(Captured(fragment.Build()));
}

TEST_F(PcapFilterTest, ArpAndNeighborDiscovery) {
  std::vector<uint8_t> arp(42, 0);
  arp[12] = 0x08;
  arp[13] = 0x06;
  EXPECT_TRUE(Captured(arp));
  PacketBuilder ns;
  ns.Eth(kClientMac, "33:33:ff:00:00:01").Ipv6("2001:db8:1::11", "ff02::1:ff00:1").Ttl(255).Icmpv6(135, 0);
  EXPECT_TRUE(Captured(ns.Build()));
  PacketBuilder na;
  na.Eth(kClientMac, kDirectorMac).Ipv6("2001:db8:1::11", "2001:db8:1::1").Ttl(255).Icmpv6(136, 0);
  EXPECT_TRUE(Captured(na.Build()));
  PacketBuilder echo6;
  echo6.Eth(kClientMac, kDirectorMac).Ipv6("2001:db8::2", "2001:db8::1").Icmpv6(128, 0);
  EXPECT_FALSE(Captured(echo6.Build()));
}

TEST(PcapFilterExpressionTest, EmptyFilterCapturesOnlyNeighboursAndIcmpErrors) {
  EXPECT_EQ(PcapIo::FilterExpression(AppliedFilter{}),
            "arp or (icmp6 and (ip6[40] == 135 or ip6[40] == 136)) or "
            "(icmp and (icmp[0] == 3 or icmp[0] == 4 or icmp[0] == 11 or icmp[0] == 12)) or "
            "(icmp6 and ip6[40] >= 1 and ip6[40] <= 4)");
}

}  // namespace
}  // namespace ipvsd::io
