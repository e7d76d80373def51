// File: tests/e2e/e2e_peer.cc
//
// e2e_peer: the clients and servers of the namespace tests (tests/e2e/netns_lib.sh), one small
// program we control instead of socat, curl, ping or hping3 scripts. Every network call has a
// timeout, every loop a count, so a broken data plane makes a test fail, never hang.
//
//   e2e_peer serve PORT NAME          TCP and UDP on [::]:PORT (IPv4 too). TCP: "NAME\n" for each
//                                     line read, or an HTTP/1.0 answer with body "NAME\n" to GET.
//                                     UDP: "NAME\n" for each datagram. Runs until killed.
//   e2e_peer recv PORT FILE           accepts one TCP connection, writes what it reads to FILE
//                                     (socat -u TCP-LISTEN:PORT STDOUT > FILE)
//   e2e_peer send HOST PORT           sends stdin over one TCP connection (socat -u STDIN TCP:..)
//   e2e_peer tcp-names HOST PORT N    N connections, one line each; prints the name that answered
//                                     each ("-" for a failed one); exit 1 if any failed
//   e2e_peer udp-names HOST PORT N [--socket-each]
//                                     N datagrams from one socket (or a new socket each, all open
//                                     at once, so each is a flow of its own); prints
//                                     the answering names; exit 1 if any went unanswered
//   e2e_peer hold HOST PORT COUNT MS  one TCP connection, COUNT exchanges MS apart; prints each
//                                     answer as it comes; exit 1 at the first failure
//   e2e_peer pmtu HOST PORT SIZE      UDP datagrams of SIZE bytes with DF; prints "mtu N" once the
//                                     kernel has learned a smaller path MTU (ICMP frag needed /
//                                     packet too big came back); exit 1 if it never does
//   e2e_peer ping HOST COUNT          ICMP / ICMPv6 echo; exit 1 unless every echo is answered
//   e2e_peer udp-recv PORT            prints the first UDP datagram that arrives on [::]:PORT;
//                                     exit 1 if none does within the timeout
//   e2e_peer tunnel-udp TYPE OUTER_DST SRC SPORT DST DPORT TEXT
//                                     what a TUN director sends: a UDP datagram SRC:SPORT ->
//                                     DST:DPORT carrying TEXT, inside ipip, gre, gre-csum or gue
//                                     (port 6080) to OUTER_DST; the kernel adds the outer header
//   e2e_peer tunnel-junk OUTER_DST COUNT SEED
//                                     COUNT random payloads as IP protocols 4, 41, 47 and to UDP
//                                     port 6080 of OUTER_DST: what a decapsulator must survive
//   e2e_peer garbage IFACE DST_MAC SRC_IP VIP PORT COUNT SEED
//                                     COUNT malformed, truncated or random Ethernet frames towards
//                                     VIP:PORT, sent raw (AF_PACKET) out of IFACE to DST_MAC
//   e2e_peer syn-flood IFACE DST_MAC VIP PORT COUNT RATE SEED
//                                     COUNT TCP SYNs to VIP:PORT from distinct sources in
//                                     198.18.128.0/17 (addresses and ports in a seeded order), sent
//                                     raw out of IFACE to DST_MAC at most RATE per second
//   e2e_peer listen-range PORT COUNT  TCP on [::]:PORT .. PORT+COUNT-1, accepting and closing
//                                     every connection (what a TCP_CHECK needs). Runs until killed.
//   e2e_peer stream-serve PORT        TCP echo server on [::]:PORT: sends back every byte it reads,
//                                     closes after the client's FIN. Runs until killed.
//   e2e_peer streams HOST PORT N SECONDS
//                                     N long-lived TCP connections, each sending its own byte
//                                     pattern for SECONDS and checking the echo byte for byte, then
//                                     closing cleanly; a stream is broken by a reset, a wrong byte,
//                                     an early EOF or no echo for kStreamStallLimitMs. Prints
//                                     "streams: connected N" once all are up, a line per broken
//                                     stream, then "streams: ok=N broken=M bytes=B max_stall_ms=X"
//                                     (the longest wait for an echo); exit 1 if any broke
//   e2e_peer udp-flows HOST PORT N SECONDS
//                                     N UDP flows (a socket each) to a serve, a datagram per flow
//                                     every 100 ms for SECONDS; a flow whose answers come from
//                                     another server than its first has moved. Prints a line per
//                                     moved flow, then "udp-flows: flows=N moved=M sent=S
//                                     answered=A max_gap_ms=X" (the longest wait between a flow's
//                                     answers); exit 1 if a flow moved or was never answered
//   e2e_peer conn-load HOST PORT SECONDS RATE
//                                     new TCP connections to a serve at RATE per second for
//                                     SECONDS, each asking one line; prints "conn-load: tried=T
//                                     failed=F slow=S max_ms=X" (slow: over 900 ms, a SYN that was
//                                     retransmitted); exit 1 if any failed
//   e2e_peer bulk HOST PORT MBYTES    one TCP connection to a stream-serve echo: sends MBYTES MB of
//                                     its byte pattern as fast as the connection takes it and checks
//                                     every echoed byte; prints "bulk: bytes=B mbit_s=R" (R: echoed
//                                     bits over the whole time); exit 1 on a wrong byte, an error or
//                                     no progress for kStreamStallLimitMs
#include <arpa/inet.h>
#include <fcntl.h>
#include <net/if.h>
#include <netdb.h>
#include <netinet/icmp6.h>
#include <netinet/in.h>
#include <netinet/ip_icmp.h>
#include <linux/if_packet.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <cerrno>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <random>
#include <string>
#include <thread>
#include <vector>

namespace {

// Long enough for a connection whose first SYN and first SYN-ACK each waited for ARP/ND
// (ipvsd drops a packet whose next hop is still unresolved; TCP retransmits after 1 s).
constexpr int kIoTimeoutMs = 4000;
constexpr int kMaxServerConnections = 512;

[[noreturn]] void Die(const std::string& what) {
  std::fprintf(stderr, "e2e_peer: %s: %s\n", what.c_str(), std::strerror(errno));
  std::exit(1);
}

struct Address {
  sockaddr_storage ss{};
  socklen_t len = 0;
  int family = AF_UNSPEC;
};

Address ParseAddress(const char* host, int port) {
  Address a;
  auto* v4 = reinterpret_cast<sockaddr_in*>(&a.ss);
  auto* v6 = reinterpret_cast<sockaddr_in6*>(&a.ss);
  if (inet_pton(AF_INET, host, &v4->sin_addr) == 1) {
    v4->sin_family = AF_INET;
    v4->sin_port = htons(static_cast<uint16_t>(port));
    a.len = sizeof(sockaddr_in);
    a.family = AF_INET;
  } else if (inet_pton(AF_INET6, host, &v6->sin6_addr) == 1) {
    v6->sin6_family = AF_INET6;
    v6->sin6_port = htons(static_cast<uint16_t>(port));
    a.len = sizeof(sockaddr_in6);
    a.family = AF_INET6;
  } else {
    std::fprintf(stderr, "e2e_peer: '%s' is not a numeric address\n", host);
    std::exit(2);
  }
  return a;
}

int Number(const char* text) {
  char* end = nullptr;
  const long v = std::strtol(text, &end, 10);
  if (end == text || *end != '\0' || v < 0 || v > 100000000) {
    std::fprintf(stderr, "e2e_peer: bad number '%s'\n", text);
    std::exit(2);
  }
  return static_cast<int>(v);
}

void SetTimeouts(int fd) {
  timeval tv{kIoTimeoutMs / 1000, (kIoTimeoutMs % 1000) * 1000};
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
  setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));  // also bounds connect()
}

int64_t NowMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

int Socket(int family, int type, int protocol) {
  const int fd = socket(family, type | SOCK_CLOEXEC, protocol);
  if (fd < 0) Die("socket");
  SetTimeouts(fd);
  return fd;
}

