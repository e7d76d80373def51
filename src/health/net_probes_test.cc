// File: health/net_probes_test.cc
//
// SSL_GET, SMTP_CHECK, UDP_CHECK, DNS_CHECK and PING_CHECK against real sockets on 127.0.0.1
// and ::1: each passes against a server that answers as it should and fails against a closed
// port, a wrong answer or silence (so none of them can pass without checking).
#include "health/net_probes.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <openssl/evp.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <poll.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <functional>
#include <string>
#include <thread>

#include "health/md5.h"

namespace ipvsd::health {
namespace {

uint64_t MonoNs() {
  timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<uint64_t>(ts.tv_sec) * 1'000'000'000 + static_cast<uint64_t>(ts.tv_nsec);
}
uint64_t In(double seconds) { return MonoNs() + static_cast<uint64_t>(seconds * 1e9); }

// What the daemon's loop does for one probe: poll until an outcome or the deadline.
ProbeOutcome Drive(std::unique_ptr<Probe> p) {
  for (;;) {
    const uint64_t now = MonoNs();
    if (now >= p->deadline_ns()) return p->OnTimeout();
    pollfd pfd{p->fd(), p->events(), 0};
    const int ms = static_cast<int>((p->deadline_ns() - now) / 1'000'000) + 1;
    if (poll(&pfd, 1, ms) < 0) return p->OnTimeout();
    if (pfd.revents != 0) {
      if (std::optional<ProbeOutcome> out = p->OnReady(pfd.revents)) return *out;
    }
  }
}

net::Endpoint Ep(const char* ip, uint16_t port) { return net::Endpoint{*net::IpAddr::Parse(ip), port}; }

// A socket of TYPE bound to IP on a free port; its port in *PORT.
int Bound(const char* ip, int type, uint16_t* port) {
  sockaddr_storage ss;
  const socklen_t len = ToSockaddr(Ep(ip, 0), &ss);
  const int fd = socket(ss.ss_family, type | SOCK_CLOEXEC, 0);
  EXPECT_GE(fd, 0);
  EXPECT_EQ(bind(fd, reinterpret_cast<sockaddr*>(&ss), len), 0);
  socklen_t l = sizeof(ss);
  getsockname(fd, reinterpret_cast<sockaddr*>(&ss), &l);
  *port = ntohs(ss.ss_family == AF_INET6 ? reinterpret_cast<sockaddr_in6*>(&ss)->sin6_port
                                         : reinterpret_cast<sockaddr_in*>(&ss)->sin_port);
  return fd;
}

// A port nothing listens on (bound once, then closed).
uint16_t ClosedPort(const char* ip, int type) {
  uint16_t port = 0;
  close(Bound(ip, type, &port));
  return port;
}

// A TCP server on IP for one connection: HANDLER runs in a thread with the accepted socket
// (reads time out after 3 s, so a test never hangs).
class OneShotServer {
 public:
  OneShotServer(const char* ip, std::function<void(int)> handler) {
    listen_fd_ = Bound(ip, SOCK_STREAM, &port_);
    listen(listen_fd_, 4);
    thread_ = std::thread([this, handler = std::move(handler)] {
      pollfd pfd{listen_fd_, POLLIN, 0};
      if (poll(&pfd, 1, 5000) <= 0) return;
      const int fd = accept4(listen_fd_, nullptr, nullptr, SOCK_CLOEXEC);
      if (fd < 0) return;
      timeval tv{3, 0};
      setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
      handler(fd);
      close(fd);
    });
  }
  ~OneShotServer() {
    thread_.join();
    close(listen_fd_);
  }
  uint16_t port() const { return port_; }

