// File: sched/nq.cc
//
// NqScheduler (nq.h); kernel: ip_vs_nq_schedule().
#include "sched/nq.h"

#include <cstdint>

namespace ipvsd::sched {

void NqScheduler::OnDestsChanged(std::span<core::Dest* const> dests) {
  dests_.assign(dests.begin(), dests.end());
}

core::Dest* NqScheduler::Pick(const core::FlowKey&, Ticks) {
  core::Dest* least = nullptr;
  int64_t loh = 0;
  for (core::Dest* d : dests_) {
    if (d->overloaded() || d->weight() == 0) continue;
    if (d->activeconns() == 0) return d;  // an idle server never queues the connection
    const int64_t doh = int64_t{d->activeconns()} + 1;
    if (least == nullptr || loh * d->weight() > doh * least->weight()) {
      least = d;
      loh = doh;
    }
  }
  return least;
}

}  // namespace ipvsd::sched
