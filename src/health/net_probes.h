// File: health/net_probes.h
//
// The probes behind SSL_GET, SMTP_CHECK, UDP_CHECK, DNS_CHECK and PING_CHECK, driven by the
// daemon's poll loop like those of health/probe.h: non-blocking, one deadline each, each bound
// to its checker's bindto / bind_port / bind_if (health/probe.h BindSource) when it has them.
//
//   TlsProbe       connect, TLS handshake (OpenSSL, optional SNI), send an HTTP request, read
//                  the reply to EOF; judged by EvaluateHttp as HTTP_GET's. Like keepalived's
//                  SSL_GET (check_ssl.c), the server's certificate is not verified: the check
//                  is about the service answering, not about trusting it.
//   SmtpProbe      read the 220 greeting, send "HELO name", expect 250, send QUIT
//                  (keepalived's check_smtp.c).
//   DatagramProbe  a connected UDP socket: send one datagram and judge the reply (UDP_CHECK,
//                  DNS_CHECK). An ICMP port unreachable (ECONNREFUSED) fails; silence until the
//                  deadline passes only where keepalived lets it (UDP_CHECK without
//                  require_reply).
//   PingProbe      one ICMP / ICMPv6 echo: an unprivileged ping socket where the system allows
//                  it (net.ipv4.ping_group_range), else a raw socket (root / CAP_NET_RAW).
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "health/config.h"
#include "health/probe.h"
#include "net/ip_addr.h"

typedef struct ssl_st SSL;

namespace ipvsd::health {

class TlsProbe final : public Probe {
 public:
  // SNI empty: no server name is sent.
  static std::unique_ptr<Probe> Start(const net::Endpoint& to, std::string sni, std::string request, size_t max_reply,
                                      uint64_t deadline_ns, const SourceBinding& source = {});
  ~TlsProbe() override;
  int fd() const override { return fd_; }
  short events() const override { return events_; }
  std::optional<ProbeOutcome> OnReady(short revents) override;
  ProbeOutcome OnTimeout() override;

 private:
  TlsProbe(int fd, std::string sni, std::string request, size_t max_reply, uint64_t deadline_ns)
      : Probe(deadline_ns), fd_(fd), sni_(std::move(sni)), request_(std::move(request)), max_reply_(max_reply) {}
  // Runs the TLS steps until one would block (nullopt) or the probe is finished.
  std::optional<ProbeOutcome> Step();
  // SSL_get_error's verdict on R: nullopt to wait (events_ set), else the failure.
  std::optional<ProbeOutcome> Blocked(int r, const char* what);

  enum class Phase : uint8_t { kConnecting, kHandshake, kSending, kReading };
  int fd_ = -1;
  SSL* ssl_ = nullptr;
  std::string sni_;
  std::string request_;
  size_t max_reply_;
  size_t sent_ = 0;
  std::string reply_;
  Phase phase_ = Phase::kConnecting;
  short events_ = 0x004;  // POLLOUT
};

class SmtpProbe final : public Probe {
 public:
  static std::unique_ptr<Probe> Start(const net::Endpoint& to, const std::string& helo_name, uint64_t deadline_ns,
                                      const SourceBinding& source = {});
  ~SmtpProbe() override;
  int fd() const override { return fd_; }
  short events() const override;
  std::optional<ProbeOutcome> OnReady(short revents) override;
  ProbeOutcome OnTimeout() override;

 private:
  SmtpProbe(int fd, std::string helo, uint64_t deadline_ns) : Probe(deadline_ns), fd_(fd), helo_(std::move(helo)) {}
  enum class Phase : uint8_t { kConnecting, kGreeting, kHelo };
  int fd_ = -1;
  std::string helo_;  // "HELO name\r\n"
  size_t sent_ = 0;
  bool sending_ = false;
  std::string in_;
  Phase phase_ = Phase::kConnecting;
};

// The code of the first complete SMTP reply in BUF (its last line "NNN text", after any
// "NNN-text" lines), removing it from BUF; nullopt while incomplete; 0 when malformed.
std::optional<int> TakeSmtpReply(std::string* buf);

class DatagramProbe final : public Probe {
 public:
  // JUDGE sees each datagram that arrives: an outcome finishes the probe, nullopt waits for
  // another (a DNS reply with another id). SILENCE_PASSES: the deadline passing without a
  // reply or an ICMP error is a success (UDP_CHECK without require_reply).
  using Judge = std::function<std::optional<ProbeOutcome>(std::string_view)>;
  static std::unique_ptr<Probe> Start(const net::Endpoint& to, const std::string& payload, Judge judge,
                                      bool silence_passes, uint64_t deadline_ns, const SourceBinding& source = {});
  ~DatagramProbe() override;
  int fd() const override { return fd_; }
  short events() const override { return 0x001; }  // POLLIN
  std::optional<ProbeOutcome> OnReady(short revents) override;
  ProbeOutcome OnTimeout() override;

 private:
  DatagramProbe(int fd, Judge judge, bool silence_passes, uint64_t deadline_ns)
      : Probe(deadline_ns), fd_(fd), judge_(std::move(judge)), silence_passes_(silence_passes) {}
  int fd_ = -1;
  Judge judge_;
  bool silence_passes_;
};

// UDP_CHECK with require_reply: length within [min_reply_length, max_reply_length] and, with
// a reply pattern, the reply's first bytes equal it (only as many as the reply has, and
// bits set in reply_mask not compared, as keepalived's check_udp_reply compares).
ProbeOutcome JudgeUdpReply(std::string_view reply, const CheckerConfig& c);

// A fresh DNS query id.
uint16_t RandomQueryId();
// A DNS query (RD set, class IN) for NAME ("." is the root) of TYPE with ID.
std::string DnsQuery(uint16_t id, const std::string& name, uint16_t type);
// keepalived's dns_recv_thread: a datagram too short, with another id or not a response is not
// the answer (nullopt); a response with RCODE 0 passes, any other RCODE fails.
std::optional<ProbeOutcome> JudgeDnsReply(std::string_view reply, uint16_t id);

class PingProbe final : public Probe {
 public:
  // SOURCE: its address and interface (ICMP has no ports).
  static std::unique_ptr<Probe> Start(const net::IpAddr& to, uint64_t deadline_ns, const SourceBinding& source = {});
  ~PingProbe() override;
  int fd() const override { return fd_; }
  short events() const override { return 0x001; }  // POLLIN
  std::optional<ProbeOutcome> OnReady(short revents) override;
  ProbeOutcome OnTimeout() override;

 private:
  PingProbe(int fd, bool v6, bool raw, uint16_t id, uint16_t seq, uint64_t deadline_ns)
      : Probe(deadline_ns), fd_(fd), v6_(v6), raw_(raw), id_(id), seq_(seq) {}
  int fd_ = -1;
  bool v6_;
  bool raw_;      // raw socket: the kernel does not match replies to us, we do
  uint16_t id_;
  uint16_t seq_;
};

}  // namespace ipvsd::health
