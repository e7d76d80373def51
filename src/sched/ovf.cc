// File: sched/ovf.cc
//
// OvfScheduler (ovf.h); kernel: ip_vs_ovf_schedule().
#include "sched/ovf.h"

namespace ipvsd::sched {

void OvfScheduler::OnDestsChanged(std::span<core::Dest* const> dests) {
  dests_.assign(dests.begin(), dests.end());
}

core::Dest* OvfScheduler::Pick(const core::FlowKey&, Ticks) {
  core::Dest* highest = nullptr;
  int highest_weight = 0;
  for (core::Dest* d : dests_) {
    const int w = d->weight();
    // A destination still takes connections while activeconns == weight.
    if (d->overloaded() || d->activeconns() > w || w == 0) continue;
    if (highest == nullptr || w > highest_weight) {
      highest = d;
      highest_weight = w;
    }
  }
  return highest;
}

}  // namespace ipvsd::sched
