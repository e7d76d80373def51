#include "net/checksum.h"

#include <gtest/gtest.h>

#include <random>
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
using ::ipvsd::testing::L4ChecksumOk;
using ::ipvsd::testing::OnesComplementChecksum;
using ::ipvsd::testing::OnesComplementSum;
using ::ipvsd::testing::PacketBuilder;

constexpr size_t kL3 = sizeof(EthHdr);

uint16_t Read16(const std::vector<uint8_t>& f, size_t at) { return static_cast<uint16_t>(f[at] << 8 | f[at + 1]); }
void Write16(std::vector<uint8_t>& f, size_t at, uint16_t v) {
  f[at] = static_cast<uint8_t>(v >> 8);
  f[at + 1] = static_cast<uint8_t>(v);
}

TEST(ChecksumTest, FullChecksumMatchesIndependentSum) {
  std::mt19937 rng(1);
  for (size_t len = 0; len < 200; ++len) {
    std::vector<uint8_t> data(len);
    for (auto& b : data) b = static_cast<uint8_t>(rng());
    EXPECT_EQ(InternetChecksum(data.data(), data.size()), OnesComplementChecksum(OnesComplementSum(data))) << len;
  }
  // Long runs of 0xff push the 64-bit accumulator's folding.
  std::vector<uint8_t> ones(65535, 0xff);
  EXPECT_EQ(InternetChecksum(ones.data(), ones.size()), OnesComplementChecksum(OnesComplementSum(ones)));
}

TEST(ChecksumTest, ChecksumAddChainsAtEvenBoundaries) {
  std::vector<uint8_t> data(101);
  std::mt19937 rng(2);
  for (auto& b : data) b = static_cast<uint8_t>(rng());
  for (size_t split = 0; split <= data.size(); split += 2) {
    uint32_t sum = ChecksumAdd(data.data(), split);
    sum = ChecksumAdd(data.data() + split, data.size() - split, sum);
    EXPECT_EQ(ChecksumFinish(sum), InternetChecksum(data.data(), data.size())) << split;
  }
}

TEST(ChecksumTest, KnownIpv4Header) {
  // The header of a real packet (the classic example): checksum b861.
  std::vector<uint8_t> ip = ::ipvsd::testing::FromHex("45 00 00 73 00 00 40 00 40 11 b8 61 c0 a8 00 01 c0 a8 00 c7");
  EXPECT_EQ(InternetChecksum(ip.data(), ip.size()), 0);
  Write16(ip, 10, 0x1234);
  SetIpv4HeaderChecksum(ip.data());
  EXPECT_EQ(Read16(ip, 10), 0xb861);
}

TEST(ChecksumTest, SetIpv4HeaderChecksumCoversOptions) {
  std::vector<uint8_t> frame =
      PacketBuilder().Ipv4("198.18.0.1", "198.19.0.1").Ipv4Options({0x94, 4, 0, 0, 1, 1, 1, 0}).Udp(1, 2).Build();
  uint16_t expected = Read16(frame, kL3 + 10);
  Write16(frame, kL3 + 10, 0);
  SetIpv4HeaderChecksum(frame.data() + kL3);
  EXPECT_EQ(Read16(frame, kL3 + 10), expected);
}

// net::L4Checksum against the independent arithmetic the builder used.
TEST(ChecksumTest, L4ChecksumMatchesBuilder) {
  struct Case {
    const char* name;
    PacketBuilder builder;
    size_t l4;
    size_t check;
  };
  std::vector<Case> cases = {
      {"tcp4", PacketBuilder().Ipv4("198.18.0.1", "198.19.0.1").Tcp(1, 2, kTcpSyn).Payload("odd"), kL3 + 20, 16},
      {"udp4", PacketBuilder().Ipv4("198.18.0.1", "198.19.0.1").Udp(1, 2).Payload("even"), kL3 + 20, 6},
      {"tcp6", PacketBuilder().Ipv6("2001:db8::1", "2001:db8::2").Tcp(1, 2, kTcpAck).Payload("x"), kL3 + 40, 16},
      {"udp6", PacketBuilder().Ipv6("2001:db8::1", "2001:db8::2").Udp(1, 2).Payload("xyz"), kL3 + 40, 6},
      {"icmpv6", PacketBuilder().Ipv6("2001:db8::1", "2001:db8::2").Icmpv6(128, 0, 7), kL3 + 40, 2},
  };
  for (Case& c : cases) {
    std::vector<uint8_t> frame = c.builder.Build();
    bool v6 = frame[kL3] >> 4 == 6;
    Family family = v6 ? Family::kInet6 : Family::kInet;
    RawAddr src = RawAddr::FromBytes(&frame[kL3 + (v6 ? 8 : 12)], family);
    RawAddr dst = RawAddr::FromBytes(&frame[kL3 + (v6 ? 24 : 16)], family);
    uint8_t proto = frame[kL3 + (v6 ? 6 : 9)];
    uint16_t expected = Read16(frame, c.l4 + c.check);
    Write16(frame, c.l4 + c.check, 0);
    EXPECT_EQ(L4Checksum(family, src, dst, proto, &frame[c.l4], frame.size() - c.l4), expected) << c.name;
  }
}