// -1 when the connection cannot be made in time.
int ConnectTcp(const Address& a) {
  const int fd = Socket(a.family, SOCK_STREAM, 0);
  if (connect(fd, reinterpret_cast<const sockaddr*>(&a.ss), a.len) < 0) {
    close(fd);
    return -1;
  }
  return fd;
}

bool SendAll(int fd, const char* data, size_t len) {
  while (len > 0) {
    const ssize_t n = send(fd, data, len, MSG_NOSIGNAL);
    if (n <= 0) return false;
    data += n;
    len -= static_cast<size_t>(n);
  }
  return true;
}

// Reads up to and without the next '\n'; false on timeout, error or EOF before it.
bool ReadLine(int fd, std::string* line) {
  line->clear();
  char c = 0;
  while (line->size() < 4096) {
    const ssize_t n = recv(fd, &c, 1, 0);
    if (n <= 0) return false;
    if (c == '\n') return true;
    line->push_back(c);
  }
  return false;
}

// ---- servers ---------------------------------------------------------------------------------

int ListenDualStack(int type, int port) {
  const int fd = socket(AF_INET6, type | SOCK_CLOEXEC, 0);
  if (fd < 0) Die("socket");
  const int on = 1;
  const int off = 0;
  setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &on, sizeof(on));
  setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &off, sizeof(off));
  sockaddr_in6 addr{};
  addr.sin6_family = AF_INET6;
  addr.sin6_addr = in6addr_any;
  addr.sin6_port = htons(static_cast<uint16_t>(port));
  if (bind(fd, reinterpret_cast<const sockaddr*>(&addr), sizeof(addr)) < 0) Die("bind port " + std::to_string(port));
  if (type == SOCK_STREAM && listen(fd, 128) < 0) Die("listen");
  return fd;
}

// Accepts TCP connections on `listen_fd` for ever, each served by `serve(fd)` on a thread of
// its own (which closes fd); at most kMaxServerConnections at a time, the rest closed at once.
[[noreturn]] void AcceptForever(int listen_fd, std::function<void(int)> serve) {
  static std::atomic<int> live{0};
  for (;;) {
    const int fd = accept4(listen_fd, nullptr, nullptr, SOCK_CLOEXEC);
    if (fd < 0) continue;
    if (live.load() >= kMaxServerConnections) {
      close(fd);
      continue;
    }
    ++live;
    std::thread([fd, serve] {
      serve(fd);
      --live;
    }).detach();
  }
}

void ServeTcpConnection(int fd, std::string name) {
  // Long-lived clients (hold) pause between lines: only an idle minute ends the connection.
  timeval tv{60, 0};
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
  std::string line;
  while (ReadLine(fd, &line)) {
    if (line.rfind("GET ", 0) == 0) {
      std::string header;
      while (ReadLine(fd, &header) && header != "\r" && !header.empty()) {
      }
      const std::string body = name + "\n";
      const std::string reply = "HTTP/1.0 200 OK\r\nContent-Type: text/plain\r\nContent-Length: " +
                                std::to_string(body.size()) + "\r\nConnection: close\r\n\r\n" + body;
      SendAll(fd, reply.data(), reply.size());
      break;
    }
    const std::string reply = name + "\n";
    if (!SendAll(fd, reply.data(), reply.size())) break;
  }
  close(fd);
}

int Serve(int port, const std::string& name) {
  const int tcp = ListenDualStack(SOCK_STREAM, port);
  const int udp = ListenDualStack(SOCK_DGRAM, port);
  // Answers come from the address each datagram was sent to (IPV6_PKTINFO, which the kernel
  // also gives and takes for IPv4 on this dual-stack socket): a DR or TUN real server owns the
  // VIP on lo, and its client only accepts answers from the VIP.
  const int on = 1;
  setsockopt(udp, IPPROTO_IPV6, IPV6_RECVPKTINFO, &on, sizeof(on));
  std::thread([udp, name] {
    char buf[2048];
    std::string reply = name + "\n";
    for (;;) {
      sockaddr_storage from{};
      alignas(cmsghdr) char control[CMSG_SPACE(sizeof(in6_pktinfo))];
      iovec iov{buf, sizeof(buf)};
      msghdr msg{};
      msg.msg_name = &from;
      msg.msg_namelen = sizeof(from);
      msg.msg_iov = &iov;
      msg.msg_iovlen = 1;
      msg.msg_control = control;
      msg.msg_controllen = sizeof(control);
      if (recvmsg(udp, &msg, 0) < 0) continue;
      iovec out_iov{reply.data(), reply.size()};
      msg.msg_iov = &out_iov;
      for (cmsghdr* c = CMSG_FIRSTHDR(&msg); c != nullptr; c = CMSG_NXTHDR(&msg, c)) {
        if (c->cmsg_level == IPPROTO_IPV6 && c->cmsg_type == IPV6_PKTINFO) {
          reinterpret_cast<in6_pktinfo*>(CMSG_DATA(c))->ipi6_ifindex = 0;  // routing picks the way out
        }
      }
      sendmsg(udp, &msg, 0);
    }
  }).detach();
  AcceptForever(tcp, [name](int fd) { ServeTcpConnection(fd, name); });
}

int Recv(int port, const char* path) {
  const int lfd = ListenDualStack(SOCK_STREAM, port);
  const int fd = accept4(lfd, nullptr, nullptr, SOCK_CLOEXEC);
  if (fd < 0) Die("accept");
  SetTimeouts(fd);
  const int out = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (out < 0) Die(std::string("open ") + path);
  char buf[65536];
  for (;;) {
    const ssize_t n = recv(fd, buf, sizeof(buf), 0);
    if (n == 0) break;
    if (n < 0) Die("recv");
    if (write(out, buf, static_cast<size_t>(n)) != n) Die("write");
  }
  close(out);
  close(fd);
  return 0;
}

// ---- clients ---------------------------------------------------------------------------------

int Send(const Address& a) {
  const int fd = ConnectTcp(a);
  if (fd < 0) Die("connect");
  char buf[65536];
  for (;;) {
    const ssize_t n = read(STDIN_FILENO, buf, sizeof(buf));
    if (n == 0) break;
    if (n < 0) Die("read stdin");
    if (!SendAll(fd, buf, static_cast<size_t>(n))) Die("send");
  }
  shutdown(fd, SHUT_WR);
  // Wait for the peer's FIN so that every byte is known to have arrived.
  while (recv(fd, buf, sizeof(buf), 0) > 0) {
  }
  close(fd);
  return 0;
}

int TcpNames(const Address& a, int count) {
  int failures = 0;
  for (int i = 0; i < count; ++i) {
    std::string name;
    const int fd = ConnectTcp(a);
    const bool ok = fd >= 0 && SendAll(fd, "hello\n", 6) && ReadLine(fd, &name);
    if (fd >= 0) close(fd);
    std::printf("%s\n", ok ? name.c_str() : "-");
    std::fflush(stdout);
    failures += ok ? 0 : 1;
  }
  return failures == 0 ? 0 : 1;
}

int UdpNames(const Address& a, int count, bool socket_each) {
  int failures = 0;
  int fd = -1;
  // Every socket stays open until the end: a closed one's port could be given to the next, which
  // would then be the same flow, not a new one.
  std::vector<int> open_fds;
  for (int i = 0; i < count; ++i) {
    if (fd < 0 || socket_each) {
      fd = Socket(a.family, SOCK_DGRAM, 0);
      open_fds.push_back(fd);
      if (connect(fd, reinterpret_cast<const sockaddr*>(&a.ss), a.len) < 0) Die("connect");
    }
    char buf[512];
    bool ok = false;
    // A lost datagram is retried on the same socket: the question is where it goes, not loss.
    for (int attempt = 0; attempt < 3 && !ok; ++attempt) {
      if (send(fd, "hello\n", 6, 0) != 6) continue;
      const ssize_t n = recv(fd, buf, sizeof(buf) - 1, 0);
      if (n > 0) {
        buf[n] = '\0';
        if (char* nl = std::strchr(buf, '\n')) *nl = '\0';
        ok = true;
      }
    }
    std::printf("%s\n", ok ? buf : "-");
    std::fflush(stdout);
    failures += ok ? 0 : 1;
  }
  for (int open_fd : open_fds) close(open_fd);
  return failures == 0 ? 0 : 1;
}

