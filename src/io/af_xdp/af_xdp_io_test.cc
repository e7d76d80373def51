// File: io/af_xdp/af_xdp_io_test.cc
//
// End-to-end tests of the AF_XDP backend on real veth pairs in a private network namespace
// (ipvsd-xdp-<pid>, 198.18.0.0/15 only): what the XDP program redirects and what it leaves
// to the kernel, Receive with the exact bytes, Send on the interface a frame names (also after
// growing it into the headroom), filter changes while attached, detaching on destruction and
// removing a program a killed process left behind. The program's verdicts on packets that
// are awkward to send for real (IPv6, VLAN tags, ICMP errors, fragments) are checked with
// BPF_PROG_TEST_RUN, which runs the attached program on a buffer without sending anything.
//
// Needs root and AF_XDP; without them every test skips. The namespace goes away on every
// path: fixture teardown, atexit, and SIGINT/SIGTERM/SIGABRT.
//
// Topology (one namespace, frames injected and captured with AF_PACKET on the peers):
//   xa1 (inject/capture) <-> xa0  198.18.0.1/24, 198.19.0.1/32   "client side"
//   xb1 (capture)        <-> xb0  198.18.1.1/24                  "real-server side"
//   AfXdpIo serves {xa0, xb0}, queue 0.
#include "io/af_xdp/af_xdp_io.h"

#include <arpa/inet.h>
#include <bpf/bpf.h>
#include <fcntl.h>
#include <gtest/gtest.h>
#include <linux/if_packet.h>
#include <net/ethernet.h>
#include <net/if.h>
#include <netinet/in.h>
#include <sched.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>
#include <xdp/libxdp.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <ostream>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "tests/testing/packet_builder.h"

namespace ipvsd::io {

// How a mode reads in test output and in ctest's name (ADL finds it beside XdpMode).
void PrintTo(XdpMode mode, std::ostream* os) {
  *os << (mode == XdpMode::kNative ? "native" : mode == XdpMode::kSkb ? "skb" : "auto");
}

namespace {

using testing::PacketBuilder;
using Clock = std::chrono::steady_clock;

constexpr char kMacA0[] = "02:00:00:00:0a:00";
constexpr char kMacA1[] = "02:00:00:00:0a:01";
constexpr char kMacB0[] = "02:00:00:00:0b:00";
constexpr char kMacB1[] = "02:00:00:00:0b:01";
constexpr char kVip[] = "198.19.0.1";
constexpr char kClient[] = "198.18.0.2";
constexpr char kRealServer[] = "198.18.1.2";
constexpr uint16_t kServicePort = 9000;
constexpr uint16_t kOtherPort = 9001;
constexpr int kWaitMs = 2000;  // upper bound for any one expected arrival

// The namespace name lives in static storage so that the signal handler can use it.
char g_netns[64];

// Deletes the namespace with fork+exec only (callable from a signal handler).
void DeleteNetns() {
  if (g_netns[0] == '\0') return;
  pid_t pid = fork();
  if (pid == 0) {
    int null_fd = open("/dev/null", O_WRONLY);
    if (null_fd >= 0) dup2(null_fd, STDERR_FILENO);
    execlp("ip", "ip", "netns", "del", g_netns, static_cast<char*>(nullptr));
    _exit(127);
  }
  if (pid > 0) waitpid(pid, nullptr, 0);
  g_netns[0] = '\0';
}

void OnFatalSignal(int sig) {
  DeleteNetns();
  signal(sig, SIG_DFL);
  raise(sig);
}

int RunQuiet(const std::string& cmd) {
  int rc = std::system((cmd + " >/dev/null 2>&1").c_str());
  return WIFEXITED(rc) ? WEXITSTATUS(rc) : -1;
}

net::Family Inet() { return net::Family::kInet; }

net::RawAddr IpAddrOrDie(const char* text) {
  Result<net::IpAddr> a = net::IpAddr::Parse(text);
  if (!a) std::abort();
  return a->raw;
}

L4Match Udp4(const char* addr, uint16_t port) {
  L4Match m;
  m.family = Inet();
  m.protocol = IPPROTO_UDP;
  m.addr = IpAddrOrDie(addr);
  m.port = port;
  return m;
}

std::vector<uint8_t> UdpFrame(const char* src, const char* dst, uint16_t sport, uint16_t dport,
                              const std::string& payload, const char* src_mac = kMacA1, const char* dst_mac = kMacA0) {
  return PacketBuilder().Eth(src_mac, dst_mac).Ipv4(src, dst).Udp(sport, dport).Payload(payload).Build();
}

// A raw AF_PACKET socket bound to one interface: injects frames, and captures what arrives.
class RawPort {
 public:
  explicit RawPort(const char* ifname) {
    fd_ = socket(AF_PACKET, SOCK_RAW, htons(ETH_P_ALL));
    sockaddr_ll sll{};
    sll.sll_family = AF_PACKET;
    sll.sll_protocol = htons(ETH_P_ALL);
    sll.sll_ifindex = static_cast<int>(if_nametoindex(ifname));
    ifindex_ = sll.sll_ifindex;
    if (fd_ >= 0) bind(fd_, reinterpret_cast<sockaddr*>(&sll), sizeof(sll));
    timeval tv{0, 20 * 1000};
    setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
  }
  ~RawPort() {
    if (fd_ >= 0) close(fd_);
  }
  bool ok() const { return fd_ >= 0 && ifindex_ > 0; }
  bool Inject(const std::vector<uint8_t>& frame) {
    return send(fd_, frame.data(), frame.size(), 0) == static_cast<ssize_t>(frame.size());
  }
  // The first incoming frame that contains `marker`, within timeout_ms; empty if none.
  std::vector<uint8_t> CaptureWith(const std::string& marker, int timeout_ms) {
    auto deadline = Clock::now() + std::chrono::milliseconds(timeout_ms);
    std::vector<uint8_t> buf(4096);
    while (Clock::now() < deadline) {
      sockaddr_ll from{};
      socklen_t len = sizeof(from);
      ssize_t n = recvfrom(fd_, buf.data(), buf.size(), 0, reinterpret_cast<sockaddr*>(&from), &len);
      if (n <= 0 || from.sll_pkttype == PACKET_OUTGOING) continue;
      std::string_view bytes(reinterpret_cast<const char*>(buf.data()), static_cast<size_t>(n));
      if (bytes.find(marker) != std::string_view::npos) return {buf.begin(), buf.begin() + n};
    }
    return {};
  }

