// File: sched/lc.cc
//
// LcScheduler (lc.h); kernel: ip_vs_lc_schedule().
#include "sched/lc.h"

namespace ipvsd::sched {

void LcScheduler::OnDestsChanged(std::span<core::Dest* const> dests) {
  dests_.assign(dests.begin(), dests.end());
}

core::Dest* LcScheduler::Pick(const core::FlowKey&, Ticks) {
  core::Dest* least = nullptr;
  unsigned least_overhead = 0;
  for (core::Dest* d : dests_) {
    if (d->overloaded() || d->weight() == 0) continue;
    // The kernel keeps the overhead unsigned here (unlike wlc).
    const auto overhead = static_cast<unsigned>(d->overhead());
    if (least == nullptr || overhead < least_overhead) {
      least = d;
      least_overhead = overhead;
    }
  }
  return least;
}

}  // namespace ipvsd::sched