int UdpFlows(const Address& a, int count, int seconds) {
  struct Flow {
    int fd = -1;
    std::string first;
    bool moved = false;
    int64_t last_answer_ms = -1;
  };
  std::vector<Flow> flows(static_cast<size_t>(count));
  for (Flow& f : flows) {
    f.fd = Socket(a.family, SOCK_DGRAM, 0);
    if (connect(f.fd, reinterpret_cast<const sockaddr*>(&a.ss), a.len) < 0) Die("connect");
  }
  const int64_t start = NowMs();
  const int64_t until = start + int64_t{seconds} * 1000;
  int64_t next_send = start, max_gap = 0;
  uint64_t sent = 0, answered = 0;
  std::vector<pollfd> fds;
  for (const Flow& f : flows) fds.push_back(pollfd{f.fd, POLLIN, 0});
  // Answers to the last datagrams may come up to a second after the last send.
  while (NowMs() < until + 1000) {
    const int64_t now = NowMs();
    if (now >= next_send && now < until) {
      for (Flow& f : flows) sent += send(f.fd, "hello\n", 6, 0) == 6 ? 1 : 0;
      next_send += 100;
    }
    poll(fds.data(), fds.size(), 10);
    for (size_t i = 0; i < flows.size(); ++i) {
      if (!(fds[i].revents & POLLIN)) continue;
      Flow& f = flows[i];
      char buf[512];
      const ssize_t n = recv(f.fd, buf, sizeof(buf) - 1, MSG_DONTWAIT);
      if (n <= 0) continue;
      buf[n] = '\0';
      if (char* nl = std::strchr(buf, '\n')) *nl = '\0';
      ++answered;
      const int64_t at = NowMs();
      if (f.last_answer_ms >= 0) max_gap = std::max(max_gap, at - f.last_answer_ms);
      f.last_answer_ms = at;
      if (f.first.empty()) {
        f.first = buf;
      } else if (f.first != buf && !f.moved) {
        f.moved = true;
        std::printf("flow %zu moved: %s, then %s\n", i, f.first.c_str(), buf);
      }
    }
  }
  int moved = 0, silent = 0;
  for (const Flow& f : flows) {
    moved += f.moved ? 1 : 0;
    silent += f.first.empty() ? 1 : 0;
    close(f.fd);
  }
  std::printf("udp-flows: flows=%d moved=%d sent=%llu answered=%llu max_gap_ms=%lld\n", count, moved,
              static_cast<unsigned long long>(sent), static_cast<unsigned long long>(answered),
              static_cast<long long>(max_gap));
  return moved == 0 && silent == 0 ? 0 : 1;
}

int ConnLoad(const Address& a, int seconds, int rate) {
  const int64_t start = NowMs();
  const int64_t interval_us = 1000000 / std::max(rate, 1);
  int tried = 0, failed = 0, slow = 0;
  int64_t max_ms = 0;
  for (int64_t i = 0; NowMs() < start + int64_t{seconds} * 1000; ++i) {
    const auto due = std::chrono::steady_clock::time_point(std::chrono::milliseconds(start)) +
                     std::chrono::microseconds(i * interval_us);
    std::this_thread::sleep_until(due);
    const int64_t began = NowMs();
    ++tried;
    std::string name;
    const int fd = ConnectTcp(a);
    const bool ok = fd >= 0 && SendAll(fd, "hello\n", 6) && ReadLine(fd, &name);
    if (fd >= 0) close(fd);
    const int64_t took = NowMs() - began;
    max_ms = std::max(max_ms, took);
    failed += ok ? 0 : 1;
    slow += ok && took > 900 ? 1 : 0;
  }
  std::printf("conn-load: tried=%d failed=%d slow=%d max_ms=%lld\n", tried, failed, slow,
              static_cast<long long>(max_ms));
  return failed == 0 ? 0 : 1;
}

int Hold(const Address& a, int count, int interval_ms) {
  const int fd = ConnectTcp(a);
  if (fd < 0) {
    std::printf("-\n");
    return 1;
  }
  for (int i = 0; i < count; ++i) {
    if (i > 0) std::this_thread::sleep_for(std::chrono::milliseconds(interval_ms));
    std::string name;
    if (!SendAll(fd, "hello\n", 6) || !ReadLine(fd, &name)) {
      std::printf("-\n");
      close(fd);
      return 1;
    }
    std::printf("%s\n", name.c_str());
    std::fflush(stdout);
  }
  close(fd);
  return 0;
}

int PathMtu(const Address& a, int size) {
  const int fd = Socket(a.family, SOCK_DGRAM, 0);
  const bool v6 = a.family == AF_INET6;
  const int pmtu_do = v6 ? IPV6_PMTUDISC_DO : IP_PMTUDISC_DO;
  setsockopt(fd, v6 ? IPPROTO_IPV6 : IPPROTO_IP, v6 ? IPV6_MTU_DISCOVER : IP_MTU_DISCOVER, &pmtu_do, sizeof(pmtu_do));
  if (connect(fd, reinterpret_cast<const sockaddr*>(&a.ss), a.len) < 0) Die("connect");
  std::vector<char> payload(static_cast<size_t>(size), 'x');
  auto current_mtu = [&] {
    int mtu = 0;
    socklen_t len = sizeof(mtu);
    getsockopt(fd, v6 ? IPPROTO_IPV6 : IPPROTO_IP, v6 ? IPV6_MTU : IP_MTU, &mtu, &len);
    return mtu;
  };
  const int first_mtu = current_mtu();
  for (int attempt = 0; attempt < 10; ++attempt) {
    // EMSGSIZE here means the kernel already knows the packet does not fit.
    send(fd, payload.data(), payload.size(), 0);
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
    const int mtu = current_mtu();
    if (mtu > 0 && mtu < first_mtu) {
      std::printf("mtu %d\n", mtu);
      return 0;
    }
  }
  std::printf("no smaller path MTU learned (still %d)\n", current_mtu());
  return 1;
}

uint16_t InternetChecksum(const uint8_t* p, size_t len, uint32_t sum = 0) {
  for (size_t i = 0; i + 1 < len; i += 2) sum += static_cast<uint32_t>(p[i] << 8 | p[i + 1]);
  if (len & 1) sum += static_cast<uint32_t>(p[len - 1] << 8);
  while (sum >> 16) sum = (sum & 0xffff) + (sum >> 16);
  return static_cast<uint16_t>(~sum);
}