// RFC 1624 section 4: eqn. 3 gives 0x0000 where the flawed eqn. 2 gave 0xFFFF.
TEST(ChecksumIncrementalTest, Rfc1624Example) { EXPECT_EQ(ChecksumReplace16(0xdd2f, 0x5555, 0x3285), 0x0000); }

TEST(ChecksumIncrementalTest, IdentityRewrite) {
  for (uint32_t c = 0; c < 0xffff; c += 0x1111) {
    EXPECT_EQ(ChecksumReplace16(static_cast<uint16_t>(c), 0xabcd, 0xabcd), c);
  }
  EXPECT_EQ(ChecksumReplace16(0x1234, 0x0000, 0x0000), 0x1234);
  EXPECT_EQ(ChecksumReplace16(0x1234, 0xffff, 0xffff), 0x1234);
  // 0xffff is the negative zero that a full computation never produces for real data: a
  // rewrite normalises it to 0x0000 (for UDP the caller then stores 0xffff again).
  EXPECT_EQ(ChecksumReplace16(0xffff, 0xabcd, 0xabcd), 0x0000);
}

TEST(ChecksumIncrementalTest, ResultOfZeroAgreesWithFullComputation) {
  // Two words whose sum after the rewrite is 0xffff: the full checksum is 0x0000.
  std::vector<uint8_t> data = {0x12, 0x34, 0x00, 0x00};
  uint16_t check = InternetChecksum(data.data(), data.size());
  ASSERT_EQ(check, 0xedcb);
  data[2] = 0xed;
  data[3] = 0xcb;
  ASSERT_EQ(InternetChecksum(data.data(), data.size()), 0x0000);
  EXPECT_EQ(ChecksumReplace16(check, 0x0000, 0xedcb), 0x0000);
  // And back: from a stored 0x0000 to a non-zero checksum.
  EXPECT_EQ(ChecksumReplace16(0x0000, 0xedcb, 0x0000), 0xedcb);
  // Rewriting a word from 0x0000 to 0xffff (both zero in one's complement) changes nothing.
  EXPECT_EQ(ChecksumReplace16(0xedcb, 0x0000, 0xffff), 0xedcb);
}

TEST(ChecksumIncrementalTest, Replace32EqualsTwoReplace16) {
  std::mt19937 rng(3);
  for (int i = 0; i < 10000; ++i) {
    auto check = static_cast<uint16_t>(rng());
    uint32_t old_value = rng();
    uint32_t new_value = rng();
    uint16_t two_steps = ChecksumReplace16(ChecksumReplace16(check, static_cast<uint16_t>(old_value >> 16),
                                                             static_cast<uint16_t>(new_value >> 16)),
                                           static_cast<uint16_t>(old_value), static_cast<uint16_t>(new_value));
    // The two forms may differ only in the sign of zero.
    uint16_t one_step = ChecksumReplace32(check, old_value, new_value);
    if (one_step != two_steps) {
      EXPECT_TRUE((one_step == 0 && two_steps == 0xffff) || (one_step == 0xffff && two_steps == 0));
    }
  }
}

// A TCP or UDP flow as the builder takes it.
struct Flow {
  bool v6 = false;
  bool udp = false;
  IpAddr src;
  IpAddr dst;
  uint16_t sport = 0;
  uint16_t dport = 0;
  std::vector<uint8_t> payload;

  std::vector<uint8_t> Frame() const {
    PacketBuilder b;
    if (v6) {
      b.Ipv6(src.ToString(), dst.ToString());
    } else {
      b.Ipv4(src.ToString(), dst.ToString());
    }
    if (udp) {
      b.Udp(sport, dport);
    } else {
      b.Tcp(sport, dport, kTcpAck);
    }
    return b.Payload(payload).Build();
  }
  size_t l4() const { return kL3 + (v6 ? 40 : 20); }
  size_t check_at() const { return l4() + (udp ? 6 : 16); }
  size_t src_at() const { return kL3 + (v6 ? 8 : 12); }
  size_t dst_at() const { return kL3 + (v6 ? 24 : 16); }
  Family family() const { return v6 ? Family::kInet6 : Family::kInet; }
};

