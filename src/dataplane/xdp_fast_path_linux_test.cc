// Golden tests of flow offload in the XDP program (io/af_xdp/ipvsd_xdp.bpf.c): a packet of an
// offloaded flow must leave the program byte for byte as the user-space path would send it --
// net::Parse, CompletePartialChecksum, fwd::NatIn / NatOut / DrXmit / TunXmit, then the worker's
// Transmit (the next hop's MACs) -- with every checksum right by the independent walk of
// testing/checksum_verify.h; and every packet the program must not forward goes on to the AF_XDP
// socket untouched (with no socket registered, bpf_redirect_map falls back to XDP_DROP).
//
// The program runs through BPF_PROG_TEST_RUN (io/af_xdp/xdp_test_run.h) on frames "received" on
// the loopback interface (ifindex 1), its maps filled as XdpProgram fills them. Without the
// rights to load BPF programs every test skips itself.
#include <arpa/inet.h>
#include <bpf/bpf.h>
#include <gtest/gtest.h>
#include <linux/bpf.h>
#include <net/if.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <memory>
#include <optional>
#include <ostream>
#include <string>
#include <vector>

#include "core/conn.h"
#include "core/dest.h"
#include "dataplane/offloaded_flows.h"
#include "fwd/dr.h"
#include "fwd/fwd_test_util.h"
#include "fwd/nat.h"
#include "fwd/tun.h"
#include "io/af_xdp/xdp_flows.h"
#include "io/af_xdp/xdp_maps.h"
#include "io/af_xdp/xdp_test_run.h"
#include "io/flow_offload.h"
#include "net/headers.h"
#include "net/partial_checksum.h"