int Ping(const Address& a, int count) {
  const bool v6 = a.family == AF_INET6;
  const int fd = Socket(a.family, SOCK_RAW, v6 ? int{IPPROTO_ICMPV6} : int{IPPROTO_ICMP});
  const uint16_t id = static_cast<uint16_t>(getpid());
  int answered = 0;
  for (int seq = 1; seq <= count; ++seq) {
    uint8_t req[64] = {};
    req[0] = v6 ? ICMP6_ECHO_REQUEST : ICMP_ECHO;
    req[4] = static_cast<uint8_t>(id >> 8);
    req[5] = static_cast<uint8_t>(id);
    req[6] = static_cast<uint8_t>(seq >> 8);
    req[7] = static_cast<uint8_t>(seq);
    if (!v6) {  // the kernel fills in the ICMPv6 checksum itself
      const uint16_t c = InternetChecksum(req, sizeof(req));
      req[2] = static_cast<uint8_t>(c >> 8);
      req[3] = static_cast<uint8_t>(c);
    }
    if (sendto(fd, req, sizeof(req), 0, reinterpret_cast<const sockaddr*>(&a.ss), a.len) < 0) continue;
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(kIoTimeoutMs);
    while (std::chrono::steady_clock::now() < deadline) {
      uint8_t buf[1500];
      const ssize_t n = recv(fd, buf, sizeof(buf), 0);
      if (n <= 0) break;
      // IPv4 raw sockets deliver the IP header, IPv6 ones do not.
      const size_t off = v6 ? 0 : static_cast<size_t>(buf[0] & 0x0f) * 4;
      if (static_cast<size_t>(n) < off + 8) continue;
      const uint8_t* icmp = buf + off;
      const bool reply = icmp[0] == (v6 ? ICMP6_ECHO_REPLY : ICMP_ECHOREPLY);
      if (reply && (icmp[4] << 8 | icmp[5]) == id && (icmp[6] << 8 | icmp[7]) == seq) {
        ++answered;
        break;
      }
    }
  }
  std::printf("%d/%d echoes answered\n", answered, count);
  return answered == count ? 0 : 1;
}

int UdpRecv(int port) {
  const int fd = ListenDualStack(SOCK_DGRAM, port);
  SetTimeouts(fd);
  char buf[2048];
  const ssize_t n = recv(fd, buf, sizeof(buf) - 1, 0);
  if (n < 0) {
    std::printf("nothing arrived\n");
    return 1;
  }
  buf[n] = '\0';
  std::printf("%s", buf);
  return 0;
}

// The inner packet of tunnel-udp: an IPv4 or IPv6 header and a UDP datagram with its checksum.
std::vector<uint8_t> InnerUdp(const Address& src, const Address& dst, const std::string& text) {
  const bool v6 = src.family == AF_INET6;
  const size_t addr_len = v6 ? 16 : 4;
  const auto* s = v6 ? reinterpret_cast<const uint8_t*>(&reinterpret_cast<const sockaddr_in6*>(&src.ss)->sin6_addr)
                     : reinterpret_cast<const uint8_t*>(&reinterpret_cast<const sockaddr_in*>(&src.ss)->sin_addr);
  const auto* d = v6 ? reinterpret_cast<const uint8_t*>(&reinterpret_cast<const sockaddr_in6*>(&dst.ss)->sin6_addr)
                     : reinterpret_cast<const uint8_t*>(&reinterpret_cast<const sockaddr_in*>(&dst.ss)->sin_addr);
  const uint16_t sport = ntohs(reinterpret_cast<const sockaddr_in*>(&src.ss)->sin_port);
  const uint16_t dport = ntohs(reinterpret_cast<const sockaddr_in*>(&dst.ss)->sin_port);
  const uint16_t udp_len = static_cast<uint16_t>(8 + text.size());
  std::vector<uint8_t> udp = {static_cast<uint8_t>(sport >> 8), static_cast<uint8_t>(sport),
                              static_cast<uint8_t>(dport >> 8), static_cast<uint8_t>(dport),
                              static_cast<uint8_t>(udp_len >> 8), static_cast<uint8_t>(udp_len), 0, 0};
  udp.resize(udp_len);
  std::copy(text.begin(), text.end(), udp.begin() + 8);
  std::vector<uint8_t> pseudo(s, s + addr_len);
  pseudo.insert(pseudo.end(), d, d + addr_len);
  pseudo.insert(pseudo.end(), {0, 17, static_cast<uint8_t>(udp_len >> 8), static_cast<uint8_t>(udp_len)});
  pseudo.insert(pseudo.end(), udp.begin(), udp.end());
  uint16_t c = InternetChecksum(pseudo.data(), pseudo.size());
  if (c == 0) c = 0xffff;
  udp[6] = static_cast<uint8_t>(c >> 8);
  udp[7] = static_cast<uint8_t>(c);
  std::vector<uint8_t> ip;
  if (v6) {
    ip = {0x60, 0, 0, 0, static_cast<uint8_t>(udp_len >> 8), static_cast<uint8_t>(udp_len), 17, 64};
    ip.insert(ip.end(), s, s + 16);
    ip.insert(ip.end(), d, d + 16);
  } else {
    const uint16_t total = static_cast<uint16_t>(20 + udp_len);
    ip = {0x45, 0, static_cast<uint8_t>(total >> 8), static_cast<uint8_t>(total), 0, 1, 0x40, 0, 64, 17, 0, 0};
    ip.insert(ip.end(), s, s + 4);
    ip.insert(ip.end(), d, d + 4);
    const uint16_t ic = InternetChecksum(ip.data(), ip.size());
    ip[10] = static_cast<uint8_t>(ic >> 8);
    ip[11] = static_cast<uint8_t>(ic);
  }
  ip.insert(ip.end(), udp.begin(), udp.end());
  return ip;
}

int TunnelUdp(const std::string& type, const char* outer_dst, const Address& src, const Address& dst,
              const std::string& text) {
  const bool inner_v6 = src.family == AF_INET6;
  const std::vector<uint8_t> inner = InnerUdp(src, dst, text);
  std::vector<uint8_t> payload;
  int sock_type = SOCK_RAW;
  int protocol = inner_v6 ? IPPROTO_IPV6 : IPPROTO_IPIP;
  int outer_port = 0;
  if (type == "gre" || type == "gre-csum") {
    const bool csum = type == "gre-csum";
    protocol = IPPROTO_GRE;
    payload = {static_cast<uint8_t>(csum ? 0x80 : 0), 0, static_cast<uint8_t>(inner_v6 ? 0x86 : 0x08),
               static_cast<uint8_t>(inner_v6 ? 0xdd : 0x00)};
    if (csum) payload.insert(payload.end(), {0, 0, 0, 0});
    payload.insert(payload.end(), inner.begin(), inner.end());
    if (csum) {
      const uint16_t c = InternetChecksum(payload.data(), payload.size());
      payload[4] = static_cast<uint8_t>(c >> 8);
      payload[5] = static_cast<uint8_t>(c);
    }
  } else if (type == "gue") {
    sock_type = SOCK_DGRAM;
    protocol = 0;
    outer_port = 6080;
    payload = {0, static_cast<uint8_t>(inner_v6 ? IPPROTO_IPV6 : IPPROTO_IPIP), 0, 0};
    payload.insert(payload.end(), inner.begin(), inner.end());
  } else if (type == "ipip") {
    payload = inner;
  } else {
    std::fprintf(stderr, "e2e_peer: tunnel type must be ipip, gre, gre-csum or gue\n");
    return 2;
  }
  const Address outer = ParseAddress(outer_dst, outer_port);
  const int fd = Socket(outer.family, sock_type, protocol);
  if (sendto(fd, payload.data(), payload.size(), 0, reinterpret_cast<const sockaddr*>(&outer.ss), outer.len) < 0) {
    Die("sendto");
  }
  close(fd);
  return 0;
}

int TunnelJunk(const char* outer_dst, int count, int seed) {
  std::mt19937 rng(static_cast<uint32_t>(seed));
  const Address gue = ParseAddress(outer_dst, 6080);
  const int fds[4] = {Socket(gue.family, SOCK_RAW, IPPROTO_IPIP), Socket(gue.family, SOCK_RAW, IPPROTO_IPV6),
                      Socket(gue.family, SOCK_RAW, IPPROTO_GRE), Socket(gue.family, SOCK_DGRAM, 0)};
  int sent = 0;
  for (int i = 0; i < count; ++i) {
    std::vector<uint8_t> junk(rng() % 200);
    for (uint8_t& b : junk) b = static_cast<uint8_t>(rng());
    // Often a plausible start (IPv4/IPv6 version nibble, GRE/GUE zero flags) to get deeper.
    if (!junk.empty() && rng() % 2) junk[0] = rng() % 2 ? 0x45 : 0x60;
    const int fd = fds[rng() % 4];
    if (sendto(fd, junk.data(), junk.size(), 0, reinterpret_cast<const sockaddr*>(&gue.ss), gue.len) >= 0) ++sent;
  }
  std::printf("%d/%d junk packets sent\n", sent, count);
  return sent > 0 ? 0 : 1;
}

