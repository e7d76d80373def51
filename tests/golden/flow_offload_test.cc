// The worker's side of flow offload (io/flow_offload.h), against a recording forwarder: which
// flows it hands down and when, with which rewrite and next hop; what takes them back; and how
// what the forwarder counted reaches the statistics and the timers.
#include <gtest/gtest.h>

#include <map>
#include <tuple>

#include "net/headers.h"
#include "tests/golden/dataplane_fixture.h"
#include "tests/testing/packet_builder.h"

namespace ipvsd {
namespace {

using dataplane::Verdict;
using testing::DataPlane;
using testing::kClientMac;
using testing::kDir1Mac;
using testing::kDir2Mac;
using testing::kRsMac;
using testing::PacketBuilder;

// A forwarder that records the flows it holds; the test plays its counters.
class RecordingOffload final : public io::FlowOffload {
 public:
  struct Flow {
    io::FlowRule rule;
    uint64_t packets = 0;
    uint64_t bytes = 0;
    uint64_t last_seen_ns = 0;
  };
  explicit RecordingOffload(const FakeClock* clock) : clock_(clock) {}

  bool Install(const io::FlowRule& rule) override {
    ++asked;
    if (full) return false;
    flows_[Key(rule.key)] = Flow{rule, 0, 0, clock_->NowNs()};
    ++installs;
    return true;
  }
  bool Remove(const io::FlowKey& key, io::FlowCounters* last) override {
    auto it = flows_.find(Key(key));
    if (it == flows_.end()) return false;
    *last = CountersOf(it->second);
    flows_.erase(it);
    ++removals;
    return true;
  }
  bool Read(const io::FlowKey& key, io::FlowCounters* out) override {
    auto it = flows_.find(Key(key));
    if (it == flows_.end()) return false;
    *out = CountersOf(it->second);
    return true;
  }

  // The flow whose packets come from src:sport, or nullptr.
  Flow* From(const char* src, uint16_t sport) {
    for (auto& [k, f] : flows_) {
      if (net::IpAddr{f.rule.key.src, f.rule.key.family}.ToString() == src && f.rule.key.sport == sport) return &f;
    }
    return nullptr;
  }
  // The forwarder moved `packets` packets of `bytes` bytes for f, the last one now.
  void Forwarded(Flow* f, uint64_t packets, uint64_t bytes) {
    f->packets += packets;
    f->bytes += bytes;
    f->last_seen_ns = clock_->NowNs();
  }
  size_t size() const { return flows_.size(); }

  int asked = 0;  // installs asked for, refused ones too
  int installs = 0;
  int removals = 0;
  bool full = false;  // refuses every install, as a full map does

 private:
  using KeyTuple = std::tuple<int, int, std::array<uint8_t, 16>, uint16_t, std::array<uint8_t, 16>, uint16_t>;
  static KeyTuple Key(const io::FlowKey& k) {
    return {static_cast<int>(k.family), k.protocol, k.src.bytes, k.sport, k.dst.bytes, k.dport};
  }
  io::FlowCounters CountersOf(const Flow& f) const {
    return io::FlowCounters{f.packets, f.bytes, clock_->NowNs() - f.last_seen_ns};
  }

  const FakeClock* clock_;
  std::map<KeyTuple, Flow> flows_;
};

std::vector<uint8_t> TcpIn(uint8_t flags, const char* payload = "") {
  return PacketBuilder().Eth(kClientMac, kDir1Mac).Ipv4("198.18.0.5", "198.19.0.1").Tcp(40000, 80, flags)
      .Payload(payload).Build();
}
std::vector<uint8_t> TcpOut(uint8_t flags, const char* payload = "") {
  return PacketBuilder().Eth(kRsMac, kDir2Mac).Ipv4("198.18.1.10", "198.18.0.5").Tcp(8080, 40000, flags)
      .Payload(payload).Build();
}
std::vector<uint8_t> UdpIn() {
  return PacketBuilder().Eth(kClientMac, kDir1Mac).Ipv4("198.18.0.5", "198.19.0.1").Udp(5000, 53).Payload("q").Build();
}

std::string Addr(const net::RawAddr& a, net::Family f) { return net::IpAddr{a, f}.ToString(); }

class FlowOffloadTest : public ::testing::Test {
 protected:
  FlowOffloadTest() { dp_.MakeWorker(&offload_); }

