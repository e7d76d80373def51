// File: sched/lblcr.cc
//
// LblcrScheduler (lblcr.h); kernel: ip_vs_lblcr_schedule(), ip_vs_dest_set_insert(),
// ip_vs_dest_set_erase(), ip_vs_dest_set_min(), ip_vs_dest_set_max(), ip_vs_lblcr_new().
#include "sched/lblcr.h"

#include "sched/wlc.h"

namespace ipvsd::sched {

LblcrScheduler::LblcrScheduler(Ticks expiration, const HashKey& key)
    : cache_(expiration, key), members_(2 * LocalityCache<DestSet>::kCapacity) {
  for (size_t i = 0; i + 1 < members_.size(); ++i) members_[i].next = static_cast<int32_t>(i + 1);
}

void LblcrScheduler::OnDestsChanged(std::span<core::Dest* const> dests) {
  dests_.assign(dests.begin(), dests.end());
  slots_.Update(dests);
}

void LblcrScheduler::SetInsert(DestSet& set, uint32_t slot, bool check, Ticks now) {
  if (check) {
    for (int32_t i = set.head; i >= 0; i = members_[static_cast<size_t>(i)].next) {
      if (members_[static_cast<size_t>(i)].slot == slot) return;
    }
  }
  if (free_member_ < 0) return;
  const int32_t i = free_member_;
  Member& m = members_[static_cast<size_t>(i)];
  free_member_ = m.next;
  slots_.Hold(slot);
  m.slot = slot;
  m.next = set.head;
  set.head = i;
  ++set.size;
  set.lastmod = now;
}

void LblcrScheduler::SetErase(DestSet& set, uint32_t slot, Ticks now) {
  for (int32_t* link = &set.head; *link >= 0; link = &members_[static_cast<size_t>(*link)].next) {
    const int32_t i = *link;
    Member& m = members_[static_cast<size_t>(i)];
    if (m.slot != slot) continue;
    *link = m.next;
    slots_.Put(slot);
    m.next = free_member_;
    free_member_ = i;
    --set.size;
    set.lastmod = now;
    return;
  }
}

void LblcrScheduler::SetEraseAll(DestSet& set) {
  while (set.head >= 0) {
    const int32_t i = set.head;
    Member& m = members_[static_cast<size_t>(i)];
    set.head = m.next;
    slots_.Put(m.slot);
    m.next = free_member_;
    free_member_ = i;
  }
  set.size = 0;
}

core::Dest* LblcrScheduler::SetMin(const DestSet& set) const {
  core::Dest* least = nullptr;
  int64_t loh = 0;
  for (int32_t i = set.head; i >= 0; i = members_[static_cast<size_t>(i)].next) {
    core::Dest* d = slots_.dest(members_[static_cast<size_t>(i)].slot);
    // A departed server is not available (the kernel's trash); skip it in both stages.
    if (d == nullptr || d->overloaded()) continue;
    if (least == nullptr) {
      // The first member seeds the search only when it could take the connection.
      if (d->weight() > 0 && d->available()) {
        least = d;
        loh = d->overhead();
      }
      continue;
    }
    const int64_t doh = d->overhead();
    if (loh * d->weight() > doh * least->weight() && d->available()) {
      least = d;
      loh = doh;
    }
  }
  return least;
}

uint32_t LblcrScheduler::SetMax(const DestSet& set) const {
  uint32_t most_slot = kNoSlot;
  const core::Dest* most = nullptr;
  int64_t moh = 0;
  for (int32_t i = set.head; i >= 0; i = members_[static_cast<size_t>(i)].next) {
    const uint32_t slot = members_[static_cast<size_t>(i)].slot;
    const core::Dest* d = slots_.dest(slot);
    if (d == nullptr) return slot;  // see the deviation note in lblcr.h
    if (most == nullptr) {
      if (d->weight() > 0) {
        most = d;
        most_slot = slot;
        moh = d->overhead();
      }
      continue;
    }
    const int64_t doh = d->overhead();
    // moh / mw < doh / dw, without division.
    if (moh * d->weight() < doh * most->weight() && d->weight() > 0) {
      most = d;
      most_slot = slot;
      moh = doh;
    }
  }
  return most_slot;
}

core::Dest* LblcrScheduler::Pick(const core::FlowKey& flow, Ticks now) {
  auto release = [this](DestSet& set) { SetEraseAll(set); };
  cache_.Expire(now, release);

  LocalityCache<DestSet>::Entry* en = cache_.Find(flow.family, flow.daddr);
  if (en == nullptr) {
    const int i = WeightedLeastConnIndex(dests_);
    if (i < 0) return nullptr;
    en = cache_.Insert(flow.family, flow.daddr, now, release);
    if (en != nullptr) SetInsert(en->payload, slots_.SlotOf(static_cast<size_t>(i)), false, now);
    return dests_[static_cast<size_t>(i)];
  }

  en->lastuse = now;
  DestSet& set = en->payload;
  core::Dest* d = SetMin(set);
  // More than one server and no change for the expiration time: the set shrinks by its most
  // loaded member. `d` is still returned below even if it was that member, as in the kernel.
  if (set.size > 1 && TimeAfter(now, set.lastmod + cache_.expiration())) {
    const uint32_t most = SetMax(set);
    if (most != kNoSlot) SetErase(set, most, now);
  }
  if (d != nullptr && !LocalityOverloaded(*d, dests_)) return d;

  const int i = WeightedLeastConnIndex(dests_);
  if (i < 0) return nullptr;
  SetInsert(set, slots_.SlotOf(static_cast<size_t>(i)), true, now);
  return dests_[static_cast<size_t>(i)];
}

}  // namespace ipvsd::sched