// ---- garbage ---------------------------------------------------------------------------------

// Builds malformed frames aimed at the data plane's parser: each kind stops at a different
// check (Ethernet, VLAN, IPv4/IPv6 header, fragments, TCP/UDP header, ICMP error quotes).
class GarbageMaker {
 public:
  GarbageMaker(const uint8_t* dst_mac, const uint8_t* src_mac, in_addr src, in_addr vip, uint16_t port, uint32_t seed)
      : src_(src), vip_(vip), port_(port), rng_(seed) {
    std::copy(dst_mac, dst_mac + 6, dst_mac_.begin());
    std::copy(src_mac, src_mac + 6, src_mac_.begin());
  }

  std::vector<uint8_t> Next() {
    std::vector<uint8_t> f;
    f.reserve(256);
    for (uint8_t b : dst_mac_) f.push_back(b);
    for (uint8_t b : src_mac_) f.push_back(b);
    switch (rng_() % 12) {
      case 0:  // random bytes as "IPv4"
        Put16(f, 0x0800);
        RandomBytes(f, rng_() % 120);
        break;
      case 1:  // random ethertype and bytes, or a bare header
        Put16(f, static_cast<uint16_t>(rng_()));
        RandomBytes(f, rng_() % 64);
        break;
      case 2: {  // stacked VLAN tags, the last possibly cut
        const int tags = 1 + static_cast<int>(rng_() % 6);
        for (int i = 0; i < tags; ++i) {
          Put16(f, i % 2 ? 0x88a8 : 0x8100);
          Put16(f, static_cast<uint16_t>(rng_()));
        }
        Put16(f, 0x0800);
        AppendTcp(f, Ipv4Header(6, 40), static_cast<uint8_t>(rng_()), 5);
        f.resize(14 + rng_() % (f.size() - 13));
        break;
      }
      case 3: {  // IPv4 header with a bad IHL, total length or checksum
        Put16(f, 0x0800);
        std::vector<uint8_t> ip = Ipv4Header(6, 40);
        switch (rng_() % 4) {
          case 0: ip[0] = static_cast<uint8_t>(0x40 | (rng_() % 5)); break;
          case 1: ip[0] = 0x4f; break;
          case 2: ip[2] = 0xff; ip[3] = static_cast<uint8_t>(rng_()); break;
          default: ip[10] ^= 0x5a; break;
        }
        AppendTcp(f, ip, 0x02, 5);
        break;
      }
      case 4: {  // TCP with a data offset below 5 or past the end, and any flags
        Put16(f, 0x0800);
        const uint8_t doff = static_cast<uint8_t>(rng_() % 16);
        AppendTcp(f, Ipv4Header(6, 20 + 20), static_cast<uint8_t>(rng_()), doff);
        break;
      }
      case 5: {  // TCP header cut short
        Put16(f, 0x0800);
        const size_t l4 = rng_() % 20;
        std::vector<uint8_t> ip = Ipv4Header(6, static_cast<uint16_t>(20 + l4));
        f.insert(f.end(), ip.begin(), ip.end());
        Put16(f, 40000);
        Put16(f, port_);
        RandomBytes(f, l4 > 4 ? l4 - 4 : 0);
        f.resize(14 + 20 + l4);
        break;
      }
      case 6: {  // UDP with a length field that lies
        Put16(f, 0x0800);
        std::vector<uint8_t> ip = Ipv4Header(17, 20 + 8 + 4);
        f.insert(f.end(), ip.begin(), ip.end());
        Put16(f, 40000);
        Put16(f, port_);
        Put16(f, static_cast<uint16_t>(rng_() % 3 == 0 ? rng_() % 8 : 12 + rng_() % 2000));
        Put16(f, static_cast<uint16_t>(rng_()));
        RandomBytes(f, 4);
        break;
      }
      case 7: {  // fragments: a tiny first fragment, or a later one with no L4 header
        Put16(f, 0x0800);
        std::vector<uint8_t> ip = Ipv4Header(rng_() % 2 ? 6 : 17, 20 + 8);
        const uint16_t frag = rng_() % 2 ? 0x2000 : static_cast<uint16_t>(1 + rng_() % 0x1fff);
        ip[6] = static_cast<uint8_t>(frag >> 8);
        ip[7] = static_cast<uint8_t>(frag);
        FixIpv4Checksum(ip);
        f.insert(f.end(), ip.begin(), ip.end());
        Put16(f, 40000);
        Put16(f, port_);
        RandomBytes(f, 4);
        break;
      }
      case 8: {  // ICMP error quoting a VIP flow, the quote cut anywhere
        Put16(f, 0x0800);
        const size_t quote = rng_() % 48;
        std::vector<uint8_t> ip = Ipv4Header(1, static_cast<uint16_t>(20 + 8 + quote));
        f.insert(f.end(), ip.begin(), ip.end());
        std::vector<uint8_t> icmp = {3, static_cast<uint8_t>(rng_() % 2 ? 4 : 3), 0, 0, 0, 0, 0x05, 0xc8};
        std::vector<uint8_t> inner = Ipv4Header(6, 40, /*reverse=*/true);
        AppendTcp(inner, {}, 0x12, 5);
        inner.resize(quote);
        icmp.insert(icmp.end(), inner.begin(), inner.end());
        const uint16_t c = InternetChecksum(icmp.data(), icmp.size());
        icmp[2] = static_cast<uint8_t>(c >> 8);
        icmp[3] = static_cast<uint8_t>(c);
        f.insert(f.end(), icmp.begin(), icmp.end());
        break;
      }
      case 9: {  // IPv6 with a payload length that lies and random extension headers
        Put16(f, 0x86dd);
        const uint8_t nexthdr = std::array<uint8_t, 6>{0, 43, 44, 60, 6, 17}[rng_() % 6];
        std::vector<uint8_t> ip6 = {0x60, 0, 0, 0, static_cast<uint8_t>(rng_()), static_cast<uint8_t>(rng_()), nexthdr, 64};
        for (int i = 0; i < 2; ++i) {
          const uint8_t addr[16] = {0x20, 0x01, 0x0d, 0xb8, 0, static_cast<uint8_t>(i ? 0x19 : 0), 0, 0, 0, 0, 0, 0, 0, 0, 0, 1};
          ip6.insert(ip6.end(), addr, addr + 16);
        }
        f.insert(f.end(), ip6.begin(), ip6.end());
        RandomBytes(f, rng_() % 64);
        break;
      }
      case 10: {  // IPv4 options of random kinds and lengths
        Put16(f, 0x0800);
        std::vector<uint8_t> ip = Ipv4Header(6, 60 + 20);
        ip[0] = 0x4f;
        ip.resize(60);
        for (size_t i = 20; i < 60; ++i) ip[i] = static_cast<uint8_t>(rng_());
        FixIpv4Checksum(ip);
        AppendTcp(f, ip, 0x02, 5);
        break;
      }
      default: {  // a well-formed SYN with odd flags (SYN+FIN, RST+SYN, none, all)
        Put16(f, 0x0800);
        static constexpr uint8_t kFlags[] = {0x03, 0x06, 0x00, 0x3f, 0x29, 0x10};
        AppendTcp(f, Ipv4Header(6, 40), kFlags[rng_() % sizeof(kFlags)], 5);
        break;
      }
    }
    return f;
  }

