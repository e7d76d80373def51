// File: health/net_probes.cc
#include "health/net_probes.h"

#include <netinet/icmp6.h>
#include <netinet/in.h>
#include <netinet/ip_icmp.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cctype>
#include <cerrno>
#include <cstring>
#include <random>

#include "net/checksum.h"

namespace ipvsd::health {
namespace {

ProbeOutcome Fail(std::string detail) { return ProbeOutcome{false, std::move(detail), {}, -1}; }
ProbeOutcome Pass(std::string detail) { return ProbeOutcome{true, std::move(detail), {}, -1}; }

// A non-blocking socket from SOURCE connecting to TO; -1 and DETAIL set when it failed at once.
int ConnectSocket(const net::Endpoint& to, const SourceBinding& source, int type, std::string* detail) {
  sockaddr_storage ss;
  const socklen_t len = ToSockaddr(to, &ss);
  const int fd = socket(ss.ss_family, type | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) {
    *detail = std::string("socket: ") + std::strerror(errno);
    return -1;
  }
  if (std::string error = BindSource(fd, to.addr.family, source); !error.empty()) {
    *detail = std::move(error);
    close(fd);
    return -1;
  }
  if (connect(fd, reinterpret_cast<const sockaddr*>(&ss), len) < 0 && errno != EINPROGRESS) {
    *detail = "connect " + to.ToString() + ": " + std::strerror(errno);
    close(fd);
    return -1;
  }
  return fd;
}

// The connect of a non-blocking stream socket finished: its error, or empty.
std::string ConnectError(int fd) {
  int err = 0;
  socklen_t len = sizeof(err);
  if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len) < 0) err = errno;
  return err == 0 ? std::string() : std::string("connect: ") + std::strerror(err);
}

// One client context for every SSL_GET: no certificate verification (keepalived's SSL_GET
// does none either), and a peer closing without close_notify simply ends the reply.
SSL_CTX* ClientContext() {
  static SSL_CTX* ctx = [] {
    SSL_CTX* c = SSL_CTX_new(TLS_client_method());
    if (c != nullptr) {
      SSL_CTX_set_verify(c, SSL_VERIFY_NONE, nullptr);
#ifdef SSL_OP_IGNORE_UNEXPECTED_EOF
      SSL_CTX_set_options(c, SSL_OP_IGNORE_UNEXPECTED_EOF);
#endif
    }
    return c;
  }();
  return ctx;
}

std::string SslErrors() {
  std::string out;
  while (const unsigned long e = ERR_get_error()) {
    char buf[256];
    ERR_error_string_n(e, buf, sizeof(buf));
    if (!out.empty()) out += "; ";
    out += buf;
  }
  return out;
}

}  // namespace

// ---- TlsProbe ----

std::unique_ptr<Probe> TlsProbe::Start(const net::Endpoint& to, std::string sni, std::string request, size_t max_reply,
                                       uint64_t deadline_ns, const SourceBinding& source) {
  std::string detail;
  const int fd = ConnectSocket(to, source, SOCK_STREAM, &detail);
  if (fd < 0) return FinishedProbe(Fail(detail), deadline_ns);
  return std::unique_ptr<Probe>(new TlsProbe(fd, std::move(sni), std::move(request), max_reply, deadline_ns));
}

TlsProbe::~TlsProbe() {
  if (ssl_ != nullptr) SSL_free(ssl_);
  if (fd_ >= 0) close(fd_);
}

std::optional<ProbeOutcome> TlsProbe::Blocked(int r, const char* what) {
  const int err = SSL_get_error(ssl_, r);
  if (err == SSL_ERROR_WANT_READ) {
    events_ = POLLIN;
    return std::nullopt;
  }
  if (err == SSL_ERROR_WANT_WRITE) {
    events_ = POLLOUT;
    return std::nullopt;
  }
  std::string why = SslErrors();
  if (why.empty()) why = err == SSL_ERROR_SYSCALL && errno != 0 ? std::strerror(errno) : "connection closed";
  return Fail(std::string(what) + ": " + why);
}

