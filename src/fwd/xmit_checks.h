// File: fwd/xmit_checks.h
//
// The checks every forwarded packet passes before any method rewrites it, as the kernel's
// __ip_vs_get_out_rt() / __ip_vs_get_out_rt_v6() (net/netfilter/ipvs/ip_vs_xmit.c) run them
// for NAT, DR and TUN alike once the real server is known to be remote:
//   1. decrement_ttl(): TTL / hop limit <= 1 -> ICMP time exceeded, drop; else decrement.
//   2. ensure_mtu_is_adequate(): IPv4 with DF (not an ICMP error being relayed) or any IPv6
//      packet longer than the path MTU -> ICMP fragmentation needed / packet too big, drop.
// Replies in NAT (NatOut) meet the same two checks in the kernel's ip_forward() before IPVS
// sees them, so they share these helpers. ICMP errors being translated (NatIcmpIn/Out) get
// the TTL check only: at most 576 / 1280 bytes, they fit every path.
//
// The checks only read the packet; DecrementTtl writes it and is called once the packet is
// known to go out, so that a refused packet is quoted unchanged in the ICMP error.
#pragma once

#include <cstdint>

#include "net/headers.h"
#include "net/packet_view.h"

namespace ipvsd::fwd {

// True when the TTL / hop limit does not allow one more hop.
inline bool TtlExpired(const net::PacketView& pkt) { return pkt.ttl <= 1; }

// True when the packet (its IP length) may not be sent on a path of `mtu` bytes. An IPv4
// ICMP error relayed for a connection is exempt, as ip_vs_iph_icmp() exempts it; IPv6 has no
// exemption (the kernel drops such an ICMPv6 error without answering, and so does our ICMP
// builder, which never answers an error).
// A TCP aggregate (gso_size) is measured by the segments the kernel will cut it into, as
// skb_gso_validate_network_len() does: its IP and TCP headers plus gso_size payload bytes.
inline uint32_t WireLength(const net::PacketView& pkt) {
  if (!pkt.gso_size || pkt.protocol != net::kProtoTcp) return pkt.l3_len();
  const auto tcp_header = static_cast<uint32_t>(net::HeaderAt<net::TcpHdr>(pkt.l4())->header_len());
  return pkt.l4_offset - pkt.l3_offset + tcp_header + pkt.gso_size;
}

inline bool ExceedsMtu(const net::PacketView& pkt, uint32_t mtu) {
  if (WireLength(pkt) <= mtu) return false;
  if (pkt.family == net::Family::kInet6) return true;
  return pkt.df && !pkt.icmp_error;
}

// Decrements the TTL / hop limit in the header. The IPv4 header checksum is NOT patched:
// every caller recomputes it afterwards, as the kernel's transmitters do (ip_send_check).
void DecrementTtl(const net::PacketView& pkt);

}  // namespace ipvsd::fwd