 private:
  int fd_ = -1;
  int ifindex_ = 0;
};

// A kernel UDP socket on the director side: shows what the kernel received.
class KernelUdp {
 public:
  KernelUdp(const char* addr, uint16_t port) {
    fd_ = socket(AF_INET, SOCK_DGRAM, 0);
    sockaddr_in sin{};
    sin.sin_family = AF_INET;
    sin.sin_port = htons(port);
    inet_pton(AF_INET, addr, &sin.sin_addr);
    bound_ = fd_ >= 0 && bind(fd_, reinterpret_cast<sockaddr*>(&sin), sizeof(sin)) == 0;
    timeval tv{0, 20 * 1000};
    setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
  }
  ~KernelUdp() {
    if (fd_ >= 0) close(fd_);
  }
  bool ok() const { return bound_; }
  // Datagrams received within timeout_ms, stopping early once `want` arrived.
  int Count(int want, int timeout_ms) {
    int got = 0;
    char buf[2048];
    auto deadline = Clock::now() + std::chrono::milliseconds(timeout_ms);
    while (got < want && Clock::now() < deadline) {
      if (recv(fd_, buf, sizeof(buf), 0) > 0) ++got;
    }
    return got;
  }

 private:
  int fd_ = -1;
  bool bound_ = false;
};

// The names of the XDP programs on an interface (the components behind a libxdp dispatcher,
// or the one program of a plain attachment).
std::vector<std::string> XdpProgramsOn(const char* ifname) {
  std::vector<std::string> names;
  xdp_multiprog* mp = xdp_multiprog__get_from_ifindex(static_cast<int>(if_nametoindex(ifname)));
  if (!mp || libxdp_get_error(mp)) return names;
  if (xdp_multiprog__is_legacy(mp)) {
    if (xdp_program* p = xdp_multiprog__main_prog(mp)) names.emplace_back(xdp_program__name(p));
  } else {
    for (xdp_program* p = xdp_multiprog__next_prog(nullptr, mp); p; p = xdp_multiprog__next_prog(p, mp)) {
      names.emplace_back(xdp_program__name(p));
    }
  }
  xdp_multiprog__close(mp);
  return names;
}

// The fd of the ipvsd program attached to an interface (-1 if none); the caller closes it.
int IpvsdProgramFd(const char* ifname) {
  int fd = -1;
  xdp_multiprog* mp = xdp_multiprog__get_from_ifindex(static_cast<int>(if_nametoindex(ifname)));
  if (!mp || libxdp_get_error(mp)) return -1;
  const bool legacy = xdp_multiprog__is_legacy(mp);
  for (xdp_program* p = legacy ? xdp_multiprog__main_prog(mp) : xdp_multiprog__next_prog(nullptr, mp); p;
       p = legacy ? nullptr : xdp_multiprog__next_prog(p, mp)) {
    if (std::strcmp(xdp_program__name(p), "ipvsd_xdp") == 0) {
      fd = dup(xdp_program__fd(p));
      break;
    }
  }
  xdp_multiprog__close(mp);
  return fd;
}

class AfXdpIoTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    if (geteuid() != 0) {
      skip_reason_ = "needs root (network namespaces, XDP)";
      return;
    }
    std::snprintf(g_netns, sizeof(g_netns), "ipvsd-xdp-%d", static_cast<int>(getpid()));
    std::atexit(DeleteNetns);
    for (int sig : {SIGINT, SIGTERM, SIGABRT, SIGSEGV}) signal(sig, OnFatalSignal);
    const std::string ns = g_netns;
    const std::string in = "ip -n " + ns + " ";
    const char* setup[] = {
        "link add xa0 address 02:00:00:00:0a:00 type veth peer name xa1 address 02:00:00:00:0a:01",
        "link add xb0 address 02:00:00:00:0b:00 type veth peer name xb1 address 02:00:00:00:0b:01",
        "addr add 198.18.0.1/24 dev xa0",
        "addr add 198.19.0.1/32 dev xa0",
        "addr add 198.18.1.1/24 dev xb0",
        "link set lo up",
        "link set xa0 up",
        "link set xa1 up",
        "link set xb0 up",
        "link set xb1 up",
    };
    if (RunQuiet("ip netns add " + ns) != 0) {
      g_netns[0] = '\0';
      skip_reason_ = "cannot create a network namespace";
      return;
    }
    for (const char* step : setup) {
      if (RunQuiet(in + step) != 0) {
        skip_reason_ = std::string("topology step failed: ip ") + step;
        return;
      }
    }
    original_netns_ = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
  }

