// File: io/af_packet/af_packet_io_test.cc
//
// AfPacketIo against a real kernel: a director namespace with two veths (a0 "client side",
// b0 "server side") whose peers a1/b1 live in a second namespace, where raw packet sockets
// inject and capture exact frames. Addresses in 198.18.0.0/15 only. Pins down: service
// frames arrive through Receive byte for byte and the kernel's copy is dropped by the nft
// table (a local UDP socket on the VIP gets nothing), while other traffic still reaches the
// kernel; NAT-source frames are dropped in the kernel too; a received frame sent with
// another ifindex leaves by that interface byte for byte; a frame from a local socket behind
// a veth arrives with its checksum half-computed, as the kernel had it, and
// net::CompletePartialChecksum (the worker's step) makes it valid; the nft table is created
// on Open (replacing a stale one), accepts IPv4/IPv6 and any-port entries, and is gone after
// destruction. Needs root.
#include "io/af_packet/af_packet_io.h"

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <linux/if_ether.h>
#include <linux/if_packet.h>
#include <net/if.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <chrono>
#include <string>
#include <vector>

#include "io/netlink/netns_test_util.h"
#include "net/packet_view.h"
#include "net/partial_checksum.h"
#include "tests/testing/checksum_verify.h"
#include "tests/testing/hex.h"
#include "tests/testing/packet_builder.h"

namespace ipvsd::io {
namespace {

using ipvsd::testing::PacketBuilder;
using testing::Netns;
using testing::NetnsEnter;
using testing::WaitFor;

constexpr const char* kA0Mac = "02:00:5e:00:0a:01";
constexpr const char* kA1Mac = "02:00:5e:00:0a:02";
constexpr const char* kB0Mac = "02:00:5e:00:0b:01";
constexpr const char* kB1Mac = "02:00:5e:00:0b:02";
constexpr const char* kVip = "198.18.9.10";
constexpr auto kWait = std::chrono::milliseconds(2000);

net::RawAddr Addr(const char* text) { return net::IpAddr::Parse(text)->raw; }

// A file descriptor closed on scope exit.
class Fd {
 public:
  explicit Fd(int fd = -1) : fd_(fd) {}
  ~Fd() {
    if (fd_ >= 0) close(fd_);
  }
  Fd(Fd&& o) noexcept : fd_(o.fd_) { o.fd_ = -1; }
  Fd& operator=(Fd&& o) noexcept {
    std::swap(fd_, o.fd_);
    return *this;
  }
  int get() const { return fd_; }

