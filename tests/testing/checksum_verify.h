// File: testing/checksum_verify.h
//
// Independent checksum verification for golden packet tests. Everything here is computed
// from scratch by deliberately plain code (16-bit words summed one at a time, CRC32c one bit
// at a time) that shares nothing with net/checksum or net/crc32c, so a bug there cannot
// hide itself by being used on both sides of an assertion. PacketBuilder uses the same
// arithmetic to fill in checksums.
//
//   EXPECT_TRUE(Ipv4HeaderChecksumOk(out_frame));
//   EXPECT_TRUE(L4ChecksumOk(out_frame));
#pragma once

#include <cstdint>
#include <span>

namespace ipvsd::testing {

// One's-complement sum of the bytes as big-endian 16-bit words (an odd last byte is padded
// with zero), added to `sum` and folded to 16 bits.
uint32_t OnesComplementSum(std::span<const uint8_t> bytes, uint32_t sum = 0);
// The value to store in a checksum field: the folded sum, complemented.
uint16_t OnesComplementChecksum(uint32_t sum);
// The finished CRC32c (RFC 4960 appendix B) of the bytes: "123456789" -> 0xE3069283.
uint32_t Crc32cBitwise(std::span<const uint8_t> bytes);

// Both walk an Ethernet frame (any 802.1Q/802.1ad tags) down through every IP header it
// holds: the packet's own, those inside IPIP, GRE and GUE tunnels (a UDP payload is taken as
// GUE variant 0 when its header and inner IP header fit it exactly), and the header quoted by
// an ICMP error. Both return false for a frame they cannot walk (not IP, lengths that do not
// add up).

// True when every IPv4 header found has a correct header checksum (true for a frame with only
// IPv6 headers).
bool Ipv4HeaderChecksumOk(std::span<const uint8_t> frame);

// True when every transport checksum found is correct: TCP, UDP, ICMP, ICMPv6 and SCTP
// (CRC32c) over IPv4 and IPv6, the GRE checksum when present, the outer UDP and the inner
// packet of a tunnel, and the IPv4 header quoted by an ICMP error (its transport checksum is
// not checked: the quote is usually cut short, and IPVS rewrites its ports without fixing
// it). A zero UDP checksum means "none" over IPv4; over IPv6 it is accepted only for a GUE
// tunnel (RFC 6935), never for plain UDP. Fragments are not checked.
bool L4ChecksumOk(std::span<const uint8_t> frame);

}  // namespace ipvsd::testing