  static void TearDownTestSuite() {
    if (original_netns_ >= 0) close(original_netns_);
    original_netns_ = -1;
    DeleteNetns();
  }

  void SetUp() override {
    if (!skip_reason_.empty()) GTEST_SKIP() << skip_reason_;
    int fd = open((std::string("/run/netns/") + g_netns).c_str(), O_RDONLY | O_CLOEXEC);
    ASSERT_GE(fd, 0) << "opening the namespace " << g_netns << ": " << std::strerror(errno);
    ASSERT_EQ(setns(fd, CLONE_NEWNET), 0) << std::strerror(errno);
    close(fd);
    entered_ = true;
  }

  void TearDown() override {
    if (entered_) setns(original_netns_, CLONE_NEWNET);
  }

  // Opens the backend on {xa0, xb0}; skips the test when AF_XDP is not available here.
  std::unique_ptr<AfXdpIo> OpenOrSkip(XdpMode mode = XdpMode::kAuto) {
    AfXdpOptions o;
    o.ifaces = {"xa0", "xb0"};
    o.mode = mode;
    Result<std::unique_ptr<AfXdpIo>> io = AfXdpIo::Open(o);
    if (!io) {
      int code = io.error().code;
      if (code == EAFNOSUPPORT || code == EOPNOTSUPP || code == EPERM || code == ENOSYS) {
        skipped_open_ = io.error().message;
        return nullptr;
      }
      ADD_FAILURE() << io.error().message;
      return nullptr;
    }
    std::printf("[ info     ] AF_XDP mode: %s\n", (*io)->mode_description().c_str());
    return std::move(*io);
  }

  // Receives until `want` frames arrived or timeout_ms passed; the caller owns the frames.
  static std::vector<net::Frame> ReceiveUpTo(AfXdpIo& io, size_t want, int timeout_ms) {
    std::vector<net::Frame> got;
    auto deadline = Clock::now() + std::chrono::milliseconds(timeout_ms);
    net::Frame burst[net::kMaxBurst];
    while (got.size() < want && Clock::now() < deadline) {
      size_t n = io.Receive(std::span(burst, std::min<size_t>(net::kMaxBurst, want - got.size())));
      got.insert(got.end(), burst, burst + n);
      if (n == 0) io.WaitForFrames(10, -1);
    }
    return got;
  }

  static std::vector<uint8_t> Bytes(const net::Frame& f) { return {f.data(), f.data() + f.len}; }

  static inline std::string skip_reason_;
  static inline int original_netns_ = -1;
  bool entered_ = false;
  std::string skipped_open_;
};

#define OPEN_OR_SKIP(var, ...)                                 \
  std::unique_ptr<AfXdpIo> var = OpenOrSkip(__VA_ARGS__);      \
  if (!var) {                                                  \
    if (!skipped_open_.empty()) GTEST_SKIP() << skipped_open_; \
    return;                                                    \
  }

TEST_F(AfXdpIoTest, ServicePacketsArriveWithExactBytesTheRestReachesTheKernel) {
  OPEN_OR_SKIP(io);
  KernelUdp other(kVip, kOtherPort);
  KernelUdp service(kVip, kServicePort);
  ASSERT_TRUE(other.ok() && service.ok());
  RawPort client("xa1");
  ASSERT_TRUE(client.ok());
  TrafficFilter filter;
  filter.services.push_back(Udp4(kVip, kServicePort));
  ASSERT_TRUE(io->SetFilter(filter).ok());

  constexpr int kCount = 40;
  std::vector<std::vector<uint8_t>> sent;
  for (int i = 0; i < kCount; ++i) {
    sent.push_back(UdpFrame(kClient, kVip, 40000, kServicePort, "service datagram #" + std::to_string(i)));
    ASSERT_TRUE(client.Inject(sent.back()));
  }
  std::vector<net::Frame> got = ReceiveUpTo(*io, kCount, kWaitMs);
  ASSERT_EQ(got.size(), static_cast<size_t>(kCount));
  for (int i = 0; i < kCount; ++i) {
    EXPECT_EQ(Bytes(got[i]), sent[i]) << "frame " << i;
    EXPECT_EQ(got[i].ifindex, if_nametoindex("xa0"));
    EXPECT_GE(got[i].offset, net::kFrameHeadroom) << "room to push a tunnel header";
  }
  io->Drop(got);
  EXPECT_EQ(service.Count(1, 100), 0) << "the kernel must not see service packets";

  for (int i = 0; i < 8; ++i) ASSERT_TRUE(client.Inject(UdpFrame(kClient, kVip, 40000, kOtherPort, "not ours")));
  EXPECT_EQ(other.Count(8, kWaitMs), 8) << "non-service packets belong to the kernel";
  EXPECT_TRUE(ReceiveUpTo(*io, 1, 100).empty());

  AfXdpCounters c = io->counters();
  EXPECT_EQ(c.rx, static_cast<uint64_t>(kCount));
  EXPECT_EQ(c.dropped, static_cast<uint64_t>(kCount));
}