std::optional<ProbeOutcome> TlsProbe::OnReady(short revents) {
  if (phase_ == Phase::kConnecting) {
    if (std::string e = ConnectError(fd_); !e.empty()) return Fail(e);
    if (!(revents & POLLOUT)) return std::nullopt;
    SSL_CTX* ctx = ClientContext();
    if (ctx == nullptr || (ssl_ = SSL_new(ctx)) == nullptr || SSL_set_fd(ssl_, fd_) != 1) {
      return Fail("TLS setup: " + SslErrors());
    }
    if (!sni_.empty() && SSL_set_tlsext_host_name(ssl_, sni_.c_str()) != 1) {
      return Fail("TLS server name '" + sni_ + "': " + SslErrors());
    }
    phase_ = Phase::kHandshake;
  }
  return Step();
}

std::optional<ProbeOutcome> TlsProbe::Step() {
  // Other probes share this thread's OpenSSL error queue: start each step from a clean one.
  ERR_clear_error();
  for (;;) {
    errno = 0;
    if (phase_ == Phase::kHandshake) {
      const int r = SSL_connect(ssl_);
      if (r != 1) return Blocked(r, "TLS handshake");
      phase_ = Phase::kSending;
    } else if (phase_ == Phase::kSending) {
      const int r = SSL_write(ssl_, request_.data() + sent_, static_cast<int>(request_.size() - sent_));
      if (r <= 0) return Blocked(r, "TLS send");
      sent_ += static_cast<size_t>(r);
      if (sent_ == request_.size()) phase_ = Phase::kReading;
    } else {
      char buf[4096];
      const int r = SSL_read(ssl_, buf, sizeof(buf));
      if (r <= 0) {
        const int err = SSL_get_error(ssl_, r);
        // The end of the reply: close_notify, or (HTTP/1.0 servers often do) a plain close.
        if (err == SSL_ERROR_ZERO_RETURN || (err == SSL_ERROR_SYSCALL && errno == 0 && ERR_peek_error() == 0)) {
          ProbeOutcome out = Pass("reply read");
          out.reply = std::move(reply_);
          return out;
        }
        return Blocked(r, "TLS read");
      }
      reply_.append(buf, static_cast<size_t>(r));
      if (reply_.size() >= max_reply_) {
        reply_.resize(max_reply_);
        ProbeOutcome out = Pass("reply truncated");
        out.reply = std::move(reply_);
        return out;
      }
    }
  }
}

ProbeOutcome TlsProbe::OnTimeout() {
  switch (phase_) {
    case Phase::kConnecting: return Fail("connect timed out");
    case Phase::kHandshake: return Fail("TLS handshake timed out");
    default: return Fail("reply timed out");
  }
}

// ---- SmtpProbe ----

std::optional<int> TakeSmtpReply(std::string* buf) {
  size_t start = 0;
  for (;;) {
    const size_t nl = buf->find('\n', start);
    if (nl == std::string::npos) return std::nullopt;
    const std::string_view line(buf->data() + start, nl - start);
    const bool more = line.size() > 3 && line[3] == '-';
    if (!more) {
      int code = 0;
      if (line.size() >= 3 && std::isdigit(static_cast<unsigned char>(line[0])) &&
          std::isdigit(static_cast<unsigned char>(line[1])) && std::isdigit(static_cast<unsigned char>(line[2])) &&
          (line.size() == 3 || line[3] == ' ' || line[3] == '\r')) {
        code = (line[0] - '0') * 100 + (line[1] - '0') * 10 + (line[2] - '0');
      }
      buf->erase(0, nl + 1);
      return code;
    }
    start = nl + 1;
  }
}