  core::ServiceKey NatTcp() {
    core::ServiceKey k = dp_.AddService(net::kProtoTcp, "198.19.0.1", 80);
    dp_.AddDest(k, "198.18.1.10", 8080, core::FwdMethod::kMasq);
    return k;
  }
  // SYN, SYN-ACK, ACK: the connection ESTABLISHED.
  void Handshake() {
    ASSERT_EQ(dp_.Run(TcpIn(net::kTcpSyn), &out_), Verdict::kTx);
    ASSERT_EQ(dp_.Run(TcpOut(net::kTcpSyn | net::kTcpAck), &out_), Verdict::kTx);
    ASSERT_EQ(dp_.Run(TcpIn(net::kTcpAck), &out_), Verdict::kTx);
  }
  // The handshake, then two packets of data from the client: its 4th packet forwarded, the
  // connection goes down (OffloadedFlows::kMinClientPackets).
  void Establish() {
    Handshake();
    ASSERT_EQ(dp_.Run(TcpIn(net::kTcpAck, "a"), &out_), Verdict::kTx);
    ASSERT_EQ(dp_.Run(TcpIn(net::kTcpAck, "b"), &out_), Verdict::kTx);
  }
  // Seconds go by with the worker polling (its timers and its once-a-second reading).
  void Advance(uint32_t seconds) {
    for (uint32_t i = 0; i < seconds; ++i) {
      dp_.clock_.AdvanceSeconds(1);
      dp_.worker_->Poll(dp_.io_);
    }
  }
  core::StatsValues ServiceStats(const core::ServiceKey& k) { return dp_.services_.table()->FindKey(k)->stats->Total(); }