TEST_F(AfXdpIoTest, SendTransmitsOnTheFrameInterfaceInPlace) {
  OPEN_OR_SKIP(io);
  RawPort client("xa1");
  RawPort server("xb1");
  ASSERT_TRUE(client.ok() && server.ok());
  TrafficFilter filter;
  filter.services.push_back(Udp4(kVip, kServicePort));
  ASSERT_TRUE(io->SetFilter(filter).ok());

  // Client side to server side, rewritten in place (as NAT/DR do): new MACs, out of xb0.
  ASSERT_TRUE(client.Inject(UdpFrame(kClient, kVip, 40001, kServicePort, "forward me")));
  std::vector<net::Frame> got = ReceiveUpTo(*io, 1, kWaitMs);
  ASSERT_EQ(got.size(), 1u);
  std::vector<uint8_t> expect = UdpFrame(kClient, kVip, 40001, kServicePort, "forward me", kMacB0, kMacB1);
  std::memcpy(got[0].data(), expect.data(), 12);
  got[0].ifindex = if_nametoindex("xb0");
  io->Send(got);
  EXPECT_EQ(server.CaptureWith("forward me", kWaitMs), expect);

  // Grown at the front (as TUN does): an outer Ethernet header pushed into the headroom.
  ASSERT_TRUE(client.Inject(UdpFrame(kClient, kVip, 40002, kServicePort, "grow me")));
  got = ReceiveUpTo(*io, 1, kWaitMs);
  ASSERT_EQ(got.size(), 1u);
  std::vector<uint8_t> inner = Bytes(got[0]);
  ASSERT_TRUE(got[0].Push(14));
  std::vector<uint8_t> outer = PacketBuilder().Eth(kMacB0, kMacB1).Ipv4(kClient, kRealServer).Build();
  std::memcpy(got[0].data(), outer.data(), 12);
  got[0].data()[12] = 0x08;
  got[0].data()[13] = 0x00;
  got[0].ifindex = if_nametoindex("xb0");
  std::vector<uint8_t> grown = Bytes(got[0]);
  io->Send(got);
  std::vector<uint8_t> captured = server.CaptureWith("grow me", kWaitMs);
  EXPECT_EQ(captured, grown);
  EXPECT_EQ(captured.size(), inner.size() + 14);

  // Back out of the receiving interface (as an ICMP error goes back to its sender).
  ASSERT_TRUE(client.Inject(UdpFrame(kClient, kVip, 40003, kServicePort, "bounce me")));
  got = ReceiveUpTo(*io, 1, kWaitMs);
  ASSERT_EQ(got.size(), 1u);
  std::vector<uint8_t> bounced = UdpFrame(kVip, kClient, kServicePort, 40003, "bounce me", kMacA0, kMacA1);
  std::memcpy(got[0].data(), bounced.data(), bounced.size());
  got[0].len = static_cast<uint32_t>(bounced.size());
  io->Send(got);
  EXPECT_EQ(client.CaptureWith("bounce me", kWaitMs), bounced);

  // A frame for an interface the backend does not serve is dropped and counted, not leaked.
  ASSERT_TRUE(client.Inject(UdpFrame(kClient, kVip, 40004, kServicePort, "nowhere")));
  got = ReceiveUpTo(*io, 1, kWaitMs);
  ASSERT_EQ(got.size(), 1u);
  got[0].ifindex = if_nametoindex("lo");
  io->Send(got);
  AfXdpCounters c = io->counters();
  EXPECT_EQ(c.tx, 3u);
  EXPECT_EQ(c.tx_unsendable, 1u);
  EXPECT_EQ(c.kernel_invalid_descs, 0u);
}

TEST_F(AfXdpIoTest, PassedFramesAreDroppedAndCounted) {
  OPEN_OR_SKIP(io);
  RawPort client("xa1");
  ASSERT_TRUE(client.ok());
  TrafficFilter filter;
  filter.services.push_back(Udp4(kVip, kServicePort));
  ASSERT_TRUE(io->SetFilter(filter).ok());
  ASSERT_TRUE(client.Inject(UdpFrame(kClient, kVip, 40010, kServicePort, "pass me")));
  std::vector<net::Frame> got = ReceiveUpTo(*io, 1, kWaitMs);
  ASSERT_EQ(got.size(), 1u);
  io->Pass(got);
  EXPECT_EQ(io->counters().passed_dropped, 1u);
}

TEST_F(AfXdpIoTest, FilterChangesTakeEffect) {
  OPEN_OR_SKIP(io);
  RawPort client("xa1");
  RawPort server("xb1");
  KernelUdp port_9000(kVip, kServicePort);
  ASSERT_TRUE(client.ok() && server.ok() && port_9000.ok());
  auto arrives = [&](const std::vector<uint8_t>& frame, RawPort& from) {
    EXPECT_TRUE(from.Inject(frame));
    std::vector<net::Frame> got = ReceiveUpTo(*io, 1, 300);
    io->Drop(got);
    return got.size() == 1;
  };
  const std::vector<uint8_t> to_9000 = UdpFrame(kClient, kVip, 40020, kServicePort, "to 9000");
  const std::vector<uint8_t> to_9002 = UdpFrame(kClient, kVip, 40020, 9002, "to 9002");

  TrafficFilter filter;
  filter.services.push_back(Udp4(kVip, kServicePort));
  ASSERT_TRUE(io->SetFilter(filter).ok());
  EXPECT_TRUE(arrives(to_9000, client));
  EXPECT_FALSE(arrives(to_9002, client));

  filter.services = {Udp4(kVip, 9002)};
  ASSERT_TRUE(io->SetFilter(filter).ok());
  EXPECT_FALSE(arrives(to_9000, client));
  EXPECT_EQ(port_9000.Count(1, kWaitMs), 1) << "a service that went away is the kernel's again";
  EXPECT_TRUE(arrives(to_9002, client));

  // Port 0: every port of the address.
  filter.services = {Udp4(kVip, 0)};
  ASSERT_TRUE(io->SetFilter(filter).ok());
  EXPECT_TRUE(arrives(to_9000, client));
  EXPECT_TRUE(arrives(to_9002, client));

  // NAT replies: matched on the real server's source address and port.
  filter.services.clear();
  filter.nat_sources = {Udp4(kRealServer, 8080)};
  ASSERT_TRUE(io->SetFilter(filter).ok());
  EXPECT_FALSE(arrives(to_9000, client));
  EXPECT_TRUE(arrives(UdpFrame(kRealServer, kClient, 8080, 40020, "reply", kMacB1, kMacB0), server));
  EXPECT_FALSE(arrives(UdpFrame(kRealServer, kClient, 8081, 40020, "other", kMacB1, kMacB0), server));

  ASSERT_TRUE(io->SetFilter(TrafficFilter{}).ok());
  EXPECT_FALSE(arrives(UdpFrame(kRealServer, kClient, 8080, 40020, "reply", kMacB1, kMacB0), server));

  L4Match icmp = Udp4(kVip, 0);
  icmp.protocol = IPPROTO_ICMP;
  filter.services = {icmp};
  EXPECT_EQ(io->SetFilter(filter).error().code, EPROTONOSUPPORT);
}