 private:
  int fd_;
};

// A raw packet socket on one peer interface: injects frames and captures them.
Fd RawSocket(const char* ifname) {
  Fd fd(socket(AF_PACKET, SOCK_RAW | SOCK_CLOEXEC | SOCK_NONBLOCK, htons(ETH_P_ALL)));
  sockaddr_ll addr{};
  addr.sll_family = AF_PACKET;
  addr.sll_protocol = htons(ETH_P_ALL);
  addr.sll_ifindex = static_cast<int>(if_nametoindex(ifname));
  if (fd.get() < 0 || bind(fd.get(), reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) return Fd();
  return fd;
}

bool Inject(const Fd& fd, const std::vector<uint8_t>& frame) {
  return send(fd.get(), frame.data(), frame.size(), 0) == static_cast<ssize_t>(frame.size());
}

// Waits for exactly `frame` on a raw socket (other traffic, e.g. ARP, is skipped).
bool Capture(const Fd& fd, const std::vector<uint8_t>& frame) {
  std::array<uint8_t, 2048> buf;
  return WaitFor(
      [&] {
        for (int i = 0; i < 64; ++i) {
          sockaddr_ll from{};
          socklen_t len = sizeof from;
          ssize_t n = recvfrom(fd.get(), buf.data(), buf.size(), 0, reinterpret_cast<sockaddr*>(&from), &len);
          if (n < 0) return false;
          if (from.sll_pkttype == PACKET_OUTGOING) continue;
          if (std::vector<uint8_t>(buf.data(), buf.data() + n) == frame) return true;
        }
        return false;
      },
      kWait);
}

// Whether a frame carrying `marker` shows up on a raw socket within `limit`.
bool SawFrameWith(const Fd& fd, const std::string& marker, std::chrono::milliseconds limit) {
  std::array<uint8_t, 2048> buf;
  return WaitFor(
      [&] {
        for (int i = 0; i < 64; ++i) {
          ssize_t n = recv(fd.get(), buf.data(), buf.size(), 0);
          if (n < 0) return false;
          if (std::search(buf.data(), buf.data() + n, marker.begin(), marker.end()) != buf.data() + n) return true;
        }
        return false;
      },
      limit);
}

// A non-blocking UDP socket bound to addr:port in the calling thread's namespace.
Fd UdpSocket(const char* addr, uint16_t port) {
  Fd fd(socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0));
  sockaddr_in sin{};
  sin.sin_family = AF_INET;
  sin.sin_port = htons(port);
  inet_pton(AF_INET, addr, &sin.sin_addr);
  if (fd.get() < 0 || bind(fd.get(), reinterpret_cast<sockaddr*>(&sin), sizeof sin) != 0) return Fd();
  return fd;
}

bool UdpReceived(const Fd& fd, std::chrono::milliseconds limit) {
  char buf[256];
  return WaitFor([&] { return recv(fd.get(), buf, sizeof buf, 0) >= 0; }, limit);
}

class AfPacketIoTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (geteuid() != 0) GTEST_SKIP() << "needs root (network namespaces, veth, packet sockets, nftables)";
    const std::string base = "ipvsd-afp-" + std::to_string(getpid());
    local_ = std::make_unique<Netns>(base);
    peer_ = std::make_unique<Netns>(base + "-peer");
    ASSERT_TRUE(local_->ok() && peer_->ok()) << "ip netns add failed";
    for (const Netns* ns : {local_.get(), peer_.get()}) {
      // No IPv6 chatter (router solicitations, MLD) on the rings: the tests count frames.
      ASSERT_TRUE(ns->Exec("sysctl -qw net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1"));
    }
    ASSERT_TRUE(local_->Ip(std::string("link add a0 address ") + kA0Mac + " type veth peer name a1 address " +
                           kA1Mac + " netns " + peer_->name()));
    ASSERT_TRUE(local_->Ip(std::string("link add b0 address ") + kB0Mac + " type veth peer name b1 address " +
                           kB1Mac + " netns " + peer_->name()));
    ASSERT_TRUE(local_->Ip("addr add 198.18.2.1/24 dev a0"));
    ASSERT_TRUE(local_->Ip(std::string("addr add ") + kVip + "/32 dev a0"));
    ASSERT_TRUE(local_->Ip("addr add 198.18.3.1/24 dev b0"));
    ASSERT_TRUE(peer_->Ip("addr add 198.18.2.2/24 dev a1"));
    ASSERT_TRUE(peer_->Ip("addr add 198.18.3.2/24 dev b1"));
    for (const char* dev : {"a0", "b0"}) ASSERT_TRUE(local_->Ip(std::string("link set ") + dev + " up"));
    for (const char* dev : {"a1", "b1"}) ASSERT_TRUE(peer_->Ip(std::string("link set ") + dev + " up"));
    ASSERT_TRUE(peer_->Ip(std::string("route add ") + kVip + "/32 dev a1"));
    {
      NetnsEnter in_peer(*peer_);
      ASSERT_TRUE(in_peer.ok());
      peer_a_ = RawSocket("a1");
      peer_b_ = RawSocket("b1");
      ASSERT_GE(peer_a_.get(), 0);
      ASSERT_GE(peer_b_.get(), 0);
    }
    enter_ = std::make_unique<NetnsEnter>(*local_);
    ASSERT_TRUE(enter_->ok());
    a0_ = if_nametoindex("a0");
    b0_ = if_nametoindex("b0");
  }

