#include "ctl/client.h"

#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace ipvsd::ctl {

Result<Client> Client::Connect(const std::string& path) {
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
  return Client(fd);
}

Client& Client::operator=(Client&& other) noexcept {
  if (this != &other) {
    if (fd_ >= 0) ::close(fd_);
    fd_ = other.fd_;
    other.fd_ = -1;
  }
  return *this;
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
      return MakeError(errno, std::string("send: ") + std::strerror(errno));
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
      return MakeError(errno, std::string("recv: ") + std::strerror(errno));
    }
    done += static_cast<size_t>(n);
  }
  return Ok();
}

Result<std::vector<uint8_t>> Client::Exchange(MsgType type, const std::vector<uint8_t>& frame) {
  if (fd_ < 0) return MakeError(ENOTCONN, "not connected");
  if (Status st = WriteAll(frame); !st) return st.error();
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
