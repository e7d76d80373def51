// File: sched/lc.h
//
// lc — Least Connection (kernel: net/netfilter/ipvs/ip_vs_lc.c). Picks the destination with
// the smallest overhead, (activeconns << 8) + inactconns, ignoring weights except that
// weight 0 (quiesced) and overloaded destinations are skipped. The comparison is strict, so
// among equals the first in list order (the most recently added) wins.
// Pick: O(n). OnDestsChanged: O(n).
#pragma once

#include <span>
#include <string_view>
#include <vector>

#include "core/scheduler.h"

namespace ipvsd::sched {

class LcScheduler final : public core::Scheduler {
 public:
  std::string_view name() const override { return "lc"; }
  void OnDestsChanged(std::span<core::Dest* const> dests) override;
  core::Dest* Pick(const core::FlowKey& flow, Ticks now) override;

 private:
  std::vector<core::Dest*> dests_;
};

}  // namespace ipvsd::sched
