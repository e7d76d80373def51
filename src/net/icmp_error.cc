#include "net/icmp_error.h"

#include <algorithm>
#include <cstring>

#include "net/checksum.h"
#include "net/headers.h"
#include "net/reply.h"

namespace ipvsd::net {
namespace {

constexpr uint8_t kIpv4TosMask = 0x1e;              // IPTOS_TOS_MASK
constexpr uint8_t kIpv4PrecInternetControl = 0xc0;  // IPTOS_PREC_INTERNETCONTROL

// The new IP header + ICMP header, written at `ip` (the quote follows them in place).
void WriteIpv4Error(uint8_t* ip, const RawAddr& src, const RawAddr& dst, uint8_t orig_tos, uint8_t type,
                    uint8_t code, uint32_t info, uint32_t quote_len) {
  constexpr uint32_t kHdrs = sizeof(Ipv4Hdr) + sizeof(IcmpHdr);
  auto* iph = HeaderAt<Ipv4Hdr>(ip);
  iph->version_ihl = 0x45;
  iph->tos = static_cast<uint8_t>(kIpv4PrecInternetControl | (orig_tos & kIpv4TosMask));
  iph->total_len.set(static_cast<uint16_t>(kHdrs + quote_len));
  iph->id.set(0);
  iph->frag_off.set(kIpv4Df);
  iph->ttl = kIcmpErrorTtl;
  iph->protocol = kProtoIcmp;
  std::memcpy(iph->saddr, src.bytes.data(), 4);
  std::memcpy(iph->daddr, dst.bytes.data(), 4);
  SetIpv4HeaderChecksum(ip);

  uint8_t* icmp = ip + sizeof(Ipv4Hdr);
  auto* ich = HeaderAt<IcmpHdr>(icmp);
  ich->type = type;
  ich->code = code;
  ich->check.set(0);
  HeaderAt<Be32>(icmp + 4)->set(info);
  uint32_t icmp_len = static_cast<uint32_t>(sizeof(IcmpHdr)) + quote_len;
  ich->check.set(InternetChecksum(icmp, icmp_len));
}

void WriteIpv6Error(uint8_t* ip, const RawAddr& src, const RawAddr& dst, uint8_t type, uint8_t code,
                    uint32_t info, uint32_t quote_len) {
  auto* ip6 = HeaderAt<Ipv6Hdr>(ip);
  uint32_t icmp_len = static_cast<uint32_t>(sizeof(Icmpv6Hdr)) + quote_len;
  ip6->ver_tc_flow.set(6u << 28);
  ip6->payload_len.set(static_cast<uint16_t>(icmp_len));
  ip6->nexthdr = kProtoIcmpv6;
  ip6->hop_limit = kIcmpErrorTtl;
  std::memcpy(ip6->saddr, src.bytes.data(), 16);
  std::memcpy(ip6->daddr, dst.bytes.data(), 16);

  uint8_t* icmp = ip + sizeof(Ipv6Hdr);
  auto* ich = HeaderAt<Icmpv6Hdr>(icmp);
  ich->type = type;
  ich->code = code;
  ich->check.set(0);
  ich->data.set(info);
  ich->check.set(L4Checksum(Family::kInet6, src, dst, kProtoIcmpv6, icmp, icmp_len));
}

}  // namespace

uint32_t BuildIcmpError(Frame& frame, const PacketView& orig, uint8_t type, uint8_t code, uint32_t info) {
  if (!MayAnswer(orig)) return 0;
  bool v6 = orig.family == Family::kInet6;
  uint32_t hdrs = v6 ? sizeof(Ipv6Hdr) + sizeof(Icmpv6Hdr) : sizeof(Ipv4Hdr) + sizeof(IcmpHdr);
  uint32_t limit = v6 ? kIcmpErrorMaxIpv6 : kIcmpErrorMaxIpv4;
  uint32_t quote_len = std::min(orig.l3_len(), limit - hdrs);
  // Everything the new headers need from the original, before they overwrite it.
  RawAddr src = orig.dst;
  RawAddr dst = orig.src;
  uint8_t orig_tos = v6 ? 0 : HeaderAt<Ipv4Hdr>(orig.l3())->tos;
  uint32_t l2_len = orig.l3_offset;

  if (!frame.Push(hdrs)) return 0;
  uint8_t* data = frame.data();
  std::memmove(data, data + hdrs, l2_len);
  SwapMacs(data, l2_len);
  frame.len = l2_len + hdrs + quote_len;
  if (v6) {
    WriteIpv6Error(data + l2_len, src, dst, type, code, info, quote_len);
  } else {
    WriteIpv4Error(data + l2_len, src, dst, orig_tos, type, code, info, quote_len);
  }
  return frame.len;
}

}  // namespace ipvsd::net
