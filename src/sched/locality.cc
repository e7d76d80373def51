// File: sched/locality.cc
//
// LocalityOverloaded() and DestSlots (locality.h).
#include "sched/locality.h"

namespace ipvsd::sched {

bool LocalityOverloaded(const core::Dest& d, std::span<core::Dest* const> dests) {
  if (d.activeconns() <= d.weight()) return false;
  for (const core::Dest* m : dests) {
    if (m->activeconns() * 2 < m->weight()) return true;
  }
  return false;
}

void DestSlots::Update(std::span<core::Dest* const> dests) {
  for (Slot& s : slots_) {
    s.dest = nullptr;
    if (s.refs == 0) s.used = false;
  }
  list_slots_.resize(dests.size());
  for (size_t i = 0; i < dests.size(); ++i) {
    core::Dest* d = dests[i];
    size_t found = slots_.size();
    size_t free_slot = slots_.size();
    for (size_t s = 0; s < slots_.size(); ++s) {
      if (slots_[s].used && slots_[s].addr == d->addr() && slots_[s].port == d->port()) {
        found = s;
        break;
      }
      if (!slots_[s].used && free_slot == slots_.size()) free_slot = s;
    }
    if (found == slots_.size()) {
      if (free_slot == slots_.size()) slots_.emplace_back();
      found = free_slot;
      slots_[found] = Slot{nullptr, d->addr(), d->port(), 0, true};
    }
    slots_[found].dest = d;
    list_slots_[i] = static_cast<uint32_t>(found);
  }
}

}  // namespace ipvsd::sched
