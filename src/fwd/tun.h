// File: fwd/tun.h
//
// IP tunnelling (ipvsadm -i, --tun-type ipip|gue|gre): the client's packet, unchanged except
// for its TTL, is wrapped in an outer IP header addressed to the real server, which unwraps
// it, owns the VIP and answers the client directly. The outer family is the real server's
// (conn.daf), so IPv4 and IPv6 inner packets go in either (4in4, 6in4, 4in6, 6in6).
//
// Source in the kernel: ip_vs_tunnel_xmit / ip_vs_tunnel_xmit_v6, ip_vs_prepare_tunneled_skb,
// ipvs_gue_encap, ipvs_gre_encap and the tunnel branch of __ip_vs_get_out_rt[_v6]
// (net/netfilter/ipvs/ip_vs_xmit.c). What TunnelXmit does, in the kernel's order:
//   1. The tunnel type, checksum option and GUE port are the destination's (cp->dest->tun_*);
//      the caller passes the destination it already checked (the kernel refuses tunnel mode
//      for a connection without one).
//   2. Inner TTL / hop limit <= 1: kTtlExceeded (decrement_ttl).
//   3. Inner MTU = path MTU - outer IP header - UDP+GUE (12) | GRE (4, 8 with checksum).
//      Below 68 (IPv4 outer) / 1280 (IPv6 outer) the kernel drops without an ICMP error:
//      kUnsupported. An IPv4 inner packet with DF, or any IPv6 inner packet, longer than the
//      inner MTU: kTooBig with *mtu_out = inner MTU (sysctl pmtu_disc=1, the default).
//   4. Inner TTL decremented and, for IPv4, its header checksum recomputed.
//   5. Outer header: TOS / traffic class = inner DS field with ECN encapsulated (CE -> ECT(0),
//      INET_ECN_encapsulate), TTL / hop limit = the decremented inner one, IPv4 DF copied from
//      an IPv4 inner packet (never set for IPv6 inner), IPv6 flow label 0, source = the
//      director's address toward the real server, destination = conn.daddr.
//   6. Outer IPv4 ID: 0 when DF is set (ip_select_ident gives DF packets ID 0). Without DF the
//      kernel draws from a hashed per-destination counter; a stateless forwarder instead
//      derives it from the packet (OuterIpId): an IPv4 inner packet's own ID XOR a 16-bit
//      fold of its flow hash -- a bijection of the inner ID within a flow, so the outer IDs
//      are as unique as the sender made the inner ones (RFC 6864) -- and for an IPv6 inner
//      packet a fold of the flow hash with its length and the transport word that varies per
//      packet (TCP sequence number, UDP length+checksum). Such an outer packet is never
//      longer than the path MTU (IPv6 is never fragmented on the way in, see 3).
//   7. GUE: UDP source port from a hash of the inner 5-tuple (udp_flow_src_port over
//      32768-60999), destination port = the destination's --tun-port, GUE version 0,
//      proto_ctype 4 / 41. UDP checksum computed iff --tun-csum or --tun-remcsum, else 0 --
//      over IPv6 too (udp6_set_csum(nocheck)). --tun-remcsum adds its private-flags option only
//      for CHECKSUM_PARTIAL packets (locally generated with offload); packets received from a
//      wire never are, so here it behaves exactly as --tun-csum, as it does in the kernel for
//      forwarded traffic.
//   8. GRE: protocol 0x0800 / 0x86DD, checksum-present flag and checksum iff --tun-csum.
//
// The frame grows at the front (Frame::Push); the Ethernet/VLAN header moves in front of the
// outer IP header with its ethertype set for the outer family. Any result but kOk leaves the
// frame untouched. After kOk, `pkt` no longer describes the frame.
//
//   st = fwd::TunXmit(frame, pkt, conn, *conn.dest, hop.src_addr, hop.mtu, &mtu_report);
#pragma once

#include <cstdint>

#include "core/conn.h"
#include "fwd/fwd_status.h"
#include "net/encap.h"
#include "net/frame.h"
#include "net/ip_addr.h"
#include "net/packet_view.h"

namespace ipvsd::fwd {

// Tunnels `pkt` (net::Parse's view of `frame`, pkt.data == frame.data()) to conn.daddr with
// `dest`'s tunnel settings. `saddr` is the director's address toward the real server (family
// conn.daf) and `mtu` the path MTU toward it, both from the Router; on kTooBig *mtu_out is
// the inner MTU to report to the client.
FwdStatus TunXmit(net::Frame& frame, const net::PacketView& pkt, const core::ConnEntry& conn, const core::Dest& dest,
                  const net::RawAddr& saddr, uint32_t mtu, uint32_t* mtu_out);

// The encapsulation of a tunnel type.
net::EncapType ToEncapType(core::TunType t);

// The inner MTU a path of `path_mtu` leaves for this destination's tunnel type and outer
// family; 0 when it is below the minimum the kernel accepts (68 / 1280).
uint32_t TunnelInnerMtu(const core::Dest& dest, net::Family outer_family, uint32_t path_mtu);

// The GUE flow hash of a packet: its protocol, addresses and ports, so that every packet of
// one connection leaves on the same UDP source port (and ECMP / RSS path).
uint32_t TunnelFlowHash(const net::PacketView& pkt);

// The outer IPv4 ID of a tunnelled packet without DF (point 6 above).
uint16_t OuterIpId(const net::PacketView& pkt);

}  // namespace ipvsd::fwd
