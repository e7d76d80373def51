// Tests of the shared packet-test helpers (tests/testing/packet_builder.h and
// checksum_verify.h). They live here because every golden test of the project trusts them and
// net_test is the test binary that links them beside the wire format they encode. Each
// builder case is pinned to bytes produced by scapy 2.5.0 with the command beside it.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "net/headers.h"

// check_layering.sh reads every quoted #include under src/ as a layer dependency; the shared
// test helpers live outside the layers, so they are included with angle brackets.
#include <tests/testing/checksum_verify.h>
#include <tests/testing/hex.h>
#include <tests/testing/packet_builder.h>

namespace ipvsd::net {
namespace {

using ::ipvsd::testing::DiffDump;
using ::ipvsd::testing::FromHex;
using ::ipvsd::testing::Ipv4HeaderChecksumOk;
using ::ipvsd::testing::L4ChecksumOk;
using ::ipvsd::testing::OnesComplementChecksum;
using ::ipvsd::testing::OnesComplementSum;
using ::ipvsd::testing::PacketBuilder;

constexpr char kSrcMac[] = "02:00:00:00:00:01";
constexpr char kDstMac[] = "02:00:00:00:00:02";

PacketBuilder Eth() { return PacketBuilder().Eth(kSrcMac, kDstMac); }

std::vector<uint8_t> Range(int n) {
  std::vector<uint8_t> v;
  for (int i = 0; i < n; ++i) v.push_back(static_cast<uint8_t>(i));
  return v;
}

struct Golden {
  const char* name;
  std::vector<uint8_t> built;
  const char* scapy_hex;
};

// In every scapy command, E = Ether(src="02:00:00:00:00:01", dst="02:00:00:00:00:02").
std::vector<Golden> Goldens() {
  std::vector<uint8_t> quoted_tcp =
      PacketBuilder().Ipv4("198.19.0.1", "198.18.0.1").Tcp(80, 12345, kTcpAck).BuildL3();
  quoted_tcp.resize(28);
  return {
      // E/IP(src="198.18.0.1", dst="198.19.0.1", id=0)/TCP(sport=12345, dport=80, flags="S")/"hello"
      {"tcp4", Eth().Ipv4("198.18.0.1", "198.19.0.1").Tcp(12345, 80, kTcpSyn).Payload("hello").Build(),
       "02000000000202000000000108004500002d000000004006eea3c6120001c6130001303900500000000000000000500220008f5a"
       "000068656c6c6f"},
      // E/IPv6(src="2001:db8::1", dst="2001:db8:1::1")/IPv6ExtHdrHopByHop(options=[PadN(optdata=b"\0"*4)])
      //   /UDP(sport=5000, dport=53)/"query"
      {"udp6_hbh",
       Eth().Ipv6("2001:db8::1", "2001:db8:1::1")
           .Ipv6ExtHeader(kIpv6HopByHop, {1, 4, 0, 0, 0, 0})
           .Udp(5000, 53)
           .Payload("query")
           .Build(),
       "02000000000202000000000186dd600000000015004020010db800000000000000000000000120010db8000100000000000000000001"
       "110001040000000013880035000d40ba7175657279"},
      // E/Dot1Q(vlan=100, prio=3)/IP(src="198.18.0.1", dst="198.19.0.1", id=7, ttl=17, flags="DF", tos=0x10)
      //   /UDP(sport=1000, dport=2000)/"x"
      {"vlan_udp4",
       Eth().Vlan(0x6064).Ipv4("198.18.0.1", "198.19.0.1").Id(7).Ttl(17).Df(true).Tos(0x10).Udp(1000, 2000).Payload("x").Build(),
       "0200000000020200000000018100606408004510001d000740001111dd91c6120001c613000103e807d00009effb78"},
      // E/IP(src="198.18.0.1", dst="198.19.0.1", id=0)/SCTP(sport=5000, dport=80, tag=0)
      //   /Raw(bytes([1, 0, 0, 20]) + bytes(range(16)))
      {"sctp4_init", Eth().Ipv4("198.18.0.1", "198.19.0.1").Sctp(5000, 80, 0, kSctpInit).Payload(Range(16)).Build(),
       "020000000002020000000001080045000034000000004084ee1ec6120001c61300011388005000000000e5f94d0201000014000102"
       "030405060708090a0b0c0d0e0f"},
      // E/IP(src="198.18.0.254", dst="198.19.0.1", id=0)/ICMP(type=3, code=4, nexthopmtu=1400)
      //   /Raw(bytes(IP(src="198.19.0.1", dst="198.18.0.1", id=0)/TCP(sport=80, dport=12345, flags="A"))[:28])
      {"icmp4_fragneeded", Eth().Ipv4("198.18.0.254", "198.19.0.1").Icmp(3, 4, 1400).Embed(quoted_tcp).Build(),
       "020000000002020000000001080045000038000000004001eda0c61200fec61300010304c6fa0000057845000028000000004006ee"
       "a8c6130001c61200010050303900000000"},
      // E/IPv6(src="2001:db8::fe", dst="2001:db8:1::1")/ICMPv6PacketTooBig(mtu=1280)
      //   /Raw(bytes(IPv6(src="2001:db8:1::1", dst="2001:db8::1")/UDP(sport=53, dport=5000)/"answer"))
      {"icmp6_toobig",
       Eth().Ipv6("2001:db8::fe", "2001:db8:1::1")
           .Icmpv6(2, 0, 1280)
           .Embed(PacketBuilder().Ipv6("2001:db8:1::1", "2001:db8::1").Udp(53, 5000).Payload("answer").BuildL3())
           .Build(),
       "02000000000202000000000186dd60000000003e3a4020010db80000000000000000000000fe20010db800010000000000000000000102"
       "002ae60000050060000000000e114020010db800010000000000000000000120010db80000000000000000000000010035138800"
       "0e5648616e73776572"},
      // E/IP(src="198.18.1.1", dst="198.18.2.1", id=0, proto=17)/UDP(sport=40000, dport=6080, chksum=0)
      //   /Raw(b"\x00\x04\x00\x00")/IP(src="198.18.0.1", dst="198.19.0.1", id=0)/UDP(sport=5000, dport=53)/"q"
      {"gue4",
       Eth().Ipv4("198.18.0.1", "198.19.0.1")
           .Udp(5000, 53)
           .Payload("q")
           .OuterIpv4("198.18.1.1", "198.18.2.1")
           .Gue(40000, 6080, false)
           .Build(),
       "02000000000202000000000108004500003d000000004011eb89c6120101c61202019c4017c000290000000400004500001d00000000"
       "4011eea8c6120001c6130001138800350009eef671"},
      // E/IPv6(src="2001:db8::1:1", dst="2001:db8::2:1")/GRE(chksum_present=1, proto=0x0800)
      //   /IP(src="198.18.0.1", dst="198.19.0.1", id=0)/TCP(sport=12345, dport=80, flags="PA")/"data"
      {"gre6_csum",
       Eth().Ipv4("198.18.0.1", "198.19.0.1")
           .Tcp(12345, 80, kTcpPsh | kTcpAck)
           .Payload("data")
           .OuterIpv6("2001:db8::1:1", "2001:db8::2:1")
           .Gre(true)
           .Build(),
       "02000000000202000000000186dd6000000000342f4020010db800000000000000000001000120010db8000000000000000000020001"
       "80000800044600004500002c000000004006eea4c6120001c613000130390050000000000000000050182000fa54000064617461"},
      // E/IP(src="198.18.1.1", dst="198.18.2.1", id=0)/IPv6(src="2001:db8::1", dst="2001:db8:1::1")
      //   /TCP(sport=1, dport=2, flags="S")
      {"ipip6in4",
       Eth().Ipv6("2001:db8::1", "2001:db8:1::1").Tcp(1, 2, kTcpSyn).OuterIpv4("198.18.1.1", "198.18.2.1").Ipip().Build(),
       "020000000002020000000001080045000050000000004029eb5ec6120101c6120201600000000014064020010db8000000000000000000"
       "00000120010db800010000000000000000000100010002000000000000000050022000346b0000"},
      // E/IP(src="198.18.0.1", dst="198.19.0.1", id=0, options=[IPOption(b"\x94\x04\x00\x00")])/UDP(sport=1, dport=2)
      {"ipv4_options", Eth().Ipv4("198.18.0.1", "198.19.0.1").Ipv4Options({0x94, 4, 0, 0}).Udp(1, 2).Build(),
       "02000000000202000000000108004600002000000000401159a1c6120001c61300019404000000010002000873b3"},
  };
}

TEST(PacketBuilderTest, MatchesScapy) {
  for (const Golden& g : Goldens()) {
    std::vector<uint8_t> expected = FromHex(g.scapy_hex);
    EXPECT_EQ(g.built, expected) << g.name << "\n" << DiffDump(expected, g.built);
  }
}

TEST(PacketBuilderTest, DefaultsAndPadding) {
  std::vector<uint8_t> frame = PacketBuilder().Ipv4("198.18.0.1", "198.19.0.1").Udp(1, 2).PadTo(60).Build();
  ASSERT_EQ(frame.size(), 60u);
  EXPECT_EQ(frame[0], 0x02);  // dst 02:00:00:00:00:02
  EXPECT_EQ(frame[5], 0x02);
  EXPECT_EQ(frame[11], 0x01);  // src 02:00:00:00:00:01
  EXPECT_EQ(frame[14 + 8], 64);  // TTL
  for (size_t i = 14 + 28; i < 60; ++i) EXPECT_EQ(frame[i], 0) << i;
  EXPECT_TRUE(Ipv4HeaderChecksumOk(frame));
  EXPECT_TRUE(L4ChecksumOk(frame));
}

TEST(PacketBuilderTest, Ipv6FragmentHeaderFromSetters) {
  std::vector<uint8_t> l3 =
      PacketBuilder().Ipv6("2001:db8::1", "2001:db8::2").Udp(1, 2).FragmentOffset(3).MoreFragments(true).Id(0x55).BuildL3();
  ASSERT_EQ(l3.size(), 40u + 8 + 8);
  EXPECT_EQ(l3[6], kIpv6Fragment);
  std::vector<uint8_t> frag(l3.begin() + 40, l3.begin() + 48);
  EXPECT_EQ(frag, FromHex("11 00 00 19 00 00 00 55"));  // UDP, reserved, offset 3 + M, id
}

TEST(PacketBuilderTest, Ipv4FragmentFields) {
  std::vector<uint8_t> l3 = PacketBuilder()
                                .Ipv4("198.18.0.1", "198.19.0.1")
                                .Protocol(kProtoUdp)
                                .Payload("12345678")
                                .Df(true)
                                .MoreFragments(true)
                                .FragmentOffset(0x123)
                                .BuildL3();
  EXPECT_EQ(l3[6], 0x61);  // DF | MF | offset high bits
  EXPECT_EQ(l3[7], 0x23);
  EXPECT_EQ(l3[9], kProtoUdp);
  EXPECT_EQ(l3.size(), 28u);
}

TEST(PacketBuilderTest, UdpZeroChecksum) {
  std::vector<uint8_t> frame = PacketBuilder().Ipv4("198.18.0.1", "198.19.0.1").Udp(1, 2).UdpZeroChecksum().Build();
  EXPECT_EQ(frame[14 + 20 + 6], 0);
  EXPECT_EQ(frame[14 + 20 + 7], 0);
  EXPECT_TRUE(L4ChecksumOk(frame));  // "no checksum" is legal over IPv4 ...
  std::vector<uint8_t> v6 = PacketBuilder().Ipv6("2001:db8::1", "2001:db8::2").Udp(1, 2).UdpZeroChecksum().Build();
  EXPECT_FALSE(L4ChecksumOk(v6));  // ... but not over IPv6
}

// --- checksum_verify: every checksum the verifier claims to check is checked ----------------

TEST(ChecksumVerifyTest, GoldensVerify) {
  for (const Golden& g : Goldens()) {
    EXPECT_TRUE(Ipv4HeaderChecksumOk(g.built)) << g.name;
    EXPECT_TRUE(L4ChecksumOk(g.built)) << g.name;
  }
}

struct Corruption {
  const char* name;
  std::vector<uint8_t> frame;
  size_t byte;  // flipping this byte must be caught
  bool ipv4_header;  // by Ipv4HeaderChecksumOk (else by L4ChecksumOk)
};

std::vector<Corruption> Corruptions() {
  std::vector<Golden> g = Goldens();
  auto frame = [&](const char* name) {
    for (const Golden& x : g) {
      if (std::string(x.name) == name) return x.built;
    }
    return std::vector<uint8_t>{};
  };
  return {
      {"ipv4 header", frame("tcp4"), 14 + 8, true},
      {"tcp payload", frame("tcp4"), 14 + 20 + 20 + 2, false},
      {"tcp4 pseudo-header address", frame("tcp4"), 14 + 12, false},
      {"udp6 pseudo-header address", frame("udp6_hbh"), 14 + 8 + 15, false},
      {"udp6 payload", frame("udp6_hbh"), 14 + 40 + 8 + 8 + 1, false},
      {"sctp chunk", frame("sctp4_init"), 14 + 20 + 12 + 5, false},
      {"icmp quoted ipv4 header", frame("icmp4_fragneeded"), 14 + 20 + 8 + 12, true},
      {"icmpv6 payload", frame("icmp6_toobig"), 14 + 40 + 8 + 50, false},
      {"gue inner ipv4 header", frame("gue4"), 14 + 20 + 8 + 4 + 8, true},
      {"gue inner udp", frame("gue4"), 14 + 20 + 8 + 4 + 20 + 8, false},
      {"gre checksum", frame("gre6_csum"), 14 + 40 + 4, false},
      {"gre inner tcp", frame("gre6_csum"), 14 + 40 + 8 + 20 + 4, false},
      {"ipip inner tcp", frame("ipip6in4"), 14 + 20 + 40 + 3, false},
      {"ipv4 options", frame("ipv4_options"), 14 + 21, true},
  };
}

TEST(ChecksumVerifyTest, CorruptionsAreCaught) {
  for (Corruption& c : Corruptions()) {
    ASSERT_LT(c.byte, c.frame.size()) << c.name;
    c.frame[c.byte] ^= 0x01;
    if (c.ipv4_header) {
      EXPECT_FALSE(Ipv4HeaderChecksumOk(c.frame)) << c.name;
    } else {
      EXPECT_FALSE(L4ChecksumOk(c.frame)) << c.name;
    }
  }
}

TEST(ChecksumVerifyTest, QuotedIpv4HeaderCountsForBoth) {
  std::vector<uint8_t> frame = Goldens()[4].built;  // icmp4_fragneeded
  constexpr size_t kIcmp = 14 + 20;
  frame[kIcmp + 8 + 10] ^= 0x01;  // the quoted header's checksum; then make the ICMP checksum right
  frame[kIcmp + 2] = frame[kIcmp + 3] = 0;
  uint16_t icmp_check = OnesComplementChecksum(OnesComplementSum({frame.data() + kIcmp, frame.size() - kIcmp}));
  frame[kIcmp + 2] = static_cast<uint8_t>(icmp_check >> 8);
  frame[kIcmp + 3] = static_cast<uint8_t>(icmp_check);
  EXPECT_FALSE(Ipv4HeaderChecksumOk(frame));
  EXPECT_FALSE(L4ChecksumOk(frame));
}

TEST(ChecksumVerifyTest, UnwalkableFramesFail) {
  std::vector<uint8_t> arp = Goldens()[0].built;
  arp[12] = 0x08;
  arp[13] = 0x06;
  EXPECT_FALSE(L4ChecksumOk(arp));
  EXPECT_FALSE(Ipv4HeaderChecksumOk(arp));
  std::vector<uint8_t> short_frame = Goldens()[0].built;
  short_frame.resize(40);
  EXPECT_FALSE(L4ChecksumOk(short_frame));
}

TEST(ChecksumVerifyTest, GueOverIpv6WithoutUdpChecksumIsAccepted) {
  std::vector<uint8_t> frame = PacketBuilder()
                                   .Ipv6("2001:db8::1", "2001:db8::2")
                                   .Udp(5000, 53)
                                   .Payload("q")
                                   .OuterIpv6("2001:db8::a", "2001:db8::b")
                                   .Gue(40000, 6080, false)
                                   .Build();
  EXPECT_TRUE(L4ChecksumOk(frame));
  std::vector<uint8_t> with_csum = PacketBuilder()
                                       .Ipv6("2001:db8::1", "2001:db8::2")
                                       .Udp(5000, 53)
                                       .OuterIpv6("2001:db8::a", "2001:db8::b")
                                       .Gue(40000, 6080, true)
                                       .Build();
  EXPECT_TRUE(L4ChecksumOk(with_csum));
  with_csum[14 + 40 + 6] ^= 0x01;
  EXPECT_FALSE(L4ChecksumOk(with_csum));
}

}  // namespace
}  // namespace ipvsd::net