  void TearDown() override {
    io_.reset();
    peer_a_ = Fd();
    peer_b_ = Fd();
    enter_.reset();
    peer_.reset();
    local_.reset();
  }

  void OpenIo() {
    auto r = AfPacketIo::Open({.ifaces = {"a0", "b0"}, .frames = 256});
    ASSERT_TRUE(r.ok()) << r.error().message;
    io_ = std::move(*r);
  }

  // Receives until `frame` shows up (passing everything else), bounded in time; leaves the
  // matching frame in *out, still owned by the caller.
  bool ReceiveExact(const std::vector<uint8_t>& frame, net::Frame* out) {
    std::array<net::Frame, net::kMaxBurst> burst;
    bool found = false;
    WaitFor(
        [&] {
          io_->WaitForFrames(10, -1);
          size_t n = io_->Receive(burst);
          for (size_t i = 0; i < n; ++i) {
            const net::Frame& f = burst[i];
            if (!found && std::vector<uint8_t>(f.data(), f.data() + f.len) == frame) {
              *out = f;
              found = true;
            } else {
              io_->Pass(std::span(&burst[i], 1));
            }
          }
          return found;
        },
        kWait);
    return found;
  }

  bool NftHasTable() const { return local_->Exec("nft list table inet ipvsd"); }

  std::unique_ptr<Netns> local_;
  std::unique_ptr<Netns> peer_;
  std::unique_ptr<NetnsEnter> enter_;
  std::unique_ptr<AfPacketIo> io_;
  Fd peer_a_, peer_b_;
  uint32_t a0_ = 0, b0_ = 0;
};

TEST_F(AfPacketIoTest, ServiceFramesReachReceiveExactlyAndNotTheKernel) {
  OpenIo();
  ASSERT_TRUE(io_->SetFilter({.services = {{net::Family::kInet, net::kProtoUdp, Addr(kVip), 5000}}}).ok());
  Fd service = UdpSocket(kVip, 5000);
  Fd other = UdpSocket(kVip, 5001);
  ASSERT_GE(service.get(), 0);
  ASSERT_GE(other.get(), 0);

  const auto to_service =
      PacketBuilder().Eth(kA1Mac, kA0Mac).Ipv4("198.18.2.2", kVip).Udp(4000, 5000).Payload("service").Build();
  ASSERT_TRUE(Inject(peer_a_, to_service));
  net::Frame f;
  ASSERT_TRUE(ReceiveExact(to_service, &f)) << "service frame not received";
  EXPECT_EQ(f.ifindex, a0_);
  EXPECT_GE(f.offset, net::kFrameHeadroom) << "headroom for tunnel headers";
  EXPECT_GE(f.tailroom() + f.len, 1500u);
  io_->Pass(std::span(&f, 1));
  EXPECT_FALSE(UdpReceived(service, std::chrono::milliseconds(300))) << "the kernel delivered a service packet";

  // Not a service: the kernel keeps it (Receive may see it too; the worker passes it).
  const auto to_other =
      PacketBuilder().Eth(kA1Mac, kA0Mac).Ipv4("198.18.2.2", kVip).Udp(4000, 5001).Payload("other").Build();
  ASSERT_TRUE(Inject(peer_a_, to_other));
  EXPECT_TRUE(UdpReceived(other, kWait)) << "non-service traffic must still reach the kernel";
  EXPECT_GE(io_->counters().rx, 1u);
}