std::unique_ptr<Probe> SmtpProbe::Start(const net::Endpoint& to, const std::string& helo_name, uint64_t deadline_ns,
                                        const SourceBinding& source) {
  std::string detail;
  const int fd = ConnectSocket(to, source, SOCK_STREAM, &detail);
  if (fd < 0) return FinishedProbe(Fail(detail), deadline_ns);
  return std::unique_ptr<Probe>(new SmtpProbe(fd, "HELO " + helo_name + "\r\n", deadline_ns));
}

SmtpProbe::~SmtpProbe() {
  if (fd_ >= 0) close(fd_);
}

short SmtpProbe::events() const { return phase_ == Phase::kConnecting || sending_ ? POLLOUT : POLLIN; }

std::optional<ProbeOutcome> SmtpProbe::OnReady(short revents) {
  if (phase_ == Phase::kConnecting) {
    if (std::string e = ConnectError(fd_); !e.empty()) return Fail(e);
    if (!(revents & POLLOUT)) return std::nullopt;
    phase_ = Phase::kGreeting;
    return std::nullopt;
  }
  if (sending_) {
    const ssize_t n = send(fd_, helo_.data() + sent_, helo_.size() - sent_, MSG_NOSIGNAL);
    if (n < 0) {
      if (errno == EAGAIN || errno == EINTR) return std::nullopt;
      return Fail(std::string("send: ") + std::strerror(errno));
    }
    sent_ += static_cast<size_t>(n);
    if (sent_ == helo_.size()) sending_ = false;
    return std::nullopt;
  }
  char buf[1024];
  const ssize_t n = recv(fd_, buf, sizeof(buf), 0);
  if (n < 0) {
    if (errno == EAGAIN || errno == EINTR) return std::nullopt;
    return Fail(std::string("recv: ") + std::strerror(errno));
  }
  if (n == 0) return Fail(phase_ == Phase::kGreeting ? "closed before the greeting" : "closed before the HELO reply");
  in_.append(buf, static_cast<size_t>(n));
  if (in_.size() > 65536) return Fail("SMTP reply too long");
  const std::optional<int> code = TakeSmtpReply(&in_);
  if (!code) return std::nullopt;
  if (phase_ == Phase::kGreeting) {
    if (*code != 220) return Fail(*code == 0 ? "malformed SMTP greeting" : "SMTP greeting " + std::to_string(*code));
    phase_ = Phase::kHelo;
    sending_ = true;
    return std::nullopt;
  }
  if (*code != 250) return Fail(*code == 0 ? "malformed HELO reply" : "HELO reply " + std::to_string(*code));
  // Polite goodbye; the verdict does not wait for it.
  static constexpr char kQuit[] = "QUIT\r\n";
  (void)!send(fd_, kQuit, sizeof(kQuit) - 1, MSG_NOSIGNAL | MSG_DONTWAIT);
  return Pass("HELO reply 250");
}

ProbeOutcome SmtpProbe::OnTimeout() {
  switch (phase_) {
    case Phase::kConnecting: return Fail("connect timed out");
    case Phase::kGreeting: return Fail("greeting timed out");
    default: return Fail("HELO reply timed out");
  }
}

// ---- DatagramProbe ----

std::unique_ptr<Probe> DatagramProbe::Start(const net::Endpoint& to, const std::string& payload, Judge judge,
                                            bool silence_passes, uint64_t deadline_ns, const SourceBinding& source) {
  std::string detail;
  const int fd = ConnectSocket(to, source, SOCK_DGRAM, &detail);
  if (fd < 0) return FinishedProbe(Fail(detail), deadline_ns);
  if (send(fd, payload.data(), payload.size(), MSG_NOSIGNAL) < 0) {
    const int e = errno;
    close(fd);
    return FinishedProbe(Fail("send to " + to.ToString() + ": " + std::strerror(e)), deadline_ns);
  }
  return std::unique_ptr<Probe>(new DatagramProbe(fd, std::move(judge), silence_passes, deadline_ns));
}

