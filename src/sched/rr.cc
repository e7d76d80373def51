// File: sched/rr.cc
//
// RrScheduler (rr.h); kernel: ip_vs_rr_schedule() and ip_vs_rr_del_dest().
#include "sched/rr.h"

#include <algorithm>

namespace ipvsd::sched {

void RrScheduler::OnDestsChanged(std::span<core::Dest* const> dests) {
  int cursor = -1;
  // A deleted cursor falls back to the nearest predecessor still listed: for one deletion
  // that is exactly the kernel's p->next->prev, and a run of deletions composes the same way.
  for (int i = cursor_; i >= 0 && cursor < 0; --i) {
    auto it = std::find(dests.begin(), dests.end(), dests_[static_cast<size_t>(i)]);
    if (it != dests.end()) cursor = static_cast<int>(it - dests.begin());
  }
  dests_.assign(dests.begin(), dests.end());
  cursor_ = cursor;
}

core::Dest* RrScheduler::Pick(const core::FlowKey&, Ticks) {
  // One circular pass starting after the cursor and ending on it, as the kernel's two passes.
  const int n = static_cast<int>(dests_.size());
  for (int k = 1; k <= n; ++k) {
    const int i = (cursor_ + k) % n;
    core::Dest* d = dests_[static_cast<size_t>(i)];
    if (!d->overloaded() && d->weight() > 0) {
      cursor_ = i;
      return d;
    }
  }
  return nullptr;
}

}  // namespace ipvsd::sched