namespace ipvsd::dataplane {
namespace {

using fwd::testing::Addr;
using fwd::testing::ExpectFrame;
using fwd::testing::TestFrame;
using io::XdpTestRun;
using ipvsd::testing::PacketBuilder;

// One connection per family, as in fwd/nat_test.cc: client:40000 -> VIP:80, real server :8080.
constexpr const char* kClient4 = "198.18.0.1";
constexpr const char* kVip4 = "198.19.0.1";
constexpr const char* kRs4 = "198.18.1.10";
constexpr const char* kClient6 = "2001:db8::1";
constexpr const char* kVip6 = "2001:db8:1::1";
constexpr const char* kRs6 = "2001:db8:2::10";
constexpr uint16_t kCport = 40000;
constexpr uint16_t kVport = 80;
constexpr uint16_t kDport = 8080;

// The frame arrives on loopback (it must exist for BPF_PROG_TEST_RUN) addressed to the MAC
// the program knows for it (PacketBuilder's default destination).
constexpr uint32_t kIngress = 1;
constexpr const char* kIngressMac = "02:00:00:00:00:02";
// The next hop's MAC and ours on the way out, as the worker's Transmit writes them.
constexpr net::MacAddr kOurMac = {{0x02, 0, 0, 0, 0, 0x0a}};
constexpr net::MacAddr kNextHopMac = {{0x02, 0, 0, 0, 0, 0x0b}};
constexpr uint32_t kMtu = 1500;

enum class Method { kNatToServer, kNatToClient, kRoute };
enum class L4 { kTcp, kUdp, kUdpNoChecksum };

// One packet of a flow, and how it is forwarded.
struct Packet {
  Method method = Method::kNatToServer;
  L4 l4 = L4::kTcp;
  bool v6 = false;
  uint8_t tcp_flags = net::kTcpAck | net::kTcpPsh;
  uint8_t ttl = 64;
  uint8_t tos = 0;  // IPv4 TOS / IPv6 traffic class
  bool df = true;   // IPv4
  std::string payload = "GET / HTTP/1.0\r\n\r\n";
  std::vector<uint8_t> ipv4_options;
  std::vector<uint16_t> vlans;
  // The TCP/UDP checksum field holds only the pseudo-header sum (a sender's checksum offload).
  bool partial = false;
  // The real server's port of the connection: 0 keeps the packet's port.
  uint16_t dport = kDport;
  // Ethernet padding after the IP packet, up to this frame length.
  size_t pad_to = 0;
};

const char* Client(bool v6) { return v6 ? kClient6 : kClient4; }
const char* Vip(bool v6) { return v6 ? kVip6 : kVip4; }
const char* Rs(bool v6) { return v6 ? kRs6 : kRs4; }
uint8_t Protocol(L4 l4) { return l4 == L4::kTcp ? net::kProtoTcp : net::kProtoUdp; }
net::Family FamilyOf(bool v6) { return v6 ? net::Family::kInet6 : net::Family::kInet; }

// The packet as it arrives: from the client to the VIP (NAT to the server, DR), or from the
// real server to the client (NAT to the client).
PacketBuilder Build(const Packet& p) {
  const bool reply = p.method == Method::kNatToClient;
  const char* src = reply ? Rs(p.v6) : Client(p.v6);
  const char* dst = reply ? Client(p.v6) : Vip(p.v6);
  const uint16_t sport = reply ? (p.dport ? p.dport : kVport) : kCport;
  const uint16_t dport = reply ? kCport : kVport;
  PacketBuilder b;
  for (uint16_t tci : p.vlans) b.Vlan(tci);
  if (p.v6) {
    b.Ipv6(src, dst);
  } else {
    b.Ipv4(src, dst).Id(0x1234).Df(p.df);
    if (!p.ipv4_options.empty()) b.Ipv4Options(p.ipv4_options);
  }
  b.Ttl(p.ttl).Tos(p.tos);
  if (p.l4 == L4::kTcp) {
    b.Tcp(sport, dport, p.tcp_flags).TcpSeq(0x01020304, 0x0a0b0c0d);
  } else {
    b.Udp(sport, dport);
    if (p.l4 == L4::kUdpNoChecksum) b.UdpZeroChecksum();
  }
  if (p.pad_to) b.PadTo(p.pad_to);
  return b.Payload(p.payload);
}

// Replaces the TCP/UDP checksum by its partial form, as a sender with checksum offload leaves it.
void MakePartial(std::vector<uint8_t>* frame) {
  net::PacketView v;
  ASSERT_EQ(net::Parse(frame->data(), static_cast<uint32_t>(frame->size()), &v), net::ParseStatus::kOk);
  ASSERT_NE(net::SetPartialL4Checksum(v), 0);
}

std::vector<uint8_t> Frame(const Packet& p) {
  std::vector<uint8_t> frame = Build(p).Build();
  if (p.partial) MakePartial(&frame);
  return frame;
}

core::ConnEntry Conn(const Packet& p) {
  core::ConnEntry c;
  c.af = c.daf = FamilyOf(p.v6);
  c.protocol = Protocol(p.l4);
  c.caddr = Addr(Client(p.v6));
  c.vaddr = Addr(Vip(p.v6));
  c.daddr = Addr(Rs(p.v6));
  c.cport = kCport;
  c.vport = kVport;
  c.dport = p.dport;
  return c;
}

// What the worker installs for the packet's direction of the connection.
io::FlowRule Rule(const Packet& p) {
  io::FlowRule r;
  const bool reply = p.method == Method::kNatToClient;
  r.key.family = FamilyOf(p.v6);
  r.key.protocol = Protocol(p.l4);
  r.key.src = Addr(reply ? Rs(p.v6) : Client(p.v6));
  r.key.dst = Addr(reply ? Client(p.v6) : Vip(p.v6));
  r.key.sport = reply ? (p.dport ? p.dport : kVport) : kCport;
  r.key.dport = reply ? kCport : kVport;
  switch (p.method) {
    case Method::kNatToServer:
      r.action = io::FlowAction::kNatToServer;
      r.new_addr = Addr(Rs(p.v6));
      r.new_port = p.dport;
      break;
    case Method::kNatToClient:
      r.action = io::FlowAction::kNatToClient;
      r.new_addr = Addr(Vip(p.v6));
      r.new_port = kVport;
      break;
    case Method::kRoute:
      r.action = io::FlowAction::kRoute;
      break;
  }
  r.ifindex = kIngress;
  r.src_mac = kOurMac;
  r.dst_mac = kNextHopMac;
  r.mtu = kMtu;
  return r;
}

// The user-space path: Parse, CompletePartialChecksum (ForwardIn/ForwardOut), the forwarder,
// then Transmit's MAC rewrite.
std::vector<uint8_t> UserSpaceForward(const std::vector<uint8_t>& in, const Packet& p, uint32_t mtu) {
  TestFrame tf(in);
  net::PacketView v = tf.Parse();
  net::CompletePartialChecksum(v);
  uint32_t mtu_out = 0;
  fwd::FwdStatus st = fwd::FwdStatus::kUnsupported;
  switch (p.method) {
    case Method::kNatToServer:
      st = fwd::NatIn(v, Conn(p), mtu, &mtu_out);
      break;
    case Method::kNatToClient:
      st = fwd::NatOut(v, Conn(p), mtu, &mtu_out);
      break;
    case Method::kRoute:
      st = fwd::DrXmit(v, mtu, &mtu_out);
      break;
  }
  EXPECT_EQ(st, fwd::FwdStatus::kOk);
  auto* eth = net::HeaderAt<net::EthHdr>(tf.frame().data());
  eth->dst = kNextHopMac;
  eth->src = kOurMac;
  return tf.Bytes();
}

// The IP length of a frame (what the flow's byte counter adds).
uint32_t IpLength(const std::vector<uint8_t>& frame) {
  net::PacketView v;
  std::vector<uint8_t> copy = frame;
  EXPECT_EQ(net::Parse(copy.data(), static_cast<uint32_t>(copy.size()), &v), net::ParseStatus::kOk);
  return v.l3_len();
}

// The program, loaded with its maps filled as XdpProgram::SetFilter and FillSlots fill them for
// the connections above (services on the VIPs, NAT real servers), loopback as interface slot 0.
class XdpFastPathTest : public ::testing::Test {
 protected:
  void SetUp() override {
    Result<std::unique_ptr<XdpTestRun>> run = XdpTestRun::Load();
    if (!run && run.error().code == EPERM) GTEST_SKIP() << run.error().message;
    ASSERT_TRUE(run.ok()) << run.error().message;
    run_ = std::move(*run);
    SetIngress(/*native=*/true);
    for (bool v6 : {false, true}) {
      for (uint8_t protocol : {net::kProtoTcp, net::kProtoUdp}) {
        Put("ipvsd_services", L4Key(v6, protocol, Vip(v6), kVport), uint8_t{1});
        Put("ipvsd_nat_srcs", L4Key(v6, protocol, Rs(v6), kDport), uint8_t{1});
        // A NAT real server of a service of every port answers from the connection's port.
        Put("ipvsd_nat_srcs", L4Key(v6, protocol, Rs(v6), kVport), uint8_t{1});
      }
      ipvsd_addr_key vip{};
      vip.family = static_cast<uint8_t>(FamilyOf(v6));
      std::memcpy(vip.addr, Addr(Vip(v6)).bytes.data(), static_cast<size_t>(net::AddrLength(FamilyOf(v6))));
      Put("ipvsd_vips", vip, uint8_t{1});
    }
    AddTxPort(kIngress);
  }

