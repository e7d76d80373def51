// Two workers on one director, as on a two-queue NIC: every packet reaches the worker that owns
// its connection, whichever worker's queue it arrives on (dataplane/handoff.h), and the
// persistence templates are one for both (core/template_table.h).
#include "dataplane/handoff.h"

#include <gtest/gtest.h>
#include <poll.h>

#include <string>

#include "tests/golden/dataplane_fixture.h"
#include "net/packet_view.h"
#include "tests/testing/checksum_verify.h"
#include "tests/testing/packet_builder.h"

namespace ipvsd {
namespace {

using dataplane::HandedFrame;
using dataplane::Handoff;
using dataplane::Worker;
using testing::kClientMac;
using testing::kDir1Mac;
using testing::kDir2Mac;
using testing::kRsMac;
using testing::PacketBuilder;

constexpr const char* kClient = "198.18.0.5";
constexpr const char* kVip = "198.19.0.1";

std::vector<uint8_t> SynIn(uint16_t sport) {
  return PacketBuilder().Eth(kClientMac, kDir1Mac).Ipv4(kClient, kVip).Tcp(sport, 80, net::kTcpSyn).Build();
}
std::vector<uint8_t> SynAckOut(const char* rs, uint16_t dport) {
  return PacketBuilder().Eth(kRsMac, kDir2Mac).Ipv4(rs, kClient).Tcp(80, dport, net::kTcpSyn | net::kTcpAck).Build();
}

struct Addresses {
  std::string src, dst;
};
Addresses AddressesOf(io::LoopbackIo::Packet p) {
  net::PacketView v;
  EXPECT_EQ(net::Parse(p.bytes.data(), static_cast<uint32_t>(p.bytes.size()), &v), net::ParseStatus::kOk);
  return {net::IpAddr{v.src, v.family}.ToString(), net::IpAddr{v.dst, v.family}.ToString()};
}

class HandoffTest : public ::testing::Test {
 protected:
  HandoffTest() : handoff_(2, HashKey{{1, 2}}), templates_(1024, HashKey{{3, 0}}, dp_.clock_.NowTicks()) {
    Worker::Env env{&dp_.services_, &dp_.timeouts_,           &dp_.settings_, &dp_.services_.total_stats(),
                    &dp_.router_,   &dp_.clock_,              &handoff_,      &templates_};
    for (int i = 0; i < 2; ++i) {
      Worker::Options o;
      o.id = i;
      o.conn_capacity = 1024;
      workers_[i] = std::make_unique<Worker>(o, env);
    }
    // Client ports whose connections each worker owns.
    for (uint16_t p = 1000; port_of_[0] == 0 || port_of_[1] == 0; ++p) port_of_[handoff_.OwnerOf(Ip(kClient), p)] = p;
  }
  static net::RawAddr Ip(const char* a) { return testing::Ip(a).raw; }
  // Polls both workers until neither moves a frame.
  void Settle() {
    for (int round = 0; round < 1000; ++round) {
      size_t moved = workers_[0]->Poll(io_[0]) + workers_[1]->Poll(io_[1]);
      if (moved == 0) return;
    }
  }

