#include "fwd/nat.h"

#include <gtest/gtest.h>

#include <ostream>
#include <random>
#include <string>
#include <vector>

#include "fwd/fwd_test_util.h"
#include "net/headers.h"

namespace ipvsd::fwd {
namespace {

using ipvsd::testing::PacketBuilder;
using testing::Addr;
using testing::ExpectFrame;
using testing::TestFrame;

// One NAT connection per family: client:40000 -> VIP:80, real server :8080.
constexpr const char* kClient4 = "198.18.0.1";
constexpr const char* kVip4 = "198.19.0.1";
constexpr const char* kRs4 = "198.18.1.10";
constexpr const char* kRouter4 = "198.18.0.254";
constexpr const char* kClient6 = "2001:db8::1";
constexpr const char* kVip6 = "2001:db8:1::1";
constexpr const char* kRs6 = "2001:db8:2::10";
constexpr const char* kRouter6 = "2001:db8::fe";
constexpr uint16_t kCport = 40000;
constexpr uint16_t kVport = 80;
constexpr uint16_t kDport = 8080;

core::ConnEntry Conn(bool v6, uint8_t protocol, uint16_t dport = kDport) {
  core::ConnEntry c;
  c.af = c.daf = v6 ? net::Family::kInet6 : net::Family::kInet;
  c.protocol = protocol;
  c.caddr = Addr(v6 ? kClient6 : kClient4);
  c.vaddr = Addr(v6 ? kVip6 : kVip4);
  c.daddr = Addr(v6 ? kRs6 : kRs4);
  c.cport = kCport;
  c.vport = kVport;
  c.dport = dport;
  return c;
}

enum class L4 { kTcp, kUdp, kUdpNoCsum, kSctp };

// The packet under test in its L3 form: a transport header with some payload.
PacketBuilder Packet(L4 l4, bool v6, const char* src, uint16_t sport, const char* dst, uint16_t dport,
                     uint8_t ttl = 64) {
  PacketBuilder b;
  if (v6) {
    b.Ipv6(src, dst);
  } else {
    b.Ipv4(src, dst).Id(0x1234).Df(true);
  }
  b.Ttl(ttl);
  switch (l4) {
    case L4::kTcp:
      b.Tcp(sport, dport, net::kTcpAck | net::kTcpPsh).TcpSeq(0x01020304, 0x0a0b0c0d).Payload("GET / HTTP/1.0\r\n\r\n");
      break;
    case L4::kUdp:
      b.Udp(sport, dport).Payload("query");
      break;
    case L4::kUdpNoCsum:
      b.Udp(sport, dport).UdpZeroChecksum().Payload("query");
      break;
    case L4::kSctp:
      b.Sctp(sport, dport, 0xdeadbeef, net::kSctpData).Payload("chunk data");
      break;
  }
  return b;
}

const char* Client(bool v6) { return v6 ? kClient6 : kClient4; }
const char* Vip(bool v6) { return v6 ? kVip6 : kVip4; }
const char* Rs(bool v6) { return v6 ? kRs6 : kRs4; }

enum class Op { kIn, kOut, kIcmpIn, kIcmpOut };

struct NatCase {
  std::string description;
  Op op;
  core::ConnEntry conn;
  std::vector<uint8_t> input;
  std::vector<uint8_t> expected;
};
void PrintTo(const NatCase& c, std::ostream* os) { *os << c.description; }

FwdStatus Apply(const NatCase& c, const net::PacketView& pkt, uint32_t mtu, uint32_t* mtu_out) {
  switch (c.op) {
    case Op::kIn:
      return NatIn(pkt, c.conn, mtu, mtu_out);
    case Op::kOut:
      return NatOut(pkt, c.conn, mtu, mtu_out);
    case Op::kIcmpIn:
      return NatIcmpIn(pkt, c.conn);
    case Op::kIcmpOut:
      return NatIcmpOut(pkt, c.conn);
  }
  return FwdStatus::kUnsupported;
}

std::string Name(L4 l4, bool v6) {
  const char* p = l4 == L4::kTcp ? "tcp" : l4 == L4::kUdp ? "udp" : l4 == L4::kUdpNoCsum ? "udp_zero_csum" : "sctp";
  return std::string(p) + (v6 ? "_v6" : "_v4");
}

uint8_t Proto(L4 l4) {
  return l4 == L4::kTcp ? net::kProtoTcp : l4 == L4::kSctp ? net::kProtoSctp : net::kProtoUdp;
}

// Client -> real server and back for every transport and family.
void AddPlainCases(std::vector<NatCase>* cases) {
  for (bool v6 : {false, true}) {
    for (L4 l4 : {L4::kTcp, L4::kUdp, L4::kUdpNoCsum, L4::kSctp}) {
      if (v6 && l4 == L4::kUdpNoCsum) continue;  // not a legal IPv6 datagram
      // The kernel computes a full checksum for a datagram that had none (udp_dnat_handler).
      L4 out_l4 = l4 == L4::kUdpNoCsum ? L4::kUdp : l4;
      cases->push_back({"in_" + Name(l4, v6), Op::kIn, Conn(v6, Proto(l4)),
                        Packet(l4, v6, Client(v6), kCport, Vip(v6), kVport).Build(),
                        Packet(out_l4, v6, Client(v6), kCport, Rs(v6), kDport, 63).Build()});
      cases->push_back({"out_" + Name(l4, v6), Op::kOut, Conn(v6, Proto(l4)),
                        Packet(l4, v6, Rs(v6), kDport, Client(v6), kCport).Build(),
                        Packet(out_l4, v6, Vip(v6), kVport, Client(v6), kCport, 63).Build()});
    }
  }
  cases->push_back({"in_tcp_v4_port_zero_keeps_port", Op::kIn, Conn(false, net::kProtoTcp, 0),
                    Packet(L4::kTcp, false, kClient4, kCport, kVip4, kVport).Build(),
                    Packet(L4::kTcp, false, kClient4, kCport, kRs4, kVport, 63).Build()});
  cases->push_back({"in_sctp_v4_same_port_keeps_crc", Op::kIn, Conn(false, net::kProtoSctp, kVport),
                    Packet(L4::kSctp, false, kClient4, kCport, kVip4, kVport).Build(),
                    Packet(L4::kSctp, false, kClient4, kCport, kRs4, kVport, 63).Build()});
  cases->push_back({"in_tcp_v4_vlan", Op::kIn, Conn(false, net::kProtoTcp),
                    Packet(L4::kTcp, false, kClient4, kCport, kVip4, kVport).Vlan(100).Build(),
                    Packet(L4::kTcp, false, kClient4, kCport, kRs4, kDport, 63).Vlan(100).Build()});
  cases->push_back({"in_udp_v4_ethernet_padding", Op::kIn, Conn(false, net::kProtoUdp),
                    Packet(L4::kUdp, false, kClient4, kCport, kVip4, kVport).PadTo(60).Build(),
                    Packet(L4::kUdp, false, kClient4, kCport, kRs4, kDport, 63).PadTo(60).Build()});
  cases->push_back({"in_tcp_v4_ip_options", Op::kIn, Conn(false, net::kProtoTcp),
                    Packet(L4::kTcp, false, kClient4, kCport, kVip4, kVport).Ipv4Options({1, 1, 1, 1}).Build(),
                    Packet(L4::kTcp, false, kClient4, kCport, kRs4, kDport, 63).Ipv4Options({1, 1, 1, 1}).Build()});
}

// The quote of an ICMP error: `full` keeps the whole packet, else IP header + 8 bytes.
std::vector<uint8_t> Quote(PacketBuilder b, bool v6, bool full) {
  std::vector<uint8_t> q = b.BuildL3();
  if (!full) q.resize(v6 ? 48 : 28);
  return q;
}

// The kernel rewrites the quoted port but not the quoted transport checksum: the expected
// quote carries the original's checksum field.
std::vector<uint8_t> WithChecksumOf(std::vector<uint8_t> quote, const std::vector<uint8_t>& original, L4 l4,
                                    bool v6) {
  size_t l4_off = v6 ? 40 : 20;
  size_t at = l4_off + (l4 == L4::kTcp ? 16 : l4 == L4::kSctp ? 8 : 6);
  size_t width = l4 == L4::kSctp ? 4 : 2;
  for (size_t i = 0; i < width && at + i < quote.size(); ++i) quote[at + i] = original[at + i];
  return quote;
}

PacketBuilder Error(bool v6, const char* src, const char* dst, uint8_t ttl) {
  PacketBuilder b;
  if (v6) {
    b.Ipv6(src, dst).Icmpv6(net::kIcmpv6PacketTooBig, 0, 1400);
  } else {
    b.Ipv4(src, dst).Icmp(net::kIcmpDestUnreach, net::kIcmpFragNeeded, 1400);
  }
  return b.Ttl(ttl);
}

void AddIcmpCases(std::vector<NatCase>* cases) {
  for (bool v6 : {false, true}) {
    for (L4 l4 : {L4::kTcp, L4::kUdp, L4::kSctp}) {
      for (bool full : {false, true}) {
        std::string name = Name(l4, v6) + (full ? "_full_quote" : "_short_quote");
        // From the real server's side, about what the client sent (client -> rs:dport).
        std::vector<uint8_t> sent = Quote(Packet(l4, v6, Client(v6), kCport, Rs(v6), kDport, 63), v6, full);
        std::vector<uint8_t> sent_as_client_knows =
            WithChecksumOf(Quote(Packet(l4, v6, Client(v6), kCport, Vip(v6), kVport, 63), v6, full), sent, l4, v6);
        cases->push_back({"icmp_out_" + name, Op::kIcmpOut, Conn(v6, Proto(l4)),
                          Error(v6, Rs(v6), Client(v6), 64).Embed(sent).Build(),
                          Error(v6, Vip(v6), Client(v6), 63).Embed(sent_as_client_knows).Build()});
        // From the client's side (a router on the way), about a reply (vip:vport -> client).
        const char* router = v6 ? kRouter6 : kRouter4;
        std::vector<uint8_t> reply = Quote(Packet(l4, v6, Vip(v6), kVport, Client(v6), kCport, 60), v6, full);
        std::vector<uint8_t> reply_as_rs_knows =
            WithChecksumOf(Quote(Packet(l4, v6, Rs(v6), kDport, Client(v6), kCport, 60), v6, full), reply, l4, v6);
        cases->push_back({"icmp_in_" + name, Op::kIcmpIn, Conn(v6, Proto(l4)),
                          Error(v6, router, Vip(v6), 64).Embed(reply).Build(),
                          Error(v6, router, Rs(v6), 63).Embed(reply_as_rs_knows).Build()});
      }
    }
  }
  std::vector<uint8_t> reply = Quote(Packet(L4::kUdp, false, kVip4, kVport, kClient4, kCport), false, false);
  cases->push_back({"icmp_in_port_zero_keeps_quoted_port", Op::kIcmpIn, Conn(false, net::kProtoUdp, 0),
                    Error(false, kClient4, kVip4, 64).Embed(reply).Build(),
                    Error(false, kClient4, kRs4, 63)
                        .Embed(WithChecksumOf(Quote(Packet(L4::kUdp, false, kRs4, kVport, kClient4, kCport), false,
                                                    false),
                                              reply, L4::kUdp, false))
                        .Build()});
}

std::vector<NatCase> Cases() {
  std::vector<NatCase> cases;
  AddPlainCases(&cases);
  AddIcmpCases(&cases);
  return cases;
}

class NatGoldenTest : public ::testing::TestWithParam<NatCase> {};

TEST_P(NatGoldenTest, RewritesAsTheKernel) {
  const NatCase& c = GetParam();
  TestFrame tf(c.input);
  net::PacketView pkt = tf.Parse();
  uint32_t mtu_out = 0;
  ASSERT_EQ(Apply(c, pkt, 1500, &mtu_out), FwdStatus::kOk);
  ExpectFrame(c.expected, tf.Bytes());
}

INSTANTIATE_TEST_SUITE_P(Golden, NatGoldenTest, ::testing::ValuesIn(Cases()),
                         [](const ::testing::TestParamInfo<NatCase>& info) { return info.param.description; });

// The ICMP error after translation still parses as an error about the connection's packet.
TEST(NatIcmpTest, TranslatedErrorParsesAsTheClientsPacket) {
  std::vector<uint8_t> sent = Quote(Packet(L4::kTcp, false, kClient4, kCport, kRs4, kDport), false, false);
  TestFrame tf(Error(false, kRs4, kClient4, 64).Embed(sent).Build());
  ASSERT_EQ(NatIcmpOut(tf.Parse(), Conn(false, net::kProtoTcp)), FwdStatus::kOk);
  net::PacketView out = tf.Parse();
  ASSERT_TRUE(out.icmp_error);
  EXPECT_EQ(out.src, Addr(kVip4));
  EXPECT_EQ(out.inner.src, Addr(kClient4));
  EXPECT_EQ(out.inner.dst, Addr(kVip4));
  EXPECT_EQ(out.inner.sport, kCport);
  EXPECT_EQ(out.inner.dport, kVport);
}

// Incremental checksum updates agree with a from-scratch computation (PacketBuilder's own,
// independent arithmetic) over many random addresses, ports and payloads.
TEST(NatChecksumTest, IncrementalAgreesWithFullOverRandomPackets) {
  std::mt19937 rng(12345);
  auto v4 = [&] {
    return std::to_string(198) + "." + std::to_string(18 + rng() % 2) + "." + std::to_string(rng() % 256) + "." +
           std::to_string(rng() % 256);
  };
  auto v6 = [&] {
    char buf[64];
    std::snprintf(buf, sizeof(buf), "2001:db8:%x:%x::%x", static_cast<unsigned>(rng() % 0x10000),
                  static_cast<unsigned>(rng() % 0x10000), static_cast<unsigned>(rng() % 0x10000));
    return std::string(buf);
  };
  for (int i = 0; i < 300; ++i) {
    bool is_v6 = i % 2 == 1;
    L4 l4 = (i / 2) % 2 == 0 ? L4::kTcp : L4::kUdp;
    std::string client = is_v6 ? v6() : v4(), vip = is_v6 ? v6() : v4(), rs = is_v6 ? v6() : v4();
    auto cport = static_cast<uint16_t>(rng()), vport = static_cast<uint16_t>(rng() | 1),
         dport = static_cast<uint16_t>(rng() | 1);
    std::string payload(rng() % 40, static_cast<char>(rng()));
    core::ConnEntry conn = Conn(is_v6, Proto(l4));
    conn.caddr = Addr(client.c_str());
    conn.vaddr = Addr(vip.c_str());
    conn.daddr = Addr(rs.c_str());
    conn.cport = cport;
    conn.vport = vport;
    conn.dport = dport;
    TestFrame tf(Packet(l4, is_v6, client.c_str(), cport, vip.c_str(), vport).Payload(payload).Build());
    uint32_t mtu_out = 0;
    ASSERT_EQ(NatIn(tf.Parse(), conn, 1500, &mtu_out), FwdStatus::kOk);
    ExpectFrame(Packet(l4, is_v6, client.c_str(), cport, rs.c_str(), dport, 63).Payload(payload).Build(), tf.Bytes());
  }
}

TEST(NatChecksTest, ExpiredTtlIsRefusedUntouched) {
  for (bool v6 : {false, true}) {
    std::vector<uint8_t> in = Packet(L4::kTcp, v6, Client(v6), kCport, Vip(v6), kVport, 1).Build();
    TestFrame tf(in);
    uint32_t mtu_out = 0;
    EXPECT_EQ(NatIn(tf.Parse(), Conn(v6, net::kProtoTcp), 1500, &mtu_out), FwdStatus::kTtlExceeded);
    EXPECT_EQ(tf.Bytes(), in);
  }
}

TEST(NatChecksTest, TooBigWithDfOrIpv6IsRefusedUntouched) {
  for (bool v6 : {false, true}) {
    std::vector<uint8_t> in =
        Packet(L4::kUdp, v6, Client(v6), kCport, Vip(v6), kVport).Payload(std::string(1400, 'x')).Build();
    TestFrame tf(in);
    uint32_t mtu_out = 0;
    EXPECT_EQ(NatIn(tf.Parse(), Conn(v6, net::kProtoUdp), 1400, &mtu_out), FwdStatus::kTooBig);
    EXPECT_EQ(mtu_out, 1400u);
    EXPECT_EQ(tf.Bytes(), in);
  }
}

TEST(NatChecksTest, TooBigWithoutDfIsForwarded) {
  TestFrame tf(Packet(L4::kUdp, false, kClient4, kCport, kVip4, kVport).Df(false).Payload(std::string(1400, 'x')).Build());
  uint32_t mtu_out = 0;
  EXPECT_EQ(NatIn(tf.Parse(), Conn(false, net::kProtoUdp), 1400, &mtu_out), FwdStatus::kOk);
}

TEST(NatChecksTest, ExactlyMtuIsForwarded) {
  std::vector<uint8_t> in = Packet(L4::kUdp, false, kClient4, kCport, kVip4, kVport).Build();
  TestFrame tf(in);
  uint32_t mtu_out = 0;
  EXPECT_EQ(NatIn(tf.Parse(), Conn(false, net::kProtoUdp), static_cast<uint32_t>(in.size() - 14), &mtu_out),
            FwdStatus::kOk);
}

TEST(NatChecksTest, RefusesWhatItCannotTranslate) {
  uint32_t mtu_out = 0;
  TestFrame v4(Packet(L4::kTcp, false, kClient4, kCport, kVip4, kVport).Build());
  EXPECT_EQ(NatIn(v4.Parse(), Conn(true, net::kProtoTcp), 1500, &mtu_out), FwdStatus::kUnsupported);
  EXPECT_EQ(NatIcmpIn(v4.Parse(), Conn(false, net::kProtoTcp)), FwdStatus::kUnsupported);
  EXPECT_EQ(NatIcmpOut(v4.Parse(), Conn(false, net::kProtoTcp)), FwdStatus::kUnsupported);
}

TEST(NatChecksTest, IcmpErrorWithExpiredTtlIsRefused) {
  std::vector<uint8_t> reply = Quote(Packet(L4::kTcp, false, kVip4, kVport, kClient4, kCport), false, false);
  std::vector<uint8_t> in = Error(false, kRouter4, kVip4, 1).Embed(reply).Build();
  TestFrame tf(in);
  EXPECT_EQ(NatIcmpIn(tf.Parse(), Conn(false, net::kProtoTcp)), FwdStatus::kTtlExceeded);
  EXPECT_EQ(tf.Bytes(), in);
}

}  // namespace
}  // namespace ipvsd::fwd