 private:
  int listen_fd_ = -1;
  uint16_t port_ = 0;
  std::thread thread_;
};

// Reads from FD until TERMINATOR has arrived (or the peer stops).
std::string ReadUntil(int fd, const std::string& terminator) {
  std::string in;
  char buf[512];
  while (in.find(terminator) == std::string::npos) {
    const ssize_t n = recv(fd, buf, sizeof(buf), 0);
    if (n <= 0) break;
    in.append(buf, static_cast<size_t>(n));
  }
  return in;
}

// ---- SSL_GET ----

// A self-signed certificate and key made for the test, in a server context.
SSL_CTX* ServerContext() {
  static SSL_CTX* ctx = [] {
    EVP_PKEY* key = EVP_EC_gen("P-256");
    X509* cert = X509_new();
    ASN1_INTEGER_set(X509_get_serialNumber(cert), 1);
    X509_gmtime_adj(X509_getm_notBefore(cert), 0);
    X509_gmtime_adj(X509_getm_notAfter(cert), 3600);
    X509_set_pubkey(cert, key);
    X509_NAME* name = X509_get_subject_name(cert);
    X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC, reinterpret_cast<const unsigned char*>("healthd-test"), -1,
                               -1, 0);
    X509_set_issuer_name(cert, name);
    X509_sign(cert, key, EVP_sha256());
    SSL_CTX* c = SSL_CTX_new(TLS_server_method());
    SSL_CTX_use_certificate(c, cert);
    SSL_CTX_use_PrivateKey(c, key);
    X509_free(cert);
    EVP_PKEY_free(key);
    return c;
  }();
  return ctx;
}

struct TlsSeen {
  std::string request;
  std::string sni;
};

// An HTTPS server answering one request with REPLY; what it saw lands in *SEEN.
std::function<void(int)> HttpsHandler(std::string reply, TlsSeen* seen) {
  return [reply = std::move(reply), seen](int fd) {
    SSL* ssl = SSL_new(ServerContext());
    SSL_set_fd(ssl, fd);
    if (SSL_accept(ssl) == 1) {
      if (const char* sni = SSL_get_servername(ssl, TLSEXT_NAMETYPE_host_name)) seen->sni = sni;
      char buf[1024];
      while (seen->request.find("\r\n\r\n") == std::string::npos) {
        const int n = SSL_read(ssl, buf, sizeof(buf));
        if (n <= 0) break;
        seen->request.append(buf, static_cast<size_t>(n));
      }
      SSL_write(ssl, reply.data(), static_cast<int>(reply.size()));
      SSL_shutdown(ssl);
    }
    SSL_free(ssl);
  };
}

TEST(TlsProbe, PassesAgainstAnHttpsServerAndSendsSni) {
  TlsSeen seen;
  OneShotServer server("127.0.0.1", HttpsHandler("HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello", &seen));
  UrlCheck url;
  url.path = "/health";
  url.digest = Md5Hex("hello");
  const ProbeOutcome out = Drive(TlsProbe::Start(Ep("127.0.0.1", server.port()), "www.example",
                                                 HttpRequest(url, "www.example", "1.1"), 1 << 20, In(5)));
  ASSERT_TRUE(out.ok) << out.detail;
  EXPECT_TRUE(EvaluateHttp(out.reply, url).ok);
  EXPECT_EQ(seen.sni, "www.example");
  EXPECT_EQ(seen.request.rfind("GET /health HTTP/1.1\r\n", 0), 0u) << seen.request;
  EXPECT_NE(seen.request.find("Host: www.example\r\n"), std::string::npos);
}

TEST(TlsProbe, NoSniUnlessAsked) {
  TlsSeen seen;
  OneShotServer server("::1", HttpsHandler("HTTP/1.0 200 OK\r\n\r\n", &seen));
  UrlCheck url;
  const ProbeOutcome out =
      Drive(TlsProbe::Start(Ep("::1", server.port()), "", HttpRequest(url, "[::1]"), 1 << 20, In(5)));
  ASSERT_TRUE(out.ok) << out.detail;
  EXPECT_TRUE(EvaluateHttp(out.reply, url).ok);
  EXPECT_EQ(seen.sni, "");
}

TEST(TlsProbe, WrongStatusOrDigestOverTlsFails) {
  TlsSeen seen;
  OneShotServer server("127.0.0.1", HttpsHandler("HTTP/1.0 503 Busy\r\n\r\nbusy", &seen));
  UrlCheck url;
  const ProbeOutcome out =
      Drive(TlsProbe::Start(Ep("127.0.0.1", server.port()), "", HttpRequest(url, "h"), 1 << 20, In(5)));
  ASSERT_TRUE(out.ok) << out.detail;  // the transport worked ...
  EXPECT_FALSE(EvaluateHttp(out.reply, url).ok);  // ... the page did not
  url.statuses = {{503, 503}};
  url.digest = Md5Hex("not busy");
  EXPECT_FALSE(EvaluateHttp(out.reply, url).ok);
}

TEST(TlsProbe, ClosedPortFails) {
  const ProbeOutcome out = Drive(TlsProbe::Start(Ep("127.0.0.1", ClosedPort("127.0.0.1", SOCK_STREAM)), "",
                                                 HttpRequest(UrlCheck{}, "h"), 1 << 20, In(5)));
  EXPECT_FALSE(out.ok);
  EXPECT_NE(out.detail.find("connect"), std::string::npos) << out.detail;
}

// A plain HTTP server on the port: connecting works, TLS does not.
TEST(TlsProbe, PlainHttpServerFailsTheHandshake) {
  OneShotServer server("127.0.0.1", [](int fd) {
    ReadUntil(fd, "\n");
    const char reply[] = "HTTP/1.0 400 Bad Request\r\n\r\n";
    send(fd, reply, sizeof(reply) - 1, MSG_NOSIGNAL);
  });
  const ProbeOutcome out = Drive(
      TlsProbe::Start(Ep("127.0.0.1", server.port()), "", HttpRequest(UrlCheck{}, "h"), 1 << 20, In(5)));
  EXPECT_FALSE(out.ok);
  EXPECT_NE(out.detail.find("TLS handshake"), std::string::npos) << out.detail;
}

TEST(TlsProbe, SilentServerTimesOut) {
  OneShotServer server("127.0.0.1", [](int fd) { ReadUntil(fd, "never"); });
  const ProbeOutcome out = Drive(
      TlsProbe::Start(Ep("127.0.0.1", server.port()), "", HttpRequest(UrlCheck{}, "h"), 1 << 20, In(0.3)));
  EXPECT_FALSE(out.ok);
  EXPECT_EQ(out.detail, "TLS handshake timed out");
}

// ---- SMTP_CHECK ----

std::function<void(int)> SmtpHandler(std::string greeting, std::string helo_reply, std::string* helo_seen) {
  return [=](int fd) {
    send(fd, greeting.data(), greeting.size(), MSG_NOSIGNAL);
    *helo_seen = ReadUntil(fd, "\r\n");
    send(fd, helo_reply.data(), helo_reply.size(), MSG_NOSIGNAL);
    ReadUntil(fd, "QUIT\r\n");
  };
}

TEST(SmtpProbe, GreetingHeloQuitPasses) {
  std::string helo;
  OneShotServer server("127.0.0.1", SmtpHandler("220-mx.example ESMTP\r\n220 ready\r\n", "250 mx.example\r\n", &helo));
  const ProbeOutcome out = Drive(SmtpProbe::Start(Ep("127.0.0.1", server.port()), kDefaultHeloName, In(5)));
  EXPECT_TRUE(out.ok) << out.detail;
  EXPECT_EQ(helo, "HELO smtpchecker.keepalived.org\r\n");
}

TEST(SmtpProbe, WrongGreetingFails) {
  std::string helo;
  OneShotServer server("::1", SmtpHandler("554 no service\r\n", "250 ok\r\n", &helo));
  const ProbeOutcome out = Drive(SmtpProbe::Start(Ep("::1", server.port()), "me", In(5)));
  EXPECT_FALSE(out.ok);
  EXPECT_EQ(out.detail, "SMTP greeting 554");
}

TEST(SmtpProbe, RejectedHeloFails) {
  std::string helo;
  OneShotServer server("127.0.0.1", SmtpHandler("220 ready\r\n", "501 bad name\r\n", &helo));
  const ProbeOutcome out = Drive(SmtpProbe::Start(Ep("127.0.0.1", server.port()), "me.example", In(5)));
  EXPECT_FALSE(out.ok);
  EXPECT_EQ(out.detail, "HELO reply 501");
  EXPECT_EQ(helo, "HELO me.example\r\n");
}

TEST(SmtpProbe, ClosedPortAndSilenceFail) {
  EXPECT_FALSE(Drive(SmtpProbe::Start(Ep("127.0.0.1", ClosedPort("127.0.0.1", SOCK_STREAM)), "me", In(5))).ok);
  OneShotServer server("127.0.0.1", [](int fd) { ReadUntil(fd, "never"); });
  const ProbeOutcome out = Drive(SmtpProbe::Start(Ep("127.0.0.1", server.port()), "me", In(0.3)));
  EXPECT_FALSE(out.ok);
  EXPECT_EQ(out.detail, "greeting timed out");
}

TEST(SmtpReply, MultiLineRepliesAndGarbage) {
  std::string buf = "220-one\r\n220-two\r\n";
  EXPECT_FALSE(TakeSmtpReply(&buf));
  buf += "220 three\r\n250 next\r\n";
  EXPECT_EQ(TakeSmtpReply(&buf), 220);
  EXPECT_EQ(buf, "250 next\r\n");
  EXPECT_EQ(TakeSmtpReply(&buf), 250);
  buf = "hello\r\n";
  EXPECT_EQ(TakeSmtpReply(&buf), 0);
}

// ---- UDP_CHECK ----

// A UDP server on IP answering one datagram with REPLY (or not at all when REPLY is empty).
class UdpServer {
 public:
  UdpServer(const char* ip, std::function<std::string(const std::string&)> reply) {
    fd_ = Bound(ip, SOCK_DGRAM, &port_);
    thread_ = std::thread([this, reply = std::move(reply)] {
      pollfd pfd{fd_, POLLIN, 0};
      if (poll(&pfd, 1, 5000) <= 0) return;
      char buf[2048];
      sockaddr_storage from;
      socklen_t len = sizeof(from);
      const ssize_t n = recvfrom(fd_, buf, sizeof(buf), 0, reinterpret_cast<sockaddr*>(&from), &len);
      if (n < 0) return;
      received = std::string(buf, static_cast<size_t>(n));
      const std::string out = reply(received);
      if (!out.empty()) sendto(fd_, out.data(), out.size(), 0, reinterpret_cast<sockaddr*>(&from), len);
    });
  }
  ~UdpServer() {
    thread_.join();
    close(fd_);
  }
  uint16_t port() const { return port_; }
  std::string received;