// A bounded load (at most kLoadFrames frames or kLoadSeconds), forwarded the way a worker
// does: receive on xa0, rewrite the MACs in place, send on xb0. Prints the rate for the record;
// asserts only that the path moved frames and lost none inside ipvsd (the sender, the veth
// and the rx ring share the same two cores, so absolute rates are noise).
class AfXdpIoLoadTest : public AfXdpIoTest, public ::testing::WithParamInterface<XdpMode> {};

TEST_P(AfXdpIoLoadTest, ForwardsABoundedLoad) {
  constexpr int kLoadFrames = 200000;
  constexpr auto kLoadSeconds = std::chrono::seconds(3);
  OPEN_OR_SKIP(io, GetParam());
  TrafficFilter filter;
  filter.services.push_back(Udp4(kVip, kServicePort));
  ASSERT_TRUE(io->SetFilter(filter).ok());

  std::atomic<bool> sender_done{false};
  std::atomic<int> sent{0};
  std::thread sender([&] {
    int fd = open((std::string("/run/netns/") + g_netns).c_str(), O_RDONLY | O_CLOEXEC);
    if (fd >= 0 && setns(fd, CLONE_NEWNET) == 0) {
      RawPort client("xa1");
      const std::vector<uint8_t> frame = UdpFrame(kClient, kVip, 40100, kServicePort, std::string(64, 'l'));
      auto deadline = Clock::now() + kLoadSeconds;
      int n = 0;
      while (n < kLoadFrames && Clock::now() < deadline) n += client.Inject(frame) ? 1 : 0;
      sent = n;
    }
    if (fd >= 0) close(fd);
    sender_done = true;
  });

  const uint32_t out_ifindex = if_nametoindex("xb0");
  const std::vector<uint8_t> macs = UdpFrame(kClient, kVip, 1, 1, "", kMacB0, kMacB1);
  uint64_t forwarded = 0;
  net::Frame burst[net::kMaxBurst];
  auto start = Clock::now();
  auto last = start;
  // Runs until the sender stopped and the rings stayed empty for 200 ms (bounded by its deadline).
  while (!sender_done || Clock::now() - last < std::chrono::milliseconds(200)) {
    size_t n = io->Receive(burst);
    if (n == 0) {
      io->WaitForFrames(1, -1);
      continue;
    }
    for (size_t i = 0; i < n; ++i) {
      std::memcpy(burst[i].data(), macs.data(), 12);
      burst[i].ifindex = out_ifindex;
    }
    io->Send(std::span(burst, n));
    forwarded += n;
    last = Clock::now();
  }
  sender.join();
  double seconds = std::chrono::duration<double>(last - start).count();
  AfXdpCounters c = io->counters();
  std::printf("[ info     ] %s: sent %d, forwarded %llu in %.2f s = %.0f pps; kernel rx drops %llu, "
              "tx ring full %llu\n",
              io->mode_description().c_str(), sent.load(), static_cast<unsigned long long>(forwarded), seconds,
              seconds > 0 ? static_cast<double>(forwarded) / seconds : 0.0,
              static_cast<unsigned long long>(c.kernel_rx_dropped), static_cast<unsigned long long>(c.tx_ring_full));
  EXPECT_GT(forwarded, 0u);
  EXPECT_EQ(c.rx, forwarded);
  EXPECT_EQ(c.tx + c.tx_ring_full, forwarded);
  EXPECT_EQ(c.kernel_invalid_descs, 0u);
}

INSTANTIATE_TEST_SUITE_P(Modes, AfXdpIoLoadTest, ::testing::Values(XdpMode::kNative, XdpMode::kSkb),
                         [](const ::testing::TestParamInfo<XdpMode>& info) {
                           return info.param == XdpMode::kNative ? "Native" : "Skb";
                         });

// The program's verdict (XDP_REDIRECT = ipvsd's, XDP_PASS = the kernel's) for one frame
// arriving on xa0 queue 0, from BPF_PROG_TEST_RUN: nothing is sent anywhere.
int Verdict(int prog_fd, const std::vector<uint8_t>& frame) {
  std::vector<uint8_t> copy = frame;
  xdp_md ctx{};
  ctx.data_end = static_cast<uint32_t>(copy.size());
  ctx.ingress_ifindex = if_nametoindex("xa0");
  ctx.rx_queue_index = 0;
  LIBBPF_OPTS(bpf_test_run_opts, opts, .data_in = copy.data(), .data_size_in = static_cast<uint32_t>(copy.size()),
              .ctx_in = &ctx, .ctx_size_in = sizeof(ctx));
  if (bpf_prog_test_run_opts(prog_fd, &opts) != 0) return -errno;
  return static_cast<int>(opts.retval);
}

