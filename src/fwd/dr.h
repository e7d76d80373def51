// File: fwd/dr.h
//
// Direct routing (gatewaying, ipvsadm -g): the packet goes to the real server unchanged at
// layer 3 and above, addressed only at layer 2 to the real server's MAC (the worker fills the
// Ethernet header from the Router after this returns). The real server owns the VIP on a
// non-ARPing interface and answers the client directly.
//
// Source in the kernel: ip_vs_dr_xmit / ip_vs_dr_xmit_v6 (net/netfilter/ipvs/ip_vs_xmit.c).
// "Unchanged" is not quite literal there: __ip_vs_get_out_rt() runs decrement_ttl() for
// every non-local destination since Linux 4.x, and ip_vs_dr_xmit then recomputes the IPv4
// header checksum (ip_send_check). So does DrXmit: TTL / hop limit minus one, IPv4 header
// checksum fixed, nothing else touched. An ICMP error for a DR connection is relayed by the
// same function (ip_vs_icmp_xmit calls the connection's transmitter as is).
#pragma once

#include <cstdint>

#include "fwd/fwd_status.h"
#include "net/packet_view.h"

namespace ipvsd::fwd {

// `mtu` is the path MTU toward the real server; on kTooBig *mtu_out is the MTU to report.
// kTtlExceeded / kTooBig leave the frame untouched.
FwdStatus DrXmit(const net::PacketView& pkt, uint32_t mtu, uint32_t* mtu_out);

}  // namespace ipvsd::fwd
