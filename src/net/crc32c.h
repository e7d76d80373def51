// File: net/crc32c.h
//
// CRC32c (Castagnoli, reflected polynomial 0x82F63B78), the checksum of SCTP (RFC 4960
// appendix B). NAT rewrites SCTP ports, and unlike the Internet checksum a CRC cannot be
// patched incrementally, so every rewritten SCTP packet is checksummed in full: that is why
// this is fast. Crc32c uses the SSE4.2 crc32 instruction when the CPU has it (checked at run
// time, so the build needs no -msse4.2) and slicing-by-8 tables otherwise.
//
// Crc32c works on the CRC register, as the kernel's crc32c() does: start from ~0u, chain
// calls by passing the previous result, and complement at the end.
//
//   uint32_t crc = Crc32c(hdr, 8);
//   crc = Crc32c(rest, n, crc);
//   uint32_t value = ~crc;  // "123456789" gives 0xE3069283
//
//   SetSctpChecksum(l4, l4_len);  // after rewriting an SCTP packet
#pragma once

#include <cstddef>
#include <cstdint>

namespace ipvsd::net {

// Runs the CRC register `init` over the bytes and returns the new register (not complemented).
uint32_t Crc32c(const uint8_t* data, size_t len, uint32_t init = ~0u);

// Computes the CRC32c of an SCTP packet (common header + chunks, sctp_len >= 12 bytes) with
// the checksum field taken as zero, and stores it in that field. The wire order is the one RFC
// 4960 appendix C's sample code produces and Linux implements (cpu_to_le32(~crc)): the
// least significant byte of the final CRC first.
void SetSctpChecksum(uint8_t* sctp_header, size_t sctp_len);
// True when the checksum field holds the CRC32c of the packet. len must be at least 12.
bool SctpChecksumValid(const uint8_t* sctp_header, size_t len);

namespace internal {
// The two implementations behind Crc32c, exposed so that tests can check they agree.
uint32_t Crc32cPortable(const uint8_t* data, size_t len, uint32_t crc);
// Requires Crc32cHasSse42().
uint32_t Crc32cSse42(const uint8_t* data, size_t len, uint32_t crc);
bool Crc32cHasSse42();
}  // namespace internal

}  // namespace ipvsd::net