TEST_F(AfXdpIoTest, ProgramVerdicts) {
  OPEN_OR_SKIP(io);
  TrafficFilter filter;
  filter.services.push_back(Udp4(kVip, kServicePort));
  L4Match tcp_any = Udp4("198.19.0.2", 0);
  tcp_any.protocol = IPPROTO_TCP;
  filter.services.push_back(tcp_any);
  L4Match sctp = Udp4(kVip, 3868);
  sctp.protocol = IPPROTO_SCTP;
  filter.services.push_back(sctp);
  L4Match v6;
  v6.family = net::Family::kInet6;
  v6.protocol = IPPROTO_TCP;
  v6.addr = IpAddrOrDie("::ffff:198.19.0.1");
  v6.port = 80;
  filter.services.push_back(v6);
  filter.nat_sources.push_back(Udp4(kRealServer, 8080));
  ASSERT_TRUE(io->SetFilter(filter).ok());

  int fd = IpvsdProgramFd("xa0");
  ASSERT_GE(fd, 0);
  const char* v6_vip = "::ffff:198.19.0.1";
  const char* v6_client = "::ffff:198.18.0.2";
  const std::vector<uint8_t> quoted_reply =
      PacketBuilder().Ipv4(kVip, kClient).Udp(kServicePort, 40000).Payload("x").BuildL3();
  const std::vector<uint8_t> quoted_to_rs =
      PacketBuilder().Ipv4(kClient, kRealServer).Udp(40000, 8080).Payload("x").BuildL3();
  const std::vector<uint8_t> quoted_v6 = PacketBuilder().Ipv6(v6_vip, v6_client).Tcp(80, 40000, 0x10).BuildL3();
  struct Case {
    const char* what;
    std::vector<uint8_t> frame;
    int verdict;
  };
  // Frames sent to xa0's MAC address, as a neighbour that resolved the VIP sends them.
  auto ToXa0 = [] { return PacketBuilder().Eth(kMacA1, kMacA0); };
  const Case cases[] = {
      {"udp service", ToXa0().Ipv4(kClient, kVip).Udp(1, kServicePort).Build(), XDP_REDIRECT},
      {"udp service, another host's MAC (a bridge's flood)",
       PacketBuilder().Eth(kMacA1, "02:00:00:00:0c:00").Ipv4(kClient, kVip).Udp(1, kServicePort).Build(), XDP_PASS},
      {"udp other port", ToXa0().Ipv4(kClient, kVip).Udp(1, kOtherPort).Build(), XDP_PASS},
      {"tcp to a udp service", ToXa0().Ipv4(kClient, kVip).Tcp(1, kServicePort, 2).Build(), XDP_PASS},
      {"tcp any port", ToXa0().Ipv4(kClient, "198.19.0.2").Tcp(1, 443, 2).Build(), XDP_REDIRECT},
      {"sctp service", ToXa0().Ipv4(kClient, kVip).Sctp(1, 3868, 0, 1).Build(), XDP_REDIRECT},
      {"ipv4 options",
       ToXa0().Ipv4(kClient, kVip).Ipv4Options({1, 1, 1, 1, 7, 3, 4}).Udp(1, kServicePort).Build(),
       XDP_REDIRECT},
      {"one vlan tag", ToXa0().Vlan(10).Ipv4(kClient, kVip).Udp(1, kServicePort).Build(), XDP_REDIRECT},
      {"two vlan tags", ToXa0().Vlan(10, 0x88a8).Vlan(20).Ipv4(kClient, kVip).Udp(1, kServicePort).Build(),
       XDP_REDIRECT},
      {"nat reply", ToXa0().Ipv4(kRealServer, kClient).Udp(8080, 40000).Build(), XDP_REDIRECT},
      {"from a real server, other port", ToXa0().Ipv4(kRealServer, kClient).Udp(22, 40000).Build(), XDP_PASS},
      {"first fragment to a vip", ToXa0().Ipv4(kClient, kVip).MoreFragments(true).Udp(1, 5).Build(),
       XDP_REDIRECT},
      {"later fragment to a vip", ToXa0().Ipv4(kClient, kVip).FragmentOffset(10).Payload("data").Build(),
       XDP_REDIRECT},
      {"fragment elsewhere", ToXa0().Ipv4(kClient, "198.18.0.1").FragmentOffset(10).Payload("d").Build(),
       XDP_PASS},
      {"icmp error about a service reply",
       ToXa0().Ipv4("198.18.0.254", kVip).Icmp(3, 3).Embed(quoted_reply).Build(), XDP_REDIRECT},
      {"icmp error about a packet to a nat real server",
       ToXa0().Ipv4("198.18.0.254", kClient).Icmp(11, 0).Embed(quoted_to_rs).Build(), XDP_REDIRECT},
      {"icmp echo to the vip", ToXa0().Ipv4(kClient, kVip).Icmp(8, 0).Build(), XDP_PASS},
      {"ipv6 service", ToXa0().Ipv6(v6_client, v6_vip).Tcp(1, 80, 2).Build(), XDP_REDIRECT},
      {"ipv6 other port", ToXa0().Ipv6(v6_client, v6_vip).Tcp(1, 81, 2).Build(), XDP_PASS},
      {"ipv6 after dest options",
       ToXa0().Ipv6(v6_client, v6_vip).Ipv6ExtHeader(60, {}).Tcp(1, 80, 2).Build(), XDP_REDIRECT},
      {"ipv6 after hop-by-hop and routing",
       ToXa0().Ipv6(v6_client, v6_vip).Ipv6ExtHeader(0, {}).Ipv6ExtHeader(43, {0, 0}).Tcp(1, 80, 2).Build(),
       XDP_REDIRECT},
      {"ipv6 fragment to a vip", ToXa0().Ipv6(v6_client, v6_vip).FragmentOffset(3).Payload("d").Build(),
       XDP_REDIRECT},
      {"icmpv6 too big about a service reply",
       ToXa0().Ipv6("::ffff:198.18.0.254", v6_vip).Icmpv6(2, 0, 1280).Embed(quoted_v6).Build(), XDP_REDIRECT},
      {"arp", {0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 2, 0, 0, 0, 0, 1, 0x08, 0x06, 0, 1, 8, 0, 6, 4, 0, 1}, XDP_PASS},
      {"truncated ipv4", {2, 0, 0, 0, 0, 2, 2, 0, 0, 0, 0, 1, 0x08, 0x00, 0x45, 0}, XDP_PASS},
  };
  for (const Case& c : cases) EXPECT_EQ(Verdict(fd, c.frame), c.verdict) << c.what;
  close(fd);
}