TEST_F(AfPacketIoTest, NatSourcesAndAnyPortServicesAreDroppedInTheKernel) {
  OpenIo();
  TrafficFilter filter;
  filter.nat_sources = {{net::Family::kInet, net::kProtoUdp, Addr("198.18.3.2"), 7000}};
  filter.services = {{net::Family::kInet, net::kProtoTcp, Addr("198.18.9.99"), 0},
                     {net::Family::kInet6, net::kProtoTcp, Addr("2001:db8::10"), 80},
                     {net::Family::kInet6, net::kProtoUdp, Addr("2001:db8::11"), 0}};
  ASSERT_TRUE(io_->SetFilter(filter).ok());
  EXPECT_TRUE(local_->Exec("sh -c 'nft list set inet ipvsd svc6 | grep -q 2001:db8::10'"));
  EXPECT_TRUE(local_->Exec("sh -c 'nft list set inet ipvsd svc4_any | grep -q 198.18.9.99'"));
  Fd sink = UdpSocket("198.18.3.1", 6000);
  ASSERT_GE(sink.get(), 0);

  // A NAT real server's reply to a client: ipvsd's, so the kernel must not forward it too.
  ASSERT_TRUE(local_->Exec("sysctl -qw net.ipv4.ip_forward=1"));
  const auto reply = PacketBuilder()
                         .Eth(kB1Mac, kB0Mac)
                         .Ipv4("198.18.3.2", "198.18.2.2")
                         .Udp(7000, 6000)
                         .Payload("nat-reply")
                         .Build();
  ASSERT_TRUE(Inject(peer_b_, reply));
  net::Frame f;
  ASSERT_TRUE(ReceiveExact(reply, &f));
  EXPECT_EQ(f.ifindex, b0_);
  io_->Drop(std::span(&f, 1));
  EXPECT_FALSE(SawFrameWith(peer_a_, "nat-reply", std::chrono::milliseconds(300)))
      << "the kernel forwarded a NAT reply";
  // The same source talking to the director itself is the director's own traffic (a health
  // check): the kernel keeps it.
  const auto to_director =
      PacketBuilder().Eth(kB1Mac, kB0Mac).Ipv4("198.18.3.2", "198.18.3.1").Udp(7000, 6000).Payload("r").Build();
  ASSERT_TRUE(Inject(peer_b_, to_director));
  EXPECT_TRUE(UdpReceived(sink, kWait)) << "a reply to the director's own connection was dropped";

  const auto not_nat =
      PacketBuilder().Eth(kB1Mac, kB0Mac).Ipv4("198.18.3.2", "198.18.3.1").Udp(7001, 6000).Payload("x").Build();
  ASSERT_TRUE(Inject(peer_b_, not_nat));
  EXPECT_TRUE(UdpReceived(sink, kWait));

  // An emptied filter lets the kernel have everything again.
  ASSERT_TRUE(io_->SetFilter({}).ok());
  ASSERT_TRUE(Inject(peer_b_, reply));
  EXPECT_TRUE(SawFrameWith(peer_a_, "nat-reply", kWait));
}

TEST_F(AfPacketIoTest, SendLeavesByTheFramesInterfaceByteForByte) {
  OpenIo();
  ASSERT_TRUE(io_->SetFilter({.services = {{net::Family::kInet, net::kProtoUdp, Addr(kVip), 5000}}}).ok());
  const auto in =
      PacketBuilder().Eth(kA1Mac, kA0Mac).Ipv4("198.18.2.2", kVip).Udp(4000, 5000).Payload("forward me").Build();
  ASSERT_TRUE(Inject(peer_a_, in));
  net::Frame f;
  ASSERT_TRUE(ReceiveExact(in, &f));
  // What a DR forward does: new MACs, out of the server-side interface. A tunnel header
  // would go in front, so push some bytes into the headroom too.
  const auto out = PacketBuilder()
                       .Eth(kB0Mac, kB1Mac)
                       .Ipv4("198.18.2.2", kVip)
                       .Udp(4000, 5000)
                       .Payload("forward me")
                       .OuterIpv4("198.18.3.1", "198.18.3.2")
                       .Build();
  const uint32_t grow = static_cast<uint32_t>(out.size() - in.size());
  ASSERT_TRUE(f.Push(grow));
  std::memcpy(f.data(), out.data(), out.size());
  f.ifindex = b0_;
  io_->Send(std::span(&f, 1));
  EXPECT_TRUE(Capture(peer_b_, out)) << "frame did not arrive at b1";
  AfPacketIo::Counters c = io_->counters();
  EXPECT_EQ(c.tx, 1u);
  EXPECT_EQ(c.tx_ring_full, 0u);
  EXPECT_EQ(c.tx_errors, 0u);

  // An unknown ifindex is counted, not sent.
  ASSERT_TRUE(Inject(peer_a_, in));
  ASSERT_TRUE(ReceiveExact(in, &f));
  f.ifindex = 999999;
  io_->Send(std::span(&f, 1));
  EXPECT_EQ(io_->counters().tx_errors, 1u);
}

