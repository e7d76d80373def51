// File: fwd/synproxy.h
//
// The SYN proxy's packets (docs/synproxy.md): the director answers a client's SYN with a SYN
// cookie itself (AnswerSyn), opens the connection to the real server only when the client's
// ACK returns a valid cookie (OpenToServer: that ACK becomes the SYN the client would have
// sent the real server), turns the real server's SYN-ACK into the ACK that completes its
// handshake (CompleteHandshake), and from then on splices the two sequence spaces: the
// client knows the cookie's ISN and the director's timestamps, the real server its own.
//
//   client                director                      real server
//   SYN(c)        ->      SYN-ACK(k = cookie)    (no state)
//   ACK(k+1)      ->      check k, schedule, SYN(c)       ->
//                         delta = s - k          <-       SYN-ACK(s)
//                         ACK(s+1)                        ->
//   data, ack a   ->      ack a + delta                   ->
//                 <-      seq q - delta          <-       data, seq q
//
// Checksums are patched incrementally (RFC 1624). All functions work on a frame net::Parse
// described; TranslateIn/TranslateOut keep every offset, so the view stays valid for NAT.
#pragma once

#include <cstdint>

#include "base/siphash.h"
#include "core/conn.h"
#include "net/frame.h"
#include "net/packet_view.h"
#include "net/tcp_segment.h"

namespace ipvsd::fwd {

// Turns a client's SYN (to the virtual service) into the SYN-ACK that answers it with a
// cookie: from the virtual address and port back to the client, Ethernet addresses swapped,
// MSS from the cookie's table, window scale net::kProxyWscale and SACK-permitted if the
// client sent them, timestamps if it sent them. Returns the new length, or 0 when the
// buffer has no room.
uint32_t AnswerSyn(net::Frame& frame, const net::PacketView& syn, const HashKey& key, uint64_t now_ns);

// Turns the client's ACK, whose cookie gave `client` (RedeemSynCookie), into the SYN the
// client would have sent the real server (still client -> virtual address: NAT follows),
// and records in `conn` what the real server's answer needs: seq_delta holds the cookie,
// ts_delta the director's TSval, proxy_window the client's window. Sets kConnSynproxy |
// kConnSynproxyPending. Returns the new length, or 0 when the buffer has no room.
uint32_t OpenToServer(net::Frame& frame, const net::PacketView& ack, const net::TcpOptions& client,
                      core::ConnEntry& conn);

// Turns the real server's SYN-ACK (to the client, not yet NATed) into the ACK that
// completes its handshake, as the client would send it (client -> virtual address: the
// inbound path translates and NATs it), and sets the connection's deltas; clears
// kConnSynproxyPending. Returns the new length, or 0 when the buffer has no room.
uint32_t CompleteHandshake(net::Frame& frame, const net::PacketView& synack, core::ConnEntry& conn);

// Client -> real server: acknowledgement and SACK blocks + seq_delta, TSecr - ts_delta.
void TranslateIn(const net::PacketView& pkt, const core::ConnEntry& conn);

// Real server -> client: sequence number - seq_delta, TSval + ts_delta, the window from the
// real server's scale to the director's. A RST while the handshake is pending gets the
// sequence number the client expects (cookie + 1).
void TranslateOut(const net::PacketView& pkt, const core::ConnEntry& conn);

}  // namespace ipvsd::fwd
