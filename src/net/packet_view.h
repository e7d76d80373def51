// File: net/packet_view.h
//
// PacketView is what Parse() learns about one Ethernet frame: where the L3 and L4 headers
// start, the addresses and ports in host-usable form, and, for an ICMP error, the same facts
// about the packet embedded in it (so an error about a connection finds that connection).
// It is a non-owning view over the frame's bytes; rewrites go through the offsets.
//
//   PacketView v;
//   if (Parse(frame, len, &v) != ParseStatus::kOk) ...;
//   v.dport, v.protocol, v.l4_offset ...
#pragma once

#include <cstdint>

#include "net/ip_addr.h"

namespace ipvsd::net {

enum class ParseStatus : uint8_t {
  kOk = 0,
  kNotIp,         // ARP, LLDP, anything not IPv4/IPv6: the kernel's business
  kTruncated,     // frame shorter than a header or a length field says
  kBadIpHeader,   // wrong version, header length or total length; IPv4 options or IPv6
                  // extension headers that overrun the packet (the TTL is reported, not judged:
                  // answering TTL expiry is the forwarder's job)
  kBadL4Header,   // TCP data offset, UDP length, SCTP chunk or ICMP layout is impossible
  kFragment,      // an IPv4 or IPv6 fragment (ipvsd does not reassemble)
};
inline constexpr int kParseStatusCount = 6;

// The headers of the packet embedded in an ICMP/ICMPv6 error (RFC 792: IP header + at least
// the first 8 bytes of the original datagram, which hold the ports).
struct InnerPacket {
  uint16_t l3_offset = 0;  // from the start of the frame
  uint16_t l4_offset = 0;
  Family family = Family::kUnspec;
  uint8_t protocol = 0;
  RawAddr src;
  RawAddr dst;
  uint16_t sport = 0;  // host order; 0 when the embedded protocol has no ports
  uint16_t dport = 0;
};

struct PacketView {
  uint8_t* data = nullptr;  // the frame, starting at the Ethernet header
  uint32_t len = 0;         // bytes in the frame (may include Ethernet padding beyond l3_end)

  uint16_t l3_offset = 0;  // after Ethernet and any 802.1Q/802.1ad tags
  uint16_t l4_offset = 0;  // after the IPv4 header with options / IPv6 with extension headers
  uint16_t l3_end = 0;     // l3_offset + IP total length: where the IP packet ends
  uint16_t vlan_tci = 0;   // outermost tag, 0 when untagged (tags are passed through unchanged)

  Family family = Family::kUnspec;
  uint8_t protocol = 0;   // the upper-layer protocol (after IPv6 extension headers)
  uint8_t ttl = 0;        // IPv4 TTL or IPv6 hop limit
  bool df = false;        // IPv4 don't-fragment; always true for IPv6 (routers never fragment)
  RawAddr src;
  RawAddr dst;
  uint16_t sport = 0;     // host order; TCP/UDP/SCTP only
  uint16_t dport = 0;
  uint8_t tcp_flags = 0;  // TCP only
  uint8_t sctp_chunk = 0; // SCTP only: type of the first chunk

  // ICMP/ICMPv6 (protocol kProtoIcmp or kProtoIcmpv6).
  uint8_t icmp_type = 0;
  uint8_t icmp_code = 0;
  bool icmp_error = false;  // dest unreachable, source quench, time exceeded, param problem, too big
  InnerPacket inner;        // valid when icmp_error

  // Not parsed: a TCP aggregate's segment payload size, copied from net::Frame::gso_size by
  // the data plane (0 for an ordinary packet).
  uint16_t gso_size = 0;

  uint32_t l3_len() const { return l3_end - l3_offset; }
  uint32_t l4_len() const { return l3_end - l4_offset; }
  uint8_t* l3() const { return data + l3_offset; }
  uint8_t* l4() const { return data + l4_offset; }
};

// Parses a frame. Never reads outside [data, data + len), never allocates, never writes.
// On kOk every offset lies within the frame and l3_offset <= l4_offset <= l3_end <= len; for
// an ICMP error the quoted packet lies within [l4_offset + 8, l3_end) with at least 8 bytes
// from inner.l4_offset. On kFragment and kBadL4Header the L3 fields (family, addresses,
// protocol, ttl, df, l3_offset, l3_end) are valid too, l4_offset being where the fragment's
// data or the bad L4 header starts; after any other status only data and len are meaningful.
ParseStatus Parse(uint8_t* data, uint32_t len, PacketView* out);

}  // namespace ipvsd::net
