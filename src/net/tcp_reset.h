// File: net/tcp_reset.h
//
// Turns a TCP segment that no connection wants into the reset that answers it, in place, as
// the kernel's stack does when kernel IPVS hands it a segment for the VIP that is neither a
// connection's nor a SYN (tcp_v4_send_reset / tcp_v6_send_reset, RFC 793 "Reset
// Generation"): a segment with ACK gets <SEQ=SEG.ACK><CTL=RST>; one without gets <SEQ=0>
// <ACK=SEG.SEQ+SEG.LEN><CTL=RST,ACK>, where SYN and FIN each count one. A RST is never
// answered. The reset comes from the address and port the segment was sent to and goes back
// out the way it came (Ethernet addresses swapped); IPv4 TTL / IPv6 hop limit 64, no options,
// window 0, IPv4 DF set with ID 0 (an atomic datagram, as the ICMP errors of
// net/icmp_error.h).
//
//   if (BuildTcpReset(frame, pkt) != 0) tx(frame);
#pragma once

#include <cstdint>

#include "net/frame.h"
#include "net/packet_view.h"

namespace ipvsd::net {

// Whether a reset may answer the segment: TCP, not a RST, and a packet net/reply.h's
// MayAnswer accepts. Lets a caller charge its reply limits only for resets it would send.
bool MayReset(const PacketView& orig);

// Returns the new frame length, or 0 (frame untouched) when no reset may be sent (!MayReset).
// `orig` must be net::Parse's view of the frame; it does not describe the frame afterwards.
uint32_t BuildTcpReset(Frame& frame, const PacketView& orig);

}  // namespace ipvsd::net