  DataPlane dp_;
  RecordingOffload offload_{&dp_.clock_};
  std::vector<uint8_t> out_;
};

TEST_F(FlowOffloadTest, NatFlowGoesDownEachWayAtTheClientsFourthPacketWithItsRewriteAndNextHop) {
  NatTcp();
  ASSERT_EQ(dp_.Run(TcpIn(net::kTcpSyn), &out_), Verdict::kTx);
  ASSERT_EQ(dp_.Run(TcpOut(net::kTcpSyn | net::kTcpAck), &out_), Verdict::kTx);
  ASSERT_EQ(dp_.Run(TcpIn(net::kTcpAck), &out_), Verdict::kTx);
  ASSERT_EQ(dp_.Run(TcpIn(net::kTcpAck, "a"), &out_), Verdict::kTx);
  EXPECT_EQ(offload_.size(), 0u) << "ESTABLISHED, but nothing before the client's 4th packet";
  ASSERT_EQ(dp_.Run(TcpIn(net::kTcpAck, "b"), &out_), Verdict::kTx);
  ASSERT_EQ(offload_.size(), 1u);
  RecordingOffload::Flow* in = offload_.From("198.18.0.5", 40000);
  ASSERT_NE(in, nullptr);
  EXPECT_EQ(in->rule.action, io::FlowAction::kNatToServer);
  EXPECT_EQ(in->rule.key.protocol, net::kProtoTcp);
  EXPECT_EQ(Addr(in->rule.key.dst, net::Family::kInet), "198.19.0.1");
  EXPECT_EQ(in->rule.key.dport, 80);
  EXPECT_EQ(Addr(in->rule.new_addr, net::Family::kInet), "198.18.1.10");
  EXPECT_EQ(in->rule.new_port, 8080);
  EXPECT_EQ(in->rule.ifindex, 2u);
  EXPECT_EQ(in->rule.src_mac, testing::Mac(kDir2Mac));
  EXPECT_EQ(in->rule.dst_mac, testing::Mac(kRsMac));
  EXPECT_EQ(in->rule.mtu, 1500u);

  ASSERT_EQ(dp_.Run(TcpOut(net::kTcpAck, "data"), &out_), Verdict::kTx);
  RecordingOffload::Flow* out = offload_.From("198.18.1.10", 8080);
  ASSERT_NE(out, nullptr);
  EXPECT_EQ(out->rule.action, io::FlowAction::kNatToClient);
  EXPECT_EQ(Addr(out->rule.key.dst, net::Family::kInet), "198.18.0.5");
  EXPECT_EQ(out->rule.key.dport, 40000);
  EXPECT_EQ(Addr(out->rule.new_addr, net::Family::kInet), "198.19.0.1");
  EXPECT_EQ(out->rule.new_port, 80);
  EXPECT_EQ(out->rule.ifindex, 1u);
  EXPECT_EQ(out->rule.src_mac, testing::Mac(kDir1Mac));
  EXPECT_EQ(out->rule.dst_mac, testing::Mac(kClientMac));
  // Another packet that came up anyway (e.g. over the MTU) installs nothing twice.
  ASSERT_EQ(dp_.Run(TcpIn(net::kTcpAck, "more"), &out_), Verdict::kTx);
  EXPECT_EQ(offload_.installs, 2);
}

TEST_F(FlowOffloadTest, WhatTheForwarderCountedReachesTheStatisticsWithinASecond) {
  const core::ServiceKey k = NatTcp();
  Establish();
  ASSERT_EQ(dp_.Run(TcpOut(net::kTcpAck, "data"), &out_), Verdict::kTx);
  const core::StatsValues before = ServiceStats(k);
  offload_.Forwarded(offload_.From("198.18.0.5", 40000), 10, 1000);
  offload_.Forwarded(offload_.From("198.18.1.10", 8080), 7, 7000);
  Advance(1);
  core::StatsValues after = ServiceStats(k);
  EXPECT_EQ(after.inpkts - before.inpkts, 10u);
  EXPECT_EQ(after.inbytes - before.inbytes, 1000u);
  EXPECT_EQ(after.outpkts - before.outpkts, 7u);
  EXPECT_EQ(after.outbytes - before.outbytes, 7000u);
  EXPECT_EQ(dp_.services_.total_stats().Total().inpkts, after.inpkts);
  // Read again with nothing new: nothing added twice.
  Advance(1);
  EXPECT_EQ(ServiceStats(k).inpkts, after.inpkts);
}

TEST_F(FlowOffloadTest, FinOrRstTakesBothDirectionsBackAndKeepsTheirCounts) {
  const core::ServiceKey k = NatTcp();
  Establish();
  ASSERT_EQ(dp_.Run(TcpOut(net::kTcpAck, "data"), &out_), Verdict::kTx);
  ASSERT_EQ(offload_.size(), 2u);
  offload_.Forwarded(offload_.From("198.18.0.5", 40000), 4, 400);
  const uint64_t before = ServiceStats(k).inpkts;
  ASSERT_EQ(dp_.Run(TcpIn(net::kTcpFin | net::kTcpAck), &out_), Verdict::kTx);
  EXPECT_EQ(offload_.size(), 0u);
  EXPECT_EQ(ServiceStats(k).inpkts - before, 4u + 1u);  // the forwarder's, and the FIN
  const dataplane::WorkerCounters& counters = dp_.worker_->counters();
  EXPECT_EQ(counters.flows_offloaded.load(), 2u);
  EXPECT_EQ(counters.flows_withdrawn.load(), 2u);
  EXPECT_EQ(counters.offloaded_packets.load(), 4u);
  // The close goes on in user space: nothing goes down again.
  ASSERT_EQ(dp_.Run(TcpOut(net::kTcpAck), &out_), Verdict::kTx);
  EXPECT_EQ(offload_.size(), 0u);
}

TEST_F(FlowOffloadTest, AnOffloadedFlowLivesWhileTheForwarderSeesItsPacketsAndExpiresAfter) {
  const core::ServiceKey k = dp_.AddService(net::kProtoUdp, "198.19.0.1", 53);
  dp_.AddDest(k, "198.18.1.10", 53, core::FwdMethod::kMasq);
  for (int i = 0; i < 3; ++i) ASSERT_EQ(dp_.Run(UdpIn(), &out_), Verdict::kTx);
  EXPECT_EQ(offload_.size(), 0u) << "nothing before the client's 4th packet";
  ASSERT_EQ(dp_.Run(UdpIn(), &out_), Verdict::kTx);
  RecordingOffload::Flow* in = offload_.From("198.18.0.5", 5000);
  ASSERT_NE(in, nullptr) << "UDP goes down at the client's 4th packet";
  Advance(200);
  offload_.Forwarded(in, 1, 29);
  Advance(250);  // 450 s after the first datagram, 250 s after the last
  ASSERT_EQ(dp_.worker_->ListConns(dp_.clock_.NowTicks()).size(), 1u);
  EXPECT_NEAR(dp_.worker_->ListConns(dp_.clock_.NowTicks())[0].expires_s, 50, 1);
  Advance(52);
  EXPECT_EQ(dp_.worker_->ListConns(dp_.clock_.NowTicks()).size(), 0u);
  EXPECT_EQ(offload_.size(), 0u);
  EXPECT_EQ(ServiceStats(k).inpkts, 5u);
}

TEST_F(FlowOffloadTest, DrOffloadsTheClientSideOnly) {
  const core::ServiceKey dr = dp_.AddService(net::kProtoTcp, "198.19.0.1", 80);
  dp_.AddDest(dr, "198.18.1.10", 80, core::FwdMethod::kRoute);
  ASSERT_EQ(dp_.Run(TcpIn(net::kTcpSyn), &out_), Verdict::kTx);
  ASSERT_EQ(dp_.Run(TcpIn(net::kTcpAck), &out_), Verdict::kTx);  // DR: ESTABLISHED on the client's ACK
  ASSERT_EQ(dp_.Run(TcpIn(net::kTcpAck, "a"), &out_), Verdict::kTx);
  ASSERT_EQ(dp_.Run(TcpIn(net::kTcpAck, "b"), &out_), Verdict::kTx);
  ASSERT_EQ(offload_.size(), 1u);
  EXPECT_EQ(offload_.From("198.18.0.5", 40000)->rule.action, io::FlowAction::kRoute);
  EXPECT_EQ(offload_.From("198.18.0.5", 40000)->rule.dst_mac, testing::Mac(kRsMac));
}

// TUN goes down the client's way with the real server's tunnel settings as they are; a change
// of them takes the flow back at the next tick, and it goes down again with the new ones.
TEST_F(FlowOffloadTest, TunOffloadsTheClientSideWithItsTunnelUntilTheSettingsChange) {
  const core::ServiceKey tun = dp_.AddService(net::kProtoUdp, "198.19.0.1", 53);
  dp_.AddDest(tun, "198.18.1.10", 0, core::FwdMethod::kTunnel, 1, core::TunType::kGre, 0, core::TunCsum::kCsum);
  for (int i = 0; i < 4; ++i) ASSERT_EQ(dp_.Run(UdpIn(), &out_), Verdict::kTx);
  ASSERT_EQ(offload_.size(), 1u);
  const io::FlowRule& rule = offload_.From("198.18.0.5", 5000)->rule;
  EXPECT_EQ(rule.action, io::FlowAction::kTunnel);
  EXPECT_EQ(rule.tunnel.type, net::EncapType::kGre);
  EXPECT_TRUE(rule.tunnel.csum);
  EXPECT_EQ(Addr(rule.tunnel.saddr, rule.tunnel.family), "198.18.1.254");
  EXPECT_EQ(Addr(rule.tunnel.daddr, rule.tunnel.family), "198.18.1.10");
  EXPECT_EQ(rule.mtu, 1500u - 20 - 8);  // what IPv4 and GRE with its checksum leave
  EXPECT_EQ(rule.dst_mac, testing::Mac(kRsMac));

  core::DestConfig d;
  d.addr = testing::Ip("198.18.1.10");
  d.port = 0;
  d.fwd = core::FwdMethod::kTunnel;
  d.weight = 1;
  d.tun_type = core::TunType::kGue;
  d.tun_port = 6080;
  ASSERT_TRUE(dp_.services_.EditDest(tun, d).ok());
  dp_.clock_.AdvanceNs(kNsPerTick);
  dp_.worker_->Poll(dp_.io_);
  EXPECT_EQ(offload_.size(), 0u);
  ASSERT_EQ(dp_.Run(UdpIn(), &out_), Verdict::kTx);
  ASSERT_EQ(offload_.size(), 1u);
  const io::FlowRule& gue = offload_.From("198.18.0.5", 5000)->rule;
  EXPECT_EQ(gue.tunnel.type, net::EncapType::kGue);
  EXPECT_FALSE(gue.tunnel.csum);
  EXPECT_EQ(gue.tunnel.udp_dport, 6080);
  EXPECT_GE(gue.tunnel.udp_sport, net::kGueSourcePortMin);
  EXPECT_EQ(gue.mtu, 1500u - 20 - 12);
  // The packet that came up was tunnelled by user space with the new settings: GUE on UDP.
  EXPECT_EQ(out_[14 + 9], net::kProtoUdp);
}

TEST_F(FlowOffloadTest, ANextHopChangeOrAGoneRealServerTakesTheFlowsBack) {
  const core::ServiceKey k = NatTcp();
  Establish();
  ASSERT_EQ(offload_.size(), 1u);
  dp_.router_.AddNeighbour({testing::Ip("198.18.1.10"), testing::Mac("02:00:00:00:01:02")});
  Advance(1);
  EXPECT_EQ(offload_.size(), 0u);
  // Back down with the new next hop at the next packet that comes up.
  ASSERT_EQ(dp_.Run(TcpIn(net::kTcpAck, "x"), &out_), Verdict::kTx);
  ASSERT_EQ(offload_.size(), 1u);
  EXPECT_EQ(offload_.From("198.18.0.5", 40000)->rule.dst_mac, testing::Mac("02:00:00:00:01:02"));

  ASSERT_TRUE(dp_.services_.DeleteDest(k, testing::Ip("198.18.1.10"), 8080).ok());
  dp_.clock_.AdvanceNs(kNsPerTick);  // the next tick, not the next second
  dp_.worker_->Poll(dp_.io_);
  EXPECT_EQ(offload_.size(), 0u);
}

// The sync master sends a connection when its client packet count passes the threshold (3,
// then every 50): packets the program forwarded count, as they went by, once they are read.
TEST_F(FlowOffloadTest, ClientPacketsForwardedBelowReachTheSyncRules) {
  NatTcp();
  dp_.settings_.sync_master_running.store(true);
  Establish();  // 4 client packets: the 3rd, at the threshold, came up
  core::SyncRecord out[8];
  ASSERT_EQ(dp_.worker_->PopSyncOut(out), 1u);
  RecordingOffload::Flow* in = offload_.From("198.18.0.5", 40000);
  ASSERT_NE(in, nullptr);
  offload_.Forwarded(in, 38, 3800);  // packets 5..42: none at 53
  Advance(1);
  EXPECT_EQ(dp_.worker_->PopSyncOut(out), 0u);
  offload_.Forwarded(in, 20, 2000);  // 43..62: the 53rd
  Advance(1);
  EXPECT_EQ(dp_.worker_->PopSyncOut(out), 1u);
  offload_.Forwarded(in, 100, 10000);  // 63..162: the 103rd and the 153rd, one record
  Advance(1);
  EXPECT_EQ(dp_.worker_->PopSyncOut(out), 1u);
}

TEST_F(FlowOffloadTest, AFullForwarderIsAskedAgainASecondLaterNotAtEveryPacket) {
  const core::ServiceKey k = dp_.AddService(net::kProtoUdp, "198.19.0.1", 53);
  dp_.AddDest(k, "198.18.1.10", 53, core::FwdMethod::kMasq);
  offload_.full = true;
  for (int i = 0; i < 5; ++i) ASSERT_EQ(dp_.Run(UdpIn(), &out_), Verdict::kTx);
  EXPECT_EQ(offload_.asked, 1);
  offload_.full = false;
  Advance(1);
  ASSERT_EQ(dp_.Run(UdpIn(), &out_), Verdict::kTx);
  EXPECT_EQ(offload_.asked, 2);
  EXPECT_NE(offload_.From("198.18.0.5", 5000), nullptr);
}

TEST_F(FlowOffloadTest, WithoutAForwarderEveryPacketStaysInUserSpace) {
  dp_.MakeWorker(nullptr);
  NatTcp();
  Handshake();
  EXPECT_EQ(offload_.installs, 0);
}

}  // namespace
}  // namespace ipvsd
