// File: sched/lblc.cc
//
// LblcScheduler (lblc.h); kernel: ip_vs_lblc_schedule(), ip_vs_lblc_new(),
// __ip_vs_lblc_schedule() (= WeightedLeastConnIndex), ip_vs_lblc_check_expire().
#include "sched/lblc.h"

#include "sched/wlc.h"

namespace ipvsd::sched {

LblcScheduler::LblcScheduler(Ticks expiration, const HashKey& key) : cache_(expiration, key) {}

void LblcScheduler::OnDestsChanged(std::span<core::Dest* const> dests) {
  dests_.assign(dests.begin(), dests.end());
  slots_.Update(dests);
}

core::Dest* LblcScheduler::Pick(const core::FlowKey& flow, Ticks now) {
  auto release = [this](uint32_t& slot) { slots_.Put(slot); };
  cache_.Expire(now, release);

  LocalityCache<uint32_t>::Entry* en = cache_.Find(flow.family, flow.daddr);
  if (en != nullptr) {
    en->lastuse = now;
    core::Dest* d = slots_.dest(en->payload);
    // A server that left the service is no longer available, as one in the kernel's trash.
    if (d != nullptr && d->available() && d->weight() > 0 && !LocalityOverloaded(*d, dests_)) return d;
  }

  const int i = WeightedLeastConnIndex(dests_);
  if (i < 0) return nullptr;
  const uint32_t slot = slots_.SlotOf(static_cast<size_t>(i));
  if (en != nullptr) {
    // The kernel replaces the entry with a fresh one for the new server; lastuse is `now`
    // either way.
    if (en->payload != slot) {
      slots_.Put(en->payload);
      slots_.Hold(slot);
      en->payload = slot;
    }
  } else if ((en = cache_.Insert(flow.family, flow.daddr, now, release)) != nullptr) {
    slots_.Hold(slot);
    en->payload = slot;
  }
  return dests_[static_cast<size_t>(i)];
}

}  // namespace ipvsd::sched
