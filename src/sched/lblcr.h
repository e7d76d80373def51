// File: sched/lblcr.h
//
// lblcr — Locality-Based Least Connection with Replication (kernel:
// net/netfilter/ipvs/ip_vs_lblcr.c). As lblc, but a destination address maps to a SET of
// servers, so a hot origin can be served by several caches:
//   set = cache[daddr]; n = the weighted least-connection member (available, weight > 0,
//   not overloaded), new members first on ties
//   if the set has more than one member and was last changed lblcr_expiration ago:
//     drop its weighted most-loaded member (the set shrinks back when the load has gone)
//   if there is no n, or n is overloaded in lblc's sense:
//     n = wlc's choice over the whole service; add n to the set
// Entries expire as lblc's (see locality.h). Entries and set members come from pools sized
// at construction (16384 entries, twice as many members); when the member pool runs out the
// server is used without being added, as the kernel does when it cannot allocate a member.
// Deviation: a member whose server has left the service (kept by the kernel in its trash
// with its weight and draining connections, which we can no longer read) is the first to be
// dropped when the set shrinks.
// Pick: O(set + n) (O(n) for the overload rule and a miss); a due expiration check costs
// O(cache). OnDestsChanged: O(n * slots).
#pragma once

#include <cstdint>
#include <span>
#include <string_view>
#include <vector>

#include "core/scheduler.h"
#include "sched/locality.h"

namespace ipvsd::sched {

class LblcrScheduler final : public core::Scheduler {
 public:
  // `key` keys the cache's buckets (locality.h); tests may fix it.
  explicit LblcrScheduler(Ticks expiration = kLocalityDefaultExpiration, const HashKey& key = RandomHashKey());

  std::string_view name() const override { return "lblcr"; }
  void OnDestsChanged(std::span<core::Dest* const> dests) override;
  core::Dest* Pick(const core::FlowKey& flow, Ticks now) override;

  // Number of destination addresses in the cache.
  size_t cached_entries() const { return cache_.size(); }

 private:
  // struct ip_vs_dest_set: members chained through elems_, newest first.
  struct DestSet {
    int32_t head = -1;
    int32_t size = 0;
    Ticks lastmod = 0;
  };
  struct Member {
    uint32_t slot = 0;
    int32_t next = -1;
  };
  static constexpr uint32_t kNoSlot = UINT32_MAX;

  void SetInsert(DestSet& set, uint32_t slot, bool check, Ticks now);
  void SetErase(DestSet& set, uint32_t slot, Ticks now);
  void SetEraseAll(DestSet& set);
  core::Dest* SetMin(const DestSet& set) const;
  uint32_t SetMax(const DestSet& set) const;

  std::vector<core::Dest*> dests_;
  DestSlots slots_;
  LocalityCache<DestSet> cache_;
  std::vector<Member> members_;
  int32_t free_member_ = 0;
};

}  // namespace ipvsd::sched
