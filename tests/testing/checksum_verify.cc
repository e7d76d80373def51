#include "tests/testing/checksum_verify.h"

#include <cstddef>
#include <vector>

namespace ipvsd::testing {
namespace {

// Protocol numbers and ethertypes, spelt out here rather than taken from net/headers.h so
// that this file stays an independent reading of the wire format.
constexpr uint8_t kIcmp = 1;
constexpr uint8_t kIpip = 4;
constexpr uint8_t kTcp = 6;
constexpr uint8_t kUdp = 17;
constexpr uint8_t kIpv6InIp = 41;
constexpr uint8_t kGre = 47;
constexpr uint8_t kIcmpv6 = 58;
constexpr uint8_t kSctp = 132;
constexpr uint16_t kEthIpv4 = 0x0800;
constexpr uint16_t kEthIpv6 = 0x86dd;
constexpr int kMaxDepth = 4;  // tunnels in tunnels in ICMP errors: more is a malformed frame

uint16_t Read16(const uint8_t* p) { return static_cast<uint16_t>(p[0] << 8 | p[1]); }

struct Findings {
  bool walked = true;
  bool ipv4_headers_ok = true;
  bool l4_ok = true;
};

// Where an IP packet's transport data is, and what its pseudo-header needs.
struct IpInfo {
  bool v6 = false;
  const uint8_t* src = nullptr;
  const uint8_t* dst = nullptr;
  uint8_t protocol = 0;
  std::span<const uint8_t> l4;
};

void CheckIp(std::span<const uint8_t> packet, int depth, Findings* f);

uint32_t PseudoHeaderSum(const IpInfo& ip, size_t l4_len) {
  size_t addr_len = ip.v6 ? 16 : 4;
  uint32_t sum = OnesComplementSum({ip.src, addr_len});
  sum = OnesComplementSum({ip.dst, addr_len}, sum);
  const uint8_t tail[4] = {static_cast<uint8_t>(l4_len >> 8), static_cast<uint8_t>(l4_len), 0, ip.protocol};
  return OnesComplementSum({tail, 4}, sum);
}

bool SumIsValid(uint32_t sum) { return OnesComplementChecksum(sum) == 0; }

// A GUE variant 0 header (version 0, C bit clear) naming IPv4 or IPv6, followed after its
// options by an IP packet of that version whose length fills the rest exactly.
bool LooksLikeGue(std::span<const uint8_t> payload, std::span<const uint8_t>* inner) {
  if (payload.size() < 4 || (payload[0] >> 5) != 0) return false;
  size_t header_len = 4 + size_t{payload[0] & 0x1fu} * 4;
  uint8_t proto = payload[1];
  if ((proto != kIpip && proto != kIpv6InIp) || payload.size() < header_len + 1) return false;
  std::span<const uint8_t> ip = payload.subspan(header_len);
  if (proto == kIpip) {
    if (ip.size() < 20 || (ip[0] >> 4) != 4 || Read16(&ip[2]) != ip.size()) return false;
  } else {
    if (ip.size() < 40 || (ip[0] >> 4) != 6 || size_t{Read16(&ip[4])} + 40 != ip.size()) return false;
  }
  *inner = ip;
  return true;
}

void CheckUdp(const IpInfo& ip, int depth, Findings* f) {
  if (ip.l4.size() < 8) {
    f->walked = false;
    return;
  }
  size_t udp_len = Read16(&ip.l4[4]);
  if (udp_len < 8 || udp_len > ip.l4.size()) {
    f->walked = false;
    return;
  }
  std::span<const uint8_t> udp = ip.l4.first(udp_len);
  std::span<const uint8_t> inner;
  bool gue = LooksLikeGue(udp.subspan(8), &inner);
  if (Read16(&udp[6]) == 0) {
    if (ip.v6 && !gue) f->l4_ok = false;
  } else if (!SumIsValid(OnesComplementSum(udp, PseudoHeaderSum(ip, udp_len)))) {
    f->l4_ok = false;
  }
  if (gue) CheckIp(inner, depth + 1, f);
}

void CheckGre(std::span<const uint8_t> gre, int depth, Findings* f) {
  if (gre.size() < 4) {
    f->walked = false;
    return;
  }
  uint16_t flags = Read16(&gre[0]);
  uint16_t protocol = Read16(&gre[2]);
  size_t header_len = 4;
  if (flags & 0x8000) header_len += 4;  // checksum + reserved
  if (flags & 0x2000) header_len += 4;  // key
  if (flags & 0x1000) header_len += 4;  // sequence number
  if (gre.size() < header_len) {
    f->walked = false;
    return;
  }
  if ((flags & 0x8000) && !SumIsValid(OnesComplementSum(gre))) f->l4_ok = false;
  if (protocol == kEthIpv4 || protocol == kEthIpv6) CheckIp(gre.subspan(header_len), depth + 1, f);
}

// The IPv4 header quoted by an ICMP error, when the quote holds all of it.
void CheckQuotedIpv4Header(std::span<const uint8_t> quote, Findings* f) {
  if (quote.size() < 20 || (quote[0] >> 4) != 4) return;
  size_t ihl = size_t{quote[0] & 0x0fu} * 4;
  if (ihl < 20 || ihl > quote.size()) return;
  if (!SumIsValid(OnesComplementSum(quote.first(ihl)))) {
    f->ipv4_headers_ok = false;
    f->l4_ok = false;
  }
}

void CheckL4(const IpInfo& ip, int depth, Findings* f) {
  const std::span<const uint8_t> l4 = ip.l4;
  switch (ip.protocol) {
    case kTcp:
      if (l4.size() < 20) {
        f->walked = false;
      } else if (!SumIsValid(OnesComplementSum(l4, PseudoHeaderSum(ip, l4.size())))) {
        f->l4_ok = false;
      }
      return;
    case kUdp:
      CheckUdp(ip, depth, f);
      return;
    case kSctp: {
      if (l4.size() < 12) {
        f->walked = false;
        return;
      }
      std::vector<uint8_t> zeroed(l4.begin(), l4.end());
      uint32_t stored = uint32_t{l4[8]} | uint32_t{l4[9]} << 8 | uint32_t{l4[10]} << 16 | uint32_t{l4[11]} << 24;
      zeroed[8] = zeroed[9] = zeroed[10] = zeroed[11] = 0;
      if (Crc32cBitwise(zeroed) != stored) f->l4_ok = false;
      return;
    }
    case kIcmp:
      if (ip.v6) return;  // ICMP inside IPv6 is opaque payload, as net::Parse treats it
      if (l4.size() < 8) {
        f->walked = false;
        return;
      }
      if (!SumIsValid(OnesComplementSum(l4))) f->l4_ok = false;
      // Dest unreachable, source quench, redirect, time exceeded, parameter problem.
      if (l4[0] == 3 || l4[0] == 4 || l4[0] == 5 || l4[0] == 11 || l4[0] == 12) CheckQuotedIpv4Header(l4.subspan(8), f);
      return;
    case kIcmpv6:
      if (!ip.v6) return;
      if (l4.size() < 8) {
        f->walked = false;
        return;
      }
      if (!SumIsValid(OnesComplementSum(l4, PseudoHeaderSum(ip, l4.size())))) f->l4_ok = false;
      return;
    case kIpip:
    case kIpv6InIp:
      CheckIp(l4, depth + 1, f);
      return;
    case kGre:
      CheckGre(l4, depth, f);
      return;
    default:
      return;
  }
}

void CheckIpv4(std::span<const uint8_t> packet, int depth, Findings* f) {
  if (packet.size() < 20) {
    f->walked = false;
    return;
  }
  size_t ihl = size_t{packet[0] & 0x0fu} * 4;
  size_t total = Read16(&packet[2]);
  if (ihl < 20 || total < ihl || total > packet.size()) {
    f->walked = false;
    return;
  }
  if (!SumIsValid(OnesComplementSum(packet.first(ihl)))) f->ipv4_headers_ok = false;
  uint16_t frag = Read16(&packet[6]);
  if (frag & 0x3fff) return;  // MF or an offset: the transport checksum covers other fragments too
  IpInfo ip{.v6 = false, .src = &packet[12], .dst = &packet[16], .protocol = packet[9],
            .l4 = packet.subspan(ihl, total - ihl)};
  CheckL4(ip, depth, f);
}

void CheckIpv6(std::span<const uint8_t> packet, int depth, Findings* f) {
  if (packet.size() < 40) {
    f->walked = false;
    return;
  }
  size_t total = 40 + size_t{Read16(&packet[4])};
  if (total > packet.size()) {
    f->walked = false;
    return;
  }
  uint8_t next = packet[6];
  size_t offset = 40;
  while (next == 0 || next == 43 || next == 60 || next == 44) {
    if (next == 44) return;  // a fragment
    if (total - offset < 8) {
      f->walked = false;
      return;
    }
    size_t len = (size_t{packet[offset + 1]} + 1) * 8;
    if (total - offset < len) {
      f->walked = false;
      return;
    }
    next = packet[offset];
    offset += len;
  }
  IpInfo ip{.v6 = true, .src = &packet[8], .dst = &packet[24], .protocol = next,
            .l4 = packet.subspan(offset, total - offset)};
  CheckL4(ip, depth, f);
}

void CheckIp(std::span<const uint8_t> packet, int depth, Findings* f) {
  if (depth > kMaxDepth || packet.empty()) {
    f->walked = false;
    return;
  }
  switch (packet[0] >> 4) {
    case 4:
      CheckIpv4(packet, depth, f);
      return;
    case 6:
      CheckIpv6(packet, depth, f);
      return;
    default:
      f->walked = false;
  }
}

Findings CheckFrame(std::span<const uint8_t> frame) {
  Findings f;
  size_t offset = 12;
  uint16_t ethertype = 0;
  while (true) {
    if (frame.size() < offset + 2) {
      f.walked = false;
      return f;
    }
    ethertype = Read16(&frame[offset]);
    if (ethertype != 0x8100 && ethertype != 0x88a8) break;
    offset += 4;  // skip the tag's ethertype + TCI to the next ethertype
  }
  offset += 2;
  if (ethertype != kEthIpv4 && ethertype != kEthIpv6) {
    f.walked = false;
    return f;
  }
  CheckIp(frame.subspan(offset), 0, &f);
  return f;
}

}  // namespace

uint32_t OnesComplementSum(std::span<const uint8_t> bytes, uint32_t sum) {
  for (size_t i = 0; i < bytes.size(); i += 2) {
    uint32_t word = uint32_t{bytes[i]} << 8;
    if (i + 1 < bytes.size()) word |= bytes[i + 1];
    sum += word;
    sum = (sum & 0xffff) + (sum >> 16);
  }
  return sum;
}

uint16_t OnesComplementChecksum(uint32_t sum) {
  while (sum > 0xffff) sum = (sum & 0xffff) + (sum >> 16);
  return static_cast<uint16_t>(~sum);
}

uint32_t Crc32cBitwise(std::span<const uint8_t> bytes) {
  uint32_t crc = 0xffffffffu;
  for (uint8_t b : bytes) {
    crc ^= b;
    for (int bit = 0; bit < 8; ++bit) crc = (crc >> 1) ^ ((crc & 1) ? 0x82F63B78u : 0);
  }
  return ~crc;
}

bool Ipv4HeaderChecksumOk(std::span<const uint8_t> frame) {
  Findings f = CheckFrame(frame);
  return f.walked && f.ipv4_headers_ok;
}

bool L4ChecksumOk(std::span<const uint8_t> frame) {
  Findings f = CheckFrame(frame);
  return f.walked && f.l4_ok;
}

}  // namespace ipvsd::testing
