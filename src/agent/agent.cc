// File: agent/agent.cc
//
// Command line, sockets and the poll loop of ipvs-agent --decap.
#include "agent/agent.h"

#include <getopt.h>
#include <netinet/in.h>
#include <netinet/udp.h>
#include <poll.h>
#include <signal.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <span>

#include "agent/tun_device.h"
#include "net/headers.h"

namespace ipvsd::agent {
namespace {

// Large enough for any IP packet (the 16-bit length field), so nothing is ever truncated by
// the buffer itself; one buffer, reused for every packet.
constexpr size_t kBufferSize = 65536;
// Packets read from one socket per wake-up before the others get their turn.
constexpr int kBurst = 64;

Error SysError(const std::string& what) { return MakeError(errno, what + ": " + std::strerror(errno)); }

bool ParsePort(const char* text, uint16_t* out) {
  errno = 0;
  char* end = nullptr;
  const long v = std::strtol(text, &end, 10);
  if (errno != 0 || end == text || *end != '\0' || v < 0 || v > 65535) return false;
  *out = static_cast<uint16_t>(v);
  return true;
}

// "a.b.c.d:port" or "[v6]:port".
bool ParseListen(const std::string& text, net::Endpoint* out) {
  const size_t colon = text.rfind(':');
  if (colon == std::string::npos) return false;
  std::string host = text.substr(0, colon);
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']') host = host.substr(1, host.size() - 2);
  auto addr = net::IpAddr::Parse(host);
  if (!addr || !ParsePort(text.c_str() + colon + 1, &out->port) || out->port == 0) return false;
  out->addr = *addr;
  return true;
}

}  // namespace

std::string AgentUsage(const char* program) {
  return std::string("Usage: ") + program +
         " --decap [options]\n"
         "       " + program + " --listen ADDR:PORT [--cgroup PATH] [--interval SECONDS]\n"
         "--decap: real-server side of IPVS tunnelling without the ipip/gre/fou kernel modules:\n"
         "receives IPIP, 6in4, 4in6, 6in6, GRE and GUE packets, strips the outer headers and hands\n"
         "the inner packet to the kernel through a TUN device. Put the VIP on lo as for kernel TUN.\n"
         "--listen: reports this server's load (cpu, run queue, memory, connections) as one line of\n"
         "JSON to every TCP connection, for ipvs-healthd's dynamic feedback (docs/dynamic-feedback.md).\n"
         "\n"
         "  --decap            decapsulate\n"
         "  --tun-dev NAME     TUN device to create (default " +
         kDefaultTunDevice +
         ")\n"
         "  --gue-port N       UDP port for GUE, 0 for none (default " +
         std::to_string(kDefaultGuePort) +
         ")\n"
         "  --listen ADDR:PORT report the load on this TCP address ([v6]:port for IPv6)\n"
         "  --cgroup PATH      measure this cgroup (v1 cpuacct/cpu/memory, or v2) instead of the host:\n"
         "                     its path below the hierarchy (system.slice/nginx.service) or its\n"
         "                     directory (/sys/fs/cgroup/system.slice/nginx.service)\n"
         "  --interval SECONDS between load samples (default 1)\n"
         "  --log-level LEVEL  debug, info, warning, error or off (default info)\n"
         "  --help             show this help\n"
         "SIGTERM/SIGINT: exit and remove the device. SIGUSR1: log the counters.\n";
}

