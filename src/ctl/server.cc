#include "ctl/server.h"

#include <fcntl.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <new>

#include "base/log.h"
#include "ctl/codec.h"

namespace ipvsd::ctl {
namespace {

constexpr size_t kReadChunk = 16 * 1024;

Result<sockaddr_un> MakeAddr(const std::string& path) {
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  if (path.empty() || path.size() >= sizeof addr.sun_path) {
    return MakeError(ENAMETOOLONG, "socket path '" + path + "' is empty or too long");
  }
  std::memcpy(addr.sun_path, path.data(), path.size());
  return addr;
}

// True when some process accepts connections on the socket file.
bool SomeoneListens(const sockaddr_un& addr) {
  int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return false;
  bool live = ::connect(fd, reinterpret_cast<const sockaddr*>(&addr), sizeof addr) == 0;
  ::close(fd);
  return live;
}

}  // namespace

UnixServer::UnixServer(ServerOptions options, RequestHandler handler)
    : options_(std::move(options)), handler_(std::move(handler)) {}

UnixServer::~UnixServer() { Close(); }

Status UnixServer::Listen() {
  auto addr = MakeAddr(options_.path);
  if (!addr) return addr.error();
  struct stat st {};
  if (::lstat(options_.path.c_str(), &st) == 0) {
    if (!S_ISSOCK(st.st_mode)) return MakeError(EEXIST, options_.path + " exists and is not a socket");
    if (SomeoneListens(*addr)) return MakeError(EADDRINUSE, "another daemon serves " + options_.path);
    ::unlink(options_.path.c_str());
  }
  int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) return MakeError(errno, std::string("socket: ") + std::strerror(errno));
  // bind() creates the file with the umask applied; 0177 makes it 0600 from the first moment,
  // so there is no window in which another user could connect.
  mode_t old_mask = ::umask(0177);
  int rc = ::bind(fd, reinterpret_cast<const sockaddr*>(&*addr), sizeof *addr);
  int bind_errno = errno;
  ::umask(old_mask);
  if (rc != 0) {
    ::close(fd);
    return MakeError(bind_errno, "bind " + options_.path + ": " + std::strerror(bind_errno));
  }
  if (::chmod(options_.path.c_str(), 0600) != 0 || ::listen(fd, 64) != 0) {
    int e = errno;
    ::close(fd);
    ::unlink(options_.path.c_str());
    return MakeError(e, "listen " + options_.path + ": " + std::strerror(e));
  }
  listen_fd_ = fd;
  return Ok();
}

void UnixServer::Close() {
  for (Client& c : clients_) ::close(c.fd);
  clients_.clear();
  if (listen_fd_ >= 0) {
    ::close(listen_fd_);
    listen_fd_ = -1;
    ::unlink(options_.path.c_str());
  }
}

Status UnixServer::PollOnce(int timeout_ms, const sigset_t* sigmask) {
  if (listen_fd_ < 0) return MakeError(EBADF, "server is not listening");
  CloseIdle(Clock::now());
  // Waking up in time to close the next idle client is not needed: it is closed at the next
  // round or when a new client needs its place.
  std::vector<pollfd> fds;
  fds.reserve(clients_.size() + 1);
  fds.push_back({listen_fd_, POLLIN, 0});
  for (const Client& c : clients_) {
    short events = 0;
    if (c.out_pos < c.out.size()) events |= POLLOUT;
    // Back-pressure: a client gets its reply before we read its next request.
    else if (c.reading) events |= POLLIN;
    fds.push_back({c.fd, events, 0});
  }
  int n;
  if (sigmask) {
    timespec ts{timeout_ms / 1000, (timeout_ms % 1000) * 1000000L};
    n = ::ppoll(fds.data(), fds.size(), timeout_ms < 0 ? nullptr : &ts, sigmask);
  } else {
    n = ::poll(fds.data(), fds.size(), timeout_ms);
  }
  if (n < 0) {
    if (errno == EINTR) return Ok();
    return MakeError(errno, std::string("poll: ") + std::strerror(errno));
  }
  if (n == 0) return Ok();

  // Serve the existing clients first (indices match fds[1..]), then accept new ones.
  std::vector<Client> alive;
  alive.reserve(clients_.size());
  for (size_t i = 0; i < clients_.size(); ++i) {
    Client& c = clients_[i];
    short rev = fds[i + 1].revents;
    bool keep = true;
    if (rev & POLLOUT) keep = OnWritable(c);
    if (keep && (rev & POLLIN)) keep = OnReadable(c);
    if (keep && (rev & (POLLERR | POLLNVAL))) keep = false;
    if (keep && (rev & POLLHUP) && !(rev & POLLIN)) keep = false;
    if (keep && !c.reading && c.out_pos >= c.out.size()) keep = false;
    if (keep) {
      alive.push_back(std::move(c));
    } else {
      ::close(c.fd);
    }
  }
  clients_ = std::move(alive);
  if (fds[0].revents & POLLIN) Accept();
  return Ok();
}

void UnixServer::CloseIdle(Clock::time_point now) {
  std::erase_if(clients_, [&](const Client& c) {
    if (now - c.last_progress < options_.idle_timeout) return false;
    ::close(c.fd);
    return true;
  });
}

void UnixServer::EvictIdlest(Clock::time_point now) {
  auto idlest = std::min_element(clients_.begin(), clients_.end(), [](const Client& a, const Client& b) {
    return a.last_progress < b.last_progress;
  });
  if (idlest == clients_.end()) return;
  Log(LogLevel::kWarning, "ctl: %zu clients connected; closing the one idle for %lld ms to serve a new one",
      clients_.size(),
      static_cast<long long>(std::chrono::duration_cast<std::chrono::milliseconds>(now - idlest->last_progress).count()));
  ::close(idlest->fd);
  clients_.erase(idlest);
}

