// File: bench/udp_blast.cc
//
// udp_blast: the UDP load of bench/compare.sh, a sender and a sink we control (iperf's UDP mode
// paces one flow; a load balancer must be measured with many flows, each a connection entry).
// Both are bounded in time, so a broken data plane makes a figure zero, never a hang.
//
//   udp_blast flood HOST PORT SECONDS FLOWS [SIZE]
//       FLOWS connected UDP sockets (FLOWS source ports = FLOWS 5-tuples) to HOST:PORT, SIZE-byte
//       payloads (default 18: 64-byte Ethernet frames), sent flat out with sendmmsg in turns of
//       kBatch per socket for SECONDS. Prints "sent N seconds S pps P".
//   udp_blast sink PORT SECONDS
//       counts the datagrams arriving on 0.0.0.0:PORT for SECONDS (recvmmsg, non-blocking poll)
//       and prints "received N".
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

namespace {

using Clock = std::chrono::steady_clock;
constexpr int kBatch = 32;
constexpr int kMaxPayload = 1400;

[[noreturn]] void Die(const std::string& what) {
  std::fprintf(stderr, "udp_blast: %s: %s\n", what.c_str(), std::strerror(errno));
  std::exit(1);
}

int Number(const char* text, int lo, int hi) {
  char* end = nullptr;
  const long v = std::strtol(text, &end, 10);
  if (end == text || *end != '\0' || v < lo || v > hi) {
    std::fprintf(stderr, "udp_blast: '%s' is not a number from %d to %d\n", text, lo, hi);
    std::exit(2);
  }
  return static_cast<int>(v);
}

double Seconds(Clock::duration d) { return std::chrono::duration<double>(d).count(); }

int Flood(const char* host, int port, int seconds, int flows, int size) {
  sockaddr_in dst{};
  dst.sin_family = AF_INET;
  dst.sin_port = htons(static_cast<uint16_t>(port));
  if (inet_pton(AF_INET, host, &dst.sin_addr) != 1) {
    std::fprintf(stderr, "udp_blast: '%s' is not an IPv4 address\n", host);
    return 2;
  }
  // One socket per flow: the kernel picks a distinct source port for each, so the load
  // balancer sees FLOWS different 5-tuples and schedules each once.
  std::vector<int> fds;
  for (int i = 0; i < flows; ++i) {
    const int fd = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK, 0);
    if (fd < 0) Die("socket");
    if (connect(fd, reinterpret_cast<const sockaddr*>(&dst), sizeof dst) != 0) Die("connect");
    fds.push_back(fd);
  }
  std::array<char, kMaxPayload> payload{};
  std::memset(payload.data(), 'u', payload.size());
  std::array<iovec, kBatch> iov{};
  std::array<mmsghdr, kBatch> msgs{};
  for (int i = 0; i < kBatch; ++i) {
    iov[i] = {payload.data(), static_cast<size_t>(size)};
    msgs[i].msg_hdr.msg_iov = &iov[i];
    msgs[i].msg_hdr.msg_iovlen = 1;
  }
  const auto start = Clock::now();
  const auto end = start + std::chrono::seconds(seconds);
  unsigned long long sent = 0;
  size_t next = 0;
  // Check the clock once per round of sockets, not per call: a clock read per batch would
  // cost more than the batch on a slow path.
  while (Clock::now() < end) {
    for (size_t k = 0; k < fds.size(); ++k) {
      const int n = sendmmsg(fds[next], msgs.data(), kBatch, 0);
      if (n > 0) sent += static_cast<unsigned>(n);
      // EAGAIN/ENOBUFS: the queue is full, the next socket may have room; ECONNREFUSED: an
      // ICMP port unreachable came back (a sink not up yet), the next send goes on.
      next = (next + 1) % fds.size();
      if ((k & 7) == 7 && Clock::now() >= end) break;
    }
  }
  const double elapsed = Seconds(Clock::now() - start);
  std::printf("sent %llu seconds %.3f pps %.0f\n", sent, elapsed, sent / elapsed);
  for (const int fd : fds) close(fd);
  return 0;
}

int Sink(int port, int seconds) {
  const int fd = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK, 0);
  if (fd < 0) Die("socket");
  const int rcvbuf = 8 << 20;
  setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof rcvbuf);
  const int one = 1;
  setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  sockaddr_in any{};
  any.sin_family = AF_INET;
  any.sin_port = htons(static_cast<uint16_t>(port));
  if (bind(fd, reinterpret_cast<const sockaddr*>(&any), sizeof any) != 0) Die("bind");
  std::array<std::array<char, 2048>, kBatch> bufs{};
  std::array<iovec, kBatch> iov{};
  std::array<mmsghdr, kBatch> msgs{};
  for (int i = 0; i < kBatch; ++i) {
    iov[i] = {bufs[i].data(), bufs[i].size()};
    msgs[i].msg_hdr.msg_iov = &iov[i];
    msgs[i].msg_hdr.msg_iovlen = 1;
  }
  const auto end = Clock::now() + std::chrono::seconds(seconds);
  unsigned long long received = 0;
  for (auto now = Clock::now(); now < end; now = Clock::now()) {
    pollfd p{fd, POLLIN, 0};
    const int left_ms = static_cast<int>(std::chrono::duration_cast<std::chrono::milliseconds>(end - now).count());
    if (poll(&p, 1, std::max(1, std::min(left_ms, 100))) <= 0) continue;
    for (;;) {
      const int n = recvmmsg(fd, msgs.data(), kBatch, 0, nullptr);
      if (n <= 0) break;
      received += static_cast<unsigned>(n);
    }
  }
  std::printf("received %llu\n", received);
  close(fd);
  return 0;
}

int Usage() {
  std::fprintf(stderr,
               "usage: udp_blast flood HOST PORT SECONDS FLOWS [SIZE]\n"
               "       udp_blast sink PORT SECONDS\n");
  return 2;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) return Usage();
  const std::string mode = argv[1];
  if (mode == "flood" && (argc == 6 || argc == 7)) {
    return Flood(argv[2], Number(argv[3], 1, 65535), Number(argv[4], 1, 3600), Number(argv[5], 1, 4096),
                 argc == 7 ? Number(argv[6], 1, kMaxPayload) : 18);
  }
  if (mode == "sink" && argc == 4) return Sink(Number(argv[2], 1, 65535), Number(argv[3], 1, 3600));
  return Usage();
}
