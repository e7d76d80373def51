// File: golden/dataplane_fixture.h
//
// A complete in-memory data plane for cross-layer tests: a ServiceManager with the real
// schedulers, a Worker, a static router for a two-sided director and the loopback I/O.
#pragma once

#include <gtest/gtest.h>

#include <cstdio>
#include <memory>
#include <string_view>
#include <vector>

#include "core/service_manager.h"
#include "dataplane/worker.h"
#include "io/loopback/loopback_io.h"
#include "sched/registry.h"

namespace ipvsd::testing {

// The director: interface 1 towards clients (198.18.0.0/24, 2001:db8:c::/64), interface 2
// towards real servers (198.18.1.0/24, 2001:db8:1::/64).
inline constexpr const char* kClientMac = "02:00:00:00:00:01";
inline constexpr const char* kDir1Mac = "02:00:00:00:00:d1";
inline constexpr const char* kDir2Mac = "02:00:00:00:00:d2";
inline constexpr const char* kRsMac = "02:00:00:00:01:01";

inline net::MacAddr Mac(const char* s) {
  net::MacAddr m{};
  std::sscanf(s, "%hhx:%hhx:%hhx:%hhx:%hhx:%hhx", &m.bytes[0], &m.bytes[1], &m.bytes[2], &m.bytes[3], &m.bytes[4],
              &m.bytes[5]);
  return m;
}
inline net::IpAddr Ip(const char* s) { return *net::IpAddr::Parse(s); }

class DataPlane {
 public:
  DataPlane() : services_(&sched::MakeScheduler) {
    auto route = [&](const char* prefix, int len, uint32_t ifindex, const char* src_mac, const char* src,
                     uint32_t mtu) {
      net::StaticRouter::Route r;
      r.prefix = Ip(prefix);
      r.prefix_len = len;
      r.hop.ifindex = ifindex;
      r.hop.src_mac = Mac(src_mac);
      r.hop.src_addr = Ip(src).raw;
      r.hop.mtu = mtu;
      router_.AddRoute(r);
    };
    route("198.18.0.0", 24, 1, kDir1Mac, "198.18.0.254", 1500);
    route("198.18.1.0", 24, 2, kDir2Mac, "198.18.1.254", 1500);
    route("2001:db8:c::", 64, 1, kDir1Mac, "2001:db8:c::fe", 1500);
    route("2001:db8:1::", 64, 2, kDir2Mac, "2001:db8:1::fe", 1500);
    for (const char* a : {"198.18.0.5", "2001:db8:c::5"}) router_.AddNeighbour({Ip(a), Mac(kClientMac)});
    for (const char* a : {"198.18.1.10", "2001:db8:1::10"}) router_.AddNeighbour({Ip(a), Mac(kRsMac)});
    MakeWorker(nullptr);
  }

  // A new worker (its table empty) that hands established flows to `offload`.
  void MakeWorker(io::FlowOffload* offload) {
    dataplane::Worker::Env env{&services_, &timeouts_, &settings_, &services_.total_stats(), &router_, &clock_};
    env.flow_offload = offload;
    worker_ = std::make_unique<dataplane::Worker>(dataplane::Worker::Options{}, env);
  }

  core::ServiceKey AddService(uint8_t proto, const char* vip, uint16_t port, const char* sched = "rr",
                              uint32_t flags = 0, uint32_t timeout = 0) {
    core::ServiceConfig c;
    c.key.family = Ip(vip).family;
    c.key.protocol = proto;
    c.key.addr = Ip(vip).raw;
    c.key.port = port;
    c.sched_name = sched;
    c.flags = flags;
    c.timeout = timeout;
    if (c.key.family == net::Family::kInet6) c.netmask = 128;
    EXPECT_TRUE(services_.AddService(c).ok());
    return c.key;
  }
  void AddDest(const core::ServiceKey& k, const char* addr, uint16_t port, core::FwdMethod fwd, int weight = 1,
               core::TunType tun = core::TunType::kIpip, uint16_t tun_port = 0,
               core::TunCsum csum = core::TunCsum::kNoCsum) {
    core::DestConfig d;
    d.addr = Ip(addr);
    d.port = port;
    d.fwd = fwd;
    d.weight = weight;
    d.tun_type = tun;
    d.tun_port = tun_port;
    d.tun_csum = csum;
    Status st = services_.AddDest(k, d);
    EXPECT_TRUE(st.ok()) << st.error().message;
  }

  // Runs one frame through the worker: the verdict, and the frame as it leaves. With
  // `offload`, the frame arrives with that frame's offload state (gso_size, gso_type,
  // csum_partial) as AF_PACKET --gso hands it over, and *offload gets the state it leaves with.
  dataplane::Verdict Run(const std::vector<uint8_t>& in, std::vector<uint8_t>* out, uint32_t* out_ifindex = nullptr,
                         net::Frame* offload = nullptr) {
    io_.Inject(in, 1);
    net::Frame f[1];
    EXPECT_EQ(io_.Receive(f), 1u);
    if (offload) {
      f[0].gso_size = offload->gso_size;
      f[0].gso_type = offload->gso_type;
      f[0].csum_partial = offload->csum_partial;
    }
    dataplane::Verdict v[1];
    worker_->Process(std::span(f, 1), std::span(v, 1));
    if (offload) *offload = f[0];
    out->assign(f[0].data(), f[0].data() + f[0].len);
    if (out_ifindex) *out_ifindex = f[0].ifindex;
    io_.Drop(std::span(f, 1));
    return v[0];
  }

  // Runs frames through the worker as one burst (one Process call); the verdicts, and the
  // frames as they leave.
  std::vector<dataplane::Verdict> RunBurst(const std::vector<std::vector<uint8_t>>& in,
                                           std::vector<std::vector<uint8_t>>* out) {
    for (const auto& bytes : in) io_.Inject(bytes, 1);
    std::vector<net::Frame> f(in.size());
    EXPECT_EQ(io_.Receive(f), in.size());
    std::vector<dataplane::Verdict> v(in.size());
    worker_->Process(f, v);
    out->clear();
    for (const net::Frame& x : f) out->emplace_back(x.data(), x.data() + x.len);
    io_.Drop(f);
    return v;
  }

  // Frames the worker counted under the drop reason of that name (as ipvsadm --json, /metrics
  // and the status page show it); 0 for a name the worker does not know.
  uint64_t Drops(std::string_view reason) const {
    for (int r = 0; r < dataplane::kDropReasonCount; ++r) {
      const auto d = static_cast<dataplane::DropReason>(r);
      if (reason == dataplane::DropReasonName(d)) return worker_->counters().drops_of(d);
    }
    return 0;
  }

  core::ServiceManager services_;
  core::Timeouts timeouts_;
  core::Settings settings_;
  net::StaticRouter router_;
  FakeClock clock_{1'000'000'000};
  io::LoopbackIo io_{1u << 17, 64};  // room for 64 KB TCP aggregates
  std::unique_ptr<dataplane::Worker> worker_;
};

}  // namespace ipvsd::testing