TEST_F(AfPacketIoTest, FramesFromALocalSocketBehindAVethArriveWithAPartialChecksumTheWorkerCompletes) {
  OpenIo();
  ASSERT_TRUE(io_->SetFilter({.services = {{net::Family::kInet, net::kProtoUdp, Addr(kVip), 5000}}}).ok());
  Fd client;
  {
    NetnsEnter in_peer(*peer_);
    ASSERT_TRUE(in_peer.ok());
    client = UdpSocket("198.18.2.2", 4001);
  }
  ASSERT_GE(client.get(), 0);
  sockaddr_in vip{};
  vip.sin_family = AF_INET;
  vip.sin_port = htons(5000);
  inet_pton(AF_INET, kVip, &vip.sin_addr);
  const std::string payload = "from a socket, checksum offloaded";
  std::array<net::Frame, net::kMaxBurst> burst;
  bool found = false;
  // The first datagrams may wait for ARP; send a few, bounded.
  for (int attempt = 0; attempt < 20 && !found; ++attempt) {
    sendto(client.get(), payload.data(), payload.size(), 0, reinterpret_cast<sockaddr*>(&vip), sizeof vip);
    WaitFor(
        [&] {
          io_->WaitForFrames(10, -1);
          size_t n = io_->Receive(burst);
          for (size_t i = 0; i < n; ++i) {
            std::span<const uint8_t> bytes(burst[i].data(), burst[i].len);
            if (!found && bytes.size() > 42 && bytes[23] == net::kProtoUdp && bytes[36] == 0x13 && bytes[37] == 0x88) {
              found = true;
              EXPECT_FALSE(ipvsd::testing::L4ChecksumOk(bytes)) << "the peer's veth offloads its checksum";
              net::PacketView v;
              EXPECT_EQ(net::Parse(burst[i].data(), burst[i].len, &v), net::ParseStatus::kOk);
              EXPECT_TRUE(net::CompletePartialChecksum(v));
              EXPECT_TRUE(ipvsd::testing::L4ChecksumOk(bytes))
                  << ipvsd::testing::ToHex(bytes.data(), bytes.size());
            }
          }
          io_->Pass(std::span(burst.data(), n));
          return found;
        },
        std::chrono::milliseconds(100));
  }
  EXPECT_TRUE(found) << "no datagram from the peer's socket";
}

// A frame handed to another worker stays out while the ring goes round under it. When the ring
// comes back to its slot, that slot still says TP_STATUS_USER: Receive must not take the frame a
// second time (two owners of one slot, which the kernel then overwrites under the first).
TEST_F(AfPacketIoTest, AFrameStillOutIsNotReceivedAgainWhenTheRingComesRound) {
  auto r = AfPacketIo::Open({.ifaces = {"a0"}, .frames = 1});  // one block: 32 slots of 2 KB
  ASSERT_TRUE(r.ok()) << r.error().message;
  io_ = std::move(*r);
  ASSERT_TRUE(io_->SetFilter({.services = {{net::Family::kInet, net::kProtoUdp, Addr(kVip), 5000}}}).ok());
  auto frame = [](int i) {
    return PacketBuilder()
        .Eth(kA1Mac, kA0Mac)
        .Ipv4("198.18.2.2", kVip)
        .Udp(4000, 5000)
        .Payload("frame " + std::to_string(i))
        .Build();
  };
  net::Frame held;
  ASSERT_TRUE(Inject(peer_a_, frame(0)));
  ASSERT_TRUE(ReceiveExact(frame(0), &held));
  constexpr int kSlots = 32;
  for (int i = 1; i < kSlots; ++i) {
    net::Frame f;
    ASSERT_TRUE(Inject(peer_a_, frame(i)));
    ASSERT_TRUE(ReceiveExact(frame(i), &f)) << i;
    io_->Pass(std::span(&f, 1));
  }
  // The kernel is back at the held slot: it drops what comes now, and Receive has nothing.
  ASSERT_TRUE(Inject(peer_a_, frame(kSlots)));
  std::array<net::Frame, net::kMaxBurst> burst;
  io_->WaitForFrames(300, -1);
  EXPECT_EQ(io_->Receive(burst), 0u) << "the frame still out was received again";
  EXPECT_EQ(std::vector<uint8_t>(held.data(), held.data() + held.len), frame(0));
  // Released, the slot takes new frames again.
  io_->Pass(std::span(&held, 1));
  net::Frame f;
  ASSERT_TRUE(Inject(peer_a_, frame(kSlots + 1)));
  EXPECT_TRUE(ReceiveExact(frame(kSlots + 1), &f));
  io_->Pass(std::span(&f, 1));
}

