#include "net/checksum.h"

#include "net/headers.h"

namespace ipvsd::net {

uint32_t ChecksumAdd(const uint8_t* data, size_t len, uint32_t sum) {
  size_t i = 0;
  // Four 16-bit words at a time into a 64-bit accumulator keeps the loop short; fold at the end.
  uint64_t acc = sum;
  for (; i + 8 <= len; i += 8) {
    acc += (uint32_t{data[i]} << 8) | data[i + 1];
    acc += (uint32_t{data[i + 2]} << 8) | data[i + 3];
    acc += (uint32_t{data[i + 4]} << 8) | data[i + 5];
    acc += (uint32_t{data[i + 6]} << 8) | data[i + 7];
  }
  for (; i + 2 <= len; i += 2) acc += (uint32_t{data[i]} << 8) | data[i + 1];
  if (i < len) acc += uint32_t{data[i]} << 8;
  while (acc >> 32) acc = (acc & 0xffffffffu) + (acc >> 32);
  return static_cast<uint32_t>(acc);
}

uint16_t ChecksumFinish(uint32_t sum) {
  while (sum >> 16) sum = (sum & 0xffff) + (sum >> 16);
  return static_cast<uint16_t>(~sum);
}

uint32_t PseudoHeaderSum(Family f, const RawAddr& src, const RawAddr& dst, uint8_t proto, uint32_t l4_len) {
  size_t n = static_cast<size_t>(AddrLength(f));
  uint32_t sum = ChecksumAdd(src.bytes.data(), n);
  sum = ChecksumAdd(dst.bytes.data(), n, sum);
  uint64_t acc = uint64_t{sum} + proto + (l4_len >> 16) + (l4_len & 0xffff);
  while (acc >> 32) acc = (acc & 0xffffffffu) + (acc >> 32);
  return static_cast<uint32_t>(acc);
}

uint16_t L4Checksum(Family f, const RawAddr& src, const RawAddr& dst, uint8_t proto, const uint8_t* l4, size_t len) {
  return ChecksumFinish(ChecksumAdd(l4, len, PseudoHeaderSum(f, src, dst, proto, static_cast<uint32_t>(len))));
}

uint16_t ChecksumReplace16(uint16_t check, uint16_t old_value, uint16_t new_value) {
  uint32_t sum = static_cast<uint16_t>(~check);
  sum += static_cast<uint16_t>(~old_value);
  sum += new_value;
  return ChecksumFinish(sum);
}

uint16_t ChecksumReplace32(uint16_t check, uint32_t old_value, uint32_t new_value) {
  uint32_t sum = static_cast<uint16_t>(~check);
  sum += static_cast<uint16_t>(~(old_value >> 16));
  sum += static_cast<uint16_t>(~old_value);
  sum += new_value >> 16;
  sum += new_value & 0xffff;
  return ChecksumFinish(sum);
}

uint16_t ChecksumReplaceAddr(uint16_t check, Family f, const RawAddr& old_addr, const RawAddr& new_addr) {
  uint32_t sum = static_cast<uint16_t>(~check);
  int words = AddrLength(f) / 2;
  for (int i = 0; i < words; ++i) {
    uint16_t o = static_cast<uint16_t>((old_addr.bytes[2 * i] << 8) | old_addr.bytes[2 * i + 1]);
    uint16_t n = static_cast<uint16_t>((new_addr.bytes[2 * i] << 8) | new_addr.bytes[2 * i + 1]);
    sum += static_cast<uint16_t>(~o);
    sum += n;
  }
  return ChecksumFinish(sum);
}

void SetIpv4HeaderChecksum(uint8_t* ip_header) {
  auto* ip = HeaderAt<Ipv4Hdr>(ip_header);
  ip->check.set(0);
  ip->check.set(InternetChecksum(ip_header, static_cast<size_t>(ip->header_len())));
}

}  // namespace ipvsd::net