  // Interface slot 0 for the ingress interface, in native mode (partial checksums completed
  // in the program) or skb mode.
  void SetIngress(bool native) {
    ipvsd_ifslot slot{};
    slot.slot = 0;
    std::sscanf(kIngressMac, "%hhx:%hhx:%hhx:%hhx:%hhx:%hhx", &slot.mac[0], &slot.mac[1], &slot.mac[2], &slot.mac[3],
                &slot.mac[4], &slot.mac[5]);
    slot.native = native ? 1 : 0;
    Put("ipvsd_ifslots", kIngress, slot);
  }

  void AddTxPort(uint32_t ifindex) { Put("ipvsd_tx_ports", ifindex, ifindex); }

  void Install(const io::FlowRule& rule) {
    Put("ipvsd_flows", io::EncodeFlowKey(rule.key), io::EncodeFlow(rule, /*now_ns=*/0));
  }

  // The flow's entry as the program left it.
  ipvsd_flow ReadFlow(const io::FlowKey& key) {
    const ipvsd_flow_key k = io::EncodeFlowKey(key);
    ipvsd_flow value{};
    EXPECT_EQ(bpf_map_lookup_elem(Fd("ipvsd_flows"), &k, &value), 0) << std::strerror(errno);
    return value;
  }

  XdpTestRun::Output Run(const std::vector<uint8_t>& frame) {
    Result<XdpTestRun::Output> out = run_->Run(frame, kIngress);
    EXPECT_TRUE(out.ok()) << out.error().message;
    return out.ok() ? *out : XdpTestRun::Output{};
  }

  int Fd(const char* map) {
    Result<int> fd = run_->MapFd(map);
    EXPECT_TRUE(fd.ok()) << fd.error().message;
    return fd.ok() ? *fd : -1;
  }

  template <typename K, typename V>
  void Put(const char* map, const K& key, const V& value) {
    ASSERT_EQ(bpf_map_update_elem(Fd(map), &key, &value, BPF_ANY), 0) << map << ": " << std::strerror(errno);
  }

  static ipvsd_l4_key L4Key(bool v6, uint8_t protocol, const char* addr, uint16_t port) {
    ipvsd_l4_key k{};
    k.family = static_cast<uint8_t>(FamilyOf(v6));
    k.protocol = protocol;
    k.port = htons(port);
    std::memcpy(k.addr, Addr(addr).bytes.data(), static_cast<size_t>(net::AddrLength(FamilyOf(v6))));
    return k;
  }

