#include "net/partial_checksum.h"

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

using testing::PacketBuilder;

constexpr size_t kL3 = sizeof(EthHdr);

struct Case {
  const char* name;
  std::vector<uint8_t> frame;  // with its finished checksum
  size_t l4;
  size_t check;  // offset of the checksum field in the L4 header
};

std::vector<Case> Cases() {
  return {
      {"tcp4", PacketBuilder().Ipv4("198.18.0.1", "198.19.0.1").Tcp(40000, 80, kTcpAck).Payload("odd").Build(),
       kL3 + 20, 16},
      {"udp4", PacketBuilder().Ipv4("198.18.0.1", "198.19.0.1").Udp(5000, 53).Payload("even").Build(), kL3 + 20, 6},
      {"tcp6",
       PacketBuilder().Ipv6("2001:db8::1", "2001:db8::2").Tcp(40000, 80, kTcpAck).Payload(std::string(1400, 'x')).Build(),
       kL3 + 40, 16},
      {"udp6", PacketBuilder().Ipv6("2001:db8::1", "2001:db8::2").Udp(5000, 53).Payload("xyz").Build(), kL3 + 40, 6},
  };
}

// What a sender offloading its checksum leaves in the field: the folded pseudo-header sum,
// computed here from the header bytes with the test's own ones'-complement sum.
uint16_t PseudoHeaderFolded(const std::vector<uint8_t>& frame, size_t l4) {
  const bool v6 = frame[kL3] >> 4 == 6;
  const size_t addr = kL3 + (v6 ? 8 : 12), addr_len = v6 ? 32 : 8;
  const uint8_t proto = frame[kL3 + (v6 ? 6 : 9)];
  const uint32_t l4_len = static_cast<uint32_t>(frame.size() - l4);
  uint32_t sum = testing::OnesComplementSum(std::span(&frame[addr], addr_len));
  sum += proto + (l4_len >> 16) + (l4_len & 0xffff);
  return static_cast<uint16_t>(~testing::OnesComplementChecksum(sum));
}

TEST(PartialChecksumTest, CompletesAHalfComputedChecksumToTheSenderBytes) {
  for (Case& c : Cases()) {
    std::vector<uint8_t> partial = c.frame;
    uint16_t folded = PseudoHeaderFolded(c.frame, c.l4);
    partial[c.l4 + c.check] = static_cast<uint8_t>(folded >> 8);
    partial[c.l4 + c.check + 1] = static_cast<uint8_t>(folded);
    ASSERT_FALSE(testing::L4ChecksumOk(partial)) << c.name;
    PacketView v;
    ASSERT_EQ(Parse(partial.data(), static_cast<uint32_t>(partial.size()), &v), ParseStatus::kOk) << c.name;
    EXPECT_TRUE(CompletePartialChecksum(v)) << c.name;
    EXPECT_EQ(testing::ToHex(partial.data(), partial.size()), testing::ToHex(c.frame.data(), c.frame.size()))
        << c.name;
  }
}

TEST(PartialChecksumTest, LeavesFinishedChecksumsAlone) {
  for (Case& c : Cases()) {
    std::vector<uint8_t> frame = c.frame;
    PacketView v;
    ASSERT_EQ(Parse(frame.data(), static_cast<uint32_t>(frame.size()), &v), ParseStatus::kOk) << c.name;
    EXPECT_FALSE(CompletePartialChecksum(v)) << c.name;
    EXPECT_EQ(frame, c.frame) << c.name;
  }
}

TEST(PartialChecksumTest, LeavesUdpWithoutChecksumAndIcmpAlone) {
  std::vector<uint8_t> no_sum =
      PacketBuilder().Ipv4("198.18.0.1", "198.19.0.1").Udp(5000, 53).UdpZeroChecksum().Payload("q").Build();
  std::vector<uint8_t> icmp = PacketBuilder().Ipv4("198.18.0.1", "198.19.0.1").Icmp(8, 0, 1).Build();
  for (std::vector<uint8_t>* frame : {&no_sum, &icmp}) {
    std::vector<uint8_t> before = *frame;
    PacketView v;
    ASSERT_EQ(Parse(frame->data(), static_cast<uint32_t>(frame->size()), &v), ParseStatus::kOk);
    EXPECT_FALSE(CompletePartialChecksum(v));
    EXPECT_EQ(*frame, before);
  }
}

}  // namespace
}  // namespace ipvsd::net
