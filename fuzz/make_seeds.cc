// File: fuzz/make_seeds.cc
//
// Writes the seed corpora of the binary harnesses from the real encoders, so that every seed
// is something ipvsd actually sees: frames from tests/testing/packet_builder, control
// requests from ctl/codec.h, sync messages from sync/sync_packer.h. The text harnesses'
// seeds are plain files (fuzz/make_text_seeds.sh). Run by hand when a format changes:
//
//   ninja -C build-fuzz make_seeds && build-fuzz/bin/make_seeds fuzz/corpus
//
// Each seed is named after what it is; the output is deterministic, so regenerating leaves
// git clean unless an encoder changed.
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "ctl/codec.h"
#include "ctl/proto.h"
#include "fuzz/records.h"
#include "net/headers.h"
#include "net/ip_addr.h"
#include "sync/pull_request.h"
#include "sync/sync_packer.h"
#include "tests/golden/dataplane_fixture.h"
#include "tests/testing/packet_builder.h"

namespace {

using ipvsd::testing::kClientMac;
using ipvsd::testing::kDir1Mac;
using ipvsd::testing::kDir2Mac;
using ipvsd::testing::kRsMac;
using ipvsd::testing::PacketBuilder;
namespace ctl = ipvsd::ctl;
namespace net = ipvsd::net;
namespace sync = ipvsd::sync;
using Bytes = std::vector<uint8_t>;

std::filesystem::path g_root;

void Write(const std::string& target, const std::string& name, const Bytes& bytes) {
  const std::filesystem::path dir = g_root / target;
  std::filesystem::create_directories(dir);
  std::ofstream(dir / name, std::ios::binary).write(reinterpret_cast<const char*>(bytes.data()),
                                                    static_cast<std::streamsize>(bytes.size()));
}

// ---- frames ---------------------------------------------------------------------------------

PacketBuilder FromClient4(const char* vip) { return PacketBuilder().Eth(kClientMac, kDir1Mac).Ipv4("198.18.0.5", vip); }
PacketBuilder FromClient6(const char* vip) {
  return PacketBuilder().Eth(kClientMac, kDir1Mac).Ipv6("2001:db8:c::5", vip);
}
PacketBuilder FromServer4(const char* to) { return PacketBuilder().Eth(kRsMac, kDir2Mac).Ipv4("198.18.1.10", to); }
PacketBuilder FromServer6(const char* to) {
  return PacketBuilder().Eth(kRsMac, kDir2Mac).Ipv6("2001:db8:1::10", to);
}

void ParseSeeds() {
  Write("parse", "tcp4_syn", FromClient4("198.19.0.1").Tcp(40000, 80, net::kTcpSyn).Build());
  Write("parse", "udp4_payload", FromClient4("198.19.0.1").Udp(40000, 53).Payload("query").Build());
  Write("parse", "tcp6_syn", FromClient6("2001:db8:f::1").Tcp(40000, 80, net::kTcpSyn).Build());
  Write("parse", "udp6_dstopts", FromClient6("2001:db8:f::1").Ipv6ExtHeader(net::kIpv6DestOpts, {}).Udp(1, 53).Build());
  Write("parse", "sctp4_init", FromClient4("198.19.0.1").Sctp(40000, 3868, 0, net::kSctpInit).Payload("init").Build());
  Write("parse", "vlan_qinq_tcp4",
        FromClient4("198.19.0.1").Vlan(100, net::kEtherTypeQinQ).Vlan(200).Tcp(1, 80, net::kTcpAck).Build());
  Write("parse", "ipv4_options", FromClient4("198.19.0.1").Ipv4Options({1, 1, 7, 3, 4}).Udp(1, 53).Build());
  Write("parse", "ipv4_fragment", FromClient4("198.19.0.1").MoreFragments(true).Udp(1, 53).Payload("x").Build());
  Write("parse", "ipv6_fragment", FromClient6("2001:db8:f::1").FragmentOffset(1).Udp(1, 53).Build());
  Bytes quoted = PacketBuilder().Ipv4("198.19.0.1", "198.18.0.5").Tcp(80, 40000, net::kTcpAck).BuildL3();
  quoted.resize(28);
  Write("parse", "icmp4_frag_needed",
        PacketBuilder().Eth(kRsMac, kDir1Mac).Ipv4("198.18.0.254", "198.19.0.1")
            .Icmp(net::kIcmpDestUnreach, net::kIcmpFragNeeded, 1400).Embed(quoted).Build());
  Bytes quoted6 = PacketBuilder().Ipv6("2001:db8:f::1", "2001:db8:c::5").Udp(53, 40000).BuildL3();
  Write("parse", "icmp6_too_big",
        FromClient6("2001:db8:f::1").Icmpv6(net::kIcmpv6PacketTooBig, 0, 1280).Embed(quoted6).Build());
  Write("parse", "gue4_inner_udp",
        PacketBuilder().Ipv4("198.18.0.5", "198.19.0.1").Udp(5000, 53).Payload("q")
            .OuterIpv4("198.18.1.254", "198.18.1.10").Gue(40000, 6080, false).Build());
  Write("parse", "short_padded", FromClient4("198.19.0.1").Udp(1, 53).PadTo(60).Build());
}

// ---- worker bursts --------------------------------------------------------------------------

constexpr uint8_t kServerSide = 0x01;
constexpr uint8_t kMark = 0x02;
constexpr uint8_t kOffload = 0x04;
constexpr uint8_t kEndBurst = 0x08;
constexpr uint8_t kStep1s = 5 << 4;   // 2^4 * 100 ms
constexpr uint8_t kStep2min = 12 << 4;

struct Burst {
  uint8_t settings = 0;
  Bytes bytes;
  Burst& Frame(uint8_t tag, const Bytes& frame) {
    ipvsd::fuzz::AppendRecord(&bytes, tag, frame);
    return *this;
  }
  Bytes Done() const {
    Bytes out{settings};
    out.insert(out.end(), bytes.begin(), bytes.end());
    return out;
  }
};

void WorkerSeeds() {
  const uint8_t syn = net::kTcpSyn, ack = net::kTcpAck, fin = net::kTcpFin | net::kTcpAck;
  Write("worker", "nat_tcp4_handshake_and_close",
        Burst()
            .Frame(0, FromClient4("198.19.0.1").Tcp(40000, 80, syn).TcpSeq(1, 0).Build())
            .Frame(kServerSide | kEndBurst, FromServer4("198.18.0.5").Tcp(8080, 40000, syn | ack).TcpSeq(9, 2).Build())
            .Frame(0, FromClient4("198.19.0.1").Tcp(40000, 80, ack).TcpSeq(2, 10).Payload("GET /").Build())
            .Frame(kServerSide | kEndBurst | kStep1s,
                   FromServer4("198.18.0.5").Tcp(8080, 40000, ack).TcpSeq(10, 7).Payload("200 OK").Build())
            .Frame(0, FromClient4("198.19.0.1").Tcp(40000, 80, fin).TcpSeq(7, 16).Build())
            .Frame(kServerSide | kEndBurst | kStep2min, FromServer4("198.18.0.5").Tcp(8080, 40000, fin).Build())
            .Done());
  Write("worker", "nat_udp4_persistent_both_ways",
        Burst()
            .Frame(0, FromClient4("198.19.0.1").Udp(40000, 53).Payload("q1").Build())
            .Frame(kEndBurst, FromClient4("198.19.0.1").Udp(40001, 53).Payload("q2").Build())
            .Frame(kServerSide | kEndBurst | kStep1s, FromServer4("198.18.0.5").Udp(5353, 40000).Payload("a1").Build())
            .Done());
  Write("worker", "nat_sctp4_init", Burst()
                                        .Frame(0, FromClient4("198.19.0.1").Sctp(40000, 3868, 0, net::kSctpInit)
                                                      .Payload("init").Build())
                                        .Frame(kServerSide, FromServer4("198.18.0.5").Sctp(3869, 40000, 7,
                                                      net::kSctpInitAck).Payload("ack").Build())
                                        .Done());
  Write("worker", "dr_tcp4_sh_and_fwmark",
        Burst()
            .Frame(0, FromClient4("198.19.0.2").Tcp(40000, 80, syn).Build())
            .Frame(kMark, FromClient4("198.19.0.9").Tcp(40001, 443, syn).Build())
            .Frame(kEndBurst | kStep1s, FromClient4("198.19.0.2").Udp(40002, 5060).Payload("persistent port 0").Build())
            .Done());
  Write("worker", "tun_gue_gre_ipip4",
        Burst()
            .Frame(0, FromClient4("198.19.0.3").Df(true).Udp(40000, 53).Payload("t").Build())
            .Frame(0, FromClient4("198.19.0.3").Tcp(40000, 80, syn).Build())
            .Frame(0, FromClient4("198.19.0.3").Tcp(40000, 443, syn).Build())
            .Done());
  Write("worker", "ops_udp4", Burst().Frame(0, FromClient4("198.19.0.4").Udp(40000, 53).Payload("one").Build())
                                   .Frame(0, FromClient4("198.19.0.4").Udp(40000, 53).Payload("two").Build())
                                   .Done());
  Write("worker", "nat_tcp6_and_reply",
        Burst()
            .Frame(kEndBurst, FromClient6("2001:db8:f::1").Tcp(40000, 80, syn).Build())
            .Frame(kServerSide, FromServer6("2001:db8:c::5").Tcp(8080, 40000, syn | ack).Build())
            .Done());
  Write("worker", "dr_udp6_tun6",
        Burst()
            .Frame(0, FromClient6("2001:db8:f::1").Udp(40000, 53).Payload("q6").Build())
            .Frame(0, FromClient6("2001:db8:f::2").Tcp(40000, 80, syn).Build())
            .Frame(0, FromClient6("2001:db8:f::2").Udp(40000, 53).Payload("g").Build())
            .Frame(0, FromClient6("2001:db8:f::1").Sctp(40000, 3868, 0, net::kSctpInit).Payload("i").Build())
            .Done());
  {
    Bytes quoted = PacketBuilder().Ipv4("198.18.0.5", "198.18.1.10").Tcp(40000, 8080, syn).BuildL3();
    quoted.resize(28);
    Write("worker", "nat_icmp_error_from_server_side",
          Burst()
              .Frame(kEndBurst, FromClient4("198.19.0.1").Tcp(40000, 80, syn).Build())
              .Frame(kServerSide, PacketBuilder().Eth(kRsMac, kDir2Mac).Ipv4("198.18.1.10", "198.18.0.5")
                                      .Icmp(net::kIcmpDestUnreach, net::kIcmpPortUnreach).Embed(quoted).Build())
              .Done());
  }
  Write("worker", "offload_tcp4_aggregate",
        Burst()
            .Frame(kEndBurst, FromClient4("198.19.0.1").Tcp(40000, 80, syn).Build())
            .Frame(kOffload,
                   FromClient4("198.19.0.1").Df(true).Tcp(40000, 80, ack).Payload(std::string(3000, 'a')).Build())
            .Done());
  Write("worker", "ttl_expired_and_not_ip",
        Burst()
            .Frame(0, FromClient4("198.19.0.1").Ttl(1).Tcp(40000, 80, syn).Build())
            .Frame(0, Bytes(60, 0x08))
            .Done());
  Burst sloppy;
  sloppy.settings = 0x08 | 0x01;  // sloppy_tcp, sync master running
  Write("worker", "sloppy_ack_creates_and_syncs",
        sloppy.Frame(0, FromClient4("198.19.0.1").Tcp(40000, 80, ack).Build())
            .Frame(0, FromClient4("198.19.0.1").Tcp(40000, 80, ack).Build())
            .Frame(0, FromClient4("198.19.0.1").Tcp(40000, 80, ack).Build())
            .Done());
}

// ---- control requests -----------------------------------------------------------------------

ctl::ServiceSpec Svc(const char* addr, uint16_t port, uint8_t proto = net::kProtoTcp, const char* sched = "wlc") {
  ctl::ServiceSpec s;
  net::IpAddr a = *net::IpAddr::Parse(addr);
  s.key.family = a.family;
  s.key.protocol = proto;
  s.key.addr = a.raw;
  s.key.port = port;
  s.sched_name = sched;
  if (a.family == net::Family::kInet6) s.netmask = 128;
  return s;
}

ctl::DestRequest Dest(const ctl::ServiceSpec& s, const char* addr, uint16_t port, ctl::Fwd fwd, int weight = 1) {
  ctl::DestRequest r;
  r.service = s.key;
  r.dest.addr = *net::IpAddr::Parse(addr);
  r.dest.port = port;
  r.dest.fwd = fwd;
  r.dest.weight = weight;
  return r;
}

class Stream {
 public:
  template <typename T>
  Stream& Add(ctl::MsgType type, const T& payload) {
    Bytes f = ctl::EncodeRequest(type, payload);
    bytes_.insert(bytes_.end(), f.begin(), f.end());
    return *this;
  }
  const Bytes& bytes() const { return bytes_; }

