// File: sched/ovf.h
//
// ovf — Weighted Overflow (kernel: net/netfilter/ipvs/ip_vs_ovf.c). Connections go to the
// destination with the highest weight until its active connections exceed its weight, then
// overflow to the next highest, and so on; the weight doubles as a connection limit. Only
// active connections count, so it suits TCP better than UDP. Weight 0 and overloaded
// destinations are skipped, and ties go to the first in list order.
// Pick: O(n). OnDestsChanged: O(n).
#pragma once

#include <span>
#include <string_view>
#include <vector>

#include "core/scheduler.h"

namespace ipvsd::sched {

class OvfScheduler final : public core::Scheduler {
 public:
  std::string_view name() const override { return "ovf"; }
  void OnDestsChanged(std::span<core::Dest* const> dests) override;
  core::Dest* Pick(const core::FlowKey& flow, Ticks now) override;

 private:
  std::vector<core::Dest*> dests_;
};

}  // namespace ipvsd::sched
