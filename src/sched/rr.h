// File: sched/rr.h
//
// rr — Round Robin (kernel: net/netfilter/ipvs/ip_vs_rr.c). Hands new connections to the
// service's destinations in list order, skipping quiesced (weight 0) and overloaded ones.
// The cursor is the destination picked last, as the kernel's sched_data list pointer:
// - a new destination enters at the list head, so it is reached when the cursor next wraps;
// - deleting the destination under the cursor moves the cursor to its predecessor (the
//   list head when it was first), so the rotation carries on where it was;
// - edits leave the cursor alone.
// Pick: O(n) worst case (all but one unusable), O(1) typical. OnDestsChanged: O(n²) worst
// case to relocate a deleted cursor, on the control path.
#pragma once

#include <span>
#include <string_view>
#include <vector>

#include "core/scheduler.h"

namespace ipvsd::sched {

class RrScheduler final : public core::Scheduler {
 public:
  std::string_view name() const override { return "rr"; }
  void OnDestsChanged(std::span<core::Dest* const> dests) override;
  core::Dest* Pick(const core::FlowKey& flow, Ticks now) override;

 private:
  std::vector<core::Dest*> dests_;
  // Index in dests_ of the last pick; -1 is the list head (start from the first entry).
  int cursor_ = -1;
};

}  // namespace ipvsd::sched
