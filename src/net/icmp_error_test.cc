#include "net/icmp_error.h"

#include <gtest/gtest.h>

#include <ostream>
#include <string>
#include <vector>

#include "net/headers.h"
#include "net/packet_view.h"

// check_layering.sh reads every quoted #include under src/ as a layer dependency; the shared
// test helpers live outside the layers, hence the angle brackets.
#include <tests/testing/checksum_verify.h>
#include <tests/testing/hex.h>
#include <tests/testing/packet_builder.h>

namespace ipvsd::net {
namespace {

using testing::PacketBuilder;

constexpr const char* kClientMac = "02:00:00:00:00:01";
constexpr const char* kDirectorMac = "02:00:00:00:00:02";

struct Buffer {
  explicit Buffer(const std::vector<uint8_t>& bytes, uint32_t headroom = kFrameHeadroom)
      : storage(headroom + bytes.size()) {
    std::copy(bytes.begin(), bytes.end(), storage.begin() + headroom);
    frame.buffer = storage.data();
    frame.offset = headroom;
    frame.len = static_cast<uint32_t>(bytes.size());
    frame.capacity = static_cast<uint32_t>(storage.size());
  }
  PacketView View() {
    PacketView v;
    Parse(frame.data(), frame.len, &v);
    return v;
  }
  std::vector<uint8_t> Bytes() const { return {frame.data(), frame.data() + frame.len}; }
  std::vector<uint8_t> storage;
  Frame frame;
};

struct IcmpCase {
  std::string description;
  PacketBuilder original;  // as the client sent it: client MAC -> director MAC
  uint8_t type;
  uint8_t code;
  uint32_t info;
  size_t quote_len;        // how much of the original IP packet the error carries
  PacketBuilder expected;  // without the quote, which Embed() adds from `original`
};
void PrintTo(const IcmpCase& c, std::ostream* os) { *os << c.description; }

PacketBuilder FromClient4(uint8_t tos = 0) {
  return PacketBuilder().Eth(kClientMac, kDirectorMac).Ipv4("198.18.0.1", "198.19.0.1").Tos(tos).Df(true).Id(99);
}
PacketBuilder FromClient6() { return PacketBuilder().Eth(kClientMac, kDirectorMac).Ipv6("2001:db8::1", "2001:db8:1::1"); }
// The error: back out the way the original came, from the VIP to the client.
PacketBuilder Back4(uint8_t tos) {
  return PacketBuilder().Eth(kDirectorMac, kClientMac).Ipv4("198.19.0.1", "198.18.0.1").Tos(tos).Ttl(64).Df(true).Id(0);
}
PacketBuilder Back6() {
  return PacketBuilder().Eth(kDirectorMac, kClientMac).Ipv6("2001:db8:1::1", "2001:db8::1").Ttl(64);
}

std::vector<IcmpCase> Cases() {
  std::string big(1500, 'b');
  return {
      {"frag_needed_v4_tcp", FromClient4(0x2c).Tcp(40000, 80, kTcpAck).Payload("hello"), kIcmpDestUnreach,
       kIcmpFragNeeded, 1400, 45, Back4(0xcc).Icmp(kIcmpDestUnreach, kIcmpFragNeeded, 1400)},
      {"frag_needed_v4_quote_cut_at_576", FromClient4().Udp(40000, 53).Payload(big), kIcmpDestUnreach, kIcmpFragNeeded,
       1280, 548, Back4(0xc0).Icmp(kIcmpDestUnreach, kIcmpFragNeeded, 1280)},
      {"time_exceeded_v4", FromClient4().Ttl(1).Udp(40000, 53).Payload("q"), kIcmpTimeExceeded, 0, 0, 29,
       Back4(0xc0).Icmp(kIcmpTimeExceeded, 0)},
      {"port_unreachable_v4_sctp", FromClient4().Sctp(40000, 80, 0, kSctpInit).Payload("init"), kIcmpDestUnreach,
       kIcmpPortUnreach, 0, 40, Back4(0xc0).Icmp(kIcmpDestUnreach, kIcmpPortUnreach)},
      {"port_unreachable_v4_vlan", FromClient4().Vlan(42).Udp(40000, 53).Payload("q"), kIcmpDestUnreach,
       kIcmpPortUnreach, 0, 29, Back4(0xc0).Vlan(42).Icmp(kIcmpDestUnreach, kIcmpPortUnreach)},
      {"port_unreachable_v4_padded_frame", FromClient4().Udp(40000, 53).PadTo(60), kIcmpDestUnreach, kIcmpPortUnreach,
       0, 28, Back4(0xc0).Icmp(kIcmpDestUnreach, kIcmpPortUnreach)},
      {"packet_too_big_v6", FromClient6().Tcp(40000, 80, kTcpAck).Payload("hello"), kIcmpv6PacketTooBig, 0, 1280, 65,
       Back6().Icmpv6(kIcmpv6PacketTooBig, 0, 1280)},
      {"packet_too_big_v6_quote_cut_at_1280", FromClient6().Udp(40000, 53).Payload(big), kIcmpv6PacketTooBig, 0, 1400,
       1232, Back6().Icmpv6(kIcmpv6PacketTooBig, 0, 1400)},
      {"time_exceeded_v6", FromClient6().Ttl(1).Udp(40000, 53).Payload("q"), kIcmpv6TimeExceeded, 0, 0, 49,
       Back6().Icmpv6(kIcmpv6TimeExceeded, 0)},
      {"port_unreachable_v6", FromClient6().Udp(40000, 53).Payload("q"), kIcmpv6DestUnreach, kIcmpv6PortUnreach, 0, 49,
       Back6().Icmpv6(kIcmpv6DestUnreach, kIcmpv6PortUnreach)},
      {"port_unreachable_about_an_echo_request", FromClient4().Icmp(kIcmpEcho, 0, 0x00010001).Payload("ping"),
       kIcmpDestUnreach, kIcmpPortUnreach, 0, 32, Back4(0xc0).Icmp(kIcmpDestUnreach, kIcmpPortUnreach)},
  };
}

class IcmpErrorGoldenTest : public ::testing::TestWithParam<IcmpCase> {};

TEST_P(IcmpErrorGoldenTest, BuildsTheErrorInPlace) {
  const IcmpCase& c = GetParam();
  Buffer b(c.original.Build());
  PacketView orig = b.View();
  std::vector<uint8_t> quote = c.original.BuildL3();
  ASSERT_GE(quote.size(), c.quote_len);
  quote.resize(c.quote_len);
  std::vector<uint8_t> want = PacketBuilder(c.expected).Embed(quote).Build();

  EXPECT_EQ(BuildIcmpError(b.frame, orig, c.type, c.code, c.info), want.size());
  std::vector<uint8_t> got = b.Bytes();
  EXPECT_EQ(want, got) << testing::DiffDump(want, got);
  EXPECT_TRUE(testing::Ipv4HeaderChecksumOk(got));
  EXPECT_TRUE(testing::L4ChecksumOk(got));
  EXPECT_LE(got.size() - orig.l3_offset, orig.family == Family::kInet6 ? kIcmpErrorMaxIpv6 : kIcmpErrorMaxIpv4);

  // It parses back as an error about the original packet.
  PacketView err = b.View();
  EXPECT_EQ(err.src, orig.dst);
  EXPECT_EQ(err.dst, orig.src);
  EXPECT_EQ(err.icmp_type, c.type);
  EXPECT_EQ(err.icmp_code, c.code);
  if (orig.protocol != kProtoIcmp) {
    ASSERT_TRUE(err.icmp_error);
    EXPECT_EQ(err.inner.src, orig.src);
    EXPECT_EQ(err.inner.dst, orig.dst);
    EXPECT_EQ(err.inner.protocol, orig.protocol);
    EXPECT_EQ(err.inner.sport, orig.sport);
    EXPECT_EQ(err.inner.dport, orig.dport);
  }
}

INSTANTIATE_TEST_SUITE_P(Golden, IcmpErrorGoldenTest, ::testing::ValuesIn(Cases()),
                         [](const ::testing::TestParamInfo<IcmpCase>& info) { return info.param.description; });

TEST(IcmpErrorTest, NeverAnswersWhereTheRfcsForbid) {
  std::vector<uint8_t> q = PacketBuilder().Ipv4("198.19.0.1", "198.18.0.1").Udp(53, 40000).BuildL3();
  q.resize(28);
  std::vector<uint8_t> q6 = PacketBuilder().Ipv6("2001:db8:1::1", "2001:db8::1").Udp(53, 40000).BuildL3();
  q6.resize(48);
  struct Row {
    const char* description;
    std::vector<uint8_t> frame;
  } rows[] = {
      {"an ICMP error", FromClient4().Icmp(kIcmpDestUnreach, kIcmpPortUnreach).Embed(q).Build()},
      {"an ICMP redirect", FromClient4().Icmp(5, 1, 0).Embed(q).Build()},
      {"an ICMPv6 error", FromClient6().Icmpv6(kIcmpv6DestUnreach, 0).Embed(q6).Build()},
      {"a non-initial fragment", FromClient4().FragmentOffset(100).Udp(1, 2).Build()},
      {"a multicast destination",
       PacketBuilder().Ipv4("198.18.0.1", "224.0.0.251").Udp(5353, 5353).Build()},
      {"a broadcast source", PacketBuilder().Ipv4("255.255.255.255", "198.19.0.1").Udp(68, 67).Build()},
      {"an unspecified source", PacketBuilder().Ipv4("0.0.0.0", "198.19.0.1").Udp(68, 67).Build()},
      {"an IPv6 multicast destination", PacketBuilder().Ipv6("2001:db8::1", "ff02::fb").Udp(5353, 5353).Build()},
  };
  for (Row& r : rows) {
    SCOPED_TRACE(r.description);
    Buffer b(r.frame);
    PacketView v = b.View();
    EXPECT_EQ(BuildIcmpError(b.frame, v, kIcmpDestUnreach, kIcmpPortUnreach, 0), 0u);
    EXPECT_EQ(b.Bytes(), r.frame);
  }
}

TEST(IcmpErrorTest, NeedsHeadroom) {
  std::vector<uint8_t> in = FromClient4().Udp(1, 2).Build();
  Buffer b(in, 27);
  EXPECT_EQ(BuildIcmpError(b.frame, b.View(), kIcmpTimeExceeded, 0, 0), 0u);
  EXPECT_EQ(b.Bytes(), in);
  Buffer b6(FromClient6().Udp(1, 2).Build(), 48);
  EXPECT_NE(BuildIcmpError(b6.frame, b6.View(), kIcmpv6TimeExceeded, 0, 0), 0u);
}

}  // namespace
}  // namespace ipvsd::net
