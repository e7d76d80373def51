#include "core/proto_state.h"

#include "net/headers.h"

namespace ipvsd::core {
namespace {

// ---- TCP (ip_vs_proto_tcp.c) ----
constexpr uint8_t sNO = 0, sES = 1, sSS = 2, sSR = 3, sFW = 4, sTW = 5, sCL = 6, sCW = 7, sLA = 8, sLI = 9, sSA = 10;

// [direction * 4 + event][state]; events: 0 syn, 1 fin, 2 ack, 3 rst. The INPUT/INPUT_ONLY
// `ack` x sNO cell is sES as in current mainline (older kernels had sCL there).
constexpr uint8_t kTcpStates[12][11] = {
    // INPUT
    /*syn*/ {sSR, sES, sES, sSR, sSR, sSR, sSR, sSR, sSR, sSR, sSR},
    /*fin*/ {sCL, sCW, sSS, sTW, sTW, sTW, sCL, sCW, sLA, sLI, sTW},
    /*ack*/ {sES, sES, sSS, sES, sFW, sTW, sCL, sCW, sCL, sLI, sES},
    /*rst*/ {sCL, sCL, sCL, sSR, sCL, sCL, sCL, sCL, sLA, sLI, sSR},
    // OUTPUT
    /*syn*/ {sSS, sES, sSS, sSR, sSS, sSS, sSS, sSS, sSS, sLI, sSR},
    /*fin*/ {sTW, sFW, sSS, sTW, sFW, sTW, sCL, sTW, sLA, sLI, sTW},
    /*ack*/ {sES, sES, sSS, sES, sFW, sTW, sCL, sCW, sLA, sES, sES},
    /*rst*/ {sCL, sCL, sSS, sCL, sCL, sTW, sCL, sCL, sCL, sCL, sCL},
    // INPUT_ONLY
    /*syn*/ {sSR, sES, sES, sSR, sSR, sSR, sSR, sSR, sSR, sSR, sSR},
    /*fin*/ {sCL, sFW, sSS, sTW, sFW, sTW, sCL, sCW, sLA, sLI, sTW},
    /*ack*/ {sES, sES, sSS, sES, sFW, sTW, sCL, sCW, sCL, sLI, sES},
    /*rst*/ {sCL, sCL, sCL, sSR, sCL, sCL, sCL, sCL, sLA, sLI, sCL},
};

// tcp_states_dos, the table secure_tcp switches to (core/table_defence.h): a client's ACK no
// longer establishes a connection in SYN_RECV (only the real server's answer, seen with NAT,
// does), and SYNs to a half-open one lead to SYNACK.
constexpr uint8_t kTcpStatesSecure[12][11] = {
    // INPUT
    /*syn*/ {sSR, sES, sES, sSR, sSR, sSR, sSR, sSR, sSR, sSR, sSA},
    /*fin*/ {sCL, sCW, sSS, sTW, sTW, sTW, sCL, sCW, sLA, sLI, sSA},
    /*ack*/ {sES, sES, sSS, sSR, sFW, sTW, sCL, sCW, sCL, sLI, sSA},
    /*rst*/ {sCL, sCL, sCL, sSR, sCL, sCL, sCL, sCL, sLA, sLI, sCL},
    // OUTPUT
    /*syn*/ {sSS, sES, sSS, sSA, sSS, sSS, sSS, sSS, sSS, sLI, sSA},
    /*fin*/ {sTW, sFW, sSS, sTW, sFW, sTW, sCL, sTW, sLA, sLI, sTW},
    /*ack*/ {sES, sES, sSS, sES, sFW, sTW, sCL, sCW, sLA, sES, sES},
    /*rst*/ {sCL, sCL, sSS, sCL, sCL, sTW, sCL, sCL, sCL, sCL, sCL},
    // INPUT_ONLY
    /*syn*/ {sSA, sES, sES, sSR, sSA, sSA, sSA, sSA, sSA, sSA, sSA},
    /*fin*/ {sCL, sFW, sSS, sTW, sFW, sTW, sCL, sCW, sLA, sLI, sTW},
    /*ack*/ {sES, sES, sSS, sES, sFW, sTW, sCL, sCW, sCL, sLI, sES},
    /*rst*/ {sCL, sCL, sCL, sSR, sCL, sCL, sCL, sCL, sLA, sLI, sCL},
};

// tcp_state_idx: RST first, then SYN, FIN, ACK; -1 for a segment with none of them.
int TcpEvent(uint8_t flags) {
  if (flags & net::kTcpRst) return 3;
  if (flags & net::kTcpSyn) return 0;
  if (flags & net::kTcpFin) return 1;
  if (flags & net::kTcpAck) return 2;
  return -1;
}

// ---- SCTP (ip_vs_proto_sctp.c) ----
enum SctpEvent : uint8_t { kEvData, kEvInit, kEvInitAck, kEvCookieEcho, kEvCookieAck, kEvShutdown,
                           kEvShutdownAck, kEvShutdownComplete, kEvError, kEvAbort };

SctpEvent SctpEventOf(uint8_t chunk) {
  switch (chunk) {
    case net::kSctpInit: return kEvInit;
    case net::kSctpInitAck: return kEvInitAck;
    case net::kSctpCookieEcho: return kEvCookieEcho;
    case net::kSctpCookieAck: return kEvCookieAck;
    case net::kSctpShutdown: return kEvShutdown;
    case net::kSctpShutdownAck: return kEvShutdownAck;
    case net::kSctpShutdownComplete: return kEvShutdownComplete;
    case net::kSctpError: return kEvError;
    case net::kSctpAbort: return kEvAbort;
    default: return kEvData;  // DATA, SACK, HEARTBEAT(-ACK), ECN chunks and unknown types
  }
}

constexpr uint8_t zNO = 0, zI1 = 1, zIN = 2, zCS = 3, zCR = 4, zCW = 5, zCO = 6, zCE = 7, zES = 8, zSS = 9,
                  zSR = 10, zSA = 11, zRJ = 12, zCL = 13;

constexpr uint8_t kSctpStates[3][10][14] = {
    {// INPUT
     {zES, zI1, zIN, zCS, zCR, zCW, zCO, zCE, zES, zSS, zSR, zSA, zRJ, zCL},
     {zI1, zIN, zIN, zCS, zCR, zCW, zCO, zCE, zES, zSS, zSR, zSA, zIN, zIN},
     {zCW, zCW, zCW, zCS, zCR, zCO, zCO, zCE, zES, zSS, zSR, zSA, zRJ, zCL},
     {zCR, zIN, zIN, zCR, zCR, zCW, zCO, zCE, zES, zSS, zSR, zSA, zRJ, zCL},
     {zES, zI1, zIN, zCS, zCR, zCW, zCO, zES, zES, zSS, zSR, zSA, zRJ, zCL},
     {zSR, zI1, zIN, zCS, zCR, zCW, zCO, zCE, zSR, zSS, zSR, zSA, zRJ, zCL},
     {zCL, zIN, zIN, zCS, zCR, zCW, zCO, zCE, zES, zCL, zSR, zCL, zRJ, zCL},
     {zCL, zCL, zCL, zCS, zCR, zCW, zCO, zCE, zES, zSS, zSR, zCL, zRJ, zCL},
     {zCL, zI1, zIN, zCS, zCR, zCW, zCO, zCL, zES, zSS, zSR, zSA, zRJ, zCL},
     {zCL, zCL, zCL, zCL, zCL, zRJ, zCL, zCL, zCL, zCL, zCL, zCL, zCL, zCL}},
    {// OUTPUT
     {zES, zI1, zIN, zCS, zCR, zCW, zCO, zCE, zES, zSS, zSR, zSA, zRJ, zCL},
     {zCW, zCW, zCW, zCW, zCW, zCW, zCW, zCW, zES, zCW, zCW, zCW, zCW, zCW},
     {zCS, zCS, zCS, zCS, zCR, zCW, zCO, zCE, zES, zSS, zSR, zSA, zRJ, zCL},
     {zCE, zCE, zCE, zCE, zCE, zCE, zCE, zCE, zES, zSS, zSR, zSA, zRJ, zCL},
     {zES, zES, zES, zES, zES, zES, zES, zES, zES, zSS, zSR, zSA, zRJ, zCL},
     {zSS, zSS, zSS, zSS, zSS, zSS, zSS, zSS, zSS, zSS, zSR, zSA, zRJ, zCL},
     {zSA, zSA, zSA, zSA, zSA, zCW, zCO, zCE, zES, zSA, zSA, zSA, zRJ, zCL},
     {zCL, zI1, zIN, zCS, zCR, zCW, zCO, zCE, zES, zSS, zSR, zSA, zRJ, zCL},
     {zCL, zCL, zCL, zCL, zCL, zCW, zCO, zCE, zES, zSS, zSR, zSA, zRJ, zCL},
     {zCL, zRJ, zCL, zCL, zCL, zCL, zCL, zCL, zCL, zCL, zCL, zCL, zCL, zCL}},
    {// INPUT_ONLY
     {zES, zI1, zIN, zCS, zCR, zES, zCO, zCE, zES, zSS, zSR, zSA, zRJ, zCL},
     {zI1, zIN, zIN, zIN, zIN, zIN, zCO, zCE, zES, zSS, zSR, zSA, zIN, zIN},
     {zCE, zCE, zCE, zCE, zCE, zCE, zCO, zCE, zES, zSS, zSR, zSA, zRJ, zCL},
     {zES, zES, zES, zES, zES, zES, zCO, zCE, zES, zSS, zSR, zSA, zRJ, zCL},
     {zES, zI1, zIN, zES, zES, zCW, zES, zES, zES, zSS, zSR, zSA, zRJ, zCL},
     {zSR, zI1, zIN, zCS, zCR, zCW, zCO, zCE, zSR, zSS, zSR, zSA, zRJ, zCL},
     {zCL, zIN, zIN, zCS, zCR, zCW, zCO, zCE, zCL, zCL, zSR, zCL, zRJ, zCL},
     {zCL, zCL, zCL, zCL, zCL, zCW, zCO, zCE, zES, zSS, zCL, zCL, zRJ, zCL},
     {zCL, zI1, zIN, zCS, zCR, zCW, zCO, zCE, zES, zSS, zSR, zSA, zRJ, zCL},
     {zCL, zCL, zCL, zCL, zCL, zRJ, zCL, zCL, zCL, zCL, zCL, zCL, zCL, zCL}},
};

// Moves the destination's counter when a connection enters or leaves ESTABLISHED.
void Account(ConnEntry& c, bool established) {
  if (!c.dest) return;
  if (!c.inactive() && !established) {
    c.dest->ConnBecameInactive();
    c.flags |= kConnInactive;
  } else if (c.inactive() && established) {
    c.dest->ConnBecameActive();
    c.flags &= static_cast<uint16_t>(~kConnInactive);
  }
}

Direction EffectiveDirection(ConnEntry& c, Direction dir) {
  if (c.flags & kConnNoOutput) {
    if (dir == Direction::kOutput) {
      c.flags &= static_cast<uint16_t>(~kConnNoOutput);
    } else {
      return Direction::kInputOnly;
    }
  }
  return dir;
}

void SetExpiry(ConnEntry& c, Ticks timeout, Ticks now) { c.expires = now + timeout; }

}  // namespace

void InitConnState(ConnEntry& c) { c.state = 0; }

void UpdateConnState(ConnEntry& c, Direction dir, const net::PacketView& v, const Timeouts& timeouts, Ticks now,
                     TcpStateTable tcp_table) {
  switch (c.protocol) {
    case net::kProtoTcp: {
      Direction d = EffectiveDirection(c, dir);
      int event = TcpEvent(v.tcp_flags);
      const auto& table = tcp_table == TcpStateTable::kSecure ? kTcpStatesSecure : kTcpStates;
      uint8_t next = event < 0 ? sCL : table[static_cast<int>(d) * 4 + event][c.state];
      if (next != c.state) Account(c, next == sES);
      c.state = next;
      SetExpiry(c, timeouts.Tcp(static_cast<TcpState>(next)), now);
      return;
    }
    case net::kProtoSctp: {
      Direction d = EffectiveDirection(c, dir);
      uint8_t next = kSctpStates[static_cast<int>(d)][SctpEventOf(v.sctp_chunk)][c.state];
      if (next != c.state) Account(c, next == zES);
      c.state = next;
      SetExpiry(c, timeouts.Sctp(static_cast<SctpState>(next)), now);
      return;
    }
    case net::kProtoUdp:
      SetExpiry(c, timeouts.Udp(), now);
      return;
    default:
      SetExpiry(c, timeouts.Other(), now);
      return;
  }
}

bool MayCreateConn(const net::PacketView& v, bool sloppy_tcp, bool sloppy_sctp) {
  switch (v.protocol) {
    case net::kProtoTcp:
      if (v.tcp_flags & net::kTcpRst) return false;
      return sloppy_tcp || (v.tcp_flags & net::kTcpSyn);
    case net::kProtoSctp:
      // An ABORT ends an association; it never starts one, sloppy or not.
      if (v.sctp_chunk == net::kSctpAbort) return false;
      return sloppy_sctp || v.sctp_chunk == net::kSctpInit;
    default:
      return true;
  }
}

bool IsNewConnPacket(const net::PacketView& v) {
  if (v.protocol == net::kProtoTcp) return v.tcp_flags & net::kTcpSyn;
  if (v.protocol == net::kProtoSctp) return v.sctp_chunk == net::kSctpInit;
  return false;
}

const char* ConnStateName(const ConnEntry& c) {
  if (c.protocol == net::kProtoTcp) return TcpStateName(static_cast<TcpState>(c.state));
  if (c.protocol == net::kProtoSctp) return SctpStateName(static_cast<SctpState>(c.state));
  if (c.protocol == net::kProtoUdp) return "UDP";
  return "NONE";
}

}  // namespace ipvsd::core