  std::unique_ptr<XdpTestRun> run_;
};

// ---- Forwarded: the bytes user space would send -------------------------------------------

struct ForwardCase {
  std::string description;
  Packet packet;
  uint32_t mtu = kMtu;
};
void PrintTo(const ForwardCase& c, std::ostream* os) { *os << c.description; }

std::vector<ForwardCase> ForwardCases() {
  std::vector<ForwardCase> cases;
  const struct {
    const char* name;
    Method method;
  } methods[] = {{"nat_to_server", Method::kNatToServer},
                 {"nat_to_client", Method::kNatToClient},
                 {"dr", Method::kRoute}};
  for (const auto& m : methods) {
    for (bool v6 : {false, true}) {
      for (L4 l4 : {L4::kTcp, L4::kUdp, L4::kUdpNoChecksum}) {
        if (v6 && l4 == L4::kUdpNoChecksum) continue;  // not a legal IPv6 datagram
        for (bool partial : {false, true}) {
          if (partial && l4 == L4::kUdpNoChecksum) continue;
          std::string name = std::string(m.name) + "_" +
                             (l4 == L4::kTcp ? "tcp" : l4 == L4::kUdp ? "udp" : "udp_zero_checksum") +
                             (v6 ? "_v6" : "_v4") + (partial ? "_partial_checksum" : "");
          Packet p;
          p.method = m.method;
          p.l4 = l4;
          p.v6 = v6;
          p.partial = partial;
          cases.push_back({name, p});
        }
      }
    }
  }
  Packet p;
  p.ipv4_options = {1, 1, 1, 1};
  cases.push_back({"nat_to_server_tcp_v4_nop_options", p});
  p.ipv4_options = {0x94, 0x04, 0x00, 0x00};  // Router Alert: an option with a length
  cases.push_back({"nat_to_server_tcp_v4_router_alert_option", p});
  p.partial = true;
  cases.push_back({"nat_to_server_tcp_v4_options_partial_checksum", p});
  p = Packet();
  p.ipv4_options = {7, 7, 4, 0, 0, 0, 0};  // Record Route, padded with End of Options
  p.method = Method::kNatToClient;
  cases.push_back({"nat_to_client_tcp_v4_record_route_option", p});

  p = Packet();
  p.vlans = {100};
  cases.push_back({"nat_to_server_tcp_v4_vlan", p});
  p.method = Method::kRoute;
  cases.push_back({"dr_tcp_v4_vlan", p});
  p = Packet();
  p.v6 = true;
  p.l4 = L4::kUdp;
  p.vlans = {100, 200};
  p.method = Method::kNatToClient;
  cases.push_back({"nat_to_client_udp_v6_two_vlan_tags", p});

  // Ethernet padding is neither summed nor changed.
  p = Packet();
  p.l4 = L4::kUdp;
  p.payload = "q";
  p.pad_to = 60;
  cases.push_back({"nat_to_server_udp_v4_ethernet_padding", p});
  p.partial = true;
  cases.push_back({"nat_to_server_udp_v4_ethernet_padding_partial_checksum", p});

  p = Packet();
  p.dport = 0;  // a service of every port: the packet keeps its port
  cases.push_back({"nat_to_server_tcp_v4_port_zero_keeps_port", p});
  p.method = Method::kNatToClient;
  cases.push_back({"nat_to_client_tcp_v4_port_zero_keeps_port", p});

  // Partial checksums summed in full: odd lengths (a last lone byte), several 512-byte pieces,
  // and the longest segment the program sums (2048 bytes).
  p = Packet();
  p.l4 = L4::kUdp;
  p.partial = true;
  p.payload = std::string(1021, 'u');
  cases.push_back({"nat_to_server_udp_v4_partial_checksum_odd_1029_bytes", p});
  p.v6 = true;
  p.method = Method::kNatToClient;
  p.payload = std::string(1415, 'v');
  cases.push_back({"nat_to_client_udp_v6_partial_checksum_odd_1423_bytes", p});
  p = Packet();
  p.partial = true;
  p.payload = std::string(2048 - 20, 't');
  cases.push_back({"nat_to_server_tcp_v4_partial_checksum_2048_bytes", p, 9000});
  p.method = Method::kRoute;
  p.v6 = true;
  cases.push_back({"dr_tcp_v6_partial_checksum_2048_bytes", p, 9000});
  // Longer than that, a full checksum is still updated incrementally.
  p = Packet();
  p.payload = std::string(3000, 'w');
  cases.push_back({"nat_to_server_tcp_v4_3020_bytes", p, 9000});
  p.v6 = true;
  p.l4 = L4::kUdp;
  p.method = Method::kNatToClient;
  cases.push_back({"nat_to_client_udp_v6_3008_bytes", p, 9000});
  // Exactly the MTU.
  p = Packet();
  p.payload = std::string(kMtu - 40, 'm');
  cases.push_back({"nat_to_server_tcp_v4_exactly_the_mtu", p});
  return cases;
}

class XdpFastPathForwardTest : public XdpFastPathTest, public ::testing::WithParamInterface<ForwardCase> {};

TEST_P(XdpFastPathForwardTest, LeavesAsUserSpaceWouldSendIt) {
  const ForwardCase& c = GetParam();
  io::FlowRule rule = Rule(c.packet);
  rule.mtu = c.mtu;
  Install(rule);
  const std::vector<uint8_t> in = Frame(c.packet);
  const std::vector<uint8_t> expected = UserSpaceForward(in, c.packet, c.mtu);
  XdpTestRun::Output out = Run(in);
  EXPECT_EQ(out.action, XDP_TX);
  ExpectFrame(expected, out.frame);
}

INSTANTIATE_TEST_SUITE_P(Golden, XdpFastPathForwardTest, ::testing::ValuesIn(ForwardCases()),
                         [](const ::testing::TestParamInfo<ForwardCase>& info) { return info.param.description; });

// A UDP checksum that comes out 0 is sent as 0xffff (0 would mean "no checksum").
TEST_F(XdpFastPathTest, UdpChecksumThatComesOutZeroIsSentAsFfff) {
  for (bool partial : {false, true}) {
    SCOPED_TRACE(partial ? "partial" : "full");
    Packet p;
    p.l4 = L4::kUdp;
    p.partial = partial;
    // The payload word that makes user space's checksum 0xffff.
    std::optional<std::vector<uint8_t>> expected;
    std::vector<uint8_t> in;
    for (uint32_t w = 0; w <= 0xffff && !expected; ++w) {
      p.payload = std::string{static_cast<char>(w >> 8), static_cast<char>(w & 0xff)};
      in = Frame(p);
      std::vector<uint8_t> out = UserSpaceForward(in, p, kMtu);
      const size_t check_at = out.size() - p.payload.size() - 2;
      if (out[check_at] == 0xff && out[check_at + 1] == 0xff) expected = out;
    }
    ASSERT_TRUE(expected.has_value());
    Install(Rule(p));
    XdpTestRun::Output out = Run(in);
    EXPECT_EQ(out.action, XDP_TX);
    ExpectFrame(*expected, out.frame);
  }
}

// In skb mode only a partial checksum keeps a packet from being forwarded here (it goes up,
// see GoesToTheSocketUntouched/partial_checksum_in_skb_mode).
TEST_F(XdpFastPathTest, InSkbModeCompleteChecksumsAreForwardedToo) {
  SetIngress(/*native=*/false);
  for (L4 l4 : {L4::kTcp, L4::kUdp, L4::kUdpNoChecksum}) {
    Packet p;
    p.l4 = l4;
    Install(Rule(p));
    const std::vector<uint8_t> in = Frame(p);
    XdpTestRun::Output out = Run(in);
    EXPECT_EQ(out.action, XDP_TX);
    ExpectFrame(UserSpaceForward(in, p, kMtu), out.frame);
  }
}

// A flow leaving through another interface is redirected to it through ipvsd_tx_ports.
TEST_F(XdpFastPathTest, FlowOfAnotherInterfaceIsRedirectedThere) {
  // Any interface but loopback will do: the test run does not transmit.
  uint32_t other = 0;
  if (struct if_nameindex* names = if_nameindex()) {
    for (struct if_nameindex* n = names; n->if_index != 0 && other == 0; ++n) {
      if (n->if_index != kIngress) other = n->if_index;
    }
    if_freenameindex(names);
  }
  if (other == 0) GTEST_SKIP() << "no interface besides loopback to redirect to";
  AddTxPort(other);
  Packet p;
  io::FlowRule rule = Rule(p);
  rule.ifindex = other;
  Install(rule);
  const std::vector<uint8_t> in = Frame(p);
  XdpTestRun::Output out = Run(in);
  EXPECT_EQ(out.action, XDP_REDIRECT);
  ExpectFrame(UserSpaceForward(in, p, kMtu), out.frame);
}

TEST_F(XdpFastPathTest, CountsForwardedPacketsAndTheirIpBytes) {
  Packet p;
  const io::FlowRule rule = Rule(p);
  Install(rule);
  uint64_t bytes = 0;
  const std::string payloads[] = {"", "a", std::string(700, 'b')};
  for (const std::string& payload : payloads) {
    p.payload = payload;
    const std::vector<uint8_t> in = Frame(p);
    bytes += IpLength(in);
    EXPECT_EQ(Run(in).action, XDP_TX);
  }
  // A packet sent up is not counted.
  p.tcp_flags = net::kTcpFin | net::kTcpAck;
  EXPECT_EQ(Run(Frame(p)).action, XDP_DROP);
  const ipvsd_flow flow = ReadFlow(rule.key);
  EXPECT_EQ(flow.packets, std::size(payloads));
  EXPECT_EQ(flow.bytes, bytes);
  EXPECT_GT(flow.last_seen_ns, 0u);
}

// ---- Sent up: to the AF_XDP socket, untouched --------------------------------------------

struct PuntCase {
  std::string description;
  Packet packet;
  // Changes the frame after it is built (a broken header, a fragment ...).
  void (*mangle)(std::vector<uint8_t>*) = nullptr;
  // Changes the flow entry (its MTU, its interface).
  void (*adjust)(io::FlowRule*, const std::vector<uint8_t>&) = nullptr;
  bool install = true;
  bool skb_mode = false;
};
void PrintTo(const PuntCase& c, std::ostream* os) { *os << c.description; }

// Offsets in an untagged frame with a 20-byte IPv4 header.
constexpr size_t kIpv4At = 14;
constexpr size_t kL4At = 34;

void SetIpv4Byte(std::vector<uint8_t>* f, size_t at, uint8_t value) {
  (*f)[kIpv4At + at] = value;
  // Keep the header checksum right: only the change under test may be wrong.
  (*f)[kIpv4At + 10] = (*f)[kIpv4At + 11] = 0;
  uint32_t sum = 0;
  for (size_t i = 0; i < 20; i += 2) sum += ((*f)[kIpv4At + i] << 8) | (*f)[kIpv4At + i + 1];
  while (sum >> 16) sum = (sum & 0xffff) + (sum >> 16);
  (*f)[kIpv4At + 10] = static_cast<uint8_t>(~sum >> 8);
  (*f)[kIpv4At + 11] = static_cast<uint8_t>(~sum);
}

std::vector<PuntCase> PuntCases() {
  std::vector<PuntCase> cases;
  Packet p;
  p.tcp_flags = net::kTcpSyn;
  cases.push_back({"syn", p});
  p.tcp_flags = net::kTcpFin | net::kTcpAck;
  cases.push_back({"fin", p});
  p.tcp_flags = net::kTcpRst | net::kTcpAck;
  cases.push_back({"rst", p});
  p = Packet();
  p.ttl = 1;
  cases.push_back({"ttl_1", p});
  p.v6 = true;
  p.method = Method::kNatToClient;
  cases.push_back({"hop_limit_1", p});
  p = Packet();
  cases.push_back({"longer_than_the_mtu", p, nullptr, [](io::FlowRule* r, const std::vector<uint8_t>& f) {
                     r->mtu = IpLength(f) - 1;
                   }});
  p.v6 = true;
  p.method = Method::kRoute;
  cases.push_back({"longer_than_the_mtu_v6_dr", p, nullptr, [](io::FlowRule* r, const std::vector<uint8_t>& f) {
                     r->mtu = IpLength(f) - 1;
                   }});
  p = Packet();
  cases.push_back({"first_fragment", p, [](std::vector<uint8_t>* f) { SetIpv4Byte(f, 6, 0x20 | 0x40); }});
  cases.push_back({"ipv6_extension_header", p, [](std::vector<uint8_t>* f) {
                     // A destination-options header (8 bytes of padding) before the TCP header.
                     std::vector<uint8_t> ext = {net::kProtoTcp, 0, 1, 4, 0, 0, 0, 0};
                     (*f)[14 + 6] = net::kIpv6DestOpts;
                     f->insert(f->begin() + 14 + 40, ext.begin(), ext.end());
                     const uint16_t len = static_cast<uint16_t>(((*f)[18] << 8 | (*f)[19]) + 8);
                     (*f)[18] = static_cast<uint8_t>(len >> 8);
                     (*f)[19] = static_cast<uint8_t>(len);
                   }});
  cases.back().packet.v6 = true;
  cases.push_back({"egress_interface_not_in_tx_ports", p, nullptr,
                   [](io::FlowRule* r, const std::vector<uint8_t>&) { r->ifindex = 4242; }});
  PuntCase absent{"flow_absent", p};
  absent.install = false;
  cases.push_back(absent);
  cases.push_back({"truncated", p, [](std::vector<uint8_t>* f) { f->resize(f->size() - 1); }});
  cases.push_back({"bad_ipv4_header_checksum", p, [](std::vector<uint8_t>* f) { (*f)[kIpv4At + 10] ^= 1; }});
  cases.push_back({"ipv4_version_5", p, [](std::vector<uint8_t>* f) { SetIpv4Byte(f, 0, 0x55); }});
  cases.push_back({"tcp_data_offset_too_small", p, [](std::vector<uint8_t>* f) { (*f)[kL4At + 12] = 4 << 4; }});
  p.ipv4_options = {0x94, 0x08, 0x00, 0x00};  // Router Alert, its length past the header
  cases.push_back({"ipv4_option_overruns_the_header", p});
  p = Packet();
  p.l4 = L4::kUdp;
  cases.push_back({"udp_length_beyond_the_ip_payload", p, [](std::vector<uint8_t>* f) { (*f)[kL4At + 5] += 1; }});
  p.partial = true;
  PuntCase skb{"partial_checksum_in_skb_mode", p};
  skb.skb_mode = true;
  cases.push_back(skb);
  p.payload = std::string(2049 - 8, 'x');
  cases.push_back({"partial_checksum_over_2048_bytes", p, nullptr,
                   [](io::FlowRule* r, const std::vector<uint8_t>&) { r->mtu = 9000; }});
  p = Packet();
  p.l4 = L4::kUdpNoChecksum;
  p.payload = std::string(2049 - 8, 'x');
  cases.push_back({"udp_zero_checksum_over_2048_bytes_under_nat", p, nullptr,
                   [](io::FlowRule* r, const std::vector<uint8_t>&) { r->mtu = 9000; }});
  return cases;
}

class XdpFastPathPuntTest : public XdpFastPathTest, public ::testing::WithParamInterface<PuntCase> {};

TEST_P(XdpFastPathPuntTest, GoesToTheSocketUntouched) {
  const PuntCase& c = GetParam();
  std::vector<uint8_t> in = Frame(c.packet);
  if (c.mangle) c.mangle(&in);
  io::FlowRule rule = Rule(c.packet);
  if (c.adjust) c.adjust(&rule, in);
  if (c.install) Install(rule);
  if (c.skb_mode) SetIngress(/*native=*/false);
  XdpTestRun::Output out = Run(in);
  // bpf_redirect_map(&ipvsd_xsks, ...) with no socket registered: its fallback, XDP_DROP.
  EXPECT_EQ(out.action, XDP_DROP);
  EXPECT_EQ(out.frame, in);
  if (c.install) {
    EXPECT_EQ(ReadFlow(rule.key).packets, 0u);
  }
}

INSTANTIATE_TEST_SUITE_P(Golden, XdpFastPathPuntTest, ::testing::ValuesIn(PuntCases()),
                         [](const ::testing::TestParamInfo<PuntCase>& info) { return info.param.description; });

// A packet of ipvsd's goes up to the socket as before until its flow is installed; from then on
// the program forwards it itself.
TEST_F(XdpFastPathTest, SamePacketGoesUpUntilItsFlowIsInstalled) {
  Packet p;
  p.method = Method::kRoute;
  const std::vector<uint8_t> in = Frame(p);
  EXPECT_EQ(Run(in).action, XDP_DROP);
  Install(Rule(p));
  XdpTestRun::Output out = Run(in);
  EXPECT_EQ(out.action, XDP_TX);
  ExpectFrame(UserSpaceForward(in, p, kMtu), out.frame);
}

// ---- TUN: wrapped as fwd::TunXmit wraps it ---------------------------------------------------

constexpr const char* kDirector4 = "198.18.1.1";
constexpr const char* kDirector6 = "2001:db8:3::1";
constexpr uint16_t kGuePort = 6080;

// Keeps the rule the worker's OffloadedFlows hands down, so that the flow hash, the GUE source
// port and the inner MTU installed are the worker's own.
class RecordingOffload : public io::FlowOffload {
 public:
  bool Install(const io::FlowRule& rule) override {
    rule_ = rule;
    return true;
  }
  bool Remove(const io::FlowKey&, io::FlowCounters*) override { return false; }
  bool Read(const io::FlowKey&, io::FlowCounters*) override { return false; }
  const io::FlowRule& rule() const { return rule_; }

