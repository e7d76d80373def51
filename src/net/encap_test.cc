#include "net/encap.h"

#include <gtest/gtest.h>

#include <vector>

#include "net/headers.h"

// check_layering.sh reads every quoted #include under src/ as a layer dependency; the shared
// test helpers live outside the layers, hence the angle brackets.
#include <tests/testing/checksum_verify.h>
#include <tests/testing/hex.h>
#include <tests/testing/packet_builder.h>

namespace ipvsd::net {
namespace {

using testing::PacketBuilder;

RawAddr V4(uint32_t a) { return RawAddr::FromV4(a); }

struct Buffer {
  explicit Buffer(const std::vector<uint8_t>& bytes, uint32_t headroom) : storage(headroom + bytes.size()) {
    std::copy(bytes.begin(), bytes.end(), storage.begin() + headroom);
    frame.buffer = storage.data();
    frame.offset = headroom;
    frame.len = static_cast<uint32_t>(bytes.size());
    frame.capacity = static_cast<uint32_t>(storage.size());
  }
  std::vector<uint8_t> Bytes() const { return {frame.data(), frame.data() + frame.len}; }
  std::vector<uint8_t> storage;
  Frame frame;
};

TEST(EncapTest, OverheadPerType) {
  EXPECT_EQ(EncapOverhead(Family::kInet, EncapType::kIpip, false), 20u);
  EXPECT_EQ(EncapOverhead(Family::kInet6, EncapType::kIpip, true), 40u);
  EXPECT_EQ(EncapOverhead(Family::kInet, EncapType::kGue, false), 32u);
  EXPECT_EQ(EncapOverhead(Family::kInet6, EncapType::kGue, true), 52u);
  EXPECT_EQ(EncapOverhead(Family::kInet, EncapType::kGre, false), 24u);
  EXPECT_EQ(EncapOverhead(Family::kInet, EncapType::kGre, true), 28u);
  EXPECT_LE(EncapOverhead(Family::kInet6, EncapType::kGue, true) + 22, kFrameHeadroom);  // + Ethernet, two tags
}

TEST(EncapTest, EcnEncapsulation) {
  EXPECT_EQ(EcnEncapsulate(0x00), 0x00);  // not ECT
  EXPECT_EQ(EcnEncapsulate(0x01), 0x01);  // ECT(1)
  EXPECT_EQ(EcnEncapsulate(0x02), 0x02);  // ECT(0)
  EXPECT_EQ(EcnEncapsulate(0x03), 0x02);  // CE -> ECT(0)
  EXPECT_EQ(EcnEncapsulate(0xbb), 0xba);  // DSCP kept
}

TEST(EncapTest, GueSourcePortScalesIntoTheRange) {
  EXPECT_EQ(GueSourcePort(0), kGueSourcePortMin);
  EXPECT_EQ(GueSourcePort(0xffffffffu ^ (0xffffffffu << 16)), kGueSourcePortMax);
  // 0x8000 folded into the high half: (0x80008000 * 28232) >> 32 = 14116.
  EXPECT_EQ(GueSourcePort(0x8000), kGueSourcePortMin + 14116);
}

// Bytes for bytes against PacketBuilder, every checksum verified independently.
TEST(EncapTest, GreWithChecksumOverIpv4) {
  PacketBuilder inner = PacketBuilder().Ipv4("198.18.0.1", "198.19.0.1").Ttl(33).Udp(1, 2).Payload("x");
  Buffer b(inner.Build(), 64);
  EncapParams p;
  p.type = EncapType::kGre;
  p.saddr = V4(0xc6120101);  // 198.18.1.1
  p.daddr = V4(0xc612020a);  // 198.18.2.10
  p.ttl = 33;
  p.tos = 0x10;
  p.ip_id = 0x77;
  p.csum = true;
  ASSERT_TRUE(Encapsulate(b.frame, 14, b.frame.len - 14, Family::kInet, p));
  std::vector<uint8_t> want =
      inner.OuterIpv4("198.18.1.1", "198.18.2.10").OuterTtl(33).OuterTos(0x10).OuterId(0x77).Gre(true).Build();
  EXPECT_EQ(want, b.Bytes()) << testing::DiffDump(want, b.Bytes());
  EXPECT_TRUE(testing::Ipv4HeaderChecksumOk(b.Bytes()));
  EXPECT_TRUE(testing::L4ChecksumOk(b.Bytes()));
}

TEST(EncapTest, EthertypeFollowsTheOuterFamilyBehindVlanTags) {
  PacketBuilder inner = PacketBuilder().Vlan(5).Vlan(6).Ipv4("198.18.0.1", "198.19.0.1").Udp(1, 2);
  std::vector<uint8_t> in = inner.Build();
  Buffer b(in, 64);
  EncapParams p;
  p.outer_family = Family::kInet6;
  ASSERT_TRUE(Encapsulate(b.frame, 22, b.frame.len - 22, Family::kInet, p));
  std::vector<uint8_t> out = b.Bytes();
  EXPECT_TRUE(std::equal(in.begin(), in.begin() + 20, out.begin()));  // MACs and both tags
  EXPECT_EQ(out[20], 0x86);
  EXPECT_EQ(out[21], 0xdd);
  EXPECT_EQ(out[22] >> 4, 6);
  EXPECT_EQ(out[22 + 6], kProtoIpip);
}

TEST(EncapTest, DropsEthernetPadding) {
  PacketBuilder inner = PacketBuilder().Ipv4("198.18.0.1", "198.19.0.1").Udp(1, 2);
  Buffer b(inner.PadTo(60).Build(), 64);
  EncapParams p;
  p.saddr = V4(0xc6120101);
  p.daddr = V4(0xc612020a);
  ASSERT_TRUE(Encapsulate(b.frame, 14, 28, Family::kInet, p));
  EXPECT_EQ(b.frame.len, 14u + 20u + 28u);
}

TEST(EncapTest, RefusesWithoutHeadroomOrBeyondTheLengthField) {
  std::vector<uint8_t> in = PacketBuilder().Ipv4("198.18.0.1", "198.19.0.1").Udp(1, 2).Build();
  Buffer b(in, 19);
  EncapParams p;
  EXPECT_FALSE(Encapsulate(b.frame, 14, b.frame.len - 14, Family::kInet, p));
  EXPECT_EQ(b.Bytes(), in);
  EXPECT_EQ(b.frame.offset, 19u);
  EXPECT_TRUE(EncapFits(Family::kInet, EncapType::kIpip, false, 65515));
  EXPECT_FALSE(EncapFits(Family::kInet, EncapType::kIpip, false, 65516));
  EXPECT_TRUE(EncapFits(Family::kInet6, EncapType::kIpip, false, 65535));
  EXPECT_FALSE(EncapFits(Family::kInet6, EncapType::kGue, false, 65524));
}

}  // namespace
}  // namespace ipvsd::net