// An upgrade: the running process hands its UMEM and sockets to its successor. What arrives
// while neither polls waits in the rx ring, and the successor receives it all, then goes on
// recycling the UMEM's frames without losing or doubling one.
TEST_F(AfXdpIoTest, HandedOverSocketsQueueMeanwhileAndTheSuccessorReceivesEverything) {
  OPEN_OR_SKIP(first);
  RawPort client("xa1");
  ASSERT_TRUE(client.ok());
  TrafficFilter filter;
  filter.services.push_back(Udp4(kVip, kServicePort));
  ASSERT_TRUE(first->SetFilter(filter).ok());
  auto datagram = [](int i) { return UdpFrame(kClient, kVip, 40000, kServicePort, "datagram #" + std::to_string(i)); };
  for (int i = 0; i < 10; ++i) ASSERT_TRUE(client.Inject(datagram(i)));
  std::vector<net::Frame> got = ReceiveUpTo(*first, 4, kWaitMs);
  ASSERT_EQ(got.size(), 4u);
  first->Drop(got);

  Result<AfXdpHandover> handed = first->HandOver();
  ASSERT_TRUE(handed.ok()) << handed.error().message;
  AfXdpOptions o;
  o.ifaces = {"xa0", "xb0"};
  o.adopt = &*handed;
  Result<std::unique_ptr<AfXdpIo>> second = AfXdpIo::Open(o);
  ASSERT_TRUE(second.ok()) << second.error().message;
  EXPECT_EQ(handed->umem_fd, -1) << "Open takes the descriptors over";
  first.reset();
  for (int i = 10; i < 20; ++i) ASSERT_TRUE(client.Inject(datagram(i)));

  got = ReceiveUpTo(**second, 16, kWaitMs);
  ASSERT_EQ(got.size(), 16u) << "frames waiting in the ring were lost";
  for (int i = 0; i < 16; ++i) EXPECT_EQ(Bytes(got[i]), datagram(i + 4)) << i;
  (*second)->Drop(got);

  // Four times the UMEM's frames, a burst at a time: every frame comes back for reuse, and none
  // is given to the kernel while in hand (its bytes would change).
  constexpr int kBurst = 32;
  for (int round = 0; round < 4 * 4096 / kBurst; ++round) {
    for (int i = 0; i < kBurst; ++i) ASSERT_TRUE(client.Inject(datagram(round * kBurst + i)));
    got = ReceiveUpTo(**second, kBurst, kWaitMs);
    ASSERT_EQ(got.size(), static_cast<size_t>(kBurst)) << "round " << round;
    std::set<uint64_t> in_hand;
    for (int i = 0; i < kBurst; ++i) {
      EXPECT_TRUE(in_hand.insert(got[i].cookie).second) << "one UMEM frame received twice at once";
      EXPECT_EQ(Bytes(got[i]), datagram(round * kBurst + i)) << "round " << round;
    }
    (*second)->Drop(got);
  }
  AfXdpCounters c = (*second)->counters();
  EXPECT_EQ(c.fill_ring_empty, 0u) << "frames were lost in the handover";
  EXPECT_EQ(c.kernel_rx_dropped, 0u);
}

// The successor's queues or UMEM differ from what was handed over: refused, descriptors closed.
TEST_F(AfXdpIoTest, HandedOverSocketsOfAnotherLayoutAreRefused) {
  OPEN_OR_SKIP(first);
  Result<AfXdpHandover> handed = first->HandOver();
  ASSERT_TRUE(handed.ok()) << handed.error().message;
  const int umem_fd = handed->umem_fd;
  AfXdpOptions o;
  o.ifaces = {"xa0", "xb0"};
  o.frames = 8192;
  o.adopt = &*handed;
  Result<std::unique_ptr<AfXdpIo>> second = AfXdpIo::Open(o);
  ASSERT_FALSE(second.ok());
  EXPECT_NE(second.error().message.find("other queues or another UMEM size"), std::string::npos)
      << second.error().message;
  EXPECT_EQ(fcntl(umem_fd, F_GETFD), -1) << "the descriptors handed over were left open";
}