 private:
  io::FlowRule rule_;
};

struct TunnelCase {
  std::string description;
  Packet packet;  // from the client to the VIP
  bool outer_v6 = false;
  core::TunType type = core::TunType::kIpip;
  core::TunCsum csum = core::TunCsum::kNoCsum;
  uint32_t path_mtu = kMtu;
};
void PrintTo(const TunnelCase& c, std::ostream* os) { *os << c.description; }

class XdpFastPathTunnelTest : public XdpFastPathTest {
 protected:
  static core::DestConfig Config(const TunnelCase& c) {
    core::DestConfig d;
    d.addr = net::IpAddr{Addr(Rs(c.outer_v6)), FamilyOf(c.outer_v6)};
    d.port = kVport;
    d.fwd = core::FwdMethod::kTunnel;
    d.tun_type = c.type;
    d.tun_port = kGuePort;
    d.tun_csum = c.csum;
    return d;
  }

  static core::ConnEntry TunnelConn(const TunnelCase& c, core::Dest* dest) {
    core::ConnEntry conn = Conn(c.packet);
    conn.daf = FamilyOf(c.outer_v6);
    conn.daddr = Addr(Rs(c.outer_v6));
    conn.dport = kVport;
    conn.flags = static_cast<uint16_t>(core::FwdMethod::kTunnel) | core::kConnHashed;
    conn.dest = dest;
    return conn;
  }

