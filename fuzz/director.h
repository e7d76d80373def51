// File: fuzz/director.h
//
// The director the worker and sync harnesses drive: tests/golden/dataplane_fixture.h's
// DataPlane (services, router, loopback I/O) with one service of each kind, built once per
// process, and a fresh Worker with a clock of its own for every input, so that no connection
// and no timer carries over from one input to the next.
//
//   FreshWorker w(Director());
//   w.worker().Process(frames, verdicts);
//   w.ExpireAll();  // aborts if a real server still counts a connection afterwards
#pragma once

#include <cstdint>
#include <cstdlib>

#include "core/service_manager.h"
#include "dataplane/worker.h"
#include "net/headers.h"
#include "tests/golden/dataplane_fixture.h"

namespace ipvsd::fuzz {

// A broken promise is a finding: abort, so that libFuzzer saves the input.
inline void Check(bool ok) {
  if (!ok) std::abort();
}

inline constexpr uint32_t kFwmark = 1;
// Small tables keep a fresh worker per input cheap; a full table is a verdict like any other.
inline constexpr uint32_t kConnCapacity = 1024;
// At least any timeout there is (TCP established 900 s, persistence 300 s, the 2^26 s that
// core/conn_sync.cc allows a sync message), and short of the 2^27 s (2^31 ticks) beyond which
// the timer wheel's signed tick differences would no longer see the time as later.
inline constexpr uint32_t kExpireAllSeconds = 1u << 26;
// Connections, then the templates they kept alive, then any template a template kept.
inline constexpr int kExpireAllRounds = 3;

// NAT, DR and TUN (ipip, GRE, GUE) over TCP, UDP and SCTP, IPv4 and IPv6, with persistence,
// a port-0 service, one-packet scheduling and a firewall-mark service. Real servers
// 198.18.1.10/.11 and 2001:db8:1::10 behind interface 2; clients 198.18.0.5 and 2001:db8:c::5
// behind interface 1 (dataplane_fixture.h's routes).
inline testing::DataPlane& Director() {
  static testing::DataPlane* dp = [] {
    using core::FwdMethod;
    using core::TunCsum;
    using core::TunType;
    auto* d = new testing::DataPlane();
    const uint8_t tcp = net::kProtoTcp, udp = net::kProtoUdp, sctp = net::kProtoSctp;
    d->AddDest(d->AddService(tcp, "198.19.0.1", 80), "198.18.1.10", 8080, FwdMethod::kMasq);
    d->AddDest(d->AddService(udp, "198.19.0.1", 53, "rr", core::kSvcPersistent, 300), "198.18.1.10", 5353,
               FwdMethod::kMasq);
    d->AddDest(d->AddService(sctp, "198.19.0.1", 3868), "198.18.1.10", 3869, FwdMethod::kMasq);
    core::ServiceKey dr = d->AddService(tcp, "198.19.0.2", 80, "sh");
    d->AddDest(dr, "198.18.1.10", 80, FwdMethod::kRoute);
    d->AddDest(dr, "198.18.1.11", 80, FwdMethod::kRoute, 2);
    d->AddDest(d->AddService(udp, "198.19.0.2", 0, "wlc", core::kSvcPersistent, 60), "198.18.1.11", 0,
               FwdMethod::kRoute);
    d->AddDest(d->AddService(udp, "198.19.0.3", 53), "198.18.1.10", 53, FwdMethod::kTunnel, 1, TunType::kGue, 6080,
               TunCsum::kCsum);
    d->AddDest(d->AddService(tcp, "198.19.0.3", 80), "198.18.1.10", 80, FwdMethod::kTunnel, 1, TunType::kIpip);
    d->AddDest(d->AddService(tcp, "198.19.0.3", 443), "198.18.1.11", 443, FwdMethod::kTunnel, 1, TunType::kGre, 0,
               TunCsum::kCsum);
    d->AddDest(d->AddService(udp, "198.19.0.4", 53, "rr", core::kSvcOnePacket), "198.18.1.10", 53, FwdMethod::kMasq);
    d->AddDest(d->AddService(tcp, "2001:db8:f::1", 80), "2001:db8:1::10", 8080, FwdMethod::kMasq);
    d->AddDest(d->AddService(udp, "2001:db8:f::1", 53), "2001:db8:1::10", 53, FwdMethod::kRoute);
    d->AddDest(d->AddService(tcp, "2001:db8:f::2", 80, "wlc", core::kSvcPersistent, 120), "2001:db8:1::10", 80,
               FwdMethod::kTunnel, 1, TunType::kIpip);
    d->AddDest(d->AddService(udp, "2001:db8:f::2", 53), "2001:db8:1::10", 53, FwdMethod::kTunnel, 1, TunType::kGue,
               6080);
    d->AddDest(d->AddService(sctp, "2001:db8:f::1", 3868), "2001:db8:1::10", 3868, FwdMethod::kMasq);
    core::ServiceConfig mark;
    mark.key.fwmark = kFwmark;
    mark.sched_name = "rr";
    Check(d->services_.AddService(mark).ok());
    core::DestConfig rs;
    rs.addr = testing::Ip("198.18.1.11");
    rs.fwd = FwdMethod::kRoute;
    rs.weight = 1;
    Check(d->services_.AddDest(mark.key, rs).ok());
    return d;
  }();
  return *dp;
}

// The sysctls of core::Settings from one input byte.
inline void ApplySettings(core::Settings& s, uint8_t bits) {
  s.sync_master_running.store(bits & 0x01);
  s.expire_nodest_conn.store(bits & 0x02);
  s.expire_quiescent_template.store(bits & 0x04);
  s.sloppy_tcp.store(bits & 0x08);
  s.sloppy_sctp.store(bits & 0x10);
  s.conn_reuse_mode.store((bits >> 5) & 0x03);
  s.synproxy.store(bits & 0x80);  // the TCP NAT services answer SYNs with cookies
}

class FreshWorker {
 public:
  explicit FreshWorker(testing::DataPlane& dp)
      : dp_(dp),
        clock_(1'000'000'000),
        worker_(dataplane::Worker::Options{.id = 0, .conn_capacity = kConnCapacity},
                dataplane::Worker::Env{&dp.services_, &dp.timeouts_, &dp.settings_, &dp.services_.total_stats(),
                                       &dp.router_, &clock_}) {}

  dataplane::Worker& worker() { return worker_; }
  FakeClock& clock() { return clock_; }

  // Step n of an input's 4-bit clock field: 2^(n-1) * 100 ms, 0 for n = 0; then the timers.
  void Advance(int n) {
    if (n != 0) clock_.AdvanceNs((1ull << (n - 1)) * 100'000'000ull);
    worker_.RunTimers(clock_.NowTicks());
  }

  // Lists what is left as ipvsadm -Lnc and a sync master would, runs the timers until every
  // connection and template has expired, and checks that no real server still counts a connection.
  void ExpireAll() {
    (void)worker_.ListConns(clock_.NowTicks());
    (void)worker_.SyncDump();
    for (int round = 0; round < kExpireAllRounds; ++round) {
      clock_.AdvanceSeconds(kExpireAllSeconds);
      worker_.RunTimers(clock_.NowTicks());
    }
    Check(worker_.conns().size() == 0);
    for (const core::ServicePtr& svc : dp_.services_.table()->InOrder()) {
      for (const core::DestPtr& d : svc->dests) {
        Check(d->activeconns() == 0 && d->inactconns() == 0 && d->persistconns() == 0);
      }
    }
  }

 private:
  testing::DataPlane& dp_;
  FakeClock clock_;
  dataplane::Worker worker_;
};

}  // namespace ipvsd::fuzz