// The table of an ipvsd that was killed or handed over holds the services' packets until this
// process's first filter replaces it in one transaction: the kernel never sees a service packet
// in between (it would reset the client's TCP connections). A process that stops before its
// first filter leaves that table alone.
TEST_F(AfPacketIoTest, NftTableOfAnEarlierIpvsdHoldsUntilTheFirstFilterReplacesIt) {
  ASSERT_TRUE(local_->Exec(std::string("nft add table inet ipvsd && nft add chain inet ipvsd left_by_a_killed_run && "
                                       "nft 'add chain inet ipvsd prerouting { type filter hook prerouting priority "
                                       "-300; }' && nft add rule inet ipvsd prerouting ip daddr ") +
                           kVip + " udp dport 5000 drop"));
  Fd service = UdpSocket(kVip, 5000);
  ASSERT_GE(service.get(), 0);
  const auto to_service =
      PacketBuilder().Eth(kA1Mac, kA0Mac).Ipv4("198.18.2.2", kVip).Udp(4000, 5000).Payload("held").Build();

  OpenIo();
  io_.reset();
  EXPECT_TRUE(local_->Exec("nft list chain inet ipvsd left_by_a_killed_run")) << "a stopping backend took the table";

  OpenIo();
  EXPECT_TRUE(local_->Exec("nft list chain inet ipvsd left_by_a_killed_run"));
  ASSERT_TRUE(Inject(peer_a_, to_service));
  EXPECT_FALSE(UdpReceived(service, std::chrono::milliseconds(300))) << "the kernel got a service packet";

  ASSERT_TRUE(io_->SetFilter({.services = {{net::Family::kInet, net::kProtoUdp, Addr(kVip), 5000}}}).ok());
  EXPECT_FALSE(local_->Exec("nft list chain inet ipvsd left_by_a_killed_run"));
  EXPECT_TRUE(local_->Exec("sh -c 'nft list set inet ipvsd ifaces | grep -q b0'"));
  ASSERT_TRUE(Inject(peer_a_, to_service));
  EXPECT_FALSE(UdpReceived(service, std::chrono::milliseconds(300))) << "the kernel got a service packet";
  {
    // A second backend of the same process (another worker) shares the table.
    auto second = AfPacketIo::Open({.ifaces = {"b0"}, .frames = 64});
    ASSERT_TRUE(second.ok()) << second.error().message;
  }
  EXPECT_TRUE(NftHasTable()) << "the first backend still needs the table";
  io_.reset();
  EXPECT_FALSE(NftHasTable());
}

TEST_F(AfPacketIoTest, OpenFailsClearlyForAMissingInterface) {
  auto r = AfPacketIo::Open({.ifaces = {"a0", "nosuchif0"}});
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().message.find("nosuchif0"), std::string::npos) << r.error().message;
  EXPECT_FALSE(NftHasTable());
}

}  // namespace
}  // namespace ipvsd::io
