#include "daemon/socket_handover.h"

#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <chrono>
#include <cstddef>
#include <cstring>
#include <string>
#include <utility>

#include "base/scoped_fd.h"

namespace ipvsd::daemon {
namespace {

constexpr char kMagic[8] = {'i', 'p', 'v', 's', 'd', 'X', 'S', 'K'};
constexpr uint32_t kFormat = 1;
// The kernel's limit on descriptors in one SCM_RIGHTS message (SCM_MAX_FD).
constexpr size_t kMaxFds = 253;
// A bound on every read and write of a connection: both ends are local and ready.
constexpr int kIoTimeoutMs = 2000;

struct Header {
  char magic[8];
  uint32_t format;
  uint32_t fds;
  uint32_t body_bytes;
};

sockaddr_un AddressOf(pid_t pid, socklen_t* len) {
  sockaddr_un a{};
  a.sun_family = AF_UNIX;
  // Abstract namespace (a leading NUL): no file to clean up, gone with the listener.
  const std::string name = "ipvsd-takeover-" + std::to_string(pid);
  std::memcpy(a.sun_path + 1, name.data(), name.size());
  *len = static_cast<socklen_t>(offsetof(sockaddr_un, sun_path) + 1 + name.size());
  return a;
}

Error SysError(const std::string& step) {
  const int err = errno;
  return MakeError(err, "passing the AF_XDP sockets: " + step + ": " + std::strerror(err));
}

Status CheckPeer(int fd, pid_t want) {
  ucred cred{};
  socklen_t len = sizeof cred;
  if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) != 0) return SysError("reading the peer's credentials");
  if (cred.pid != want) {
    return MakeError(EPERM, "passing the AF_XDP sockets: the peer is pid " + std::to_string(cred.pid) + ", not " +
                                std::to_string(want));
  }
  return Ok();
}

void SetTimeouts(int fd) {
  const timeval tv{kIoTimeoutMs / 1000, (kIoTimeoutMs % 1000) * 1000};
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
}

void PutU32(std::string& out, uint32_t v) { out.append(reinterpret_cast<const char*>(&v), sizeof v); }
void PutU64(std::string& out, uint64_t v) { out.append(reinterpret_cast<const char*>(&v), sizeof v); }

// Reads the body; every count is checked against what is left.
class BodyReader {
 public:
  explicit BodyReader(const std::string& b) : b_(b) {}
  bool U32(uint32_t* v) { return Take(v, sizeof *v); }
  bool U64(uint64_t* v) { return Take(v, sizeof *v); }
  size_t left() const { return b_.size() - at_; }

 private:
  bool Take(void* v, size_t n) {
    if (left() < n) return false;
    std::memcpy(v, b_.data() + at_, n);
    at_ += n;
    return true;
  }
  const std::string& b_;
  size_t at_ = 0;
};

// Fills `workers` from `body`, handing out `fds` in order; false when they do not agree.
bool Parse(const std::string& body, std::vector<int>& fds, std::vector<io::AfXdpHandover>* workers) {
  BodyReader r(body);
  uint32_t count = 0;
  if (!r.U32(&count)) return false;
  size_t next_fd = 0;
  for (uint32_t w = 0; w < count; ++w) {
    // In the list first, so that the caller closes what it holds if parsing stops halfway.
    io::AfXdpHandover& h = workers->emplace_back();
    uint32_t sockets = 0, free_count = 0;
    if (!r.U32(&h.frames) || !r.U32(&h.ring_size) || !r.U32(&sockets)) return false;
    if (next_fd + 1 + sockets > fds.size()) return false;
    h.umem_fd = std::exchange(fds[next_fd++], -1);
    for (uint32_t i = 0; i < sockets; ++i) {
      io::AfXdpHandover::Socket s;
      if (!r.U32(&s.ifindex) || !r.U32(&s.queue)) return false;
      s.fd = std::exchange(fds[next_fd++], -1);
      h.sockets.push_back(s);
    }
    if (!r.U32(&free_count) || free_count > r.left() / sizeof(uint64_t)) return false;
    h.free_frames.resize(free_count);
    for (uint64_t& chunk : h.free_frames) r.U64(&chunk);
  }
  return next_fd == fds.size() && r.left() == 0;
}

}  // namespace

Result<SocketHandoverListener> SocketHandoverListener::Listen() {
  int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
  if (fd < 0) return SysError("creating the listening socket");
  SocketHandoverListener listener(fd);
  socklen_t len = 0;
  const sockaddr_un a = AddressOf(getpid(), &len);
  if (bind(fd, reinterpret_cast<const sockaddr*>(&a), len) != 0) {
    return SysError("binding " + std::string(a.sun_path + 1));
  }
  if (listen(fd, 1) != 0) return SysError("listening");
  return listener;
}

SocketHandoverListener::SocketHandoverListener(SocketHandoverListener&& other) noexcept
    : fd_(std::exchange(other.fd_, -1)) {}

SocketHandoverListener::~SocketHandoverListener() {
  if (fd_ >= 0) close(fd_);
}