Result<AgentOptions> ParseAgentCommandLine(int argc, char** argv) {
  enum { kDecap = 256, kTunDev, kGuePort, kLogLevel, kHelp, kListen, kCgroup, kInterval };
  static const option kLongOptions[] = {
      {"decap", no_argument, nullptr, kDecap},          {"tun-dev", required_argument, nullptr, kTunDev},
      {"gue-port", required_argument, nullptr, kGuePort}, {"log-level", required_argument, nullptr, kLogLevel},
      {"help", no_argument, nullptr, kHelp},            {"listen", required_argument, nullptr, kListen},
      {"cgroup", required_argument, nullptr, kCgroup},  {"interval", required_argument, nullptr, kInterval},
      {nullptr, 0, nullptr, 0},
  };
  AgentOptions opts;
  bool decap = false;
  bool listen = false;
  opterr = 0;
  optind = 1;
  for (;;) {
    const int c = getopt_long(argc, argv, ":", kLongOptions, nullptr);
    if (c == -1) break;
    switch (c) {
      case kDecap: decap = true; break;
      case kTunDev: opts.tun_device = optarg; break;
      case kGuePort:
        if (!ParsePort(optarg, &opts.gue_port)) return MakeError(EINVAL, std::string("--gue-port must be 0..65535, not '") + optarg + "'");
        break;
      case kLogLevel:
        if (!ParseLogLevel(optarg, &opts.log_level)) return MakeError(EINVAL, std::string("unknown log level '") + optarg + "'");
        break;
      case kHelp: opts.help = true; return opts;
      case kListen:
        if (!ParseListen(optarg, &opts.load.listen)) {
          return MakeError(EINVAL, std::string("--listen must be ADDR:PORT or [ADDR]:PORT, not '") + optarg + "'");
        }
        opts.load.sources.own_port = opts.load.listen.port;
        listen = true;
        break;
      case kCgroup: opts.load.sources.cgroup = optarg; break;
      case kInterval: {
        char* end = nullptr;
        opts.load.interval = std::strtod(optarg, &end);
        if (end == optarg || *end != '\0' || !(opts.load.interval >= 0.05 && opts.load.interval <= 3600)) {
          return MakeError(EINVAL, std::string("--interval must be 0.05..3600 seconds, not '") + optarg + "'");
        }
        break;
      }
      case ':': return MakeError(EINVAL, std::string("option ") + argv[optind - 1] + " needs a value");
      default: return MakeError(EINVAL, std::string("unknown option ") + argv[optind - 1]);
    }
  }
  if (optind < argc) return MakeError(EINVAL, std::string("unexpected argument '") + argv[optind] + "'");
  if (decap == listen) return MakeError(EINVAL, "one of --decap and --listen is required");
  opts.mode = listen ? AgentMode::kLoad : AgentMode::kDecap;
  return opts;
}

DecapAgent::~DecapAgent() {
  for (const TunnelSocket& s : sockets_) close(s.fd);
}

Status DecapAgent::OpenSockets() {
  // IPv4 raw sockets receive the whole outer packet, IPv6 raw sockets only what follows the
  // IPv6 header; a raw socket for a protocol also stops the kernel answering it with ICMP
  // "protocol unreachable".
  for (const uint8_t proto : {net::kProtoIpip, net::kProtoIpv6, net::kProtoGre}) {
    const int fd = socket(AF_INET, SOCK_RAW | SOCK_NONBLOCK | SOCK_CLOEXEC, proto);
    if (fd < 0) return SysError("raw IPv4 socket for protocol " + std::to_string(proto));
    sockets_.push_back({fd, SocketKind::kRawIpv4, proto});
  }
  for (const uint8_t proto : {net::kProtoIpip, net::kProtoIpv6, net::kProtoGre}) {
    const int fd = socket(AF_INET6, SOCK_RAW | SOCK_NONBLOCK | SOCK_CLOEXEC, proto);
    if (fd < 0) {
      // A host without IPv6 still serves IPv4 tunnels.
      Log(LogLevel::kWarning, "no raw IPv6 socket for protocol %u: %s", proto, std::strerror(errno));
      continue;
    }
    sockets_.push_back({fd, SocketKind::kRawIpv6, proto});
  }
  if (options_.gue_port != 0) {
    const int fd = socket(AF_INET6, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0) return SysError("GUE socket");
    sockets_.push_back({fd, SocketKind::kGue, net::kProtoUdp});
    const int off = 0;
    const int on = 1;
    // One dual-stack socket takes GUE over IPv4 and IPv6. Tunnels over IPv6 send UDP with a
    // zero checksum (RFC 6935, as IPVS does unless --tun-csum): accept it, as fou does.
    setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &off, sizeof(off));
    setsockopt(fd, IPPROTO_UDP, UDP_NO_CHECK6_RX, &on, sizeof(on));
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &on, sizeof(on));
    sockaddr_in6 addr{};
    addr.sin6_family = AF_INET6;
    addr.sin6_addr = in6addr_any;
    addr.sin6_port = htons(options_.gue_port);
    if (bind(fd, reinterpret_cast<const sockaddr*>(&addr), sizeof(addr)) < 0) {
      return SysError("bind GUE port " + std::to_string(options_.gue_port));
    }
  }
  return Ok();
}

