// File: agent/decap.cc
//
// The decapsulation functions of agent/decap.h. Every length is checked against the bytes
// present before anything is read; nothing is written.
#include "agent/decap.h"

#include "net/checksum.h"
#include "net/headers.h"

namespace ipvsd::agent {
namespace {

constexpr uint16_t kIpv4FragMask = 0x3fff;  // MF flag and fragment offset
constexpr uint16_t kGreRouting = 0x4000;
constexpr uint16_t kGreKey = 0x2000;
constexpr uint16_t kGreSequence = 0x1000;
constexpr uint16_t kGreKnownBits = net::kGreChecksumPresent | kGreKey | kGreSequence;
constexpr uint8_t kGueVersionShift = 6;
constexpr uint8_t kGueControlBit = 0x20;
constexpr uint8_t kGueHlenMask = 0x1f;

}  // namespace

std::string_view DecapDropName(DecapDrop drop) {
  switch (drop) {
    case DecapDrop::kTruncated: return "truncated";
    case DecapDrop::kBadOuterHeader: return "bad_outer_header";
    case DecapDrop::kOuterFragment: return "outer_fragment";
    case DecapDrop::kNotTunnel: return "not_tunnel";
    case DecapDrop::kBadGreHeader: return "bad_gre_header";
    case DecapDrop::kBadGreChecksum: return "bad_gre_checksum";
    case DecapDrop::kBadGueHeader: return "bad_gue_header";
    case DecapDrop::kGueControl: return "gue_control";
    case DecapDrop::kBadInner: return "bad_inner";
  }
  return "unknown";
}

DecapResult CheckInner(net::Family family, std::span<const uint8_t> packet) {
  if (packet.empty()) return DecapDrop::kTruncated;
  const uint8_t version = packet[0] >> 4;
  if (family == net::Family::kInet) {
    if (version != 4) return DecapDrop::kBadInner;
    if (packet.size() < sizeof(net::Ipv4Hdr)) return DecapDrop::kTruncated;
    const auto* ip = net::HeaderAt<net::Ipv4Hdr>(packet.data());
    const size_t header_len = static_cast<size_t>(ip->version_ihl & 0x0f) * 4;
    const size_t total_len = ip->total_len.get();
    if (header_len < sizeof(net::Ipv4Hdr) || total_len < header_len) return DecapDrop::kBadInner;
    if (total_len > packet.size()) return DecapDrop::kTruncated;
    return InnerPacket{packet.first(total_len), net::Family::kInet};
  }
  if (family == net::Family::kInet6) {
    if (version != 6) return DecapDrop::kBadInner;
    if (packet.size() < sizeof(net::Ipv6Hdr)) return DecapDrop::kTruncated;
    const auto* ip = net::HeaderAt<net::Ipv6Hdr>(packet.data());
    // A zero payload length announces a jumbogram, which no tunnel here can carry.
    const size_t payload_len = ip->payload_len.get();
    if (payload_len == 0 && ip->nexthdr != net::kIpv6NoNext) return DecapDrop::kBadInner;
    const size_t total_len = sizeof(net::Ipv6Hdr) + payload_len;
    if (total_len > packet.size()) return DecapDrop::kTruncated;
    return InnerPacket{packet.first(total_len), net::Family::kInet6};
  }
  return DecapDrop::kBadInner;
}

DecapResult DecapGre(std::span<const uint8_t> gre) {
  if (gre.size() < sizeof(net::GreHdr)) return DecapDrop::kTruncated;
  const auto* hdr = net::HeaderAt<net::GreHdr>(gre.data());
  const uint16_t flags = hdr->flags_version.get();
  // Version 0 only; no source routing (deprecated by RFC 2784) and no unknown flag bits.
  if ((flags & ~kGreKnownBits) != 0 || (flags & kGreRouting) != 0) return DecapDrop::kBadGreHeader;
  size_t header_len = sizeof(net::GreHdr);
  if (flags & net::kGreChecksumPresent) header_len += 4;
  if (flags & kGreKey) header_len += 4;
  if (flags & kGreSequence) header_len += 4;
  if (gre.size() < header_len) return DecapDrop::kTruncated;
  // The checksum covers the GRE header and its payload; summed with itself it folds to zero.
  if ((flags & net::kGreChecksumPresent) && net::InternetChecksum(gre.data(), gre.size()) != 0) {
    return DecapDrop::kBadGreChecksum;
  }
  const std::span<const uint8_t> inner = gre.subspan(header_len);
  switch (hdr->protocol.get()) {
    case net::kEtherTypeIpv4: return CheckInner(net::Family::kInet, inner);
    case net::kEtherTypeIpv6: return CheckInner(net::Family::kInet6, inner);
    default: return DecapDrop::kBadGreHeader;
  }
}

DecapResult DecapGue(std::span<const uint8_t> gue) {
  if (gue.empty()) return DecapDrop::kTruncated;
  const uint8_t version = gue[0] >> kGueVersionShift;
  if (version == 1) {
    // Variant 1: no GUE header, the IP packet itself; its first nibble tells the family
    // (0x4_ and 0x6_ both start with the bits 01).
    switch (gue[0] >> 4) {
      case 4: return CheckInner(net::Family::kInet, gue);
      case 6: return CheckInner(net::Family::kInet6, gue);
      default: return DecapDrop::kBadGueHeader;
    }
  }
  if (version != 0) return DecapDrop::kBadGueHeader;
  if (gue.size() < sizeof(net::GueHdr)) return DecapDrop::kTruncated;
  const auto* hdr = net::HeaderAt<net::GueHdr>(gue.data());
  if (hdr->control_version_hlen & kGueControlBit) return DecapDrop::kGueControl;
  const size_t header_len = sizeof(net::GueHdr) + static_cast<size_t>(hdr->control_version_hlen & kGueHlenMask) * 4;
  if (gue.size() < header_len) return DecapDrop::kTruncated;
  const std::span<const uint8_t> inner = gue.subspan(header_len);
  switch (hdr->proto_ctype) {
    case net::kProtoIpip: return CheckInner(net::Family::kInet, inner);
    case net::kProtoIpv6: return CheckInner(net::Family::kInet6, inner);
    default: return DecapDrop::kBadGueHeader;
  }
}

DecapResult DecapTunnelPayload(uint8_t protocol, std::span<const uint8_t> payload) {
  switch (protocol) {
    case net::kProtoIpip: return CheckInner(net::Family::kInet, payload);
    case net::kProtoIpv6: return CheckInner(net::Family::kInet6, payload);
    case net::kProtoGre: return DecapGre(payload);
    default: return DecapDrop::kNotTunnel;
  }
}

DecapResult DecapIpv4Packet(std::span<const uint8_t> packet) {
  if (packet.size() < sizeof(net::Ipv4Hdr)) return DecapDrop::kTruncated;
  const auto* ip = net::HeaderAt<net::Ipv4Hdr>(packet.data());
  const size_t header_len = static_cast<size_t>(ip->version_ihl & 0x0f) * 4;
  if ((ip->version_ihl >> 4) != 4 || header_len < sizeof(net::Ipv4Hdr)) return DecapDrop::kBadOuterHeader;
  const size_t total_len = ip->total_len.get();
  if (total_len < header_len) return DecapDrop::kBadOuterHeader;
  if (header_len > packet.size() || total_len > packet.size()) return DecapDrop::kTruncated;
  if (ip->frag_off.get() & kIpv4FragMask) return DecapDrop::kOuterFragment;
  return DecapTunnelPayload(ip->protocol, packet.subspan(header_len, total_len - header_len));
}

}  // namespace ipvsd::agent