DatagramProbe::~DatagramProbe() {
  if (fd_ >= 0) close(fd_);
}

std::optional<ProbeOutcome> DatagramProbe::OnReady(short) {
  for (;;) {
    char buf[65536];
    const ssize_t n = recv(fd_, buf, sizeof(buf), 0);
    if (n < 0) {
      if (errno == EAGAIN || errno == EINTR) return std::nullopt;
      if (errno == ECONNREFUSED) return Fail("port unreachable (ICMP)");
      return Fail(std::string("recv: ") + std::strerror(errno));
    }
    if (std::optional<ProbeOutcome> out = judge_(std::string_view(buf, static_cast<size_t>(n)))) return out;
  }
}

ProbeOutcome DatagramProbe::OnTimeout() {
  return silence_passes_ ? Pass("no ICMP error") : Fail("no reply");
}

ProbeOutcome JudgeUdpReply(std::string_view reply, const CheckerConfig& c) {
  if (reply.size() < static_cast<size_t>(c.min_reply_length) || reply.size() > static_cast<size_t>(c.max_reply_length)) {
    return Fail("reply of " + std::to_string(reply.size()) + " bytes, outside " + std::to_string(c.min_reply_length) +
                ".." + std::to_string(c.max_reply_length));
  }
  const size_t n = std::min(reply.size(), c.reply_prefix.size());
  for (size_t i = 0; i < n; ++i) {
    const uint8_t ignored = i < c.reply_mask.size() ? static_cast<uint8_t>(c.reply_mask[i]) : 0;
    if ((static_cast<uint8_t>(reply[i] ^ c.reply_prefix[i]) & ~ignored) != 0) {
      return Fail("reply does not match at byte " + std::to_string(i));
    }
  }
  return Pass("reply of " + std::to_string(reply.size()) + " bytes");
}

uint16_t RandomQueryId() {
  static std::mt19937 rng{std::random_device{}()};
  return static_cast<uint16_t>(rng());
}

std::string DnsQuery(uint16_t id, const std::string& name, uint16_t type) {
  std::string q;
  auto put16 = [&q](uint16_t v) {
    q.push_back(static_cast<char>(v >> 8));
    q.push_back(static_cast<char>(v & 0xff));
  };
  put16(id);
  put16(0x0100);  // RD
  put16(1);       // QDCOUNT
  put16(0);
  put16(0);
  put16(0);
  for (size_t start = 0; start < name.size();) {
    size_t dot = name.find('.', start);
    if (dot == std::string::npos) dot = name.size();
    if (dot > start) {
      q.push_back(static_cast<char>(dot - start));
      q.append(name, start, dot - start);
    }
    start = dot + 1;
  }
  q.push_back('\0');
  put16(type);
  put16(1);  // IN
  return q;
}

std::optional<ProbeOutcome> JudgeDnsReply(std::string_view reply, uint16_t id) {
  if (reply.size() < 12) return std::nullopt;
  const auto byte = [&](size_t i) { return static_cast<uint8_t>(reply[i]); };
  if ((byte(0) << 8 | byte(1)) != id) return std::nullopt;
  if (!(byte(2) & 0x80)) return std::nullopt;  // QR: a query, not our answer
  const int rcode = byte(3) & 0x0f;
  if (rcode != 0) return Fail("DNS RCODE " + std::to_string(rcode));
  return Pass("DNS NOERROR");
}

// ---- PingProbe ----

