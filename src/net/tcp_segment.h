// File: net/tcp_segment.h
//
// The TCP options a handshake negotiates (RFC 9293 MSS, RFC 7323 window scale and
// timestamps, RFC 2018 SACK-permitted), read from a segment, and whole TCP segments written
// by the director in place of a frame's IP packet (the SYN proxy's SYN-ACK, SYN and ACK,
// fwd/synproxy.h).
//
//   TcpOptions o = ParseTcpOptions(HeaderAt<TcpHdr>(v.l4()));
//   if (WriteTcpSegment(frame, v.l3_offset, seg) == 0) ...;  // no room
#pragma once

#include <cstdint>

#include "net/frame.h"
#include "net/headers.h"
#include "net/ip_addr.h"

namespace ipvsd::net {

inline constexpr uint8_t kNoWscale = 0xff;
inline constexpr uint8_t kMaxWscale = 14;  // RFC 7323 2.3: a larger shift is taken as 14

struct TcpOptions {
  uint16_t mss = 0;               // 0: no MSS option
  uint8_t wscale = kNoWscale;     // the shift, or kNoWscale
  bool sack_ok = false;           // SACK-permitted
  bool has_ts = false;            // timestamps, with:
  uint32_t tsval = 0;
  uint32_t tsecr = 0;

  friend bool operator==(const TcpOptions&, const TcpOptions&) = default;
};

// The options of the TCP header at `tcp` (its data offset must lie within the packet, as
// net::Parse checks). A malformed option ends the walk: what came before it counts.
TcpOptions ParseTcpOptions(const TcpHdr* tcp);

// Where the timestamps option's TSval lies in the TCP header at `tcp` (offset from the
// header's start), or 0 when it has none.
uint32_t TimestampOffset(const TcpHdr* tcp);

// The segment to write. Options go in Linux's order and layout: MSS, SACK-permitted with
// timestamps (or NOP-padded alone), NOP + window scale.
struct TcpSegment {
  Family family = Family::kInet;
  RawAddr src;
  RawAddr dst;
  uint16_t sport = 0;
  uint16_t dport = 0;
  uint32_t seq = 0;
  uint32_t ack_seq = 0;
  uint8_t flags = 0;
  uint16_t window = 0;
  TcpOptions options;
};

// Replaces the frame's IP packet (whose header starts at l3_offset; the Ethernet header and
// any VLAN tags stay) with the segment: IPv4 without options, DF set, ID 0, TTL 64 / IPv6 hop
// limit 64, checksums complete. Returns the new frame length, or 0 (frame untouched) when
// the buffer has no room for it.
uint32_t WriteTcpSegment(Frame& frame, uint32_t l3_offset, const TcpSegment& s);

}  // namespace ipvsd::net
