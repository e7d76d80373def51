// File: core/proto_state.h
//
// The per-protocol connection state machines of kernel IPVS, table-driven as the kernel's
// (ip_vs_proto_tcp.c tcp_states, ip_vs_proto_sctp.c sctp_states, ip_vs_proto_udp.c):
// every packet of a connection moves it to table[direction][event][state], re-arms its
// timeout for the new state, and moves the destination's counter between active
// (ESTABLISHED) and inactive (every other state).
//
// Direction: INPUT (client -> real server), OUTPUT (real server -> client, seen only with
// NAT), INPUT_ONLY (client packets of a connection whose replies bypass the director: DR and
// TUN; an OUTPUT packet clears the connection's no-output flag).
#pragma once

#include "core/conn.h"
#include "core/timeouts.h"
#include "net/packet_view.h"

namespace ipvsd::core {

enum class Direction : uint8_t { kInput = 0, kOutput = 1, kInputOnly = 2 };

// The state a new connection starts in, with the kernel's 'first packet' semantics: TCP and
// SCTP start in NONE and take their first transition from the packet that created them.
void InitConnState(ConnEntry& c);

// TCP's transitions: the kernel's tcp_states, or tcp_states_dos while the secure_tcp defence
// is on (core/table_defence.h).
enum class TcpStateTable : uint8_t { kNormal, kSecure };

// Applies one packet to the connection: new state, active/inactive accounting, expiry.
void UpdateConnState(ConnEntry& c, Direction dir, const net::PacketView& v, const Timeouts& timeouts, Ticks now,
                     TcpStateTable tcp_table = TcpStateTable::kNormal);

// Whether a packet may create a new connection (kernel *_conn_schedule): TCP needs SYN
// without RST (any non-RST packet with sloppy_tcp), SCTP an INIT chunk (any but ABORT with
// sloppy_sctp), UDP anything.
bool MayCreateConn(const net::PacketView& v, bool sloppy_tcp, bool sloppy_sctp);

// A packet that starts a new connection over an old one (conn_reuse_mode): TCP SYN, SCTP INIT.
bool IsNewConnPacket(const net::PacketView& v);

// The state's name as `ipvsadm -Lc` prints it (TCP/SCTP names, "UDP" for UDP).
const char* ConnStateName(const ConnEntry& c);

}  // namespace ipvsd::core
