// File: core/conn.h
//
// ConnEntry is one IPVS connection (or persistence template), as kernel IPVS's struct
// ip_vs_conn: (protocol, client ip:port, virtual ip:port) -> (real server ip:port), with its
// state, flags and expiry. It is a fixed-size, pointer-light record that lives in a worker's
// ConnTable; links to other entries are 32-bit indices into that table. 112 bytes; with the
// table's two bucket heads an entry costs 120 bytes.
//
// To stay within 112 bytes, fields that only connections use share storage with fields that
// only templates use (a template never has a controlling template here, and its state never
// changes): `control` with `n_control`, `old_state` with `timeout_s`. Code that makes a template
// sets n_control to 0 (the union's default is control = kNoIndex).
//
// A SYN proxy connection (kConnSynproxy) keeps its sequence translation in storage it never
// uses otherwise: it is never synced (a backup could not translate) and never belongs to a
// firewall-mark service, so `proxy_window` shares with `old_state`, `seq_delta` with
// `sync_endtime` and `ts_delta` with `fwmark`.
#pragma once

#include <cstdint>
#include <type_traits>

#include "base/clock.h"
#include "core/dest.h"
#include "net/ip_addr.h"

namespace ipvsd::core {

// Connection flags with the kernel's IP_VS_CONN_F_* values (the sync protocol carries them).
inline constexpr uint16_t kConnFwdMask = 0x0007;    // a FwdMethod
inline constexpr uint16_t kConnSync = 0x0020;       // installed by the sync protocol
inline constexpr uint16_t kConnHashed = 0x0040;     // findable in the table
inline constexpr uint16_t kConnNoOutput = 0x0080;   // replies bypass the director (DR, TUN)
inline constexpr uint16_t kConnInactive = 0x0100;   // counted in the dest's inactconns
inline constexpr uint16_t kConnNoCport = 0x0800;    // client port unknown yet (templates of FTP)
inline constexpr uint16_t kConnTemplate = 0x1000;   // a persistence template
inline constexpr uint16_t kConnOnePacket = 0x2000;  // -o: forwarded once, then freed
inline constexpr uint16_t kConnInUse = 0x8000;      // ipvsd's own: allocated in its table
// ipvsd's own, in bits the kernel leaves unused: opened by the SYN proxy (docs/synproxy.md),
// and still waiting for the real server's SYN-ACK.
inline constexpr uint16_t kConnSynproxy = 0x4000;
inline constexpr uint16_t kConnSynproxyPending = 0x0010;
// The flags ipvsd keeps for itself, cleared before a connection is synced.
inline constexpr uint16_t kConnLocalFlags = kConnHashed | kConnInUse | kConnSynproxy | kConnSynproxyPending;

inline constexpr uint32_t kNoIndex = 0xffffffffu;

// A SYN proxy connection's window scaling: the real server's shift, translated to
// net::kProxyWscale towards the client (kNoWscale: the client scales nothing, nor is
// translated), and the client's window as its ACK announced it (for the ACK the director
// sends the real server).
struct SynproxyWindow {
  uint8_t server_wscale;
  uint8_t unused;
  uint16_t client_window;
};

struct ConnEntry {
  net::RawAddr caddr;  // client
  net::RawAddr vaddr;  // virtual address (for fwmark templates: the mark, as the kernel does)
  net::RawAddr daddr;  // real server
  uint16_t cport = 0;  // host order
  uint16_t vport = 0;
  uint16_t dport = 0;
  net::Family af = net::Family::kUnspec;   // family of client and virtual address
  net::Family daf = net::Family::kUnspec;  // family of the real server (differs only for TUN)
  uint8_t protocol = 0;
  uint8_t state = 0;   // TcpState / SctpState / kUdpStateNormal
  uint16_t flags = 0;  // kConn*
  uint32_t in_next = kNoIndex;     // chain of the client-side hash
  uint32_t out_next = kNoIndex;    // chain of the real-server-side hash (NAT replies)
  uint32_t timer_prev = kNoIndex;  // timer wheel slot list
  uint32_t timer_next = kNoIndex;
  Ticks expires = 0;      // when the entry dies unless traffic renews it
  Ticks timer_slot = 0;   // the wheel slot it is linked in (expires may move later lazily)
  union {
    uint32_t control = kNoIndex;  // connections: the template that placed this connection
    uint32_t n_control;           // templates: connections they control
  };
  union {
    uint32_t timeout_s = 0;  // templates: the persistence timeout in seconds
    uint8_t old_state;       // connections: the state the sync rules last saw (cp->old_state)
    SynproxyWindow proxy_window;  // SYN proxy connections
  };
  union {
    Ticks sync_endtime = 0;  // the expiry last synced, low 2 bits its retries (cp->sync_endtime)
    // SYN proxy connections: the real server's ISN minus the cookie's (the cookie itself
    // until the real server answers).
    uint32_t seq_delta;
  };
  uint32_t in_pkts = 0;    // packets from the client (the sync protocol's threshold)
  union {
    uint32_t fwmark = 0;  // the service's firewall mark, 0 for address services
    // SYN proxy connections: the director's TSval in its SYN-ACK minus the real server's in
    // its own (the director's until the real server answers).
    uint32_t ts_delta;
  };
  Dest* dest = nullptr;         // kept alive by the ServiceManager's trash while bound

  FwdMethod fwd() const { return static_cast<FwdMethod>(flags & kConnFwdMask); }
  bool is_template() const { return flags & kConnTemplate; }
  bool inactive() const { return flags & kConnInactive; }
};

static_assert(std::is_trivially_copyable_v<ConnEntry>);
static_assert(sizeof(ConnEntry) <= 112, "a connection must stay within 112 bytes");

}  // namespace ipvsd::core
