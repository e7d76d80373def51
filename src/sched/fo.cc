// File: sched/fo.cc
//
// FoScheduler (fo.h); kernel: ip_vs_fo_schedule().
#include "sched/fo.h"

namespace ipvsd::sched {

void FoScheduler::OnDestsChanged(std::span<core::Dest* const> dests) {
  dests_.assign(dests.begin(), dests.end());
}

core::Dest* FoScheduler::Pick(const core::FlowKey&, Ticks) {
  core::Dest* highest = nullptr;
  int highest_weight = 0;  // so weight 0 is never chosen
  for (core::Dest* d : dests_) {
    const int w = d->weight();
    if (!d->overloaded() && w > highest_weight) {
      highest = d;
      highest_weight = w;
    }
  }
  return highest;
}

}  // namespace ipvsd::sched
