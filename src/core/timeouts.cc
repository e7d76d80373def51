#include "core/timeouts.h"

namespace ipvsd::core {
namespace {
constexpr uint32_t kTcpDefaults[kTcpStateCount] = {
    2, 15 * 60, 2 * 60, 1 * 60, 2 * 60, 2 * 60, 10, 60, 30, 2 * 60, 2 * 60, 2,
};
constexpr const char* kTcpNames[kTcpStateCount] = {
    "NONE", "ESTABLISHED", "SYN_SENT", "SYN_RECV", "FIN_WAIT", "TIME_WAIT", "CLOSE", "CLOSE_WAIT", "LAST_ACK",
    "LISTEN", "SYNACK", "BUG!",
};
// IP_VS_SCTP_MAX_RTO is 61 s; ESTABLISHED lasts 15 minutes (ip_vs_proto_sctp.c sctp_timeouts).
constexpr uint32_t kSctpDefaults[kSctpStateCount] = {
    2, 4, 61, 61, 61, 61, 61, 61, 15 * 60, 61, 61, 61, 4, 61, 2,
};
constexpr const char* kSctpNames[kSctpStateCount] = {
    "NONE", "INIT1", "INIT", "C-SENT", "C-REPLIED", "C-WAIT", "COOKIE", "C-ECHOED", "ESTABLISHED",
    "S-SENT", "S-RECEIVED", "S-ACK-SENT", "REJECTED", "CLOSED", "BUG!",
};
}  // namespace

const char* TcpStateName(TcpState s) { return kTcpNames[static_cast<int>(s)]; }
const char* SctpStateName(SctpState s) { return kSctpNames[static_cast<int>(s)]; }

Timeouts::Timeouts() : udp_(5 * 60) {
  for (int i = 0; i < kTcpStateCount; ++i) tcp_[i].store(kTcpDefaults[i]);
  for (int i = 0; i < kSctpStateCount; ++i) sctp_[i].store(kSctpDefaults[i]);
}

TimeoutTriple Timeouts::Get() const {
  return {tcp_[static_cast<int>(TcpState::kEstablished)].load(), tcp_[static_cast<int>(TcpState::kFinWait)].load(),
          udp_.load()};
}

void Timeouts::Set(const TimeoutTriple& t) {
  if (t.tcp) tcp_[static_cast<int>(TcpState::kEstablished)].store(t.tcp);
  if (t.tcpfin) tcp_[static_cast<int>(TcpState::kFinWait)].store(t.tcpfin);
  if (t.udp) udp_.store(t.udp);
}

}  // namespace ipvsd::core
