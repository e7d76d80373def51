// File: io/portable/portable_router_test.cc
//
// PortableRouter with a fake clock and a recording transmit: exact ARP request and Neighbor
// Solicitation frames (broadcast/multicast, then unicast probes), ARP replies and Neighbor
// Advertisements that resolve, the timers of the kernel's neighbour states (REACHABLE ->
// STALE -> DELAY -> PROBE -> FAILED, retrans_time, mcast_solicit), unsolicited bindings,
// longest-prefix routing over connected prefixes and static routes, --route parsing.
#include "io/portable/portable_router.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "tests/testing/hex.h"

namespace ipvsd::io {
namespace {

using ipvsd::testing::DiffDump;
using ipvsd::testing::FromHex;
using State = PortableRouter::State;

constexpr uint32_t kIfindex = 7;
constexpr uint32_t kClientIfindex = 8;
const net::MacAddr kOurMac{{0x02, 0, 0, 0, 0, 0x01}};
const net::MacAddr kRsMac{{0x02, 0, 0, 0, 0x01, 0x11}};

net::IpAddr Ip(const char* text) { return *net::IpAddr::Parse(text); }

// Ethernet + ARP request from 198.18.1.1 (02:00:00:00:00:01) for 198.18.1.11.
constexpr const char* kArpRequest =
    "ffffffffffff 020000000001 0806"
    "0001 0800 06 04 0001 020000000001 c6120101 000000000000 c612010b";
// The reply of 198.18.1.11 (02:00:00:00:01:11).
constexpr const char* kArpReply =
    "020000000001 020000000111 0806"
    "0001 0800 06 04 0002 020000000111 c612010b 020000000001 c6120101";
// Neighbor Solicitation from 2001:db8:1::1 for 2001:db8:1::11, to its solicited-node group.
constexpr const char* kNs =
    "3333ff000011 020000000001 86dd"
    "60000000 0020 3a ff 20010db8000100000000000000000001 ff0200000000000000000001ff000011"
    "87 00 1c07 00000000 20010db8000100000000000000000011 0101 020000000001";
// The same as a unicast probe to the known address.
constexpr const char* kNsProbe =
    "020000000111 020000000001 86dd"
    "60000000 0020 3a ff 20010db8000100000000000000000001 20010db8000100000000000000000011"
    "87 00 ec51 00000000 20010db8000100000000000000000011 0101 020000000001";
// The solicited (S|O) advertisement of 2001:db8:1::11, target link-layer address 02:..:01:11.
constexpr const char* kNa =
    "020000000001 020000000111 86dd"
    "60000000 0020 3a ff 20010db8000100000000000000000011 20010db8000100000000000000000001"
    "880089416000000020010db80001000000000000000000110201020000000111";
// An unsolicited advertisement (O only) announcing a new address 02:..:02:22.
constexpr const char* kNaMoved =
    "020000000001 020000000222 86dd"
    "60000000 0020 3a ff 20010db8000100000000000000000011 20010db8000100000000000000000001"
    "8800c8302000000020010db80001000000000000000000110201020000000222";

class PortableRouterTest : public ::testing::Test {
 protected:
  void SetUp() override { Make({}); }

  void Make(std::vector<StaticRoute> routes) {
    LinkInfo server{"d1", kIfindex, kOurMac, 1500, {}};
    server.addrs.push_back({Ip("198.18.1.1"), 24});
    server.addrs.push_back({Ip("fe80::1"), 64});
    server.addrs.push_back({Ip("2001:db8:1::1"), 64});
    LinkInfo client{"d0", kClientIfindex, net::MacAddr{{0x02, 0, 0, 0, 0, 0x02}}, 9000, {}};
    client.addrs.push_back({Ip("198.18.0.1"), 24});
    auto r = PortableRouter::Create(
        {server, client}, std::move(routes),
        [this](uint32_t ifindex, std::span<const uint8_t> f) {
          sent_.push_back({ifindex, std::vector<uint8_t>(f.begin(), f.end())});
        },
        clock_, NeighbourTimers{}, 1);
    ASSERT_TRUE(r) << r.error().message;
    router_ = std::move(*r);
  }

  bool Lookup(const char* dst, net::NextHop* hop) {
    const net::IpAddr a = Ip(dst);
    return router_->Lookup(a.family, a.raw, hop);
  }
  void Receive(const char* hex, uint32_t ifindex = kIfindex) {
    const std::vector<uint8_t> f = FromHex(hex);
    router_->OnNeighbourFrame(ifindex, f);
  }
  State StateOf(const char* addr, uint32_t ifindex = kIfindex) {
    const net::IpAddr a = Ip(addr);
    State s{};
    net::MacAddr mac;
    EXPECT_TRUE(router_->NeighbourState(a.family, ifindex, a.raw, &s, &mac)) << addr;
    return s;
  }
  void ExpectSent(size_t index, const char* hex) {
    ASSERT_LT(index, sent_.size());
    EXPECT_EQ(sent_[index].ifindex, kIfindex);
    const std::vector<uint8_t> want = FromHex(hex);
    EXPECT_EQ(sent_[index].frame, want) << DiffDump(want, sent_[index].frame);
  }

