// File: fwd/nat.h
//
// NAT (masquerading, ipvsadm -m): the director rewrites the virtual address and port of a
// client's packet to the real server's (NatIn), and the real server's address and port in the
// reply back to the virtual ones (NatOut). ICMP errors about a NAT connection are translated
// the same way, inside and out (NatIcmpIn, NatIcmpOut).
//
// Source in the kernel: ip_vs_nat_xmit[_v6] (ip_vs_xmit.c) with the protocols' dnat_handler;
// handle_response (ip_vs_core.c) with their snat_handler; ip_vs_nat_icmp[_v6] (ip_vs_core.c)
// for errors; tcp_/udp_/sctp_{s,d}nat_handler in ip_vs_proto_{tcp,udp,sctp}.c.
//
// Checksums, as the kernel keeps them:
//   - IPv4 header: recomputed in full after the rewrite (ip_send_check).
//   - TCP: patched incrementally for the address (pseudo-header) and port (RFC 1624).
//   - UDP: patched incrementally when non-zero (a result of 0 is sent as 0xffff); a zero
//     checksum is computed in full, as udp_{s,d}nat_handler do ("full checksum calculation"
//     branch, taken whenever udph->check == 0, for IPv4 as for IPv6).
//   - SCTP: CRC32c recomputed in full, and only when the port actually changes (the CRC does
//     not cover the addresses).
//   - Other protocols (AH, ESP): the address alone is rewritten.
//   - ICMP errors: the outer and the quoted IPv4 header checksums are recomputed, the quoted
//     port is rewritten WITHOUT fixing the quoted transport checksum (the kernel does not:
//     the quote is usually cut short), and the ICMP / ICMPv6 checksum is recomputed over the
//     whole message (ICMPv6 with its pseudo-header).
//
// A zero port in the connection (conn.dport for NatIn/NatIcmpIn, conn.vport for NatOut/
// NatIcmpOut) means "any port": the packet keeps the port it carries.
//
// Every function first applies the forwarding checks of fwd/xmit_checks.h (TTL, then MTU for
// NatIn/NatOut) and leaves the frame untouched when they refuse it. `pkt` must come from
// net::Parse of the frame, and is still valid afterwards (no offsets move).
//
//   uint32_t mtu_report;
//   switch (fwd::NatIn(pkt, conn, hop.mtu, &mtu_report)) { ... }
#pragma once

#include <cstdint>

#include "core/conn.h"
#include "fwd/fwd_status.h"
#include "net/packet_view.h"

namespace ipvsd::fwd {

// Client -> real server: destination address := conn.daddr, destination port := conn.dport.
// `mtu` is the path MTU toward the real server; on kTooBig *mtu_out is the MTU to report.
FwdStatus NatIn(const net::PacketView& pkt, const core::ConnEntry& conn, uint32_t mtu, uint32_t* mtu_out);

// Real server -> client: source address := conn.vaddr, source port := conn.vport. `mtu` is
// the path MTU toward the client.
FwdStatus NatOut(const net::PacketView& pkt, const core::ConnEntry& conn, uint32_t mtu, uint32_t* mtu_out);

// An ICMP error from the real-server side (the real server or a router before it), about a
// packet the client sent (which NatIn translated), travelling to the client: outer source :=
// conn.vaddr, quoted destination address := conn.vaddr, quoted destination port :=
// conn.vport, so that the client recognises its own packet. (ip_vs_nat_icmp, inout=1.)
// kUnsupported unless pkt.icmp_error with a quoted packet of the connection's family.
FwdStatus NatIcmpOut(const net::PacketView& pkt, const core::ConnEntry& conn);

// An ICMP error from the client side (the client or a router before it), about a reply
// (which NatOut translated), travelling to the real server: outer destination := conn.daddr,
// quoted source address := conn.daddr, quoted source port := conn.dport. (ip_vs_nat_icmp,
// inout=0.) No MTU check: an ICMP error is never longer than 576 / 1280 bytes.
FwdStatus NatIcmpIn(const net::PacketView& pkt, const core::ConnEntry& conn);

}  // namespace ipvsd::fwd
