// Whole-pipeline behaviour over time through the real Worker: connections in both
// directions, UDP affinity and its timeout, the rr spread, quiescing, deleted servers, ICMP
// errors the director sends and relays, and hostile input that must not disturb the table.
#include <gtest/gtest.h>

#include <map>
#include <random>

#include "net/headers.h"
#include "net/packet_view.h"
#include "tests/golden/dataplane_fixture.h"
#include "tests/testing/checksum_verify.h"
#include "tests/testing/packet_builder.h"

namespace ipvsd {
namespace {

using dataplane::Verdict;
using testing::DataPlane;
using testing::kClientMac;
using testing::kDir1Mac;
using testing::kDir2Mac;
using testing::PacketBuilder;

net::PacketView ParseOut(std::vector<uint8_t>& frame) {
  net::PacketView v;
  EXPECT_EQ(net::Parse(frame.data(), static_cast<uint32_t>(frame.size()), &v), net::ParseStatus::kOk);
  return v;
}

std::string Dst(std::vector<uint8_t> frame) {
  net::PacketView v = ParseOut(frame);
  return net::IpAddr{v.dst, v.family}.ToString();
}

std::vector<uint8_t> Udp(uint16_t sport, const char* payload = "d") {
  return PacketBuilder().Eth(kClientMac, kDir1Mac).Ipv4("198.18.0.5", "198.19.0.1").Udp(sport, 53).Payload(payload).Build();
}
std::vector<uint8_t> TcpIn(uint16_t sport, uint8_t flags) {
  return PacketBuilder().Eth(kClientMac, kDir1Mac).Ipv4("198.18.0.5", "198.19.0.1").Tcp(sport, 80, flags).Build();
}

class WorkerFlowTest : public ::testing::Test {
 protected:
  void ThreeUdpServers(const char* sched = "rr") {
    key_ = dp_.AddService(net::kProtoUdp, "198.19.0.1", 53, sched);
    for (const char* a : {"198.18.1.11", "198.18.1.12", "198.18.1.13"}) dp_.AddDest(key_, a, 53, core::FwdMethod::kMasq);
  }
  void Advance(uint32_t seconds) {
    for (uint32_t i = 0; i < seconds; ++i) {
      dp_.clock_.AdvanceSeconds(1);
      dp_.worker_->RunTimers(dp_.clock_.NowTicks());
    }
  }
  DataPlane dp_;
  core::ServiceKey key_;
};

TEST_F(WorkerFlowTest, RoundRobinSpreadsNineConnectionsThreeThreeThree) {
  ThreeUdpServers();
  std::map<std::string, int> per_server;
  std::vector<uint8_t> out;
  for (uint16_t p = 0; p < 9; ++p) {
    ASSERT_EQ(dp_.Run(Udp(static_cast<uint16_t>(10000 + p)), &out), Verdict::kTx);
    ++per_server[Dst(out)];
  }
  EXPECT_EQ(per_server, (std::map<std::string, int>{{"198.18.1.11", 3}, {"198.18.1.12", 3}, {"198.18.1.13", 3}}));
  EXPECT_EQ(dp_.worker_->conns().size(), 9u);
}

TEST_F(WorkerFlowTest, UdpAffinityLastsUntilTheTimeoutThenReschedules) {
  ThreeUdpServers();
  std::vector<uint8_t> out;
  ASSERT_EQ(dp_.Run(Udp(10000), &out), Verdict::kTx);
  std::string first = Dst(out);
  ASSERT_EQ(dp_.Run(Udp(20000), &out), Verdict::kTx);  // moves the rr cursor on
  for (int i = 0; i < 5; ++i) {
    Advance(299);  // each datagram renews 300 s
    ASSERT_EQ(dp_.Run(Udp(10000), &out), Verdict::kTx);
    EXPECT_EQ(Dst(out), first);
  }
  Advance(300);
  EXPECT_EQ(dp_.worker_->conns().size(), 0u);
  ASSERT_EQ(dp_.Run(Udp(10000), &out), Verdict::kTx);
  EXPECT_NE(Dst(out), first);
}

TEST_F(WorkerFlowTest, OnePacketSchedulingPlacesEveryDatagramAndKeepsNoConnection) {
  key_ = dp_.AddService(net::kProtoUdp, "198.19.0.1", 53, "rr", core::kSvcOnePacket);
  for (const char* a : {"198.18.1.11", "198.18.1.12"}) dp_.AddDest(key_, a, 53, core::FwdMethod::kMasq);
  std::vector<std::string> servers;
  std::vector<uint8_t> out;
  for (int i = 0; i < 4; ++i) {
    ASSERT_EQ(dp_.Run(Udp(10000), &out), Verdict::kTx);  // the same client socket every time
    servers.push_back(Dst(out));
  }
  EXPECT_EQ(servers, (std::vector<std::string>{"198.18.1.12", "198.18.1.11", "198.18.1.12", "198.18.1.11"}));
  EXPECT_EQ(dp_.worker_->conns().size(), 0u);
  Advance(5);  // nothing left on the timer wheel either
  EXPECT_EQ(dp_.worker_->conns().size(), 0u);
  EXPECT_EQ(dp_.services_.table()->FindKey(key_)->stats->Total().conns, 4u);
}

TEST_F(WorkerFlowTest, NatRepliesAreRewrittenBackToTheVipAndCounted) {
  key_ = dp_.AddService(net::kProtoTcp, "198.19.0.1", 80);
  dp_.AddDest(key_, "198.18.1.10", 8080, core::FwdMethod::kMasq);
  std::vector<uint8_t> out;
  ASSERT_EQ(dp_.Run(TcpIn(40000, net::kTcpSyn), &out), Verdict::kTx);
  std::vector<uint8_t> reply = PacketBuilder().Eth("02:00:00:00:01:01", kDir2Mac).Ipv4("198.18.1.10", "198.18.0.5")
                                   .Tcp(8080, 40000, net::kTcpSyn | net::kTcpAck).Build();
  uint32_t ifindex = 0;
  ASSERT_EQ(dp_.Run(reply, &out, &ifindex), Verdict::kTx);
  EXPECT_EQ(out, PacketBuilder().Eth(kDir1Mac, kClientMac).Ipv4("198.19.0.1", "198.18.0.5").Ttl(63)
                     .Tcp(80, 40000, net::kTcpSyn | net::kTcpAck).Build());
  EXPECT_EQ(ifindex, 1u);
  ASSERT_EQ(dp_.Run(TcpIn(40000, net::kTcpAck), &out), Verdict::kTx);
  const core::Service* svc = dp_.services_.table()->FindKey(key_);
  core::Dest* d = svc->dests[0].get();
  EXPECT_EQ(d->activeconns(), 1);  // ESTABLISHED
  EXPECT_EQ(d->inactconns(), 0);
  core::StatsValues s = svc->stats->Total();
  EXPECT_EQ(s.conns, 1u);
  EXPECT_EQ(s.inpkts, 2u);
  EXPECT_EQ(s.outpkts, 1u);
  EXPECT_EQ(s.inbytes, 80u);
  EXPECT_EQ(d->stats().Total().outbytes, 40u);
  auto conns = dp_.worker_->ListConns(dp_.clock_.NowTicks());
  ASSERT_EQ(conns.size(), 1u);
  EXPECT_STREQ(conns[0].state, "ESTABLISHED");
  EXPECT_EQ(conns[0].expires_s, 900u);
}

TEST_F(WorkerFlowTest, NoRealServerAnswersPortUnreachable) {
  key_ = dp_.AddService(net::kProtoTcp, "198.19.0.1", 80);
  std::vector<uint8_t> out;
  uint32_t ifindex = 99;
  ASSERT_EQ(dp_.Run(TcpIn(40000, net::kTcpSyn), &out, &ifindex), Verdict::kTx);
  net::PacketView v = ParseOut(out);
  EXPECT_EQ(v.protocol, net::kProtoIcmp);
  EXPECT_EQ(v.icmp_type, net::kIcmpDestUnreach);
  EXPECT_EQ(v.icmp_code, net::kIcmpPortUnreach);
  EXPECT_EQ(net::IpAddr(v.src, v.family).ToString(), "198.19.0.1");
  EXPECT_EQ(net::IpAddr(v.dst, v.family).ToString(), "198.18.0.5");
  EXPECT_EQ(v.inner.sport, 40000);
  EXPECT_EQ(ifindex, 1u);  // back where it came from
  EXPECT_TRUE(testing::L4ChecksumOk(out));
  EXPECT_EQ(dp_.worker_->counters().drops_of(dataplane::DropReason::kNoDest), 1u);
}

TEST_F(WorkerFlowTest, TunnelTooBigAnswersFragmentationNeeded) {
  key_ = dp_.AddService(net::kProtoUdp, "198.19.0.1", 53);
  dp_.AddDest(key_, "198.18.1.10", 53, core::FwdMethod::kTunnel);
  std::vector<uint8_t> big = PacketBuilder().Eth(kClientMac, kDir1Mac).Ipv4("198.18.0.5", "198.19.0.1").Df(true)
                                 .Udp(40000, 53).Payload(std::string(1472, 'x')).Build();
  std::vector<uint8_t> out;
  ASSERT_EQ(dp_.Run(big, &out), Verdict::kTx);
  net::PacketView v = ParseOut(out);
  EXPECT_EQ(v.icmp_type, net::kIcmpDestUnreach);
  EXPECT_EQ(v.icmp_code, net::kIcmpFragNeeded);
  auto* icmp = net::HeaderAt<net::IcmpHdr>(v.l4());
  EXPECT_EQ(icmp->seq_or_mtu.get(), 1480);  // 1500 - 20 bytes of outer IPv4
  EXPECT_EQ(dp_.worker_->counters().drops_of(dataplane::DropReason::kTooBig), 1u);
  // Small enough: tunnelled.
  ASSERT_EQ(dp_.Run(Udp(40001), &out), Verdict::kTx);
  EXPECT_EQ(ParseOut(out).protocol, net::kProtoIpip);
}

// A TCP aggregate with a partial checksum (AF_PACKET --gso) leaves NAT with its offload state
// for the kernel: the partial field redone for the new addresses, csum_start/offset at the TCP
// checksum. One whose segments would not fit the path gets fragmentation-needed as an ordinary
// ICMP packet; an aggregate for a tunnel is dropped and counted.
TEST_F(WorkerFlowTest, AggregatesLeaveWithTheirOffloadState) {
  key_ = dp_.AddService(net::kProtoTcp, "198.19.0.1", 80);
  dp_.AddDest(key_, "198.18.1.10", 8080, core::FwdMethod::kMasq);
  std::vector<uint8_t> out;
  ASSERT_EQ(dp_.Run(TcpIn(40000, net::kTcpSyn), &out), Verdict::kTx);
  std::vector<uint8_t> aggregate = PacketBuilder().Eth(kClientMac, kDir1Mac).Ipv4("198.18.0.5", "198.19.0.1").Df(true)
                                       .Tcp(40000, 80, net::kTcpAck).Payload(std::string(30000, 'a')).Build();
  net::Frame offload;
  offload.gso_size = 1448;
  offload.gso_type = 1;  // TCP/IPv4
  offload.csum_partial = true;
  ASSERT_EQ(dp_.Run(aggregate, &out, nullptr, &offload), Verdict::kTx);
  EXPECT_EQ(offload.gso_size, 1448);
  EXPECT_EQ(offload.gso_type, 1);
  EXPECT_TRUE(offload.csum_partial);
  EXPECT_EQ(offload.csum_start, 14 + 20);
  EXPECT_EQ(offload.csum_offset, 16);
  net::PacketView v = ParseOut(out);
  EXPECT_EQ(net::IpAddr(v.dst, v.family).ToString(), "198.18.1.10");
  EXPECT_EQ(v.dport, 8080);
  // The partial form: the folded pseudo-header sum of 198.18.0.5 -> 198.18.1.10, TCP, length.
  const uint32_t l4_len = v.l4_len();
  uint32_t sum = testing::OnesComplementSum(std::span(v.l3() + 12, 8)) + net::kProtoTcp + l4_len;
  const uint16_t partial = static_cast<uint16_t>(~testing::OnesComplementChecksum(sum));
  EXPECT_EQ(v.l4()[16] << 8 | v.l4()[17], partial);

  offload = net::Frame{};
  offload.gso_size = 1461;  // 20 + 20 + 1461 > 1500
  offload.gso_type = 1;
  offload.csum_partial = true;
  ASSERT_EQ(dp_.Run(aggregate, &out, nullptr, &offload), Verdict::kTx);
  EXPECT_EQ(ParseOut(out).icmp_code, net::kIcmpFragNeeded);
  EXPECT_EQ(offload.gso_size, 0);
  EXPECT_FALSE(offload.csum_partial);
  EXPECT_TRUE(testing::L4ChecksumOk(out));

  core::ServiceKey tun = dp_.AddService(net::kProtoTcp, "198.19.0.2", 80);
  dp_.AddDest(tun, "198.18.1.10", 80, core::FwdMethod::kTunnel);
  ASSERT_EQ(dp_.Run(PacketBuilder().Eth(kClientMac, kDir1Mac).Ipv4("198.18.0.5", "198.19.0.2").Tcp(40000, 80, net::kTcpSyn).Build(), &out),
            Verdict::kTx);
  std::vector<uint8_t> to_tunnel = PacketBuilder().Eth(kClientMac, kDir1Mac).Ipv4("198.18.0.5", "198.19.0.2")
                                       .Tcp(40000, 80, net::kTcpAck).Payload(std::string(30000, 't')).Build();
  offload = net::Frame{};
  offload.gso_size = 1400;
  offload.gso_type = 1;
  offload.csum_partial = true;
  EXPECT_EQ(dp_.Run(to_tunnel, &out, nullptr, &offload), Verdict::kDrop);
  EXPECT_EQ(dp_.worker_->counters().drops_of(dataplane::DropReason::kAggregateToTunnel), 1u);
  // A single segment with a partial checksum is finished before it goes into the tunnel.
  std::vector<uint8_t> segment = PacketBuilder().Eth(kClientMac, kDir1Mac).Ipv4("198.18.0.5", "198.19.0.2")
                                     .Tcp(40000, 80, net::kTcpAck).Payload(std::string(100, 's')).Build();
  segment[14 + 20 + 16] ^= 0x5a;  // whatever the sender left there
  offload = net::Frame{};
  offload.csum_partial = true;
  ASSERT_EQ(dp_.Run(segment, &out, nullptr, &offload), Verdict::kTx);
  EXPECT_FALSE(offload.csum_partial);
  ASSERT_EQ(ParseOut(out).protocol, net::kProtoIpip);
  std::vector<uint8_t> inner = out;
  inner.erase(inner.begin() + 14, inner.begin() + 14 + 20);  // the outer IPv4 header
  EXPECT_TRUE(testing::L4ChecksumOk(inner));
}

// Packets of one new flow in one burst: the first makes the connection, the others find it
// (the burst's staged lookups were computed before it existed), so all go to one server.
TEST_F(WorkerFlowTest, ANewFlowsPacketsInOneBurstShareOneConnection) {
  ThreeUdpServers();
  std::vector<std::vector<uint8_t>> out;
  std::vector<Verdict> v = dp_.RunBurst({Udp(5000, "a"), Udp(5000, "b"), Udp(5001, "c"), Udp(5000, "d")}, &out);
  ASSERT_EQ(v, std::vector<Verdict>(4, Verdict::kTx));
  EXPECT_EQ(Dst(out[0]), Dst(out[1]));
  EXPECT_EQ(Dst(out[0]), Dst(out[3]));
  EXPECT_NE(Dst(out[0]), Dst(out[2]));  // rr: the other flow went to the next server
  EXPECT_EQ(dp_.worker_->ListConns(dp_.clock_.NowTicks()).size(), 2u);
}

TEST_F(WorkerFlowTest, IcmpErrorFromTheRealServerReachesTheClientTranslated) {
  key_ = dp_.AddService(net::kProtoUdp, "198.19.0.1", 53);
  dp_.AddDest(key_, "198.18.1.10", 5353, core::FwdMethod::kMasq);
  std::vector<uint8_t> out;
  ASSERT_EQ(dp_.Run(Udp(40000), &out), Verdict::kTx);
  std::vector<uint8_t> quoted = PacketBuilder().Ipv4("198.18.0.5", "198.18.1.10").Ttl(63).Udp(40000, 5353)
                                    .Payload("d").BuildL3();
  std::vector<uint8_t> err = PacketBuilder().Eth("02:00:00:00:01:01", kDir2Mac).Ipv4("198.18.1.10", "198.18.0.5")
                                 .Icmp(net::kIcmpDestUnreach, net::kIcmpPortUnreach).Embed(quoted).Build();
  ASSERT_EQ(dp_.Run(err, &out), Verdict::kTx);
  net::PacketView v = ParseOut(out);
  EXPECT_EQ(net::IpAddr(v.src, v.family).ToString(), "198.19.0.1");
  EXPECT_EQ(net::IpAddr(v.inner.dst, v.family).ToString(), "198.19.0.1");
  EXPECT_EQ(v.inner.dport, 53);
  EXPECT_TRUE(testing::L4ChecksumOk(out));
}

TEST_F(WorkerFlowTest, QuiescedServerKeepsItsConnectionsButGetsNoNewOnes) {
  ThreeUdpServers();
  std::vector<uint8_t> out;
  ASSERT_EQ(dp_.Run(Udp(10000), &out), Verdict::kTx);
  std::string quiet = Dst(out);
  core::DestConfig d = dp_.services_.table()->FindKey(key_)->FindDest(testing::Ip(quiet.c_str()), 53)->config();
  d.weight = 0;
  ASSERT_TRUE(dp_.services_.EditDest(key_, d).ok());
  for (uint16_t p = 0; p < 12; ++p) {
    ASSERT_EQ(dp_.Run(Udp(static_cast<uint16_t>(20000 + p)), &out), Verdict::kTx);
    EXPECT_NE(Dst(out), quiet);
  }
  ASSERT_EQ(dp_.Run(Udp(10000), &out), Verdict::kTx);
  EXPECT_EQ(Dst(out), quiet);
}

TEST_F(WorkerFlowTest, DeletedServerDropsItsConnectionsAndExpireNodestConnReschedules) {
  key_ = dp_.AddService(net::kProtoTcp, "198.19.0.1", 80);
  dp_.AddDest(key_, "198.18.1.10", 80, core::FwdMethod::kRoute);
  dp_.AddDest(key_, "198.18.1.11", 80, core::FwdMethod::kRoute);
  std::vector<uint8_t> out;
  ASSERT_EQ(dp_.Run(TcpIn(40000, net::kTcpSyn), &out), Verdict::kTx);
  auto conns = dp_.worker_->ListConns(dp_.clock_.NowTicks());
  ASSERT_EQ(conns.size(), 1u);
  net::IpAddr rs{conns[0].daddr, conns[0].daf};
  ASSERT_TRUE(dp_.services_.DeleteDest(key_, rs, 80).ok());
  EXPECT_EQ(dp_.Run(TcpIn(40000, net::kTcpAck), &out), Verdict::kDrop);
  EXPECT_EQ(dp_.worker_->counters().drops_of(dataplane::DropReason::kDestUnavailable), 1u);
  dp_.settings_.expire_nodest_conn = true;
  ASSERT_EQ(dp_.Run(TcpIn(40000, net::kTcpSyn), &out), Verdict::kTx);  // a new SYN is scheduled afresh
  auto after = dp_.worker_->ListConns(dp_.clock_.NowTicks());
  ASSERT_EQ(after.size(), 1u);
  EXPECT_NE(net::IpAddr(after[0].daddr, after[0].daf), rs);
}

TEST_F(WorkerFlowTest, SynAfterTimeWaitStartsANewConnection) {
  key_ = dp_.AddService(net::kProtoTcp, "198.19.0.1", 80);
  dp_.AddDest(key_, "198.18.1.10", 80, core::FwdMethod::kMasq);
  std::vector<uint8_t> out;
  dp_.Run(TcpIn(40000, net::kTcpSyn), &out);
  // The real server refuses: its RST (OUTPUT direction) moves SYN_RECV to CLOSE.
  dp_.Run(PacketBuilder().Eth("02:00:00:00:01:01", kDir2Mac).Ipv4("198.18.1.10", "198.18.0.5")
              .Tcp(80, 40000, net::kTcpRst | net::kTcpAck).Build(),
          &out);
  auto conns = dp_.worker_->ListConns(dp_.clock_.NowTicks());
  ASSERT_EQ(conns.size(), 1u);
  EXPECT_STREQ(conns[0].state, "CLOSE");
  const core::Service* svc = dp_.services_.table()->FindKey(key_);
  ASSERT_EQ(dp_.Run(TcpIn(40000, net::kTcpSyn), &out), Verdict::kTx);
  EXPECT_EQ(svc->stats->Total().conns, 2u);
  conns = dp_.worker_->ListConns(dp_.clock_.NowTicks());
  ASSERT_EQ(conns.size(), 1u);
  EXPECT_STREQ(conns[0].state, "SYN_RECV");
}

// The real server and TCP state of the connection from client port `sport`, or "none".
std::string ConnOf(DataPlane& dp, uint16_t sport) {
  for (const dataplane::ConnSnapshot& c : dp.worker_->ListConns(dp.clock_.NowTicks())) {
    if (c.cport == sport) return net::IpAddr(c.daddr, c.daf).ToString() + " " + c.state;
  }
  return "none";
}

// The mh service of an ECMP group: DR to three real servers, the client port in the hash.
core::ServiceKey MhDrService(DataPlane& dp, uint32_t flags) {
  core::ServiceKey k = dp.AddService(net::kProtoTcp, "198.19.0.1", 80, "mh", core::kSvcSched2 | flags);
  for (const char* a : {"198.18.1.11", "198.18.1.12", "198.18.1.13"}) {
    dp.router_.AddNeighbour({testing::Ip(a), testing::Mac(testing::kRsMac)});
    dp.AddDest(k, a, 80, core::FwdMethod::kRoute);
  }
  return k;
}

// Two directors with the same mh service behind an ECMP router: when the router moves a flow
// from the first to the second, the second sees an ACK first. With sloppy it creates the
// connection there, ESTABLISHED at once, on the real server the first director chose.
TEST_F(WorkerFlowTest, SloppyMidStreamAckFollowsTheMhChoiceOfAnotherDirector) {
  DataPlane second;
  MhDrService(dp_, 0);
  MhDrService(second, core::kSvcSloppy);
  std::map<std::string, int> per_server;
  std::vector<uint8_t> out;
  for (uint16_t p = 0; p < 30; ++p) {
    const auto sport = static_cast<uint16_t>(40000 + p);
    ASSERT_EQ(dp_.Run(TcpIn(sport, net::kTcpSyn), &out), Verdict::kTx);
    ASSERT_EQ(dp_.Run(TcpIn(sport, net::kTcpAck), &out), Verdict::kTx);
    std::string first = ConnOf(dp_, sport);
    ASSERT_EQ(second.Run(TcpIn(sport, net::kTcpAck | net::kTcpPsh), &out), Verdict::kTx);
    net::PacketView v = ParseOut(out);
    EXPECT_EQ(v.tcp_flags, net::kTcpAck | net::kTcpPsh);  // the client's segment itself, not a reset
    EXPECT_EQ(ConnOf(second, sport), first);
    ++per_server[first.substr(0, first.find(' '))];
  }
  EXPECT_EQ(per_server.size(), 3u);  // the flows really are spread, so the match means something
  EXPECT_EQ(second.worker_->counters().resets_sent, 0u);
}

TEST_F(WorkerFlowTest, SloppySysctlCoversEveryServiceAndRstNeverCreates) {
  MhDrService(dp_, 0);
  std::vector<uint8_t> out;
  // Not sloppy: a stray ACK gets the reset the local stack would send, and no connection.
  ASSERT_EQ(dp_.Run(TcpIn(40000, net::kTcpAck), &out), Verdict::kTx);
  EXPECT_TRUE(ParseOut(out).tcp_flags & net::kTcpRst);
  EXPECT_EQ(ConnOf(dp_, 40000), "none");
  dp_.settings_.sloppy_tcp = true;
  ASSERT_EQ(dp_.Run(TcpIn(40001, net::kTcpAck), &out), Verdict::kTx);
  EXPECT_EQ(ParseOut(out).tcp_flags, net::kTcpAck);
  EXPECT_NE(ConnOf(dp_, 40001), "none");
  // A RST never creates a connection and is never answered, sloppy or not.
  EXPECT_EQ(dp_.Run(TcpIn(40002, net::kTcpRst | net::kTcpAck), &out), Verdict::kDrop);
  EXPECT_EQ(ConnOf(dp_, 40002), "none");
}

TEST_F(WorkerFlowTest, SloppyServiceFlagIsPerService) {
  MhDrService(dp_, core::kSvcSloppy);
  core::ServiceKey other = dp_.AddService(net::kProtoTcp, "198.19.0.1", 81, "rr");
  dp_.AddDest(other, "198.18.1.11", 81, core::FwdMethod::kRoute);
  dp_.router_.AddNeighbour({testing::Ip("198.18.1.11"), testing::Mac(testing::kRsMac)});
  std::vector<uint8_t> out;
  ASSERT_EQ(dp_.Run(TcpIn(40000, net::kTcpAck), &out), Verdict::kTx);
  EXPECT_NE(ConnOf(dp_, 40000), "none");
  auto to_81 = PacketBuilder().Eth(kClientMac, kDir1Mac).Ipv4("198.18.0.5", "198.19.0.1").Tcp(40001, 81, net::kTcpAck).Build();
  ASSERT_EQ(dp_.Run(to_81, &out), Verdict::kTx);
  EXPECT_TRUE(ParseOut(out).tcp_flags & net::kTcpRst);
  EXPECT_EQ(ConnOf(dp_, 40001), "none");
  EXPECT_EQ(dp_.Run(TcpIn(40002, net::kTcpRst), &out), Verdict::kDrop);
  EXPECT_EQ(ConnOf(dp_, 40002), "none");
}

TEST_F(WorkerFlowTest, HostileFramesAreDroppedAndEstablishedFlowsContinue) {
  ThreeUdpServers();
  std::vector<uint8_t> out;
  ASSERT_EQ(dp_.Run(Udp(10000), &out), Verdict::kTx);
  std::string server = Dst(out);
  std::mt19937 rng(42);
  std::vector<uint8_t> base = Udp(10000, "payload");
  for (int i = 0; i < 20000; ++i) {
    std::vector<uint8_t> f = base;
    int flips = 1 + static_cast<int>(rng() % 4);
    for (int k = 0; k < flips; ++k) f[rng() % f.size()] = static_cast<uint8_t>(rng());
    if (rng() % 3 == 0) f.resize(rng() % f.size());
    if (rng() % 7 == 0) {
      f.resize(14 + rng() % 200);
      for (size_t j = 14; j < f.size(); ++j) f[j] = static_cast<uint8_t>(rng());
    }
    dp_.Run(f, &out);
  }
  EXPECT_GT(dp_.worker_->counters().total_drops(), 0u);
  ASSERT_EQ(dp_.Run(Udp(10000), &out), Verdict::kTx);
  EXPECT_EQ(Dst(out), server);
  EXPECT_TRUE(testing::L4ChecksumOk(out));
}

TEST_F(WorkerFlowTest, PollMovesWholeBurstsThroughTheLoopback) {
  ThreeUdpServers();
  for (uint16_t p = 0; p < 100; ++p) dp_.io_.Inject(Udp(static_cast<uint16_t>(1000 + p)));
  dp_.io_.Inject(TcpIn(40000, net::kTcpSyn));  // not a service: to the kernel
  size_t got = 0;
  while (dp_.io_.pending() > 0) got += dp_.worker_->Poll(dp_.io_);
  EXPECT_EQ(got, 101u);
  EXPECT_EQ(dp_.io_.sent().size(), 100u);
  EXPECT_EQ(dp_.io_.passed().size(), 1u);
  EXPECT_EQ(dp_.worker_->counters().rx.load(), 101u);
}

TEST_F(WorkerFlowTest, PostedTasksRunOnTheWorkersNextPoll) {
  ThreeUdpServers();
  std::vector<uint8_t> out;
  dp_.Run(Udp(1), &out);
  size_t listed = 0;
  dp_.worker_->Post([&](dataplane::Worker& w) { listed = w.ListConns(0).size(); });
  dp_.worker_->Poll(dp_.io_);
  EXPECT_EQ(listed, 1u);
}

}  // namespace
}  // namespace ipvsd
