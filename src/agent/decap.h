// File: agent/decap.h
//
// Decapsulation for real servers whose kernel has no ipip, gre or fou module: given what a
// socket hands to user space for a tunnelled packet, find the inner IP packet. Pure functions
// of bytes (no I/O, no allocation); the result is a view into the input.
//
// What each socket delivers, and so which function reads it:
//   raw AF_INET socket, protocol 4 / 41 / 47   -> the whole outer IPv4 packet: DecapIpv4Packet
//   raw AF_INET6 socket, protocol 4 / 41 / 47  -> only what follows the IPv6 header(s):
//                                                 DecapTunnelPayload(protocol, bytes)
//   UDP socket on the GUE port (IPv4 or IPv6)  -> the UDP payload: DecapGue
//
// Formats: IP-in-IP (RFC 2003, RFC 2473; protocol 4 = IPv4 inside, 41 = IPv6 inside), GRE
// (RFC 2784, with the optional checksum, which is verified; RFC 2890 key and sequence number
// are skipped), GUE variant 0 (draft-ietf-intarea-gue: data messages with proto 4 or 41 and
// any options, which are skipped) and GUE variant 1 (the IP packet directly after UDP). The
// kernel's IPVS writes exactly these (ip_vs_xmit.c: ipvs_gue_encap, ipvs_gre_encap).
//
// Every inner packet is checked before it is handed on: its version must match what the
// tunnel announced, its header must fit, and its length field must fit the bytes present;
// bytes past the inner packet's own length (padding) are cut off.
//
//   auto inner = DecapIpv4Packet(std::span(buf, n));
//   if (inner) write(tun_fd, inner->bytes.data(), inner->bytes.size());
//   else ++drops[static_cast<size_t>(inner.error_reason())];
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string_view>

#include "net/ip_addr.h"

namespace ipvsd::agent {

// Why a packet was not decapsulated. Each has a drop counter in the agent.
enum class DecapDrop : uint8_t {
  kTruncated = 0,     // fewer bytes than a header or a length field says
  kBadOuterHeader,    // outer IPv4 header: wrong version, header length < 20
  kOuterFragment,     // outer IPv4 fragment (the kernel reassembles first; never expected)
  kNotTunnel,         // outer protocol is none of 4, 41, 47
  kBadGreHeader,      // GRE version != 0, routing present, unknown flags or ethertype
  kBadGreChecksum,    // GRE checksum present and wrong
  kBadGueHeader,      // GUE version 2/3 or an unknown inner protocol
  kGueControl,        // GUE control message: nothing to deliver
  kBadInner,          // inner packet: wrong version, bad header length or total length
};
inline constexpr size_t kDecapDropCount = 9;
std::string_view DecapDropName(DecapDrop drop);

// The inner IP packet: a view into the input buffer, exactly its own length long.
struct InnerPacket {
  std::span<const uint8_t> bytes;
  net::Family family = net::Family::kUnspec;
};

// Either an InnerPacket or the reason for dropping. Small and trivially copyable: the agent
// calls this once per packet.
class DecapResult {
 public:
  DecapResult(InnerPacket inner) : inner_(inner), ok_(true) {}  // NOLINT(google-explicit-constructor)
  DecapResult(DecapDrop drop) : drop_(drop) {}                  // NOLINT(google-explicit-constructor)

  bool ok() const { return ok_; }
  explicit operator bool() const { return ok_; }
  const InnerPacket& operator*() const { return inner_; }
  const InnerPacket* operator->() const { return &inner_; }
  DecapDrop error_reason() const { return drop_; }

 private:
  InnerPacket inner_;
  DecapDrop drop_ = DecapDrop::kTruncated;
  bool ok_ = false;
};

// A whole outer IPv4 packet, as a raw AF_INET socket delivers it.
DecapResult DecapIpv4Packet(std::span<const uint8_t> packet);

// The bytes after the outer IP header(s), for outer protocol 4 (IPv4 inside), 41 (IPv6
// inside) or 47 (GRE).
DecapResult DecapTunnelPayload(uint8_t protocol, std::span<const uint8_t> payload);

// The payload of a GRE packet (GRE header first).
DecapResult DecapGre(std::span<const uint8_t> gre);

// The payload of a UDP datagram on the GUE port (GUE header first).
DecapResult DecapGue(std::span<const uint8_t> gue);

// Checks an inner packet that should be of `family` and trims it to its own length.
DecapResult CheckInner(net::Family family, std::span<const uint8_t> packet);

}  // namespace ipvsd::agent
