// File: daemon/socket_handover.h
//
// In a takeover (daemon/takeover.h) the stopping ipvsd passes its AF_XDP UMEMs and sockets to
// the new one, which goes on with the same rings: the sockets stay bound, so the services'
// packets wait in the rx rings while neither process polls instead of being dropped.
//
// The new process listens on a unix socket in the abstract namespace named after its pid
// before it asks for the handover; the old one, once its workers have stopped, connects and
// sends one message: the descriptors as SCM_RIGHTS, then the layout of every worker's UMEM and
// sockets and its idle frames. Each end checks the other's pid (SO_PEERCRED). An ipvsd that
// sends nothing (it exits without connecting) leaves the new one to open sockets of its own.
#pragma once

#include <sys/types.h>

#include <functional>
#include <vector>

#include "base/result.h"
#include "io/xdp_handover.h"

namespace ipvsd::daemon {

class SocketHandoverListener {
 public:
  // Listens on the name of this process.
  static Result<SocketHandoverListener> Listen();
  SocketHandoverListener(SocketHandoverListener&& other) noexcept;
  SocketHandoverListener& operator=(SocketHandoverListener&&) = delete;
  ~SocketHandoverListener();

  // What process `from` sends, one entry per worker; empty once `gone()` says it exited
  // without connecting. Waits at most `timeout_ms`.
  Result<std::vector<io::AfXdpHandover>> Receive(pid_t from, const std::function<bool()>& gone, int timeout_ms);

 private:
  explicit SocketHandoverListener(int fd) : fd_(fd) {}
  int fd_ = -1;
};

// Sends `workers` to the listener of process `to`. The descriptors stay this process's.
Status SendSockets(pid_t to, const std::vector<io::AfXdpHandover>& workers);

}  // namespace ipvsd::daemon
