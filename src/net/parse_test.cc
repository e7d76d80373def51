#include <gtest/gtest.h>

#include <algorithm>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "net/headers.h"
#include "net/packet_view.h"

// check_layering.sh reads every quoted #include under src/ as a layer dependency; the shared
// test helpers live outside the layers, so they are included with angle brackets.
#include <tests/testing/packet_builder.h>

namespace ipvsd::net {
namespace {

using ::ipvsd::testing::PacketBuilder;

constexpr size_t kL3 = sizeof(EthHdr);  // untagged frames: the IP header starts here

ParseStatus ParseFrame(std::vector<uint8_t>& frame, PacketView* v) {
  return Parse(frame.data(), static_cast<uint32_t>(frame.size()), v);
}

ParseStatus StatusOf(std::vector<uint8_t> frame) {
  PacketView v;
  return ParseFrame(frame, &v);
}

void Write16(std::vector<uint8_t>& frame, size_t at, uint16_t value) {
  frame[at] = static_cast<uint8_t>(value >> 8);
  frame[at + 1] = static_cast<uint8_t>(value);
}

RawAddr V4(const char* text) { return (*IpAddr::Parse(text)).raw; }

PacketBuilder Tcp4() { return PacketBuilder().Ipv4("198.18.0.1", "198.19.0.1").Tcp(12345, 80, kTcpSyn); }
PacketBuilder Udp4() { return PacketBuilder().Ipv4("198.18.0.1", "198.19.0.1").Udp(5000, 53); }
PacketBuilder Tcp6() { return PacketBuilder().Ipv6("2001:db8::1", "2001:db8:1::1").Tcp(12345, 80, kTcpSyn); }
PacketBuilder Udp6() { return PacketBuilder().Ipv6("2001:db8::1", "2001:db8:1::1").Udp(5000, 53); }

// --- Well-formed packets -------------------------------------------------------------------

TEST(ParseTest, Ipv4Tcp) {
  std::vector<uint8_t> frame = Tcp4().Ttl(33).Df(true).TcpOptions({2, 4, 0x05, 0xb4}).Payload("hello").Build();
  PacketView v;
  ASSERT_EQ(ParseFrame(frame, &v), ParseStatus::kOk);
  EXPECT_EQ(v.data, frame.data());
  EXPECT_EQ(v.len, frame.size());
  EXPECT_EQ(v.l3_offset, kL3);
  EXPECT_EQ(v.l4_offset, kL3 + 20);
  EXPECT_EQ(v.l3_end, kL3 + 20 + 24 + 5);
  EXPECT_EQ(v.l3_len(), 20u + 24 + 5);
  EXPECT_EQ(v.l4_len(), 24u + 5);
  EXPECT_EQ(v.vlan_tci, 0);
  EXPECT_EQ(v.family, Family::kInet);
  EXPECT_EQ(v.protocol, kProtoTcp);
  EXPECT_EQ(v.ttl, 33);
  EXPECT_TRUE(v.df);
  EXPECT_EQ(v.src, V4("198.18.0.1"));
  EXPECT_EQ(v.dst, V4("198.19.0.1"));
  EXPECT_EQ(v.sport, 12345);
  EXPECT_EQ(v.dport, 80);
  EXPECT_EQ(v.tcp_flags, kTcpSyn);
  EXPECT_FALSE(v.icmp_error);
}

TEST(ParseTest, Ipv4DfClearAndTcpFlags) {
  std::vector<uint8_t> frame =
      PacketBuilder().Ipv4("198.18.0.1", "198.19.0.1").Tcp(1, 2, kTcpFin | kTcpAck | kTcpPsh).Ttl(1).Build();
  PacketView v;
  ASSERT_EQ(ParseFrame(frame, &v), ParseStatus::kOk);
  EXPECT_FALSE(v.df);
  EXPECT_EQ(v.ttl, 1);
  EXPECT_EQ(v.tcp_flags, kTcpFin | kTcpAck | kTcpPsh);
}

TEST(ParseTest, Ipv6TcpIsAlwaysDf) {
  std::vector<uint8_t> frame = Tcp6().Ttl(7).Build();
  PacketView v;
  ASSERT_EQ(ParseFrame(frame, &v), ParseStatus::kOk);
  EXPECT_EQ(v.family, Family::kInet6);
  EXPECT_EQ(v.l4_offset, kL3 + 40);
  EXPECT_EQ(v.l3_end, frame.size());
  EXPECT_EQ(v.ttl, 7);
  EXPECT_TRUE(v.df);
  EXPECT_EQ(v.src, (*IpAddr::Parse("2001:db8::1")).raw);
  EXPECT_EQ(v.dst, (*IpAddr::Parse("2001:db8:1::1")).raw);
  EXPECT_EQ(v.sport, 12345);
  EXPECT_EQ(v.dport, 80);
}

TEST(ParseTest, Ipv6ExtensionHeadersAreSkipped) {
  std::vector<uint8_t> frame = Udp6()
                                   .Ipv6ExtHeader(kIpv6HopByHop, {1, 4, 0, 0, 0, 0})           // 8 bytes
                                   .Ipv6ExtHeader(kIpv6Routing, std::vector<uint8_t>(22, 0))  // 24 bytes
                                   .Ipv6ExtHeader(kIpv6DestOpts, {1, 12, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0})
                                   .Payload("query")
                                   .Build();
  PacketView v;
  ASSERT_EQ(ParseFrame(frame, &v), ParseStatus::kOk);
  EXPECT_EQ(v.protocol, kProtoUdp);
  EXPECT_EQ(v.l4_offset, kL3 + 40 + 8 + 24 + 16);
  EXPECT_EQ(v.l4_len(), 8u + 5);
  EXPECT_EQ(v.sport, 5000);
  EXPECT_EQ(v.dport, 53);
}

TEST(ParseTest, VlanTagIsRecorded) {
  std::vector<uint8_t> frame = Udp4().Vlan(0x6064).Build();
  PacketView v;
  ASSERT_EQ(ParseFrame(frame, &v), ParseStatus::kOk);
  EXPECT_EQ(v.vlan_tci, 0x6064);
  EXPECT_EQ(v.l3_offset, kL3 + 4);
  EXPECT_EQ(v.l4_offset, kL3 + 4 + 20);
  EXPECT_EQ(v.dport, 53);
}

TEST(ParseTest, QinQRecordsTheOuterTag) {
  std::vector<uint8_t> frame = Udp6().Vlan(0x0123, kEtherTypeQinQ).Vlan(0x0456).Build();
  PacketView v;
  ASSERT_EQ(ParseFrame(frame, &v), ParseStatus::kOk);
  EXPECT_EQ(v.vlan_tci, 0x0123);
  EXPECT_EQ(v.l3_offset, kL3 + 8);
  EXPECT_EQ(v.family, Family::kInet6);
}

TEST(ParseTest, ThreeTagsAreNotOurs) {
  EXPECT_EQ(StatusOf(Udp4().Vlan(1).Vlan(2).Vlan(3).Build()), ParseStatus::kNotIp);
}

TEST(ParseTest, ArpAndOtherEthertypesAreNotIp) {
  std::vector<uint8_t> arp = Udp4().Build();
  Write16(arp, 12, kEtherTypeArp);
  EXPECT_EQ(StatusOf(arp), ParseStatus::kNotIp);
  std::vector<uint8_t> lldp = Udp4().Vlan(10).Build();
  Write16(lldp, 16, 0x88cc);
  EXPECT_EQ(StatusOf(lldp), ParseStatus::kNotIp);
}

TEST(ParseTest, SctpRecordsFirstChunk) {
  std::vector<uint8_t> frame = PacketBuilder()
                                   .Ipv4("198.18.0.1", "198.19.0.1")
                                   .Sctp(5000, 80, 0, kSctpInit)
                                   .Payload(std::vector<uint8_t>(16, 0))
                                   .Build();
  PacketView v;
  ASSERT_EQ(ParseFrame(frame, &v), ParseStatus::kOk);
  EXPECT_EQ(v.protocol, kProtoSctp);
  EXPECT_EQ(v.sport, 5000);
  EXPECT_EQ(v.dport, 80);
  EXPECT_EQ(v.sctp_chunk, kSctpInit);
}

TEST(ParseTest, OtherProtocolsHaveNoPorts) {
  for (uint8_t protocol : {kProtoGre, uint8_t{50} /* ESP */, kIpv6NoNext}) {
    std::vector<uint8_t> frame =
        PacketBuilder().Ipv4("198.18.0.1", "198.19.0.1").Protocol(protocol).Payload("abcdefgh").Build();
    PacketView v;
    ASSERT_EQ(ParseFrame(frame, &v), ParseStatus::kOk) << int{protocol};
    EXPECT_EQ(v.protocol, protocol);
    EXPECT_EQ(v.sport, 0);
    EXPECT_EQ(v.dport, 0);
    EXPECT_EQ(v.l4_offset, kL3 + 20);
  }
  // ICMPv6 inside IPv4 is nobody's control protocol either.
  std::vector<uint8_t> odd = PacketBuilder().Ipv4("198.18.0.1", "198.19.0.1").Protocol(kProtoIcmpv6).Build();
  PacketView v;
  ASSERT_EQ(ParseFrame(odd, &v), ParseStatus::kOk);
  EXPECT_EQ(v.icmp_type, 0);
}

TEST(ParseTest, IcmpEcho) {
  std::vector<uint8_t> frame =
      PacketBuilder().Ipv4("198.18.0.1", "198.19.0.1").Icmp(kIcmpEcho, 0, 0x12340001).Payload("ping").Build();
  PacketView v;
  ASSERT_EQ(ParseFrame(frame, &v), ParseStatus::kOk);
  EXPECT_EQ(v.protocol, kProtoIcmp);
  EXPECT_EQ(v.icmp_type, kIcmpEcho);
  EXPECT_EQ(v.icmp_code, 0);
  EXPECT_FALSE(v.icmp_error);
  EXPECT_EQ(v.sport, 0);
}

TEST(ParseTest, Ipv4OptionsAreSkipped) {
  // Record route with room for two addresses (11 bytes), NOP, router alert: 16 bytes.
  std::vector<uint8_t> options = {7, 11, 4, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0x94, 4, 0, 0};
  std::vector<uint8_t> frame = Udp4().Ipv4Options(options).Payload("x").Build();
  PacketView v;
  ASSERT_EQ(ParseFrame(frame, &v), ParseStatus::kOk);
  EXPECT_EQ(v.l4_offset, kL3 + 20 + 16);
  EXPECT_EQ(v.l3_end, kL3 + 20 + 16 + 8 + 1);
  EXPECT_EQ(v.sport, 5000);
  EXPECT_EQ(v.dport, 53);
}

TEST(ParseTest, Ipv4OptionsEndAtEndOfList) {
  // EOL stops the walk: what follows is padding, whatever its bytes.
  std::vector<uint8_t> frame = Udp4().Ipv4Options({1, 0, 0xff, 0xff}).Build();
  EXPECT_EQ(StatusOf(frame), ParseStatus::kOk);
}

TEST(ParseTest, EthernetPaddingAfterShortIpv4Packet) {
  std::vector<uint8_t> frame = Udp4().Payload("hi").PadTo(60).Build();
  ASSERT_EQ(frame.size(), 60u);
  PacketView v;
  ASSERT_EQ(ParseFrame(frame, &v), ParseStatus::kOk);
  EXPECT_EQ(v.len, 60u);
  EXPECT_EQ(v.l3_end, kL3 + 20 + 8 + 2);
  EXPECT_EQ(v.l4_len(), 10u);
}

// --- ICMP errors ---------------------------------------------------------------------------

// The reply direction of Tcp4(): what a router on the way back to the client quotes.
std::vector<uint8_t> QuotedTcp4(size_t keep) {
  std::vector<uint8_t> quoted = PacketBuilder().Ipv4("198.19.0.1", "198.18.0.1").Tcp(80, 12345, kTcpAck).BuildL3();
  quoted.resize(keep);
  return quoted;
}

std::vector<uint8_t> IcmpError(std::vector<uint8_t> quoted, uint8_t type = kIcmpDestUnreach, uint8_t code = kIcmpFragNeeded) {
  return PacketBuilder().Ipv4("198.18.0.254", "198.19.0.1").Icmp(type, code, 1400).Embed(std::move(quoted)).Build();
}

TEST(ParseTest, IcmpErrorQuotingTcp) {
  std::vector<uint8_t> frame = IcmpError(QuotedTcp4(40));
  PacketView v;
  ASSERT_EQ(ParseFrame(frame, &v), ParseStatus::kOk);
  EXPECT_EQ(v.protocol, kProtoIcmp);
  EXPECT_EQ(v.icmp_type, kIcmpDestUnreach);
  EXPECT_EQ(v.icmp_code, kIcmpFragNeeded);
  ASSERT_TRUE(v.icmp_error);
  EXPECT_EQ(v.inner.l3_offset, kL3 + 20 + 8);
  EXPECT_EQ(v.inner.l4_offset, kL3 + 20 + 8 + 20);
  EXPECT_EQ(v.inner.family, Family::kInet);
  EXPECT_EQ(v.inner.protocol, kProtoTcp);
  EXPECT_EQ(v.inner.src, V4("198.19.0.1"));
  EXPECT_EQ(v.inner.dst, V4("198.18.0.1"));
  EXPECT_EQ(v.inner.sport, 80);
  EXPECT_EQ(v.inner.dport, 12345);
}

TEST(ParseTest, IcmpErrorTypesFollowed) {
  for (uint8_t type : {kIcmpDestUnreach, kIcmpSourceQuench, kIcmpTimeExceeded, kIcmpParamProblem}) {
    std::vector<uint8_t> frame = IcmpError(QuotedTcp4(28), type, 0);
    PacketView v;
    ASSERT_EQ(ParseFrame(frame, &v), ParseStatus::kOk) << int{type};
    EXPECT_TRUE(v.icmp_error) << int{type};
  }
  // Redirect is not about one of our connections.
  std::vector<uint8_t> redirect = IcmpError(QuotedTcp4(28), 5, 0);
  PacketView v;
  ASSERT_EQ(ParseFrame(redirect, &v), ParseStatus::kOk);
  EXPECT_FALSE(v.icmp_error);
}

TEST(ParseTest, IcmpErrorQuoteMayEndRightAfterThePorts) {
  std::vector<uint8_t> frame = IcmpError(QuotedTcp4(28));
  PacketView v;
  ASSERT_EQ(ParseFrame(frame, &v), ParseStatus::kOk);
  ASSERT_TRUE(v.icmp_error);
  EXPECT_EQ(v.inner.l4_offset + 8u, v.l3_end);
  EXPECT_EQ(v.inner.dport, 12345);
}

TEST(ParseTest, IcmpErrorWithTruncatedEmbeddedHeader) {
  for (size_t keep : {size_t{0}, size_t{1}, size_t{19}, size_t{20}, size_t{27}}) {
    EXPECT_EQ(StatusOf(IcmpError(QuotedTcp4(keep))), ParseStatus::kBadL4Header) << "quote of " << keep << " bytes";
  }
  // Options make the quoted header longer: 8 bytes past them are still required.
  std::vector<uint8_t> with_options =
      PacketBuilder().Ipv4("198.19.0.1", "198.18.0.1").Ipv4Options({1, 1, 1, 0}).Udp(53, 5000).BuildL3();
  with_options.resize(24 + 7);
  EXPECT_EQ(StatusOf(IcmpError(with_options)), ParseStatus::kBadL4Header);
  with_options.resize(24 + 8);
  PacketView v;
  std::vector<uint8_t> frame = IcmpError(with_options);
  ASSERT_EQ(ParseFrame(frame, &v), ParseStatus::kOk);
  EXPECT_EQ(v.inner.l4_offset, v.inner.l3_offset + 24);
  EXPECT_EQ(v.inner.sport, 53);
}

TEST(ParseTest, IcmpErrorQuotingAnImpossibleHeader) {
  std::vector<uint8_t> v6_inside_icmpv4 = QuotedTcp4(28);
  v6_inside_icmpv4[0] = 0x65;
  EXPECT_EQ(StatusOf(IcmpError(v6_inside_icmpv4)), ParseStatus::kBadL4Header);
  std::vector<uint8_t> short_ihl = QuotedTcp4(28);
  short_ihl[0] = 0x44;
  EXPECT_EQ(StatusOf(IcmpError(short_ihl)), ParseStatus::kBadL4Header);
}

TEST(ParseTest, IcmpErrorEmbeddingAnIcmpErrorIsPlainIcmp) {
  std::vector<uint8_t> inner_error = PacketBuilder()
                                         .Ipv4("198.19.0.1", "198.18.0.7")
                                         .Icmp(kIcmpTimeExceeded, 0)
                                         .Embed(QuotedTcp4(28))
                                         .BuildL3();
  std::vector<uint8_t> frame = IcmpError(inner_error);
  PacketView v;
  ASSERT_EQ(ParseFrame(frame, &v), ParseStatus::kOk);
  EXPECT_EQ(v.icmp_type, kIcmpDestUnreach);
  EXPECT_FALSE(v.icmp_error);
  EXPECT_EQ(v.inner.family, Family::kUnspec);
}

TEST(ParseTest, IcmpErrorEmbeddingAnEchoIsFollowed) {
  std::vector<uint8_t> echo =
      PacketBuilder().Ipv4("198.19.0.1", "198.18.0.7").Icmp(kIcmpEcho, 0, 0x00070001).BuildL3();
  std::vector<uint8_t> frame = IcmpError(echo, kIcmpTimeExceeded, 0);
  PacketView v;
  ASSERT_EQ(ParseFrame(frame, &v), ParseStatus::kOk);
  ASSERT_TRUE(v.icmp_error);
  EXPECT_EQ(v.inner.protocol, kProtoIcmp);
  EXPECT_EQ(v.inner.sport, 0);
  EXPECT_EQ(v.inner.dport, 0);
}

TEST(ParseTest, IcmpErrorQuotingFragments) {
  // The first fragment carries the ports: followed.
  std::vector<uint8_t> first =
      PacketBuilder().Ipv4("198.19.0.1", "198.18.0.1").Udp(53, 5000).MoreFragments(true).BuildL3();
  PacketView v;
  std::vector<uint8_t> frame = IcmpError(first);
  ASSERT_EQ(ParseFrame(frame, &v), ParseStatus::kOk);
  EXPECT_TRUE(v.icmp_error);
  EXPECT_EQ(v.inner.sport, 53);
  // A later fragment starts with data: nothing to look up.
  std::vector<uint8_t> later = PacketBuilder()
                                   .Ipv4("198.19.0.1", "198.18.0.1")
                                   .Protocol(kProtoUdp)
                                   .Payload("12345678")
                                   .FragmentOffset(185)
                                   .BuildL3();
  frame = IcmpError(later);
  ASSERT_EQ(ParseFrame(frame, &v), ParseStatus::kOk);
  EXPECT_FALSE(v.icmp_error);
}

std::vector<uint8_t> QuotedUdp6(PacketBuilder quoted, size_t keep) {
  std::vector<uint8_t> l3 = quoted.BuildL3();
  l3.resize(keep);
  return l3;
}

std::vector<uint8_t> Icmpv6Error(std::vector<uint8_t> quoted, uint8_t type = kIcmpv6PacketTooBig) {
  return PacketBuilder().Ipv6("2001:db8::fe", "2001:db8:1::1").Icmpv6(type, 0, 1280).Embed(std::move(quoted)).Build();
}

PacketBuilder Reply6() { return PacketBuilder().Ipv6("2001:db8:1::1", "2001:db8::1").Udp(53, 5000).Payload("answer"); }

TEST(ParseTest, Icmpv6ErrorQuotingUdpWithExtensionHeaders) {
  std::vector<uint8_t> quoted = QuotedUdp6(Reply6().Ipv6ExtHeader(kIpv6DestOpts, {1, 4, 0, 0, 0, 0}), 40 + 8 + 8);
  std::vector<uint8_t> frame = Icmpv6Error(quoted);
  PacketView v;
  ASSERT_EQ(ParseFrame(frame, &v), ParseStatus::kOk);
  EXPECT_EQ(v.protocol, kProtoIcmpv6);
  EXPECT_EQ(v.icmp_type, kIcmpv6PacketTooBig);
  ASSERT_TRUE(v.icmp_error);
  EXPECT_EQ(v.inner.family, Family::kInet6);
  EXPECT_EQ(v.inner.l3_offset, kL3 + 40 + 8);
  EXPECT_EQ(v.inner.l4_offset, kL3 + 40 + 8 + 40 + 8);
  EXPECT_EQ(v.inner.protocol, kProtoUdp);
  EXPECT_EQ(v.inner.src, (*IpAddr::Parse("2001:db8:1::1")).raw);
  EXPECT_EQ(v.inner.sport, 53);
  EXPECT_EQ(v.inner.dport, 5000);
}

TEST(ParseTest, Icmpv6ErrorTypesFollowed) {
  for (uint8_t type : {kIcmpv6DestUnreach, kIcmpv6PacketTooBig, kIcmpv6TimeExceeded, kIcmpv6ParamProblem}) {
    std::vector<uint8_t> frame = Icmpv6Error(QuotedUdp6(Reply6(), 48), type);
    PacketView v;
    ASSERT_EQ(ParseFrame(frame, &v), ParseStatus::kOk) << int{type};
    EXPECT_TRUE(v.icmp_error) << int{type};
  }
  std::vector<uint8_t> echo = Icmpv6Error(QuotedUdp6(Reply6(), 48), kIcmpv6EchoRequest);
  PacketView v;
  ASSERT_EQ(ParseFrame(echo, &v), ParseStatus::kOk);
  EXPECT_FALSE(v.icmp_error);
}

TEST(ParseTest, Icmpv6ErrorWithTruncatedEmbeddedHeader) {
  EXPECT_EQ(StatusOf(Icmpv6Error(QuotedUdp6(Reply6(), 39))), ParseStatus::kBadL4Header);
  EXPECT_EQ(StatusOf(Icmpv6Error(QuotedUdp6(Reply6(), 47))), ParseStatus::kBadL4Header);
  // An extension header in the quote that the quote cuts short.
  PacketBuilder with_ext = Reply6().Ipv6ExtHeader(kIpv6DestOpts, std::vector<uint8_t>(14, 0));
  EXPECT_EQ(StatusOf(Icmpv6Error(QuotedUdp6(with_ext, 40 + 10))), ParseStatus::kBadL4Header);
}

TEST(ParseTest, Icmpv6ErrorEmbeddingAnIcmpv6ErrorIsPlainIcmpv6) {
  std::vector<uint8_t> inner_error = PacketBuilder()
                                         .Ipv6("2001:db8:1::1", "2001:db8::7")
                                         .Icmpv6(kIcmpv6DestUnreach, kIcmpv6PortUnreach)
                                         .Embed(QuotedUdp6(Reply6(), 48))
                                         .BuildL3();
  std::vector<uint8_t> frame = Icmpv6Error(inner_error);
  PacketView v;
  ASSERT_EQ(ParseFrame(frame, &v), ParseStatus::kOk);
  EXPECT_FALSE(v.icmp_error);
}

TEST(ParseTest, Icmpv6ErrorQuotingFragments) {
  std::vector<uint8_t> first = QuotedUdp6(Reply6().MoreFragments(true).Id(9), 40 + 8 + 8);
  PacketView v;
  std::vector<uint8_t> frame = Icmpv6Error(first);
  ASSERT_EQ(ParseFrame(frame, &v), ParseStatus::kOk);
  ASSERT_TRUE(v.icmp_error);
  EXPECT_EQ(v.inner.protocol, kProtoUdp);
  EXPECT_EQ(v.inner.l4_offset, v.inner.l3_offset + 48);
  EXPECT_EQ(v.inner.sport, 53);
  std::vector<uint8_t> later = QuotedUdp6(Reply6().FragmentOffset(100), 40 + 8 + 8);
  frame = Icmpv6Error(later);
  ASSERT_EQ(ParseFrame(frame, &v), ParseStatus::kOk);
  EXPECT_FALSE(v.icmp_error);
}

// --- Bad input, one kind per test ----------------------------------------------------------

TEST(ParseBadInputTest, TruncatedEthernet) {
  std::vector<uint8_t> frame = Udp4().Build();
  for (size_t len : {size_t{0}, size_t{1}, size_t{13}}) {
    frame.resize(len);
    EXPECT_EQ(StatusOf(frame), ParseStatus::kTruncated) << len;
  }
}

TEST(ParseBadInputTest, TruncatedVlanTag) {
  std::vector<uint8_t> frame = Udp4().Vlan(5).Build();
  frame.resize(kL3 + 3);
  EXPECT_EQ(StatusOf(frame), ParseStatus::kTruncated);
  std::vector<uint8_t> qinq = Udp4().Vlan(5, kEtherTypeQinQ).Vlan(6).Build();
  qinq.resize(kL3 + 4 + 2);
  EXPECT_EQ(StatusOf(qinq), ParseStatus::kTruncated);
}

TEST(ParseBadInputTest, TruncatedIpv4Header) {
  std::vector<uint8_t> frame = Udp4().Build();
  frame.resize(kL3 + 19);
  EXPECT_EQ(StatusOf(frame), ParseStatus::kTruncated);
}

TEST(ParseBadInputTest, Ipv4EthertypeCarryingVersion6) {
  std::vector<uint8_t> frame = Udp4().Build();
  frame[kL3] = 0x65;
  EXPECT_EQ(StatusOf(frame), ParseStatus::kBadIpHeader);
}

TEST(ParseBadInputTest, Ipv4IhlBelowFive) {
  std::vector<uint8_t> frame = Udp4().Build();
  for (uint8_t ihl = 0; ihl < 5; ++ihl) {
    frame[kL3] = static_cast<uint8_t>(0x40 | ihl);
    EXPECT_EQ(StatusOf(frame), ParseStatus::kBadIpHeader) << int{ihl};
  }
}

TEST(ParseBadInputTest, Ipv4IhlBeyondThePacket) {
  // IHL 15 (60 bytes) in a 28-byte packet whose total length agrees with the frame: the
  // header claims more than the packet holds.
  std::vector<uint8_t> frame = Udp4().Build();
  frame[kL3] = 0x4f;
  EXPECT_EQ(StatusOf(frame), ParseStatus::kBadIpHeader);
  // If the total length claims 60 bytes too, it is the frame that is short.
  Write16(frame, kL3 + 2, 60);
  EXPECT_EQ(StatusOf(frame), ParseStatus::kTruncated);
}

TEST(ParseBadInputTest, Ipv4TotalLengthBeyondFrame) {
  std::vector<uint8_t> frame = Udp4().Payload("abc").Build();
  Write16(frame, kL3 + 2, static_cast<uint16_t>(frame.size() - kL3 + 1));
  EXPECT_EQ(StatusOf(frame), ParseStatus::kTruncated);
}

TEST(ParseBadInputTest, Ipv4TotalLengthBelowHeader) {
  std::vector<uint8_t> frame = Udp4().Build();
  Write16(frame, kL3 + 2, 19);
  EXPECT_EQ(StatusOf(frame), ParseStatus::kBadIpHeader);
  std::vector<uint8_t> with_options = Udp4().Ipv4Options({1, 1, 1, 1}).Build();
  Write16(with_options, kL3 + 2, 23);
  EXPECT_EQ(StatusOf(with_options), ParseStatus::kBadIpHeader);
}

TEST(ParseBadInputTest, Ipv4OptionOverrunsHeader) {
  std::vector<uint8_t> too_long = Udp4().Ipv4Options({7, 9, 4, 0, 0, 0, 0, 0}).Build();
  EXPECT_EQ(StatusOf(too_long), ParseStatus::kBadIpHeader);
  std::vector<uint8_t> too_short = Udp4().Ipv4Options({0x94, 1, 0, 0}).Build();
  EXPECT_EQ(StatusOf(too_short), ParseStatus::kBadIpHeader);
  std::vector<uint8_t> no_length_byte = Udp4().Ipv4Options({1, 1, 1, 0x94}).Build();
  EXPECT_EQ(StatusOf(no_length_byte), ParseStatus::kBadIpHeader);
}

TEST(ParseBadInputTest, Ipv4Fragments) {
  struct Case {
    const char* name;
    bool more;
    uint16_t offset;
  };
  for (const Case& c : {Case{"first", true, 0}, Case{"middle", true, 185}, Case{"last", false, 370}}) {
    std::vector<uint8_t> frame = Udp4().Df(false).MoreFragments(c.more).FragmentOffset(c.offset).Payload("data").Build();
    PacketView v;
    ASSERT_EQ(ParseFrame(frame, &v), ParseStatus::kFragment) << c.name;
    // The L3 facts are there for whoever passes the fragment on.
    EXPECT_EQ(v.family, Family::kInet) << c.name;
    EXPECT_EQ(v.protocol, kProtoUdp) << c.name;
    EXPECT_EQ(v.src, V4("198.18.0.1")) << c.name;
    EXPECT_EQ(v.l3_end, frame.size()) << c.name;
    EXPECT_EQ(v.sport, 0) << c.name;
  }
}

TEST(ParseBadInputTest, Ipv6FragmentHeader) {
  for (uint16_t offset : {uint16_t{0}, uint16_t{100}}) {
    std::vector<uint8_t> frame = Udp6().MoreFragments(offset == 0).FragmentOffset(offset).Id(77).Build();
    PacketView v;
    ASSERT_EQ(ParseFrame(frame, &v), ParseStatus::kFragment) << offset;
    EXPECT_EQ(v.family, Family::kInet6);
    EXPECT_EQ(v.protocol, kProtoUdp);
    EXPECT_EQ(v.l4_offset, kL3 + 40 + 8);
  }
  // Behind other extension headers too.
  std::vector<uint8_t> frame = Udp6().Ipv6ExtHeader(kIpv6HopByHop, {}).MoreFragments(true).Build();
  EXPECT_EQ(StatusOf(frame), ParseStatus::kFragment);
}

TEST(ParseBadInputTest, TruncatedIpv6Header) {
  std::vector<uint8_t> frame = Udp6().Build();
  frame.resize(kL3 + 39);
  EXPECT_EQ(StatusOf(frame), ParseStatus::kTruncated);
}

TEST(ParseBadInputTest, Ipv6EthertypeCarryingVersion4) {
  std::vector<uint8_t> frame = Udp6().Build();
  frame[kL3] = 0x45;
  EXPECT_EQ(StatusOf(frame), ParseStatus::kBadIpHeader);
}

TEST(ParseBadInputTest, Ipv6PayloadLengthBeyondFrame) {
  std::vector<uint8_t> frame = Udp6().Payload("abc").Build();
  Write16(frame, kL3 + 4, static_cast<uint16_t>(frame.size() - kL3 - 40 + 1));
  EXPECT_EQ(StatusOf(frame), ParseStatus::kTruncated);
}

TEST(ParseBadInputTest, Ipv6ExtensionHeaderChainRunsOffTheEnd) {
  // A destination-options header whose length byte claims 16 bytes, in a packet with 8.
  std::vector<uint8_t> frame = PacketBuilder()
                                   .Ipv6("2001:db8::1", "2001:db8:1::1")
                                   .Ipv6ExtHeader(kIpv6DestOpts, {})
                                   .Build();
  frame[kL3 + 40 + 1] = 1;
  EXPECT_EQ(StatusOf(frame), ParseStatus::kBadIpHeader);
  // The last header names another extension header, but the packet ends.
  frame[kL3 + 40 + 1] = 0;
  frame[kL3 + 40] = kIpv6Routing;
  EXPECT_EQ(StatusOf(frame), ParseStatus::kBadIpHeader);
  // The frame carries bytes beyond the packet: they do not count.
  frame.resize(frame.size() + 16, 0);
  EXPECT_EQ(StatusOf(frame), ParseStatus::kBadIpHeader);
}

TEST(ParseBadInputTest, Ipv6HopByHopNotFirst) {
  std::vector<uint8_t> frame =
      Udp6().Ipv6ExtHeader(kIpv6DestOpts, {}).Ipv6ExtHeader(kIpv6HopByHop, {}).Build();
  EXPECT_EQ(StatusOf(frame), ParseStatus::kBadIpHeader);
}

TEST(ParseBadInputTest, TcpHeaderShorterThan20) {
  std::vector<uint8_t> frame = Tcp4().Build();
  Write16(frame, kL3 + 2, 20 + 19);
  EXPECT_EQ(StatusOf(frame), ParseStatus::kBadL4Header);
}

TEST(ParseBadInputTest, TcpDataOffsetBelowFive) {
  std::vector<uint8_t> frame = Tcp4().Payload("abcdefgh").Build();
  for (uint8_t doff = 0; doff < 5; ++doff) {
    frame[kL3 + 20 + 12] = static_cast<uint8_t>(doff << 4);
    EXPECT_EQ(StatusOf(frame), ParseStatus::kBadL4Header) << int{doff};
  }
}

TEST(ParseBadInputTest, TcpDataOffsetBeyondPacket) {
  std::vector<uint8_t> frame = Tcp4().Payload("abc").Build();  // 23 bytes of TCP
  frame[kL3 + 20 + 12] = 6 << 4;                               // claims 24
  EXPECT_EQ(StatusOf(frame), ParseStatus::kBadL4Header);
  frame[kL3 + 20 + 12] = 15 << 4;
  EXPECT_EQ(StatusOf(frame), ParseStatus::kBadL4Header);
}

TEST(ParseBadInputTest, UdpLengthBelowEight) {
  std::vector<uint8_t> frame = Udp4().Payload("abc").Build();
  for (uint16_t len : {uint16_t{0}, uint16_t{7}}) {
    Write16(frame, kL3 + 20 + 4, len);
    EXPECT_EQ(StatusOf(frame), ParseStatus::kBadL4Header) << len;
  }
}

TEST(ParseBadInputTest, UdpLengthBeyondPacket) {
  std::vector<uint8_t> frame = Udp6().Payload("abc").PadTo(100).Build();
  Write16(frame, kL3 + 40 + 4, 12);  // the IP payload is 11 bytes; the padding does not count
  EXPECT_EQ(StatusOf(frame), ParseStatus::kBadL4Header);
  // Shorter than the IP payload is fine: the datagram ends early.
  Write16(frame, kL3 + 40 + 4, 9);
  EXPECT_EQ(StatusOf(frame), ParseStatus::kOk);
}

TEST(ParseBadInputTest, UdpHeaderShorterThan8) {
  std::vector<uint8_t> frame = Udp4().Build();
  Write16(frame, kL3 + 2, 20 + 7);
  EXPECT_EQ(StatusOf(frame), ParseStatus::kBadL4Header);
}

TEST(ParseBadInputTest, SctpWithoutChunk) {
  std::vector<uint8_t> frame = PacketBuilder().Ipv4("198.18.0.1", "198.19.0.1").Sctp(1, 2, 3, kSctpInit).Build();
  Write16(frame, kL3 + 2, 20 + 12);  // common header only
  EXPECT_EQ(StatusOf(frame), ParseStatus::kBadL4Header);
}

TEST(ParseBadInputTest, SctpChunkLengthImpossible) {
  std::vector<uint8_t> frame =
      PacketBuilder().Ipv4("198.18.0.1", "198.19.0.1").Sctp(1, 2, 3, kSctpData).Payload("abcd").Build();
  for (uint16_t len : {uint16_t{0}, uint16_t{3}, uint16_t{9}}) {  // the chunk has 8 bytes
    Write16(frame, kL3 + 20 + 12 + 2, len);
    EXPECT_EQ(StatusOf(frame), ParseStatus::kBadL4Header) << len;
  }
}

TEST(ParseBadInputTest, IcmpHeaderShorterThan8) {
  std::vector<uint8_t> frame = PacketBuilder().Ipv4("198.18.0.1", "198.19.0.1").Icmp(kIcmpEcho, 0).Build();
  Write16(frame, kL3 + 2, 20 + 7);
  EXPECT_EQ(StatusOf(frame), ParseStatus::kBadL4Header);
  std::vector<uint8_t> v6 = PacketBuilder().Ipv6("2001:db8::1", "2001:db8::2").Icmpv6(kIcmpv6EchoRequest, 0).Build();
  Write16(v6, kL3 + 4, 4);
  EXPECT_EQ(StatusOf(v6), ParseStatus::kBadL4Header);
}

// --- Robustness ----------------------------------------------------------------------------

std::vector<std::vector<uint8_t>> SeedFrames() {
  std::vector<std::vector<uint8_t>> seeds;
  seeds.push_back(Tcp4().Payload("hello").Build());
  seeds.push_back(Tcp4().Ipv4Options({7, 7, 4, 0, 0, 0, 0, 1}).Vlan(7).Build());
  seeds.push_back(Tcp6().Vlan(1, kEtherTypeQinQ).Vlan(2).Payload("x").Build());
  seeds.push_back(Udp6()
                      .Ipv6ExtHeader(kIpv6HopByHop, {1, 4, 0, 0, 0, 0})
                      .Ipv6ExtHeader(kIpv6Routing, std::vector<uint8_t>(14, 0))
                      .Ipv6ExtHeader(kIpv6DestOpts, {})
                      .Payload("query")
                      .Build());
  seeds.push_back(Udp4().Payload("hi").PadTo(60).Build());
  seeds.push_back(Udp4().MoreFragments(true).Build());
  seeds.push_back(Udp6().FragmentOffset(3).Build());
  seeds.push_back(PacketBuilder().Ipv4("198.18.0.1", "198.19.0.1").Sctp(1, 2, 3, kSctpInit).Payload("initinit").Build());
  seeds.push_back(IcmpError(QuotedTcp4(40)));
  seeds.push_back(IcmpError(PacketBuilder().Ipv4("198.19.0.1", "198.18.0.1").Ipv4Options({1, 1, 1, 0}).Udp(1, 2).BuildL3()));
  seeds.push_back(Icmpv6Error(QuotedUdp6(Reply6().Ipv6ExtHeader(kIpv6DestOpts, {}).MoreFragments(true), 64)));
  seeds.push_back(Icmpv6Error(QuotedUdp6(Reply6(), 48), kIcmpv6DestUnreach));
  seeds.push_back(PacketBuilder()
                      .Ipv4("198.18.0.1", "198.19.0.1")
                      .Udp(5000, 53)
                      .OuterIpv6("2001:db8::1", "2001:db8::2")
                      .Gue(1, 6080, true)
                      .Build());
  return seeds;
}

// Checks the documented guarantees of a kOk result against the frame's length.
void ExpectOffsetsWithinFrame(const PacketView& v, uint32_t len) {
  ASSERT_LE(v.l3_offset, v.l4_offset);
  ASSERT_LE(v.l4_offset, v.l3_end);
  ASSERT_LE(v.l3_end, len);
  ASSERT_TRUE(v.family == Family::kInet || v.family == Family::kInet6);
  size_t l4_min = 0;
  if (v.protocol == kProtoTcp) l4_min = sizeof(TcpHdr);
  if (v.protocol == kProtoUdp) l4_min = sizeof(UdpHdr);
  if (v.protocol == kProtoSctp) l4_min = sizeof(SctpHdr) + sizeof(SctpChunkHdr);
  ASSERT_GE(v.l4_len(), l4_min);
  if (v.icmp_error) {
    ASSERT_GE(v.inner.l3_offset, v.l4_offset + 8u);
    ASSERT_LT(v.inner.l3_offset, v.inner.l4_offset);
    ASSERT_LE(v.inner.l4_offset + 8u, v.l3_end);
    ASSERT_EQ(v.inner.family, v.family);
  }
}

// Random byte flips (biased towards the headers, where the length fields are) and truncations
// of valid frames. Each mutant sits in a heap block of exactly its size, so that under
// AddressSanitizer any read past the end is reported; Parse must also leave the bytes alone.
TEST(ParseRobustnessTest, MutatedFramesStayInBounds) {
  const std::vector<std::vector<uint8_t>> seeds = SeedFrames();
  std::mt19937 rng(20240601);
  int ok = 0;
  int statuses[kParseStatusCount] = {};
  for (int round = 0; round < 200000; ++round) {
    std::vector<uint8_t> mutant = seeds[rng() % seeds.size()];
    int flips = static_cast<int>(rng() % 5);
    for (int i = 0; i < flips && !mutant.empty(); ++i) {
      size_t at = rng() % 2 ? rng() % std::min<size_t>(mutant.size(), 96) : rng() % mutant.size();
      mutant[at] = rng() % 3 ? static_cast<uint8_t>(mutant[at] ^ (1u << (rng() % 8))) : static_cast<uint8_t>(rng());
    }
    if (rng() % 3 == 0) mutant.resize(rng() % (mutant.size() + 1));
    auto len = static_cast<uint32_t>(mutant.size());
    std::unique_ptr<uint8_t[]> exact(new uint8_t[len]);
    std::copy(mutant.begin(), mutant.end(), exact.get());
    PacketView v;
    ParseStatus status = Parse(exact.get(), len, &v);
    ASSERT_TRUE(std::equal(mutant.begin(), mutant.end(), exact.get())) << "Parse wrote to the frame";
    ++statuses[static_cast<int>(status)];
    if (status == ParseStatus::kOk) {
      ++ok;
      ExpectOffsetsWithinFrame(v, len);
      if (HasFatalFailure()) {
        ADD_FAILURE() << "round " << round;
        return;
      }
    }
  }
  // The mutations must have reached every verdict, or the test proves less than it claims.
  for (int s = 0; s < kParseStatusCount; ++s) EXPECT_GT(statuses[s], 0) << "status " << s << " never seen";
  EXPECT_GT(ok, 1000);
}

}  // namespace
}  // namespace ipvsd::net