 private:
  int fd_ = -1;
  uint16_t port_ = 0;
  std::thread thread_;
};

DatagramProbe::Judge UdpJudge(const CheckerConfig& c) {
  return [c](std::string_view reply) -> std::optional<ProbeOutcome> {
    if (!c.require_reply) return ProbeOutcome{true, "reply received", {}, -1};
    return JudgeUdpReply(reply, c);
  };
}

TEST(UdpCheck, RequiredReplyMatchingPasses) {
  CheckerConfig c;
  c.require_reply = true;
  c.reply_prefix = "PONG";
  UdpServer server("127.0.0.1", [](const std::string& in) { return in == "PING" ? "PONG!" : "nope"; });
  const ProbeOutcome out = Drive(DatagramProbe::Start(Ep("127.0.0.1", server.port()), "PING", UdpJudge(c), false, In(5)));
  EXPECT_TRUE(out.ok) << out.detail;
  EXPECT_EQ(server.received, "PING");
}

TEST(UdpCheck, WrongReplyFails) {
  CheckerConfig c;
  c.require_reply = true;
  c.reply_prefix = "PONG";
  UdpServer server("::1", [](const std::string&) { return "NOPE"; });
  const ProbeOutcome out = Drive(DatagramProbe::Start(Ep("::1", server.port()), "PING", UdpJudge(c), false, In(5)));
  EXPECT_FALSE(out.ok);
  EXPECT_EQ(out.detail, "reply does not match at byte 0");
}

// require_reply 50 XX 4e: the second byte (a counter, say) is not compared.
TEST(UdpCheck, MaskedNibblesAreNotCompared) {
  CheckerConfig c;
  c.require_reply = true;
  c.reply_prefix = std::string("P\0N", 3);
  c.reply_mask = std::string("\0\xff\0", 3);
  for (const std::string reply : {"PONG", "P\x01NG"}) {
    UdpServer server("127.0.0.1", [reply](const std::string&) { return reply; });
    const ProbeOutcome out = Drive(DatagramProbe::Start(Ep("127.0.0.1", server.port()), "x", UdpJudge(c), false, In(5)));
    EXPECT_TRUE(out.ok) << reply << ": " << out.detail;
  }
  UdpServer server("127.0.0.1", [](const std::string&) { return "POOG"; });
  const ProbeOutcome out = Drive(DatagramProbe::Start(Ep("127.0.0.1", server.port()), "x", UdpJudge(c), false, In(5)));
  EXPECT_FALSE(out.ok);
  EXPECT_EQ(out.detail, "reply does not match at byte 2");
}

TEST(UdpCheck, WithoutPayloadKeepalivedsFillerIsSent) {
  const CheckerConfig c;
  UdpServer server("127.0.0.1", [](const std::string&) { return "ok"; });
  const ProbeOutcome out =
      Drive(DatagramProbe::Start(Ep("127.0.0.1", server.port()), c.payload, UdpJudge(c), true, In(5)));
  EXPECT_TRUE(out.ok) << out.detail;
  EXPECT_EQ(server.received, "keepalived check - keepalived ch");
}

TEST(UdpCheck, ReplyLengthsAreChecked) {
  CheckerConfig c;
  c.require_reply = true;
  c.min_reply_length = 8;
  EXPECT_FALSE(JudgeUdpReply("short", c).ok);
  EXPECT_TRUE(JudgeUdpReply("long enough", c).ok);
  c.max_reply_length = 9;
  EXPECT_FALSE(JudgeUdpReply("long enough", c).ok);
}

TEST(UdpCheck, PortUnreachableFailsWithOrWithoutRequireReply) {
  CheckerConfig c;
  const uint16_t port = ClosedPort("127.0.0.1", SOCK_DGRAM);
  const ProbeOutcome out = Drive(DatagramProbe::Start(Ep("127.0.0.1", port), "x", UdpJudge(c), true, In(3)));
  EXPECT_FALSE(out.ok);
  EXPECT_EQ(out.detail, "port unreachable (ICMP)");
}

TEST(UdpCheck, SilencePassesOnlyWithoutRequireReply) {
  {
    UdpServer server("127.0.0.1", [](const std::string&) { return ""; });
    EXPECT_TRUE(Drive(DatagramProbe::Start(Ep("127.0.0.1", server.port()), "x", UdpJudge({}), true, In(0.3))).ok);
  }
  CheckerConfig c;
  c.require_reply = true;
  UdpServer server("127.0.0.1", [](const std::string&) { return ""; });
  const ProbeOutcome out = Drive(DatagramProbe::Start(Ep("127.0.0.1", server.port()), "x", UdpJudge(c), false, In(0.3)));
  EXPECT_FALSE(out.ok);
  EXPECT_EQ(out.detail, "no reply");
}

// ---- DNS_CHECK ----

TEST(DnsCheck, QueryEncoding) {
  const std::string q = DnsQuery(0x1234, "www.example.com", 1);
  EXPECT_EQ(q, std::string("\x12\x34\x01\x00\x00\x01\x00\x00\x00\x00\x00\x00"
                           "\x03www\x07" "example\x03" "com\x00\x00\x01\x00\x01",
                           12 + 17 + 4));
  // The root, keepalived's default name, and a trailing dot.
  EXPECT_EQ(DnsQuery(1, ".", 6).substr(12), std::string("\x00\x00\x06\x00\x01", 5));
  EXPECT_EQ(DnsQuery(1, "example.", 1), DnsQuery(1, "example", 1));
}

// Answers the query it gets: same id, QR set, RCODE; or with ID_DELTA another id.
std::function<std::string(const std::string&)> DnsResponder(int rcode, int id_delta = 0) {
  return [=](const std::string& q) {
    if (q.size() < 12) return std::string();
    std::string r = q;
    const uint16_t id = static_cast<uint16_t>((static_cast<uint8_t>(q[0]) << 8 | static_cast<uint8_t>(q[1])) + id_delta);
    r[0] = static_cast<char>(id >> 8);
    r[1] = static_cast<char>(id & 0xff);
    r[2] = static_cast<char>(static_cast<uint8_t>(r[2]) | 0x80);
    r[3] = static_cast<char>(rcode);
    return r;
  };
}

ProbeOutcome DnsProbe(const char* ip, uint16_t port, double timeout) {
  const uint16_t id = 0x4242;
  return Drive(DatagramProbe::Start(Ep(ip, port), DnsQuery(id, ".", kDnsTypeSoa),
                                    [id](std::string_view r) { return JudgeDnsReply(r, id); }, false, In(timeout)));
}

TEST(DnsCheck, NoErrorReplyPasses) {
  UdpServer server("127.0.0.1", DnsResponder(0));
  const ProbeOutcome out = DnsProbe("127.0.0.1", server.port(), 5);
  EXPECT_TRUE(out.ok) << out.detail;
  EXPECT_EQ(server.received, DnsQuery(0x4242, ".", kDnsTypeSoa));
}

TEST(DnsCheck, ServfailFails) {
  UdpServer server("::1", DnsResponder(2));
  const ProbeOutcome out = DnsProbe("::1", server.port(), 5);
  EXPECT_FALSE(out.ok);
  EXPECT_EQ(out.detail, "DNS RCODE 2");
}

TEST(DnsCheck, ReplyWithAnotherIdIsIgnoredAndTimesOut) {
  UdpServer server("127.0.0.1", DnsResponder(0, 1));
  const ProbeOutcome out = DnsProbe("127.0.0.1", server.port(), 0.5);
  EXPECT_FALSE(out.ok);
  EXPECT_EQ(out.detail, "no reply");
}

TEST(DnsCheck, ClosedPortFails) {
  EXPECT_FALSE(DnsProbe("127.0.0.1", ClosedPort("127.0.0.1", SOCK_DGRAM), 3).ok);
}

// ---- PING_CHECK ----

bool CanPing(int family) {
  const int proto = family == AF_INET6 ? static_cast<int>(IPPROTO_ICMPV6) : static_cast<int>(IPPROTO_ICMP);
  for (int type : {SOCK_DGRAM, SOCK_RAW}) {
    const int fd = socket(family, type, proto);
    if (fd >= 0) {
      close(fd);
      return true;
    }
  }
  return false;
}

TEST(PingCheck, LoopbackAnswers) {
  if (!CanPing(AF_INET)) GTEST_SKIP() << "no ICMP socket allowed here (ping_group_range, CAP_NET_RAW)";
  const ProbeOutcome v4 = Drive(PingProbe::Start(*net::IpAddr::Parse("127.0.0.1"), In(3)));
  EXPECT_TRUE(v4.ok) << v4.detail;
  if (CanPing(AF_INET6)) {
    const ProbeOutcome v6 = Drive(PingProbe::Start(*net::IpAddr::Parse("::1"), In(3)));
    EXPECT_TRUE(v6.ok) << v6.detail;
  }
}

// The broadcast address cannot be pinged without SO_BROADCAST: an error at once. A target
// that stays silent would have to be off this machine, where unit tests send nothing.
TEST(PingCheck, UnansweredEchoFails) {
  if (!CanPing(AF_INET)) GTEST_SKIP() << "no ICMP socket allowed here (ping_group_range, CAP_NET_RAW)";
  const ProbeOutcome refused = Drive(PingProbe::Start(*net::IpAddr::Parse("255.255.255.255"), In(0.5)));
  EXPECT_FALSE(refused.ok) << refused.detail;
}

}  // namespace
}  // namespace ipvsd::health