TEST_F(AfXdpIoTest, DestroyDetachesTheProgram) {
  {
    OPEN_OR_SKIP(io);
    EXPECT_EQ(XdpProgramsOn("xa0"), std::vector<std::string>{"ipvsd_xdp"});
    EXPECT_EQ(XdpProgramsOn("xb0"), std::vector<std::string>{"ipvsd_xdp"});
  }
  EXPECT_TRUE(XdpProgramsOn("xa0").empty());
  EXPECT_TRUE(XdpProgramsOn("xb0").empty());
}

TEST_F(AfXdpIoTest, TwoQueuesOfTheSameInterfacesShareOneAttachment) {
  OPEN_OR_SKIP(first);
  AfXdpOptions o;
  o.ifaces = {"xb0", "xa0"};
  Result<std::unique_ptr<AfXdpIo>> reordered = AfXdpIo::Open(o);
  ASSERT_FALSE(reordered.ok());
  EXPECT_EQ(reordered.error().code, EBUSY);
  o.ifaces = {"xa0", "nonexistent0"};
  Result<std::unique_ptr<AfXdpIo>> missing = AfXdpIo::Open(o);
  ASSERT_FALSE(missing.ok());
  EXPECT_NE(missing.error().message.find("'nonexistent0'"), std::string::npos) << missing.error().message;
  EXPECT_EQ(XdpProgramsOn("xa0"), std::vector<std::string>{"ipvsd_xdp"}) << "failed opens leave the first alone";
}

// The child's exit status when this kernel has no AF_XDP for it (the test is then skipped);
// any other failure in the child fails the test.
constexpr int kChildNoAfXdp = 77;

// The child side of a killed run: opens the backend with a service filter and exits without
// running a destructor, as under SIGKILL; its sockets close, its XDP program stays.
[[noreturn]] void LeaveOrphanAndDie() {
  AfXdpOptions o;
  o.ifaces = {"xa0", "xb0"};
  Result<std::unique_ptr<AfXdpIo>> io = AfXdpIo::Open(o);
  if (!io) {
    const int code = io.error().code;
    _exit(code == EAFNOSUPPORT || code == EOPNOTSUPP || code == EPERM || code == ENOSYS ? kChildNoAfXdp : 1);
  }
  TrafficFilter filter;
  filter.services.push_back(Udp4(kVip, kServicePort));
  _exit((*io)->SetFilter(filter).ok() ? 0 : 1);
}

TEST_F(AfXdpIoTest, DetachStaleRemovesWhatAKilledRunLeft) {
  pid_t pid = fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) LeaveOrphanAndDie();
  int status = 0;
  ASSERT_EQ(waitpid(pid, &status, 0), pid);
  ASSERT_TRUE(WIFEXITED(status)) << "the child was killed by signal " << WTERMSIG(status);
  if (WEXITSTATUS(status) == kChildNoAfXdp) GTEST_SKIP() << "AF_XDP not available in the child";
  ASSERT_EQ(WEXITSTATUS(status), 0) << "the child could not open AF_XDP and set its filter";
  ASSERT_EQ(XdpProgramsOn("xa0"), std::vector<std::string>{"ipvsd_xdp"}) << "the killed run left its program";

  // The orphan redirects to sockets that are gone: it holds the service's packets for the
  // next ipvsd (which adopts the connections) instead of letting the kernel reset them; the
  // director's own traffic still reaches the kernel.
  KernelUdp service(kVip, kServicePort);
  KernelUdp own(kVip, kServicePort + 1);
  RawPort client("xa1");
  ASSERT_TRUE(service.ok() && own.ok() && client.ok());
  ASSERT_TRUE(client.Inject(UdpFrame(kClient, kVip, 40030, kServicePort, "orphan")));
  ASSERT_TRUE(client.Inject(UdpFrame(kClient, kVip, 40030, kServicePort + 1, "own")));
  EXPECT_EQ(own.Count(1, kWaitMs), 1) << "the director's own traffic is the kernel's";
  EXPECT_EQ(service.Count(1, kWaitMs), 0) << "a service packet with no socket to go to is held, not the kernel's";

  AfXdpIo::DetachStale({"xa0", "xb0", "nonexistent0"});
  EXPECT_TRUE(XdpProgramsOn("xa0").empty());
  EXPECT_TRUE(XdpProgramsOn("xb0").empty());
  ASSERT_TRUE(client.Inject(UdpFrame(kClient, kVip, 40032, kServicePort, "detached")));
  EXPECT_EQ(service.Count(1, kWaitMs), 1) << "once detached, the kernel's again";

  // And Open cleans up by itself: leave another orphan, then open over it.
  pid = fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) LeaveOrphanAndDie();
  ASSERT_EQ(waitpid(pid, &status, 0), pid);
  {
    OPEN_OR_SKIP(io);
    EXPECT_EQ(XdpProgramsOn("xa0"), std::vector<std::string>{"ipvsd_xdp"});
    TrafficFilter filter;
    filter.services.push_back(Udp4(kVip, kServicePort));
    ASSERT_TRUE(io->SetFilter(filter).ok());
    ASSERT_TRUE(client.Inject(UdpFrame(kClient, kVip, 40031, kServicePort, "after")));
    std::vector<net::Frame> got = ReceiveUpTo(*io, 1, kWaitMs);
    EXPECT_EQ(got.size(), 1u);
    io->Drop(got);
  }
  EXPECT_TRUE(XdpProgramsOn("xa0").empty());
}

}  // namespace
}  // namespace ipvsd::io
