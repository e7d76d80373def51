// File: sched/sed.h
//
// sed — Shortest Expected Delay (kernel: net/netfilter/ipvs/ip_vs_sed.c; Weinrib and
// Shenker, "Greed is not enough", INFOCOM 1988). The expected delay on a destination is
// (activeconns + 1) / weight: the new connection counts itself, and inactive connections are
// ignored. Otherwise wlc's loop: the first usable destination (not overloaded, weight > 0)
// seeds the search, later ones only need to be not overloaded, strict comparison
// loh * dw > doh * lw, so ties go to the first in list order.
// Pick: O(n). OnDestsChanged: O(n).
#pragma once

#include <span>
#include <string_view>
#include <vector>

#include "core/scheduler.h"

namespace ipvsd::sched {

class SedScheduler final : public core::Scheduler {
 public:
  std::string_view name() const override { return "sed"; }
  void OnDestsChanged(std::span<core::Dest* const> dests) override;
  core::Dest* Pick(const core::FlowKey& flow, Ticks now) override;

 private:
  std::vector<core::Dest*> dests_;
};

}  // namespace ipvsd::sched
