// File: sched/sched_test_util.h
//
// Test helpers for the schedulers: a service's destination list kept in the kernel's order
// (a new destination goes to the head), one-letter labels for the destinations so that pick
// sequences read as strings ("AABABC"), and flow builders.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "core/dest.h"
#include "core/scheduler.h"

namespace ipvsd::sched::test_util {

// TEST-NET-style addresses inside 198.18.0.0/15, as every ipvsd test uses.
inline net::IpAddr DestAddr(int i) { return net::IpAddr::V4(0xc6120100u + static_cast<uint32_t>(i)); }
inline net::IpAddr ClientAddr(uint32_t i) { return net::IpAddr::V4(0xc6130000u + i); }

class DestList {
 public:
  explicit DestList(core::Scheduler& scheduler) : scheduler_(scheduler) { Notify(); }

  // Adds a destination labelled 'A', 'B', ... in creation order, at the list head as
  // ip_vs_add_dest does, and tells the scheduler.
  core::Dest* Add(int weight) {
    const int index = static_cast<int>(owned_.size());
    core::DestConfig config;
    config.addr = DestAddr(index);
    config.port = 80;
    config.weight = weight;
    owned_.push_back(std::make_unique<core::Dest>(config));
    core::Dest* d = owned_.back().get();
    d->SetAvailable(true);
    labels_[d] = static_cast<char>('A' + index);
    list_.insert(list_.begin(), d);
    Notify();
    return d;
  }

  // Deletes a destination from the service; the object stays alive, as in the trash.
  void Remove(core::Dest* d) {
    d->SetAvailable(false);
    std::erase(list_, d);
    Notify();
  }

  // Adds a removed destination back, at the head (the kernel revives it from the trash).
  void Readd(core::Dest* d) {
    d->SetAvailable(true);
    list_.insert(list_.begin(), d);
    Notify();
  }

  void SetWeight(core::Dest* d, int weight) {
    core::DestConfig config = d->config();
    config.weight = weight;
    d->Update(config);
    Notify();
  }

  // Marks a destination overloaded the way the kernel gets there: an edit sets an upper
  // threshold of 1, then one connection reaches it.
  void Overload(core::Dest* d) {
    core::DestConfig config = d->config();
    config.u_threshold = 1;
    d->Update(config);
    Notify();
    d->BindConn(true);
  }

  char Label(const core::Dest* d) const {
    if (d == nullptr) return '-';
    auto it = labels_.find(d);
    return it == labels_.end() ? '?' : it->second;
  }

  const std::vector<core::Dest*>& list() const { return list_; }

 private:
  void Notify() { scheduler_.OnDestsChanged(list_); }

  core::Scheduler& scheduler_;
  std::vector<std::unique_ptr<core::Dest>> owned_;
  std::vector<core::Dest*> list_;
  std::map<const core::Dest*, char> labels_;
};

inline core::FlowKey TcpFlow(uint32_t client, uint16_t sport = 40000, uint32_t vip_index = 1) {
  core::FlowKey flow;
  flow.family = net::Family::kInet;
  flow.protocol = 6;
  flow.saddr = ClientAddr(client).raw;
  flow.daddr = net::RawAddr::FromV4(0xc6120000u + vip_index);
  flow.sport = sport;
  flow.dport = 80;
  return flow;
}

// A flow to destination address 198.19.128.0 + `daddr_index` (lblc, lblcr and dh key on it).
inline core::FlowKey FlowTo(uint32_t daddr_index) {
  core::FlowKey flow = TcpFlow(1);
  flow.daddr = net::RawAddr::FromV4(0xc6138000u + daddr_index);  // 198.19.128.0 + i
  return flow;
}

// The labels of `n` picks of the same flow at time `now`.
inline std::string Picks(core::Scheduler& s, const DestList& dests, int n,
                         const core::FlowKey& flow = TcpFlow(1), Ticks now = 0) {
  std::string out;
  for (int i = 0; i < n; ++i) out += dests.Label(s.Pick(flow, now));
  return out;
}

// Time for the locality schedulers' expiry (lblc, lblcr).
inline constexpr Ticks kMinute = SecondsToTicks(60);
inline constexpr Ticks kHour = 60 * kMinute;
inline constexpr Ticks kStart = 1000;

// The label of the destination `s` picks for a flow to destination address `daddr` at `now`.
inline char PickAt(core::Scheduler& s, const DestList& dests, uint32_t daddr, Ticks now) {
  return dests.Label(s.Pick(FlowTo(daddr), now));
}

}  // namespace ipvsd::sched::test_util
