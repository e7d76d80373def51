// engine_demo: the whole ipvsd engine in memory, no interfaces needed. It configures
// virtual services as `ipvsadm` would, pushes real client frames (TCP handshakes, UDP
// datagrams) through a Worker over the loopback I/O, and prints where each scheduler sent
// the connections, what the real servers would see, and the counters.
#include <cstdio>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "core/service_manager.h"
#include "dataplane/worker.h"
#include "io/loopback/loopback_io.h"
#include "net/headers.h"
#include "net/packet_view.h"
#include "sched/registry.h"
#include "tests/testing/packet_builder.h"

namespace ipvsd {
namespace {

net::IpAddr Ip(const char* s) { return *net::IpAddr::Parse(s); }

struct Director {
  Director() : services(&sched::MakeScheduler) {
    net::StaticRouter::Route r;
    r.prefix = Ip("198.18.0.0");
    r.prefix_len = 15;
    r.hop.ifindex = 2;
    r.hop.src_addr = Ip("198.18.1.254").raw;
    router.AddRoute(r);
    dataplane::Worker::Env env{&services, &timeouts, &settings, &services.total_stats(), &router, &clock};
    worker = std::make_unique<dataplane::Worker>(dataplane::Worker::Options{}, env);
  }
  core::ServiceManager services;
  core::Timeouts timeouts;
  core::Settings settings;
  net::StaticRouter router;
  FakeClock clock{1'000'000'000};
  io::LoopbackIo io;
  std::unique_ptr<dataplane::Worker> worker;
};

const char* kServers[] = {"198.18.1.11", "198.18.1.12", "198.18.1.13"};

// Sends `clients` TCP connections (SYN, then ACK) to 198.19.0.1:80 and returns how many
// SYNs each real server received.
std::map<std::string, int> RunTcp(const char* sched, const int weights[3], core::FwdMethod fwd, int clients) {
  Director d;
  core::ServiceConfig svc;
  svc.key.protocol = net::kProtoTcp;
  svc.key.addr = Ip("198.19.0.1").raw;
  svc.key.port = 80;
  svc.sched_name = sched;
  (void)d.services.AddService(svc);
  for (int i = 0; i < 3; ++i) {
    core::DestConfig dest;
    dest.addr = Ip(kServers[i]);
    dest.port = fwd == core::FwdMethod::kMasq ? 8080 : 80;
    dest.fwd = fwd;
    dest.weight = weights[i];
    (void)d.services.AddDest(svc.key, dest);
  }
  for (int c = 0; c < clients; ++c) {
    char src[32];
    std::snprintf(src, sizeof src, "198.18.0.%d", 10 + c % 200);
    for (uint8_t flags : {net::kTcpSyn, net::kTcpAck}) {
      d.io.Inject(testing::PacketBuilder()
                      .Eth("02:00:00:00:00:01", "02:00:00:00:00:d1")
                      .Ipv4(src, "198.19.0.1")
                      .Tcp(static_cast<uint16_t>(40000 + c), 80, flags)
                      .Build());
    }
  }
  while (d.io.pending() > 0) d.worker->Poll(d.io);
  std::map<std::string, int> per_server;
  for (auto& p : d.io.sent()) {
    net::PacketView v;
    if (net::Parse(p.bytes.data(), static_cast<uint32_t>(p.bytes.size()), &v) != net::ParseStatus::kOk) continue;
    if (!(v.tcp_flags & net::kTcpSyn)) continue;
    net::RawAddr to = v.dst;
    if (fwd == core::FwdMethod::kRoute) {
      // DR leaves the IP header alone: the real server is told by the MAC, so ask the table.
      for (auto& c : d.worker->ListConns(d.clock.NowTicks())) {
        if (c.cport == v.sport && c.caddr == v.src) to = c.daddr;
      }
    }
    ++per_server[net::IpAddr{to, net::Family::kInet}.ToString()];
  }
  auto table = d.services.table();
  const core::ServicePtr s = table->InOrder().front();
  std::printf("  %-5s weights %d,%d,%d:", sched, weights[0], weights[1], weights[2]);
  for (const char* srv : kServers) std::printf("  %s=%-3d", srv, per_server[srv]);
  int active = 0, inactive = 0;
  for (const auto& dest : s->dests) {
    active += dest->activeconns();
    inactive += dest->inactconns();
  }
  std::printf("  (ActiveConn %d, InActConn %d, Conns %llu)\n", active, inactive,
              static_cast<unsigned long long>(s->stats->Total().conns));
  return per_server;
}

void ShowOnePacket() {
  Director d;
  core::ServiceConfig svc;
  svc.key.protocol = net::kProtoUdp;
  svc.key.addr = Ip("198.19.0.1").raw;
  svc.key.port = 53;
  svc.sched_name = "rr";
  (void)d.services.AddService(svc);
  core::DestConfig dest;
  dest.addr = Ip("198.18.1.11");
  dest.port = 5353;
  dest.fwd = core::FwdMethod::kMasq;
  (void)d.services.AddDest(svc.key, dest);
  d.io.Inject(testing::PacketBuilder()
                  .Eth("02:00:00:00:00:01", "02:00:00:00:00:d1")
                  .Ipv4("198.18.0.5", "198.19.0.1")
                  .Udp(40000, 53)
                  .Payload("hello")
                  .Build());
  d.worker->Poll(d.io);
  net::PacketView v;
  auto& out = d.io.sent().at(0).bytes;
  (void)net::Parse(out.data(), static_cast<uint32_t>(out.size()), &v);
  std::printf("  in : UDP 198.18.0.5:40000 -> 198.19.0.1:53 \"hello\"\n");
  std::printf("  out: UDP %s:%u -> %s:%u (TTL %u, rewritten by NAT, checksums fixed incrementally)\n",
              net::IpAddr{v.src, v.family}.ToString().c_str(), v.sport, net::IpAddr{v.dst, v.family}.ToString().c_str(),
              v.dport, v.ttl);
}

}  // namespace
}  // namespace ipvsd

int main() {
  using namespace ipvsd;
  std::printf("ipvsd engine demo: one director, VIP 198.19.0.1, three real servers %s %s %s\n\n", kServers[0],
              kServers[1], kServers[2]);
  std::printf("One UDP datagram through a NAT service (ipvsadm -A -u 198.19.0.1:53 -s rr; -a ... -r %s:5353 -m):\n",
              kServers[0]);
  ShowOnePacket();
  std::printf("\n30 TCP connections per scheduler (ipvsadm -A -t 198.19.0.1:80 -s SCHED; three -a -m -w W):\n");
  const int equal[3] = {1, 1, 1};
  const int weighted[3] = {3, 2, 1};
  RunTcp("rr", equal, core::FwdMethod::kMasq, 30);
  RunTcp("wrr", weighted, core::FwdMethod::kMasq, 30);
  RunTcp("wlc", weighted, core::FwdMethod::kMasq, 30);
  RunTcp("sh", equal, core::FwdMethod::kMasq, 30);
  RunTcp("mh", equal, core::FwdMethod::kMasq, 30);
  RunTcp("fo", weighted, core::FwdMethod::kMasq, 30);
  std::printf("\nThe same with direct routing (-g): only the MAC changes, the real server owns the VIP:\n");
  RunTcp("rr", equal, core::FwdMethod::kRoute, 30);
  std::printf("\nEvery connection above completed its handshake, so it counts as active (ESTABLISHED).\n");
  return 0;
}
