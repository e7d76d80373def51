// File: sched/dh.h
//
// dh — Destination Hashing (kernel: net/netfilter/ipvs/ip_vs_dh.c), for cache clusters:
// the destination address the client asked for picks one of 256 buckets, hash_32(fold(daddr),
// 8), and each bucket holds a fixed server. The buckets are dealt to the destinations in list
// order, one each, round and round, regardless of weight. There is no fallback: when the
// bucket's server is unavailable, quiesced (weight 0) or overloaded the connection gets no
// destination (the cache_bypass case of the kernel).
// Pick: O(1). OnDestsChanged: O(256).
#pragma once

#include <array>
#include <span>
#include <string_view>

#include "core/scheduler.h"
#include "sched/hash_table.h"

namespace ipvsd::sched {

class DhScheduler final : public core::Scheduler {
 public:
  std::string_view name() const override { return "dh"; }
  void OnDestsChanged(std::span<core::Dest* const> dests) override;
  core::Dest* Pick(const core::FlowKey& flow, Ticks now) override;

 private:
  std::array<core::Dest*, kHashTableSize> buckets_{};
};

}  // namespace ipvsd::sched
