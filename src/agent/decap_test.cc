// File: agent/decap_test.cc
//
// The agent's decapsulation: every tunnel format ipvsd (and kernel IPVS) sends, built by the
// independent PacketBuilder, comes out as exactly the inner packet; malformed, truncated and
// random inputs are refused with the right reason and never read out of bounds (run under
// ASan by make test).
#include "agent/decap.h"

#include <gtest/gtest.h>

#include <random>
#include <vector>

#include "tests/testing/packet_builder.h"

namespace ipvsd::agent {
namespace {

using testing::PacketBuilder;

constexpr size_t kIpv4HeaderLen = 20;
constexpr size_t kIpv6HeaderLen = 40;
constexpr size_t kUdpHeaderLen = 8;

PacketBuilder InnerV4() {
  return PacketBuilder().Ipv4("198.18.0.2", "198.19.0.1").Tcp(40000, 8080, net::kTcpSyn).Payload("hello");
}
PacketBuilder InnerV6() {
  return PacketBuilder().Ipv6("2001:db8::2", "2001:db8:19::1").Udp(40000, 53).Payload("query");
}

std::vector<uint8_t> Bytes(std::span<const uint8_t> s) { return {s.begin(), s.end()}; }

TEST(DecapTest, IpipIpv4InIpv4GivesTheInnerPacket) {
  const std::vector<uint8_t> outer = InnerV4().OuterIpv4("198.18.1.1", "198.18.1.11").Ipip().BuildL3();
  DecapResult r = DecapIpv4Packet(outer);
  ASSERT_TRUE(r);
  EXPECT_EQ(r->family, net::Family::kInet);
  EXPECT_EQ(Bytes(r->bytes), InnerV4().BuildL3());
}

TEST(DecapTest, IpipIpv6InIpv4GivesTheInnerPacket) {
  const std::vector<uint8_t> outer = InnerV6().OuterIpv4("198.18.1.1", "198.18.1.11").Ipip().BuildL3();
  ASSERT_EQ(outer[9], net::kProtoIpv6);
  DecapResult r = DecapIpv4Packet(outer);
  ASSERT_TRUE(r);
  EXPECT_EQ(r->family, net::Family::kInet6);
  EXPECT_EQ(Bytes(r->bytes), InnerV6().BuildL3());
}

TEST(DecapTest, Ipv6OuterPayloadsAsRawIpv6SocketsDeliverThem) {
  for (bool inner_v6 : {false, true}) {
    PacketBuilder inner = inner_v6 ? InnerV6() : InnerV4();
    const std::vector<uint8_t> outer = PacketBuilder(inner).OuterIpv6("2001:db8:1::1", "2001:db8:1::11").Ipip().BuildL3();
    const uint8_t protocol = outer[6];
    DecapResult r = DecapTunnelPayload(protocol, std::span(outer).subspan(kIpv6HeaderLen));
    ASSERT_TRUE(r) << inner_v6;
    EXPECT_EQ(Bytes(r->bytes), inner.BuildL3());
  }
}

TEST(DecapTest, GreWithAndWithoutChecksum) {
  for (bool csum : {false, true}) {
    for (bool inner_v6 : {false, true}) {
      PacketBuilder inner = inner_v6 ? InnerV6() : InnerV4();
      const std::vector<uint8_t> v4 = PacketBuilder(inner).OuterIpv4("198.18.1.1", "198.18.1.11").Gre(csum).BuildL3();
      DecapResult r = DecapIpv4Packet(v4);
      ASSERT_TRUE(r) << csum << inner_v6;
      EXPECT_EQ(Bytes(r->bytes), inner.BuildL3());
      const std::vector<uint8_t> v6 = PacketBuilder(inner).OuterIpv6("2001:db8:1::1", "2001:db8:1::11").Gre(csum).BuildL3();
      r = DecapTunnelPayload(net::kProtoGre, std::span(v6).subspan(kIpv6HeaderLen));
      ASSERT_TRUE(r) << csum << inner_v6;
      EXPECT_EQ(Bytes(r->bytes), inner.BuildL3());
    }
  }
}

TEST(DecapTest, GreBadChecksumIsDropped) {
  std::vector<uint8_t> outer = InnerV4().OuterIpv4("198.18.1.1", "198.18.1.11").Gre(true).BuildL3();
  outer.back() ^= 0x01;
  EXPECT_EQ(DecapIpv4Packet(outer).error_reason(), DecapDrop::kBadGreChecksum);
}

TEST(DecapTest, GreKeyAndSequenceAreSkipped) {
  const std::vector<uint8_t> inner = InnerV4().BuildL3();
  std::vector<uint8_t> gre = {0x30, 0x00, 0x08, 0x00, 1, 2, 3, 4, 0, 0, 0, 9};  // K and S
  gre.insert(gre.end(), inner.begin(), inner.end());
  DecapResult r = DecapGre(gre);
  ASSERT_TRUE(r);
  EXPECT_EQ(Bytes(r->bytes), inner);
}

TEST(DecapTest, GreBadHeaders) {
  const std::vector<uint8_t> inner = InnerV4().BuildL3();
  auto with_header = [&](std::vector<uint8_t> header) {
    header.insert(header.end(), inner.begin(), inner.end());
    return DecapGre(header).error_reason();
  };
  EXPECT_EQ(with_header({0x00, 0x01, 0x08, 0x00}), DecapDrop::kBadGreHeader);  // version 1 (PPTP)
  EXPECT_EQ(with_header({0x40, 0x00, 0x08, 0x00}), DecapDrop::kBadGreHeader);  // routing present
  EXPECT_EQ(with_header({0x00, 0x80, 0x08, 0x00}), DecapDrop::kBadGreHeader);  // reserved flag
  EXPECT_EQ(with_header({0x00, 0x00, 0x65, 0x58}), DecapDrop::kBadGreHeader);  // Ethernet inside
  EXPECT_EQ(with_header({0x00, 0x00, 0x86, 0xdd}), DecapDrop::kBadInner);      // says IPv6, is IPv4
  EXPECT_EQ(DecapGre(std::vector<uint8_t>{0x80, 0x00, 0x08, 0x00, 0x00}).error_reason(), DecapDrop::kTruncated);
}

TEST(DecapTest, GueVariant0OverIpv4AndIpv6) {
  for (bool udp_csum : {false, true}) {
    for (bool inner_v6 : {false, true}) {
      PacketBuilder inner = inner_v6 ? InnerV6() : InnerV4();
      const std::vector<uint8_t> v4 =
          PacketBuilder(inner).OuterIpv4("198.18.1.1", "198.18.1.11").Gue(40000, 6080, udp_csum).BuildL3();
      DecapResult r = DecapGue(std::span(v4).subspan(kIpv4HeaderLen + kUdpHeaderLen));
      ASSERT_TRUE(r) << udp_csum << inner_v6;
      EXPECT_EQ(Bytes(r->bytes), inner.BuildL3());
      const std::vector<uint8_t> v6 =
          PacketBuilder(inner).OuterIpv6("2001:db8:1::1", "2001:db8:1::11").Gue(40000, 6080, udp_csum).BuildL3();
      r = DecapGue(std::span(v6).subspan(kIpv6HeaderLen + kUdpHeaderLen));
      ASSERT_TRUE(r) << udp_csum << inner_v6;
      EXPECT_EQ(Bytes(r->bytes), inner.BuildL3());
    }
  }
}

TEST(DecapTest, GueOptionsAreSkippedAndVariant1IsTheBarePacket) {
  const std::vector<uint8_t> inner = InnerV4().BuildL3();
  std::vector<uint8_t> with_options = {0x02, net::kProtoIpip, 0x00, 0x01, 0xaa, 0xbb, 0xcc, 0xdd, 1, 2, 3, 4};
  with_options.insert(with_options.end(), inner.begin(), inner.end());
  DecapResult r = DecapGue(with_options);
  ASSERT_TRUE(r);
  EXPECT_EQ(Bytes(r->bytes), inner);

  r = DecapGue(inner);  // variant 1: 0x45 has version bits 01
  ASSERT_TRUE(r);
  EXPECT_EQ(Bytes(r->bytes), inner);
  const std::vector<uint8_t> inner6 = InnerV6().BuildL3();
  r = DecapGue(inner6);
  ASSERT_TRUE(r);
  EXPECT_EQ(r->family, net::Family::kInet6);
}

TEST(DecapTest, GueBadHeaders) {
  const std::vector<uint8_t> inner = InnerV4().BuildL3();
  auto with_header = [&](std::vector<uint8_t> header) {
    header.insert(header.end(), inner.begin(), inner.end());
    return DecapGue(header).error_reason();
  };
  EXPECT_EQ(with_header({0x20, 0x00, 0x00, 0x00}), DecapDrop::kGueControl);
  EXPECT_EQ(with_header({0x80, net::kProtoIpip, 0x00, 0x00}), DecapDrop::kBadGueHeader);  // version 2
  EXPECT_EQ(with_header({0x00, net::kProtoTcp, 0x00, 0x00}), DecapDrop::kBadGueHeader);   // not IP inside
  EXPECT_EQ(with_header({0x00, net::kProtoIpv6, 0x00, 0x00}), DecapDrop::kBadInner);      // says v6, is v4
  EXPECT_EQ(DecapGue(std::vector<uint8_t>{0x1f, 0x04, 0x00, 0x00, 0x45}).error_reason(), DecapDrop::kTruncated);
  EXPECT_EQ(DecapGue(std::vector<uint8_t>{0x50, 0x00}).error_reason(), DecapDrop::kBadGueHeader);  // v1, not IP
  EXPECT_EQ(DecapGue({}).error_reason(), DecapDrop::kTruncated);
}

TEST(DecapTest, OuterIpv4Checks) {
  const std::vector<uint8_t> good = InnerV4().OuterIpv4("198.18.1.1", "198.18.1.11").Ipip().BuildL3();
  std::vector<uint8_t> p = good;
  p[0] = 0x65;  // version 6
  EXPECT_EQ(DecapIpv4Packet(p).error_reason(), DecapDrop::kBadOuterHeader);
  p = good;
  p[0] = 0x44;  // header length 16
  EXPECT_EQ(DecapIpv4Packet(p).error_reason(), DecapDrop::kBadOuterHeader);
  p = good;
  p[0] = 0x4f;  // header length 60, longer than the total length field says is there
  EXPECT_EQ(DecapIpv4Packet(std::span(p).first(40)).error_reason(), DecapDrop::kTruncated);
  p = good;
  p[6] = 0x20;  // MF
  EXPECT_EQ(DecapIpv4Packet(p).error_reason(), DecapDrop::kOuterFragment);
  p = good;
  p[9] = net::kProtoTcp;
  EXPECT_EQ(DecapIpv4Packet(p).error_reason(), DecapDrop::kNotTunnel);
  p = good;
  p[2] = 0;
  p[3] = 10;  // total length shorter than the header
  EXPECT_EQ(DecapIpv4Packet(p).error_reason(), DecapDrop::kBadOuterHeader);
  EXPECT_EQ(DecapTunnelPayload(net::kProtoUdp, good).error_reason(), DecapDrop::kNotTunnel);
}

TEST(DecapTest, InnerPacketIsTrimmedToItsOwnLengthAndChecked) {
  std::vector<uint8_t> p = InnerV4().OuterIpv4("198.18.1.1", "198.18.1.11").Ipip().BuildL3();
  // Padding inside the outer packet (outer length covers it) is not part of the inner packet.
  p.insert(p.end(), {0, 0, 0, 0, 0, 0});
  p[3] = static_cast<uint8_t>(p[3] + 6);
  DecapResult r = DecapIpv4Packet(p);
  ASSERT_TRUE(r);
  EXPECT_EQ(Bytes(r->bytes), InnerV4().BuildL3());

  const std::vector<uint8_t> inner = InnerV4().BuildL3();
  std::vector<uint8_t> bad = inner;
  bad[0] = 0x43;  // inner header length 12
  EXPECT_EQ(CheckInner(net::Family::kInet, bad).error_reason(), DecapDrop::kBadInner);
  bad = inner;
  bad[3] = static_cast<uint8_t>(bad[3] + 1);  // one byte longer than present
  EXPECT_EQ(CheckInner(net::Family::kInet, bad).error_reason(), DecapDrop::kTruncated);
  std::vector<uint8_t> v6 = InnerV6().BuildL3();
  v6[4] = 0;
  v6[5] = 0;  // jumbogram payload length
  EXPECT_EQ(CheckInner(net::Family::kInet6, v6).error_reason(), DecapDrop::kBadInner);
  EXPECT_EQ(CheckInner(net::Family::kInet6, inner).error_reason(), DecapDrop::kBadInner);
  EXPECT_EQ(CheckInner(net::Family::kUnspec, inner).error_reason(), DecapDrop::kBadInner);
}

TEST(DecapTest, EveryTruncationIsRefused) {
  const std::vector<std::vector<uint8_t>> packets = {
      InnerV4().OuterIpv4("198.18.1.1", "198.18.1.11").Ipip().BuildL3(),
      InnerV6().OuterIpv4("198.18.1.1", "198.18.1.11").Gre(true).BuildL3(),
      InnerV4().OuterIpv4("198.18.1.1", "198.18.1.11").Gre(false).BuildL3(),
  };
  for (const auto& full : packets) {
    ASSERT_TRUE(DecapIpv4Packet(full));
    for (size_t len = 0; len < full.size(); ++len) {
      // A copy of exactly len bytes, so that ASan sees any read past the end.
      const std::vector<uint8_t> cut(full.begin(), full.begin() + static_cast<long>(len));
      EXPECT_FALSE(DecapIpv4Packet(cut)) << len;
    }
  }
  const std::vector<uint8_t> gue = InnerV4().OuterIpv4("198.18.1.1", "198.18.1.11").Gue(40000, 6080, false).BuildL3();
  const std::vector<uint8_t> payload(gue.begin() + kIpv4HeaderLen + kUdpHeaderLen, gue.end());
  for (size_t len = 0; len < payload.size(); ++len) {
    const std::vector<uint8_t> cut(payload.begin(), payload.begin() + static_cast<long>(len));
    EXPECT_FALSE(DecapGue(cut)) << len;
  }
}

TEST(DecapTest, RandomAndMutatedInputsNeverCrash) {
  std::mt19937 rng(4);
  const std::vector<uint8_t> seed = InnerV4().OuterIpv4("198.18.1.1", "198.18.1.11").Gre(true).BuildL3();
  size_t accepted = 0;
  for (int i = 0; i < 20000; ++i) {
    std::vector<uint8_t> buf;
    if (i % 2 == 0) {
      buf.resize(rng() % 128);
      for (uint8_t& b : buf) b = static_cast<uint8_t>(rng());
      if (!buf.empty()) buf[0] = static_cast<uint8_t>(0x40 | (rng() & 0x0f));  // mostly "IPv4"
    } else {
      buf = seed;
      for (int flips = 0; flips < 3; ++flips) buf[rng() % buf.size()] ^= static_cast<uint8_t>(1u << (rng() % 8));
      buf.resize(rng() % (buf.size() + 1));
    }
    for (DecapResult r : {DecapIpv4Packet(buf), DecapGue(buf), DecapTunnelPayload(static_cast<uint8_t>(rng() % 64), buf)}) {
      if (!r) continue;
      ++accepted;
      // Whatever is accepted lies inside the input and is a plausible IP packet.
      ASSERT_GE(r->bytes.data(), buf.data());
      ASSERT_LE(r->bytes.data() + r->bytes.size(), buf.data() + buf.size());
      ASSERT_GE(r->bytes.size(), 20u);
    }
  }
  EXPECT_LT(accepted, 20000u * 3);
}

TEST(DecapTest, DropNamesAreDistinct) {
  for (size_t i = 0; i < kDecapDropCount; ++i) {
    for (size_t j = i + 1; j < kDecapDropCount; ++j) {
      EXPECT_NE(DecapDropName(static_cast<DecapDrop>(i)), DecapDropName(static_cast<DecapDrop>(j)));
    }
  }
}

}  // namespace
}  // namespace ipvsd::agent
