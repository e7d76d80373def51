// File: sched/nq.h
//
// nq — Never Queue (kernel: net/netfilter/ipvs/ip_vs_nq.c). Two speeds: the first usable
// destination (not overloaded, weight > 0) with no active connection takes the new one at
// once, even if a faster server exists; when every server is busy, sed's choice,
// (activeconns + 1) / weight, with ties to the first in list order.
// Pick: O(n). OnDestsChanged: O(n).
#pragma once

#include <span>
#include <string_view>
#include <vector>

#include "core/scheduler.h"

namespace ipvsd::sched {

class NqScheduler final : public core::Scheduler {
 public:
  std::string_view name() const override { return "nq"; }
  void OnDestsChanged(std::span<core::Dest* const> dests) override;
  core::Dest* Pick(const core::FlowKey& flow, Ticks now) override;

 private:
  std::vector<core::Dest*> dests_;
};

}  // namespace ipvsd::sched