IpAddr RandomAddr(std::mt19937& rng, bool v6) {
  IpAddr a;
  a.family = v6 ? Family::kInet6 : Family::kInet;
  for (int i = 0; i < AddrLength(a.family); ++i) a.raw.bytes[static_cast<size_t>(i)] = static_cast<uint8_t>(rng());
  return a;
}

// What a NAT does: replace one address and/or one port, patch the checksums incrementally.
// The result must be byte-identical to the same packet built from scratch.
TEST(ChecksumIncrementalTest, RandomRewritesMatchFullComputation) {
  std::mt19937 rng(4);
  for (int round = 0; round < 4000; ++round) {
    Flow before;
    before.v6 = rng() % 2;
    before.udp = rng() % 2;
    before.src = RandomAddr(rng, before.v6);
    before.dst = RandomAddr(rng, before.v6);
    before.sport = static_cast<uint16_t>(rng());
    before.dport = static_cast<uint16_t>(rng());
    before.payload.resize(rng() % 40);
    for (auto& b : before.payload) b = static_cast<uint8_t>(rng());

    Flow after = before;
    bool rewrite_src = rng() % 2;  // SNAT-like (reply direction) or DNAT-like
    bool change_addr = rng() % 4 != 0;
    bool change_port = rng() % 4 != 0 || !change_addr;
    IpAddr& addr = rewrite_src ? after.src : after.dst;
    uint16_t& port = rewrite_src ? after.sport : after.dport;
    if (change_addr) addr = RandomAddr(rng, before.v6);
    if (change_port) port = static_cast<uint16_t>(rng());

    std::vector<uint8_t> frame = before.Frame();
    const std::vector<uint8_t> expected = after.Frame();
    const IpAddr& old_addr = rewrite_src ? before.src : before.dst;
    uint16_t old_port = rewrite_src ? before.sport : before.dport;
    uint16_t l4_check = Read16(frame, before.check_at());
    if (change_addr) {
      size_t at = rewrite_src ? before.src_at() : before.dst_at();
      std::copy_n(addr.raw.bytes.begin(), AddrLength(before.family()), frame.begin() + static_cast<long>(at));
      // Alternate the two IPv4 forms; they must agree.
      l4_check = !before.v6 && round % 2 ? ChecksumReplace32(l4_check, old_addr.raw.V4(), addr.raw.V4())
                                         : ChecksumReplaceAddr(l4_check, before.family(), old_addr.raw, addr.raw);
      if (!before.v6) {
        Write16(frame, kL3 + 10, ChecksumReplaceAddr(Read16(frame, kL3 + 10), Family::kInet, old_addr.raw, addr.raw));
      }
    }
    if (change_port) {
      Write16(frame, before.l4() + (rewrite_src ? 0 : 2), port);
      l4_check = ChecksumReplace16(l4_check, old_port, port);
    }
    if (before.udp && l4_check == 0) l4_check = 0xffff;  // RFC 768: 0 means "no checksum"
    Write16(frame, before.check_at(), l4_check);
    ASSERT_EQ(frame, expected) << "round " << round << "\n" << DiffDump(expected, frame);
    ASSERT_TRUE(L4ChecksumOk(frame)) << "round " << round;
  }
}

// A UDP datagram whose checksum computes to 0 carries 0xffff; a rewrite starting from that
// must still land on the full computation.
TEST(ChecksumIncrementalTest, UdpChecksumThatComputesToZero) {
  Flow flow;
  flow.udp = true;
  flow.src = *IpAddr::Parse("198.18.0.1");
  flow.dst = *IpAddr::Parse("198.19.0.1");
  flow.sport = 5000;
  flow.dport = 53;
  flow.payload = {0, 0};
  // Choose the payload word that brings the one's-complement sum to 0xffff.
  uint16_t sum = static_cast<uint16_t>(~Read16(flow.Frame(), flow.check_at()));
  auto word = static_cast<uint16_t>(0xffff - sum);
  flow.payload = {static_cast<uint8_t>(word >> 8), static_cast<uint8_t>(word)};
  std::vector<uint8_t> frame = flow.Frame();
  ASSERT_EQ(Read16(frame, flow.check_at()), 0xffff);
  {
    std::vector<uint8_t> zeroed = frame;
    Write16(zeroed, flow.check_at(), 0);
    ASSERT_EQ(L4Checksum(Family::kInet, flow.src.raw, flow.dst.raw, kProtoUdp, &zeroed[flow.l4()],
                         zeroed.size() - flow.l4()),
              0x0000);
  }
  Flow after = flow;
  after.dport = 5353;
  uint16_t check = ChecksumReplace16(0xffff, 53, 5353);
  if (check == 0) check = 0xffff;
  Write16(frame, flow.l4() + 2, 5353);
  Write16(frame, flow.check_at(), check);
  EXPECT_EQ(frame, after.Frame());
}

}  // namespace
}  // namespace ipvsd::net
