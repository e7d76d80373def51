#include "ctl/client.h"

#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <sys/time.h>

#include <cerrno>
#include <cstdio>
#include <cstring>

namespace ipvsd::ctl {

Result<Client> Client::Connect(const std::string& path, std::chrono::milliseconds timeout) {
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  if (path.empty() || path.size() >= sizeof addr.sun_path) return MakeError(ENAMETOOLONG, "socket path too long");
  std::memcpy(addr.sun_path, path.data(), path.size());
  int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return MakeError(errno, std::strerror(errno));
  if (::connect(fd, reinterpret_cast<const sockaddr*>(&addr), sizeof addr) != 0) {
    int e = errno;
    ::close(fd);
    return MakeError(e, "connect " + path + ": " + std::strerror(e));
  }
  const auto us = std::chrono::duration_cast<std::chrono::microseconds>(timeout).count();
  const timeval tv{static_cast<time_t>(us / 1'000'000), static_cast<suseconds_t>(us % 1'000'000)};
  if (::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv) != 0 ||
      ::setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv) != 0) {
    int e = errno;
    ::close(fd);
    return MakeError(e, std::string("setsockopt: ") + std::strerror(e));
  }
  return Client(fd, timeout);
}

Client& Client::operator=(Client&& other) noexcept {
  if (this != &other) {
    if (fd_ >= 0) ::close(fd_);
    fd_ = other.fd_;
    timeout_ = other.timeout_;
    other.fd_ = -1;
  }
  return *this;
}

Error Client::TransportError(int err, const char* what) {
  if (err != EAGAIN && err != EWOULDBLOCK) return Error{err, std::string(what) + ": " + std::strerror(err)};
  ::close(fd_);
  fd_ = -1;
  char text[96];
  std::snprintf(text, sizeof text, "ipvsd did not answer within %.1f s (%s timed out)", timeout_.count() / 1000.0, what);
  return Error{ETIMEDOUT, text};
}

Client::~Client() {
  if (fd_ >= 0) ::close(fd_);
}

Status Client::WriteAll(std::span<const uint8_t> bytes) {
  size_t done = 0;
  while (done < bytes.size()) {
    ssize_t n = ::send(fd_, bytes.data() + done, bytes.size() - done, MSG_NOSIGNAL);
    if (n < 0) {
      if (errno == EINTR) continue;
      return TransportError(errno, "send");
    }
    done += static_cast<size_t>(n);
  }
  return Ok();
}

Status Client::ReadAll(std::span<uint8_t> bytes) {
  size_t done = 0;
  while (done < bytes.size()) {
    ssize_t n = ::recv(fd_, bytes.data() + done, bytes.size() - done, 0);
    if (n == 0) return MakeError(ECONNRESET, "daemon closed the connection");
    if (n < 0) {
      if (errno == EINTR) continue;
      return TransportError(errno, "recv");
    }
    done += static_cast<size_t>(n);
  }
  return Ok();
}

Result<std::vector<uint8_t>> Client::Exchange(MsgType type, const std::vector<uint8_t>& frame) {
  if (fd_ < 0) return MakeError(ENOTCONN, "not connected");
  Status sent = WriteAll(frame);
  if (sent) return ReadReply(type);
  // A server that refuses a peer answers at once and closes, so the send can fail while
  // the refusal is still waiting to be read: that refusal is the better error.
  const int code = sent.error().code;
  if (code != EPIPE && code != ECONNRESET) return sent.error();
  auto refusal = ReadReply(type);
  if (!refusal && refusal.error().code != ECONNRESET) return refusal.error();
  return sent.error();
}

Result<std::vector<uint8_t>> Client::ReadReply(MsgType type) {
  uint8_t raw[kHeaderSize];
  if (Status st = ReadAll(raw); !st) return st.error();
  auto header = DecodeHeader(raw, kMaxReplyPayload);
  if (!header) return header.error();
  std::vector<uint8_t> payload(header->length);
  if (Status st = ReadAll(payload); !st) return st.error();
  // An error reply may come for a request the server could not even read (type 0), so the
  // error code is checked before the type.
  if (header->errcode != 0) {
    return MakeError(static_cast<int>(header->errcode), DecodeErrorDetail(payload));
  }
  if (header->type != (static_cast<uint16_t>(type) | kReplyBit)) {
    return MakeError(EPROTO, "reply of type " + std::to_string(header->type) + " to request " +
                                 std::to_string(static_cast<uint16_t>(type)));
  }
  return payload;
}

}  // namespace ipvsd::ctl