  struct Sent {
    uint32_t ifindex;
    std::vector<uint8_t> frame;
  };
  FakeClock clock_{1'000'000'000};
  std::vector<Sent> sent_;
  std::unique_ptr<PortableRouter> router_;
};

TEST_F(PortableRouterTest, ArpRequestThenReplyResolves) {
  net::NextHop hop;
  EXPECT_FALSE(Lookup("198.18.1.11", &hop));
  const uint64_t gen = router_->generation();
  router_->Tick();
  ASSERT_EQ(sent_.size(), 1u);
  ExpectSent(0, kArpRequest);
  Receive(kArpReply);
  EXPECT_EQ(StateOf("198.18.1.11"), State::kReachable);
  EXPECT_GT(router_->generation(), gen);
  ASSERT_TRUE(Lookup("198.18.1.11", &hop));
  EXPECT_EQ(hop.ifindex, kIfindex);
  EXPECT_EQ(hop.src_mac, kOurMac);
  EXPECT_EQ(hop.dst_mac, kRsMac);
  EXPECT_EQ(hop.src_addr, Ip("198.18.1.1").raw);
  EXPECT_EQ(hop.mtu, 1500u);
}

TEST_F(PortableRouterTest, NeighborSolicitationThenAdvertisementResolves) {
  net::NextHop hop;
  EXPECT_FALSE(Lookup("2001:db8:1::11", &hop));
  router_->Tick();
  ASSERT_EQ(sent_.size(), 1u);
  ExpectSent(0, kNs);
  Receive(kNa);
  EXPECT_EQ(StateOf("2001:db8:1::11"), State::kReachable);
  ASSERT_TRUE(Lookup("2001:db8:1::11", &hop));
  EXPECT_EQ(hop.dst_mac, kRsMac);
  // The global address of the prefix, not the link-local one.
  EXPECT_EQ(hop.src_addr, Ip("2001:db8:1::1").raw);
}

TEST_F(PortableRouterTest, AdvertisementWithABadChecksumIsIgnored) {
  net::NextHop hop;
  EXPECT_FALSE(Lookup("2001:db8:1::11", &hop));
  router_->Tick();
  std::vector<uint8_t> na = FromHex(kNa);
  na.back() ^= 1;
  router_->OnNeighbourFrame(kIfindex, na);
  EXPECT_EQ(StateOf("2001:db8:1::11"), State::kIncomplete);
}

TEST_F(PortableRouterTest, IncompleteRetriesEveryRetransTimeThenFails) {
  net::NextHop hop;
  EXPECT_FALSE(Lookup("198.18.1.11", &hop));
  router_->Tick();
  clock_.AdvanceNs(999'000'000);
  router_->Tick();
  EXPECT_EQ(sent_.size(), 1u);  // retrans_time (1 s) not over yet
  clock_.AdvanceNs(1'000'000);
  router_->Tick();
  clock_.AdvanceSeconds(1);
  router_->Tick();
  EXPECT_EQ(sent_.size(), 3u);  // mcast_solicit = 3
  for (size_t i = 0; i < sent_.size(); ++i) ExpectSent(i, kArpRequest);
  clock_.AdvanceSeconds(1);
  router_->Tick();
  EXPECT_EQ(StateOf("198.18.1.11"), State::kFailed);
  EXPECT_EQ(router_->stats().failed, 1u);
  // A lookup within retrans_time of the failure starts nothing; one after it resolves again.
  EXPECT_FALSE(Lookup("198.18.1.11", &hop));
  EXPECT_EQ(StateOf("198.18.1.11"), State::kFailed);
  clock_.AdvanceSeconds(1);
  EXPECT_FALSE(Lookup("198.18.1.11", &hop));
  EXPECT_EQ(StateOf("198.18.1.11"), State::kIncomplete);
}

TEST_F(PortableRouterTest, ReachableGoesStaleThenDelayThenUnicastProbes) {
  net::NextHop hop;
  EXPECT_FALSE(Lookup("2001:db8:1::11", &hop));
  router_->Tick();
  Receive(kNa);
  // REACHABLE lasts at least base_reachable_time / 2 and less than 3 * base / 2.
  clock_.AdvanceSeconds(14);
  router_->Tick();
  EXPECT_EQ(StateOf("2001:db8:1::11"), State::kReachable);
  const uint64_t gen = router_->generation();
  clock_.AdvanceSeconds(31);
  router_->Tick();
  EXPECT_EQ(StateOf("2001:db8:1::11"), State::kStale);
  EXPECT_GT(router_->generation(), gen);  // workers ask again, which re-confirms it
  // STALE is still used; the use starts DELAY, and delay_first_probe_time later, PROBE.
  ASSERT_TRUE(Lookup("2001:db8:1::11", &hop));
  EXPECT_EQ(StateOf("2001:db8:1::11"), State::kDelay);
  clock_.AdvanceSeconds(4);
  router_->Tick();
  EXPECT_EQ(sent_.size(), 1u);
  clock_.AdvanceSeconds(1);
  router_->Tick();
  EXPECT_EQ(StateOf("2001:db8:1::11"), State::kProbe);
  ASSERT_EQ(sent_.size(), 2u);
  ExpectSent(1, kNsProbe);
  ASSERT_TRUE(Lookup("2001:db8:1::11", &hop));  // PROBE is still used
  Receive(kNa);
  EXPECT_EQ(StateOf("2001:db8:1::11"), State::kReachable);
}

TEST_F(PortableRouterTest, ProbeWithoutAnswerFails) {
  net::NextHop hop;
  EXPECT_FALSE(Lookup("198.18.1.11", &hop));
  router_->Tick();
  Receive(kArpReply);
  clock_.AdvanceSeconds(46);
  router_->Tick();
  ASSERT_TRUE(Lookup("198.18.1.11", &hop));
  clock_.AdvanceSeconds(5);
  for (int i = 0; i < 4; ++i) {
    router_->Tick();
    clock_.AdvanceSeconds(1);
  }
  EXPECT_EQ(sent_.size(), 4u);  // one broadcast request, three unicast probes
  EXPECT_EQ(sent_[1].frame[0], 0x02);  // to the known MAC address
  EXPECT_EQ(StateOf("198.18.1.11"), State::kFailed);
  EXPECT_FALSE(Lookup("198.18.1.11", &hop));
}

TEST_F(PortableRouterTest, UnsolicitedAdvertisementWithOverrideMovesTheEntry) {
  net::NextHop hop;
  EXPECT_FALSE(Lookup("2001:db8:1::11", &hop));
  router_->Tick();
  Receive(kNa);
  const uint64_t gen = router_->generation();
  Receive(kNaMoved);
  EXPECT_EQ(StateOf("2001:db8:1::11"), State::kStale);
  EXPECT_GT(router_->generation(), gen);
  ASSERT_TRUE(Lookup("2001:db8:1::11", &hop));
  EXPECT_EQ(hop.dst_mac, (net::MacAddr{{0x02, 0, 0, 0, 0x02, 0x22}}));
}

TEST_F(PortableRouterTest, AnswersForAddressesNotAskedForAreIgnored) {
  Receive(kArpReply);
  Receive(kNa);
  net::MacAddr mac;
  State s;
  EXPECT_FALSE(router_->NeighbourState(net::Family::kInet, kIfindex, Ip("198.18.1.11").raw, &s, &mac));
  EXPECT_FALSE(router_->NeighbourState(net::Family::kInet6, kIfindex, Ip("2001:db8:1::11").raw, &s, &mac));
}

TEST_F(PortableRouterTest, StaticRoutesAndLongestPrefix) {
  Make({*StaticRoute::Parse("default", "198.18.0.254", "d0"), *StaticRoute::Parse("198.18.1.128/25", "198.18.0.9", "d0")});
  net::NextHop hop;
  // Off-link: resolved through the gateway on d0.
  EXPECT_FALSE(Lookup("203.0.113.5", &hop));
  EXPECT_EQ(StateOf("198.18.0.254", kClientIfindex), State::kIncomplete);
  // The /25 is longer than the connected /24.
  EXPECT_FALSE(Lookup("198.18.1.200", &hop));
  EXPECT_EQ(StateOf("198.18.0.9", kClientIfindex), State::kIncomplete);
  State s;
  net::MacAddr mac;
  EXPECT_FALSE(router_->NeighbourState(net::Family::kInet, kIfindex, Ip("198.18.1.200").raw, &s, &mac));
  // No IPv6 default: unreachable, nothing to resolve.
  EXPECT_FALSE(Lookup("2001:db8:9::1", &hop));
  router_->Tick();
  ASSERT_EQ(sent_.size(), 2u);
  EXPECT_EQ(sent_[0].ifindex, kClientIfindex);
}

TEST(StaticRouteTest, Parse) {
  auto r = StaticRoute::Parse("198.18.4.0/22", "198.18.0.9", "d0");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->ToString(), "198.18.4.0/22 via 198.18.0.9 dev d0");
  r = StaticRoute::Parse("default", "2001:db8::9", "d0");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->ToString(), "::/0 via 2001:db8::9 dev d0");
  EXPECT_FALSE(StaticRoute::Parse("198.18.4.0/33", "198.18.0.9", "d0"));
  EXPECT_FALSE(StaticRoute::Parse("198.18.4.0/22", "2001:db8::9", "d0"));
  EXPECT_FALSE(StaticRoute::Parse("nonsense", "198.18.0.9", "d0"));
  EXPECT_FALSE(StaticRoute::Parse("198.18.4.0/22", "198.18.0.9", ""));
}

TEST(StaticRouteTest, UnknownDeviceIsRefused) {
  FakeClock clock;
  auto r = PortableRouter::Create({}, {*StaticRoute::Parse("default", "198.18.0.254", "eth9")},
                                  [](uint32_t, std::span<const uint8_t>) {}, clock);
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().message.find("eth9"), std::string::npos);
}

}  // namespace
}  // namespace ipvsd::io
