// File: net/reply.h
//
// What every answer the director builds in place of a frame shares (ICMP errors,
// net/icmp_error.h; TCP resets, net/tcp_reset.h): whether the frame may be answered at all,
// and turning its Ethernet header around so the answer leaves the way the frame came.
#pragma once

#include <cstdint>

#include "net/packet_view.h"

namespace ipvsd::net {

// False where RFC 1122 3.2.2 / RFC 1812 4.3.2.7 / RFC 4443 2.4(e) forbid an answer, as the
// kernel's icmp_send refuses: an ICMP / ICMPv6 error, a non-initial IPv4 fragment, a packet
// to a multicast or broadcast address, or from an address that does not name one host.
bool MayAnswer(const PacketView& p);

// Swaps the Ethernet source and destination of the frame (VLAN tags stay).
void SwapMacs(uint8_t* frame, uint32_t l2_len);

}  // namespace ipvsd::net
