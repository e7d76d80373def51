// File: core/timeouts.h
//
// Per-state connection timeouts of TCP, UDP and SCTP with the kernel's defaults
// (ip_vs_proto_tcp.c tcp_timeouts, ip_vs_proto_udp.c, ip_vs_proto_sctp.c). `ipvsadm --set
// tcp tcpfin udp` changes the ESTABLISHED, FIN_WAIT and UDP timeouts (0 keeps a value);
// workers read them on every state change, so a change applies to the next packet.
#pragma once

#include <array>
#include <atomic>
#include <cstdint>

#include "base/clock.h"

namespace ipvsd::core {

// TCP states in the kernel's order (IP_VS_TCP_S_*), as -Lc prints them.
enum class TcpState : uint8_t {
  kNone = 0, kEstablished, kSynSent, kSynRecv, kFinWait, kTimeWait, kClose, kCloseWait, kLastAck,
  kListen, kSynAck, kLast
};
inline constexpr int kTcpStateCount = static_cast<int>(TcpState::kLast) + 1;

// SCTP states in the kernel's order (IP_VS_SCTP_S_*).
enum class SctpState : uint8_t {
  kNone = 0, kInit1, kInit, kCookieSent, kCookieReplied, kCookieWait, kCookie, kCookieEchoed,
  kEstablished, kShutdownSent, kShutdownReceived, kShutdownAckSent, kRejected, kClosed, kLast
};
inline constexpr int kSctpStateCount = static_cast<int>(SctpState::kLast) + 1;

// UDP has one state (IP_VS_UDP_S_NORMAL), plus LAST.
inline constexpr uint8_t kUdpStateNormal = 0;

const char* TcpStateName(TcpState s);
const char* SctpStateName(SctpState s);

struct TimeoutTriple {
  uint32_t tcp = 0;     // TCP ESTABLISHED, seconds
  uint32_t tcpfin = 0;  // TCP FIN_WAIT
  uint32_t udp = 0;     // UDP
  friend bool operator==(const TimeoutTriple&, const TimeoutTriple&) = default;
};

class Timeouts {
 public:
  Timeouts();

  Ticks Tcp(TcpState s) const { return Load(tcp_[static_cast<int>(s)]); }
  Ticks Sctp(SctpState s) const { return Load(sctp_[static_cast<int>(s)]); }
  Ticks Udp() const { return Load(udp_); }
  // Timeouts of other protocols and of a connection before its first state change.
  Ticks Other() const { return Load(udp_); }

  TimeoutTriple Get() const;
  // `ipvsadm --set`: zero fields keep their value.
  void Set(const TimeoutTriple& t);
  // Sets one TCP state's timeout in seconds (tests and the sysctl-like knobs).
  void SetTcp(TcpState s, uint32_t seconds) { tcp_[static_cast<int>(s)].store(seconds, std::memory_order_relaxed); }

 private:
  static Ticks Load(const std::atomic<uint32_t>& seconds) {
    return SecondsToTicks(seconds.load(std::memory_order_relaxed));
  }
  std::array<std::atomic<uint32_t>, kTcpStateCount> tcp_;
  std::array<std::atomic<uint32_t>, kSctpStateCount> sctp_;
  std::atomic<uint32_t> udp_;
};

}  // namespace ipvsd::core
