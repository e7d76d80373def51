// File: sched/sed.cc
//
// SedScheduler (sed.h); kernel: ip_vs_sed_schedule().
#include "sched/sed.h"

#include <cstdint>

namespace ipvsd::sched {

void SedScheduler::OnDestsChanged(std::span<core::Dest* const> dests) {
  dests_.assign(dests.begin(), dests.end());
}

core::Dest* SedScheduler::Pick(const core::FlowKey&, Ticks) {
  size_t i = 0;
  while (i < dests_.size() && (dests_[i]->overloaded() || dests_[i]->weight() <= 0)) ++i;
  if (i == dests_.size()) return nullptr;
  core::Dest* least = dests_[i];
  int64_t loh = int64_t{least->activeconns()} + 1;
  for (++i; i < dests_.size(); ++i) {
    core::Dest* d = dests_[i];
    if (d->overloaded()) continue;
    const int64_t doh = int64_t{d->activeconns()} + 1;
    if (loh * d->weight() > doh * least->weight()) {
      least = d;
      loh = doh;
    }
  }
  return least;
}

}  // namespace ipvsd::sched