void UnixServer::Accept() {
  for (;;) {
    int fd = ::accept4(listen_fd_, nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC);
    if (fd < 0) return;  // EAGAIN: drained; anything else: the client went away already
    const Clock::time_point now = Clock::now();
    if (clients_.size() >= options_.max_clients) EvictIdlest(now);
    Client c;
    c.fd = fd;
    c.last_progress = now;
    ucred cred{};
    socklen_t len = sizeof cred;
    if (::getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) != 0 || cred.uid != options_.allowed_uid) {
      Log(LogLevel::kWarning, "ctl: refusing peer uid %u pid %d", static_cast<unsigned>(cred.uid),
          static_cast<int>(cred.pid));
      Queue(c, EncodeErrorReply(0, MakeError(EPERM, "control socket is restricted to root")));
      c.reading = false;
    }
    clients_.push_back(std::move(c));
    // Deliver a refusal right away; most peers are waiting for it.
    if (!clients_.back().reading && !OnWritable(clients_.back())) {
      ::close(clients_.back().fd);
      clients_.pop_back();
    }
  }
}

bool UnixServer::OnReadable(Client& c) {
  if (!c.reading) return true;
  uint8_t buf[kReadChunk];
  ssize_t n = ::recv(c.fd, buf, sizeof buf, 0);
  if (n == 0) return false;  // disconnected, possibly mid-request: nothing was applied
  if (n < 0) return errno == EAGAIN || errno == EINTR;
  c.last_progress = Clock::now();
  c.in.insert(c.in.end(), buf, buf + n);
  ProcessInput(c);
  // Flush straight away; PollOnce waits for POLLOUT only if the socket is full.
  return OnWritable(c);
}

bool UnixServer::OnWritable(Client& c) {
  while (c.out_pos < c.out.size()) {
    ssize_t n = ::send(c.fd, c.out.data() + c.out_pos, c.out.size() - c.out_pos, MSG_NOSIGNAL | MSG_DONTWAIT);
    if (n < 0) return errno == EAGAIN || errno == EINTR;
    c.last_progress = Clock::now();
    c.out_pos += static_cast<size_t>(n);
  }
  c.out.clear();
  c.out_pos = 0;
  if (c.reading && !c.in.empty()) ProcessInput(c);
  return c.reading || c.out_pos < c.out.size();
}

void UnixServer::ProcessInput(Client& c) {
  while (c.reading && c.out_pos >= c.out.size() && c.in.size() >= kHeaderSize) {
    // A batch or a health report may carry a whole table; every other request is small.
    const uint16_t type = static_cast<uint16_t>((c.in[6] << 8) | c.in[7]);
    const uint32_t max = MaxRequestPayload(type) > kMaxRequestPayload ? MaxRequestPayload(type) : options_.max_payload;
    auto header = DecodeHeader(c.in, max);
    if (!header) {
      Log(LogLevel::kWarning, "ctl: dropping client: %s", header.error().message.c_str());
      requests_[0].fetch_add(1, std::memory_order_relaxed);
      errors_[0].fetch_add(1, std::memory_order_relaxed);
      Queue(c, EncodeErrorReply(type & ~kReplyBit, header.error()));
      c.reading = false;
      c.in.clear();
      return;
    }
    size_t frame_size = kHeaderSize + header->length;
    if (c.in.size() < frame_size) return;  // wait for the rest
    std::span<const uint8_t> payload(c.in.data() + kHeaderSize, header->length);
    if (!IsKnownRequest(header->type)) {
      requests_[0].fetch_add(1, std::memory_order_relaxed);
      errors_[0].fetch_add(1, std::memory_order_relaxed);
      Queue(c, EncodeErrorReply(header->type & ~kReplyBit,
                                MakeError(EBADRQC, "unknown request type " + std::to_string(header->type))));
    } else {
      Queue(c, Dispatch(header->type, payload));
    }
    c.in.erase(c.in.begin(), c.in.begin() + static_cast<std::ptrdiff_t>(frame_size));
  }
}

std::vector<uint8_t> UnixServer::Dispatch(uint16_t type, std::span<const uint8_t> payload) {
  const uint16_t counted = type <= kLastMsgType ? type : 0;
  requests_[counted].fetch_add(1, std::memory_order_relaxed);
  std::vector<uint8_t> reply = DispatchUncounted(type, payload);
  // The errcode is the reply header's last field.
  if (reply.size() >= kHeaderSize && (reply[12] | reply[13] | reply[14] | reply[15]) != 0) {
    errors_[counted].fetch_add(1, std::memory_order_relaxed);
  }
  return reply;
}

std::vector<uint8_t> UnixServer::DispatchUncounted(uint16_t type, std::span<const uint8_t> payload) {
  try {
    return handler_(type, payload);
  } catch (const std::bad_alloc&) {
    return EncodeErrorReply(type, MakeError(ENOMEM, "out of memory"));
  } catch (const std::exception& e) {
    Log(LogLevel::kError, "ctl: request %u failed: %s", type, e.what());
    return EncodeErrorReply(type, MakeError(EIO, e.what()));
  }
}

void UnixServer::Queue(Client& c, std::vector<uint8_t> frame) {
  if (c.out_pos >= c.out.size()) {
    c.out = std::move(frame);
    c.out_pos = 0;
  } else {
    c.out.insert(c.out.end(), frame.begin(), frame.end());
  }
}

}  // namespace ipvsd::ctl
