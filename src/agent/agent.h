// File: agent/agent.h
//
// ipvs-agent --decap: the real-server side of IPVS tunnelling for kernels without the ipip,
// gre or fou modules. The agent listens where the kernel's tunnel drivers would (raw sockets
// for IP protocols 4, 41 and 47 over IPv4 and IPv6, a UDP socket on the GUE port), strips
// the outer headers (agent/decap.h) and writes the inner packet to its TUN device
// (agent/tun_device.h). The kernel then receives the client's packet on that device; the real
// server owns the VIP (on lo, as for kernel TUN mode) and answers the client directly.
//
//   Result<AgentOptions> opts = ParseAgentCommandLine(argc, argv);
//   DecapAgent agent(*opts);
//   Status st = agent.Run();   // until SIGTERM / SIGINT; SIGUSR1 logs the counters
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <vector>

#include "agent/decap.h"
#include "agent/load_server.h"
#include "base/log.h"
#include "base/result.h"

namespace ipvsd::agent {

inline constexpr uint16_t kDefaultGuePort = 6080;
inline constexpr const char* kDefaultTunDevice = "ipvs-decap";

// --decap (tunnel decapsulation) or --listen (load reporting, agent/load_server.h).
enum class AgentMode : uint8_t { kDecap, kLoad };

struct AgentOptions {
  bool help = false;
  AgentMode mode = AgentMode::kDecap;
  LoadServerOptions load;
  std::string tun_device = kDefaultTunDevice;
  uint16_t gue_port = kDefaultGuePort;  // 0: no GUE socket
  LogLevel log_level = LogLevel::kInfo;
};

std::string AgentUsage(const char* program);
// Exactly one of --decap and --listen is required; anything unknown is an error.
Result<AgentOptions> ParseAgentCommandLine(int argc, char** argv);

struct AgentCounters {
  uint64_t received = 0;
  uint64_t delivered = 0;
  uint64_t tun_write_errors = 0;
  std::array<uint64_t, kDecapDropCount> dropped{};
};

class DecapAgent {
 public:
  explicit DecapAgent(AgentOptions options) : options_(std::move(options)) {}
  DecapAgent(const DecapAgent&) = delete;
  DecapAgent& operator=(const DecapAgent&) = delete;
  ~DecapAgent();

  // Opens the sockets, then the TUN device (so the device's appearance means "ready"), and
  // serves until SIGTERM or SIGINT. Everything is closed on return; the device goes with it.
  Status Run();
  const AgentCounters& counters() const { return counters_; }

 private:
  enum class SocketKind : uint8_t { kRawIpv4, kRawIpv6, kGue };
  struct TunnelSocket {
    int fd;
    SocketKind kind;
    uint8_t protocol;
  };

  Status OpenSockets();
  void Drain(const TunnelSocket& sock, const class TunDevice& tun);
  void LogCounters() const;

  AgentOptions options_;
  std::vector<TunnelSocket> sockets_;
  AgentCounters counters_;
};

}  // namespace ipvsd::agent
