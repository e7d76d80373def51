// Golden packet tests through the whole data plane: a real Worker with real schedulers, a
// ServiceManager configured as ipvsadm would, and the loopback I/O. Each row is {description,
// service set-up, input frame, expected verdict, expected output frame} (Katran's fixture
// shape); expected frames are built independently with PacketBuilder and every output's
// checksums are verified by tests/testing/checksum_verify, which shares no code with net/.
#include <gtest/gtest.h>

#include <functional>
#include <ostream>
#include <string>

#include "core/service_manager.h"
#include "dataplane/worker.h"
#include "fwd/tun.h"
#include "io/loopback/loopback_io.h"
#include "net/headers.h"
#include "net/encap.h"
#include "net/packet_view.h"
#include "sched/registry.h"
#include "tests/golden/dataplane_fixture.h"
#include "tests/testing/checksum_verify.h"
#include "tests/testing/hex.h"
#include "tests/testing/packet_builder.h"

namespace ipvsd {
namespace {

using testing::DataPlane;
using testing::kClientMac;
using testing::kDir1Mac;
using testing::kDir2Mac;
using testing::kRsMac;
using testing::PacketBuilder;

// ---- Golden rows ---------------------------------------------------------------------------

struct GoldenRow {
  std::string description;
  std::function<void(DataPlane&)> setup;
  std::vector<uint8_t> input;
  dataplane::Verdict verdict;
  std::vector<uint8_t> expected;  // empty: not transmitted
  uint32_t out_ifindex = 0;
};

// How a row reads in test output and in ctest's name (instead of its bytes).
void PrintTo(const GoldenRow& row, std::ostream* os) { *os << row.description; }

PacketBuilder ClientToVip4() { return PacketBuilder().Eth(kClientMac, kDir1Mac).Ipv4("198.18.0.5", "198.19.0.1"); }
PacketBuilder ClientToVip6() { return PacketBuilder().Eth(kClientMac, kDir1Mac).Ipv6("2001:db8:c::5", "2001:db8:f::1"); }

void NatTcp80(DataPlane& dp) {
  dp.AddDest(dp.AddService(net::kProtoTcp, "198.19.0.1", 80), "198.18.1.10", 8080, core::FwdMethod::kMasq);
}
void DrTcp80(DataPlane& dp) {
  dp.AddDest(dp.AddService(net::kProtoTcp, "198.19.0.1", 80), "198.18.1.10", 80, core::FwdMethod::kRoute);
}
std::function<void(DataPlane&)> Tun(core::TunType t, core::TunCsum csum = core::TunCsum::kNoCsum) {
  return [=](DataPlane& dp) {
    dp.AddDest(dp.AddService(net::kProtoUdp, "198.19.0.1", 53), "198.18.1.10", 53, core::FwdMethod::kTunnel, 1, t,
               t == core::TunType::kGue ? 6080 : 0, csum);
  };
}

// The UDP source port GUE uses for this inner packet (a flow hash: the worker and this
// expectation must agree on the flow, not on the hash function's internals).
uint16_t GueSport(const std::vector<uint8_t>& inner_frame) {
  std::vector<uint8_t> copy = inner_frame;
  net::PacketView v;
  EXPECT_EQ(net::Parse(copy.data(), static_cast<uint32_t>(copy.size()), &v), net::ParseStatus::kOk);
  return net::GueSourcePort(fwd::TunnelFlowHash(v));
}

std::vector<GoldenRow> Rows() {
  std::vector<GoldenRow> rows;
  using dataplane::Verdict;
  rows.push_back({"NAT TCP SYN in: destination rewritten to the real server, TTL-1", NatTcp80,
                  ClientToVip4().Tcp(40000, 80, net::kTcpSyn).TcpSeq(1, 0).Build(), Verdict::kTx,
                  PacketBuilder().Eth(kDir2Mac, kRsMac).Ipv4("198.18.0.5", "198.18.1.10").Ttl(63)
                      .Tcp(40000, 8080, net::kTcpSyn).TcpSeq(1, 0).Build(), 2});
  rows.push_back({"NAT UDP in with payload", [](DataPlane& dp) {
                    dp.AddDest(dp.AddService(net::kProtoUdp, "198.19.0.1", 53), "198.18.1.10", 5353,
                               core::FwdMethod::kMasq);
                  },
                  ClientToVip4().Udp(40000, 53).Payload("query").Build(), Verdict::kTx,
                  PacketBuilder().Eth(kDir2Mac, kRsMac).Ipv4("198.18.0.5", "198.18.1.10").Ttl(63)
                      .Udp(40000, 5353).Payload("query").Build(), 2});
  rows.push_back({"NAT UDP in, IPv4 zero checksum (computed in full, as the kernel does)",
                  [](DataPlane& dp) {
                    dp.AddDest(dp.AddService(net::kProtoUdp, "198.19.0.1", 53), "198.18.1.10", 5353,
                               core::FwdMethod::kMasq);
                  },
                  ClientToVip4().Udp(40000, 53).UdpZeroChecksum().Payload("q").Build(), Verdict::kTx,
                  PacketBuilder().Eth(kDir2Mac, kRsMac).Ipv4("198.18.0.5", "198.18.1.10").Ttl(63)
                      .Udp(40000, 5353).Payload("q").Build(), 2});
  rows.push_back({"NAT SCTP INIT in: CRC32c recomputed", [](DataPlane& dp) {
                    dp.AddDest(dp.AddService(net::kProtoSctp, "198.19.0.1", 3868), "198.18.1.10", 3869,
                               core::FwdMethod::kMasq);
                  },
                  ClientToVip4().Sctp(40000, 3868, 0, net::kSctpInit).Payload("init").Build(), Verdict::kTx,
                  PacketBuilder().Eth(kDir2Mac, kRsMac).Ipv4("198.18.0.5", "198.18.1.10").Ttl(63)
                      .Sctp(40000, 3869, 0, net::kSctpInit).Payload("init").Build(), 2});
  rows.push_back({"NAT IPv6 TCP SYN in", [](DataPlane& dp) {
                    dp.AddDest(dp.AddService(net::kProtoTcp, "2001:db8:f::1", 80), "2001:db8:1::10", 8080,
                               core::FwdMethod::kMasq);
                  },
                  ClientToVip6().Tcp(40000, 80, net::kTcpSyn).Build(), Verdict::kTx,
                  PacketBuilder().Eth(kDir2Mac, kRsMac).Ipv6("2001:db8:c::5", "2001:db8:1::10").Ttl(63)
                      .Tcp(40000, 8080, net::kTcpSyn).Build(), 2});
  rows.push_back({"DR TCP SYN: only MACs and TTL change", DrTcp80,
                  ClientToVip4().Tcp(40000, 80, net::kTcpSyn).Payload("x").Build(), Verdict::kTx,
                  PacketBuilder().Eth(kDir2Mac, kRsMac).Ipv4("198.18.0.5", "198.19.0.1").Ttl(63)
                      .Tcp(40000, 80, net::kTcpSyn).Payload("x").Build(), 2});
  rows.push_back({"DR IPv6 UDP", [](DataPlane& dp) {
                    dp.AddDest(dp.AddService(net::kProtoUdp, "2001:db8:f::1", 53), "2001:db8:1::10", 53,
                               core::FwdMethod::kRoute);
                  },
                  ClientToVip6().Udp(40000, 53).Payload("q6").Build(), Verdict::kTx,
                  PacketBuilder().Eth(kDir2Mac, kRsMac).Ipv6("2001:db8:c::5", "2001:db8:f::1").Ttl(63)
                      .Udp(40000, 53).Payload("q6").Build(), 2});
  {
    auto inner = [] { return PacketBuilder().Ipv4("198.18.0.5", "198.19.0.1").Df(true).Udp(40000, 53).Payload("t"); };
    rows.push_back({"TUN ipip: outer 198.18.1.254 -> real server, DF and TTL copied, ID 0 with DF",
                    Tun(core::TunType::kIpip), PacketBuilder(inner()).Eth(kClientMac, kDir1Mac).Build(), Verdict::kTx,
                    PacketBuilder(inner()).Eth(kDir2Mac, kRsMac).Ttl(63).OuterIpv4("198.18.1.254", "198.18.1.10")
                        .OuterTtl(63).OuterDf(true).Ipip().Build(), 2});
    rows.push_back({"TUN gre without checksum", Tun(core::TunType::kGre),
                    PacketBuilder(inner()).Eth(kClientMac, kDir1Mac).Build(), Verdict::kTx,
                    PacketBuilder(inner()).Eth(kDir2Mac, kRsMac).Ttl(63).OuterIpv4("198.18.1.254", "198.18.1.10")
                        .OuterTtl(63).OuterDf(true).Gre(false).Build(), 2});
    rows.push_back({"TUN gre with checksum", Tun(core::TunType::kGre, core::TunCsum::kCsum),
                    PacketBuilder(inner()).Eth(kClientMac, kDir1Mac).Build(), Verdict::kTx,
                    PacketBuilder(inner()).Eth(kDir2Mac, kRsMac).Ttl(63).OuterIpv4("198.18.1.254", "198.18.1.10")
                        .OuterTtl(63).OuterDf(true).Gre(true).Build(), 2});
    std::vector<uint8_t> in = PacketBuilder(inner()).Eth(kClientMac, kDir1Mac).Build();
    rows.push_back({"TUN gue port 6080 without checksum", Tun(core::TunType::kGue), in, Verdict::kTx,
                    PacketBuilder(inner()).Eth(kDir2Mac, kRsMac).Ttl(63).OuterIpv4("198.18.1.254", "198.18.1.10")
                        .OuterTtl(63).OuterDf(true).Gue(GueSport(in), 6080, false).Build(), 2});
    rows.push_back({"TUN gue port 6080 with checksum", Tun(core::TunType::kGue, core::TunCsum::kCsum), in,
                    Verdict::kTx,
                    PacketBuilder(inner()).Eth(kDir2Mac, kRsMac).Ttl(63).OuterIpv4("198.18.1.254", "198.18.1.10")
                        .OuterTtl(63).OuterDf(true).Gue(GueSport(in), 6080, true).Build(), 2});
  }
  rows.push_back({"Not a virtual service: passed to the kernel untouched", NatTcp80,
                  ClientToVip4().Tcp(40000, 22, net::kTcpSyn).Build(), Verdict::kPass, {}});
  rows.push_back({"ARP: passed to the kernel", NatTcp80,
                  // who-has 198.19.0.1 tell 198.18.0.5
                  testing::FromHex("ff ff ff ff ff ff 02 00 00 00 00 01 08 06"
                                   "00 01 08 00 06 04 00 01 02 00 00 00 00 01 c6 12 00 05"
                                   "00 00 00 00 00 00 c6 13 00 01"),
                  Verdict::kPass, {}});
  rows.push_back({"TCP ACK with no connection: reset with SEQ=SEG.ACK, as the local stack answers", NatTcp80,
                  ClientToVip4().Tcp(40000, 80, net::kTcpAck).TcpSeq(100, 5000).Payload("data").Build(),
                  Verdict::kTx,
                  PacketBuilder().Eth(kDir1Mac, kClientMac).Ipv4("198.19.0.1", "198.18.0.5").Df(true)
                      .Tcp(80, 40000, net::kTcpRst).TcpSeq(5000, 0).TcpWindow(0).Build(), 1});
  rows.push_back({"TCP FIN without ACK and no connection: RST+ACK acknowledging data and FIN", NatTcp80,
                  ClientToVip4().Tcp(40000, 80, net::kTcpFin).TcpSeq(100, 0).Payload("abc").Build(), Verdict::kTx,
                  PacketBuilder().Eth(kDir1Mac, kClientMac).Ipv4("198.19.0.1", "198.18.0.5").Df(true)
                      .Tcp(80, 40000, net::kTcpRst | net::kTcpAck).TcpSeq(0, 104).TcpWindow(0).Build(), 1});
  rows.push_back({"IPv6 TCP ACK with no connection: reset", [](DataPlane& dp) {
                    dp.AddDest(dp.AddService(net::kProtoTcp, "2001:db8:f::1", 80), "2001:db8:1::10", 8080,
                               core::FwdMethod::kMasq);
                  },
                  ClientToVip6().Tcp(40000, 80, net::kTcpAck).TcpSeq(1, 77).Build(), Verdict::kTx,
                  PacketBuilder().Eth(kDir1Mac, kClientMac).Ipv6("2001:db8:f::1", "2001:db8:c::5")
                      .Tcp(80, 40000, net::kTcpRst).TcpSeq(77, 0).TcpWindow(0).Build(), 1});
  rows.push_back({"TCP RST with no connection: never answered", NatTcp80,
                  ClientToVip4().Tcp(40000, 80, net::kTcpRst).Build(), Verdict::kDrop, {}});
  rows.push_back({"Truncated IPv4 header: dropped", NatTcp80,
                  [] {
                    std::vector<uint8_t> f = ClientToVip4().Tcp(40000, 80, net::kTcpSyn).Build();
                    f.resize(30);
                    return f;
                  }(),
                  Verdict::kDrop, {}});
  rows.push_back({"IPv4 fragment to the VIP: dropped", NatTcp80,
                  ClientToVip4().MoreFragments(true).Tcp(40000, 80, net::kTcpSyn).Build(), Verdict::kDrop, {}});
  return rows;
}

class WorkerGoldenTest : public ::testing::TestWithParam<GoldenRow> {};

TEST_P(WorkerGoldenTest, Row) {
  const GoldenRow& row = GetParam();
  DataPlane dp;
  row.setup(dp);
  std::vector<uint8_t> out;
  uint32_t ifindex = 0;
  dataplane::Verdict verdict = dp.Run(row.input, &out, &ifindex);
  ASSERT_EQ(static_cast<int>(verdict), static_cast<int>(row.verdict)) << row.description;
  if (row.expected.empty()) return;
  EXPECT_EQ(out, row.expected) << row.description << "\n" << testing::DiffDump(row.expected, out);
  EXPECT_EQ(ifindex, row.out_ifindex);
  EXPECT_TRUE(testing::Ipv4HeaderChecksumOk(out)) << row.description;
  EXPECT_TRUE(testing::L4ChecksumOk(out)) << row.description;
}

INSTANTIATE_TEST_SUITE_P(Golden, WorkerGoldenTest, ::testing::ValuesIn(Rows()),
                         [](const ::testing::TestParamInfo<GoldenRow>& info) {
                           std::string name;
                           for (char c : info.param.description) {
                             if (std::isalnum(static_cast<unsigned char>(c))) name += c;
                             if (name.size() > 40) break;
                           }
                           return std::to_string(info.index) + "_" + name;
                         });

}  // namespace
}  // namespace ipvsd
