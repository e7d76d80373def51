// File: sched/lblc.h
//
// lblc — Locality-Based Least Connection (kernel: net/netfilter/ipvs/ip_vs_lblc.c), for
// cache clusters: connections to the same destination address go to the same server, so
// each server's cache holds its own share of the origins.
//   server = cache[daddr]
//   if there is none, or it is unavailable, quiesced, or overloaded in lblc's sense (more
//   active connections than its weight while some server is under half of its own):
//     server = wlc's choice over the whole service; cache[daddr] = server
// Each hit refreshes the entry; entries unused for lblc_expiration (24 h by default) are
// dropped by the kernel's periodic check (see locality.h for the timing and the 6-minute
// collection of a full table). The cache has a fixed capacity (the kernel's max_size, 16384
// entries), allocated at construction: Pick never allocates.
// Pick: O(1) on a valid hit (plus O(n) for the overload rule when the server is past its
// weight), O(n) on a miss; a due expiration check costs O(cache). OnDestsChanged: O(n * slots).
#pragma once

#include <cstdint>
#include <span>
#include <string_view>
#include <vector>

#include "core/scheduler.h"
#include "sched/locality.h"

namespace ipvsd::sched {

class LblcScheduler final : public core::Scheduler {
 public:
  // `key` keys the cache's buckets (locality.h); tests may fix it.
  explicit LblcScheduler(Ticks expiration = kLocalityDefaultExpiration, const HashKey& key = RandomHashKey());

  std::string_view name() const override { return "lblc"; }
  void OnDestsChanged(std::span<core::Dest* const> dests) override;
  core::Dest* Pick(const core::FlowKey& flow, Ticks now) override;

  // Number of destination addresses in the cache.
  size_t cached_entries() const { return cache_.size(); }

 private:
  std::vector<core::Dest*> dests_;
  DestSlots slots_;
  LocalityCache<uint32_t> cache_;  // payload: the server's slot
};

}  // namespace ipvsd::sched
