#include "core/proto_state.h"

#include <gtest/gtest.h>

#include "core/core_test_util.h"

namespace ipvsd::core {
namespace {

using testing::Packet;

struct Fixture {
  Dest dest{testing::DestAt("198.18.1.10", 80)};
  Timeouts timeouts;
  ConnEntry conn;

  explicit Fixture(FwdMethod fwd, uint8_t proto = net::kProtoTcp) {
    conn.protocol = proto;
    conn.dest = &dest;
    conn.flags = static_cast<uint16_t>(static_cast<uint16_t>(fwd) | kConnInactive);
    if (fwd != FwdMethod::kMasq) conn.flags |= kConnNoOutput;
    dest.BindConn(true);
  }
  void Tcp(Direction d, uint8_t flags, Ticks now = 0, TcpStateTable table = TcpStateTable::kNormal) {
    net::PacketView v = Packet(net::kProtoTcp, "198.18.0.5", 1000, "198.19.0.1", 80, flags);
    UpdateConnState(conn, d, v, timeouts, now, table);
  }
  std::string State() const { return ConnStateName(conn); }
};

TEST(TcpStateTest, DirectRoutingSeesOnlyTheClient) {
  Fixture f(FwdMethod::kRoute);
  f.Tcp(Direction::kInput, net::kTcpSyn);
  EXPECT_EQ(f.State(), "SYN_RECV");
  EXPECT_EQ(f.dest.inactconns(), 1);
  EXPECT_EQ(f.conn.expires, SecondsToTicks(60));
  f.Tcp(Direction::kInput, net::kTcpAck);
  EXPECT_EQ(f.State(), "ESTABLISHED");
  EXPECT_EQ(f.dest.activeconns(), 1);
  EXPECT_EQ(f.dest.inactconns(), 0);
  EXPECT_EQ(f.conn.expires, SecondsToTicks(900));
  f.Tcp(Direction::kInput, net::kTcpFin | net::kTcpAck, 16);
  EXPECT_EQ(f.State(), "FIN_WAIT");  // the INPUT_ONLY table: FIN in ESTABLISHED -> FIN_WAIT
  EXPECT_EQ(f.dest.activeconns(), 0);
  EXPECT_EQ(f.dest.inactconns(), 1);
  EXPECT_EQ(f.conn.expires, 16 + SecondsToTicks(120));
  f.Tcp(Direction::kInput, net::kTcpAck);
  EXPECT_EQ(f.State(), "FIN_WAIT");
}

// secure_tcp (tcp_states_dos): the client's ACK alone no longer establishes a NAT connection;
// the real server's answer and its first ACK do.
TEST(TcpStateTest, TheSecureTableWaitsForTheRealServer) {
  Fixture f(FwdMethod::kMasq);
  const auto secure = TcpStateTable::kSecure;
  f.Tcp(Direction::kInput, net::kTcpSyn, 0, secure);
  EXPECT_EQ(f.State(), "SYN_RECV");
  f.Tcp(Direction::kInput, net::kTcpAck, 0, secure);
  EXPECT_EQ(f.State(), "SYN_RECV");  // the normal table: ESTABLISHED
  EXPECT_EQ(f.dest.inactconns(), 1);
  f.Tcp(Direction::kOutput, net::kTcpSyn | net::kTcpAck, 0, secure);
  EXPECT_EQ(f.State(), "SYNACK");
  f.Tcp(Direction::kInput, net::kTcpAck, 0, secure);
  EXPECT_EQ(f.State(), "SYNACK");
  f.Tcp(Direction::kOutput, net::kTcpAck, 0, secure);
  EXPECT_EQ(f.State(), "ESTABLISHED");
  EXPECT_EQ(f.dest.activeconns(), 1);

  // A flood's half-open DR connection: repeated SYNs lead to SYNACK, not SYN_RECV.
  Fixture dr(FwdMethod::kRoute);
  dr.Tcp(Direction::kInput, net::kTcpSyn, 0, secure);
  EXPECT_EQ(dr.State(), "SYNACK");
  dr.Tcp(Direction::kInput, net::kTcpAck, 0, secure);
  EXPECT_EQ(dr.State(), "ESTABLISHED");
}

TEST(TcpStateTest, NatSeesBothDirections) {
  Fixture f(FwdMethod::kMasq);
  f.Tcp(Direction::kInput, net::kTcpSyn);
  EXPECT_EQ(f.State(), "SYN_RECV");
  f.Tcp(Direction::kOutput, net::kTcpSyn | net::kTcpAck);
  EXPECT_EQ(f.State(), "SYN_RECV");
  f.Tcp(Direction::kInput, net::kTcpAck);
  EXPECT_EQ(f.State(), "ESTABLISHED");
  f.Tcp(Direction::kInput, net::kTcpFin | net::kTcpAck);
  EXPECT_EQ(f.State(), "CLOSE_WAIT");
  f.Tcp(Direction::kOutput, net::kTcpFin | net::kTcpAck);
  EXPECT_EQ(f.State(), "TIME_WAIT");
  f.Tcp(Direction::kInput, net::kTcpAck);
  EXPECT_EQ(f.State(), "TIME_WAIT");
  EXPECT_EQ(f.dest.inactconns(), 1);
  EXPECT_EQ(f.dest.activeconns(), 0);
}

TEST(TcpStateTest, RstClosesAndSegmentsWithoutFlagsClose) {
  Fixture f(FwdMethod::kMasq);
  f.Tcp(Direction::kInput, net::kTcpSyn);
  f.Tcp(Direction::kInput, net::kTcpAck);
  f.Tcp(Direction::kOutput, net::kTcpRst);
  EXPECT_EQ(f.State(), "CLOSE");
  EXPECT_EQ(f.conn.expires, SecondsToTicks(10));
  Fixture g(FwdMethod::kMasq);
  g.Tcp(Direction::kInput, 0);
  EXPECT_EQ(g.State(), "CLOSE");
}

TEST(TcpStateTest, AnOutputPacketClearsNoOutput) {
  Fixture f(FwdMethod::kRoute);
  f.Tcp(Direction::kOutput, net::kTcpSyn | net::kTcpAck);
  EXPECT_FALSE(f.conn.flags & kConnNoOutput);
}

TEST(TcpStateTest, SetTimeoutsApplyToTheNextPacket) {
  Fixture f(FwdMethod::kMasq);
  f.timeouts.Set({30, 0, 0});
  f.Tcp(Direction::kInput, net::kTcpSyn);
  f.Tcp(Direction::kInput, net::kTcpAck);
  EXPECT_EQ(f.conn.expires, SecondsToTicks(30));
  EXPECT_EQ(f.timeouts.Get(), (TimeoutTriple{30, 120, 300}));
}

TEST(UdpStateTest, EveryDatagramRenewsThreeHundredSeconds) {
  Fixture f(FwdMethod::kMasq, net::kProtoUdp);
  net::PacketView v = Packet(net::kProtoUdp, "198.18.0.5", 1000, "198.19.0.1", 53);
  UpdateConnState(f.conn, Direction::kInput, v, f.timeouts, 100);
  EXPECT_EQ(f.conn.expires, 100 + SecondsToTicks(300));
  EXPECT_EQ(f.State(), "UDP");
  EXPECT_EQ(f.dest.inactconns(), 1);  // UDP is never active
}

TEST(SctpStateTest, AssociationSetupThroughNat) {
  Fixture f(FwdMethod::kMasq, net::kProtoSctp);
  auto chunk = [&](Direction d, uint8_t c) {
    net::PacketView v = Packet(net::kProtoSctp, "198.18.0.5", 1000, "198.19.0.1", 80);
    v.sctp_chunk = c;
    UpdateConnState(f.conn, d, v, f.timeouts, 0);
    return f.State();
  };
  EXPECT_EQ(chunk(Direction::kInput, net::kSctpInit), "INIT1");
  EXPECT_EQ(chunk(Direction::kOutput, net::kSctpInitAck), "C-SENT");
  EXPECT_EQ(chunk(Direction::kInput, net::kSctpCookieEcho), "C-REPLIED");
  EXPECT_EQ(chunk(Direction::kOutput, net::kSctpCookieAck), "ESTABLISHED");
  EXPECT_EQ(f.dest.activeconns(), 1);
  EXPECT_EQ(chunk(Direction::kInput, net::kSctpShutdown), "S-RECEIVED");
  EXPECT_EQ(f.dest.activeconns(), 0);
  EXPECT_EQ(chunk(Direction::kOutput, net::kSctpShutdownAck), "S-ACK-SENT");
  EXPECT_EQ(chunk(Direction::kInput, net::kSctpShutdownComplete), "CLOSED");
}

TEST(NewConnTest, OnlySynOrInitStartsAConnectionUnlessSloppy) {
  auto tcp = [](uint8_t flags) { return Packet(net::kProtoTcp, "198.18.0.5", 1, "198.19.0.1", 80, flags); };
  EXPECT_TRUE(MayCreateConn(tcp(net::kTcpSyn), false, false));
  EXPECT_FALSE(MayCreateConn(tcp(net::kTcpAck), false, false));
  EXPECT_TRUE(MayCreateConn(tcp(net::kTcpAck), true, false));
  EXPECT_FALSE(MayCreateConn(tcp(net::kTcpSyn | net::kTcpRst), true, false));
  net::PacketView sctp = Packet(net::kProtoSctp, "198.18.0.5", 1, "198.19.0.1", 80);
  sctp.sctp_chunk = net::kSctpData;
  EXPECT_FALSE(MayCreateConn(sctp, false, false));
  EXPECT_TRUE(MayCreateConn(sctp, false, true));
  sctp.sctp_chunk = net::kSctpAbort;
  EXPECT_FALSE(MayCreateConn(sctp, false, true));
  EXPECT_TRUE(MayCreateConn(Packet(net::kProtoUdp, "198.18.0.5", 1, "198.19.0.1", 53), false, false));
}

// A connection created by a mid-stream packet (sloppy_tcp) starts in NONE like any other and
// takes its first transition from that packet: NONE + ack is ESTABLISHED in the kernel's
// table for every direction, so the flow is active at once.
TEST(NewConnTest, SloppyMidStreamAckIsEstablishedAtOnce) {
  for (FwdMethod fwd : {FwdMethod::kRoute, FwdMethod::kMasq}) {
    Fixture f(fwd);
    InitConnState(f.conn);
    f.Tcp(Direction::kInput, net::kTcpAck);
    EXPECT_EQ(f.State(), "ESTABLISHED");
    EXPECT_EQ(f.dest.activeconns(), 1);
    EXPECT_EQ(f.dest.inactconns(), 0);
  }
  Fixture fin(FwdMethod::kRoute);
  InitConnState(fin.conn);
  fin.Tcp(Direction::kInput, net::kTcpFin | net::kTcpAck);
  EXPECT_EQ(fin.State(), "CLOSE");
}

}  // namespace
}  // namespace ipvsd::core
