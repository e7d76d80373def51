// File: net/checksum.h
//
// The Internet checksum (RFC 1071), full and incremental (RFC 1624, equation 3:
// HC' = ~(~HC + ~m + m')). All 16-bit values here are in host order, as read through Be16,
// so callers write `h->check.set(ChecksumReplace16(h->check.get(), old, new))`.
// SCTP's CRC32c lives in net/crc32c.h.
#pragma once

#include <cstddef>
#include <cstdint>

#include "net/ip_addr.h"

namespace ipvsd::net {

// Adds the bytes as big-endian 16-bit words to a 32-bit accumulator (an odd last byte is
// padded with zero). Not folded; chain calls, then ChecksumFinish.
uint32_t ChecksumAdd(const uint8_t* data, size_t len, uint32_t sum = 0);
// Folds the carries and complements: the value to store in a checksum field.
uint16_t ChecksumFinish(uint32_t sum);
inline uint16_t InternetChecksum(const uint8_t* data, size_t len) { return ChecksumFinish(ChecksumAdd(data, len)); }

// Sum of the TCP/UDP/ICMPv6 pseudo-header (addresses, protocol, upper-layer length).
uint32_t PseudoHeaderSum(Family f, const RawAddr& src, const RawAddr& dst, uint8_t proto, uint32_t l4_len);
// Full checksum of an L4 segment with its pseudo-header. The checksum field inside the
// segment must be zero when this is called. For UDP a result of 0 must be stored as 0xffff.
uint16_t L4Checksum(Family f, const RawAddr& src, const RawAddr& dst, uint8_t proto, const uint8_t* l4, size_t len);

uint16_t ChecksumReplace16(uint16_t check, uint16_t old_value, uint16_t new_value);
uint16_t ChecksumReplace32(uint16_t check, uint32_t old_value, uint32_t new_value);
// Replaces a whole address (4 or 16 bytes by family) inside the covered data.
uint16_t ChecksumReplaceAddr(uint16_t check, Family f, const RawAddr& old_addr, const RawAddr& new_addr);

// Recomputes the IPv4 header checksum in place (the header length is taken from the header).
void SetIpv4HeaderChecksum(uint8_t* ip_header);

}  // namespace ipvsd::net