Result<std::vector<io::AfXdpHandover>> SocketHandoverListener::Receive(pid_t from, const std::function<bool()>& gone,
                                                                        int timeout_ms) {
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
  int conn_fd = -1;
  for (;;) {
    pollfd p{fd_, POLLIN, 0};
    poll(&p, 1, 5);
    // Checked before accepting: a sender that exited after connecting is still in the backlog.
    const bool exited = gone();
    conn_fd = accept4(fd_, nullptr, nullptr, SOCK_CLOEXEC);
    if (conn_fd >= 0) break;
    if (exited) return std::vector<io::AfXdpHandover>{};
    if (std::chrono::steady_clock::now() > deadline) {
      return MakeError(ETIMEDOUT, "passing the AF_XDP sockets: pid " + std::to_string(from) + " sent nothing");
    }
  }
  ScopedFd conn{conn_fd};
  if (Status st = CheckPeer(conn.fd, from); !st) return st.error();
  SetTimeouts(conn.fd);

  Header header{};
  alignas(cmsghdr) char control[CMSG_SPACE(sizeof(int) * kMaxFds)];
  iovec iov{&header, sizeof header};
  msghdr msg{};
  msg.msg_iov = &iov;
  msg.msg_iovlen = 1;
  msg.msg_control = control;
  msg.msg_controllen = sizeof control;
  const ssize_t got = recvmsg(conn.fd, &msg, MSG_CMSG_CLOEXEC | MSG_WAITALL);
  std::vector<int> fds;
  for (cmsghdr* c = CMSG_FIRSTHDR(&msg); c; c = CMSG_NXTHDR(&msg, c)) {
    if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS) continue;
    const size_t n = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
    const auto* data = reinterpret_cast<const int*>(CMSG_DATA(c));
    fds.insert(fds.end(), data, data + n);
  }
  auto fail = [&](const std::string& why) {
    for (int fd : fds) {
      if (fd >= 0) close(fd);
    }
    return MakeError(EPROTO, "passing the AF_XDP sockets: " + why);
  };
  if (got != static_cast<ssize_t>(sizeof header)) return fail("a short header");
  if (std::memcmp(header.magic, kMagic, sizeof kMagic) != 0 || header.format != kFormat) {
    return fail("format " + std::to_string(header.format) + " from another program, expected " +
                std::to_string(kFormat));
  }
  if ((msg.msg_flags & MSG_CTRUNC) || fds.size() != header.fds) return fail("descriptors missing");
  std::string body(header.body_bytes, '\0');
  size_t have = 0;
  while (have < body.size()) {
    const ssize_t n = read(conn.fd, body.data() + have, body.size() - have);
    if (n <= 0) return fail("the message ended early");
    have += static_cast<size_t>(n);
  }
  std::vector<io::AfXdpHandover> workers;
  if (!Parse(body, fds, &workers)) {
    for (io::AfXdpHandover& h : workers) h.Close();
    return fail("a malformed layout");
  }
  return workers;
}

Status SendSockets(pid_t to, const std::vector<io::AfXdpHandover>& workers) {
  std::vector<int> fds;
  std::string body;
  PutU32(body, static_cast<uint32_t>(workers.size()));
  for (const io::AfXdpHandover& h : workers) {
    PutU32(body, h.frames);
    PutU32(body, h.ring_size);
    PutU32(body, static_cast<uint32_t>(h.sockets.size()));
    fds.push_back(h.umem_fd);
    for (const io::AfXdpHandover::Socket& s : h.sockets) {
      PutU32(body, s.ifindex);
      PutU32(body, s.queue);
      fds.push_back(s.fd);
    }
    PutU32(body, static_cast<uint32_t>(h.free_frames.size()));
    for (uint64_t chunk : h.free_frames) PutU64(body, chunk);
  }
  if (fds.size() > kMaxFds) {
    return MakeError(E2BIG, "passing the AF_XDP sockets: " + std::to_string(fds.size()) + " descriptors, at most " +
                                std::to_string(kMaxFds));
  }
  ScopedFd conn{socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)};
  if (conn.fd < 0) return SysError("creating a socket");
  socklen_t len = 0;
  const sockaddr_un a = AddressOf(to, &len);
  if (connect(conn.fd, reinterpret_cast<const sockaddr*>(&a), len) != 0) {
    return SysError("connecting to " + std::string(a.sun_path + 1));
  }
  if (Status st = CheckPeer(conn.fd, to); !st) return st;
  SetTimeouts(conn.fd);

  Header header{};
  std::memcpy(header.magic, kMagic, sizeof kMagic);
  header.format = kFormat;
  header.fds = static_cast<uint32_t>(fds.size());
  header.body_bytes = static_cast<uint32_t>(body.size());
  alignas(cmsghdr) char control[CMSG_SPACE(sizeof(int) * kMaxFds)] = {};
  iovec iov{&header, sizeof header};
  msghdr msg{};
  msg.msg_iov = &iov;
  msg.msg_iovlen = 1;
  msg.msg_control = control;
  msg.msg_controllen = CMSG_SPACE(sizeof(int) * fds.size());
  cmsghdr* c = CMSG_FIRSTHDR(&msg);
  c->cmsg_level = SOL_SOCKET;
  c->cmsg_type = SCM_RIGHTS;
  c->cmsg_len = CMSG_LEN(sizeof(int) * fds.size());
  std::memcpy(CMSG_DATA(c), fds.data(), sizeof(int) * fds.size());
  if (sendmsg(conn.fd, &msg, MSG_NOSIGNAL) != static_cast<ssize_t>(sizeof header)) return SysError("sending");
  size_t sent = 0;
  while (sent < body.size()) {
    const ssize_t n = send(conn.fd, body.data() + sent, body.size() - sent, MSG_NOSIGNAL);
    if (n <= 0) return SysError("sending");
    sent += static_cast<size_t>(n);
  }
  return Ok();
}

}  // namespace ipvsd::daemon