 private:
  Bytes bytes_;
};

void CtlSeeds() {
  using ctl::MsgType;
  const ctl::ServiceSpec web = Svc("198.19.0.1", 80);
  Write("ctl", "add_list_delete",
        Stream()
            .Add(MsgType::kAddService, web)
            .Add(MsgType::kAddDest, Dest(web, "198.18.1.10", 8080, ctl::Fwd::kMasq, 3))
            .Add(MsgType::kGetServices, ctl::Empty{})
            .Add(MsgType::kGetService, web.key)
            .Add(MsgType::kGetInfo, ctl::Empty{})
            .Add(MsgType::kDelDest, Dest(web, "198.18.1.10", 8080, ctl::Fwd::kMasq))
            .Add(MsgType::kDelService, web.key)
            .bytes());
  ctl::ServiceSpec edited = web;
  edited.sched_name = "mh";
  edited.flags = ctl::kSvcPersistent | ctl::kSvcSched1;
  edited.timeout = 300;
  ctl::DestRequest tun = Dest(web, "198.18.1.11", 80, ctl::Fwd::kTunnel, 2);
  tun.dest.tun_type = ctl::TunType::kGue;
  tun.dest.tun_port = 6080;
  tun.dest.tun_csum = ctl::TunCsum::kCsum;
  Write("ctl", "edit_zero_flush",
        Stream()
            .Add(MsgType::kAddService, web)
            .Add(MsgType::kAddDest, tun)
            .Add(MsgType::kEditService, edited)
            .Add(MsgType::kEditDest, tun)
            .Add(MsgType::kZero, ctl::ZeroRequest{0, web.key})
            .Add(MsgType::kZero, ctl::ZeroRequest{1, {}})
            .Add(MsgType::kFlush, ctl::Empty{})
            .bytes());
  ctl::ServiceSpec v6 = Svc("2001:db8:f::1", 53, net::kProtoUdp, "sh");
  ctl::ServiceSpec mark;
  mark.key.fwmark = 7;
  mark.key.protocol = 0;
  mark.sched_name = "rr";
  ctl::BatchRequest batch;
  batch.steps.push_back(ctl::MakeBatchStep(MsgType::kAddService, v6));
  batch.steps.push_back(ctl::MakeBatchStep(MsgType::kAddDest, Dest(v6, "2001:db8:1::10", 53, ctl::Fwd::kRoute)));
  batch.steps.push_back(ctl::MakeBatchStep(MsgType::kAddService, mark));
  batch.steps.push_back(ctl::MakeBatchStep(MsgType::kAddDest, Dest(mark, "198.18.1.10", 0, ctl::Fwd::kRoute)));
  batch.steps.push_back(ctl::MakeBatchStep(MsgType::kSetTimeouts, ctl::TimeoutsMsg{900, 120, 300}));
  Write("ctl", "batch_v6_fwmark_timeouts",
        Stream().Add(MsgType::kBatch, batch).Add(MsgType::kGetServices, ctl::Empty{}).Add(MsgType::kGetTimeouts,
                                                                                        ctl::Empty{}).bytes());
  ctl::DaemonConfig master;
  master.state = ctl::kStateMaster;
  master.mcast_ifn = "lo";
  master.syncid = 7;
  Write("ctl", "sync_daemons",
        Stream()
            .Add(MsgType::kStartDaemon, master)
            .Add(MsgType::kGetDaemons, ctl::Empty{})
            .Add(MsgType::kStopDaemon, ctl::DaemonStop{ctl::kStateMaster})
            .bytes());
  ctl::HealthReport report;
  report.entries.push_back(ctl::HealthEntry{web.key, *net::IpAddr::Parse("198.18.1.10"), 8080, ctl::kHealthDown});
  Write("ctl", "health_conns_dataplane",
        Stream()
            .Add(MsgType::kReportHealth, report)
            .Add(MsgType::kGetConns, ctl::ConnCursor{0, 0, 1})
            .Add(MsgType::kGetConns, ctl::ConnCursor{0, 1, 0})
            .Add(MsgType::kGetDataPlane, ctl::Empty{})
            .bytes());
}

// ---- sync datagrams -------------------------------------------------------------------------

constexpr uint8_t kSigned = 0x01;
constexpr uint8_t kReplay = 0x08;  // with kSigned: the previous datagram's sequence number
constexpr uint8_t kSyncid7 = 0x04;  // bits 1-2 = 2: the backup's syncid is 7

ipvsd::core::SyncRecord Conn(const char* c, uint16_t cport, const char* v, uint16_t vport, const char* d,
                             uint16_t dport, uint8_t proto, uint32_t flags, uint16_t state) {
  ipvsd::core::SyncRecord r;
  net::IpAddr ca = *net::IpAddr::Parse(c);
  r.af = ca.family;
  r.protocol = proto;
  r.caddr = ca.raw;
  r.vaddr = net::IpAddr::Parse(v)->raw;
  r.daddr = net::IpAddr::Parse(d)->raw;
  r.cport = cport;
  r.vport = vport;
  r.dport = dport;
  r.flags = flags;
  r.state = state;
  r.timeout_s = 900;
  return r;
}

Bytes Message(uint8_t syncid, const std::vector<ipvsd::core::SyncRecord>& conns) {
  sync::SyncPacker packer(syncid, 1472);
  for (const auto& r : conns) (void)packer.Add(r);
  return *packer.Flush();
}

void SyncSeeds() {
  constexpr uint32_t kMasq = 0, kTunnel = 2, kRoute = 3, kTemplate = 0x1000;
  constexpr uint16_t kTcpEstablished = 1, kUdpNormal = 0;
  const auto nat = Conn("198.18.0.5", 40000, "198.19.0.1", 80, "198.18.1.10", 8080, net::kProtoTcp, kMasq,
                        kTcpEstablished);
  const auto dr = Conn("198.18.0.5", 40001, "198.19.0.2", 80, "198.18.1.11", 80, net::kProtoTcp, kRoute,
                       kTcpEstablished);
  const auto tmpl = Conn("198.18.0.5", 0, "198.19.0.1", 53, "198.18.1.10", 5353, net::kProtoUdp, kMasq | kTemplate,
                         kUdpNormal);
  const auto udp = Conn("198.18.0.5", 40002, "198.19.0.1", 53, "198.18.1.10", 5353, net::kProtoUdp, kMasq, kUdpNormal);
  const auto v6 = Conn("2001:db8:c::5", 40000, "2001:db8:f::2", 80, "2001:db8:1::10", 80, net::kProtoTcp, kTunnel,
                       kTcpEstablished);
  Bytes seed;
  ipvsd::fuzz::AppendRecord(&seed, 0, Message(0, {nat, dr}));
  Write("sync", "v1_nat_dr", seed);
  seed.clear();
  ipvsd::fuzz::AppendRecord(&seed, kSyncid7, Message(7, {tmpl, udp}));
  ipvsd::fuzz::AppendRecord(&seed, 0x60, Message(7, {udp}));  // later: an update
  Write("sync", "v1_template_then_update", seed);
  seed.clear();
  ipvsd::fuzz::AppendRecord(&seed, kSigned, Message(0, {v6}));
  Write("sync", "v1_ipv6_tun_signed", seed);
  ipvsd::fuzz::AppendRecord(&seed, kSigned | kReplay, Message(0, {v6}));
  Write("sync", "v1_signed_then_replayed", seed);
  // A version-0 message: header (count, syncid, size) and one 24-byte IPv4 entry.
  const Bytes v0 = {1,    0,    0,    28,   0,    net::kProtoTcp, 0x9c, 0x40, 0,    80,   0x1f, 0x90, 198, 18,
                    0,    5,    198,  19,   0,    1,              198,  18,   1,    10,   0,    0,    0,    1};
  seed.clear();
  ipvsd::fuzz::AppendRecord(&seed, 0, v0);
  Write("sync", "v0_nat", seed);
  seed.clear();
  ipvsd::fuzz::AppendRecord(&seed, 0, sync::EncodePullRequest({0, 0x1234}));
  Write("sync", "pull_request", seed);
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: %s CORPUS_DIR\n", argv[0]);
    return 2;
  }
  g_root = argv[1];
  ParseSeeds();
  WorkerSeeds();
  CtlSeeds();
  SyncSeeds();
  return 0;
}
