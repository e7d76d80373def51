// Untrusted input and the director's own replies, through the real Worker:
//   - what the kernel drops before IPVS sees it (ip_rcv_core: a bad IPv4 header checksum;
//     ip_route_input_slow / ip_mc_validate_source / ipv6_rcv: martian sources and
//     destinations) is dropped and counted before any connection is looked up or made, while
//     what the kernel accepts from odd addresses (DHCP, IGMP, DAD, VRRP) still goes to it;
//   - the resets and ICMP errors the worker sends are limited per destination prefix and per
//     worker as net/ipv4/icmp.c limits the kernel's (dataplane/reply_limiter.h), which the
//     floods below measure exactly on the injected clock: burst + rate x elapsed.
#include <gtest/gtest.h>

#include <cctype>
#include <ostream>
#include <string>
#include <utility>
#include <vector>

#include "net/headers.h"
#include "net/packet_view.h"
#include "tests/golden/dataplane_fixture.h"
#include "tests/testing/packet_builder.h"

namespace ipvsd {
namespace {

using dataplane::Verdict;
using testing::DataPlane;
using testing::kClientMac;
using testing::kDir1Mac;
using testing::PacketBuilder;

constexpr size_t kIpv4ChecksumAt = 14 + 10;  // untagged Ethernet, then IPv4's check field

void NatTcp80(DataPlane& dp) {
  dp.AddDest(dp.AddService(net::kProtoTcp, "198.19.0.1", 80), "198.18.1.10", 8080, core::FwdMethod::kMasq);
  dp.AddDest(dp.AddService(net::kProtoTcp, "2001:db8:f::1", 80), "2001:db8:1::10", 8080, core::FwdMethod::kMasq);
}

std::vector<uint8_t> Syn4(const char* src, const char* dst = "198.19.0.1") {
  return PacketBuilder().Eth(kClientMac, kDir1Mac).Ipv4(src, dst).Tcp(40000, 80, net::kTcpSyn).Build();
}
std::vector<uint8_t> Syn6(const char* src, const char* dst = "2001:db8:f::1") {
  return PacketBuilder().Eth(kClientMac, kDir1Mac).Ipv6(src, dst).Tcp(40000, 80, net::kTcpSyn).Build();
}
std::vector<uint8_t> Ack4(const std::string& src, uint16_t sport = 40000) {
  return PacketBuilder().Eth(kClientMac, kDir1Mac).Ipv4(src, "198.19.0.1").Tcp(sport, 80, net::kTcpAck)
      .TcpSeq(1, 2).Build();
}

// ---- IPv4 header checksum ---------------------------------------------------------------------

TEST(WorkerInputTest, SynWithBadIpv4HeaderChecksumIsDroppedAndCountedNotForwarded) {
  DataPlane dp;
  NatTcp80(dp);
  std::vector<uint8_t> syn = Syn4("198.18.0.5");
  syn[kIpv4ChecksumAt] ^= 0x5a;
  std::vector<uint8_t> out;
  EXPECT_EQ(dp.Run(syn, &out), Verdict::kDrop);
  EXPECT_EQ(dp.Drops("bad_ip_checksum"), 1u);
  EXPECT_EQ(dp.worker_->conns().size(), 0u);
  EXPECT_EQ(dp.worker_->counters().tx, 0u);
  // The same SYN with its checksum intact is forwarded: only the checksum was wrong.
  syn[kIpv4ChecksumAt] ^= 0x5a;
  EXPECT_EQ(dp.Run(syn, &out), Verdict::kTx);
  EXPECT_EQ(dp.worker_->conns().size(), 1u);
  EXPECT_EQ(dp.Drops("bad_ip_checksum"), 1u);
}

TEST(WorkerInputTest, BadIpv4HeaderChecksumIsCheckedBeforeEverythingBeyondTheHeader) {
  DataPlane dp;
  NatTcp80(dp);
  std::vector<uint8_t> out;
  // A fragment, a packet for no service, a martian: the header checksum is the kernel's first
  // check (ip_rcv_core), so each counts as a bad checksum.
  for (std::vector<uint8_t> f : {PacketBuilder().Eth(kClientMac, kDir1Mac).Ipv4("198.18.0.5", "198.19.0.1")
                                     .MoreFragments(true).Tcp(40000, 80, net::kTcpSyn).Build(),
                                 Syn4("198.18.0.5", "198.19.0.9"), Syn4("127.0.0.1")}) {
    f[kIpv4ChecksumAt] ^= 0x01;
    EXPECT_EQ(dp.Run(f, &out), Verdict::kDrop);
  }
  EXPECT_EQ(dp.Drops("bad_ip_checksum"), 3u);
  EXPECT_EQ(dp.Drops("fragment") + dp.Drops("martian_source"), 0u);
}

TEST(WorkerInputTest, IcmpErrorIsJudgedByItsOuterHeaderChecksumOnly) {
  DataPlane dp;
  NatTcp80(dp);
  std::vector<uint8_t> out;
  ASSERT_EQ(dp.Run(Syn4("198.18.0.5"), &out), Verdict::kTx);
  // The real server's router answers the forwarded SYN with "fragmentation needed"; the quote
  // is of the packet as it left (client -> real server), its header checksum broken in flight.
  std::vector<uint8_t> quote = PacketBuilder().Ipv4("198.18.0.5", "198.18.1.10").Ttl(63)
                                   .Tcp(40000, 8080, net::kTcpSyn).BuildL3();
  quote[10] ^= 0xff;
  quote.resize(28);
  std::vector<uint8_t> error = PacketBuilder().Eth(testing::kRsMac, testing::kDir2Mac)
                                   .Ipv4("198.18.1.10", "198.18.0.5").Icmp(3, 4, 1400).Embed(quote).Build();
  EXPECT_EQ(dp.Run(error, &out), Verdict::kTx);  // relayed to the client: the kernel checks no quote
  EXPECT_EQ(dp.Drops("bad_ip_checksum"), 0u);
  error[kIpv4ChecksumAt] ^= 0x10;
  EXPECT_EQ(dp.Run(error, &out), Verdict::kDrop);
  EXPECT_EQ(dp.Drops("bad_ip_checksum"), 1u);
}

// ---- Martian addresses ------------------------------------------------------------------------

struct MartianRow {
  const char* src;
  const char* dst;  // nullptr: the service's VIP of that family
  const char* reason;
};

// How a row reads in test output and in ctest's name (instead of its bytes).
void PrintTo(const MartianRow& row, std::ostream* os) {
  *os << row.src << " -> " << (row.dst ? row.dst : "vip") << ": " << row.reason;
}

class WorkerMartianTest : public ::testing::TestWithParam<MartianRow> {};

TEST_P(WorkerMartianTest, SynCreatesNoConnectionAndIsCounted) {
  const MartianRow& row = GetParam();
  DataPlane dp;
  NatTcp80(dp);
  const bool v6 = std::string(row.src).find(':') != std::string::npos;
  std::vector<uint8_t> syn = v6 ? Syn6(row.src, row.dst ? row.dst : "2001:db8:f::1")
                                : Syn4(row.src, row.dst ? row.dst : "198.19.0.1");
  std::vector<uint8_t> out;
  EXPECT_EQ(dp.Run(syn, &out), Verdict::kDrop);
  EXPECT_EQ(dp.Drops(row.reason), 1u);
  EXPECT_EQ(dp.worker_->conns().size(), 0u);
  EXPECT_EQ(dp.worker_->counters().tx, 0u);  // not forwarded, and nothing sent back to it either
}

INSTANTIATE_TEST_SUITE_P(
    Golden, WorkerMartianTest,
    ::testing::Values(MartianRow{"127.0.0.1", nullptr, "martian_source"},
                      MartianRow{"0.0.0.1", nullptr, "martian_source"},
                      MartianRow{"0.0.0.0", nullptr, "martian_source"},
                      MartianRow{"224.0.0.1", nullptr, "martian_source"},
                      MartianRow{"239.255.0.1", nullptr, "martian_source"},
                      MartianRow{"255.255.255.255", nullptr, "martian_source"},
                      MartianRow{"240.0.0.1", nullptr, "martian_source"},
                      MartianRow{"::1", nullptr, "martian_source"},
                      MartianRow{"ff02::1", nullptr, "martian_source"},
                      MartianRow{"::ffff:198.18.0.5", nullptr, "martian_source"},
                      MartianRow{"::", nullptr, "martian_source"},
                      MartianRow{"198.18.0.5", "127.0.0.1", "martian_destination"},
                      MartianRow{"198.18.0.5", "0.1.2.3", "martian_destination"},
                      MartianRow{"2001:db8:c::5", "::1", "martian_destination"},
                      MartianRow{"2001:db8:c::5", "ff01::1", "martian_destination"},
                      MartianRow{"2001:db8:c::5", "ff00::1", "martian_destination"}),
    [](const ::testing::TestParamInfo<MartianRow>& info) {
      std::string name = std::to_string(info.index) + "_";
      for (const char* s : {info.param.src, "_to_", info.param.dst ? info.param.dst : "vip"}) {
        for (const char* c = s; *c; ++c) name += std::isalnum(static_cast<unsigned char>(*c)) ? *c : '_';
      }
      return name;
    });

// What the kernel accepts from or to odd addresses is still passed to it untouched.
TEST(WorkerInputTest, OddButLegalAddressesStillReachTheKernel) {
  DataPlane dp;
  NatTcp80(dp);
  std::vector<uint8_t> out;
  const std::vector<std::pair<const char*, std::vector<uint8_t>>> frames = {
      {"DHCP discover 0.0.0.0 -> 255.255.255.255 (ip_route_input_slow: brd_input)",
       PacketBuilder().Eth(kClientMac, "ff:ff:ff:ff:ff:ff").Ipv4("0.0.0.0", "255.255.255.255").Udp(68, 67)
           .Payload("discover").Build()},
      {"IGMP report from 0.0.0.0 (ip_mc_validate_source)",
       PacketBuilder().Eth(kClientMac, "01:00:5e:00:00:16").Ipv4("0.0.0.0", "224.0.0.22").Protocol(2)
           .Payload(std::vector<uint8_t>(8, 0)).Build()},
      {"0.0.0.0 to link-local multicast (ip_mc_validate_source)",
       PacketBuilder().Eth(kClientMac, "01:00:5e:00:00:fb").Ipv4("0.0.0.0", "224.0.0.251").Udp(5353, 5353)
           .Payload("q").Build()},
      {"VRRP advertisement to 224.0.0.18",
       PacketBuilder().Eth(kClientMac, "01:00:5e:00:00:12").Ipv4("198.18.0.5", "224.0.0.18").Ttl(255)
           .Protocol(112).Payload(std::vector<uint8_t>(20, 0)).Build()},
      {"DAD neighbour solicitation from :: to a solicited-node group",
       PacketBuilder().Eth(kClientMac, "33:33:ff:00:00:05").Ipv6("::", "ff02::1:ff00:5").Ttl(255)
           .Icmpv6(135, 0).Payload(std::vector<uint8_t>(20, 0)).Build()},
      {"SSH to the director's own address", Syn4("198.18.0.5", "198.18.0.254")},
  };
  for (const auto& [what, frame] : frames) EXPECT_EQ(dp.Run(frame, &out), Verdict::kPass) << what;
  EXPECT_EQ(dp.worker_->counters().total_drops(), 0u);
}

// ---- Reply limits -----------------------------------------------------------------------------
// Defaults (net/ipv4/icmp.c): per destination one reply per icmp_ratelimit = 1000 ms with a
// burst of XRLIM_BURST_FACTOR = 6; per director icmp_msgs_per_sec = 1000 with a burst of
// icmp_msgs_burst = 50 (one worker here: all of it).

struct Flood {
  uint64_t replies = 0;
  uint64_t limited = 0;
};

// Sends `n` frames from frame(i), advancing the clock by `step_ns` after each.
template <typename MakeFrame>
Flood Send(DataPlane& dp, int n, uint64_t step_ns, MakeFrame frame) {
  std::vector<uint8_t> out;
  const uint64_t limited_before = dp.Drops("reply_rate_limited");
  Flood f;
  for (int i = 0; i < n; ++i) {
    if (dp.Run(frame(i), &out) == Verdict::kTx) ++f.replies;
    dp.clock_.AdvanceNs(step_ns);
  }
  f.limited = dp.Drops("reply_rate_limited") - limited_before;
  return f;
}

std::string Prefix24(int i) {  // i-th /24 of 100.64.0.0/10, host .7
  return "100." + std::to_string(64 + i / 256) + "." + std::to_string(i % 256) + ".7";
}

TEST(WorkerReplyLimitTest, TenThousandStrayAcksFromOneSourceGetTheBurstOfSixResets) {
  DataPlane dp;
  NatTcp80(dp);
  Flood f = Send(dp, 10000, 0, [](int i) { return Ack4("198.18.0.5", static_cast<uint16_t>(1024 + i)); });
  EXPECT_EQ(f.replies, 6u);
  EXPECT_EQ(dp.worker_->counters().resets_sent, 6u);
  EXPECT_EQ(f.limited, 9994u);
  EXPECT_EQ(dp.Drops("not_new_conn"), 6u);  // each frame counted once: answered or limited
  EXPECT_EQ(dp.worker_->conns().size(), 0u);
}

TEST(WorkerReplyLimitTest, OneSourceOverTenSecondsGetsBurstPlusOnePerSecond) {
  DataPlane dp;
  NatTcp80(dp);
  // 10 000 ACKs 1 ms apart: the last at 9.999 s gets 6 + floor(9.999 s / 1 s) = 15 resets.
  Flood f = Send(dp, 10000, 1'000'000, [](int i) { return Ack4("198.18.0.5", static_cast<uint16_t>(1024 + i)); });
  EXPECT_EQ(f.replies, 15u);
  EXPECT_EQ(f.limited, 10000u - 15u);
}

TEST(WorkerReplyLimitTest, ManySourcesAreHeldByTheGlobalBucket) {
  DataPlane dp;
  NatTcp80(dp);
  // Every frame from its own /24: no destination limit applies, the director-wide one does.
  Flood frozen = Send(dp, 10000, 0, [](int i) { return Ack4(Prefix24(i)); });
  EXPECT_EQ(frozen.replies, 50u);
  EXPECT_EQ(frozen.limited, 9950u);
}

TEST(WorkerReplyLimitTest, ManySourcesOverOneSecondGetBurstPlusThousandPerSecond) {
  DataPlane dp;
  NatTcp80(dp);
  // 10 000 frames 100 us apart, the last at 0.9999 s: 50 + floor(1000/s x 0.9999 s) = 1049.
  Flood f = Send(dp, 10000, 100'000, [](int i) { return Ack4(Prefix24(i)); });
  EXPECT_EQ(f.replies, 1049u);
  EXPECT_EQ(f.limited, 10000u - 1049u);
}

TEST(WorkerReplyLimitTest, DestinationsShareABucketPerSlash24AndPerSlash48) {
  DataPlane dp;
  NatTcp80(dp);
  auto ack6 = [](const char* src, int i) {
    return PacketBuilder().Eth(kClientMac, kDir1Mac).Ipv6(src, "2001:db8:f::1")
        .Tcp(static_cast<uint16_t>(1024 + i), 80, net::kTcpAck).Build();
  };
  // Two hosts of 198.18.0.0/24 share six; 198.18.2.0/24 has six of its own.
  EXPECT_EQ(Send(dp, 10, 0, [](int i) { return Ack4(i % 2 ? "198.18.0.5" : "198.18.0.200", 1024 + i); }).replies, 6u);
  EXPECT_EQ(Send(dp, 10, 0, [](int i) { return Ack4("198.18.2.5", 1024 + i); }).replies, 6u);
  // 2001:db8:c::/48 (two /64s of it) shares six; 2001:db8:d::/48 has its own.
  EXPECT_EQ(Send(dp, 10, 0, [&](int i) { return ack6(i % 2 ? "2001:db8:c::5" : "2001:db8:c:1::5", i); }).replies, 6u);
  EXPECT_EQ(Send(dp, 10, 0, [&](int i) { return ack6("2001:db8:d::5", i); }).replies, 6u);
}

TEST(WorkerReplyLimitTest, PortUnreachableAndTimeExceededAreLimitedToo) {
  DataPlane dp;
  dp.AddService(net::kProtoUdp, "198.19.0.1", 53);  // no real server: port unreachable
  auto udp = [](int i) {
    return PacketBuilder().Eth(kClientMac, kDir1Mac).Ipv4("198.18.0.5", "198.19.0.1")
        .Udp(static_cast<uint16_t>(1024 + i), 53).Payload("q").Build();
  };
  Flood unreachable = Send(dp, 10000, 0, udp);
  EXPECT_EQ(unreachable.replies, 6u);
  EXPECT_EQ(dp.worker_->counters().icmp_sent, 6u);
  EXPECT_EQ(dp.Drops("no_dest"), 6u);
  EXPECT_EQ(unreachable.limited, 9994u);

  DataPlane dr;
  dr.AddDest(dr.AddService(net::kProtoTcp, "198.19.0.1", 80), "198.18.1.10", 80, core::FwdMethod::kRoute);
  std::vector<uint8_t> out;
  ASSERT_EQ(dr.Run(Syn4("198.18.0.5"), &out), Verdict::kTx);
  auto ttl1 = [](int) {
    return PacketBuilder().Eth(kClientMac, kDir1Mac).Ipv4("198.18.0.5", "198.19.0.1").Ttl(1)
        .Tcp(40000, 80, net::kTcpAck).Build();
  };
  Flood expired = Send(dr, 10000, 0, ttl1);
  EXPECT_EQ(expired.replies, 6u);
  EXPECT_EQ(dr.Drops("ttl_exceeded"), 6u);
  EXPECT_EQ(expired.limited, 9994u);
}

TEST(WorkerReplyLimitTest, LimitsFollowTheSysctls) {
  DataPlane dp;
  NatTcp80(dp);
  auto one_source = [](int i) { return Ack4("198.18.0.5", static_cast<uint16_t>(1024 + i)); };
  auto many_sources = [](int i) { return Ack4(Prefix24(i)); };
  // icmp_ratelimit=100: ten a second to one prefix; 1000 ACKs 1 ms apart get 6 + 9.
  dp.settings_.icmp_ratelimit = 100;
  EXPECT_EQ(Send(dp, 1000, 1'000'000, one_source).replies, 15u);
  // icmp_msgs_burst=10 (the clock stands still: no rate earned).
  dp.settings_.icmp_msgs_burst = 10;
  dp.clock_.AdvanceSeconds(60);
  EXPECT_EQ(Send(dp, 1000, 0, many_sources).replies, 10u);
  // 0 turns each limit off.
  dp.settings_.icmp_msgs_per_sec = 0;
  EXPECT_EQ(Send(dp, 1000, 0, many_sources).replies, 1000u);
  EXPECT_EQ(Send(dp, 1000, 0, one_source).replies, 6u);
  dp.settings_.icmp_ratelimit = 0;
  Flood unlimited = Send(dp, 10000, 0, one_source);
  EXPECT_EQ(unlimited.replies, 10000u);
  EXPECT_EQ(unlimited.limited, 0u);
}

// "Don't limit PMTU discovery" (icmpv4_mask_allow; ICMPv6's default ratemask leaves out
// Packet Too Big): a path MTU a client never learns breaks its connection for good.
TEST(WorkerReplyLimitTest, FragmentationNeededIsNeverLimited) {
  DataPlane dp;
  dp.AddDest(dp.AddService(net::kProtoUdp, "198.19.0.1", 53), "198.18.1.10", 53, core::FwdMethod::kTunnel);
  auto big = [](int i) {
    return PacketBuilder().Eth(kClientMac, kDir1Mac).Ipv4("198.18.0.5", "198.19.0.1").Df(true)
        .Udp(static_cast<uint16_t>(40000 + i % 8), 53).Payload(std::string(1472, 'x')).Build();
  };
  Flood f = Send(dp, 200, 0, big);
  EXPECT_EQ(f.replies, 200u);
  EXPECT_EQ(f.limited, 0u);
  EXPECT_EQ(dp.Drops("too_big"), 200u);
}

}  // namespace
}  // namespace ipvsd