 private:
  static void Put16(std::vector<uint8_t>& f, uint16_t v) {
    f.push_back(static_cast<uint8_t>(v >> 8));
    f.push_back(static_cast<uint8_t>(v));
  }
  void RandomBytes(std::vector<uint8_t>& f, size_t n) {
    for (size_t i = 0; i < n; ++i) f.push_back(static_cast<uint8_t>(rng_()));
  }
  static void FixIpv4Checksum(std::vector<uint8_t>& ip) {
    ip[10] = ip[11] = 0;
    const size_t hl = std::min<size_t>(static_cast<size_t>(ip[0] & 0x0f) * 4, ip.size());
    const uint16_t c = InternetChecksum(ip.data(), hl);
    ip[10] = static_cast<uint8_t>(c >> 8);
    ip[11] = static_cast<uint8_t>(c);
  }
  std::vector<uint8_t> Ipv4Header(uint8_t proto, uint16_t total_len, bool reverse = false) {
    std::vector<uint8_t> ip = {0x45, 0, static_cast<uint8_t>(total_len >> 8), static_cast<uint8_t>(total_len),
                               static_cast<uint8_t>(rng_()), static_cast<uint8_t>(rng_()), 0, 0, 64, proto, 0, 0};
    const in_addr& s = reverse ? vip_ : src_;
    const in_addr& d = reverse ? src_ : vip_;
    ip.insert(ip.end(), reinterpret_cast<const uint8_t*>(&s), reinterpret_cast<const uint8_t*>(&s) + 4);
    ip.insert(ip.end(), reinterpret_cast<const uint8_t*>(&d), reinterpret_cast<const uint8_t*>(&d) + 4);
    FixIpv4Checksum(ip);
    return ip;
  }
  void AppendTcp(std::vector<uint8_t>& f, const std::vector<uint8_t>& ip, uint8_t flags, uint8_t doff) {
    f.insert(f.end(), ip.begin(), ip.end());
    Put16(f, static_cast<uint16_t>(40000 + rng_() % 16));
    Put16(f, port_);
    for (int i = 0; i < 8; ++i) f.push_back(static_cast<uint8_t>(rng_()));  // seq, ack
    f.push_back(static_cast<uint8_t>(doff << 4));
    f.push_back(flags);
    Put16(f, 8192);
    Put16(f, static_cast<uint16_t>(rng_()));  // checksum: wrong more often than not
    Put16(f, 0);
  }

  std::array<uint8_t, 6> dst_mac_{};
  std::array<uint8_t, 6> src_mac_{};
  in_addr src_;
  in_addr vip_;
  uint16_t port_;
  std::mt19937 rng_;
};

bool ParseMac(const char* text, uint8_t* mac) {
  unsigned v[6];
  if (std::sscanf(text, "%x:%x:%x:%x:%x:%x", &v[0], &v[1], &v[2], &v[3], &v[4], &v[5]) != 6) return false;
  for (int i = 0; i < 6; ++i) mac[i] = static_cast<uint8_t>(v[i]);
  return true;
}

// Where a raw frame goes: out of IFACE to DST_MAC (dies if there is no such interface).
sockaddr_ll RawDestination(const char* iface, const uint8_t* dst_mac) {
  sockaddr_ll ll{};
  ll.sll_family = AF_PACKET;
  ll.sll_ifindex = static_cast<int>(if_nametoindex(iface));
  ll.sll_halen = 6;
  std::memcpy(ll.sll_addr, dst_mac, 6);
  if (ll.sll_ifindex == 0) Die(std::string("interface ") + iface);
  return ll;
}

int Garbage(const char* iface, const char* dst_mac_text, const char* src_ip, const char* vip, int port, int count,
            int seed) {
  uint8_t dst_mac[6];
  uint8_t src_mac[6] = {0x02, 0, 0, 0, 0, 0x99};
  in_addr src{};
  in_addr dst{};
  if (!ParseMac(dst_mac_text, dst_mac) || inet_pton(AF_INET, src_ip, &src) != 1 || inet_pton(AF_INET, vip, &dst) != 1) {
    std::fprintf(stderr, "e2e_peer: garbage: bad MAC or address\n");
    return 2;
  }
  sockaddr_ll ll = RawDestination(iface, dst_mac);
  const int fd = Socket(AF_PACKET, SOCK_RAW, 0);  // protocol 0: send only, receive nothing
  GarbageMaker maker(dst_mac, src_mac, src, dst, static_cast<uint16_t>(port), static_cast<uint32_t>(seed));
  int sent = 0;
  for (int i = 0; i < count; ++i) {
    const std::vector<uint8_t> frame = maker.Next();
    if (sendto(fd, frame.data(), frame.size(), 0, reinterpret_cast<const sockaddr*>(&ll), sizeof(ll)) > 0) ++sent;
  }
  std::printf("%d/%d garbage frames sent\n", sent, count);
  return sent > 0 ? 0 : 1;
}

// ---- SYN flood -------------------------------------------------------------------------------

int SynFlood(const char* iface, const char* dst_mac_text, const char* vip, int port, int count, int rate, int seed) {
  uint8_t dst_mac[6];
  in_addr dst{};
  if (!ParseMac(dst_mac_text, dst_mac) || inet_pton(AF_INET, vip, &dst) != 1 || rate <= 0) {
    std::fprintf(stderr, "e2e_peer: syn-flood: bad MAC, address or rate\n");
    return 2;
  }
  sockaddr_ll ll = RawDestination(iface, dst_mac);
  const int fd = Socket(AF_PACKET, SOCK_RAW, 0);  // protocol 0: send only, receive nothing

  constexpr int kBatch = 64;
  constexpr size_t kLen = 14 + 20 + 20;
  std::vector<std::array<uint8_t, kLen>> frames(kBatch);
  std::vector<iovec> iov(kBatch);
  std::vector<mmsghdr> msgs(kBatch);
  std::mt19937 rng(static_cast<uint32_t>(seed));
  const auto start = std::chrono::steady_clock::now();
  int sent = 0;
  for (int base = 0; base < count; base += kBatch) {
    const int n = std::min(kBatch, count - base);
    for (int k = 0; k < n; ++k) {
      // An odd multiplier permutes 2^30: every index gets its own (address, port).
      const uint32_t i = (static_cast<uint32_t>(base + k) * 0x9e3779b1u + static_cast<uint32_t>(seed)) & 0x3fffffffu;
      const uint32_t src = (198u << 24 | 18u << 16 | 128u << 8) + (i & 0x7fff);
      const uint16_t sport = static_cast<uint16_t>(1024 + (i >> 15));
      uint8_t* f = frames[static_cast<size_t>(k)].data();
      std::memset(f, 0, kLen);
      std::memcpy(f, dst_mac, 6);
      const uint8_t src_mac[6] = {0x02, 0, 0, 0, 0, 0x98};
      std::memcpy(f + 6, src_mac, 6);
      f[12] = 0x08;
      uint8_t* ip = f + 14;
      ip[0] = 0x45;
      ip[3] = 40;
      ip[8] = 64;
      ip[9] = 6;
      const uint32_t src_be = htonl(src);
      std::memcpy(ip + 12, &src_be, 4);
      std::memcpy(ip + 16, &dst, 4);
      const uint16_t ip_sum = InternetChecksum(ip, 20);
      ip[10] = static_cast<uint8_t>(ip_sum >> 8);
      ip[11] = static_cast<uint8_t>(ip_sum);
      uint8_t* tcp = ip + 20;
      tcp[0] = static_cast<uint8_t>(sport >> 8);
      tcp[1] = static_cast<uint8_t>(sport);
      tcp[2] = static_cast<uint8_t>(port >> 8);
      tcp[3] = static_cast<uint8_t>(port);
      const uint32_t seq = rng();
      std::memcpy(tcp + 4, &seq, 4);
      tcp[12] = 5 << 4;
      tcp[13] = 0x02;  // SYN
      tcp[14] = 0xff;
      tcp[15] = 0xff;
      // The pseudo-header's sum, then the segment's.
      uint8_t pseudo[12];
      std::memcpy(pseudo, ip + 12, 8);
      pseudo[8] = 0;
      pseudo[9] = 6;
      pseudo[10] = 0;
      pseudo[11] = 20;
      uint32_t sum = 0;
      for (int b = 0; b < 12; b += 2) sum += static_cast<uint32_t>(pseudo[b] << 8 | pseudo[b + 1]);
      const uint16_t tcp_sum = InternetChecksum(tcp, 20, sum);
      tcp[16] = static_cast<uint8_t>(tcp_sum >> 8);
      tcp[17] = static_cast<uint8_t>(tcp_sum);
      iov[static_cast<size_t>(k)] = iovec{f, kLen};
      msgs[static_cast<size_t>(k)] = mmsghdr{};
      msgs[static_cast<size_t>(k)].msg_hdr.msg_name = &ll;
      msgs[static_cast<size_t>(k)].msg_hdr.msg_namelen = sizeof(ll);
      msgs[static_cast<size_t>(k)].msg_hdr.msg_iov = &iov[static_cast<size_t>(k)];
      msgs[static_cast<size_t>(k)].msg_hdr.msg_iovlen = 1;
    }
    const int r = sendmmsg(fd, msgs.data(), static_cast<unsigned>(n), 0);
    if (r > 0) sent += r;
    // Pace to RATE: the batch may not leave before its time.
    const auto due = start + std::chrono::microseconds(static_cast<int64_t>(base + n) * 1000000 / rate);
    std::this_thread::sleep_until(due);
  }
  close(fd);
  std::printf("%d/%d SYNs sent\n", sent, count);
  return sent > 0 ? 0 : 1;
}