void DecapAgent::Drain(const TunnelSocket& sock, const TunDevice& tun) {
  static uint8_t buffer[kBufferSize];
  for (int i = 0; i < kBurst; ++i) {
    const ssize_t n = recv(sock.fd, buffer, sizeof(buffer), MSG_DONTWAIT);
    if (n < 0) return;  // EAGAIN, or an error the next poll will report again
    ++counters_.received;
    const std::span<const uint8_t> bytes(buffer, static_cast<size_t>(n));
    DecapResult inner = DecapDrop::kTruncated;
    switch (sock.kind) {
      case SocketKind::kRawIpv4: inner = DecapIpv4Packet(bytes); break;
      case SocketKind::kRawIpv6: inner = DecapTunnelPayload(sock.protocol, bytes); break;
      case SocketKind::kGue: inner = DecapGue(bytes); break;
    }
    if (!inner) {
      ++counters_.dropped[static_cast<size_t>(inner.error_reason())];
      continue;
    }
    if (tun.Write(inner->bytes)) {
      ++counters_.delivered;
    } else {
      ++counters_.tun_write_errors;
    }
  }
}

void DecapAgent::LogCounters() const {
  std::string drops;
  for (size_t i = 0; i < kDecapDropCount; ++i) {
    if (counters_.dropped[i] == 0) continue;
    drops += " " + std::string(DecapDropName(static_cast<DecapDrop>(i))) + "=" + std::to_string(counters_.dropped[i]);
  }
  Log(LogLevel::kInfo, "received=%llu delivered=%llu tun_write_errors=%llu dropped:%s",
      static_cast<unsigned long long>(counters_.received), static_cast<unsigned long long>(counters_.delivered),
      static_cast<unsigned long long>(counters_.tun_write_errors), drops.empty() ? " none" : drops.c_str());
}

Status DecapAgent::Run() {
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGTERM);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGHUP);
  sigaddset(&signals, SIGUSR1);
  if (sigprocmask(SIG_BLOCK, &signals, nullptr) < 0) return SysError("sigprocmask");
  const int sig_fd = signalfd(-1, &signals, SFD_NONBLOCK | SFD_CLOEXEC);
  if (sig_fd < 0) return SysError("signalfd");

  Status st = OpenSockets();
  Result<TunDevice> tun = st ? TunDevice::Open(options_.tun_device) : Result<TunDevice>(st.error());
  if (!tun) {
    close(sig_fd);
    return tun.error();
  }
  Log(LogLevel::kInfo, "decapsulating into %s (GUE port %u, %zu sockets)", tun->name().c_str(), options_.gue_port,
      sockets_.size());

  std::vector<pollfd> fds;
  fds.push_back({sig_fd, POLLIN, 0});
  for (const TunnelSocket& s : sockets_) fds.push_back({s.fd, POLLIN, 0});
  bool running = true;
  while (running) {
    if (poll(fds.data(), fds.size(), -1) < 0) {
      if (errno == EINTR) continue;
      st = SysError("poll");
      break;
    }
    if (fds[0].revents & POLLIN) {
      signalfd_siginfo info{};
      while (read(sig_fd, &info, sizeof(info)) == static_cast<ssize_t>(sizeof(info))) {
        if (info.ssi_signo == SIGUSR1) {
          LogCounters();
        } else {
          running = false;
        }
      }
    }
    for (size_t i = 1; i < fds.size(); ++i) {
      if (fds[i].revents & (POLLIN | POLLERR)) Drain(sockets_[i - 1], *tun);
    }
  }
  LogCounters();
  close(sig_fd);
  return st;
}

}  // namespace ipvsd::agent
