#include "net/rx_checks.h"

#include <gtest/gtest.h>

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

constexpr size_t kL3 = sizeof(EthHdr);

RxCheck Check(std::vector<uint8_t> frame) {
  PacketView v;
  ParseStatus s = Parse(frame.data(), static_cast<uint32_t>(frame.size()), &v);
  EXPECT_TRUE(s == ParseStatus::kOk || s == ParseStatus::kFragment || s == ParseStatus::kBadL4Header);
  return CheckReceived(v);
}

RxCheck Check4(const char* src, const char* dst, uint8_t protocol = kProtoTcp) {
  PacketBuilder b = PacketBuilder().Ipv4(src, dst);
  if (protocol == kProtoTcp) {
    b.Tcp(40000, 80, kTcpSyn);
  } else {
    b.Protocol(protocol).Payload(std::vector<uint8_t>(8, 0));
  }
  return Check(b.Build());
}
RxCheck Check6(const char* src, const char* dst) {
  return Check(PacketBuilder().Ipv6(src, dst).Tcp(40000, 80, kTcpSyn).Build());
}

TEST(Ipv4HeaderChecksumTest, EveryBitOfTheHeaderIsCovered) {
  std::vector<uint8_t> frame = PacketBuilder().Ipv4("198.18.0.1", "198.19.0.1").Ipv4Options({1, 1, 1, 0})
                                   .Tcp(40000, 80, kTcpSyn).Build();
  ASSERT_TRUE(Ipv4HeaderChecksumOk(frame.data() + kL3));
  // One flipped bit anywhere in the 24 header bytes (options included) is caught, except the
  // header length, which would change what is summed; it is Parse's to judge.
  for (size_t byte = 0; byte < 24; ++byte) {
    for (int bit = 0; bit < 8; ++bit) {
      if (byte == 0 && bit < 4) continue;
      std::vector<uint8_t> bad = frame;
      bad[kL3 + byte] ^= static_cast<uint8_t>(1u << bit);
      EXPECT_FALSE(Ipv4HeaderChecksumOk(bad.data() + kL3)) << "byte " << byte << " bit " << bit;
    }
  }
}

TEST(Ipv4HeaderChecksumTest, BothZerosOfOnesComplementAreValidChecksums) {
  // RFC 1624 section 3: 0x0000 and 0xffff are the same number; a header whose sum is exactly
  // 0xffff before the checksum may carry either (a sender computing incrementally gives 0xffff).
  std::vector<uint8_t> frame = PacketBuilder().Ipv4("198.18.0.1", "198.19.0.1").Tcp(1, 80, kTcpSyn).Build();
  uint8_t* ip = frame.data() + kL3;
  ASSERT_TRUE(Ipv4HeaderChecksumOk(ip));
  // Make the checksum field 0x0000 by moving its value into the identification field.
  uint32_t check = (uint32_t{ip[10]} << 8) | ip[11];
  uint32_t id = (uint32_t{ip[4]} << 8) | ip[5];
  uint32_t sum = id + check;
  sum = (sum & 0xffff) + (sum >> 16);
  ip[4] = static_cast<uint8_t>(sum >> 8);
  ip[5] = static_cast<uint8_t>(sum);
  ip[10] = ip[11] = 0;
  EXPECT_TRUE(Ipv4HeaderChecksumOk(ip));
  ip[10] = ip[11] = 0xff;
  EXPECT_TRUE(Ipv4HeaderChecksumOk(ip));
}

TEST(RxCheckTest, BadChecksumComesBeforeMartianAndFragment) {
  std::vector<uint8_t> frame =
      PacketBuilder().Ipv4("127.0.0.1", "198.19.0.1").MoreFragments(true).Tcp(40000, 80, kTcpSyn).Build();
  EXPECT_EQ(Check(frame), RxCheck::kMartianSource);
  frame[kL3 + 10] ^= 0x80;
  EXPECT_EQ(Check(frame), RxCheck::kBadIpChecksum);
}

