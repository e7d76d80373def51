#include "net/crc32c.h"

#include <array>
#include <cstring>

#if defined(__x86_64__)
#include <nmmintrin.h>
#endif

namespace ipvsd::net {
namespace {

constexpr uint32_t kCastagnoliReflected = 0x82F63B78u;

// Slicing-by-8 (Intel, "A Systematic Approach to Building High Performance Software-based
// CRC Generators", 2006): table k maps a byte to its CRC contribution k bytes further back,
// so eight bytes fold with eight independent lookups instead of a serial chain of eight.
using Crc32cTables = std::array<std::array<uint32_t, 256>, 8>;

constexpr Crc32cTables MakeTables() {
  Crc32cTables t{};
  for (uint32_t i = 0; i < 256; ++i) {
    uint32_t crc = i;
    for (int bit = 0; bit < 8; ++bit) crc = (crc >> 1) ^ ((crc & 1) ? kCastagnoliReflected : 0);
    t[0][i] = crc;
  }
  for (size_t k = 1; k < 8; ++k) {
    for (size_t i = 0; i < 256; ++i) t[k][i] = (t[k - 1][i] >> 8) ^ t[0][t[k - 1][i] & 0xff];
  }
  return t;
}

constexpr Crc32cTables kTables = MakeTables();

// The CRC is defined over bytes in order with a reflected register, which is little-endian
// word order; composing the word from bytes keeps that true on any host.
inline uint32_t LoadLe32(const uint8_t* p) {
  return uint32_t{p[0]} | (uint32_t{p[1]} << 8) | (uint32_t{p[2]} << 16) | (uint32_t{p[3]} << 24);
}

}  // namespace

namespace internal {

uint32_t Crc32cPortable(const uint8_t* data, size_t len, uint32_t crc) {
  for (; len >= 8; data += 8, len -= 8) {
    uint32_t lo = crc ^ LoadLe32(data);
    uint32_t hi = LoadLe32(data + 4);
    crc = kTables[7][lo & 0xff] ^ kTables[6][(lo >> 8) & 0xff] ^ kTables[5][(lo >> 16) & 0xff] ^
          kTables[4][lo >> 24] ^ kTables[3][hi & 0xff] ^ kTables[2][(hi >> 8) & 0xff] ^
          kTables[1][(hi >> 16) & 0xff] ^ kTables[0][hi >> 24];
  }
  for (; len > 0; ++data, --len) crc = (crc >> 8) ^ kTables[0][(crc ^ *data) & 0xff];
  return crc;
}

#if defined(__x86_64__)
// The target attribute enables SSE4.2 for this function only; Crc32c calls it only after
// checking the CPU, so the binary still runs on CPUs without it.
__attribute__((target("sse4.2"))) uint32_t Crc32cSse42(const uint8_t* data, size_t len, uint32_t crc) {
  uint64_t crc64 = crc;
  for (; len >= 8; data += 8, len -= 8) {
    uint64_t word;
    std::memcpy(&word, data, sizeof word);
    crc64 = _mm_crc32_u64(crc64, word);
  }
  auto crc32 = static_cast<uint32_t>(crc64);
  for (; len > 0; ++data, --len) crc32 = _mm_crc32_u8(crc32, *data);
  return crc32;
}

bool Crc32cHasSse42() { return __builtin_cpu_supports("sse4.2"); }
#else
uint32_t Crc32cSse42(const uint8_t* data, size_t len, uint32_t crc) { return Crc32cPortable(data, len, crc); }

bool Crc32cHasSse42() { return false; }
#endif

}  // namespace internal

uint32_t Crc32c(const uint8_t* data, size_t len, uint32_t init) {
  if (internal::Crc32cHasSse42()) return internal::Crc32cSse42(data, len, init);
  return internal::Crc32cPortable(data, len, init);
}

namespace {
constexpr size_t kSctpChecksumOffset = 8;
constexpr size_t kSctpCommonHeaderLen = 12;

// The CRC of the packet with its checksum field read as zero, computed without copying.
uint32_t SctpCrc(const uint8_t* sctp_header, size_t len) {
  static constexpr uint8_t kZeros[4] = {};
  uint32_t crc = Crc32c(sctp_header, kSctpChecksumOffset);
  crc = Crc32c(kZeros, sizeof kZeros, crc);
  crc = Crc32c(sctp_header + kSctpCommonHeaderLen, len - kSctpCommonHeaderLen, crc);
  return ~crc;
}
}  // namespace

void SetSctpChecksum(uint8_t* sctp_header, size_t sctp_len) {
  uint32_t crc = SctpCrc(sctp_header, sctp_len);
  uint8_t* field = sctp_header + kSctpChecksumOffset;
  field[0] = static_cast<uint8_t>(crc);
  field[1] = static_cast<uint8_t>(crc >> 8);
  field[2] = static_cast<uint8_t>(crc >> 16);
  field[3] = static_cast<uint8_t>(crc >> 24);
}

bool SctpChecksumValid(const uint8_t* sctp_header, size_t len) {
  if (len < kSctpCommonHeaderLen) return false;
  return SctpCrc(sctp_header, len) == LoadLe32(sctp_header + kSctpChecksumOffset);
}

}  // namespace ipvsd::net
