#include "net/encap.h"

#include <cstring>

#include "net/checksum.h"
#include "net/headers.h"

namespace ipvsd::net {
namespace {

constexpr uint32_t kMaxIpLength = 0xffff;
constexpr uint8_t kEcnMask = 0x03;
constexpr uint8_t kEcnCe = 0x03;
constexpr uint8_t kEcnEct0 = 0x02;

uint32_t OuterIpLen(Family f) { return f == Family::kInet6 ? sizeof(Ipv6Hdr) : sizeof(Ipv4Hdr); }

// The outer IP length field: IPv4 total length counts the outer header, IPv6 payload length
// does not.
uint32_t LengthField(Family outer, uint32_t tun_len, uint32_t inner_len) {
  return (outer == Family::kInet6 ? 0 : OuterIpLen(outer)) + tun_len + inner_len;
}

// The inner protocol as IP next-header (IPIP, GUE) and as ethertype (GRE).
uint8_t InnerProto(Family inner) { return inner == Family::kInet6 ? kProtoIpv6 : kProtoIpip; }
uint16_t InnerEtherType(Family inner) { return inner == Family::kInet6 ? kEtherTypeIpv6 : kEtherTypeIpv4; }

uint8_t OuterProto(EncapType type, Family inner) {
  switch (type) {
    case EncapType::kGue:
      return kProtoUdp;
    case EncapType::kGre:
      return kProtoGre;
    case EncapType::kIpip:
      break;
  }
  return InnerProto(inner);
}

void WriteOuterIpv4(uint8_t* p, const EncapParams& e, uint8_t proto, uint32_t total_len) {
  auto* ip = HeaderAt<Ipv4Hdr>(p);
  ip->version_ihl = 0x45;
  ip->tos = e.tos;
  ip->total_len.set(static_cast<uint16_t>(total_len));
  ip->id.set(e.ip_id);
  ip->frag_off.set(e.df ? kIpv4Df : 0);
  ip->ttl = e.ttl;
  ip->protocol = proto;
  std::memcpy(ip->saddr, e.saddr.bytes.data(), 4);
  std::memcpy(ip->daddr, e.daddr.bytes.data(), 4);
  SetIpv4HeaderChecksum(p);
}

void WriteOuterIpv6(uint8_t* p, const EncapParams& e, uint8_t proto, uint32_t payload_len) {
  auto* ip6 = HeaderAt<Ipv6Hdr>(p);
  ip6->ver_tc_flow.set((6u << 28) | (uint32_t{e.tos} << 20));
  ip6->payload_len.set(static_cast<uint16_t>(payload_len));
  ip6->nexthdr = proto;
  ip6->hop_limit = e.ttl;
  std::memcpy(ip6->saddr, e.saddr.bytes.data(), 16);
  std::memcpy(ip6->daddr, e.daddr.bytes.data(), 16);
}

// UDP + GUE base header (ipvs_gue_encap without remote checksum offload: that option only
// applies to CHECKSUM_PARTIAL packets, and every packet we forward arrives fully checksummed).
void WriteGue(uint8_t* p, const EncapParams& e, Family inner, uint32_t udp_len) {
  auto* udp = HeaderAt<UdpHdr>(p);
  udp->source.set(e.udp_sport);
  udp->dest.set(e.udp_dport);
  udp->len.set(static_cast<uint16_t>(udp_len));
  udp->check.set(0);
  auto* gue = HeaderAt<GueHdr>(p + sizeof(UdpHdr));
  gue->control_version_hlen = 0;  // version 0, data message, no options
  gue->proto_ctype = InnerProto(inner);
  gue->flags.set(0);
  if (e.csum) {
    uint16_t check = L4Checksum(e.outer_family, e.saddr, e.daddr, kProtoUdp, p, udp_len);
    udp->check.set(check == 0 ? 0xffff : check);
  }
}

// gre_build_header with TUNNEL_CSUM or no flags: no key, no sequence number. The checksum
// covers the GRE header and the payload (RFC 2784 section 2.5), no pseudo-header.
void WriteGre(uint8_t* p, const EncapParams& e, Family inner, uint32_t gre_len) {
  auto* gre = HeaderAt<GreHdr>(p);
  gre->flags_version.set(e.csum ? kGreChecksumPresent : 0);
  gre->protocol.set(InnerEtherType(inner));
  if (!e.csum) return;
  auto* csum_field = HeaderAt<Be16>(p + kGreBaseLen);
  csum_field[0].set(0);
  csum_field[1].set(0);  // reserved1
  csum_field[0].set(InternetChecksum(p, gre_len));
}

}  // namespace

uint32_t EncapHeaderLen(EncapType type, bool csum) {
  switch (type) {
    case EncapType::kGue:
      return sizeof(UdpHdr) + kGueHeaderLen;
    case EncapType::kGre:
      return kGreBaseLen + (csum ? kGreCsumLen : 0);
    case EncapType::kIpip:
      break;
  }
  return 0;
}

uint32_t EncapOverhead(Family outer_family, EncapType type, bool csum) {
  return OuterIpLen(outer_family) + EncapHeaderLen(type, csum);
}

bool EncapFits(Family outer_family, EncapType type, bool csum, uint32_t inner_len) {
  return LengthField(outer_family, EncapHeaderLen(type, csum), inner_len) <= kMaxIpLength;
}

bool Encapsulate(Frame& frame, uint32_t l3_offset, uint32_t l3_len, Family inner_family, const EncapParams& p) {
  uint32_t ip_len = OuterIpLen(p.outer_family);
  uint32_t tun_len = EncapHeaderLen(p.type, p.csum);
  uint32_t overhead = ip_len + tun_len;
  if (l3_offset + l3_len > frame.len) return false;
  uint32_t length_field = LengthField(p.outer_family, tun_len, l3_len);
  if (length_field > kMaxIpLength) return false;
  if (!frame.Push(overhead)) return false;

  uint8_t* data = frame.data();
  std::memmove(data, data + overhead, l3_offset);
  frame.len = l3_offset + overhead + l3_len;
  if (l3_offset >= sizeof(Be16)) {
    HeaderAt<Be16>(data + l3_offset - sizeof(Be16))->set(p.outer_family == Family::kInet6 ? kEtherTypeIpv6
                                                                                            : kEtherTypeIpv4);
  }

  uint8_t* outer = data + l3_offset;
  uint8_t* tunnel = outer + ip_len;
  switch (p.type) {
    case EncapType::kGue:
      WriteGue(tunnel, p, inner_family, tun_len + l3_len);
      break;
    case EncapType::kGre:
      WriteGre(tunnel, p, inner_family, tun_len + l3_len);
      break;
    case EncapType::kIpip:
      break;
  }
  uint8_t proto = OuterProto(p.type, inner_family);
  if (p.outer_family == Family::kInet6) {
    WriteOuterIpv6(outer, p, proto, length_field);
  } else {
    WriteOuterIpv4(outer, p, proto, length_field);
  }
  return true;
}

uint8_t EcnEncapsulate(uint8_t inner_dsfield) {
  uint8_t ecn = inner_dsfield & kEcnMask;
  return static_cast<uint8_t>((inner_dsfield & ~kEcnMask) | (ecn == kEcnCe ? kEcnEct0 : ecn));
}

uint16_t GueSourcePort(uint32_t flow_hash) {
  // Only the high bits survive the scaling below, so fold the low half into them.
  uint32_t h = flow_hash ^ (flow_hash << 16);
  uint64_t range = uint64_t{kGueSourcePortMax} - kGueSourcePortMin + 1;
  return static_cast<uint16_t>(kGueSourcePortMin + ((uint64_t{h} * range) >> 32));
}

}  // namespace ipvsd::net
