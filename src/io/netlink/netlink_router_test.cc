// File: io/netlink/netlink_router_test.cc
//
// NetlinkRouter against a real kernel: a namespace with one veth whose peer lives in a
// second namespace (so ARP and ND are answered by a real neighbour), addresses in
// 198.18.0.0/15 and 2001:db8::/32. Pins down: a first Lookup of an unresolved neighbour fails
// and starts resolution, after which the next hop has the right interface, MACs, source and
// MTU; routes via a gateway give the gateway's MAC; the longest prefix, mtu metric, prefsrc
// and reject routes are honoured; no route means false; link MTU and up/down changes are
// picked up; concurrent readers see consistent snapshots while they change. Needs root.
#include "io/netlink/netlink_router.h"

#include <gtest/gtest.h>
#include <net/if.h>
#include <unistd.h>

#include <atomic>
#include <thread>
#include <vector>

#include "io/netlink/netns_test_util.h"

namespace ipvsd::io {
namespace {

using testing::Netns;
using testing::NetnsEnter;
using testing::WaitFor;

constexpr net::MacAddr kLocalMac{{0x02, 0x00, 0x5e, 0x00, 0x01, 0x01}};
constexpr net::MacAddr kPeerMac{{0x02, 0x00, 0x5e, 0x00, 0x01, 0x02}};

class NetlinkRouterTest : public ::testing::Test {
 protected:
  static net::IpAddr IpAddr(const char* text) { return *net::IpAddr::Parse(text); }

  void SetUp() override {
    if (geteuid() != 0) GTEST_SKIP() << "needs root (network namespaces, veth)";
    const std::string base = "ipvsd-nl-" + std::to_string(getpid());
    local_ = std::make_unique<Netns>(base);
    peer_ = std::make_unique<Netns>(base + "-peer");
    ASSERT_TRUE(local_->ok() && peer_->ok()) << "ip netns add failed";
    ASSERT_TRUE(local_->Ip("link add n0 address 02:00:5e:00:01:01 type veth peer name n1 address "
                           "02:00:5e:00:01:02 netns " + peer_->name()));
    ASSERT_TRUE(local_->Ip("addr add 198.18.1.1/24 dev n0"));
    ASSERT_TRUE(local_->Ip("addr add 198.18.1.3/32 dev n0"));
    ASSERT_TRUE(local_->Ip("addr add 2001:db8:1::1/64 dev n0 nodad"));
    ASSERT_TRUE(peer_->Ip("addr add 198.18.1.2/24 dev n1"));
    ASSERT_TRUE(peer_->Ip("addr add 2001:db8:1::2/64 dev n1 nodad"));
    ASSERT_TRUE(local_->Ip("link set n0 up"));
    ASSERT_TRUE(peer_->Ip("link set n1 up"));
    enter_ = std::make_unique<NetnsEnter>(*local_);
    ASSERT_TRUE(enter_->ok()) << "setns into " << local_->name();
    n0_ = if_nametoindex("n0");
    ASSERT_NE(n0_, 0u);
  }

  void TearDown() override {
    router_.reset();  // joins its thread while its sockets' namespace still exists
    enter_.reset();
    peer_.reset();
    local_.reset();
  }

  void OpenRouter() {
    auto r = NetlinkRouter::Open();
    ASSERT_TRUE(r.ok()) << r.error().message;
    router_ = std::move(*r);
  }

  // Fails first (resolution starts), then succeeds within a bounded wait: the kernel
  // retransmits a solicitation every second, and the very first one may leave before the
  // fresh veth pair has carrier.
  bool Resolve(net::Family family, const char* dst, net::NextHop* hop) {
    net::RawAddr a = IpAddr(dst).raw;
    return WaitFor([&] { return router_->Lookup(family, a, hop); }, std::chrono::milliseconds(5000));
  }

