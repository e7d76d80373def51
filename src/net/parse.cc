// Parse() walks one frame front to back. Every read is preceded by a bounds check against
// the end of what it belongs to: the frame for the link-layer and IP base headers, the IP
// packet (l3_end, which is checked against the frame once) for everything inside it. All
// offsets are uint32_t while computing, so sums cannot wrap, and are narrowed to the
// PacketView's 16-bit fields only after l3_end is known to fit.
#include "net/headers.h"
#include "net/packet_view.h"

namespace ipvsd::net {
namespace {

constexpr uint32_t kMaxOffset = 0xffff;  // PacketView offsets are 16-bit
constexpr uint32_t kEmbeddedL4Bytes = 8;  // RFC 792/4443: an error quotes at least 8 bytes of L4
constexpr int kMaxVlanTags = 2;
constexpr uint16_t kIpv6FragOffsetMask = 0xfff8;  // Ipv6FragHdr::frag_off without the M flag

enum class ExtChain : uint8_t {
  kDone,      // *offset is at the upper-layer header, *nexthdr is its protocol
  kBad,       // a header runs past the end, or hop-by-hop is not first (RFC 8200 section 4.1)
  kFragment,  // a fragment header that the caller does not walk through
};

// Walks IPv6 extension headers from *offset (the byte after the fixed header) while *nexthdr
// names one. Hop-by-hop, routing and destination options are skipped by their length. A
// fragment header ends the walk with kFragment, *offset just past it and *nexthdr its next
// header, except that `through_first_fragment` walks on through one with offset 0: an ICMPv6
// error may quote the first fragment of a datagram, whose upper-layer header (and ports)
// follows the fragment header.
ExtChain WalkIpv6ExtHeaders(const uint8_t* data, uint32_t end, bool through_first_fragment, uint32_t* offset,
                            uint8_t* nexthdr) {
  for (bool first = true;; first = false) {
    switch (*nexthdr) {
      case kIpv6HopByHop:
      case kIpv6Routing:
      case kIpv6DestOpts: {
        if (*nexthdr == kIpv6HopByHop && !first) return ExtChain::kBad;
        if (end - *offset < 8) return ExtChain::kBad;
        const auto* ext = HeaderAt<Ipv6ExtHdr>(data + *offset);
        uint32_t ext_len = (uint32_t{ext->hdrlen} + 1) * 8;
        if (end - *offset < ext_len) return ExtChain::kBad;
        *nexthdr = ext->nexthdr;
        *offset += ext_len;
        break;
      }
      case kIpv6Fragment: {
        if (end - *offset < sizeof(Ipv6FragHdr)) return ExtChain::kBad;
        const auto* frag = HeaderAt<Ipv6FragHdr>(data + *offset);
        bool first_fragment = (frag->frag_off.get() & kIpv6FragOffsetMask) == 0;
        *nexthdr = frag->nexthdr;
        *offset += sizeof(Ipv6FragHdr);
        if (!through_first_fragment || !first_fragment) return ExtChain::kFragment;
        break;
      }
      default:
        return ExtChain::kDone;
    }
  }
}

// RFC 791 options: EOL ends the list, NOP is one byte, every other option carries a length
// (>= 2) that must stay inside the header. The kernel drops packets whose options overrun
// (ip_options_compile), so they are not ours to forward either.
bool Ipv4OptionsValid(const uint8_t* options, uint32_t len) {
  constexpr uint8_t kOptEnd = 0;
  constexpr uint8_t kOptNop = 1;
  uint32_t i = 0;
  while (i < len) {
    uint8_t type = options[i];
    if (type == kOptEnd) return true;
    if (type == kOptNop) {
      ++i;
      continue;
    }
    if (len - i < 2) return false;
    uint8_t opt_len = options[i + 1];
    if (opt_len < 2 || opt_len > len - i) return false;
    i += opt_len;
  }
  return true;
}

// The ICMP errors whose quoted packet is looked up as a connection. The kernel's
// ip_vs_in_icmp follows dest unreachable, source quench and time exceeded; parameter problem
// is followed too because it is equally about one packet of a connection we forwarded.
bool IsFollowedIcmpError(uint8_t type) {
  return type == kIcmpDestUnreach || type == kIcmpSourceQuench || type == kIcmpTimeExceeded ||
         type == kIcmpParamProblem;
}
bool IsFollowedIcmpv6Error(uint8_t type) {
  return type == kIcmpv6DestUnreach || type == kIcmpv6PacketTooBig || type == kIcmpv6TimeExceeded ||
         type == kIcmpv6ParamProblem;
}
// Whether a quoted ICMP message is itself an error: no error is ever sent about one (RFC 1122
// 3.2.2, RFC 4443 2.4(e)), so an error quoting one is not about any connection of ours.
// Redirect (5) counts as an error here, as in the kernel's icmp_pointers table.
bool IsIcmpErrorType(uint8_t type) {
  constexpr uint8_t kIcmpRedirect = 5;
  return IsFollowedIcmpError(type) || type == kIcmpRedirect;
}
bool IsIcmpv6ErrorType(uint8_t type) { return type < 128; }  // RFC 4443 2.1

bool HasPorts(uint8_t protocol) {
  return protocol == kProtoTcp || protocol == kProtoUdp || protocol == kProtoSctp;
}

enum class Embedded : uint8_t { kFollowed, kNotFollowed, kBad };

// Parses the packet quoted by an ICMP error of `family`, which starts at `start` and ends at
// `end` (the outer l3_end). The quote must hold the IP header (with options or extension
// headers) and at least 8 bytes beyond it; its own length fields describe the original
// datagram and are not checked against the quote, which is normally cut short.
Embedded ParseEmbedded(const uint8_t* data, uint32_t start, uint32_t end, Family family, InnerPacket* inner) {
  uint32_t l4 = 0;
  uint8_t protocol = 0;
  if (family == Family::kInet) {
    if (end - start < sizeof(Ipv4Hdr)) return Embedded::kBad;
    const auto* ip = HeaderAt<Ipv4Hdr>(data + start);
    uint32_t ihl = static_cast<uint32_t>(ip->header_len());
    if ((ip->version_ihl >> 4) != 4 || ihl < sizeof(Ipv4Hdr)) return Embedded::kBad;
    if (end - start < ihl + kEmbeddedL4Bytes) return Embedded::kBad;
    // A non-first fragment's first 8 bytes are data, not ports: nothing to match it with.
    if ((ip->frag_off.get() & kIpv4OffsetMask) != 0) return Embedded::kNotFollowed;
    l4 = start + ihl;
    protocol = ip->protocol;
    inner->src = RawAddr::FromBytes(ip->saddr, family);
    inner->dst = RawAddr::FromBytes(ip->daddr, family);
  } else {
    if (end - start < sizeof(Ipv6Hdr)) return Embedded::kBad;
    const auto* ip6 = HeaderAt<Ipv6Hdr>(data + start);
    if ((ip6->ver_tc_flow.get() >> 28) != 6) return Embedded::kBad;
    l4 = start + static_cast<uint32_t>(sizeof(Ipv6Hdr));
    protocol = ip6->nexthdr;
    switch (WalkIpv6ExtHeaders(data, end, /*through_first_fragment=*/true, &l4, &protocol)) {
      case ExtChain::kDone:
        break;
      case ExtChain::kBad:
        return Embedded::kBad;
      case ExtChain::kFragment:
        return Embedded::kNotFollowed;
    }
    if (end - l4 < kEmbeddedL4Bytes) return Embedded::kBad;
    inner->src = RawAddr::FromBytes(ip6->saddr, family);
    inner->dst = RawAddr::FromBytes(ip6->daddr, family);
  }
  if (family == Family::kInet && protocol == kProtoIcmp && IsIcmpErrorType(data[l4])) return Embedded::kNotFollowed;
  if (family == Family::kInet6 && protocol == kProtoIcmpv6 && IsIcmpv6ErrorType(data[l4])) {
    return Embedded::kNotFollowed;
  }
  inner->l3_offset = static_cast<uint16_t>(start);
  inner->l4_offset = static_cast<uint16_t>(l4);
  inner->family = family;
  inner->protocol = protocol;
  if (HasPorts(protocol)) {
    // TCP, UDP and SCTP all begin with source port, destination port.
    inner->sport = HeaderAt<UdpHdr>(data + l4)->source.get();
    inner->dport = HeaderAt<UdpHdr>(data + l4)->dest.get();
  }
  return Embedded::kFollowed;
}

// ICMP and ICMPv6 share the type/code/checksum prefix and the 8-byte header size.
ParseStatus ParseIcmp(PacketView* out) {
  if (out->l4_len() < sizeof(IcmpHdr)) return ParseStatus::kBadL4Header;
  const uint8_t* l4 = out->data + out->l4_offset;
  out->icmp_type = l4[0];
  out->icmp_code = l4[1];
  bool followed = out->family == Family::kInet ? IsFollowedIcmpError(out->icmp_type)
                                               : IsFollowedIcmpv6Error(out->icmp_type);
  if (!followed) return ParseStatus::kOk;
  InnerPacket inner;
  switch (ParseEmbedded(out->data, out->l4_offset + static_cast<uint32_t>(sizeof(IcmpHdr)), out->l3_end,
                        out->family, &inner)) {
    case Embedded::kFollowed:
      out->icmp_error = true;
      out->inner = inner;
      return ParseStatus::kOk;
    case Embedded::kNotFollowed:
      return ParseStatus::kOk;
    case Embedded::kBad:
      break;
  }
  return ParseStatus::kBadL4Header;
}

ParseStatus ParseTransport(PacketView* out) {
  const uint8_t* l4 = out->data + out->l4_offset;
  uint32_t l4_len = out->l4_len();
  switch (out->protocol) {
    case kProtoTcp: {
      if (l4_len < sizeof(TcpHdr)) return ParseStatus::kBadL4Header;
      const auto* tcp = HeaderAt<TcpHdr>(l4);
      auto doff = static_cast<uint32_t>(tcp->header_len());
      if (doff < sizeof(TcpHdr) || doff > l4_len) return ParseStatus::kBadL4Header;
      out->sport = tcp->source.get();
      out->dport = tcp->dest.get();
      out->tcp_flags = tcp->flags;
      return ParseStatus::kOk;
    }
    case kProtoUdp: {
      if (l4_len < sizeof(UdpHdr)) return ParseStatus::kBadL4Header;
      const auto* udp = HeaderAt<UdpHdr>(l4);
      // Shorter than the IP payload is allowed (the kernel trims to it); longer is not.
      uint32_t udp_len = udp->len.get();
      if (udp_len < sizeof(UdpHdr) || udp_len > l4_len) return ParseStatus::kBadL4Header;
      out->sport = udp->source.get();
      out->dport = udp->dest.get();
      return ParseStatus::kOk;
    }
    case kProtoSctp: {
      // IPVS schedules on the first chunk (INIT starts an association), so it must be there.
      if (l4_len < sizeof(SctpHdr) + sizeof(SctpChunkHdr)) return ParseStatus::kBadL4Header;
      const auto* sctp = HeaderAt<SctpHdr>(l4);
      const auto* chunk = HeaderAt<SctpChunkHdr>(l4 + sizeof(SctpHdr));
      uint32_t chunk_len = chunk->length.get();
      if (chunk_len < sizeof(SctpChunkHdr) || chunk_len > l4_len - sizeof(SctpHdr)) {
        return ParseStatus::kBadL4Header;
      }
      out->sport = sctp->source.get();
      out->dport = sctp->dest.get();
      out->sctp_chunk = chunk->type;
      return ParseStatus::kOk;
    }
    // ICMP inside IPv6 or ICMPv6 inside IPv4 is nobody's control protocol: opaque payload.
    case kProtoIcmp:
      return out->family == Family::kInet ? ParseIcmp(out) : ParseStatus::kOk;
    case kProtoIcmpv6:
      return out->family == Family::kInet6 ? ParseIcmp(out) : ParseStatus::kOk;
    default:
      return ParseStatus::kOk;
  }
}

ParseStatus ParseIpv4(PacketView* out) {
  uint32_t avail = out->len - out->l3_offset;
  if (avail < sizeof(Ipv4Hdr)) return ParseStatus::kTruncated;
  const auto* ip = HeaderAt<Ipv4Hdr>(out->data + out->l3_offset);
  auto ihl = static_cast<uint32_t>(ip->header_len());
  if ((ip->version_ihl >> 4) != 4 || ihl < sizeof(Ipv4Hdr)) return ParseStatus::kBadIpHeader;
  uint32_t total = ip->total_len.get();
  if (total < ihl) return ParseStatus::kBadIpHeader;
  if (total > avail) return ParseStatus::kTruncated;
  if (out->l3_offset + total > kMaxOffset) return ParseStatus::kBadIpHeader;
  if (!Ipv4OptionsValid(out->data + out->l3_offset + sizeof(Ipv4Hdr), ihl - sizeof(Ipv4Hdr))) {
    return ParseStatus::kBadIpHeader;
  }
  out->family = Family::kInet;
  out->l3_end = static_cast<uint16_t>(out->l3_offset + total);
  out->l4_offset = static_cast<uint16_t>(out->l3_offset + ihl);
  out->protocol = ip->protocol;
  out->ttl = ip->ttl;
  out->df = (ip->frag_off.get() & kIpv4Df) != 0;
  out->src = RawAddr::FromBytes(ip->saddr, Family::kInet);
  out->dst = RawAddr::FromBytes(ip->daddr, Family::kInet);
  if ((ip->frag_off.get() & (kIpv4Mf | kIpv4OffsetMask)) != 0) return ParseStatus::kFragment;
  return ParseTransport(out);
}

ParseStatus ParseIpv6(PacketView* out) {
  uint32_t avail = out->len - out->l3_offset;
  if (avail < sizeof(Ipv6Hdr)) return ParseStatus::kTruncated;
  const auto* ip6 = HeaderAt<Ipv6Hdr>(out->data + out->l3_offset);
  if ((ip6->ver_tc_flow.get() >> 28) != 6) return ParseStatus::kBadIpHeader;
  uint32_t total = static_cast<uint32_t>(sizeof(Ipv6Hdr)) + ip6->payload_len.get();
  if (total > avail) return ParseStatus::kTruncated;
  if (out->l3_offset + total > kMaxOffset) return ParseStatus::kBadIpHeader;
  out->family = Family::kInet6;
  out->l3_end = static_cast<uint16_t>(out->l3_offset + total);
  out->ttl = ip6->hop_limit;
  out->df = true;
  out->src = RawAddr::FromBytes(ip6->saddr, Family::kInet6);
  out->dst = RawAddr::FromBytes(ip6->daddr, Family::kInet6);
  uint32_t l4 = out->l3_offset + static_cast<uint32_t>(sizeof(Ipv6Hdr));
  uint8_t protocol = ip6->nexthdr;
  ExtChain chain = WalkIpv6ExtHeaders(out->data, out->l3_end, /*through_first_fragment=*/false, &l4, &protocol);
  out->l4_offset = static_cast<uint16_t>(l4);
  out->protocol = protocol;
  switch (chain) {
    case ExtChain::kDone:
      break;
    case ExtChain::kBad:
      return ParseStatus::kBadIpHeader;
    case ExtChain::kFragment:
      return ParseStatus::kFragment;
  }
  return ParseTransport(out);
}

}  // namespace

ParseStatus Parse(uint8_t* data, uint32_t len, PacketView* out) {
  *out = PacketView{};
  out->data = data;
  out->len = len;
  if (len < sizeof(EthHdr)) return ParseStatus::kTruncated;
  uint16_t ethertype = HeaderAt<EthHdr>(data)->ethertype.get();
  uint32_t offset = sizeof(EthHdr);
  for (int tags = 0; ethertype == kEtherTypeVlan || ethertype == kEtherTypeQinQ; ++tags) {
    if (tags == kMaxVlanTags) return ParseStatus::kNotIp;
    if (len - offset < sizeof(VlanHdr)) return ParseStatus::kTruncated;
    const auto* vlan = HeaderAt<VlanHdr>(data + offset);
    if (tags == 0) out->vlan_tci = vlan->tci.get();
    ethertype = vlan->ethertype.get();
    offset += sizeof(VlanHdr);
  }
  out->l3_offset = static_cast<uint16_t>(offset);
  if (ethertype == kEtherTypeIpv4) return ParseIpv4(out);
  if (ethertype == kEtherTypeIpv6) return ParseIpv6(out);
  return ParseStatus::kNotIp;
}

}  // namespace ipvsd::net
