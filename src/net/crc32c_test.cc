#include "net/crc32c.h"

#include <gtest/gtest.h>

#include <cstring>
#include <random>
#include <string_view>
#include <vector>

// check_layering.sh reads every quoted #include under src/ as a layer dependency; the shared
// test helpers live outside the layers, so they are included with angle brackets.
#include <tests/testing/checksum_verify.h>
#include <tests/testing/hex.h>
#include <tests/testing/packet_builder.h>

namespace ipvsd::net {
namespace {

using ::ipvsd::testing::Crc32cBitwise;
using ::ipvsd::testing::FromHex;
using ::ipvsd::testing::PacketBuilder;

uint32_t Finished(const std::vector<uint8_t>& bytes) { return ~Crc32c(bytes.data(), bytes.size()); }

// RFC 3720 appendix B.4; the RFC prints each CRC as the bytes sent, least significant first.
TEST(Crc32cTest, Rfc3720Vectors) {
  EXPECT_EQ(Finished(std::vector<uint8_t>(32, 0x00)), 0x8A9136AAu);
  EXPECT_EQ(Finished(std::vector<uint8_t>(32, 0xff)), 0x62A8AB43u);
  std::vector<uint8_t> up(32);
  std::vector<uint8_t> down(32);
  for (size_t i = 0; i < 32; ++i) {
    up[i] = static_cast<uint8_t>(i);
    down[i] = static_cast<uint8_t>(31 - i);
  }
  EXPECT_EQ(Finished(up), 0x46DD794Eu);
  EXPECT_EQ(Finished(down), 0x113FDB5Cu);
  std::vector<uint8_t> read10_pdu = FromHex(
      "01 c0 00 00 00 00 00 00 00 00 00 00 00 00 00 00 14 00 00 00 00 00 04 00"
      "00 00 00 14 00 00 00 18 28 00 00 00 00 00 00 00 02 00 00 00 00 00 00 00");
  EXPECT_EQ(Finished(read10_pdu), 0xD9963A56u);
}

TEST(Crc32cTest, CheckValue) {
  constexpr std::string_view kDigits = "123456789";
  EXPECT_EQ(~Crc32c(reinterpret_cast<const uint8_t*>(kDigits.data()), kDigits.size()), 0xE3069283u);
  EXPECT_EQ(Crc32c(nullptr, 0), ~0u);
}

TEST(Crc32cTest, ChainedCallsEqualOneCall) {
  std::vector<uint8_t> data(300);
  std::mt19937 rng(7);
  for (auto& b : data) b = static_cast<uint8_t>(rng());
  uint32_t whole = Crc32c(data.data(), data.size());
  for (size_t split : {size_t{0}, size_t{1}, size_t{7}, size_t{8}, size_t{13}, size_t{299}, size_t{300}}) {
    uint32_t first = Crc32c(data.data(), split);
    EXPECT_EQ(Crc32c(data.data() + split, data.size() - split, first), whole) << "split at " << split;
  }
}

// Both implementations against the definition, over every length up to a few words past the
// 8-byte stride and at every alignment, so each tail length and misalignment is exercised.
TEST(Crc32cTest, ImplementationsAgreeWithBitwiseDefinition) {
  std::mt19937 rng(42);
  std::vector<uint8_t> buffer(600);
  for (auto& b : buffer) b = static_cast<uint8_t>(rng());
  bool sse42 = internal::Crc32cHasSse42();
  for (size_t align = 0; align < 8; ++align) {
    for (size_t len = 0; len <= 80; ++len) {
      const uint8_t* p = buffer.data() + align;
      uint32_t expected = Crc32cBitwise({p, len});
      EXPECT_EQ(~internal::Crc32cPortable(p, len, ~0u), expected) << "align " << align << " len " << len;
      if (sse42) {
        EXPECT_EQ(~internal::Crc32cSse42(p, len, ~0u), expected) << "align " << align << " len " << len;
      }
      EXPECT_EQ(~Crc32c(p, len), expected);
    }
  }
  for (int round = 0; round < 200; ++round) {
    size_t align = rng() % 8;
    size_t len = rng() % (buffer.size() - 8);
    const uint8_t* p = buffer.data() + align;
    uint32_t init = static_cast<uint32_t>(rng());
    uint32_t portable = internal::Crc32cPortable(p, len, init);
    if (sse42) {
      EXPECT_EQ(internal::Crc32cSse42(p, len, init), portable);
    }
  }
}

// An SCTP INIT as captured on the wire (the packet of dpkt's sctp tests): its checksum field
// holds 30 ba ef 54, the little-endian bytes of CRC32c 0x54EFBA30.
constexpr std::string_view kCapturedSctpInit =
    "80 44 00 50 00 00 00 00 30 ba ef 54 01 00 00 3c 3b b9 9c 46 00 01 a0 00 00 0a ff ff 2b 2d 7e b2"
    "00 05 00 08 9b e6 18 9b 00 05 00 08 9b e6 18 9c 00 0c 00 06 00 05 00 00 80 00 00 04 c0 00 00 04"
    "c0 06 00 08 00 00 00 00";

TEST(SctpChecksumTest, CapturedPacketIsValid) {
  std::vector<uint8_t> sctp = FromHex(kCapturedSctpInit);
  EXPECT_TRUE(SctpChecksumValid(sctp.data(), sctp.size()));
}

TEST(SctpChecksumTest, SetWritesTheWireBytesOfACapturedPacket) {
  std::vector<uint8_t> expected = FromHex(kCapturedSctpInit);
  std::vector<uint8_t> sctp = expected;
  std::memset(sctp.data() + 8, 0xa5, 4);
  SetSctpChecksum(sctp.data(), sctp.size());
  EXPECT_EQ(sctp, expected);
}

TEST(SctpChecksumTest, AnyFlippedBitIsDetected) {
  std::vector<uint8_t> sctp = FromHex(kCapturedSctpInit);
  for (size_t i = 0; i < sctp.size(); ++i) {
    for (int bit = 0; bit < 8; ++bit) {
      sctp[i] ^= static_cast<uint8_t>(1 << bit);
      EXPECT_FALSE(SctpChecksumValid(sctp.data(), sctp.size())) << "byte " << i << " bit " << bit;
      sctp[i] ^= static_cast<uint8_t>(1 << bit);
    }
  }
}

TEST(SctpChecksumTest, ShorterThanCommonHeaderIsInvalid) {
  std::vector<uint8_t> sctp = FromHex(kCapturedSctpInit);
  EXPECT_FALSE(SctpChecksumValid(sctp.data(), 11));
}

TEST(SctpChecksumTest, AgreesWithPacketBuilder) {
  std::vector<uint8_t> l3 = PacketBuilder()
                                .Ipv6("2001:db8::1", "2001:db8::2")
                                .Sctp(5000, 80, 0xdeadbeef, kSctpData)
                                .Payload("some data that is not a multiple of four")
                                .BuildL3();
  uint8_t* sctp = l3.data() + 40;
  size_t sctp_len = l3.size() - 40;
  EXPECT_TRUE(SctpChecksumValid(sctp, sctp_len));
  std::vector<uint8_t> expected = l3;
  sctp[8] ^= 0xff;
  EXPECT_FALSE(SctpChecksumValid(sctp, sctp_len));
  SetSctpChecksum(sctp, sctp_len);
  EXPECT_EQ(l3, expected);
}

}  // namespace
}  // namespace ipvsd::net