  testing::DataPlane dp_;
  Handoff handoff_;
  core::TemplateTable templates_;
  std::unique_ptr<Worker> workers_[2];
  // Buffers for more than a ring of frames out at the other worker.
  io::LoopbackIo io_[2] = {io::LoopbackIo(2048, 4 * Handoff::kRingSize), io::LoopbackIo(2048, 4 * Handoff::kRingSize)};
  uint16_t port_of_[2] = {0, 0};
};

TEST_F(HandoffTest, ClientSideHashPicksOneOwnerForBothDirections) {
  size_t owners[2] = {0, 0};
  for (uint16_t p = 1; p <= 2000; ++p) ++owners[handoff_.OwnerOf(Ip(kClient), p)];
  // Spread over both workers (a fair coin 2000 times stays within 850..1150 by a wide margin).
  EXPECT_GT(owners[0], 850u);
  EXPECT_GT(owners[1], 850u);
  // The key decides: another key owns the same ports differently.
  Handoff other(2, HashKey{{5, 6}});
  int differ = 0;
  for (uint16_t p = 1; p <= 200; ++p) differ += other.OwnerOf(Ip(kClient), p) != handoff_.OwnerOf(Ip(kClient), p);
  EXPECT_GT(differ, 50);
}

TEST_F(HandoffTest, NatRequestAndReplyReachTheOwnerFromEitherQueue) {
  core::ServiceKey k = dp_.AddService(net::kProtoTcp, kVip, 80);
  dp_.AddDest(k, "198.18.1.10", 80, core::FwdMethod::kMasq);
  const uint16_t port = port_of_[1];

  // The SYN arrives on worker 0's queue: worker 1 places the connection, worker 0 sends it.
  io_[0].Inject(SynIn(port), 1);
  EXPECT_EQ(workers_[0]->Poll(io_[0]), 1u);
  EXPECT_EQ(io_[0].sent().size(), 0u);  // out at its owner
  Settle();
  ASSERT_EQ(io_[0].sent().size(), 1u);
  EXPECT_EQ(AddressesOf(io_[0].sent()[0]).dst, "198.18.1.10");
  EXPECT_TRUE(testing::L4ChecksumOk(io_[0].sent()[0].bytes));
  EXPECT_EQ(workers_[0]->conns().size(), 0u);
  EXPECT_EQ(workers_[1]->conns().size(), 1u);
  EXPECT_EQ(workers_[0]->counters().handed_off.load(), 1u);
  EXPECT_EQ(workers_[1]->counters().handed_in.load(), 1u);

  // Its reply on worker 0's queue goes the same way and leaves from the VIP.
  io_[0].Inject(SynAckOut("198.18.1.10", port), 2);
  Settle();
  ASSERT_EQ(io_[0].sent().size(), 2u);
  Addresses reply = AddressesOf(io_[0].sent()[1]);
  EXPECT_EQ(reply.src, kVip);
  EXPECT_EQ(reply.dst, kClient);
  EXPECT_TRUE(testing::L4ChecksumOk(io_[0].sent()[1].bytes));

  // On the owner's own queue nothing is handed off.
  io_[1].Inject(SynAckOut("198.18.1.10", port), 2);
  Settle();
  ASSERT_EQ(io_[1].sent().size(), 1u);
  EXPECT_EQ(AddressesOf(io_[1].sent()[0]).src, kVip);
  EXPECT_EQ(workers_[0]->counters().handed_off.load(), 2u);
  EXPECT_EQ(workers_[1]->counters().handed_off.load(), 0u);
  EXPECT_EQ(dp_.services_.table()->FindKey(k)->stats->Total().conns, 1u);
}

TEST_F(HandoffTest, PersistentClientKeepsItsServerAcrossWorkers) {
  core::ServiceKey k = dp_.AddService(net::kProtoTcp, kVip, 80, "rr", core::kSvcPersistent, 300);
  for (const char* rs : {"198.18.1.10", "198.18.1.11", "198.18.1.12"}) dp_.AddDest(k, rs, 80, core::FwdMethod::kRoute);
  // Twenty connections of one client on worker 0's queue (about half of them owned by worker 1)
  // and one on worker 1's.
  for (uint16_t p = 2000; p < 2020; ++p) io_[0].Inject(SynIn(p), 1);
  io_[1].Inject(SynIn(3000), 1);
  Settle();
  // Every connection on one real server, one template for both workers.
  EXPECT_EQ(templates_.table().templates(), 1u);
  EXPECT_EQ(workers_[0]->conns().templates() + workers_[1]->conns().templates(), 0u);
  const core::Service* svc = dp_.services_.table()->FindKey(k);
  int with_conns = 0;
  for (const core::DestPtr& d : svc->dests) with_conns += d->inactconns() > 0;
  EXPECT_EQ(with_conns, 1);
  EXPECT_EQ(workers_[0]->conns().size() + workers_[1]->conns().size(), 21u);
  EXPECT_GT(workers_[0]->conns().size(), 0u);
  EXPECT_GT(workers_[1]->conns().size(), 0u);
  EXPECT_EQ(io_[0].sent().size() + io_[1].sent().size(), 21u);
}

TEST_F(HandoffTest, AnOriginKeepsAtMostOneRingOfFramesAtAnOwnerAndCountsTheRest) {
  core::ServiceKey k = dp_.AddService(net::kProtoUdp, kVip, 53);
  dp_.AddDest(k, "198.18.1.10", 53, core::FwdMethod::kMasq);
  // UDP from ports worker 1 owns, all arriving on worker 0's queue while worker 1 does not poll.
  size_t injected = 0;
  for (uint16_t p = 1000; injected < Handoff::kRingSize + 40; ++p) {
    if (handoff_.OwnerOf(Ip(kClient), p) != 1) continue;
    io_[0].Inject(PacketBuilder().Eth(kClientMac, kDir1Mac).Ipv4(kClient, kVip).Udp(p, 53).Payload("x").Build(), 1);
    ++injected;
  }
  for (int polls = 0; polls < 1000 && io_[0].pending() > 0; ++polls) workers_[0]->Poll(io_[0]);
  EXPECT_EQ(io_[0].pending(), 0u);
  EXPECT_EQ(workers_[0]->counters().handed_off.load(), Handoff::kRingSize);
  EXPECT_EQ(workers_[0]->counters().drops_of(dataplane::DropReason::kHandoffFull), 40u);
  Settle();
  EXPECT_EQ(io_[0].sent().size(), Handoff::kRingSize);
  EXPECT_EQ(workers_[1]->conns().size(), Handoff::kRingSize);
}

TEST_F(HandoffTest, ASleepingOwnerIsWokenThroughItsEventFd) {
  ASSERT_TRUE(handoff_.Sleep(1));
  HandedFrame f{};
  ASSERT_TRUE(handoff_.ToOwner(0, 1).TryPush(f));
  handoff_.Wake(1);
  pollfd p{handoff_.wake_fd(1), POLLIN, 0};
  EXPECT_EQ(poll(&p, 1, 0), 1);
  handoff_.Awake(1);
  EXPECT_EQ(poll(&p, 1, 0), 0);
  // With a frame waiting, a worker does not go to sleep.
  EXPECT_FALSE(handoff_.Sleep(1));
}

}  // namespace
}  // namespace ipvsd
