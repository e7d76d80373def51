// File: sched/dh.cc
//
// DhScheduler (dh.h); kernel: ip_vs_dh_reassign() and ip_vs_dh_schedule().
#include "sched/dh.h"

namespace ipvsd::sched {

void DhScheduler::OnDestsChanged(std::span<core::Dest* const> dests) {
  for (uint32_t i = 0; i < kHashTableSize; ++i) {
    buckets_[i] = dests.empty() ? nullptr : dests[i % dests.size()];
  }
}

core::Dest* DhScheduler::Pick(const core::FlowKey& flow, Ticks) {
  core::Dest* d = buckets_[Hash32(flow.daddr.Fold(flow.family), kHashTableBits)];
  if (d == nullptr || !d->available() || d->weight() <= 0 || d->overloaded()) return nullptr;
  return d;
}

}  // namespace ipvsd::sched
