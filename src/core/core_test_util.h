// File: core/core_test_util.h
//
// Helpers for the core unit tests: a minimal round-robin scheduler (the real ones live in
// sched/, which core must not depend on) and builders for services, destinations and parsed
// packets.
#pragma once

#include <memory>
#include <vector>

#include "core/service_manager.h"
#include "net/headers.h"
#include "net/packet_view.h"

namespace ipvsd::core::testing {

// Cycles through the available destinations with weight > 0 in list order.
class CyclingScheduler final : public Scheduler {
 public:
  std::string_view name() const override { return "rr"; }
  void OnDestsChanged(std::span<Dest* const> dests) override {
    dests_.assign(dests.begin(), dests.end());
    next_ = 0;
  }
  Dest* Pick(const FlowKey&, Ticks) override {
    for (size_t i = 0; i < dests_.size(); ++i) {
      Dest* d = dests_[(next_ + i) % dests_.size()];
      if (d->weight() > 0 && !d->overloaded()) {
        next_ = (next_ + i + 1) % dests_.size();
        return d;
      }
    }
    return nullptr;
  }

 private:
  std::vector<Dest*> dests_;
  size_t next_ = 0;
};

inline ServiceManager::SchedulerFactory TestFactory() {
  return [](std::string_view name, uint32_t) -> Result<std::unique_ptr<Scheduler>> {
    if (name != "rr" && name != "wlc") return MakeError(ENOENT, "unknown scheduler");
    return std::unique_ptr<Scheduler>(std::make_unique<CyclingScheduler>());
  };
}

inline net::IpAddr Ip(const char* s) { return *net::IpAddr::Parse(s); }

inline ServiceKey TcpKey(const char* vip, uint16_t port) {
  ServiceKey k;
  k.family = Ip(vip).family;
  k.protocol = net::kProtoTcp;
  k.addr = Ip(vip).raw;
  k.port = port;
  return k;
}

inline DestConfig DestAt(const char* addr, uint16_t port, FwdMethod fwd = FwdMethod::kMasq, int weight = 1) {
  DestConfig d;
  d.addr = Ip(addr);
  d.port = port;
  d.fwd = fwd;
  d.weight = weight;
  return d;
}

// A parsed view of a packet without bytes behind it: enough for scheduling and states.
inline net::PacketView Packet(uint8_t proto, const char* src, uint16_t sport, const char* dst, uint16_t dport,
                              uint8_t tcp_flags = 0) {
  net::PacketView v;
  v.family = Ip(src).family;
  v.protocol = proto;
  v.src = Ip(src).raw;
  v.dst = Ip(dst).raw;
  v.sport = sport;
  v.dport = dport;
  v.tcp_flags = tcp_flags;
  return v;
}

}  // namespace ipvsd::core::testing