// ---- long-lived streams ----------------------------------------------------------------------

// A failover or a rehash may hold a stream up for TCP's retransmission back-off: several
// seconds are normal, this long is not.
constexpr int kStreamStallLimitMs = 25000;
constexpr int kStreamChunk = 512;
constexpr int kStreamIntervalMs = 100;

int ListenRange(int first_port, int count) {
  std::vector<pollfd> fds;
  for (int i = 0; i < count; ++i) fds.push_back(pollfd{ListenDualStack(SOCK_STREAM, first_port + i), POLLIN, 0});
  std::printf("listening on %d ports\n", count);
  std::fflush(stdout);
  for (;;) {
    if (poll(fds.data(), fds.size(), -1) < 0) continue;
    for (pollfd& p : fds) {
      if (!(p.revents & POLLIN)) continue;
      const int fd = accept4(p.fd, nullptr, nullptr, SOCK_CLOEXEC);
      if (fd >= 0) close(fd);
    }
  }
}

int StreamServe(int port) {
  AcceptForever(ListenDualStack(SOCK_STREAM, port), [](int fd) {
    timeval tv{120, 0};
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
    char buf[16384];
    for (;;) {
      const ssize_t n = recv(fd, buf, sizeof(buf), 0);
      if (n <= 0 || !SendAll(fd, buf, static_cast<size_t>(n))) break;
    }
    close(fd);
  });
}

// The byte at `offset` of stream `index`: different per stream and per position, so that a
// byte from another stream or another place is caught.
uint8_t StreamByte(int index, uint64_t offset) {
  return static_cast<uint8_t>(offset * 131 + (offset >> 9) + static_cast<uint64_t>(index) * 37 + 11);
}

struct Stream {
  int fd = -1;
  uint64_t sent = 0;
  uint64_t echoed = 0;
  int64_t waiting_since_ms = -1;  // when echoed last fell behind sent without progress since
  bool closing = false;
  bool done = false;
  std::string broken;  // why, empty while intact
};

int Streams(const Address& a, int count, int seconds) {
  std::vector<Stream> streams(static_cast<size_t>(count));
  for (int i = 0; i < count; ++i) {
    Stream& s = streams[static_cast<size_t>(i)];
    s.fd = ConnectTcp(a);
    if (s.fd < 0) {
      s.broken = std::string("connect: ") + std::strerror(errno);
      s.done = true;
      continue;
    }
    fcntl(s.fd, F_SETFL, fcntl(s.fd, F_GETFL) | O_NONBLOCK);
  }
  std::printf("streams: connected %d\n", count);
  std::fflush(stdout);

  const int64_t start = NowMs();
  const int64_t send_until = start + int64_t{seconds} * 1000;
  int64_t max_stall = 0;
  int64_t next_send = start;
  char buf[16384];
  for (;;) {
    const int64_t now = NowMs();
    if (now >= next_send) {
      next_send += kStreamIntervalMs;
      for (int i = 0; i < count; ++i) {
        Stream& s = streams[static_cast<size_t>(i)];
        if (s.done || s.closing) continue;
        if (now >= send_until) {
          s.closing = true;
          continue;
        }
        char chunk[kStreamChunk];
        for (int k = 0; k < kStreamChunk; ++k) chunk[k] = static_cast<char>(StreamByte(i, s.sent + k));
        const ssize_t n = send(s.fd, chunk, sizeof(chunk), MSG_NOSIGNAL);
        if (n > 0) {
          if (s.waiting_since_ms < 0 && s.echoed == s.sent) s.waiting_since_ms = now;
          s.sent += static_cast<uint64_t>(n);
        } else if (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK) {
          s.broken = std::string("send: ") + std::strerror(errno);
        }
      }
    }
    std::vector<pollfd> pfds;
    std::vector<int> owners;
    for (int i = 0; i < count; ++i) {
      const Stream& s = streams[static_cast<size_t>(i)];
      if (s.done || !s.broken.empty()) continue;
      pfds.push_back(pollfd{s.fd, POLLIN, 0});
      owners.push_back(i);
    }
    if (!pfds.empty()) poll(pfds.data(), pfds.size(), 10);
    for (size_t p = 0; p < pfds.size(); ++p) {
      Stream& s = streams[static_cast<size_t>(owners[p])];
      if (!(pfds[p].revents & (POLLIN | POLLERR | POLLHUP))) continue;
      const ssize_t n = recv(s.fd, buf, sizeof(buf), 0);
      if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) continue;
      if (n < 0) {
        s.broken = std::string("recv: ") + std::strerror(errno);
        continue;
      }
      if (n == 0) {
        if (s.closing && s.echoed == s.sent) s.done = true;
        else s.broken = "early EOF";
        continue;
      }
      for (ssize_t k = 0; k < n && s.broken.empty(); ++k) {
        if (s.echoed + static_cast<uint64_t>(k) >= s.sent ||
            static_cast<uint8_t>(buf[k]) != StreamByte(owners[p], s.echoed + static_cast<uint64_t>(k))) {
          s.broken = "wrong byte at offset " + std::to_string(s.echoed + static_cast<uint64_t>(k));
        }
      }
      s.echoed += static_cast<uint64_t>(n);
      const int64_t at = NowMs();
      if (s.waiting_since_ms >= 0) max_stall = std::max(max_stall, at - s.waiting_since_ms);
      s.waiting_since_ms = s.echoed < s.sent ? at : -1;
    }
    const int64_t at = NowMs();
    bool active = false;
    for (Stream& s : streams) {
      if (s.done || !s.broken.empty()) continue;
      if (s.waiting_since_ms >= 0 && at - s.waiting_since_ms > kStreamStallLimitMs) {
        s.broken = "no echo for " + std::to_string(kStreamStallLimitMs) + " ms";
        continue;
      }
      // All sent data came back: end the stream with a FIN and wait for the server's.
      if (s.closing && s.echoed == s.sent && s.waiting_since_ms < 0) {
        shutdown(s.fd, SHUT_WR);
        s.waiting_since_ms = at;  // the server's FIN is due now
      }
      active = true;
    }
    if (!active) break;
  }

  int ok = 0;
  uint64_t bytes = 0;
  for (int i = 0; i < count; ++i) {
    Stream& s = streams[static_cast<size_t>(i)];
    if (s.fd >= 0) close(s.fd);
    bytes += s.echoed;
    if (s.broken.empty()) {
      ++ok;
    } else {
      std::printf("stream %d broken: %s (sent %llu, echoed %llu)\n", i, s.broken.c_str(),
                  static_cast<unsigned long long>(s.sent), static_cast<unsigned long long>(s.echoed));
    }
  }
  std::printf("streams: ok=%d broken=%d bytes=%llu max_stall_ms=%lld\n", ok, count - ok,
              static_cast<unsigned long long>(bytes), static_cast<long long>(max_stall));
  return ok == count ? 0 : 1;
}

