// File: net/encap.h
//
// Builds the outer headers of an IP tunnel in front of an IP packet, in place in its Frame:
// plain IP-in-IP (RFC 2003 / RFC 2473: IPv4 or IPv6 outer, IPv4 or IPv6 inner), GUE
// (draft-ietf-intarea-gue variant 0 over UDP) and GRE (RFC 2784). This is the wire format
// only; what goes into the fields (TTL, TOS, DF, ports, checksum options) is decided by the
// caller (fwd/tun.h, after the kernel's ip_vs_tunnel_xmit).
//
// Source in the kernel for the layouts: ipvs_gue_encap and ipvs_gre_encap
// (net/netfilter/ipvs/ip_vs_xmit.c), gre_build_header (include/net/gre.h), udp_set_csum /
// udp6_set_csum, udp_flow_src_port (include/net/udp.h), INET_ECN_encapsulate
// (include/net/inet_ecn.h).
//
// The frame's link-layer header (Ethernet and any VLAN tags, the l3_offset bytes before the
// inner IP header) is moved to the front of the grown frame, and its last ethertype is set
// to the outer family; the addresses in it are left for the caller to fill.
//
//   EncapParams p{.type = EncapType::kGue, .outer_family = Family::kInet, ...};
//   if (!Encapsulate(frame, pkt.l3_offset, pkt.l3_len(), pkt.family, p)) ...;  // no headroom
#pragma once

#include <cstdint>

#include "net/frame.h"
#include "net/ip_addr.h"

namespace ipvsd::net {

enum class EncapType : uint8_t { kIpip = 0, kGue = 1, kGre = 2 };

struct EncapParams {
  EncapType type = EncapType::kIpip;
  Family outer_family = Family::kInet;
  RawAddr saddr;           // outer source
  RawAddr daddr;           // outer destination
  uint8_t tos = 0;         // IPv4 TOS / IPv6 traffic class
  uint8_t ttl = 64;        // IPv4 TTL / IPv6 hop limit
  bool df = false;         // IPv4 outer only: don't-fragment
  uint16_t ip_id = 0;      // IPv4 outer only
  uint16_t udp_sport = 0;  // GUE only
  uint16_t udp_dport = 0;  // GUE only
  // GUE: fill in the outer UDP checksum (else 0, also over IPv6: RFC 6935 zero-checksum UDP
  // tunnels, as udp6_set_csum(nocheck) does). GRE: checksum-present bit + checksum field.
  bool csum = false;
};

inline constexpr uint32_t kGueHeaderLen = 4;  // variant 0 base header, no options
inline constexpr uint32_t kGreBaseLen = 4;
inline constexpr uint32_t kGreCsumLen = 4;  // checksum + reserved1

// Bytes the tunnel adds between the outer IP header and the inner packet.
uint32_t EncapHeaderLen(EncapType type, bool csum);
// Bytes the tunnel adds in front of the inner packet, outer IP header included.
uint32_t EncapOverhead(Family outer_family, EncapType type, bool csum);

// True when an inner packet of inner_len bytes plus the tunnel still fits the outer IP
// header's 16-bit length field.
bool EncapFits(Family outer_family, EncapType type, bool csum, uint32_t inner_len);

// Encapsulates the inner IP packet at [l3_offset, l3_offset + l3_len) of the frame: grows the
// frame at the front by EncapOverhead(), moves the link-layer header, writes the outer IP
// header (IPv4: IHL 5, no options, checksum set; IPv6: flow label 0) and the tunnel header,
// and computes the GUE UDP / GRE checksum when asked. Bytes after the inner packet (Ethernet
// padding) are dropped from the frame. Returns false, frame untouched, when the headroom is
// short or the result would exceed the 16-bit IP length.
bool Encapsulate(Frame& frame, uint32_t l3_offset, uint32_t l3_len, Family inner_family, const EncapParams& p);

// The outer DS field for an inner one: DSCP copied, ECN copied except that CE becomes ECT(0)
// (RFC 6040 normal mode; the kernel's INET_ECN_encapsulate(inner, inner)).
uint8_t EcnEncapsulate(uint8_t inner_dsfield);

// The GUE source port for a flow hash, spread over [kGueSourcePortMin, kGueSourcePortMax] the
// way udp_flow_src_port() spreads skb_get_hash() over the default ip_local_port_range
// (32768-60999): high bits folded in, then scaled by multiplication, not modulo.
inline constexpr uint16_t kGueSourcePortMin = 32768;
inline constexpr uint16_t kGueSourcePortMax = 60999;
uint16_t GueSourcePort(uint32_t flow_hash);

}  // namespace ipvsd::net
