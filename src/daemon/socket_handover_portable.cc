// The portable build's socket handover: its only data plane is libpcap, which has no sockets to
// pass (a takeover opens new handles), and the Linux one rests on AF_XDP descriptors, the
// abstract socket namespace and SO_PEERCRED. Both ends say so, and the takeover goes on
// without (daemon/takeover.h).
#include <cerrno>

#include "daemon/socket_handover.h"

namespace ipvsd::daemon {
namespace {

constexpr const char* kNone = "the portable build passes no sockets (libpcap has none to pass)";

}  // namespace

Result<SocketHandoverListener> SocketHandoverListener::Listen() { return MakeError(ENOTSUP, kNone); }

SocketHandoverListener::SocketHandoverListener(SocketHandoverListener&& other) noexcept : fd_(other.fd_) {
  other.fd_ = -1;
}

SocketHandoverListener::~SocketHandoverListener() = default;

Result<std::vector<io::AfXdpHandover>> SocketHandoverListener::Receive(pid_t, const std::function<bool()>&, int) {
  return MakeError(ENOTSUP, kNone);
}

Status SendSockets(pid_t, const std::vector<io::AfXdpHandover>&) { return MakeError(ENOTSUP, kNone); }

}  // namespace ipvsd::daemon
