// File: net/syn_cookie.h
//
// SYN cookies: the initial sequence number of a SYN-ACK that encodes, under a secret key,
// everything the director needs to open the connection later, so that answering a SYN keeps
// no state (the SYN proxy, docs/synproxy.md). The scheme is the one of Linux's syncookies
// (net/ipv4/syncookies.c), written anew: a MAC of the client's 4-tuple, its ISN and a minute
// counter, with an MSS index from a small table in the low bits; when the client sent
// timestamps, its window scale and SACK-permitted ride in the low bits of the SYN-ACK's TSval
// (which the client echoes in TSecr), and the MAC covers them too.
//
//   SynCookie c = IssueSynCookie(key, tuple, syn.seq, syn_options, now_ns);   // SYN-ACK
//   std::optional<TcpOptions> o = RedeemSynCookie(key, tuple, ack.seq, ack.ack_seq,
//                                                 ack_options, now_ns);       // ACK
//
// A cookie is accepted in the minute it was issued and the next one (at most two minutes).
#pragma once

#include <array>
#include <cstdint>
#include <optional>

#include "base/siphash.h"
#include "net/ip_addr.h"
#include "net/tcp_segment.h"

namespace ipvsd::net {

// The MSS values a cookie can carry (3 bits): common path MTUs' MSS, IPv4 and IPv6.
inline constexpr std::array<uint16_t, 8> kCookieMss = {536, 1220, 1280, 1300, 1360, 1400, 1440, 1460};
// The window scale the director announces to a client that sent one (as Linux with a
// receive buffer of a few MB); the real server's own shift is translated to it.
inline constexpr uint8_t kProxyWscale = 7;

// The client's SYN as it was sent: client -> virtual address.
struct CookieTuple {
  Family family = Family::kInet;
  RawAddr saddr;
  RawAddr daddr;
  uint16_t sport = 0;
  uint16_t dport = 0;
};

struct SynCookie {
  uint32_t isn = 0;    // the SYN-ACK's sequence number
  uint32_t tsval = 0;  // the SYN-ACK's TSval (only when the client sent timestamps)
  uint16_t mss = 0;    // the MSS to announce: the table's largest not above the client's
};

// The index into kCookieMss of the largest value not above `client_mss` (0: the client sent
// none, which means 536 for IPv4 and 1220 for IPv6, RFC 9293 / RFC 8200).
int CookieMssIndex(uint16_t client_mss, Family family);

// The cookie answering a SYN with sequence number `client_isn` and options `syn`.
SynCookie IssueSynCookie(const HashKey& key, const CookieTuple& t, uint32_t client_isn, const TcpOptions& syn,
                         uint64_t now_ns);

// What the client's SYN asked for (MSS from the table, window scale, SACK-permitted,
// timestamps with the ACK's TSval and TSecr), if the ACK (sequence `seq`, acknowledging
// `ack_seq`, with options `ack`) answers a cookie issued for this tuple in the last two
// minutes; nullopt otherwise.
std::optional<TcpOptions> RedeemSynCookie(const HashKey& key, const CookieTuple& t, uint32_t seq, uint32_t ack_seq,
                                          const TcpOptions& ack, uint64_t now_ns);

}  // namespace ipvsd::net
