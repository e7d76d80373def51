// File: sched/fo.h
//
// fo — Weighted Failover (kernel: net/netfilter/ipvs/ip_vs_fo.c). Every new connection goes
// to the not-overloaded destination with the highest weight; weight 0 never qualifies, and
// among equal weights the first in list order wins. Lowering the active server's weight (or
// its overload) fails over to the next one.
// Pick: O(n). OnDestsChanged: O(n).
#pragma once

#include <span>
#include <string_view>
#include <vector>

#include "core/scheduler.h"

namespace ipvsd::sched {

class FoScheduler final : public core::Scheduler {
 public:
  std::string_view name() const override { return "fo"; }
  void OnDestsChanged(std::span<core::Dest* const> dests) override;
  core::Dest* Pick(const core::FlowKey& flow, Ticks now) override;

 private:
  std::vector<core::Dest*> dests_;
};

}  // namespace ipvsd::sched