  static net::NextHop Hop(const TunnelCase& c) {
    net::NextHop hop;
    hop.ifindex = kIngress;
    hop.src_mac = kOurMac;
    hop.dst_mac = kNextHopMac;
    hop.src_addr = Addr(c.outer_v6 ? kDirector6 : kDirector4);
    hop.mtu = c.path_mtu;
    return hop;
  }

  // The rule the worker installs for the connection's client direction after forwarding `in`.
  static io::FlowRule WorkerRule(const TunnelCase& c, const std::vector<uint8_t>& in) {
    core::Dest dest(Config(c));
    const core::ConnEntry conn = TunnelConn(c, &dest);
    RecordingOffload recorder;
    OffloadedFlows flows(&recorder, 64);
    TestFrame tf(in);
    EXPECT_EQ(flows.Install(conn, 0, FlowDir::kIn, Hop(c), tf.Parse()), OffloadedFlows::InstallResult::kInstalled);
    return recorder.rule();
  }

  // The user-space path: Parse, CompletePartialChecksum, TunXmit, Transmit's MAC rewrite.
  static std::vector<uint8_t> UserSpaceTunnel(const TunnelCase& c, const std::vector<uint8_t>& in) {
    core::Dest dest(Config(c));
    TestFrame tf(in);
    net::PacketView v = tf.Parse();
    net::CompletePartialChecksum(v);
    uint32_t mtu_out = 0;
    EXPECT_EQ(fwd::TunXmit(tf.frame(), v, TunnelConn(c, &dest), dest, Hop(c).src_addr, c.path_mtu, &mtu_out),
              fwd::FwdStatus::kOk);
    auto* eth = net::HeaderAt<net::EthHdr>(tf.frame().data());
    eth->dst = kNextHopMac;
    eth->src = kOurMac;
    return tf.Bytes();
  }
};

std::vector<TunnelCase> TunnelCases() {
  using core::TunCsum;
  using core::TunType;
  std::vector<TunnelCase> cases;
  for (const fwd::testing::TunKind& k : fwd::testing::kTunKinds) {
    for (bool outer_v6 : {false, true}) {
      for (bool inner_v6 : {false, true}) {
        for (L4 l4 : {L4::kTcp, L4::kUdp}) {
          TunnelCase c;
          c.description = std::string(k.name) + "_" + (inner_v6 ? "6" : "4") + "in" + (outer_v6 ? "6" : "4") +
                          (l4 == L4::kTcp ? "_tcp" : "_udp");
          c.packet.method = Method::kRoute;
          c.packet.v6 = inner_v6;
          c.packet.l4 = l4;
          c.outer_v6 = outer_v6;
          c.type = k.type;
          c.csum = k.csum;
          cases.push_back(c);
        }
      }
    }
  }
  TunnelCase c;
  c.packet.method = Method::kRoute;
  // Without DF the outer IPv4 ID derives from the inner one (fwd::OuterIpId).
  c.packet.df = false;
  c.description = "ipip_4in4_tcp_no_df";
  cases.push_back(c);
  c.type = TunType::kGue;
  c.csum = TunCsum::kCsum;
  c.packet.l4 = L4::kUdp;
  c.description = "gue_csum_4in4_udp_no_df";
  cases.push_back(c);
  // DSCP copied; ECN copied but CE, which the outer header carries as ECT(0).
  c = TunnelCase();
  c.packet.method = Method::kRoute;
  c.packet.tos = 0xbb;
  c.description = "ipip_4in4_dscp_ce";
  cases.push_back(c);
  c.packet.v6 = true;
  c.outer_v6 = true;
  c.type = TunType::kGre;
  c.packet.tos = 0x2b;
  c.description = "gre_6in6_traffic_class_ce";
  cases.push_back(c);
  // A partial checksum is completed in the inner packet, and the outer checksum covers it.
  const fwd::testing::TunKind partial_kinds[] = {{"gue_csum", TunType::kGue, TunCsum::kCsum},
                                                  {"ipip", TunType::kIpip, TunCsum::kNoCsum}};
  for (bool inner_v6 : {false, true}) {
    for (L4 l4 : {L4::kTcp, L4::kUdp}) {
      for (const fwd::testing::TunKind& k : partial_kinds) {
        c = TunnelCase();
        c.packet.method = Method::kRoute;
        c.packet.v6 = inner_v6;
        c.packet.l4 = l4;
        c.packet.partial = true;
        c.type = k.type;
        c.csum = k.csum;
        c.description = std::string(k.name) + (inner_v6 ? "_6in4" : "_4in4") + (l4 == L4::kTcp ? "_tcp" : "_udp") +
                        "_partial_checksum";
        cases.push_back(c);
      }
    }
  }
  // A UDP datagram without a checksum keeps none inside (DR and TUN leave it).
  c = TunnelCase();
  c.packet.method = Method::kRoute;
  c.packet.l4 = L4::kUdpNoChecksum;
  c.type = TunType::kGre;
  c.csum = TunCsum::kCsum;
  c.description = "gre_csum_4in4_udp_zero_checksum";
  cases.push_back(c);
  // VLAN tags stay in front of the outer header; Ethernet padding is dropped.
  c = TunnelCase();
  c.packet.method = Method::kRoute;
  c.packet.vlans = {100};
  c.type = TunType::kGue;
  c.csum = TunCsum::kCsum;
  c.description = "gue_csum_4in4_tcp_vlan";
  cases.push_back(c);
  c.packet.vlans = {100, 200};
  c.packet.v6 = true;
  c.type = TunType::kIpip;
  c.csum = TunCsum::kNoCsum;
  c.description = "ipip_6in4_tcp_two_vlan_tags";
  cases.push_back(c);
  c = TunnelCase();
  c.packet.method = Method::kRoute;
  c.packet.l4 = L4::kUdp;
  c.packet.payload = "q";
  c.packet.pad_to = 60;
  c.description = "ipip_4in4_udp_ethernet_padding";
  cases.push_back(c);
  c.type = TunType::kGre;
  c.csum = TunCsum::kCsum;
  c.outer_v6 = true;
  c.description = "gre_csum_4in6_udp_ethernet_padding";
  cases.push_back(c);
  // Long and odd: the outer checksum sums the whole inner packet; exactly the inner MTU.
  c = TunnelCase();
  c.packet.method = Method::kRoute;
  c.packet.l4 = L4::kUdp;
  c.packet.payload = std::string(1401, 'o');
  c.type = TunType::kGue;
  c.csum = TunCsum::kCsum;
  c.description = "gue_csum_4in4_udp_odd_1429_bytes";
  cases.push_back(c);
  c.packet.payload = std::string(kMtu - 20 - 8 - 20 - 20, 'm');  // less outer IPv4, GRE with checksum, IPv4, TCP
  c.packet.l4 = L4::kTcp;
  c.type = TunType::kGre;
  c.description = "gre_csum_4in4_tcp_exactly_the_inner_mtu";
  cases.push_back(c);
  return cases;
}

class XdpFastPathTunnelForwardTest : public XdpFastPathTunnelTest, public ::testing::WithParamInterface<TunnelCase> {};

TEST_P(XdpFastPathTunnelForwardTest, LeavesAsUserSpaceWouldSendIt) {
  const TunnelCase& c = GetParam();
  const std::vector<uint8_t> in = Frame(c.packet);
  const io::FlowRule rule = WorkerRule(c, in);
  ASSERT_EQ(rule.action, io::FlowAction::kTunnel);
  Install(rule);
  XdpTestRun::Output out = Run(in);
  EXPECT_EQ(out.action, XDP_TX);
  ExpectFrame(UserSpaceTunnel(c, in), out.frame);
  // Counted as user space counts it: the inner packet's IP length.
  const ipvsd_flow flow = ReadFlow(rule.key);
  EXPECT_EQ(flow.packets, 1u);
  EXPECT_EQ(flow.bytes, IpLength(in));
}

INSTANTIATE_TEST_SUITE_P(Golden, XdpFastPathTunnelForwardTest, ::testing::ValuesIn(TunnelCases()),
                         [](const ::testing::TestParamInfo<TunnelCase>& info) { return info.param.description; });

// What user space must answer goes up untouched: a packet over the inner MTU (user space sends
// the ICMP error with that MTU), a TTL that runs out, and an outer checksum over more than the
// program sums.
TEST_F(XdpFastPathTunnelTest, WhatUserSpaceAnswersGoesUpUntouched) {
  struct Row {
    const char* description;
    TunnelCase c;
  };
  std::vector<Row> rows;
  TunnelCase c;
  c.packet.method = Method::kRoute;
  c.type = core::TunType::kGre;
  c.csum = core::TunCsum::kCsum;
  c.packet.payload = std::string(kMtu - 20 - 8 - 20 - 20 + 1, 'm');
  rows.push_back({"one_byte_over_the_inner_mtu", c});
  c.outer_v6 = true;
  c.packet.v6 = true;
  c.packet.payload = std::string(kMtu - 40 - 8 - 40 - 20 + 1, 'm');
  rows.push_back({"one_byte_over_the_inner_mtu_6in6", c});
  c = TunnelCase();
  c.packet.method = Method::kRoute;
  c.packet.ttl = 1;
  rows.push_back({"ttl_1", c});
  c = TunnelCase();
  c.packet.method = Method::kRoute;
  c.type = core::TunType::kGue;
  c.csum = core::TunCsum::kCsum;
  c.path_mtu = 9000;
  c.packet.payload = std::string(2049 - 40, 'x');
  rows.push_back({"outer_checksum_over_2049_bytes", c});
  for (const Row& r : rows) {
    SCOPED_TRACE(r.description);
    const std::vector<uint8_t> in = Frame(r.c.packet);
    const io::FlowRule rule = WorkerRule(r.c, in);
    Install(rule);
    XdpTestRun::Output out = Run(in);
    EXPECT_EQ(out.action, XDP_DROP);
    EXPECT_EQ(out.frame, in);
    EXPECT_EQ(ReadFlow(rule.key).packets, 0u);
  }
}

// Without the checksum option the inner packet is not summed: a long one is tunnelled too.
TEST_F(XdpFastPathTunnelTest, WithoutOuterChecksumLongPacketsAreTunnelledToo) {
  TunnelCase c;
  c.packet.method = Method::kRoute;
  c.type = core::TunType::kGue;
  c.path_mtu = 9000;
  c.packet.payload = std::string(3000, 'l');
  const std::vector<uint8_t> in = Frame(c.packet);
  Install(WorkerRule(c, in));
  XdpTestRun::Output out = Run(in);
  EXPECT_EQ(out.action, XDP_TX);
  ExpectFrame(UserSpaceTunnel(c, in), out.frame);
}

}  // namespace
}  // namespace ipvsd::dataplane