std::unique_ptr<Probe> PingProbe::Start(const net::IpAddr& to, uint64_t deadline_ns, const SourceBinding& source) {
  const bool v6 = to.is_v6();
  const int family = v6 ? AF_INET6 : AF_INET;
  const int proto = v6 ? static_cast<int>(IPPROTO_ICMPV6) : static_cast<int>(IPPROTO_ICMP);
  bool raw = false;
  int fd = socket(family, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, proto);
  if (fd < 0 && (errno == EACCES || errno == EPERM || errno == EPROTONOSUPPORT)) {
    raw = true;
    fd = socket(family, SOCK_RAW | SOCK_NONBLOCK | SOCK_CLOEXEC, proto);
  }
  if (fd < 0) {
    return FinishedProbe(Fail(std::string("no ICMP socket (ping_group_range excludes us and raw sockets need "
                                          "CAP_NET_RAW): ") +
                              std::strerror(errno)),
                         deadline_ns);
  }
  if (std::string error = BindSource(fd, to.family, source); !error.empty()) {
    close(fd);
    return FinishedProbe(Fail(error), deadline_ns);
  }
  sockaddr_storage ss;
  const socklen_t len = ToSockaddr(net::Endpoint{to, 0}, &ss);
  if (connect(fd, reinterpret_cast<const sockaddr*>(&ss), len) < 0) {
    const int e = errno;
    close(fd);
    return FinishedProbe(Fail("connect " + to.ToString() + ": " + std::strerror(e)), deadline_ns);
  }
  static std::atomic<uint16_t> next_seq{1};
  const uint16_t id = RandomQueryId();
  const uint16_t seq = next_seq++;
  uint8_t pkt[24] = {};
  pkt[0] = v6 ? ICMP6_ECHO_REQUEST : ICMP_ECHO;
  pkt[4] = static_cast<uint8_t>(id >> 8);
  pkt[5] = static_cast<uint8_t>(id & 0xff);
  pkt[6] = static_cast<uint8_t>(seq >> 8);
  pkt[7] = static_cast<uint8_t>(seq & 0xff);
  std::memcpy(pkt + 8, "ipvs-healthd pin", 16);
  if (!v6) {  // ICMPv6 checksums are the kernel's (they cover the pseudo-header)
    const uint16_t sum = net::InternetChecksum(pkt, sizeof(pkt));
    pkt[2] = static_cast<uint8_t>(sum >> 8);
    pkt[3] = static_cast<uint8_t>(sum & 0xff);
  }
  if (send(fd, pkt, sizeof(pkt), 0) < 0) {
    const int e = errno;
    close(fd);
    return FinishedProbe(Fail("send echo to " + to.ToString() + ": " + std::strerror(e)), deadline_ns);
  }
  return std::unique_ptr<Probe>(new PingProbe(fd, v6, raw, id, seq, deadline_ns));
}

PingProbe::~PingProbe() {
  if (fd_ >= 0) close(fd_);
}

std::optional<ProbeOutcome> PingProbe::OnReady(short) {
  for (;;) {
    uint8_t buf[2048];
    const ssize_t n = recv(fd_, buf, sizeof(buf), 0);
    if (n < 0) {
      if (errno == EAGAIN || errno == EINTR) return std::nullopt;
      return Fail(std::string("recv: ") + std::strerror(errno));
    }
    size_t off = 0;
    if (raw_ && !v6_) {  // a raw IPv4 socket reads the IP header too
      if (n < 20) continue;
      off = static_cast<size_t>(buf[0] & 0x0f) * 4;
    }
    if (static_cast<size_t>(n) < off + 8) continue;
    const uint8_t* icmp = buf + off;
    if (icmp[0] != (v6_ ? ICMP6_ECHO_REPLY : ICMP_ECHOREPLY)) continue;  // our own request on lo, errors
    const uint16_t id = static_cast<uint16_t>(icmp[4] << 8 | icmp[5]);
    const uint16_t seq = static_cast<uint16_t>(icmp[6] << 8 | icmp[7]);
    // A ping socket's kernel matched the id (it replaced ours with its own); a raw one did not.
    if ((raw_ && id != id_) || seq != seq_) continue;
    return Pass("echo reply");
  }
}

ProbeOutcome PingProbe::OnTimeout() { return Fail("no echo reply"); }

}  // namespace ipvsd::health