int Bulk(const Address& a, int mbytes) {
  const uint64_t total = uint64_t(mbytes) << 20;
  const int fd = ConnectTcp(a);
  if (fd < 0) {
    std::printf("bulk: connect: %s\n", std::strerror(errno));
    return 1;
  }
  fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
  const int64_t start = NowMs();
  int64_t last_progress = start;
  uint64_t sent = 0, echoed = 0;
  bool shut = false;
  static char out[1 << 16], in[1 << 16];
  while (echoed < total) {
    pollfd pfd{fd, static_cast<short>(POLLIN | (sent < total ? POLLOUT : 0)), 0};
    poll(&pfd, 1, 100);
    if (sent < total && (pfd.revents & POLLOUT)) {
      const size_t want = static_cast<size_t>(std::min<uint64_t>(sizeof(out), total - sent));
      for (size_t k = 0; k < want; ++k) out[k] = static_cast<char>(StreamByte(0, sent + k));
      const ssize_t n = send(fd, out, want, MSG_NOSIGNAL);
      if (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK) {
        std::printf("bulk: send: %s\n", std::strerror(errno));
        return 1;
      }
      if (n > 0) sent += static_cast<uint64_t>(n);
    }
    if (sent == total && !shut) {
      shutdown(fd, SHUT_WR);
      shut = true;
    }
    const ssize_t n = recv(fd, in, sizeof(in), 0);
    if (n == 0 || (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK)) {
      std::printf("bulk: %s after %llu bytes echoed\n", n == 0 ? "early EOF" : std::strerror(errno),
                  static_cast<unsigned long long>(echoed));
      return 1;
    }
    const int64_t now = NowMs();
    if (n > 0) {
      for (ssize_t k = 0; k < n; ++k) {
        if (static_cast<uint8_t>(in[k]) != StreamByte(0, echoed + static_cast<uint64_t>(k))) {
          std::printf("bulk: wrong byte at offset %llu\n", static_cast<unsigned long long>(echoed + k));
          return 1;
        }
      }
      echoed += static_cast<uint64_t>(n);
      last_progress = now;
    } else if (now - last_progress > kStreamStallLimitMs) {
      std::printf("bulk: no echo for %d ms after %llu bytes\n", kStreamStallLimitMs,
                  static_cast<unsigned long long>(echoed));
      return 1;
    }
  }
  close(fd);
  const double secs = std::max<int64_t>(1, NowMs() - start) / 1000.0;
  std::printf("bulk: bytes=%llu mbit_s=%.0f\n", static_cast<unsigned long long>(echoed), echoed * 8 / secs / 1e6);
  return 0;
}

int Usage() {
  std::fputs(
      "usage: e2e_peer serve PORT NAME | recv PORT FILE | send HOST PORT | tcp-names HOST PORT N |\n"
      "       udp-names HOST PORT N [--socket-each] | hold HOST PORT COUNT MS | pmtu HOST PORT SIZE |\n"
      "       ping HOST COUNT | udp-recv PORT | tunnel-udp TYPE OUTER_DST SRC SPORT DST DPORT TEXT |\n"
      "       tunnel-junk OUTER_DST COUNT SEED | garbage IFACE DST_MAC SRC_IP VIP PORT COUNT SEED |\n"
      "       syn-flood IFACE DST_MAC VIP PORT COUNT RATE SEED | stream-serve PORT |\n"
      "       streams HOST PORT N SECONDS | bulk HOST PORT MBYTES | listen-range PORT COUNT |\n"
      "       udp-flows HOST PORT N SECONDS | conn-load HOST PORT SECONDS RATE\n",
      stderr);
  return 2;
}

}  // namespace

int main(int argc, char** argv) {
  signal(SIGPIPE, SIG_IGN);
  if (argc < 2) return Usage();
  const std::string cmd = argv[1];
  if (cmd == "serve" && argc == 4) return Serve(Number(argv[2]), argv[3]);
  if (cmd == "recv" && argc == 4) return Recv(Number(argv[2]), argv[3]);
  if (cmd == "send" && argc == 4) return Send(ParseAddress(argv[2], Number(argv[3])));
  if (cmd == "tcp-names" && argc == 5) return TcpNames(ParseAddress(argv[2], Number(argv[3])), Number(argv[4]));
  if (cmd == "udp-names" && (argc == 5 || (argc == 6 && std::string(argv[5]) == "--socket-each"))) {
    return UdpNames(ParseAddress(argv[2], Number(argv[3])), Number(argv[4]), argc == 6);
  }
  if (cmd == "hold" && argc == 6) return Hold(ParseAddress(argv[2], Number(argv[3])), Number(argv[4]), Number(argv[5]));
  if (cmd == "pmtu" && argc == 5) return PathMtu(ParseAddress(argv[2], Number(argv[3])), Number(argv[4]));
  if (cmd == "ping" && argc == 4) return Ping(ParseAddress(argv[2], 0), Number(argv[3]));
  if (cmd == "udp-recv" && argc == 3) return UdpRecv(Number(argv[2]));
  if (cmd == "tunnel-udp" && argc == 9) {
    const Address src = ParseAddress(argv[4], Number(argv[5]));
    const Address dst = ParseAddress(argv[6], Number(argv[7]));
    if (src.family != dst.family) return Usage();
    return TunnelUdp(argv[2], argv[3], src, dst, argv[8]);
  }
  if (cmd == "tunnel-junk" && argc == 5) return TunnelJunk(argv[2], Number(argv[3]), Number(argv[4]));
  if (cmd == "garbage" && argc == 9) {
    return Garbage(argv[2], argv[3], argv[4], argv[5], Number(argv[6]), Number(argv[7]), Number(argv[8]));
  }
  if (cmd == "syn-flood" && argc == 9) {
    return SynFlood(argv[2], argv[3], argv[4], Number(argv[5]), Number(argv[6]), Number(argv[7]), Number(argv[8]));
  }
  if (cmd == "stream-serve" && argc == 3) return StreamServe(Number(argv[2]));
  if (cmd == "listen-range" && argc == 4) return ListenRange(Number(argv[2]), Number(argv[3]));
  if (cmd == "bulk" && argc == 5) return Bulk(ParseAddress(argv[2], Number(argv[3])), Number(argv[4]));
  if (cmd == "udp-flows" && argc == 6) {
    return UdpFlows(ParseAddress(argv[2], Number(argv[3])), Number(argv[4]), Number(argv[5]));
  }
  if (cmd == "conn-load" && argc == 6) {
    return ConnLoad(ParseAddress(argv[2], Number(argv[3])), Number(argv[4]), Number(argv[5]));
  }
  if (cmd == "streams" && argc == 6) {
    return Streams(ParseAddress(argv[2], Number(argv[3])), Number(argv[4]), Number(argv[5]));
  }
  return Usage();
}
