// File: sched/wlc.h
//
// wlc — Weighted Least Connection, ipvsadm's default (kernel:
// net/netfilter/ipvs/ip_vs_wlc.c). Picks the destination with the smallest
// overhead / weight, overhead = (activeconns << 8) + inactconns, compared without division
// as loh * dw > doh * lw in 64 bits. The first usable destination (not overloaded, weight > 0)
// seeds the search; later ones only need to be not overloaded, since a weight-0 destination
// can never compare smaller. Strict comparison: ties go to the first in list order.
// Pick: O(n). OnDestsChanged: O(n).
//
// WeightedLeastConnIndex() is the same selection as a free function, because lblc and lblcr
// fall back to it (their __ip_vs_lblc_schedule / __ip_vs_lblcr_schedule are this loop).
#pragma once

#include <span>
#include <string_view>
#include <vector>

#include "core/scheduler.h"

namespace ipvsd::sched {

// Index in `dests` of the weighted least-connection destination, or -1 if none is usable.
int WeightedLeastConnIndex(std::span<core::Dest* const> dests);

class WlcScheduler final : public core::Scheduler {
 public:
  std::string_view name() const override { return "wlc"; }
  void OnDestsChanged(std::span<core::Dest* const> dests) override;
  core::Dest* Pick(const core::FlowKey& flow, Ticks now) override;

 private:
  std::vector<core::Dest*> dests_;
};

}  // namespace ipvsd::sched