  std::unique_ptr<Netns> local_;
  std::unique_ptr<Netns> peer_;
  std::unique_ptr<NetnsEnter> enter_;
  std::unique_ptr<NetlinkRouter> router_;
  uint32_t n0_ = 0;
};

TEST_F(NetlinkRouterTest, ResolvesOnLinkNeighbourAfterFirstMiss) {
  OpenRouter();
  net::NextHop hop;
  // Nothing has talked to the peer yet: no neighbour entry, so the first lookup misses.
  EXPECT_FALSE(router_->Lookup(net::Family::kInet, IpAddr("198.18.1.2").raw, &hop));
  ASSERT_TRUE(Resolve(net::Family::kInet, "198.18.1.2", &hop)) << "ARP never resolved";
  EXPECT_GE(router_->stats().resolve_requests, 1u);
  EXPECT_EQ(hop.ifindex, n0_);
  EXPECT_EQ(hop.src_mac, kLocalMac);
  EXPECT_EQ(hop.dst_mac, kPeerMac);
  EXPECT_EQ(hop.src_addr, IpAddr("198.18.1.1").raw);  // the connected route's prefsrc
  EXPECT_EQ(hop.mtu, 1500u);
}

TEST_F(NetlinkRouterTest, ResolvesIpv6NeighbourByNd) {
  OpenRouter();
  net::NextHop hop;
  EXPECT_FALSE(router_->Lookup(net::Family::kInet6, IpAddr("2001:db8:1::2").raw, &hop));
  ASSERT_TRUE(Resolve(net::Family::kInet6, "2001:db8:1::2", &hop)) << "ND never resolved";
  EXPECT_EQ(hop.ifindex, n0_);
  EXPECT_EQ(hop.src_mac, kLocalMac);
  EXPECT_EQ(hop.dst_mac, kPeerMac);
  EXPECT_EQ(hop.src_addr, IpAddr("2001:db8:1::1").raw);  // global, not the link-local one
  EXPECT_EQ(hop.mtu, 1500u);
}

TEST_F(NetlinkRouterTest, GatewayRoutesUseTheGatewaysMacMetricsAndPrefsrc) {
  ASSERT_TRUE(local_->Ip("route add 198.19.0.0/16 via 198.18.1.2"));
  ASSERT_TRUE(local_->Ip("route add 198.19.5.0/24 via 198.18.1.2 mtu 1300 src 198.18.1.3"));
  ASSERT_TRUE(local_->Ip("route add blackhole 198.19.9.0/24"));
  OpenRouter();
  net::NextHop hop;
  ASSERT_TRUE(Resolve(net::Family::kInet, "198.19.7.7", &hop)) << "gateway never resolved";
  EXPECT_EQ(hop.ifindex, n0_);
  EXPECT_EQ(hop.dst_mac, kPeerMac);
  EXPECT_EQ(hop.src_addr, IpAddr("198.18.1.1").raw);  // the interface's primary address
  EXPECT_EQ(hop.mtu, 1500u);
  // The /24 is longer than the /16: its mtu metric and prefsrc apply.
  ASSERT_TRUE(router_->Lookup(net::Family::kInet, IpAddr("198.19.5.9").raw, &hop));
  EXPECT_EQ(hop.dst_mac, kPeerMac);
  EXPECT_EQ(hop.mtu, 1300u);
  EXPECT_EQ(hop.src_addr, IpAddr("198.18.1.3").raw);
  EXPECT_FALSE(router_->Lookup(net::Family::kInet, IpAddr("198.19.9.1").raw, &hop)) << "blackhole route";
}

TEST_F(NetlinkRouterTest, NoRouteIsFalseAndRequestsNothing) {
  OpenRouter();
  net::NextHop hop;
  EXPECT_FALSE(router_->Lookup(net::Family::kInet, IpAddr("198.18.200.1").raw, &hop));
  EXPECT_FALSE(router_->Lookup(net::Family::kInet6, IpAddr("2001:db8:2::1").raw, &hop));
  std::this_thread::sleep_for(std::chrono::milliseconds(50));
  EXPECT_EQ(router_->stats().resolve_requests, 0u);
}

TEST_F(NetlinkRouterTest, RoutesAddedLaterArePickedUp) {
  OpenRouter();
  net::NextHop hop;
  EXPECT_FALSE(router_->Lookup(net::Family::kInet, IpAddr("198.19.3.3").raw, &hop));
  const uint64_t before = router_->generation();
  ASSERT_TRUE(local_->Ip("route add 198.19.3.0/24 via 198.18.1.2"));
  ASSERT_TRUE(Resolve(net::Family::kInet, "198.19.3.3", &hop));
  EXPECT_EQ(hop.dst_mac, kPeerMac);
  // A new answer comes with a new generation, so that a NextHopCache drops its old ones.
  const uint64_t with_route = router_->generation();
  EXPECT_GT(with_route, before);
  ASSERT_TRUE(local_->Ip("route del 198.19.3.0/24"));
  EXPECT_TRUE(WaitFor([&] { return !router_->Lookup(net::Family::kInet, IpAddr("198.19.3.3").raw, &hop); }));
  EXPECT_GT(router_->generation(), with_route);
}

TEST_F(NetlinkRouterTest, LinkMtuChangeAndLinkDownArePickedUp) {
  OpenRouter();
  net::NextHop hop;
  ASSERT_TRUE(Resolve(net::Family::kInet, "198.18.1.2", &hop));
  ASSERT_TRUE(local_->Ip("link set n0 mtu 1400"));
  EXPECT_TRUE(WaitFor([&] {
    return router_->Lookup(net::Family::kInet, IpAddr("198.18.1.2").raw, &hop) && hop.mtu == 1400;
  })) << "mtu stayed " << hop.mtu;
  // Down: the kernel flushes the IPv4 routes of the link without telling anyone.
  ASSERT_TRUE(local_->Ip("link set n0 down"));
  EXPECT_TRUE(WaitFor([&] { return !router_->Lookup(net::Family::kInet, IpAddr("198.18.1.2").raw, &hop); }));
}

TEST_F(NetlinkRouterTest, ConcurrentReadersSeeWholeSnapshotsWhileTheyChange) {
  OpenRouter();
  net::NextHop hop;
  ASSERT_TRUE(Resolve(net::Family::kInet, "198.18.1.2", &hop));
  std::atomic<bool> stop{false};
  std::atomic<uint64_t> hits{0}, bad{0};
  std::vector<std::thread> readers;
  for (int t = 0; t < 2; ++t) {
    readers.emplace_back([&] {
      const net::RawAddr dst = IpAddr("198.18.1.2").raw;
      for (int i = 0; i < 50'000'000 && !stop.load(std::memory_order_relaxed); ++i) {
        net::NextHop h;
        if (!router_->Lookup(net::Family::kInet, dst, &h)) continue;
        hits.fetch_add(1, std::memory_order_relaxed);
        if (h.dst_mac != kPeerMac || (h.mtu != 1500 && h.mtu != 1400) || h.ifindex != n0_) {
          bad.fetch_add(1, std::memory_order_relaxed);
        }
      }
    });
  }
  for (int i = 0; i < 10; ++i) {
    EXPECT_TRUE(local_->Ip(i % 2 ? "link set n0 mtu 1500" : "link set n0 mtu 1400"));
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  stop = true;
  for (std::thread& r : readers) r.join();
  EXPECT_GT(hits.load(), 0u);
  EXPECT_EQ(bad.load(), 0u);
  EXPECT_GE(router_->stats().snapshots, 10u);
}

}  // namespace
}  // namespace ipvsd::io
