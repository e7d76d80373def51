// File: net/icmp_error.h
//
// Turns a frame the director will not forward into the ICMP / ICMPv6 error that tells the
// sender why, in place: "fragmentation needed" / "packet too big" when it exceeds a path MTU
// and may not be fragmented, "time exceeded" when its TTL runs out, "port unreachable" when
// no real server can take it. The error goes back the way the frame came: the Ethernet source
// and destination are swapped (VLAN tags kept), the IP source is the address the sender was
// talking to (the VIP: the kernel answers from the local address the packet was for) and the
// destination is the sender.
//
// Layout follows the kernel's icmp_send (net/ipv4/icmp.c) and icmp6_send (net/ipv6/icmp.c):
//   - IPv4: TOS = precedence "internetwork control" | the original's TOS bits (0xc0 |
//     tos & 0x1e), TTL 64 (ip_default_ttl), no options. The quote is as much of the original
//     IP packet as keeps the error within 576 bytes (RFC 1812 4.3.2.3), i.e. 548 bytes.
//     DF is set and the ID is 0: the error is an atomic datagram (RFC 6864) -- at 576 bytes it
//     fits every IPv4 path, and a stateless builder has no counter to draw unique IDs from
//     (the kernel's icmp socket leaves DF clear and takes a hashed ID instead).
//   - IPv6: traffic class 0, flow label 0, hop limit 64, quote up to 1232 bytes so that the
//     error fits the IPv6 minimum MTU of 1280 (RFC 4443 2.4(c)).
//   - ICMP fields: type, code, checksum, then the 32-bit `info` (big-endian): the next-hop
//     MTU for fragmentation needed (RFC 1191: high 16 bits zero), the MTU for packet too big,
//     0 otherwise. ICMPv6 checksum with its pseudo-header.
//
// No error is built (the functions return 0, frame untouched) where RFC 1122 3.2.2 / RFC 1812
// 4.3.2.7 / RFC 4443 2.4(e) forbid one, as icmp_send refuses: about an ICMP / ICMPv6 error,
// about a non-initial IPv4 fragment, about a packet to a multicast or broadcast address, or
// from an address that does not name one host (unspecified, multicast, limited broadcast).
//
//   if (BuildIcmpError(frame, pkt, kIcmpDestUnreach, kIcmpFragNeeded, mtu) != 0) tx(frame);
#pragma once

#include <cstdint>

#include "net/frame.h"
#include "net/packet_view.h"

namespace ipvsd::net {

inline constexpr uint32_t kIcmpErrorMaxIpv4 = 576;
inline constexpr uint32_t kIcmpErrorMaxIpv6 = 1280;
inline constexpr uint8_t kIcmpErrorTtl = 64;

// Replaces the frame's packet with an ICMP error of `type` and `code` (ICMP types for an IPv4
// original, ICMPv6 types for IPv6) carrying `info`, quoting the original. `orig` must be
// net::Parse's view of the frame (orig.data == frame.data()). Needs 28 (IPv4) / 48 (IPv6)
// bytes of headroom. Returns the new frame length, or 0 (frame untouched) when no error may
// be sent or the headroom is short; `orig` does not describe the frame afterwards.
//   fragmentation needed: kIcmpDestUnreach, kIcmpFragNeeded, mtu  | kIcmpv6PacketTooBig, 0, mtu
//   time exceeded:        kIcmpTimeExceeded, 0, 0                 | kIcmpv6TimeExceeded, 0, 0
//   port unreachable:     kIcmpDestUnreach, kIcmpPortUnreach, 0   | kIcmpv6DestUnreach, kIcmpv6PortUnreach, 0
uint32_t BuildIcmpError(Frame& frame, const PacketView& orig, uint8_t type, uint8_t code, uint32_t info);

}  // namespace ipvsd::net