TEST(RxCheckTest, Ipv4Sources) {
  EXPECT_EQ(Check4("198.18.0.5", "198.19.0.1"), RxCheck::kOk);
  EXPECT_EQ(Check4("1.0.0.1", "198.19.0.1"), RxCheck::kOk);
  EXPECT_EQ(Check4("223.255.255.254", "198.19.0.1"), RxCheck::kOk);
  for (const char* martian : {"0.0.0.0", "0.0.0.1", "0.255.255.255", "127.0.0.1", "127.255.255.254", "224.0.0.1",
                              "239.255.255.255", "240.0.0.1", "254.1.2.3", "255.255.255.255"}) {
    EXPECT_EQ(Check4(martian, "198.19.0.1"), RxCheck::kMartianSource) << martian;
  }
}

TEST(RxCheckTest, Ipv4Destinations) {
  EXPECT_EQ(Check4("198.18.0.5", "0.0.0.0"), RxCheck::kMartianDestination);
  EXPECT_EQ(Check4("198.18.0.5", "0.1.2.3"), RxCheck::kMartianDestination);
  EXPECT_EQ(Check4("198.18.0.5", "127.0.0.1"), RxCheck::kMartianDestination);
  // Broadcast, multicast and class E destinations are the kernel's to take or refuse.
  EXPECT_EQ(Check4("198.18.0.5", "255.255.255.255"), RxCheck::kOk);
  EXPECT_EQ(Check4("198.18.0.5", "224.0.0.18", 112), RxCheck::kOk);
  EXPECT_EQ(Check4("198.18.0.5", "240.0.0.1"), RxCheck::kOk);
}

TEST(RxCheckTest, ZeroSourcesTheKernelTakes) {
  EXPECT_EQ(Check4("0.0.0.0", "255.255.255.255", kProtoUdp), RxCheck::kOk);  // DHCP discover
  EXPECT_EQ(Check4("0.0.0.0", "0.0.0.0"), RxCheck::kOk);                    // brd_input
  EXPECT_EQ(Check4("0.0.0.0", "224.0.0.1", kProtoUdp), RxCheck::kOk);       // link-local group
  EXPECT_EQ(Check4("0.0.0.0", "239.1.2.3", 2), RxCheck::kOk);               // IGMP
  EXPECT_EQ(Check4("0.0.0.0", "239.1.2.3", kProtoUdp), RxCheck::kMartianSource);
  EXPECT_EQ(Check4("0.0.0.0", "198.19.0.1", 2), RxCheck::kMartianSource);
  EXPECT_EQ(Check4("127.0.0.1", "224.0.0.1", kProtoUdp), RxCheck::kMartianSource);
}

TEST(RxCheckTest, Ipv6) {
  EXPECT_EQ(Check6("2001:db8:c::5", "2001:db8:f::1"), RxCheck::kOk);
  EXPECT_EQ(Check6("fe80::1", "ff02::1"), RxCheck::kOk);
  EXPECT_EQ(Check6("::", "ff02::1:ff00:5"), RxCheck::kOk);  // duplicate address detection
  EXPECT_EQ(Check6("::1", "2001:db8:f::1"), RxCheck::kMartianSource);
  EXPECT_EQ(Check6("ff02::1", "2001:db8:f::1"), RxCheck::kMartianSource);
  EXPECT_EQ(Check6("ff0e::1", "2001:db8:f::1"), RxCheck::kMartianSource);
  EXPECT_EQ(Check6("::ffff:198.18.0.5", "2001:db8:f::1"), RxCheck::kMartianSource);
  EXPECT_EQ(Check6("::", "2001:db8:f::1"), RxCheck::kMartianSource);
  EXPECT_EQ(Check6("2001:db8:c::5", "::1"), RxCheck::kMartianDestination);
  EXPECT_EQ(Check6("2001:db8:c::5", "ff00::1"), RxCheck::kMartianDestination);
  EXPECT_EQ(Check6("2001:db8:c::5", "ff01::1"), RxCheck::kMartianDestination);
  EXPECT_EQ(Check6("2001:db8:c::5", "ff02::1"), RxCheck::kOk);
  // Not v4-mapped: the IPv4-compatible form and NAT64's well-known prefix are addresses.
  EXPECT_EQ(Check6("::198.18.0.5", "2001:db8:f::1"), RxCheck::kOk);
  EXPECT_EQ(Check6("64:ff9b::c612:5", "2001:db8:f::1"), RxCheck::kOk);
}

}  // namespace
}  // namespace ipvsd::net
