// File: agent/load_server.cc
#include "agent/load_server.h"

#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/timerfd.h>
#include <time.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "base/log.h"

namespace ipvsd::agent {
namespace {

Error SysError(const std::string& what) { return MakeError(errno, what + ": " + std::strerror(errno)); }

uint64_t NowNs() {
  timespec ts{};
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<uint64_t>(ts.tv_sec) * 1'000'000'000ull + static_cast<uint64_t>(ts.tv_nsec);
}

// Closes its descriptors on every return path of Run.
struct Fds {
  int sig = -1, timer = -1, listen = -1;
  ~Fds() {
    for (int fd : {sig, timer, listen}) {
      if (fd >= 0) close(fd);
    }
  }
};

}  // namespace

Status LoadServer::Run() {
  if (Status st = probe_.Open(); !st) return st;
  Fds fds;
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGTERM);
  sigaddset(&signals, SIGINT);
  if (sigprocmask(SIG_BLOCK, &signals, nullptr) < 0) return SysError("sigprocmask");
  fds.sig = signalfd(-1, &signals, SFD_NONBLOCK | SFD_CLOEXEC);
  if (fds.sig < 0) return SysError("signalfd");

  const net::Endpoint& ep = options_.listen;
  sockaddr_storage ss{};
  socklen_t len;
  if (ep.addr.is_v6()) {
    auto* s6 = reinterpret_cast<sockaddr_in6*>(&ss);
    s6->sin6_family = AF_INET6;
    s6->sin6_port = htons(ep.port);
    std::memcpy(&s6->sin6_addr, ep.addr.raw.bytes.data(), 16);
    len = sizeof(sockaddr_in6);
  } else {
    auto* s4 = reinterpret_cast<sockaddr_in*>(&ss);
    s4->sin_family = AF_INET;
    s4->sin_port = htons(ep.port);
    std::memcpy(&s4->sin_addr, ep.addr.raw.bytes.data(), 4);
    len = sizeof(sockaddr_in);
  }
  fds.listen = socket(ss.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fds.listen < 0) return SysError("socket");
  const int on = 1;
  setsockopt(fds.listen, SOL_SOCKET, SO_REUSEADDR, &on, sizeof(on));
  if (bind(fds.listen, reinterpret_cast<const sockaddr*>(&ss), len) < 0) return SysError("bind " + ep.ToString());
  if (listen(fds.listen, 64) < 0) return SysError("listen");

  fds.timer = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
  if (fds.timer < 0) return SysError("timerfd_create");
  const auto ns = static_cast<long long>(options_.interval * 1e9);
  itimerspec its{};
  its.it_interval.tv_sec = ns / 1'000'000'000;
  its.it_interval.tv_nsec = ns % 1'000'000'000;
  its.it_value = its.it_interval;
  if (timerfd_settime(fds.timer, 0, &its, nullptr) < 0) return SysError("timerfd_settime");

  probe_.Sample(NowNs());
  Log(LogLevel::kInfo, "reporting the load of %s%s on %s every %.2f s",
      options_.sources.cgroup.empty() ? "the host" : "cgroup ", options_.sources.cgroup.c_str(), ep.ToString().c_str(),
      options_.interval);
  pollfd pfds[3] = {{fds.sig, POLLIN, 0}, {fds.timer, POLLIN, 0}, {fds.listen, POLLIN, 0}};
  for (;;) {
    if (poll(pfds, 3, -1) < 0) {
      if (errno == EINTR) continue;
      return SysError("poll");
    }
    if (pfds[0].revents & POLLIN) {
      Log(LogLevel::kInfo, "exiting");
      return Ok();
    }
    if (pfds[1].revents & POLLIN) {
      uint64_t expirations = 0;
      if (read(fds.timer, &expirations, sizeof(expirations)) > 0) probe_.Sample(NowNs());
    }
    if (pfds[2].revents & POLLIN) {
      const std::string reply = FormatLoadReply(probe_.values());
      for (int i = 0; i < 64; ++i) {
        const int c = accept4(fds.listen, nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC);
        if (c < 0) break;
        // The reply is far smaller than any socket buffer: one send, never blocking.
        if (send(c, reply.data(), reply.size(), MSG_NOSIGNAL) < 0) {
          Log(LogLevel::kDebug, "send: %s", std::strerror(errno));
        }
        close(c);
      }
    }
  }
}

}  // namespace ipvsd::agent
