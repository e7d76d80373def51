// File: sched/wlc.cc
//
// WlcScheduler (wlc.h); kernel: ip_vs_wlc_schedule().
#include "sched/wlc.h"

#include <cstdint>

namespace ipvsd::sched {

int WeightedLeastConnIndex(std::span<core::Dest* const> dests) {
  const int n = static_cast<int>(dests.size());
  int least = 0;
  while (least < n && (dests[static_cast<size_t>(least)]->overloaded() ||
                       dests[static_cast<size_t>(least)]->weight() <= 0)) {
    ++least;
  }
  if (least == n) return -1;
  int64_t loh = dests[static_cast<size_t>(least)]->overhead();
  for (int i = least + 1; i < n; ++i) {
    const core::Dest* d = dests[static_cast<size_t>(i)];
    if (d->overloaded()) continue;
    const int64_t doh = d->overhead();
    if (loh * d->weight() > doh * dests[static_cast<size_t>(least)]->weight()) {
      least = i;
      loh = doh;
    }
  }
  return least;
}

void WlcScheduler::OnDestsChanged(std::span<core::Dest* const> dests) {
  dests_.assign(dests.begin(), dests.end());
}

core::Dest* WlcScheduler::Pick(const core::FlowKey&, Ticks) {
  const int i = WeightedLeastConnIndex(dests_);
  return i < 0 ? nullptr : dests_[static_cast<size_t>(i)];
}

}  // namespace ipvsd::sched
