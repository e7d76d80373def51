// File: net/partial_checksum.h
//
// A sender that offloads its TCP or UDP checksum (Linux's CHECKSUM_PARTIAL) leaves in the
// field only the folded pseudo-header sum, for the NIC to add the data to. A veth pair with
// checksum offload on — a fresh veth's default — hands such frames to the next namespace as
// they are, and so to an XDP or AF_PACKET data plane on that veth. Rewriting that field
// incrementally, or sending the frame on as a finished packet, delivers a checksum the
// receiver rejects, so the data plane completes it first.
//
// The frame itself does not say that its checksum is partial; the field's value does: it
// equals the pseudo-header sum. A finished checksum that happens to equal it (about one
// frame in 65 536) is recomputed to the same value, so the test is safe either way.
#pragma once

#include "net/packet_view.h"

namespace ipvsd::net {

// When the TCP or UDP checksum of a parsed, unfragmented packet holds only its
// pseudo-header sum, computes the full checksum in place and returns true.
bool CompletePartialChecksum(const PacketView& v);

// Computes the full TCP or UDP checksum in place, whatever the field held; false (and
// nothing written) for other protocols.
bool FinishL4Checksum(const PacketView& v);

// Stores the partial form (the folded pseudo-header sum) in the TCP or UDP checksum field,
// from the addresses the IP header holds now (after a rewrite), for a frame the kernel will
// finish: an offloaded frame sent on with its offload state. Returns the field's offset in
// the L4 header (16 for TCP, 6 for UDP), or 0 for other protocols.
uint16_t SetPartialL4Checksum(const PacketView& v);

}  // namespace ipvsd::net
